//! The objects every binding exposes, exported to Kotlin, Swift and Python by UniFFI and wrapped
//! by the C functions of [`crate::c_api`].
//!
//! They are the core's sans-I/O types with interior locking (UniFFI objects are shared `Arc`s
//! that foreign code may call from any thread) and randomness from the operating system. Keys
//! stay inside: no getter returns secret key material, and an attachment's key travels only
//! inside an encrypted [`Content`]. The one exception is [`Session::to_bytes`], the session
//! state, which callers that bring their own storage need (the account layer removes that need).

use std::sync::{Arc, Mutex, MutexGuard};

use crosswire::{AttachmentKind, AttachmentPointer, Body, Received};
use zeroize::Zeroizing;

use crate::error::{CrosswireError, codes};
use crate::pq::{KemPreKey, PostQuantum};

type Result<T> = std::result::Result<T, CrosswireError>;

/// Locks `m`; a lock poisoned by an earlier panic is an error, not a second panic, because the
/// state behind it may be half-updated.
pub(crate) fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    m.lock().map_err(|_| {
        CrosswireError::internal(codes::POISONED, "object poisoned by an earlier panic")
    })
}

/// A device's long-term identity key pair. The secret half never leaves the library.
#[derive(uniffi::Object)]
pub struct IdentityKeyPair(pub(crate) crosswire::IdentityKeyPair);

#[uniffi::export]
impl IdentityKeyPair {
    /// A fresh identity from the operating system's random number generator.
    #[uniffi::constructor]
    pub fn generate() -> Arc<Self> {
        Arc::new(IdentityKeyPair(crosswire::IdentityKeyPair::generate(
            &mut rand::rng(),
        )))
    }

    /// The public identity key (32 bytes), what a safety number or a bundle shows.
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// A signed prekey: published in the bundle, kept by its owner to accept first messages.
#[derive(uniffi::Object)]
pub struct SignedPreKey(pub(crate) crosswire::SignedPreKey);

#[uniffi::export]
impl SignedPreKey {
    /// A fresh signed prekey with id `id`, signed by `identity`.
    #[uniffi::constructor]
    pub fn generate(identity: &IdentityKeyPair, id: u32) -> Arc<Self> {
        Arc::new(SignedPreKey(crosswire::SignedPreKey::generate(
            &mut rand::rng(),
            &identity.0,
            crosswire::SignedPreKeyId(id),
        )))
    }

    /// Its id.
    pub fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its public key (32 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// A one-time prekey: used by at most one first message, then deleted by its owner.
#[derive(uniffi::Object)]
pub struct OneTimePreKey(pub(crate) crosswire::OneTimePreKey);

#[uniffi::export]
impl OneTimePreKey {
    /// A fresh one-time prekey with id `id`.
    #[uniffi::constructor]
    pub fn generate(id: u32) -> Arc<Self> {
        Arc::new(OneTimePreKey(crosswire::OneTimePreKey::generate(
            &mut rand::rng(),
            crosswire::OneTimePreKeyId(id),
        )))
    }

    /// Its id.
    pub fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its public key (32 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// What a device publishes so that others can start sessions with it.
#[derive(uniffi::Object)]
pub struct PreKeyBundle(pub(crate) crosswire::PreKeyBundle);

#[uniffi::export]
impl PreKeyBundle {
    /// The bundle of `identity` with `signed_prekey` and, optionally, `one_time_prekey` and a
    /// `kem_prekey` (a version 2 bundle, for PQXDH: SPEC.md 15). Without a KEM prekey it is a
    /// classical bundle, which [`Session::initiate`] refuses (`bundle.classical_only`).
    #[uniffi::constructor(default(kem_prekey = None))]
    pub fn new(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<Arc<OneTimePreKey>>,
        kem_prekey: Option<Arc<KemPreKey>>,
    ) -> Result<Arc<Self>> {
        let opk = one_time_prekey.as_deref().map(|k| &k.0);
        let bundle = match kem_prekey {
            Some(kem) => {
                crosswire::PreKeyBundle::new_pq(&identity.0, &signed_prekey.0, opk, &kem.0)?
            }
            None => crosswire::PreKeyBundle::new(&identity.0, &signed_prekey.0, opk)?,
        };
        Ok(Arc::new(PreKeyBundle(bundle)))
    }

    /// Decodes a bundle fetched from a directory and verifies its signature.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        Ok(Arc::new(PreKeyBundle(crosswire::PreKeyBundle::from_bytes(
            &bytes,
        )?)))
    }

    /// The encoding to publish.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    /// The owner's identity key (32 bytes).
    pub fn identity_key(&self) -> Vec<u8> {
        self.0.identity_key().as_bytes().to_vec()
    }

    /// The signed prekey's id.
    pub fn signed_prekey_id(&self) -> u32 {
        self.0.signed_prekey_id().0
    }

    /// The one-time prekey's id, if the bundle has one.
    pub fn one_time_prekey_id(&self) -> Option<u32> {
        self.0.one_time_prekey().map(|(id, _)| id.0)
    }

    /// The KEM prekey's id, if the bundle has one (then sessions from it use PQXDH).
    pub fn kem_prekey_id(&self) -> Option<u32> {
        self.0.kem_prekey().map(|(id, _, _)| id.0)
    }
}

/// A received envelope, decoded to route it: a prekey message starts a session (look up the
/// prekeys it names and call [`session_respond_with`](crate::pq::session_respond_with)); any
/// other goes to the existing session.
#[derive(uniffi::Object)]
pub struct Envelope(pub(crate) crosswire::Envelope);

#[uniffi::export]
impl Envelope {
    /// Decodes an envelope (no cryptography yet).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        Ok(Arc::new(Envelope(crosswire::Envelope::from_bytes(&bytes)?)))
    }

    /// Whether it is a prekey message (it may start a session).
    pub fn is_prekey(&self) -> bool {
        matches!(self.0, crosswire::Envelope::PreKey(_))
    }

    /// For a prekey message: the sender's identity key (32 bytes).
    pub fn sender_identity_key(&self) -> Option<Vec<u8>> {
        self.prekey().map(|p| p.identity_key().as_bytes().to_vec())
    }

    /// For a prekey message: the id of the signed prekey it was sent to.
    pub fn signed_prekey_id(&self) -> Option<u32> {
        self.prekey().map(|p| p.signed_prekey_id().0)
    }

    /// For a prekey message: the id of the one-time prekey it used, if any.
    pub fn one_time_prekey_id(&self) -> Option<u32> {
        self.prekey()
            .and_then(|p| p.one_time_prekey_id())
            .map(|id| id.0)
    }

    /// For a PQXDH prekey message: the id of the KEM prekey it used (pass that
    /// [`KemPreKey`] to [`session_respond_with`](crate::pq::session_respond_with)); none for
    /// a classical one.
    pub fn kem_prekey_id(&self) -> Option<u32> {
        self.prekey().and_then(|p| p.kem_prekey_id()).map(|id| id.0)
    }
}

impl Envelope {
    fn prekey(&self) -> Option<&crosswire::PreKeyMessage> {
        match &self.0 {
            crosswire::Envelope::PreKey(p) => Some(p),
            _ => None,
        }
    }
}

/// A new session and the first message's plaintext, from [`session_respond`].
#[derive(uniffi::Record)]
pub struct Responded {
    /// The session.
    pub session: Arc<Session>,
    /// The first message.
    pub plaintext: Vec<u8>,
}

/// A new session and the first message's content, from [`session_respond_content`].
#[derive(uniffi::Record)]
pub struct RespondedContent {
    /// The session.
    pub session: Arc<Session>,
    /// The first message.
    pub content: Arc<Content>,
}

/// An end-to-end encrypted session with one remote device. Every call that fails leaves it
/// unchanged.
#[derive(uniffi::Object)]
pub struct Session(Mutex<crosswire::Session>);

impl Session {
    pub(crate) fn wrap(session: crosswire::Session) -> Arc<Self> {
        Arc::new(Session(Mutex::new(session)))
    }
}

pub(crate) fn prekey_message(envelope: &[u8]) -> Result<crosswire::PreKeyMessage> {
    Ok(crosswire_glue::prekey_message(envelope)?)
}

#[uniffi::export]
impl Session {
    /// Starts a session with the owner of `bundle`: PQXDH, as the bundle carries a KEM prekey
    /// (SPEC.md 15.6); a classical bundle is refused with `CrosswireError.Bundle`
    /// (`bundle.classical_only`), [`initiate_with`](Self::initiate_with) can allow it.
    /// `context` is associated data both sides must agree on (empty if none).
    #[uniffi::constructor]
    pub fn initiate(
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: Vec<u8>,
    ) -> Result<Arc<Self>> {
        Session::initiate_with(identity, bundle, context, PostQuantum::Required)
    }

    /// [`initiate`](Self::initiate) with an explicit policy for classical bundles.
    #[uniffi::constructor]
    pub fn initiate_with(
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: Vec<u8>,
        policy: PostQuantum,
    ) -> Result<Arc<Self>> {
        let session = crosswire::Session::initiate_with(
            &mut rand::rng(),
            &identity.0,
            &bundle.0,
            &context,
            policy.into(),
        )?;
        Ok(Session::wrap(session))
    }

    /// Loads a session saved with [`to_bytes`](Self::to_bytes).
    #[uniffi::constructor]
    pub fn from_bytes(state: Vec<u8>) -> Result<Arc<Self>> {
        let state = Zeroizing::new(state);
        Ok(Session::wrap(crosswire::Session::from_bytes(&state)?))
    }

    /// The whole session state, secrets included, for storage the application provides. Store
    /// it encrypted, and replace the stored copy after every encrypt and decrypt.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(lock(&self.0)?.to_bytes().to_vec())
    }

    /// Encrypts `plaintext`; returns the envelope to send.
    pub fn encrypt(&self, plaintext: Vec<u8>) -> Result<Vec<u8>> {
        let plaintext = Zeroizing::new(plaintext);
        let envelope = lock(&self.0)?.encrypt(&mut rand::rng(), &plaintext)?;
        Ok(envelope.to_bytes())
    }

    /// Decrypts an envelope; returns the plaintext.
    pub fn decrypt(&self, envelope: Vec<u8>) -> Result<Vec<u8>> {
        let envelope = crosswire::Envelope::from_bytes(&envelope)?;
        Ok(lock(&self.0)?.decrypt(&envelope)?)
    }

    /// Encrypts `content`; returns the envelope to send.
    pub fn encrypt_content(&self, content: &Content) -> Result<Vec<u8>> {
        let content = content.content()?;
        let envelope = lock(&self.0)?.encrypt_content(&mut rand::rng(), content)?;
        Ok(envelope.to_bytes())
    }

    /// Decrypts an envelope that carries [`Content`].
    pub fn decrypt_content(&self, envelope: Vec<u8>) -> Result<Arc<Content>> {
        let envelope = crosswire::Envelope::from_bytes(&envelope)?;
        let received = lock(&self.0)?.decrypt_content(&envelope)?;
        Ok(Content::received(received))
    }

    /// Our identity key (32 bytes).
    pub fn local_identity_key(&self) -> Result<Vec<u8>> {
        Ok(lock(&self.0)?.local_identity().as_bytes().to_vec())
    }

    /// The peer's identity key (32 bytes).
    pub fn remote_identity_key(&self) -> Result<Vec<u8>> {
        Ok(lock(&self.0)?.remote_identity().as_bytes().to_vec())
    }
}

// Free functions, not constructors: UniFFI constructors return the object alone, these also
// return the first message. Both are the classical responder of the core's `Session::respond`:
// `session_respond_with` without a KEM prekey, classical setup allowed.

/// Accepts a session from its first classical (X3DH) message (an envelope for which
/// [`Envelope::is_prekey`]), given the prekeys the message names. A PQXDH message is
/// `decrypt.session_mismatch` here: use [`session_respond_with`](crate::pq::session_respond_with).
#[uniffi::export]
pub fn session_respond(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<Arc<OneTimePreKey>>,
    envelope: Vec<u8>,
    context: Vec<u8>,
) -> Result<Responded> {
    crate::pq::session_respond_with(
        identity,
        signed_prekey,
        one_time_prekey,
        None,
        envelope,
        context,
        PostQuantum::Allowed,
    )
}

/// [`session_respond`] for a first message that carries [`Content`].
#[uniffi::export]
pub fn session_respond_content(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<Arc<OneTimePreKey>>,
    envelope: Vec<u8>,
    context: Vec<u8>,
) -> Result<RespondedContent> {
    crate::pq::session_respond_content_with(
        identity,
        signed_prekey,
        one_time_prekey,
        None,
        envelope,
        context,
        PostQuantum::Allowed,
    )
}

/// The key, sizes and digest of one encrypted attachment. The key stays inside: send it with
/// [`Content::new_attachment`] over a session.
#[derive(uniffi::Object)]
pub struct SealedAttachment(pub(crate) crosswire::SealedAttachment);

#[uniffi::export]
impl SealedAttachment {
    /// The plaintext size in bytes.
    pub fn plaintext_size(&self) -> u64 {
        self.0.plaintext_size()
    }

    /// The ciphertext size in bytes.
    pub fn ciphertext_len(&self) -> u64 {
        self.0.ciphertext_len()
    }

    /// SHA-256 of the ciphertext (32 bytes).
    pub fn digest(&self) -> Vec<u8> {
        self.0.digest().to_vec()
    }
}

/// An encrypted attachment: upload `ciphertext`, send `sealed` in a [`Content::new_attachment`].
#[derive(uniffi::Record)]
pub struct EncryptedAttachment {
    /// What to upload.
    pub ciphertext: Vec<u8>,
    /// What the recipient needs to decrypt it.
    pub sealed: Arc<SealedAttachment>,
}

/// Encrypts an attachment held in memory under a fresh key, in chunks of 64 KiB.
#[uniffi::export]
pub fn encrypt_attachment(plaintext: Vec<u8>) -> Result<EncryptedAttachment> {
    let plaintext = Zeroizing::new(plaintext);
    let (ciphertext, sealed) =
        crosswire::encrypt_attachment(&mut rand::rng(), &plaintext, crosswire::DEFAULT_CHUNK_SIZE)?;
    Ok(EncryptedAttachment {
        ciphertext,
        sealed: Arc::new(SealedAttachment(sealed)),
    })
}

/// Decrypts a downloaded attachment; nothing is returned unless every check passes.
#[uniffi::export]
pub fn decrypt_attachment(sealed: &SealedAttachment, ciphertext: Vec<u8>) -> Result<Vec<u8>> {
    Ok(crosswire::decrypt_attachment(&sealed.0, &ciphertext)?)
}

/// What a [`Content`] is.
// `repr(C)`: the C ABI returns it too (`cw_content_kind`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ContentKind {
    /// A text message: [`Content::text_body`].
    Text,
    /// An attachment: [`Content::sealed_attachment`].
    Attachment,
    /// Another kind (reply, reaction, edit, delete, receipt), not yet exposed by the bindings.
    Other,
    /// An authentic message whose content does not decode (malformed, or a kind only a newer
    /// version knows). The session moved past it.
    Undecodable,
}

/// One message's content: built to send, or received.
#[derive(uniffi::Object)]
pub struct Content(Option<crosswire::Content>);

impl Content {
    pub(crate) fn received(received: Received) -> Arc<Self> {
        Arc::new(Content(match received {
            Received::Content(c) => Some(c),
            _ => None,
        }))
    }

    pub(crate) fn from_core(content: crosswire::Content) -> Arc<Self> {
        Arc::new(Content(Some(content)))
    }

    pub(crate) fn content(&self) -> Result<&crosswire::Content> {
        self.0
            .as_ref()
            .ok_or_else(|| crosswire::ContentError::Malformed.into())
    }

    fn pointer(&self) -> Option<&AttachmentPointer> {
        match &self.0.as_ref()?.body {
            Body::Attachment(p) => Some(p),
            _ => None,
        }
    }

    fn new(body: impl FnOnce(crosswire::MessageId, u64) -> crosswire::Content) -> Arc<Self> {
        let id = crosswire::MessageId::random(&mut rand::rng());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Arc::new(Content(Some(body(id, now))))
    }
}

#[uniffi::export]
impl Content {
    /// A plain-text message, with a fresh message id and the current time.
    #[uniffi::constructor(name = "text")]
    pub fn new_text(text: String) -> Arc<Self> {
        Content::new(|id, now| crosswire::Content::text(id, now, text))
    }

    /// An attachment message: `sealed` from [`encrypt_attachment`], the MIME type, and where the
    /// ciphertext was uploaded.
    #[uniffi::constructor(name = "attachment")]
    pub fn new_attachment(
        sealed: &SealedAttachment,
        content_type: String,
        locator: String,
    ) -> Result<Arc<Self>> {
        let pointer = AttachmentPointer::new(
            sealed.0.clone(),
            AttachmentKind::File,
            content_type,
            locator,
        );
        pointer.validate()?;
        Ok(Content::new(|id, now| {
            crosswire::Content::attachment(id, now, pointer)
        }))
    }

    /// What it is.
    pub fn kind(&self) -> ContentKind {
        match self.0.as_ref().map(|c| &c.body) {
            None => ContentKind::Undecodable,
            Some(Body::Text(_)) => ContentKind::Text,
            Some(Body::Attachment(_)) => ContentKind::Attachment,
            Some(_) => ContentKind::Other,
        }
    }

    /// The message id (16 bytes); empty for undecodable content.
    pub fn message_id(&self) -> Vec<u8> {
        self.0
            .as_ref()
            .map(|c| c.id.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The sender's timestamp, in milliseconds since the Unix epoch (0 if undecodable).
    pub fn timestamp_ms(&self) -> u64 {
        self.0.as_ref().map_or(0, |c| c.timestamp_ms)
    }

    /// The text of a text message.
    pub fn text_body(&self) -> Option<String> {
        match &self.0.as_ref()?.body {
            Body::Text(t) => Some(t.body.clone()),
            _ => None,
        }
    }

    /// The attachment of an attachment message, to pass to [`decrypt_attachment`].
    pub fn sealed_attachment(&self) -> Option<Arc<SealedAttachment>> {
        self.pointer()
            .map(|p| Arc::new(SealedAttachment(p.sealed.clone())))
    }

    /// Where an attachment's ciphertext is stored.
    pub fn attachment_locator(&self) -> Option<String> {
        self.pointer().map(|p| p.locator.clone())
    }

    /// An attachment's MIME type.
    pub fn attachment_content_type(&self) -> Option<String> {
        self.pointer().map(|p| p.content_type.clone())
    }
}

/// The version of the crosswire library behind these bindings.
#[uniffi::export]
pub fn crosswire_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
