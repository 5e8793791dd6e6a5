//! `content.json`: the plaintext inside the ratchet, the protobuf `Content` padded to 160-byte
//! buckets (SPEC.md section 9), and plaintexts that must be rejected.

use prost::Message;
use serde_json::{Value, json};

use super::{Tape, bytes, cases, file, hex, text};
use crate::content::padding::unpad;
use crate::content::{Body, Content, MessageId, ReceiptKind, ReplyBody, Text, TextFormat};
use crate::error::Error;
use crate::media::{AttachmentKey, AttachmentKind, AttachmentPointer, SealedAttachment};
use crate::proto;

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

/// What a newer sender may send: decodable, with unknown parts ignored or read as defaults.
fn newer_sender(text_case: &Value) -> Vec<Value> {
    let encoded = bytes(text_case, "encoded");
    let mut message = proto::Content::decode(&encoded[..]).expect("own content");
    let mut unknown_field = encoded.clone();
    unknown_field.extend_from_slice(&[0xf8, 0x07, 0x01]); // field 127, varint 1
    if let Some(proto::content::Body::Text(t)) = &mut message.body {
        t.format = 7;
    }
    let unknown_format = message.encode_to_vec();
    [
        ("an unknown field (127) is ignored", unknown_field),
        ("an unknown text format (7) reads as plain", unknown_format),
    ]
    .into_iter()
    .map(|(name, encoded)| {
        let plaintext = pad(&encoded);
        let content = Content::from_plaintext(&plaintext).expect("decodes");
        assert_eq!(to_json(&content), text_case["content"]);
        json!({
            "name": name,
            "decode_only": true,
            "plaintext": hex(plaintext),
            "content": text_case["content"],
        })
    })
    .collect()
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

/// Non-canonical but valid encodings (SPEC.md 9.3, tolerance): each decodes to the content
/// given, which is built from the base case's JSON, not by decoding.
fn tolerance(text_case: &Value, photo_case: &Value, edit_case: &Value) -> Vec<Value> {
    let encoded = bytes(text_case, "encoded");
    let message = proto::Content::decode(&encoded[..]).expect("own content");
    let text_fields = match &message.body {
        Some(proto::content::Body::Text(t)) => t.encode_to_vec(),
        _ => panic!("a text case"),
    };
    let head = [ld(1, &message.message_id), vi(2, message.timestamp_ms)].concat();
    let mut as_markdown = text_case["content"].clone();
    as_markdown["body"]["text"]["format"] = json!("markdown");
    let delete_target = vec![0x5d; 16];
    let mut as_delete = text_case["content"].clone();
    as_delete["body"] = json!({"delete": {"target": hex(&delete_target)}});

    let photo = bytes(photo_case, "encoded");
    let photo_message = proto::Content::decode(&photo[..]).expect("own content");
    let mut pointer = match photo_message.body {
        Some(proto::content::Body::Attachment(p)) => p,
        _ => panic!("an attachment case"),
    };
    let photo_head = [
        ld(1, &photo_message.message_id),
        vi(2, photo_message.timestamp_ms),
    ]
    .concat();
    pointer.kind = 9;
    let unknown_kind = [photo_head.clone(), ld(4, &pointer.encode_to_vec())].concat();
    let mut as_file = photo_case["content"].clone();
    as_file["body"]["attachment"]["kind"] = json!("file");
    pointer.kind = 1;
    // chunk_size 65536 as a ten-byte varint, after the canonical field: the last one wins.
    let long_chunk_size = [
        0x28u8, 0x80, 0x80, 0x84, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
    ];
    let long_varint = [
        photo_head,
        ld(
            4,
            &[pointer.encode_to_vec(), long_chunk_size.to_vec()].concat(),
        ),
    ]
    .concat();

    let edit = bytes(edit_case, "encoded");
    let edit_message = proto::Content::decode(&edit[..]).expect("own content");
    let (target, edit_text) = match &edit_message.body {
        Some(proto::content::Body::Edit(e)) => (e.target.clone(), e.text.clone().expect("text")),
        _ => panic!("an edit case"),
    };
    let edit_head = [
        ld(1, &edit_message.message_id),
        vi(2, edit_message.timestamp_ms),
    ]
    .concat();
    let split_edit = [
        edit_head,
        ld(
            7,
            &[
                ld(1, &target),
                ld(2, &ld(1, edit_text.body.as_bytes())),
                ld(2, &vi(2, 1)),
            ]
            .concat(),
        ),
    ]
    .concat();
    let mut edit_markdown = edit_case["content"].clone();
    edit_markdown["body"]["edit"]["text"]["format"] = json!("markdown");

    let group = [0xc3u8, 0x01, 0x08, 0x01, 0xc4, 0x01];
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "a repeated singular field: the last occurrence wins (message_id twice)",
            [ld(1, &[0xee; 16]), encoded.clone()].concat(),
            text_case["content"].clone(),
        ),
        (
            "the same oneof member twice: the two merge (text, then its format)",
            [head.clone(), ld(3, &text_fields), ld(3, &vi(2, 1))].concat(),
            as_markdown,
        ),
        (
            "two oneof members: the last one wins (text, then delete)",
            [
                head.clone(),
                ld(3, &text_fields),
                ld(8, &ld(1, &delete_target)),
            ]
            .concat(),
            as_delete,
        ),
        (
            "a message field twice: the two merge (edit text, then its format)",
            split_edit,
            edit_markdown,
        ),
        (
            "an unknown attachment kind (9) reads as file",
            unknown_kind,
            as_file,
        ),
        (
            "a ten-byte varint of an in-range uint32 is accepted",
            long_varint,
            photo_case["content"].clone(),
        ),
        (
            "an unknown group field (24) is skipped",
            [encoded.clone(), group.to_vec()].concat(),
            text_case["content"].clone(),
        ),
    ];
    cases
        .into_iter()
        .map(|(name, encoded, content)| {
            let plaintext = pad(&encoded);
            let decoded = Content::from_plaintext(&plaintext).expect("decodes");
            assert_eq!(to_json(&decoded), content, "{name}");
            json!({"name": name, "decode_only": true, "plaintext": hex(plaintext), "content": content})
        })
        .collect()
}

/// Every bound of 9.1 and 10.7 just past its limit, the structural rules, and inputs with two
/// faults, whose error is the one SPEC.md 9.3 orders first.
fn bounds_and_order(text_case: &Value, t: &mut Tape) -> Vec<Value> {
    let encoded = bytes(text_case, "encoded");
    let base = proto::Content::decode(&encoded[..]).expect("own content");
    let head = [ld(1, &base.message_id), vi(2, base.timestamp_ms)].concat();
    let bad_head = [ld(1, &base.message_id[..15]), vi(2, base.timestamp_ms)].concat();
    let target = hex::decode(id(t).as_str().expect("hex")).expect("hex");
    let pointer_and = |change: &dyn Fn(&mut proto::AttachmentPointer), extra: &[u8]| {
        let mut p = proto::AttachmentPointer {
            kind: 1,
            key: vec![7; 32],
            plaintext_size: 5000,
            chunk_size: 1024,
            digest: vec![9; 32],
            locator: "blob:1".into(),
            ..Default::default()
        };
        change(&mut p);
        ld(4, &[p.encode_to_vec(), extra.to_vec()].concat())
    };
    let pointer = |change: &dyn Fn(&mut proto::AttachmentPointer)| pointer_and(change, &[]);
    let receipt_ids = |n: usize| ld(9, &[vi(1, 1), ld(2, &target).repeat(n)].concat());
    let long_text = |n: usize| ld(3, &ld(1, &vec![b'z'; n]));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a text of 65537 bytes",
            [head.clone(), long_text(65_537)].concat(),
            "content.text_too_long",
        ),
        (
            "a receipt of 1025 ids",
            [head.clone(), receipt_ids(1025)].concat(),
            "content.invalid_receipt",
        ),
        (
            "a reaction emoji of 65 bytes",
            [
                head.clone(),
                ld(6, &[ld(1, &target), ld(2, &[b'a'; 65])].concat()),
            ]
            .concat(),
            "content.invalid_emoji",
        ),
        (
            "a caption of 4097 bytes",
            [head.clone(), pointer(&|p| p.caption = "c".repeat(4097))].concat(),
            "content.attachment.field_too_long",
        ),
        (
            "an attachment of 2^32 chunks and one byte more",
            [head.clone(), pointer(&|p| p.plaintext_size = (1 << 42) + 1)].concat(),
            "content.attachment.too_large",
        ),
        (
            "a known field with the wrong wire type (message_id as a varint)",
            [vi(1, 5), vi(2, 5), long_text(1)].concat(),
            "content.malformed",
        ),
        (
            "a uint32 wider than 32 bits (chunk_size 2^32 + 1024)",
            [
                head.clone(),
                pointer_and(&|p| p.chunk_size = 0, &vi(5, (1 << 32) + 1024)),
            ]
            .concat(),
            "content.malformed",
        ),
        (
            "an enum wider than 32 bits (format 2^32 + 1)",
            [
                head.clone(),
                ld(3, &[ld(1, b"x"), vi(2, (1 << 32) + 1)].concat()),
            ]
            .concat(),
            "content.malformed",
        ),
        (
            "invalid UTF-8 in a text",
            [head.clone(), ld(3, &ld(1, &[0xc3, 0x28]))].concat(),
            "content.malformed",
        ),
        (
            "order: a 15-byte message id, then a fault of structure after the body",
            [bad_head.clone(), long_text(1), vec![0x0a, 0x05]].concat(),
            "content.malformed",
        ),
        (
            "order: a 15-byte message id and a receipt of 1025 ids (counted first)",
            [bad_head.clone(), receipt_ids(1025)].concat(),
            "content.invalid_receipt",
        ),
        (
            "order: a 15-byte message id and an empty reaction emoji",
            [bad_head.clone(), ld(6, &ld(1, &target))].concat(),
            "content.invalid_message_id",
        ),
        (
            "order: an edit with a 15-byte target and no text",
            [head.clone(), ld(7, &ld(1, &target[..15]))].concat(),
            "content.invalid_message_id",
        ),
        (
            "order: a pointer with a 31-byte key and chunk size 0",
            [
                head.clone(),
                pointer(&|p| {
                    p.key.pop();
                    p.chunk_size = 0;
                }),
            ]
            .concat(),
            "content.attachment.invalid_pointer",
        ),
        (
            "order: a pointer with chunk size 0 and no locator",
            [
                head.clone(),
                pointer(&|p| {
                    p.chunk_size = 0;
                    p.locator.clear();
                }),
            ]
            .concat(),
            "content.attachment.invalid_chunk_size",
        ),
    ];
    let mut out: Vec<Value> = cases
        .into_iter()
        .map(|(name, encoded, error)| {
            let plaintext = pad(&encoded);
            assert_eq!(reject(&plaintext), error, "{name}");
            json!({"name": name, "plaintext": hex(plaintext), "error": error})
        })
        .collect();
    // Larger than MAX_PLAINTEXT_LEN, with valid padding: the size is checked first.
    let oversized = vec![0x80u8; crate::wire::MAX_PLAINTEXT_LEN + 160];
    assert_eq!(reject(&oversized), "content.too_large");
    out.push(json!({
        "name": "a plaintext of 131232 bytes (0x80 each), past MAX_PLAINTEXT_LEN",
        "plaintext_byte": "80",
        "plaintext_length": oversized.len(),
        "error": "content.too_large",
    }));
    out
}

fn reject(plaintext: &[u8]) -> String {
    match Content::from_plaintext(plaintext) {
        Ok(_) => panic!("accepted"),
        Err(e) => super::error_code(&Error::from(e)).to_owned(),
    }
}

/// Plaintexts that must be rejected.
fn invalid(text_case: &Value, t: &mut Tape) -> Vec<Value> {
    let plaintext = bytes(text_case, "plaintext");
    let encoded = bytes(text_case, "encoded");
    let base = proto::Content::decode(&encoded[..]).expect("own content");
    let edit = |change: &dyn Fn(&mut proto::Content)| {
        let mut m = base.clone();
        change(&mut m);
        pad(&m.encode_to_vec())
    };
    let target = hex::decode(id(t).as_str().expect("hex")).expect("hex");
    let mut no_marker = plaintext.clone();
    no_marker[encoded.len()] = 0x81;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty plaintext", Vec::new(), "content.bad_padding"),
        (
            "length not a multiple of 160",
            plaintext[..159].to_vec(),
            "content.bad_padding",
        ),
        (
            "final bucket all zero",
            [&plaintext[..], &[0; 160]].concat(),
            "content.bad_padding",
        ),
        (
            "padding marker 0x81 instead of 0x80",
            no_marker,
            "content.bad_padding",
        ),
        (
            "not protobuf (a truncated field)",
            pad(&encoded[..encoded.len() - 1]),
            "content.malformed",
        ),
        (
            "message id of 15 bytes",
            edit(&|m| {
                m.message_id.pop();
            }),
            "content.invalid_message_id",
        ),
        (
            "no body (a body type from a newer version)",
            edit(&|m| m.body = None),
            "content.unsupported",
        ),
        (
            "receipt of an unknown kind",
            edit(&|m| {
                m.body = Some(proto::content::Body::Receipt(proto::Receipt {
                    kind: 5,
                    message_ids: vec![target.clone()],
                }));
            }),
            "content.unsupported",
        ),
        (
            "receipt without message ids",
            edit(&|m| {
                m.body = Some(proto::content::Body::Receipt(proto::Receipt {
                    kind: 1,
                    message_ids: Vec::new(),
                }));
            }),
            "content.invalid_receipt",
        ),
        (
            "reaction with an empty emoji",
            edit(&|m| {
                m.body = Some(proto::content::Body::Reaction(proto::Reaction {
                    target: target.clone(),
                    emoji: String::new(),
                    remove: false,
                }));
            }),
            "content.invalid_emoji",
        ),
        (
            "edit without text",
            edit(&|m| {
                m.body = Some(proto::content::Body::Edit(proto::Edit {
                    target: target.clone(),
                    text: None,
                }));
            }),
            "content.malformed",
        ),
        (
            "attachment with a 31-byte key",
            edit(&|m| {
                m.body = Some(proto::content::Body::Attachment(proto::AttachmentPointer {
                    key: vec![7; 31],
                    digest: vec![9; 32],
                    chunk_size: 1024,
                    locator: "blob:1".into(),
                    ..Default::default()
                }));
            }),
            "content.attachment.invalid_pointer",
        ),
        (
            "attachment without a locator",
            edit(&|m| {
                m.body = Some(proto::content::Body::Attachment(proto::AttachmentPointer {
                    key: vec![7; 32],
                    digest: vec![9; 32],
                    chunk_size: 1024,
                    ..Default::default()
                }));
            }),
            "content.attachment.invalid_pointer",
        ),
        (
            "attachment with chunk size 0",
            edit(&|m| {
                m.body = Some(proto::content::Body::Attachment(proto::AttachmentPointer {
                    key: vec![7; 32],
                    digest: vec![9; 32],
                    locator: "blob:1".into(),
                    ..Default::default()
                }));
            }),
            "content.attachment.invalid_chunk_size",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, plaintext, error)| {
            assert_eq!(reject(&plaintext), error, "{name}");
            json!({"name": name, "plaintext": hex(plaintext), "error": error})
        })
        .collect()
}

// ------------------------------------------------------------------ JSON <-> Content ----

fn mid(v: &Value) -> MessageId {
    let b: [u8; 16] = hex::decode(v.as_str().expect("hex id"))
        .expect("hex")
        .try_into()
        .expect("16-byte id");
    MessageId::from_bytes(b)
}

fn text_from(v: &Value) -> Text {
    let body = v["body"].as_str().expect("text body");
    match v["format"].as_str() {
        Some("plain") => Text::plain(body),
        Some("markdown") => Text::markdown(body),
        other => panic!("format {other:?}"),
    }
}

fn text_to(t: &Text) -> Value {
    let format = match t.format {
        TextFormat::Plain => "plain",
        TextFormat::Markdown => "markdown",
    };
    json!({"body": t.body, "format": format})
}

fn opt_u32(v: &Value) -> Option<u32> {
    v.as_u64().map(|n| u32::try_from(n).expect("u32"))
}

fn pointer_from(v: &Value) -> AttachmentPointer {
    let key: [u8; 32] = bytes(v, "key").try_into().expect("32-byte key");
    let digest: [u8; 32] = bytes(v, "digest").try_into().expect("32-byte digest");
    let sealed = SealedAttachment::new(
        AttachmentKey::from_bytes(&key),
        v["plaintext_size"].as_u64().expect("size"),
        opt_u32(&v["chunk_size"]).expect("chunk size"),
        digest,
    )
    .expect("layout");
    let kind = match text(v, "kind") {
        "file" => AttachmentKind::File,
        "photo" => AttachmentKind::Photo,
        "video" => AttachmentKind::Video,
        "audio" => AttachmentKind::Audio,
        other => panic!("kind {other}"),
    };
    let mut p = AttachmentPointer::new(sealed, kind, text(v, "content_type"), text(v, "locator"));
    p.width = opt_u32(&v["width"]);
    p.height = opt_u32(&v["height"]);
    p.duration_ms = opt_u32(&v["duration_ms"]);
    p.thumbnail = bytes(v, "thumbnail");
    p.caption = text(v, "caption").to_owned();
    p.file_name = text(v, "file_name").to_owned();
    p
}

fn pointer_to(p: &AttachmentPointer) -> Value {
    let kind = match p.kind {
        AttachmentKind::File => "file",
        AttachmentKind::Photo => "photo",
        AttachmentKind::Video => "video",
        AttachmentKind::Audio => "audio",
    };
    json!({
        "kind": kind,
        "key": hex(p.sealed.key().as_bytes()),
        "content_type": p.content_type,
        "plaintext_size": p.sealed.plaintext_size(),
        "chunk_size": p.sealed.chunk_size(),
        "digest": hex(p.sealed.digest()),
        "locator": p.locator,
        "width": p.width,
        "height": p.height,
        "duration_ms": p.duration_ms,
        "thumbnail": hex(&p.thumbnail),
        "caption": p.caption,
        "file_name": p.file_name,
    })
}

fn from_json(v: &Value) -> Content {
    let b = &v["body"];
    let (kind, x) = b
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("one body");
    let body = match kind.as_str() {
        "text" => Body::Text(text_from(x)),
        "attachment" => Body::Attachment(pointer_from(x)),
        "reply" => Body::Reply {
            in_reply_to: mid(&x["in_reply_to"]),
            body: match x.get("text") {
                Some(t) => ReplyBody::Text(text_from(t)),
                None => ReplyBody::Attachment(pointer_from(&x["attachment"])),
            },
        },
        "reaction" => Body::Reaction {
            target: mid(&x["target"]),
            emoji: text(x, "emoji").to_owned(),
            remove: x["remove"].as_bool().expect("remove"),
        },
        "edit" => Body::Edit {
            target: mid(&x["target"]),
            text: text_from(&x["text"]),
        },
        "delete" => Body::Delete {
            target: mid(&x["target"]),
        },
        "receipt" => Body::Receipt {
            kind: match text(x, "kind") {
                "delivered" => ReceiptKind::Delivered,
                "read" => ReceiptKind::Read,
                other => panic!("receipt kind {other}"),
            },
            ids: x["message_ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(mid)
                .collect(),
        },
        other => panic!("body {other}"),
    };
    Content::new(
        mid(&v["message_id"]),
        v["timestamp_ms"].as_u64().expect("timestamp"),
        body,
    )
}

fn to_json(c: &Content) -> Value {
    let id = |m: &MessageId| hex(m.as_bytes());
    let body = match &c.body {
        Body::Text(t) => json!({"text": text_to(t)}),
        Body::Attachment(p) => json!({"attachment": pointer_to(p)}),
        Body::Reply { in_reply_to, body } => match body {
            ReplyBody::Text(t) => {
                json!({"reply": {"in_reply_to": id(in_reply_to), "text": text_to(t)}})
            }
            ReplyBody::Attachment(p) => {
                json!({"reply": {"in_reply_to": id(in_reply_to), "attachment": pointer_to(p)}})
            }
        },
        Body::Reaction {
            target,
            emoji,
            remove,
        } => {
            json!({"reaction": {"target": id(target), "emoji": emoji, "remove": remove}})
        }
        Body::Edit { target, text } => {
            json!({"edit": {"target": id(target), "text": text_to(text)}})
        }
        Body::Delete { target } => json!({"delete": {"target": id(target)}}),
        Body::Receipt { kind, ids } => {
            let kind = match kind {
                ReceiptKind::Delivered => "delivered",
                ReceiptKind::Read => "read",
            };
            let ids: Vec<Value> = ids.iter().map(id).collect();
            json!({"receipt": {"kind": kind, "message_ids": ids}})
        }
    };
    json!({"message_id": id(&c.id), "timestamp_ms": c.timestamp_ms, "body": body})
}
