//! Errors at the boundary: one `CrosswireError` exception class with a subclass per area (the
//! same classes and attribute names as the UniFFI binding: `CrosswireError.Decrypt`, ...), each
//! instance carrying the stable `code` of SPEC.md 1.1 and 14.14, and panics caught before they
//! reach Python.

use std::ffi::CStr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crosswire::account::AccountError;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyType};

/// The areas, in the order of [`AREAS`]; each is one exception subclass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Key,
    Bundle,
    Wire,
    Decrypt,
    Encrypt,
    State,
    Content,
    Media,
    Store,
    IdentityChanged,
    Account,
    InvalidArgument,
    Internal,
}

/// Per area: the subclass's attribute name on `CrosswireError`, its qualified name, and the
/// prefix of its message (the UniFFI binding's `Display`).
const AREAS: [(Area, &str, &CStr, &str); 13] = [
    (Area::Key, "Key", c"crosswire.CrosswireError.Key", "key"),
    (
        Area::Bundle,
        "Bundle",
        c"crosswire.CrosswireError.Bundle",
        "bundle",
    ),
    (Area::Wire, "Wire", c"crosswire.CrosswireError.Wire", "wire"),
    (
        Area::Decrypt,
        "Decrypt",
        c"crosswire.CrosswireError.Decrypt",
        "decrypt",
    ),
    (
        Area::Encrypt,
        "Encrypt",
        c"crosswire.CrosswireError.Encrypt",
        "encrypt",
    ),
    (
        Area::State,
        "State",
        c"crosswire.CrosswireError.State",
        "state",
    ),
    (
        Area::Content,
        "Content",
        c"crosswire.CrosswireError.Content",
        "content",
    ),
    (
        Area::Media,
        "Media",
        c"crosswire.CrosswireError.Media",
        "media",
    ),
    (
        Area::Store,
        "Store",
        c"crosswire.CrosswireError.Store",
        "store",
    ),
    (
        Area::IdentityChanged,
        "IdentityChanged",
        c"crosswire.CrosswireError.IdentityChanged",
        "identity changed",
    ),
    (
        Area::Account,
        "Account",
        c"crosswire.CrosswireError.Account",
        "account",
    ),
    (
        Area::InvalidArgument,
        "InvalidArgument",
        c"crosswire.CrosswireError.InvalidArgument",
        "invalid argument",
    ),
    (
        Area::Internal,
        "Internal",
        c"crosswire.CrosswireError.Internal",
        "internal",
    ),
];

/// Codes of the failures that exist only at this boundary (the core's own codes cover the rest).
pub(crate) const CODE_PANIC: &str = "binding.panic";
/// An object whose lock a panic poisoned: its state may be half-updated, so it is refused.
pub(crate) const CODE_POISONED: &str = "binding.poisoned";
/// A bad argument the core never sees (a storage key that is not 32 bytes); the wasm binding
/// uses the same code.
pub(crate) const CODE_INVALID_ARGUMENT: &str = "binding.invalid_argument";

/// The remote device and both identity keys of `AccountError::IdentityChanged`.
#[derive(Debug)]
struct Changed {
    user: String,
    device: u32,
    trusted: [u8; 32],
    received: [u8; 32],
}

/// A failed call, not yet a Python exception (building one needs the interpreter).
#[derive(Debug)]
pub(crate) struct Failure {
    area: Area,
    code: &'static str,
    reason: String,
    changed: Option<Box<Changed>>,
}

/// The name of an error variant with its payload, from its `Debug` form (what the UniFFI binding
/// calls `reason`); no crosswire error carries a secret.
fn reason(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

impl Failure {
    pub(crate) fn new(area: Area, code: &'static str, reason: impl Into<String>) -> Self {
        Failure {
            area,
            code,
            reason: reason.into(),
            changed: None,
        }
    }

    fn panic() -> Self {
        Failure::new(Area::Internal, CODE_PANIC, "crosswire panicked")
    }

    /// Builds the exception: an instance of the area's subclass with `code` and `reason` (and,
    /// for a changed identity, `user`, `device`, `trusted` and `received`) set.
    fn raise(self, py: Python<'_>) -> PyErr {
        self.build(py).unwrap_or_else(|e| e)
    }

    fn build(self, py: Python<'_>) -> PyResult<PyErr> {
        let (_, _, _, prefix) = AREAS[self.area as usize];
        let ty = types(py)?.areas[self.area as usize].bind(py);
        let exc = ty.call1((format!("{prefix}: {}", self.reason),))?;
        exc.setattr("code", self.code)?;
        exc.setattr("reason", self.reason)?;
        if let Some(c) = self.changed {
            exc.setattr("user", c.user)?;
            exc.setattr("device", c.device)?;
            exc.setattr("trusted", PyBytes::new(py, &c.trusted))?;
            exc.setattr("received", PyBytes::new(py, &c.received))?;
        }
        Ok(PyErr::from_value(exc))
    }
}

impl From<crosswire::Error> for Failure {
    fn from(e: crosswire::Error) -> Self {
        use crosswire::Error as E;
        let code = e.code();
        // Same areas as bindings/ffi/src/error.rs, so both bindings raise the same class.
        let (area, why) = match &e {
            E::Key(k) => (Area::Key, reason(k)),
            // An ML-KEM key or KEM prekey that is not acceptable is a key error too.
            E::Kem(k) => (Area::Key, reason(k)),
            E::Bundle(b) => (Area::Bundle, reason(b)),
            E::Wire(w) => (Area::Wire, reason(w)),
            E::Decrypt(d) => (Area::Decrypt, reason(d)),
            E::Encrypt(x) => (Area::Encrypt, reason(x)),
            E::State(s) => (Area::State, reason(s)),
            E::ContextTooLarge => (Area::InvalidArgument, "ContextTooLarge".to_owned()),
            E::Content(c) => (Area::Content, reason(c)),
            E::Media(m) => (Area::Media, reason(m)),
            // `Error` is non-exhaustive: a variant added later still crosses typed, with its code.
            other => (Area::Internal, reason(other)),
        };
        Failure::new(area, code, why)
    }
}

macro_rules! from_core {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Self {
                crosswire::Error::from(e).into()
            }
        }
    )*};
}
from_core!(
    crosswire::BundleError,
    crosswire::WireError,
    crosswire::KeyError,
    crosswire::StateError,
    crosswire::ContentError,
    crosswire::MediaError
);

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        let code = e.code();
        match e {
            AccountError::Store(s) => Failure::new(Area::Store, code, reason(s)),
            AccountError::Crypto(c) => c.into(),
            AccountError::IdentityChanged {
                address,
                trusted,
                received,
            } => Failure {
                area: Area::IdentityChanged,
                code,
                reason: address.user().to_owned(),
                changed: Some(Box::new(Changed {
                    user: address.user().to_owned(),
                    device: address.device(),
                    trusted: *trusted.as_bytes(),
                    received: *received.as_bytes(),
                })),
            },
            other => Failure::new(Area::Account, code, reason(other)),
        }
    }
}

impl From<crosswire::store::StoreError> for Failure {
    fn from(e: crosswire::store::StoreError) -> Self {
        AccountError::Store(e).into()
    }
}

/// The exception classes, created once per interpreter.
struct Types {
    base: Py<PyType>,
    areas: Vec<Py<PyType>>,
}

static TYPES: PyOnceLock<Types> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&'static Types> {
    TYPES.get_or_try_init(py, || {
        let base = PyErr::new_type(
            py,
            c"crosswire.CrosswireError",
            Some(c"A crosswire call failed. `code` is the stable error code (SPEC.md 1.1, 14.14); `reason` names the cause; the subclass (CrosswireError.Decrypt, ...) is its area."),
            Some(&py.get_type::<PyException>()),
            None,
        )?;
        let mut areas = Vec::with_capacity(AREAS.len());
        for (_, attr, name, _) in AREAS {
            let ty = PyErr::new_type(py, name, None, Some(base.bind(py)), None)?;
            // `CrosswireError.Decrypt` etc., the spelling the UniFFI binding uses.
            base.bind(py).setattr(attr, ty.bind(py))?;
            areas.push(ty);
        }
        Ok(Types { base, areas })
    })
}

/// Adds `CrosswireError` (its subclasses hang off it) to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CrosswireError", types(m.py())?.base.bind(m.py()))
}

/// Runs `f` with the interpreter held; its error becomes the typed exception and a panic
/// becomes `CrosswireError.Internal` (`binding.panic`) instead of unwinding into CPython.
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> Result<T, Failure>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.raise(py)),
        Err(_) => Err(Failure::panic().raise(py)),
    }
}

/// [`guard`] with the interpreter released while `f` runs, for calls that do I/O (the SQLite
/// store) or work on large buffers, so other Python threads run meanwhile.
pub(crate) fn guard_detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, Failure> + Send,
) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.raise(py)),
        Err(_) => Err(Failure::panic().raise(py)),
    }
}

/// Wipes a secret argument once the call is done with it. `bytes` arrive borrowed (Python owns
/// that memory); a `bytearray` arrives as a copy of ours, which must not outlive the call.
pub(crate) fn wipe(bytes: std::borrow::Cow<'_, [u8]>) {
    if let std::borrow::Cow::Owned(mut copy) = bytes {
        zeroize::Zeroize::zeroize(&mut copy);
    }
}

/// Locks `m`; a lock poisoned by an earlier panic is refused, because the state behind it may be
/// half-updated.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, Failure> {
    m.lock().map_err(|_| {
        Failure::new(
            Area::Internal,
            CODE_POISONED,
            "object poisoned by an earlier panic",
        )
    })
}
