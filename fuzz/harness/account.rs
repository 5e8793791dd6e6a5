//! The account layer's inputs from outside: `account_decrypt` (an envelope from the network,
//! into an account with a live session) and `store_import` (a `MemoryStore` export, which the
//! wasm binding reads back from a web page's storage).
//!
//! `account_decrypt` checks the account's promise that a failure changes nothing: an envelope
//! that does not decrypt leaves every row of the store as it was, and one that decrypts commits
//! and then fails as a duplicate the second time, again without a change. `store_import` checks
//! that an export that imports is canonical: exporting it again gives exactly its bytes.

use std::sync::OnceLock;

use crosswire::account::{Account, Clock, DeviceAddress, Options};
use crosswire::store::{MemoryStore, StorageKey};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

/// Alice's store with a live session with bob.1, and envelopes bob.1 sent her (undelivered).
pub(crate) struct AccountFixture {
    pub(crate) storage_key: [u8; 32],
    pub(crate) export: Vec<u8>,
    pub(crate) from_bob: Vec<Vec<u8>>,
    /// Alice's own first message to bob.1, which she must not accept as from him.
    pub(crate) to_bob: Vec<u8>,
}

fn options() -> Options {
    // Options is non-exhaustive: set fields on the default.
    let mut o = Options::default();
    o.one_time_prekeys = 2;
    o.replenish_below = 1;
    o.one_time_kem_prekeys = 1;
    o.replenish_kem_below = 1;
    o.clock = Clock::from_fn(|| 1_780_000_000);
    o
}

fn address(user: &str) -> DeviceAddress {
    DeviceAddress::new(user, 1).expect("valid address")
}

pub(crate) fn account_fixture() -> &'static AccountFixture {
    static FIXTURE: OnceLock<AccountFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rng = &mut ChaCha20Rng::seed_from_u64(21);
        let storage_key = [0x5a; 32];
        let key = StorageKey::from_bytes(storage_key);
        let (mut alice, _) =
            Account::create(rng, MemoryStore::new(), &key, options()).expect("create");
        let (mut bob, _) =
            Account::create(rng, MemoryStore::new(), &key, options()).expect("create");
        let bundle = bob.bundle(rng).expect("bundle");
        let to_bob = alice
            .encrypt(rng, &address("bob"), Some(&bundle), b"hi bob")
            .expect("encrypt");
        bob.decrypt(rng, &address("alice"), &to_bob)
            .expect("decrypt");
        let from_bob = (0..3)
            .map(|i| {
                bob.encrypt(
                    rng,
                    &address("alice"),
                    None,
                    format!("reply {i}").as_bytes(),
                )
                .expect("reply")
            })
            .collect();
        AccountFixture {
            storage_key,
            export: alice.store().export(),
            from_bob,
            to_bob,
        }
    })
}

/// An envelope from bob.1 into Alice's account.
pub(crate) fn account_decrypt(data: &[u8]) {
    let f = account_fixture();
    let store = MemoryStore::import(&f.export).expect("the fixture imports");
    let key = StorageKey::from_bytes(f.storage_key);
    let mut alice = Account::open(store, &key, options()).expect("the fixture opens");
    let rng = &mut ChaCha20Rng::seed_from_u64(0);
    let bob = address("bob");
    let before = alice.store().export();
    match alice.decrypt(rng, &bob, data) {
        Err(_) => assert_eq!(
            alice.store().export(),
            before,
            "a failed decrypt changed the store"
        ),
        Ok(entry) => {
            assert_eq!(entry.from, bob);
            let after = alice.store().export();
            assert_ne!(after, before, "a decrypt committed nothing");
            assert!(
                alice.decrypt(rng, &bob, data).is_err(),
                "an envelope decrypted twice"
            );
            assert_eq!(
                alice.store().export(),
                after,
                "a refused duplicate changed the store"
            );
        }
    }
}

/// `MemoryStore::import` of arbitrary bytes; an import must export to the same bytes.
pub(crate) fn store_import(data: &[u8]) {
    if let Ok(store) = MemoryStore::import(data) {
        assert_eq!(store.export(), data, "a non-canonical export imported");
    }
}
