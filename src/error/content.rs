//! Content and attachment errors, each followed by its message and its stable codes
//! (SPEC.md 1.1).

use core::fmt;

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

impl std::error::Error for ContentError {}

impl From<MediaError> for ContentError {
    fn from(e: MediaError) -> Self {
        ContentError::Attachment(e)
    }
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

impl std::error::Error for MediaError {}
