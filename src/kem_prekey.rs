//! Signed ML-KEM-1024 prekeys for PQXDH (SPEC.md section 15.3): a last-resort one that stays
//! until replaced and one-time ones consumed exactly once, each signed by the Ed25519 identity
//! key over a domain-separated encoding.

use std::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::kem::{KEM_PUBLIC_KEY_LEN, KEM_SEED_LEN, KemError, KemKeyPair, KemPublicKey};
use crate::keys::{IdentityKey, IdentityKeyPair, Redacted, SIGNATURE_LEN};

/// Prefix of the bytes a KEM prekey's signature covers (23 bytes). It differs from
/// `crosswire/v1/signed-prekey` in its 14th byte, so no signed X25519 prekey can be read as a
/// signed KEM prekey (the "public-key confusion" of the PQXDH analyses, SPEC.md 15.3).
pub(crate) const LABEL_KEM_PREKEY: &[u8] = b"crosswire/v1/kem-prekey";

/// Length of [`kem_prekey_message`]: label (23) || kind (1) || id (4) || public key (1568).
pub(crate) const KEM_PREKEY_MESSAGE_LEN: usize = 23 + 1 + 4 + KEM_PUBLIC_KEY_LEN;

/// Length of [`SignedKemPreKey::to_bytes`]: id (4) || kind (1) || seed (64) || signature (64).
const SIGNED_KEM_PREKEY_RECORD_LEN: usize = 4 + 1 + KEM_SEED_LEN + SIGNATURE_LEN;

/// Identifies a KEM prekey among those a device has published. One id space for both kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KemPreKeyId(pub u32);

/// Whether a KEM prekey may be used by many sessions or by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KemPreKeyKind {
    /// Handed out when no one-time KEM prekey is left; stays until the device replaces it.
    LastResort,
    /// Handed out at most once by the server; the responder deletes it once a session used it.
    OneTime,
}

impl KemPreKeyKind {
    /// The byte the signature and the storage record carry: 1 last-resort, 2 one-time (0 is
    /// left unused so an absent protobuf field can never read as a kind).
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            KemPreKeyKind::LastResort => 1,
            KemPreKeyKind::OneTime => 2,
        }
    }

    pub(crate) fn from_byte(byte: u8) -> Result<Self, KemError> {
        match byte {
            1 => Ok(KemPreKeyKind::LastResort),
            2 => Ok(KemPreKeyKind::OneTime),
            _ => Err(KemError::UnknownKind),
        }
    }
}

/// The bytes a KEM prekey's signature covers:
/// `"crosswire/v1/kem-prekey" || kind || u32be(id) || PQPK` (1596 bytes).
pub(crate) fn kem_prekey_message(
    kind: KemPreKeyKind,
    id: KemPreKeyId,
    public: &KemPublicKey,
) -> Box<[u8; KEM_PREKEY_MESSAGE_LEN]> {
    let mut msg = Box::new([0u8; KEM_PREKEY_MESSAGE_LEN]);
    msg[..23].copy_from_slice(LABEL_KEM_PREKEY);
    msg[23] = kind.to_byte();
    msg[24..28].copy_from_slice(&id.0.to_be_bytes());
    msg[28..].copy_from_slice(public.as_bytes());
    msg
}

/// The public half of a signed KEM prekey, as a bundle carries it, whose signature has been
/// verified against the identity key it was checked with. Only [`verify`](Self::verify)
/// creates one, so holding one means the check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerifiedKemPreKey {
    identity: IdentityKey,
    id: KemPreKeyId,
    kind: KemPreKeyKind,
    public: KemPublicKey,
    signature: [u8; SIGNATURE_LEN],
}

impl VerifiedKemPreKey {
    /// Checks `signature` over [`kem_prekey_message`] with `identity`, strictly (SPEC.md 2.4:
    /// `verify_strict`, no malleable or small-order encodings).
    pub(crate) fn verify(
        identity: &IdentityKey,
        id: KemPreKeyId,
        kind: KemPreKeyKind,
        public: KemPublicKey,
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<Self, KemError> {
        if !identity.verify(&kem_prekey_message(kind, id, &public)[..], signature) {
            return Err(KemError::BadSignature);
        }
        Ok(VerifiedKemPreKey {
            identity: *identity,
            id,
            kind,
            public,
            signature: *signature,
        })
    }

    /// The identity key the signature was checked with.
    pub(crate) fn identity(&self) -> &IdentityKey {
        &self.identity
    }

    pub(crate) fn id(&self) -> KemPreKeyId {
        self.id
    }

    pub(crate) fn kind(&self) -> KemPreKeyKind {
        self.kind
    }

    pub(crate) fn public(&self) -> &KemPublicKey {
        &self.public
    }

    pub(crate) fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }
}

/// An ML-KEM-1024 prekey signed by the identity key: the device's own copy, with the secret.
/// Zeroized on drop; never printed.
#[derive(Clone)]
pub struct SignedKemPreKey {
    id: KemPreKeyId,
    kind: KemPreKeyKind,
    key_pair: KemKeyPair,
    signature: [u8; SIGNATURE_LEN],
}

impl SignedKemPreKey {
    /// Generates a KEM prekey (64 random bytes: `d` then `z`) and signs it with `identity`.
    pub fn generate<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        id: KemPreKeyId,
        kind: KemPreKeyKind,
    ) -> Self {
        Self::from_key_pair(identity, id, kind, KemKeyPair::generate(rng))
    }

    /// Generates `count` one-time KEM prekeys with consecutive ids from `first_id` (wrapping at
    /// 2^32), as a device uploads them in batches.
    pub fn generate_one_time_batch<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        first_id: KemPreKeyId,
        count: u32,
    ) -> Vec<Self> {
        (0..count)
            .map(|i| {
                let id = KemPreKeyId(first_id.0.wrapping_add(i));
                Self::generate(rng, identity, id, KemPreKeyKind::OneTime)
            })
            .collect()
    }

    fn from_key_pair(
        identity: &IdentityKeyPair,
        id: KemPreKeyId,
        kind: KemPreKeyKind,
        key_pair: KemKeyPair,
    ) -> Self {
        let signature = identity.sign(&kem_prekey_message(kind, id, key_pair.public())[..]);
        SignedKemPreKey {
            id,
            kind,
            key_pair,
            signature,
        }
    }

    /// Its id.
    pub fn id(&self) -> KemPreKeyId {
        self.id
    }

    /// Whether it is the last-resort key or a one-time key.
    pub fn kind(&self) -> KemPreKeyKind {
        self.kind
    }

    /// Its public (encapsulation) key.
    pub fn public(&self) -> &KemPublicKey {
        self.key_pair.public()
    }

    /// The identity key's signature over it.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    pub(crate) fn key_pair(&self) -> &KemKeyPair {
        &self.key_pair
    }

    /// Serializes for the device's own storage: `u32be(id) || kind || seed (64) || signature
    /// (64)`, 133 bytes. Contains a secret.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SIGNED_KEM_PREKEY_RECORD_LEN]> {
        let mut out = Zeroizing::new([0u8; SIGNED_KEM_PREKEY_RECORD_LEN]);
        out[..4].copy_from_slice(&self.id.0.to_be_bytes());
        out[4] = self.kind.to_byte();
        out[5..69].copy_from_slice(&self.key_pair.to_seed()[..]);
        out[69..].copy_from_slice(&self.signature);
        out
    }

    /// Restores what [`to_bytes`](Self::to_bytes) wrote, re-deriving the key pair from the seed.
    /// The signature is kept as stored (the record is the device's own); a bundle built from it
    /// is verified like any other.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KemError> {
        let bytes: &[u8; SIGNED_KEM_PREKEY_RECORD_LEN] =
            bytes.try_into().map_err(|_| KemError::InvalidLength)?;
        let mut id = [0u8; 4];
        id.copy_from_slice(&bytes[..4]);
        let kind = KemPreKeyKind::from_byte(bytes[4])?;
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        seed.copy_from_slice(&bytes[5..69]);
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[69..]);
        Ok(SignedKemPreKey {
            id: KemPreKeyId(u32::from_be_bytes(id)),
            kind,
            key_pair: KemKeyPair::from_seed(&seed),
            signature,
        })
    }

    #[cfg_attr(not(test), allow(dead_code))]
    /// The public half, verified with `identity` as an initiator would (a record whose
    /// signature does not match `identity` fails here).
    pub(crate) fn verified_public(
        &self,
        identity: &IdentityKey,
    ) -> Result<VerifiedKemPreKey, KemError> {
        VerifiedKemPreKey::verify(
            identity,
            self.id,
            self.kind,
            self.public().clone(),
            &self.signature,
        )
    }
}

impl fmt::Debug for SignedKemPreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SignedKemPreKey {
            id,
            kind,
            key_pair,
            signature: _,
        } = self;
        f.debug_struct("SignedKemPreKey")
            .field("id", id)
            .field("kind", kind)
            .field("public", key_pair.public())
            .field("secret", &Redacted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::signed_prekey_message;
    use crate::keys::{KeyPair, SignedPreKeyId};
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn setup() -> (ChaCha20Rng, IdentityKeyPair, SignedKemPreKey) {
        let mut rng = ChaCha20Rng::seed_from_u64(15);
        let bob = IdentityKeyPair::generate(&mut rng);
        let pk = SignedKemPreKey::generate(&mut rng, &bob, KemPreKeyId(7), KemPreKeyKind::OneTime);
        (rng, bob, pk)
    }

    #[test]
    fn signed_message_layout() {
        let (_, _, pk) = setup();
        let msg = kem_prekey_message(pk.kind(), pk.id(), pk.public());
        assert_eq!(msg.len(), 1596);
        assert_eq!(&msg[..23], b"crosswire/v1/kem-prekey");
        assert_eq!(&msg[23..28], &[2, 0, 0, 0, 7]);
        assert_eq!(&msg[28..], &pk.public().as_bytes()[..]);
    }

    #[test]
    fn verifies_and_rejects_every_changed_field() {
        let (mut rng, bob, pk) = setup();
        let verified = pk.verified_public(bob.public()).unwrap();
        assert_eq!(verified.id(), KemPreKeyId(7));
        assert_eq!(verified.kind(), KemPreKeyKind::OneTime);
        assert_eq!(verified.public(), pk.public());
        assert_eq!(verified.signature(), pk.signature());

        let check = |id, kind, public: &KemPublicKey, sig: &[u8; 64], who: &IdentityKey| {
            VerifiedKemPreKey::verify(who, id, kind, public.clone(), sig)
        };
        let bad = Err(KemError::BadSignature);
        let other = IdentityKeyPair::generate(&mut rng);
        let other_key = KemKeyPair::generate(&mut rng);
        let (id, kind, public, sig) = (pk.id(), pk.kind(), pk.public(), pk.signature());
        assert_eq!(check(KemPreKeyId(8), kind, public, sig, bob.public()), bad);
        let last_resort = KemPreKeyKind::LastResort;
        assert_eq!(check(id, last_resort, public, sig, bob.public()), bad);
        assert_eq!(check(id, kind, other_key.public(), sig, bob.public()), bad);
        assert_eq!(check(id, kind, public, sig, other.public()), bad);
        let mut flipped = *sig;
        flipped[10] ^= 1;
        assert_eq!(check(id, kind, public, &flipped, bob.public()), bad);
        // S + L: accepted by lax verifiers, rejected by verify_strict.
        let mut malleable = *sig;
        let l = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
            .unwrap();
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(malleable[32 + i]) + u16::from(l[i]) + carry;
            malleable[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(check(id, kind, public, &malleable, bob.public()), bad);
    }

    #[test]
    fn x25519_prekey_signature_is_not_a_kem_prekey_signature() {
        // Signing one structure must never authorise the other: same identity, same id.
        let (mut rng, bob, pk) = setup();
        let spk = KeyPair::generate(&mut rng);
        let spk_sig = bob.sign(&signed_prekey_message(SignedPreKeyId(7), spk.public()));
        for kind in [KemPreKeyKind::OneTime, KemPreKeyKind::LastResort] {
            let r = VerifiedKemPreKey::verify(
                bob.public(),
                KemPreKeyId(7),
                kind,
                pk.public().clone(),
                &spk_sig,
            );
            assert_eq!(r, Err(KemError::BadSignature));
        }
    }

    #[test]
    fn storage_round_trip_and_rejections() {
        let (mut rng, bob, pk) = setup();
        let bytes = pk.to_bytes();
        assert_eq!(bytes.len(), 133);
        assert_eq!(&bytes[..5], &[0, 0, 0, 7, 2]);
        assert_eq!(&bytes[5..69], &pk.key_pair().to_seed()[..]);
        assert_eq!(&bytes[69..], pk.signature());
        let restored = SignedKemPreKey::from_bytes(&bytes[..]).unwrap();
        assert_eq!(restored.id(), pk.id());
        assert_eq!(restored.kind(), pk.kind());
        assert_eq!(restored.public(), pk.public());
        assert_eq!(restored.signature(), pk.signature());
        restored.verified_public(bob.public()).unwrap();

        let lr =
            SignedKemPreKey::generate(&mut rng, &bob, KemPreKeyId(1), KemPreKeyKind::LastResort);
        let lr_bytes = lr.to_bytes();
        assert_eq!(lr_bytes[4], 1);
        let lr2 = SignedKemPreKey::from_bytes(&lr_bytes[..]).unwrap();
        assert_eq!(lr2.kind(), KemPreKeyKind::LastResort);

        for len in [0, 132, 134] {
            let mut v = bytes.to_vec();
            v.resize(len, 0);
            assert_eq!(
                SignedKemPreKey::from_bytes(&v).unwrap_err(),
                KemError::InvalidLength
            );
        }
        for kind in [0u8, 3, 0xff] {
            let mut v = *bytes;
            v[4] = kind;
            assert_eq!(
                SignedKemPreKey::from_bytes(&v).unwrap_err(),
                KemError::UnknownKind
            );
        }
        // A record whose kind byte was changed no longer verifies.
        let mut v = *bytes;
        v[4] = 1;
        let changed = SignedKemPreKey::from_bytes(&v).unwrap();
        assert_eq!(
            changed.verified_public(bob.public()),
            Err(KemError::BadSignature)
        );
    }

    #[test]
    fn batch_ids_wrap_and_keys_differ() {
        let (mut rng, bob, _) = setup();
        let batch =
            SignedKemPreKey::generate_one_time_batch(&mut rng, &bob, KemPreKeyId(u32::MAX), 2);
        assert_eq!(batch[0].id(), KemPreKeyId(u32::MAX));
        assert_eq!(batch[1].id(), KemPreKeyId(0));
        assert!(batch.iter().all(|k| k.kind() == KemPreKeyKind::OneTime));
        assert_ne!(batch[0].public(), batch[1].public());
        for k in &batch {
            k.verified_public(bob.public()).unwrap();
        }
    }

    #[test]
    fn debug_is_redacted() {
        let (_, _, pk) = setup();
        let printed = format!("{pk:?}");
        assert!(printed.contains("[redacted]"), "{printed}");
        let seed_hex = hex::encode(&pk.to_bytes()[5..69]);
        assert!(!printed.contains(&seed_hex[..16]), "{printed}");
    }
}
