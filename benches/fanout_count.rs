//! The fan-out cases of `fanout.rs`, without criterion, for callgrind (issue 11): instruction
//! counts do not depend on how busy the machine is, wall-clock medians do.
//!
//! Each run sets up one case, warms it, and runs it `ROUNDS` times inside `measure`, so that
//! collecting only `measure` counts the case and nothing of the setup:
//!
//! ```text
//! cargo bench -p crosswire-bench --bench fanout_count --no-run
//! valgrind --tool=callgrind --toggle-collect='*fanout_count::measure*' \
//!     target/release/deps/fanout_count-HASH CASE
//! ```
//!
//! with CASE one of `session_x5`, `fan_out_memory`, `account_x5_memory`,
//! `fan_out_sqlite_normal`, `account_x5_sqlite_normal`; the total Ir divided by `ROUNDS` is one
//! round. Without valgrind (as `cargo bench` runs it) it runs every case once and checks it
//! works. Callgrind counts user-space instructions only: SQLite's system calls (the WAL writes)
//! are not in its figures.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "fanout_setup.rs"]
mod setup;

use std::hint::black_box;

use aes_gcm::{Aes256Gcm, KeyInit};
use crosswire::account::{Account, DeviceAddress};
use crosswire::store::{MemoryStore, SqliteOptions, SqliteStore, Store, Synchronous};
use setup::{MESSAGE, alice_with_bob, bob_devices, sessions};

const ROUNDS: u32 = 100;
const CASES: [&str; 7] = [
    "session_x5",
    "session_x5_encoded",
    "journal_floor_x5",
    "fan_out_memory",
    "account_x5_memory",
    "fan_out_sqlite_normal",
    "account_x5_sqlite_normal",
];

#[inline(never)]
fn measure(rounds: u32, round: &mut dyn FnMut()) {
    for _ in 0..rounds {
        round();
    }
}

fn fan_out<S: Store>(alice: &mut Account<S>, local: &DeviceAddress) {
    let rng = &mut rand::rng();
    black_box(
        alice
            .encrypt_to_user(rng, local, "bob", |_| None, &MESSAGE)
            .unwrap(),
    );
}

fn account_x5<S: Store>(alice: &mut Account<S>, bobs: &[DeviceAddress]) {
    let rng = &mut rand::rng();
    for to in bobs {
        black_box(alice.encrypt(rng, to, None, &MESSAGE).unwrap());
    }
}

fn run(case: &str, rounds: u32) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = || {
        SqliteStore::open(
            dir.path().join("fanout.sqlite"),
            SqliteOptions::default().synchronous(Synchronous::Normal),
        )
        .unwrap()
    };
    let bobs = bob_devices();
    let mut round: Box<dyn FnMut()> = match case {
        "session_x5" => {
            let mut sessions = sessions();
            Box::new(move || {
                let rng = &mut rand::rng();
                for s in &mut sessions {
                    black_box(s.encrypt(rng, &MESSAGE).unwrap());
                }
            })
        }
        "session_x5_encoded" => {
            let mut sessions = sessions();
            Box::new(move || {
                let rng = &mut rand::rng();
                for s in &mut sessions {
                    black_box(s.encrypt(rng, &MESSAGE).unwrap().to_bytes());
                }
            })
        }
        "journal_floor_x5" => {
            let mut sessions = sessions();
            let cipher = Aes256Gcm::new(&[7u8; 32].into());
            Box::new(move || setup::journal_floor(&mut sessions, &cipher, &mut rand::rng()))
        }
        "fan_out_memory" => {
            let (mut alice, local) = alice_with_bob(MemoryStore::new());
            Box::new(move || fan_out(&mut alice, &local))
        }
        "account_x5_memory" => {
            let (mut alice, _) = alice_with_bob(MemoryStore::new());
            Box::new(move || account_x5(&mut alice, &bobs))
        }
        "fan_out_sqlite_normal" => {
            let (mut alice, local) = alice_with_bob(sqlite());
            Box::new(move || fan_out(&mut alice, &local))
        }
        "account_x5_sqlite_normal" => {
            let (mut alice, _) = alice_with_bob(sqlite());
            Box::new(move || account_x5(&mut alice, &bobs))
        }
        other => panic!("unknown case {other}; one of {CASES:?}"),
    };
    // Warm: the account's session cache, SQLite's page cache and statement cache.
    for _ in 0..3 {
        round();
    }
    measure(rounds, &mut round);
}

fn main() {
    // `cargo bench` passes `--bench`; a case name selects one case for callgrind, and a round
    // count after it a longer run for a sampling profiler (`perf record`).
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    match args.next() {
        Some(case) => {
            let rounds = args.next().map_or(ROUNDS, |n| n.parse().unwrap());
            run(&case, rounds)
        }
        None => {
            for case in CASES {
                run(case, 1);
            }
        }
    }
}
