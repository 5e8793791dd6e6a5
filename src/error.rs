//! Errors.
//!
//! One crate-level [`Error`], `#[non_exhaustive]`, wrapping a small enum per area. Errors caused
//! by a remote peer's bytes ([`WireError`], [`DecryptError`], [`BundleError`]) are kept coarse on
//! purpose: they tell the application what to do (drop the message, ask for a new bundle), not
//! which internal check failed. Relay none of them to the peer verbatim.

use core::fmt;

use crate::kem::KemError;

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

/// Why key bytes were rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The encoding has the wrong length.
    InvalidLength,
    /// Not the canonical encoding of a point (X25519 u >= p or bit 255 set; Ed25519 does not
    /// decompress).
    NonCanonical,
    /// A low-order point: Diffie-Hellman with it would not depend on our secret. For an identity
    /// key also a point with a small-order component (outside the prime-order subgroup).
    LowOrder,
    /// A Diffie-Hellman output was all zero (non-contributory).
    NonContributory,
}

/// Why a prekey bundle was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a well-formed bundle encoding (bad protobuf, wrong lengths, extra bytes, oversized).
    Malformed,
    /// The `version` field is not one this library speaks (as for envelopes and states).
    UnsupportedVersion,
    /// A key in the bundle is invalid or low-order.
    InvalidKey(KeyError),
    /// The signed prekey's or the KEM prekey's signature does not verify under the identity
    /// key.
    BadSignature,
    /// The bundle's KEM prekey is invalid (SPEC.md 2.6): wrong length, a public key failing the
    /// FIPS 203 modulus check, or an unknown kind.
    InvalidKemKey(KemError),
    /// The bundle carries no KEM prekey (a classical, version 1 bundle) and the policy requires
    /// post-quantum session setup ([`PostQuantum::Required`](crate::PostQuantum::Required)).
    ClassicalOnly,
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
    /// A classical (X3DH) prekey message and the policy requires post-quantum session setup
    /// ([`PostQuantum::Required`](crate::PostQuantum::Required)).
    ClassicalOnly,
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
            Error::Kem(e) => write!(f, "invalid KEM value: {e}"),
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
            BundleError::UnsupportedVersion => f.write_str("unsupported version"),
            BundleError::InvalidKey(e) => write!(f, "bad key: {e}"),
            BundleError::BadSignature => f.write_str("prekey signature does not verify"),
            BundleError::InvalidKemKey(e) => write!(f, "bad KEM prekey: {e}"),
            BundleError::ClassicalOnly => f.write_str("no KEM prekey, post-quantum required"),
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
            DecryptError::ClassicalOnly => "classical prekey message, post-quantum required",
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

impl KeyError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::InvalidLength => "key.invalid_length",
            KeyError::NonCanonical => "key.non_canonical",
            KeyError::LowOrder => "key.low_order",
            KeyError::NonContributory => "key.non_contributory",
        }
    }
}

impl BundleError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Malformed => "bundle.malformed",
            BundleError::UnsupportedVersion => "bundle.unsupported_version",
            BundleError::InvalidKey(KeyError::InvalidLength) => "bundle.key.invalid_length",
            BundleError::InvalidKey(KeyError::NonCanonical) => "bundle.key.non_canonical",
            BundleError::InvalidKey(KeyError::LowOrder) => "bundle.key.low_order",
            BundleError::InvalidKey(KeyError::NonContributory) => "bundle.key.non_contributory",
            BundleError::BadSignature => "bundle.bad_signature",
            BundleError::InvalidKemKey(KemError::InvalidLength) => "bundle.kem.invalid_length",
            BundleError::InvalidKemKey(KemError::InvalidPublicKey) => {
                "bundle.kem.invalid_public_key"
            }
            BundleError::InvalidKemKey(KemError::UnknownKind) => "bundle.kem.unknown_kind",
            BundleError::InvalidKemKey(KemError::BadSignature) => "bundle.bad_signature",
            BundleError::ClassicalOnly => "bundle.classical_only",
        }
    }
}

impl WireError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            WireError::TooLarge => "wire.too_large",
            WireError::UnsupportedVersion => "wire.unsupported_version",
            WireError::Malformed => "wire.malformed",
            WireError::InvalidKey(KeyError::InvalidLength) => "wire.key.invalid_length",
            WireError::InvalidKey(KeyError::NonCanonical) => "wire.key.non_canonical",
            WireError::InvalidKey(KeyError::LowOrder) => "wire.key.low_order",
            WireError::InvalidKey(KeyError::NonContributory) => "wire.key.non_contributory",
        }
    }
}

impl DecryptError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            DecryptError::AuthenticationFailed => "decrypt.authentication_failed",
            DecryptError::DuplicateOrExpired => "decrypt.duplicate_or_expired",
            DecryptError::TooFarAhead => "decrypt.too_far_ahead",
            DecryptError::SessionMismatch => "decrypt.session_mismatch",
            DecryptError::UnexpectedMessageType => "decrypt.unexpected_message_type",
            DecryptError::ClassicalOnly => "decrypt.classical_only",
        }
    }
}

impl EncryptError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            EncryptError::PlaintextTooLarge => "encrypt.plaintext_too_large",
            EncryptError::ChainExhausted => "encrypt.chain_exhausted",
        }
    }
}

impl StateError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            StateError::UnsupportedVersion => "state.unsupported_version",
            StateError::Malformed => "state.malformed",
        }
    }
}

impl ContentError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            ContentError::TooLarge => "content.too_large",
            ContentError::BadPadding => "content.bad_padding",
            ContentError::Malformed => "content.malformed",
            ContentError::InvalidMessageId => "content.invalid_message_id",
            ContentError::TextTooLong => "content.text_too_long",
            ContentError::InvalidEmoji => "content.invalid_emoji",
            ContentError::InvalidReceipt => "content.invalid_receipt",
            ContentError::Unsupported => "content.unsupported",
            ContentError::Attachment(MediaError::InvalidChunkSize) => {
                "content.attachment.invalid_chunk_size"
            }
            ContentError::Attachment(MediaError::TooLarge) => "content.attachment.too_large",
            ContentError::Attachment(MediaError::InvalidPointer) => {
                "content.attachment.invalid_pointer"
            }
            ContentError::Attachment(MediaError::FieldTooLong) => {
                "content.attachment.field_too_long"
            }
            ContentError::Attachment(MediaError::Truncated) => "content.attachment.truncated",
            ContentError::Attachment(MediaError::TrailingData) => {
                "content.attachment.trailing_data"
            }
            ContentError::Attachment(MediaError::AuthenticationFailed) => {
                "content.attachment.authentication_failed"
            }
            ContentError::Attachment(MediaError::DigestMismatch) => {
                "content.attachment.digest_mismatch"
            }
            ContentError::Attachment(MediaError::ChunkOutOfRange) => {
                "content.attachment.chunk_out_of_range"
            }
            ContentError::Attachment(MediaError::InvalidChunkLength) => {
                "content.attachment.invalid_chunk_length"
            }
        }
    }
}

impl MediaError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::InvalidChunkSize => "media.invalid_chunk_size",
            MediaError::TooLarge => "media.too_large",
            MediaError::InvalidPointer => "media.invalid_pointer",
            MediaError::FieldTooLong => "media.field_too_long",
            MediaError::Truncated => "media.truncated",
            MediaError::TrailingData => "media.trailing_data",
            MediaError::AuthenticationFailed => "media.authentication_failed",
            MediaError::DigestMismatch => "media.digest_mismatch",
            MediaError::ChunkOutOfRange => "media.chunk_out_of_range",
            MediaError::InvalidChunkLength => "media.invalid_chunk_length",
        }
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

/// The stable code of a KEM error (SPEC.md section 1.1); `KemError::code` returns it.
pub(crate) fn kem_code(e: &KemError) -> &'static str {
    match e {
        KemError::InvalidLength => "kem.invalid_length",
        KemError::InvalidPublicKey => "kem.invalid_public_key",
        KemError::UnknownKind => "kem.unknown_kind",
        KemError::BadSignature => "kem.bad_signature",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    /// Every leaf of the error tree.
    fn all() -> Vec<Error> {
        vec![
            Error::Key(KeyError::InvalidLength),
            Error::Key(KeyError::NonCanonical),
            Error::Key(KeyError::LowOrder),
            Error::Key(KeyError::NonContributory),
            Error::Bundle(BundleError::Malformed),
            Error::Bundle(BundleError::UnsupportedVersion),
            Error::Bundle(BundleError::InvalidKey(KeyError::InvalidLength)),
            Error::Bundle(BundleError::InvalidKey(KeyError::NonCanonical)),
            Error::Bundle(BundleError::InvalidKey(KeyError::LowOrder)),
            Error::Bundle(BundleError::InvalidKey(KeyError::NonContributory)),
            Error::Bundle(BundleError::BadSignature),
            Error::Bundle(BundleError::InvalidKemKey(KemError::InvalidLength)),
            Error::Bundle(BundleError::InvalidKemKey(KemError::InvalidPublicKey)),
            Error::Bundle(BundleError::InvalidKemKey(KemError::UnknownKind)),
            Error::Bundle(BundleError::ClassicalOnly),
            Error::Wire(WireError::TooLarge),
            Error::Wire(WireError::UnsupportedVersion),
            Error::Wire(WireError::Malformed),
            Error::Wire(WireError::InvalidKey(KeyError::InvalidLength)),
            Error::Wire(WireError::InvalidKey(KeyError::NonCanonical)),
            Error::Wire(WireError::InvalidKey(KeyError::LowOrder)),
            Error::Wire(WireError::InvalidKey(KeyError::NonContributory)),
            Error::Decrypt(DecryptError::AuthenticationFailed),
            Error::Decrypt(DecryptError::DuplicateOrExpired),
            Error::Decrypt(DecryptError::TooFarAhead),
            Error::Decrypt(DecryptError::SessionMismatch),
            Error::Decrypt(DecryptError::UnexpectedMessageType),
            Error::Decrypt(DecryptError::ClassicalOnly),
            Error::Encrypt(EncryptError::PlaintextTooLarge),
            Error::Encrypt(EncryptError::ChainExhausted),
            Error::State(StateError::UnsupportedVersion),
            Error::State(StateError::Malformed),
            Error::ContextTooLarge,
            Error::Content(ContentError::TooLarge),
            Error::Content(ContentError::BadPadding),
            Error::Content(ContentError::Malformed),
            Error::Content(ContentError::InvalidMessageId),
            Error::Content(ContentError::TextTooLong),
            Error::Content(ContentError::InvalidEmoji),
            Error::Content(ContentError::InvalidReceipt),
            Error::Content(ContentError::Unsupported),
            Error::Content(ContentError::Attachment(MediaError::InvalidChunkSize)),
            Error::Content(ContentError::Attachment(MediaError::TooLarge)),
            Error::Content(ContentError::Attachment(MediaError::InvalidPointer)),
            Error::Content(ContentError::Attachment(MediaError::FieldTooLong)),
            Error::Content(ContentError::Attachment(MediaError::Truncated)),
            Error::Content(ContentError::Attachment(MediaError::TrailingData)),
            Error::Content(ContentError::Attachment(MediaError::AuthenticationFailed)),
            Error::Content(ContentError::Attachment(MediaError::DigestMismatch)),
            Error::Content(ContentError::Attachment(MediaError::ChunkOutOfRange)),
            Error::Content(ContentError::Attachment(MediaError::InvalidChunkLength)),
            Error::Media(MediaError::InvalidChunkSize),
            Error::Media(MediaError::TooLarge),
            Error::Media(MediaError::InvalidPointer),
            Error::Media(MediaError::FieldTooLong),
            Error::Media(MediaError::Truncated),
            Error::Media(MediaError::TrailingData),
            Error::Media(MediaError::AuthenticationFailed),
            Error::Media(MediaError::DigestMismatch),
            Error::Media(MediaError::ChunkOutOfRange),
            Error::Media(MediaError::InvalidChunkLength),
            Error::Kem(KemError::InvalidLength),
            Error::Kem(KemError::InvalidPublicKey),
            Error::Kem(KemError::UnknownKind),
            Error::Kem(KemError::BadSignature),
        ]
    }

    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_error(e: &Error) -> usize {
        match e {
            Error::Key(_) => 0,
            Error::Bundle(_) => 1,
            Error::Wire(_) => 2,
            Error::Decrypt(_) => 3,
            Error::Encrypt(_) => 4,
            Error::State(_) => 5,
            Error::ContextTooLarge => 6,
            Error::Content(_) => 7,
            Error::Media(_) => 8,
            Error::Kem(_) => 9,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_keyerror(e: &KeyError) -> usize {
        match e {
            KeyError::InvalidLength => 0,
            KeyError::NonCanonical => 1,
            KeyError::LowOrder => 2,
            KeyError::NonContributory => 3,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_bundleerror(e: &BundleError) -> usize {
        match e {
            BundleError::Malformed => 0,
            BundleError::InvalidKey(_) => 1,
            BundleError::BadSignature => 2,
            BundleError::UnsupportedVersion => 3,
            BundleError::InvalidKemKey(_) => 4,
            BundleError::ClassicalOnly => 5,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_wireerror(e: &WireError) -> usize {
        match e {
            WireError::TooLarge => 0,
            WireError::UnsupportedVersion => 1,
            WireError::Malformed => 2,
            WireError::InvalidKey(_) => 3,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_decrypterror(e: &DecryptError) -> usize {
        match e {
            DecryptError::AuthenticationFailed => 0,
            DecryptError::DuplicateOrExpired => 1,
            DecryptError::TooFarAhead => 2,
            DecryptError::SessionMismatch => 3,
            DecryptError::UnexpectedMessageType => 4,
            DecryptError::ClassicalOnly => 5,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_encrypterror(e: &EncryptError) -> usize {
        match e {
            EncryptError::PlaintextTooLarge => 0,
            EncryptError::ChainExhausted => 1,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_stateerror(e: &StateError) -> usize {
        match e {
            StateError::UnsupportedVersion => 0,
            StateError::Malformed => 1,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_contenterror(e: &ContentError) -> usize {
        match e {
            ContentError::TooLarge => 0,
            ContentError::BadPadding => 1,
            ContentError::Malformed => 2,
            ContentError::InvalidMessageId => 3,
            ContentError::TextTooLong => 4,
            ContentError::InvalidEmoji => 5,
            ContentError::InvalidReceipt => 6,
            ContentError::Unsupported => 7,
            ContentError::Attachment(_) => 8,
        }
    }
    /// Position of each variant: a new variant fails to compile here until it is listed.
    fn index_mediaerror(e: &MediaError) -> usize {
        match e {
            MediaError::InvalidChunkSize => 0,
            MediaError::TooLarge => 1,
            MediaError::InvalidPointer => 2,
            MediaError::FieldTooLong => 3,
            MediaError::Truncated => 4,
            MediaError::TrailingData => 5,
            MediaError::AuthenticationFailed => 6,
            MediaError::DigestMismatch => 7,
            MediaError::ChunkOutOfRange => 8,
            MediaError::InvalidChunkLength => 9,
        }
    }

    /// Issue 9, SPEC gap 4: every leaf error has its own code, of the documented shape, and
    /// `all()` really is every leaf (each variant of each enum occurs in it).
    #[test]
    fn codes_are_unique_and_complete() {
        let all = all();
        let codes: Vec<&str> = all.iter().map(Error::code).collect();
        let unique: HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len(), "duplicate codes: {codes:?}");
        for c in &codes {
            let ok = c.split('.').count() >= 2
                && c.split('.').all(|part| {
                    !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                });
            assert!(ok, "malformed code {c}");
        }
        let mut seen: BTreeSet<(&str, usize)> = BTreeSet::new();
        for e in &all {
            seen.insert(("Error", index_error(e)));
            match e {
                Error::Key(k) => {
                    seen.insert(("KeyError", index_keyerror(k)));
                }
                Error::Bundle(b) => {
                    seen.insert(("BundleError", index_bundleerror(b)));
                    if let BundleError::InvalidKey(k) = b {
                        seen.insert(("KeyError", index_keyerror(k)));
                    }
                }
                Error::Wire(w) => {
                    seen.insert(("WireError", index_wireerror(w)));
                }
                Error::Decrypt(d) => {
                    seen.insert(("DecryptError", index_decrypterror(d)));
                }
                Error::Encrypt(x) => {
                    seen.insert(("EncryptError", index_encrypterror(x)));
                }
                Error::State(x) => {
                    seen.insert(("StateError", index_stateerror(x)));
                }
                Error::ContextTooLarge => {}
                Error::Content(c) => {
                    seen.insert(("ContentError", index_contenterror(c)));
                }
                Error::Media(m) => {
                    seen.insert(("MediaError", index_mediaerror(m)));
                }
                Error::Kem(_) => {}
            }
        }
        let counts = [
            ("Error", 10),
            ("KeyError", 4),
            ("BundleError", 6),
            ("WireError", 4),
            ("DecryptError", 6),
            ("EncryptError", 2),
            ("StateError", 2),
            ("ContentError", 9),
            ("MediaError", 10),
        ];
        for (name, n) in counts {
            for i in 0..n {
                assert!(
                    seen.contains(&(name, i)),
                    "{name} variant {i} has no entry in all()"
                );
            }
        }
        // Sub-enum codes are the top-level ones: a caller holding a `WireError` logs the same
        // code as one holding the `Error` it came in.
        assert_eq!(
            KeyError::LowOrder.code(),
            Error::Key(KeyError::LowOrder).code()
        );
        assert_eq!(
            MediaError::Truncated.code(),
            Error::Media(MediaError::Truncated).code()
        );
    }

    /// SPEC.md's table lists exactly these codes.
    #[test]
    fn spec_table_lists_every_code() {
        let spec = include_str!("../SPEC.md");
        let start = spec
            .find("<!-- error-codes:start -->")
            .expect("table start");
        let end = spec.find("<!-- error-codes:end -->").expect("table end");
        let table: BTreeSet<&str> = spec[start..end]
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let codes: BTreeSet<&str> = all().iter().map(Error::code).collect();
        assert_eq!(table, codes);
    }
}
