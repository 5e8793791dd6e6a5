//! The account layer (SPEC.md section 14) for JavaScript: one device's whole state in a
//! `MemoryStore`, sealed under a storage key the application supplies, and persisted by the
//! application as the store's export (already sealed) in whatever storage the page has.
//!
//! Every method is one store transaction (all or nothing), and every method that changes the
//! store changes what [`Account::export_store`] returns: persist it after each call that
//! matters (a decryption before showing the message, an encryption before sending it).

use crosswire::account::{self, AccountError, Clock, DeviceAddress, Options};
use crosswire::store::{MemoryStore, STORAGE_KEY_LEN, StorageKey};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::rng::with_rng;
use crate::{Content, CrosswireError, Result, now_ms};

/// A device: a user id (1 to 255 bytes of UTF-8) and a device number.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Address(DeviceAddress);

#[wasm_bindgen]
impl Address {
    /// `account.invalid_address` for an empty or overlong user id.
    #[wasm_bindgen(constructor)]
    pub fn new(user: String, device: u32) -> Result<Address> {
        Ok(Address(DeviceAddress::new(user, device)?))
    }

    /// The user id.
    #[wasm_bindgen(getter)]
    pub fn user(&self) -> String {
        self.0.user().to_owned()
    }

    /// The device number.
    #[wasm_bindgen(getter)]
    pub fn device(&self) -> u32 {
        self.0.device()
    }
}

/// A one-time prekey to publish.
#[wasm_bindgen]
#[derive(Clone)]
pub struct PublishedPreKey(crosswire_glue::PublishedPreKey);

#[wasm_bindgen]
impl PublishedPreKey {
    /// A queued one-time prekey, as a directory received it.
    #[wasm_bindgen(constructor)]
    pub fn new(id: u32, public_key: Vec<u8>) -> PublishedPreKey {
        PublishedPreKey(crosswire_glue::PublishedPreKey { id, public_key })
    }

    /// Its id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.0.id
    }

    /// Its public key (32 bytes).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public_key.clone()
    }
}

/// A one-time KEM prekey to publish: its id, its ML-KEM-1024 public key and the identity key's
/// signature over both (SPEC.md 15.3).
#[wasm_bindgen]
#[derive(Clone)]
pub struct PublishedKemPreKey(crosswire_glue::PublishedKemPreKey);

#[wasm_bindgen]
impl PublishedKemPreKey {
    /// A queued one-time KEM prekey, as a directory received it.
    #[wasm_bindgen(constructor)]
    pub fn new(id: u32, public_key: Vec<u8>, signature: Vec<u8>) -> PublishedKemPreKey {
        PublishedKemPreKey(crosswire_glue::PublishedKemPreKey {
            id,
            public_key,
            signature,
        })
    }

    /// Its id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> u32 {
        self.0.id
    }

    /// Its ML-KEM-1024 encapsulation key (1568 bytes).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public_key.clone()
    }

    /// The identity key's signature over it (64 bytes).
    #[wasm_bindgen(getter)]
    pub fn signature(&self) -> Vec<u8> {
        self.0.signature.clone()
    }
}

/// What to publish to the prekey directory: the bundle (replacing the previous one) and the
/// one-time prekeys and one-time KEM prekeys to add to its two queues. The directory serves
/// each fetch with [`bundle_with_one_time_prekey`] and [`bundle_with_kem_prekey`].
#[wasm_bindgen]
pub struct Upload {
    bundle: Vec<u8>,
    one_time_prekeys: Vec<PublishedPreKey>,
    one_time_kem_prekeys: Vec<PublishedKemPreKey>,
}

#[wasm_bindgen]
impl Upload {
    /// The encoded bundle (with the last-resort KEM prekey, without a one-time prekey).
    #[wasm_bindgen(getter)]
    pub fn bundle(&self) -> Vec<u8> {
        self.bundle.clone()
    }

    /// The one-time prekeys to add.
    #[wasm_bindgen(getter, js_name = oneTimePreKeys)]
    pub fn one_time_prekeys(&self) -> Vec<PublishedPreKey> {
        self.one_time_prekeys.clone()
    }

    /// The one-time KEM prekeys to add.
    #[wasm_bindgen(getter, js_name = oneTimeKemPreKeys)]
    pub fn one_time_kem_prekeys(&self) -> Vec<PublishedKemPreKey> {
        self.one_time_kem_prekeys.clone()
    }
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

/// The directory's side: `bundle` (an [`Upload`]'s) with `prekey` from its queue added.
#[wasm_bindgen(js_name = bundleWithOneTimePreKey)]
pub fn bundle_with_one_time_prekey(bundle: &[u8], prekey: &PublishedPreKey) -> Result<Vec<u8>> {
    Ok(crosswire_glue::bundle_with_one_time_prekey(
        bundle, &prekey.0,
    )?)
}

/// The directory's side: `bundle` (an [`Upload`]'s) with `kemPreKey` from its queue in place of
/// the last-resort KEM prekey. The signature is checked: a wrong one throws with code
/// `bundle.bad_signature`.
#[wasm_bindgen(js_name = bundleWithKemPreKey)]
pub fn bundle_with_kem_prekey(bundle: &[u8], kem_prekey: &PublishedKemPreKey) -> Result<Vec<u8>> {
    Ok(crosswire_glue::bundle_with_kem_prekey(
        bundle,
        &kem_prekey.0,
    )?)
}

/// A decrypted message, in the inbox until [`Account::ack`].
#[wasm_bindgen]
pub struct InboxMessage {
    seq: u64,
    sender: Address,
    plaintext: Zeroizing<Vec<u8>>,
}

#[wasm_bindgen]
impl InboxMessage {
    /// Its place in the inbox: pass it to `ack`.
    #[wasm_bindgen(getter)]
    pub fn seq(&self) -> f64 {
        seq_to_js(self.seq)
    }

    /// Who sent it.
    #[wasm_bindgen(getter)]
    pub fn sender(&self) -> Address {
        self.sender.clone()
    }

    /// The plaintext.
    #[wasm_bindgen(getter)]
    pub fn plaintext(&self) -> Vec<u8> {
        self.plaintext.to_vec()
    }

    /// The plaintext decoded as content (SPEC.md 9): its `kind` is `"undecodable"` for a
    /// message sent with `encrypt` rather than `encryptContent`.
    #[wasm_bindgen(getter)]
    pub fn content(&self) -> Content {
        Content(crosswire::Content::from_plaintext(&self.plaintext).ok())
    }
}

impl From<account::InboxEntry> for InboxMessage {
    fn from(e: account::InboxEntry) -> Self {
        InboxMessage {
            seq: e.seq,
            sender: Address(e.from),
            plaintext: e.plaintext,
        }
    }
}

/// One envelope of a fan-out.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Outgoing {
    to: Address,
    envelope: Vec<u8>,
}

#[wasm_bindgen]
impl Outgoing {
    /// The device to deliver it to.
    #[wasm_bindgen(getter)]
    pub fn to(&self) -> Address {
        self.to.clone()
    }

    /// The envelope.
    #[wasm_bindgen(getter)]
    pub fn envelope(&self) -> Vec<u8> {
        self.envelope.clone()
    }
}

/// What [`Account::set_devices`] changed.
#[wasm_bindgen]
pub struct DeviceChanges {
    added: Vec<Address>,
    removed: Vec<Address>,
}

#[wasm_bindgen]
impl DeviceChanges {
    /// Devices listed now and not before: the next fan-out needs their bundles.
    #[wasm_bindgen(getter)]
    pub fn added(&self) -> Vec<Address> {
        self.added.clone()
    }

    /// Devices no longer listed: their sessions are archived, their messages refused.
    #[wasm_bindgen(getter)]
    pub fn removed(&self) -> Vec<Address> {
        self.removed.clone()
    }
}

#[wasm_bindgen]
extern "C" {
    /// A JavaScript object with a method `bundle(user, device)` returning the device's encoded
    /// prekey bundle (a `Uint8Array`, from the directory) or `undefined`. It is called during a
    /// fan-out only for devices without a usable session. An exception it throws fails the
    /// fan-out with `binding.invalid_argument`, and nothing is written.
    pub type BundleSource;

    #[wasm_bindgen(method, catch)]
    fn bundle(
        this: &BundleSource,
        user: &str,
        device: u32,
    ) -> std::result::Result<Option<Vec<u8>>, JsValue>;
}

/// Inbox sequence numbers count decrypted messages from 1, so they stay far below 2^53 and are
/// exact as JavaScript numbers.
fn seq_to_js(seq: u64) -> f64 {
    seq as f64
}

fn seq_from_js(seq: f64) -> Result<u64> {
    // 2^53: every integer up to it is exact in an f64.
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;
    if seq.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&seq) {
        Ok(seq as u64)
    } else {
        Err(CrosswireError::new(
            "InvalidArgument",
            "an inbox sequence number is a non-negative integer",
        ))
    }
}

fn storage_key(bytes: Vec<u8>) -> Result<StorageKey> {
    let bytes = Zeroizing::new(bytes);
    let key: [u8; STORAGE_KEY_LEN] = bytes[..]
        .try_into()
        .map_err(|_| CrosswireError::new("InvalidArgument", "the storage key must be 32 bytes"))?;
    Ok(StorageKey::from_bytes(key))
}

fn bundle(bytes: Option<Vec<u8>>) -> Result<Option<crosswire::PreKeyBundle>> {
    Ok(bytes
        .map(|b| crosswire::PreKeyBundle::from_bytes(&b))
        .transpose()
        .map_err(crosswire::Error::Bundle)?)
}

fn options() -> Options {
    let mut options = Options::default();
    // The standard library's clock panics on wasm32-unknown-unknown: read JavaScript's.
    options.clock = Clock::from_fn(|| now_ms() / 1000);
    options
}

/// One device's end-to-end encryption state: identity, prekeys, sessions, trust records and
/// inbox, in memory, sealed under the storage key. Persist [`exportStore`](Self::export_store)
/// and reopen with [`open`](Self::open) after a reload.
#[wasm_bindgen]
pub struct Account(account::Account<MemoryStore>);

#[wasm_bindgen]
impl Account {
    /// A new account (fresh identity, signed prekey, 100 one-time prekeys) sealed under
    /// `storageKey` (32 bytes the application keeps, for example a non-extractable-wrapped key
    /// in IndexedDB). Publish [`upload`](Self::upload) afterwards.
    pub fn create(storage_key: Vec<u8>) -> Result<Account> {
        let key = self::storage_key(storage_key)?;
        with_rng(None, |r| {
            let (account, _upload) =
                account::Account::create(r, MemoryStore::new(), &key, options())?;
            Ok(Account(account))
        })
    }

    /// The account in `exported` (from [`exportStore`](Self::export_store)).
    /// `store.wrong_key` for another storage key, `store.corrupt` for damaged bytes,
    /// `account.not_found` for a store without an account.
    pub fn open(exported: &[u8], storage_key: Vec<u8>) -> Result<Account> {
        let key = self::storage_key(storage_key)?;
        let store = MemoryStore::import(exported).map_err(AccountError::Store)?;
        Ok(Account(account::Account::open(store, &key, options())?))
    }

    /// Every row of the store, as SPEC.md 14.1 lays them out: values sealed under the storage
    /// key, row keys (which devices, which prekey ids) in the clear. What to persist.
    #[wasm_bindgen(js_name = exportStore)]
    pub fn export_store(&self) -> Vec<u8> {
        self.0.store().export()
    }

    /// This device's identity key (32 bytes).
    #[wasm_bindgen(js_name = identityKey)]
    pub fn identity_key(&self) -> Vec<u8> {
        self.0.identity_key().as_bytes().to_vec()
    }

    /// Everything publishable now: the bundle and every one-time prekey and one-time KEM prekey
    /// not yet consumed or handed out by [`bundle`](Self::bundle).
    pub fn upload(&mut self) -> Result<Upload> {
        Ok(self.0.upload()?.into())
    }

    /// A bundle for one sender, with the next one-time prekey and one-time KEM prekey not yet
    /// handed out, if any (else the last-resort KEM prekey).
    pub fn bundle(&mut self) -> Result<Vec<u8>> {
        let account = &mut self.0;
        with_rng(None, |r| Ok(account.bundle(r)?.to_bytes()))
    }

    /// Runs the prekey lifecycle (rotation, replenishment); returns what to publish, or
    /// `undefined` if nothing changed. Call it at start-up and then daily.
    pub fn maintain(&mut self) -> Result<Option<Upload>> {
        let account = &mut self.0;
        with_rng(None, |r| Ok(account.maintain(r)?.map(Upload::from)))
    }

    /// How many one-time prekeys are held.
    #[wasm_bindgen(js_name = oneTimePreKeyCount)]
    pub fn one_time_prekey_count(&mut self) -> Result<f64> {
        // Far below 2^53: at most 2^32 prekey ids exist.
        Ok(self.0.one_time_prekey_count()? as f64)
    }

    /// How many one-time KEM prekeys are held (each first message that names one deletes it).
    #[wasm_bindgen(js_name = oneTimeKemPreKeyCount)]
    pub fn one_time_kem_prekey_count(&mut self) -> Result<f64> {
        // Far below 2^53: at most 2^32 KEM prekey ids exist.
        Ok(self.0.one_time_kem_prekey_count()? as f64)
    }

    /// Encrypts `plaintext` for `to`, over the session with it or, if there is none, a new one
    /// from `bundle` (from the directory; `account.no_session` without one).
    pub fn encrypt(
        &mut self,
        to: &Address,
        bundle: Option<Vec<u8>>,
        plaintext: Vec<u8>,
    ) -> Result<Vec<u8>> {
        let plaintext = Zeroizing::new(plaintext);
        let bundle = self::bundle(bundle)?;
        let account = &mut self.0;
        with_rng(None, |r| {
            Ok(account.encrypt(r, &to.0, bundle.as_ref(), &plaintext)?)
        })
    }

    /// [`encrypt`](Self::encrypt) for content (text, an attachment pointer).
    #[wasm_bindgen(js_name = encryptContent)]
    pub fn encrypt_content(
        &mut self,
        to: &Address,
        bundle: Option<Vec<u8>>,
        content: &Content,
    ) -> Result<Vec<u8>> {
        let content = content.content()?;
        let bundle = self::bundle(bundle)?;
        let account = &mut self.0;
        with_rng(None, |r| {
            Ok(account.encrypt_content(r, &to.0, bundle.as_ref(), content)?)
        })
    }

    /// Decrypts an envelope from `from` into the inbox, in one transaction with the session's
    /// new state.
    pub fn decrypt(&mut self, from: &Address, envelope: &[u8]) -> Result<InboxMessage> {
        let account = &mut self.0;
        with_rng(None, |r| Ok(account.decrypt(r, &from.0, envelope)?.into()))
    }

    /// [`decrypt`](Self::decrypt) for an envelope carrying content (read it from the message's
    /// `content`); nothing is written unless the content is valid.
    #[wasm_bindgen(js_name = decryptContent)]
    pub fn decrypt_content(&mut self, from: &Address, envelope: &[u8]) -> Result<InboxMessage> {
        let account = &mut self.0;
        with_rng(None, |r| {
            Ok(account.decrypt_content(r, &from.0, envelope)?.0.into())
        })
    }

    /// Every message decrypted and not yet acknowledged, oldest first.
    pub fn inbox(&mut self) -> Result<Vec<InboxMessage>> {
        Ok(self
            .0
            .inbox()?
            .into_iter()
            .map(InboxMessage::from)
            .collect())
    }

    /// Removes message `seq` from the inbox once the application has stored it; returns
    /// whether it was there.
    pub fn ack(&mut self, seq: f64) -> Result<bool> {
        Ok(self.0.ack(seq_from_js(seq)?)?)
    }

    /// Trusts `identityKey` for `address` from now on (after `account.identity_changed`, once
    /// the user accepted the new key); sessions under other keys are deleted.
    #[wasm_bindgen(js_name = trustIdentity)]
    pub fn trust_identity(&mut self, address: &Address, identity_key: &[u8]) -> Result<()> {
        let key: &[u8; 32] = identity_key
            .try_into()
            .map_err(|_| crosswire::Error::Key(crosswire::KeyError::InvalidLength))?;
        let key = crosswire::IdentityKey::from_bytes(key).map_err(crosswire::Error::Key)?;
        let account = &mut self.0;
        with_rng(None, |r| Ok(account.trust_identity(r, &address.0, &key)?))
    }

    /// The identity key trusted for `address`, or `undefined` if none is known yet.
    #[wasm_bindgen(js_name = trustedIdentity)]
    pub fn trusted_identity(&mut self, address: &Address) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .trusted_identity(&address.0)?
            .map(|k| k.as_bytes().to_vec()))
    }

    /// The 60-digit safety number of this device (as `localUser`) and `remote`'s trusted key,
    /// or `undefined` if no key is known for `remote` yet.
    #[wasm_bindgen(js_name = safetyNumber)]
    pub fn safety_number(&mut self, local_user: &str, remote: &Address) -> Result<Option<String>> {
        Ok(self
            .0
            .safety_number(local_user, &remote.0)?
            .map(|s| s.digits()))
    }

    /// Sets the devices `user` has now, as the directory lists them (our own user too).
    #[wasm_bindgen(js_name = setDevices)]
    pub fn set_devices(&mut self, user: &str, devices: &[u32]) -> Result<DeviceChanges> {
        let account = &mut self.0;
        with_rng(None, |r| {
            let changes = account.set_devices(r, user, devices)?;
            Ok(DeviceChanges {
                added: changes.added.into_iter().map(Address).collect(),
                removed: changes.removed.into_iter().map(Address).collect(),
            })
        })
    }

    /// Starts over with `address` after `account.session_lost`: the next message to it needs a
    /// fresh bundle. Returns whether there was a session to archive.
    #[wasm_bindgen(js_name = resetSession)]
    pub fn reset_session(&mut self, address: &Address) -> Result<bool> {
        let account = &mut self.0;
        with_rng(None, |r| Ok(account.reset_session(r, &address.0)?))
    }

    /// Encrypts once for every device of `toUser` and every other device of our own user
    /// (`local` is this device), from the lists given to [`setDevices`](Self::set_devices), in
    /// one transaction: all envelopes or none. `bundles.bundle(user, device)` is asked only for
    /// devices without a usable session.
    #[wasm_bindgen(js_name = encryptToUser)]
    pub fn encrypt_to_user(
        &mut self,
        local: &Address,
        to_user: &str,
        bundles: &BundleSource,
        plaintext: Vec<u8>,
    ) -> Result<Vec<Outgoing>> {
        let plaintext = Zeroizing::new(plaintext);
        let account = &mut self.0;
        fan_out(bundles, |source| {
            with_rng(None, |r| {
                Ok(account.encrypt_to_user(r, &local.0, to_user, source, &plaintext)?)
            })
        })
    }

    /// [`encryptToUser`](Self::encrypt_to_user) for content.
    #[wasm_bindgen(js_name = encryptContentToUser)]
    pub fn encrypt_content_to_user(
        &mut self,
        local: &Address,
        to_user: &str,
        bundles: &BundleSource,
        content: &Content,
    ) -> Result<Vec<Outgoing>> {
        let content = content.content()?;
        let account = &mut self.0;
        fan_out(bundles, |source| {
            with_rng(None, |r| {
                Ok(account.encrypt_content_to_user(r, &local.0, to_user, source, content)?)
            })
        })
    }
}

/// Runs a fan-out with bundles from `bundles`. A bundle that does not parse, or a source that
/// throws, fails the whole fan-out with that error instead of `account.missing_bundle`.
fn fan_out(
    bundles: &BundleSource,
    send: impl FnOnce(
        &mut dyn FnMut(&DeviceAddress) -> Option<crosswire::PreKeyBundle>,
    ) -> Result<Vec<account::Outgoing>>,
) -> Result<Vec<Outgoing>> {
    let mut fault: Option<CrosswireError> = None;
    let out = send(&mut |to: &DeviceAddress| {
        let bytes = match bundles.bundle(to.user(), to.device()) {
            Ok(bytes) => bytes?,
            Err(_) => {
                fault.get_or_insert_with(|| {
                    CrosswireError::new("InvalidArgument", "BundleSource.bundle threw")
                });
                return None;
            }
        };
        match crosswire::PreKeyBundle::from_bytes(&bytes) {
            Ok(bundle) => Some(bundle),
            Err(e) => {
                fault.get_or_insert_with(|| crosswire::Error::Bundle(e).into());
                None
            }
        }
    });
    if let Some(fault) = fault {
        return Err(fault);
    }
    Ok(out?
        .into_iter()
        .map(|o| Outgoing {
            to: Address(o.to),
            envelope: o.envelope,
        })
        .collect())
}
