//! One test suite for every store backend (SPEC.md 14.1), expanded per backend by `suite!`,
//! then tests only SQLite can fail: persistence, damaged and foreign files, locking, the
//! schema-1 fixture, and deleted rows leaving the files (SPEC.md 14.4).

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosswire::store::{MemoryStore, Store, Table, Transaction};

/// A store under test, with whatever must outlive it (a temporary directory).
struct Fixture<S> {
    store: S,
    _guard: Option<tempfile::TempDir>,
}

fn memory() -> Fixture<MemoryStore> {
    Fixture {
        store: MemoryStore::new(),
        _guard: None,
    }
}

#[cfg(feature = "sqlite")]
fn sqlite() -> Fixture<crosswire::store::SqliteStore> {
    let dir = tempfile::tempdir().unwrap();
    let store = crosswire::store::SqliteStore::open(
        dir.path().join("device.sqlite"),
        crosswire::store::SqliteOptions::default(),
    )
    .unwrap();
    Fixture {
        store,
        _guard: Some(dir),
    }
}

/// Expands every shared test for one backend.
macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            #[test]
            fn commit_makes_changes_visible() {
                shared::commit_makes_changes_visible(&mut super::$backend().store);
            }
            #[test]
            fn drop_rolls_back() {
                shared::drop_rolls_back(&mut super::$backend().store);
            }
            #[test]
            fn error_in_transaction_rolls_back() {
                shared::error_in_transaction_rolls_back(&mut super::$backend().store);
            }
            #[test]
            fn delete_semantics() {
                shared::delete_semantics(&mut super::$backend().store);
            }
            #[test]
            fn keys_by_prefix_in_byte_order() {
                shared::keys_by_prefix_in_byte_order(&mut super::$backend().store);
            }
            #[test]
            fn count_sees_staged_changes() {
                shared::count_sees_staged_changes(&mut super::$backend().store);
            }
            #[test]
            fn tables_are_separate() {
                shared::tables_are_separate(&mut super::$backend().store);
            }
            #[test]
            fn large_and_empty_values() {
                shared::large_and_empty_values(&mut super::$backend().store);
            }
        }
    };
}

suite!(memory);
#[cfg(feature = "sqlite")]
suite!(sqlite);

/// The shared tests: each takes a fresh, empty store.
mod shared {
    use super::*;

    fn put_committed<S: Store>(store: &mut S, rows: &[(Table, &[u8], &[u8])]) {
        let mut tx = store.transaction().unwrap();
        for (table, key, value) in rows {
            tx.put(*table, key, value).unwrap();
        }
        tx.commit().unwrap();
    }

    fn read<S: Store>(store: &mut S, table: Table, key: &[u8]) -> Option<Vec<u8>> {
        store.transaction().unwrap().get(table, key).unwrap()
    }

    pub(crate) fn commit_makes_changes_visible<S: Store>(store: &mut S) {
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Sessions, b"alice").unwrap(), None);
        tx.put(Table::Sessions, b"alice", b"v1").unwrap();
        // A transaction reads its own writes.
        assert_eq!(
            tx.get(Table::Sessions, b"alice").unwrap(),
            Some(b"v1".to_vec())
        );
        tx.put(Table::Sessions, b"alice", b"v2").unwrap();
        tx.commit().unwrap();
        assert_eq!(read(store, Table::Sessions, b"alice"), Some(b"v2".to_vec()));
    }

    pub(crate) fn drop_rolls_back<S: Store>(store: &mut S) {
        put_committed(
            store,
            &[(Table::Meta, b"a", b"1"), (Table::Meta, b"b", b"2")],
        );
        {
            let mut tx = store.transaction().unwrap();
            tx.put(Table::Meta, b"a", b"changed").unwrap();
            assert!(tx.delete(Table::Meta, b"b").unwrap());
            tx.put(Table::Meta, b"c", b"new").unwrap();
            // Dropped here, uncommitted.
        }
        assert_eq!(read(store, Table::Meta, b"a"), Some(b"1".to_vec()));
        assert_eq!(read(store, Table::Meta, b"b"), Some(b"2".to_vec()));
        assert_eq!(read(store, Table::Meta, b"c"), None);
        // The store is usable after a rollback.
        put_committed(store, &[(Table::Meta, b"c", b"3")]);
        assert_eq!(read(store, Table::Meta, b"c"), Some(b"3".to_vec()));
    }

    /// The shape the account layer uses: the transaction is dropped by `?` when a step fails.
    pub(crate) fn error_in_transaction_rolls_back<S: Store>(store: &mut S) {
        put_committed(store, &[(Table::OneTimePreKeys, b"7", b"prekey 7")]);
        fn step<S: Store>(store: &mut S) -> Result<(), String> {
            let mut tx = store.transaction().map_err(|e| e.to_string())?;
            tx.delete(Table::OneTimePreKeys, b"7")
                .map_err(|e| e.to_string())?;
            tx.put(Table::Sessions, b"bob", b"new state")
                .map_err(|e| e.to_string())?;
            Err("decryption failed".to_string())?;
            tx.commit().map_err(|e| e.to_string())
        }
        assert_eq!(step(store), Err("decryption failed".to_string()));
        assert_eq!(
            read(store, Table::OneTimePreKeys, b"7"),
            Some(b"prekey 7".to_vec())
        );
        assert_eq!(read(store, Table::Sessions, b"bob"), None);
    }

    pub(crate) fn delete_semantics<S: Store>(store: &mut S) {
        put_committed(
            store,
            &[(Table::Inbox, b"1", b"one"), (Table::Inbox, b"2", b"two")],
        );
        let mut tx = store.transaction().unwrap();
        assert!(tx.delete(Table::Inbox, b"1").unwrap());
        assert!(!tx.delete(Table::Inbox, b"1").unwrap(), "deleted twice");
        assert!(!tx.delete(Table::Inbox, b"missing").unwrap());
        assert_eq!(tx.get(Table::Inbox, b"1").unwrap(), None);
        // Delete then put within one transaction: the put wins.
        assert!(tx.delete(Table::Inbox, b"2").unwrap());
        tx.put(Table::Inbox, b"2", b"two again").unwrap();
        // Put then delete: the delete wins, and reports the staged row.
        tx.put(Table::Inbox, b"3", b"three").unwrap();
        assert!(tx.delete(Table::Inbox, b"3").unwrap());
        tx.commit().unwrap();

        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Inbox, b"1").unwrap(), None);
        assert_eq!(
            tx.get(Table::Inbox, b"2").unwrap(),
            Some(b"two again".to_vec())
        );
        assert_eq!(tx.get(Table::Inbox, b"3").unwrap(), None);
        assert_eq!(tx.keys(Table::Inbox, b"").unwrap(), vec![b"2".to_vec()]);
    }

    pub(crate) fn keys_by_prefix_in_byte_order<S: Store>(store: &mut S) {
        // Chosen around the edges of a range scan: empty key, 0x00 and 0xFF bytes, a key that
        // equals the prefix, keys that are prefixes of each other, different lengths.
        let committed: &[&[u8]] = &[
            b"",
            b"\x00",
            b"\x01",
            b"\x01\x00",
            b"\x01\xff",
            b"\x01\xff\xff",
            b"\x01\xff\xff\x00",
            b"\x02",
            b"\xff",
            b"\xff\xff",
            b"ab",
            b"abc",
            b"abd",
            b"ac",
            b"b",
        ];
        {
            let mut tx = store.transaction().unwrap();
            // Inserted in reverse, so insertion order is not the answer.
            for key in committed.iter().rev() {
                tx.put(Table::Sessions, key, b"v").unwrap();
            }
            tx.put(Table::Identities, b"ab-other-table", b"v").unwrap();
            tx.commit().unwrap();
        }
        let mut tx = store.transaction().unwrap();
        // Uncommitted changes count: one staged key, one staged delete.
        tx.put(Table::Sessions, b"ab\x00", b"v").unwrap();
        assert!(tx.delete(Table::Sessions, b"abc").unwrap());

        let expect = |prefix: &[u8]| -> Vec<Vec<u8>> {
            let mut all: Vec<Vec<u8>> = committed
                .iter()
                .map(|k| k.to_vec())
                .filter(|k| k != b"abc")
                .chain([b"ab\x00".to_vec()])
                .filter(|k| k.starts_with(prefix))
                .collect();
            all.sort();
            all
        };
        let prefixes: &[&[u8]] = &[
            b"",
            b"\x00",
            b"\x01",
            b"\x01\xff",
            b"\x01\xff\xff",
            b"\xff",
            b"\xff\xff",
            b"a",
            b"ab",
            b"abc",
            b"z",
        ];
        for prefix in prefixes {
            assert_eq!(
                tx.keys(Table::Sessions, prefix).unwrap(),
                expect(prefix),
                "prefix {prefix:?}"
            );
        }
        // Spelled out once, so the expectation above is not its own oracle.
        assert_eq!(
            tx.keys(Table::Sessions, b"\x01").unwrap(),
            vec![
                b"\x01".to_vec(),
                b"\x01\x00".to_vec(),
                b"\x01\xff".to_vec(),
                b"\x01\xff\xff".to_vec(),
                b"\x01\xff\xff\x00".to_vec(),
            ]
        );
        assert_eq!(
            tx.keys(Table::Sessions, b"ab").unwrap(),
            vec![b"ab".to_vec(), b"ab\x00".to_vec(), b"abd".to_vec()]
        );
    }

    pub(crate) fn count_sees_staged_changes<S: Store>(store: &mut S) {
        let mut tx = store.transaction().unwrap();
        for table in Table::ALL {
            assert_eq!(tx.count(table).unwrap(), 0);
        }
        for i in 0u32..100 {
            tx.put(Table::OneTimePreKeys, &i.to_be_bytes(), b"k")
                .unwrap();
        }
        assert_eq!(tx.count(Table::OneTimePreKeys).unwrap(), 100);
        tx.commit().unwrap();
        let mut tx = store.transaction().unwrap();
        tx.put(Table::OneTimePreKeys, &5u32.to_be_bytes(), b"replaced")
            .unwrap();
        for i in 0u32..10 {
            tx.delete(Table::OneTimePreKeys, &i.to_be_bytes()).unwrap();
        }
        tx.put(Table::OneTimePreKeys, &1000u32.to_be_bytes(), b"k")
            .unwrap();
        assert_eq!(tx.count(Table::OneTimePreKeys).unwrap(), 91);
        assert_eq!(tx.count(Table::Sessions).unwrap(), 0);
        drop(tx);
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.count(Table::OneTimePreKeys).unwrap(), 100);
    }

    pub(crate) fn tables_are_separate<S: Store>(store: &mut S) {
        let mut tx = store.transaction().unwrap();
        for (i, table) in Table::ALL.into_iter().enumerate() {
            tx.put(table, b"same key", &[i as u8]).unwrap();
        }
        tx.commit().unwrap();
        let mut tx = store.transaction().unwrap();
        assert!(tx.delete(Table::Inbox, b"same key").unwrap());
        tx.commit().unwrap();
        let mut tx = store.transaction().unwrap();
        for (i, table) in Table::ALL.into_iter().enumerate() {
            let expected = (table != Table::Inbox).then(|| vec![i as u8]);
            assert_eq!(tx.get(table, b"same key").unwrap(), expected, "{table:?}");
            assert_eq!(tx.count(table).unwrap(), u64::from(table != Table::Inbox));
        }
    }

    pub(crate) fn large_and_empty_values<S: Store>(store: &mut S) {
        // Larger than any SQLite page, so it lives in overflow pages.
        let large: Vec<u8> = (0..4 << 20).map(|i: u32| (i * 7 + i / 251) as u8).collect();
        let long_key = vec![0xA5; 5000];
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Sessions, b"large", &large).unwrap();
        tx.put(Table::Sessions, b"empty", b"").unwrap();
        tx.put(Table::Sessions, b"", b"empty key").unwrap();
        tx.put(Table::Sessions, &long_key, b"long key").unwrap();
        tx.commit().unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Sessions, b"large").unwrap(), Some(large));
        assert_eq!(tx.get(Table::Sessions, b"empty").unwrap(), Some(Vec::new()));
        assert_eq!(
            tx.get(Table::Sessions, b"").unwrap(),
            Some(b"empty key".to_vec())
        );
        assert_eq!(
            tx.get(Table::Sessions, &long_key).unwrap(),
            Some(b"long key".to_vec())
        );
        assert_eq!(tx.count(Table::Sessions).unwrap(), 4);
    }
}

#[cfg(feature = "sqlite")]
mod sqlite_only {
    use super::*;
    use crosswire::store::{SqliteOptions, SqliteStore, StoreError, Synchronous};
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open(path, SqliteOptions::default())
    }

    fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
        let mut s = path.as_os_str().to_os_string();
        s.push(suffix);
        PathBuf::from(s)
    }

    /// A closed store file holding a few rows of every table.
    fn populated(dir: &Path) -> PathBuf {
        let path = dir.join("device.sqlite");
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        for table in Table::ALL {
            for i in 0u32..20 {
                tx.put(table, &i.to_be_bytes(), &[i as u8; 300]).unwrap();
            }
        }
        tx.commit().unwrap();
        drop(store);
        path
    }

    type Row = (Table, Vec<u8>, Vec<u8>);

    fn populated_rows() -> Vec<Row> {
        Table::ALL
            .into_iter()
            .flat_map(|t| {
                (0u32..20).map(move |i| (t, i.to_be_bytes().to_vec(), vec![i as u8; 300]))
            })
            .collect()
    }

    /// Opens `path`, which must fail with `expected` (or, for a truncated file, possibly
    /// succeed and then fail on reading); never panic, never change the file.
    fn assert_open_fails(path: &Path, expected: &StoreError) {
        let before = std::fs::read(path).unwrap();
        match open(path) {
            Err(e) => assert_eq!(&e, expected, "{}", path.display()),
            Ok(_) => panic!("{} opened", path.display()),
        }
        assert!(std::fs::read(path).unwrap() == before, "file changed");
    }

    #[test]
    fn rows_persist_across_reopen_and_uncommitted_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        {
            let mut store = open(&path).unwrap();
            let mut tx = store.transaction().unwrap();
            tx.put(Table::Sessions, b"kept", b"1").unwrap();
            tx.commit().unwrap();
            let mut tx = store.transaction().unwrap();
            tx.put(Table::Sessions, b"dropped", b"2").unwrap();
            // A transaction still open when the store goes away.
            std::mem::forget(tx);
        }
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(
            tx.get(Table::Sessions, b"kept").unwrap(),
            Some(b"1".to_vec())
        );
        assert_eq!(tx.get(Table::Sessions, b"dropped").unwrap(), None);
        drop(tx);
        store.integrity_check().unwrap();
    }

    #[test]
    fn a_new_store_is_wal_and_private_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        drop(open(&path).unwrap());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["device.sqlite"]);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SqliteStore::SCHEMA_VERSION);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
    }

    #[test]
    fn garbage_file_is_corrupt_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 253) as u8).collect();
        std::fs::write(&path, &garbage).unwrap();
        assert_open_fails(&path, &StoreError::Corrupt);
        // A real SQLite header followed by garbage.
        let other = tempfile::tempdir().unwrap();
        let mut header_then_garbage =
            std::fs::read(populated(other.path())).unwrap()[..100].to_vec();
        header_then_garbage.extend_from_slice(&garbage);
        std::fs::write(&path, &header_then_garbage).unwrap();
        assert_open_fails(&path, &StoreError::Corrupt);
    }

    #[test]
    fn a_directory_is_not_a_store_and_is_left_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        std::fs::create_dir(&path).unwrap();
        assert_eq!(
            open(&path).err(),
            Some(StoreError::Io("not a regular file".into()))
        );
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0);
    }

    /// A path the operating system cannot resolve (here a link to itself) fails with the
    /// operating system's own error, and no store is built beside it.
    #[cfg(unix)]
    #[test]
    fn an_unresolvable_path_is_its_io_error_and_nothing_is_built() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        std::os::unix::fs::symlink(&path, &path).unwrap();
        let expected = std::fs::metadata(&path).unwrap_err().to_string();
        assert_eq!(open(&path).err(), Some(StoreError::Io(expected)));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["device.sqlite"]);
    }

    /// SQLite writes a 65536-byte page size as 1 in the header (a u16 cannot hold it): such a
    /// store opens, and reads back every row.
    #[test]
    fn a_store_with_64_kib_pages_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = populated(dir.path());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA page_size = 65536; VACUUM; \
             PRAGMA journal_mode = WAL;",
        )
        .unwrap();
        drop(conn);
        assert_eq!(std::fs::read(&path).unwrap()[16..18], [0, 1]);
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        for (table, key, value) in populated_rows() {
            assert_eq!(tx.get(table, &key).unwrap(), Some(value));
        }
    }

    #[test]
    fn zero_length_file_is_corrupt_not_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        std::fs::write(&path, b"").unwrap();
        assert_open_fails(&path, &StoreError::Corrupt);
    }

    #[test]
    fn foreign_sqlite_database_is_corrupt_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
        drop(conn);
        assert_open_fails(&path, &StoreError::Corrupt);
    }

    #[test]
    fn missing_table_is_corrupt() {
        // Every table, including those the latest schema version introduced.
        for table in Table::ALL {
            let dir = tempfile::tempdir().unwrap();
            let path = populated(dir.path());
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(&format!("DROP TABLE {}", table.name()))
                .unwrap();
            drop(conn);
            assert_open_fails(&path, &StoreError::Corrupt);
        }
    }

    /// Damage that opening does not read (open reads the first row of each table) is what
    /// `integrity_check` is for: a garbage page anywhere in the file fails it.
    #[test]
    fn integrity_check_finds_a_damaged_page_that_open_does_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read(populated(dir.path())).unwrap();
        let page = 4096;
        assert_eq!(
            original[36..40],
            [0; 4],
            "no free pages: every page is in use"
        );
        let mut opened = 0;
        for n in 1..original.len() / page {
            let mut damaged = original.clone();
            damaged[n * page..(n + 1) * page].fill(0xff);
            let path = dir.path().join(format!("damaged-{n}.sqlite"));
            std::fs::write(&path, &damaged).unwrap();
            if let Ok(mut store) = open(&path) {
                opened += 1;
                assert_eq!(
                    store.integrity_check(),
                    Err(StoreError::Corrupt),
                    "page {n}"
                );
            }
        }
        assert!(opened > 0, "every damaged page showed at open already");
    }

    #[test]
    fn wal_without_its_database_is_not_replayed_into_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        std::fs::write(with_suffix(&path, "-wal"), b"left over").unwrap();
        assert_eq!(open(&path).unwrap_err(), StoreError::Corrupt);
        assert!(!path.exists());
    }

    #[test]
    fn truncated_file_is_a_typed_error_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read(populated(dir.path())).unwrap();
        let page = 4096;
        assert!(original.len() > 8 * page, "{}", original.len());
        let lengths = [
            1,
            16,
            99,
            100,
            101,
            512,
            page - 1,
            page,
            page + 1,
            2 * page,
            3 * page + 17,
            original.len() / 2,
            original.len() - page,
            original.len() - 1,
        ];
        for len in lengths {
            let path = dir.path().join(format!("truncated-{len}.sqlite"));
            std::fs::write(&path, &original[..len]).unwrap();
            match open(&path) {
                Err(e) => assert_eq!(e, StoreError::Corrupt, "length {len}"),
                // Some cuts leave every page that holds a row intact (the last page of the
                // file may be unused). Then every row must read back as written; otherwise
                // the damage must show as a typed error.
                Ok(mut store) => {
                    let read = (|| -> Result<Vec<Row>, StoreError> {
                        let mut tx = store.transaction()?;
                        let mut rows = Vec::new();
                        for table in Table::ALL {
                            for key in tx.keys(table, b"")? {
                                let value = tx.get(table, &key)?.ok_or(StoreError::Corrupt)?;
                                rows.push((table, key, value));
                            }
                        }
                        Ok(rows)
                    })();
                    match read {
                        Ok(rows) => {
                            let expected = populated_rows();
                            let wrong: Vec<_> = expected
                                .iter()
                                .filter(|row| !rows.contains(row))
                                .map(|(t, k, _)| (t, k))
                                .collect();
                            assert!(
                                rows.len() == expected.len() && wrong.is_empty(),
                                "length {len}: {} rows, missing or wrong {wrong:?}",
                                rows.len()
                            );
                        }
                        Err(e) => {
                            assert_eq!(e, StoreError::Corrupt, "length {len}");
                            assert_eq!(store.integrity_check(), Err(StoreError::Corrupt));
                        }
                    }
                    drop(store);
                }
            }
            assert!(
                std::fs::read(&path).unwrap() == original[..len],
                "length {len}: file changed"
            );
        }
    }

    /// The names in `dir`, sorted.
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A populated store whose every page is in its WAL only, as if crosswire was killed
    /// between a commit and its checkpoint: a VACUUM in WAL mode writes the whole database to
    /// the WAL, and the connection closes without checkpointing.
    fn populated_behind_its_wal(dir: &Path) -> PathBuf {
        let path = populated(dir);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
        conn.execute_batch("VACUUM").unwrap();
        drop(conn);
        path
    }

    /// While the WAL holds frames the database file may lag its pages (SPEC.md 14.4), so open
    /// checks only its 100-byte header: a file cut to exactly its header, or to a length that
    /// is no whole number of pages, opens and reads every row from the WAL.
    #[test]
    fn a_file_behind_a_wal_with_frames_is_checked_only_for_its_header() {
        for len in [100, 4096 + 100] {
            let dir = tempfile::tempdir().unwrap();
            let path = populated_behind_its_wal(dir.path());
            let wal = std::fs::metadata(with_suffix(&path, "-wal")).unwrap().len();
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            assert!(
                wal >= file.metadata().unwrap().len(),
                "the WAL holds every page"
            );
            file.set_len(len).unwrap();
            drop(file);
            let mut store = open(&path).unwrap();
            let mut tx = store.transaction().unwrap();
            for (table, key, value) in populated_rows() {
                assert_eq!(tx.get(table, &key).unwrap(), Some(value), "length {len}");
            }
            drop(tx);
            store.integrity_check().unwrap();
        }
    }

    /// A file that lost its last page, whose header still counts it (the change counter
    /// matches the version-valid-for number), is refused before SQLite reads it: the page
    /// holds rows that opening does not read, so only the check can see it. An empty WAL
    /// beside it (as a TRUNCATE checkpoint leaves) holds no frames and changes nothing.
    #[test]
    fn a_file_short_of_its_header_page_count_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read(populated(dir.path())).unwrap();
        let page = 4096;
        assert_eq!(
            original[24..28],
            original[92..96],
            "the page count is valid"
        );
        let pages = u32::from_be_bytes(original[28..32].try_into().unwrap()) as usize;
        assert_eq!(pages * page, original.len());
        for empty_wal in [false, true] {
            let sub = tempfile::tempdir().unwrap();
            let path = sub.path().join("device.sqlite");
            std::fs::write(&path, &original[..original.len() - page]).unwrap();
            if empty_wal {
                std::fs::write(with_suffix(&path, "-wal"), b"").unwrap();
            }
            let before = names_in(sub.path());
            assert_open_fails(&path, &StoreError::Corrupt);
            assert_eq!(names_in(sub.path()), before, "empty WAL: {empty_wal}");
        }
    }

    /// A header whose page size SQLite cannot have written (not a power of two from 512 to
    /// 65536) is refused before SQLite opens the file: for a WAL-mode header SQLite would
    /// create the `-wal` and `-shm` files beside it before reading the page size.
    #[test]
    fn an_impossible_page_size_is_corrupt_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read(populated(dir.path())).unwrap();
        assert_eq!(original[18..20], [2, 2], "a WAL-mode header");
        for page_size in [2u16, 256, 1024 + 512] {
            let sub = tempfile::tempdir().unwrap();
            let path = sub.path().join("device.sqlite");
            let mut file = original.clone();
            file[16..18].copy_from_slice(&page_size.to_be_bytes());
            // A whole number of such pages, and at least as many as the header counts.
            file.truncate(file.len() / 1536 * 1536);
            std::fs::write(&path, &file).unwrap();
            assert_open_fails(&path, &StoreError::Corrupt);
            assert_eq!(
                names_in(sub.path()),
                ["device.sqlite"],
                "page size {page_size}"
            );
        }
    }

    /// A value that is not a BLOB (possible only in a file whose table lost its `STRICT`) is
    /// `Corrupt`, as a damaged file is, not an I/O error.
    #[test]
    fn a_value_of_another_type_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = populated(dir.path());
        let conn = rusqlite::Connection::open(&path).unwrap();
        // The first row stays a BLOB, so the check at open (it reads the first row) passes.
        conn.execute_batch(
            "DROP TABLE inbox; \
             CREATE TABLE inbox (key BLOB PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID; \
             INSERT INTO inbox VALUES (x'00', x'aa'), (x'01', 'text'), (x'02', 7);",
        )
        .unwrap();
        drop(conn);
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Inbox, &[0]).unwrap(), Some(vec![0xaa]));
        assert_eq!(tx.get(Table::Inbox, &[1]), Err(StoreError::Corrupt));
        drop(tx);
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Inbox, &[2]), Err(StoreError::Corrupt));
    }

    /// A store locked by another process (here a connection in exclusive locking mode, which
    /// keeps even readers out) is `Busy` at open once the timeout passes, not `Corrupt`: the
    /// file is fine. (Open's first read of the file is `PRAGMA synchronous`, which loads the
    /// schema, so this is the error of that read.)
    #[test]
    fn a_store_locked_exclusively_is_busy_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = populated(dir.path());
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch(
                "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; \
                 INSERT INTO meta VALUES (x'77', x'77'); COMMIT;",
            )
            .unwrap();
        let timeout = Duration::from_millis(100);
        let opened = SqliteStore::open(&path, SqliteOptions::default().busy_timeout(timeout));
        assert_eq!(opened.err(), Some(StoreError::Busy));
        drop(holder);
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Meta, b"w").unwrap(), Some(b"w".to_vec()));
    }

    /// An operating-system failure at open (here SQLite cannot open the WAL, because a
    /// directory has its name) is an I/O error, not a damaged store: the file is sound, and
    /// opens once the obstacle is gone.
    #[test]
    fn an_os_failure_while_checking_is_io_not_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = populated(dir.path());
        let wal = with_suffix(&path, "-wal");
        std::fs::create_dir(&wal).unwrap();
        match open(&path) {
            Err(StoreError::Io(_)) => {}
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir(&wal).unwrap();
        drop(open(&path).unwrap());
    }

    #[test]
    fn newer_schema_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = populated(dir.path());
        let newer = SqliteStore::SCHEMA_VERSION + 1;
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", newer).unwrap();
        drop(conn);
        assert_open_fails(&path, &StoreError::NewerSchema(newer));
    }

    /// A failed open must not checkpoint a WAL that holds frames into the database file.
    #[test]
    fn a_failed_open_leaves_a_wal_with_frames_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = populated(dir.path());
        let newer = SqliteStore::SCHEMA_VERSION + 1;
        // As if a newer crosswire was killed after committing: its last changes, including
        // the version, are only in the WAL.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
        conn.execute_batch("INSERT INTO meta VALUES (x'77', x'77')")
            .unwrap();
        conn.pragma_update(None, "user_version", newer).unwrap();
        drop(conn);
        let wal = with_suffix(&path, "-wal");
        let wal_before = std::fs::read(&wal).unwrap();
        assert!(!wal_before.is_empty());
        assert_open_fails(&path, &StoreError::NewerSchema(newer));
        assert!(std::fs::read(&wal).unwrap() == wal_before, "WAL changed");
    }

    #[test]
    fn concurrent_creation_makes_one_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let threads: Vec<_> = (0u8..4)
            .map(|i| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut store = open(&path).unwrap();
                    let mut tx = store.transaction().unwrap();
                    tx.put(Table::Meta, &[i], b"here").unwrap();
                    tx.commit().unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.count(Table::Meta).unwrap(), 4, "a store was replaced");
        drop(tx);
        drop(store);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["device.sqlite"]);
    }

    #[test]
    fn two_connections_increment_exactly() {
        const EACH: u64 = 500;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        drop(open(&path).unwrap());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut store = open(&path).unwrap();
                    for _ in 0..EACH {
                        let mut tx = store.transaction().unwrap();
                        let n = tx
                            .get(Table::Meta, b"counter")
                            .unwrap()
                            .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
                        tx.put(Table::Meta, b"counter", &(n + 1).to_be_bytes())
                            .unwrap();
                        tx.commit().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut store = open(&path).unwrap();
        let mut tx = store.transaction().unwrap();
        assert_eq!(
            tx.get(Table::Meta, b"counter").unwrap(),
            Some((2 * EACH).to_be_bytes().to_vec())
        );
    }

    #[test]
    fn a_lock_held_past_the_busy_timeout_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let mut holder = open(&path).unwrap();
        let timeout = Duration::from_millis(200);
        let mut waiter =
            SqliteStore::open(&path, SqliteOptions::default().busy_timeout(timeout)).unwrap();
        let mut held = holder.transaction().unwrap();
        held.put(Table::Meta, b"x", b"1").unwrap();
        let start = Instant::now();
        assert_eq!(waiter.transaction().err(), Some(StoreError::Busy));
        assert!(start.elapsed() >= timeout - Duration::from_millis(20));
        // Opening does not need the write lock.
        drop(open(&path).unwrap());
        held.commit().unwrap();
        let mut tx = waiter.transaction().unwrap();
        assert_eq!(tx.get(Table::Meta, b"x").unwrap(), Some(b"1".to_vec()));
    }

    #[test]
    fn full_synchronous_store_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let options = SqliteOptions::default().synchronous(Synchronous::Full);
        let mut store = SqliteStore::open(&path, options.clone()).unwrap();
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Meta, b"k", b"v").unwrap();
        tx.commit().unwrap();
        drop(store);
        let mut store = SqliteStore::open(&path, options).unwrap();
        assert_eq!(
            store.transaction().unwrap().get(Table::Meta, b"k").unwrap(),
            Some(b"v".to_vec())
        );
    }

    /// A value no other bytes in the files resemble: every 32-byte window is distinct.
    fn distinctive(len: usize, seed: u8) -> Vec<u8> {
        let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// Which of the store's files (database, `-wal`, `-shm`, read raw while the store is
    /// open) contain any 32-byte piece of `value`.
    fn files_holding(path: &Path, value: &[u8]) -> Vec<String> {
        let mut found = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let bytes = std::fs::read(with_suffix(path, suffix)).unwrap_or_default();
            let hit = value
                .chunks_exact(32)
                .any(|piece| bytes.windows(32).any(|w| w == piece));
            if hit {
                found.push(format!("file{suffix}"));
            }
        }
        found
    }

    #[test]
    fn deleted_rows_leave_the_database_the_wal_and_the_shm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let mut store = open(&path).unwrap();
        // A prekey-sized row beside others on the same page, and a row large enough for
        // overflow pages.
        let small = distinctive(400, 1);
        let large = distinctive(20_000, 2);
        let mut tx = store.transaction().unwrap();
        for i in 0u32..30 {
            tx.put(Table::OneTimePreKeys, &i.to_be_bytes(), &[i as u8; 200])
                .unwrap();
        }
        tx.put(Table::OneTimePreKeys, b"small", &small).unwrap();
        tx.put(Table::OneTimePreKeys, b"large", &large).unwrap();
        tx.commit().unwrap();
        // The search works: the rows are on disk (in the WAL) before the delete.
        assert!(!files_holding(&path, &small).is_empty());
        assert!(!files_holding(&path, &large).is_empty());

        let mut tx = store.transaction().unwrap();
        assert!(tx.delete(Table::OneTimePreKeys, b"small").unwrap());
        assert!(tx.delete(Table::OneTimePreKeys, b"large").unwrap());
        tx.commit().unwrap();
        assert_eq!(files_holding(&path, &small), Vec::<String>::new());
        assert_eq!(files_holding(&path, &large), Vec::<String>::new());
        // And the rows that stay are intact.
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.count(Table::OneTimePreKeys).unwrap(), 30);
        drop(tx);
        store.integrity_check().unwrap();
    }

    #[test]
    fn acknowledged_inbox_rows_wait_for_the_next_scrub() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let mut store = open(&path).unwrap();
        let message = distinctive(400, 4);
        let prekey = distinctive(400, 5);
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Inbox, b"1", &message).unwrap();
        tx.put(Table::OneTimePreKeys, b"k", &prekey).unwrap();
        tx.commit().unwrap();

        // Deleting an inbox row alone runs no checkpoint: its old frames stay in the WAL.
        let mut tx = store.transaction().unwrap();
        assert!(tx.delete(Table::Inbox, b"1").unwrap());
        tx.commit().unwrap();
        assert_eq!(files_holding(&path, &message), vec!["file-wal".to_string()]);

        // The next delete of key material scrubs both.
        let mut tx = store.transaction().unwrap();
        assert!(tx.delete(Table::OneTimePreKeys, b"k").unwrap());
        tx.commit().unwrap();
        assert_eq!(files_holding(&path, &message), Vec::<String>::new());
        assert_eq!(files_holding(&path, &prekey), Vec::<String>::new());
    }

    #[test]
    fn a_scrub_blocked_by_a_reader_completes_after_a_later_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let mut store = open(&path).unwrap();
        let secret = distinctive(400, 3);
        let mut tx = store.transaction().unwrap();
        tx.put(Table::OneTimePreKeys, b"k", &secret).unwrap();
        tx.commit().unwrap();

        // Another connection holds a read snapshot that still contains the row.
        let reader = rusqlite::Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let seen: Vec<u8> = reader
            .query_row("SELECT value FROM one_time_prekeys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(seen, secret);

        let mut tx = store.transaction().unwrap();
        assert!(tx.delete(Table::OneTimePreKeys, b"k").unwrap());
        let start = Instant::now();
        tx.commit().unwrap();
        // The checkpoint does not wait for the reader (the busy timeout is 5 s).
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(!files_holding(&path, &secret).is_empty());

        reader.execute_batch("COMMIT").unwrap();
        drop(reader);
        // Any later commit, even one that deletes nothing, finishes the scrub.
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Meta, b"unrelated", b"1").unwrap();
        tx.commit().unwrap();
        assert_eq!(files_holding(&path, &secret), Vec::<String>::new());
    }

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema1.sqlite");

    /// The rows `tests/fixtures/schema1.sqlite` holds, by table, in key order.
    fn schema1_rows() -> Vec<Row> {
        let mut rows = vec![
            (
                Table::Meta,
                b"store-id".to_vec(),
                b"fixture store id".to_vec(),
            ),
            (Table::Meta, b"version".to_vec(), vec![1]),
            (
                Table::SignedPreKeys,
                1u32.to_be_bytes().to_vec(),
                vec![0x51; 120],
            ),
            (
                Table::SignedPreKeys,
                2u32.to_be_bytes().to_vec(),
                vec![0x52; 120],
            ),
            (
                Table::Sessions,
                b"alice\x00device-1".to_vec(),
                vec![0xA1; 700],
            ),
            // Larger than a page: an overflow chain.
            (
                Table::Sessions,
                b"bob\x00device-1".to_vec(),
                distinctive(9000, 9),
            ),
            (Table::Identities, b"alice".to_vec(), vec![0x1D; 64]),
            (Table::Inbox, b"\x00".to_vec(), Vec::new()),
            (Table::Inbox, b"\xff\xff".to_vec(), b"last".to_vec()),
        ];
        for id in 0u32..50 {
            rows.push((
                Table::OneTimePreKeys,
                id.to_be_bytes().to_vec(),
                vec![id as u8; 61],
            ));
        }
        rows.sort();
        rows
    }

    /// Rewrites `tests/fixtures/schema1.sqlite` with plain SQL and schema step 1 only, so it
    /// stays a schema-1 file whatever the current schema is. Run:
    /// `cargo test --test store_backends -- --ignored write_schema1_fixture`.
    #[test]
    #[ignore = "rewrites a committed fixture"]
    fn write_schema1_fixture() {
        let _ = std::fs::remove_file(FIXTURE);
        let conn = rusqlite::Connection::open(FIXTURE).unwrap();
        conn.execute_batch(include_str!("../src/store/migrations/0001_initial.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        for (table, key, value) in schema1_rows() {
            conn.execute(
                &format!("INSERT INTO {} (key, value) VALUES (?1, ?2)", table.name()),
                [key, value],
            )
            .unwrap();
        }
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        conn.close().unwrap();
        assert!(!with_suffix(Path::new(FIXTURE), "-wal").exists());
    }

    /// Every later crosswire must open the schema-1 fixture and read its rows (SPEC.md 14.4).
    #[test]
    fn schema1_fixture_opens_after_every_migration() {
        let original = std::fs::read(FIXTURE).unwrap();
        // user_version, at offset 60 of the header: the fixture really is schema 1.
        assert_eq!(original[60..64], 1u32.to_be_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        std::fs::write(&path, &original).unwrap();

        let mut store = open(&path).unwrap();
        let mut rows = Vec::new();
        let mut tx = store.transaction().unwrap();
        for table in Table::ALL {
            for key in tx.keys(table, b"").unwrap() {
                let value = tx.get(table, &key).unwrap().unwrap();
                rows.push((table, key, value));
            }
        }
        // Schema 2's table exists after the migration, empty.
        assert_eq!(tx.count(Table::KemPreKeys).unwrap(), 0);
        drop(tx);
        rows.sort();
        assert!(rows == schema1_rows(), "{} rows", rows.len());
        store.integrity_check().unwrap();
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SqliteStore::SCHEMA_VERSION);
    }
}

/// Random operation sequences give the same observable results on `MemoryStore` and
/// `SqliteStore`: every value returned, every error, and the final contents.
#[cfg(feature = "sqlite")]
mod equivalence {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Get(Table, Vec<u8>),
        Put(Table, Vec<u8>, Vec<u8>),
        Delete(Table, Vec<u8>),
        Keys(Table, Vec<u8>),
        Count(Table),
    }

    /// A transaction's operations, then commit (`true`) or drop.
    type Tx = (Vec<Op>, bool);

    #[derive(Debug, PartialEq)]
    enum Seen {
        Value(Option<Vec<u8>>),
        Deleted(bool),
        Keys(Vec<Vec<u8>>),
        Count(u64),
        Done,
    }

    fn table() -> impl Strategy<Value = Table> {
        prop::sample::select(Table::ALL.to_vec())
    }

    /// Few, short keys over a tiny alphabet, so operations collide and prefixes overlap.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![0x00u8, 0x01, 0x7F, 0xFF]), 0..4)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (table(), key()).prop_map(|(t, k)| Op::Get(t, k)),
            (table(), key(), prop::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(t, k, v)| Op::Put(t, k, v)),
            (table(), key()).prop_map(|(t, k)| Op::Delete(t, k)),
            (table(), key()).prop_map(|(t, k)| Op::Keys(t, k)),
            table().prop_map(Op::Count),
        ]
    }

    fn run<S: Store>(store: &mut S, txs: &[Tx]) -> Vec<Seen> {
        let mut seen = Vec::new();
        for (ops, commit) in txs {
            let mut tx = store.transaction().unwrap();
            for op in ops {
                seen.push(match op {
                    Op::Get(t, k) => Seen::Value(tx.get(*t, k).unwrap()),
                    Op::Put(t, k, v) => {
                        tx.put(*t, k, v).unwrap();
                        Seen::Done
                    }
                    Op::Delete(t, k) => Seen::Deleted(tx.delete(*t, k).unwrap()),
                    Op::Keys(t, p) => Seen::Keys(tx.keys(*t, p).unwrap()),
                    Op::Count(t) => Seen::Count(tx.count(*t).unwrap()),
                });
            }
            if *commit {
                tx.commit().unwrap();
            }
        }
        // The final contents, read back through a fresh transaction.
        let mut tx = store.transaction().unwrap();
        for table in Table::ALL {
            for key in tx.keys(table, b"").unwrap() {
                seen.push(Seen::Value(tx.get(table, &key).unwrap()));
            }
        }
        seen
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn memory_and_sqlite_agree(
            txs in prop::collection::vec((prop::collection::vec(op(), 0..12), any::<bool>()), 1..8)
        ) {
            let on_memory = run(&mut memory().store, &txs);
            let on_sqlite = run(&mut sqlite().store, &txs);
            prop_assert_eq!(on_memory, on_sqlite);
        }
    }
}
