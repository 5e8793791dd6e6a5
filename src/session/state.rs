//! Session storage: `to_bytes` / `from_bytes` (SPEC.md section 8).
//!
//! A versioned protobuf (`SessionState` in `proto/crosswire.proto`). Loading validates every
//! field and the invariants the ratchet relies on, so a blob that is not a state this library
//! could have written is an error. That is not integrity: the state is not authenticated, and a
//! bit flip in a chain key or seed still loads and then silently fails every message of that
//! chain. Applications must store it sealed (the account layer seals it with AES-256-GCM under
//! the account's storage key, which also authenticates it). Every later version of crosswire
//! keeps loading versions 1 and 2 (`test-vectors/session-state.json` pins both).

#[cfg(test)]
use prost::Message;
use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, Zeroizing};

use super::{MAX_CONTEXT_LEN, Session};
use crate::error::StateError;
use crate::kem::KemCiphertext;
use crate::kem_prekey::KemPreKeyId;
use crate::keys::{IdentityKey, KeyPair, OneTimePreKeyId, PublicKey, SignedPreKeyId};
use crate::proto;
#[cfg(test)]
use crate::proto::session_state as ps;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::header::{KemFields, PreKeyFields};
use crate::ratchet::message_key::MessageSeed;
use crate::ratchet::root_key::RootKey;
use crate::ratchet::skipped::{MAX_SKIPPED_KEYS, SkippedKeys};
use crate::ratchet::{DoubleRatchet, ReceivingChain, SendingChain};
use crate::wire::decode_exact_secret;

/// The storage format version [`Session::to_bytes`] writes: skipped seeds grouped in runs that
/// share a ratchet key (version 1 repeated the key in every entry).
pub(super) const STATE_VERSION: u32 = 2;
/// The first storage format version, still loaded.
const STATE_VERSION_1: u32 = 1;

/// Length of a message seed in a stored run.
pub(super) const SEED_LEN: usize = 32;

/// Longest serialized session accepted: a full skipped-key store in the version 1 layout
/// (about 76 bytes an entry; version 2 needs at most 37) plus the largest context, with room to
/// spare.
pub const MAX_STATE_LEN: usize = 256 * 1024;

impl Session {
    /// Serializes the whole session, secrets included: seal it at rest (it is not
    /// authenticated; SPEC.md section 8). The returned buffer is wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut bytes = Zeroizing::new(Vec::new());
        self.write_bytes(&mut bytes);
        bytes
    }

    /// The version 2 encoding through the prost message, which `to_bytes` writes directly:
    /// for the test that the two agree.
    #[cfg(test)]
    pub(crate) fn to_bytes_prost(&self) -> Zeroizing<Vec<u8>> {
        let mut state = self.to_state(STATE_VERSION);
        let bytes = Zeroizing::new(state.encode_to_vec());
        wipe(&mut state);
        bytes
    }

    /// The version 1 encoding, which this version no longer writes: for the vectors that pin
    /// its loading.
    #[cfg(test)]
    pub(crate) fn to_bytes_v1(&self) -> Zeroizing<Vec<u8>> {
        let mut state = self.to_state(STATE_VERSION_1);
        let bytes = Zeroizing::new(state.encode_to_vec());
        wipe(&mut state);
        bytes
    }

    #[cfg(test)]
    fn to_state(&self, version: u32) -> proto::SessionState {
        let r = &self.ratchet;
        let mut state = proto::SessionState {
            version,
            local_identity: self.local_identity.as_bytes().to_vec(),
            remote_identity: self.remote_identity.as_bytes().to_vec(),
            associated_data: self.associated_data.clone(),
            root_key: r.root_key.as_bytes().to_vec(),
            ratchet_secret: r.ratchet.secret_bytes().to_vec(),
            sending: r.sending.as_ref().map(|s| ps::SendingChain {
                chain_key: s.chain_key.as_bytes().to_vec(),
                counter: s.counter,
            }),
            previous_counter: r.previous_counter,
            receiving: r.receiving.as_ref().map(|c| ps::ReceivingChain {
                ratchet_key: c.ratchet_key.as_bytes().to_vec(),
                chain_key: c.chain_key.as_bytes().to_vec(),
                counter: c.counter,
            }),
            skipped: Vec::new(),
            origin: Some(ps::PreKeyHeader {
                base_key: self.origin.base_key.as_bytes().to_vec(),
                signed_prekey_id: self.origin.signed_prekey_id.0,
                one_time_prekey_id: self.origin.one_time_prekey_id.map(|id| id.0),
                kem_prekey_id: self.origin.kem.map(|k| k.prekey_id.0),
                kem_ciphertext_hash: self
                    .origin
                    .kem
                    .map(|k| k.ciphertext_hash.to_vec())
                    .unwrap_or_default(),
            }),
            initiator: self.initiator,
            awaiting_reply: self.awaiting_reply,
            skipped_runs: Vec::new(),
            kem_ciphertext: self
                .kem_ciphertext
                .as_ref()
                .map(|ct| ct.as_bytes().to_vec())
                .unwrap_or_default(),
        };
        if version == STATE_VERSION_1 {
            state.skipped = Vec::with_capacity(r.skipped.len());
            state
                .skipped
                .extend(r.skipped.iter().map(|(key, counter, seed)| ps::SkippedKey {
                    ratchet_key: key.as_bytes().to_vec(),
                    counter,
                    message_seed: seed.as_bytes().to_vec(),
                }));
        } else {
            state.skipped_runs = runs(&r.skipped);
        }
        state
    }

    /// Loads a session written by [`to_bytes`](Self::to_bytes) of this or any earlier version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Session, StateError> {
        if bytes.len() > MAX_STATE_LEN {
            return Err(StateError::Malformed);
        }
        let mut state =
            decode_exact_secret::<proto::SessionState>(bytes, wipe).ok_or(StateError::Malformed)?;
        let session = match state.version {
            STATE_VERSION_1 if state.skipped_runs.is_empty() => load(&state),
            STATE_VERSION if state.skipped.is_empty() => load(&state),
            0 | STATE_VERSION_1 | STATE_VERSION => Err(StateError::Malformed),
            _ => Err(StateError::UnsupportedVersion),
        };
        wipe(&mut state);
        session
    }
}

/// Groups the skipped entries, oldest first, into maximal runs of one ratchet key. The order of
/// entries is kept exactly, so eviction order survives a round trip.
#[cfg(test)]
fn runs(skipped: &SkippedKeys) -> Vec<ps::SkippedRun> {
    let entries: Vec<_> = skipped.iter().collect();
    entries
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| {
            // Allocated at its final size: growing would leave seed bytes in freed memory.
            let mut message_seeds = Vec::with_capacity(run.len() * SEED_LEN);
            for (_, _, seed) in run {
                message_seeds.extend_from_slice(seed.as_bytes());
            }
            ps::SkippedRun {
                ratchet_key: run
                    .first()
                    .map(|e| e.0.as_bytes().to_vec())
                    .unwrap_or_default(),
                counters: run.iter().map(|e| e.1).collect(),
                message_seeds,
            }
        })
        .collect()
}

fn load(s: &proto::SessionState) -> Result<Session, StateError> {
    let bad = |_| StateError::Malformed;
    let local_identity = IdentityKey::from_slice(&s.local_identity).map_err(bad)?;
    let remote_identity = IdentityKey::from_slice(&s.remote_identity).map_err(bad)?;
    let (initiator_ik, responder_ik) = if s.initiator {
        (&local_identity, &remote_identity)
    } else {
        (&remote_identity, &local_identity)
    };
    let ad = &s.associated_data;
    if ad.len() < 64
        || ad.len() > 64 + MAX_CONTEXT_LEN
        || ad[..32] != initiator_ik.as_bytes()[..]
        || ad[32..64] != responder_ik.as_bytes()[..]
    {
        return Err(StateError::Malformed);
    }

    let origin = s.origin.as_ref().ok_or(StateError::Malformed)?;
    let origin = PreKeyFields {
        identity_key: *initiator_ik,
        base_key: PublicKey::from_slice(&origin.base_key).map_err(bad)?,
        signed_prekey_id: SignedPreKeyId(origin.signed_prekey_id),
        one_time_prekey_id: origin.one_time_prekey_id.map(OneTimePreKeyId),
        kem: match (origin.kem_prekey_id, origin.kem_ciphertext_hash.is_empty()) {
            (None, true) => None,
            (Some(id), false) => Some(KemFields {
                prekey_id: KemPreKeyId(id),
                ciphertext_hash: secret32(&origin.kem_ciphertext_hash)?,
            }),
            _ => return Err(StateError::Malformed),
        },
    };
    // A PQXDH initiator keeps the ciphertext exactly while it still sends prekey messages, and
    // it is the one the stored hash names.
    let kem_ciphertext = if s.kem_ciphertext.is_empty() {
        None
    } else {
        Some(KemCiphertext::from_bytes(&s.kem_ciphertext).map_err(|_| StateError::Malformed)?)
    };
    let needs_ciphertext = s.initiator && s.awaiting_reply && origin.kem.is_some();
    match (&kem_ciphertext, origin.kem) {
        (Some(ct), Some(kem)) if needs_ciphertext && ct.hash() == kem.ciphertext_hash => {}
        (None, _) if !needs_ciphertext => {}
        _ => return Err(StateError::Malformed),
    }

    let sending = match &s.sending {
        Some(c) => Some(SendingChain {
            chain_key: chain_key(&c.chain_key)?,
            counter: c.counter,
        }),
        None => None,
    };
    let receiving = match &s.receiving {
        Some(c) => Some(ReceivingChain {
            ratchet_key: PublicKey::from_slice(&c.ratchet_key).map_err(bad)?,
            chain_key: chain_key(&c.chain_key)?,
            counter: c.counter,
        }),
        None => None,
    };
    // encrypt() needs a sending chain or a peer ratchet key to step to; a responder only
    // exists once it has received; an initiator still awaiting its reply has received nothing.
    if (sending.is_none() && receiving.is_none())
        || (!s.initiator && receiving.is_none())
        || (!s.initiator && s.awaiting_reply)
        || (s.awaiting_reply && receiving.is_some())
    {
        return Err(StateError::Malformed);
    }

    let skipped = load_skipped(s)?;

    let ratchet = DoubleRatchet {
        root_key: RootKey::new(secret32(&s.root_key)?),
        ratchet: KeyPair::from_secret(StaticSecret::from(secret32(&s.ratchet_secret)?)),
        sending,
        previous_counter: s.previous_counter,
        receiving,
        skipped,
    };
    Ok(Session {
        local_identity,
        remote_identity,
        associated_data: ad.clone(),
        ratchet,
        origin,
        initiator: s.initiator,
        awaiting_reply: s.awaiting_reply,
        kem_ciphertext,
    })
}

/// The skipped store of either version: at most [`MAX_SKIPPED_KEYS`] entries, no two for one
/// position, every ratchet key valid. Seeds go straight from the decoded fields into the store.
fn load_skipped(s: &proto::SessionState) -> Result<SkippedKeys, StateError> {
    let bad = |_| StateError::Malformed;
    let count = s.skipped.len()
        + s.skipped_runs
            .iter()
            .map(|r| r.counters.len())
            .sum::<usize>();
    if count > MAX_SKIPPED_KEYS {
        return Err(StateError::Malformed);
    }
    let mut skipped = SkippedKeys::with_capacity(count);
    for k in &s.skipped {
        let key = PublicKey::from_slice(&k.ratchet_key).map_err(bad)?;
        let seed = MessageSeed::new(secret32(&k.message_seed)?);
        if !skipped.push_loaded(key, k.counter, seed) {
            return Err(StateError::Malformed);
        }
    }
    let mut previous: Option<&[u8]> = None;
    for run in &s.skipped_runs {
        // Empty runs, adjacent runs of one key and seed counts that do not match the counters
        // are not what `to_bytes` writes.
        if run.counters.is_empty()
            || run.message_seeds.len() != run.counters.len() * SEED_LEN
            || previous == Some(&run.ratchet_key[..])
        {
            return Err(StateError::Malformed);
        }
        previous = Some(&run.ratchet_key);
        let key = PublicKey::from_slice(&run.ratchet_key).map_err(bad)?;
        for (counter, seed) in run
            .counters
            .iter()
            .zip(run.message_seeds.chunks_exact(SEED_LEN))
        {
            let seed = MessageSeed::new(secret32(seed)?);
            if !skipped.push_loaded(key, *counter, seed) {
                return Err(StateError::Malformed);
            }
        }
    }
    Ok(skipped)
}

fn secret32(bytes: &[u8]) -> Result<[u8; 32], StateError> {
    bytes.try_into().map_err(|_| StateError::Malformed)
}

fn chain_key(bytes: &[u8]) -> Result<ChainKey, StateError> {
    Ok(ChainKey::new(secret32(bytes)?))
}

/// Zeroizes every secret byte field of a decoded or to-be-encoded state.
fn wipe(s: &mut proto::SessionState) {
    s.root_key.zeroize();
    s.ratchet_secret.zeroize();
    if let Some(c) = &mut s.sending {
        c.chain_key.zeroize();
    }
    if let Some(c) = &mut s.receiving {
        c.chain_key.zeroize();
    }
    for k in &mut s.skipped {
        k.message_seed.zeroize();
    }
    for r in &mut s.skipped_runs {
        r.message_seeds.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    use crate::proto;
    use crate::{
        Envelope, IdentityKeyPair, KemPreKeyId, KemPreKeyKind, PostQuantum, PreKeyBundle, Session,
        SignedKemPreKey, SignedPreKey, SignedPreKeyId, StateError,
    };

    /// A PQXDH initiator awaiting its reply stores the KEM ciphertext its prekey messages carry.
    /// A state whose ciphertext is not the one the stored hash names, or that keeps it when
    /// nothing needs it, is not one `to_bytes` writes.
    #[test]
    fn a_stored_kem_ciphertext_must_match_its_hash_and_be_needed() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &bob, SignedPreKeyId(1));
        let kem =
            SignedKemPreKey::generate(&mut rng, &bob, KemPreKeyId(2), KemPreKeyKind::LastResort);
        let bundle = PreKeyBundle::new_pq(&bob, &spk, None, &kem).unwrap();
        let mut session = Session::initiate(&mut rng, &alice, &bundle, b"").unwrap();
        let good = proto::SessionState::decode(&session.to_bytes()[..]).unwrap();
        assert!(good.awaiting_reply && !good.kem_ciphertext.is_empty());
        let load = |s: &proto::SessionState| Session::from_bytes(&s.encode_to_vec()).err();
        assert_eq!(load(&good), None);

        let mut no_ciphertext = good.clone();
        no_ciphertext.kem_ciphertext.clear();
        assert_eq!(load(&no_ciphertext), Some(StateError::Malformed));

        let mut other_ciphertext = good.clone();
        other_ciphertext.kem_ciphertext[0] ^= 1;
        assert_eq!(load(&other_ciphertext), Some(StateError::Malformed));

        let mut not_awaiting = good.clone();
        not_awaiting.awaiting_reply = false;
        assert_eq!(load(&not_awaiting), Some(StateError::Malformed));
        not_awaiting.kem_ciphertext.clear();
        assert_eq!(load(&not_awaiting), None);

        // A responder only exists once it has received: its state always has a receiving
        // chain, even when it could send without one.
        let first = session.encrypt(&mut rng, b"hi").unwrap();
        let Envelope::PreKey(m1) = &first else {
            panic!("the first message is a prekey message")
        };
        let (mut responder, _) =
            Session::respond_with(&bob, &spk, None, Some(&kem), m1, b"", PostQuantum::Required)
                .unwrap();
        responder.encrypt(&mut rng, b"back").unwrap();
        let responder = proto::SessionState::decode(&responder.to_bytes()[..]).unwrap();
        assert!(responder.sending.is_some());
        assert_eq!(load(&responder), None);
        let mut never_received = responder.clone();
        never_received.receiving = None;
        assert_eq!(load(&never_received), Some(StateError::Malformed));
    }
}
