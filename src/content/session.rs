//! Sending and receiving [`Content`] over a [`Session`] (SPEC.md, content in sessions).
//!
//! These wrap [`Session::encrypt`], [`Session::decrypt`], [`Session::respond`] and
//! [`Session::respond_with`] with [`Content::to_plaintext`] and [`Content::from_plaintext`].
//!
//! Content is checked *after* the ratchet authenticated it. An authentic message whose content
//! does not decode (malformed, or of a kind only a newer version knows) is still a delivered
//! message: the session has advanced past it, so it comes back as a success,
//! [`Received::Undecodable`], carrying the session and the plaintext. Nothing is lost, and every
//! `Err` these functions return leaves the session unchanged, as everywhere else.

use core::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::Content;
use crate::error::{ContentError, Error};
use crate::kem_prekey::SignedKemPreKey;
use crate::keys::{IdentityKeyPair, OneTimePreKey, SignedPreKey};
use crate::session::{PostQuantum, Session};
use crate::wire::{Envelope, PreKeyMessage};

/// An authentic message received with [`Session::decrypt_content`],
/// [`Session::respond_content`] or [`Session::respond_content_with`]: its content, or why the
/// content could not be decoded.
///
/// Either way the message key is used up and the session has advanced: save the session.
// Returned once per message and matched at once, never stored in bulk: boxing the content to
// shrink the enum would cost an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(PartialEq, Eq)]
pub enum Received {
    /// The content.
    Content(Content),
    /// The message was authentic but its plaintext is not content this version can decode:
    /// malformed, or of a newer kind ([`ContentError::Unsupported`]: an application may show
    /// "update to see this message" and keep `raw` to decode after an update).
    Undecodable {
        /// Why decoding failed.
        error: ContentError,
        /// The decrypted plaintext, exactly as [`Session::decrypt`] would have returned it.
        /// Wiped on drop: it may hold attachment keys.
        raw: Zeroizing<Vec<u8>>,
    },
}

impl Received {
    pub(crate) fn decode(plaintext: Vec<u8>) -> Self {
        let raw = Zeroizing::new(plaintext);
        match Content::from_plaintext(&raw) {
            Ok(content) => Received::Content(content),
            Err(error) => Received::Undecodable { error, raw },
        }
    }

    /// The content, or the decoding error (dropping the raw plaintext).
    pub fn into_content(self) -> Result<Content, ContentError> {
        match self {
            Received::Content(content) => Ok(content),
            Received::Undecodable { error, .. } => Err(error),
        }
    }
}

impl fmt::Debug for Received {
    /// Never prints the raw plaintext, which may hold attachment keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Received::Content(content) => f.debug_tuple("Content").field(content).finish(),
            Received::Undecodable { error, raw } => f
                .debug_struct("Undecodable")
                .field("error", error)
                .field("raw_len", &raw.len())
                .finish(),
        }
    }
}

impl Session {
    /// Validates, encodes, pads and encrypts `content`. On error the session is unchanged.
    pub fn encrypt_content<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        content: &Content,
    ) -> Result<Envelope, Error> {
        let plaintext = content.to_plaintext()?;
        self.encrypt(rng, &plaintext)
    }

    /// Decrypts a message and decodes its content.
    ///
    /// An error ([`Error::Wire`], [`Error::Decrypt`]) leaves the session unchanged, as
    /// [`Session::decrypt`] does. Any `Ok`, including [`Received::Undecodable`], means the
    /// message was authentic and the session has advanced past it: save the session.
    pub fn decrypt_content(&mut self, envelope: &Envelope) -> Result<Received, Error> {
        Ok(Received::decode(self.decrypt(envelope)?))
    }

    /// [`Session::respond`], decoding the first message's content. Content that does not
    /// decode still starts the session ([`Received::Undecodable`]): store the session and
    /// delete the one-time prekey as for any first message, so that the initiator gets a reply.
    pub fn respond_content(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        message: &PreKeyMessage,
        context: &[u8],
    ) -> Result<(Session, Received), Error> {
        let (session, plaintext) =
            Session::respond(identity, signed_prekey, one_time_prekey, message, context)?;
        Ok((session, Received::decode(plaintext)))
    }

    /// [`Session::respond_with`] (PQXDH or classical, under `policy`), decoding the first
    /// message's content as [`respond_content`](Self::respond_content) does: content that does
    /// not decode still starts the session ([`Received::Undecodable`]).
    pub fn respond_content_with(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        kem_prekey: Option<&SignedKemPreKey>,
        message: &PreKeyMessage,
        context: &[u8],
        policy: PostQuantum,
    ) -> Result<(Session, Received), Error> {
        let (session, plaintext) = Session::respond_with(
            identity,
            signed_prekey,
            one_time_prekey,
            kem_prekey,
            message,
            context,
            policy,
        )?;
        Ok((session, Received::decode(plaintext)))
    }
}
