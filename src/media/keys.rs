//! The attachment key schedule and STREAM nonces (SPEC.md, attachments: key schedule).
//!
//! One random 32-byte [`AttachmentKey`] per attachment. HKDF-SHA256 expands it twice: into an
//! AES-256-GCM key and a 7-byte nonce prefix, and into a 32-byte key commitment that opens the
//! ciphertext. Chunk `i` uses nonce `prefix || be32(i) || last`, with `last` = 1 only on the
//! final chunk, so every chunk is bound to its position and to whether the file ends there.

use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::kdf::{LABEL_ATTACHMENT, LABEL_ATTACHMENT_COMMITMENT, hkdf_sha256};
use crate::keys::Redacted;

/// Length of an [`AttachmentKey`].
pub const ATTACHMENT_KEY_LEN: usize = 32;
/// Length of the key commitment that starts every attachment ciphertext.
pub const COMMITMENT_LEN: usize = 32;
/// Length of the STREAM nonce prefix.
pub(crate) const NONCE_PREFIX_LEN: usize = 7;

/// The HKDF salt for both attachment derivations: 32 zero bytes (RFC 5869's default).
const SALT: [u8; 32] = [0; 32];

/// The random key of one attachment. It travels inside the (end-to-end encrypted)
/// [`AttachmentPointer`](crate::AttachmentPointer); never reuse one for a second file.
///
/// Boxed so moves leave no copies; zeroized on drop; prints as `[redacted]`.
#[derive(Clone)]
pub struct AttachmentKey(Box<[u8; ATTACHMENT_KEY_LEN]>);

impl AttachmentKey {
    /// A fresh random key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = AttachmentKey(Box::new([0; ATTACHMENT_KEY_LEN]));
        rng.fill_bytes(key.0.as_mut());
        key
    }

    /// A key from its bytes, e.g. one loaded from the application's storage.
    pub fn from_bytes(bytes: &[u8; ATTACHMENT_KEY_LEN]) -> Self {
        AttachmentKey(Box::new(*bytes))
    }

    /// Parses a slice that must be exactly 32 bytes.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; ATTACHMENT_KEY_LEN] = bytes.try_into().ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// The key bytes. Handle them as a secret.
    pub fn as_bytes(&self) -> &[u8; ATTACHMENT_KEY_LEN] {
        &self.0
    }

    /// Derives the chunk cipher: AES key and nonce prefix.
    pub(crate) fn cipher(&self) -> ChunkCipher {
        let mut okm = [0u8; 32 + NONCE_PREFIX_LEN];
        hkdf_sha256(&SALT, self.as_bytes(), LABEL_ATTACHMENT, &mut okm);
        let mut cipher = ChunkCipher(Box::new(CipherKeys {
            key: [0; 32],
            prefix: [0; NONCE_PREFIX_LEN],
        }));
        cipher.0.key.copy_from_slice(&okm[..32]);
        cipher.0.prefix.copy_from_slice(&okm[32..]);
        okm.zeroize();
        cipher
    }

    /// Derives the key commitment that starts the ciphertext.
    pub(crate) fn commitment(&self) -> [u8; COMMITMENT_LEN] {
        let mut commitment = [0u8; COMMITMENT_LEN];
        hkdf_sha256(
            &SALT,
            self.as_bytes(),
            LABEL_ATTACHMENT_COMMITMENT,
            &mut commitment,
        );
        commitment
    }

    /// Derives both.
    pub(crate) fn derive(&self) -> (ChunkCipher, [u8; COMMITMENT_LEN]) {
        (self.cipher(), self.commitment())
    }
}

impl Drop for AttachmentKey {
    fn drop(&mut self) {
        self.0.as_mut().zeroize();
    }
}

impl ZeroizeOnDrop for AttachmentKey {}

impl PartialEq for AttachmentKey {
    /// Constant time.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for AttachmentKey {}

impl fmt::Debug for AttachmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AttachmentKey").field(&Redacted).finish()
    }
}

#[derive(Zeroize, ZeroizeOnDrop)]
struct CipherKeys {
    key: [u8; 32],
    prefix: [u8; NONCE_PREFIX_LEN],
}

/// The derived AES-256-GCM key and nonce prefix of one attachment.
pub(crate) struct ChunkCipher(Box<CipherKeys>);

impl ChunkCipher {
    /// `prefix || be32(index) || last`.
    fn nonce(&self, index: u32, last: bool) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..NONCE_PREFIX_LEN].copy_from_slice(&self.0.prefix);
        nonce[NONCE_PREFIX_LEN..NONCE_LEN - 1].copy_from_slice(&index.to_be_bytes());
        nonce[NONCE_LEN - 1] = u8::from(last);
        nonce
    }

    /// Encrypts chunk `index` in place and returns its tag. Callers seal each index once.
    pub(crate) fn seal(
        &self,
        index: u32,
        last: bool,
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], aead::SealTooLarge> {
        aead::seal_in_place(&self.0.key, &self.nonce(index, last), b"", buf)
    }

    /// Decrypts chunk `index` in place if `tag` verifies; on failure `buf` is unchanged.
    pub(crate) fn open(&self, index: u32, last: bool, buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        aead::open_in_place(&self.0.key, &self.nonce(index, last), b"", buf, tag)
    }
}

impl fmt::Debug for ChunkCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChunkCipher").field(&Redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hkdf::Hkdf;
    use sha2::Sha256;

    /// The derivation matches an independent HKDF call with the SPEC.md parameters, and the
    /// nonce layout is prefix || big-endian index || flag.
    #[test]
    fn key_schedule_and_nonce_layout() {
        let key = AttachmentKey::from_bytes(&[0x42; 32]);
        let (cipher, commitment) = key.derive();

        let hk = Hkdf::<Sha256>::new(Some(&[0u8; 32]), &[0x42; 32]);
        let mut okm = [0u8; 39];
        hk.expand(b"crosswire/v1/attachment", &mut okm).unwrap();
        let mut expected_commitment = [0u8; 32];
        hk.expand(
            b"crosswire/v1/attachment-commitment",
            &mut expected_commitment,
        )
        .unwrap();
        assert_eq!(cipher.0.key, okm[..32]);
        assert_eq!(cipher.0.prefix, okm[32..]);
        assert_eq!(commitment, expected_commitment);

        let nonce = cipher.nonce(0x0102_0304, true);
        assert_eq!(nonce[..7], okm[32..]);
        assert_eq!(nonce[7..], [1, 2, 3, 4, 1]);
        assert_eq!(cipher.nonce(5, false)[7..], [0, 0, 0, 5, 0]);
    }

    #[test]
    fn chunk_is_bound_to_index_and_flag() {
        let (cipher, _) = AttachmentKey::from_bytes(&[7; 32]).derive();
        let mut buf = *b"sixteen byte msg";
        let tag = cipher.seal(3, false, &mut buf).unwrap();
        let sealed = buf;
        assert!(!cipher.open(4, false, &mut buf, &tag));
        assert!(!cipher.open(3, true, &mut buf, &tag));
        assert_eq!(buf, sealed, "failed opens leave the buffer alone");
        assert!(cipher.open(3, false, &mut buf, &tag));
        assert_eq!(&buf, b"sixteen byte msg");
    }

    #[test]
    fn debug_is_redacted() {
        let key = AttachmentKey::from_bytes(&[0xab; 32]);
        assert_eq!(format!("{key:?}"), "AttachmentKey([redacted])");
        let (cipher, _) = key.derive();
        assert_eq!(format!("{cipher:?}"), "ChunkCipher([redacted])");
    }
}
