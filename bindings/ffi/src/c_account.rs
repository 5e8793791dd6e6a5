//! The account layer (`Account` over SQLite) for C: `cw_account_*` and the handles it returns
//! (`CwUpload`, `CwInbox`), with the conventions of [`crate::c_api`]. Nothing secret comes out;
//! the storage key is the one secret that goes in.
//!
//! Every length the core bounds is checked here before the input is copied, with the error the
//! core would give, so a caller's huge length costs nothing and reports the same code.

use std::ffi::c_char;
use std::sync::Arc;

use crosswire::account::{AccountError, MAX_USER_ID_LEN};
use zeroize::{Zeroize, Zeroizing};

use crate::account::{
    Account, Address, InboxMessage, PublishedKemPreKey, PublishedPreKey, Upload,
    bundle_with_kem_prekey, bundle_with_one_time_prekey,
};
use crate::api::Content;
use crate::c_api::{
    Bytes, Status, bounded, bytes, envelope_bytes, guard, handle, non_null, query, release, write,
    write_handle,
};
use crate::error::CrosswireError;

type Result<T> = std::result::Result<T, CrosswireError>;

/// Longest path accepted, in bytes (Linux's `PATH_MAX`).
const MAX_PATH_LEN: usize = 4096;

/// A remote device: `user` (UTF-8, `user_len` bytes, not NUL-terminated) and its device number.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DeviceAddress {
    /// The user id's first byte (1 to 255 bytes of UTF-8).
    pub user: *const c_char,
    /// The user id's length in bytes.
    pub user_len: usize,
    /// The device number.
    pub device: u32,
}

/// # Safety
/// `ptr`/`len` is readable.
unsafe fn user_id(ptr: *const c_char, len: usize) -> Result<String> {
    // SAFETY: forwarded contract.
    let raw = unsafe {
        bounded(ptr.cast::<u8>(), len, MAX_USER_ID_LEN, || {
            AccountError::InvalidAddress.into()
        })
    }?;
    // The core's rule (SPEC.md 14.10): a user id that is not UTF-8 is not a valid address.
    String::from_utf8(raw.to_vec()).map_err(|_| AccountError::InvalidAddress.into())
}

impl DeviceAddress {
    /// # Safety
    /// `self.user`/`self.user_len` is readable.
    unsafe fn address(self) -> Result<Address> {
        Ok(Address {
            // SAFETY: forwarded contract.
            user: unsafe { user_id(self.user, self.user_len) }?,
            device: self.device,
        })
    }
}

/// # Safety
/// As [`bytes`].
unsafe fn path(ptr: *const c_char, len: usize) -> Result<String> {
    // SAFETY: forwarded contract.
    let raw = unsafe {
        bounded(ptr.cast::<u8>(), len, MAX_PATH_LEN, || {
            CrosswireError::invalid("path too long")
        })
    }?;
    if raw.is_empty() {
        return Err(CrosswireError::invalid("empty path"));
    }
    String::from_utf8(raw.to_vec()).map_err(|_| CrosswireError::invalid("path is not UTF-8"))
}

/// # Safety
/// As [`bytes`].
unsafe fn storage_key(ptr: *const u8, len: usize) -> Result<Zeroizing<Vec<u8>>> {
    if len != crosswire::store::STORAGE_KEY_LEN {
        return Err(CrosswireError::invalid("the storage key must be 32 bytes"));
    }
    // SAFETY: forwarded contract.
    Ok(Zeroizing::new(unsafe { bytes(ptr, len) }?.to_vec()))
}

/// An encoded bundle, refused as `bundle.malformed` beyond the core's bound before it is read.
///
/// # Safety
/// As [`bytes`].
unsafe fn bundle<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8]> {
    // SAFETY: forwarded contract.
    unsafe {
        bounded(ptr, len, crosswire::MAX_BUNDLE_LEN, || {
            crosswire::BundleError::Malformed.into()
        })
    }
}

/// A one-time prekey of the wrong length, as the core reports it in a bundle.
fn bundle_key_length() -> CrosswireError {
    crosswire::BundleError::InvalidKey(crosswire::KeyError::InvalidLength).into()
}

/// An optional bundle: `NULL`/0 for none.
///
/// # Safety
/// As [`bytes`].
unsafe fn optional_bundle(ptr: *const u8, len: usize) -> Result<Option<Vec<u8>>> {
    if ptr.is_null() && len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    Ok(Some(unsafe { bundle(ptr, len) }?.to_vec()))
}

/// # Safety
/// As [`bytes`].
unsafe fn envelope(ptr: *const u8, len: usize) -> Result<Vec<u8>> {
    // SAFETY: forwarded contract.
    Ok(unsafe { envelope_bytes(ptr, len) }?.to_vec())
}

/// Shared by create and open: both take a path and a storage key and hand out an account.
///
/// # Safety
/// The buffers are readable; `out` is valid for a write.
unsafe fn account_from(
    path_ptr: *const c_char,
    path_len: usize,
    key: *const u8,
    key_len: usize,
    out: *mut *const Account,
    make: fn(String, Vec<u8>) -> Result<Arc<Account>>,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (path, key) = unsafe { (path(path_ptr, path_len)?, storage_key(key, key_len)?) };
        let account = make(path, key.to_vec())?;
        // SAFETY: checked non-null above; writable by the caller's contract.
        unsafe { write_handle(out, account) }
    })
}

/// Creates a new account in a new SQLite file at `path` (UTF-8, `path_len` bytes), sealed
/// under `storage_key` (32 bytes from the platform keystore). Publish
/// [`cw_account_upload`] afterwards. A file that already holds an account is
/// `account.already_exists`.
///
/// # Safety
/// The buffers are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_create(
    path: *const c_char,
    path_len: usize,
    storage_key: *const u8,
    storage_key_len: usize,
    out: *mut *const Account,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        account_from(
            path,
            path_len,
            storage_key,
            storage_key_len,
            out,
            Account::create,
        )
    }
}

/// Opens the account at `path`. Another storage key than the one it was created with is
/// `CW_STATUS_STORE` with code `store.wrong_key`; a file without an account is
/// `account.not_found`.
///
/// # Safety
/// The buffers are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_open(
    path: *const c_char,
    path_len: usize,
    storage_key: *const u8,
    storage_key_len: usize,
    out: *mut *const Account,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        account_from(
            path,
            path_len,
            storage_key,
            storage_key_len,
            out,
            Account::open,
        )
    }
}

/// Releases an account and closes its file. Everything it did is already committed.
///
/// # Safety
/// `account` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_free(account: *const Account) {
    // SAFETY: forwarded contract.
    let _ = std::panic::catch_unwind(|| unsafe { release(account) });
}

/// This device's public identity key (32 bytes).
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_identity_key(
    account: *const Account,
    out: *mut Bytes,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(account, out, |a| Ok(Bytes::from_vec(a.identity_key()?))) }
}

/// Everything to publish now: the bundle and every unused one-time prekey and one-time KEM
/// prekey.
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_upload(
    account: *const Account,
    out: *mut *const Upload,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(account, out, |a| Ok(Arc::into_raw(Arc::new(a.upload()?)))) }
}

/// Runs the prekey lifecycle (signed prekey rotation, one-time prekey replenishment). Sets
/// `*out` to what to publish, or to NULL when nothing changed.
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_maintain(
    account: *const Account,
    out: *mut *const Upload,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        query(account, out, |a| {
            Ok(a.maintain()?
                .map_or(std::ptr::null(), |u| Arc::into_raw(Arc::new(u))))
        })
    }
}

/// The bundle of an upload, to publish (replacing the previous one).
///
/// # Safety
/// `upload` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_upload_bundle(upload: *const Upload, out: *mut Bytes) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(upload, out, |u| Ok(Bytes::from_vec(u.bundle.clone()))) }
}

/// How many one-time prekeys an upload carries (0 for NULL).
///
/// # Safety
/// `upload` is null or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_upload_prekey_count(upload: *const Upload) -> usize {
    // SAFETY: forwarded contract.
    std::panic::catch_unwind(|| unsafe { handle(upload) }.map_or(0, |u| u.one_time_prekeys.len()))
        .unwrap_or(0)
}

/// One-time prekey `index` (below [`cw_upload_prekey_count`]) of an upload: its id and its
/// 32-byte public key, to append to the directory's queue.
///
/// # Safety
/// `upload` is live; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_upload_prekey(
    upload: *const Upload,
    index: usize,
    out_id: *mut u32,
    out_public_key: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out_id)?;
        non_null(out_public_key)?;
        // SAFETY: forwarded contract.
        let upload = unsafe { handle(upload) }?;
        let prekey = upload
            .one_time_prekeys
            .get(index)
            .ok_or_else(|| CrosswireError::invalid("prekey index out of range"))?;
        // SAFETY: both checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_id, prekey.id)?;
            write(out_public_key, Bytes::from_vec(prekey.public_key.clone()))
        }
    })
}

/// How many one-time KEM prekeys an upload carries (0 for NULL).
///
/// # Safety
/// `upload` is null or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_upload_kem_prekey_count(upload: *const Upload) -> usize {
    std::panic::catch_unwind(|| {
        // SAFETY: forwarded contract.
        unsafe { handle(upload) }.map_or(0, |u| u.one_time_kem_prekeys.len())
    })
    .unwrap_or(0)
}

/// One-time KEM prekey `index` (below [`cw_upload_kem_prekey_count`]) of an upload: its id, its
/// 1568-byte ML-KEM-1024 public key and the identity key's 64-byte signature, to append to the
/// directory's second queue.
///
/// # Safety
/// `upload` is live; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_upload_kem_prekey(
    upload: *const Upload,
    index: usize,
    out_id: *mut u32,
    out_public_key: *mut Bytes,
    out_signature: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out_id)?;
        non_null(out_public_key)?;
        non_null(out_signature)?;
        // SAFETY: forwarded contract.
        let upload = unsafe { handle(upload) }?;
        let prekey = upload
            .one_time_kem_prekeys
            .get(index)
            .ok_or_else(|| CrosswireError::invalid("KEM prekey index out of range"))?;
        // SAFETY: all checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_id, prekey.id)?;
            write(out_public_key, Bytes::from_vec(prekey.public_key.clone()))?;
            write(out_signature, Bytes::from_vec(prekey.signature.clone()))
        }
    })
}

/// Releases an upload.
///
/// # Safety
/// `upload` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_upload_free(upload: *const Upload) {
    // SAFETY: forwarded contract.
    let _ = std::panic::catch_unwind(|| unsafe { release(upload) });
}

/// A directory's side: `bundle` (an upload's, from [`cw_upload_bundle`]) with the queued
/// one-time prekey `id`/`public_key` (32 bytes) added; sets the bundle to serve.
///
/// # Safety
/// The buffers are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_with_one_time_prekey(
    bundle: *const u8,
    bundle_len: usize,
    id: u32,
    public_key: *const u8,
    public_key_len: usize,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (bundle, public_key) = unsafe {
            (
                self::bundle(bundle, bundle_len)?,
                bounded(
                    public_key,
                    public_key_len,
                    crosswire::PUBLIC_KEY_LEN,
                    bundle_key_length,
                )?,
            )
        };
        let prekey = PublishedPreKey {
            id,
            public_key: public_key.to_vec(),
        };
        let served = bundle_with_one_time_prekey(bundle.to_vec(), prekey)?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(served)) }
    })
}

/// A directory's side: `bundle` (an upload's) with the queued one-time KEM prekey `id`,
/// `public_key` (1568 bytes) and `signature` (64 bytes) in place of its KEM prekey; sets the
/// bundle to serve. A signature that does not verify under the bundle's identity key is
/// `CW_STATUS_BUNDLE` with code `bundle.bad_signature`.
///
/// # Safety
/// The buffers are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_with_kem_prekey(
    bundle: *const u8,
    bundle_len: usize,
    id: u32,
    public_key: *const u8,
    public_key_len: usize,
    signature: *const u8,
    signature_len: usize,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (bundle, public_key, signature) = unsafe {
            (
                self::bundle(bundle, bundle_len)?,
                bounded(
                    public_key,
                    public_key_len,
                    crosswire::KEM_PUBLIC_KEY_LEN,
                    || {
                        crosswire::BundleError::InvalidKemKey(crosswire::KemError::InvalidLength)
                            .into()
                    },
                )?,
                bounded(signature, signature_len, crosswire::SIGNATURE_LEN, || {
                    crosswire::BundleError::Malformed.into()
                })?,
            )
        };
        let kem_prekey = PublishedKemPreKey {
            id,
            public_key: public_key.to_vec(),
            signature: signature.to_vec(),
        };
        let served = bundle_with_kem_prekey(bundle.to_vec(), kem_prekey)?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(served)) }
    })
}

/// A bundle for one sender, with the next one-time prekey and one-time KEM prekey if any is
/// left (what a prekey directory hands out).
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_bundle(account: *const Account, out: *mut Bytes) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(account, out, |a| Ok(Bytes::from_vec(a.bundle()?))) }
}

/// Encrypts to `to`: with the session held for it, or a new one from `bundle` (fetched from the
/// directory; NULL/0 when a session exists). No session and no bundle is `account.no_session`.
///
/// # Safety
/// `account` is live; the buffers (and `to.user`) are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_encrypt(
    account: *const Account,
    to: DeviceAddress,
    bundle: *const u8,
    bundle_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract (handle, address and buffers).
        let (account, to, bundle, plaintext) = unsafe {
            (
                handle(account)?,
                to.address()?,
                optional_bundle(bundle, bundle_len)?,
                bounded(
                    plaintext,
                    plaintext_len,
                    crosswire::MAX_PLAINTEXT_LEN,
                    || crosswire::Error::Encrypt(crosswire::EncryptError::PlaintextTooLarge).into(),
                )?,
            )
        };
        let envelope = account.encrypt(to, bundle, plaintext.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(envelope)) }
    })
}

/// [`cw_account_encrypt`] for content (text, attachment pointer).
///
/// # Safety
/// As [`cw_account_encrypt`]; `content` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_encrypt_content(
    account: *const Account,
    to: DeviceAddress,
    bundle: *const u8,
    bundle_len: usize,
    content: *const Content,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract (handles, address and buffer).
        let (account, to, bundle, content) = unsafe {
            (
                handle(account)?,
                to.address()?,
                optional_bundle(bundle, bundle_len)?,
                handle(content)?,
            )
        };
        let envelope = account.encrypt_content(to, bundle, content)?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(envelope)) }
    })
}

/// Decrypts an envelope from `from` and commits the message to the inbox in the same
/// transaction as the session's new state; sets its inbox sequence number (for
/// [`cw_account_ack`]) and its plaintext. A changed identity key is `CW_STATUS_ACCOUNT` with
/// code `account.identity_changed` (nothing consumed: [`cw_account_trust_identity`], retry).
///
/// # Safety
/// `account` is live; the buffers (and `from.user`) are readable; the outputs are valid for
/// writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_decrypt(
    account: *const Account,
    from: DeviceAddress,
    envelope: *const u8,
    envelope_len: usize,
    out_seq: *mut u64,
    out_plaintext: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out_seq)?;
        non_null(out_plaintext)?;
        // SAFETY: forwarded contract (handle, address and buffer).
        let (account, from, envelope) = unsafe {
            (
                handle(account)?,
                from.address()?,
                self::envelope(envelope, envelope_len)?,
            )
        };
        let message = account.decrypt(from, envelope)?;
        // SAFETY: both checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_seq, message.seq)?;
            write(out_plaintext, Bytes::from_vec(message.plaintext))
        }
    })
}

/// [`cw_account_decrypt`] for an envelope carrying content; sets the sequence number and the
/// content.
///
/// # Safety
/// As [`cw_account_decrypt`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_decrypt_content(
    account: *const Account,
    from: DeviceAddress,
    envelope: *const u8,
    envelope_len: usize,
    out_seq: *mut u64,
    out_content: *mut *const Content,
) -> Status {
    guard(|| {
        non_null(out_seq)?;
        non_null(out_content)?;
        // SAFETY: forwarded contract (handle, address and buffer).
        let (account, from, envelope) = unsafe {
            (
                handle(account)?,
                from.address()?,
                self::envelope(envelope, envelope_len)?,
            )
        };
        let received = account.decrypt_content(from, envelope)?;
        // SAFETY: both checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_seq, received.seq)?;
            write_handle(out_content, received.content)
        }
    })
}

/// The messages decrypted but not yet acknowledged, oldest first. The plaintexts are wiped
/// when it is released.
pub struct Inbox(Vec<InboxMessage>);

impl Drop for Inbox {
    fn drop(&mut self) {
        for message in &mut self.0 {
            message.plaintext.zeroize();
        }
    }
}

/// A snapshot of the inbox (every message decrypted and not yet acknowledged, oldest first).
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_inbox(
    account: *const Account,
    out: *mut *const Inbox,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        query(account, out, |a| {
            Ok(Arc::into_raw(Arc::new(Inbox(a.inbox()?))))
        })
    }
}

/// How many messages an inbox snapshot holds (0 for NULL).
///
/// # Safety
/// `inbox` is null or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_inbox_len(inbox: *const Inbox) -> usize {
    // SAFETY: forwarded contract.
    std::panic::catch_unwind(|| unsafe { handle(inbox) }.map_or(0, |i| i.0.len())).unwrap_or(0)
}

/// Message `index` (below [`cw_inbox_len`]) of an inbox snapshot: its sequence number, its
/// sender's user id (UTF-8) and device, and its plaintext.
///
/// # Safety
/// `inbox` is live; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_inbox_get(
    inbox: *const Inbox,
    index: usize,
    out_seq: *mut u64,
    out_user: *mut Bytes,
    out_device: *mut u32,
    out_plaintext: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out_seq)?;
        non_null(out_user)?;
        non_null(out_device)?;
        non_null(out_plaintext)?;
        // SAFETY: forwarded contract.
        let inbox = unsafe { handle(inbox) }?;
        let message = inbox
            .0
            .get(index)
            .ok_or_else(|| CrosswireError::invalid("inbox index out of range"))?;
        // SAFETY: all checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_seq, message.seq)?;
            write(out_device, message.sender.device)?;
            write(
                out_user,
                Bytes::from_vec(message.sender.user.clone().into_bytes()),
            )?;
            write(out_plaintext, Bytes::from_vec(message.plaintext.clone()))
        }
    })
}

/// Releases an inbox snapshot (wiping its plaintexts).
///
/// # Safety
/// `inbox` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_inbox_free(inbox: *const Inbox) {
    // SAFETY: forwarded contract.
    let _ = std::panic::catch_unwind(|| unsafe { release(inbox) });
}

/// Removes message `seq` from the inbox once the application has stored it; sets whether it
/// was there.
///
/// # Safety
/// `account` is live; `out_removed` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_ack(
    account: *const Account,
    seq: u64,
    out_removed: *mut bool,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(account, out_removed, |a| a.ack(seq)) }
}

/// Accepts `identity_key` (32 bytes) for `address`, after `account.identity_changed` and the
/// user's decision.
///
/// # Safety
/// `account` is live; the buffers (and `address.user`) are readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_trust_identity(
    account: *const Account,
    address: DeviceAddress,
    identity_key: *const u8,
    identity_key_len: usize,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract (handle, address and buffer).
        let (account, address, key) = unsafe {
            (
                handle(account)?,
                address.address()?,
                bounded(identity_key, identity_key_len, 32, || {
                    crosswire::KeyError::InvalidLength.into()
                })?,
            )
        };
        account.trust_identity(address, key.to_vec())
    })
}

/// The safety number (ASCII digits) of `local_user` (UTF-8) and `remote`; `{NULL, 0}` while
/// `remote`'s identity is not known yet.
///
/// # Safety
/// `account` is live; the buffers (and `remote.user`) are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_safety_number(
    account: *const Account,
    local_user: *const c_char,
    local_user_len: usize,
    remote: DeviceAddress,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract (handle, strings).
        let (account, local_user, remote) = unsafe {
            (
                handle(account)?,
                user_id(local_user, local_user_len)?,
                remote.address()?,
            )
        };
        let digits = account.safety_number(local_user, remote)?;
        let bytes = match digits {
            Some(d) => Bytes::from_vec(d.into_bytes()),
            None => Bytes {
                ptr: std::ptr::null_mut(),
                len: 0,
            },
        };
        // SAFETY: forwarded contract.
        unsafe { write(out, bytes) }
    })
}

/// How many one-time prekeys are left unused.
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_one_time_prekey_count(
    account: *const Account,
    out: *mut u64,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(account, out, |a| a.one_time_prekey_count()) }
}

/// How many one-time KEM prekeys are left unused.
///
/// # Safety
/// `account` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_account_one_time_kem_prekey_count(
    account: *const Account,
    out: *mut u64,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe { query(account, out, |a| a.one_time_kem_prekey_count()) }
}
