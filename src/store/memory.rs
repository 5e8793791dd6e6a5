//! [`MemoryStore`]: a store in memory, for tests, ephemeral devices and web clients that persist
//! its [export](MemoryStore::export) themselves (SPEC.md 14.1).

use std::collections::BTreeMap;

use super::{Store, StoreError, Table, Transaction};

/// One map per table, so that a row is found by its key slice without building an owned key.
type Rows = [BTreeMap<Vec<u8>, Vec<u8>>; Table::ALL.len()];

/// A store that lives in memory and is gone when dropped. Transactions stage their changes
/// and apply them on commit, so an uncommitted transaction changes nothing.
#[derive(Default)]
pub struct MemoryStore {
    rows: Rows,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every committed row, in the byte layout of SPEC.md 14.1, for an application that keeps
    /// the store somewhere [`MemoryStore`] cannot (a browser's IndexedDB). Values are exported
    /// as stored: the account layer's rows are already sealed under the storage key, so the
    /// export holds no secret in the clear (row keys are, as in every store, 14.2).
    pub fn export(&self) -> Vec<u8> {
        let len: usize = self
            .rows
            .iter()
            .flatten()
            .map(|(k, v)| ROW_OVERHEAD + k.len() + v.len())
            .sum();
        let count: usize = self.rows.iter().map(BTreeMap::len).sum();
        let mut out = Vec::with_capacity(EXPORT_MAGIC.len() + 5 + len);
        out.extend_from_slice(EXPORT_MAGIC);
        out.push(EXPORT_VERSION);
        // A store in memory holds far fewer than 2^32 rows; saturating keeps the function total.
        out.extend_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_be_bytes());
        // Tables in the order of Table::ALL (which is also their Ord), keys ascending.
        for table in Table::ALL {
            for (key, value) in &self.rows[table.index()] {
                out.push(table_index(table));
                put_bytes(&mut out, key);
                put_bytes(&mut out, value);
            }
        }
        out
    }

    /// The store [`export`](Self::export) wrote. Anything else (another magic or version, an
    /// unknown table, a truncated or overlong field, rows out of order or repeated, bytes after
    /// the last row) is [`StoreError::Corrupt`]. Only the row contents are checked here; the
    /// account layer authenticates each sealed value when it reads it.
    pub fn import(bytes: &[u8]) -> Result<Self, StoreError> {
        let mut input = Reader(bytes);
        if input.take(EXPORT_MAGIC.len())? != EXPORT_MAGIC || input.take(1)? != [EXPORT_VERSION] {
            return Err(StoreError::Corrupt);
        }
        let n = input.u32()?;
        // Every row costs ROW_OVERHEAD bytes at least, so a count the input cannot hold is
        // refused before any row is read.
        if u64::from(n) > (input.0.len() / ROW_OVERHEAD) as u64 {
            return Err(StoreError::Corrupt);
        }
        let mut rows = Rows::default();
        let mut last: Option<(Table, &[u8])> = None;
        for _ in 0..n {
            let [index] = input.take(1)? else {
                return Err(StoreError::Corrupt);
            };
            let table = *Table::ALL
                .get(usize::from(*index))
                .ok_or(StoreError::Corrupt)?;
            let key_len = input.u32()?;
            let key = input.take(key_len as usize)?;
            let value_len = input.u32()?;
            let value = input.take(value_len as usize)?;
            if last.is_some_and(|previous| previous >= (table, key)) {
                return Err(StoreError::Corrupt);
            }
            last = Some((table, key));
            rows[table.index()].insert(key.to_vec(), value.to_vec());
        }
        if !input.0.is_empty() {
            return Err(StoreError::Corrupt);
        }
        Ok(MemoryStore { rows })
    }
}

/// The first bytes of an export.
const EXPORT_MAGIC: &[u8] = b"CWMS";
const EXPORT_VERSION: u8 = 1;
/// Table byte and two length fields.
const ROW_OVERHEAD: usize = 9;

fn table_index(table: Table) -> u8 {
    // Table::ALL has a handful of entries, far fewer than 256.
    table.index() as u8
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The unread rest of an export.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if n > self.0.len() {
            return Err(StoreError::Corrupt);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, StoreError> {
        let bytes: [u8; 4] = self.take(4)?.try_into().map_err(|_| StoreError::Corrupt)?;
        Ok(u32::from_be_bytes(bytes))
    }
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("rows", &self.rows.iter().map(BTreeMap::len).sum::<usize>())
            .finish()
    }
}

impl Store for MemoryStore {
    type Transaction<'a> = MemoryTransaction<'a>;

    fn transaction(&mut self) -> Result<MemoryTransaction<'_>, StoreError> {
        Ok(MemoryTransaction {
            rows: &mut self.rows,
            staged: Default::default(),
        })
    }
}

/// A [`MemoryStore`] transaction: changes are staged (`None` = deleted) until commit.
pub struct MemoryTransaction<'a> {
    rows: &'a mut Rows,
    staged: [BTreeMap<Vec<u8>, Option<Vec<u8>>>; Table::ALL.len()],
}

impl MemoryTransaction<'_> {
    fn current(&self, table: Table, key: &[u8]) -> Option<&Vec<u8>> {
        let t = table.index();
        match self.staged[t].get(key) {
            Some(staged) => staged.as_ref(),
            None => self.rows[t].get(key),
        }
    }
}

impl Transaction for MemoryTransaction<'_> {
    fn get(&mut self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.current(table, key).cloned())
    }

    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.staged[table.index()].insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        let existed = self.current(table, key).is_some();
        self.staged[table.index()].insert(key.to_vec(), None);
        Ok(existed)
    }

    fn keys(&mut self, table: Table, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        let t = table.index();
        let (rows, staged) = (&self.rows[t], &self.staged[t]);
        let mut keys: Vec<Vec<u8>> = rows
            .range::<[u8], _>((
                core::ops::Bound::Included(prefix),
                core::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k)
            .filter(|k| !matches!(staged.get(*k), Some(None)))
            .cloned()
            .collect();
        for (k, v) in staged {
            if k.starts_with(prefix) && v.is_some() && !rows.contains_key(k) {
                keys.push(k.clone());
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn count(&mut self, table: Table) -> Result<u64, StoreError> {
        Ok(self.keys(table, b"")?.len() as u64)
    }

    fn commit(self) -> Result<(), StoreError> {
        for (rows, staged) in self.rows.iter_mut().zip(self.staged) {
            for (key, value) in staged {
                match value {
                    Some(v) => {
                        rows.insert(key, v);
                    }
                    None => {
                        rows.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_changes_vanish_and_committed_ones_stay() {
        let mut store = MemoryStore::new();
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Sessions, b"a", b"1").unwrap();
        drop(tx);
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Sessions, b"a").unwrap(), None);
        tx.put(Table::Sessions, b"a", b"1").unwrap();
        tx.put(Table::Sessions, b"ab", b"2").unwrap();
        tx.put(Table::Inbox, b"a", b"3").unwrap();
        tx.commit().unwrap();

        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Sessions, b"a").unwrap(), Some(b"1".to_vec()));
        assert!(tx.delete(Table::Sessions, b"a").unwrap());
        assert!(!tx.delete(Table::Sessions, b"zz").unwrap());
        tx.put(Table::Sessions, b"ac", b"4").unwrap();
        assert_eq!(
            tx.keys(Table::Sessions, b"a").unwrap(),
            vec![b"ab".to_vec(), b"ac".to_vec()]
        );
        assert_eq!(tx.count(Table::Sessions).unwrap(), 2);
        assert_eq!(tx.count(Table::Inbox).unwrap(), 1);
        drop(tx);
        let mut tx = store.transaction().unwrap();
        assert_eq!(
            tx.keys(Table::Sessions, b"").unwrap(),
            vec![b"a".to_vec(), b"ab".to_vec()]
        );
    }

    /// SPEC.md 14.1's layout, written out by hand.
    #[test]
    fn export_has_the_specified_layout() {
        let mut store = MemoryStore::new();
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Inbox, &[0, 1], b"").unwrap();
        tx.put(Table::Meta, b"b", b"xy").unwrap();
        tx.put(Table::Meta, b"a", b"z").unwrap();
        tx.commit().unwrap();
        let expected = concat!(
            "43574d53", "01", "00000003", // "CWMS", version 1, 3 rows
            "00", "00000001", "61", "00000001", "7a", // meta "a" = "z"
            "00", "00000001", "62", "00000002", "7879", // meta "b" = "xy"
            "05", "00000002", "0001", "00000000", // inbox 00 01 = ""
        );
        let export = store.export();
        assert_eq!(hex::encode(&export), expected);
        // Sized up front (Vec::with_capacity is exact): the export is never copied by growth.
        assert_eq!(export.capacity(), export.len());
        let back = MemoryStore::import(&store.export()).unwrap();
        assert_eq!(back.rows, store.rows);
        assert_eq!(
            MemoryStore::import(&MemoryStore::new().export())
                .unwrap()
                .rows,
            Rows::default()
        );
    }

    #[test]
    fn import_refuses_anything_export_does_not_write() {
        let good = hex::decode(concat!(
            "43574d5301",
            "00000002",
            "00",
            "00000001",
            "61",
            "00000000",
            "03",
            "00000000",
            "00000001",
            "ff",
        ))
        .unwrap();
        assert!(MemoryStore::import(&good).is_ok());
        let bad = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut b = good.clone();
            edit(&mut b);
            MemoryStore::import(&b).map(|_| ())
        };
        let corrupt = Err(StoreError::Corrupt);
        assert_eq!(bad(&|b| b[0] = b'X'), corrupt, "magic");
        assert_eq!(bad(&|b| b[4] = 2), corrupt, "version");
        assert_eq!(bad(&|b| b[8] = 3), corrupt, "more rows than present");
        assert_eq!(
            bad(&|b| b[5] = 0xff),
            corrupt,
            "a count the input cannot hold"
        );
        assert_eq!(bad(&|b| b[8] = 1), corrupt, "bytes after the last row");
        assert_eq!(
            bad(&|b| b[19] = Table::ALL.len() as u8),
            corrupt,
            "unknown table"
        );
        assert_eq!(bad(&|b| b[19] = 0), corrupt, "rows out of order");
        assert_eq!(bad(&|b| b[27] = 2), corrupt, "value longer than the input");
        assert_eq!(bad(&|b| b.push(0)), corrupt, "trailing byte");
        let repeated = [&good[..9], &good[9..19], &good[9..19]].concat();
        let mut repeated = repeated;
        repeated[8] = 2;
        assert_eq!(
            MemoryStore::import(&repeated).map(|_| ()),
            corrupt,
            "row twice"
        );
        for n in 0..good.len() {
            assert_eq!(
                MemoryStore::import(&good[..n]).map(|_| ()),
                corrupt,
                "prefix {n}"
            );
        }
    }

    /// Debug shows how many rows there are, never a key or a value.
    #[test]
    fn debug_shows_only_the_row_count() {
        let mut store = MemoryStore::new();
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Meta, b"key", b"value").unwrap();
        tx.put(Table::Inbox, b"key", b"value").unwrap();
        tx.commit().unwrap();
        assert_eq!(format!("{store:?}"), "MemoryStore { rows: 2 }");
    }
}
