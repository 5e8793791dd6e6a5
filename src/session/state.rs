//! Session storage: `to_bytes` / `from_bytes` (SPEC.md section 8).
//!
//! A versioned protobuf (`SessionState` in `proto/crosswire.proto`). Loading validates every
//! field and the invariants the ratchet relies on, so a corrupted or hostile blob is an error,
//! never a session that misbehaves later. Every later version of crosswire keeps loading
//! version 1 (`test-vectors/session-state.json` pins it).

use prost::Message;
use x25519_dalek::StaticSecret;
use zeroize::{Zeroize, Zeroizing};

use super::{MAX_CONTEXT_LEN, Session};
use crate::error::StateError;
use crate::keys::{IdentityKey, KeyPair, OneTimePreKeyId, PublicKey, SignedPreKeyId};
use crate::proto::{self, session_state as ps};
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::header::PreKeyFields;
use crate::ratchet::message_key::MessageSeed;
use crate::ratchet::root_key::RootKey;
use crate::ratchet::skipped::{MAX_SKIPPED_KEYS, SkippedKeys};
use crate::ratchet::{DoubleRatchet, ReceivingChain, SendingChain};
use crate::wire::decode_exact;

/// The storage format version [`Session::to_bytes`] writes.
const STATE_VERSION: u32 = 1;

/// Longest serialized session accepted: a full skipped-key store (about 76 bytes an entry)
/// plus the largest context, with room to spare.
pub const MAX_STATE_LEN: usize = 256 * 1024;

impl Session {
    /// Serializes the whole session, secrets included: encrypt it at rest. The returned buffer
    /// is wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let r = &self.ratchet;
        let mut state = proto::SessionState {
            version: STATE_VERSION,
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
            skipped: r
                .skipped
                .iter()
                .map(|(key, counter, seed)| ps::SkippedKey {
                    ratchet_key: key.as_bytes().to_vec(),
                    counter,
                    message_seed: seed.as_bytes().to_vec(),
                })
                .collect(),
            origin: Some(ps::PreKeyHeader {
                base_key: self.origin.base_key.as_bytes().to_vec(),
                signed_prekey_id: self.origin.signed_prekey_id.0,
                one_time_prekey_id: self.origin.one_time_prekey_id.map(|id| id.0),
            }),
            initiator: self.initiator,
            awaiting_reply: self.awaiting_reply,
        };
        let bytes = Zeroizing::new(state.encode_to_vec());
        wipe(&mut state);
        bytes
    }

    /// Loads a session written by [`to_bytes`](Self::to_bytes) of this or any earlier version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Session, StateError> {
        if bytes.len() > MAX_STATE_LEN {
            return Err(StateError::Malformed);
        }
        let mut state = decode_exact::<proto::SessionState>(bytes).ok_or(StateError::Malformed)?;
        let session = match state.version {
            STATE_VERSION => load_v1(&state),
            0 => Err(StateError::Malformed),
            _ => Err(StateError::UnsupportedVersion),
        };
        wipe(&mut state);
        session
    }
}

fn load_v1(s: &proto::SessionState) -> Result<Session, StateError> {
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
    };

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

    if s.skipped.len() > MAX_SKIPPED_KEYS {
        return Err(StateError::Malformed);
    }
    let mut skipped = SkippedKeys::default();
    let mut entries = Vec::with_capacity(s.skipped.len());
    for k in &s.skipped {
        let key = PublicKey::from_slice(&k.ratchet_key).map_err(bad)?;
        entries.push((key, k.counter, MessageSeed::new(secret32(&k.message_seed)?)));
    }
    skipped.extend(entries);
    if skipped.len() != s.skipped.len() {
        // Two entries for one position.
        return Err(StateError::Malformed);
    }

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
    })
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
}
