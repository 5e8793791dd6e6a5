//! `content.json`: the plaintext inside the ratchet, the protobuf `Content` padded to 160-byte
//! buckets (SPEC.md section 9), and plaintexts that must be rejected.

mod decode_only;
mod json;
mod rejected;

use serde_json::{Value, json};

use super::{Tape, bytes, cases, file, hex, text};
use crate::content::padding::unpad;
use crate::content::{Content, MessageId};
use crate::error::Error;
use decode_only::{newer_sender, tolerance};
use json::{from_json, mid, to_json};
use rejected::{bounds_and_order, invalid};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 11;

const DESCRIPTION: &str = "Content (SPEC.md section 9). `content` describes a Content message \
    field by field as in proto/crosswire.proto (bytes as hex; enums by name; absent optional \
    fields null); `encoded` is its protobuf encoding and `plaintext` the padded plaintext that \
    Session::encrypt takes: encoded || 0x80 || zero bytes up to the next multiple of 160 bytes \
    strictly above the encoded length. Cases with `decode_only` give a plaintext a newer or \
    non-canonical sender might produce (unknown fields and enum values, repeated fields, long \
    varints; SPEC.md 9.3) and the content it must decode to. Cases with `error` give a \
    plaintext that decoding must reject with that error; one too large to list gives \
    `plaintext_byte` repeated `plaintext_length` times instead.";

fn id(tape: &mut Tape) -> Value {
    let none = super::object();
    hex(tape.draw(&none, &[], MessageId::random).0.as_bytes())
}

fn random(tape: &mut Tape, len: usize) -> Value {
    let none = super::object();
    let mut out = vec![0u8; len];
    tape.draw(&none, &[], |t| rand_core::Rng::fill_bytes(t, &mut out));
    hex(out)
}

fn plain(body: &str) -> Value {
    json!({"body": body, "format": "plain"})
}

pub(super) fn generate() -> Value {
    let mut t = Tape::seeded(SEED);
    let pointer = json!({
        "kind": "photo",
        "key": random(&mut t, 32),
        "content_type": "image/jpeg",
        "plaintext_size": 183_211,
        "chunk_size": 65_536,
        "digest": random(&mut t, 32),
        "locator": "https://cdn.example.net/a/5f1c0e",
        "width": 1280,
        "height": 960,
        "duration_ms": null,
        "thumbnail": random(&mut t, 40),
        "caption": "the view from the top",
        "file_name": "IMG_0042.jpg",
    });
    let minimal_pointer = json!({
        "kind": "file",
        "key": random(&mut t, 32),
        "content_type": "",
        "plaintext_size": 0,
        "chunk_size": 1024,
        "digest": random(&mut t, 32),
        "locator": "blob:7",
        "width": null,
        "height": null,
        "duration_ms": null,
        "thumbnail": "",
        "caption": "",
        "file_name": "",
    });
    let bodies = [
        ("plain text", json!({"text": plain("Hello, Bob!")})),
        (
            "markdown text, non-ASCII",
            json!({"text": {"body": "**Grüße** aus Zürich 👋", "format": "markdown"}}),
        ),
        ("empty text, timestamp 0", json!({"text": plain("")})),
        (
            "text of 159 bytes: the encoding crosses into a second bucket",
            json!({"text": plain(&"x".repeat(159))}),
        ),
        (
            "photo attachment with metadata",
            json!({"attachment": pointer}),
        ),
        (
            "reply with text",
            json!({"reply": {"in_reply_to": id(&mut t), "text": plain("yes!")}}),
        ),
        (
            "reply with an attachment",
            json!({"reply": {"in_reply_to": id(&mut t), "attachment": minimal_pointer}}),
        ),
        (
            "reaction",
            json!({"reaction": {"target": id(&mut t), "emoji": "👍🏽", "remove": false}}),
        ),
        (
            "reaction removed",
            json!({"reaction": {"target": id(&mut t), "emoji": "👍🏽", "remove": true}}),
        ),
        (
            "edit",
            json!({"edit": {"target": id(&mut t), "text": plain("Hello, Bob!!")}}),
        ),
        ("delete", json!({"delete": {"target": id(&mut t)}})),
        (
            "delivery receipt",
            json!({"receipt": {"kind": "delivered", "message_ids": [id(&mut t)]}}),
        ),
        ("read receipt for three messages", {
            let ids = [id(&mut t), id(&mut t), id(&mut t)];
            json!({"receipt": {"kind": "read", "message_ids": ids}})
        }),
    ];
    let mut cases = Vec::new();
    for (i, (name, body)) in bodies.into_iter().enumerate() {
        let timestamp: u64 = if i == 2 {
            0
        } else {
            1_767_225_600_000 + i as u64 * 1000
        };
        let input = json!({
            "name": name,
            "content": {"message_id": id(&mut t), "timestamp_ms": timestamp, "body": body},
        });
        cases.push(valid(&input));
    }
    cases.extend(newer_sender(&cases[0]));
    cases.extend(invalid(&cases[0], &mut t));
    cases.extend(padding_boundaries(&mut t));
    cases.extend(tolerance(&cases[0], &cases[4], &cases[9]));
    cases.extend(bounds_and_order(&cases[0], &mut t));
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let name = text(recorded, "name");
        if recorded.get("error").is_some() {
            assert_eq!(
                reject(&plaintext_of(recorded)),
                text(recorded, "error"),
                "{name}"
            );
        } else if recorded.get("decode_only").is_some() {
            let content = Content::from_plaintext(&bytes(recorded, "plaintext")).expect("decodes");
            assert_eq!(to_json(&content), recorded["content"], "{name}");
        } else {
            super::assert_same(&valid(recorded), recorded, name);
        }
    }
}

/// The plaintext: `plaintext`, or `plaintext_byte` repeated `plaintext_length` times.
fn plaintext_of(case: &Value) -> Vec<u8> {
    match case.get("plaintext_length") {
        Some(len) => {
            let byte = bytes(case, "plaintext_byte");
            byte.repeat(len.as_u64().expect("length") as usize)
        }
        None => bytes(case, "plaintext"),
    }
}

/// Encodes and pads the case's content, and decodes it back.
fn valid(input: &Value) -> Value {
    let content = from_json(&input["content"]);
    let plaintext = content.to_plaintext().expect("valid content");
    let encoded = unpad(&plaintext).expect("padded").to_vec();
    assert_eq!(
        Content::from_plaintext(&plaintext).as_ref(),
        Ok(&content),
        "{}",
        text(input, "name")
    );
    assert_eq!(to_json(&content), input["content"]);
    json!({
        "name": input["name"],
        "content": input["content"],
        "encoded": hex(&encoded),
        "plaintext": hex(&plaintext[..]),
    })
}

fn pad(encoded: &[u8]) -> Vec<u8> {
    let mut out = encoded.to_vec();
    out.push(0x80);
    out.resize((encoded.len() / 160 + 1) * 160, 0);
    out
}

/// Raw protobuf: a length-delimited field.
fn ld(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(number << 3 | 2, &mut out);
    prost::encoding::encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// Raw protobuf: a varint field.
fn vi(number: u64, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(number << 3, &mut out);
    prost::encoding::encode_varint(value, &mut out);
    out
}

/// Texts whose content encodes to 159, 160, 161 and 319 bytes: the padding adds 1, 160, 159
/// and 1 bytes (SPEC.md 9.2).
fn padding_boundaries(t: &mut Tape) -> Vec<Value> {
    [159usize, 160, 161, 319]
        .into_iter()
        .map(|target| {
            let message_id = id(t);
            let message = mid(&message_id);
            let timestamp = 1_767_225_700_000u64;
            let n = (0..target)
                .find(|&n| {
                    let c = Content::text(message, timestamp, "y".repeat(n));
                    let p = c.to_plaintext().expect("valid");
                    unpad(&p).expect("padded").len() == target
                })
                .expect("a text length hits the target");
            let padding = (target / 160 + 1) * 160 - target;
            let input = json!({
                "name": format!("encoded length {target} ({} mod 160): {padding} bytes of padding", target % 160),
                "content": {"message_id": message_id, "timestamp_ms": timestamp,
                            "body": {"text": plain(&"y".repeat(n))}},
            });
            let case = valid(&input);
            assert_eq!(bytes(&case, "encoded").len(), target);
            case
        })
        .collect()
}

fn reject(plaintext: &[u8]) -> String {
    match Content::from_plaintext(plaintext) {
        Ok(_) => panic!("accepted"),
        Err(e) => super::error_code(&Error::from(e)).to_owned(),
    }
}
