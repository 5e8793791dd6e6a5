//! The account layer (issue 10) for Kotlin, Swift and Python: one device's whole state in one
//! SQLite file, sealed under a storage key the application supplies. Nothing secret comes out;
//! the storage key is the one secret that goes in.

use std::sync::{Arc, Mutex};

use crosswire::account::{self, DeviceAddress, Options};
use crosswire::store::{SqliteOptions, SqliteStore, StorageKey};
use zeroize::Zeroizing;

use crate::api::{Content, lock};
use crate::error::CrosswireError;

type Result<T> = std::result::Result<T, CrosswireError>;

/// A remote device: a user id and a device number.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Address {
    /// The user id (1 to 255 bytes of UTF-8).
    pub user: String,
    /// The device number.
    pub device: u32,
}

impl Address {
    fn core(&self) -> Result<DeviceAddress> {
        Ok(DeviceAddress::new(self.user.clone(), self.device)?)
    }
}

// The published keys are crosswire-glue's plain types, shared with the Python and wasm
// bindings; UniFFI exposes them as records through these mirrors (the compiler checks that
// each matches its definition).
pub use crosswire_glue::{PublishedKemPreKey, PublishedPreKey, Upload};

/// A one-time prekey to publish: its id and public key.
#[uniffi::remote(Record)]
pub struct PublishedPreKey {
    /// Its id.
    pub id: u32,
    /// Its public key (32 bytes).
    pub public_key: Vec<u8>,
}

/// A one-time KEM prekey to publish: its id, its ML-KEM-1024 public key and the identity key's
/// signature over both (SPEC.md 15.3).
#[uniffi::remote(Record)]
pub struct PublishedKemPreKey {
    /// Its id.
    pub id: u32,
    /// Its ML-KEM-1024 encapsulation key (1568 bytes).
    pub public_key: Vec<u8>,
    /// The identity key's signature over it (64 bytes).
    pub signature: Vec<u8>,
}

/// What to publish to the prekey directory: the bundle (replacing the previous one) and the
/// one-time prekeys and one-time KEM prekeys to append to its two queues. The directory serves
/// each fetch with [`bundle_with_one_time_prekey`] and [`bundle_with_kem_prekey`].
#[uniffi::remote(Record)]
pub struct Upload {
    /// The encoded bundle (with the last-resort KEM prekey, without a one-time prekey).
    pub bundle: Vec<u8>,
    /// One-time prekeys to add.
    pub one_time_prekeys: Vec<PublishedPreKey>,
    /// One-time KEM prekeys to add.
    pub one_time_kem_prekeys: Vec<PublishedKemPreKey>,
}

/// The directory's side: `bundle` (an [`Upload`]'s) with `prekey` from its queue added.
#[uniffi::export]
pub fn bundle_with_one_time_prekey(bundle: Vec<u8>, prekey: PublishedPreKey) -> Result<Vec<u8>> {
    Ok(crosswire_glue::bundle_with_one_time_prekey(
        &bundle, &prekey,
    )?)
}

/// The directory's side: `bundle` (an [`Upload`]'s) with `kem_prekey` from its queue in place
/// of the last-resort KEM prekey. The signature is checked: a wrong one is
/// `CrosswireError.Bundle` with code `bundle.bad_signature`.
#[uniffi::export]
pub fn bundle_with_kem_prekey(bundle: Vec<u8>, kem_prekey: PublishedKemPreKey) -> Result<Vec<u8>> {
    Ok(crosswire_glue::bundle_with_kem_prekey(
        &bundle,
        &kem_prekey,
    )?)
}

/// A decrypted message, committed to the account's inbox in the same transaction as the
/// session's new state. It stays there until [`Account::ack`].
#[derive(uniffi::Record)]
pub struct InboxMessage {
    /// Its place in the inbox (pass it to [`Account::ack`]).
    pub seq: u64,
    /// Who sent it.
    pub sender: Address,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

/// A decrypted message carrying content.
#[derive(uniffi::Record)]
pub struct ReceivedContent {
    /// Its place in the inbox.
    pub seq: u64,
    /// The content.
    pub content: Arc<Content>,
}

fn storage_key(bytes: Vec<u8>) -> Result<StorageKey> {
    let bytes = Zeroizing::new(bytes);
    let key: [u8; crosswire::store::STORAGE_KEY_LEN] = bytes[..]
        .try_into()
        .map_err(|_| CrosswireError::invalid("the storage key must be 32 bytes"))?;
    Ok(StorageKey::from_bytes(key))
}

fn store(path: &str) -> Result<SqliteStore> {
    SqliteStore::open(path, SqliteOptions::default()).map_err(CrosswireError::from)
}

fn inbox_message(e: account::InboxEntry) -> InboxMessage {
    InboxMessage {
        seq: e.seq,
        sender: Address {
            user: e.from.user().to_owned(),
            device: e.from.device(),
        },
        plaintext: e.plaintext.to_vec(),
    }
}

/// One device's end-to-end encryption state in one SQLite file. Every call is one transaction:
/// it commits completely or not at all, and a crash at any instant loses nothing.
#[derive(uniffi::Object)]
pub struct Account(Mutex<account::Account<SqliteStore>>);

#[uniffi::export]
impl Account {
    /// Creates a new account in a new SQLite file at `path`, sealed under `storage_key` (32
    /// bytes from the platform keystore). Publish [`upload`](Self::upload) afterwards.
    #[uniffi::constructor]
    pub fn create(path: String, storage_key: Vec<u8>) -> Result<Arc<Self>> {
        let key = self::storage_key(storage_key)?;
        let (account, _upload) =
            account::Account::create(&mut rand::rng(), store(&path)?, &key, Options::default())?;
        Ok(Arc::new(Account(Mutex::new(account))))
    }

    /// Opens the account at `path`. A wrong key is `CrosswireError.Store(WrongKey)`.
    #[uniffi::constructor]
    pub fn open(path: String, storage_key: Vec<u8>) -> Result<Arc<Self>> {
        let key = self::storage_key(storage_key)?;
        let account = account::Account::open(store(&path)?, &key, Options::default())?;
        Ok(Arc::new(Account(Mutex::new(account))))
    }

    /// This device's identity key (32 bytes).
    pub fn identity_key(&self) -> Result<Vec<u8>> {
        Ok(lock(&self.0)?.identity_key().as_bytes().to_vec())
    }

    /// Everything to publish now: the bundle and every unused one-time prekey and one-time KEM
    /// prekey.
    pub fn upload(&self) -> Result<Upload> {
        Ok(lock(&self.0)?.upload()?.into())
    }

    /// A bundle for one sender, with the next one-time prekey and one-time KEM prekey if any is
    /// left (else without a one-time prekey, and with the last-resort KEM prekey).
    pub fn bundle(&self) -> Result<Vec<u8>> {
        Ok(lock(&self.0)?.bundle(&mut rand::rng())?.to_bytes())
    }

    /// Runs the prekey lifecycle (rotation, replenishment); returns what to publish, if
    /// anything changed.
    pub fn maintain(&self) -> Result<Option<Upload>> {
        Ok(lock(&self.0)?.maintain(&mut rand::rng())?.map(Upload::from))
    }

    /// Encrypts to `to`: uses the session with it, or starts one from `bundle` (fetched from
    /// the directory) if there is none.
    pub fn encrypt(
        &self,
        to: Address,
        bundle: Option<Vec<u8>>,
        plaintext: Vec<u8>,
    ) -> Result<Vec<u8>> {
        let bundle = bundle
            .map(|b| crosswire::PreKeyBundle::from_bytes(&b))
            .transpose()?;
        let plaintext = Zeroizing::new(plaintext);
        Ok(lock(&self.0)?.encrypt(&mut rand::rng(), &to.core()?, bundle.as_ref(), &plaintext)?)
    }

    /// [`encrypt`](Self::encrypt) for content.
    pub fn encrypt_content(
        &self,
        to: Address,
        bundle: Option<Vec<u8>>,
        content: &Content,
    ) -> Result<Vec<u8>> {
        let bundle = bundle
            .map(|b| crosswire::PreKeyBundle::from_bytes(&b))
            .transpose()?;
        let content = content.content()?;
        Ok(lock(&self.0)?.encrypt_content(
            &mut rand::rng(),
            &to.core()?,
            bundle.as_ref(),
            content,
        )?)
    }

    /// Decrypts an envelope from `from` into the inbox (in the same transaction).
    pub fn decrypt(&self, from: Address, envelope: Vec<u8>) -> Result<InboxMessage> {
        let entry = lock(&self.0)?.decrypt(&mut rand::rng(), &from.core()?, &envelope)?;
        Ok(inbox_message(entry))
    }

    /// [`decrypt`](Self::decrypt) for an envelope carrying content.
    pub fn decrypt_content(&self, from: Address, envelope: Vec<u8>) -> Result<ReceivedContent> {
        let (entry, content) =
            lock(&self.0)?.decrypt_content(&mut rand::rng(), &from.core()?, &envelope)?;
        Ok(ReceivedContent {
            seq: entry.seq,
            content: Content::from_core(content),
        })
    }

    /// Every message decrypted but not yet acknowledged, oldest first.
    pub fn inbox(&self) -> Result<Vec<InboxMessage>> {
        Ok(lock(&self.0)?
            .inbox()?
            .into_iter()
            .map(inbox_message)
            .collect())
    }

    /// Removes message `seq` from the inbox once the application has stored it; returns
    /// whether it was there.
    pub fn ack(&self, seq: u64) -> Result<bool> {
        Ok(lock(&self.0)?.ack(seq)?)
    }

    /// Accepts `identity_key` for `address` (after a changed-identity error the user decided
    /// on).
    pub fn trust_identity(&self, address: Address, identity_key: Vec<u8>) -> Result<()> {
        let key: [u8; 32] = identity_key[..]
            .try_into()
            .map_err(|_| crosswire::Error::Key(crosswire::KeyError::InvalidLength))?;
        let key = crosswire::IdentityKey::from_bytes(&key).map_err(crosswire::Error::Key)?;
        Ok(lock(&self.0)?.trust_identity(&mut rand::rng(), &address.core()?, &key)?)
    }

    /// The safety number (digits) of `local_user` and `remote`, once `remote`'s identity is
    /// known.
    pub fn safety_number(&self, local_user: String, remote: Address) -> Result<Option<String>> {
        Ok(lock(&self.0)?
            .safety_number(&local_user, &remote.core()?)?
            .map(|s| s.digits()))
    }

    /// How many one-time prekeys are left.
    pub fn one_time_prekey_count(&self) -> Result<u64> {
        Ok(lock(&self.0)?.one_time_prekey_count()?)
    }

    /// How many one-time KEM prekeys are left (each first message that names one deletes it).
    pub fn one_time_kem_prekey_count(&self) -> Result<u64> {
        Ok(lock(&self.0)?.one_time_kem_prekey_count()?)
    }
}
