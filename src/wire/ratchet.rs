//! The ratchet message: one Double Ratchet header and its ciphertext.

use super::MAX_PLAINTEXT_LEN;
use super::protobuf::{bytes_len, put_bytes, put_uint32, uint32_len};
use crate::aead::TAG_LEN;
use crate::error::WireError;
use crate::keys::{PUBLIC_KEY_LEN, PublicKey};
use crate::proto;
use crate::ratchet::header::Header;
use crate::ratchet::message_key::SALT_LEN;

/// A Double Ratchet message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatchetMessage {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) previous_counter: u32,
    pub(crate) counter: u32,
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) ciphertext: Vec<u8>,
}

impl RatchetMessage {
    /// The sender's current ratchet public key.
    pub fn ratchet_key(&self) -> &PublicKey {
        &self.ratchet_key
    }

    /// The message's index in its sending chain.
    pub fn counter(&self) -> u32 {
        self.counter
    }
}

impl RatchetMessage {
    /// A message from the ratchet's output.
    pub(crate) fn new(header: Header, ciphertext: Vec<u8>) -> Self {
        let Header {
            ratchet_key,
            previous_counter,
            counter,
            salt,
        } = header;
        RatchetMessage {
            ratchet_key,
            previous_counter,
            counter,
            salt,
            ciphertext,
        }
    }

    /// The header fields the ratchet authenticates and decrypts with.
    pub(crate) fn header(&self) -> Header {
        Header {
            ratchet_key: self.ratchet_key,
            previous_counter: self.previous_counter,
            counter: self.counter,
            salt: self.salt,
        }
    }

    pub(super) fn from_proto(m: proto::RatchetMessage) -> Result<Self, WireError> {
        let ratchet_key = PublicKey::from_slice(&m.ratchet_key).map_err(WireError::InvalidKey)?;
        let salt: [u8; SALT_LEN] = m
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| WireError::Malformed)?;
        if m.ciphertext.len() < TAG_LEN || m.ciphertext.len() > MAX_PLAINTEXT_LEN + TAG_LEN {
            return Err(WireError::Malformed);
        }
        Ok(RatchetMessage {
            ratchet_key,
            previous_counter: m.previous_counter,
            counter: m.counter,
            salt,
            ciphertext: m.ciphertext,
        })
    }

    pub(super) fn encoded_len(&self) -> usize {
        bytes_len(PUBLIC_KEY_LEN)
            + uint32_len(self.previous_counter)
            + uint32_len(self.counter)
            + bytes_len(SALT_LEN)
            + bytes_len(self.ciphertext.len())
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, 1, self.ratchet_key.as_bytes());
        put_uint32(out, 2, self.previous_counter);
        put_uint32(out, 3, self.counter);
        put_bytes(out, 4, &self.salt);
        put_bytes(out, 5, &self.ciphertext);
    }

    #[cfg(test)]
    pub(super) fn to_proto(&self) -> proto::RatchetMessage {
        proto::RatchetMessage {
            ratchet_key: self.ratchet_key.as_bytes().to_vec(),
            previous_counter: self.previous_counter,
            counter: self.counter,
            salt: self.salt.to_vec(),
            ciphertext: self.ciphertext.clone(),
        }
    }
}
