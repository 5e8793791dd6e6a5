//! Shared by the account tests: backends (each test runs on every store), devices with a
//! movable clock, and a restart that drops and reopens an account from its store.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crosswire::account::{Account, Clock, DeviceAddress, Options, Upload};
use crosswire::store::{MemoryStore, StorageKey, Store, Table, Transaction};

/// A kind of store the tests run on.
pub trait Backend {
    type S: Store;
    /// A new, empty store named `name`.
    fn create(&mut self, name: &str) -> Self::S;
    /// The store `name` again, as after an application restart (`old` is dropped first).
    fn reopen(&mut self, name: &str, old: Self::S) -> Self::S;
}

/// [`MemoryStore`]: a restart keeps the same value (there is nothing else to reopen).
pub struct Memory;

impl Backend for Memory {
    type S = MemoryStore;
    fn create(&mut self, _: &str) -> MemoryStore {
        MemoryStore::new()
    }
    fn reopen(&mut self, _: &str, old: MemoryStore) -> MemoryStore {
        old
    }
}

/// [`MemoryStore`] whose restart goes through [`MemoryStore::export`] and
/// [`MemoryStore::import`], as a web client's reload does.
pub struct MemoryExport;

impl Backend for MemoryExport {
    type S = MemoryStore;
    fn create(&mut self, _: &str) -> MemoryStore {
        MemoryStore::new()
    }
    fn reopen(&mut self, _: &str, old: MemoryStore) -> MemoryStore {
        MemoryStore::import(&old.export()).expect("an export imports")
    }
}

/// A test clock, in seconds, shared by every device of a test.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Arc::new(AtomicU64::new(1_700_000_000)))
    }
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    pub fn clock(&self) -> Clock {
        let t = self.0.clone();
        Clock::from_fn(move || t.load(Ordering::SeqCst))
    }
}

pub const DAY: u64 = 24 * 60 * 60;

/// Everything an account shows about its rows, to compare before and after a failure.
pub fn snapshot<S: Store>(store: &mut S) -> Vec<(Table, Vec<u8>, Vec<u8>)> {
    let mut tx = store.transaction().unwrap();
    let mut out = Vec::new();
    for table in Table::ALL {
        for key in tx.keys(table, b"").unwrap() {
            let value = tx.get(table, &key).unwrap().unwrap();
            out.push((table, key, value));
        }
    }
    out
}

pub fn options(clock: &TestClock) -> Options {
    let mut o = Options::default();
    o.clock = clock.clock();
    o
}

/// One device: its address, storage key, store name and account.
pub struct Device<B: Backend> {
    pub address: DeviceAddress,
    pub key: StorageKey,
    pub name: String,
    pub options: Options,
    pub account: Option<Account<B::S>>,
    pub upload: Upload,
}

impl<B: Backend> Device<B> {
    pub fn new(backend: &mut B, user: &str, device: u32, options: Options) -> Self {
        let rng = &mut rand::rng();
        static INSTALLS: AtomicU64 = AtomicU64::new(0);
        let install = INSTALLS.fetch_add(1, Ordering::SeqCst);
        let name = format!("{user}-{device}-{install}");
        let key = StorageKey::generate(rng);
        let (account, upload) =
            Account::create(rng, backend.create(&name), &key, options.clone()).unwrap();
        Device {
            address: DeviceAddress::new(user, device).unwrap(),
            key,
            name,
            options,
            account: Some(account),
            upload,
        }
    }

    pub fn account(&mut self) -> &mut Account<B::S> {
        self.account.as_mut().unwrap()
    }

    /// Drops the account and opens it again from its store.
    pub fn restart(&mut self, backend: &mut B) {
        let store = self.account.take().unwrap().into_store();
        let store = backend.reopen(&self.name, store);
        self.account = Some(Account::open(store, &self.key, self.options.clone()).unwrap());
    }

    /// Takes the store out (the account is gone until [`put_back`](Self::put_back)).
    pub fn take_store(&mut self) -> B::S {
        self.account.take().unwrap().into_store()
    }

    pub fn put_back(&mut self, store: B::S) {
        self.account = Some(Account::open(store, &self.key, self.options.clone()).unwrap());
    }
}

/// [`crosswire::store::SqliteStore`]: one file per store in a temporary directory; a restart
/// closes the connection and opens the file again.
#[cfg(feature = "sqlite")]
pub struct Sqlite {
    pub dir: tempfile::TempDir,
}

#[cfg(feature = "sqlite")]
impl Sqlite {
    pub fn new() -> Self {
        Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(format!("{name}.db"))
    }
}

#[cfg(feature = "sqlite")]
impl Backend for Sqlite {
    type S = crosswire::store::SqliteStore;
    fn create(&mut self, name: &str) -> Self::S {
        let path = self.path(name);
        assert!(!path.exists(), "{name} created twice");
        crosswire::store::SqliteStore::open(path, Default::default()).unwrap()
    }
    fn reopen(&mut self, name: &str, old: Self::S) -> Self::S {
        drop(old);
        crosswire::store::SqliteStore::open(self.path(name), Default::default()).unwrap()
    }
}
