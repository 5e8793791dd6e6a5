//! Message seeds and message keys (SPEC.md section 5.4).
//!
//! A chain yields a 32-byte *seed* per position; the AES key and nonce come from the seed and a
//! fresh 16-byte salt carried in the header. Skipped positions store the seed, so a stored entry
//! is 32 bytes and never a ready-to-use key.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::aead;
use crate::kdf::{LABEL_MESSAGE, hkdf_sha256};
use crate::keys::Redacted;

/// Length of the per-message salt.
pub(crate) const SALT_LEN: usize = 16;

/// The output of KDF_CK for one chain position.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageSeed([u8; 32]);

impl MessageSeed {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        MessageSeed(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// HKDF-SHA256(salt, IKM = seed, info = "crosswire/v1/message") -> key (32) || nonce (12).
    pub(crate) fn message_key(&self, salt: &[u8; SALT_LEN]) -> MessageKey {
        let mut okm = [0u8; 44];
        hkdf_sha256(salt, &self.0, LABEL_MESSAGE, &mut okm);
        let mut key = MessageKey {
            key: [0; 32],
            nonce: [0; 12],
        };
        key.key.copy_from_slice(&okm[..32]);
        key.nonce.copy_from_slice(&okm[32..]);
        okm.zeroize();
        key
    }
}

impl fmt::Debug for MessageSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MessageSeed").field(&Redacted).finish()
    }
}

/// An AES-256-GCM key and nonce for exactly one message. Using it consumes it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageKey {
    key: [u8; 32],
    nonce: [u8; aead::NONCE_LEN],
}

impl MessageKey {
    pub(crate) fn seal(self, ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, aead::SealTooLarge> {
        aead::seal(&self.key, &self.nonce, ad, plaintext)
    }

    pub(crate) fn open(self, ad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        aead::open(&self.key, &self.nonce, ad, ciphertext)
    }

    #[cfg(test)]
    pub(crate) fn parts(&self) -> (&[u8; 32], &[u8; aead::NONCE_LEN]) {
        (&self.key, &self.nonce)
    }
}

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MessageKey").field(&Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_the_redacted_form() {
        let seed = MessageSeed::new([0x42; 32]);
        assert_eq!(format!("{seed:?}"), "MessageSeed([redacted])");
        assert_eq!(
            format!("{:?}", seed.message_key(&[0; SALT_LEN])),
            "MessageKey([redacted])"
        );
    }
}
