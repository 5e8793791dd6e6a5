//! Content: what a message says, inside the ratchet (SPEC.md, content).
//!
//! A typed view of the protobuf `Content` in `proto/crosswire.proto`, modelled on the IETF MIMI
//! content format: a 16-byte [`MessageId`], the sender's timestamp, and one [`Body`]. Encoding
//! ([`Content::to_plaintext`]) validates, encodes and pads; decoding
//! ([`Content::from_plaintext`]) unpads, decodes and validates. Both enforce the same bounds, so
//! whatever a crosswire sender can encode, a crosswire receiver accepts.
//!
//! - [`codec`]: the protobuf mapping and the decoding rules (unknown fields ignored, unknown
//!   kinds of content [`ContentError::Unsupported`]).
//! - [`padding`]: ISO/IEC 7816-4 padding to 160-byte buckets.
//! - [`session`]: [`Session::encrypt_content`](crate::Session::encrypt_content) and friends.

pub(crate) mod codec;
pub(crate) mod padding;
mod scan;
pub(crate) mod session;

pub use padding::PADDING_BUCKET;
pub use session::Received;

use core::fmt;

use rand_core::CryptoRng;

use crate::error::ContentError;
use crate::keys::Hex;
use crate::media::AttachmentPointer;

/// Length of a [`MessageId`].
pub const MESSAGE_ID_LEN: usize = 16;
/// Longest text body (plain or markdown), in bytes of UTF-8. Longer texts go in attachments.
pub const MAX_TEXT_LEN: usize = 64 * 1024;
/// Longest reaction emoji, in bytes of UTF-8: room for the longest ZWJ sequences with
/// modifiers (about 35 bytes today).
pub const MAX_EMOJI_LEN: usize = 64;
/// Most message ids one receipt may list.
pub const MAX_RECEIPT_IDS: usize = 1024;

/// Identifies a message: 16 bytes the sender chooses at random. Replies, reactions, edits,
/// deletes and receipts refer to messages by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId([u8; MESSAGE_ID_LEN]);

impl MessageId {
    /// A fresh random id.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; MESSAGE_ID_LEN];
        rng.fill_bytes(&mut id);
        MessageId(id)
    }

    /// An id from its bytes.
    pub const fn from_bytes(bytes: [u8; MESSAGE_ID_LEN]) -> Self {
        MessageId(bytes)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; MESSAGE_ID_LEN] {
        &self.0
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Result<Self, ContentError> {
        bytes
            .try_into()
            .map(MessageId)
            .map_err(|_| ContentError::InvalidMessageId)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", Hex(&self.0))
    }
}

/// One message's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// This message's id.
    pub id: MessageId,
    /// When the sender sent it: milliseconds since the Unix epoch, by the sender's clock.
    pub timestamp_ms: u64,
    /// What it says.
    pub body: Body,
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// A text message.
    Text(Text),
    /// A photo, video, voice note or file.
    Attachment(AttachmentPointer),
    /// A reply quoting an earlier message.
    Reply {
        /// The message replied to.
        in_reply_to: MessageId,
        /// The reply itself.
        body: ReplyBody,
    },
    /// A reaction to a message, or the removal of one.
    Reaction {
        /// The message reacted to.
        target: MessageId,
        /// The emoji: 1 to [`MAX_EMOJI_LEN`] bytes.
        emoji: String,
        /// `true` to remove this emoji reaction sent earlier.
        remove: bool,
    },
    /// A new text for an earlier message of the same sender.
    Edit {
        /// The message edited.
        target: MessageId,
        /// Its new text.
        text: Text,
    },
    /// Deletes an earlier message of the same sender, for everyone.
    Delete {
        /// The message deleted.
        target: MessageId,
    },
    /// A delivery or read receipt.
    Receipt {
        /// Delivered or read.
        kind: ReceiptKind,
        /// The messages it covers: 1 to [`MAX_RECEIPT_IDS`] ids.
        ids: Vec<MessageId>,
    },
}

/// The body of a [`Body::Reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyBody {
    /// A text reply.
    Text(Text),
    /// A reply with an attachment.
    Attachment(AttachmentPointer),
}

/// A text and how to render it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// At most [`MAX_TEXT_LEN`] bytes.
    pub body: String,
    /// Plain or markdown.
    pub format: TextFormat,
}

/// How a [`Text`] is rendered. Unknown formats from newer senders decode as `Plain`: shown
/// literally, never interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TextFormat {
    /// Shown as is.
    Plain,
    /// CommonMark.
    Markdown,
}

/// What a [`Body::Receipt`] acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiptKind {
    /// The messages reached the recipient's device.
    Delivered,
    /// The recipient has seen the messages.
    Read,
}

impl Text {
    /// Plain text.
    pub fn plain(body: impl Into<String>) -> Self {
        Text {
            body: body.into(),
            format: TextFormat::Plain,
        }
    }

    /// Markdown text.
    pub fn markdown(body: impl Into<String>) -> Self {
        Text {
            body: body.into(),
            format: TextFormat::Markdown,
        }
    }

    fn validate(&self) -> Result<(), ContentError> {
        if self.body.len() > MAX_TEXT_LEN {
            return Err(ContentError::TextTooLong);
        }
        Ok(())
    }
}

impl Content {
    /// Content with the given id, timestamp and body.
    pub fn new(id: MessageId, timestamp_ms: u64, body: Body) -> Self {
        Content {
            id,
            timestamp_ms,
            body,
        }
    }

    /// A plain text message.
    pub fn text(id: MessageId, timestamp_ms: u64, text: impl Into<String>) -> Self {
        Self::new(id, timestamp_ms, Body::Text(Text::plain(text)))
    }

    /// An attachment message.
    pub fn attachment(id: MessageId, timestamp_ms: u64, pointer: AttachmentPointer) -> Self {
        Self::new(id, timestamp_ms, Body::Attachment(pointer))
    }

    /// A reply to `in_reply_to`.
    pub fn reply(
        id: MessageId,
        timestamp_ms: u64,
        in_reply_to: MessageId,
        body: ReplyBody,
    ) -> Self {
        Self::new(id, timestamp_ms, Body::Reply { in_reply_to, body })
    }

    /// A reaction with `emoji` to `target`.
    pub fn reaction(
        id: MessageId,
        timestamp_ms: u64,
        target: MessageId,
        emoji: impl Into<String>,
    ) -> Self {
        Self::reaction_change(id, timestamp_ms, target, emoji.into(), false)
    }

    /// Removes the reaction `emoji` sent earlier to `target`.
    pub fn remove_reaction(
        id: MessageId,
        timestamp_ms: u64,
        target: MessageId,
        emoji: impl Into<String>,
    ) -> Self {
        Self::reaction_change(id, timestamp_ms, target, emoji.into(), true)
    }

    fn reaction_change(
        id: MessageId,
        timestamp_ms: u64,
        target: MessageId,
        emoji: String,
        remove: bool,
    ) -> Self {
        Self::new(
            id,
            timestamp_ms,
            Body::Reaction {
                target,
                emoji,
                remove,
            },
        )
    }

    /// Replaces the text of `target`.
    pub fn edit(id: MessageId, timestamp_ms: u64, target: MessageId, text: Text) -> Self {
        Self::new(id, timestamp_ms, Body::Edit { target, text })
    }

    /// Deletes `target`.
    pub fn delete(id: MessageId, timestamp_ms: u64, target: MessageId) -> Self {
        Self::new(id, timestamp_ms, Body::Delete { target })
    }

    /// A receipt for `ids`.
    pub fn receipt(
        id: MessageId,
        timestamp_ms: u64,
        kind: ReceiptKind,
        ids: Vec<MessageId>,
    ) -> Self {
        Self::new(id, timestamp_ms, Body::Receipt { kind, ids })
    }

    /// Checks every bound a receiver enforces (SPEC.md, content bounds).
    /// [`to_plaintext`](Self::to_plaintext) calls this first.
    pub fn validate(&self) -> Result<(), ContentError> {
        match &self.body {
            Body::Text(text) | Body::Edit { text, .. } => text.validate(),
            Body::Attachment(pointer) => Ok(pointer.validate()?),
            Body::Reply { body, .. } => match body {
                ReplyBody::Text(text) => text.validate(),
                ReplyBody::Attachment(pointer) => Ok(pointer.validate()?),
            },
            Body::Reaction { emoji, .. } => {
                if emoji.is_empty() || emoji.len() > MAX_EMOJI_LEN {
                    return Err(ContentError::InvalidEmoji);
                }
                Ok(())
            }
            Body::Delete { .. } => Ok(()),
            Body::Receipt { ids, .. } => {
                if ids.is_empty() || ids.len() > MAX_RECEIPT_IDS {
                    return Err(ContentError::InvalidReceipt);
                }
                Ok(())
            }
        }
    }
}
