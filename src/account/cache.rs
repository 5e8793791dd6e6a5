//! What one account handle remembers between operations, checked against the store on every
//! read (SPEC.md 14.7).

use std::collections::HashMap;

use super::devices::{self, DeviceList};
use super::memo;
use super::records::Record;
use super::trust::TrustRecord;
use crate::session::Session;
use crate::store::seal::Sealer;
use crate::store::{StoreError, Table, Transaction};

/// How many parsed sessions an account keeps between operations.
pub(super) const SESSION_CACHE_LEN: usize = 64;

/// Current sessions parsed by earlier operations of this handle, each with the exact sealed
/// row it was written as. An entry is used only if the row read in the new transaction is
/// byte-for-byte that row: any write by another handle seals with a fresh nonce, so it never
/// matches, and the store stays the only source of truth. It saves parsing the session
/// (which validates every key in it) on every message.
///
/// It also remembers parsed trust records and device lists by their sealed bytes
/// ([`memo`]), which a send reads for every device.
pub(super) struct SessionCache {
    entries: HashMap<Vec<u8>, Cached>,
    trust: memo::Memo<TrustRecord>,
    devices: memo::Memo<DeviceList>,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache {
            entries: HashMap::new(),
            trust: memo::Memo::new(Table::Identities),
            devices: memo::Memo::new(Table::Meta),
        }
    }
}

pub(super) struct Cached {
    row: Vec<u8>,
    record: Record,
    /// Boxed: a `Session` is over a kilobyte, and a send moves it in and out of the cache.
    current: Box<Session>,
}

impl SessionCache {
    /// The cached record and current session of `key` if `row` is what was cached; the entry
    /// is removed either way (the caller puts it back after its commit).
    pub(super) fn take(&mut self, key: &[u8], row: &[u8]) -> Option<(Record, Box<Session>)> {
        let cached = self.entries.remove(key)?;
        (cached.row == row).then_some((cached.record, cached.current))
    }

    pub(super) fn put(
        &mut self,
        key: Vec<u8>,
        row: Vec<u8>,
        record: Record,
        current: Box<Session>,
    ) {
        if self.entries.len() >= SESSION_CACHE_LEN
            && !self.entries.contains_key(&key)
            && let Some(evict) = self.entries.keys().next().cloned()
        {
            self.entries.remove(&evict);
        }
        self.entries.insert(
            key,
            Cached {
                row,
                record,
                current,
            },
        );
    }

    pub(super) fn forget(&mut self, key: &[u8]) {
        self.entries.remove(key);
    }

    /// [`load_trust`], parsing only a row not seen before.
    pub(super) fn trust(
        &mut self,
        tx: &mut impl Transaction,
        sealer: &Sealer,
        key: &[u8],
    ) -> Result<Option<TrustRecord>, StoreError> {
        Ok(self
            .trust
            .get(tx, sealer, key, TrustRecord::decode)?
            .copied())
    }

    /// [`load_devices`], parsing only a row not seen before.
    pub(super) fn devices(
        &mut self,
        tx: &mut impl Transaction,
        sealer: &Sealer,
        user: &str,
    ) -> Result<Option<&DeviceList>, StoreError> {
        self.devices
            .get(tx, sealer, &devices::meta_key(user), DeviceList::decode)
    }
}

/// A stored record and, if the cache held it, its parsed current session.
pub(super) type Loaded = (Record, Option<Box<Session>>);

/// The session record of `key` and, if this handle's cache holds exactly the stored row, its
/// parsed current session.
pub(super) fn load_record_cached(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    cache: &mut SessionCache,
    key: &[u8],
) -> Result<Option<Loaded>, StoreError> {
    let Some(row) = tx.get(Table::Sessions, key)? else {
        cache.forget(key);
        return Ok(None);
    };
    if let Some((record, session)) = cache.take(key, &row) {
        return Ok(Some((record, Some(session))));
    }
    let plaintext = sealer.open(Table::Sessions, key, &row)?;
    Ok(Some((Record::decode(&plaintext)?, None)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::PreKeyBundle;
    use crate::keys::{IdentityKeyPair, SignedPreKey, SignedPreKeyId};
    use crate::session::PostQuantum;

    fn session() -> Box<Session> {
        let rng = &mut rand::rng();
        let bob = IdentityKeyPair::generate(rng);
        let spk = SignedPreKey::generate(rng, &bob, SignedPreKeyId(1));
        let bundle = PreKeyBundle::new(&bob, &spk, None).unwrap();
        let alice = IdentityKeyPair::generate(rng);
        Box::new(Session::initiate_with(rng, &alice, &bundle, b"", PostQuantum::Allowed).unwrap())
    }

    fn record() -> Record {
        Record {
            entries: Vec::new(),
            archived: false,
        }
    }

    fn key(i: usize) -> Vec<u8> {
        (i as u32).to_be_bytes().to_vec()
    }

    // The cache only saves work, so the account's tests pass without it: these check that it
    // does hold what it is given, and only that.
    #[test]
    fn serves_exactly_the_row_it_was_given() {
        let mut cache = SessionCache::default();
        let s = session();
        cache.put(key(1), b"row".to_vec(), record(), s.clone());
        assert!(cache.take(&key(1), b"row").is_some());
        // Taken out: the caller puts it back after its commit.
        assert!(cache.take(&key(1), b"row").is_none());
        cache.put(key(1), b"row".to_vec(), record(), s);
        // Another handle wrote the row: the entry is stale and dropped.
        assert!(cache.take(&key(1), b"other").is_none());
        assert!(cache.take(&key(1), b"row").is_none());
    }

    #[test]
    fn holds_up_to_its_bound_and_evicts_one_entry_beyond_it() {
        let mut cache = SessionCache::default();
        let s = session();
        for i in 0..SESSION_CACHE_LEN {
            cache.put(key(i), b"row".to_vec(), record(), s.clone());
        }
        assert_eq!(cache.entries.len(), SESSION_CACHE_LEN);
        // Replacing a cached entry evicts nothing.
        cache.put(key(0), b"row".to_vec(), record(), s.clone());
        assert_eq!(cache.entries.len(), SESSION_CACHE_LEN);
        assert!((0..SESSION_CACHE_LEN).all(|i| cache.entries.contains_key(&key(i))));
        // A new one evicts exactly one other.
        cache.put(key(SESSION_CACHE_LEN), b"row".to_vec(), record(), s);
        assert_eq!(cache.entries.len(), SESSION_CACHE_LEN);
        assert!(cache.entries.contains_key(&key(SESSION_CACHE_LEN)));
    }

    // A session whose row is gone (deleted by this handle or another) must not stay in memory
    // with its keys until the slot is reused.
    #[test]
    fn a_row_that_is_gone_drops_its_entry() {
        use crate::store::seal::StorageKey;
        use crate::store::{MemoryStore, Store};
        let mut cache = SessionCache::default();
        cache.put(key(1), b"row".to_vec(), record(), session());
        cache.put(key(2), b"row".to_vec(), record(), session());
        let mut store = MemoryStore::new();
        let mut tx = store.transaction().unwrap();
        let sealer = Sealer::new(&StorageKey::from_bytes([1; 32]), &[2; 16]);
        assert!(
            load_record_cached(&mut tx, &sealer, &mut cache, &key(1))
                .unwrap()
                .is_none()
        );
        assert!(!cache.entries.contains_key(&key(1)));
        assert!(cache.entries.contains_key(&key(2)));
    }
}
