//! X25519 public keys as they travel on the wire, key pairs, and the contributory
//! Diffie-Hellman every crosswire DH makes (SPEC.md sections 2.2 and 2.3).

use core::fmt;

use rand_core::CryptoRng;
use x25519_dalek::StaticSecret;

use super::{Hex, PUBLIC_KEY_LEN, Redacted};
use crate::error::KeyError;
use crate::x25519::{SharedSecret, x25519};

/// An X25519 public key: a signed prekey, one-time prekey, base key or ratchet key.
///
/// Construction checks the encoding is canonical (`u < p`, bit 255 clear) and that the point is
/// not of low order, so a key of this type always makes Diffie-Hellman depend on our secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub(super) [u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Parses and validates 32 bytes.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, KeyError> {
        if !is_canonical_u(bytes) {
            return Err(KeyError::NonCanonical);
        }
        if LOW_ORDER_U.contains(bytes) {
            return Err(KeyError::LowOrder);
        }
        Ok(PublicKey(*bytes))
    }

    /// Parses and validates a slice that must be exactly 32 bytes.
    pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| KeyError::InvalidLength)?;
        Self::from_bytes(bytes)
    }

    /// The 32-byte encoding (little-endian u-coordinate, RFC 7748).
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", Hex(&self.0))
    }
}

/// X25519 u-coordinates of the points of order 1, 2, 4 and 8 that have a canonical encoding:
/// 0, 1, the two points of order 8, and p - 1 (libsodium's blocklist without its non-canonical
/// entries, which `is_canonical_u` already rejects). A test checks each makes X25519 output zero.
pub(super) const LOW_ORDER_U: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether `u` (little-endian) is the canonical encoding of a field element: `u < 2^255 - 19`.
pub(super) fn is_canonical_u(u: &[u8; 32]) -> bool {
    // Values >= p are exactly: bit 255 set, or 0x7f ff .. ff followed by a low byte >= 0xed.
    if u[31] & 0x80 != 0 {
        return false;
    }
    !(u[31] == 0x7f && u[1..31].iter().all(|&b| b == 0xff) && u[0] >= 0xed)
}

/// An X25519 key pair: a prekey's, an ephemeral base key's, or a ratchet key's.
pub(crate) struct KeyPair {
    secret: StaticSecret,
    public: PublicKey,
}

impl KeyPair {
    pub(crate) fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_secret(StaticSecret::random_from_rng(rng))
    }

    pub(crate) fn from_secret(secret: StaticSecret) -> Self {
        // The public key of a clamped scalar is never low-order or non-canonical, so skip checks.
        let public = PublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes());
        KeyPair { secret, public }
    }

    pub(crate) fn public(&self) -> &PublicKey {
        &self.public
    }

    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        self.secret.as_bytes()
    }

    pub(crate) fn diffie_hellman(&self, theirs: &PublicKey) -> Result<SharedSecret, KeyError> {
        diffie_hellman(&self.secret, theirs)
    }
}

impl Clone for KeyPair {
    fn clone(&self) -> Self {
        KeyPair {
            secret: self.secret.clone(),
            public: self.public,
        }
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let KeyPair { secret: _, public } = self;
        f.debug_struct("KeyPair")
            .field("public", public)
            .field("secret", &Redacted)
            .finish()
    }
}

/// X25519 with the contributory check every crosswire DH makes (SPEC.md section 2.3).
pub(crate) fn diffie_hellman(
    secret: &StaticSecret,
    theirs: &PublicKey,
) -> Result<SharedSecret, KeyError> {
    let shared = x25519(secret.as_bytes(), &theirs.0);
    if shared.was_contributory() {
        Ok(shared)
    } else {
        Err(KeyError::NonContributory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_order_list_is_really_low_order() {
        // Independent check with x25519-dalek's raw function: each listed u gives an all-zero
        // output for arbitrary scalars, so none can contribute to a shared secret.
        for u in LOW_ORDER_U {
            for k in [[1u8; 32], [0x55; 32], [0xfe; 32]] {
                assert_eq!(x25519_dalek::x25519(k, u), [0u8; 32], "u = {}", Hex(&u));
            }
            assert_eq!(PublicKey::from_bytes(&u), Err(KeyError::LowOrder));
        }
    }

    #[test]
    fn non_canonical_u_rejected() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert_eq!(PublicKey::from_bytes(&p), Err(KeyError::NonCanonical));
        let mut high = [9u8; 32];
        high[31] |= 0x80;
        assert_eq!(PublicKey::from_bytes(&high), Err(KeyError::NonCanonical));
        let mut below_p = p;
        below_p[0] = 0xeb;
        assert!(PublicKey::from_bytes(&below_p).is_ok());
        assert_eq!(
            PublicKey::from_slice(&[9u8; 31]),
            Err(KeyError::InvalidLength)
        );
    }
}
