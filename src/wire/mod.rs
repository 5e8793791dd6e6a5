//! The wire format: [`Envelope`] and its two message types (SPEC.md section 6).
//!
//! `proto/crosswire.proto` defines the encoding. Decoding checks, in this order, before any
//! cryptography: total size, protobuf well-formedness, that re-encoding the decoded message gives
//! exactly the bytes that arrived (this rejects unknown, repeated and reordered fields, trailing
//! bytes and non-minimal or over-wide varints), the version, and every field's length and key
//! validity.

mod exact;
mod prekey;
mod protobuf;
mod ratchet;
#[cfg(test)]
mod tests;

pub(crate) use exact::{decode_exact, decode_exact_secret};
pub use prekey::PreKeyMessage;
pub use ratchet::RatchetMessage;

use crate::aead::TAG_LEN;
use crate::error::WireError;
use crate::kem::{KEM_CIPHERTEXT_LEN, KemCiphertext};
use crate::kem_prekey::KemPreKeyId;
use crate::keys::{IdentityKey, OneTimePreKeyId, PublicKey, SignedPreKeyId};
use crate::proto;
use crate::ratchet::header::{KemFields, PreKeyFields};
use protobuf::{message_len, put_message_key, put_uint32, uint32_len};

/// The envelope version of ratchet messages and classical (X3DH) prekey messages.
pub const PROTOCOL_VERSION: u32 = 1;
/// The envelope version of PQXDH prekey messages (SPEC.md 6.2): exactly those carry it.
pub const PROTOCOL_VERSION_PQ: u32 = 2;

/// Longest plaintext [`Session::encrypt`](crate::Session::encrypt) accepts (128 KiB). Media go
/// in attachments, not messages. It bounds the ciphertext an envelope may carry, which is why
/// it lives with the encoding and not in the ratchet.
pub const MAX_PLAINTEXT_LEN: usize = 128 * 1024;

/// Longest envelope [`Envelope::from_bytes`] accepts: the largest ciphertext plus 1 KiB, more
/// than any classical header needs, plus the 1579 bytes a PQXDH prekey message adds at most
/// (the KEM prekey id and ciphertext fields and one byte in each enclosing length prefix).
pub const MAX_ENVELOPE_LEN: usize = MAX_PLAINTEXT_LEN + TAG_LEN + 1024 + PQ_EXTRA_LEN;

/// Field 6 (key and a 5-byte varint), field 7 (key, 2-byte length, ciphertext), and one more
/// length-prefix byte each for the prekey body and nothing else.
const PQ_EXTRA_LEN: usize = 6 + 1 + 2 + KEM_CIPHERTEXT_LEN + 2;

/// A decoded, validated envelope: what travels between providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    /// Starts a session (X3DH) and carries a ratchet message. The initiator sends these until
    /// its first reply arrives. Boxed: it is four times the size of a ratchet message and rare.
    PreKey(Box<PreKeyMessage>),
    /// A message within an established session.
    Ratchet(RatchetMessage),
}

impl Envelope {
    /// Decodes and validates an envelope. No cryptography runs here; that is
    /// [`Session::decrypt`](crate::Session::decrypt)'s job.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(WireError::TooLarge);
        }
        let envelope = decode_exact::<proto::Envelope>(bytes).ok_or(WireError::Malformed)?;
        let pq = match envelope.version {
            PROTOCOL_VERSION => false,
            PROTOCOL_VERSION_PQ => true,
            _ => return Err(WireError::UnsupportedVersion),
        };
        match envelope.body.ok_or(WireError::Malformed)? {
            proto::envelope::Body::Prekey(p) => {
                let message = p.message.ok_or(WireError::Malformed)?;
                // Version 2 exactly when both KEM fields are present (SPEC.md 6.3).
                let kem_ciphertext = match (p.kem_prekey_id, p.kem_ciphertext.is_empty()) {
                    (Some(id), false) if pq => Some((
                        KemPreKeyId(id),
                        KemCiphertext::from_bytes(&p.kem_ciphertext)
                            .map_err(|_| WireError::Malformed)?,
                    )),
                    (None, true) if !pq => None,
                    _ => return Err(WireError::Malformed),
                };
                let kem = kem_ciphertext.as_ref().map(|(id, ct)| KemFields {
                    prekey_id: *id,
                    ciphertext_hash: ct.hash(),
                });
                let fields = PreKeyFields {
                    identity_key: IdentityKey::from_slice(&p.identity_key)
                        .map_err(WireError::InvalidKey)?,
                    base_key: PublicKey::from_slice(&p.base_key).map_err(WireError::InvalidKey)?,
                    signed_prekey_id: SignedPreKeyId(p.signed_prekey_id),
                    one_time_prekey_id: p.one_time_prekey_id.map(OneTimePreKeyId),
                    kem,
                };
                Ok(Envelope::PreKey(Box::new(PreKeyMessage {
                    fields,
                    kem_ciphertext: kem_ciphertext.map(|(_, ct)| ct),
                    message: RatchetMessage::from_proto(message)?,
                })))
            }
            proto::envelope::Body::Ratchet(_) if pq => Err(WireError::Malformed),
            proto::envelope::Body::Ratchet(r) => {
                Ok(Envelope::Ratchet(RatchetMessage::from_proto(r)?))
            }
        }
    }

    /// Encodes the envelope (protobuf, `proto/crosswire.proto`).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Written field by field rather than through the prost structs, which would need their
        // own copy of the ciphertext; `encoding_equals_prost` checks the bytes are prost's.
        let (tag, body_len) = match self {
            Envelope::PreKey(p) => (2, p.encoded_len()),
            Envelope::Ratchet(r) => (3, r.encoded_len()),
        };
        let version = match self {
            Envelope::PreKey(p) if p.kem_ciphertext.is_some() => PROTOCOL_VERSION_PQ,
            _ => PROTOCOL_VERSION,
        };
        let mut out = Vec::with_capacity(uint32_len(version) + message_len(body_len));
        put_uint32(&mut out, 1, version);
        put_message_key(&mut out, tag, body_len);
        match self {
            Envelope::PreKey(p) => p.encode(&mut out),
            Envelope::Ratchet(r) => r.encode(&mut out),
        }
        out
    }

    /// The ratchet message inside, whichever the envelope type.
    pub fn ratchet_message(&self) -> &RatchetMessage {
        match self {
            Envelope::PreKey(p) => &p.message,
            Envelope::Ratchet(r) => r,
        }
    }
}
