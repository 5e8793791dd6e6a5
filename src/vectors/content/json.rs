//! The JSON form of a `Content` in `content.json`, both ways.

use serde_json::{Value, json};

use crate::content::{Body, Content, MessageId, ReceiptKind, ReplyBody, Text, TextFormat};
use crate::media::{AttachmentKey, AttachmentKind, AttachmentPointer, SealedAttachment};
use crate::vectors::{bytes, hex, text};

pub(super) fn mid(v: &Value) -> MessageId {
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

pub(super) fn from_json(v: &Value) -> Content {
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

pub(super) fn to_json(c: &Content) -> Value {
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
