//! Prekey bundles: what a device publishes so others can start sessions (SPEC.md section 2.3).
//!
//! A [`PreKeyBundle`] value always carries a verified signature: both constructors check it, so
//! no code path can use a signed prekey whose signature was not verified.

use prost::Message;

use crate::error::{BundleError, KeyError};
use crate::kem::{KemError, KemPublicKey};
use crate::kem_prekey::{KemPreKeyId, KemPreKeyKind, SignedKemPreKey, VerifiedKemPreKey};
use crate::keys::{
    IdentityKey, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PublicKey, SIGNATURE_LEN,
    SignedPreKey, SignedPreKeyId, signed_prekey_message,
};
use crate::proto;
use crate::wire::decode_exact;

/// The classical bundle encoding (no KEM prekey), still written and read.
const BUNDLE_VERSION_1: u32 = 1;
/// The bundle encoding that carries a signed KEM prekey (SPEC.md 2.6).
pub(crate) const BUNDLE_VERSION_PQ: u32 = 2;
/// Longest encoded bundle accepted (a full version 2 bundle is 1834 bytes, a version 1 one 186).
pub const MAX_BUNDLE_LEN: usize = 2048;

/// A device's published keys: identity key, signed prekey with its signature, and optionally
/// one one-time prekey (the server hands each out once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyBundle {
    identity_key: IdentityKey,
    signed_prekey_id: SignedPreKeyId,
    signed_prekey: PublicKey,
    signature: [u8; SIGNATURE_LEN],
    one_time_prekey: Option<(OneTimePreKeyId, PublicKey)>,
    /// Version 2 bundles only: the signed KEM prekey, its signature verified.
    kem_prekey: Option<VerifiedKemPreKey>,
}

impl PreKeyBundle {
    /// Assembles the bundle a device publishes. Fails if `signed_prekey` was not signed by
    /// `identity`.
    pub fn new(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
    ) -> Result<Self, BundleError> {
        Self::verified(
            *identity.public(),
            signed_prekey.id(),
            *signed_prekey.public(),
            *signed_prekey.signature(),
            one_time_prekey.map(|k| (k.id(), *k.public())),
            None,
        )
    }

    /// Assembles a version 2 (post-quantum) bundle: [`new`](Self::new)'s keys plus a signed KEM
    /// prekey, last-resort or one-time. Fails if either prekey was not signed by `identity`.
    pub fn new_pq(
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<&OneTimePreKey>,
        kem_prekey: &SignedKemPreKey,
    ) -> Result<Self, BundleError> {
        Self::verified(
            *identity.public(),
            signed_prekey.id(),
            *signed_prekey.public(),
            *signed_prekey.signature(),
            one_time_prekey.map(|k| (k.id(), *k.public())),
            Some((
                kem_prekey.id(),
                kem_prekey.kind(),
                kem_prekey.public().clone(),
                *kem_prekey.signature(),
            )),
        )
    }

    fn verified(
        identity_key: IdentityKey,
        signed_prekey_id: SignedPreKeyId,
        signed_prekey: PublicKey,
        signature: [u8; SIGNATURE_LEN],
        one_time_prekey: Option<(OneTimePreKeyId, PublicKey)>,
        kem_prekey: Option<UncheckedKemPreKey>,
    ) -> Result<Self, BundleError> {
        let message = signed_prekey_message(signed_prekey_id, &signed_prekey);
        if !identity_key.verify(&message, &signature) {
            return Err(BundleError::BadSignature);
        }
        let kem_prekey = match kem_prekey {
            Some((id, kind, public, sig)) => Some(
                VerifiedKemPreKey::verify(&identity_key, id, kind, public, &sig)
                    .map_err(|_| BundleError::BadSignature)?,
            ),
            None => None,
        };
        Ok(PreKeyBundle {
            identity_key,
            signed_prekey_id,
            signed_prekey,
            signature,
            one_time_prekey,
            kem_prekey,
        })
    }

    /// Decodes a bundle and verifies its signature. Keys are checked for canonical encoding and
    /// low order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_BUNDLE_LEN {
            return Err(BundleError::Malformed);
        }
        let b = decode_exact::<proto::PreKeyBundle>(bytes).ok_or(BundleError::Malformed)?;
        if b.version != BUNDLE_VERSION_1 && b.version != BUNDLE_VERSION_PQ {
            return Err(BundleError::UnsupportedVersion);
        }
        // Version 2 exactly when a KEM prekey is carried, so the version alone tells an old
        // decoder it cannot use the bundle, and a stripped KEM prekey cannot keep version 2.
        if (b.version == BUNDLE_VERSION_PQ) != b.kem_prekey.is_some() {
            return Err(BundleError::Malformed);
        }
        let key = |e: KeyError| BundleError::InvalidKey(e);
        let identity_key = IdentityKey::from_slice(&b.identity_key).map_err(key)?;
        let signed_prekey = PublicKey::from_slice(&b.signed_prekey).map_err(key)?;
        let signature: [u8; SIGNATURE_LEN] = b
            .signed_prekey_signature
            .as_slice()
            .try_into()
            .map_err(|_| BundleError::Malformed)?;
        let one_time_prekey = match b.one_time_prekey {
            Some(k) => Some((
                OneTimePreKeyId(k.id),
                PublicKey::from_slice(&k.public_key).map_err(key)?,
            )),
            None => None,
        };
        let kem_prekey = match b.kem_prekey {
            Some(k) => {
                let kem = BundleError::InvalidKemKey;
                let kind = u8::try_from(k.kind)
                    .map_err(|_| KemError::UnknownKind)
                    .and_then(KemPreKeyKind::from_byte)
                    .map_err(kem)?;
                let public = KemPublicKey::from_bytes(&k.public_key).map_err(kem)?;
                let sig: [u8; SIGNATURE_LEN] = k
                    .signature
                    .as_slice()
                    .try_into()
                    .map_err(|_| BundleError::Malformed)?;
                Some((KemPreKeyId(k.id), kind, public, sig))
            }
            None => None,
        };
        Self::verified(
            identity_key,
            SignedPreKeyId(b.signed_prekey_id),
            signed_prekey,
            signature,
            one_time_prekey,
            kem_prekey,
        )
    }

    /// Encodes the bundle for publication.
    pub fn to_bytes(&self) -> Vec<u8> {
        proto::PreKeyBundle {
            version: if self.kem_prekey.is_some() {
                BUNDLE_VERSION_PQ
            } else {
                BUNDLE_VERSION_1
            },
            identity_key: self.identity_key.as_bytes().to_vec(),
            signed_prekey_id: self.signed_prekey_id.0,
            signed_prekey: self.signed_prekey.as_bytes().to_vec(),
            signed_prekey_signature: self.signature.to_vec(),
            one_time_prekey: self.one_time_prekey.map(|(id, k)| {
                proto::pre_key_bundle::OneTimePreKey {
                    id: id.0,
                    public_key: k.as_bytes().to_vec(),
                }
            }),
            kem_prekey: self
                .kem_prekey
                .as_ref()
                .map(|k| proto::pre_key_bundle::KemPreKey {
                    id: k.id().0,
                    kind: k.kind().to_byte().into(),
                    public_key: k.public().as_bytes().to_vec(),
                    signature: k.signature().to_vec(),
                }),
        }
        .encode_to_vec()
    }

    /// The signed KEM prekey of a version 2 bundle: its id, kind and public key. `None` for a
    /// classical (version 1) bundle.
    pub fn kem_prekey(&self) -> Option<(KemPreKeyId, KemPreKeyKind, &KemPublicKey)> {
        self.kem_prekey
            .as_ref()
            .map(|k| (k.id(), k.kind(), k.public()))
    }

    /// The KEM prekey with its verified signature, for PQXDH.
    pub(crate) fn verified_kem_prekey(&self) -> Option<&VerifiedKemPreKey> {
        self.kem_prekey.as_ref()
    }

    /// The publisher's identity key.
    pub fn identity_key(&self) -> &IdentityKey {
        &self.identity_key
    }

    /// The signed prekey's id.
    pub fn signed_prekey_id(&self) -> SignedPreKeyId {
        self.signed_prekey_id
    }

    /// The signed prekey.
    pub fn signed_prekey(&self) -> &PublicKey {
        &self.signed_prekey
    }

    /// The one-time prekey, if the server had one left.
    pub fn one_time_prekey(&self) -> Option<(OneTimePreKeyId, &PublicKey)> {
        self.one_time_prekey.as_ref().map(|(id, k)| (*id, k))
    }

    /// The signature over the signed prekey.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }
}

/// A KEM prekey as decoded, before its signature is checked.
type UncheckedKemPreKey = (
    KemPreKeyId,
    KemPreKeyKind,
    KemPublicKey,
    [u8; SIGNATURE_LEN],
);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn bundle(with_opk: bool) -> (IdentityKeyPair, PreKeyBundle) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let id = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &id, SignedPreKeyId(1));
        let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(2));
        let b = PreKeyBundle::new(&id, &spk, with_opk.then_some(&opk)).unwrap();
        (id, b)
    }

    #[test]
    fn round_trips_with_and_without_one_time_prekey() {
        for with in [true, false] {
            let (_, b) = bundle(with);
            let bytes = b.to_bytes();
            assert!(bytes.len() <= MAX_BUNDLE_LEN);
            assert_eq!(PreKeyBundle::from_bytes(&bytes).unwrap(), b);
        }
    }

    /// The public accessors report what the bundle was made of, after a round trip through its
    /// encoding: the signed prekey's signature, and the KEM prekey of a version 2 bundle only.
    #[test]
    fn accessors_return_the_published_keys() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let id = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &id, SignedPreKeyId(1));
        let kem = SignedKemPreKey::generate(&mut rng, &id, KemPreKeyId(5), KemPreKeyKind::OneTime);
        let classical = PreKeyBundle::new(&id, &spk, None).unwrap();
        let pq = PreKeyBundle::new_pq(&id, &spk, None, &kem).unwrap();
        for b in [&classical, &pq] {
            let b = PreKeyBundle::from_bytes(&b.to_bytes()).unwrap();
            assert_eq!(b.signature(), spk.signature());
        }
        let classical = PreKeyBundle::from_bytes(&classical.to_bytes()).unwrap();
        assert_eq!(classical.kem_prekey(), None);
        let pq = PreKeyBundle::from_bytes(&pq.to_bytes()).unwrap();
        assert_eq!(
            pq.kem_prekey(),
            Some((KemPreKeyId(5), KemPreKeyKind::OneTime, kem.public()))
        );
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let (_, b) = bundle(true);
        let bytes = b.to_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                let decoded = PreKeyBundle::from_bytes(&bad);
                // A flip inside the one-time prekey id changes only which key the server handed
                // out; it is not signed (SPEC 2.3), so it may decode, but to a different id.
                if let Ok(d) = decoded {
                    assert_ne!(d, b, "flip at byte {i} bit {bit} went unnoticed");
                    assert_eq!(d.signed_prekey(), b.signed_prekey());
                }
            }
        }
    }

    #[test]
    fn wrong_signer_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let alice = IdentityKeyPair::generate(&mut rng);
        let mallory = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &mallory, SignedPreKeyId(1));
        assert_eq!(
            PreKeyBundle::new(&alice, &spk, None),
            Err(BundleError::BadSignature)
        );
    }

    #[test]
    fn low_order_signed_prekey_rejected() {
        let (_, b) = bundle(false);
        let mut p = proto::PreKeyBundle::decode(&b.to_bytes()[..]).unwrap();
        p.signed_prekey = vec![0; 32];
        assert_eq!(
            PreKeyBundle::from_bytes(&p.encode_to_vec()),
            Err(BundleError::InvalidKey(KeyError::LowOrder))
        );
        p.signed_prekey = vec![1; 33];
        assert_eq!(
            PreKeyBundle::from_bytes(&p.encode_to_vec()),
            Err(BundleError::InvalidKey(KeyError::InvalidLength))
        );
    }
}
