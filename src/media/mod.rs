//! Attachments: photos, videos and files, encrypted once and stored at the provider
//! (SPEC.md, attachments).
//!
//! A message carries an [`AttachmentPointer`]; the bytes go to a blob store. Each attachment is
//! encrypted under a fresh random [`AttachmentKey`] as a STREAM (Hoang, Reyhanitabar, Rogaway and
//! Vizár, CRYPTO 2015) of AES-256-GCM chunks:
//!
//! - [`keys`]: HKDF-SHA256 turns the attachment key into an AES key, a nonce prefix, and a key
//!   commitment; chunk `i` uses nonce `prefix || be32(i) || last`. Reordering, dropping,
//!   duplicating or swapping chunks between files, truncating at a chunk boundary and appending
//!   all fail authentication.
//! - [`sealed`]: the ciphertext layout, whole-buffer helpers and random access to one chunk
//!   (video seeking).
//! - [`in_place`]: the whole-buffer helpers reusing the caller's buffer, for large files.
//! - [`stream`]: `std::io::Write` adapters that encrypt and decrypt in one chunk of memory.
//! - [`pointer`]: the pointer and the bounds a receiver enforces on it.
//!
//! The ciphertext starts with a 32-byte key commitment. AES-GCM alone is not key-committing:
//! a malicious sender could craft one blob that decrypts to different files under two keys and
//! hand different recipients different keys. The commitment, covered by the digest in the
//! pointer, makes every blob decrypt under at most one key.

pub(crate) mod in_place;
pub(crate) mod keys;
pub(crate) mod pointer;
pub(crate) mod sealed;
pub(crate) mod stream;

pub use in_place::{decrypt_attachment_in_place, encrypt_attachment_in_place};
pub use keys::{ATTACHMENT_KEY_LEN, AttachmentKey, COMMITMENT_LEN};
pub use pointer::{
    AttachmentKind, AttachmentPointer, MAX_CAPTION_LEN, MAX_CONTENT_TYPE_LEN, MAX_FILE_NAME_LEN,
    MAX_LOCATOR_LEN, MAX_THUMBNAIL_LEN,
};
pub use sealed::{
    DEFAULT_CHUNK_SIZE, DIGEST_LEN, MAX_CHUNK_COUNT, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE,
    SealedAttachment, decrypt_attachment, encrypt_attachment,
};
pub use stream::{AttachmentDecryptor, AttachmentEncryptor};
