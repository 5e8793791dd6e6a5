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
mod devices;
mod error;
mod healing;
mod kem_prekeys;
mod memo;
mod prekeys;
mod receive;
mod records;
pub(crate) mod safety;
mod seen;
mod send;
mod trust;

pub use address::{DeviceAddress, MAX_USER_ID_LEN};
pub use devices::MAX_DEVICES_PER_USER;
pub use error::AccountError;
pub use healing::DeviceChanges;
pub use kem_prekeys::PublishedKemPreKey;
pub use records::MAX_PREVIOUS_SESSIONS;
pub use safety::{SAFETY_NUMBER_DIGITS, SCANNABLE_LEN, SafetyNumber};
pub use send::Outgoing;

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::bundle::PreKeyBundle;
use crate::error::Error;
use crate::keys::{
    IdentityKey, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PublicKey, SignedPreKey,
    SignedPreKeyId,
};
use crate::session::{PostQuantum, Session};
use crate::store::seal::{KEY_CHECK_LEN, STORE_ID_LEN, Sealer, key_check};
use crate::store::{StorageKey, Store, StoreError, Table, Transaction};

use devices::DeviceList;
use prekeys::{
    META_PREKEYS, PreKeyState, SignedRow, decode_one_time, decode_signed, id_key, key_id,
};
use records::{Record, load_session};
use trust::TrustRecord;

const META_STORE_ID: &[u8] = b"store_id";
const META_KEY_CHECK: &[u8] = b"key_check";
const META_IDENTITY: &[u8] = b"identity";
const META_INBOX_NEXT: &[u8] = b"inbox_next";
const IDENTITY_VERSION: u8 = 1;
const INBOX_VERSION: u8 = 1;

/// The session context (extra associated data) of sessions an account creates: empty, so that
/// an account talks to any crosswire peer, including one driving [`Session`] directly.
const SESSION_CONTEXT: &[u8] = b"";

const DAY: u64 = 24 * 60 * 60;

/// Where an account reads the time: seconds since the Unix epoch. Injected so that tests (and
/// applications with a trusted time source) control it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock (0 if it reads before 1970).
    pub fn system() -> Self {
        Clock(Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        }))
    }

    /// A clock that calls `now`.
    pub fn from_fn(now: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time, in seconds.
    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// The tunables of an account. Start from [`Options::default`] and change fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// How many one-time prekeys to hold after replenishing. Default 100.
    pub one_time_prekeys: u32,
    /// [`Account::maintain`] replenishes when fewer than this many are left. Default 25.
    pub replenish_below: u32,
    /// Age (seconds) at which [`Account::maintain`] replaces the signed prekey. Default 7 days.
    pub signed_prekey_rotation: u64,
    /// How long (seconds) a replaced signed prekey still accepts first messages. Default 30
    /// days.
    pub signed_prekey_grace: u64,
    /// Age (seconds) after which a session we started that never got a reply is no longer used
    /// to send: the next message needs a fresh bundle. Default 30 days.
    pub unacknowledged_session_lifetime: u64,
    /// How many one-time KEM prekeys (PQXDH) to hold after replenishing. Default 100.
    pub one_time_kem_prekeys: u32,
    /// [`Account::maintain`] replenishes one-time KEM prekeys when fewer than this many are
    /// left. Default 25.
    pub replenish_kem_below: u32,
    /// Whether sessions may be set up classically (X3DH, no KEM prekey): with a bundle that
    /// carries no KEM prekey, and from a first message that names none. Default
    /// [`PostQuantum::Required`]: both are refused. Set [`PostQuantum::Allowed`] to talk to
    /// peers that publish classical bundles. Sessions with bundles that carry a KEM prekey use
    /// PQXDH either way.
    pub post_quantum: PostQuantum,
    /// The time source. Default [`Clock::system`].
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            one_time_prekeys: 100,
            replenish_below: 25,
            signed_prekey_rotation: 7 * DAY,
            signed_prekey_grace: 30 * DAY,
            unacknowledged_session_lifetime: 30 * DAY,
            one_time_kem_prekeys: 100,
            replenish_kem_below: 25,
            post_quantum: PostQuantum::Required,
            clock: Clock::system(),
        }
    }
}

/// What to publish to the provider's prekey directory.
///
/// The directory keeps the newest [`bundle`](Self::bundle) (it replaces the previous one) and
/// appends [`one_time_prekeys`](Self::one_time_prekeys) and
/// [`one_time_kem_prekeys`](Self::one_time_kem_prekeys) to two queues. To serve a fetch it
/// pops one key of each queue and puts them into the bundle ([`bundle_with_one_time_prekey`],
/// [`bundle_with_kem_prekey`]); an empty queue leaves that part of the bundle as it is, which
/// still works (no DH4; the last-resort KEM prekey).
#[derive(Debug, Clone)]
pub struct Upload {
    /// Identity key, current signed prekey and current last-resort KEM prekey (a version 2
    /// bundle), without a one-time prekey. Version 1 (classical) only for an account created
    /// before KEM prekeys existed that [`Account::maintain`] has not run on yet.
    pub bundle: PreKeyBundle,
    /// One-time prekeys to add to the directory's queue.
    pub one_time_prekeys: Vec<(OneTimePreKeyId, PublicKey)>,
    /// One-time KEM prekeys to add to the directory's second queue.
    pub one_time_kem_prekeys: Vec<PublishedKemPreKey>,
}

/// `base` with `kem_prekey` in place of its KEM prekey: what a directory serves from an
/// [`Upload`] while it has one-time KEM prekeys queued. The signature is checked again.
pub fn bundle_with_kem_prekey(
    base: &PreKeyBundle,
    kem_prekey: &PublishedKemPreKey,
) -> Result<PreKeyBundle, AccountError> {
    let bytes = base.to_bytes();
    let mut proto = crate::proto::PreKeyBundle::decode(&bytes[..])
        .map_err(|_| Error::Bundle(crate::error::BundleError::Malformed))?;
    proto.version = crate::bundle::BUNDLE_VERSION_PQ;
    proto.kem_prekey = Some(crate::proto::pre_key_bundle::KemPreKey {
        id: kem_prekey.id.0,
        kind: crate::KemPreKeyKind::OneTime.to_byte().into(),
        public_key: kem_prekey.public_key.as_bytes().to_vec(),
        signature: kem_prekey.signature.to_vec(),
    });
    Ok(PreKeyBundle::from_bytes(&proto.encode_to_vec()).map_err(Error::Bundle)?)
}

/// `base` with `one_time_prekey` added: what a directory serves from an [`Upload`].
pub fn bundle_with_one_time_prekey(
    base: &PreKeyBundle,
    id: OneTimePreKeyId,
    one_time_prekey: &PublicKey,
) -> Result<PreKeyBundle, AccountError> {
    let bytes = base.to_bytes();
    let mut proto = crate::proto::PreKeyBundle::decode(&bytes[..])
        .map_err(|_| Error::Bundle(crate::error::BundleError::Malformed))?;
    proto.one_time_prekey = Some(crate::proto::pre_key_bundle::OneTimePreKey {
        id: id.0,
        public_key: one_time_prekey.as_bytes().to_vec(),
    });
    Ok(PreKeyBundle::from_bytes(&proto.encode_to_vec()).map_err(Error::Bundle)?)
}

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
            put_sealed(
                &mut tx,
                &sealer,
                rng,
                Table::Meta,
                META_PREKEYS,
                &state.encode(),
            )?;
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

    // ------------------------------------------------------------------------- prekeys ----

    /// Runs the prekey lifecycle at the clock's current time, in one transaction:
    ///
    /// - the signed prekey is replaced when it is [`Options::signed_prekey_rotation`] old; the
    ///   replaced one keeps accepting first messages for [`Options::signed_prekey_grace`] and
    ///   is then deleted;
    /// - when fewer than [`Options::replenish_below`] one-time prekeys are left (not consumed,
    ///   and not handed out by [`bundle`](Self::bundle)), new ones are generated up to
    ///   [`Options::one_time_prekeys`];
    /// - the last-resort KEM prekey is replaced and deleted on the signed prekey's schedule,
    ///   and one-time KEM prekeys are replenished likewise ([`Options::replenish_kem_below`],
    ///   [`Options::one_time_kem_prekeys`]). An account created before KEM prekeys existed
    ///   gets its first ones here.
    ///
    /// Returns what to publish, or `None` if nothing new needs publishing. Call it at start-up
    /// and then regularly (daily, or after receiving first messages).
    pub fn maintain<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<Option<Upload>, AccountError> {
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            identity,
            options,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let mut state = load_prekey_state(&mut tx, sealer)?;
        let current =
            load_signed(&mut tx, sealer, state.current_signed)?.ok_or(StoreError::Corrupt)?;
        let mut changed = false;
        let mut spk = current.key.clone();
        if now.saturating_sub(current.created_at) >= options.signed_prekey_rotation {
            let id = state.next_signed;
            state.next_signed = id.checked_add(1).ok_or(AccountError::PreKeyIdsExhausted)?;
            spk = SignedPreKey::generate(rng, identity, SignedPreKeyId(id));
            let retired = SignedRow {
                retired_at: Some(now),
                ..current
            };
            put_sealed(
                &mut tx,
                sealer,
                rng,
                Table::SignedPreKeys,
                &id_key(state.current_signed),
                &retired.encode(),
            )?;
            let row = SignedRow {
                created_at: now,
                retired_at: None,
                key: spk.clone(),
            };
            put_sealed(
                &mut tx,
                sealer,
                rng,
                Table::SignedPreKeys,
                &id_key(id),
                &row.encode(),
            )?;
            state.current_signed = id;
            changed = true;
        }
        for key in tx.keys(Table::SignedPreKeys, b"")? {
            let id = key_id(&key)?;
            if id == state.current_signed {
                continue;
            }
            let row = load_signed(&mut tx, sealer, id)?.ok_or(StoreError::Corrupt)?;
            if let Some(retired_at) = row.retired_at
                && now >= retired_at.saturating_add(options.signed_prekey_grace)
            {
                tx.delete(Table::SignedPreKeys, &key)?;
            }
        }
        let remaining = available_one_time_prekeys(&mut tx, &state)?.len() as u64;
        let mut new = Vec::new();
        if remaining < u64::from(options.replenish_below) {
            let wanted = u64::from(options.one_time_prekeys).saturating_sub(remaining);
            let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
            new = add_one_time_prekeys(&mut tx, sealer, rng, &mut state, wanted)?;
        }
        if changed || !new.is_empty() {
            put_sealed(
                &mut tx,
                sealer,
                rng,
                Table::Meta,
                META_PREKEYS,
                &state.encode(),
            )?;
        }
        let kem = kem_prekeys::maintain(&mut tx, sealer, rng, identity, options, now)?;
        let upload = if changed || !new.is_empty() || kem.changed {
            Some(Upload {
                bundle: PreKeyBundle::new_pq(identity, &spk, None, &kem.last_resort)
                    .map_err(Error::Bundle)?,
                one_time_prekeys: new,
                one_time_kem_prekeys: kem.one_time,
            })
        } else {
            None
        };
        tx.commit()?;
        Ok(upload)
    }

    /// A bundle to publish or hand to one sender: the current signed prekey, the next
    /// one-time prekey that no earlier call handed out, or none when all are handed out (the
    /// bundle then still works, as X3DH without DH4), and likewise the next one-time KEM
    /// prekey, or the last-resort one when all are handed out; what it hands out is marked so
    /// in the same transaction. Use either this or a directory fed from [`Upload`]s, not both.
    pub fn bundle<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<PreKeyBundle, AccountError> {
        let Account {
            store,
            sealer,
            identity,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let mut state = load_prekey_state(&mut tx, sealer)?;
        let spk = load_signed(&mut tx, sealer, state.current_signed)?
            .ok_or(StoreError::Corrupt)?
            .key;
        let opk = match available_one_time_prekeys(&mut tx, &state)?.first() {
            Some(&id) => {
                let key = load_one_time(&mut tx, sealer, id)?.ok_or(StoreError::Corrupt)?;
                state.handout_cursor = id.saturating_add(1);
                put_sealed(
                    &mut tx,
                    sealer,
                    rng,
                    Table::Meta,
                    META_PREKEYS,
                    &state.encode(),
                )?;
                Some(key)
            }
            None => None,
        };
        let bundle = match kem_prekeys::hand_out(&mut tx, sealer, rng)? {
            Some(kem) => PreKeyBundle::new_pq(identity, &spk, opk.as_ref(), &kem),
            None => PreKeyBundle::new(identity, &spk, opk.as_ref()),
        }
        .map_err(Error::Bundle)?;
        tx.commit()?;
        Ok(bundle)
    }

    /// Everything publishable now: the current bundle and every one-time prekey and one-time
    /// KEM prekey neither consumed nor handed out by [`bundle`](Self::bundle). For a first publication or a
    /// directory that lost its copy; otherwise publish what [`create`](Self::create) and
    /// [`maintain`](Self::maintain) return, or keys the directory handed out already would be
    /// queued twice.
    pub fn upload(&mut self) -> Result<Upload, AccountError> {
        let Account {
            store,
            sealer,
            identity,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let state = load_prekey_state(&mut tx, sealer)?;
        let spk = load_signed(&mut tx, sealer, state.current_signed)?
            .ok_or(StoreError::Corrupt)?
            .key;
        let mut one_time_prekeys = Vec::new();
        for id in available_one_time_prekeys(&mut tx, &state)? {
            let key = load_one_time(&mut tx, sealer, id)?.ok_or(StoreError::Corrupt)?;
            one_time_prekeys.push((key.id(), *key.public()));
        }
        let (bundle, one_time_kem_prekeys) = match kem_prekeys::publishable(&mut tx, sealer)? {
            Some((last_resort, kem)) => (
                PreKeyBundle::new_pq(identity, &spk, None, &last_resort),
                kem,
            ),
            None => (PreKeyBundle::new(identity, &spk, None), Vec::new()),
        };
        Ok(Upload {
            bundle: bundle.map_err(Error::Bundle)?,
            one_time_prekeys,
            one_time_kem_prekeys,
        })
    }

    /// How many one-time prekeys are held (not yet consumed by a first message).
    pub fn one_time_prekey_count(&mut self) -> Result<u64, AccountError> {
        let mut tx = self.store.transaction()?;
        Ok(tx.count(Table::OneTimePreKeys)?)
    }

    /// How many one-time KEM prekeys are held (not yet consumed by a first message).
    pub fn one_time_kem_prekey_count(&mut self) -> Result<u64, AccountError> {
        let mut tx = self.store.transaction()?;
        Ok(kem_prekeys::one_time_count(&mut tx)?)
    }

    // --------------------------------------------------------------------------- trust ----

    /// The identity key trusted for `address`: the first one seen, or the last one accepted
    /// with [`trust_identity`](Self::trust_identity).
    pub fn trusted_identity(
        &mut self,
        address: &DeviceAddress,
    ) -> Result<Option<IdentityKey>, AccountError> {
        let Account { store, sealer, .. } = self;
        let mut tx = store.transaction()?;
        Ok(load_trust(&mut tx, sealer, &address.row_key())?
            .map(|t| t.key())
            .transpose()?)
    }

    /// Trusts `key` for `address` from now on (after [`AccountError::IdentityChanged`], once
    /// the user or the application's policy accepted the new key). Sessions with `address`
    /// under any other key are deleted in the same transaction, so nothing is sent to or
    /// accepted from the old key afterwards.
    pub fn trust_identity<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        address: &DeviceAddress,
        key: &IdentityKey,
    ) -> Result<(), AccountError> {
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            cache,
            ..
        } = self;
        let row_key = address.row_key();
        cache.forget(&row_key);
        let mut tx = store.transaction()?;
        let t = TrustRecord::new(key, now);
        put_sealed(
            &mut tx,
            sealer,
            rng,
            Table::Identities,
            &row_key,
            &t.encode(),
        )?;
        if let Some(mut record) = load_record(&mut tx, sealer, &row_key)? {
            let mut kept = Vec::with_capacity(record.entries.len());
            for entry in record.entries {
                if *load_session(&entry.state)?.remote_identity() == *key {
                    kept.push(entry);
                }
            }
            record.entries = kept;
            if record.entries.is_empty() {
                tx.delete(Table::Sessions, &row_key)?;
            } else {
                put_sealed(
                    &mut tx,
                    sealer,
                    rng,
                    Table::Sessions,
                    &row_key,
                    &record.encode(),
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The safety number between this device (as `local_user`) and `remote`'s trusted
    /// identity key, or `None` if no key is known for `remote` yet.
    pub fn safety_number(
        &mut self,
        local_user: &str,
        remote: &DeviceAddress,
    ) -> Result<Option<SafetyNumber>, AccountError> {
        let local = *self.identity.public();
        match self.trusted_identity(remote)? {
            Some(key) => Ok(Some(SafetyNumber::new(
                local_user,
                &local,
                remote.user(),
                &key,
            )?)),
            None => Ok(None),
        }
    }

    /// The devices of `user` this account has a session record with, in device order.
    pub fn devices(&mut self, user: &str) -> Result<Vec<DeviceAddress>, AccountError> {
        address::check_user(user)?;
        let mut tx = self.store.transaction()?;
        tx.keys(Table::Sessions, &address::user_prefix(user))?
            .iter()
            .map(|k| DeviceAddress::from_row_key(k).ok_or(StoreError::Corrupt.into()))
            .collect()
    }
}

// ---------------------------------------------------------------------------- rows ----

fn get_sealed(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    table: Table,
    key: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    match tx.get(table, key)? {
        Some(row) => Ok(Some(sealer.open(table, key, &row)?)),
        None => Ok(None),
    }
}

fn put_sealed<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    table: Table,
    key: &[u8],
    value: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let row = sealer.seal(rng, table, key, value)?;
    tx.put(table, key, &row)?;
    Ok(row)
}

/// How many parsed sessions an account keeps between operations.
const SESSION_CACHE_LEN: usize = 64;

/// Current sessions parsed by earlier operations of this handle, each with the exact sealed
/// row it was written as. An entry is used only if the row read in the new transaction is
/// byte-for-byte that row: any write by another handle seals with a fresh nonce, so it never
/// matches, and the store stays the only source of truth. It saves parsing the session
/// (which validates every key in it) on every message.
///
/// It also remembers parsed trust records and device lists by their sealed bytes
/// ([`memo`]), which a send reads for every device.
struct SessionCache {
    entries: HashMap<Vec<u8>, Cached>,
    trust: memo::Memo<TrustRecord>,
    devices: memo::Memo<DeviceList>,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache {
            entries: HashMap::new(),
            trust: memo::Memo::new(Table::Identities),
            devices: memo::Memo::new(Table::Meta),
        }
    }
}

struct Cached {
    row: Vec<u8>,
    record: Record,
    /// Boxed: a `Session` is over a kilobyte, and a send moves it in and out of the cache.
    current: Box<Session>,
}

impl SessionCache {
    /// The cached record and current session of `key` if `row` is what was cached; the entry
    /// is removed either way (the caller puts it back after its commit).
    fn take(&mut self, key: &[u8], row: &[u8]) -> Option<(Record, Box<Session>)> {
        let cached = self.entries.remove(key)?;
        (cached.row == row).then_some((cached.record, cached.current))
    }

    fn put(&mut self, key: Vec<u8>, row: Vec<u8>, record: Record, current: Box<Session>) {
        if self.entries.len() >= SESSION_CACHE_LEN
            && !self.entries.contains_key(&key)
            && let Some(evict) = self.entries.keys().next().cloned()
        {
            self.entries.remove(&evict);
        }
        self.entries.insert(
            key,
            Cached {
                row,
                record,
                current,
            },
        );
    }

    fn forget(&mut self, key: &[u8]) {
        self.entries.remove(key);
    }

    /// [`load_trust`], parsing only a row not seen before.
    fn trust(
        &mut self,
        tx: &mut impl Transaction,
        sealer: &Sealer,
        key: &[u8],
    ) -> Result<Option<TrustRecord>, StoreError> {
        Ok(self
            .trust
            .get(tx, sealer, key, TrustRecord::decode)?
            .copied())
    }

    /// [`load_devices`], parsing only a row not seen before.
    fn devices(
        &mut self,
        tx: &mut impl Transaction,
        sealer: &Sealer,
        user: &str,
    ) -> Result<Option<&DeviceList>, StoreError> {
        self.devices
            .get(tx, sealer, &devices::meta_key(user), DeviceList::decode)
    }
}

/// The session record of `key` and, if this handle's cache holds exactly the stored row, its
/// parsed current session.
fn load_record_cached(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    cache: &mut SessionCache,
    key: &[u8],
) -> Result<Option<(Record, Option<Box<Session>>)>, StoreError> {
    let Some(row) = tx.get(Table::Sessions, key)? else {
        cache.forget(key);
        return Ok(None);
    };
    if let Some((record, session)) = cache.take(key, &row) {
        return Ok(Some((record, Some(session))));
    }
    let plaintext = sealer.open(Table::Sessions, key, &row)?;
    Ok(Some((Record::decode(&plaintext)?, None)))
}

fn load_record(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    key: &[u8],
) -> Result<Option<Record>, StoreError> {
    get_sealed(tx, sealer, Table::Sessions, key)?
        .map(|row| Record::decode(&row))
        .transpose()
}

/// The device list of `user`, if one was set.
fn load_devices(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    user: &str,
) -> Result<Option<DeviceList>, StoreError> {
    get_sealed(tx, sealer, Table::Meta, &devices::meta_key(user))?
        .map(|row| DeviceList::decode(&row))
        .transpose()
}

fn load_trust(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    key: &[u8],
) -> Result<Option<TrustRecord>, StoreError> {
    get_sealed(tx, sealer, Table::Identities, key)?
        .map(|row| TrustRecord::decode(&row))
        .transpose()
}

fn load_prekey_state(
    tx: &mut impl Transaction,
    sealer: &Sealer,
) -> Result<PreKeyState, StoreError> {
    let row = get_sealed(tx, sealer, Table::Meta, META_PREKEYS)?.ok_or(StoreError::Corrupt)?;
    PreKeyState::decode(&row)
}

fn load_signed(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    id: u32,
) -> Result<Option<SignedRow>, StoreError> {
    get_sealed(tx, sealer, Table::SignedPreKeys, &id_key(id))?
        .map(|row| decode_signed(&row, id))
        .transpose()
}

fn load_one_time(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    id: u32,
) -> Result<Option<OneTimePreKey>, StoreError> {
    get_sealed(tx, sealer, Table::OneTimePreKeys, &id_key(id))?
        .map(|row| decode_one_time(&row, id))
        .transpose()
}

/// Ids of the one-time prekeys held and not handed out by `bundle`, ascending.
fn available_one_time_prekeys(
    tx: &mut impl Transaction,
    state: &PreKeyState,
) -> Result<Vec<u32>, StoreError> {
    let mut ids = Vec::new();
    for key in tx.keys(Table::OneTimePreKeys, b"")? {
        let id = key_id(&key)?;
        if id >= state.handout_cursor {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Generates `n` one-time prekeys with the next ids and writes them.
fn add_one_time_prekeys<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    state: &mut PreKeyState,
    n: u32,
) -> Result<Vec<(OneTimePreKeyId, PublicKey)>, AccountError> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let id = state.next_one_time;
        state.next_one_time = id.checked_add(1).ok_or(AccountError::PreKeyIdsExhausted)?;
        let key = OneTimePreKey::generate(rng, OneTimePreKeyId(id));
        put_sealed(
            tx,
            sealer,
            rng,
            Table::OneTimePreKeys,
            &id_key(id),
            &key.to_bytes()[..],
        )?;
        out.push((key.id(), *key.public()));
    }
    Ok(out)
}
