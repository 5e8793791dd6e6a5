//! Chain keys and KDF_CK (SPEC.md section 5.3).

use core::fmt;

use hmac::Mac;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::message_key::MessageSeed;
use crate::kdf::keyed_hmac;
use crate::keys::Redacted;

/// A sending or receiving chain key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ChainKey([u8; 32]);

impl ChainKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        ChainKey(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// KDF_CK: returns this position's message seed HMAC(CK, 0x01) and moves the chain forward
    /// to HMAC(CK, 0x02), overwriting the old key in place.
    pub(crate) fn advance(&mut self) -> MessageSeed {
        // Both outputs use the same HMAC key; keying once and cloning halves the key setup.
        let keyed = keyed_hmac(&self.0);
        let mut seed_mac = keyed.clone();
        seed_mac.update(&[0x01]);
        let mut next_mac = keyed;
        next_mac.update(&[0x02]);
        let seed = MessageSeed::new(seed_mac.finalize().into_bytes().into());
        self.0 = next_mac.finalize().into_bytes().into();
        seed
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChainKey").field(&Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kdf::hmac_sha256;

    #[test]
    fn advance_matches_two_independent_hmacs() {
        let ck = [0x42u8; 32];
        let mut chain = ChainKey::new(ck);
        let seed = chain.advance();
        assert_eq!(seed.as_bytes(), &hmac_sha256(&ck, &[1]));
        assert_eq!(chain.as_bytes(), &hmac_sha256(&ck, &[2]));
    }

    #[test]
    fn debug_prints_the_redacted_form() {
        assert_eq!(
            format!("{:?}", ChainKey::new([0x42; 32])),
            "ChainKey([redacted])"
        );
    }
}
