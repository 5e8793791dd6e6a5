//! The canonical header: the fixed byte layout that AES-GCM authenticates (SPEC.md section 6.4).
//!
//! It is built from parsed, validated fields, never from received protobuf bytes: protobuf has
//! many encodings of one message, and authenticating whichever one arrived would make the
//! authenticated data depend on the sender's encoder.

use super::message_key::SALT_LEN;
use crate::kem_prekey::KemPreKeyId;
use crate::keys::{IdentityKey, OneTimePreKeyId, PublicKey, SignedPreKeyId};

/// Version byte at the start of every canonical header.
const HEADER_VERSION: u8 = 1;
/// Message type byte of a plain ratchet message.
const TYPE_RATCHET: u8 = 1;
/// Message type byte of a ratchet message carried inside a prekey message.
const TYPE_PREKEY: u8 = 2;
/// Message type byte of a ratchet message carried inside a PQXDH prekey message.
const TYPE_PREKEY_PQ: u8 = 3;

/// Length of the header of a plain ratchet message.
pub(crate) const RATCHET_HEADER_LEN: usize = 58;
/// Length of the header of a prekey message.
pub(crate) const PREKEY_HEADER_LEN: usize = RATCHET_HEADER_LEN + 73;
/// Length of the header of a PQXDH prekey message: the KEM prekey id and SHA-256 of the KEM
/// ciphertext follow.
pub(crate) const PQ_PREKEY_HEADER_LEN: usize = PREKEY_HEADER_LEN + 4 + 32;

/// The PQXDH parameters of a prekey message: which KEM prekey, and the ciphertext's hash (the
/// whole ciphertext travels on the wire; its hash is what the header authenticates and what a
/// responder keeps to recognise later prekey messages of the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KemFields {
    pub(crate) prekey_id: KemPreKeyId,
    pub(crate) ciphertext_hash: [u8; 32],
}

/// The X3DH parameters a prekey message carries, all of them authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreKeyFields {
    pub(crate) identity_key: IdentityKey,
    pub(crate) base_key: PublicKey,
    pub(crate) signed_prekey_id: SignedPreKeyId,
    pub(crate) one_time_prekey_id: Option<OneTimePreKeyId>,
    /// PQXDH sessions only.
    pub(crate) kem: Option<KemFields>,
}

/// The ratchet header fields of one message: what the ratchet produces and consumes besides
/// the ciphertext. How they are encoded is the wire layer's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) previous_counter: u32,
    pub(crate) counter: u32,
    pub(crate) salt: [u8; SALT_LEN],
}

/// Builds `canonical header || session AD`, the AEAD associated data of one message.
pub(crate) fn associated_data(
    header: &Header,
    prekey: Option<&PreKeyFields>,
    session_ad: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(PQ_PREKEY_HEADER_LEN + session_ad.len());
    out.push(HEADER_VERSION);
    out.push(match prekey {
        Some(PreKeyFields { kem: Some(_), .. }) => TYPE_PREKEY_PQ,
        Some(_) => TYPE_PREKEY,
        None => TYPE_RATCHET,
    });
    out.extend_from_slice(header.ratchet_key.as_bytes());
    out.extend_from_slice(&header.previous_counter.to_be_bytes());
    out.extend_from_slice(&header.counter.to_be_bytes());
    out.extend_from_slice(&header.salt);
    debug_assert_eq!(out.len(), RATCHET_HEADER_LEN);
    if let Some(p) = prekey {
        out.extend_from_slice(p.identity_key.as_bytes());
        out.extend_from_slice(p.base_key.as_bytes());
        out.extend_from_slice(&p.signed_prekey_id.0.to_be_bytes());
        match p.one_time_prekey_id {
            Some(id) => {
                out.push(1);
                out.extend_from_slice(&id.0.to_be_bytes());
            }
            None => out.extend_from_slice(&[0; 5]),
        }
        debug_assert_eq!(out.len(), PREKEY_HEADER_LEN);
        if let Some(kem) = &p.kem {
            out.extend_from_slice(&kem.prekey_id.0.to_be_bytes());
            out.extend_from_slice(&kem.ciphertext_hash);
            debug_assert_eq!(out.len(), PQ_PREKEY_HEADER_LEN);
        }
    }
    out.extend_from_slice(session_ad);
    out
}
