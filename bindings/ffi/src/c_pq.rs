//! PQXDH in the C ABI (SPEC.md 15): KEM prekeys, post-quantum bundles, the initiator's policy
//! and the responder that takes the KEM prekey a first message names, with the conventions of
//! [`crate::c_api`]. The policy crosses as `bool allow_classical` (false: the default,
//! post-quantum required), never as a C enum, whose out-of-range values Rust could not accept.
//! Envelope and context lengths beyond the core's bounds are refused before anything is read
//! (`wire.too_large`, `context.too_large`).

use std::sync::Arc;

use crate::api::{Content, IdentityKeyPair, OneTimePreKey, PreKeyBundle, Session, SignedPreKey};
use crate::c_api::{
    Bytes, Status, context_bytes, envelope_bytes, guard, handle, non_null, optional_arc, release,
    write, write_handle,
};
use crate::error::CrosswireError;
use crate::pq::{KemPreKey, KemPreKeyKind, PostQuantum, respond_with};
use crosswire_glue::Responder;

fn policy(allow_classical: bool) -> PostQuantum {
    if allow_classical {
        PostQuantum::Allowed
    } else {
        PostQuantum::Required
    }
}

/// A fresh KEM prekey (ML-KEM-1024) with id `id` (one id space for both kinds), signed by
/// `identity`: one-time if `one_time`, else the last-resort kind.
///
/// # Safety
/// `identity` is a live handle; `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_kem_prekey_generate(
    identity: *const IdentityKeyPair,
    id: u32,
    one_time: bool,
    out: *mut *const KemPreKey,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let identity = unsafe { handle(identity) }?;
        let kind = if one_time {
            KemPreKeyKind::OneTime
        } else {
            KemPreKeyKind::LastResort
        };
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, KemPreKey::generate(identity, id, kind)) }
    })
}

/// Releases a KEM prekey.
///
/// # Safety
/// `key` is null or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_kem_prekey_free(key: *const KemPreKey) {
    // SAFETY: forwarded contract.
    let _ = std::panic::catch_unwind(|| unsafe { release(key) });
}

/// The post-quantum (version 2) bundle of `identity` with `signed_prekey`, `kem_prekey` and,
/// if not null, `one_time_prekey`.
///
/// # Safety
/// The handles are live (`one_time_prekey` may be null); `out` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_bundle_new_pq(
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    kem_prekey: *const KemPreKey,
    out: *mut *const PreKeyBundle,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract (all four handles).
        let (identity, spk, opk, kem) = unsafe {
            (
                handle(identity)?,
                handle(signed_prekey)?,
                optional_arc(one_time_prekey),
                optional_arc(kem_prekey),
            )
        };
        let kem = kem.ok_or_else(|| CrosswireError::invalid("null handle"))?;
        let bundle = PreKeyBundle::new(identity, spk, opk, Some(kem))?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, bundle) }
    })
}

/// [`cw_session_initiate`](crate::c_api::cw_session_initiate) with a policy: `allow_classical`
/// accepts a bundle without a KEM prekey (X3DH); a bundle with one always gets PQXDH.
///
/// # Safety
/// As [`cw_session_initiate`](crate::c_api::cw_session_initiate).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_initiate_with(
    identity: *const IdentityKeyPair,
    bundle: *const PreKeyBundle,
    context: *const u8,
    context_len: usize,
    allow_classical: bool,
    out: *mut *const Session,
) -> Status {
    guard(|| {
        non_null(out)?;
        // SAFETY: forwarded contract.
        let (identity, bundle, context) = unsafe {
            (
                handle(identity)?,
                handle(bundle)?,
                context_bytes(context, context_len)?,
            )
        };
        let session =
            Session::initiate_with(identity, bundle, context.to_vec(), policy(allow_classical))?;
        // SAFETY: forwarded contract.
        unsafe { write_handle(out, session) }
    })
}

/// Accepts a session from its first message, PQXDH or classical, given the prekeys it names
/// (`kem_prekey` from [`cw_envelope_kem_prekey_id`]; `one_time_prekey` and `kem_prekey` may be
/// null): any other combination is `decrypt.session_mismatch`, a classical message without
/// `allow_classical` is `decrypt.classical_only`. Sets the new session and the plaintext.
/// Delete a one-time prekey, X25519 or KEM, when storing the session.
///
/// # Safety
/// The handles are live; the buffers are readable; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_respond_with(
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    kem_prekey: *const KemPreKey,
    envelope: *const u8,
    envelope_len: usize,
    context: *const u8,
    context_len: usize,
    allow_classical: bool,
    out_session: *mut *const Session,
    out_plaintext: *mut Bytes,
) -> Status {
    let first = FirstMessage {
        identity,
        signed_prekey,
        one_time_prekey,
        kem_prekey,
        envelope: (envelope, envelope_len),
        context: (context, context_len),
        policy: policy(allow_classical),
    };
    // SAFETY: forwarded contract.
    unsafe { first.respond_plaintext(out_session, out_plaintext) }
}

/// [`cw_session_respond_with`] for a first message that carries content.
///
/// # Safety
/// As [`cw_session_respond_with`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_session_respond_content_with(
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    kem_prekey: *const KemPreKey,
    envelope: *const u8,
    envelope_len: usize,
    context: *const u8,
    context_len: usize,
    allow_classical: bool,
    out_session: *mut *const Session,
    out_content: *mut *const Content,
) -> Status {
    let first = FirstMessage {
        identity,
        signed_prekey,
        one_time_prekey,
        kem_prekey,
        envelope: (envelope, envelope_len),
        context: (context, context_len),
        policy: policy(allow_classical),
    };
    // SAFETY: forwarded contract.
    unsafe { first.respond_content(out_session, out_content) }
}

/// For a prekey message: sets `*out_id` to the id of the signed prekey it was sent to (the
/// `signed_prekey` to respond with). Another envelope is `decrypt.unexpected_message_type`.
///
/// # Safety
/// The buffer is readable; `out_id` is valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_envelope_signed_prekey_id(
    envelope: *const u8,
    envelope_len: usize,
    out_id: *mut u32,
) -> Status {
    guard(|| {
        non_null(out_id)?;
        // SAFETY: forwarded contract.
        let message = unsafe { first_message(envelope, envelope_len) }?;
        // SAFETY: checked non-null above; writable by the caller's contract.
        unsafe { write(out_id, message.signed_prekey_id().0) }
    })
}

/// For a prekey message that used a one-time prekey: sets `*out_present` and its id in
/// `*out_id`; one that used none sets `*out_present` to false and leaves `*out_id`. Another
/// envelope is `decrypt.unexpected_message_type`.
///
/// # Safety
/// The buffer is readable; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_envelope_one_time_prekey_id(
    envelope: *const u8,
    envelope_len: usize,
    out_present: *mut bool,
    out_id: *mut u32,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        optional_id(envelope, envelope_len, out_present, out_id, |m| {
            m.one_time_prekey_id().map(|id| id.0)
        })
    }
}

/// For a PQXDH prekey message: sets `*out_present` and the id of the KEM prekey it names in
/// `*out_id`; a classical prekey message sets `*out_present` to false and leaves `*out_id`.
/// Another envelope is `decrypt.unexpected_message_type`.
///
/// # Safety
/// The buffer is readable; the outputs are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cw_envelope_kem_prekey_id(
    envelope: *const u8,
    envelope_len: usize,
    out_present: *mut bool,
    out_id: *mut u32,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        optional_id(envelope, envelope_len, out_present, out_id, |m| {
            m.kem_prekey_id().map(|id| id.0)
        })
    }
}

/// The prekey message in a C caller's envelope buffer.
///
/// # Safety
/// The buffer is readable.
unsafe fn first_message(
    envelope: *const u8,
    envelope_len: usize,
) -> Result<crosswire::PreKeyMessage, CrosswireError> {
    // SAFETY: forwarded contract.
    let envelope = unsafe { envelope_bytes(envelope, envelope_len) }?;
    Ok(crosswire_glue::prekey_message(envelope)?)
}

/// Sets `*out_present` and, when present, `*out_id` to the id `field` reads from the prekey
/// message in the buffer: the convention of every optional id in a first message.
///
/// # Safety
/// The buffer is readable; the outputs are valid for writes.
unsafe fn optional_id(
    envelope: *const u8,
    envelope_len: usize,
    out_present: *mut bool,
    out_id: *mut u32,
    field: fn(&crosswire::PreKeyMessage) -> Option<u32>,
) -> Status {
    guard(|| {
        non_null(out_present)?;
        non_null(out_id)?;
        // SAFETY: forwarded contract.
        let id = field(&unsafe { first_message(envelope, envelope_len) }?);
        // SAFETY: both checked non-null above; writable by the caller's contract.
        unsafe {
            if let Some(id) = id {
                write(out_id, id)?;
            }
            write(out_present, id.is_some())
        }
    })
}

/// The arguments every C responder takes, as the C caller passed them.
pub(crate) struct FirstMessage {
    identity: *const IdentityKeyPair,
    signed_prekey: *const SignedPreKey,
    one_time_prekey: *const OneTimePreKey,
    kem_prekey: *const KemPreKey,
    envelope: (*const u8, usize),
    context: (*const u8, usize),
    policy: PostQuantum,
}

impl FirstMessage {
    /// The classical responder's arguments: no KEM prekey, classical setup allowed (what the
    /// core's `Session::respond` does).
    pub(crate) fn classical(
        identity: *const IdentityKeyPair,
        signed_prekey: *const SignedPreKey,
        one_time_prekey: *const OneTimePreKey,
        envelope: (*const u8, usize),
        context: (*const u8, usize),
    ) -> Self {
        FirstMessage {
            identity,
            signed_prekey,
            one_time_prekey,
            kem_prekey: std::ptr::null(),
            envelope,
            context,
            policy: PostQuantum::Allowed,
        }
    }

    /// Responds, then sets `*out_session` and `*out_plaintext` (wiped by `cw_bytes_free`).
    ///
    /// # Safety
    /// As [`respond`](Self::respond).
    pub(crate) unsafe fn respond_plaintext(
        self,
        out_session: *mut *const Session,
        out_plaintext: *mut Bytes,
    ) -> Status {
        // SAFETY: forwarded contract.
        unsafe {
            self.respond(
                out_session,
                out_plaintext,
                crosswire::Session::respond_with,
                Bytes::from_vec,
            )
        }
    }

    /// Responds, then sets `*out_session` and `*out_content` (a `CwContent` handle; content
    /// that does not decode is `CW_CONTENT_KIND_UNDECODABLE`).
    ///
    /// # Safety
    /// As [`respond`](Self::respond).
    pub(crate) unsafe fn respond_content(
        self,
        out_session: *mut *const Session,
        out_content: *mut *const Content,
    ) -> Status {
        // SAFETY: forwarded contract.
        unsafe {
            self.respond(
                out_session,
                out_content,
                crosswire::Session::respond_content_with,
                |received| Arc::into_raw(Content::received(received)),
            )
        }
    }

    /// Responds with `core`, then sets `*out_session` and `*out` (what `core` returned, as
    /// `deliver` shapes it). Both outputs are checked first, so a null one changes nothing (no
    /// one-time prekey is spent on a session nobody receives).
    ///
    /// # Safety
    /// The handles are null or live, the buffers readable, the outputs null or writable.
    unsafe fn respond<P, T>(
        self,
        out_session: *mut *const Session,
        out: *mut T,
        core: Responder<P>,
        deliver: fn(P) -> T,
    ) -> Status {
        guard(|| {
            non_null(out_session)?;
            non_null(out)?;
            // SAFETY: forwarded contract (handles and buffers).
            let (identity, spk, opk, kem, envelope, context) = unsafe {
                (
                    handle(self.identity)?,
                    handle(self.signed_prekey)?,
                    self.one_time_prekey.as_ref(),
                    self.kem_prekey.as_ref(),
                    envelope_bytes(self.envelope.0, self.envelope.1)?,
                    context_bytes(self.context.0, self.context.1)?,
                )
            };
            let (session, first) = respond_with(
                identity,
                spk,
                opk,
                kem,
                envelope,
                context,
                self.policy,
                core,
            )?;
            // SAFETY: both checked non-null above; writable by the caller's contract.
            unsafe {
                write(out, deliver(first))?;
                write_handle(out_session, session)
            }
        })
    }
}
