//! `wire.json`: envelope encodings of each message type, field by field (SPEC.md section 6).

use serde_json::{Value, json};

use super::{Tape, bytes, bytes32, cases, file, hex, object, text, uint, uint_opt};
use crate::keys::SignedPreKeyId;
use crate::keys::{IdentityKey, IdentityKeyPair, KeyPair, OneTimePreKeyId, PublicKey};
use crate::ratchet::header::PreKeyFields;
use crate::wire::{Envelope, PreKeyMessage, RatchetMessage};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 6;

const DESCRIPTION: &str = "Envelope encodings (SPEC.md section 6, proto/crosswire.proto). Each \
    case gives the field values and `encoding`: the parts of the envelope in order, each with \
    its protobuf tag byte(s), length prefix (length-delimited fields) and value; a nested \
    message's part has value null and its fields follow. The parts concatenate to `envelope`, \
    which must decode to exactly these fields. Keys are genuine; the salt and ciphertext are \
    random bytes (decoding runs no cryptography). proto3 omits zero-valued plain fields; the \
    `optional` one_time_prekey_id is written whenever present, even when 0.";

/// The generator's cases: name, type, signed prekey id, one-time prekey id, previous counter,
/// counter, ciphertext length.
type Spec = (
    &'static str,
    &'static str,
    u32,
    Option<u32>,
    u32,
    u32,
    usize,
);
const CASES: [Spec; 6] = [
    (
        "prekey message with a one-time prekey id",
        "prekey",
        1,
        Some(100),
        0,
        0,
        35,
    ),
    (
        "prekey message without a one-time prekey id, large signed prekey id",
        "prekey",
        0xfedc_ba98,
        None,
        0,
        3,
        16,
    ),
    (
        "prekey message with one-time prekey id 0 and signed prekey id 0",
        "prekey",
        0,
        Some(0),
        0,
        0,
        20,
    ),
    (
        "ratchet message, both counters 0 (omitted)",
        "ratchet",
        0,
        None,
        0,
        0,
        16,
    ),
    (
        "ratchet message, two-byte varints and a nested length over 127",
        "ratchet",
        0,
        None,
        3,
        300,
        150,
    ),
    (
        // The largest values a sender emits (SPEC 5.6): PN = 2^32 - 2, the length of a chain
        // that sent its last allowed message, and n = 2^32 - 3, that last message's counter.
        // u32::MAX is never sent, and receivers reject it.
        "ratchet message, largest counters",
        "ratchet",
        0,
        None,
        0xffff_fffe,
        0xffff_fffd,
        40,
    ),
];

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let none = object();
    let draw = |t: &mut Tape, len: usize| {
        let mut out = vec![0u8; len];
        t.draw(&none, &[], |t| rand_core::Rng::fill_bytes(t, &mut out));
        out
    };
    let cases = CASES
        .iter()
        .map(|&(name, kind, spk_id, opk_id, pn, n, ct_len)| {
            let ratchet_key = tape.draw(&none, &[], |t| *KeyPair::generate(t).public()).0;
            let mut input = json!({
                "name": name,
                "type": kind,
                "ratchet_key": hex(ratchet_key.as_bytes()),
                "previous_counter": pn,
                "counter": n,
                "salt": hex(draw(&mut tape, 16)),
                "ciphertext": hex(draw(&mut tape, ct_len)),
            });
            if kind == "prekey" {
                let identity = tape.draw(&none, &[], IdentityKeyPair::generate).0;
                let base_key = tape.draw(&none, &[], |t| *KeyPair::generate(t).public()).0;
                input["identity_key"] = hex(identity.public().as_bytes());
                input["base_key"] = hex(base_key.as_bytes());
                input["signed_prekey_id"] = json!(spk_id);
                input["one_time_prekey_id"] = json!(opk_id);
            }
            case(&input)
        })
        .collect();
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let name = text(recorded, "name");
        // Every vector is a message some sender could have produced (SPEC 5.6): a counter is at
        // most 2^32 - 3 (the chain is exhausted before 2^32 - 2), a PN at most 2^32 - 2.
        assert!(
            uint(recorded, "counter") <= u32::MAX - 2,
            "{name}: counter never sent"
        );
        assert!(
            uint(recorded, "previous_counter") < u32::MAX,
            "{name}: PN never sent"
        );
        super::assert_same(&case(recorded), recorded, name);
    }
}

/// Builds the envelope from the case's fields and explains its encoding.
fn case(input: &Value) -> Value {
    let message = RatchetMessage {
        ratchet_key: PublicKey::from_bytes(&bytes32(input, "ratchet_key")).expect("key"),
        previous_counter: uint(input, "previous_counter"),
        counter: uint(input, "counter"),
        salt: bytes(input, "salt").try_into().expect("16-byte salt"),
        ciphertext: bytes(input, "ciphertext"),
    };
    let mut out = json!({
        "name": input["name"],
        "type": input["type"],
        "ratchet_key": input["ratchet_key"],
        "previous_counter": input["previous_counter"],
        "counter": input["counter"],
        "salt": input["salt"],
        "ciphertext": input["ciphertext"],
    });
    let mut parts = vec![part("Envelope.version", 1, Varint(1))];
    let envelope = match text(input, "type") {
        "prekey" => {
            let fields = PreKeyFields {
                identity_key: IdentityKey::from_bytes(&bytes32(input, "identity_key"))
                    .expect("identity key"),
                base_key: PublicKey::from_bytes(&bytes32(input, "base_key")).expect("base key"),
                signed_prekey_id: SignedPreKeyId(uint(input, "signed_prekey_id")),
                one_time_prekey_id: uint_opt(input, "one_time_prekey_id").map(OneTimePreKeyId),
                kem: None,
            };
            for key in [
                "identity_key",
                "base_key",
                "signed_prekey_id",
                "one_time_prekey_id",
            ] {
                out[key] = input[key].clone();
            }
            let mut inner = vec![
                part(
                    "PreKeyMessage.identity_key",
                    1,
                    Bytes(fields.identity_key.as_bytes()),
                ),
                part(
                    "PreKeyMessage.base_key",
                    2,
                    Bytes(fields.base_key.as_bytes()),
                ),
                part(
                    "PreKeyMessage.signed_prekey_id",
                    3,
                    Varint(fields.signed_prekey_id.0),
                ),
            ];
            if let Some(id) = fields.one_time_prekey_id {
                inner.push(Some(encode(
                    "PreKeyMessage.one_time_prekey_id",
                    4,
                    Varint(id.0),
                )));
            }
            inner.extend(nested("PreKeyMessage.message", 5, ratchet_parts(&message)));
            parts.extend(nested("Envelope.prekey", 2, inner));
            Envelope::PreKey(Box::new(PreKeyMessage {
                fields,
                kem_ciphertext: None,
                message,
            }))
        }
        "ratchet" => {
            parts.extend(nested("Envelope.ratchet", 3, ratchet_parts(&message)));
            Envelope::Ratchet(message)
        }
        other => panic!("unknown type {other}"),
    };
    let parts: Vec<Part> = parts.into_iter().flatten().collect();
    let concatenated: Vec<u8> = parts.iter().flat_map(|p| p.bytes.clone()).collect();
    let encoded = envelope.to_bytes();
    assert_eq!(hex::encode(&concatenated), hex::encode(&encoded));
    assert_eq!(Envelope::from_bytes(&encoded).as_ref(), Ok(&envelope));
    out["encoding"] = parts.iter().map(|p| p.json.clone()).collect();
    out["envelope"] = hex(&encoded);
    out
}

/// One encoded field: its JSON description and its bytes.
struct Part {
    json: Value,
    bytes: Vec<u8>,
}

enum FieldValue<'a> {
    Varint(u32),
    Bytes(&'a [u8]),
}
use FieldValue::{Bytes, Varint};

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// A field as proto3 writes it: `None` when it holds the default value (0 or empty).
fn part(name: &str, number: u32, value: FieldValue<'_>) -> Option<Part> {
    match value {
        Varint(0) => None,
        Bytes([]) => None,
        v => Some(encode(name, number, v)),
    }
}

fn encode(name: &str, number: u32, value: FieldValue<'_>) -> Part {
    let (wire_type, length, value) = match value {
        Varint(v) => (0, None, varint(u64::from(v))),
        Bytes(b) => (2, Some(varint(b.len() as u64)), b.to_vec()),
    };
    let tag = varint(u64::from(number << 3 | wire_type));
    let mut bytes = tag.clone();
    bytes.extend(length.iter().flatten());
    bytes.extend(&value);
    Part {
        json: json!({
            "field": name,
            "tag": hex(&tag),
            "length": length.map(hex),
            "value": hex(&value),
        }),
        bytes,
    }
}

/// A length-delimited nested message: its header part, then its fields.
fn nested(name: &str, number: u32, fields: Vec<Option<Part>>) -> Vec<Option<Part>> {
    let fields: Vec<Part> = fields.into_iter().flatten().collect();
    let len: usize = fields.iter().map(|p| p.bytes.len()).sum();
    let tag = varint(u64::from(number << 3 | 2));
    let length = varint(len as u64);
    let mut bytes = tag.clone();
    bytes.extend(&length);
    let head = Part {
        json: json!({"field": name, "tag": hex(&tag), "length": hex(&length), "value": null}),
        bytes,
    };
    std::iter::once(head).chain(fields).map(Some).collect()
}

fn ratchet_parts(m: &RatchetMessage) -> Vec<Option<Part>> {
    vec![
        part(
            "RatchetMessage.ratchet_key",
            1,
            Bytes(m.ratchet_key.as_bytes()),
        ),
        part(
            "RatchetMessage.previous_counter",
            2,
            Varint(m.previous_counter),
        ),
        part("RatchetMessage.counter", 3, Varint(m.counter)),
        part("RatchetMessage.salt", 4, Bytes(&m.salt)),
        part("RatchetMessage.ciphertext", 5, Bytes(&m.ciphertext)),
    ]
}
