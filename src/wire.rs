//! The wire format: [`Envelope`] and its two message types (SPEC.md section 6).
//!
//! `proto/crosswire.proto` defines the encoding. Decoding checks, in this order, before any
//! cryptography: total size, protobuf well-formedness, that re-encoding the decoded message gives
//! exactly the bytes that arrived (this rejects unknown, repeated and reordered fields, trailing
//! bytes and non-minimal or over-wide varints), the version, and every field's length and key
//! validity.

use prost::Message;

use crate::aead::TAG_LEN;
use crate::error::WireError;
use crate::kem::{KEM_CIPHERTEXT_LEN, KemCiphertext};
use crate::kem_prekey::KemPreKeyId;
use crate::keys::{IdentityKey, OneTimePreKeyId, PUBLIC_KEY_LEN, PublicKey, SignedPreKeyId};
use crate::proto;
use crate::ratchet::header::{Header, KemFields, PreKeyFields};
use crate::ratchet::message_key::SALT_LEN;

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

    fn encoded_len(&self) -> usize {
        bytes_len(PUBLIC_KEY_LEN)
            + uint32_len(self.previous_counter)
            + uint32_len(self.counter)
            + bytes_len(SALT_LEN)
            + bytes_len(self.ciphertext.len())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, 1, self.ratchet_key.as_bytes());
        put_uint32(out, 2, self.previous_counter);
        put_uint32(out, 3, self.counter);
        put_bytes(out, 4, &self.salt);
        put_bytes(out, 5, &self.ciphertext);
    }

    #[cfg(test)]
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

impl PreKeyMessage {
    fn encoded_len(&self) -> usize {
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

    fn encode(&self, out: &mut Vec<u8>) {
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

// Protobuf encoding of the fields above, as proto3 and prost write them: zero integers and empty
// byte strings are left out, a present sub-message is written even when empty, and every field
// number here is below 16, so each key is the single byte `field << 3 | wire type`.

/// Wire type of a length-delimited field (bytes, sub-message).
const LENGTH_DELIMITED: u8 = 2;

fn varint_len(value: u64) -> usize {
    // Seven bits a byte; zero takes one byte.
    (70 - (value | 1).leading_zeros() as usize) / 7
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn uint32_len(value: u32) -> usize {
    if value == 0 {
        0
    } else {
        1 + varint_len(value.into())
    }
}

fn put_uint32(out: &mut Vec<u8>, field: u8, value: u32) {
    if value != 0 {
        out.push(field << 3);
        put_varint(out, value.into());
    }
}

fn bytes_len(len: usize) -> usize {
    if len == 0 { 0 } else { message_len(len) }
}

fn put_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    if !bytes.is_empty() {
        put_message_key(out, field, bytes.len());
        out.extend_from_slice(bytes);
    }
}

fn message_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// The key and length of a length-delimited field; its contents follow.
fn put_message_key(out: &mut Vec<u8>, field: u8, len: usize) {
    out.push(field << 3 | LENGTH_DELIMITED);
    put_varint(out, len as u64);
}

/// Decodes `bytes` as `M` and requires them to be the canonical encoding of what they decode to.
///
/// prost skips unknown fields, lets a later field overwrite an earlier one, accepts fields in any
/// order and truncates over-wide varints into `u32` fields, so a plain decode would accept many
/// byte strings for one message. Re-encoding and comparing rejects all of them; the length test
/// first makes the common rejections free.
pub(crate) fn decode_exact<M: Message + Default>(bytes: &[u8]) -> Option<M> {
    let message = M::decode(bytes).ok()?;
    if message.encoded_len() != bytes.len() {
        return None;
    }
    (message.encode_to_vec() == bytes).then_some(message)
}

/// [`decode_exact`] for messages holding secrets (session states): nothing it allocates is
/// freed unwiped. prost copies every `bytes` field through a temporary buffer
/// ([`prost::bytes::Buf::copy_to_bytes`]), which [`WipingBuf`] makes a zeroizing one; a message
/// that is rejected, even half decoded, is passed to `wipe` before it is dropped; and the
/// canonical re-encoding is wiped.
pub(crate) fn decode_exact_secret<M: Message + Default>(
    bytes: &[u8],
    wipe: fn(&mut M),
) -> Option<M> {
    let mut message = M::default();
    let decoded = message.merge(WipingBuf(bytes)).is_ok()
        && message.encoded_len() == bytes.len()
        && zeroize::Zeroizing::new(message.encode_to_vec()).as_slice() == bytes;
    if decoded {
        Some(message)
    } else {
        wipe(&mut message);
        None
    }
}

/// A byte slice as a [`prost::bytes::Buf`] whose copies are wiped when dropped.
struct WipingBuf<'a>(&'a [u8]);

impl prost::bytes::Buf for WipingBuf<'_> {
    fn remaining(&self) -> usize {
        self.0.len()
    }

    fn chunk(&self) -> &[u8] {
        self.0
    }

    fn advance(&mut self, cnt: usize) {
        self.0 = self.0.get(cnt..).unwrap_or_default();
    }

    fn copy_to_bytes(&mut self, len: usize) -> prost::bytes::Bytes {
        // prost checks `len` against `remaining` first; a short slice is copied short rather
        // than panicking.
        let len = len.min(self.0.len());
        let (head, tail) = self.0.split_at(len);
        self.0 = tail;
        prost::bytes::Bytes::from_owner(zeroize::Zeroizing::new(head.to_vec()))
    }
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

    /// The prost encoding of `envelope`, which `Envelope::to_bytes` must reproduce exactly.
    fn prost_bytes(envelope: &Envelope) -> Vec<u8> {
        let body = match envelope {
            Envelope::PreKey(p) => proto::envelope::Body::Prekey(proto::PreKeyMessage {
                identity_key: p.fields.identity_key.as_bytes().to_vec(),
                base_key: p.fields.base_key.as_bytes().to_vec(),
                signed_prekey_id: p.fields.signed_prekey_id.0,
                one_time_prekey_id: p.fields.one_time_prekey_id.map(|id| id.0),
                message: Some(p.message.to_proto()),
                kem_prekey_id: p.fields.kem.map(|k| k.prekey_id.0),
                kem_ciphertext: p
                    .kem_ciphertext
                    .as_ref()
                    .map(|ct| ct.as_bytes().to_vec())
                    .unwrap_or_default(),
            }),
            Envelope::Ratchet(r) => proto::envelope::Body::Ratchet(r.to_proto()),
        };
        let version = match envelope {
            Envelope::PreKey(p) if p.kem_ciphertext.is_some() => PROTOCOL_VERSION_PQ,
            _ => PROTOCOL_VERSION,
        };
        proto::Envelope {
            version,
            body: Some(body),
        }
        .encode_to_vec()
    }

    #[test]
    fn encoding_equals_prost() {
        let identity_key = IdentityKey::from_bytes(
            &hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
                .unwrap()
                .try_into()
                .unwrap(),
        )
        .unwrap();
        let counters = [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            1 << 28,
            u32::MAX - 1,
            u32::MAX,
        ];
        let mut checked = 0;
        for (i, len) in [
            16usize,
            127,
            128,
            16_383,
            16_384,
            MAX_PLAINTEXT_LEN + TAG_LEN,
        ]
        .into_iter()
        .enumerate()
        {
            for (j, &counter) in counters.iter().enumerate() {
                let message = RatchetMessage {
                    ratchet_key: PublicKey::from_bytes(&[9; 32]).unwrap(),
                    previous_counter: counters[(i + j) % counters.len()],
                    counter,
                    salt: [5; 16],
                    ciphertext: vec![i as u8; len],
                };
                let ids = [None, Some(0), Some(1), Some(300), Some(u32::MAX)];
                let prekey = |kem: Option<u32>| {
                    let ct = kem.map(|_| KemCiphertext::from_bytes(&[j as u8; 1568]).unwrap());
                    Envelope::PreKey(Box::new(PreKeyMessage {
                        fields: PreKeyFields {
                            identity_key,
                            base_key: PublicKey::from_bytes(&[7; 32]).unwrap(),
                            signed_prekey_id: SignedPreKeyId(
                                counters[(i * 3 + j) % counters.len()],
                            ),
                            one_time_prekey_id: ids[j % ids.len()].map(OneTimePreKeyId),
                            kem: kem.zip(ct.as_ref()).map(|(id, ct)| KemFields {
                                prekey_id: KemPreKeyId(id),
                                ciphertext_hash: ct.hash(),
                            }),
                        },
                        kem_ciphertext: ct,
                        message: message.clone(),
                    }))
                };
                let pq = prekey(Some(counters[(i + j) % counters.len()]));
                for envelope in [Envelope::Ratchet(message.clone()), prekey(None), pq] {
                    let bytes = envelope.to_bytes();
                    assert_eq!(bytes, prost_bytes(&envelope));
                    assert_eq!(Envelope::from_bytes(&bytes).as_ref(), Ok(&envelope));
                    assert_eq!(bytes.len(), bytes.capacity());
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 162);
    }

    /// A prekey message around `sample()`'s ratchet message, PQXDH (with KEM prekey id 77) or
    /// classical.
    fn prekey_sample(pq: bool) -> (Envelope, IdentityKey) {
        let ct = pq.then(|| KemCiphertext::from_bytes(&[3; 1568]).unwrap());
        let identity_key = *crate::IdentityKeyPair::from_seed(&[1; 32]).public();
        let envelope = Envelope::PreKey(Box::new(PreKeyMessage {
            fields: PreKeyFields {
                identity_key,
                base_key: PublicKey::from_bytes(&[7; 32]).unwrap(),
                signed_prekey_id: SignedPreKeyId(21),
                one_time_prekey_id: Some(OneTimePreKeyId(300)),
                kem: ct.as_ref().map(|ct| KemFields {
                    prekey_id: KemPreKeyId(77),
                    ciphertext_hash: ct.hash(),
                }),
            },
            kem_ciphertext: ct,
            message: match sample() {
                Envelope::Ratchet(r) => r,
                Envelope::PreKey(_) => unreachable!(),
            },
        }));
        (envelope, identity_key)
    }

    /// The public accessors report the decoded fields (the ids a responder looks its prekeys up
    /// by, and the counter).
    #[test]
    fn accessors_return_the_decoded_fields() {
        let (envelope, identity_key) = prekey_sample(true);
        let decoded = Envelope::from_bytes(&envelope.to_bytes()).unwrap();
        let Envelope::PreKey(p) = &decoded else {
            panic!("a prekey message")
        };
        assert_eq!(p.identity_key(), &identity_key);
        assert_eq!(p.signed_prekey_id(), SignedPreKeyId(21));
        assert_eq!(p.one_time_prekey_id(), Some(OneTimePreKeyId(300)));
        assert_eq!(p.base_key().as_bytes(), &[7; 32]);
        assert_eq!(p.kem_prekey_id(), Some(KemPreKeyId(77)));
        let r = decoded.ratchet_message();
        assert_eq!(r.counter(), 300);
        assert_eq!(r.ratchet_key().as_bytes(), &[9; 32]);
    }

    /// The version says whether the KEM fields are there (SPEC.md 6.3): a version 1 prekey
    /// message with them, or a version 2 one without them, is malformed.
    #[test]
    fn prekey_version_and_kem_fields_agree() {
        let with_version = |pq: bool, version: u32| {
            let mut m = proto::Envelope::decode(&prekey_sample(pq).0.to_bytes()[..]).unwrap();
            m.version = version;
            Envelope::from_bytes(&m.encode_to_vec())
        };
        assert!(with_version(true, PROTOCOL_VERSION_PQ).is_ok());
        assert_eq!(
            with_version(true, PROTOCOL_VERSION),
            Err(WireError::Malformed)
        );
        assert!(with_version(false, PROTOCOL_VERSION).is_ok());
        assert_eq!(
            with_version(false, PROTOCOL_VERSION_PQ),
            Err(WireError::Malformed)
        );
    }

    /// The length bound is exact: a blob of `MAX_ENVELOPE_LEN` bytes is decoded (and here
    /// malformed), one byte more is refused unread.
    #[test]
    fn envelope_length_bound_is_exact() {
        assert_eq!(
            Envelope::from_bytes(&vec![0; MAX_ENVELOPE_LEN]),
            Err(WireError::Malformed)
        );
        assert_eq!(
            Envelope::from_bytes(&vec![0; MAX_ENVELOPE_LEN + 1]),
            Err(WireError::TooLarge)
        );
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
        ); // The same fields in another order: body (field 3) before version (field 1).
        assert_eq!(bytes[..2], [0x08, 0x01]);
        let mut reordered = bytes[2..].to_vec();
        reordered.extend_from_slice(&bytes[..2]);
        assert_eq!(Envelope::from_bytes(&reordered), Err(WireError::Malformed));
    }

    #[test]
    fn rejects_same_length_over_wide_varint() {
        // counter = 2^28 takes five varint bytes, and so does 2^32 + 2^28, which prost truncates
        // to 2^28 for a uint32 field: only comparing bytes tells the two apart.
        let Envelope::Ratchet(mut m) = sample() else {
            unreachable!()
        };
        m.counter = 1 << 28;
        let good = Envelope::Ratchet(m).to_bytes();
        let field = [0x18, 0x80, 0x80, 0x80, 0x80, 0x01];
        let at = good.windows(6).position(|w| w == field).unwrap();
        let mut wide = good.clone();
        wide[at + 5] = 0x11; // bit 32 set as well
        assert!(Envelope::from_bytes(&good).is_ok());
        assert_eq!(Envelope::from_bytes(&wide), Err(WireError::Malformed));
    }

    #[test]
    fn rejects_versions_sizes_and_bad_fields() {
        let mut v2 = proto::Envelope::decode(&sample().to_bytes()[..]).unwrap();
        v2.version = 3;
        assert_eq!(
            Envelope::from_bytes(&v2.encode_to_vec()),
            Err(WireError::UnsupportedVersion)
        );
        // Version 2 is only for PQXDH prekey messages.
        v2.version = 2;
        assert_eq!(
            Envelope::from_bytes(&v2.encode_to_vec()),
            Err(WireError::Malformed)
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
