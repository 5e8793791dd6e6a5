//! The prekey message: the X3DH or PQXDH initial message around the first ratchet message.

use super::RatchetMessage;
use super::protobuf::{
    bytes_len, message_len, put_bytes, put_message_key, put_uint32, put_varint, uint32_len,
    varint_len,
};
use crate::kem::KemCiphertext;
use crate::kem_prekey::KemPreKeyId;
use crate::keys::{IdentityKey, OneTimePreKeyId, PUBLIC_KEY_LEN, PublicKey, SignedPreKeyId};
use crate::ratchet::header::PreKeyFields;

/// The X3DH initial message with the ratchet message it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyMessage {
    pub(crate) fields: PreKeyFields,
    /// PQXDH only, and then `fields.kem` holds its hash.
    pub(crate) kem_ciphertext: Option<KemCiphertext>,
    pub(crate) message: RatchetMessage,
}

impl PreKeyMessage {
    /// The initiator's identity key. Check it against what you expect for the sender before
    /// trusting the session (safety numbers, key transparency).
    pub fn identity_key(&self) -> &IdentityKey {
        &self.fields.identity_key
    }

    /// Which of your signed prekeys the initiator used.
    pub fn signed_prekey_id(&self) -> SignedPreKeyId {
        self.fields.signed_prekey_id
    }

    /// Which of your one-time prekeys the initiator used, if any.
    pub fn one_time_prekey_id(&self) -> Option<OneTimePreKeyId> {
        self.fields.one_time_prekey_id
    }

    /// The initiator's ephemeral X3DH key; it identifies the session attempt.
    pub fn base_key(&self) -> &PublicKey {
        &self.fields.base_key
    }

    /// Which of your KEM prekeys the initiator encapsulated to (PQXDH); `None` for a
    /// classical (X3DH) prekey message.
    pub fn kem_prekey_id(&self) -> Option<KemPreKeyId> {
        self.fields.kem.map(|k| k.prekey_id)
    }
}

impl PreKeyMessage {
    pub(super) fn encoded_len(&self) -> usize {
        let f = &self.fields;
        bytes_len(PUBLIC_KEY_LEN)
            + bytes_len(PUBLIC_KEY_LEN)
            + uint32_len(f.signed_prekey_id.0)
            + f.one_time_prekey_id
                .map_or(0, |id| 1 + varint_len(id.0.into()))
            + message_len(self.message.encoded_len())
            + match (&f.kem, &self.kem_ciphertext) {
                (Some(k), Some(ct)) => {
                    1 + varint_len(k.prekey_id.0.into()) + bytes_len(ct.as_bytes().len())
                }
                _ => 0,
            }
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        let f = &self.fields;
        put_bytes(out, 1, f.identity_key.as_bytes());
        put_bytes(out, 2, f.base_key.as_bytes());
        put_uint32(out, 3, f.signed_prekey_id.0);
        if let Some(id) = f.one_time_prekey_id {
            // `optional`: present even when zero.
            out.push(4 << 3);
            put_varint(out, id.0.into());
        }
        put_message_key(out, 5, self.message.encoded_len());
        self.message.encode(out);
        if let (Some(k), Some(ct)) = (&f.kem, &self.kem_ciphertext) {
            out.push(6 << 3);
            put_varint(out, k.prekey_id.0.into());
            put_bytes(out, 7, ct.as_bytes());
        }
    }
}
