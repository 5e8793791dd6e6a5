//! AES-256-GCM, the one AEAD crosswire uses (SPEC.md section 3.4).
//!
//! Thin wrappers over the `aes-gcm` crate that fix the tag placement (appended) and make a
//! failed open leave its input untouched: the tag is verified before any plaintext is written.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};

/// Length of a GCM authentication tag.
pub(crate) const TAG_LEN: usize = 16;
/// Length of a GCM nonce.
pub(crate) const NONCE_LEN: usize = 12;

/// The longest plaintext [`seal`] accepts: the largest attachment chunk, the longest input any
/// caller has (a message's plaintext is far shorter). aes-gcm's own limit is 2^36 - 32 bytes.
pub(crate) const MAX_SEAL_LEN: usize = crate::MAX_CHUNK_SIZE as usize;

/// A seal was refused: the plaintext is longer than [`MAX_SEAL_LEN`] (or aes-gcm refused it).
/// Callers bound their inputs below the limit, so this is unreachable in a correct build; it
/// exists so that such a bug fails closed, with the caller's size error, instead of producing a
/// ciphertext under a fixed tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SealTooLarge;

impl From<SealTooLarge> for crate::EncryptError {
    fn from(_: SealTooLarge) -> Self {
        crate::EncryptError::PlaintextTooLarge
    }
}

impl From<SealTooLarge> for crate::MediaError {
    fn from(_: SealTooLarge) -> Self {
        crate::MediaError::TooLarge
    }
}

/// Encrypts `plaintext` and returns `ciphertext || tag`.
pub(crate) fn seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealTooLarge> {
    if plaintext.len() > MAX_SEAL_LEN {
        return Err(SealTooLarge);
    }
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = seal_in_place(key, nonce, ad, &mut out)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Encrypts `buf` in place and returns the detached tag. On error `buf` is unchanged.
pub(crate) fn seal_in_place(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], SealTooLarge> {
    if buf.len() > MAX_SEAL_LEN {
        return Err(SealTooLarge);
    }
    let cipher = Aes256Gcm::new(key.into());
    // aes-gcm checks the lengths before it touches `buf`.
    cipher
        .encrypt_inout_detached(nonce.into(), ad, buf.into())
        .map(Into::into)
        .map_err(|_| SealTooLarge)
}

/// Decrypts `ciphertext || tag`. `None` if the tag does not verify (or the input is shorter
/// than a tag); nothing is returned or kept of the unauthenticated plaintext.
pub(crate) fn open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    ciphertext: &[u8],
) -> Option<Vec<u8>> {
    let body_len = ciphertext.len().checked_sub(TAG_LEN)?;
    let (body, tag) = ciphertext.split_at(body_len);
    let mut out = body.to_vec();
    let tag: &[u8; TAG_LEN] = tag.try_into().ok()?;
    if open_in_place(key, nonce, ad, &mut out, tag) {
        Some(out)
    } else {
        None
    }
}

/// Decrypts `buf` in place if `tag` verifies; returns whether it did. On failure `buf` is
/// unchanged (aes-gcm checks the tag before it decrypts).
pub(crate) fn open_in_place(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt_inout_detached(nonce.into(), ad, buf.into(), tag.into())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = [7u8; 32];
        let nonce = [9u8; 12];
        let ct = seal(&key, &nonce, b"ad", b"hello").unwrap();
        assert_eq!(ct.len(), 5 + TAG_LEN);
        assert_eq!(
            open(&key, &nonce, b"ad", &ct).as_deref(),
            Some(&b"hello"[..])
        );
        assert!(open(&key, &nonce, b"ae", &ct).is_none());
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            assert!(open(&key, &nonce, b"ad", &bad).is_none(), "byte {i}");
        }
        assert!(open(&key, &nonce, b"ad", &ct[..TAG_LEN - 1]).is_none());
    }

    /// Issue 9 item 7b: an input over the limit is refused with an error and left untouched,
    /// never sealed under a fixed (zero) tag.
    #[test]
    fn oversized_seal_fails_closed() {
        let key = [3u8; 32];
        let nonce = [4u8; 12];
        let mut buf = vec![0x5a; MAX_SEAL_LEN + 1];
        assert_eq!(
            seal_in_place(&key, &nonce, b"", &mut buf),
            Err(SealTooLarge)
        );
        assert!(buf.iter().all(|&b| b == 0x5a));
        assert_eq!(seal(&key, &nonce, b"", &buf), Err(SealTooLarge));
        let mut at_limit = vec![0u8; MAX_SEAL_LEN];
        assert!(seal_in_place(&key, &nonce, b"", &mut at_limit).is_ok());
        // `seal` has its own check, before it copies the input: exactly the limit is accepted.
        let sealed = seal(&key, &nonce, b"", &at_limit).unwrap();
        assert_eq!(sealed.len(), MAX_SEAL_LEN + TAG_LEN);
    }

    #[test]
    fn failed_open_leaves_buffer_unchanged() {
        let key = [1u8; 32];
        let nonce = [2u8; 12];
        let mut buf = *b"secret message!!";
        let tag = seal_in_place(&key, &nonce, b"", &mut buf).unwrap();
        let ciphertext = buf;
        let mut bad_tag = tag;
        bad_tag[0] ^= 0x80;
        assert!(!open_in_place(&key, &nonce, b"", &mut buf, &bad_tag));
        assert_eq!(buf, ciphertext);
        assert!(open_in_place(&key, &nonce, b"", &mut buf, &tag));
        assert_eq!(&buf, b"secret message!!");
    }
}
