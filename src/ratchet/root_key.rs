//! The root key and KDF_RK (SPEC.md section 5.2).

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::chain_key::ChainKey;
use crate::kdf::{LABEL_RATCHET, hkdf_sha256};
use crate::keys::Redacted;
use crate::x25519::SharedSecret;

/// The Double Ratchet root key. Starts as the X3DH secret SK.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKey([u8; 32]);

impl RootKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        RootKey(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// KDF_RK: HKDF-SHA256(salt = RK, IKM = DH output, info = "crosswire/v1/ratchet"), 64 bytes,
    /// split into the next root key and a new chain key.
    pub(crate) fn step(&self, dh_output: &SharedSecret) -> (RootKey, ChainKey) {
        let mut okm = [0u8; 64];
        hkdf_sha256(&self.0, dh_output.as_bytes(), LABEL_RATCHET, &mut okm);
        let mut root = [0u8; 32];
        let mut chain = [0u8; 32];
        root.copy_from_slice(&okm[..32]);
        chain.copy_from_slice(&okm[32..]);
        okm.zeroize();
        (RootKey(root), ChainKey::new(chain))
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RootKey").field(&Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_the_redacted_form() {
        assert_eq!(
            format!("{:?}", RootKey::new([0x42; 32])),
            "RootKey([redacted])"
        );
    }
}
