//! Fan-out benchmark (issue 11): one message to a user with 5 devices, sessions existing.
//!
//! `session_x5`: 5 x `Session::encrypt` (the core alone, nothing stored). `fan_out_*`:
//! `Account::encrypt_to_user` to 5 devices, one transaction and one commit for all five (load,
//! unseal, encrypt, seal and write each record), on `MemoryStore` and on `SqliteStore` with
//! `synchronous=NORMAL`. `account_x5_*`: 5 x `Account::encrypt`, a commit each, for comparison.
//! Goal: fan-out at most 1.1 x `session_x5`. `fanout_count.rs` runs the same cases for
//! callgrind's instruction counts, which do not depend on the machine's load (but valgrind
//! hides SHA-NI, so there `Session::encrypt` runs SHA-256 in software and looks about 3 x
//! dearer than it is: read ratios from this bench).
//!
//! Two references put the goal in scale. `session_x5_encoded`: the 5 encrypts plus
//! `Envelope::to_bytes`, which an application using sessions directly must call too (the
//! account returns bytes). `seal_floor_x5`: 5 x AES-256-GCM (the store's row cipher) over 36
//! bytes with a fresh nonce, the least any store that seals each device's new sending chain
//! (a 32-byte chain key and a counter) can spend per fan-out, before encoding or writing it.
//! `journal_floor_x5`: `session_x5_encoded` plus one AES-256-GCM seal over 5 x 40 bytes (a
//! device index, a 32-byte chain key and a counter per device), the least a layout that makes
//! the whole fan-out durable in one sealed row can spend, before any lookup, store write or
//! commit.
//!
//! Run: `cargo bench -p crosswire-bench --bench fanout -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fanout_setup.rs"]
mod setup;

use std::hint::black_box;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use criterion::{Criterion, criterion_group, criterion_main};
use crosswire::store::{MemoryStore, SqliteOptions, SqliteStore, Synchronous};
use rand::Rng;
use setup::{MESSAGE, alice_with_bob, bob_devices, sessions};

fn fanout(c: &mut Criterion) {
    let rng = &mut rand::rng();
    let mut group = c.benchmark_group("fanout_5_devices");

    let mut sessions = sessions();
    group.bench_function("session_x5", |b| {
        b.iter(|| {
            for s in &mut sessions {
                black_box(s.encrypt(rng, &MESSAGE).unwrap());
            }
        })
    });

    let mut sessions = setup::sessions();
    group.bench_function("session_x5_encoded", |b| {
        b.iter(|| {
            for s in &mut sessions {
                black_box(s.encrypt(rng, &MESSAGE).unwrap().to_bytes());
            }
        })
    });

    let cipher = Aes256Gcm::new(&[7u8; 32].into());
    group.bench_function("seal_floor_x5", |b| {
        b.iter(|| {
            for device in 0..setup::DEVICES {
                let mut nonce = [0u8; 12];
                rng.fill_bytes(&mut nonce);
                let mut row = [device as u8; 36];
                let tag = cipher
                    .encrypt_inout_detached(
                        (&nonce).into(),
                        b"sessions/bob.1",
                        (&mut row[..]).into(),
                    )
                    .unwrap();
                black_box((row, tag));
            }
        })
    });

    let mut sessions = setup::sessions();
    group.bench_function("journal_floor_x5", |b| {
        b.iter(|| setup::journal_floor(&mut sessions, &cipher, rng))
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
    let bobs = bob_devices();
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
