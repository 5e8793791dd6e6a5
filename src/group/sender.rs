//! [`GroupSender`]: this device's own sender key for one group (SPEC.md 16.2, 16.6).

use core::fmt;

use ed25519_dalek::{Signer, SigningKey};
use prost::Message;
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::chain::{KEY_LEN, SALT_LEN, SenderChainKey};
use super::distribution::SenderKeyDistribution;
use super::error::GroupError;
use super::message::SenderKeyMessage;
use super::{GroupId, SenderKeyId};
use crate::content::Content;
use crate::error::StateError;
use crate::keys::{IdentityKey, Redacted};
use crate::proto;
use crate::wire::MAX_PLAINTEXT_LEN;
use crate::wire::decode_exact_secret;

/// Storage format version of [`GroupSender::to_bytes`].
const SENDER_STATE_VERSION: u32 = 1;
/// Longest stored sender state: every field at its longest is 147 bytes.
const MAX_SENDER_STATE_LEN: usize = 160;

/// This device's sender key in one group: a chain (chain key, next iteration) and an Ed25519
/// signing key. Every device of a member is its own sender.
///
/// Send [`GroupSender::distribution`] to every other member device over the pairwise sessions;
/// then every [`GroupSender::encrypt`] is one encryption and one signature for the whole group.
/// When anyone leaves or is removed, call [`GroupSender::rotate`] and distribute again.
pub struct GroupSender {
    group_id: GroupId,
    identity: IdentityKey,
    key_id: SenderKeyId,
    iteration: u32,
    chain_key: SenderChainKey,
    signing: SigningKey,
}

impl GroupSender {
    /// A fresh sender key for `group_id`, owned by the device with identity `identity`.
    ///
    /// Randomness, in order: 4 bytes of key id (`next_u32`), 32 of chain key, 32 of signing seed.
    pub fn new<R: CryptoRng + ?Sized>(
        rng: &mut R,
        group_id: GroupId,
        identity: &IdentityKey,
    ) -> Self {
        let (key_id, chain_key, signing) = fresh_key(rng, None);
        GroupSender {
            group_id,
            identity: *identity,
            key_id,
            iteration: 0,
            chain_key,
            signing,
        }
    }

    /// Replaces the sender key with a new one (new id, chain and signing key). Call it when a
    /// member leaves or is removed, then distribute the new key to the remaining member devices
    /// only: whoever holds only the old key cannot read what follows.
    pub fn rotate<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        let (key_id, chain_key, signing) = fresh_key(rng, Some(self.key_id));
        self.key_id = key_id;
        self.iteration = 0;
        self.chain_key = chain_key;
        self.signing = signing;
    }

    /// The current key as it goes to one member device: its *current* chain position, so the
    /// recipient reads from the next message on and none of the earlier ones.
    pub fn distribution(&self) -> SenderKeyDistribution {
        SenderKeyDistribution {
            group_id: self.group_id,
            key_id: self.key_id,
            iteration: self.iteration,
            chain_key: self.chain_key.clone(),
            signing_key: self.signing.verifying_key(),
        }
    }

    /// Encrypts `plaintext` for the whole group and signs the message. On error nothing changed.
    ///
    /// Randomness: 16 bytes of salt.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<SenderKeyMessage, GroupError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(GroupError::PlaintextTooLarge);
        }
        // u32::MAX is never a message position (receivers reject it as malformed), so a
        // receiver's next position `iteration + 1` always exists.
        if self.iteration == u32::MAX {
            return Err(GroupError::ChainExhausted);
        }
        let mut chain_key = self.chain_key.clone();
        let seed = chain_key.advance();
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let ad = SenderKeyMessage::associated_data(
            &self.group_id,
            &self.identity,
            self.key_id,
            self.iteration,
            &salt,
        );
        let ciphertext = seed
            .message_key(&salt)
            .seal(&ad, plaintext)
            .map_err(|_| GroupError::PlaintextTooLarge)?;
        let message = SenderKeyMessage::build(
            self.group_id,
            self.key_id,
            self.iteration,
            salt,
            ciphertext,
            &self.identity,
            |bytes| self.signing.sign(bytes).to_bytes(),
        );
        self.chain_key = chain_key;
        self.iteration += 1;
        Ok(message)
    }

    /// Validates, encodes, pads (SPEC.md 9) and encrypts `content`.
    pub fn encrypt_content<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        content: &Content,
    ) -> Result<SenderKeyMessage, GroupError> {
        let plaintext = content.to_plaintext()?;
        self.encrypt(rng, &plaintext)
    }

    /// The group.
    pub fn group_id(&self) -> &GroupId {
        &self.group_id
    }

    /// The current key's id.
    pub fn key_id(&self) -> SenderKeyId {
        self.key_id
    }

    /// The position of the next message.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// Serializes the state (protobuf `GroupSenderState`, version 1). Contains secrets: encrypt
    /// it at rest.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut m = proto::GroupSenderState {
            version: SENDER_STATE_VERSION,
            group_id: self.group_id.as_bytes().to_vec(),
            identity: self.identity.as_bytes().to_vec(),
            key_id: self.key_id.0,
            iteration: self.iteration,
            chain_key: self.chain_key.as_bytes().to_vec(),
            signing_seed: self.signing.to_bytes().to_vec(),
        };
        let mut out = Zeroizing::new(Vec::with_capacity(m.encoded_len()));
        m.encode_raw(&mut *out);
        wipe(&mut m);
        out
    }

    /// Loads a state written by [`GroupSender::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        if bytes.len() > MAX_SENDER_STATE_LEN {
            return Err(GroupError::State(StateError::Malformed));
        }
        let mut m = decode_exact_secret::<proto::GroupSenderState>(bytes, wipe)
            .ok_or(GroupError::State(StateError::Malformed))?;
        let result = Self::from_proto(&m);
        wipe(&mut m);
        result
    }

    fn from_proto(m: &proto::GroupSenderState) -> Result<Self, GroupError> {
        const MALFORMED: GroupError = GroupError::State(StateError::Malformed);
        match m.version {
            SENDER_STATE_VERSION => {}
            0 => return Err(MALFORMED),
            _ => return Err(GroupError::State(StateError::UnsupportedVersion)),
        }
        let group_id = GroupId::from_slice(&m.group_id).ok_or(MALFORMED)?;
        let identity = IdentityKey::from_slice(&m.identity).map_err(|_| MALFORMED)?;
        let chain_key: [u8; KEY_LEN] = m.chain_key.as_slice().try_into().map_err(|_| MALFORMED)?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            m.signing_seed
                .as_slice()
                .try_into()
                .map_err(|_| MALFORMED)?,
        );
        Ok(GroupSender {
            group_id,
            identity,
            key_id: SenderKeyId(m.key_id),
            iteration: m.iteration,
            chain_key: SenderChainKey::new(chain_key),
            signing: SigningKey::from_bytes(&seed),
        })
    }
}

/// Zeroizes the secret fields of a decoded or to-be-encoded state.
fn wipe(m: &mut proto::GroupSenderState) {
    m.chain_key.zeroize();
    m.signing_seed.zeroize();
}

/// A new key id (different from `previous`), chain key and signing key.
fn fresh_key<R: CryptoRng + ?Sized>(
    rng: &mut R,
    previous: Option<SenderKeyId>,
) -> (SenderKeyId, SenderChainKey, SigningKey) {
    let mut key_id = SenderKeyId(rng.next_u32());
    while Some(key_id) == previous {
        key_id = SenderKeyId(rng.next_u32());
    }
    let mut chain = [0u8; KEY_LEN];
    rng.fill_bytes(&mut chain);
    let chain_key = SenderChainKey::new(chain);
    chain.zeroize();
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut *seed);
    (key_id, chain_key, SigningKey::from_bytes(&seed))
}

impl fmt::Debug for GroupSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let GroupSender {
            group_id,
            identity,
            key_id,
            iteration,
            chain_key: _,
            signing: _,
        } = self;
        f.debug_struct("GroupSender")
            .field("group_id", group_id)
            .field("identity", identity)
            .field("key_id", key_id)
            .field("iteration", iteration)
            .field("secrets", &Redacted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IdentityKeyPair;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn state() -> proto::GroupSenderState {
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        let identity = IdentityKeyPair::generate(&mut rng);
        let sender = GroupSender::new(&mut rng, GroupId::from_bytes([7; 32]), identity.public());
        proto::GroupSenderState::decode(&sender.to_bytes()[..]).unwrap()
    }

    /// `m` with its group id lengthened (a 1-byte length prefix) until it encodes to `len`.
    fn encoded_to(mut m: proto::GroupSenderState, len: usize) -> Vec<u8> {
        while m.encoded_len() < len {
            m.group_id.push(0);
        }
        assert_eq!(m.encoded_len(), len);
        m.encode_to_vec()
    }

    /// The 160-byte bound (SPEC.md 16.9) is tested before anything is decoded, and is exact: a
    /// canonical state of a newer version is `UnsupportedVersion` at 160 bytes (decoded, its
    /// version read first) and `Malformed` at 161 (refused unread).
    #[test]
    fn length_bound_is_exact_and_checked_first() {
        let mut newer = state();
        newer.version = SENDER_STATE_VERSION + 1;
        let at = encoded_to(newer.clone(), MAX_SENDER_STATE_LEN);
        assert_eq!(
            GroupSender::from_bytes(&at).unwrap_err(),
            GroupError::State(StateError::UnsupportedVersion)
        );
        let over = encoded_to(newer, MAX_SENDER_STATE_LEN + 1);
        assert_eq!(
            GroupSender::from_bytes(&over).unwrap_err(),
            GroupError::State(StateError::Malformed)
        );
    }

    /// Version 0 (the field absent: protobuf's default) is malformed, not a newer version.
    #[test]
    fn version_zero_is_malformed() {
        let mut m = state();
        assert!(GroupSender::from_bytes(&m.encode_to_vec()).is_ok());
        m.version = 0;
        let bytes = m.encode_to_vec();
        assert_ne!(bytes[0], 0x08, "no version field");
        assert_eq!(
            GroupSender::from_bytes(&bytes).unwrap_err(),
            GroupError::State(StateError::Malformed)
        );
    }
}
