//! The sender chain: chain key steps and per-message keys (SPEC.md 16.3).
//!
//! The chain step is KDF_CK of the 1:1 ratchet (SPEC.md 5.3); the message key is derived from
//! the position's seed and a fresh per-message salt as in SPEC.md 5.4, under a group label, so
//! that no group key can ever equal a 1:1 key.

use core::fmt;

use hmac::Mac;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::aead;
use crate::kdf::{hkdf_sha256, keyed_hmac};
use crate::keys::Redacted;

/// HKDF `info` for a group message's AES-256-GCM key and nonce.
pub(crate) const LABEL_GROUP_MESSAGE: &[u8] = b"crosswire/v1/group-message";
/// Prefix of the bytes a group message's signature covers.
pub(crate) const LABEL_GROUP_SIGNATURE: &[u8] = b"crosswire/v1/group-signature";

/// Length of a chain key, a message seed and a salt-derived key.
pub(crate) const KEY_LEN: usize = 32;
/// Length of the per-message salt.
pub(crate) const SALT_LEN: usize = 16;

/// A sender chain key at some position.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SenderChainKey([u8; KEY_LEN]);

impl SenderChainKey {
    pub(crate) fn new(bytes: [u8; KEY_LEN]) -> Self {
        SenderChainKey(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Returns this position's seed `HMAC(CK, 0x01)` and moves to `HMAC(CK, 0x02)`.
    pub(crate) fn advance(&mut self) -> SenderMessageSeed {
        // One key setup serves both outputs.
        let keyed = keyed_hmac(&self.0);
        let mut seed = keyed.clone();
        seed.update(&[0x01]);
        let mut next = keyed;
        next.update(&[0x02]);
        let seed = SenderMessageSeed(seed.finalize().into_bytes().into());
        self.0 = next.finalize().into_bytes().into();
        seed
    }
}

impl fmt::Debug for SenderChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SenderChainKey").field(&Redacted).finish()
    }
}

/// The seed of one chain position; stored for skipped positions.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SenderMessageSeed([u8; KEY_LEN]);

impl SenderMessageSeed {
    pub(crate) fn new(bytes: [u8; KEY_LEN]) -> Self {
        SenderMessageSeed(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// `HKDF(salt, seed, "crosswire/v1/group-message", 44)` = key (32) || nonce (12).
    pub(crate) fn message_key(&self, salt: &[u8; SALT_LEN]) -> SenderMessageKey {
        let mut okm = [0u8; KEY_LEN + aead::NONCE_LEN];
        hkdf_sha256(salt, &self.0, LABEL_GROUP_MESSAGE, &mut okm);
        let mut key = SenderMessageKey {
            key: [0; KEY_LEN],
            nonce: [0; aead::NONCE_LEN],
        };
        key.key.copy_from_slice(&okm[..KEY_LEN]);
        key.nonce.copy_from_slice(&okm[KEY_LEN..]);
        okm.zeroize();
        key
    }
}

impl fmt::Debug for SenderMessageSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SenderMessageSeed").field(&Redacted).finish()
    }
}

/// The key and nonce of exactly one group message; consumed by use.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SenderMessageKey {
    key: [u8; KEY_LEN],
    nonce: [u8; aead::NONCE_LEN],
}

impl SenderMessageKey {
    pub(crate) fn seal(self, ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, aead::SealTooLarge> {
        aead::seal(&self.key, &self.nonce, ad, plaintext)
    }

    pub(crate) fn open(self, ad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        aead::open(&self.key, &self.nonce, ad, ciphertext)
    }

    #[cfg(test)]
    pub(crate) fn parts(&self) -> (&[u8; KEY_LEN], &[u8; aead::NONCE_LEN]) {
        (&self.key, &self.nonce)
    }
}

impl fmt::Debug for SenderMessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SenderMessageKey").field(&Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kdf::hmac_sha256;

    #[test]
    fn step_is_two_hmacs_and_labels_differ_from_one_to_one() {
        let ck = [0x24u8; 32];
        let mut chain = SenderChainKey::new(ck);
        let seed = chain.advance();
        assert_eq!(seed.as_bytes(), &hmac_sha256(&ck, &[1]));
        assert_eq!(chain.as_bytes(), &hmac_sha256(&ck, &[2]));
        assert_ne!(LABEL_GROUP_MESSAGE, crate::kdf::LABEL_MESSAGE);
    }

    /// The redacted forms, written out: the type and a placeholder, never a byte of the key.
    #[test]
    fn debug_prints_the_type_and_redacts_the_key() {
        let mut chain = SenderChainKey::new([0xab; KEY_LEN]);
        assert_eq!(format!("{chain:?}"), "SenderChainKey([redacted])");
        let seed = chain.advance();
        assert_eq!(format!("{seed:?}"), "SenderMessageSeed([redacted])");
        let key = seed.message_key(&[0; SALT_LEN]);
        assert_eq!(format!("{key:?}"), "SenderMessageKey([redacted])");
    }
}
