//! crosswire for JavaScript (browsers and Node.js), through wasm-bindgen.
//!
//! The same objects as the UniFFI bindings (bindings/ffi): the account layer ([`Account`], over
//! a `MemoryStore` whose sealed rows the application persists) and the core's identities,
//! prekeys (KEM prekeys too), bundles, envelopes, sessions (PQXDH by default), content and
//! attachments. Randomness comes from the platform CSPRNG
//! (`crypto.getRandomValues`, through getrandom's `wasm_js` backend) unless the caller passes a
//! [`RandomSource`]: that hook exists so that tests can replay the random values recorded in
//! the committed test vectors and check the wasm build byte for byte. Applications leave it out.
//!
//! Failures throw a [`CrosswireError`] object (`code`, `kind`, `reason`, `message`), never a
//! panic.

mod account;
mod error;
mod pq;
mod rng;

use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

pub use account::{
    Account, Address, BundleSource, DeviceChanges, InboxMessage, Outgoing, PublishedKemPreKey,
    PublishedPreKey, Upload, bundle_with_kem_prekey, bundle_with_one_time_prekey,
};
pub use error::CrosswireError;
pub use pq::{Envelope, KemPreKey};
pub use rng::RandomSource;

use crosswire::{AttachmentKind, AttachmentPointer, Body, Received};
use rng::with_rng;

pub(crate) type Result<T> = std::result::Result<T, CrosswireError>;

/// A device's long-term identity key pair. The secret half never leaves the module.
#[wasm_bindgen]
pub struct IdentityKeyPair(crosswire::IdentityKeyPair);

#[wasm_bindgen]
impl IdentityKeyPair {
    /// A fresh identity.
    pub fn generate(rng: Option<RandomSource>) -> Result<IdentityKeyPair> {
        with_rng(rng, |r| {
            Ok(IdentityKeyPair(crosswire::IdentityKeyPair::generate(r)))
        })
    }

    /// The public identity key (32 bytes).
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// A signed prekey.
#[wasm_bindgen]
pub struct SignedPreKey(crosswire::SignedPreKey);

#[wasm_bindgen]
impl SignedPreKey {
    /// A fresh signed prekey with id `id`, signed by `identity`.
    pub fn generate(
        identity: &IdentityKeyPair,
        id: u32,
        rng: Option<RandomSource>,
    ) -> Result<SignedPreKey> {
        with_rng(rng, |r| {
            Ok(SignedPreKey(crosswire::SignedPreKey::generate(
                r,
                &identity.0,
                crosswire::SignedPreKeyId(id),
            )))
        })
    }

    /// Its id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its public key (32 bytes).
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// A one-time prekey.
#[wasm_bindgen]
pub struct OneTimePreKey(crosswire::OneTimePreKey);

#[wasm_bindgen]
impl OneTimePreKey {
    /// A fresh one-time prekey with id `id`.
    pub fn generate(id: u32, rng: Option<RandomSource>) -> Result<OneTimePreKey> {
        with_rng(rng, |r| {
            Ok(OneTimePreKey(crosswire::OneTimePreKey::generate(
                r,
                crosswire::OneTimePreKeyId(id),
            )))
        })
    }

    /// Its id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its public key (32 bytes).
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// What a device publishes so that others can start sessions with it.
#[wasm_bindgen]
pub struct PreKeyBundle(crosswire::PreKeyBundle);

#[wasm_bindgen]
impl PreKeyBundle {
    /// The classical (version 1) bundle of `identity` with `signedPreKey` and no one-time
    /// prekey; `Session.initiate` refuses it (`bundle.classical_only`), `initiateWith` with
    /// `"allowed"` takes it. [`postQuantum`](Self::post_quantum) makes a bundle with a KEM
    /// prekey.
    #[wasm_bindgen(constructor)]
    pub fn new(identity: &IdentityKeyPair, signed_prekey: &SignedPreKey) -> Result<PreKeyBundle> {
        PreKeyBundle::build(identity, signed_prekey, None, None)
    }

    /// The classical bundle of `identity` with `signedPreKey` and `oneTimePreKey`. (A separate
    /// function because wasm-bindgen cannot borrow an optional object.)
    #[wasm_bindgen(js_name = withOneTimePreKey)]
    pub fn with_one_time_prekey(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: &OneTimePreKey,
    ) -> Result<PreKeyBundle> {
        PreKeyBundle::build(identity, signed_prekey, Some(one_time_prekey), None)
    }

    /// Decodes a bundle and verifies its signature.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<PreKeyBundle> {
        let bundle =
            crosswire::PreKeyBundle::from_bytes(bytes).map_err(crosswire::Error::Bundle)?;
        Ok(PreKeyBundle(bundle))
    }

    /// The encoding to publish.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    /// The owner's identity key (32 bytes).
    #[wasm_bindgen(js_name = identityKey)]
    pub fn identity_key(&self) -> Vec<u8> {
        self.0.identity_key().as_bytes().to_vec()
    }
}

impl PreKeyBundle {
    fn build(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        kem_prekey: Option<&KemPreKey>,
    ) -> Result<PreKeyBundle> {
        let (identity, spk, opk) = (&identity.0, &signed_prekey.0, one_time_prekey.map(|k| &k.0));
        let bundle = match kem_prekey {
            Some(kem) => crosswire::PreKeyBundle::new_pq(identity, spk, opk, &kem.0),
            None => crosswire::PreKeyBundle::new(identity, spk, opk),
        }
        .map_err(crosswire::Error::Bundle)?;
        Ok(PreKeyBundle(bundle))
    }
}

/// A new session and the first message, from [`Session::respond`]: its plaintext, or its
/// content.
#[wasm_bindgen]
pub struct Responded {
    session: Option<Session>,
    plaintext: Vec<u8>,
}

#[wasm_bindgen]
impl Responded {
    /// The session; can be taken once.
    #[wasm_bindgen(js_name = takeSession)]
    pub fn take_session(&mut self) -> Option<Session> {
        self.session.take()
    }

    /// The first message.
    #[wasm_bindgen(getter)]
    pub fn plaintext(&self) -> Vec<u8> {
        self.plaintext.clone()
    }

    /// The first message decoded as content, for one sent with `encryptContent`, as
    /// `decryptContent` gives it: plaintext that is not content has the kind `"undecodable"`
    /// (the session stands either way).
    #[wasm_bindgen(getter)]
    pub fn content(&self) -> Content {
        Content(crosswire::Content::from_plaintext(&self.plaintext).ok())
    }
}

/// An end-to-end encrypted session with one remote device. Every call that fails leaves it
/// unchanged.
#[wasm_bindgen]
pub struct Session(crosswire::Session);

impl Session {
    /// The responder of SPEC.md 15.6 with the prekeys the first message names. Without a KEM
    /// prekey it is the core's classical `Session::respond` (classical setup allowed, a PQXDH
    /// message `decrypt.session_mismatch`); with one, PQXDH, where the policy plays no part.
    fn accept(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        kem_prekey: Option<&KemPreKey>,
        envelope: &[u8],
        context: &[u8],
    ) -> Result<Responded> {
        let message = crosswire_glue::prekey_message(envelope)?;
        let (session, plaintext) = crosswire::Session::respond_with(
            &identity.0,
            &signed_prekey.0,
            one_time_prekey.map(|k| &k.0),
            kem_prekey.map(|k| &k.0),
            &message,
            context,
            crosswire::PostQuantum::Allowed,
        )?;
        Ok(Responded {
            session: Some(Session(session)),
            plaintext,
        })
    }
}

#[wasm_bindgen]
impl Session {
    /// Starts a session with the owner of `bundle`: PQXDH, as the bundle carries a KEM prekey
    /// (SPEC.md 15.6); a classical bundle is refused (`bundle.classical_only`), `initiateWith`
    /// with `"allowed"` accepts it. `context` is associated data both sides agree on (empty if
    /// none).
    pub fn initiate(
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: &[u8],
        rng: Option<RandomSource>,
    ) -> Result<Session> {
        Session::initiate_with(identity, bundle, context, "required", rng)
    }

    /// Accepts a session from a classical (X3DH) first message that used no one-time prekey. A
    /// PQXDH message (`Envelope.kemPreKeyId` set) is `decrypt.session_mismatch` here: use
    /// `respondPostQuantum`.
    pub fn respond(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        envelope: &[u8],
        context: &[u8],
    ) -> Result<Responded> {
        Session::accept(identity, signed_prekey, None, None, envelope, context)
    }

    /// Accepts a session from a classical first message that used `oneTimePreKey`.
    #[wasm_bindgen(js_name = respondWithOneTimePreKey)]
    pub fn respond_with_one_time_prekey(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: &OneTimePreKey,
        envelope: &[u8],
        context: &[u8],
    ) -> Result<Responded> {
        Session::accept(
            identity,
            signed_prekey,
            Some(one_time_prekey),
            None,
            envelope,
            context,
        )
    }

    /// Loads a session saved with [`toBytes`](Self::to_bytes).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(state: &[u8]) -> Result<Session> {
        let session = crosswire::Session::from_bytes(state).map_err(crosswire::Error::State)?;
        Ok(Session(session))
    }

    /// The session state, secrets included, for storage the application provides.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    /// Encrypts a message; returns the envelope.
    pub fn encrypt(&mut self, plaintext: &[u8], rng: Option<RandomSource>) -> Result<Vec<u8>> {
        let session = &mut self.0;
        with_rng(rng, |r| Ok(session.encrypt(r, plaintext)?.to_bytes()))
    }

    /// Decrypts an envelope; returns the plaintext.
    pub fn decrypt(&mut self, envelope: &[u8]) -> Result<Vec<u8>> {
        let envelope = crosswire::Envelope::from_bytes(envelope).map_err(crosswire::Error::Wire)?;
        Ok(self.0.decrypt(&envelope)?)
    }

    /// Encrypts content; returns the envelope.
    #[wasm_bindgen(js_name = encryptContent)]
    pub fn encrypt_content(
        &mut self,
        content: &Content,
        rng: Option<RandomSource>,
    ) -> Result<Vec<u8>> {
        let content = content.content()?;
        let session = &mut self.0;
        with_rng(rng, |r| Ok(session.encrypt_content(r, content)?.to_bytes()))
    }

    /// Decrypts an envelope that carries content.
    #[wasm_bindgen(js_name = decryptContent)]
    pub fn decrypt_content(&mut self, envelope: &[u8]) -> Result<Content> {
        let envelope = crosswire::Envelope::from_bytes(envelope).map_err(crosswire::Error::Wire)?;
        Ok(Content::received(self.0.decrypt_content(&envelope)?))
    }
}

/// The key, sizes and digest of one encrypted attachment; the key stays inside.
#[wasm_bindgen]
#[derive(Clone)]
pub struct SealedAttachment(crosswire::SealedAttachment);

#[wasm_bindgen]
impl SealedAttachment {
    /// The plaintext size in bytes.
    #[wasm_bindgen(getter, js_name = plaintextSize)]
    pub fn plaintext_size(&self) -> f64 {
        // Exact: an attachment in memory is far below 2^53 bytes.
        self.0.plaintext_size() as f64
    }
}

/// An encrypted attachment: upload `ciphertext`, send `sealed` in [`Content::attachment`].
#[wasm_bindgen]
pub struct EncryptedAttachment {
    ciphertext: Vec<u8>,
    sealed: SealedAttachment,
}

#[wasm_bindgen]
impl EncryptedAttachment {
    /// What to upload.
    #[wasm_bindgen(getter)]
    pub fn ciphertext(&self) -> Vec<u8> {
        self.ciphertext.clone()
    }

    /// What the recipient needs.
    #[wasm_bindgen(getter)]
    pub fn sealed(&self) -> SealedAttachment {
        self.sealed.clone()
    }
}

/// Encrypts an attachment under a fresh key, in chunks of `chunkSize` bytes (default 64 KiB).
#[wasm_bindgen(js_name = encryptAttachment)]
pub fn encrypt_attachment(
    plaintext: &[u8],
    chunk_size: Option<u32>,
    rng: Option<RandomSource>,
) -> Result<EncryptedAttachment> {
    let chunk_size = chunk_size.unwrap_or(crosswire::DEFAULT_CHUNK_SIZE);
    with_rng(rng, |r| {
        let (ciphertext, sealed) = crosswire::encrypt_attachment(r, plaintext, chunk_size)
            .map_err(crosswire::Error::Media)?;
        Ok(EncryptedAttachment {
            ciphertext,
            sealed: SealedAttachment(sealed),
        })
    })
}

/// Decrypts a downloaded attachment; nothing is returned unless every check passes.
#[wasm_bindgen(js_name = decryptAttachment)]
pub fn decrypt_attachment(sealed: &SealedAttachment, ciphertext: &[u8]) -> Result<Vec<u8>> {
    Ok(crosswire::decrypt_attachment(&sealed.0, ciphertext).map_err(crosswire::Error::Media)?)
}

/// One message's content: built to send, or received.
#[wasm_bindgen]
pub struct Content(Option<crosswire::Content>);

impl Content {
    fn received(received: Received) -> Content {
        Content(match received {
            Received::Content(c) => Some(c),
            _ => None,
        })
    }

    fn content(&self) -> Result<&crosswire::Content> {
        self.0
            .as_ref()
            .ok_or_else(|| crosswire::Error::Content(crosswire::ContentError::Malformed).into())
    }

    fn pointer(&self) -> Option<&AttachmentPointer> {
        match &self.0.as_ref()?.body {
            Body::Attachment(p) => Some(p),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch, from JavaScript's clock on wasm (the standard library's
/// clock panics there).
pub(crate) fn now_ms() -> u64 {
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        // Non-negative and below 2^53: an exact integer.
        js_now().max(0.0) as u64
    }
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn js_now() -> f64;
}

#[wasm_bindgen]
impl Content {
    /// A plain-text message with a fresh message id and the current time.
    pub fn text(text: String, rng: Option<RandomSource>) -> Result<Content> {
        with_rng(rng, |r| {
            let id = crosswire::MessageId::random(r);
            Ok(Content(Some(crosswire::Content::text(id, now_ms(), text))))
        })
    }

    /// An attachment message: `sealed` from [`encryptAttachment`](encrypt_attachment), the MIME
    /// type, and where the ciphertext was uploaded.
    pub fn attachment(
        sealed: &SealedAttachment,
        content_type: String,
        locator: String,
        rng: Option<RandomSource>,
    ) -> Result<Content> {
        let pointer = AttachmentPointer::new(
            sealed.0.clone(),
            AttachmentKind::File,
            content_type,
            locator,
        );
        pointer.validate().map_err(crosswire::Error::Media)?;
        with_rng(rng, |r| {
            let id = crosswire::MessageId::random(r);
            Ok(Content(Some(crosswire::Content::attachment(
                id,
                now_ms(),
                pointer,
            ))))
        })
    }

    /// `"text"`, `"attachment"`, `"other"` or `"undecodable"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        match self.0.as_ref().map(|c| &c.body) {
            None => "undecodable",
            Some(Body::Text(_)) => "text",
            Some(Body::Attachment(_)) => "attachment",
            Some(_) => "other",
        }
        .to_owned()
    }

    /// The text of a text message.
    #[wasm_bindgen(getter, js_name = textBody)]
    pub fn text_body(&self) -> Option<String> {
        match &self.0.as_ref()?.body {
            Body::Text(t) => Some(t.body.clone()),
            _ => None,
        }
    }

    /// The attachment of an attachment message.
    #[wasm_bindgen(getter, js_name = sealedAttachment)]
    pub fn sealed_attachment(&self) -> Option<SealedAttachment> {
        self.pointer().map(|p| SealedAttachment(p.sealed.clone()))
    }

    /// Where an attachment's ciphertext is stored.
    #[wasm_bindgen(getter)]
    pub fn locator(&self) -> Option<String> {
        self.pointer().map(|p| p.locator.clone())
    }
}

/// Whether randomness comes from the platform: draws 32 bytes from the module's default source
/// (no [`RandomSource`]) and returns them, so a test can check it is live and varies.
#[wasm_bindgen(js_name = platformRandom)]
pub fn platform_random() -> Result<Vec<u8>> {
    with_rng(None, |r| {
        let mut out = Zeroizing::new(vec![0u8; 32]);
        rand_core::Rng::fill_bytes(r, &mut out);
        Ok(out.to_vec())
    })
}
