//! Account benchmarks (issue 10): what the account layer adds to the core.
//!
//! `decrypt/..`: one in-order message of 100 bytes (same receiving chain, so no DH step: the
//! store's share is as large as it gets). `session` is `Session::decrypt` alone;
//! `account_*` is `Account::decrypt` including the load, unseal, seal, inbox entry and commit,
//! on `SqliteStore` with `synchronous=NORMAL` and `FULL` and on `MemoryStore`;
//! `account_with_normal` is `Account::decrypt_with` (no inbox entry). Goal: the store adds at
//! most 50 us per message on NORMAL.
//!
//! `open/10000_sessions`: `SqliteStore::open` + `Account::open` on a file holding 10,000
//! session records. Goal: at most 100 ms.
//!
//! Run: `cargo bench -p crosswire-bench --bench account -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crosswire::account::{Account, DeviceAddress, Options};
use crosswire::store::{MemoryStore, SqliteOptions, SqliteStore, StorageKey, Store, Synchronous};
use crosswire::{
    IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PreKeyBundle, Session, SignedPreKey,
    SignedPreKeyId,
};

const MESSAGE: [u8; 100] = [0x42; 100];

/// Times decrypting `n` messages on `bob` that `alice` encrypted beforehand (untimed).
fn account_decrypt<S: Store, T: Store>(
    alice: &mut Account<S>,
    bob: &mut Account<T>,
    a: &DeviceAddress,
    b: &DeviceAddress,
    n: u64,
    with_inbox: bool,
) -> Duration {
    let rng = &mut rand::rng();
    let envelopes: Vec<Vec<u8>> = (0..n)
        .map(|_| alice.encrypt(rng, b, None, &MESSAGE).unwrap())
        .collect();
    let start = Instant::now();
    for e in &envelopes {
        if with_inbox {
            black_box(bob.decrypt(rng, a, e).unwrap());
        } else {
            let r: Result<(), crosswire::account::AccountError> =
                bob.decrypt_with(rng, a, e, |pt| {
                    black_box(pt);
                    Ok(())
                });
            r.unwrap();
        }
    }
    start.elapsed()
}

/// Alice (in memory) and Bob (on `store`) with a session in which Bob has received once and
/// Alice has Bob's reply, so Alice's next messages are plain ratchet messages on one chain.
fn pair<T: Store>(
    store: T,
) -> (
    Account<MemoryStore>,
    Account<T>,
    DeviceAddress,
    DeviceAddress,
) {
    let rng = &mut rand::rng();
    let (a, b) = (
        DeviceAddress::new("alice", 1).unwrap(),
        DeviceAddress::new("bob", 1).unwrap(),
    );
    let key = StorageKey::generate(rng);
    let (mut alice, _) =
        Account::create(rng, MemoryStore::new(), &key, Options::default()).unwrap();
    let (mut bob, _) = Account::create(rng, store, &key, Options::default()).unwrap();
    let bundle = bob.bundle(rng).unwrap();
    let first = alice.encrypt(rng, &b, Some(&bundle), b"hi").unwrap();
    bob.decrypt(rng, &a, &first).unwrap();
    let reply = bob.encrypt(rng, &a, None, b"hi").unwrap();
    alice.decrypt(rng, &b, &reply).unwrap();
    (alice, bob, a, b)
}

fn sqlite(dir: &tempfile::TempDir, name: &str, sync: Synchronous) -> SqliteStore {
    SqliteStore::open(
        dir.path().join(name),
        SqliteOptions::default().synchronous(sync),
    )
    .unwrap()
}

fn decrypt(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("decrypt");

    // The core alone.
    let rng = &mut rand::rng();
    let alice_id = IdentityKeyPair::generate(rng);
    let bob_id = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).unwrap();
    let mut alice = Session::initiate_with(
        rng,
        &alice_id,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let crosswire::Envelope::PreKey(first) = alice.encrypt(rng, b"hi").unwrap() else {
        unreachable!()
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, Some(&opk), &first, b"").unwrap();
    let reply = bob.encrypt(rng, b"hi").unwrap();
    alice.decrypt(&reply).unwrap();
    group.bench_function("session", |bench| {
        bench.iter_custom(|n| {
            let envelopes: Vec<_> = (0..n)
                .map(|_| alice.encrypt(rng, &MESSAGE).unwrap())
                .collect();
            let start = Instant::now();
            for e in &envelopes {
                black_box(bob.decrypt(e).unwrap());
            }
            start.elapsed()
        })
    });

    for (name, sync) in [
        ("account_normal", Synchronous::Normal),
        ("account_full", Synchronous::Full),
    ] {
        let (mut alice, mut bob, a, b) = pair(sqlite(&dir, name, sync));
        group.bench_function(name, |bench| {
            bench.iter_custom(|n| account_decrypt(&mut alice, &mut bob, &a, &b, n, true))
        });
    }
    let (mut alice, mut bob, a, b) = pair(sqlite(&dir, "with", Synchronous::Normal));
    group.bench_function("account_with_normal", |bench| {
        bench.iter_custom(|n| account_decrypt(&mut alice, &mut bob, &a, &b, n, false))
    });
    let (mut alice, mut bob, a, b) = pair(MemoryStore::new());
    group.bench_function("account_memory", |bench| {
        bench.iter_custom(|n| account_decrypt(&mut alice, &mut bob, &a, &b, n, true))
    });
    group.finish();
}

fn open(c: &mut Criterion) {
    const SESSIONS: u32 = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.sqlite");
    let rng = &mut rand::rng();
    let key = StorageKey::generate(rng);
    {
        let (mut peer, _) =
            Account::create(rng, MemoryStore::new(), &key, Options::default()).unwrap();
        let (mut account, _) = Account::create(
            rng,
            SqliteStore::open(&path, SqliteOptions::default()).unwrap(),
            &key,
            Options::default(),
        )
        .unwrap();
        // One bundle without a one-time prekey serves every session: 10,000 real sessions.
        let mut bare = peer.bundle(rng).unwrap();
        while bare.one_time_prekey().is_some() {
            bare = peer.bundle(rng).unwrap();
        }
        let _ = &mut peer;
        for i in 0..SESSIONS {
            let to = DeviceAddress::new(format!("user{i}"), 1).unwrap();
            account.encrypt(rng, &to, Some(&bare), b"x").unwrap();
        }
    }
    c.bench_function("open/10000_sessions", |bench| {
        bench.iter(|| {
            let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
            black_box(Account::open(store, &key, Options::default()).unwrap())
        })
    });
}

criterion_group!(benches, decrypt, open);
criterion_main!(benches);
