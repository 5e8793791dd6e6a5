//! Errors.
//!
//! One crate-level [`Error`], `#[non_exhaustive]`, wrapping a small enum per area. Errors caused
//! by a remote peer's bytes ([`WireError`], [`DecryptError`], [`BundleError`]) are kept coarse on
//! purpose: they tell the application what to do (drop the message, ask for a new bundle), not
//! which internal check failed. Relay none of them to the peer verbatim.

use core::fmt;

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
}

/// Why key bytes were rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The encoding has the wrong length.
    InvalidLength,
    /// Not the canonical encoding of a point (X25519 u >= p or bit 255 set; Ed25519 does not
    /// decompress).
    NonCanonical,
    /// A low-order point: Diffie-Hellman with it would not depend on our secret.
    LowOrder,
    /// A Diffie-Hellman output was all zero (non-contributory).
    NonContributory,
}

/// Why a prekey bundle was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a well-formed bundle encoding (bad protobuf, wrong lengths, unknown version, extra
    /// bytes, oversized).
    Malformed,
    /// A key in the bundle is invalid or low-order.
    InvalidKey(KeyError),
    /// The signed prekey's signature does not verify under the identity key.
    BadSignature,
}

/// Why an envelope was rejected before any cryptography ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// Longer than [`MAX_ENVELOPE_LEN`](crate::MAX_ENVELOPE_LEN).
    TooLarge,
    /// The `version` field is not one this library speaks.
    UnsupportedVersion,
    /// Not a well-formed envelope: bad protobuf, missing or unknown body, a field of the wrong
    /// length, unknown fields or trailing bytes.
    Malformed,
    /// A key carried in the envelope is invalid or low-order.
    InvalidKey(KeyError),
}

/// Why a message did not decrypt. In every case the session is exactly as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Authentication failed: the message was forged, altered, or belongs to another session.
    /// A replay or an expired message of an *earlier* receiving chain also ends here: with its
    /// key gone it is indistinguishable from a message under a new ratchet key (SPEC.md 5.7).
    AuthenticationFailed,
    /// The message key is gone: a message of the current receiving chain that was already
    /// decrypted (a replay), or whose skipped key was evicted.
    DuplicateOrExpired,
    /// The message claims to be further ahead in its chain than
    /// [`MAX_SKIP`](crate::MAX_SKIP) allows.
    TooFarAhead,
    /// A prekey message that does not belong to this session (another base key or prekey).
    SessionMismatch,
    /// A prekey message reached a session that only sends them; or a plain ratchet message
    /// arrived where only a prekey message can start the session.
    UnexpectedMessageType,
}

/// Why a message could not be encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptError {
    /// The plaintext is longer than [`MAX_PLAINTEXT_LEN`](crate::MAX_PLAINTEXT_LEN).
    PlaintextTooLarge,
    /// The sending chain has reached 2^32 - 1 messages; this cannot happen before the peer
    /// replies in any real conversation, and reusing a counter would be worse than refusing.
    ChainExhausted,
}

/// Why a serialized session was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The storage format version is unknown (newer than this library).
    UnsupportedVersion,
    /// The bytes are not a well-formed, internally consistent session.
    Malformed,
}

/// Why content was rejected. Decoding tolerates unknown fields; everything listed here is a
/// violation of SPEC.md's content rules or a kind of content this version does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentError {
    /// The encoded, padded content is longer than [`MAX_PLAINTEXT_LEN`](crate::MAX_PLAINTEXT_LEN).
    TooLarge,
    /// The padding is malformed: the length is not a positive multiple of
    /// [`PADDING_BUCKET`](crate::PADDING_BUCKET), or the bytes after the content are not 0x80
    /// followed by fewer than [`PADDING_BUCKET`](crate::PADDING_BUCKET) zero bytes.
    BadPadding,
    /// Not well-formed protobuf, or a required field (body, quoted text, ...) is missing.
    Malformed,
    /// A message id is not exactly [`MESSAGE_ID_LEN`](crate::MESSAGE_ID_LEN) bytes.
    InvalidMessageId,
    /// A text body is longer than [`MAX_TEXT_LEN`](crate::MAX_TEXT_LEN) bytes.
    TextTooLong,
    /// A reaction's emoji is empty or longer than [`MAX_EMOJI_LEN`](crate::MAX_EMOJI_LEN) bytes.
    InvalidEmoji,
    /// A receipt lists no message ids, or more than [`MAX_RECEIPT_IDS`](crate::MAX_RECEIPT_IDS).
    InvalidReceipt,
    /// A kind of content this version does not know (a newer body type or receipt kind). The
    /// message was authentic; an application may show "update to see this message".
    Unsupported,
    /// An attachment pointer is invalid.
    Attachment(MediaError),
}

/// Why an attachment or its pointer was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// The chunk size is outside
    /// [`MIN_CHUNK_SIZE`](crate::MIN_CHUNK_SIZE)..=[`MAX_CHUNK_SIZE`](crate::MAX_CHUNK_SIZE).
    InvalidChunkSize,
    /// The attachment would need more than [`MAX_CHUNK_COUNT`](crate::MAX_CHUNK_COUNT) chunks.
    TooLarge,
    /// A pointer field has the wrong length or is missing: key or digest not 32 bytes, empty
    /// locator.
    InvalidPointer,
    /// A pointer's string or thumbnail is longer than its bound (SPEC.md, attachment pointer).
    FieldTooLong,
    /// The ciphertext ended before the last chunk the pointer describes.
    Truncated,
    /// The ciphertext continues after the last chunk the pointer describes.
    TrailingData,
    /// A chunk's tag, or the key commitment at the start of the ciphertext, does not verify:
    /// wrong key, corrupted, reordered, or from another file.
    AuthenticationFailed,
    /// The SHA-256 of the ciphertext differs from the pointer's digest.
    DigestMismatch,
    /// A chunk index past the last chunk.
    ChunkOutOfRange,
    /// A single chunk's ciphertext has the wrong length for its index.
    InvalidChunkLength,
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
impl From<MediaError> for ContentError {
    fn from(e: MediaError) -> Self {
        ContentError::Attachment(e)
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
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyError::InvalidLength => "wrong length",
            KeyError::NonCanonical => "non-canonical encoding",
            KeyError::LowOrder => "low-order point",
            KeyError::NonContributory => "non-contributory Diffie-Hellman result",
        })
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Malformed => f.write_str("malformed encoding"),
            BundleError::InvalidKey(e) => write!(f, "bad key: {e}"),
            BundleError::BadSignature => f.write_str("signed prekey signature does not verify"),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLarge => f.write_str("too large"),
            WireError::UnsupportedVersion => f.write_str("unsupported version"),
            WireError::Malformed => f.write_str("malformed encoding"),
            WireError::InvalidKey(e) => write!(f, "bad key: {e}"),
        }
    }
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecryptError::AuthenticationFailed => "authentication failed",
            DecryptError::DuplicateOrExpired => "message key already used or expired",
            DecryptError::TooFarAhead => "message too far ahead in its chain",
            DecryptError::SessionMismatch => "prekey message belongs to another session",
            DecryptError::UnexpectedMessageType => "unexpected message type",
        })
    }
}

impl fmt::Display for EncryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncryptError::PlaintextTooLarge => "plaintext too large",
            EncryptError::ChainExhausted => "sending chain exhausted",
        })
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateError::UnsupportedVersion => "unsupported storage version",
            StateError::Malformed => "malformed session state",
        })
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::TooLarge => f.write_str("too large"),
            ContentError::BadPadding => f.write_str("malformed padding"),
            ContentError::Malformed => f.write_str("malformed encoding"),
            ContentError::InvalidMessageId => f.write_str("message id is not 16 bytes"),
            ContentError::TextTooLong => f.write_str("text too long"),
            ContentError::InvalidEmoji => f.write_str("reaction emoji empty or too long"),
            ContentError::InvalidReceipt => f.write_str("receipt with no or too many ids"),
            ContentError::Unsupported => f.write_str("unsupported kind of content"),
            ContentError::Attachment(e) => write!(f, "bad attachment pointer: {e}"),
        }
    }
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaError::InvalidChunkSize => "chunk size out of range",
            MediaError::TooLarge => "too many chunks",
            MediaError::InvalidPointer => "invalid pointer field",
            MediaError::FieldTooLong => "pointer field too long",
            MediaError::Truncated => "ciphertext truncated",
            MediaError::TrailingData => "data after the last chunk",
            MediaError::AuthenticationFailed => "authentication failed",
            MediaError::DigestMismatch => "ciphertext digest mismatch",
            MediaError::ChunkOutOfRange => "chunk index out of range",
            MediaError::InvalidChunkLength => "wrong chunk length",
        })
    }
}

impl std::error::Error for Error {}
impl std::error::Error for KeyError {}
impl std::error::Error for BundleError {}
impl std::error::Error for WireError {}
impl std::error::Error for DecryptError {}
impl std::error::Error for EncryptError {}
impl std::error::Error for StateError {}
impl std::error::Error for ContentError {}
impl std::error::Error for MediaError {}
