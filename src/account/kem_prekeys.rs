//! The account's ML-KEM prekeys for PQXDH (SPEC.md 14.3, 14.6, 15.3): one signed last-resort
//! KEM prekey, rotated and kept through a grace period like the signed prekey, and a supply of
//! signed one-time KEM prekeys, each deleted by the first message that uses it.
//!
//! A row's key starts with the kind byte so that the one-time prekeys can be listed and counted
//! from their keys alone: loading a KEM prekey re-derives its key pair from the seed (an ML-KEM
//! key generation), far too slow to do for every row just to learn its kind.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::prekeys::{decode_counters, decode_timed, encode_counters, encode_timed};
use super::{AccountError, Options, get_sealed, put_sealed};
use crate::kem::KemPublicKey;
use crate::kem_prekey::{KemPreKeyId, KemPreKeyKind, SignedKemPreKey};
use crate::keys::{IdentityKeyPair, SIGNATURE_LEN};
use crate::store::seal::Sealer;
use crate::store::{StoreError, Table, Transaction};

/// Meta row of [`KemState`]. Absent in an account created before KEM prekeys existed, until
/// its next [`Account::maintain`](super::Account::maintain).
pub(crate) const META_KEM_PREKEYS: &[u8] = b"kem_prekeys";

const STATE_VERSION: u8 = 1;
const ROW_VERSION: u8 = 1;

/// A one-time KEM prekey as a directory queues it: what
/// [`bundle_with_kem_prekey`](super::bundle_with_kem_prekey) puts into a bundle. Its kind is
/// one-time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKemPreKey {
    /// Its id.
    pub id: KemPreKeyId,
    /// Its ML-KEM-1024 encapsulation key.
    pub public_key: KemPublicKey,
    /// The identity key's signature over it (SPEC.md 15.3).
    pub signature: [u8; SIGNATURE_LEN],
}

impl PublishedKemPreKey {
    fn of(key: &SignedKemPreKey) -> Self {
        PublishedKemPreKey {
            id: key.id(),
            public_key: key.public().clone(),
            signature: *key.signature(),
        }
    }
}

/// The counters of the KEM prekey lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KemState {
    /// The last-resort KEM prekey bundles carry when no one-time one is left.
    pub(crate) current_last_resort: u32,
    /// The id the next KEM prekey gets, of either kind (one id space, SPEC.md 15.3).
    pub(crate) next_id: u32,
    /// [`Account::bundle`](super::Account::bundle) has handed out every one-time KEM prekey
    /// with a smaller id.
    pub(crate) handout_cursor: u32,
}

impl KemState {
    /// `u8(1) || u32be(current_last_resort) || u32be(next_id) || u32be(handout_cursor)`.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        encode_counters(
            STATE_VERSION,
            &[self.current_last_resort, self.next_id, self.handout_cursor],
        )
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let [current_last_resort, next_id, handout_cursor] = decode_counters(STATE_VERSION, bytes)?;
        Ok(KemState {
            current_last_resort,
            next_id,
            handout_cursor,
        })
    }

    /// Takes the next id.
    fn allocate(&mut self) -> Result<KemPreKeyId, AccountError> {
        let id = self.next_id;
        self.next_id = id.checked_add(1).ok_or(AccountError::PreKeyIdsExhausted)?;
        Ok(KemPreKeyId(id))
    }
}

/// A KEM prekey row: the key, when it was created, and when it was replaced (last-resort keys
/// only; a one-time key is never retired, it is deleted when used).
pub(crate) struct KemRow {
    pub(crate) created_at: u64,
    pub(crate) retired_at: Option<u64>,
    pub(crate) key: SignedKemPreKey,
}

impl KemRow {
    /// `u8(1) || u64be(created_at) || u64be(retired_at or 2^64-1) || SignedKemPreKey record`
    /// (SPEC.md 15.3), 150 bytes.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        encode_timed(
            ROW_VERSION,
            self.created_at,
            self.retired_at,
            &self.key.to_bytes()[..],
        )
    }

    /// Parses the row stored under [`row_key`]`(kind, id)`: its record must have that kind
    /// and id (the seal binds the row key; the record must agree with it).
    pub(crate) fn decode(bytes: &[u8], kind: KemPreKeyKind, id: u32) -> Result<Self, StoreError> {
        let (created_at, retired_at, record) = decode_timed(ROW_VERSION, bytes)?;
        let key = SignedKemPreKey::from_bytes(record).map_err(|_| StoreError::Corrupt)?;
        if key.kind() != kind || key.id() != KemPreKeyId(id) {
            return Err(StoreError::Corrupt);
        }
        // Only a last-resort key is ever retired.
        if kind == KemPreKeyKind::OneTime && retired_at.is_some() {
            return Err(StoreError::Corrupt);
        }
        Ok(KemRow {
            created_at,
            retired_at,
            key,
        })
    }
}

/// The row key of a KEM prekey: `kind || u32be(id)`.
pub(crate) fn row_key(kind: KemPreKeyKind, id: u32) -> [u8; 5] {
    let mut key = [0u8; 5];
    key[0] = kind.to_byte();
    key[1..].copy_from_slice(&id.to_be_bytes());
    key
}

/// The id of a row key under the prefix of `kind`.
fn key_id(kind: KemPreKeyKind, key: &[u8]) -> Result<u32, StoreError> {
    match key {
        [k, id @ ..] if *k == kind.to_byte() => Ok(u32::from_be_bytes(
            id.try_into().map_err(|_| StoreError::Corrupt)?,
        )),
        _ => Err(StoreError::Corrupt),
    }
}

/// The KEM state, or `None` for an account that has no KEM prekeys yet.
pub(crate) fn load_state(
    tx: &mut impl Transaction,
    sealer: &Sealer,
) -> Result<Option<KemState>, StoreError> {
    get_sealed(tx, sealer, Table::Meta, META_KEM_PREKEYS)?
        .map(|row| KemState::decode(&row))
        .transpose()
}

fn load(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    kind: KemPreKeyKind,
    id: u32,
) -> Result<Option<KemRow>, StoreError> {
    get_sealed(tx, sealer, Table::KemPreKeys, &row_key(kind, id))?
        .map(|row| KemRow::decode(&row, kind, id))
        .transpose()
}

/// A row the state says exists: its absence is corruption.
fn held(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    kind: KemPreKeyKind,
    id: u32,
) -> Result<KemRow, StoreError> {
    load(tx, sealer, kind, id)?.ok_or(StoreError::Corrupt)
}

fn put<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    row: &KemRow,
) -> Result<(), StoreError> {
    let key = row_key(row.key.kind(), row.key.id().0);
    put_sealed(tx, sealer, rng, Table::KemPreKeys, &key, &row.encode())?;
    Ok(())
}

/// Ids of the one-time KEM prekeys held and not handed out by `bundle`, ascending.
fn available(tx: &mut impl Transaction, state: &KemState) -> Result<Vec<u32>, StoreError> {
    let kind = KemPreKeyKind::OneTime;
    let mut ids = Vec::new();
    for key in tx.keys(Table::KemPreKeys, &[kind.to_byte()])? {
        let id = key_id(kind, &key)?;
        if id >= state.handout_cursor {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// How many one-time KEM prekeys are held (not consumed).
pub(crate) fn one_time_count(tx: &mut impl Transaction) -> Result<u64, StoreError> {
    Ok(tx
        .keys(Table::KemPreKeys, &[KemPreKeyKind::OneTime.to_byte()])?
        .len() as u64)
}

/// Generates `n` one-time KEM prekeys with the next ids and writes them.
fn add_one_time<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    identity: &IdentityKeyPair,
    state: &mut KemState,
    now: u64,
    n: u32,
) -> Result<Vec<PublishedKemPreKey>, AccountError> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let id = state.allocate()?;
        let key = SignedKemPreKey::generate(rng, identity, id, KemPreKeyKind::OneTime);
        out.push(PublishedKemPreKey::of(&key));
        let row = KemRow {
            created_at: now,
            retired_at: None,
            key,
        };
        put(tx, sealer, rng, &row)?;
    }
    Ok(out)
}

/// Generates a last-resort KEM prekey with the next id, writes it and makes it current.
fn add_last_resort<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    identity: &IdentityKeyPair,
    state: &mut KemState,
    now: u64,
) -> Result<SignedKemPreKey, AccountError> {
    let id = state.allocate()?;
    let key = SignedKemPreKey::generate(rng, identity, id, KemPreKeyKind::LastResort);
    let row = KemRow {
        created_at: now,
        retired_at: None,
        key,
    };
    put(tx, sealer, rng, &row)?;
    state.current_last_resort = id.0;
    Ok(row.key)
}

fn save_state<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    state: &KemState,
) -> Result<(), StoreError> {
    put_sealed(
        tx,
        sealer,
        rng,
        Table::Meta,
        META_KEM_PREKEYS,
        &state.encode(),
    )?;
    Ok(())
}

/// What the KEM half of [`Account::maintain`](super::Account::maintain) or of
/// [`Account::create`](super::Account::create) produced.
pub(crate) struct KemUpload {
    /// The current last-resort KEM prekey, for the bundle.
    pub(crate) last_resort: SignedKemPreKey,
    /// One-time KEM prekeys generated now.
    pub(crate) one_time: Vec<PublishedKemPreKey>,
    /// Whether anything was generated (so there is something new to publish).
    pub(crate) changed: bool,
}

/// The KEM prekey lifecycle at `now`, in `tx` (SPEC.md 14.6): creates the KEM prekeys of an
/// account that has none (a new one, or one created before KEM prekeys existed); otherwise
/// rotates the last-resort KEM prekey on the signed prekey's schedule, deletes retired ones
/// past the grace period, and replenishes the one-time ones.
pub(crate) fn maintain<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    identity: &IdentityKeyPair,
    options: &Options,
    now: u64,
) -> Result<KemUpload, AccountError> {
    let Some(mut state) = load_state(tx, sealer)? else {
        let mut state = KemState {
            current_last_resort: 0,
            next_id: 1,
            handout_cursor: 1,
        };
        let last_resort = add_last_resort(tx, sealer, rng, identity, &mut state, now)?;
        let one_time = add_one_time(
            tx,
            sealer,
            rng,
            identity,
            &mut state,
            now,
            options.one_time_kem_prekeys,
        )?;
        save_state(tx, sealer, rng, &state)?;
        return Ok(KemUpload {
            last_resort,
            one_time,
            changed: true,
        });
    };
    let lr = KemPreKeyKind::LastResort;
    let current = held(tx, sealer, lr, state.current_last_resort)?;
    let mut changed = false;
    let last_resort = if now.saturating_sub(current.created_at) >= options.signed_prekey_rotation {
        let retired = KemRow {
            retired_at: Some(now),
            ..current
        };
        put(tx, sealer, rng, &retired)?;
        changed = true;
        add_last_resort(tx, sealer, rng, identity, &mut state, now)?
    } else {
        current.key
    };
    for key in tx.keys(Table::KemPreKeys, &[lr.to_byte()])? {
        let id = key_id(lr, &key)?;
        if id == state.current_last_resort {
            continue;
        }
        let row = held(tx, sealer, lr, id)?;
        if let Some(retired_at) = row.retired_at
            && now >= retired_at.saturating_add(options.signed_prekey_grace)
        {
            tx.delete(Table::KemPreKeys, &key)?;
        }
    }
    let remaining = available(tx, &state)?.len() as u64;
    let mut one_time = Vec::new();
    if remaining < u64::from(options.replenish_kem_below) {
        let wanted = u64::from(options.one_time_kem_prekeys).saturating_sub(remaining);
        let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
        one_time = add_one_time(tx, sealer, rng, identity, &mut state, now, wanted)?;
    }
    changed |= !one_time.is_empty();
    if changed {
        save_state(tx, sealer, rng, &state)?;
    }
    Ok(KemUpload {
        last_resort,
        one_time,
        changed,
    })
}

/// The current last-resort KEM prekey and every available one-time one, for
/// [`Account::upload`](super::Account::upload); `None` for an account without KEM prekeys.
pub(crate) fn publishable(
    tx: &mut impl Transaction,
    sealer: &Sealer,
) -> Result<Option<(SignedKemPreKey, Vec<PublishedKemPreKey>)>, StoreError> {
    let Some(state) = load_state(tx, sealer)? else {
        return Ok(None);
    };
    let last_resort = held(
        tx,
        sealer,
        KemPreKeyKind::LastResort,
        state.current_last_resort,
    )?;
    let mut one_time = Vec::new();
    for id in available(tx, &state)? {
        let row = held(tx, sealer, KemPreKeyKind::OneTime, id)?;
        one_time.push(PublishedKemPreKey::of(&row.key));
    }
    Ok(Some((last_resort.key, one_time)))
}

/// The KEM prekey for one bundle from [`Account::bundle`](super::Account::bundle): the lowest
/// available one-time KEM prekey, marked handed out, or the last-resort one when none is left;
/// `None` for an account without KEM prekeys.
pub(crate) fn hand_out<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
) -> Result<Option<SignedKemPreKey>, StoreError> {
    let Some(mut state) = load_state(tx, sealer)? else {
        return Ok(None);
    };
    if let Some(&id) = available(tx, &state)?.first() {
        let row = held(tx, sealer, KemPreKeyKind::OneTime, id)?;
        state.handout_cursor = id.saturating_add(1);
        save_state(tx, sealer, rng, &state)?;
        return Ok(Some(row.key));
    }
    let row = held(
        tx,
        sealer,
        KemPreKeyKind::LastResort,
        state.current_last_resort,
    )?;
    Ok(Some(row.key))
}

/// The KEM prekey a first message names: a one-time one we hold, or a last-resort one that is
/// current or was retired less than the grace period ago; otherwise
/// [`AccountError::UnknownKemPreKey`].
pub(crate) fn for_message(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    options: &Options,
    id: KemPreKeyId,
    now: u64,
) -> Result<SignedKemPreKey, AccountError> {
    if let Some(row) = load(tx, sealer, KemPreKeyKind::OneTime, id.0)? {
        return Ok(row.key);
    }
    match load(tx, sealer, KemPreKeyKind::LastResort, id.0)? {
        Some(row)
            if row
                .retired_at
                .is_none_or(|t| now < t.saturating_add(options.signed_prekey_grace)) =>
        {
            Ok(row.key)
        }
        _ => Err(AccountError::UnknownKemPreKey(id)),
    }
}

/// Deletes the one-time KEM prekey a new session used (in the transaction that stores it).
pub(crate) fn consume(tx: &mut impl Transaction, id: KemPreKeyId) -> Result<(), StoreError> {
    tx.delete(Table::KemPreKeys, &row_key(KemPreKeyKind::OneTime, id.0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn state_layout_and_rejections() {
        let state = KemState {
            current_last_resort: 1,
            next_id: 0x0102_0304,
            handout_cursor: 5,
        };
        let bytes = state.encode();
        assert_eq!(&bytes[..], &[1, 0, 0, 0, 1, 1, 2, 3, 4, 0, 0, 0, 5][..]);
        assert_eq!(KemState::decode(&bytes).unwrap(), state);
        assert!(KemState::decode(&bytes[..12]).is_err());
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(KemState::decode(&longer).is_err());
        let mut v2 = bytes.to_vec();
        v2[0] = 2;
        assert!(KemState::decode(&v2).is_err());
    }

    #[test]
    fn row_layout_and_rejections() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let identity = IdentityKeyPair::generate(&mut rng);
        let lr = KemPreKeyKind::LastResort;
        let ot = KemPreKeyKind::OneTime;
        assert_eq!(row_key(lr, 0x0102_0304), [1, 1, 2, 3, 4]);
        assert_eq!(row_key(ot, 9), [2, 0, 0, 0, 9]);
        let key = SignedKemPreKey::generate(&mut rng, &identity, KemPreKeyId(9), lr);
        for retired_at in [None, Some(0), Some(77)] {
            let row = KemRow {
                created_at: 5,
                retired_at,
                key: key.clone(),
            };
            let bytes = row.encode();
            assert_eq!(bytes.len(), 150);
            assert_eq!(&bytes[..9], &[1, 0, 0, 0, 0, 0, 0, 0, 5]);
            let retired = retired_at.unwrap_or(u64::MAX).to_be_bytes();
            assert_eq!(&bytes[9..17], &retired[..]);
            assert_eq!(&bytes[17..], &key.to_bytes()[..]);
            let back = KemRow::decode(&bytes, lr, 9).unwrap();
            assert_eq!((back.created_at, back.retired_at), (5, retired_at));
            assert_eq!(back.key.public(), key.public());
            assert!(KemRow::decode(&bytes, lr, 8).is_err(), "id");
            assert!(KemRow::decode(&bytes, ot, 9).is_err(), "kind");
            assert!(KemRow::decode(&bytes[..149], lr, 9).is_err());
            let mut longer = bytes.to_vec();
            longer.push(0);
            assert!(KemRow::decode(&longer, lr, 9).is_err());
        }
        let one_time = SignedKemPreKey::generate(&mut rng, &identity, KemPreKeyId(3), ot);
        let row = KemRow {
            created_at: 1,
            retired_at: None,
            key: one_time.clone(),
        };
        assert!(KemRow::decode(&row.encode(), ot, 3).is_ok());
        let retired = KemRow {
            created_at: 1,
            retired_at: Some(2),
            key: one_time,
        };
        assert!(
            KemRow::decode(&retired.encode(), ot, 3).is_err(),
            "a retired one-time key"
        );
        assert_eq!(key_id(ot, &[2, 0, 0, 1, 0]).unwrap(), 256);
        assert!(key_id(ot, &[1, 0, 0, 1, 0]).is_err());
        assert!(key_id(ot, &[2, 0, 0, 1]).is_err());
    }
}
