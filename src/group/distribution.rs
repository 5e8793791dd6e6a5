//! [`SenderKeyDistribution`]: a sender key as its owner hands it to one member device over
//! their pairwise session (SPEC.md 16.5).
//!
//! It carries the chain key at the sender's *current* position, so whoever receives it can read
//! what the sender sends from now on and nothing it sent before.

use core::fmt;

use ed25519_dalek::VerifyingKey;
use prost::Message;
use zeroize::{Zeroize, Zeroizing};

use super::chain::{KEY_LEN, SenderChainKey};
use super::error::GroupError;
use super::message::GROUP_VERSION;
use super::{GroupId, SenderKeyId};
use crate::content::PADDING_BUCKET;
use crate::content::padding::{pad, unpad};
use crate::keys::{Hex, IdentityKey, Redacted};
use crate::proto;
use crate::wire::decode_exact_secret;

/// Longest encoded distribution message: every field at its longest is 116 bytes.
const MAX_DISTRIBUTION_LEN: usize = 128;

/// A sender key for one group, as distributed. Contains a secret chain key: send it only over
/// a pairwise [`Session`](crate::Session), never in the clear.
#[derive(Clone)]
pub struct SenderKeyDistribution {
    pub(crate) group_id: GroupId,
    pub(crate) key_id: SenderKeyId,
    pub(crate) iteration: u32,
    pub(crate) chain_key: SenderChainKey,
    pub(crate) signing_key: VerifyingKey,
}

impl SenderKeyDistribution {
    /// The group this key is for.
    pub fn group_id(&self) -> &GroupId {
        &self.group_id
    }

    /// The key's id among its sender's keys.
    pub fn key_id(&self) -> SenderKeyId {
        self.key_id
    }

    /// The chain position the key starts at: the sender's next message.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// The signing public key that the sender's messages under this key verify with.
    pub fn signing_key(&self) -> &[u8; 32] {
        self.signing_key.as_bytes()
    }

    /// The protobuf encoding (`SenderKeyDistributionMessage`). Holds a secret.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(MAX_DISTRIBUTION_LEN));
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoding to `out`; the temporary copy of the chain key is wiped.
    fn encode_into(&self, out: &mut Vec<u8>) {
        let mut m = proto::SenderKeyDistributionMessage {
            version: GROUP_VERSION,
            group_id: self.group_id.as_bytes().to_vec(),
            key_id: self.key_id.0,
            iteration: self.iteration,
            chain_key: self.chain_key.as_bytes().to_vec(),
            signing_key: self.signing_key.as_bytes().to_vec(),
        };
        m.encode_raw(out);
        wipe(&mut m);
    }

    /// Decodes and validates a distribution message (canonical encoding, lengths, the signing
    /// key validated as an identity key is, SPEC.md 2.1).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        if bytes.len() > MAX_DISTRIBUTION_LEN {
            return Err(GroupError::TooLarge);
        }
        let mut m = decode_exact_secret::<proto::SenderKeyDistributionMessage>(bytes, wipe)
            .ok_or(GroupError::Malformed)?;
        let result = Self::from_proto(&m);
        wipe(&mut m);
        result
    }

    fn from_proto(m: &proto::SenderKeyDistributionMessage) -> Result<Self, GroupError> {
        if m.version != GROUP_VERSION {
            return Err(GroupError::UnsupportedVersion);
        }
        let group_id = GroupId::from_slice(&m.group_id).ok_or(GroupError::Malformed)?;
        let chain_key: [u8; KEY_LEN] = m
            .chain_key
            .as_slice()
            .try_into()
            .map_err(|_| GroupError::Malformed)?;
        let signing_key = signing_key_from_slice(&m.signing_key)?;
        Ok(SenderKeyDistribution {
            group_id,
            key_id: SenderKeyId(m.key_id),
            iteration: m.iteration,
            chain_key: SenderChainKey::new(chain_key),
            signing_key,
        })
    }

    /// The plaintext to encrypt with [`Session::encrypt`](crate::Session::encrypt): the encoding,
    /// padded as content is (SPEC.md 9.2), so on the wire it is as long as a short text.
    pub fn to_plaintext(&self) -> Zeroizing<Vec<u8>> {
        // Sized for the padded length up front, so no unwiped copy is left by a reallocation.
        let mut out = Zeroizing::new(Vec::with_capacity(PADDING_BUCKET));
        self.encode_into(&mut out);
        pad(&mut out);
        out
    }

    /// Reverses [`SenderKeyDistribution::to_plaintext`].
    pub fn from_plaintext(plaintext: &[u8]) -> Result<Self, GroupError> {
        if plaintext.len() > PADDING_BUCKET {
            return Err(GroupError::TooLarge);
        }
        let encoded = unpad(plaintext).map_err(|_| GroupError::Malformed)?;
        Self::from_bytes(encoded)
    }
}

/// Zeroizes the chain key of a decoded or to-be-encoded distribution.
fn wipe(m: &mut proto::SenderKeyDistributionMessage) {
    m.chain_key.zeroize();
}

/// An Ed25519 signing public key, validated by the rules of an identity key (canonical, not of
/// small order).
pub(crate) fn signing_key_from_slice(bytes: &[u8]) -> Result<VerifyingKey, GroupError> {
    let identity = IdentityKey::from_slice(bytes).map_err(GroupError::InvalidKey)?;
    VerifyingKey::from_bytes(identity.as_bytes()).map_err(|_| GroupError::Malformed)
}

impl fmt::Debug for SenderKeyDistribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SenderKeyDistribution {
            group_id,
            key_id,
            iteration,
            chain_key: _,
            signing_key,
        } = self;
        f.debug_struct("SenderKeyDistribution")
            .field("group_id", group_id)
            .field("key_id", key_id)
            .field("iteration", iteration)
            .field("chain_key", &Redacted)
            .field(
                "signing_key",
                &format_args!("{}", Hex(signing_key.as_bytes())),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::GroupSender;
    use crate::keys::IdentityKeyPair;
    use ed25519_dalek::SigningKey;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn distribution() -> SenderKeyDistribution {
        let mut rng = ChaCha20Rng::seed_from_u64(17);
        let identity = IdentityKeyPair::generate(&mut rng);
        GroupSender::new(&mut rng, GroupId::from_bytes([7; 32]), identity.public()).distribution()
    }

    /// The 128-byte bound (SPEC.md 16.5) is tested before anything is decoded, and is exact: a
    /// canonical distribution of a newer version is `UnsupportedVersion` at 128 bytes and
    /// `TooLarge` at 129.
    #[test]
    fn length_bound_is_exact_and_checked_first() {
        for (len, expected) in [
            (MAX_DISTRIBUTION_LEN, GroupError::UnsupportedVersion),
            (MAX_DISTRIBUTION_LEN + 1, GroupError::TooLarge),
        ] {
            let mut m = proto::SenderKeyDistributionMessage::decode(&distribution().to_bytes()[..])
                .unwrap();
            m.version = GROUP_VERSION + 1;
            while m.encoded_len() < len {
                m.group_id.push(0);
            }
            let bytes = m.encode_to_vec();
            assert_eq!(bytes.len(), len);
            assert_eq!(
                SenderKeyDistribution::from_bytes(&bytes).unwrap_err(),
                expected
            );
        }
    }

    /// A padded distribution is one 160-byte bucket; two buckets are `TooLarge` before `unpad`
    /// runs (which would call them `Malformed`: the marker is not in the last bucket).
    #[test]
    fn a_plaintext_over_one_bucket_is_too_large() {
        let mut plaintext = distribution().to_plaintext().to_vec();
        assert_eq!(plaintext.len(), PADDING_BUCKET);
        assert!(SenderKeyDistribution::from_plaintext(&plaintext).is_ok());
        plaintext.resize(2 * PADDING_BUCKET, 0);
        assert_eq!(
            SenderKeyDistribution::from_plaintext(&plaintext).unwrap_err(),
            GroupError::TooLarge
        );
    }

    /// `signing_key` is the Ed25519 public key the distribution carries.
    #[test]
    fn signing_key_is_the_carried_public_key() {
        let public = SigningKey::from_bytes(&[9; 32]).verifying_key();
        let mut m =
            proto::SenderKeyDistributionMessage::decode(&distribution().to_bytes()[..]).unwrap();
        m.signing_key = public.as_bytes().to_vec();
        let d = SenderKeyDistribution::from_bytes(&m.encode_to_vec()).unwrap();
        assert_eq!(d.signing_key(), public.as_bytes());
    }
}
