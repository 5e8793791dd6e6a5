//! Sending and receiving [`Content`] over a [`Session`] (SPEC.md, content in sessions).
//!
//! These wrap [`Session::encrypt`], [`Session::decrypt`] and [`Session::respond`] with
//! [`Content::to_plaintext`] and [`Content::from_plaintext`].
//!
//! Content is checked *after* the ratchet authenticated it. If an authentic message carries
//! malformed (or newer, unsupported) content, [`Session::decrypt_content`] returns
//! [`Error::Content`] and the session **has advanced**: the message key is deleted as for any
//! delivered message. Rolling back would keep a key alive only to fail the same way again, and
//! the peer could not tell the difference. [`Session::respond_content`] in the same case returns
//! the error and no session, so nothing is stored and no one-time prekey is consumed.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::Content;
use crate::error::Error;
use crate::keys::{IdentityKeyPair, OneTimePreKey, SignedPreKey};
use crate::session::Session;
use crate::wire::{Envelope, PreKeyMessage};

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
    /// A ratchet failure ([`Error::Wire`], [`Error::Decrypt`]) leaves the session unchanged,
    /// as [`Session::decrypt`] does. [`Error::Content`] means the message was authentic but its
    /// content is malformed or of a kind this version does not know: the session has advanced
    /// past it, so save the session as after a successful decrypt.
    pub fn decrypt_content(&mut self, envelope: &Envelope) -> Result<Content, Error> {
        let plaintext = Zeroizing::new(self.decrypt(envelope)?);
        Ok(Content::from_plaintext(&plaintext)?)
    }

    /// [`Session::respond`], decoding the first message's content. If the message is authentic
    /// but its content is not valid, returns [`Error::Content`] and no session: store nothing
    /// and keep the one-time prekey.
    pub fn respond_content(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        message: &PreKeyMessage,
        context: &[u8],
    ) -> Result<(Session, Content), Error> {
        let (session, plaintext) =
            Session::respond(identity, signed_prekey, one_time_prekey, message, context)?;
        let plaintext = Zeroizing::new(plaintext);
        Ok((session, Content::from_plaintext(&plaintext)?))
    }
}
