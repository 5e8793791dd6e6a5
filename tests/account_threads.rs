//! Two threads, each with its own `Account` handle on one SQLite file, sending to the same
//! peer at once: their transactions serialize, so the session never forks and every message
//! decrypts at the peer.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Barrier, Mutex};

use crosswire::account::{Account, DeviceAddress, Options};
use crosswire::store::{MemoryStore, SqliteStore, StorageKey};

const PER_THREAD: usize = 40;

#[test]
fn two_handles_on_one_file_do_not_fork_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.sqlite");
    let rng = &mut rand::rng();
    let key = StorageKey::generate(rng);
    let (alice_addr, bob_addr) = (
        DeviceAddress::new("alice", 1).unwrap(),
        DeviceAddress::new("bob", 1).unwrap(),
    );
    let (alice, _) = Account::create(
        rng,
        SqliteStore::open(&path, Default::default()).unwrap(),
        &key,
        Options::default(),
    )
    .unwrap();
    drop(alice);
    let (mut bob, _) = Account::create(rng, MemoryStore::new(), &key, Options::default()).unwrap();
    // Both threads start without a session and hold the same bundle: whichever commits first
    // creates the session, and the other must then use it rather than start a second one.
    let bundle = bob.bundle(rng).unwrap();

    let sent = Arc::new(Mutex::new(Vec::new()));
    let barrier = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2u8)
        .map(|t| {
            let (path, key, bundle, bob_addr, sent, barrier) = (
                path.clone(),
                key.clone(),
                bundle.clone(),
                bob_addr.clone(),
                sent.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path, Default::default()).unwrap();
                let mut alice = Account::open(store, &key, Options::default()).unwrap();
                let rng = &mut rand::rng();
                barrier.wait();
                for i in 0..PER_THREAD {
                    let text = format!("thread {t} message {i}");
                    let envelope = alice
                        .encrypt(rng, &bob_addr, Some(&bundle), text.as_bytes())
                        .unwrap();
                    sent.lock().unwrap().push((text, envelope));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }

    let sent = Arc::try_unwrap(sent).unwrap().into_inner().unwrap();
    assert_eq!(sent.len(), 2 * PER_THREAD);
    // Deliver in reverse order of sending: out of order, but one chain.
    for (text, envelope) in sent.iter().rev() {
        let entry = bob.decrypt(rng, &alice_addr, envelope).unwrap();
        assert_eq!(&entry.plaintext[..], text.as_bytes());
    }
    assert_eq!(bob.inbox().unwrap().len(), 2 * PER_THREAD);
    assert_eq!(
        bob.one_time_prekey_count().unwrap(),
        99,
        "one session, one one-time prekey"
    );
    let store = SqliteStore::open(&path, Default::default()).unwrap();
    let mut alice = Account::open(store, &key, Options::default()).unwrap();
    let reply = bob
        .encrypt(rng, &alice_addr, None, b"got them all")
        .unwrap();
    assert_eq!(
        &alice.decrypt(rng, &bob_addr, &reply).unwrap().plaintext[..],
        b"got them all"
    );
}

/// Two handles taking turns on one file: each must see the other's last write, not a state it
/// parsed earlier, or the two would send under the same message keys.
#[test]
fn alternating_handles_always_use_the_stored_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.sqlite");
    let rng = &mut rand::rng();
    let key = StorageKey::generate(rng);
    let (alice_addr, bob_addr) = (
        DeviceAddress::new("alice", 1).unwrap(),
        DeviceAddress::new("bob", 1).unwrap(),
    );
    let (mut h1, _) = Account::create(
        rng,
        SqliteStore::open(&path, Default::default()).unwrap(),
        &key,
        Options::default(),
    )
    .unwrap();
    let mut h2 = Account::open(
        SqliteStore::open(&path, Default::default()).unwrap(),
        &key,
        Options::default(),
    )
    .unwrap();
    let (mut bob, _) = Account::create(rng, MemoryStore::new(), &key, Options::default()).unwrap();
    let bundle = bob.bundle(rng).unwrap();
    let mut sent = Vec::new();
    for round in 0..6 {
        for (name, h) in [("h1", &mut h1), ("h2", &mut h2)] {
            let text = format!("{name} {round}");
            sent.push((
                text.clone(),
                h.encrypt(rng, &bob_addr, Some(&bundle), text.as_bytes())
                    .unwrap(),
            ));
        }
        // Bob answers now and then, so both handles must also follow ratchet steps.
        if round % 2 == 1 {
            for (text, envelope) in sent.drain(..) {
                let got = bob.decrypt(rng, &alice_addr, &envelope).unwrap();
                assert_eq!(got.plaintext.as_slice(), text.as_bytes());
            }
            let reply = bob.encrypt(rng, &alice_addr, None, b"reply").unwrap();
            let h = if round % 4 == 1 { &mut h1 } else { &mut h2 };
            h.decrypt(rng, &bob_addr, &reply).unwrap();
        }
    }
    for (text, envelope) in sent {
        let got = bob.decrypt(rng, &alice_addr, &envelope).unwrap();
        assert_eq!(got.plaintext.as_slice(), text.as_bytes());
    }
}

/// An account handle can move to another thread (the store traits are `Send`).
#[test]
fn accounts_are_send() {
    fn send<T: Send>() {}
    send::<Account<SqliteStore>>();
    send::<Account<MemoryStore>>();
}
