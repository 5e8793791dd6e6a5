//! The long-term Ed25519 identity: its public key as others see it, and the key pair that signs
//! prekeys and takes part in X3DH in its X25519 form (SPEC.md section 2.1).

use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use super::dh::{LOW_ORDER_U, diffie_hellman, is_canonical_u};
use super::{Hex, PUBLIC_KEY_LEN, PublicKey, Redacted, SIGNATURE_LEN};
use crate::error::KeyError;
use crate::x25519::SharedSecret;

/// Whether the encoding of a point that decompressed is the one compression gives back:
/// `y < p`, and the sign bit clear when `x = 0` (the points with `y = 1` and `y = p - 1`).
/// Equivalent to `decompress(bytes).compress() == bytes` without compression's field inversion;
/// a test checks the equivalence.
fn is_canonical_edwards(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    let sign = y[31] >> 7;
    y[31] &= 0x7f;
    let p_minus_one = LOW_ORDER_U[4];
    let one = LOW_ORDER_U[1];
    is_canonical_u(&y) && !(sign == 1 && (y == one || y == p_minus_one))
}

/// A device's long-term Ed25519 public identity key, as others see it.
///
/// Its X25519 form (the RFC 7748 birational map of the point) is what X3DH uses for DH1/DH2.
#[derive(Clone, Copy)]
pub struct IdentityKey {
    verifying: VerifyingKey,
    x25519: PublicKey,
}

impl IdentityKey {
    /// Parses and validates an Ed25519 public key: it must decompress, be canonical, and lie in
    /// the prime-order subgroup (neither of small order nor with a small-order component).
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, KeyError> {
        let verifying = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NonCanonical)?;
        // Decompression accepts y >= p and a sign bit on x = 0; re-encoding would expose both.
        if !is_canonical_edwards(bytes) {
            return Err(KeyError::NonCanonical);
        }
        // A small-order component is invisible to X25519 (clamping multiplies it away), so A and
        // A + T for each of the 8 torsion points T would be eight identity keys with one DH.
        // Only A itself, in the prime-order subgroup, is an identity.
        if verifying.is_weak() || !verifying.to_edwards().is_torsion_free() {
            return Err(KeyError::LowOrder);
        }
        let x25519 = PublicKey::from_bytes(&verifying.to_montgomery().to_bytes())?;
        Ok(IdentityKey { verifying, x25519 })
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| KeyError::InvalidLength)?;
        Self::from_bytes(bytes)
    }

    /// The 32-byte Ed25519 encoding (RFC 8032).
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.verifying.as_bytes()
    }

    /// The identity key in X25519 form, as used in X3DH.
    pub(crate) fn x25519(&self) -> &PublicKey {
        &self.x25519
    }

    /// Strict Ed25519 verification (no small-order components, canonical `S`).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        let signature = Signature::from_bytes(signature);
        self.verifying.verify_strict(message, &signature).is_ok()
    }
}

impl PartialEq for IdentityKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for IdentityKey {}
impl core::hash::Hash for IdentityKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentityKey({})", Hex(self.as_bytes()))
    }
}

/// A device's long-term identity: an Ed25519 key pair. It signs prekeys, and its X25519 form
/// takes part in X3DH. Zeroized on drop; never printed.
pub struct IdentityKeyPair {
    signing: SigningKey,
    x25519_secret: StaticSecret,
    public: IdentityKey,
}

impl IdentityKeyPair {
    /// Generates a new identity.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_signing_key(SigningKey::generate(rng))
    }

    /// Restores an identity from its 32-byte Ed25519 seed (RFC 8032 "private key").
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_signing_key(SigningKey::from_bytes(seed))
    }

    fn from_signing_key(signing: SigningKey) -> Self {
        // The X25519 scalar is the Ed25519 secret scalar (SHA-512(seed)[..32]); X25519 clamps it
        // exactly as Ed25519 does, so both halves of the identity use one secret.
        let x25519_secret = StaticSecret::from(signing.to_scalar_bytes());
        let verifying = signing.verifying_key();
        let x25519 = PublicKey(verifying.to_montgomery().to_bytes());
        IdentityKeyPair {
            signing,
            x25519_secret,
            public: IdentityKey { verifying, x25519 },
        }
    }

    /// The 32-byte seed, for storage. Keep it secret.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public half.
    pub fn public(&self) -> &IdentityKey {
        &self.public
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.signing.sign(message).to_bytes()
    }

    pub(crate) fn diffie_hellman(&self, theirs: &PublicKey) -> Result<SharedSecret, KeyError> {
        diffie_hellman(&self.x25519_secret, theirs)
    }
}

impl fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let IdentityKeyPair {
            signing: _,
            x25519_secret: _,
            public,
        } = self;
        f.debug_struct("IdentityKeyPair")
            .field("public", public)
            .field("secret", &Redacted)
            .finish()
    }
}

#[cfg(test)]
impl IdentityKeyPair {
    /// The X25519 form of the identity secret, for test vectors (SPEC.md section 2.1).
    pub(crate) fn x25519_secret_bytes(&self) -> &[u8; 32] {
        self.x25519_secret.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;
    use crate::keys::tests::rng;

    #[test]
    fn identity_dh_agrees_both_ways() {
        let mut rng = rng();
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let ab = alice.diffie_hellman(bob.public().x25519()).unwrap();
        let ba = bob.diffie_hellman(alice.public().x25519()).unwrap();
        assert_eq!(ab.as_bytes(), ba.as_bytes());
        let eph = KeyPair::generate(&mut rng);
        let ea = eph.diffie_hellman(alice.public().x25519()).unwrap();
        let ae = alice.diffie_hellman(eph.public()).unwrap();
        assert_eq!(ea.as_bytes(), ae.as_bytes());
    }

    #[test]
    fn identity_key_rejects_small_order_and_non_canonical() {
        // The Ed25519 identity point (0, 1) encodes as 01 00 .. 00.
        let mut identity_point = [0u8; 32];
        identity_point[0] = 1;
        assert_eq!(
            IdentityKey::from_bytes(&identity_point),
            Err(KeyError::LowOrder)
        );
        // y = p + 1 is a non-canonical encoding of the same point.
        let mut y_p1 = [0xffu8; 32];
        y_p1[0] = 0xee;
        y_p1[31] = 0x7f;
        assert!(IdentityKey::from_bytes(&y_p1).is_err());
    }

    /// The eight points of the torsion subgroup, as multiples of a point of order 8 (the
    /// encoding is the one RFC 8032 implementations list first among the order-8 points).
    fn torsion_points() -> Vec<curve25519_dalek::EdwardsPoint> {
        use curve25519_dalek::edwards::CompressedEdwardsY;
        use curve25519_dalek::{Scalar, traits::IsIdentity};
        let bytes: [u8; 32] =
            hex::decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
                .unwrap()
                .try_into()
                .unwrap();
        let t = CompressedEdwardsY(bytes).decompress().unwrap();
        assert!(!(Scalar::from(4u8) * t).is_identity(), "order 8, not 4");
        assert!((Scalar::from(8u8) * t).is_identity());
        (0u8..8).map(|k| Scalar::from(k) * t).collect()
    }

    /// Issue 9 item 7c: an identity key plus any non-zero torsion point has the same X25519 DH
    /// as the key itself (so the seven variants were seven more identities for one secret); only
    /// the key in the prime-order subgroup is accepted.
    #[test]
    fn identity_key_rejects_torsioned_variants() {
        let mut rng = rng();
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let a = alice.public().verifying.to_edwards();
        let expected = bob.diffie_hellman(alice.public().x25519()).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (k, t) in torsion_points().into_iter().enumerate() {
            let bytes = (a + t).compress().to_bytes();
            assert!(seen.insert(bytes), "distinct encodings");
            // The DH a variant would give, computed directly on its Montgomery form.
            let u = (a + t).to_montgomery().to_bytes();
            let dh = x25519_dalek::x25519(*bob.x25519_secret_bytes(), u);
            assert_eq!(&dh, expected.as_bytes(), "variant {k} has the same DH");
            if k == 0 {
                assert!(IdentityKey::from_bytes(&bytes).is_ok());
            } else {
                assert_eq!(
                    IdentityKey::from_bytes(&bytes),
                    Err(KeyError::LowOrder),
                    "variant {k}"
                );
            }
        }
    }

    #[test]
    fn canonical_edwards_check_equals_recompression() {
        use curve25519_dalek::edwards::CompressedEdwardsY;
        let p = LOW_ORDER_U[4];
        let mut inputs = Vec::new();
        // y near 0, near p and near 2^255, each with both sign bits, plus random encodings.
        for delta in 0u8..24 {
            let mut low = [0u8; 32];
            low[0] = delta;
            let mut near_p = p;
            near_p[0] = 0xd8 + delta;
            let mut top = [0xffu8; 32];
            top[31] = 0x7f;
            top[0] = 0xff - delta;
            inputs.extend([low, near_p, top]);
        }
        let mut rng = rng();
        for _ in 0..2000 {
            let mut b = [0u8; 32];
            rand::Rng::fill_bytes(&mut rng, &mut b);
            inputs.push(b);
        }
        let signed: Vec<[u8; 32]> = inputs
            .iter()
            .map(|b| {
                let mut b = *b;
                b[31] ^= 0x80;
                b
            })
            .collect();
        inputs.extend(signed);
        let mut decompressed = 0;
        for b in inputs {
            if let Some(point) = CompressedEdwardsY(b).decompress() {
                decompressed += 1;
                let recompressed = point.compress().to_bytes() == b;
                assert_eq!(is_canonical_edwards(&b), recompressed, "{}", Hex(&b));
            }
        }
        assert!(decompressed > 1000);
    }

    /// `IdentityKey` hashes what it compares, so distinct keys spread over a map's buckets.
    #[test]
    fn identity_key_hash_follows_its_bytes() {
        use core::hash::{BuildHasher, Hash};
        use std::collections::hash_map::RandomState;
        let state = RandomState::new();
        let mut rng = rng();
        let a = *IdentityKeyPair::generate(&mut rng).public();
        let b = *IdentityKeyPair::generate(&mut rng).public();
        let hash_key = |k: &IdentityKey| state.hash_one(k);
        let hash_bytes = |k: &IdentityKey| {
            let mut h = state.build_hasher();
            k.as_bytes().hash(&mut h);
            core::hash::Hasher::finish(&h)
        };
        assert_eq!(hash_key(&a), hash_bytes(&a));
        assert_eq!(hash_key(&b), hash_bytes(&b));
        assert_ne!(hash_key(&a), hash_key(&b));
    }
}
