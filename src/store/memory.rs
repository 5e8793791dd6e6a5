//! [`MemoryStore`]: a store in memory, for tests and ephemeral devices.

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
}
