//! The one error type every binding raises: a typed exception in Kotlin, Swift and Python, a
//! status code in C.

use core::fmt;

/// Why a crosswire call failed. Each variant is one area of the core's [`crosswire::Error`];
/// `reason` names the precise cause (for example `AuthenticationFailed`), stable across
/// releases, for logs and for the few cases where an application acts on it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum CrosswireError {
    /// A key's bytes are not acceptable.
    Key {
        /// The precise cause.
        reason: String,
    },
    /// A prekey bundle is malformed or its signature does not verify.
    Bundle {
        /// The precise cause.
        reason: String,
    },
    /// An envelope is malformed.
    Wire {
        /// The precise cause.
        reason: String,
    },
    /// A message did not decrypt; the session is unchanged.
    Decrypt {
        /// The precise cause: `AuthenticationFailed`, `DuplicateOrExpired`, `TooFarAhead`,
        /// `SessionMismatch` or `UnexpectedMessageType`.
        reason: String,
    },
    /// A message could not be encrypted; the session is unchanged.
    Encrypt {
        /// The precise cause.
        reason: String,
    },
    /// A serialized session could not be loaded.
    State {
        /// The precise cause.
        reason: String,
    },
    /// Content could not be encoded or decoded.
    Content {
        /// The precise cause.
        reason: String,
    },
    /// An attachment could not be encrypted or decrypted.
    Media {
        /// The precise cause.
        reason: String,
    },
    /// The store failed: `WrongKey` (the storage key does not open it), `Corrupt`, `Busy`
    /// (locked by another connection for longer than the busy timeout), `NewerSchema(n)`, or
    /// `Io(..)`. Nothing was written.
    Store {
        /// The precise cause.
        reason: String,
    },
    /// The remote device presents another identity key than the one trusted for it. Nothing
    /// was consumed; after the user compared safety numbers, call `trust_identity` and retry.
    IdentityChanged {
        /// The remote user.
        user: String,
        /// The remote device.
        device: u32,
        /// The key trusted until now (32 bytes).
        trusted: Vec<u8>,
        /// The key the device now presents (32 bytes).
        received: Vec<u8>,
    },
    /// Another account-layer refusal: `NoSession` (no usable session and no bundle given),
    /// `UnknownPreKey(id)`, `UnknownSignedPreKey(id)`, `InvalidAddress`, `AlreadyExists`,
    /// `NotFound`, `PreKeyIdsExhausted`, `InvalidSafetyNumber`. Nothing was written.
    Account {
        /// The precise cause.
        reason: String,
    },
    /// An argument is out of range (a context longer than the core accepts, a string that is
    /// not UTF-8 in C).
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },
    /// A bug: crosswire panicked, or an object was left unusable by an earlier panic. The call
    /// had no effect on the object's state.
    Internal {
        /// What happened.
        reason: String,
    },
}

impl fmt::Display for CrosswireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (area, reason) = self.parts();
        write!(f, "{area}: {reason}")
    }
}

impl std::error::Error for CrosswireError {}

impl CrosswireError {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            CrosswireError::Key { reason } => ("key", reason),
            CrosswireError::Bundle { reason } => ("bundle", reason),
            CrosswireError::Wire { reason } => ("wire", reason),
            CrosswireError::Decrypt { reason } => ("decrypt", reason),
            CrosswireError::Encrypt { reason } => ("encrypt", reason),
            CrosswireError::State { reason } => ("state", reason),
            CrosswireError::Content { reason } => ("content", reason),
            CrosswireError::Media { reason } => ("media", reason),
            CrosswireError::Store { reason } => ("store", reason),
            CrosswireError::IdentityChanged { user, .. } => ("identity changed", user),
            CrosswireError::Account { reason } => ("account", reason),
            CrosswireError::InvalidArgument { reason } => ("invalid argument", reason),
            CrosswireError::Internal { reason } => ("internal", reason),
        }
    }

    pub(crate) fn internal(reason: &str) -> Self {
        CrosswireError::Internal {
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn invalid(reason: &str) -> Self {
        CrosswireError::InvalidArgument {
            reason: reason.to_owned(),
        }
    }
}

/// The name of an error variant, from its `Debug` form without the payload: `InvalidKey(LowOrder)`
/// becomes `InvalidKey(LowOrder)`, which is what a log wants; no secret is ever part of an error.
fn reason(e: impl fmt::Debug) -> String {
    format!("{e:?}")
}

impl From<crosswire::Error> for CrosswireError {
    fn from(e: crosswire::Error) -> Self {
        use crosswire::Error as E;
        match e {
            E::Key(k) => CrosswireError::Key { reason: reason(k) },
            E::Bundle(b) => b.into(),
            E::Wire(w) => w.into(),
            E::Decrypt(d) => CrosswireError::Decrypt { reason: reason(d) },
            E::Encrypt(x) => CrosswireError::Encrypt { reason: reason(x) },
            E::State(s) => CrosswireError::State { reason: reason(s) },
            E::ContextTooLarge => CrosswireError::invalid("ContextTooLarge"),
            E::Content(c) => c.into(),
            E::Media(m) => m.into(),
            // `Error` is non-exhaustive: a variant added later still crosses as a typed error.
            other => CrosswireError::Internal {
                reason: reason(other),
            },
        }
    }
}

impl From<crosswire::BundleError> for CrosswireError {
    fn from(e: crosswire::BundleError) -> Self {
        CrosswireError::Bundle { reason: reason(e) }
    }
}

impl From<crosswire::WireError> for CrosswireError {
    fn from(e: crosswire::WireError) -> Self {
        CrosswireError::Wire { reason: reason(e) }
    }
}

impl From<crosswire::KeyError> for CrosswireError {
    fn from(e: crosswire::KeyError) -> Self {
        CrosswireError::Key { reason: reason(e) }
    }
}

impl From<crosswire::StateError> for CrosswireError {
    fn from(e: crosswire::StateError) -> Self {
        CrosswireError::State { reason: reason(e) }
    }
}

impl From<crosswire::ContentError> for CrosswireError {
    fn from(e: crosswire::ContentError) -> Self {
        CrosswireError::Content { reason: reason(e) }
    }
}

impl From<crosswire::MediaError> for CrosswireError {
    fn from(e: crosswire::MediaError) -> Self {
        CrosswireError::Media { reason: reason(e) }
    }
}

impl From<crosswire::account::AccountError> for CrosswireError {
    fn from(e: crosswire::account::AccountError) -> Self {
        use crosswire::account::AccountError as A;
        match e {
            A::Store(s) => CrosswireError::Store { reason: reason(s) },
            A::Crypto(c) => c.into(),
            A::IdentityChanged {
                address,
                trusted,
                received,
            } => CrosswireError::IdentityChanged {
                user: address.user().to_owned(),
                device: address.device(),
                trusted: trusted.as_bytes().to_vec(),
                received: received.as_bytes().to_vec(),
            },
            other => CrosswireError::Account {
                reason: reason(other),
            },
        }
    }
}
