//! Crash consistency with real kills (issue 10, SPEC.md 14.1): a child process runs
//! transactions in a loop on a SQLite store and the parent SIGKILLs it at random instants,
//! then reopens the store and checks that every transaction is there entirely or not at all.
//!
//! The child is this test binary itself, re-executed with `CHILD_ENV` naming the store and
//! `--exact crash_child --ignored`, so no extra binary is built. Its work per step is
//! [`child_step`]: for now a store-level model of `Account::decrypt` (read the next message
//! number, append it to the inbox, consume its one-time prekey, write the new session state,
//! commit), to be replaced by real account calls.
//!
//! `cargo test --test crash` makes [`DEFAULT_KILLS`] kills (a few seconds). Stress mode: set
//! `CROSSWIRE_CRASH_KILLS` to any count, e.g.
//! `CROSSWIRE_CRASH_KILLS=5000 cargo test --release --test crash -- --nocapture`.
#![cfg(all(unix, feature = "sqlite"))]
// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crosswire::store::{SqliteOptions, SqliteStore, Store, StoreError, Table, Transaction};

/// Set in the child's environment to the store's path.
const CHILD_ENV: &str = "CROSSWIRE_CRASH_CHILD";
/// Overrides the number of kills (stress mode).
const KILLS_ENV: &str = "CROSSWIRE_CRASH_KILLS";
const DEFAULT_KILLS: u32 = 200;
/// What the child prints after each commit returns, followed by the message number.
const COMMITTED: &str = "committed ";
const READY: &str = "ready";

const NEXT: &[u8] = b"next";
const PEER: &[u8] = b"peer";

fn id(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// The plaintext of message `n`.
fn message(n: u64) -> Vec<u8> {
    format!("message {n:>12} ").repeat(6).into_bytes()
}

/// One-time prekey `n`.
fn prekey(n: u64) -> Vec<u8> {
    format!("one-time prekey {n:>12}").into_bytes()
}

/// The session state after message `n - 1` was decrypted: about the size of a real one.
fn session(n: u64) -> Vec<u8> {
    let mut state = id(n).repeat(50);
    state.extend_from_slice(b"session state");
    state
}

/// One step of the child, in one transaction: decrypt the next message and keep everything
/// that changes with it. Returns the number of the message it committed.
fn child_step<S: Store>(store: &mut S) -> Result<u64, StoreError> {
    let mut tx = store.transaction()?;
    let n = match tx.get(Table::Meta, NEXT)? {
        Some(v) => u64::from_be_bytes(v.try_into().map_err(|_| StoreError::Corrupt)?),
        None => 0,
    };
    if tx.get(Table::Sessions, PEER)?.as_deref() != (n > 0).then(|| session(n)).as_deref() {
        return Err(StoreError::Corrupt);
    }
    tx.put(Table::Inbox, &id(n), &message(n))?;
    // The first message of a session consumes a one-time prekey; here every message does.
    if !tx.delete(Table::OneTimePreKeys, &id(n))? {
        return Err(StoreError::Io(format!(
            "prekey {n} used twice or never made"
        )));
    }
    tx.put(Table::Sessions, PEER, &session(n + 1))?;
    tx.put(Table::Meta, NEXT, &id(n + 1))?;
    tx.commit()?;
    Ok(n)
}

/// The child: steps until killed.
#[test]
#[ignore = "the child process of kills_at_random_instants_lose_and_duplicate_nothing"]
fn crash_child() {
    let path = std::env::var(CHILD_ENV).expect("run by the crash test only");
    let mut store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    println!("{READY}");
    loop {
        match child_step(&mut store) {
            Ok(n) => println!("{COMMITTED}{n}"),
            Err(e) => {
                eprintln!("child_step failed: {e}");
                std::process::exit(3);
            }
        }
    }
}

/// Reopens the store after a kill and checks every invariant; returns the next message
/// number. Prekeys `n..top` must exist and no others.
fn check(path: &Path, top: u64) -> u64 {
    let mut store = SqliteStore::open(path, SqliteOptions::default()).unwrap();
    store.integrity_check().unwrap();
    let mut tx = store.transaction().unwrap();
    let n = tx
        .get(Table::Meta, NEXT)
        .unwrap()
        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
    // Every message up to n - 1 once, in order, none after.
    let inbox = tx.keys(Table::Inbox, b"").unwrap();
    assert_eq!(
        inbox.len() as u64,
        n,
        "inbox holds {} for n = {n}",
        inbox.len()
    );
    for (i, key) in inbox.iter().enumerate() {
        let i = i as u64;
        assert_eq!(key, &id(i), "inbox gap or duplicate at {i}");
        assert_eq!(tx.get(Table::Inbox, key).unwrap(), Some(message(i)));
    }
    let expected_session = (n > 0).then(|| session(n));
    assert_eq!(tx.get(Table::Sessions, PEER).unwrap(), expected_session);
    // Prekeys below n are gone, the rest are there.
    let prekeys = tx.keys(Table::OneTimePreKeys, b"").unwrap();
    let expected: Vec<Vec<u8>> = (n..top).map(|i| id(i).to_vec()).collect();
    assert!(
        prekeys == expected,
        "prekeys: {} rows, first {:?}, expected {n}..{top}",
        prekeys.len(),
        prekeys.first()
    );
    n
}

/// Adds prekeys `from..to`.
fn add_prekeys(path: &Path, from: u64, to: u64) {
    let mut store = SqliteStore::open(path, SqliteOptions::default()).unwrap();
    let mut tx = store.transaction().unwrap();
    for i in from..to {
        tx.put(Table::OneTimePreKeys, &id(i), &prekey(i)).unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn kills_at_random_instants_lose_and_duplicate_nothing() {
    let kills: u32 = std::env::var(KILLS_ENV)
        .ok()
        .map_or(DEFAULT_KILLS, |v| v.parse().expect("a number of kills"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite");
    let mut top = 5000;
    add_prekeys(&path, 0, top);

    let start = Instant::now();
    let mut n = 0;
    let mut before_ready = 0;
    // Time the child ran after getting ready, and the steps it committed meanwhile.
    let mut running = Duration::ZERO;
    let mut steps = 0u32;
    for kill in 0..kills {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // One kill in eight lands anywhere from process start (opening, WAL recovery); the
        // rest while transactions run.
        let mut last_committed = None;
        let mut ready_at = None;
        if rand::random_ratio(1, 8) {
            before_ready += 1;
            std::thread::sleep(Duration::from_micros(rand::random_range(0..20_000)));
        } else {
            loop {
                let line = lines
                    .recv_timeout(Duration::from_secs(30))
                    .unwrap_or_else(|_| {
                        panic!(
                            "kill {kill}: the child never got ready: {}",
                            stderr(&mut child)
                        )
                    });
                // libtest prints "test crash_child ... " before it, on the same line.
                if line.ends_with(READY) {
                    break;
                }
            }
            // Up to about three steps' time, measured so far (fsync speed varies by machine).
            let step = if steps == 0 {
                Duration::from_millis(5)
            } else {
                running / steps
            };
            let window = (3 * step).clamp(Duration::from_millis(2), Duration::from_millis(200));
            let delay = window.mul_f64(rand::random::<f64>());
            std::thread::sleep(delay);
            ready_at = Some(Instant::now() - delay);
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        reader.join().unwrap();
        let mut committed_now = 0;
        for line in lines.try_iter() {
            if let Some((_, m)) = line.rsplit_once(COMMITTED) {
                last_committed = Some(m.parse::<u64>().unwrap());
                committed_now += 1;
            }
        }
        if let Some(ready_at) = ready_at {
            running += ready_at.elapsed();
            steps += committed_now;
        }
        assert_eq!(
            status.signal(),
            Some(9),
            "kill {kill}: the child exited by itself ({status}): {}",
            stderr(&mut child)
        );

        let found = check(&path, top);
        // Nothing committed is lost: a commit the child saw return is there, and at most
        // one more (committed, killed before it printed).
        let floor = last_committed.map_or(n, |c| c + 1);
        assert!(
            (floor..=floor + 1).contains(&found),
            "kill {kill}: next is {found}, the child had committed up to {last_committed:?}, before it {n}"
        );
        n = found;
        if top - n < 2000 {
            add_prekeys(&path, top, top + 5000);
            top += 5000;
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{kills} kills ({before_ready} before the child was ready), {n} messages committed, {elapsed:?}"
    );
    // The kills must have landed among transactions, not only at startup.
    assert!(2 * n >= u64::from(kills), "only {n} steps in {kills} runs");
}

fn stderr(child: &mut std::process::Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}
