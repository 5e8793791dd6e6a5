//! The wire format: [`Envelope`] and its two message types (SPEC.md section 6).
//!
//! `proto/crosswire.proto` defines the encoding. Decoding checks, in this order, before any
//! cryptography: total size, protobuf well-formedness, that re-encoding the decoded message gives
//! exactly as many bytes as arrived (this rejects unknown fields, repeated fields, trailing bytes
//! and non-minimal varints), the version, and every field's length and key validity.

use prost::Message;

use crate::aead::TAG_LEN;
use crate::error::WireError;
use crate::keys::{IdentityKey, OneTimePreKeyId, PublicKey, SignedPreKeyId};
use crate::proto;
use crate::ratchet::MAX_PLAINTEXT_LEN;
use crate::ratchet::header::PreKeyFields;
use crate::ratchet::message_key::SALT_LEN;

/// The envelope version this library writes and reads.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest envelope [`Envelope::from_bytes`] accepts: the largest ciphertext plus 1 KiB, more
/// than any header needs.
pub const MAX_ENVELOPE_LEN: usize = MAX_PLAINTEXT_LEN + TAG_LEN + 1024;

/// A decoded, validated envelope: what travels between providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    /// Starts a session (X3DH) and carries a ratchet message. The initiator sends these until
    /// its first reply arrives.
    PreKey(PreKeyMessage),
    /// A message within an established session.
    Ratchet(RatchetMessage),
}

/// The X3DH initial message with the ratchet message it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyMessage {
    pub(crate) fields: PreKeyFields,
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
}

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

impl Envelope {
    /// Decodes and validates an envelope. No cryptography runs here; that is
    /// [`Session::decrypt`](crate::Session::decrypt)'s job.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(WireError::TooLarge);
        }
        let envelope = decode_exact::<proto::Envelope>(bytes).ok_or(WireError::Malformed)?;
        if envelope.version != PROTOCOL_VERSION {
            return Err(WireError::UnsupportedVersion);
        }
        match envelope.body.ok_or(WireError::Malformed)? {
            proto::envelope::Body::Prekey(p) => {
                let message = p.message.ok_or(WireError::Malformed)?;
                let fields = PreKeyFields {
                    identity_key: IdentityKey::from_slice(&p.identity_key)
                        .map_err(WireError::InvalidKey)?,
                    base_key: PublicKey::from_slice(&p.base_key).map_err(WireError::InvalidKey)?,
                    signed_prekey_id: SignedPreKeyId(p.signed_prekey_id),
                    one_time_prekey_id: p.one_time_prekey_id.map(OneTimePreKeyId),
                };
                Ok(Envelope::PreKey(PreKeyMessage {
                    fields,
                    message: RatchetMessage::from_proto(message)?,
                }))
            }
            proto::envelope::Body::Ratchet(r) => {
                Ok(Envelope::Ratchet(RatchetMessage::from_proto(r)?))
            }
        }
    }

    /// Encodes the envelope (protobuf, `proto/crosswire.proto`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = match self {
            Envelope::PreKey(p) => proto::envelope::Body::Prekey(proto::PreKeyMessage {
                identity_key: p.fields.identity_key.as_bytes().to_vec(),
                base_key: p.fields.base_key.as_bytes().to_vec(),
                signed_prekey_id: p.fields.signed_prekey_id.0,
                one_time_prekey_id: p.fields.one_time_prekey_id.map(|id| id.0),
                message: Some(p.message.to_proto()),
            }),
            Envelope::Ratchet(r) => proto::envelope::Body::Ratchet(r.to_proto()),
        };
        proto::Envelope {
            version: PROTOCOL_VERSION,
            body: Some(body),
        }
        .encode_to_vec()
    }

    /// The ratchet message inside, whichever the envelope type.
    pub fn ratchet_message(&self) -> &RatchetMessage {
        match self {
            Envelope::PreKey(p) => &p.message,
            Envelope::Ratchet(r) => r,
        }
    }
}

impl RatchetMessage {
    fn from_proto(m: proto::RatchetMessage) -> Result<Self, WireError> {
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

    fn to_proto(&self) -> proto::RatchetMessage {
        proto::RatchetMessage {
            ratchet_key: self.ratchet_key.as_bytes().to_vec(),
            previous_counter: self.previous_counter,
            counter: self.counter,
            salt: self.salt.to_vec(),
            ciphertext: self.ciphertext.clone(),
        }
    }
}

/// Decodes `bytes` as `M` and requires the re-encoded length to equal the input length.
///
/// prost skips unknown fields and lets a later field overwrite an earlier one, so a plain decode
/// would accept bytes that carry more than the message says. Every such extra (unknown or
/// repeated field, trailing data, over-long varint) makes the input longer than the canonical
/// encoding of what was decoded.
pub(crate) fn decode_exact<M: Message + Default>(bytes: &[u8]) -> Option<M> {
    let message = M::decode(bytes).ok()?;
    (message.encoded_len() == bytes.len()).then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope::Ratchet(RatchetMessage {
            ratchet_key: PublicKey::from_bytes(&[9; 32]).unwrap(),
            previous_counter: 3,
            counter: 300,
            salt: [5; 16],
            ciphertext: vec![1; 40],
        })
    }

    #[test]
    fn round_trip() {
        let env = sample();
        assert_eq!(Envelope::from_bytes(&env.to_bytes()).unwrap(), env);
    }

    #[test]
    fn rejects_trailing_unknown_and_repeated_fields() {
        let bytes = sample().to_bytes();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(Envelope::from_bytes(&trailing), Err(WireError::Malformed));
        // An unknown varint field 15 appended.
        let mut unknown = bytes.clone();
        unknown.extend_from_slice(&[0x78, 0x01]);
        assert_eq!(Envelope::from_bytes(&unknown), Err(WireError::Malformed));
        // The version field repeated.
        let mut repeated = bytes.clone();
        repeated.extend_from_slice(&[0x08, 0x01]);
        assert_eq!(Envelope::from_bytes(&repeated), Err(WireError::Malformed));
        // A non-minimal varint for version 1: 0x81 0x00.
        let mut long_varint = vec![0x08, 0x81, 0x00];
        long_varint.extend_from_slice(&bytes[2..]);
        assert_eq!(
            Envelope::from_bytes(&long_varint),
            Err(WireError::Malformed)
        );
    }

    #[test]
    fn rejects_versions_sizes_and_bad_fields() {
        let mut v2 = proto::Envelope::decode(&sample().to_bytes()[..]).unwrap();
        v2.version = 2;
        assert_eq!(
            Envelope::from_bytes(&v2.encode_to_vec()),
            Err(WireError::UnsupportedVersion)
        );
        v2.version = 1;
        v2.body = None;
        assert_eq!(
            Envelope::from_bytes(&v2.encode_to_vec()),
            Err(WireError::Malformed)
        );
        assert_eq!(
            Envelope::from_bytes(&vec![0; MAX_ENVELOPE_LEN + 1]),
            Err(WireError::TooLarge)
        );
        assert_eq!(
            Envelope::from_bytes(&[]),
            Err(WireError::UnsupportedVersion)
        );

        let with = |f: &dyn Fn(&mut proto::RatchetMessage)| {
            let mut m = RatchetMessage::to_proto(match &sample() {
                Envelope::Ratchet(r) => r,
                Envelope::PreKey(_) => unreachable!(),
            });
            f(&mut m);
            let env = proto::Envelope {
                version: 1,
                body: Some(proto::envelope::Body::Ratchet(m)),
            };
            Envelope::from_bytes(&env.encode_to_vec())
        };
        assert_eq!(
            with(&|m| m.salt.pop().map(drop).unwrap_or(())),
            Err(WireError::Malformed)
        );
        assert_eq!(
            with(&|m| m.ciphertext.truncate(15)),
            Err(WireError::Malformed)
        );
        assert_eq!(
            with(&|m| m.ratchet_key = vec![0; 32]),
            Err(WireError::InvalidKey(crate::KeyError::LowOrder))
        );
        assert_eq!(
            with(&|m| m.ratchet_key.push(0)),
            Err(WireError::InvalidKey(crate::KeyError::InvalidLength))
        );
        assert!(with(&|_| ()).is_ok());
    }
}
