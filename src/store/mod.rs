//! Durable storage under the account layer (SPEC.md section 14).
//!
//! A store is a handful of [`Table`]s of opaque byte rows, changed only inside a
//! [`Transaction`] that commits all-or-nothing. It knows nothing of sessions or keys: the
//! account layer seals every secret value ([`StorageKey`], SPEC.md 14.2) before it reaches a
//! store, so a backend, including one an application writes itself, never holds a secret in the
//! clear.
//!
//! The traits are synchronous and the stores `Send`: mobile apps and foreign-language callers
//! have no async runtime to offer, and a store call is a local database call.

mod memory;
#[cfg(feature = "sqlite")]
mod migrations;
pub(crate) mod seal;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryStore;
pub use seal::{STORAGE_KEY_LEN, StorageKey};
#[cfg(feature = "sqlite")]
pub use sqlite::{
    DEFAULT_BUSY_TIMEOUT, SqliteOptions, SqliteStore, SqliteTransaction, Synchronous,
};

use core::fmt;

/// The tables every store provides. Keys and values are opaque bytes chosen by the account
/// layer; their layouts are in SPEC.md 14.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Table {
    /// Settings of the device: its identity, the store id, counters, timestamps.
    Meta,
    /// Our signed prekeys, by id.
    SignedPreKeys,
    /// Our unused one-time prekeys, by id.
    OneTimePreKeys,
    /// Session records, by remote device address.
    Sessions,
    /// Trust records (the identity key first seen), by remote address.
    Identities,
    /// Decrypted messages the application has not yet acknowledged.
    Inbox,
    /// Our ML-KEM prekeys for PQXDH (last-resort and unused one-time ones), by kind and id.
    /// Schema version 2 and later.
    KemPreKeys,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Table; 7] = [
        Table::Meta,
        Table::SignedPreKeys,
        Table::OneTimePreKeys,
        Table::Sessions,
        Table::Identities,
        Table::Inbox,
        Table::KemPreKeys,
    ];

    /// The table's place in [`ALL`](Self::ALL), for per-table arrays.
    pub(crate) fn index(self) -> usize {
        match self {
            Table::Meta => 0,
            Table::SignedPreKeys => 1,
            Table::OneTimePreKeys => 2,
            Table::Sessions => 3,
            Table::Identities => 4,
            Table::Inbox => 5,
            Table::KemPreKeys => 6,
        }
    }

    /// The table's stable name: the SQLite table name, and bound into every sealed row.
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::SignedPreKeys => "signed_prekeys",
            Table::OneTimePreKeys => "one_time_prekeys",
            Table::Sessions => "sessions",
            Table::Identities => "identities",
            Table::Inbox => "inbox",
            Table::KemPreKeys => "kem_prekeys",
        }
    }
}

/// A backend: something that can begin a write transaction.
///
/// Implementations must make [`Transaction::commit`] atomic and durable as documented by the
/// implementation, and must isolate transactions: while one is open, no other transaction on
/// the same data (another handle, another thread, another process) may interleave with it.
pub trait Store: Send {
    /// The transaction type, borrowing the store.
    type Transaction<'a>: Transaction
    where
        Self: 'a;

    /// Begins a transaction. It holds the write lock from the start (SQLite: `BEGIN
    /// IMMEDIATE`), so a read-modify-write inside it cannot race another writer.
    fn transaction(&mut self) -> Result<Self::Transaction<'_>, StoreError>;
}

/// One all-or-nothing unit of work. Dropping it without [`commit`](Self::commit) rolls back
/// every change made through it.
pub trait Transaction {
    /// The value stored under `key`, if any.
    fn get(&mut self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Inserts or replaces the value under `key`.
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError>;

    /// Deletes the row under `key`; returns whether there was one. A store must delete for
    /// real (SQLite: `secure_delete`), because deleted rows hold sealed key material whose
    /// removal is what forward secrecy rests on.
    fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError>;

    /// Every key in `table` that starts with `prefix`, in ascending byte order.
    fn keys(&mut self, table: Table, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError>;

    /// How many rows `table` holds.
    fn count(&mut self, table: Table) -> Result<u64, StoreError>;

    /// Makes every change of this transaction durable at once, or none of them.
    fn commit(self) -> Result<(), StoreError>;
}

/// Why a store operation failed. Opening a store never deletes or rewrites anything on
/// failure: each of these leaves the data as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage key does not open this store (it opens none of its rows).
    WrongKey,
    /// The data is damaged or was tampered with: not a database, truncated, a row that does
    /// not open under its own table and key, a value that does not parse.
    Corrupt,
    /// Another connection held the database lock for longer than the busy timeout. Retrying
    /// later may succeed.
    Busy,
    /// The data was written by a newer version of crosswire (schema version shown).
    NewerSchema(u32),
    /// An operating-system or backend error (disk full, permission denied, ...).
    Io(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::WrongKey => f.write_str("the storage key does not open this store"),
            StoreError::Corrupt => f.write_str("the store is corrupt or was tampered with"),
            StoreError::Busy => f.write_str("the store is locked by another connection"),
            StoreError::NewerSchema(v) => {
                write!(
                    f,
                    "the store has schema version {v}, newer than this crosswire"
                )
            }
            StoreError::Io(e) => write!(f, "store I/O error: {e}"),
        }
    }
}

impl StoreError {
    /// A stable, language-neutral name for this error (SPEC.md 14.14).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::WrongKey => "store.wrong_key",
            StoreError::Corrupt => "store.corrupt",
            StoreError::Busy => "store.busy",
            StoreError::NewerSchema(_) => "store.newer_schema",
            StoreError::Io(_) => "store.io",
        }
    }
}

impl std::error::Error for StoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_place_in_all() {
        for (i, table) in Table::ALL.into_iter().enumerate() {
            assert_eq!(table.index(), i);
        }
    }

    /// Display is what an application logs: each variant says what happened in its own words,
    /// with the schema version or the backend's message it carries.
    #[test]
    fn display_describes_each_error() {
        let cases = [
            (
                StoreError::WrongKey,
                "the storage key does not open this store",
            ),
            (
                StoreError::Corrupt,
                "the store is corrupt or was tampered with",
            ),
            (
                StoreError::Busy,
                "the store is locked by another connection",
            ),
            (
                StoreError::NewerSchema(7),
                "the store has schema version 7, newer than this crosswire",
            ),
            (
                StoreError::Io("disk full".into()),
                "store I/O error: disk full",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
