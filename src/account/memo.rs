//! Parsed rows remembered by the exact sealed bytes they were parsed from (SPEC.md 14.5).
//!
//! Opening a sealed row and parsing its plaintext is a pure function of the row's table, key
//! and sealed bytes: the same bytes always give the same value. So a handle may reuse a parsed
//! value whenever the row read inside the current transaction is byte-for-byte the one it was
//! parsed from, whoever wrote it and whether or not the transaction that read it committed.
//! Any other write seals with a fresh random nonce and never matches, so the store stays the
//! only source of truth. Only rows that hold no secret are kept here (trust records, device
//! lists): nothing in a memo needs wiping.

use std::collections::HashMap;

use crate::store::seal::Sealer;
use crate::store::{StoreError, Table, Transaction};

/// Parsed values of one table's rows, by row key, each with the sealed row it came from.
pub(super) struct Memo<T> {
    table: Table,
    entries: HashMap<Vec<u8>, (Vec<u8>, T)>,
}

/// How many rows a memo keeps: as many as the session cache (SPEC.md 14.5).
const MEMO_LEN: usize = 64;

impl<T> Memo<T> {
    pub(super) fn new(table: Table) -> Self {
        Memo {
            table,
            entries: HashMap::new(),
        }
    }

    /// The parsed row `key` as stored in `tx`, or `None` if there is no row: from the memo if
    /// the stored bytes are the remembered ones, else opened, parsed with `parse` and
    /// remembered.
    pub(super) fn get(
        &mut self,
        tx: &mut impl Transaction,
        sealer: &Sealer,
        key: &[u8],
        parse: impl FnOnce(&[u8]) -> Result<T, StoreError>,
    ) -> Result<Option<&T>, StoreError> {
        let Some(row) = tx.get(self.table, key)? else {
            self.entries.remove(key);
            return Ok(None);
        };
        let fresh = self
            .entries
            .get(key)
            .is_none_or(|(remembered, _)| *remembered != row);
        if fresh {
            let value = parse(&sealer.open(self.table, key, &row)?)?;
            if self.entries.len() >= MEMO_LEN
                && !self.entries.contains_key(key)
                && let Some(evict) = self.entries.keys().next().cloned()
            {
                self.entries.remove(&evict);
            }
            self.entries.insert(key.to_vec(), (row, value));
        }
        Ok(self.entries.get(key).map(|(_, value)| value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, StorageKey, Store};

    fn parse_count(calls: &mut u32) -> impl FnOnce(&[u8]) -> Result<Vec<u8>, StoreError> + '_ {
        move |plain| {
            *calls += 1;
            Ok(plain.to_vec())
        }
    }

    #[test]
    fn reuses_a_value_only_for_the_same_sealed_bytes() {
        let rng = &mut rand::rng();
        let sealer = Sealer::new(&StorageKey::from_bytes([7; 32]), &[1; 16]);
        let mut store = MemoryStore::new();
        let mut memo = Memo::new(Table::Identities);
        let mut calls = 0;
        let mut put = |store: &mut MemoryStore, value: &[u8]| {
            let mut tx = store.transaction().unwrap();
            let row = sealer.seal(rng, Table::Identities, b"k", value).unwrap();
            tx.put(Table::Identities, b"k", &row).unwrap();
            tx.commit().unwrap();
        };
        let get = |store: &mut MemoryStore, memo: &mut Memo<Vec<u8>>, calls: &mut u32| {
            let mut tx = store.transaction().unwrap();
            memo.get(&mut tx, &sealer, b"k", parse_count(calls))
                .unwrap()
                .cloned()
        };
        assert_eq!(get(&mut store, &mut memo, &mut calls), None);
        put(&mut store, b"one");
        assert_eq!(get(&mut store, &mut memo, &mut calls).unwrap(), b"one");
        assert_eq!(get(&mut store, &mut memo, &mut calls).unwrap(), b"one");
        assert_eq!(calls, 1, "the second read is the remembered value");
        // The same plaintext sealed again is other bytes: parsed again.
        put(&mut store, b"one");
        assert_eq!(get(&mut store, &mut memo, &mut calls).unwrap(), b"one");
        assert_eq!(calls, 2);
        put(&mut store, b"two");
        assert_eq!(get(&mut store, &mut memo, &mut calls).unwrap(), b"two");
        assert_eq!(calls, 3);
        // A row swapped in from elsewhere is opened, and fails, rather than served.
        let mut tx = store.transaction().unwrap();
        let other = sealer.seal(rng, Table::Identities, b"x", b"two").unwrap();
        tx.put(Table::Identities, b"k", &other).unwrap();
        tx.commit().unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(
            memo.get(&mut tx, &sealer, b"k", parse_count(&mut calls))
                .err(),
            Some(StoreError::Corrupt)
        );
        drop(tx);
        let mut tx = store.transaction().unwrap();
        tx.delete(Table::Identities, b"k").unwrap();
        tx.commit().unwrap();
        assert_eq!(get(&mut store, &mut memo, &mut calls), None);
    }

    #[test]
    fn stays_bounded() {
        let rng = &mut rand::rng();
        let sealer = Sealer::new(&StorageKey::from_bytes([7; 32]), &[1; 16]);
        let mut store = MemoryStore::new();
        let mut memo = Memo::new(Table::Identities);
        let mut tx = store.transaction().unwrap();
        for i in 0..(2 * MEMO_LEN as u32) {
            let key = i.to_be_bytes();
            let row = sealer.seal(rng, Table::Identities, &key, b"v").unwrap();
            tx.put(Table::Identities, &key, &row).unwrap();
            let mut calls = 0;
            assert!(
                memo.get(&mut tx, &sealer, &key, parse_count(&mut calls))
                    .unwrap()
                    .is_some()
            );
        }
        assert_eq!(memo.entries.len(), MEMO_LEN);
    }
}
