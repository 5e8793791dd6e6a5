//! PQXDH in the core, sans-I/O API (SPEC.md 15): signed ML-KEM-1024 prekeys, the policy on
//! classical setup, and the responder that takes the KEM prekey a first message names. Exported
//! to Kotlin and Swift by UniFFI and wrapped by the C functions of [`crate::c_api`].

use std::sync::Arc;

use crosswire_glue::Responder;

use crate::api::{
    Content, IdentityKeyPair, OneTimePreKey, Responded, RespondedContent, Session, SignedPreKey,
    prekey_message,
};
use crate::error::CrosswireError;

type Result<T> = std::result::Result<T, CrosswireError>;

/// Whether a KEM prekey serves many sessions or one (SPEC.md 15.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KemPreKeyKind {
    /// Served when no one-time KEM prekey is left; kept until the device replaces it.
    LastResort,
    /// Served at most once; delete it once a session used it.
    OneTime,
}

impl From<KemPreKeyKind> for crosswire::KemPreKeyKind {
    fn from(k: KemPreKeyKind) -> Self {
        match k {
            KemPreKeyKind::LastResort => crosswire::KemPreKeyKind::LastResort,
            KemPreKeyKind::OneTime => crosswire::KemPreKeyKind::OneTime,
        }
    }
}

impl From<crosswire::KemPreKeyKind> for KemPreKeyKind {
    fn from(k: crosswire::KemPreKeyKind) -> Self {
        match k {
            crosswire::KemPreKeyKind::LastResort => KemPreKeyKind::LastResort,
            crosswire::KemPreKeyKind::OneTime => KemPreKeyKind::OneTime,
        }
    }
}

/// Whether a session may be set up without post-quantum protection (SPEC.md 15.6). A bundle or
/// first message with a KEM prekey always uses PQXDH; the policy decides about the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PostQuantum {
    /// Refuse classical setup: `bundle.classical_only` when initiating,
    /// `decrypt.classical_only` when responding. The default.
    Required,
    /// Accept classical setup (X3DH) with peers that publish no KEM prekey.
    Allowed,
}

impl From<PostQuantum> for crosswire::PostQuantum {
    fn from(p: PostQuantum) -> Self {
        match p {
            PostQuantum::Required => crosswire::PostQuantum::Required,
            PostQuantum::Allowed => crosswire::PostQuantum::Allowed,
        }
    }
}

/// A signed ML-KEM-1024 prekey: published in the bundle, kept by its owner to accept first
/// messages. Its secret never leaves the library.
#[derive(uniffi::Object)]
pub struct KemPreKey(pub(crate) crosswire::SignedKemPreKey);

#[uniffi::export]
impl KemPreKey {
    /// A fresh KEM prekey of `kind` with id `id` (one id space for both kinds), signed by
    /// `identity`.
    #[uniffi::constructor]
    pub fn generate(identity: &IdentityKeyPair, id: u32, kind: KemPreKeyKind) -> Arc<Self> {
        Arc::new(KemPreKey(crosswire::SignedKemPreKey::generate(
            &mut rand::rng(),
            &identity.0,
            crosswire::KemPreKeyId(id),
            kind.into(),
        )))
    }

    /// Its id.
    pub fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its kind.
    pub fn kind(&self) -> KemPreKeyKind {
        self.0.kind().into()
    }

    /// Its ML-KEM-1024 public key (1568 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }

    /// The identity key's signature over it (64 bytes).
    pub fn signature(&self) -> Vec<u8> {
        self.0.signature().to_vec()
    }
}

/// The responder of SPEC.md 15.6: the session and what `core` (the core's `respond_with` or
/// `respond_content_with`) makes of the first message.
#[allow(clippy::too_many_arguments)] // the responder's arguments, one per prekey, and the core's
pub(crate) fn respond_with<T>(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<&OneTimePreKey>,
    kem_prekey: Option<&KemPreKey>,
    envelope: &[u8],
    context: &[u8],
    policy: PostQuantum,
    core: Responder<T>,
) -> Result<(Arc<Session>, T)> {
    let message = prekey_message(envelope)?;
    let (session, first) = core(
        &identity.0,
        &signed_prekey.0,
        one_time_prekey.map(|k| &k.0),
        kem_prekey.map(|k| &k.0),
        &message,
        context,
        policy.into(),
    )?;
    Ok((Session::wrap(session), first))
}

/// Accepts a session from its first message, PQXDH or classical, given the prekeys it names
/// (`Envelope.signed_prekey_id`, `one_time_prekey_id`, `kem_prekey_id`): any other combination
/// is `decrypt.session_mismatch`; a classical message under [`PostQuantum::Required`] is
/// `decrypt.classical_only`. Delete a one-time prekey, X25519 or KEM, when you store the
/// session; keep a last-resort KEM prekey.
#[uniffi::export]
pub fn session_respond_with(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<Arc<OneTimePreKey>>,
    kem_prekey: Option<Arc<KemPreKey>>,
    envelope: Vec<u8>,
    context: Vec<u8>,
    policy: PostQuantum,
) -> Result<Responded> {
    let (session, plaintext) = respond_with(
        identity,
        signed_prekey,
        one_time_prekey.as_deref(),
        kem_prekey.as_deref(),
        &envelope,
        &context,
        policy,
        crosswire::Session::respond_with,
    )?;
    Ok(Responded { session, plaintext })
}

/// [`session_respond_with`] for a first message that carries [`Content`] (content that does
/// not decode still starts the session, as `ContentKind.Undecodable`).
#[uniffi::export]
pub fn session_respond_content_with(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<Arc<OneTimePreKey>>,
    kem_prekey: Option<Arc<KemPreKey>>,
    envelope: Vec<u8>,
    context: Vec<u8>,
    policy: PostQuantum,
) -> Result<RespondedContent> {
    let (session, received) = respond_with(
        identity,
        signed_prekey,
        one_time_prekey.as_deref(),
        kem_prekey.as_deref(),
        &envelope,
        &context,
        policy,
        crosswire::Session::respond_content_with,
    )?;
    Ok(RespondedContent {
        session,
        content: Content::received(received),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_policies_map_to_the_cores() {
        let identity = IdentityKeyPair::generate();
        for (kind, core) in [
            (KemPreKeyKind::OneTime, crosswire::KemPreKeyKind::OneTime),
            (
                KemPreKeyKind::LastResort,
                crosswire::KemPreKeyKind::LastResort,
            ),
        ] {
            let key = KemPreKey::generate(&identity, 9, kind);
            assert_eq!((key.0.kind(), key.kind(), key.id()), (core, kind, 9));
        }
        let required: crosswire::PostQuantum = PostQuantum::Required.into();
        let allowed: crosswire::PostQuantum = PostQuantum::Allowed.into();
        assert_eq!(
            (required, allowed),
            (
                crosswire::PostQuantum::Required,
                crosswire::PostQuantum::Allowed
            )
        );
    }
}
