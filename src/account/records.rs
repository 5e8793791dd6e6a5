//! Session records: the current session with one remote device plus a bounded list of previous
//! ones (SPEC.md 14.3, 14.7).
//!
//! Previous sessions are kept as their serialized bytes and parsed only when the current one
//! fails to decrypt, so the common case parses one session per operation.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::session::{MAX_STATE_LEN, Session};
use crate::store::seal::Sealer;
use crate::store::{StoreError, Table, Transaction};

/// How many previous sessions a record keeps besides the current one.
///
/// libsignal keeps 40. Each previous session costs one trial decryption (up to one X25519
/// operation, ~60 us) for a message that matches none, and up to [`MAX_STATE_LEN`] bytes of
/// storage; previous sessions matter only while a peer still sends on a session we replaced
/// (simultaneous initiation, a lost reply), which resolves within a few messages. Ten covers
/// that with a margin at a quarter of libsignal's worst-case cost.
pub const MAX_PREVIOUS_SESSIONS: usize = 10;

/// Entry 0 is the current session.
const RECORD_VERSION: u8 = 1;
/// The same layout, but the record has no current session: it was reset
/// ([`Account::reset_session`](super::Account::reset_session)) or its device removed. Every
/// entry is a previous session: decryption still tries them all, sending needs a new bundle.
const ARCHIVED_VERSION: u8 = 2;
const ENTRY_HEADER_LEN: usize = 8 + 4;

/// One session of a record: when it was created (seconds) and its serialized state.
pub(crate) struct Entry {
    pub(crate) created_at: u64,
    pub(crate) state: Zeroizing<Vec<u8>>,
}

/// `entries[0]` is the current session (unless `archived`); the rest are previous ones, most
/// recent first.
pub(crate) struct Record {
    pub(crate) entries: Vec<Entry>,
    /// No entry is current: the next send starts a new session from a bundle.
    pub(crate) archived: bool,
}

impl Record {
    /// A record whose only session is `session`.
    pub(crate) fn new(session: &Session, now: u64) -> Self {
        Record {
            entries: vec![Entry {
                created_at: now,
                state: session.to_bytes(),
            }],
            archived: false,
        }
    }

    /// Archives the current session: it stays (for messages still in flight on it) but is no
    /// longer sent on. A record that decrypts again, or gets a new session, is current again.
    pub(crate) fn archive(&mut self) {
        self.archived = true;
    }

    /// Makes `session` the current session; the old current one becomes the newest previous
    /// one, and the oldest previous one beyond the bound is dropped.
    pub(crate) fn push_current(&mut self, session: &Session, now: u64) {
        self.entries.insert(
            0,
            Entry {
                created_at: now,
                state: session.to_bytes(),
            },
        );
        self.entries.truncate(1 + MAX_PREVIOUS_SESSIONS);
        self.archived = false;
    }

    /// Stores the new state of entry `i` and makes it current (the others keep their order).
    pub(crate) fn promote(&mut self, i: usize, session: &Session) {
        if i < self.entries.len() {
            let mut entry = self.entries.remove(i);
            session.write_bytes(&mut entry.state);
            self.entries.insert(0, entry);
            self.archived = false;
        }
    }

    /// Stores the new state of entry `i` without changing which session is current.
    pub(crate) fn update(&mut self, i: usize, session: &Session) {
        if let Some(entry) = self.entries.get_mut(i) {
            session.write_bytes(&mut entry.state);
        }
    }

    /// `u8(version) || u8(n) || n * (u64be(created_at) || u32be(len) || state)`, version 1 for
    /// a record with a current session and 2 for an archived one.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        self.encode_into(&mut |bytes| out.extend_from_slice(bytes));
        out
    }

    /// The length of [`encode`](Self::encode)'s output.
    pub(crate) fn encoded_len(&self) -> usize {
        2 + self
            .entries
            .iter()
            .map(|e| ENTRY_HEADER_LEN + e.state.len())
            .sum::<usize>()
    }

    /// Hands [`encode`](Self::encode)'s output to `out`, piece by piece.
    pub(crate) fn encode_into(&self, out: &mut dyn FnMut(&[u8])) {
        let version = if self.archived {
            ARCHIVED_VERSION
        } else {
            RECORD_VERSION
        };
        // At most 1 + MAX_PREVIOUS_SESSIONS entries.
        out(&[version, self.entries.len() as u8]);
        for e in &self.entries {
            out(&e.created_at.to_be_bytes());
            // Sessions are at most MAX_STATE_LEN bytes, which fits in a u32.
            out(&(e.state.len() as u32).to_be_bytes());
            out(&e.state);
        }
    }

    /// Parses [`encode`](Self::encode)'s output exactly; anything else is
    /// [`StoreError::Corrupt`]. Session bytes are checked when parsed.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let corrupt = StoreError::Corrupt;
        let [version, n, tail @ ..] = bytes else {
            return Err(corrupt);
        };
        let mut rest: &[u8] = tail;
        let n = usize::from(*n);
        let archived = match *version {
            RECORD_VERSION => false,
            ARCHIVED_VERSION => true,
            _ => return Err(corrupt),
        };
        if n == 0 || n > 1 + MAX_PREVIOUS_SESSIONS {
            return Err(corrupt);
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            if rest.len() < ENTRY_HEADER_LEN {
                return Err(corrupt);
            }
            let (header, tail) = rest.split_at(ENTRY_HEADER_LEN);
            let created_at =
                u64::from_be_bytes(header[..8].try_into().map_err(|_| corrupt.clone())?);
            let len = u32::from_be_bytes(header[8..].try_into().map_err(|_| corrupt.clone())?);
            let len = usize::try_from(len).map_err(|_| corrupt.clone())?;
            if len > MAX_STATE_LEN || len > tail.len() {
                return Err(corrupt);
            }
            let (state, tail) = tail.split_at(len);
            entries.push(Entry {
                created_at,
                state: Zeroizing::new(state.to_vec()),
            });
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(corrupt);
        }
        Ok(Record { entries, archived })
    }
}

/// The base key of a stored session's X3DH origin (SPEC.md 8): public (it travels in the
/// session's first message), the same on both sides, and distinct per session, so it names a
/// session for the convergence rule and for [`Account::current_session_id`](super::Account::current_session_id).
pub(crate) fn base_key(state: &[u8]) -> Result<[u8; 32], StoreError> {
    use prost::Message;
    let state = crate::proto::SessionState::decode(state).map_err(|_| StoreError::Corrupt)?;
    let origin = state.origin.ok_or(StoreError::Corrupt)?;
    origin
        .base_key
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt)
}

/// Seals `record` straight from its entries (no plaintext copy of the whole record) and writes
/// it as the record of `key`; returns the sealed row, for the session cache.
pub(crate) fn put_record<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    key: &[u8],
    record: &Record,
) -> Result<Vec<u8>, StoreError> {
    let row = sealer.seal_with(rng, Table::Sessions, key, record.encoded_len(), |out| {
        record.encode_into(&mut |bytes| out.put(bytes))
    })?;
    tx.put(Table::Sessions, key, &row)?;
    Ok(row)
}

/// Parses stored session bytes; a state that does not load is corruption of the store (it was
/// written by this code and authenticated by the seal).
pub(crate) fn load_session(state: &[u8]) -> Result<Session, StoreError> {
    Session::from_bytes(state).map_err(|_| StoreError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> Record {
        Record {
            entries: (0..n)
                .map(|i| Entry {
                    created_at: i as u64 * 1000 + 7,
                    state: Zeroizing::new(vec![i as u8; i + 1]),
                })
                .collect(),
            archived: false,
        }
    }

    #[test]
    fn encoding_round_trips_and_rejects_everything_else() {
        let r = record(3);
        let bytes = r.encode();
        assert_eq!(bytes.len(), r.encoded_len());
        assert_eq!(
            &bytes[..2 + 12 + 1],
            &[1, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0][..]
        );
        let back = Record::decode(&bytes).unwrap();
        assert_eq!(back.encode(), bytes);
        for n in 0..bytes.len() {
            assert!(Record::decode(&bytes[..n]).is_err(), "truncated to {n}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(Record::decode(&longer).is_err());
        let mut v3 = bytes.to_vec();
        v3[0] = 3;
        assert!(Record::decode(&v3).is_err());
        let mut archived = record(2);
        archived.archive();
        let bytes = archived.encode();
        assert_eq!(bytes[0], 2);
        let back = Record::decode(&bytes).unwrap();
        assert!(back.archived);
        assert_eq!(back.encode(), bytes);
        assert!(Record::decode(&record(1 + MAX_PREVIOUS_SESSIONS).encode()).is_ok());
        assert!(Record::decode(&record(2 + MAX_PREVIOUS_SESSIONS).encode()).is_err());
        assert!(Record::decode(&[1, 0]).is_err());
    }

    #[test]
    fn decode_bounds_are_exact() {
        // An entry may be empty, also the last one (its header then ends the record exactly).
        let mut r = record(2);
        r.entries[1].state = Zeroizing::new(Vec::new());
        let bytes = r.encode();
        assert_eq!(bytes.len(), 2 + 12 + 1 + 12);
        let back = Record::decode(&bytes).unwrap();
        assert!(back.entries[1].state.is_empty());
        // A state of exactly MAX_STATE_LEN bytes is within the record's bound, one more is not.
        let mut r = record(1);
        r.entries[0].state = Zeroizing::new(vec![7; MAX_STATE_LEN]);
        let back = Record::decode(&r.encode()).unwrap();
        assert_eq!(back.entries[0].state.len(), MAX_STATE_LEN);
        r.entries[0].state = Zeroizing::new(vec![7; MAX_STATE_LEN + 1]);
        assert!(Record::decode(&r.encode()).is_err());
    }
}
