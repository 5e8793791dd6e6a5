//! Store benchmarks (issue 10): what one transaction costs on each backend.
//!
//! `commit/..`: one transaction that puts a ~400-byte row (the size of a sealed session record
//! for a fresh session), reads it back and commits, on `SqliteStore` with `synchronous=NORMAL`
//! and `FULL` and on `MemoryStore`. `commit_delete/..`: one transaction that deletes a row and
//! commits, which on SQLite includes the WAL checkpoint that scrubs deleted rows (SPEC.md 14.4).
//! `open/..`: opening a store of 10,000 sessions.
//! The SQLite files live in the system temporary directory, so `FULL` measures that file
//! system's `fsync`.
//!
//! Run: `cargo bench --bench store -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crosswire::store::{
    MemoryStore, SqliteOptions, SqliteStore, Store, Synchronous, Table, Transaction,
};

const ROW: usize = 400;

fn put_get_commit<S: Store>(store: &mut S, i: u64, value: &mut [u8]) {
    let key = (i % 64).to_be_bytes();
    // A new value every time, as a session record is: SQLite skips writing a row replaced
    // by identical bytes, and the commit would then write nothing.
    value[..8].copy_from_slice(&i.to_be_bytes());
    let mut tx = store.transaction().unwrap();
    tx.put(Table::Sessions, &key, value).unwrap();
    black_box(tx.get(Table::Sessions, &key).unwrap());
    tx.commit().unwrap();
}

fn delete_commit<S: Store>(store: &mut S, i: u64, value: &[u8]) {
    let key = i.to_be_bytes();
    // Set up outside the measured transaction would need iter_batched per row; the put is in
    // its own commit, and both are measured together, then compared with `commit/..`.
    let mut tx = store.transaction().unwrap();
    tx.put(Table::OneTimePreKeys, &key, value).unwrap();
    tx.commit().unwrap();
    let mut tx = store.transaction().unwrap();
    assert!(tx.delete(Table::OneTimePreKeys, &key).unwrap());
    tx.commit().unwrap();
}

fn sqlite(dir: &tempfile::TempDir, name: &str, sync: Synchronous) -> SqliteStore {
    SqliteStore::open(
        dir.path().join(name),
        SqliteOptions::default().synchronous(sync),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut value = vec![0x5Au8; ROW];
    let dir = tempfile::tempdir().unwrap();

    let mut group = c.benchmark_group("commit");
    let mut normal = sqlite(&dir, "normal.sqlite", Synchronous::Normal);
    let mut full = sqlite(&dir, "full.sqlite", Synchronous::Full);
    let mut memory = MemoryStore::new();
    let mut i = 0u64;
    group.bench_function("sqlite_normal", |b| {
        b.iter(|| {
            i += 1;
            put_get_commit(&mut normal, i, &mut value)
        })
    });
    group.bench_function("sqlite_full", |b| {
        b.iter(|| {
            i += 1;
            put_get_commit(&mut full, i, &mut value)
        })
    });
    group.bench_function("memory", |b| {
        b.iter(|| {
            i += 1;
            put_get_commit(&mut memory, i, &mut value)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("commit_delete");
    group.bench_function("sqlite_normal", |b| {
        b.iter(|| {
            i += 1;
            delete_commit(&mut normal, i, &value)
        })
    });
    group.bench_function("sqlite_full", |b| {
        b.iter(|| {
            i += 1;
            delete_commit(&mut full, i, &value)
        })
    });
    group.bench_function("memory", |b| {
        b.iter(|| {
            i += 1;
            delete_commit(&mut memory, i, &value)
        })
    });
    group.finish();
}

/// Opening a store that holds 10,000 session rows of 1 KiB: what the account layer's open
/// costs before it reads anything (the budget for the whole open is 100 ms).
fn open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.sqlite");
    let mut store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let mut tx = store.transaction().unwrap();
    for i in 0u32..10_000 {
        tx.put(Table::Sessions, &i.to_be_bytes(), &[i as u8; 1024])
            .unwrap();
    }
    tx.commit().unwrap();
    drop(store);
    c.bench_function("open/10000_sessions", |b| {
        b.iter(|| black_box(SqliteStore::open(&path, SqliteOptions::default()).unwrap()))
    });
}

criterion_group!(benches, bench, open);
criterion_main!(benches);
