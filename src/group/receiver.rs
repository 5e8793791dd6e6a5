//! [`GroupReceiver`]: the sender keys this device holds for one group, and decryption
//! (SPEC.md 16.6, 16.7).
//!
//! Decryption is transactional: every value is computed into temporaries and the state is
//! written only after the signature and the AEAD tag verified.

use std::collections::BTreeMap;

use core::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use prost::Message;
use zeroize::{Zeroize, Zeroizing};

use super::chain::{KEY_LEN, SenderChainKey, SenderMessageSeed};
use super::distribution::{SenderKeyDistribution, signing_key_from_slice};
use super::error::GroupError;
use super::message::SenderKeyMessage;
use super::{GroupId, SenderKeyId};
use crate::content::Received;
use crate::error::StateError;
use crate::keys::{IdentityKey, PUBLIC_KEY_LEN, Redacted};
use crate::proto;
use crate::ratchet::skipped::{SkippedStore, StagedRun};
use crate::wire::decode_exact_secret;

/// Largest forward jump within one sender chain: a message more than this many positions past
/// the next expected one is [`GroupError::TooFarAhead`], and nothing is derived.
pub const MAX_GROUP_SKIP: u32 = 2000;
/// Most skipped message seeds one group receiver keeps, over all its senders; the oldest are
/// evicted first.
pub const MAX_GROUP_SKIPPED_KEYS: usize = 2000;
/// Most sender keys kept per sender device (as libsignal): a rotation keeps the previous keys
/// for messages still in flight, and a sixth evicts the oldest.
pub const MAX_SENDER_KEY_STATES: usize = 5;
/// Most sender devices one group receiver tracks.
pub const MAX_GROUP_SENDERS: usize = 8192;
/// Longest stored receiver state [`GroupReceiver::from_bytes`] accepts; the largest legitimate
/// one (every bound above reached) is under 4 MB.
pub const MAX_GROUP_STATE_LEN: usize = 8 * 1024 * 1024;

/// Storage format version of [`GroupReceiver::to_bytes`].
const RECEIVER_STATE_VERSION: u32 = 1;

/// One sender key as received.
#[derive(Clone)]
struct SenderKeyState {
    key_id: SenderKeyId,
    /// The next position expected; `chain_key` is the chain key there.
    iteration: u32,
    chain_key: SenderChainKey,
    signing_key: VerifyingKey,
}

/// The keys of one sender device, newest first.
#[derive(Clone)]
struct SenderRecord {
    identity: IdentityKey,
    states: Vec<SenderKeyState>,
}

impl SenderRecord {
    /// Puts `state` first; returns the id of the oldest key if that made one too many.
    ///
    /// The keys never move to another buffer by a plain copy, and an evicted key is dropped in
    /// place, so no chain key is left in freed or spare memory: growth clones into a buffer of
    /// the final size (dropping, and so zeroizing, the old one), and eviction truncates before
    /// the insert shifts the others up.
    fn push_newest(&mut self, state: SenderKeyState) -> Option<SenderKeyId> {
        if self.states.capacity() < MAX_SENDER_KEY_STATES {
            let mut grown = Vec::with_capacity(MAX_SENDER_KEY_STATES);
            grown.extend(self.states.iter().cloned());
            self.states = grown;
        }
        let evicted = self
            .states
            .get(MAX_SENDER_KEY_STATES - 1)
            .map(|oldest| oldest.key_id);
        self.states.truncate(MAX_SENDER_KEY_STATES - 1);
        self.states.insert(0, state);
        evicted
    }
}

/// A sender chain: the sender device's identity key and the sender key's id.
type Chain = ([u8; PUBLIC_KEY_LEN], SenderKeyId);

/// The seeds of skipped positions, kept for messages that arrive late: the ratchet's store,
/// whose seeds are never moved or freed unwiped.
type Skipped = SkippedStore<Chain, SenderMessageSeed, MAX_GROUP_SKIPPED_KEYS>;

/// The sender keys this device has received for one group, from every other member device,
/// and the seeds of skipped positions.
#[derive(Clone)]
pub struct GroupReceiver {
    group_id: GroupId,
    senders: BTreeMap<[u8; PUBLIC_KEY_LEN], SenderRecord>,
    skipped: Skipped,
}

impl GroupReceiver {
    /// An empty receiver for `group_id`.
    pub fn new(group_id: GroupId) -> Self {
        GroupReceiver {
            group_id,
            senders: BTreeMap::new(),
            skipped: Skipped::default(),
        }
    }

    /// The group.
    pub fn group_id(&self) -> &GroupId {
        &self.group_id
    }

    /// Accepts a sender key from the device `sender`. `sender` MUST be the authenticated peer
    /// of the pairwise session the distribution arrived on
    /// ([`Session::remote_identity`](crate::Session::remote_identity)), never a claim.
    ///
    /// A key id already known for this sender is left as it is (re-accepting it could rewind
    /// the chain and re-open decrypted positions). A sixth key evicts the sender's oldest.
    pub fn process_distribution(
        &mut self,
        sender: &IdentityKey,
        distribution: &SenderKeyDistribution,
    ) -> Result<(), GroupError> {
        if distribution.group_id != self.group_id {
            return Err(GroupError::WrongGroup);
        }
        let known = self.senders.contains_key(sender.as_bytes());
        if !known && self.senders.len() >= MAX_GROUP_SENDERS {
            return Err(GroupError::TooManySenders);
        }
        let record = self
            .senders
            .entry(*sender.as_bytes())
            .or_insert_with(|| SenderRecord {
                identity: *sender,
                states: Vec::new(),
            });
        if record
            .states
            .iter()
            .any(|s| s.key_id == distribution.key_id)
        {
            return Ok(());
        }
        let evicted = record.push_newest(SenderKeyState {
            key_id: distribution.key_id,
            iteration: distribution.iteration,
            chain_key: distribution.chain_key.clone(),
            signing_key: distribution.signing_key,
        });
        if let Some(evicted) = evicted {
            let chain = (*sender.as_bytes(), evicted);
            self.skipped.retain_chains(|c| *c != chain);
        }
        Ok(())
    }

    /// Forgets every key of `sender` and its skipped seeds; call it when the device leaves or is
    /// removed, so nothing it sends afterwards (or sent under its old keys) is accepted.
    /// Returns whether the sender was known.
    pub fn forget_sender(&mut self, sender: &IdentityKey) -> bool {
        let id = *sender.as_bytes();
        self.skipped.retain_chains(|(identity, _)| *identity != id);
        self.senders.remove(&id).is_some()
    }

    /// The sender devices whose keys are held.
    pub fn senders(&self) -> impl Iterator<Item = &IdentityKey> {
        self.senders.values().map(|r| &r.identity)
    }

    /// Verifies and decrypts a group message from the device `sender` (as the transport
    /// reports it; a wrong claim fails the signature). On any error the receiver is unchanged.
    ///
    /// Order: group id, sender key lookup, **signature**, then the chain (replay, jump bound),
    /// then AES-256-GCM.
    pub fn decrypt(
        &mut self,
        sender: &IdentityKey,
        message: &SenderKeyMessage,
    ) -> Result<Vec<u8>, GroupError> {
        if message.group_id != self.group_id {
            return Err(GroupError::WrongGroup);
        }
        let id = *sender.as_bytes();
        let record = self
            .senders
            .get_mut(&id)
            .ok_or(GroupError::UnknownSenderKey)?;
        let state = record
            .states
            .iter_mut()
            .find(|s| s.key_id == message.key_id)
            .ok_or(GroupError::UnknownSenderKey)?;
        let signature = Signature::from_bytes(&message.signature);
        state
            .signing_key
            .verify_strict(&message.signed_message(sender), &signature)
            .map_err(|_| GroupError::BadSignature)?;

        let ad = SenderKeyMessage::associated_data(
            &self.group_id,
            sender,
            message.key_id,
            message.iteration,
            &message.salt,
        );
        let chain = (id, message.key_id);
        if message.iteration < state.iteration {
            let plaintext = self
                .skipped
                .get(&chain, message.iteration)
                .ok_or(GroupError::Duplicate)?
                .message_key(&message.salt)
                .open(&ad, &message.ciphertext)
                .ok_or(GroupError::AuthenticationFailed)?;
            self.skipped.remove(&chain, message.iteration);
            return Ok(plaintext);
        }
        if message.iteration - state.iteration > MAX_GROUP_SKIP {
            return Err(GroupError::TooFarAhead);
        }
        let mut chain_key = state.chain_key.clone();
        let mut staged = StagedRun {
            chain,
            first: state.iteration,
            // Allocated at its final size: growing would leave copies of the seeds in freed memory.
            seeds: Vec::with_capacity((message.iteration - state.iteration) as usize),
        };
        for _ in state.iteration..message.iteration {
            staged.seeds.push(chain_key.advance());
        }
        let plaintext = chain_key
            .advance()
            .message_key(&message.salt)
            .open(&ad, &message.ciphertext)
            .ok_or(GroupError::AuthenticationFailed)?;
        state.chain_key = chain_key;
        state.iteration = message.iteration + 1;
        self.skipped.extend(&[staged]);
        Ok(plaintext)
    }

    /// [`GroupReceiver::decrypt`], then unpads and decodes the content (SPEC.md 9.3). Any `Ok`,
    /// including [`Received::Undecodable`], means the message was authentic and the receiver
    /// has advanced past it: save it. Every `Err` leaves the receiver unchanged.
    pub fn decrypt_content(
        &mut self,
        sender: &IdentityKey,
        message: &SenderKeyMessage,
    ) -> Result<Received, GroupError> {
        Ok(Received::decode(self.decrypt(sender, message)?))
    }

    /// Serializes the state (protobuf `GroupReceiverState`, version 1). Contains secrets:
    /// encrypt it at rest.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut m = proto::GroupReceiverState {
            version: RECEIVER_STATE_VERSION,
            group_id: self.group_id.as_bytes().to_vec(),
            senders: self
                .senders
                .values()
                .map(|r| proto::group_receiver_state::Sender {
                    identity: r.identity.as_bytes().to_vec(),
                    states: r
                        .states
                        .iter()
                        .map(|s| proto::group_receiver_state::State {
                            key_id: s.key_id.0,
                            iteration: s.iteration,
                            chain_key: s.chain_key.as_bytes().to_vec(),
                            signing_key: s.signing_key.as_bytes().to_vec(),
                        })
                        .collect(),
                })
                .collect(),
            skipped: self
                .skipped
                .iter()
                .map(
                    |((identity, key_id), iteration, seed)| proto::group_receiver_state::Skipped {
                        identity: identity.to_vec(),
                        key_id: key_id.0,
                        iteration,
                        message_seed: seed.as_bytes().to_vec(),
                    },
                )
                .collect(),
        };
        let mut out = Zeroizing::new(Vec::with_capacity(m.encoded_len()));
        m.encode_raw(&mut *out);
        wipe(&mut m);
        out
    }

    /// Loads a state written by [`GroupReceiver::to_bytes`], checking every bound and that it is
    /// consistent (senders in order, 1 to 5 distinct keys each, skipped seeds only for positions
    /// before their key's next one, no duplicates).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        if bytes.len() > MAX_GROUP_STATE_LEN {
            return Err(GroupError::State(StateError::Malformed));
        }
        let mut m = decode_exact_secret::<proto::GroupReceiverState>(bytes, wipe)
            .ok_or(GroupError::State(StateError::Malformed))?;
        let result = Self::from_proto(&m);
        wipe(&mut m);
        result
    }

    fn from_proto(m: &proto::GroupReceiverState) -> Result<Self, GroupError> {
        const MALFORMED: GroupError = GroupError::State(StateError::Malformed);
        match m.version {
            RECEIVER_STATE_VERSION => {}
            0 => return Err(MALFORMED),
            _ => return Err(GroupError::State(StateError::UnsupportedVersion)),
        }
        let group_id = GroupId::from_slice(&m.group_id).ok_or(MALFORMED)?;
        if m.senders.len() > MAX_GROUP_SENDERS || m.skipped.len() > MAX_GROUP_SKIPPED_KEYS {
            return Err(MALFORMED);
        }
        let mut senders = BTreeMap::new();
        let mut previous: Option<[u8; PUBLIC_KEY_LEN]> = None;
        for s in &m.senders {
            let identity = IdentityKey::from_slice(&s.identity).map_err(|_| MALFORMED)?;
            let id = *identity.as_bytes();
            // Strictly increasing: the one order `to_bytes` writes, and no sender twice.
            if previous.is_some_and(|p| p >= id) {
                return Err(MALFORMED);
            }
            previous = Some(id);
            if s.states.is_empty() || s.states.len() > MAX_SENDER_KEY_STATES {
                return Err(MALFORMED);
            }
            let mut states = Vec::with_capacity(s.states.len());
            for st in &s.states {
                if states
                    .iter()
                    .any(|x: &SenderKeyState| x.key_id.0 == st.key_id)
                {
                    return Err(MALFORMED);
                }
                let chain: [u8; KEY_LEN] =
                    st.chain_key.as_slice().try_into().map_err(|_| MALFORMED)?;
                states.push(SenderKeyState {
                    key_id: SenderKeyId(st.key_id),
                    iteration: st.iteration,
                    chain_key: SenderChainKey::new(chain),
                    signing_key: signing_key_from_slice(&st.signing_key).map_err(|_| MALFORMED)?,
                });
            }
            senders.insert(id, SenderRecord { identity, states });
        }
        let mut skipped = Skipped::with_capacity(m.skipped.len());
        for k in &m.skipped {
            let identity: [u8; PUBLIC_KEY_LEN] =
                k.identity.as_slice().try_into().map_err(|_| MALFORMED)?;
            let state = senders
                .get(&identity)
                .and_then(|r: &SenderRecord| r.states.iter().find(|s| s.key_id.0 == k.key_id))
                .ok_or(MALFORMED)?;
            if k.iteration >= state.iteration {
                return Err(MALFORMED);
            }
            let seed: [u8; KEY_LEN] = k
                .message_seed
                .as_slice()
                .try_into()
                .map_err(|_| MALFORMED)?;
            let chain = (identity, SenderKeyId(k.key_id));
            if !skipped.push_loaded(chain, k.iteration, SenderMessageSeed::new(seed)) {
                return Err(MALFORMED);
            }
        }
        Ok(GroupReceiver {
            group_id,
            senders,
            skipped,
        })
    }
}

/// Zeroizes every secret field of a decoded or to-be-encoded state.
fn wipe(m: &mut proto::GroupReceiverState) {
    for s in &mut m.senders {
        for st in &mut s.states {
            st.chain_key.zeroize();
        }
    }
    for k in &mut m.skipped {
        k.message_seed.zeroize();
    }
}

impl fmt::Debug for GroupReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let GroupReceiver {
            group_id,
            senders,
            skipped,
        } = self;
        f.debug_struct("GroupReceiver")
            .field("group_id", group_id)
            .field("senders", &senders.len())
            .field("skipped", &skipped.len())
            .field("keys", &Redacted)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::GroupSender;
    use crate::keys::IdentityKeyPair;
    use proto::group_receiver_state::{Sender, Skipped as SkippedEntry, State};
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    const GROUP: GroupId = GroupId::from_bytes([7; 32]);

    /// `n` distinct identity keys, in increasing byte order (the order a state stores them).
    fn identities(n: usize) -> Vec<IdentityKey> {
        let mut rng = ChaCha20Rng::seed_from_u64(18);
        let mut ids: Vec<IdentityKey> = (0..n)
            .map(|_| *IdentityKeyPair::generate(&mut rng).public())
            .collect();
        ids.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        ids.dedup();
        assert_eq!(ids.len(), n);
        ids
    }

    fn signing_key() -> Vec<u8> {
        let mut rng = ChaCha20Rng::seed_from_u64(19);
        let identity = IdentityKeyPair::generate(&mut rng);
        GroupSender::new(&mut rng, GROUP, identity.public())
            .distribution()
            .signing_key()
            .to_vec()
    }

    fn key(key_id: u32, iteration: u32, signing_key: &[u8]) -> State {
        State {
            key_id,
            iteration,
            chain_key: vec![3; 32],
            signing_key: signing_key.to_vec(),
        }
    }

    /// A consistent state: each of `senders` holds `keys` keys (ids 1, 2, ..., next position
    /// 5000); the first sender's key 1 has `skipped` seeds, for positions 0, 1, ...
    fn state(senders: &[IdentityKey], keys: u32, skipped: u32) -> proto::GroupReceiverState {
        let signing = signing_key();
        proto::GroupReceiverState {
            version: RECEIVER_STATE_VERSION,
            group_id: GROUP.as_bytes().to_vec(),
            senders: senders
                .iter()
                .map(|id| Sender {
                    identity: id.as_bytes().to_vec(),
                    states: (1..=keys).map(|k| key(k, 5000, &signing)).collect(),
                })
                .collect(),
            skipped: (0..skipped)
                .map(|i| SkippedEntry {
                    identity: senders[0].as_bytes().to_vec(),
                    key_id: 1,
                    iteration: i,
                    message_seed: vec![4; 32],
                })
                .collect(),
        }
    }

    fn load(m: &proto::GroupReceiverState) -> Result<GroupReceiver, GroupError> {
        GroupReceiver::from_bytes(&m.encode_to_vec())
    }

    const MALFORMED: GroupError = GroupError::State(StateError::Malformed);

    /// SPEC.md 16.9's 8 MiB, written out. The bound is exact and tested before decoding: a
    /// canonical state of a newer version is `UnsupportedVersion` at 8 MiB (decoded, its
    /// version read) and `Malformed` one byte over.
    #[test]
    fn state_length_bound_is_exact_and_checked_first() {
        assert_eq!(MAX_GROUP_STATE_LEN, 8_388_608);
        for (len, expected) in [
            (
                MAX_GROUP_STATE_LEN,
                GroupError::State(StateError::UnsupportedVersion),
            ),
            (MAX_GROUP_STATE_LEN + 1, MALFORMED),
        ] {
            let mut m = state(&identities(1), 1, 0);
            m.version = RECEIVER_STATE_VERSION + 1;
            // The group id's length prefix grows from 1 byte to 4.
            m.group_id.resize(len - m.encoded_len() - 3 + 32, 0);
            while m.encoded_len() < len {
                m.group_id.push(0);
            }
            let bytes = m.encode_to_vec();
            assert_eq!(bytes.len(), len);
            assert_eq!(GroupReceiver::from_bytes(&bytes).unwrap_err(), expected);
        }
    }

    /// Version 0 (the field absent) is malformed, not a newer version.
    #[test]
    fn version_zero_is_malformed() {
        let mut m = state(&identities(1), 1, 0);
        assert!(load(&m).is_ok());
        m.version = 0;
        assert_eq!(load(&m).unwrap_err(), MALFORMED);
    }

    /// `MAX_GROUP_SENDERS` senders load, one more does not; `MAX_GROUP_SKIPPED_KEYS` skipped
    /// seeds load, one more do not. Each bound on its own, the other count within its bound.
    #[test]
    fn sender_and_skipped_counts_are_bounded_exactly() {
        let ids = identities(MAX_GROUP_SENDERS + 1);
        let at = load(&state(&ids[..MAX_GROUP_SENDERS], 1, 0)).unwrap();
        assert_eq!(at.senders().count(), MAX_GROUP_SENDERS);
        assert_eq!(load(&state(&ids, 1, 0)).unwrap_err(), MALFORMED);
        let max = MAX_GROUP_SKIPPED_KEYS as u32;
        let at = load(&state(&ids[..1], 1, max)).unwrap();
        assert_eq!(at.skipped.len(), MAX_GROUP_SKIPPED_KEYS);
        assert_eq!(load(&state(&ids[..1], 1, max + 1)).unwrap_err(), MALFORMED);
    }

    /// A sender holds 1 to `MAX_SENDER_KEY_STATES` keys, with distinct ids.
    #[test]
    fn keys_per_sender_are_bounded_and_distinct() {
        let ids = identities(1);
        assert_eq!(load(&state(&ids, 0, 0)).unwrap_err(), MALFORMED);
        for n in 1..=MAX_SENDER_KEY_STATES as u32 {
            let r = load(&state(&ids, n, 0)).unwrap();
            assert_eq!(r.senders[ids[0].as_bytes()].states.len(), n as usize);
        }
        let six = MAX_SENDER_KEY_STATES as u32 + 1;
        assert_eq!(load(&state(&ids, six, 0)).unwrap_err(), MALFORMED);
        let mut repeated = state(&ids, 2, 0);
        repeated.senders[0].states[1].key_id = 1;
        assert_eq!(load(&repeated).unwrap_err(), MALFORMED);
    }

    /// A new sender past `MAX_GROUP_SENDERS` is `TooManySenders`, nothing changed; a sender
    /// already held still gets its new keys.
    #[test]
    fn sender_count_is_bounded_for_new_senders_only() {
        let mut rng = ChaCha20Rng::seed_from_u64(20);
        let ids = identities(MAX_GROUP_SENDERS + 1);
        let owner = IdentityKeyPair::generate(&mut rng);
        let mut sender = GroupSender::new(&mut rng, GROUP, owner.public());
        let d = sender.distribution();
        let mut r = GroupReceiver::new(GROUP);
        for id in &ids[..MAX_GROUP_SENDERS] {
            r.process_distribution(id, &d).unwrap();
        }
        let before = r.to_bytes();
        assert_eq!(
            r.process_distribution(&ids[MAX_GROUP_SENDERS], &d),
            Err(GroupError::TooManySenders)
        );
        assert_eq!(*r.to_bytes(), *before);
        sender.rotate(&mut rng);
        r.process_distribution(&ids[0], &sender.distribution())
            .unwrap();
        assert_eq!(r.senders[ids[0].as_bytes()].states.len(), 2);
    }
}
