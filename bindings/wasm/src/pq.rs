//! PQXDH in the core API (SPEC.md 15), as the UniFFI and PyO3 bindings have it: signed
//! ML-KEM-1024 prekeys, bundles carrying one, the initiator's policy on classical bundles, the
//! responder that takes the KEM prekey a first message names, and the envelope fields that say
//! which prekeys those are.
//!
//! The kind and the policy cross as strings (`"one-time"`, `"last-resort"`; `"required"`,
//! `"allowed"`), as `Content.kind` does: anything else is `binding.invalid_argument`, where a
//! numeric enum's stray value would not get a `CrosswireError`.

use wasm_bindgen::prelude::*;

use crate::rng::{RandomSource, with_rng};
use crate::{
    CrosswireError, IdentityKeyPair, OneTimePreKey, PreKeyBundle, Responded, Result, Session,
    SignedPreKey,
};

fn kind(name: &str) -> Result<crosswire::KemPreKeyKind> {
    match name {
        "one-time" => Ok(crosswire::KemPreKeyKind::OneTime),
        "last-resort" => Ok(crosswire::KemPreKeyKind::LastResort),
        _ => Err(CrosswireError::new(
            "InvalidArgument",
            "KEM prekey kind: \"one-time\" or \"last-resort\"",
        )),
    }
}

fn policy(name: &str) -> Result<crosswire::PostQuantum> {
    match name {
        "required" => Ok(crosswire::PostQuantum::Required),
        "allowed" => Ok(crosswire::PostQuantum::Allowed),
        _ => Err(CrosswireError::new(
            "InvalidArgument",
            "post-quantum policy: \"required\" or \"allowed\"",
        )),
    }
}

/// A signed ML-KEM-1024 prekey: published in a bundle, kept by its owner to accept the first
/// messages that name it. Its secret never leaves the module.
#[wasm_bindgen]
pub struct KemPreKey(pub(crate) crosswire::SignedKemPreKey);

#[wasm_bindgen]
impl KemPreKey {
    /// A fresh KEM prekey with id `id` (one id space for both kinds), signed by `identity`;
    /// `kind` is `"one-time"` (served at most once, deleted once a session used it) or
    /// `"last-resort"` (served when no one-time KEM prekey is left, kept until replaced).
    pub fn generate(
        identity: &IdentityKeyPair,
        id: u32,
        kind: &str,
        rng: Option<RandomSource>,
    ) -> Result<KemPreKey> {
        let kind = self::kind(kind)?;
        with_rng(rng, |r| {
            Ok(KemPreKey(crosswire::SignedKemPreKey::generate(
                r,
                &identity.0,
                crosswire::KemPreKeyId(id),
                kind,
            )))
        })
    }

    /// Its id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.0.id().0
    }

    /// `"one-time"` or `"last-resort"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        match self.0.kind() {
            crosswire::KemPreKeyKind::OneTime => "one-time",
            crosswire::KemPreKeyKind::LastResort => "last-resort",
        }
        .to_owned()
    }

    /// Its ML-KEM-1024 public key (1568 bytes).
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }

    /// The identity key's signature over it (64 bytes).
    pub fn signature(&self) -> Vec<u8> {
        self.0.signature().to_vec()
    }
}

#[wasm_bindgen]
impl PreKeyBundle {
    /// The post-quantum (version 2) bundle of `identity` with `signedPreKey` and `kemPreKey`,
    /// no one-time prekey: sessions from it use PQXDH.
    #[wasm_bindgen(js_name = postQuantum)]
    pub fn post_quantum(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        kem_prekey: &KemPreKey,
    ) -> Result<PreKeyBundle> {
        PreKeyBundle::build(identity, signed_prekey, None, Some(kem_prekey))
    }

    /// [`postQuantum`](Self::post_quantum) with `oneTimePreKey` too.
    #[wasm_bindgen(js_name = postQuantumWithOneTimePreKey)]
    pub fn post_quantum_with_one_time_prekey(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: &OneTimePreKey,
        kem_prekey: &KemPreKey,
    ) -> Result<PreKeyBundle> {
        PreKeyBundle::build(
            identity,
            signed_prekey,
            Some(one_time_prekey),
            Some(kem_prekey),
        )
    }

    /// The KEM prekey's id, or `undefined` for a classical bundle (which `Session.initiate`
    /// refuses).
    #[wasm_bindgen(getter, js_name = kemPreKeyId)]
    pub fn kem_prekey_id(&self) -> Option<u32> {
        self.0.kem_prekey().map(|(id, _, _)| id.0)
    }
}

#[wasm_bindgen]
impl Session {
    /// [`initiate`](Self::initiate) with an explicit policy for classical bundles: `"allowed"`
    /// runs X3DH with a bundle that carries no KEM prekey, `"required"` refuses it
    /// (`bundle.classical_only`). A bundle with a KEM prekey always gets PQXDH.
    #[wasm_bindgen(js_name = initiateWith)]
    pub fn initiate_with(
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: &[u8],
        policy: &str,
        rng: Option<RandomSource>,
    ) -> Result<Session> {
        let policy = self::policy(policy)?;
        with_rng(rng, |r| {
            Ok(Session(crosswire::Session::initiate_with(
                r,
                &identity.0,
                &bundle.0,
                context,
                policy,
            )?))
        })
    }

    /// Accepts a session from a PQXDH first message that used `kemPreKey` (the one its
    /// `Envelope.kemPreKeyId` names) and no one-time prekey. A message naming other prekeys,
    /// or a classical one, is `decrypt.session_mismatch`. Delete a one-time KEM prekey once
    /// the session is stored; keep a last-resort one.
    #[wasm_bindgen(js_name = respondPostQuantum)]
    pub fn respond_post_quantum(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        kem_prekey: &KemPreKey,
        envelope: &[u8],
        context: &[u8],
    ) -> Result<Responded> {
        Session::accept(
            identity,
            signed_prekey,
            None,
            Some(kem_prekey),
            envelope,
            context,
        )
    }

    /// [`respondPostQuantum`](Self::respond_post_quantum) for a first message that also used
    /// `oneTimePreKey` (delete it once the session is stored).
    #[wasm_bindgen(js_name = respondPostQuantumWithOneTimePreKey)]
    pub fn respond_post_quantum_with_one_time_prekey(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: &OneTimePreKey,
        kem_prekey: &KemPreKey,
        envelope: &[u8],
        context: &[u8],
    ) -> Result<Responded> {
        Session::accept(
            identity,
            signed_prekey,
            Some(one_time_prekey),
            Some(kem_prekey),
            envelope,
            context,
        )
    }
}

/// A received envelope, decoded to route it (no cryptography yet): a prekey message starts a
/// session, and its fields name the prekeys to respond with; any other goes to the existing
/// session.
#[wasm_bindgen]
pub struct Envelope(crosswire::Envelope);

#[wasm_bindgen]
impl Envelope {
    /// Decodes an envelope (`wire.*` if it is malformed).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope> {
        let envelope = crosswire::Envelope::from_bytes(bytes).map_err(crosswire::Error::Wire)?;
        Ok(Envelope(envelope))
    }

    /// Whether it is a prekey message (it may start a session).
    #[wasm_bindgen(getter, js_name = isPreKey)]
    pub fn is_prekey(&self) -> bool {
        self.prekey().is_some()
    }

    /// For a prekey message, the sender's identity key (32 bytes); else `undefined`.
    #[wasm_bindgen(getter, js_name = senderIdentityKey)]
    pub fn sender_identity_key(&self) -> Option<Vec<u8>> {
        self.prekey().map(|p| p.identity_key().as_bytes().to_vec())
    }

    /// For a prekey message, the id of the signed prekey it was sent to; else `undefined`.
    #[wasm_bindgen(getter, js_name = signedPreKeyId)]
    pub fn signed_prekey_id(&self) -> Option<u32> {
        self.prekey().map(|p| p.signed_prekey_id().0)
    }

    /// For a prekey message that used a one-time prekey, its id; else `undefined`.
    #[wasm_bindgen(getter, js_name = oneTimePreKeyId)]
    pub fn one_time_prekey_id(&self) -> Option<u32> {
        self.prekey()
            .and_then(|p| p.one_time_prekey_id())
            .map(|id| id.0)
    }

    /// For a PQXDH prekey message, the id of the KEM prekey it used (respond with that
    /// [`KemPreKey`]); `undefined` for a classical one or another envelope.
    #[wasm_bindgen(getter, js_name = kemPreKeyId)]
    pub fn kem_prekey_id(&self) -> Option<u32> {
        self.prekey().and_then(|p| p.kem_prekey_id()).map(|id| id.0)
    }
}

impl Envelope {
    fn prekey(&self) -> Option<&crosswire::PreKeyMessage> {
        match &self.0 {
            crosswire::Envelope::PreKey(p) => Some(p),
            crosswire::Envelope::Ratchet(_) => None,
        }
    }
}
