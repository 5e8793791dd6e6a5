//! Prekeys: the signed prekey and the one-time prekeys a device publishes, and their storage
//! records (SPEC.md sections 2.4, 2.5 and 2.7).

use core::fmt;

use rand_core::CryptoRng;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use super::{IdentityKeyPair, KeyPair, PublicKey, Redacted, SIGNATURE_LEN};
use crate::error::KeyError;
use crate::kdf::LABEL_SIGNED_PREKEY;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::rng;

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
}
