//! Fan-out benchmark (issue 11): one message to a user with 5 devices, sessions existing.
//!
//! `session_x5`: 5 x `Session::encrypt` (the core alone, nothing stored). `fan_out_*`:
//! `Account::encrypt_to_user` to 5 devices, one transaction and one commit for all five (load,
//! unseal, encrypt, seal and write each record), on `MemoryStore` and on `SqliteStore` with
//! `synchronous=NORMAL`. `account_x5_*`: 5 x `Account::encrypt`, a commit each, for comparison.
//! Goal: fan-out at most 1.1 x `session_x5`.
//!
//! Run: `cargo bench -p crosswire-bench --bench fanout -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crosswire::account::{Account, DeviceAddress, Options};
use crosswire::store::{MemoryStore, SqliteOptions, SqliteStore, StorageKey, Store, Synchronous};
use crosswire::{Envelope, IdentityKeyPair, PreKeyBundle, Session, SignedPreKey, SignedPreKeyId};

const MESSAGE: [u8; 100] = [0x42; 100];
const DEVICES: u32 = 5;

/// Alice on `store` with a replied-to session with each of Bob's 5 devices.
fn alice_with_bob<T: Store>(store: T) -> (Account<T>, DeviceAddress) {
    let rng = &mut rand::rng();
    let key = StorageKey::generate(rng);
    let local = DeviceAddress::new("alice", 1).unwrap();
    let (mut alice, _) = Account::create(rng, store, &key, Options::default()).unwrap();
    alice.set_devices(rng, "alice", &[1]).unwrap();
    alice
        .set_devices(rng, "bob", &(1..=DEVICES).collect::<Vec<_>>())
        .unwrap();
    let mut bobs = Vec::new();
    for d in 1..=DEVICES {
        let (bob, _) = Account::create(rng, MemoryStore::new(), &key, Options::default()).unwrap();
        bobs.push((DeviceAddress::new("bob", d).unwrap(), bob));
    }
    let mut bundles: Vec<_> = bobs
        .iter_mut()
        .map(|(a, b)| (a.clone(), b.bundle(rng).unwrap()))
        .collect();
    let outs = alice
        .encrypt_to_user(
            rng,
            &local,
            "bob",
            |a| {
                let i = bundles.iter().position(|(x, _)| x == a)?;
                Some(bundles.remove(i).1)
            },
            b"hi",
        )
        .unwrap();
    for (out, (addr, bob)) in outs.iter().zip(bobs.iter_mut()) {
        assert_eq!(&out.to, addr);
        bob.decrypt(rng, &local, &out.envelope).unwrap();
        let reply = bob.encrypt(rng, &local, None, b"hi").unwrap();
        alice.decrypt(rng, addr, &reply).unwrap();
    }
    (alice, local)
}

fn fanout(c: &mut Criterion) {
    let rng = &mut rand::rng();
    let mut group = c.benchmark_group("fanout_5_devices");

    // The core alone: 5 sessions, each replied to, so every encrypt is on one sending chain.
    let alice_id = IdentityKeyPair::generate(rng);
    let mut sessions: Vec<Session> = (0..DEVICES)
        .map(|_| {
            let bob_id = IdentityKeyPair::generate(rng);
            let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
            let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
            let mut alice = Session::initiate(rng, &alice_id, &bundle, b"").unwrap();
            let Envelope::PreKey(first) = alice.encrypt(rng, b"hi").unwrap() else {
                unreachable!()
            };
            let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, b"").unwrap();
            alice.decrypt(&bob.encrypt(rng, b"hi").unwrap()).unwrap();
            alice
        })
        .collect();
    group.bench_function("session_x5", |b| {
        b.iter(|| {
            for s in &mut sessions {
                black_box(s.encrypt(rng, &MESSAGE).unwrap());
            }
        })
    });

    let (mut alice, local) = alice_with_bob(MemoryStore::new());
    group.bench_function("fan_out_memory", |b| {
        b.iter(|| {
            black_box(
                alice
                    .encrypt_to_user(rng, &local, "bob", |_| None, &MESSAGE)
                    .unwrap(),
            )
        })
    });
    let bobs: Vec<_> = (1..=DEVICES)
        .map(|d| DeviceAddress::new("bob", d).unwrap())
        .collect();
    group.bench_function("account_x5_memory", |b| {
        b.iter(|| {
            for to in &bobs {
                black_box(alice.encrypt(rng, to, None, &MESSAGE).unwrap());
            }
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(
        dir.path().join("fanout.sqlite"),
        SqliteOptions::default().synchronous(Synchronous::Normal),
    )
    .unwrap();
    let (mut alice, local) = alice_with_bob(store);
    group.bench_function("fan_out_sqlite_normal", |b| {
        b.iter(|| {
            black_box(
                alice
                    .encrypt_to_user(rng, &local, "bob", |_| None, &MESSAGE)
                    .unwrap(),
            )
        })
    });
    group.bench_function("account_x5_sqlite_normal", |b| {
        b.iter(|| {
            for to in &bobs {
                black_box(alice.encrypt(rng, to, None, &MESSAGE).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
