//! `decode_only` cases: plaintexts a newer or non-canonical sender may produce, and the content
//! they must decode to (SPEC.md 9.3).

use prost::Message;
use serde_json::{Value, json};

use super::{ld, pad, to_json, vi};
use crate::content::Content;
use crate::proto;
use crate::vectors::{bytes, hex};

/// What a newer sender may send: decodable, with unknown parts ignored or read as defaults.
pub(super) fn newer_sender(text_case: &Value) -> Vec<Value> {
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

/// Non-canonical but valid encodings (SPEC.md 9.3, tolerance): each decodes to the content
/// given, which is built from the base case's JSON, not by decoding.
pub(super) fn tolerance(text_case: &Value, photo_case: &Value, edit_case: &Value) -> Vec<Value> {
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
