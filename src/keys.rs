//! Keys: the long-term identity, the prekeys a device publishes, and the X25519 public keys that
//! travel on the wire (SPEC.md section 2).
//!
//! Public and secret keys are distinct types. Secret types zeroize on drop, are not `Clone`
//! unless they must be, and print as `[redacted]`.

use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::kdf::LABEL_SIGNED_PREKEY;
use crate::x25519::{SharedSecret, x25519};

/// Length of every public key crosswire uses (X25519 and Ed25519).
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An X25519 public key: a signed prekey, one-time prekey, base key or ratchet key.
///
/// Construction checks the encoding is canonical (`u < p`, bit 255 clear) and that the point is
/// not of low order, so a key of this type always makes Diffie-Hellman depend on our secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

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
const LOW_ORDER_U: [[u8; 32]; 5] = [
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
fn is_canonical_u(u: &[u8; 32]) -> bool {
    // Values >= p are exactly: bit 255 set, or 0x7f ff .. ff followed by a low byte >= 0xed.
    if u[31] & 0x80 != 0 {
        return false;
    }
    !(u[31] == 0x7f && u[1..31].iter().all(|&b| b == 0xff) && u[0] >= 0xed)
}

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

/// X25519 with the contributory check every crosswire DH makes (SPEC.md section 2.4).
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

/// Identifies a signed prekey among those a device has published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignedPreKeyId(pub u32);

/// Identifies a one-time prekey among those a device has published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OneTimePreKeyId(pub u32);

/// The bytes a signed prekey's signature covers: label || id (u32 big-endian) || public key.
pub(crate) fn signed_prekey_message(id: SignedPreKeyId, public: &PublicKey) -> [u8; 62] {
    let mut msg = [0u8; 62];
    msg[..26].copy_from_slice(LABEL_SIGNED_PREKEY);
    msg[26..30].copy_from_slice(&id.0.to_be_bytes());
    msg[30..].copy_from_slice(public.as_bytes());
    msg
}

/// A medium-term X25519 prekey, signed by the identity key. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct SignedPreKey {
    id: SignedPreKeyId,
    key_pair: KeyPair,
    signature: [u8; SIGNATURE_LEN],
}

/// Length of [`SignedPreKey::to_bytes`]: id (4) || secret (32) || signature (64).
const SIGNED_PREKEY_RECORD_LEN: usize = 4 + 32 + SIGNATURE_LEN;
/// Length of [`OneTimePreKey::to_bytes`]: id (4) || secret (32).
const ONE_TIME_PREKEY_RECORD_LEN: usize = 4 + 32;

impl SignedPreKey {
    /// Generates a signed prekey with the given id, signed by `identity`.
    pub fn generate<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        id: SignedPreKeyId,
    ) -> Self {
        let key_pair = KeyPair::generate(rng);
        let signature = identity.sign(&signed_prekey_message(id, key_pair.public()));
        SignedPreKey {
            id,
            key_pair,
            signature,
        }
    }

    /// Its id.
    pub fn id(&self) -> SignedPreKeyId {
        self.id
    }

    /// Its public key.
    pub fn public(&self) -> &PublicKey {
        self.key_pair.public()
    }

    /// The identity key's signature over it.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    pub(crate) fn key_pair(&self) -> &KeyPair {
        &self.key_pair
    }

    /// Serializes for the device's own storage: id (u32 big-endian) || X25519 secret ||
    /// signature, 100 bytes. Contains a secret.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SIGNED_PREKEY_RECORD_LEN]> {
        let mut out = Zeroizing::new([0u8; SIGNED_PREKEY_RECORD_LEN]);
        out[..4].copy_from_slice(&self.id.0.to_be_bytes());
        out[4..36].copy_from_slice(self.key_pair.secret_bytes());
        out[36..].copy_from_slice(&self.signature);
        out
    }

    /// Restores what [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; SIGNED_PREKEY_RECORD_LEN] =
            bytes.try_into().map_err(|_| KeyError::InvalidLength)?;
        let (id, secret) = split_record(bytes);
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[36..]);
        Ok(SignedPreKey {
            id: SignedPreKeyId(id),
            key_pair: KeyPair::from_secret(secret),
            signature,
        })
    }
}

impl fmt::Debug for SignedPreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SignedPreKey {
            id,
            key_pair,
            signature: _,
        } = self;
        f.debug_struct("SignedPreKey")
            .field("id", id)
            .field("public", key_pair.public())
            .field("secret", &Redacted)
            .finish()
    }
}

/// A single-use X25519 prekey. The responder deletes it once a session used it.
/// Zeroized on drop; never printed.
#[derive(Clone)]
pub struct OneTimePreKey {
    id: OneTimePreKeyId,
    key_pair: KeyPair,
}

impl OneTimePreKey {
    /// Generates one one-time prekey.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, id: OneTimePreKeyId) -> Self {
        OneTimePreKey {
            id,
            key_pair: KeyPair::generate(rng),
        }
    }

    /// Generates `count` one-time prekeys with consecutive ids from `first_id` (wrapping at
    /// 2^32), as a provider uploads them in batches.
    pub fn generate_batch<R: CryptoRng + ?Sized>(
        rng: &mut R,
        first_id: OneTimePreKeyId,
        count: u32,
    ) -> Vec<Self> {
        (0..count)
            .map(|i| Self::generate(rng, OneTimePreKeyId(first_id.0.wrapping_add(i))))
            .collect()
    }

    /// Its id.
    pub fn id(&self) -> OneTimePreKeyId {
        self.id
    }

    /// Its public key.
    pub fn public(&self) -> &PublicKey {
        self.key_pair.public()
    }

    pub(crate) fn key_pair(&self) -> &KeyPair {
        &self.key_pair
    }

    /// Serializes for the device's own storage: id (u32 big-endian) || X25519 secret, 36 bytes.
    /// Contains a secret.
    pub fn to_bytes(&self) -> Zeroizing<[u8; ONE_TIME_PREKEY_RECORD_LEN]> {
        let mut out = Zeroizing::new([0u8; ONE_TIME_PREKEY_RECORD_LEN]);
        out[..4].copy_from_slice(&self.id.0.to_be_bytes());
        out[4..].copy_from_slice(self.key_pair.secret_bytes());
        out
    }

    /// Restores what [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; ONE_TIME_PREKEY_RECORD_LEN] =
            bytes.try_into().map_err(|_| KeyError::InvalidLength)?;
        let (id, secret) = split_record(bytes);
        Ok(OneTimePreKey {
            id: OneTimePreKeyId(id),
            key_pair: KeyPair::from_secret(secret),
        })
    }
}

/// Splits `id (4, big-endian) || secret (32) || ...` into its parts.
fn split_record(bytes: &[u8]) -> (u32, StaticSecret) {
    let mut id = [0u8; 4];
    id.copy_from_slice(&bytes[..4]);
    let mut secret = Zeroizing::new([0u8; 32]);
    secret.copy_from_slice(&bytes[4..36]);
    (u32::from_be_bytes(id), StaticSecret::from(*secret))
}

impl fmt::Debug for OneTimePreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let OneTimePreKey { id, key_pair } = self;
        f.debug_struct("OneTimePreKey")
            .field("id", id)
            .field("public", key_pair.public())
            .field("secret", &Redacted)
            .finish()
    }
}

/// Prints `[redacted]` in place of a secret.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Lower-case hex, for printing public values.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
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
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(1)
    }

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

    #[test]
    fn signed_prekey_signature_verifies_and_binds_id() {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(7));
        let msg = signed_prekey_message(spk.id(), spk.public());
        assert!(identity.public().verify(&msg, spk.signature()));
        let other = signed_prekey_message(SignedPreKeyId(8), spk.public());
        assert!(!identity.public().verify(&other, spk.signature()));
    }

    #[test]
    fn records_round_trip() {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(3));
        let back = SignedPreKey::from_bytes(&spk.to_bytes()[..]).unwrap();
        assert_eq!(back.public(), spk.public());
        assert_eq!(back.signature(), spk.signature());
        let batch = OneTimePreKey::generate_batch(&mut rng, OneTimePreKeyId(u32::MAX), 100);
        assert_eq!(batch.len(), 100);
        assert_eq!(batch[1].id(), OneTimePreKeyId(0));
        let back = OneTimePreKey::from_bytes(&batch[5].to_bytes()[..]).unwrap();
        assert_eq!(
            (back.id(), back.public()),
            (batch[5].id(), batch[5].public())
        );
        let restored = IdentityKeyPair::from_seed(&identity.to_seed());
        assert_eq!(restored.public(), identity.public());
        assert!(OneTimePreKey::from_bytes(&[0u8; 35]).is_err());
    }

    /// The redacted forms themselves, written out here rather than taken from the impls: a
    /// `Debug` that printed nothing would also print no secret.
    #[test]
    fn debug_prints_public_parts_and_redacts_secrets() {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(7));
        let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(9));
        let id_hex = hex::encode(identity.public().as_bytes());
        let spk_hex = hex::encode(spk.public().as_bytes());
        let opk_hex = hex::encode(opk.public().as_bytes());
        assert_eq!(
            format!("{:?}", spk.public()),
            format!("PublicKey({spk_hex})")
        );
        assert_eq!(
            format!("{:?}", identity.public()),
            format!("IdentityKey({id_hex})")
        );
        assert_eq!(
            format!("{:?}", spk.key_pair()),
            format!("KeyPair {{ public: PublicKey({spk_hex}), secret: [redacted] }}")
        );
        assert_eq!(
            format!("{identity:?}"),
            format!("IdentityKeyPair {{ public: IdentityKey({id_hex}), secret: [redacted] }}")
        );
        assert_eq!(
            format!("{spk:?}"),
            format!(
                "SignedPreKey {{ id: SignedPreKeyId(7), public: PublicKey({spk_hex}), \
                 secret: [redacted] }}"
            )
        );
        assert_eq!(
            format!("{opk:?}"),
            format!(
                "OneTimePreKey {{ id: OneTimePreKeyId(9), public: PublicKey({opk_hex}), \
                 secret: [redacted] }}"
            )
        );
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

    #[test]
    fn debug_never_prints_secrets() {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(1));
        let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(1));
        let secrets = [
            Hex(&identity.to_seed()[..]).to_string(),
            Hex(identity.x25519_secret.as_bytes()).to_string(),
            Hex(spk.key_pair.secret_bytes()).to_string(),
            Hex(opk.key_pair.secret_bytes()).to_string(),
        ];
        let printed = format!("{identity:?} {spk:?} {opk:?} {identity:#?}");
        assert!(printed.contains("[redacted]"));
        for s in secrets {
            assert!(!printed.contains(&s));
            assert!(!printed.contains(&s[..16]));
        }
    }
}
