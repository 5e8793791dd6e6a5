//! [`AttachmentPointer`]: what a message carries so its recipient can fetch, verify and decrypt
//! an attachment (SPEC.md, attachment pointer). It travels inside [`Content`](crate::Content),
//! so the whole pointer, key included, is end-to-end encrypted.

use zeroize::Zeroizing;

use super::keys::AttachmentKey;
use super::sealed::{DIGEST_LEN, SealedAttachment};
use crate::error::MediaError;
use crate::proto;

/// Longest MIME content type, in bytes (RFC 6838: 127 for the type, 127 for the subtype, `/`).
pub const MAX_CONTENT_TYPE_LEN: usize = 255;
/// Longest locator (URL or blob id), in bytes.
pub const MAX_LOCATOR_LEN: usize = 2048;
/// Longest inline thumbnail, in bytes.
pub const MAX_THUMBNAIL_LEN: usize = 32 * 1024;
/// Longest caption, in bytes of UTF-8.
pub const MAX_CAPTION_LEN: usize = 4096;
/// Longest file name, in bytes of UTF-8.
pub const MAX_FILE_NAME_LEN: usize = 255;

/// What an attachment is, for display. Unknown kinds from newer senders decode as `File`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttachmentKind {
    /// Any file.
    File,
    /// A still image.
    Photo,
    /// A video.
    Video,
    /// Audio, such as a voice note.
    Audio,
}

/// Everything a recipient needs to fetch, verify and decrypt one attachment, and to show it.
///
/// Build one with [`AttachmentPointer::new`] from what encryption returned and where the
/// ciphertext was uploaded, then set the optional fields:
///
/// ```
/// # fn main() -> Result<(), crosswire::MediaError> {
/// use crosswire::{AttachmentKind, AttachmentPointer, DEFAULT_CHUNK_SIZE, encrypt_attachment};
/// let (ciphertext, sealed) = encrypt_attachment(&mut rand::rng(), b"GIF89a...", DEFAULT_CHUNK_SIZE)?;
/// // ... upload `ciphertext`, get a locator back ...
/// let mut pointer = AttachmentPointer::new(sealed, AttachmentKind::Photo, "image/gif", "blob/42");
/// pointer.width = Some(640);
/// pointer.height = Some(480);
/// pointer.validate()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachmentPointer {
    /// Key, sizes and ciphertext digest.
    pub sealed: SealedAttachment,
    /// Photo, video, audio or other file.
    pub kind: AttachmentKind,
    /// MIME type such as `image/jpeg`; may be empty. At most [`MAX_CONTENT_TYPE_LEN`] bytes.
    pub content_type: String,
    /// Where the ciphertext is stored: a URL or the provider's blob id. Not empty, at most
    /// [`MAX_LOCATOR_LEN`] bytes.
    pub locator: String,
    /// Width in pixels (photo, video).
    pub width: Option<u32>,
    /// Height in pixels (photo, video).
    pub height: Option<u32>,
    /// Duration in milliseconds (video, audio).
    pub duration_ms: Option<u32>,
    /// A small preview image shown before download; may be empty. At most
    /// [`MAX_THUMBNAIL_LEN`] bytes.
    pub thumbnail: Vec<u8>,
    /// Text shown with the attachment; may be empty. At most [`MAX_CAPTION_LEN`] bytes.
    pub caption: String,
    /// The original file name; may be empty. At most [`MAX_FILE_NAME_LEN`] bytes.
    pub file_name: String,
}

impl AttachmentPointer {
    /// A pointer with no optional metadata.
    pub fn new(
        sealed: SealedAttachment,
        kind: AttachmentKind,
        content_type: impl Into<String>,
        locator: impl Into<String>,
    ) -> Self {
        AttachmentPointer {
            sealed,
            kind,
            content_type: content_type.into(),
            locator: locator.into(),
            width: None,
            height: None,
            duration_ms: None,
            thumbnail: Vec::new(),
            caption: String::new(),
            file_name: String::new(),
        }
    }

    /// Checks the bounds a receiver enforces, so that what is sent will be accepted.
    /// [`Session::encrypt_content`](crate::Session::encrypt_content) calls this.
    pub fn validate(&self) -> Result<(), MediaError> {
        if self.locator.is_empty() {
            return Err(MediaError::InvalidPointer);
        }
        if self.content_type.len() > MAX_CONTENT_TYPE_LEN
            || self.locator.len() > MAX_LOCATOR_LEN
            || self.thumbnail.len() > MAX_THUMBNAIL_LEN
            || self.caption.len() > MAX_CAPTION_LEN
            || self.file_name.len() > MAX_FILE_NAME_LEN
        {
            return Err(MediaError::FieldTooLong);
        }
        Ok(())
    }

    /// Builds the protobuf form. Its `key` field is a copy of the secret key: the caller
    /// encodes it and wipes it with [`scrub`].
    pub(crate) fn to_proto(&self) -> proto::AttachmentPointer {
        let sealed = &self.sealed;
        proto::AttachmentPointer {
            kind: match self.kind {
                AttachmentKind::File => proto::attachment_pointer::Kind::File,
                AttachmentKind::Photo => proto::attachment_pointer::Kind::Photo,
                AttachmentKind::Video => proto::attachment_pointer::Kind::Video,
                AttachmentKind::Audio => proto::attachment_pointer::Kind::Audio,
            } as i32,
            key: sealed.key().as_bytes().to_vec(),
            content_type: self.content_type.clone(),
            plaintext_size: sealed.plaintext_size(),
            chunk_size: sealed.chunk_size(),
            digest: sealed.digest().to_vec(),
            locator: self.locator.clone(),
            width: self.width,
            height: self.height,
            duration_ms: self.duration_ms,
            thumbnail: self.thumbnail.clone(),
            caption: self.caption.clone(),
            file_name: self.file_name.clone(),
        }
    }

    /// Validates a decoded pointer (SPEC.md, attachment pointer validation).
    pub(crate) fn from_proto(p: proto::AttachmentPointer) -> Result<Self, MediaError> {
        let key_bytes = Zeroizing::new(p.key);
        let key = AttachmentKey::from_slice(&key_bytes).ok_or(MediaError::InvalidPointer)?;
        let digest: [u8; DIGEST_LEN] = p
            .digest
            .as_slice()
            .try_into()
            .map_err(|_| MediaError::InvalidPointer)?;
        let sealed = SealedAttachment::new(key, p.plaintext_size, p.chunk_size, digest)?;
        let kind = match proto::attachment_pointer::Kind::try_from(p.kind) {
            Ok(proto::attachment_pointer::Kind::Photo) => AttachmentKind::Photo,
            Ok(proto::attachment_pointer::Kind::Video) => AttachmentKind::Video,
            Ok(proto::attachment_pointer::Kind::Audio) => AttachmentKind::Audio,
            Ok(proto::attachment_pointer::Kind::File) | Err(_) => AttachmentKind::File,
        };
        let pointer = AttachmentPointer {
            sealed,
            kind,
            content_type: p.content_type,
            locator: p.locator,
            width: p.width,
            height: p.height,
            duration_ms: p.duration_ms,
            thumbnail: p.thumbnail,
            caption: p.caption,
            file_name: p.file_name,
        };
        pointer.validate()?;
        Ok(pointer)
    }
}

/// Wipes the key bytes of a protobuf pointer built by [`AttachmentPointer::to_proto`].
pub(crate) fn scrub(p: &mut proto::AttachmentPointer) {
    zeroize::Zeroize::zeroize(&mut p.key);
}
