//! Content <-> protobuf, padding included (SPEC.md, content encoding).
//!
//! Decoding runs on at most [`MAX_PLAINTEXT_LEN`] bytes, checked first; a structural pass
//! ([`scan`]) then rejects what prost would truncate or over-allocate for, before prost decodes;
//! then every field is checked against its bound. Unlike envelopes, content is
//! *not* required to be canonical: unknown fields from newer senders are skipped, an unknown
//! text format reads as plain, an unknown attachment kind as a file. A body or receipt kind this
//! version cannot represent is [`ContentError::Unsupported`].

use core::mem::take;

use prost::Message;
use prost::bytes::Bytes;
use zeroize::Zeroizing;

use super::padding::{pad, padded_len, unpad};
use super::scan::scan;
use super::{Body, Content, MessageId, ReceiptKind, ReplyBody, Text, TextFormat};
use crate::error::ContentError;
use crate::media::AttachmentPointer;
use crate::media::pointer::scrub;
use crate::proto;
use crate::wire::MAX_PLAINTEXT_LEN;

impl Content {
    /// Validates, encodes (protobuf) and pads the content: the plaintext that
    /// [`Session::encrypt`](crate::Session::encrypt) takes. Wiped on drop, as it may hold
    /// attachment keys.
    pub fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>, ContentError> {
        self.validate()?;
        let mut message = self.to_proto();
        let len = message.encoded_len();
        let result = if padded_len(len) > MAX_PLAINTEXT_LEN {
            Err(ContentError::TooLarge)
        } else {
            // Exact capacity: the buffer never reallocates, so no copy of a key is left behind.
            let mut buf = Zeroizing::new(Vec::with_capacity(padded_len(len)));
            match message.encode(&mut *buf) {
                Ok(()) => {
                    pad(&mut buf);
                    Ok(buf)
                }
                Err(_) => Err(ContentError::TooLarge),
            }
        };
        scrub_content(&mut message);
        result
    }

    /// Unpads, decodes and validates a plaintext, such as the one
    /// [`Session::respond`](crate::Session::respond) or [`Session::decrypt`](crate::Session::decrypt)
    /// returned.
    pub fn from_plaintext(plaintext: &[u8]) -> Result<Content, ContentError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(ContentError::TooLarge);
        }
        let encoded = unpad(plaintext)?;
        scan(encoded)?;
        // Decoded from a zeroizing buffer of its own: prost then slices `bytes` fields out of it
        // instead of copying each to a temporary `Bytes` it frees unwiped, so the only copy of
        // an attachment key is the pointer's `key` field, which `from_proto` moves into a
        // zeroizing buffer and wipes.
        let buffer = Bytes::from_owner(Zeroizing::new(encoded.to_vec()));
        let mut message = proto::Content::decode(buffer).map_err(|_| ContentError::Malformed)?;
        let content = Content::from_proto(&mut message);
        scrub_content(&mut message);
        let content = content?;
        content.validate()?;
        Ok(content)
    }

    fn to_proto(&self) -> proto::Content {
        use proto::content::Body as P;
        let body = match &self.body {
            Body::Text(text) => P::Text(text_to_proto(text)),
            Body::Attachment(pointer) => P::Attachment(pointer.to_proto()),
            Body::Reply { in_reply_to, body } => P::Reply(proto::Reply {
                in_reply_to: in_reply_to.as_bytes().to_vec(),
                body: Some(match body {
                    ReplyBody::Text(text) => proto::reply::Body::Text(text_to_proto(text)),
                    ReplyBody::Attachment(pointer) => {
                        proto::reply::Body::Attachment(pointer.to_proto())
                    }
                }),
            }),
            Body::Reaction {
                target,
                emoji,
                remove,
            } => P::Reaction(proto::Reaction {
                target: target.as_bytes().to_vec(),
                emoji: emoji.clone(),
                remove: *remove,
            }),
            Body::Edit { target, text } => P::Edit(proto::Edit {
                target: target.as_bytes().to_vec(),
                text: Some(text_to_proto(text)),
            }),
            Body::Delete { target } => P::Delete(proto::Delete {
                target: target.as_bytes().to_vec(),
            }),
            Body::Receipt { kind, ids } => P::Receipt(proto::Receipt {
                kind: match kind {
                    ReceiptKind::Delivered => proto::receipt::Kind::Delivered,
                    ReceiptKind::Read => proto::receipt::Kind::Read,
                } as i32,
                message_ids: ids.iter().map(|id| id.as_bytes().to_vec()).collect(),
            }),
        };
        proto::Content {
            message_id: self.id.as_bytes().to_vec(),
            timestamp_ms: self.timestamp_ms,
            body: Some(body),
        }
    }

    /// Takes the fields it keeps out of `message`; the caller scrubs what is left, so an
    /// attachment key is wiped on every path.
    fn from_proto(message: &mut proto::Content) -> Result<Content, ContentError> {
        use proto::content::Body as P;
        let id = MessageId::from_slice(&message.message_id)?;
        // An absent body is what a body type newer than this version looks like.
        let body = match message.body.as_mut().ok_or(ContentError::Unsupported)? {
            P::Text(text) => Body::Text(text_from_proto(take(text))),
            P::Attachment(pointer) => {
                Body::Attachment(AttachmentPointer::from_proto(take(pointer))?)
            }
            P::Reply(reply) => Body::Reply {
                in_reply_to: MessageId::from_slice(&reply.in_reply_to)?,
                body: match reply.body.as_mut().ok_or(ContentError::Unsupported)? {
                    proto::reply::Body::Text(text) => ReplyBody::Text(text_from_proto(take(text))),
                    proto::reply::Body::Attachment(pointer) => {
                        ReplyBody::Attachment(AttachmentPointer::from_proto(take(pointer))?)
                    }
                },
            },
            P::Reaction(reaction) => Body::Reaction {
                target: MessageId::from_slice(&reaction.target)?,
                emoji: take(&mut reaction.emoji),
                remove: reaction.remove,
            },
            P::Edit(edit) => Body::Edit {
                target: MessageId::from_slice(&edit.target)?,
                text: text_from_proto(edit.text.take().ok_or(ContentError::Malformed)?),
            },
            P::Delete(delete) => Body::Delete {
                target: MessageId::from_slice(&delete.target)?,
            },
            P::Receipt(receipt) => Body::Receipt {
                kind: match proto::receipt::Kind::try_from(receipt.kind) {
                    Ok(proto::receipt::Kind::Delivered) => ReceiptKind::Delivered,
                    Ok(proto::receipt::Kind::Read) => ReceiptKind::Read,
                    Err(_) => return Err(ContentError::Unsupported),
                },
                ids: receipt
                    .message_ids
                    .iter()
                    .map(|id| MessageId::from_slice(id))
                    .collect::<Result<_, _>>()?,
            },
        };
        Ok(Content {
            id,
            timestamp_ms: message.timestamp_ms,
            body,
        })
    }
}

fn text_to_proto(text: &Text) -> proto::Text {
    proto::Text {
        body: text.body.clone(),
        format: match text.format {
            TextFormat::Plain => proto::text::Format::Plain,
            TextFormat::Markdown => proto::text::Format::Markdown,
        } as i32,
    }
}

fn text_from_proto(text: proto::Text) -> Text {
    Text {
        body: text.body,
        format: match proto::text::Format::try_from(text.format) {
            Ok(proto::text::Format::Markdown) => TextFormat::Markdown,
            Ok(proto::text::Format::Plain) | Err(_) => TextFormat::Plain,
        },
    }
}

/// Wipes the attachment keys of a protobuf content built by `to_proto`.
fn scrub_content(message: &mut proto::Content) {
    match &mut message.body {
        Some(proto::content::Body::Attachment(pointer)) => scrub(pointer),
        Some(proto::content::Body::Reply(proto::Reply {
            body: Some(proto::reply::Body::Attachment(pointer)),
            ..
        })) => scrub(pointer),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AttachmentKey, SealedAttachment};

    /// The protobuf copy of an attachment key is wiped once encoded or decoded.
    #[test]
    fn protobuf_copies_of_attachment_keys_are_wiped() {
        let sealed =
            SealedAttachment::new(AttachmentKey::from_bytes(&[0x77; 32]), 10, 1024, [1; 32])
                .unwrap();
        let pointer = AttachmentPointer::new(sealed, crate::AttachmentKind::File, "", "blob");
        let content = Content::new(
            MessageId::from_bytes([1; 16]),
            1,
            Body::Reply {
                in_reply_to: MessageId::from_bytes([2; 16]),
                body: ReplyBody::Attachment(pointer),
            },
        );
        let mut message = content.to_proto();
        let key_of = |m: &proto::Content| match &m.body {
            Some(proto::content::Body::Reply(proto::Reply {
                body: Some(proto::reply::Body::Attachment(p)),
                ..
            })) => p.key.clone(),
            _ => panic!("a reply with an attachment"),
        };
        assert_eq!(key_of(&message), vec![0x77; 32]);
        scrub_content(&mut message);
        // `zeroize` overwrites a Vec's whole allocation, then empties it.
        assert!(key_of(&message).is_empty());

        // Decoding moves the key out of the protobuf value, leaving nothing behind.
        let mut decoded = content.to_proto();
        let back = Content::from_proto(&mut decoded).unwrap();
        assert_eq!(back, content);
        assert!(key_of(&decoded).is_empty());
    }
}
