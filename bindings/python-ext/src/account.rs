//! The account layer over SQLite, as in the UniFFI binding (bindings/ffi/src/account.rs): one
//! device's whole state in one file, sealed under a storage key the application supplies, the
//! one secret that goes in; nothing secret comes out.
//!
//! Every call releases the interpreter while it runs: each is a SQLite transaction.

use std::borrow::Cow;
use std::sync::Mutex;

use crosswire::account::{self, DeviceAddress, Options};
use crosswire::store::{SqliteOptions, SqliteStore, StorageKey};
use pyo3::prelude::*;
use zeroize::Zeroizing;

use crate::content::Content;
use crate::error::{Area, CODE_INVALID_ARGUMENT, Failure, guard, guard_detached, lock, wipe};

/// A remote device: a user id and a device number.
#[pyclass(frozen, eq, hash, get_all, module = "crosswire")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// The user id (1 to 255 bytes of UTF-8).
    user: String,
    /// The device number.
    device: u32,
}

#[pymethods]
impl Address {
    #[new]
    #[pyo3(signature = (user, device))]
    fn new(user: String, device: u32) -> Self {
        Address { user, device }
    }

    fn __repr__(&self) -> String {
        format!("Address(user={:?}, device={})", self.user, self.device)
    }
}

impl Address {
    fn core(&self) -> Result<DeviceAddress, Failure> {
        Ok(DeviceAddress::new(self.user.clone(), self.device)?)
    }

    fn from_core(a: &DeviceAddress) -> Self {
        Address {
            user: a.user().to_owned(),
            device: a.device(),
        }
    }
}

/// A one-time prekey to publish: its id and public key.
#[pyclass(frozen, eq, module = "crosswire")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPreKey(crosswire_glue::PublishedPreKey);

#[pymethods]
impl PublishedPreKey {
    /// A queued one-time prekey, as a directory received it.
    #[new]
    #[pyo3(signature = (id, public_key))]
    fn new(id: u32, public_key: Vec<u8>) -> Self {
        PublishedPreKey(crosswire_glue::PublishedPreKey { id, public_key })
    }

    /// Its id.
    #[getter]
    fn id(&self) -> u32 {
        self.0.id
    }

    /// Its public key (32 bytes).
    #[getter]
    fn public_key(&self) -> &[u8] {
        &self.0.public_key
    }
}

/// A one-time KEM prekey to publish: its id, its ML-KEM-1024 public key and the identity key's
/// signature over both (SPEC.md 15.3).
#[pyclass(frozen, eq, module = "crosswire")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKemPreKey(crosswire_glue::PublishedKemPreKey);

#[pymethods]
impl PublishedKemPreKey {
    /// A queued one-time KEM prekey, as a directory received it.
    #[new]
    #[pyo3(signature = (id, public_key, signature))]
    fn new(id: u32, public_key: Vec<u8>, signature: Vec<u8>) -> Self {
        PublishedKemPreKey(crosswire_glue::PublishedKemPreKey {
            id,
            public_key,
            signature,
        })
    }

    /// Its id.
    #[getter]
    fn id(&self) -> u32 {
        self.0.id
    }

    /// Its ML-KEM-1024 encapsulation key (1568 bytes).
    #[getter]
    fn public_key(&self) -> &[u8] {
        &self.0.public_key
    }

    /// The identity key's signature over it (64 bytes).
    #[getter]
    fn signature(&self) -> &[u8] {
        &self.0.signature
    }
}

/// What to publish to the prekey directory: the bundle (replacing the previous one) and the
/// one-time prekeys and one-time KEM prekeys to append to its two queues. The directory serves
/// each fetch with `bundle_with_one_time_prekey` and `bundle_with_kem_prekey`.
#[pyclass(frozen, eq, get_all, module = "crosswire")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The encoded bundle (with the last-resort KEM prekey, without a one-time prekey).
    bundle: Vec<u8>,
    /// One-time prekeys to add.
    one_time_prekeys: Vec<PublishedPreKey>,
    /// One-time KEM prekeys to add.
    one_time_kem_prekeys: Vec<PublishedKemPreKey>,
}

impl From<account::Upload> for Upload {
    fn from(u: account::Upload) -> Self {
        let (bundle, one_time_prekeys, one_time_kem_prekeys) =
            crosswire_glue::Upload::from(u).into_parts(PublishedPreKey, PublishedKemPreKey);
        Upload {
            bundle,
            one_time_prekeys,
            one_time_kem_prekeys,
        }
    }
}

/// The directory's side: `bundle` (an `Upload`'s) with `prekey` from its queue added.
#[pyfunction]
pub fn bundle_with_one_time_prekey(
    py: Python<'_>,
    bundle: Cow<'_, [u8]>,
    prekey: &PublishedPreKey,
) -> PyResult<Vec<u8>> {
    guard(py, || {
        Ok(crosswire_glue::bundle_with_one_time_prekey(
            &bundle, &prekey.0,
        )?)
    })
}

/// The directory's side: `bundle` (an `Upload`'s) with `kem_prekey` from its queue in place of
/// the last-resort KEM prekey. The signature is checked: a wrong one is
/// `CrosswireError.Bundle` with code `bundle.bad_signature`.
#[pyfunction]
pub fn bundle_with_kem_prekey(
    py: Python<'_>,
    bundle: Cow<'_, [u8]>,
    kem_prekey: &PublishedKemPreKey,
) -> PyResult<Vec<u8>> {
    guard(py, || {
        Ok(crosswire_glue::bundle_with_kem_prekey(
            &bundle,
            &kem_prekey.0,
        )?)
    })
}

/// A decrypted message, committed to the account's inbox in the same transaction as the
/// session's new state. It stays there until `Account.ack`.
#[pyclass(frozen, eq, module = "crosswire")]
#[derive(PartialEq, Eq)]
pub struct InboxMessage {
    /// Its place in the inbox (pass it to `Account.ack`).
    #[pyo3(get)]
    seq: u64,
    /// Who sent it.
    #[pyo3(get)]
    sender: Address,
    plaintext: Zeroizing<Vec<u8>>,
}

#[pymethods]
impl InboxMessage {
    /// The plaintext. The copy this object holds is wiped when it is freed; the `bytes`
    /// returned belongs to Python.
    #[getter]
    fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }
}

impl From<account::InboxEntry> for InboxMessage {
    fn from(e: account::InboxEntry) -> Self {
        InboxMessage {
            seq: e.seq,
            sender: Address::from_core(&e.from),
            plaintext: e.plaintext,
        }
    }
}

/// A decrypted message carrying content.
#[pyclass(frozen, module = "crosswire")]
pub struct ReceivedContent {
    /// Its place in the inbox.
    #[pyo3(get)]
    seq: u64,
    /// The content.
    #[pyo3(get)]
    content: Py<Content>,
}

fn storage_key(bytes: &[u8]) -> Result<StorageKey, Failure> {
    let key: Zeroizing<[u8; crosswire::store::STORAGE_KEY_LEN]> =
        Zeroizing::new(bytes.try_into().map_err(|_| {
            Failure::new(
                Area::InvalidArgument,
                CODE_INVALID_ARGUMENT,
                "the storage key must be 32 bytes",
            )
        })?);
    Ok(StorageKey::from_bytes(*key))
}

fn store(path: &str) -> Result<SqliteStore, Failure> {
    Ok(SqliteStore::open(path, SqliteOptions::default())?)
}

fn bundle(bytes: Option<&[u8]>) -> Result<Option<crosswire::PreKeyBundle>, Failure> {
    Ok(bytes.map(crosswire::PreKeyBundle::from_bytes).transpose()?)
}

/// One device's end-to-end encryption state in one SQLite file. Every call is one transaction:
/// it commits completely or not at all, and a crash at any instant loses nothing.
#[pyclass(frozen, module = "crosswire")]
pub struct Account(Mutex<account::Account<SqliteStore>>);

#[pymethods]
impl Account {
    /// Creates a new account in a new SQLite file at `path`, sealed under `storage_key` (32
    /// bytes from the platform keystore). Publish `upload()` afterwards.
    #[staticmethod]
    fn create(py: Python<'_>, path: String, storage_key: Cow<'_, [u8]>) -> PyResult<Self> {
        let account = guard_detached(py, || {
            let key = self::storage_key(&storage_key)?;
            let (account, _upload) = account::Account::create(
                &mut rand::rng(),
                store(&path)?,
                &key,
                Options::default(),
            )?;
            Ok(Account(Mutex::new(account)))
        });
        wipe(storage_key);
        account
    }

    /// Opens the account at `path`. A wrong key is `CrosswireError.Store` (`store.wrong_key`).
    #[staticmethod]
    fn open(py: Python<'_>, path: String, storage_key: Cow<'_, [u8]>) -> PyResult<Self> {
        let account = guard_detached(py, || {
            let key = self::storage_key(&storage_key)?;
            let account = account::Account::open(store(&path)?, &key, Options::default())?;
            Ok(Account(Mutex::new(account)))
        });
        wipe(storage_key);
        account
    }

    /// This device's identity key (32 bytes).
    fn identity_key(&self, py: Python<'_>) -> PyResult<Vec<u8>> {
        guard_detached(py, || Ok(lock(&self.0)?.identity_key().as_bytes().to_vec()))
    }

    /// Everything to publish now: the bundle and every unused one-time prekey and one-time KEM
    /// prekey.
    fn upload(&self, py: Python<'_>) -> PyResult<Upload> {
        guard_detached(py, || {
            Ok(lock(&self.0)?.upload().map_err(Failure::from)?.into())
        })
    }

    /// A bundle for one sender, with the next one-time prekey and one-time KEM prekey if any is
    /// left (else without a one-time prekey, and with the last-resort KEM prekey).
    fn bundle(&self, py: Python<'_>) -> PyResult<Vec<u8>> {
        guard_detached(py, || {
            Ok(lock(&self.0)?
                .bundle(&mut rand::rng())
                .map_err(Failure::from)?
                .to_bytes())
        })
    }

    /// Runs the prekey lifecycle (rotation, replenishment); returns what to publish, if
    /// anything changed.
    fn maintain(&self, py: Python<'_>) -> PyResult<Option<Upload>> {
        guard_detached(py, || {
            Ok(lock(&self.0)?
                .maintain(&mut rand::rng())
                .map_err(Failure::from)?
                .map(Upload::from))
        })
    }

    /// Encrypts to `to`: uses the session with it, or starts one from `bundle` (fetched from
    /// the directory) if there is none.
    #[pyo3(signature = (to, bundle, plaintext))]
    fn encrypt(
        &self,
        py: Python<'_>,
        to: &Address,
        bundle: Option<Cow<'_, [u8]>>,
        plaintext: Cow<'_, [u8]>,
    ) -> PyResult<Vec<u8>> {
        let envelope = guard_detached(py, || {
            let bundle = self::bundle(bundle.as_deref())?;
            let to = to.core()?;
            Ok(lock(&self.0)?.encrypt(&mut rand::rng(), &to, bundle.as_ref(), &plaintext)?)
        });
        wipe(plaintext);
        envelope
    }

    /// `encrypt` for content.
    #[pyo3(signature = (to, bundle, content))]
    fn encrypt_content(
        &self,
        py: Python<'_>,
        to: &Address,
        bundle: Option<Cow<'_, [u8]>>,
        content: &Content,
    ) -> PyResult<Vec<u8>> {
        guard_detached(py, || {
            let bundle = self::bundle(bundle.as_deref())?;
            let to = to.core()?;
            let content = content.content()?;
            Ok(lock(&self.0)?.encrypt_content(&mut rand::rng(), &to, bundle.as_ref(), content)?)
        })
    }

    /// Decrypts an envelope from `from_` into the inbox (in the same transaction).
    #[pyo3(signature = (from_, envelope))]
    fn decrypt(
        &self,
        py: Python<'_>,
        from_: &Address,
        envelope: Cow<'_, [u8]>,
    ) -> PyResult<InboxMessage> {
        guard_detached(py, || {
            let from = from_.core()?;
            let entry = lock(&self.0)?.decrypt(&mut rand::rng(), &from, &envelope)?;
            Ok(entry.into())
        })
    }

    /// `decrypt` for an envelope carrying content.
    #[pyo3(signature = (from_, envelope))]
    fn decrypt_content(
        &self,
        py: Python<'_>,
        from_: &Address,
        envelope: Cow<'_, [u8]>,
    ) -> PyResult<ReceivedContent> {
        let (seq, content) = guard_detached(py, || {
            let from = from_.core()?;
            let (entry, content) =
                lock(&self.0)?.decrypt_content(&mut rand::rng(), &from, &envelope)?;
            Ok((entry.seq, content))
        })?;
        Ok(ReceivedContent {
            seq,
            content: Py::new(py, Content::from_core(content))?,
        })
    }

    /// Every message decrypted but not yet acknowledged, oldest first.
    fn inbox(&self, py: Python<'_>) -> PyResult<Vec<InboxMessage>> {
        guard_detached(py, || {
            let entries = lock(&self.0)?.inbox().map_err(Failure::from)?;
            Ok(entries.into_iter().map(InboxMessage::from).collect())
        })
    }

    /// Removes message `seq` from the inbox once the application has stored it; returns
    /// whether it was there.
    fn ack(&self, py: Python<'_>, seq: u64) -> PyResult<bool> {
        guard_detached(py, || lock(&self.0)?.ack(seq).map_err(Failure::from))
    }

    /// Accepts `identity_key` for `address` (after a changed-identity error the user decided
    /// on).
    fn trust_identity(
        &self,
        py: Python<'_>,
        address: &Address,
        identity_key: Cow<'_, [u8]>,
    ) -> PyResult<()> {
        guard_detached(py, || {
            let key: [u8; 32] = identity_key[..]
                .try_into()
                .map_err(|_| crosswire::KeyError::InvalidLength)?;
            let key = crosswire::IdentityKey::from_bytes(&key)?;
            let address = address.core()?;
            Ok(lock(&self.0)?.trust_identity(&mut rand::rng(), &address, &key)?)
        })
    }

    /// The safety number (digits) of `local_user` and `remote`, once `remote`'s identity is
    /// known.
    fn safety_number(
        &self,
        py: Python<'_>,
        local_user: String,
        remote: &Address,
    ) -> PyResult<Option<String>> {
        guard_detached(py, || {
            let remote = remote.core()?;
            Ok(lock(&self.0)?
                .safety_number(&local_user, &remote)
                .map_err(Failure::from)?
                .map(|s| s.digits()))
        })
    }

    /// How many one-time prekeys are left.
    fn one_time_prekey_count(&self, py: Python<'_>) -> PyResult<u64> {
        guard_detached(py, || {
            lock(&self.0)?
                .one_time_prekey_count()
                .map_err(Failure::from)
        })
    }

    /// How many one-time KEM prekeys are left (each first message that names one deletes it).
    fn one_time_kem_prekey_count(&self, py: Python<'_>) -> PyResult<u64> {
        guard_detached(py, || {
            lock(&self.0)?
                .one_time_kem_prekey_count()
                .map_err(Failure::from)
        })
    }
}
