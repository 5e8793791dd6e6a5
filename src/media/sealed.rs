//! [`SealedAttachment`]: the key, layout and digest of one encrypted attachment, with the
//! whole-buffer and random-access operations (SPEC.md, attachments: layout).
//!
//! Ciphertext layout, for plaintext size `P` and chunk size `S`:
//!
//! ```text
//! commitment (32) || C_0 || C_1 || ... || C_{n-1}      n = max(1, ceil(P / S))
//! C_i = AES-256-GCM(M_i) || tag (16)                   |M_i| = S, except the last chunk
//! ```
//!
//! An empty file is one empty last chunk. The last chunk holds `P - (n - 1) S` bytes, between 1
//! and `S` unless the file is empty; a file whose size is a multiple of `S` has no extra chunk.

use core::ops::Range;

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::keys::{AttachmentKey, COMMITMENT_LEN};
use crate::aead::TAG_LEN;
use crate::error::MediaError;

/// Chunk size used unless the application chooses another: 64 KiB of plaintext per chunk.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Smallest chunk size accepted (1 KiB): smaller chunks would spend more on tags than on data.
pub const MIN_CHUNK_SIZE: u32 = 1024;
/// Largest chunk size accepted (16 MiB): a decryptor buffers one chunk, so this bounds memory.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
/// Most chunks an attachment may have: the chunk index in the nonce is 32 bits.
pub const MAX_CHUNK_COUNT: u64 = 1 << 32;
/// Length of the ciphertext digest (SHA-256).
pub const DIGEST_LEN: usize = 32;

/// Everything needed to decrypt one attachment, and nothing about where it is stored: the key,
/// the plaintext size, the chunk size and the SHA-256 digest of the ciphertext.
///
/// Produced by [`encrypt_attachment`] or [`AttachmentEncryptor`](crate::AttachmentEncryptor);
/// carried by an [`AttachmentPointer`](crate::AttachmentPointer). A value of this type always has
/// a chunk size within bounds and at most [`MAX_CHUNK_COUNT`] chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedAttachment {
    key: AttachmentKey,
    plaintext_size: u64,
    chunk_size: u32,
    digest: [u8; DIGEST_LEN],
}

impl SealedAttachment {
    /// Checks and assembles the parts, e.g. when loading them from the application's storage.
    pub fn new(
        key: AttachmentKey,
        plaintext_size: u64,
        chunk_size: u32,
        digest: [u8; DIGEST_LEN],
    ) -> Result<Self, MediaError> {
        check_layout(plaintext_size, chunk_size)?;
        Ok(SealedAttachment {
            key,
            plaintext_size,
            chunk_size,
            digest,
        })
    }

    /// The attachment key.
    pub fn key(&self) -> &AttachmentKey {
        &self.key
    }

    /// Size of the plaintext in bytes.
    pub fn plaintext_size(&self) -> u64 {
        self.plaintext_size
    }

    /// Plaintext bytes per chunk (the last chunk may hold fewer).
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// SHA-256 of the whole ciphertext. A storage provider can check an upload against it
    /// without the key.
    pub fn digest(&self) -> &[u8; DIGEST_LEN] {
        &self.digest
    }

    /// Number of chunks: `max(1, ceil(plaintext_size / chunk_size))`.
    pub fn chunk_count(&self) -> u64 {
        chunk_count(self.plaintext_size, self.chunk_size)
    }

    /// Length of the ciphertext: `32 + plaintext_size + 16 * chunk_count`.
    pub fn ciphertext_len(&self) -> u64 {
        ciphertext_len(self.plaintext_size, self.chunk_size)
    }

    /// Where chunk `index` lies in the ciphertext (commitment included), for a ranged download.
    /// `None` past the last chunk.
    pub fn chunk_range(&self, index: u32) -> Option<Range<u64>> {
        let len = self.chunk_plaintext_len(index)?;
        let start = COMMITMENT_LEN as u64 + u64::from(index) * chunk_stride(self.chunk_size);
        Some(start..start + u64::from(len) + TAG_LEN as u64)
    }

    /// Which chunk holds plaintext byte `offset`, for seeking. `None` at or past the end.
    /// Chunk `i` starts at plaintext offset `i * chunk_size`.
    pub fn chunk_index(&self, offset: u64) -> Option<u32> {
        if offset >= self.plaintext_size {
            return None;
        }
        u32::try_from(offset / u64::from(self.chunk_size)).ok()
    }

    /// Decrypts chunk `index` alone, given the key commitment (the first [`COMMITMENT_LEN`]
    /// bytes of the ciphertext) and exactly the bytes of [`chunk_range`](Self::chunk_range).
    ///
    /// Random access for seeking. The commitment is checked first, in constant time, as a full
    /// decryption checks it: AES-GCM alone is not key-committing, and without it a malicious
    /// sender could craft chunks that authenticate under two keys. The chunk's tag then
    /// authenticates it under this key at this index (and whether it is the last one). The
    /// digest covers the whole ciphertext and is checked only by [`decrypt_attachment`] and
    /// [`AttachmentDecryptor`](crate::AttachmentDecryptor).
    ///
    /// Errors, in this order: [`MediaError::ChunkOutOfRange`], [`MediaError::InvalidChunkLength`],
    /// [`MediaError::AuthenticationFailed`] (commitment, then tag).
    pub fn decrypt_chunk(
        &self,
        commitment: &[u8],
        index: u32,
        chunk: &[u8],
    ) -> Result<Vec<u8>, MediaError> {
        let len = self
            .chunk_plaintext_len(index)
            .ok_or(MediaError::ChunkOutOfRange)?;
        if chunk.len() != len as usize + TAG_LEN {
            return Err(MediaError::InvalidChunkLength);
        }
        let (cipher, expected) = self.key.derive();
        if !bool::from(commitment.ct_eq(&expected)) {
            return Err(MediaError::AuthenticationFailed);
        }
        let (body, tag) = chunk.split_at(len as usize);
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| MediaError::InvalidChunkLength)?;
        let mut out = body.to_vec();
        if !cipher.open(index, self.is_last(index), &mut out, tag) {
            return Err(MediaError::AuthenticationFailed);
        }
        Ok(out)
    }

    /// Plaintext length of chunk `index`; `None` past the last chunk.
    pub(crate) fn chunk_plaintext_len(&self, index: u32) -> Option<u32> {
        let count = self.chunk_count();
        let index = u64::from(index);
        if index >= count {
            return None;
        }
        if index + 1 < count {
            return Some(self.chunk_size);
        }
        // The last chunk: P - (n - 1) S, which is at most S.
        u32::try_from(self.plaintext_size - index * u64::from(self.chunk_size)).ok()
    }

    pub(crate) fn is_last(&self, index: u32) -> bool {
        u64::from(index) + 1 == self.chunk_count()
    }
}

/// Encrypts a whole attachment held in memory under a fresh key from `rng`.
///
/// For files, stream them through [`AttachmentEncryptor`](crate::AttachmentEncryptor) instead;
/// for large buffers, [`encrypt_attachment_in_place`](crate::encrypt_attachment_in_place) avoids
/// filling a second one. Returns the ciphertext to upload and what the recipient needs to
/// decrypt it.
pub fn encrypt_attachment<R: CryptoRng + ?Sized>(
    rng: &mut R,
    plaintext: &[u8],
    chunk_size: u32,
) -> Result<(Vec<u8>, SealedAttachment), MediaError> {
    let plaintext_size = plaintext.len() as u64;
    check_layout(plaintext_size, chunk_size)?;
    let total = usize::try_from(ciphertext_len(plaintext_size, chunk_size))
        .map_err(|_| MediaError::TooLarge)?;
    let key = AttachmentKey::generate(rng);
    let (cipher, commitment) = key.derive();

    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&commitment);
    let mut hasher = Sha256::new();
    hasher.update(commitment);
    let count = chunk_count(plaintext_size, chunk_size);
    let mut chunks = plaintext.chunks(chunk_size as usize);
    for index in 0..count {
        // `check_layout` bounded the count by 2^32, so every index fits in 32 bits.
        let index = u32::try_from(index).map_err(|_| MediaError::TooLarge)?;
        let start = out.len();
        out.extend_from_slice(chunks.next().unwrap_or_default());
        let tag = cipher.seal(index, u64::from(index) + 1 == count, &mut out[start..])?;
        out.extend_from_slice(&tag);
        hasher.update(&out[start..]);
    }
    let sealed = SealedAttachment {
        key,
        plaintext_size,
        chunk_size,
        digest: hasher.finalize().into(),
    };
    Ok((out, sealed))
}

/// Decrypts a whole attachment held in memory.
///
/// Checks, in this order: the length against the pointer, the key commitment, every chunk's tag,
/// and the digest. Returns the plaintext only if all pass; nothing partial is ever returned.
/// [`decrypt_attachment_in_place`](crate::decrypt_attachment_in_place) does the same in the
/// ciphertext's buffer, which is faster for large files.
pub fn decrypt_attachment(
    sealed: &SealedAttachment,
    ciphertext: &[u8],
) -> Result<Vec<u8>, MediaError> {
    let expected = sealed.ciphertext_len();
    match (ciphertext.len() as u64).cmp(&expected) {
        core::cmp::Ordering::Less => return Err(MediaError::Truncated),
        core::cmp::Ordering::Greater => return Err(MediaError::TrailingData),
        core::cmp::Ordering::Equal => {}
    }
    let (cipher, commitment) = sealed.key.derive();
    let (header, mut rest) = ciphertext
        .split_at_checked(COMMITMENT_LEN)
        .ok_or(MediaError::Truncated)?;
    if !bool::from(header.ct_eq(&commitment)) {
        return Err(MediaError::AuthenticationFailed);
    }
    let mut hasher = Sha256::new();
    hasher.update(header);
    // The length matched, so the plaintext size is below the ciphertext length and fits. The
    // buffer is wiped on every early return and taken out only when everything verified.
    let mut out = Zeroizing::new(Vec::with_capacity(
        usize::try_from(sealed.plaintext_size).unwrap_or(0),
    ));
    let mut index = 0u32;
    while let Some(len) = sealed.chunk_plaintext_len(index) {
        // The total length matched, so every chunk is there; checked all the same.
        let (chunk, next) = rest
            .split_at_checked(len as usize + TAG_LEN)
            .ok_or(MediaError::Truncated)?;
        rest = next;
        hasher.update(chunk);
        let (body, tag) = chunk.split_at(len as usize);
        let start = out.len();
        out.extend_from_slice(body);
        let opened = match tag.try_into() {
            Ok(tag) => cipher.open(index, sealed.is_last(index), &mut out[start..], tag),
            Err(_) => false,
        };
        if !opened {
            return Err(MediaError::AuthenticationFailed);
        }
        match index.checked_add(1) {
            Some(next) => index = next,
            None => break,
        }
    }
    let digest: [u8; DIGEST_LEN] = hasher.finalize().into();
    if !bool::from(digest.ct_eq(&sealed.digest)) {
        return Err(MediaError::DigestMismatch);
    }
    Ok(core::mem::take(&mut *out))
}

/// Checks the chunk size bounds and the chunk count limit.
pub(crate) fn check_layout(plaintext_size: u64, chunk_size: u32) -> Result<(), MediaError> {
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        return Err(MediaError::InvalidChunkSize);
    }
    if chunk_count(plaintext_size, chunk_size) > MAX_CHUNK_COUNT {
        return Err(MediaError::TooLarge);
    }
    Ok(())
}

/// `max(1, ceil(plaintext_size / chunk_size))`; `chunk_size` is nonzero.
pub(crate) fn chunk_count(plaintext_size: u64, chunk_size: u32) -> u64 {
    match plaintext_size.checked_sub(1) {
        None => 1,
        Some(m) => m / u64::from(chunk_size.max(1)) + 1,
    }
}

/// Length of a full chunk's ciphertext.
pub(crate) fn chunk_stride(chunk_size: u32) -> u64 {
    u64::from(chunk_size) + TAG_LEN as u64
}

/// `32 + P + 16 n`. At most 2^56 + 2^36 + 32 for valid layouts, so it cannot overflow; the
/// saturation only makes invalid inputs harmless.
pub(crate) fn ciphertext_len(plaintext_size: u64, chunk_size: u32) -> u64 {
    let tags = chunk_count(plaintext_size, chunk_size).saturating_mul(TAG_LEN as u64);
    (COMMITMENT_LEN as u64)
        .saturating_add(plaintext_size)
        .saturating_add(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(plaintext_size: u64, chunk_size: u32) -> SealedAttachment {
        SealedAttachment::new(
            AttachmentKey::from_bytes(&[1; 32]),
            plaintext_size,
            chunk_size,
            [0; 32],
        )
        .unwrap()
    }

    #[test]
    fn layout_arithmetic_small() {
        let s = sealed(0, 1024);
        assert_eq!((s.chunk_count(), s.ciphertext_len()), (1, 48));
        assert_eq!(s.chunk_range(0), Some(32..48));
        assert_eq!(s.chunk_range(1), None);
        assert_eq!(s.chunk_index(0), None);

        let s = sealed(2048, 1024);
        assert_eq!((s.chunk_count(), s.ciphertext_len()), (2, 32 + 2048 + 32));
        assert_eq!(s.chunk_range(1), Some(1072..2112));
        assert_eq!(s.chunk_plaintext_len(1), Some(1024));

        let s = sealed(2049, 1024);
        assert_eq!(s.chunk_count(), 3);
        assert_eq!(s.chunk_range(2), Some(2112..2129));
        assert_eq!(s.chunk_index(2048), Some(2));
        assert_eq!(s.chunk_index(2047), Some(1));
        assert_eq!(s.chunk_index(2049), None);
    }

    #[test]
    fn layout_bounds() {
        let key = || AttachmentKey::from_bytes(&[1; 32]);
        for bad in [0, 1, MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1, u32::MAX] {
            assert_eq!(
                SealedAttachment::new(key(), 10, bad, [0; 32]),
                Err(MediaError::InvalidChunkSize)
            );
        }
        // Exactly 2^32 chunks of 1 KiB is the largest accepted; one more byte is not.
        assert!(SealedAttachment::new(key(), 1 << 42, 1024, [0; 32]).is_ok());
        assert_eq!(
            SealedAttachment::new(key(), (1 << 42) + 1, 1024, [0; 32]),
            Err(MediaError::TooLarge)
        );
        assert_eq!(
            SealedAttachment::new(key(), u64::MAX, MAX_CHUNK_SIZE, [0; 32]),
            Err(MediaError::TooLarge)
        );
        let s = sealed(1 << 42, 1024);
        assert_eq!(
            s.chunk_range(u32::MAX),
            Some(4_466_765_986_832..4_466_765_987_872)
        );
        assert!(s.is_last(u32::MAX));
    }
}
