//! Recently decrypted envelopes per remote device (SPEC.md 14.12), so that a message delivered
//! twice is reported as the duplicate it is.
//!
//! The ratchet alone cannot always tell: a duplicate of a message from an older receiving chain
//! fails authentication exactly like a message from a sender that lost its state, and only the
//! second calls for healing. The account remembers a digest of the last [`SEEN_LEN`] envelopes
//! it decrypted from each device; a hit is a duplicate, whatever the ratchet would say.

use sha2::{Digest, Sha256};

use crate::store::StoreError;

/// How many envelope digests are kept per remote device.
pub(crate) const SEEN_LEN: usize = 64;
const DIGEST_LEN: usize = 16;
const SEEN_VERSION: u8 = 1;
const META_SEEN_PREFIX: &[u8] = b"seen/";

/// The `meta` key of the ring of `address_key`: `"seen/" || address key`.
pub(crate) fn meta_key(address_key: &[u8]) -> Vec<u8> {
    let mut key = META_SEEN_PREFIX.to_vec();
    key.extend_from_slice(address_key);
    key
}

/// `SHA-256(envelope)[0..16]`.
pub(crate) fn digest(envelope: &[u8]) -> [u8; DIGEST_LEN] {
    let full = Sha256::digest(envelope);
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(&full[..DIGEST_LEN]);
    out
}

/// The digests, oldest first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Seen(pub(crate) Vec<[u8; DIGEST_LEN]>);

impl Seen {
    pub(crate) fn contains(&self, d: &[u8; DIGEST_LEN]) -> bool {
        self.0.contains(d)
    }

    /// Appends `d`, dropping the oldest beyond [`SEEN_LEN`].
    pub(crate) fn push(&mut self, d: [u8; DIGEST_LEN]) {
        self.0.push(d);
        if self.0.len() > SEEN_LEN {
            let excess = self.0.len() - SEEN_LEN;
            self.0.drain(..excess);
        }
    }

    /// `u8(1) || u8(n) || n * digest (16)`, oldest first.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + DIGEST_LEN * self.0.len());
        out.push(SEEN_VERSION);
        // At most SEEN_LEN entries.
        out.push(self.0.len() as u8);
        for d in &self.0 {
            out.extend_from_slice(d);
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let [SEEN_VERSION, n, rest @ ..] = bytes else {
            return Err(StoreError::Corrupt);
        };
        let n = usize::from(*n);
        if n > SEEN_LEN || rest.len() != n * DIGEST_LEN {
            return Err(StoreError::Corrupt);
        }
        let mut out = Vec::with_capacity(n);
        for chunk in rest.chunks_exact(DIGEST_LEN) {
            let mut d = [0u8; DIGEST_LEN];
            d.copy_from_slice(chunk);
            out.push(d);
        }
        Ok(Seen(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_exact() {
        let mut seen = Seen::default();
        for i in 0..(SEEN_LEN as u8 + 3) {
            seen.push(digest(&[i]));
        }
        assert_eq!(seen.0.len(), SEEN_LEN);
        assert!(!seen.contains(&digest(&[0])) && seen.contains(&digest(&[3])));
        let bytes = seen.encode();
        assert_eq!(bytes.len(), 2 + 16 * SEEN_LEN);
        assert_eq!(Seen::decode(&bytes).unwrap(), seen);
        assert!(Seen::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(Seen::decode(&[1, 65]).is_err());
        assert_eq!(meta_key(b"\x03bob\0\0\0\x07"), b"seen/\x03bob\0\0\0\x07");
        // SHA-256("") begins e3b0c442 98fc1c14 9afbf4c8 996fb924.
        assert_eq!(
            digest(b""),
            [
                0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
                0xb9, 0x24
            ]
        );
    }
}
