//! The plain C ABI: `cw_*` functions over opaque handles, declared in `include/crosswire.h`.
//!
//! Conventions (also in the header's preamble):
//! - Every fallible function returns a [`Status`] (`CwStatus` in C); on anything but `CW_STATUS_OK` its outputs
//!   are untouched and [`cw_last_error`] describes the failure.
//! - Handles (`CwSession *`, ...) are reference-counted objects shared with the UniFFI side;
//!   each one a function hands out is released exactly once with its `cw_*_free`.
//! - Byte outputs are [`Bytes`] (`CwBytes`) owned by the library: release them with [`cw_bytes_free`],
//!   which wipes them first.
//! - Input buffers are `(pointer, length)` pairs; a null pointer is allowed only with length 0.
//! - No function unwinds into C: each body runs under `catch_unwind`, a panic becomes
//!   `CW_STATUS_PANIC`.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use zeroize::Zeroize;

use crate::api::{
    Content, ContentKind, IdentityKeyPair, OneTimePreKey, PreKeyBundle, SealedAttachment, Session,
    SignedPreKey,
};
use crate::c_pq::FirstMessage;
use crate::error::{CrosswireError, codes};

type Result<T> = std::result::Result<T, CrosswireError>;

/// The outcome of a C call.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Success; the outputs are set.
    Ok = 0,
    /// An argument is invalid: a null pointer, a string that is not UTF-8, a context too long.
    InvalidArgument = 1,
    /// A key's bytes are not acceptable.
    Key = 2,
    /// A prekey bundle is malformed or its signature does not verify.
    Bundle = 3,
    /// An envelope is malformed.
    Wire = 4,
    /// A message did not decrypt; the session is unchanged.
    Decrypt = 5,
    /// A message could not be encrypted; the session is unchanged.
    Encrypt = 6,
    /// A serialized session could not be loaded.
    State = 7,
    /// Content could not be encoded, or the content has another kind than asked for.
    Content = 8,
    /// An attachment could not be encrypted or decrypted.
    Media = 9,
    /// The account store failed (wrong storage key, corrupt, busy, I/O).
    Store = 12,
    /// An account refused: a changed identity key, no session, an unknown prekey, ...
    Account = 13,
    /// crosswire panicked (a bug); nothing was changed.
    Panic = 10,
    /// An internal error (a bug).
    Internal = 11,
}

/// Bytes owned by the library. Release with [`cw_bytes_free`].
#[repr(C)]
#[derive(Debug)]
pub struct Bytes {
    /// The first byte; never null once set by the library.
    pub ptr: *mut u8,
    /// How many bytes.
    pub len: usize,
}

impl Bytes {
    pub(crate) fn from_vec(v: Vec<u8>) -> Bytes {
        let boxed = v.into_boxed_slice();
        let len = boxed.len();
        let ptr = Box::into_raw(boxed).cast::<u8>();
        Bytes { ptr, len }
    }
}

/// The last failure on this thread: its description and its stable code.
struct LastError {
    message: CString,
    code: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn set_last_error(message: &str, code: &str) {
    let c = |s: &str| CString::new(s.replace('\0', " ")).unwrap_or_default();
    let last = LastError {
        message: c(message),
        code: c(code),
    };
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(last));
}

fn status(e: &CrosswireError) -> Status {
    match e {
        CrosswireError::Key { .. } => Status::Key,
        CrosswireError::Bundle { .. } => Status::Bundle,
        CrosswireError::Wire { .. } => Status::Wire,
        CrosswireError::Decrypt { .. } => Status::Decrypt,
        CrosswireError::Encrypt { .. } => Status::Encrypt,
        CrosswireError::State { .. } => Status::State,
        CrosswireError::Content { .. } => Status::Content,
        CrosswireError::Media { .. } => Status::Media,
        CrosswireError::Store { .. } => Status::Store,
        CrosswireError::IdentityChanged { .. } | CrosswireError::Account { .. } => Status::Account,
        CrosswireError::InvalidArgument { .. } => Status::InvalidArgument,
        CrosswireError::Internal { .. } => Status::Internal,
    }
}

/// Runs `f`, turning its error or panic into a status and the thread's last error.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> Status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Status::Ok,
        Ok(Err(e)) => {
            set_last_error(&e.to_string(), e.code());
            status(&e)
        }
        Err(_) => {
            set_last_error("internal: crosswire panicked", codes::PANIC);
            Status::Panic
        }
    }
}

/// # Safety
/// `p` is null or a handle of type `T` handed out by this library and not yet freed.
pub(crate) unsafe fn handle<'a, T>(p: *const T) -> Result<&'a T> {
    // SAFETY: by the caller's contract a non-null `p` points to a live `T` inside an `Arc`.
    unsafe { p.as_ref() }.ok_or_else(|| CrosswireError::invalid("null handle"))
}

/// A new reference to the object behind a nullable handle, for APIs that take `Option<Arc<T>>`.
///
/// # Safety
/// As [`handle`].
pub(crate) unsafe fn optional_arc<T>(p: *const T) -> Option<Arc<T>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` came from `Arc::into_raw` and the caller still holds its reference, so the
    // count is at least one; incrementing first keeps that reference valid after `from_raw`.
    unsafe {
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}

/// # Safety
/// `ptr` is null (then `len` must be 0) or points to `len` readable bytes for the call.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(CrosswireError::invalid("null buffer with a nonzero length"));
    }
    // No buffer is longer (a slice beyond it is undefined behaviour, and Rust's checks abort):
    // such a length is a caller's bug, refused like a null pointer.
    if isize::try_from(len).is_err() {
        return Err(CrosswireError::invalid("buffer length beyond isize::MAX"));
    }
    // SAFETY: non-null, at most isize::MAX and, by the caller's contract, `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// [`bytes`] for an input the core bounds: longer than `max` is `too_long` before anything is
/// copied, so a huge length costs nothing.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn bounded<'a>(
    ptr: *const u8,
    len: usize,
    max: usize,
    too_long: impl FnOnce() -> CrosswireError,
) -> Result<&'a [u8]> {
    if len > max {
        return Err(too_long());
    }
    // SAFETY: forwarded contract.
    unsafe { bytes(ptr, len) }
}

/// An envelope, refused as `wire.too_large` beyond the core's bound before it is read.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn envelope_bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8]> {
    // SAFETY: forwarded contract.
    unsafe {
        bounded(ptr, len, crosswire::MAX_ENVELOPE_LEN, || {
            crosswire::WireError::TooLarge.into()
        })
    }
}

/// A session's context, refused as `context.too_large` beyond the core's bound before it is
/// read.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn context_bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8]> {
    // SAFETY: forwarded contract.
    unsafe {
        bounded(ptr, len, crosswire::MAX_CONTEXT_LEN, || {
            crosswire::Error::ContextTooLarge.into()
        })
    }
}

/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text(ptr: *const c_char, len: usize) -> Result<String> {
    // SAFETY: forwarded contract.
    let raw = unsafe { bytes(ptr.cast::<u8>(), len) }?;
    String::from_utf8(raw.to_vec()).map_err(|_| CrosswireError::invalid("string is not UTF-8"))
}

/// # Safety
/// `out` is null or valid for one write of `T`.
pub(crate) unsafe fn write<T>(out: *mut T, value: T) -> Result<()> {
    if out.is_null() {
        return Err(CrosswireError::invalid("null output pointer"));
    }
    // SAFETY: non-null and, by the caller's contract, writable; the old value (uninitialized
    // memory) is not dropped.
    unsafe { out.write(value) };
    Ok(())
}

/// # Safety
/// As [`write`].
pub(crate) unsafe fn write_handle<T>(out: *mut *const T, value: Arc<T>) -> Result<()> {
    if out.is_null() {
        return Err(CrosswireError::invalid("null output pointer"));
    }
    // SAFETY: as `write`; the reference is transferred to the caller.
    unsafe { out.write(Arc::into_raw(value)) };
    Ok(())
}

/// # Safety
/// `p` is null or a handle of type `T` not yet freed; it must not be used afterwards.
pub(crate) unsafe fn release<T>(p: *const T) {
    if !p.is_null() {
        // SAFETY: `p` came from `Arc::into_raw`; this gives back the caller's reference.
        drop(unsafe { Arc::from_raw(p) });
    }
}

/// The shape of most getters: one handle in, one value out, computed by `f`. The output is
/// checked before `f` runs, so `f` may hand out references (`Arc::into_raw`) safely.
///
/// # Safety
/// `h` is null or a live handle; `out` is null or valid for a write.
pub(crate) unsafe fn query<H, T>(
    h: *const H,
    out: *mut T,
    f: impl FnOnce(&H) -> Result<T>,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let value = f(unsafe { handle(h) }?)?;
        // SAFETY: checked non-null above; writable by the caller's contract.
        unsafe { write(out, value) }
    })
}

/// Checks every output pointer before any work, so a call with a null output changes nothing
/// (a session must not advance for an envelope nobody receives).
pub(crate) fn non_null<T>(out: *mut T) -> Result<()> {
    if out.is_null() {
        return Err(CrosswireError::invalid("null output pointer"));
    }
    Ok(())
}

/// The description of the last failure on this thread, or null if none, for logs. Valid until
/// the next failing `cw_*` call on the same thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn cw_last_error() -> *const c_char {
    LAST_ERROR.with(|e| {
        e.borrow()
            .as_ref()
            .map_or(std::ptr::null(), |l| l.message.as_ptr())
    })
}

/// The stable code of the last failure on this thread (`"decrypt.duplicate_or_expired"`,
/// `"store.wrong_key"`, ...; SPEC.md 1.1 and 14.14, plus `binding.*`), or null if none. Compare
/// it with `strcmp`; it is what an application acts on, the status only says the area. Valid
/// until the next failing `cw_*` call on the same thread; do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn cw_last_error_code() -> *const c_char {
    LAST_ERROR.with(|e| {
        e.borrow()
            .as_ref()
            .map_or(std::ptr::null(), |l| l.code.as_ptr())
    })
}

/// Wipes and releases bytes the library handed out. Accepts `{NULL, 0}`.
///
/// # Safety
/// `bytes` was set by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bytes_free(bytes: Bytes) {
    if bytes.ptr.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `ptr`/`len` came from `Bytes::from_vec`, a leaked `Box<[u8]>`.
        let mut boxed =
            unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes.ptr, bytes.len)) };
        boxed.zeroize();
    }));
}

// ---------------------------------------------------------------------------- keys ----

/// A fresh identity key pair.
///
/// # Safety
/// `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_identity_generate(out: *mut *const IdentityKeyPair) -> Status {
    // SAFETY: forwarded contract.
    guard(|| unsafe { write_handle(out, IdentityKeyPair::generate()) })
}

/// The 32-byte public identity key.
///
/// # Safety
/// `identity` is a live handle; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_identity_public_key(
    identity: *const IdentityKeyPair,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let identity = unsafe { handle(identity) }?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(identity.public_key())) }
    })
}

/// Releases an identity.
///
/// # Safety
/// `identity` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_identity_free(identity: *const IdentityKeyPair) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(identity) });
}

/// A fresh signed prekey with id `id`, signed by `identity`.
///
/// # Safety
/// `identity` is a live handle; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_signed_prekey_generate(
    identity: *const IdentityKeyPair,
    id: u32,
    out: *mut *const SignedPreKey,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let identity = unsafe { handle(identity) }?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, SignedPreKey::generate(identity, id)) }
    })
}

/// Releases a signed prekey.
///
/// # Safety
/// `key` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_signed_prekey_free(key: *const SignedPreKey) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(key) });
}

/// A fresh one-time prekey with id `id`.
///
/// # Safety
/// `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_one_time_prekey_generate(
    id: u32,
    out: *mut *const OneTimePreKey,
) -> Status {
    // SAFETY: forwarded contract.
    guard(|| unsafe { write_handle(out, OneTimePreKey::generate(id)) })
}

/// Releases a one-time prekey.
///
/// # Safety
/// `key` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_one_time_prekey_free(key: *const OneTimePreKey) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(key) });
}

// -------------------------------------------------------------------------- bundles ----

/// The classical bundle of `identity` with `signed_prekey` and, if not null,
/// `one_time_prekey`; [`cw_session_initiate`] refuses it (`bundle.classical_only`). PQXDH
/// bundles: [`cw_bundle_new_pq`](crate::c_pq::cw_bundle_new_pq).
///
/// # Safety
/// The handles are live (`one_time_prekey` may be null); `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_new(
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    out: *mut *const PreKeyBundle,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract (all three handles).
        let (identity, spk, opk) = unsafe {
            (
                handle(identity)?,
                handle(signed_prekey)?,
                optional_arc(one_time_prekey),
            )
        };
        let bundle = PreKeyBundle::new(identity, spk, opk, None)?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, bundle) }
    })
}

/// Decodes a bundle and verifies its signature.
///
/// # Safety
/// `ptr`/`len` is a readable buffer; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_from_bytes(
    ptr: *const u8,
    len: usize,
    out: *mut *const PreKeyBundle,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let raw = unsafe { bytes(ptr, len) }?;
        let bundle = PreKeyBundle::from_bytes(raw.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, bundle) }
    })
}

/// The bundle's encoding, to publish.
///
/// # Safety
/// `bundle` is a live handle; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_to_bytes(
    bundle: *const PreKeyBundle,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let bundle = unsafe { handle(bundle) }?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(bundle.to_bytes())) }
    })
}

/// Releases a bundle.
///
/// # Safety
/// `bundle` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_free(bundle: *const PreKeyBundle) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(bundle) });
}

// ------------------------------------------------------------------------- sessions ----

/// Starts a session with the owner of `bundle`: PQXDH, as the bundle carries a KEM prekey; a
/// classical bundle is `CW_STATUS_BUNDLE` with code `bundle.classical_only` (see
/// [`cw_session_initiate_with`](crate::c_pq::cw_session_initiate_with)). `context` (may be
/// empty) is associated data both sides agree on.
///
/// # Safety
/// The handles are live; `context`/`context_len` is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_initiate(
    identity: *const IdentityKeyPair,
    bundle: *const PreKeyBundle,
    context: *const u8,
    context_len: usize,
    out: *mut *const Session,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (identity, bundle, context) = unsafe {
            (
                handle(identity)?,
                handle(bundle)?,
                context_bytes(context, context_len)?,
            )
        };
        let session = Session::initiate(identity, bundle, context.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, session) }
    })
}

/// Accepts a session from its first classical (X3DH) message (a prekey envelope), given the
/// prekeys it names; `one_time_prekey` may be null. Sets the new session and the message's
/// plaintext. A PQXDH message is `decrypt.session_mismatch` here: use
/// [`cw_session_respond_with`](crate::c_pq::cw_session_respond_with).
///
/// # Safety
/// The handles are live; the buffers are readable; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_respond(
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    envelope: *const u8,
    envelope_len: usize,
    context: *const u8,
    context_len: usize,
    out_session: *mut *const Session,
    out_plaintext: *mut Bytes,
) -> Status {
    let first = FirstMessage::classical(
        identity,
        signed_prekey,
        one_time_prekey,
        (envelope, envelope_len),
        (context, context_len),
    );
    // SAFETY: forwarded contract.
    unsafe { first.respond_plaintext(out_session, out_plaintext) }
}

/// [`cw_session_respond`] for a first message that carries content.
///
/// # Safety
/// As [`cw_session_respond`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_respond_content(
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    envelope: *const u8,
    envelope_len: usize,
    context: *const u8,
    context_len: usize,
    out_session: *mut *const Session,
    out_content: *mut *const Content,
) -> Status {
    let first = FirstMessage::classical(
        identity,
        signed_prekey,
        one_time_prekey,
        (envelope, envelope_len),
        (context, context_len),
    );
    // SAFETY: forwarded contract.
    unsafe { first.respond_content(out_session, out_content) }
}

/// Encrypts a message; sets the envelope to send.
///
/// # Safety
/// `session` is live; the buffer is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_encrypt(
    session: *const Session,
    plaintext: *const u8,
    plaintext_len: usize,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (session, plaintext) = unsafe { (handle(session)?, bytes(plaintext, plaintext_len)?) };
        let envelope = session.encrypt(plaintext.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(envelope)) }
    })
}

/// Decrypts an envelope; sets the plaintext.
///
/// # Safety
/// `session` is live; the buffer is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_decrypt(
    session: *const Session,
    envelope: *const u8,
    envelope_len: usize,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (session, envelope) =
            unsafe { (handle(session)?, envelope_bytes(envelope, envelope_len)?) };
        let plaintext = session.decrypt(envelope.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(plaintext)) }
    })
}

/// Encrypts content; sets the envelope to send.
///
/// # Safety
/// The handles are live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_encrypt_content(
    session: *const Session,
    content: *const Content,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (session, content) = unsafe { (handle(session)?, handle(content)?) };
        let envelope = session.encrypt_content(content)?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(envelope)) }
    })
}

/// Decrypts an envelope that carries content; sets the content.
///
/// # Safety
/// `session` is live; the buffer is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_decrypt_content(
    session: *const Session,
    envelope: *const u8,
    envelope_len: usize,
    out: *mut *const Content,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (session, envelope) =
            unsafe { (handle(session)?, envelope_bytes(envelope, envelope_len)?) };
        let content = session.decrypt_content(envelope.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, content) }
    })
}

/// The session state (secrets included) for storage the application provides.
///
/// # Safety
/// `session` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_to_bytes(session: *const Session, out: *mut Bytes) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let state = unsafe { handle(session) }?.to_bytes()?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(state)) }
    })
}

/// Loads a session saved with [`cw_session_to_bytes`].
///
/// # Safety
/// The buffer is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_from_bytes(
    ptr: *const u8,
    len: usize,
    out: *mut *const Session,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let state = unsafe { bytes(ptr, len) }?;
        let session = Session::from_bytes(state.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, session) }
    })
}

/// Releases a session.
///
/// # Safety
/// `session` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_free(session: *const Session) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(session) });
}

// ---------------------------------------------------------------------- attachments ----

/// Encrypts an attachment under a fresh key; sets the ciphertext to upload and the sealed
/// attachment to send in content.
///
/// # Safety
/// The buffer is readable; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_encrypt_attachment(
    plaintext: *const u8,
    plaintext_len: usize,
    out_ciphertext: *mut Bytes,
    out_sealed: *mut *const SealedAttachment,
) -> Status {
    guard(|| {
        non_null(out_ciphertext)?;
        non_null(out_sealed)?;
        // SAFETY: forwarded contract.
        let plaintext = unsafe { bytes(plaintext, plaintext_len) }?;
        let encrypted = crate::api::encrypt_attachment(plaintext.to_vec())?;
        // SAFETY: both checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_ciphertext, Bytes::from_vec(encrypted.ciphertext))?;
            write_handle(out_sealed, encrypted.sealed)
        }
    })
}

/// Decrypts a downloaded attachment; sets the plaintext only if every check passes.
///
/// # Safety
/// `sealed` is live; the buffer is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_decrypt_attachment(
    sealed: *const SealedAttachment,
    ciphertext: *const u8,
    ciphertext_len: usize,
    out: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (sealed, ciphertext) = unsafe { (handle(sealed)?, bytes(ciphertext, ciphertext_len)?) };
        let plaintext = crate::api::decrypt_attachment(sealed, ciphertext.to_vec())?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(plaintext)) }
    })
}

/// Releases a sealed attachment.
///
/// # Safety
/// `sealed` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_sealed_attachment_free(sealed: *const SealedAttachment) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(sealed) });
}

// -------------------------------------------------------------------------- content ----

/// A text message (`text`/`text_len`: UTF-8, not NUL-terminated).
///
/// # Safety
/// The buffer is readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_content_text(
    text_ptr: *const c_char,
    text_len: usize,
    out: *mut *const Content,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let body = unsafe { text(text_ptr, text_len) }?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, Content::new_text(body)) }
    })
}

/// An attachment message: `sealed` from [`cw_encrypt_attachment`], the MIME type and the
/// locator (where the ciphertext was uploaded), both UTF-8.
///
/// # Safety
/// `sealed` is live; the buffers are readable; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_content_attachment(
    sealed: *const SealedAttachment,
    content_type: *const c_char,
    content_type_len: usize,
    locator: *const c_char,
    locator_len: usize,
    out: *mut *const Content,
) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let (sealed, content_type, locator) = unsafe {
            (
                handle(sealed)?,
                text(content_type, content_type_len)?,
                text(locator, locator_len)?,
            )
        };
        let content = Content::new_attachment(sealed, content_type, locator)?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, content) }
    })
}

/// What `content` is; `CW_CONTENT_KIND_UNDECODABLE` for a null handle.
///
/// # Safety
/// `content` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_content_kind(content: *const Content) -> ContentKind {
    // SAFETY: forwarded contract.
    catch_unwind(|| unsafe { handle(content) }.map(Content::kind))
        .ok()
        .and_then(|k| k.ok())
        .unwrap_or(ContentKind::Undecodable)
}

/// The UTF-8 text of a text message (`CW_STATUS_CONTENT` for another kind).
///
/// # Safety
/// `content` is live; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_content_get_text(content: *const Content, out: *mut Bytes) -> Status {
    guard(|| {
        // SAFETY: forwarded contract.
        let body = unsafe { handle(content) }?
            .text_body()
            .ok_or(crosswire::ContentError::Malformed)?;
        // SAFETY: forwarded contract.
        unsafe { write(out, Bytes::from_vec(body.into_bytes())) }
    })
}

/// The sealed attachment and the UTF-8 locator of an attachment message
/// (`CW_STATUS_CONTENT` for another kind).
///
/// # Safety
/// `content` is live; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_content_get_attachment(
    content: *const Content,
    out_sealed: *mut *const SealedAttachment,
    out_locator: *mut Bytes,
) -> Status {
    guard(|| {
        non_null(out_sealed)?;
        non_null(out_locator)?;
        // SAFETY: forwarded contract.
        let content = unsafe { handle(content) }?;
        let (sealed, locator) = content
            .sealed_attachment()
            .zip(content.attachment_locator())
            .ok_or(crosswire::ContentError::Malformed)?;
        // SAFETY: both checked non-null above; writable by the caller's contract.
        unsafe {
            write(out_locator, Bytes::from_vec(locator.into_bytes()))?;
            write_handle(out_sealed, sealed)
        }
    })
}

/// Releases content.
///
/// # Safety
/// `content` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_content_free(content: *const Content) {
    // SAFETY: forwarded contract.
    let _ = catch_unwind(|| unsafe { release(content) });
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    fn last_code() -> Option<String> {
        let p = cw_last_error_code();
        // SAFETY: non-null pointers from cw_last_error_code are NUL-terminated and live until
        // the next failure on this thread.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_code_not_an_abort() {
        let status = guard(|| panic!("a bug"));
        assert_eq!(status, Status::Panic);
        assert_eq!(last_code().as_deref(), Some("binding.panic"));
    }

    #[test]
    fn the_code_is_the_core_errors_and_is_per_thread() {
        std::thread::spawn(|| {
            assert_eq!(last_code(), None);
            let status = guard(|| {
                Err(crosswire::Error::Decrypt(crosswire::DecryptError::DuplicateOrExpired).into())
            });
            assert_eq!(status, Status::Decrypt);
            assert_eq!(last_code().as_deref(), Some("decrypt.duplicate_or_expired"));
            // A null handle: refused, with the binding's own code.
            let mut out = Bytes {
                ptr: std::ptr::null_mut(),
                len: 0,
            };
            // SAFETY: a null handle is part of the contract; `out` is writable.
            let status = unsafe { cw_identity_public_key(std::ptr::null(), &mut out) };
            assert_eq!(status, Status::InvalidArgument);
            assert!(out.ptr.is_null());
            assert_eq!(last_code().as_deref(), Some("binding.invalid_argument"));
        })
        .join()
        .expect("thread");
    }
}
