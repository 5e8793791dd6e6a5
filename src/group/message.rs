//! [`SenderKeyMessage`]: a group message on the wire (SPEC.md 16.4).
//!
//! Decoding applies the canonical rule of SPEC.md 6.1 (the bytes must be exactly the canonical
//! encoding of what they decode to), so the signed bytes, everything before the signature field,
//! are a fixed function of the message: a receiver verifies them as they arrived.

use prost::Message;

use super::chain::{LABEL_GROUP_SIGNATURE, SALT_LEN};
use super::error::GroupError;
use super::{GROUP_ID_LEN, GroupId, SenderKeyId};
use crate::aead::TAG_LEN;
use crate::keys::{IdentityKey, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::proto;
use crate::wire::MAX_PLAINTEXT_LEN;
use crate::wire::decode_exact;

/// The group message format version.
pub(crate) const GROUP_VERSION: u32 = 1;

/// Longest group message [`SenderKeyMessage::from_bytes`] accepts: the largest ciphertext plus
/// 1 KiB, as for envelopes.
pub const MAX_GROUP_MESSAGE_LEN: usize = MAX_PLAINTEXT_LEN + TAG_LEN + 1024;

/// The signature field as encoded: key `7 << 3 | 2`, length 64, then the signature.
const SIGNATURE_FIELD_LEN: usize = 2 + SIGNATURE_LEN;

/// Length of the AEAD associated data (SPEC.md 16.4).
pub(crate) const GROUP_AD_LEN: usize = 1 + GROUP_ID_LEN + PUBLIC_KEY_LEN + 4 + 4 + SALT_LEN;

/// A group message: encrypted once by its sender, readable by every member holding the sender's
/// key, signed by the sender key's signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderKeyMessage {
    pub(crate) group_id: GroupId,
    pub(crate) key_id: SenderKeyId,
    pub(crate) iteration: u32,
    pub(crate) salt: [u8; SALT_LEN],
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) signature: [u8; SIGNATURE_LEN],
    /// The canonical encoding, signature last.
    pub(crate) encoded: Vec<u8>,
}

impl SenderKeyMessage {
    /// Decodes and validates a group message. No cryptography runs here.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GroupError> {
        if bytes.len() > MAX_GROUP_MESSAGE_LEN {
            return Err(GroupError::TooLarge);
        }
        let m = decode_exact::<proto::SenderKeyMessage>(bytes).ok_or(GroupError::Malformed)?;
        if m.version != GROUP_VERSION {
            return Err(GroupError::UnsupportedVersion);
        }
        let group_id = GroupId::from_slice(&m.group_id).ok_or(GroupError::Malformed)?;
        let salt: [u8; SALT_LEN] = m
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| GroupError::Malformed)?;
        let signature: [u8; SIGNATURE_LEN] = m
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| GroupError::Malformed)?;
        if m.ciphertext.len() < TAG_LEN || m.ciphertext.len() > MAX_PLAINTEXT_LEN + TAG_LEN {
            return Err(GroupError::Malformed);
        }
        // The last position is never used, so `iteration + 1` always exists.
        if m.iteration == u32::MAX {
            return Err(GroupError::Malformed);
        }
        Ok(SenderKeyMessage {
            group_id,
            key_id: SenderKeyId(m.key_id),
            iteration: m.iteration,
            salt,
            ciphertext: m.ciphertext,
            signature,
            encoded: bytes.to_vec(),
        })
    }

    /// The canonical encoding (protobuf, `proto/crosswire.proto`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encoded.clone()
    }

    /// The canonical encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The group this message is for.
    pub fn group_id(&self) -> &GroupId {
        &self.group_id
    }

    /// Which of the sender's keys encrypted it.
    pub fn key_id(&self) -> SenderKeyId {
        self.key_id
    }

    /// Its position in that sender chain.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// Builds, signs and encodes a message; `sign` signs the bytes it is given.
    pub(crate) fn build(
        group_id: GroupId,
        key_id: SenderKeyId,
        iteration: u32,
        salt: [u8; SALT_LEN],
        ciphertext: Vec<u8>,
        sender: &IdentityKey,
        sign: impl FnOnce(&[u8]) -> [u8; SIGNATURE_LEN],
    ) -> Self {
        let unsigned = proto::SenderKeyMessage {
            version: GROUP_VERSION,
            group_id: group_id.as_bytes().to_vec(),
            key_id: key_id.0,
            iteration,
            salt: salt.to_vec(),
            ciphertext,
            signature: Vec::new(),
        };
        // With `signature` empty prost writes fields 1 to 6: exactly the signed part.
        let mut encoded = Vec::with_capacity(unsigned.encoded_len() + SIGNATURE_FIELD_LEN);
        unsigned.encode_raw(&mut encoded);
        let signature = sign(&signed_bytes(sender, &encoded));
        encoded.push(7 << 3 | 2);
        encoded.push(SIGNATURE_LEN as u8);
        encoded.extend_from_slice(&signature);
        SenderKeyMessage {
            group_id,
            key_id,
            iteration,
            salt,
            ciphertext: unsigned.ciphertext,
            signature,
            encoded,
        }
    }

    /// What the signature covers: label || sender identity || fields 1 to 6 as encoded.
    pub(crate) fn signed_message(&self, sender: &IdentityKey) -> Vec<u8> {
        let body = &self.encoded[..self.encoded.len() - SIGNATURE_FIELD_LEN];
        signed_bytes(sender, body)
    }

    /// The AEAD associated data: `0x01 || group id || sender identity || u32be(key id) ||
    /// u32be(iteration) || salt`.
    pub(crate) fn associated_data(
        group_id: &GroupId,
        sender: &IdentityKey,
        key_id: SenderKeyId,
        iteration: u32,
        salt: &[u8; SALT_LEN],
    ) -> [u8; GROUP_AD_LEN] {
        let mut ad = [0u8; GROUP_AD_LEN];
        ad[0] = 0x01;
        ad[1..33].copy_from_slice(group_id.as_bytes());
        ad[33..65].copy_from_slice(sender.as_bytes());
        ad[65..69].copy_from_slice(&key_id.0.to_be_bytes());
        ad[69..73].copy_from_slice(&iteration.to_be_bytes());
        ad[73..89].copy_from_slice(salt);
        ad
    }
}

fn signed_bytes(sender: &IdentityKey, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(LABEL_GROUP_SIGNATURE.len() + PUBLIC_KEY_LEN + body.len());
    out.extend_from_slice(LABEL_GROUP_SIGNATURE);
    out.extend_from_slice(sender.as_bytes());
    out.extend_from_slice(body);
    out
}

impl core::fmt::Debug for SenderKeyMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SenderKeyMessage")
            .field("group_id", &self.group_id)
            .field("key_id", &self.key_id)
            .field("iteration", &self.iteration)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message whose fields have the lengths SPEC.md 16.4 requires, with a `ciphertext_len`
    /// byte ciphertext. Nothing here is checked cryptographically: decoding runs none.
    fn message(ciphertext_len: usize) -> proto::SenderKeyMessage {
        proto::SenderKeyMessage {
            version: GROUP_VERSION,
            group_id: vec![1; GROUP_ID_LEN],
            key_id: 7,
            iteration: 3,
            salt: vec![2; SALT_LEN],
            ciphertext: vec![3; ciphertext_len],
            signature: vec![4; SIGNATURE_LEN],
        }
    }

    /// SPEC.md 16.4's figure, written out: the largest ciphertext (131072 + 16) plus 1 KiB.
    /// The bound is exact and tested before decoding: a canonical message of a newer version
    /// is `UnsupportedVersion` at 132112 bytes (decoded, its version read) and `TooLarge` at
    /// 132113.
    #[test]
    fn message_length_bound_is_exact_and_checked_first() {
        assert_eq!(MAX_GROUP_MESSAGE_LEN, 132_112);
        for (len, expected) in [
            (132_112, GroupError::UnsupportedVersion),
            (132_113, GroupError::TooLarge),
        ] {
            let mut m = message(0);
            m.version = GROUP_VERSION + 1;
            // The ciphertext field adds a 1-byte key and a 3-byte length to its bytes.
            m.ciphertext.resize(len - m.encoded_len() - 4, 3);
            while m.encoded_len() < len {
                m.ciphertext.push(3);
            }
            let bytes = m.encode_to_vec();
            assert_eq!(bytes.len(), len);
            assert_eq!(SenderKeyMessage::from_bytes(&bytes).unwrap_err(), expected);
        }
    }

    /// Debug shows the header fields and the ciphertext's length, not its bytes.
    #[test]
    fn debug_shows_the_header_and_the_ciphertext_length() {
        let m = SenderKeyMessage::from_bytes(&message(20).encode_to_vec()).unwrap();
        assert_eq!(
            format!("{m:?}"),
            format!(
                "SenderKeyMessage {{ group_id: GroupId({}), key_id: SenderKeyId(7), \
                 iteration: 3, ciphertext_len: 20, .. }}",
                "01".repeat(GROUP_ID_LEN)
            )
        );
    }

    /// The ciphertext holds at least a tag and at most the largest plaintext and its tag:
    /// 16 ..= 131088 bytes (SPEC.md 16.4), both ends included.
    #[test]
    fn ciphertext_length_bounds_are_exact() {
        for (len, ok) in [
            (0, false),
            (15, false),
            (16, true),
            (131_088, true),
            (131_089, false),
        ] {
            let bytes = message(len).encode_to_vec();
            match SenderKeyMessage::from_bytes(&bytes) {
                Ok(m) => {
                    assert!(ok, "{len} accepted");
                    assert_eq!(m.ciphertext.len(), len);
                    assert_eq!(m.as_bytes(), bytes);
                }
                Err(e) => {
                    assert!(!ok, "{len} refused");
                    assert_eq!(e, GroupError::Malformed, "{len}");
                }
            }
        }
    }
}
