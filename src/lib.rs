#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod account;
mod aead;
mod bundle;
mod content;
mod error;
mod kdf;
mod keys;
mod media;
mod proto;
mod ratchet;
mod session;
pub mod store;
#[cfg(test)]
mod vectors;
mod wire;
mod x25519;
mod x3dh;

pub use bundle::{MAX_BUNDLE_LEN, PreKeyBundle};
pub use content::{
    Body, Content, MAX_EMOJI_LEN, MAX_RECEIPT_IDS, MAX_TEXT_LEN, MESSAGE_ID_LEN, MessageId,
    PADDING_BUCKET, ReceiptKind, Received, ReplyBody, Text, TextFormat,
};
pub use error::{
    BundleError, ContentError, DecryptError, EncryptError, Error, KeyError, MediaError, StateError,
    WireError,
};
pub use keys::{
    IdentityKey, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PUBLIC_KEY_LEN, PublicKey,
    SIGNATURE_LEN, SignedPreKey, SignedPreKeyId,
};
pub use media::{
    ATTACHMENT_KEY_LEN, AttachmentDecryptor, AttachmentEncryptor, AttachmentKey, AttachmentKind,
    AttachmentPointer, COMMITMENT_LEN, DEFAULT_CHUNK_SIZE, DIGEST_LEN, MAX_CAPTION_LEN,
    MAX_CHUNK_COUNT, MAX_CHUNK_SIZE, MAX_CONTENT_TYPE_LEN, MAX_FILE_NAME_LEN, MAX_LOCATOR_LEN,
    MAX_THUMBNAIL_LEN, MIN_CHUNK_SIZE, SealedAttachment, decrypt_attachment, encrypt_attachment,
};
pub use ratchet::skipped::MAX_SKIPPED_KEYS;
pub use ratchet::{MAX_PLAINTEXT_LEN, MAX_SKIP};
pub use session::{MAX_CONTEXT_LEN, MAX_STATE_LEN, Session};
pub use wire::{Envelope, MAX_ENVELOPE_LEN, PROTOCOL_VERSION, PreKeyMessage, RatchetMessage};

/// Re-exported so applications name the same `CryptoRng` trait crosswire's functions take.
pub use rand_core;
