//! PQXDH session setup (SPEC.md 15.6) and the policy on classical setup.

use rand_core::CryptoRng;

use super::{Session, associated_data, check_context};
use crate::bundle::PreKeyBundle;
use crate::error::{BundleError, DecryptError, Error};
use crate::kem_prekey::SignedKemPreKey;
use crate::keys::{IdentityKeyPair, OneTimePreKey, SignedPreKey};
use crate::pqxdh::{self, PqxdhError};
use crate::ratchet::DoubleRatchet;
use crate::ratchet::header::{KemFields, PreKeyFields};
use crate::wire::PreKeyMessage;
use crate::x3dh;

/// Whether a session may be set up without post-quantum protection (SPEC.md 15.6).
///
/// A bundle or prekey message that carries a KEM prekey is always used with PQXDH; the policy
/// only decides what happens to classical (X3DH-only) ones. A server that strips the KEM
/// prekey from a bundle leaves a validly signed classical bundle, so only the initiator's
/// refusal stops that downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostQuantum {
    /// Refuse classical setup: [`BundleError::ClassicalOnly`] when initiating,
    /// [`DecryptError::ClassicalOnly`] when responding. The default.
    #[default]
    Required,
    /// Accept classical setup (X3DH) with peers that publish no KEM prekey.
    Allowed,
}

impl Session {
    /// [`initiate`](Self::initiate) with an explicit policy for classical bundles.
    pub fn initiate_with<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: &[u8],
        policy: PostQuantum,
    ) -> Result<Session, Error> {
        check_context(context)?;
        let Some(kem_prekey) = bundle.verified_kem_prekey() else {
            return match policy {
                PostQuantum::Required => Err(BundleError::ClassicalOnly.into()),
                PostQuantum::Allowed => Self::initiate_classical(rng, identity, bundle, context),
            };
        };
        let start = pqxdh::initiate(rng, identity, bundle, kem_prekey).map_err(|e| match e {
            PqxdhError::Key(e) => Error::Key(e),
            PqxdhError::Kem(e) => Error::Kem(e),
        })?;
        let ratchet = DoubleRatchet::initiator(rng, start.root_key, bundle.signed_prekey())?;
        Ok(Session {
            local_identity: *identity.public(),
            remote_identity: *bundle.identity_key(),
            associated_data: associated_data(identity.public(), bundle.identity_key(), context),
            ratchet,
            origin: PreKeyFields {
                identity_key: *identity.public(),
                base_key: *start.ephemeral.public(),
                signed_prekey_id: bundle.signed_prekey_id(),
                one_time_prekey_id: bundle.one_time_prekey().map(|(id, _)| id),
                kem: Some(KemFields {
                    prekey_id: kem_prekey.id(),
                    ciphertext_hash: start.kem_ciphertext.hash(),
                }),
            },
            initiator: true,
            awaiting_reply: true,
            kem_ciphertext: Some(start.kem_ciphertext),
        })
    }

    /// Accepts a session from its first message, PQXDH or classical, returning the session and
    /// the plaintext.
    ///
    /// Supply the prekeys the message names ([`PreKeyMessage::signed_prekey_id`],
    /// [`PreKeyMessage::one_time_prekey_id`], [`PreKeyMessage::kem_prekey_id`]); any other
    /// combination is [`DecryptError::SessionMismatch`]. Under [`PostQuantum::Required`] a
    /// classical message is [`DecryptError::ClassicalOnly`]. Delete a one-time prekey, X25519
    /// or KEM, in the same storage transaction that saves the returned session; keep a
    /// last-resort KEM prekey. A tampered KEM ciphertext gives another `SK`, so the first
    /// message fails to decrypt ([`DecryptError::AuthenticationFailed`]) and nothing changes.
    pub fn respond_with(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        kem_prekey: Option<&SignedKemPreKey>,
        message: &PreKeyMessage,
        context: &[u8],
        policy: PostQuantum,
    ) -> Result<(Session, Vec<u8>), Error> {
        check_context(context)?;
        let fields = &message.fields;
        match (fields.kem, &message.kem_ciphertext, kem_prekey) {
            (None, _, None) => {
                if policy == PostQuantum::Required {
                    return Err(DecryptError::ClassicalOnly.into());
                }
                Self::accept(
                    identity,
                    signed_prekey,
                    one_time_prekey,
                    message,
                    context,
                    || {
                        x3dh::respond(
                            identity,
                            signed_prekey,
                            one_time_prekey,
                            &fields.identity_key,
                            &fields.base_key,
                        )
                    },
                )
            }
            (Some(kem), Some(ciphertext), Some(kem_prekey)) if kem.prekey_id == kem_prekey.id() => {
                Self::accept(
                    identity,
                    signed_prekey,
                    one_time_prekey,
                    message,
                    context,
                    || {
                        pqxdh::respond(
                            identity,
                            signed_prekey,
                            one_time_prekey,
                            kem_prekey,
                            &fields.identity_key,
                            &fields.base_key,
                            ciphertext,
                        )
                    },
                )
            }
            _ => Err(DecryptError::SessionMismatch.into()),
        }
    }
}
