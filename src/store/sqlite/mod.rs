//! [`SqliteStore`]: one SQLite file per device (SPEC.md 14.4).

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension};

mod file;

use super::migrations;
use super::{Store, StoreError, Table, Transaction};

/// How long a connection waits for another one's lock before [`StoreError::Busy`].
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// When a commit reaches the disk (SQLite's `synchronous` pragma, in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `synchronous = NORMAL`: a commit is atomic and the database is never corrupted, but the
    /// last commits before a power loss or OS crash (not an application crash: those lose
    /// nothing) may be rolled back. The WAL is synced at each checkpoint only.
    #[default]
    Normal,
    /// `synchronous = FULL`: the WAL is synced at every commit, so a commit that returned
    /// survives a power loss too. Costs one `fsync` per commit.
    Full,
}

/// How [`SqliteStore::open`] sets up its connection.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    busy_timeout: Duration,
    synchronous: Synchronous,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            synchronous: Synchronous::Normal,
        }
    }
}

impl SqliteOptions {
    /// How long to wait for a lock held by another connection ([`DEFAULT_BUSY_TIMEOUT`]).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// When a commit reaches the disk ([`Synchronous::Normal`] by default).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }
}

/// A store in one SQLite file, in WAL mode. Open one per device; several handles (threads,
/// processes) may open the same file, and their transactions serialize on its write lock.
pub struct SqliteStore {
    conn: Connection,
    busy_timeout: Duration,
    /// A commit deleted rows but its WAL checkpoint could not run to completion (a reader was
    /// in the way): retried after the next commit.
    scrub_pending: bool,
}

impl core::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.conn.path())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The schema version this build writes (the number of migration steps).
    pub const SCHEMA_VERSION: u32 = migrations::CURRENT;

    /// Opens the store at `path`, creating it if no file is there, and migrates an older
    /// schema forward.
    ///
    /// A new store is built under a temporary name beside `path` and linked into place only
    /// once complete, so `path` never holds a half-made store. An existing file is checked
    /// before anything is written to it: an empty file or one that is not a crosswire store
    /// gives [`StoreError::Corrupt`], a newer schema [`StoreError::NewerSchema`], and a file
    /// that fails a check is left exactly as it was. (A migration step that fails keeps the
    /// steps before it, each complete: SPEC.md 14.4.)
    pub fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        match fs::metadata(path) {
            Ok(meta) if !meta.is_file() => {
                return Err(StoreError::Io("not a regular file".into()));
            }
            // SQLite would treat an empty file as a new database; here it means a store
            // that lost its contents, which must not silently become a fresh device.
            Ok(meta) if meta.len() == 0 => return Err(StoreError::Corrupt),
            Ok(meta) => file::check_file_shape(path, meta.len())?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => file::create(path)?,
            Err(e) => return Err(io_err(&e)),
        }
        let mut store = SqliteStore {
            conn: connect(path, &options)?,
            busy_timeout: options.busy_timeout,
            scrub_pending: false,
        };
        // On failure `conn` is dropped with checkpoint-on-close still off (see `connect`).
        store.check_and_migrate()?;
        store
            .conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
            .map_err(map_err)?;
        Ok(store)
    }

    /// Runs SQLite's full `PRAGMA integrity_check`: `Ok` if it reports `ok`, else
    /// [`StoreError::Corrupt`]. Reads every page, so it takes time proportional to the file.
    pub fn integrity_check(&mut self) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(map_err)?;
        let report = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(map_err)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(map_err)?;
        if report == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Corrupt)
        }
    }

    fn check_and_migrate(&mut self) -> Result<(), StoreError> {
        // Reading the header is the first access: a file that is not SQLite fails here.
        let found = migrations::version(&self.conn).map_err(map_check_err)?;
        if found > Self::SCHEMA_VERSION {
            return Err(StoreError::NewerSchema(found));
        }
        // Every store this code creates is at version 1 or more before it gets its name.
        if found == 0 {
            return Err(StoreError::Corrupt);
        }
        self.check_tables(found).map_err(map_check_err)?;
        migrations::run(&mut self.conn, migrations::MIGRATIONS)?;
        self.check_tables(Self::SCHEMA_VERSION)
            .map_err(map_check_err)?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(map_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io(format!("journal_mode is {mode}, not wal")));
        }
        Ok(())
    }

    /// Reads the first row of every table schema `version` has: a missing table, a wrong
    /// column or a damaged root page shows here, at open, rather than in the middle of a later
    /// transaction.
    fn check_tables(&self, version: u32) -> rusqlite::Result<()> {
        for table in Table::ALL {
            if migrations::introduced_in(table) > version {
                continue;
            }
            let sql = format!("SELECT key, value FROM {} LIMIT 1", table.name());
            self.conn
                .query_row(&sql, [], |row| {
                    row.get::<_, Vec<u8>>(0)?;
                    row.get::<_, Vec<u8>>(1)
                })
                .optional()?;
        }
        Ok(())
    }

    /// Copies the WAL into the database and truncates it, so pages that held deleted rows
    /// (already zeroed in the database by `secure_delete`) do not survive in old WAL frames.
    /// Never waits: if a reader holds an old snapshot the checkpoint stays pending and is
    /// retried after the next commit.
    fn scrub(&mut self) {
        let done = self
            .conn
            .busy_timeout(Duration::ZERO)
            .and_then(|()| {
                self.conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                        row.get::<_, i64>(0)
                    })
            })
            .is_ok_and(|busy| busy == 0);
        // If restoring the timeout fails the connection merely waits less; the commit before
        // this has already succeeded and must be reported as such.
        let _ = self.conn.busy_timeout(self.busy_timeout);
        self.scrub_pending = !done;
    }
}

impl Store for SqliteStore {
    type Transaction<'a> = SqliteTransaction<'a>;

    fn transaction(&mut self) -> Result<SqliteTransaction<'_>, StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(map_err)?;
        Ok(SqliteTransaction {
            store: self,
            open: true,
            deleted: false,
            failed: None,
        })
    }
}

/// A [`SqliteStore`] transaction: `BEGIN IMMEDIATE` on creation, `ROLLBACK` on drop.
pub struct SqliteTransaction<'a> {
    store: &'a mut SqliteStore,
    open: bool,
    deleted: bool,
    /// The first error of this transaction. After one, nothing more runs and commit refuses:
    /// SQLite may already have rolled back, and later statements would then run, and persist,
    /// outside any transaction.
    failed: Option<StoreError>,
}

impl SqliteTransaction<'_> {
    fn run<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        f(&self.store.conn).map_err(|e| {
            let e = map_err(e);
            self.failed = Some(e.clone());
            e
        })
    }
}

/// The statements run once per row, for each table in [`Table::ALL`] order: constant, so the
/// hot path formats no SQL (a fan-out runs a dozen of them).
macro_rules! per_table {
    ($before:literal, $after:literal) => {
        [
            concat!($before, "meta", $after),
            concat!($before, "signed_prekeys", $after),
            concat!($before, "one_time_prekeys", $after),
            concat!($before, "sessions", $after),
            concat!($before, "identities", $after),
            concat!($before, "inbox", $after),
            concat!($before, "kem_prekeys", $after),
        ]
    };
}
// Sized by Table::ALL, so that a table added there without its statements does not compile.
const GET: [&str; Table::ALL.len()] = per_table!("SELECT value FROM ", " WHERE key = ?1");
const PUT: [&str; Table::ALL.len()] =
    per_table!("INSERT OR REPLACE INTO ", " (key, value) VALUES (?1, ?2)");
const DELETE: [&str; Table::ALL.len()] = per_table!("DELETE FROM ", " WHERE key = ?1");

impl Transaction for SqliteTransaction<'_> {
    fn get(&mut self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = GET[table.index()];
        self.run(|conn| {
            conn.prepare_cached(sql)?
                .query_row([key], |row| row.get(0))
                .optional()
        })
    }

    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let sql = PUT[table.index()];
        self.run(|conn| conn.prepare_cached(sql)?.execute([key, value]).map(drop))
    }

    fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        let sql = DELETE[table.index()];
        let deleted = self.run(|conn| conn.prepare_cached(sql)?.execute([key]))? > 0;
        // Key material forces a scrub (a checkpoint costs milliseconds: two fsyncs). An
        // acknowledged inbox row holds a message the application has already saved, so it
        // waits for the next scrub or the close, like a replaced row (SPEC.md 14.4).
        self.deleted |= deleted && table != Table::Inbox;
        Ok(deleted)
    }

    fn keys(&mut self, table: Table, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        // Keys are BLOBs (the tables are STRICT), which SQLite orders by memcmp, then length:
        // the byte order of Rust's `[u8]`. So the prefix is the range [prefix, prefix_end).
        let end = prefix_end(prefix);
        let sql = match end {
            Some(_) => format!(
                "SELECT key FROM {} WHERE key >= ?1 AND key < ?2 ORDER BY key",
                table.name()
            ),
            None => format!(
                "SELECT key FROM {} WHERE key >= ?1 ORDER BY key",
                table.name()
            ),
        };
        self.run(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            match &end {
                Some(end) => stmt
                    .query_map([prefix, end.as_slice()], |row| row.get(0))?
                    .collect(),
                None => stmt.query_map([prefix], |row| row.get(0))?.collect(),
            }
        })
    }

    fn count(&mut self, table: Table) -> Result<u64, StoreError> {
        let sql = format!("SELECT count(*) FROM {}", table.name());
        let n: i64 = self.run(|conn| conn.prepare_cached(&sql)?.query_row([], |row| row.get(0)))?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt)
    }

    fn commit(mut self) -> Result<(), StoreError> {
        self.run(|conn| conn.execute_batch("COMMIT"))?;
        self.open = false;
        if self.deleted || self.store.scrub_pending {
            self.store.scrub();
        }
        Ok(())
    }
}

impl Drop for SqliteTransaction<'_> {
    fn drop(&mut self) {
        if self.open && !self.store.conn.is_autocommit() {
            // A failed rollback leaves the transaction to SQLite, which rolls it back when the
            // connection next begins one or closes; nothing of it is ever committed.
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}

/// The smallest byte string above every string that starts with `prefix`, if there is one.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Opens a connection to an existing file and sets it up. Checkpoint-on-close is off until
/// the caller has validated the file, so a connection dropped on a failed open writes nothing.
fn connect(path: &Path, options: &SqliteOptions) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(map_err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .map_err(map_err)?;
    // The schema is ours and small: no triggers or views from a tampered file may run
    // functions, and SQL cannot write the schema table directly.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
        .map_err(map_err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(map_err)?;
    conn.busy_timeout(options.busy_timeout).map_err(map_err)?;
    let synchronous = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    // They configure this connection; `synchronous` also loads the schema, so this is open's
    // first read of an existing file, and a lock or an OS failure at open is reported here.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA secure_delete = ON; PRAGMA cell_size_check = ON;"
    ))
    .map_err(map_err)?;
    Ok(conn)
}

pub(super) fn io_err(e: &io::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

/// Maps a SQLite error: a lock held too long is [`StoreError::Busy`], a file that is not a
/// database or is damaged is [`StoreError::Corrupt`], and a value of the wrong type (the
/// schema allows only BLOBs) is corrupt too; the rest is [`StoreError::Io`].
pub(in crate::store) fn map_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy,
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => StoreError::Corrupt,
            _ => StoreError::Io(e.to_string()),
        },
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            StoreError::Corrupt
        }
        _ => StoreError::Io(e.to_string()),
    }
}

/// Maps an error while checking an existing file's schema: anything but a lock or the
/// operating system refusing means the file is not the store it should be.
fn map_check_err(e: rusqlite::Error) -> StoreError {
    let os = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _) if matches!(
            f.code,
            ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::OutOfMemory
                | ErrorCode::DiskFull
                | ErrorCode::PermissionDenied
        )
    );
    match map_err(e) {
        StoreError::Busy => StoreError::Busy,
        io @ StoreError::Io(_) if os => io,
        _ => StoreError::Corrupt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_string_after_the_prefix_range() {
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\x00\xff\xff"), Some(b"\x01".to_vec()));
    }

    #[test]
    fn per_row_statements_name_their_table() {
        for (i, table) in Table::ALL.into_iter().enumerate() {
            let name = table.name();
            assert_eq!(GET[i], format!("SELECT value FROM {name} WHERE key = ?1"));
            assert_eq!(
                PUT[i],
                format!("INSERT OR REPLACE INTO {name} (key, value) VALUES (?1, ?2)")
            );
            assert_eq!(DELETE[i], format!("DELETE FROM {name} WHERE key = ?1"));
        }
    }

    #[test]
    fn after_an_error_a_transaction_refuses_to_run_or_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            SqliteStore::open(dir.path().join("s.sqlite"), SqliteOptions::default()).unwrap();
        let mut tx = store.transaction().unwrap();
        tx.put(Table::Meta, b"before", b"1").unwrap();
        // Make the next statement fail inside the transaction.
        tx.store.conn.execute_batch("DROP TABLE inbox").unwrap();
        assert!(matches!(
            tx.put(Table::Inbox, b"k", b"v"),
            Err(StoreError::Io(_))
        ));
        // A statement that would succeed is refused, and so is the commit.
        assert!(tx.get(Table::Meta, b"before").is_err());
        assert!(tx.commit().is_err());
        let mut tx = store.transaction().unwrap();
        assert_eq!(tx.get(Table::Meta, b"before").unwrap(), None);
        assert_eq!(tx.count(Table::Inbox).unwrap(), 0, "the drop was kept");
    }

    #[test]
    fn options_reach_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let pragma = |store: &SqliteStore, name: &str| -> i64 {
            store
                .conn
                .pragma_query_value(None, name, |row| row.get(0))
                .unwrap()
        };
        let path = dir.path().join("s.sqlite");
        let normal = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        assert_eq!(pragma(&normal, "synchronous"), 1);
        assert_eq!(pragma(&normal, "secure_delete"), 1);
        assert_eq!(pragma(&normal, "busy_timeout"), 5000);
        let full = SqliteStore::open(
            &path,
            SqliteOptions::default()
                .synchronous(Synchronous::Full)
                .busy_timeout(Duration::from_millis(1234)),
        )
        .unwrap();
        assert_eq!(pragma(&full, "synchronous"), 2);
        assert_eq!(pragma(&full, "busy_timeout"), 1234);
    }

    /// Debug names the file, so a log tells which store failed; it shows no row.
    #[test]
    fn debug_shows_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        let shown = format!("{store:?}");
        assert!(shown.starts_with("SqliteStore { path: "), "{shown}");
        assert!(shown.contains(path.to_str().unwrap()), "{shown}");
        assert!(shown.ends_with(", .. }"), "{shown}");
    }
}
