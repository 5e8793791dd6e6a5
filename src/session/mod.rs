//! Sessions: X3DH to start, the Double Ratchet to talk (SPEC.md sections 4, 5 and 7).
//!
//! Sans-I/O: a [`Session`] is a value. Methods take bytes and keys in and give bytes out;
//! storing sessions and prekeys, and fetching bundles, belong to the application.

mod encode;
mod pq;
mod state;

pub use pq::PostQuantum;
pub use state::MAX_STATE_LEN;

use core::fmt;

use rand_core::CryptoRng;

use crate::bundle::PreKeyBundle;
use crate::error::{DecryptError, EncryptError, Error};
use crate::kem::KemCiphertext;
use crate::keys::{IdentityKey, IdentityKeyPair, OneTimePreKey, SignedPreKey};
use crate::ratchet::header::PreKeyFields;
use crate::ratchet::{AdContext, DoubleRatchet};
use crate::wire::{Envelope, MAX_PLAINTEXT_LEN, PreKeyMessage, RatchetMessage};
use crate::x3dh;

/// Longest application context accepted by [`Session::initiate`] and [`Session::respond`].
pub const MAX_CONTEXT_LEN: usize = 1024;

/// An end-to-end encrypted session with one remote device.
///
/// Created by [`Session::initiate`] (you fetched their bundle) or [`Session::respond`] (their
/// first message arrived). Every method that fails leaves the session exactly as it was.
///
/// `Clone` copies the whole state, secrets included, for speculative work such as trying a
/// message against a copy. Keep using only one copy afterwards: two copies that both send would
/// fork the conversation (the per-message salt still keeps their AES keys distinct, SPEC.md 5.4,
/// but the peer can follow only one of them).
#[derive(Clone)]
pub struct Session {
    local_identity: IdentityKey,
    remote_identity: IdentityKey,
    /// AD = IK_A || IK_B || context.
    associated_data: Vec<u8>,
    ratchet: DoubleRatchet,
    /// The X3DH parameters this session began with.
    origin: PreKeyFields,
    initiator: bool,
    /// Initiator only: the prekey header rides on every message until a reply arrives.
    awaiting_reply: bool,
    /// PQXDH initiator awaiting a reply: the KEM ciphertext its prekey messages carry.
    kem_ciphertext: Option<KemCiphertext>,
}

impl Session {
    /// Starts a session with the owner of `bundle` (whose signatures were verified when the
    /// bundle was built or decoded): PQXDH (SPEC.md 15.6), as the bundle carries a KEM prekey.
    /// A classical (version 1) bundle is refused with
    /// [`BundleError::ClassicalOnly`](crate::BundleError::ClassicalOnly) (the default policy,
    /// [`PostQuantum::Required`]); [`initiate_with`](Self::initiate_with) can allow it.
    ///
    /// `context` is extra associated data both sides must agree on, such as the two account
    /// addresses; pass `b""` if there is none. At most [`MAX_CONTEXT_LEN`] bytes.
    ///
    /// Messages from [`encrypt`](Self::encrypt) are [`Envelope::PreKey`] until the first reply
    /// is decrypted.
    pub fn initiate<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: &[u8],
    ) -> Result<Session, Error> {
        Self::initiate_with(rng, identity, bundle, context, PostQuantum::default())
    }

    /// X3DH: the bundle carries no KEM prekey and the policy allowed that.
    fn initiate_classical<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: &[u8],
    ) -> Result<Session, Error> {
        let (ephemeral, shared_secret) = x3dh::initiate(rng, identity, bundle)?;
        let ratchet = DoubleRatchet::initiator(rng, shared_secret, bundle.signed_prekey())?;
        Ok(Session {
            local_identity: *identity.public(),
            remote_identity: *bundle.identity_key(),
            associated_data: associated_data(identity.public(), bundle.identity_key(), context),
            ratchet,
            origin: PreKeyFields {
                identity_key: *identity.public(),
                base_key: *ephemeral.public(),
                signed_prekey_id: bundle.signed_prekey_id(),
                one_time_prekey_id: bundle.one_time_prekey().map(|(id, _)| id),
                kem: None,
            },
            initiator: true,
            awaiting_reply: true,
            kem_ciphertext: None,
        })
    }

    /// Accepts a session from its first message, returning the session and the plaintext.
    ///
    /// Look up the prekeys named by [`PreKeyMessage::signed_prekey_id`] and
    /// [`PreKeyMessage::one_time_prekey_id`] first. Delete the one-time prekey in the same
    /// storage transaction that saves the returned session: never before (a forged message
    /// would burn it), never later (a replay could reuse it).
    ///
    /// A replayed prekey message that used no one-time prekey yields a second session with the
    /// same keys for *receiving*; its replies still use fresh ratchet keys (SPEC.md 4.4).
    /// Check [`PreKeyMessage::identity_key`] against the sender you expect.
    pub fn respond(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        message: &PreKeyMessage,
        context: &[u8],
    ) -> Result<(Session, Vec<u8>), Error> {
        Self::respond_with(
            identity,
            signed_prekey,
            one_time_prekey,
            None,
            message,
            context,
            PostQuantum::Allowed,
        )
    }

    /// The responder's common part: checks the X25519 prekeys against the message, derives
    /// `SK` with `derive` (X3DH or PQXDH), and decrypts the first message.
    fn accept(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        message: &PreKeyMessage,
        context: &[u8],
        derive: impl FnOnce() -> Result<crate::ratchet::root_key::RootKey, crate::KeyError>,
    ) -> Result<(Session, Vec<u8>), Error> {
        check_context(context)?;
        let fields = &message.fields;
        if fields.signed_prekey_id != signed_prekey.id()
            || fields.one_time_prekey_id != one_time_prekey.map(|k| k.id())
        {
            return Err(DecryptError::SessionMismatch.into());
        }
        let shared_secret = derive().map_err(|_| DecryptError::AuthenticationFailed)?;
        let mut session = Session {
            local_identity: *identity.public(),
            remote_identity: fields.identity_key,
            associated_data: associated_data(&fields.identity_key, identity.public(), context),
            ratchet: DoubleRatchet::responder(shared_secret, signed_prekey.key_pair().clone()),
            origin: *fields,
            initiator: false,
            awaiting_reply: false,
            kem_ciphertext: None,
        };
        let ad = AdContext {
            prekey: Some(fields),
            session_ad: &session.associated_data,
        };
        let m = &message.message;
        let plaintext = session.ratchet.decrypt(&m.header(), &m.ciphertext, ad)?;
        Ok((session, plaintext))
    }

    /// Encrypts one message. `rng` supplies the per-message salt and, when the ratchet turns,
    /// a new ratchet key; [`rand::rng()`] is a good choice.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Envelope, Error> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(EncryptError::PlaintextTooLarge.into());
        }
        let prekey = self.awaiting_reply.then_some(&self.origin);
        let ad = AdContext {
            prekey,
            session_ad: &self.associated_data,
        };
        let (header, ciphertext) = self.ratchet.encrypt(rng, ad, plaintext)?;
        let message = RatchetMessage::new(header, ciphertext);
        Ok(match prekey {
            Some(fields) => Envelope::PreKey(Box::new(PreKeyMessage {
                fields: *fields,
                kem_ciphertext: self.kem_ciphertext.clone(),
                message,
            })),
            None => Envelope::Ratchet(message),
        })
    }

    /// Decrypts one message. On any error the session is unchanged, so the next genuine
    /// message still decrypts.
    ///
    /// A [`Envelope::PreKey`] is accepted when it continues this session (the initiator keeps
    /// sending them until it sees a reply); one that starts a different session is
    /// [`DecryptError::SessionMismatch`]: pass it to [`Session::respond`] instead.
    pub fn decrypt(&mut self, envelope: &Envelope) -> Result<Vec<u8>, Error> {
        let (prekey, message) = match envelope {
            Envelope::Ratchet(m) => (None, m),
            Envelope::PreKey(p) => {
                if self.initiator {
                    return Err(DecryptError::UnexpectedMessageType.into());
                }
                if p.fields != self.origin {
                    return Err(DecryptError::SessionMismatch.into());
                }
                (Some(&p.fields), &p.message)
            }
        };
        let ad = AdContext {
            prekey,
            session_ad: &self.associated_data,
        };
        let plaintext = self
            .ratchet
            .decrypt(&message.header(), &message.ciphertext, ad)?;
        // Anything that authenticates came from the peer, so the initiator has its reply.
        self.awaiting_reply = false;
        self.kem_ciphertext = None;
        Ok(plaintext)
    }

    /// Our identity key.
    pub fn local_identity(&self) -> &IdentityKey {
        &self.local_identity
    }

    /// The peer's identity key.
    pub fn remote_identity(&self) -> &IdentityKey {
        &self.remote_identity
    }

    /// Whether our messages still carry the X3DH prekey header (initiator, no reply yet).
    pub fn awaiting_reply(&self) -> bool {
        self.awaiting_reply
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Session {
            local_identity,
            remote_identity,
            associated_data: _,
            ratchet,
            origin: _,
            initiator,
            awaiting_reply,
            kem_ciphertext: _,
        } = self;
        f.debug_struct("Session")
            .field("local_identity", local_identity)
            .field("remote_identity", remote_identity)
            .field("initiator", initiator)
            .field("awaiting_reply", awaiting_reply)
            .field("skipped_keys", &ratchet.skipped.len())
            .field("secrets", &crate::keys::Redacted)
            .finish()
    }
}

fn check_context(context: &[u8]) -> Result<(), Error> {
    if context.len() > MAX_CONTEXT_LEN {
        return Err(Error::ContextTooLarge);
    }
    Ok(())
}

fn associated_data(initiator: &IdentityKey, responder: &IdentityKey, context: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(64 + context.len());
    ad.extend_from_slice(initiator.as_bytes());
    ad.extend_from_slice(responder.as_bytes());
    ad.extend_from_slice(context);
    ad
}
