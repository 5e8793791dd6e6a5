//! Attachments through the public API: known-answer vectors from an independent implementation,
//! round trips at every size boundary, streaming with bounded memory over multi-GiB logical
//! sizes, random access, and every way of tampering with a ciphertext.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{self, Read, Write};

use crosswire::rand_core::{TryCryptoRng, TryRng};
use crosswire::{
    AttachmentDecryptor, AttachmentEncryptor, AttachmentKey, AttachmentKind, AttachmentPointer,
    DEFAULT_CHUNK_SIZE, MAX_CAPTION_LEN, MAX_CHUNK_SIZE, MAX_CONTENT_TYPE_LEN, MAX_FILE_NAME_LEN,
    MAX_LOCATOR_LEN, MAX_THUMBNAIL_LEN, MIN_CHUNK_SIZE, MediaError, SealedAttachment,
    decrypt_attachment, decrypt_attachment_in_place, encrypt_attachment,
    encrypt_attachment_in_place,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use sha2::{Digest, Sha256};

const S: u32 = MIN_CHUNK_SIZE;
const SU: usize = S as usize;
/// Ciphertext bytes of one full chunk of size `S`.
const STRIDE: usize = SU + 16;
const COMMIT: usize = 32;

/// A test-only "RNG" that replays fixed bytes, so the attachment key is a known value.
struct FixedRng(Vec<u8>, usize);

impl TryRng for FixedRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for d in dst {
            *d = self.0[self.1 % self.0.len()];
            self.1 += 1;
        }
        Ok(())
    }
}
impl TryCryptoRng for FixedRng {}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + 3) % 256) as u8).collect()
}

/// The key commitment of SPEC.md 10.2, computed here with the hkdf crate.
fn commitment(key: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(&[0; 32]), key)
        .expand(b"crosswire/v1/attachment-commitment", &mut out)
        .unwrap();
    out
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Encrypts through the streaming encryptor, writing `data` in pieces of `piece` bytes.
fn stream_encrypt(rng: &mut ChaCha20Rng, data: &[u8], piece: usize) -> (Vec<u8>, SealedAttachment) {
    let mut enc = AttachmentEncryptor::new(rng, Vec::new(), S).unwrap();
    for part in data.chunks(piece.max(1)) {
        enc.write_all(part).unwrap();
    }
    enc.finish().unwrap()
}

/// Decrypts through the streaming decryptor, writing `ct` in pieces of `piece` bytes.
fn stream_decrypt(
    sealed: &SealedAttachment,
    ct: &[u8],
    piece: usize,
) -> Result<Vec<u8>, MediaError> {
    let mut dec = AttachmentDecryptor::new(sealed, Vec::new());
    for part in ct.chunks(piece.max(1)) {
        dec.write_all(part)
            .map_err(|e| MediaError::from_io(&e).unwrap())?;
    }
    dec.finish().map_err(|e| MediaError::from_io(&e).unwrap())
}

/// Decrypts with the whole-buffer helper and checks the streaming decryptor agrees: the same
/// plaintext, or also an error (possibly another one: a stream learns it was truncated only at
/// its end, after the chunks that did arrive were checked).
fn decrypt_both(sealed: &SealedAttachment, ct: &[u8]) -> Result<Vec<u8>, MediaError> {
    let whole = decrypt_attachment(sealed, ct);
    // In place: the same result, error included.
    assert_eq!(
        decrypt_attachment_in_place(sealed, ct.to_vec()),
        whole,
        "in place"
    );
    for piece in [1, 100, STRIDE, 1 << 20] {
        let streamed = stream_decrypt(sealed, ct, piece);
        match &whole {
            Ok(plaintext) => assert_eq!(streamed.as_ref(), Ok(plaintext), "piece {piece}"),
            Err(_) => assert!(streamed.is_err(), "piece {piece}"),
        }
    }
    whole
}

/// The same key and size with the digest recomputed over `ct`: isolates the chunk checks from
/// the digest check, as if whoever tampered could also rewrite the pointer.
fn with_digest_of(sealed: &SealedAttachment, plaintext_size: u64, ct: &[u8]) -> SealedAttachment {
    SealedAttachment::new(
        sealed.key().clone(),
        plaintext_size,
        sealed.chunk_size(),
        sha256(ct),
    )
    .unwrap()
}

/// Values from the Python reference in docs/spec-content-media.md (hashlib/hmac HKDF and
/// pyca/cryptography AES-GCM): key = 00 01 .. 1f, chunk size 1024.
#[test]
fn known_answer_vectors_from_independent_implementation() {
    let commitment = "273bfcf7905974c44f51077bc7a440e7283471c81015f70c9f81e7b6e1e94418";
    let cases = [
        (
            0usize,
            48usize,
            "73260c835d2034b0db18ecddcc0d68f8",
            "91d13e4de1566487b58d7b2833e63f0d1342eb60231557090c94ee03fea82df3",
        ),
        (
            2049,
            2129,
            "656bb2e44dbde5b41ee6582977a7548d",
            "40ff84a43c08393c4e721cd162376f368c6d25d5cf4163123358c563b941dce1",
        ),
    ];
    for (len, ct_len, last_tag, digest) in cases {
        let plaintext = pattern(len);
        let key: Vec<u8> = (0..32).collect();
        let (ct, sealed) =
            encrypt_attachment(&mut FixedRng(key.clone(), 0), &plaintext, 1024).unwrap();
        assert_eq!(ct.len(), ct_len);
        assert_eq!(hex::encode(&ct[..32]), commitment);
        assert_eq!(hex::encode(&ct[ct.len() - 16..]), last_tag);
        assert_eq!(hex::encode(sha256(&ct)), digest);
        assert_eq!(hex::encode(sealed.digest()), digest);
        assert_eq!(sealed.key().as_bytes().as_slice(), key.as_slice());

        let mut enc =
            AttachmentEncryptor::new(&mut FixedRng(key.clone(), 0), Vec::new(), 1024).unwrap();
        enc.write_all(&plaintext).unwrap();
        let (streamed, streamed_sealed) = enc.finish().unwrap();
        assert_eq!(streamed, ct);
        assert_eq!(streamed_sealed, sealed);

        let reference = SealedAttachment::new(
            AttachmentKey::from_bytes(&key.clone().try_into().unwrap()),
            len as u64,
            1024,
            hex::decode(digest).unwrap().try_into().unwrap(),
        )
        .unwrap();
        assert_eq!(decrypt_both(&reference, &ct).unwrap(), plaintext);
    }
}

#[test]
fn round_trips_at_every_size_boundary() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for len in [
        0,
        1,
        SU - 1,
        SU,
        SU + 1,
        2 * SU - 1,
        2 * SU,
        2 * SU + 1,
        3 * SU,
        5 * SU + 17,
    ] {
        let plaintext = pattern(len);
        let seed = len as u64;
        let (ct, sealed) =
            encrypt_attachment(&mut ChaCha20Rng::seed_from_u64(seed), &plaintext, S).unwrap();
        let chunks = if len == 0 { 1 } else { len.div_ceil(SU) };
        assert_eq!(sealed.chunk_count(), chunks as u64, "len {len}");
        assert_eq!(ct.len(), COMMIT + len + 16 * chunks, "len {len}");
        assert_eq!(sealed.ciphertext_len(), ct.len() as u64);
        assert_eq!(sealed.plaintext_size(), len as u64);
        assert_eq!(sealed.digest(), &sha256(&ct));
        // No chunk-sized run of plaintext survives into the ciphertext.
        if len >= 64 {
            assert!(!ct.windows(64).any(|w| w == &plaintext[..64]));
        }
        assert_eq!(decrypt_both(&sealed, &ct).unwrap(), plaintext, "len {len}");

        // In place: the same bytes under the same key, with or without spare capacity.
        for spare in [0, ct.len() - len] {
            let mut buffer = Vec::with_capacity(len + spare);
            buffer.extend_from_slice(&plaintext);
            let (in_place, s3) =
                encrypt_attachment_in_place(&mut ChaCha20Rng::seed_from_u64(seed), buffer, S)
                    .unwrap();
            assert_eq!(in_place, ct, "len {len} in place");
            assert_eq!(s3, sealed);
        }

        // Streaming with any write pattern gives the same bytes under the same key.
        for piece in [1, 7, SU, SU + 1, 1 << 20] {
            let (streamed, s2) =
                stream_encrypt(&mut ChaCha20Rng::seed_from_u64(seed), &plaintext, piece);
            assert_eq!(streamed, ct, "len {len} piece {piece}");
            assert_eq!(s2, sealed);
        }
        // A fresh key every time.
        let (other, _) = encrypt_attachment(&mut rng, &plaintext, S).unwrap();
        assert_ne!(other[..COMMIT], ct[..COMMIT]);
    }
}

#[test]
fn empty_file_is_one_empty_last_chunk() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let enc = AttachmentEncryptor::new(&mut rng, Vec::new(), DEFAULT_CHUNK_SIZE).unwrap();
    let (ct, sealed) = enc.finish().unwrap();
    assert_eq!(ct.len(), COMMIT + 16);
    assert_eq!(sealed.chunk_count(), 1);
    assert_eq!(sealed.chunk_range(0), Some(32..48));
    assert_eq!(
        sealed.decrypt_chunk(&ct[..COMMIT], 0, &ct[32..]).unwrap(),
        b""
    );
    assert_eq!(decrypt_both(&sealed, &ct).unwrap(), b"");
    // The empty chunk carries the last flag: a tag for "not last" would not verify, so a
    // truncated longer file cannot pass as empty.
    assert_eq!(
        decrypt_both(&sealed, &ct[..COMMIT]),
        Err(MediaError::Truncated)
    );
}

#[test]
fn chunk_size_bounds() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for bad in [0, MIN_CHUNK_SIZE - 1, MAX_CHUNK_SIZE + 1] {
        assert_eq!(
            encrypt_attachment(&mut rng, b"x", bad).err(),
            Some(MediaError::InvalidChunkSize)
        );
        assert_eq!(
            AttachmentEncryptor::new(&mut rng, Vec::new(), bad)
                .err()
                .map(|_| ()),
            Some(())
        );
    }
    for good in [MIN_CHUNK_SIZE, MAX_CHUNK_SIZE] {
        let (ct, sealed) = encrypt_attachment(&mut rng, b"x", good).unwrap();
        assert_eq!(decrypt_attachment(&sealed, &ct).unwrap(), b"x");
    }
}

/// A four-chunk file (3 full chunks and 100 bytes) to tamper with.
fn sample(seed: u64) -> (Vec<u8>, Vec<u8>, SealedAttachment) {
    let plaintext = pattern(3 * SU + 100);
    let (ct, sealed) =
        encrypt_attachment(&mut ChaCha20Rng::seed_from_u64(seed), &plaintext, S).unwrap();
    (plaintext, ct, sealed)
}

/// The ciphertext of chunk `i` of a sample.
fn chunk(ct: &[u8], i: usize) -> &[u8] {
    let start = COMMIT + i * STRIDE;
    &ct[start..(start + STRIDE).min(ct.len())]
}

#[test]
fn truncation_and_extension_are_detected() {
    let (_, ct, sealed) = sample(10);
    // At every chunk boundary, inside every chunk, and inside the commitment.
    let mut cuts = vec![0, 1, COMMIT - 1];
    for i in 0..4 {
        cuts.extend([
            COMMIT + i * STRIDE,
            COMMIT + i * STRIDE + 1,
            COMMIT + i * STRIDE + STRIDE - 1,
        ]);
    }
    cuts.push(ct.len() - 1);
    cuts.retain(|&c| c < ct.len());
    for cut in cuts {
        // The stream sees every chunk before the cut verify, then learns it ended early.
        assert_eq!(
            stream_decrypt(&sealed, &ct[..cut], 77),
            Err(MediaError::Truncated),
            "cut {cut}"
        );
        assert_eq!(
            decrypt_both(&sealed, &ct[..cut]),
            Err(MediaError::Truncated),
            "cut {cut}"
        );
    }
    let mut longer = ct.clone();
    longer.push(0);
    assert_eq!(
        decrypt_both(&sealed, &longer),
        Err(MediaError::TrailingData)
    );

    // Even with a pointer rewritten to match, a file cut at a chunk boundary fails: the new
    // last chunk was sealed as "not last".
    for n in 1..4 {
        let cut = &ct[..COMMIT + n * STRIDE];
        let forged = with_digest_of(&sealed, (n * SU) as u64, cut);
        assert_eq!(
            decrypt_both(&forged, cut),
            Err(MediaError::AuthenticationFailed),
            "{n} chunks"
        );
    }
    // And appending a chunk after the real last one fails, since that one was sealed as
    // "last": a file of exactly three full chunks, extended by a copy of its chunk 1.
    let plaintext = pattern(3 * SU);
    let (ct, sealed) =
        encrypt_attachment(&mut ChaCha20Rng::seed_from_u64(10), &plaintext, S).unwrap();
    let mut extended = ct.clone();
    extended.extend_from_slice(chunk(&ct, 1));
    let forged = with_digest_of(&sealed, 4 * SU as u64, &extended);
    assert_eq!(
        decrypt_both(&forged, &extended),
        Err(MediaError::AuthenticationFailed)
    );
    // Its first three chunks are authentic; the stream fails at the old last chunk.
    let mut dec = AttachmentDecryptor::new(&forged, Vec::new());
    assert!(dec.write_all(&extended).is_err());
    assert_eq!(dec.get_ref().as_slice(), &plaintext[..2 * SU]);
}

#[test]
fn dropped_duplicated_reordered_and_swapped_chunks_fail() {
    let (_, ct, sealed) = sample(11);
    let rebuild = |order: &[usize], from: &[&[u8]]| -> Vec<u8> {
        let mut out = ct[..COMMIT].to_vec();
        for (&i, src) in order.iter().zip(from) {
            out.extend_from_slice(chunk(src, i));
        }
        out
    };
    let own: [&[u8]; 4] = [&ct, &ct, &ct, &ct];
    let size = |full: usize| (full * SU + 100) as u64;
    let cases: Vec<(&str, Vec<u8>, u64)> = vec![
        ("dropped", rebuild(&[0, 2, 3], &own), size(2)),
        (
            "duplicated",
            rebuild(&[0, 1, 1, 2, 3], &[&ct, &ct, &ct, &ct, &ct]),
            size(4),
        ),
        ("replaced by a copy", rebuild(&[0, 0, 2, 3], &own), size(3)),
        ("reordered", rebuild(&[0, 2, 1, 3], &own), size(3)),
    ];
    for (name, forged_ct, forged_size) in cases {
        // As delivered, with the genuine pointer.
        assert!(decrypt_both(&sealed, &forged_ct).is_err(), "{name}");
        // With a pointer rewritten to match: the chunk tags still catch it.
        let forged = with_digest_of(&sealed, forged_size, &forged_ct);
        assert_eq!(
            decrypt_both(&forged, &forged_ct),
            Err(MediaError::AuthenticationFailed),
            "{name}"
        );
    }
    let reordered = rebuild(&[0, 2, 1, 3], &own);
    assert_eq!(
        decrypt_both(&sealed, &reordered),
        Err(MediaError::AuthenticationFailed)
    );

    // A chunk from another file of the same shape, at the same index.
    let (_, other_ct, _) = sample(12);
    let swapped = rebuild(&[0, 1, 2, 3], &[&ct, &other_ct, &ct, &ct]);
    assert_eq!(swapped.len(), ct.len());
    assert_eq!(
        decrypt_both(&sealed, &swapped),
        Err(MediaError::AuthenticationFailed)
    );
    let forged = with_digest_of(&sealed, sealed.plaintext_size(), &swapped);
    assert_eq!(
        decrypt_both(&forged, &swapped),
        Err(MediaError::AuthenticationFailed)
    );
}

#[test]
fn every_flipped_bit_position_fails() {
    let plaintext = pattern(SU + 10);
    let (ct, sealed) =
        encrypt_attachment(&mut ChaCha20Rng::seed_from_u64(13), &plaintext, S).unwrap();
    for i in 0..ct.len() {
        let mut bad = ct.clone();
        bad[i] ^= 1 << (i % 8);
        assert_eq!(
            decrypt_attachment(&sealed, &bad),
            Err(MediaError::AuthenticationFailed),
            "byte {i}"
        );
        // Digest rewritten to match: the AEAD alone still catches it.
        let forged = with_digest_of(&sealed, sealed.plaintext_size(), &bad);
        assert_eq!(
            decrypt_attachment(&forged, &bad),
            Err(MediaError::AuthenticationFailed),
            "byte {i}"
        );
    }
    // The streaming path on a sample of positions.
    for i in [0, 31, 32, 500, COMMIT + SU, COMMIT + STRIDE, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[i] ^= 0x80;
        assert_eq!(
            stream_decrypt(&sealed, &bad, 333),
            Err(MediaError::AuthenticationFailed)
        );
    }
}

#[test]
fn wrong_key_and_wrong_digest_fail() {
    let (plaintext, ct, sealed) = sample(14);
    let wrong_key = SealedAttachment::new(
        AttachmentKey::generate(&mut ChaCha20Rng::seed_from_u64(99)),
        sealed.plaintext_size(),
        sealed.chunk_size(),
        *sealed.digest(),
    )
    .unwrap();
    assert_eq!(
        decrypt_both(&wrong_key, &ct),
        Err(MediaError::AuthenticationFailed)
    );
    assert_eq!(
        wrong_key.decrypt_chunk(&ct[..COMMIT], 1, chunk(&ct, 1)),
        Err(MediaError::AuthenticationFailed)
    );

    let mut digest = *sealed.digest();
    digest[31] ^= 1;
    let wrong_digest =
        SealedAttachment::new(sealed.key().clone(), sealed.plaintext_size(), S, digest).unwrap();
    assert_eq!(
        decrypt_both(&wrong_digest, &ct),
        Err(MediaError::DigestMismatch)
    );
    // Random access does not cover the digest: each chunk still authenticates under the key.
    assert_eq!(
        wrong_digest
            .decrypt_chunk(&ct[..COMMIT], 0, chunk(&ct, 0))
            .unwrap(),
        plaintext[..SU]
    );
}

/// The streaming decryptor writes out only chunks whose tag verified.
#[test]
fn streaming_decryptor_releases_only_authenticated_chunks() {
    let (plaintext, mut ct, sealed) = sample(15);
    ct[COMMIT + 2 * STRIDE + 5] ^= 4;
    let mut dec = AttachmentDecryptor::new(&sealed, Vec::new());
    let err = dec.write_all(&ct).unwrap_err();
    assert_eq!(
        MediaError::from_io(&err),
        Some(MediaError::AuthenticationFailed)
    );
    assert_eq!(dec.get_ref().as_slice(), &plaintext[..2 * SU]);
    // Refuses further use.
    let again = dec.write(&[0]).unwrap_err();
    assert_eq!(MediaError::from_io(&again), None);
    assert!(dec.finish().is_err());

    // A wrong commitment releases nothing at all.
    let (_, mut ct, sealed) = sample(16);
    ct[0] ^= 1;
    let mut dec = AttachmentDecryptor::new(&sealed, Vec::new());
    assert!(dec.write_all(&ct).is_err());
    assert!(dec.get_ref().is_empty());
}

#[test]
fn random_access_to_single_chunks() {
    let (plaintext, ct, sealed) = sample(17);
    for i in 0..4u32 {
        let range = sealed.chunk_range(i).unwrap();
        let bytes = &ct[range.start as usize..range.end as usize];
        assert_eq!(bytes, chunk(&ct, i as usize));
        let start = i as usize * SU;
        let end = (start + SU).min(plaintext.len());
        assert_eq!(
            sealed.decrypt_chunk(&ct[..COMMIT], i, bytes).unwrap(),
            plaintext[start..end]
        );
        // Seeking: every offset in the chunk maps to it.
        assert_eq!(sealed.chunk_index(start as u64), Some(i));
        assert_eq!(sealed.chunk_index(end as u64 - 1), Some(i));
    }
    assert_eq!(sealed.chunk_index(plaintext.len() as u64), None);
    assert_eq!(sealed.chunk_range(4), None);
    assert_eq!(
        sealed.decrypt_chunk(&ct[..COMMIT], 4, chunk(&ct, 3)),
        Err(MediaError::ChunkOutOfRange)
    );
    // A chunk presented at another index, or as the last one, does not verify.
    assert_eq!(
        sealed.decrypt_chunk(&ct[..COMMIT], 2, chunk(&ct, 1)),
        Err(MediaError::AuthenticationFailed)
    );
    let (_, full_ct, full) = {
        let p = pattern(4 * SU);
        let (c, s) = encrypt_attachment(&mut ChaCha20Rng::seed_from_u64(17), &p, S).unwrap();
        (p, c, s)
    };
    // Same key as `sealed` (same seed): chunk 2 of the 4-full-chunk file is "not last", so it
    // fails as chunk 3 of a file where index 3 is last, and the real last chunk passes.
    assert_eq!(
        full.decrypt_chunk(&full_ct[..COMMIT], 3, chunk(&full_ct, 3))
            .map(|p| p.len()),
        Ok(SU)
    );
    assert_eq!(
        sealed.decrypt_chunk(&ct[..COMMIT], 1, &chunk(&ct, 1)[1..]),
        Err(MediaError::InvalidChunkLength)
    );
    assert_eq!(
        sealed.decrypt_chunk(&ct[..COMMIT], 3, chunk(&ct, 0)),
        Err(MediaError::InvalidChunkLength)
    );
}

/// Generates a deterministic stream of `len` bytes without holding it: byte `i` is
/// `(i * 7 + 3) mod 256`, the same as [`pattern`].
struct Generator {
    pos: u64,
    len: u64,
    block: Vec<u8>,
}

impl Generator {
    fn new(len: u64) -> Self {
        // The pattern repeats every 256 bytes; a 64 KiB block is a whole number of periods.
        Generator {
            pos: 0,
            len,
            block: pattern(64 * 1024),
        }
    }
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = (self.len - self.pos) as usize;
        let offset = (self.pos % 256) as usize;
        let n = buf.len().min(left).min(self.block.len() - offset);
        buf[..n].copy_from_slice(&self.block[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// A sink that hashes what it receives, records the largest single write, and keeps the
/// ciphertext ranges it is asked to keep.
struct Sink {
    hasher: Sha256,
    total: u64,
    largest_write: usize,
    keep: Vec<(u64, u64, Vec<u8>)>,
}

impl Sink {
    fn new(keep: &[std::ops::Range<u64>]) -> Self {
        Sink {
            hasher: Sha256::new(),
            total: 0,
            largest_write: 0,
            keep: keep.iter().map(|r| (r.start, r.end, Vec::new())).collect(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.largest_write = self.largest_write.max(buf.len());
        self.hasher.update(buf);
        let (start, end) = (self.total, self.total + buf.len() as u64);
        for (ks, ke, kept) in &mut self.keep {
            let (s, e) = (start.max(*ks), end.min(*ke));
            if s < e {
                kept.extend_from_slice(&buf[(s - start) as usize..(e - start) as usize]);
            }
        }
        self.total = end;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A sink that checks the plaintext it receives against the generator's pattern.
struct Checker {
    pos: u64,
    largest_write: usize,
    expected: Generator,
    want: Vec<u8>,
}

impl Checker {
    fn at(pos: u64) -> Self {
        Checker {
            pos,
            largest_write: 0,
            expected: Generator::new(u64::MAX),
            want: Vec::new(),
        }
    }
}

impl Write for Checker {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.largest_write = self.largest_write.max(buf.len());
        self.expected.pos = self.pos;
        self.want.resize(buf.len(), 0);
        self.expected.read_exact(&mut self.want)?;
        assert!(
            buf == self.want.as_slice(),
            "plaintext differs at offset {}",
            self.pos
        );
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Encrypts a multi-GiB logical stream without ever holding it: the encryptor emits each chunk
/// as soon as it is known not to be the last, so the plaintext it has taken in but not yet
/// written out never exceeds one chunk, and no single write exceeds a chunk plus its tag.
/// The digest and chunk positions agree with an independent hash of what came out.
#[test]
fn streaming_encrypt_of_multi_gib_input_uses_one_chunk_of_memory() {
    const LEN: u64 = (2 << 30) + 12_345; // 2 GiB and a partial chunk
    let chunk_size = MAX_CHUNK_SIZE;
    let cs = chunk_size as u64;
    let stride = cs + 16;
    let chunks = LEN.div_ceil(cs); // 129
    let mid = chunks / 2;
    let keep = [
        0..32,
        32..32 + stride,
        32 + mid * stride..32 + (mid + 1) * stride,
        32 + (chunks - 1) * stride..32 + (chunks - 1) * stride + (LEN - (chunks - 1) * cs) + 16,
    ];
    let mut enc = AttachmentEncryptor::new(
        &mut ChaCha20Rng::seed_from_u64(20),
        Sink::new(&keep),
        chunk_size,
    )
    .unwrap();
    let mut source = Generator::new(LEN);
    let mut piece = vec![0u8; 1 << 20];
    let mut taken = 0u64;
    loop {
        let n = source.read(&mut piece).unwrap();
        if n == 0 {
            break;
        }
        enc.write_all(&piece[..n]).unwrap();
        taken += n as u64;
        let out = enc.get_ref().total;
        let emitted_plaintext = out.saturating_sub(32) / stride * cs;
        assert!(
            taken - emitted_plaintext <= cs,
            "buffered more than one chunk"
        );
    }
    let (sink, sealed) = enc.finish().unwrap();
    assert_eq!(sink.largest_write, chunk_size as usize + 16);
    assert_eq!(sink.total, 32 + LEN + 16 * chunks);
    assert_eq!(sealed.ciphertext_len(), sink.total);
    assert_eq!(sealed.chunk_count(), chunks);
    let digest: [u8; 32] = sink.hasher.finalize().into();
    assert_eq!(sealed.digest(), &digest);
    let commitment = &sink.keep[0].2;
    for (index, (_, _, bytes)) in [0, mid, chunks - 1].into_iter().zip(&sink.keep[1..]) {
        let index = index as u32;
        let plain = sealed.decrypt_chunk(commitment, index, bytes).unwrap();
        let mut check = Checker::at(u64::from(index) * cs);
        check.write_all(&plain).unwrap();
    }
}

/// Decrypts a large stream piped straight from the encryptor (same key, same bytes) into a
/// checking sink: neither side ever holds more than a chunk.
#[test]
fn streaming_round_trip_of_large_input_without_holding_it() {
    const LEN: u64 = (64 << 20) + 1;
    let chunk_size = DEFAULT_CHUNK_SIZE;
    // First pass: learn the digest.
    let mut enc = AttachmentEncryptor::new(
        &mut ChaCha20Rng::seed_from_u64(21),
        Sink::new(&[]),
        chunk_size,
    )
    .unwrap();
    io::copy(&mut Generator::new(LEN), &mut enc).unwrap();
    let (_, sealed) = enc.finish().unwrap();
    // Second pass: the same key regenerates the same ciphertext, decrypted as it is produced.
    let dec = AttachmentDecryptor::new(&sealed, Checker::at(0));
    let mut enc =
        AttachmentEncryptor::new(&mut ChaCha20Rng::seed_from_u64(21), dec, chunk_size).unwrap();
    io::copy(&mut Generator::new(LEN), &mut enc).unwrap();
    let (dec, again) = enc.finish().unwrap();
    assert_eq!(again, sealed);
    let checker = dec.finish().unwrap();
    assert_eq!(checker.pos, LEN);
    assert_eq!(checker.largest_write, chunk_size as usize);
}

/// Size and offset arithmetic past 4 GiB (expected values computed by hand, see the comments).
#[test]
fn layout_arithmetic_beyond_4_gib() {
    const P: u64 = 5 * (1 << 30) + 123;
    let sealed = SealedAttachment::new(
        AttachmentKey::from_bytes(&[5; 32]),
        P,
        DEFAULT_CHUNK_SIZE,
        [0; 32],
    )
    .unwrap();
    // ceil(P / 65536) = 81920 full chunks + 1 chunk of 123 bytes.
    assert_eq!(sealed.chunk_count(), 81_921);
    // 32 + P + 16 * 81921
    assert_eq!(sealed.ciphertext_len(), 5_370_020_011);
    // Plaintext offset 4 GiB is the first byte of chunk 65536, which starts at
    // 32 + 65536 * 65552 in the ciphertext.
    assert_eq!(sealed.chunk_index(1 << 32), Some(65_536));
    assert_eq!(
        sealed.chunk_range(65_536),
        Some(4_296_015_904..4_296_015_904 + 65_552)
    );
    // The last chunk: 123 bytes + tag, ending exactly at the ciphertext length.
    assert_eq!(sealed.chunk_index(P - 1), Some(81_920));
    assert_eq!(
        sealed.chunk_range(81_920),
        Some(5_370_019_872..5_370_020_011)
    );
    assert_eq!(sealed.chunk_range(81_921), None);
    assert_eq!(
        sealed.decrypt_chunk(&commitment(&[5; 32]), 81_920, &[0; 138]),
        Err(MediaError::InvalidChunkLength)
    );
    assert_eq!(
        sealed.decrypt_chunk(&commitment(&[5; 32]), 81_920, &[0; 139]),
        Err(MediaError::AuthenticationFailed)
    );
    // 2^32 chunks of 16 MiB is the ceiling (chunk indexes are 32 bits).
    let key = || AttachmentKey::from_bytes(&[5; 32]);
    assert!(SealedAttachment::new(key(), 1 << 56, MAX_CHUNK_SIZE, [0; 32]).is_ok());
    assert_eq!(
        SealedAttachment::new(key(), (1 << 56) + 1, MAX_CHUNK_SIZE, [0; 32]),
        Err(MediaError::TooLarge)
    );
}

#[test]
fn debug_never_prints_the_key() {
    let key = AttachmentKey::from_bytes(&[0xab; 32]);
    let sealed = SealedAttachment::new(key, 1, 1024, [0xcd; 32]).unwrap();
    let printed = format!("{sealed:?}");
    assert!(printed.contains("[redacted]"));
    assert!(!printed.contains("171") && !printed.to_lowercase().contains("abab"));
}

// ------------------------------------------- two keys, one ciphertext (invisible salamanders) --

/// Multiplication in GCM's GF(2^128), blocks read big-endian (SP 800-38D, algorithm 1).
fn gf_mul(x: u128, y: u128) -> u128 {
    let mut z = 0u128;
    let mut v = y;
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 {
            (v >> 1) ^ (0xe1 << 120)
        } else {
            v >> 1
        };
    }
    z
}

/// `x^(2^128 - 2)`, the inverse of a nonzero `x`.
fn gf_inv(x: u128) -> u128 {
    let mut result = 1u128 << 127; // the field's 1
    let mut power = x;
    // The exponent 2^128 - 2 has every bit set but bit 0.
    for _ in 1..128 {
        power = gf_mul(power, power);
        result = gf_mul(result, power);
    }
    result
}

fn aes_block(key: &[u8; 32], block: [u8; 16]) -> u128 {
    use aes_gcm::aes::Aes256;
    use aes_gcm::aes::cipher::{BlockCipherEncrypt, KeyInit};
    let cipher = Aes256::new(key.into());
    let mut b = block.into();
    cipher.encrypt_block(&mut b);
    u128::from_be_bytes(b.into())
}

/// The AES key and GCM pre-counter block of chunk 0 of a one-chunk attachment (SPEC.md 10.2,
/// 10.4), from the hkdf crate.
fn chunk0_of_only_chunk(key: &[u8; 32]) -> ([u8; 32], [u8; 16]) {
    let mut okm = [0u8; 39];
    hkdf::Hkdf::<Sha256>::new(Some(&[0; 32]), key)
        .expand(b"crosswire/v1/attachment", &mut okm)
        .unwrap();
    let mut j0 = [0u8; 16];
    j0[..7].copy_from_slice(&okm[32..]);
    j0[11] = 1; // index 0, last
    j0[15] = 1; // GCM's J0 = nonce || 0^31 || 1
    (okm[..32].try_into().unwrap(), j0)
}

/// GHASH over a ciphertext of whole blocks with empty associated data, then `E_K(J0)`: the tag.
fn gcm_tag(h: u128, ek_j0: u128, blocks: &[u128]) -> u128 {
    let mut x = 0u128;
    for &c in blocks {
        x = gf_mul(x ^ c, h);
    }
    x = gf_mul(x ^ (blocks.len() as u128 * 128), h);
    x ^ ek_j0
}

/// A chunk crafted to authenticate under two attachment keys (GCM is not key-committing) is
/// caught by the key commitment on random access too: a recipient holding the second key
/// rejects the blob whose commitment is the first key's.
#[test]
fn random_access_checks_the_key_commitment() {
    let (k1, k2) = ([0x11u8; 32], [0x22u8; 32]);
    let (aes1, j1) = chunk0_of_only_chunk(&k1);
    let (aes2, j2) = chunk0_of_only_chunk(&k2);
    let (h1, h2) = (aes_block(&aes1, [0; 16]), aes_block(&aes2, [0; 16]));
    let (e1, e2) = (aes_block(&aes1, j1), aes_block(&aes2, j2));
    // Four blocks; solve for the first so that both tags agree.
    let mut blocks = [0u128, 0x0123, 0x4567, 0x89ab];
    let diff = gcm_tag(h1, e1, &blocks) ^ gcm_tag(h2, e2, &blocks);
    let pow5 = |h: u128| (0..4).fold(h, |acc, _| gf_mul(acc, h));
    blocks[0] = gf_mul(diff, gf_inv(pow5(h1) ^ pow5(h2)));
    let tag = gcm_tag(h1, e1, &blocks);
    assert_eq!(tag, gcm_tag(h2, e2, &blocks));
    let chunk: Vec<u8> = blocks
        .iter()
        .chain([&tag])
        .flat_map(|b| b.to_be_bytes())
        .collect();

    let sealed = |key: &[u8; 32]| {
        SealedAttachment::new(AttachmentKey::from_bytes(key), 64, S, [0; 32]).unwrap()
    };
    // The chunk alone authenticates under both keys, to two different plaintexts.
    let p1 = sealed(&k1)
        .decrypt_chunk(&commitment(&k1), 0, &chunk)
        .unwrap();
    let p2 = sealed(&k2)
        .decrypt_chunk(&commitment(&k2), 0, &chunk)
        .unwrap();
    assert_ne!(p1, p2);

    // The blob carries one commitment: the second key's holder rejects it, seeking or not.
    let blob = [&commitment(&k1)[..], &chunk].concat();
    assert_eq!(
        sealed(&k2).decrypt_chunk(&blob[..COMMIT], 0, &blob[COMMIT..]),
        Err(MediaError::AuthenticationFailed)
    );
    assert_eq!(
        sealed(&k1).decrypt_chunk(&blob[..COMMIT], 0, &blob[COMMIT..]),
        Ok(p1)
    );
    let digest = sha256(&blob);
    let full = |key: &[u8; 32]| {
        SealedAttachment::new(AttachmentKey::from_bytes(key), 64, S, digest).unwrap()
    };
    assert_eq!(
        decrypt_attachment(&full(&k2), &blob),
        Err(MediaError::AuthenticationFailed)
    );
    assert_eq!(
        decrypt_attachment(&full(&k1), &blob).map(|p| p.len()),
        Ok(64)
    );
}

/// Each pointer bound is exact and checked on its own: the figures are SPEC.md's, written out
/// (not the constants, so a changed constant fails here), every field at its bound is accepted
/// with all the others at theirs, and any one field a byte over is refused alone.
#[test]
fn pointer_field_bounds_are_exact_and_independent() {
    assert_eq!(
        [
            MAX_CONTENT_TYPE_LEN,
            MAX_LOCATOR_LEN,
            MAX_THUMBNAIL_LEN,
            MAX_CAPTION_LEN,
            MAX_FILE_NAME_LEN
        ],
        [255, 2048, 32 * 1024, 4096, 255]
    );
    let sealed =
        SealedAttachment::new(AttachmentKey::from_bytes(&[1; 32]), 10, S, [2; 32]).unwrap();
    let at_bounds = |over: Option<usize>| {
        let len = |field: usize, bound: usize| bound + usize::from(over == Some(field));
        let mut p = AttachmentPointer::new(
            sealed.clone(),
            AttachmentKind::Photo,
            "t".repeat(len(0, 255)),
            "l".repeat(len(1, 2048)),
        );
        p.thumbnail = vec![7; len(2, 32 * 1024)];
        p.caption = "c".repeat(len(3, 4096));
        p.file_name = "f".repeat(len(4, 255));
        p
    };
    assert_eq!(at_bounds(None).validate(), Ok(()));
    for field in 0..5 {
        assert_eq!(
            at_bounds(Some(field)).validate(),
            Err(MediaError::FieldTooLong),
            "field {field} one byte over"
        );
    }
    let mut no_locator = at_bounds(None);
    no_locator.locator.clear();
    assert_eq!(no_locator.validate(), Err(MediaError::InvalidPointer));
    let minimal = AttachmentPointer::new(sealed, AttachmentKind::File, "", "l");
    assert_eq!(minimal.validate(), Ok(()));
}

/// Keys compare by every byte: two keys differing only in their first or only in their last
/// byte are different keys, and so are the attachments they seal.
#[test]
fn attachment_keys_compare_by_value() {
    let mut bytes = [0x5a; 32];
    let key = AttachmentKey::from_bytes(&bytes);
    assert_eq!(key, AttachmentKey::from_bytes(&[0x5a; 32]));
    for i in [0, 31] {
        bytes = [0x5a; 32];
        bytes[i] ^= 1;
        let other = AttachmentKey::from_bytes(&bytes);
        assert_ne!(key, other, "byte {i}");
        let sealed = |k: &AttachmentKey| SealedAttachment::new(k.clone(), 1, S, [0; 32]).unwrap();
        assert_ne!(sealed(&key), sealed(&other), "byte {i}");
    }
}

/// `flush` reaches the inner writer on both sides: what a chunk emitted is pushed out of a
/// buffering writer by `flush`, before `finish`.
#[test]
fn flush_flushes_the_inner_writer() {
    let data = pattern(SU + 1);
    let mut enc = AttachmentEncryptor::new(
        &mut ChaCha20Rng::seed_from_u64(30),
        io::BufWriter::new(Vec::new()),
        S,
    )
    .unwrap();
    // The first chunk is emitted once the byte after it arrives; it waits in the BufWriter.
    enc.write_all(&data).unwrap();
    assert!(enc.get_ref().get_ref().is_empty());
    enc.flush().unwrap();
    assert_eq!(enc.get_ref().get_ref().len(), COMMIT + STRIDE);
    let (inner, sealed) = enc.finish().unwrap();
    let ct = inner.into_inner().unwrap();

    let mut dec = AttachmentDecryptor::new(&sealed, io::BufWriter::new(Vec::new()));
    dec.write_all(&ct[..COMMIT + STRIDE]).unwrap();
    assert!(dec.get_ref().get_ref().is_empty());
    dec.flush().unwrap();
    assert_eq!(dec.get_ref().get_ref().as_slice(), &data[..SU]);
    dec.write_all(&ct[COMMIT + STRIDE..]).unwrap();
    assert_eq!(dec.finish().unwrap().into_inner().unwrap(), data);
}
