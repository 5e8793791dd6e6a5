//! ML-KEM-1024 (FIPS 203) for PQXDH (SPEC.md section 15.2), over `libcrux-ml-kem`.
//!
//! A key pair is stored and restored as its 64-byte seed `d || z` (FIPS 203 section 3.3 allows
//! it; 64 bytes instead of the 3168-byte expanded key) and expanded with `ML-KEM.KeyGen_internal`
//! when it is loaded. A received public key is validated on decode by the encapsulation-key
//! check of FIPS 203 section 7.2, so an invalid key is a typed error and never reaches
//! encapsulation. Every ciphertext of the right length decapsulates (to the implicit-rejection
//! key if it was not made for this key pair): ML-KEM never reports a decapsulation failure, the
//! mismatch surfaces as a different PQXDH key and a failed first message.

use std::fmt;

use libcrux_ml_kem::mlkem1024 as mlkem;
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{Hex, Redacted};

/// Length of an ML-KEM-1024 encapsulation (public) key.
pub const KEM_PUBLIC_KEY_LEN: usize = 1568;
/// Length of an ML-KEM-1024 ciphertext.
pub const KEM_CIPHERTEXT_LEN: usize = 1568;
/// Length of the seed `d || z` a KEM key pair is stored as.
pub const KEM_SEED_LEN: usize = 64;
/// Length of the ML-KEM shared secret.
pub(crate) const KEM_SHARED_SECRET_LEN: usize = 32;

/// Why a KEM value was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KemError {
    /// The input does not have the exact length of the value.
    InvalidLength,
    /// The public key fails the FIPS 203 section 7.2 encapsulation-key check: one of its
    /// 1024 encoded coefficients is not reduced modulo q = 3329.
    InvalidPublicKey,
    /// A stored KEM prekey's kind byte is neither 1 (last resort) nor 2 (one-time).
    UnknownKind,
    /// The identity key's signature over a KEM prekey does not verify (strictly).
    BadSignature,
}

impl KemError {
    /// The stable code of this error (SPEC.md section 1.1), e.g. `kem.bad_signature`.
    pub fn code(&self) -> &'static str {
        crate::error::kem_code(self)
    }
}

impl fmt::Display for KemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KemError::InvalidLength => "KEM value has the wrong length",
            KemError::InvalidPublicKey => "KEM public key fails the FIPS 203 modulus check",
            KemError::UnknownKind => "unknown KEM prekey kind",
            KemError::BadSignature => "KEM prekey signature does not verify",
        })
    }
}

impl std::error::Error for KemError {}

/// A validated ML-KEM-1024 encapsulation key (1568 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct KemPublicKey(Box<[u8; KEM_PUBLIC_KEY_LEN]>);

impl KemPublicKey {
    /// Decodes and validates a public key: exactly 1568 bytes, and every 12-bit coefficient of
    /// its first 1536 bytes below q = 3329 (FIPS 203 section 7.2, "modulus check": decoding and
    /// re-encoding gives the same bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KemError> {
        let bytes: &[u8; KEM_PUBLIC_KEY_LEN] =
            bytes.try_into().map_err(|_| KemError::InvalidLength)?;
        if !mlkem::validate_public_key(&mlkem::MlKem1024PublicKey::from(bytes)) {
            return Err(KemError::InvalidPublicKey);
        }
        Ok(KemPublicKey(Box::new(*bytes)))
    }

    /// The 1568-byte encoding.
    pub fn as_bytes(&self) -> &[u8; KEM_PUBLIC_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for KemPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // 1568 bytes would drown any log; the first 16 identify the key well enough.
        write!(f, "KemPublicKey({}..)", Hex(&self.0[..16]))
    }
}

/// An ML-KEM-1024 ciphertext (1568 bytes). Any 1568 bytes are a ciphertext.
#[derive(Clone, PartialEq, Eq)]
pub struct KemCiphertext(Box<[u8; KEM_CIPHERTEXT_LEN]>);

impl KemCiphertext {
    /// Decodes a ciphertext: exactly 1568 bytes (the FIPS 203 section 7.3 ciphertext type
    /// check; ML-KEM has no other check on a ciphertext).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KemError> {
        let bytes: &[u8; KEM_CIPHERTEXT_LEN] =
            bytes.try_into().map_err(|_| KemError::InvalidLength)?;
        Ok(KemCiphertext(Box::new(*bytes)))
    }

    /// The 1568-byte encoding.
    pub fn as_bytes(&self) -> &[u8; KEM_CIPHERTEXT_LEN] {
        &self.0
    }
    /// SHA-256 of the encoding: what the PQXDH prekey header authenticates (SPEC.md 6.4).
    pub(crate) fn hash(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::digest(&self.0[..]).into()
    }
}

impl fmt::Debug for KemCiphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KemCiphertext({}..)", Hex(&self.0[..16]))
    }
}

/// The 32-byte ML-KEM shared secret. Wiped on drop; never printed.
pub(crate) struct KemSharedSecret(Zeroizing<[u8; KEM_SHARED_SECRET_LEN]>);

impl KemSharedSecret {
    pub(crate) fn as_bytes(&self) -> &[u8; KEM_SHARED_SECRET_LEN] {
        &self.0
    }
}

impl fmt::Debug for KemSharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KemSharedSecret").field(&Redacted).finish()
    }
}

/// libcrux's expanded decapsulation key, wiped on drop (libcrux-ml-kem 0.0.11 implements no
/// `Zeroize`; its `IndexMut` gives the bytes without `unsafe`).
struct ExpandedKey(mlkem::MlKem1024PrivateKey);

impl Drop for ExpandedKey {
    fn drop(&mut self) {
        self.0[0..].zeroize();
    }
}

/// An ML-KEM-1024 key pair, kept as its seed `d || z` plus the expanded key derived from it.
/// Wiped on drop; never printed.
pub struct KemKeyPair {
    seed: Zeroizing<[u8; KEM_SEED_LEN]>,
    expanded: Box<ExpandedKey>,
    public: KemPublicKey,
}

impl KemKeyPair {
    /// Generates a key pair from 64 random bytes: `d` (32) then `z` (32).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        rng.fill_bytes(&mut seed[..]);
        Self::from_seed(&seed)
    }

    /// The key pair `ML-KEM.KeyGen_internal(d, z)` gives for `seed = d || z`. Every seed is valid.
    pub fn from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self {
        let (private, public) = mlkem::generate_key_pair(*seed).into_parts();
        KemKeyPair {
            seed: Zeroizing::new(*seed),
            expanded: Box::new(ExpandedKey(private)),
            public: KemPublicKey(Box::new(*public.as_slice())),
        }
    }

    /// The seed `d || z`, for the device's own storage. Contains a secret.
    pub fn to_seed(&self) -> Zeroizing<[u8; KEM_SEED_LEN]> {
        self.seed.clone()
    }

    /// Its public (encapsulation) key.
    pub fn public(&self) -> &KemPublicKey {
        &self.public
    }
}

impl Clone for KemKeyPair {
    fn clone(&self) -> Self {
        // Re-expanding avoids an unwiped stack copy of the 3168-byte expanded key.
        Self::from_seed(&self.seed)
    }
}

impl fmt::Debug for KemKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemKeyPair")
            .field("public", &self.public)
            .field("secret", &Redacted)
            .finish()
    }
}

/// `ML-KEM.Encaps(pk)` with 32 bytes `m` drawn from `rng`: the ciphertext and the shared secret.
pub(crate) fn encapsulate<R: CryptoRng + ?Sized>(
    rng: &mut R,
    public: &KemPublicKey,
) -> (KemCiphertext, KemSharedSecret) {
    let mut m = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut m[..]);
    let (ct, ss) = mlkem::encapsulate(&mlkem::MlKem1024PublicKey::from(&*public.0), *m);
    (
        KemCiphertext(Box::new(*ct.as_slice())),
        KemSharedSecret(Zeroizing::new(ss)),
    )
}

/// `ML-KEM.Decaps(dk, ct)`. Never fails: a ciphertext not made for this key gives the
/// implicit-rejection secret `J(z || ct)`.
pub(crate) fn decapsulate(key_pair: &KemKeyPair, ciphertext: &KemCiphertext) -> KemSharedSecret {
    let ct = mlkem::MlKem1024Ciphertext::from(&*ciphertext.0);
    KemSharedSecret(Zeroizing::new(mlkem::decapsulate(
        &key_pair.expanded.0,
        &ct,
    )))
}

#[cfg(test)]
mod tests;
