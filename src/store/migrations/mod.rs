//! The SQLite schema as a list of forward migrations (SPEC.md 14.4).
//!
//! Step `i` (counting from 1) takes a database from `PRAGMA user_version = i - 1` to `i`. The
//! current schema version is the length of [`MIGRATIONS`], never a separate constant that could
//! drift from it. Steps are only ever appended: a released step is never edited, because
//! databases already carry its result (`tests/fixtures/schema1.sqlite` is opened by a test to
//! hold later versions to that).

use rusqlite::{Connection, TransactionBehavior};

use super::{StoreError, Table};

/// The SQL of every step, in order.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("0001_initial.sql"),
    include_str!("0002_kem_prekeys.sql"),
];

/// The schema version whose step creates `table`, so that an older file is checked only for
/// the tables it should have before it is migrated.
pub(crate) fn introduced_in(table: Table) -> u32 {
    match table {
        Table::KemPreKeys => 2,
        _ => 1,
    }
}

/// The schema version this build writes: the number of steps.
pub(crate) const CURRENT: u32 = MIGRATIONS.len() as u32;

/// The database's schema version.
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Runs every step above the database's version, each in its own `BEGIN IMMEDIATE`
/// transaction that also sets `user_version`, so a failure or a kill leaves the database at
/// the last step that completed and the next open resumes from there. The version is re-read
/// inside each transaction: another process that migrated first is not migrated again.
pub(crate) fn run(conn: &mut Connection, steps: &[&str]) -> Result<(), StoreError> {
    for (index, sql) in steps.iter().enumerate() {
        let target = u32::try_from(index + 1).map_err(|_| StoreError::Corrupt)?;
        // Checked first without a lock, so opening an up-to-date store never waits for a
        // writer.
        if version(conn).map_err(super::sqlite::map_err)? >= target {
            continue;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(super::sqlite::map_err)?;
        let found = version(&tx).map_err(super::sqlite::map_err)?;
        if found >= target {
            continue;
        }
        if found != target - 1 {
            return Err(StoreError::Corrupt);
        }
        tx.execute_batch(sql).map_err(super::sqlite::map_err)?;
        tx.pragma_update(None, "user_version", target)
            .map_err(super::sqlite::map_err)?;
        tx.commit().map_err(super::sqlite::map_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_exists(conn: &Connection, name: &str) -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [name],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn steps_run_once_each_with_their_own_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = ["CREATE TABLE a (x)", "CREATE TABLE b (x)"];
        run(&mut conn, &steps[..1]).unwrap();
        assert_eq!(version(&conn).unwrap(), 1);
        assert!(table_exists(&conn, "a") && !table_exists(&conn, "b"));
        // Resuming from version 1 runs only step 2; step 1 would fail if run again.
        run(&mut conn, &steps).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
        assert!(table_exists(&conn, "b"));
        run(&mut conn, &steps).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
    }

    #[test]
    fn every_table_appears_in_the_step_it_is_said_to() {
        for table in Table::ALL {
            let since = introduced_in(table) as usize;
            let mut conn = Connection::open_in_memory().unwrap();
            run(&mut conn, &MIGRATIONS[..since - 1]).unwrap();
            assert!(
                !table_exists(&conn, table.name()),
                "{table:?} before {since}"
            );
            run(&mut conn, &MIGRATIONS[..since]).unwrap();
            assert!(table_exists(&conn, table.name()), "{table:?} at {since}");
        }
        assert_eq!(CURRENT, 2);
    }

    #[test]
    fn a_failed_step_rolls_back_alone_and_keeps_the_earlier_ones() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [
            "CREATE TABLE a (x)",
            "CREATE TABLE b (x); INSERT INTO no_such_table VALUES (1)",
        ];
        assert!(run(&mut conn, &steps).is_err());
        assert_eq!(version(&conn).unwrap(), 1);
        assert!(table_exists(&conn, "a"));
        assert!(!table_exists(&conn, "b"), "half a step was kept");
    }
}
