//! Streaming encryption and decryption with one chunk of memory (SPEC.md, attachments).
//!
//! Both are `std::io::Write` adapters: write plaintext into an [`AttachmentEncryptor`] and
//! ciphertext comes out of its inner writer; write ciphertext into an [`AttachmentDecryptor`] and
//! authenticated plaintext comes out of its. Each holds one chunk buffer (chunk size + 16 bytes)
//! whatever the file size, so `std::io::copy` of a 4 GiB video runs in constant memory.
//!
//! Crypto failures surface as `io::Error`s of kind `InvalidData` wrapping a
//! [`MediaError`]; [`MediaError::from_io`] gets it back. After any error the adapter refuses
//! further use.

use std::io::{self, Write};

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::keys::{AttachmentKey, COMMITMENT_LEN, ChunkCipher};
use super::sealed::{DIGEST_LEN, MAX_CHUNK_COUNT, SealedAttachment, check_layout};
use crate::aead::TAG_LEN;
use crate::error::MediaError;

impl MediaError {
    /// The [`MediaError`] inside an `io::Error` returned by the streaming adapters, if that is
    /// what it carries (and not a failure of the inner writer).
    pub fn from_io(error: &io::Error) -> Option<MediaError> {
        error.get_ref()?.downcast_ref::<MediaError>().copied()
    }
}

impl From<MediaError> for io::Error {
    fn from(e: MediaError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

fn failed() -> io::Error {
    io::Error::other("attachment stream failed earlier")
}

/// Encrypts an attachment as it is written, into `W`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use crosswire::{AttachmentEncryptor, DEFAULT_CHUNK_SIZE};
/// let mut photo: &[u8] = b"...jpeg bytes...";
/// let mut enc = AttachmentEncryptor::new(&mut rand::rng(), Vec::new(), DEFAULT_CHUNK_SIZE)?;
/// std::io::copy(&mut photo, &mut enc)?;
/// let (ciphertext, sealed) = enc.finish()?;
/// assert_eq!(ciphertext.len() as u64, sealed.ciphertext_len());
/// # Ok(())
/// # }
/// ```
pub struct AttachmentEncryptor<W: Write> {
    inner: W,
    key: AttachmentKey,
    cipher: ChunkCipher,
    /// Written before the first chunk; `None` once written.
    commitment: Option<[u8; COMMITMENT_LEN]>,
    chunk_size: u32,
    /// Plaintext of the chunk being filled; sealed in place when the next byte (or `finish`)
    /// shows whether it is the last. Capacity chunk size + tag, never grown.
    buf: Zeroizing<Vec<u8>>,
    /// Index of the chunk in `buf`.
    index: u64,
    plaintext_size: u64,
    hasher: Sha256,
    failed: bool,
}

impl<W: Write> AttachmentEncryptor<W> {
    /// Starts an attachment under a fresh key from `rng`. Fails only if `chunk_size` is outside
    /// [`MIN_CHUNK_SIZE`](crate::MIN_CHUNK_SIZE)..=[`MAX_CHUNK_SIZE`](crate::MAX_CHUNK_SIZE).
    pub fn new<R: CryptoRng + ?Sized>(
        rng: &mut R,
        inner: W,
        chunk_size: u32,
    ) -> Result<Self, MediaError> {
        check_layout(0, chunk_size)?;
        let key = AttachmentKey::generate(rng);
        let (cipher, commitment) = key.derive();
        Ok(AttachmentEncryptor {
            inner,
            key,
            cipher,
            commitment: Some(commitment),
            chunk_size,
            buf: Zeroizing::new(Vec::with_capacity(chunk_size as usize + TAG_LEN)),
            index: 0,
            plaintext_size: 0,
            hasher: Sha256::new(),
            failed: false,
        })
    }

    /// Seals the last chunk, flushes `W`, and returns it with what decrypting needs.
    pub fn finish(mut self) -> io::Result<(W, SealedAttachment)> {
        if self.failed {
            return Err(failed());
        }
        self.emit(true)?;
        self.inner.flush()?;
        let sealed = SealedAttachment::new(
            self.key,
            self.plaintext_size,
            self.chunk_size,
            self.hasher.finalize().into(),
        )?;
        Ok((self.inner, sealed))
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Seals `buf` as chunk `index` and writes it out.
    fn emit(&mut self, last: bool) -> io::Result<()> {
        // Failing part-way leaves the output unusable; refuse further writes.
        self.failed = true;
        let index = u32::try_from(self.index).map_err(|_| MediaError::TooLarge)?;
        if !last && self.index + 1 >= MAX_CHUNK_COUNT {
            return Err(MediaError::TooLarge.into());
        }
        if let Some(commitment) = self.commitment.take() {
            self.hasher.update(commitment);
            self.inner.write_all(&commitment)?;
        }
        let tag = self
            .cipher
            .seal(index, last, &mut self.buf)
            .map_err(MediaError::from)?;
        self.buf.extend_from_slice(&tag);
        self.hasher.update(self.buf.as_slice());
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.index += 1;
        self.failed = false;
        Ok(())
    }
}

impl<W: Write> Write for AttachmentEncryptor<W> {
    /// Takes at most one chunk's worth of `data` per call.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(failed());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let chunk_size = self.chunk_size as usize;
        if self.buf.len() == chunk_size {
            // More data follows, so the buffered chunk is not the last.
            self.emit(false)?;
        }
        let take = data.len().min(chunk_size - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        self.plaintext_size += take as u64;
        Ok(take)
    }

    /// Flushes the inner writer. A partly filled chunk stays buffered: it cannot be sealed
    /// before it is known whether more data follows.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts an attachment as its ciphertext is written, into `W`.
///
/// Only plaintext of chunks whose tag verified ever reaches `W`. The digest covers the whole
/// ciphertext, so it is checked by [`finish`](Self::finish): treat what `W` received as valid only
/// when `finish` returns `Ok`, and discard it otherwise.
pub struct AttachmentDecryptor<W: Write> {
    inner: W,
    cipher: ChunkCipher,
    commitment: [u8; COMMITMENT_LEN],
    sealed: SealedAttachment,
    /// The commitment, then each chunk's ciphertext, as it arrives.
    buf: Zeroizing<Vec<u8>>,
    /// Whether the commitment has been received and checked.
    started: bool,
    /// Index of the chunk being received; `None` when all have been.
    index: Option<u32>,
    hasher: Sha256,
    failed: bool,
}

impl<W: Write> AttachmentDecryptor<W> {
    /// Starts decrypting the attachment `sealed` describes into `inner`.
    pub fn new(sealed: &SealedAttachment, inner: W) -> Self {
        let (cipher, commitment) = sealed.key().derive();
        // The largest unit is the commitment or a chunk, and no chunk is longer than the file:
        // a 48-byte blob needs 32 bytes, not chunk size + 16 (16 MiB at the largest).
        let largest_chunk = sealed.plaintext_size().min(u64::from(sealed.chunk_size()));
        let capacity = (largest_chunk as usize + TAG_LEN).max(COMMITMENT_LEN);
        AttachmentDecryptor {
            inner,
            cipher,
            commitment,
            sealed: sealed.clone(),
            buf: Zeroizing::new(Vec::with_capacity(capacity)),
            started: false,
            index: Some(0),
            hasher: Sha256::new(),
            failed: false,
        }
    }

    /// Checks that the ciphertext was complete and matches the digest, flushes `W` and
    /// returns it.
    pub fn finish(mut self) -> io::Result<W> {
        if self.failed {
            return Err(failed());
        }
        if self.index.is_some() {
            return Err(MediaError::Truncated.into());
        }
        let digest: [u8; DIGEST_LEN] = self.hasher.finalize().into();
        if !bool::from(digest.ct_eq(self.sealed.digest())) {
            return Err(MediaError::DigestMismatch.into());
        }
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// How many more bytes complete the unit (commitment or chunk) being received.
    fn wanted(&self) -> Option<usize> {
        let unit = if !self.started {
            COMMITMENT_LEN
        } else {
            self.sealed.chunk_plaintext_len(self.index?)? as usize + TAG_LEN
        };
        Some(unit - self.buf.len())
    }

    /// Processes the complete unit in `buf`.
    fn complete(&mut self) -> io::Result<()> {
        self.hasher.update(self.buf.as_slice());
        if !self.started {
            if !bool::from(self.buf.as_slice().ct_eq(&self.commitment)) {
                return Err(MediaError::AuthenticationFailed.into());
            }
            self.started = true;
            self.buf.clear();
            return Ok(());
        }
        let index = self.index.ok_or(MediaError::TrailingData)?;
        let body_len = self
            .buf
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(MediaError::InvalidChunkLength)?;
        let (body, tag) = self.buf.split_at_mut(body_len);
        let tag: &[u8; TAG_LEN] = (&*tag)
            .try_into()
            .map_err(|_| MediaError::InvalidChunkLength)?;
        if !self
            .cipher
            .open(index, self.sealed.is_last(index), body, tag)
        {
            return Err(MediaError::AuthenticationFailed.into());
        }
        self.inner.write_all(body)?;
        self.buf.clear();
        self.index = match self.sealed.is_last(index) {
            true => None,
            false => index.checked_add(1),
        };
        Ok(())
    }
}

impl<W: Write> Write for AttachmentDecryptor<W> {
    /// Takes at most the rest of one chunk per call.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(failed());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let Some(wanted) = self.wanted() else {
            self.failed = true;
            return Err(MediaError::TrailingData.into());
        };
        let take = data.len().min(wanted);
        self.buf.extend_from_slice(&data[..take]);
        if take == wanted {
            self.failed = true;
            self.complete()?;
            self.failed = false;
        }
        Ok(take)
    }

    /// Flushes the inner writer.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    /// The one chunk buffer is allocated once and never grows, whatever is written.
    #[test]
    fn buffers_never_grow() {
        let chunk_size = crate::MIN_CHUNK_SIZE;
        let cap = chunk_size as usize + TAG_LEN;
        let data = vec![0x33u8; 50 * chunk_size as usize + 7];
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut enc = AttachmentEncryptor::new(&mut rng, Vec::new(), chunk_size).unwrap();
        for piece in data.chunks(999) {
            enc.write_all(piece).unwrap();
            assert_eq!(enc.buf.capacity(), cap);
        }
        let (ct, sealed) = enc.finish().unwrap();
        let mut dec = AttachmentDecryptor::new(&sealed, Vec::new());
        for piece in ct.chunks(4096) {
            dec.write_all(piece).unwrap();
            assert_eq!(dec.buf.capacity(), cap);
        }
        assert_eq!(dec.finish().unwrap(), data);
    }

    /// A file shorter than a chunk gets a buffer of its own size, not chunk size + 16.
    #[test]
    fn decryptor_buffer_fits_small_files() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        for (len, cap) in [(0, COMMITMENT_LEN), (10, COMMITMENT_LEN), (100, 116)] {
            let data = vec![7u8; len];
            let (ct, sealed) =
                crate::encrypt_attachment(&mut rng, &data, crate::MAX_CHUNK_SIZE).unwrap();
            let mut dec = AttachmentDecryptor::new(&sealed, Vec::new());
            assert_eq!(dec.buf.capacity(), cap, "{len} bytes");
            for piece in ct.chunks(7) {
                dec.write_all(piece).unwrap();
                assert_eq!(dec.buf.capacity(), cap, "never grows");
            }
            assert_eq!(dec.finish().unwrap(), data);
        }
    }

    /// The chunk index bound at its edge, which a real file reaches only after 4 TiB: index
    /// 2^32 - 1 may be sealed as the last chunk, but not followed by another.
    #[test]
    fn chunk_index_bound_is_exact() {
        let chunk_size = crate::MIN_CHUNK_SIZE;
        let full = vec![0x44u8; chunk_size as usize];
        let at_index = |index: u64| {
            let mut rng = ChaCha20Rng::seed_from_u64(3);
            let mut enc = AttachmentEncryptor::new(&mut rng, Vec::new(), chunk_size).unwrap();
            enc.index = index;
            enc.write_all(&full).unwrap();
            enc
        };
        let last = u64::from(u32::MAX);
        // More data after the last possible chunk: refused, and nothing written.
        let mut enc = at_index(last);
        let err = enc.write(b"x").unwrap_err();
        assert_eq!(MediaError::from_io(&err), Some(MediaError::TooLarge));
        assert!(enc.get_ref().is_empty());
        // The chunk before it may still be followed by one.
        let mut enc = at_index(last - 1);
        assert_eq!(enc.write(b"x").unwrap(), 1);
        assert_eq!(
            enc.get_ref().len(),
            COMMITMENT_LEN + chunk_size as usize + TAG_LEN
        );
        // And the last possible chunk may end the file.
        let (out, _) = at_index(last).finish().unwrap();
        assert_eq!(out.len(), COMMITMENT_LEN + chunk_size as usize + TAG_LEN);
    }
}
