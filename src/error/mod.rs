//! Errors.
//!
//! One crate-level [`Error`], `#[non_exhaustive]`, wrapping a small enum per area. Errors caused
//! by a remote peer's bytes ([`WireError`], [`DecryptError`], [`BundleError`]) are kept coarse on
//! purpose: they tell the application what to do (drop the message, ask for a new bundle), not
//! which internal check failed. Relay none of them to the peer verbatim.

mod content;
mod session;
#[cfg(test)]
pub(crate) mod tests;

use core::fmt;

use crate::kem::KemError;

pub use content::{ContentError, MediaError};
pub use session::{BundleError, DecryptError, EncryptError, KeyError, StateError, WireError};

/// Any error crosswire returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A key's bytes are not acceptable.
    Key(KeyError),
    /// A prekey bundle is malformed or its signature does not verify.
    Bundle(BundleError),
    /// An envelope is malformed.
    Wire(WireError),
    /// A message could not be decrypted. The session is unchanged.
    Decrypt(DecryptError),
    /// A message could not be encrypted. The session is unchanged.
    Encrypt(EncryptError),
    /// A serialized session could not be loaded.
    State(StateError),
    /// The application context is longer than [`MAX_CONTEXT_LEN`](crate::MAX_CONTEXT_LEN).
    ContextTooLarge,
    /// A [`Content`](crate::Content) could not be encoded, or bytes are not valid content.
    /// Received content that does not decode is not an error but
    /// [`Received::Undecodable`](crate::Received::Undecodable).
    Content(ContentError),
    /// An attachment could not be encrypted, decrypted or described.
    Media(MediaError),
    /// A KEM value (ML-KEM-1024 key, ciphertext or stored KEM prekey) was rejected.
    Kem(KemError),
}

impl From<KemError> for Error {
    fn from(e: KemError) -> Self {
        Error::Kem(e)
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Key(e)
    }
}

impl From<BundleError> for Error {
    fn from(e: BundleError) -> Self {
        Error::Bundle(e)
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<DecryptError> for Error {
    fn from(e: DecryptError) -> Self {
        Error::Decrypt(e)
    }
}

impl From<EncryptError> for Error {
    fn from(e: EncryptError) -> Self {
        Error::Encrypt(e)
    }
}

impl From<StateError> for Error {
    fn from(e: StateError) -> Self {
        Error::State(e)
    }
}

impl From<ContentError> for Error {
    fn from(e: ContentError) -> Self {
        Error::Content(e)
    }
}

impl From<MediaError> for Error {
    fn from(e: MediaError) -> Self {
        Error::Media(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Key(e) => write!(f, "invalid key: {e}"),
            Error::Bundle(e) => write!(f, "invalid prekey bundle: {e}"),
            Error::Wire(e) => write!(f, "invalid envelope: {e}"),
            Error::Decrypt(e) => write!(f, "decryption failed: {e}"),
            Error::Encrypt(e) => write!(f, "encryption failed: {e}"),
            Error::State(e) => write!(f, "invalid session state: {e}"),
            Error::ContextTooLarge => f.write_str("session context too large"),
            Error::Content(e) => write!(f, "invalid content: {e}"),
            Error::Media(e) => write!(f, "attachment error: {e}"),
            Error::Kem(e) => write!(f, "invalid KEM value: {e}"),
        }
    }
}

// Stable error codes (SPEC.md section 1.1): one per leaf of the error tree, dotted snake case.
// Test vectors name errors by these codes, so that an implementation in another language never
// has to reproduce Rust's Debug output. A code, once published, never changes meaning.

impl Error {
    /// The stable code of this error (SPEC.md section 1.1), e.g. `wire.key.low_order`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Key(e) => e.code(),
            Error::Bundle(e) => e.code(),
            Error::Wire(e) => e.code(),
            Error::Decrypt(e) => e.code(),
            Error::Encrypt(e) => e.code(),
            Error::State(e) => e.code(),
            Error::ContextTooLarge => "context.too_large",
            Error::Content(e) => e.code(),
            Error::Media(e) => e.code(),
            Error::Kem(e) => kem_code(e),
        }
    }
}

impl std::error::Error for Error {}

/// The stable code of a KEM error (SPEC.md section 1.1); `KemError::code` returns it.
pub(crate) fn kem_code(e: &KemError) -> &'static str {
    match e {
        KemError::InvalidLength => "kem.invalid_length",
        KemError::InvalidPublicKey => "kem.invalid_public_key",
        KemError::UnknownKind => "kem.unknown_kind",
        KemError::BadSignature => "kem.bad_signature",
    }
}
