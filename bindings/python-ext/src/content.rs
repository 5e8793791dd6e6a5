//! Message content and attachments, as in the UniFFI binding (bindings/ffi/src/api.rs): text and
//! attachment messages, and in-memory attachment encryption whose key never leaves the library
//! except inside an encrypted `Content`.

use std::borrow::Cow;

use crosswire::{AttachmentKind, AttachmentPointer, Body, Received};
use pyo3::prelude::*;
use zeroize::Zeroizing;

use crate::error::{Failure, guard_detached, wipe};

/// The key, sizes and digest of one encrypted attachment. The key stays inside: send it with
/// `Content.attachment` over a session.
#[pyclass(frozen, module = "crosswire")]
pub struct SealedAttachment(crosswire::SealedAttachment);

#[pymethods]
impl SealedAttachment {
    /// The plaintext size in bytes.
    fn plaintext_size(&self) -> u64 {
        self.0.plaintext_size()
    }

    /// The ciphertext size in bytes.
    fn ciphertext_len(&self) -> u64 {
        self.0.ciphertext_len()
    }

    /// SHA-256 of the ciphertext (32 bytes).
    fn digest(&self) -> Vec<u8> {
        self.0.digest().to_vec()
    }
}

/// An encrypted attachment: upload `ciphertext`, send `sealed` in a `Content.attachment`.
#[pyclass(frozen, module = "crosswire")]
pub struct EncryptedAttachment {
    /// What to upload.
    #[pyo3(get)]
    ciphertext: Vec<u8>,
    /// What the recipient needs to decrypt it.
    #[pyo3(get)]
    sealed: Py<SealedAttachment>,
}

/// Encrypts an attachment held in memory under a fresh key, in chunks of 64 KiB.
#[pyfunction]
pub fn encrypt_attachment(
    py: Python<'_>,
    plaintext: Cow<'_, [u8]>,
) -> PyResult<EncryptedAttachment> {
    // `bytes` is immutable, so reading it with the interpreter released is sound; a
    // `bytearray` arrives as a copy.
    let encrypted = guard_detached(py, || {
        Ok(crosswire::encrypt_attachment(
            &mut rand::rng(),
            &plaintext,
            crosswire::DEFAULT_CHUNK_SIZE,
        )?)
    });
    wipe(plaintext);
    let (ciphertext, sealed) = encrypted?;
    Ok(EncryptedAttachment {
        ciphertext,
        sealed: Py::new(py, SealedAttachment(sealed))?,
    })
}

/// Decrypts a downloaded attachment; nothing is returned unless every check passes.
#[pyfunction]
pub fn decrypt_attachment(
    py: Python<'_>,
    sealed: &SealedAttachment,
    ciphertext: Cow<'_, [u8]>,
) -> PyResult<Vec<u8>> {
    let plaintext = guard_detached(py, || {
        Ok(Zeroizing::new(crosswire::decrypt_attachment(
            &sealed.0,
            &ciphertext,
        )?))
    })?;
    Ok(plaintext.to_vec())
}

/// What a `Content` is.
#[pyclass(frozen, eq, eq_int, module = "crosswire")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// A text message: `Content.text_body()`.
    #[pyo3(name = "TEXT")]
    Text,
    /// An attachment: `Content.sealed_attachment()`.
    #[pyo3(name = "ATTACHMENT")]
    Attachment,
    /// Another kind (reply, reaction, edit, delete, receipt), not yet exposed by the bindings.
    #[pyo3(name = "OTHER")]
    Other,
    /// An authentic message whose content does not decode (malformed, or a kind only a newer
    /// version knows). The session moved past it.
    #[pyo3(name = "UNDECODABLE")]
    Undecodable,
}

/// One message's content: built to send, or received.
#[pyclass(frozen, module = "crosswire")]
pub struct Content(Option<crosswire::Content>);

impl Content {
    pub(crate) fn received(received: Received) -> Self {
        Content(match received {
            Received::Content(c) => Some(c),
            _ => None,
        })
    }

    pub(crate) fn from_core(content: crosswire::Content) -> Self {
        Content(Some(content))
    }

    /// The content to send; undecodable (received) content cannot be sent on.
    pub(crate) fn content(&self) -> Result<&crosswire::Content, Failure> {
        self.0
            .as_ref()
            .ok_or_else(|| crosswire::ContentError::Malformed.into())
    }

    fn pointer(&self) -> Option<&AttachmentPointer> {
        match &self.0.as_ref()?.body {
            Body::Attachment(p) => Some(p),
            _ => None,
        }
    }

    fn new(body: impl FnOnce(crosswire::MessageId, u64) -> crosswire::Content) -> Self {
        let id = crosswire::MessageId::random(&mut rand::rng());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Content(Some(body(id, now)))
    }
}

#[pymethods]
impl Content {
    /// A plain-text message, with a fresh message id and the current time.
    #[staticmethod]
    fn text(text: String) -> Self {
        Content::new(|id, now| crosswire::Content::text(id, now, text))
    }

    /// An attachment message: `sealed` from `encrypt_attachment`, the MIME type, and where the
    /// ciphertext was uploaded.
    #[staticmethod]
    fn attachment(
        py: Python<'_>,
        sealed: &SealedAttachment,
        content_type: String,
        locator: String,
    ) -> PyResult<Self> {
        crate::error::guard(py, || {
            let pointer = AttachmentPointer::new(
                sealed.0.clone(),
                AttachmentKind::File,
                content_type,
                locator,
            );
            pointer.validate()?;
            Ok(Content::new(|id, now| {
                crosswire::Content::attachment(id, now, pointer)
            }))
        })
    }

    /// What it is.
    fn kind(&self) -> ContentKind {
        match self.0.as_ref().map(|c| &c.body) {
            None => ContentKind::Undecodable,
            Some(Body::Text(_)) => ContentKind::Text,
            Some(Body::Attachment(_)) => ContentKind::Attachment,
            Some(_) => ContentKind::Other,
        }
    }

    /// The message id (16 bytes); empty for undecodable content.
    fn message_id(&self) -> Vec<u8> {
        self.0
            .as_ref()
            .map(|c| c.id.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The sender's timestamp, in milliseconds since the Unix epoch (0 if undecodable).
    fn timestamp_ms(&self) -> u64 {
        self.0.as_ref().map_or(0, |c| c.timestamp_ms)
    }

    /// The text of a text message.
    fn text_body(&self) -> Option<String> {
        match &self.0.as_ref()?.body {
            Body::Text(t) => Some(t.body.clone()),
            _ => None,
        }
    }

    /// The attachment of an attachment message, to pass to `decrypt_attachment`.
    fn sealed_attachment(&self) -> Option<SealedAttachment> {
        self.pointer().map(|p| SealedAttachment(p.sealed.clone()))
    }

    /// Where an attachment's ciphertext is stored.
    fn attachment_locator(&self) -> Option<String> {
        self.pointer().map(|p| p.locator.clone())
    }

    /// An attachment's MIME type.
    fn attachment_content_type(&self) -> Option<String> {
        self.pointer().map(|p| p.content_type.clone())
    }
}
