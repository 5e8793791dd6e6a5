//! Reading and writing an account's sealed rows, one kind of row per function.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::AccountError;
use super::devices::{self, DeviceList};
use super::prekeys::{
    META_PREKEYS, PreKeyState, SignedRow, decode_one_time, decode_signed, id_key, key_id,
};
use super::records::Record;
use super::trust::TrustRecord;
use crate::keys::{OneTimePreKey, OneTimePreKeyId, PublicKey};
use crate::store::seal::Sealer;
use crate::store::{StoreError, Table, Transaction};

pub(super) fn get_sealed(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    table: Table,
    key: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    match tx.get(table, key)? {
        Some(row) => Ok(Some(sealer.open(table, key, &row)?)),
        None => Ok(None),
    }
}

pub(super) fn put_sealed<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    table: Table,
    key: &[u8],
    value: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let row = sealer.seal(rng, table, key, value)?;
    tx.put(table, key, &row)?;
    Ok(row)
}

pub(super) fn load_record(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    key: &[u8],
) -> Result<Option<Record>, StoreError> {
    get_sealed(tx, sealer, Table::Sessions, key)?
        .map(|row| Record::decode(&row))
        .transpose()
}

/// The device list of `user`, if one was set.
pub(super) fn load_devices(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    user: &str,
) -> Result<Option<DeviceList>, StoreError> {
    get_sealed(tx, sealer, Table::Meta, &devices::meta_key(user))?
        .map(|row| DeviceList::decode(&row))
        .transpose()
}

pub(super) fn load_trust(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    key: &[u8],
) -> Result<Option<TrustRecord>, StoreError> {
    get_sealed(tx, sealer, Table::Identities, key)?
        .map(|row| TrustRecord::decode(&row))
        .transpose()
}

pub(super) fn load_prekey_state(
    tx: &mut impl Transaction,
    sealer: &Sealer,
) -> Result<PreKeyState, StoreError> {
    let row = get_sealed(tx, sealer, Table::Meta, META_PREKEYS)?.ok_or(StoreError::Corrupt)?;
    PreKeyState::decode(&row)
}

/// Writes the prekey counters (SPEC.md 14.3, Meta `"prekeys"`).
pub(super) fn put_prekey_state<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    state: &PreKeyState,
) -> Result<(), StoreError> {
    put_sealed(tx, sealer, rng, Table::Meta, META_PREKEYS, &state.encode()).map(drop)
}

pub(super) fn load_signed(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    id: u32,
) -> Result<Option<SignedRow>, StoreError> {
    get_sealed(tx, sealer, Table::SignedPreKeys, &id_key(id))?
        .map(|row| decode_signed(&row, id))
        .transpose()
}

pub(super) fn load_one_time(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    id: u32,
) -> Result<Option<OneTimePreKey>, StoreError> {
    get_sealed(tx, sealer, Table::OneTimePreKeys, &id_key(id))?
        .map(|row| decode_one_time(&row, id))
        .transpose()
}

/// Ids of the one-time prekeys held and not handed out by `bundle`, ascending.
pub(super) fn available_one_time_prekeys(
    tx: &mut impl Transaction,
    state: &PreKeyState,
) -> Result<Vec<u32>, StoreError> {
    let mut ids = Vec::new();
    for key in tx.keys(Table::OneTimePreKeys, b"")? {
        let id = key_id(&key)?;
        if id >= state.handout_cursor {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Generates `n` one-time prekeys with the next ids and writes them.
pub(super) fn add_one_time_prekeys<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    state: &mut PreKeyState,
    n: u32,
) -> Result<Vec<(OneTimePreKeyId, PublicKey)>, AccountError> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let id = state.next_one_time;
        state.next_one_time = id.checked_add(1).ok_or(AccountError::PreKeyIdsExhausted)?;
        let key = OneTimePreKey::generate(rng, OneTimePreKeyId(id));
        put_sealed(
            tx,
            sealer,
            rng,
            Table::OneTimePreKeys,
            &id_key(id),
            &key.to_bytes()[..],
        )?;
        out.push((key.id(), *key.public()));
    }
    Ok(out)
}
