//! The prekey lifecycle (SPEC.md 14.3, 14.6): the rows of our signed and one-time prekeys, the
//! counters that name new ones, and the rules of [`Account::maintain`](super::Account::maintain).

use zeroize::Zeroizing;

use crate::keys::{OneTimePreKey, OneTimePreKeyId, SignedPreKey, SignedPreKeyId};
use crate::store::StoreError;

/// Meta row of [`PreKeyState`].
pub(crate) const META_PREKEYS: &[u8] = b"prekeys";

const STATE_VERSION: u8 = 1;
const SPK_ROW_VERSION: u8 = 1;
/// `retired_at` of the current signed prekey.
const NOT_RETIRED: u64 = u64::MAX;

/// The counters of the prekey lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreKeyState {
    /// The signed prekey bundles name now.
    pub(crate) current_signed: u32,
    /// The id the next signed prekey gets.
    pub(crate) next_signed: u32,
    /// The id the next one-time prekey gets.
    pub(crate) next_one_time: u32,
    /// [`Account::bundle`](super::Account::bundle) has handed out every one-time prekey with a
    /// smaller id.
    pub(crate) handout_cursor: u32,
}

impl PreKeyState {
    /// `u8(1) || u32be(current_signed) || u32be(next_signed) || u32be(next_one_time) ||
    /// u32be(handout_cursor)`.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        encode_counters(
            STATE_VERSION,
            &[
                self.current_signed,
                self.next_signed,
                self.next_one_time,
                self.handout_cursor,
            ],
        )
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let [current_signed, next_signed, next_one_time, handout_cursor] =
            decode_counters(STATE_VERSION, bytes)?;
        Ok(PreKeyState {
            current_signed,
            next_signed,
            next_one_time,
            handout_cursor,
        })
    }
}

/// A signed prekey row: the key, when it was created, and when it was replaced.
pub(crate) struct SignedRow {
    pub(crate) created_at: u64,
    /// `None` while it is the current signed prekey.
    pub(crate) retired_at: Option<u64>,
    pub(crate) key: SignedPreKey,
}

impl SignedRow {
    /// `u8(1) || u64be(created_at) || u64be(retired_at or 2^64-1) || signed prekey record`
    /// (SPEC.md 2.7).
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        encode_timed(
            SPK_ROW_VERSION,
            self.created_at,
            self.retired_at,
            &self.key.to_bytes()[..],
        )
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let (created_at, retired_at, record) = decode_timed(SPK_ROW_VERSION, bytes)?;
        let key = SignedPreKey::from_bytes(record).map_err(|_| StoreError::Corrupt)?;
        Ok(SignedRow {
            created_at,
            retired_at,
            key,
        })
    }
}

/// A counters row: `u8(version) || N * u32be`, as the prekey states are laid out.
pub(crate) fn encode_counters(version: u8, words: &[u32]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(1 + 4 * words.len()));
    out.push(version);
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out
}

/// Parses [`encode_counters`]'s output with exactly `N` words.
pub(crate) fn decode_counters<const N: usize>(
    version: u8,
    bytes: &[u8],
) -> Result<[u32; N], StoreError> {
    match bytes {
        [v, rest @ ..] if *v == version && rest.len() == 4 * N => {
            let mut words = [0u32; N];
            for (w, b) in words.iter_mut().zip(rest.chunks_exact(4)) {
                *w = u32::from_be_bytes(b.try_into().map_err(|_| StoreError::Corrupt)?);
            }
            Ok(words)
        }
        _ => Err(StoreError::Corrupt),
    }
}

/// A row of a key that is created, then maybe replaced: `u8(version) || u64be(created_at) ||
/// u64be(retired_at or 2^64-1) || record`, as signed prekey and KEM prekey rows are laid out.
pub(crate) fn encode_timed(
    version: u8,
    created_at: u64,
    retired_at: Option<u64>,
    record: &[u8],
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(17 + record.len()));
    out.push(version);
    out.extend_from_slice(&created_at.to_be_bytes());
    out.extend_from_slice(&retired_at.unwrap_or(NOT_RETIRED).to_be_bytes());
    out.extend_from_slice(record);
    out
}

/// Splits [`encode_timed`]'s output into its times and the record (not checked here).
pub(crate) fn decode_timed(
    version: u8,
    bytes: &[u8],
) -> Result<(u64, Option<u64>, &[u8]), StoreError> {
    let [v, rest @ ..] = bytes else {
        return Err(StoreError::Corrupt);
    };
    if *v != version || rest.len() < 16 {
        return Err(StoreError::Corrupt);
    }
    let (times, record) = rest.split_at(16);
    let created_at = u64::from_be_bytes(times[..8].try_into().map_err(|_| StoreError::Corrupt)?);
    let retired_at = u64::from_be_bytes(times[8..].try_into().map_err(|_| StoreError::Corrupt)?);
    Ok((
        created_at,
        (retired_at != NOT_RETIRED).then_some(retired_at),
        record,
    ))
}

/// The row key of a prekey: its id, big-endian.
pub(crate) fn id_key(id: u32) -> [u8; 4] {
    id.to_be_bytes()
}

/// The id of a prekey row key.
pub(crate) fn key_id(key: &[u8]) -> Result<u32, StoreError> {
    let b: [u8; 4] = key.try_into().map_err(|_| StoreError::Corrupt)?;
    Ok(u32::from_be_bytes(b))
}

/// A one-time prekey row is its record (SPEC.md 2.7).
pub(crate) fn decode_one_time(bytes: &[u8], id: u32) -> Result<OneTimePreKey, StoreError> {
    let key = OneTimePreKey::from_bytes(bytes).map_err(|_| StoreError::Corrupt)?;
    // The seal binds the row key; the record's own id must agree with it.
    if key.id() != OneTimePreKeyId(id) {
        return Err(StoreError::Corrupt);
    }
    Ok(key)
}

/// The signed prekey of row `id`, checked like [`decode_one_time`].
pub(crate) fn decode_signed(bytes: &[u8], id: u32) -> Result<SignedRow, StoreError> {
    let row = SignedRow::decode(bytes)?;
    if row.key.id() != SignedPreKeyId(id) {
        return Err(StoreError::Corrupt);
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IdentityKeyPair;

    #[test]
    fn rows_round_trip_and_reject_damage() {
        let state = PreKeyState {
            current_signed: 1,
            next_signed: 2,
            next_one_time: 0x0102_0304,
            handout_cursor: 5,
        };
        let bytes = state.encode();
        assert_eq!(
            &bytes[..],
            &[1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4, 0, 0, 0, 5][..]
        );
        assert_eq!(PreKeyState::decode(&bytes).unwrap(), state);
        assert!(PreKeyState::decode(&bytes[..16]).is_err());

        let rng = &mut rand::rng();
        let identity = IdentityKeyPair::generate(rng);
        let key = SignedPreKey::generate(rng, &identity, SignedPreKeyId(9));
        for retired_at in [None, Some(0), Some(77)] {
            let row = SignedRow {
                created_at: 5,
                retired_at,
                key: key.clone(),
            };
            let bytes = row.encode();
            assert_eq!(bytes.len(), 17 + 100);
            let back = decode_signed(&bytes, 9).unwrap();
            assert_eq!((back.created_at, back.retired_at), (5, retired_at));
            assert_eq!(back.key.public(), key.public());
            assert!(decode_signed(&bytes, 8).is_err());
            assert!(decode_signed(&bytes[..bytes.len() - 1], 9).is_err());
        }
        let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(3));
        assert!(decode_one_time(&opk.to_bytes()[..], 3).is_ok());
        assert!(decode_one_time(&opk.to_bytes()[..], 4).is_err());
    }

    #[test]
    fn timed_rows_split_at_their_header() {
        // The header is 17 bytes; the record after it is not checked here, and may be empty.
        let bytes = encode_timed(3, 5, Some(6), b"");
        assert_eq!(bytes.len(), 17);
        let (created_at, retired_at, record) = decode_timed(3, &bytes).unwrap();
        assert_eq!((created_at, retired_at, record), (5, Some(6), &b""[..]));
        for n in 0..bytes.len() {
            assert!(decode_timed(3, &bytes[..n]).is_err(), "truncated to {n}");
        }
        assert!(decode_timed(4, &bytes).is_err());
    }
}
