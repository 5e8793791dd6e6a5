#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod account;
mod aead;
mod bundle;
mod content;
mod error;
mod group;
mod kdf;
mod kem;
mod kem_prekey;
mod keys;
mod media;
mod pqxdh;
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
pub use group::{
    GROUP_ID_LEN, GroupError, GroupId, GroupReceiver, GroupSender, MAX_GROUP_MESSAGE_LEN,
    MAX_GROUP_SENDERS, MAX_GROUP_SKIP, MAX_GROUP_SKIPPED_KEYS, MAX_GROUP_STATE_LEN,
    MAX_SENDER_KEY_STATES, SenderKeyDistribution, SenderKeyId, SenderKeyMessage,
};
pub use kem::{
    KEM_CIPHERTEXT_LEN, KEM_PUBLIC_KEY_LEN, KEM_SEED_LEN, KemCiphertext, KemError, KemKeyPair,
    KemPublicKey,
};
pub use kem_prekey::{KemPreKeyId, KemPreKeyKind, SignedKemPreKey};
pub use keys::{
    IdentityKey, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PUBLIC_KEY_LEN, PublicKey,
    SIGNATURE_LEN, SignedPreKey, SignedPreKeyId,
};
pub use media::{
    ATTACHMENT_KEY_LEN, AttachmentDecryptor, AttachmentEncryptor, AttachmentKey, AttachmentKind,
    AttachmentPointer, COMMITMENT_LEN, DEFAULT_CHUNK_SIZE, DIGEST_LEN, MAX_CAPTION_LEN,
    MAX_CHUNK_COUNT, MAX_CHUNK_SIZE, MAX_CONTENT_TYPE_LEN, MAX_FILE_NAME_LEN, MAX_LOCATOR_LEN,
    MAX_THUMBNAIL_LEN, MIN_CHUNK_SIZE, SealedAttachment, decrypt_attachment,
    decrypt_attachment_in_place, encrypt_attachment, encrypt_attachment_in_place,
};
pub use ratchet::MAX_SKIP;
pub use ratchet::skipped::MAX_SKIPPED_KEYS;
pub use session::{MAX_CONTEXT_LEN, MAX_STATE_LEN, PostQuantum, Session};
pub use wire::{
    Envelope, MAX_ENVELOPE_LEN, MAX_PLAINTEXT_LEN, PROTOCOL_VERSION, PROTOCOL_VERSION_PQ,
    PreKeyMessage, RatchetMessage,
};

/// Re-exported so applications name the same `CryptoRng` trait crosswire's functions take.
pub use rand_core;
