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
    strictly above the encoded length. Cases with `decode_only` give a plaintext a newer \
    sender might produce (unknown fields, unknown enum values) and the content it must decode \
    to. Cases with `error` give a plaintext that decoding must reject with that error.";

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
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let name = text(recorded, "name");
        if recorded.get("error").is_some() {
            assert_eq!(
                reject(&bytes(recorded, "plaintext")),
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

fn reject(plaintext: &[u8]) -> String {
    match Content::from_plaintext(plaintext) {
        Ok(_) => panic!("accepted"),
        Err(e) => format!("{:?}", Error::from(e)),
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
        ("empty plaintext", Vec::new(), "Content(BadPadding)"),
        (
            "length not a multiple of 160",
            plaintext[..159].to_vec(),
            "Content(BadPadding)",
        ),
        (
            "final bucket all zero",
            [&plaintext[..], &[0; 160]].concat(),
            "Content(BadPadding)",
        ),
        (
            "padding marker 0x81 instead of 0x80",
            no_marker,
            "Content(BadPadding)",
        ),
        (
            "not protobuf (a truncated field)",
            pad(&encoded[..encoded.len() - 1]),
            "Content(Malformed)",
        ),
        (
            "message id of 15 bytes",
            edit(&|m| {
                m.message_id.pop();
            }),
            "Content(InvalidMessageId)",
        ),
        (
            "no body (a body type from a newer version)",
            edit(&|m| m.body = None),
            "Content(Unsupported)",
        ),
        (
            "receipt of an unknown kind",
            edit(&|m| {
                m.body = Some(proto::content::Body::Receipt(proto::Receipt {
                    kind: 5,
                    message_ids: vec![target.clone()],
                }));
            }),
            "Content(Unsupported)",
        ),
        (
            "receipt without message ids",
            edit(&|m| {
                m.body = Some(proto::content::Body::Receipt(proto::Receipt {
                    kind: 1,
                    message_ids: Vec::new(),
                }));
            }),
            "Content(InvalidReceipt)",
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
            "Content(InvalidEmoji)",
        ),
        (
            "edit without text",
            edit(&|m| {
                m.body = Some(proto::content::Body::Edit(proto::Edit {
                    target: target.clone(),
                    text: None,
                }));
            }),
            "Content(Malformed)",
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
            "Content(Attachment(InvalidPointer))",
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
            "Content(Attachment(InvalidPointer))",
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
            "Content(Attachment(InvalidChunkSize))",
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
