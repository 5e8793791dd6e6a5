//! `error` cases: plaintexts that decoding must reject, and with which error (SPEC.md 9.3).

use prost::Message;
use serde_json::{Value, json};

use super::{id, ld, pad, reject, vi};
use crate::proto;
use crate::vectors::{Tape, bytes, hex};

/// Every bound of 9.1 and 10.7 just past its limit, the structural rules, and inputs with two
/// faults, whose error is the one SPEC.md 9.3 orders first.
pub(super) fn bounds_and_order(text_case: &Value, t: &mut Tape) -> Vec<Value> {
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

/// Plaintexts that must be rejected.
pub(super) fn invalid(text_case: &Value, t: &mut Tape) -> Vec<Value> {
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
