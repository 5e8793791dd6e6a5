#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod aead;
mod bundle;
mod error;
mod kdf;
mod keys;
mod proto;
mod ratchet;
mod session;
mod wire;
mod x3dh;

pub use bundle::{MAX_BUNDLE_LEN, PreKeyBundle};
pub use error::{BundleError, DecryptError, EncryptError, Error, KeyError, StateError, WireError};
pub use keys::{
    IdentityKey, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PUBLIC_KEY_LEN, PublicKey,
    SIGNATURE_LEN, SignedPreKey, SignedPreKeyId,
};
pub use ratchet::skipped::MAX_SKIPPED_KEYS;
pub use ratchet::{MAX_PLAINTEXT_LEN, MAX_SKIP};
pub use session::{MAX_CONTEXT_LEN, MAX_STATE_LEN, Session};
pub use wire::{Envelope, MAX_ENVELOPE_LEN, PROTOCOL_VERSION, PreKeyMessage, RatchetMessage};

/// Re-exported so applications name the same `CryptoRng` trait crosswire's functions take.
pub use rand_core;
