//! `media_decrypt`: attacker-supplied attachment ciphertexts, chunks and layouts against a
//! fixed attachment (three chunks of the smallest size, from a fixed-seed key).
//!
//! Invariants: only the genuine ciphertext (or chunk) decrypts, to the genuine plaintext; the
//! streaming decryptor writes nothing but verified chunk plaintext, a prefix of the genuine
//! plaintext; layouts taken from a hostile pointer give consistent sizes and ranges and never
//! panic or allocate beyond the input.

use std::io::Write;
use std::sync::OnceLock;

use crosswire::{
    AttachmentDecryptor, AttachmentKey, DIGEST_LEN, MIN_CHUNK_SIZE, SealedAttachment,
    decrypt_attachment, decrypt_attachment_in_place, encrypt_attachment,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

/// The fixed attachment.
pub(crate) struct Media {
    pub(crate) plaintext: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) sealed: SealedAttachment,
}

/// Built on first use: 2.5 chunks of `MIN_CHUNK_SIZE`.
pub(crate) fn media() -> &'static Media {
    static MEDIA: OnceLock<Media> = OnceLock::new();
    MEDIA.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(super::fixture::SEED + 2);
        let plaintext: Vec<u8> = (0..MIN_CHUNK_SIZE as usize * 5 / 2)
            .map(|i| i as u8)
            .collect();
        let (ciphertext, sealed) =
            encrypt_attachment(&mut rng, &plaintext, MIN_CHUNK_SIZE).expect("encrypt");
        Media {
            plaintext,
            ciphertext,
            sealed,
        }
    })
}

/// Input: a mode byte, then mode-specific bytes.
/// - 0: `decrypt_attachment` of the rest;
/// - 1: `decrypt_chunk` of the rest at the index in the next byte;
/// - 2: the streaming decryptor fed the rest in pieces of the size in the next byte (0 as 1);
/// - 3: a layout from the input (plaintext size u64, chunk size u32, digest) with the fixed
///   key, its arithmetic checked, then `decrypt_attachment` of the rest.
pub(crate) fn media_decrypt(data: &[u8]) {
    let m = media();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => whole(&m.sealed, rest),
        1 => {
            let Some((&index, chunk)) = rest.split_first() else {
                return;
            };
            let index = u32::from(index);
            let result = m.sealed.decrypt_chunk(&m.ciphertext[..32], index, chunk);
            let genuine = m
                .sealed
                .chunk_range(index)
                .map(|r| &m.ciphertext[r.start as usize..r.end as usize]);
            if genuine == Some(chunk) {
                let start = index as usize * MIN_CHUNK_SIZE as usize;
                let expected =
                    &m.plaintext[start..(start + MIN_CHUNK_SIZE as usize).min(m.plaintext.len())];
                assert_eq!(result.as_deref().ok(), Some(expected));
            } else {
                assert!(result.is_err(), "a forged chunk decrypted");
            }
        }
        2 => {
            let Some((&piece, ciphertext)) = rest.split_first() else {
                return;
            };
            let mut decryptor = AttachmentDecryptor::new(&m.sealed, Vec::new());
            let mut ok = true;
            for piece in ciphertext.chunks(usize::from(piece.max(1))) {
                let mut piece = piece;
                while ok && !piece.is_empty() {
                    match decryptor.write(piece) {
                        Ok(n) => piece = &piece[n..],
                        Err(_) => ok = false,
                    }
                }
            }
            let written = decryptor.get_ref().clone();
            assert!(
                m.plaintext.starts_with(&written),
                "unverified plaintext written"
            );
            let finished = if ok { decryptor.finish().ok() } else { None };
            if ciphertext == m.ciphertext {
                assert_eq!(finished.as_deref(), Some(&m.plaintext[..]));
            } else {
                assert!(finished.is_none(), "a forged attachment decrypted");
            }
        }
        _ => {
            let mut r = rest;
            let mut take = |n: usize| {
                let (head, tail) = r.split_at(n.min(r.len()));
                r = tail;
                let mut buf = [0u8; DIGEST_LEN];
                buf[..head.len()].copy_from_slice(head);
                buf
            };
            let size = take(8);
            let chunk = take(4);
            let digest = take(DIGEST_LEN);
            let plaintext_size = u64::from_le_bytes(size[..8].try_into().unwrap_or_default());
            let chunk_size = u32::from_le_bytes(chunk[..4].try_into().unwrap_or_default());
            let key = AttachmentKey::from_bytes(m.sealed.key().as_bytes());
            let Ok(sealed) = SealedAttachment::new(key, plaintext_size, chunk_size, digest) else {
                return;
            };
            check_layout(&sealed);
            whole(&sealed, r);
        }
    }
}

/// `decrypt_attachment(sealed, ciphertext)` succeeds only for the fixed attachment.
fn whole(sealed: &SealedAttachment, ciphertext: &[u8]) {
    let m = media();
    let result = decrypt_attachment(sealed, ciphertext);
    // The in-place variant runs the same checks in the same order.
    assert_eq!(
        decrypt_attachment_in_place(sealed, ciphertext.to_vec()),
        result,
        "in place"
    );
    if *sealed == m.sealed && ciphertext == m.ciphertext {
        assert_eq!(result.as_deref().ok(), Some(&m.plaintext[..]));
    } else {
        assert!(result.is_err(), "a forged attachment decrypted");
    }
}

/// Sizes, ranges and indices of any accepted layout agree with each other.
fn check_layout(s: &SealedAttachment) {
    let count = s.chunk_count();
    assert!(count >= 1);
    let last = u32::try_from(count - 1).expect("chunk indices fit in 32 bits");
    let first = s.chunk_range(0).expect("chunk 0 exists");
    assert_eq!(first.start, 32);
    let end = s.chunk_range(last).expect("the last chunk exists").end;
    assert_eq!(end, s.ciphertext_len());
    assert!(last == u32::MAX || s.chunk_range(last + 1).is_none());
    if s.plaintext_size() > 0 {
        assert_eq!(s.chunk_index(s.plaintext_size() - 1), Some(last));
        assert_eq!(s.chunk_index(0), Some(0));
    }
    assert_eq!(s.chunk_index(s.plaintext_size()), None);
}
