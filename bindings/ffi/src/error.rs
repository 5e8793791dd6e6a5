//! The one error type every binding raises: a typed exception in Kotlin, Swift and Python, a
//! status code in C. Every variant carries the stable `code` of the core error (SPEC.md 1.1,
//! 14.14), the string applications match on; `reason` is for logs.

use core::fmt;

/// Codes of failures that only exist at the language boundary (bindings/README.md).
pub(crate) mod codes {
    /// An argument the core never saw: a null pointer, a string that is not UTF-8, a storage
    /// key that is not 32 bytes, a path too long.
    pub const INVALID_ARGUMENT: &str = "binding.invalid_argument";
    /// crosswire panicked (a bug); the call had no effect.
    pub const PANIC: &str = "binding.panic";
    /// The object was left unusable by an earlier panic.
    pub const POISONED: &str = "binding.poisoned";
}

/// Why a crosswire call failed. Each variant is one area of the core's errors; `code` is the
/// core error's stable code (`decrypt.duplicate_or_expired`, `store.wrong_key`,
/// `account.no_session`, ...; SPEC.md 1.1 and 14.14), never changed once published, and what an
/// application matches on. `reason` names the cause in Rust's terms, for logs only.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum CrosswireError {
    /// A key's bytes are not acceptable (`key.*`, and `kem.*` for ML-KEM keys).
    Key {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// A prekey bundle is malformed or its signature does not verify (`bundle.*`).
    Bundle {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// An envelope is malformed (`wire.*`).
    Wire {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// A message did not decrypt; the session is unchanged (`decrypt.*`:
    /// `decrypt.authentication_failed`, `decrypt.duplicate_or_expired`, ...).
    Decrypt {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// A message could not be encrypted; the session is unchanged (`encrypt.*`).
    Encrypt {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// A serialized session could not be loaded (`state.*`).
    State {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// Content could not be encoded or decoded (`content.*`).
    Content {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// An attachment could not be encrypted or decrypted (`media.*`).
    Media {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// The store failed: `store.wrong_key` (the storage key does not open it), `store.corrupt`,
    /// `store.busy` (locked by another connection for longer than the busy timeout),
    /// `store.newer_schema` or `store.io`. Nothing was written.
    Store {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// The remote device presents another identity key than the one trusted for it
    /// (`account.identity_changed`). Nothing was consumed; after the user compared safety
    /// numbers, call `trust_identity` and retry.
    IdentityChanged {
        /// The stable code, `account.identity_changed`.
        code: String,
        /// The remote user.
        user: String,
        /// The remote device.
        device: u32,
        /// The key trusted until now (32 bytes).
        trusted: Vec<u8>,
        /// The key the device now presents (32 bytes).
        received: Vec<u8>,
    },
    /// Another account-layer refusal (`account.*`): `account.no_session` (no usable session
    /// and no bundle given), `account.unknown_prekey`, `account.invalid_address`, ... Nothing
    /// was written.
    Account {
        /// The stable code.
        code: String,
        /// The cause, for logs.
        reason: String,
    },
    /// An argument is out of range: `context.too_large`, or `binding.invalid_argument` (a
    /// storage key that is not 32 bytes; in C also a null pointer or a string that is not
    /// UTF-8).
    InvalidArgument {
        /// The stable code.
        code: String,
        /// What was wrong.
        reason: String,
    },
    /// A bug: crosswire panicked (`binding.panic`), an object was left unusable by an earlier
    /// panic (`binding.poisoned`), or a core error this binding does not know yet (its own
    /// code). The call had no effect on the object's state.
    Internal {
        /// The stable code.
        code: String,
        /// What happened.
        reason: String,
    },
}

impl fmt::Display for CrosswireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (area, reason) = self.parts();
        write!(f, "{area}: {reason} ({})", self.code())
    }
}

impl std::error::Error for CrosswireError {}

impl CrosswireError {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            CrosswireError::Key { reason, .. } => ("key", reason),
            CrosswireError::Bundle { reason, .. } => ("bundle", reason),
            CrosswireError::Wire { reason, .. } => ("wire", reason),
            CrosswireError::Decrypt { reason, .. } => ("decrypt", reason),
            CrosswireError::Encrypt { reason, .. } => ("encrypt", reason),
            CrosswireError::State { reason, .. } => ("state", reason),
            CrosswireError::Content { reason, .. } => ("content", reason),
            CrosswireError::Media { reason, .. } => ("media", reason),
            CrosswireError::Store { reason, .. } => ("store", reason),
            CrosswireError::IdentityChanged { user, .. } => ("identity changed", user),
            CrosswireError::Account { reason, .. } => ("account", reason),
            CrosswireError::InvalidArgument { reason, .. } => ("invalid argument", reason),
            CrosswireError::Internal { reason, .. } => ("internal", reason),
        }
    }

    /// The stable code (SPEC.md 1.1, 14.14, or a `binding.*` code).
    pub fn code(&self) -> &str {
        match self {
            CrosswireError::Key { code, .. }
            | CrosswireError::Bundle { code, .. }
            | CrosswireError::Wire { code, .. }
            | CrosswireError::Decrypt { code, .. }
            | CrosswireError::Encrypt { code, .. }
            | CrosswireError::State { code, .. }
            | CrosswireError::Content { code, .. }
            | CrosswireError::Media { code, .. }
            | CrosswireError::Store { code, .. }
            | CrosswireError::IdentityChanged { code, .. }
            | CrosswireError::Account { code, .. }
            | CrosswireError::InvalidArgument { code, .. }
            | CrosswireError::Internal { code, .. } => code,
        }
    }

    pub(crate) fn internal(code: &str, reason: &str) -> Self {
        CrosswireError::Internal {
            code: code.to_owned(),
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn invalid(reason: &str) -> Self {
        CrosswireError::InvalidArgument {
            code: codes::INVALID_ARGUMENT.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// The variant's `Debug` form, e.g. `InvalidKey(LowOrder)`, which is what a log wants; no
/// secret is ever part of an error.
fn reason(e: impl fmt::Debug) -> String {
    format!("{e:?}")
}

impl From<crosswire::Error> for CrosswireError {
    fn from(e: crosswire::Error) -> Self {
        use crosswire::Error as E;
        let code = e.code().to_owned();
        match e {
            E::Key(k) => CrosswireError::Key {
                code,
                reason: reason(k),
            },
            // An ML-KEM key or KEM prekey that is not acceptable is a key error too.
            E::Kem(k) => CrosswireError::Key {
                code,
                reason: reason(k),
            },
            E::Bundle(b) => b.into(),
            E::Wire(w) => w.into(),
            E::Decrypt(d) => CrosswireError::Decrypt {
                code,
                reason: reason(d),
            },
            E::Encrypt(x) => CrosswireError::Encrypt {
                code,
                reason: reason(x),
            },
            E::State(s) => CrosswireError::State {
                code,
                reason: reason(s),
            },
            E::ContextTooLarge => CrosswireError::InvalidArgument {
                code,
                reason: "ContextTooLarge".to_owned(),
            },
            E::Content(c) => c.into(),
            E::Media(m) => m.into(),
            // `Error` is non-exhaustive: a variant added later still crosses as a typed error,
            // with its own code.
            other => CrosswireError::Internal {
                code,
                reason: reason(other),
            },
        }
    }
}

/// `From` for a core sub-error that maps onto one variant, its code from its own `code()`.
macro_rules! from_leaf {
    ($($core:ty => $variant:ident),* $(,)?) => {$(
        impl From<$core> for CrosswireError {
            fn from(e: $core) -> Self {
                CrosswireError::$variant {
                    code: e.code().to_owned(),
                    reason: reason(e),
                }
            }
        }
    )*};
}

from_leaf! {
    crosswire::BundleError => Bundle,
    crosswire::WireError => Wire,
    crosswire::KeyError => Key,
    crosswire::StateError => State,
    crosswire::ContentError => Content,
    crosswire::MediaError => Media,
    crosswire::store::StoreError => Store,
}

impl From<crosswire::account::AccountError> for CrosswireError {
    fn from(e: crosswire::account::AccountError) -> Self {
        use crosswire::account::AccountError as A;
        let code = e.code().to_owned();
        match e {
            A::Store(s) => s.into(),
            A::Crypto(c) => c.into(),
            A::IdentityChanged {
                address,
                trusted,
                received,
            } => CrosswireError::IdentityChanged {
                code,
                user: address.user().to_owned(),
                device: address.device(),
                trusted: trusted.as_bytes().to_vec(),
                received: received.as_bytes().to_vec(),
            },
            other => CrosswireError::Account {
                code,
                reason: reason(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crosswire::account::AccountError;
    use crosswire::store::StoreError;
    use crosswire::{DecryptError, Error, KeyError, MediaError, WireError};

    use super::*;

    /// Each error crosses with the code its core error reports, whatever the path it takes
    /// (directly, inside `Error`, inside `AccountError`).
    #[test]
    fn every_variant_carries_the_core_code() {
        let cases: Vec<(CrosswireError, &str)> = vec![
            (
                Error::Decrypt(DecryptError::DuplicateOrExpired).into(),
                "decrypt.duplicate_or_expired",
            ),
            (Error::ContextTooLarge.into(), "context.too_large"),
            (
                Error::Wire(WireError::InvalidKey(KeyError::LowOrder)).into(),
                "wire.key.low_order",
            ),
            (KeyError::InvalidLength.into(), "key.invalid_length"),
            (
                Error::Kem(crosswire::KemError::InvalidPublicKey).into(),
                "kem.invalid_public_key",
            ),
            (MediaError::DigestMismatch.into(), "media.digest_mismatch"),
            (
                AccountError::Store(StoreError::WrongKey).into(),
                "store.wrong_key",
            ),
            (AccountError::NoSession.into(), "account.no_session"),
            (
                AccountError::Crypto(Error::Decrypt(DecryptError::AuthenticationFailed)).into(),
                "decrypt.authentication_failed",
            ),
            (CrosswireError::invalid("null"), "binding.invalid_argument"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error:?}");
            assert!(error.to_string().ends_with(&format!("({code})")), "{error}");
        }
    }

    /// A KEM error is a key error (`CrosswireError.Key`, `CW_STATUS_KEY`), not an internal one.
    #[test]
    fn kem_errors_are_key_errors() {
        let e: CrosswireError = Error::Kem(crosswire::KemError::InvalidLength).into();
        assert!(matches!(e, CrosswireError::Key { .. }), "{e:?}");
    }
}
