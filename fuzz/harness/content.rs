//! `content_decode` and `attachment_pointer_decode`: the plaintext inside the ratchet.
//!
//! Content is decoded leniently (unknown fields are skipped, unknown enum values read as a
//! default), so the round trip compares values, not bytes: whatever decodes must re-encode,
//! padded to a whole number of buckets within the plaintext bound, and decode to the same value.

use crosswire::{Body, Content, MAX_PLAINTEXT_LEN, PADDING_BUCKET, ReplyBody};

/// `Content::from_plaintext` on arbitrary bytes; round trip when it decodes.
pub(crate) fn content_decode(data: &[u8]) {
    let Ok(content) = Content::from_plaintext(data) else {
        return;
    };
    let plaintext = content.to_plaintext().expect("decoded content re-encodes");
    assert!(plaintext.len().is_multiple_of(PADDING_BUCKET) && plaintext.len() <= MAX_PLAINTEXT_LEN);
    assert_eq!(Content::from_plaintext(&plaintext).as_ref(), Ok(&content));
}

/// The message id every wrapped pointer is sent under.
const WRAPPER_ID: [u8; 16] = [0x42; 16];

/// Wraps an encoded `AttachmentPointer` as the body of a padded `Content` (fields 1 and 4 of
/// `proto/crosswire.proto`), the only way a pointer reaches a receiver.
pub(crate) fn wrap_pointer(pointer: &[u8]) -> Vec<u8> {
    let mut out = vec![0x0a, 16];
    out.extend(WRAPPER_ID);
    out.push(0x22);
    let mut len = pointer.len();
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend(pointer);
    out.push(0x80);
    out.resize(out.len().div_ceil(PADDING_BUCKET) * PADDING_BUCKET, 0);
    out
}

/// Arbitrary bytes as an encoded `AttachmentPointer` inside a content message: decodes to an
/// attachment or fails, and round-trips.
pub(crate) fn attachment_pointer_decode(data: &[u8]) {
    let plaintext = wrap_pointer(data);
    let Ok(content) = Content::from_plaintext(&plaintext) else {
        return;
    };
    let Body::Attachment(pointer) = &content.body else {
        unreachable!("a pointer decoded as {:?}", content.body)
    };
    assert!(pointer.validate().is_ok());
    assert!(pointer.sealed.chunk_count() >= 1);
    content_decode(&plaintext);
    // The same pointer quoted in a reply decodes the same.
    let reply = Content::reply(
        content.id,
        content.timestamp_ms,
        content.id,
        ReplyBody::Attachment(pointer.clone()),
    );
    let bytes = reply
        .to_plaintext()
        .expect("a valid pointer re-encodes in a reply");
    assert_eq!(Content::from_plaintext(&bytes).as_ref(), Ok(&reply));
}
