//! Accounts: all of one device's end-to-end encryption state behind one type, over any
//! [`Store`] (SPEC.md section 14).
//!
//! An [`Account`] owns the device's identity, its prekeys and their lifecycle, a session record
//! per remote device, a trust record per remote device and an inbox of decrypted messages. Every
//! operation runs in one store transaction: it loads what it needs, computes with the core in
//! memory, writes, and commits; any failure rolls everything back. Every row is read inside the
//! transaction (a handle's parsed sessions are reused only when the stored row is exactly the
//! one it wrote), so two handles on one database, in two threads or two processes, cannot fork
//! a session.

mod address;
mod cache;
mod devices;
mod error;
mod healing;
mod kem_prekeys;
mod memo;
mod options;
mod prekeys;
mod publish;
mod receive;
mod records;
mod rows;
pub(crate) mod safety;
mod seen;
mod send;
mod trust;

pub use address::{DeviceAddress, MAX_USER_ID_LEN};
pub use devices::MAX_DEVICES_PER_USER;
pub use error::AccountError;
pub use healing::DeviceChanges;
pub use kem_prekeys::PublishedKemPreKey;
pub use options::{Clock, Options};
pub use publish::{Upload, bundle_with_kem_prekey, bundle_with_one_time_prekey};
pub use records::MAX_PREVIOUS_SESSIONS;
pub use safety::{SAFETY_NUMBER_DIGITS, SCANNABLE_LEN, SafetyNumber};
pub use send::Outgoing;

use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::bundle::PreKeyBundle;
use crate::error::Error;
use crate::keys::{IdentityKey, IdentityKeyPair, SignedPreKey, SignedPreKeyId};
use crate::store::seal::{KEY_CHECK_LEN, STORE_ID_LEN, Sealer, key_check};
use crate::store::{StorageKey, Store, StoreError, Table, Transaction};

use cache::{SessionCache, load_record_cached};
use prekeys::{PreKeyState, SignedRow, id_key};
use rows::{
    add_one_time_prekeys, get_sealed, load_devices, load_one_time, load_record, load_signed,
    load_trust, put_prekey_state, put_sealed,
};

const META_STORE_ID: &[u8] = b"store_id";
const META_KEY_CHECK: &[u8] = b"key_check";
const META_IDENTITY: &[u8] = b"identity";
const META_INBOX_NEXT: &[u8] = b"inbox_next";
const IDENTITY_VERSION: u8 = 1;
const INBOX_VERSION: u8 = 1;

/// The session context (extra associated data) of sessions an account creates: empty, so that
/// an account talks to any crosswire peer, including one driving [`Session`] directly.
const SESSION_CONTEXT: &[u8] = b"";

/// A decrypted message waiting in the inbox until the application [`ack`](Account::ack)s it.
pub struct InboxEntry {
    /// Its place in the inbox: increasing, never reused.
    pub seq: u64,
    /// The device that sent it.
    pub from: DeviceAddress,
    /// The plaintext (for content, pass it to [`Content::from_plaintext`](crate::Content::from_plaintext)).
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for InboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxEntry")
            .field("seq", &self.seq)
            .field("from", &self.from)
            .field("plaintext_len", &self.plaintext.len())
            .finish()
    }
}

/// One device's end-to-end encryption state in a [`Store`].
pub struct Account<S: Store> {
    store: S,
    sealer: Sealer,
    /// Immutable for the account's life, so safe to keep across operations.
    identity: IdentityKeyPair,
    options: Options,
    /// Parsed current sessions, used only when the row read inside the transaction is
    /// byte-for-byte the row this handle last wrote (SPEC.md 14.5).
    cache: SessionCache,
}

impl<S: Store> fmt::Debug for Account<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("identity", self.identity.public())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Account<S> {
    /// Creates a new account in an empty store: a fresh identity, a signed prekey,
    /// [`Options::one_time_prekeys`] one-time prekeys, a last-resort KEM prekey and
    /// [`Options::one_time_kem_prekeys`] one-time KEM prekeys, all committed at once. Returns the
    /// account and what to publish. [`AccountError::AlreadyExists`] if the store holds an
    /// account already.
    pub fn create<R: CryptoRng + ?Sized>(
        rng: &mut R,
        mut store: S,
        storage_key: &StorageKey,
        options: Options,
    ) -> Result<(Self, Upload), AccountError> {
        let now = options.clock.now();
        let identity = IdentityKeyPair::generate(rng);
        let mut store_id = [0u8; STORE_ID_LEN];
        rng.fill_bytes(&mut store_id);
        let sealer = Sealer::new(storage_key, &store_id);
        let upload = {
            let mut tx = store.transaction()?;
            if tx.get(Table::Meta, META_STORE_ID)?.is_some() {
                return Err(AccountError::AlreadyExists);
            }
            tx.put(Table::Meta, META_STORE_ID, &store_id)?;
            tx.put(
                Table::Meta,
                META_KEY_CHECK,
                &key_check(storage_key, &store_id),
            )?;
            let mut row = Zeroizing::new(Vec::with_capacity(33));
            row.push(IDENTITY_VERSION);
            row.extend_from_slice(&identity.to_seed()[..]);
            put_sealed(&mut tx, &sealer, rng, Table::Meta, META_IDENTITY, &row)?;

            let spk = SignedPreKey::generate(rng, &identity, SignedPreKeyId(1));
            let spk_row = SignedRow {
                created_at: now,
                retired_at: None,
                key: spk.clone(),
            };
            put_sealed(
                &mut tx,
                &sealer,
                rng,
                Table::SignedPreKeys,
                &id_key(1),
                &spk_row.encode(),
            )?;
            let mut state = PreKeyState {
                current_signed: 1,
                next_signed: 2,
                next_one_time: 1,
                handout_cursor: 1,
            };
            let one_time_prekeys =
                add_one_time_prekeys(&mut tx, &sealer, rng, &mut state, options.one_time_prekeys)?;
            put_prekey_state(&mut tx, &sealer, rng, &state)?;
            let kem = kem_prekeys::maintain(&mut tx, &sealer, rng, &identity, &options, now)?;
            let bundle = PreKeyBundle::new_pq(&identity, &spk, None, &kem.last_resort)
                .map_err(Error::Bundle)?;
            tx.commit()?;
            Upload {
                bundle,
                one_time_prekeys,
                one_time_kem_prekeys: kem.one_time,
            }
        };
        Ok((
            Account {
                store,
                sealer,
                identity,
                options,
                cache: SessionCache::default(),
            },
            upload,
        ))
    }

    /// Opens the account in `store`. Reads three rows (store id, key check, identity) and
    /// nothing else: sessions are loaded by the operation that needs them, so opening costs
    /// the same with ten sessions or ten thousand.
    ///
    /// [`AccountError::NotFound`] for a store without an account, [`StoreError::WrongKey`] for
    /// another storage key, [`StoreError::Corrupt`] for damaged rows. Nothing is written.
    pub fn open(
        mut store: S,
        storage_key: &StorageKey,
        options: Options,
    ) -> Result<Self, AccountError> {
        let (sealer, identity) = {
            let mut tx = store.transaction()?;
            let store_id = tx
                .get(Table::Meta, META_STORE_ID)?
                .ok_or(AccountError::NotFound)?;
            let store_id: [u8; STORE_ID_LEN] = store_id
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt)?;
            let check = tx
                .get(Table::Meta, META_KEY_CHECK)?
                .ok_or(StoreError::Corrupt)?;
            if check.len() != KEY_CHECK_LEN {
                return Err(StoreError::Corrupt.into());
            }
            if !bool::from(check.ct_eq(&key_check(storage_key, &store_id))) {
                return Err(StoreError::WrongKey.into());
            }
            let sealer = Sealer::new(storage_key, &store_id);
            let row = get_sealed(&mut tx, &sealer, Table::Meta, META_IDENTITY)?
                .ok_or(StoreError::Corrupt)?;
            let [IDENTITY_VERSION, seed @ ..] = &row[..] else {
                return Err(StoreError::Corrupt.into());
            };
            let seed: &[u8; 32] = seed.try_into().map_err(|_| StoreError::Corrupt)?;
            (sealer, IdentityKeyPair::from_seed(seed))
        };
        Ok(Account {
            store,
            sealer,
            identity,
            options,
            cache: SessionCache::default(),
        })
    }

    /// This device's identity key.
    pub fn identity_key(&self) -> &IdentityKey {
        self.identity.public()
    }

    /// The options the account was opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Gives the store back (for example to reopen it with other options).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The store, read-only: for a backend's own calls that need no transaction, such as
    /// [`MemoryStore::export`](crate::store::MemoryStore::export). Every change still goes
    /// through the account.
    pub fn store(&self) -> &S {
        &self.store
    }
}
