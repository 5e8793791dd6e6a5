//! Attachment benchmarks (issue 3): crosswire's chunked AES-256-GCM STREAM next to the raw
//! `aes-gcm` crate on the same buffers.
//!
//! Every group holds, for one size:
//! - `raw/aes-gcm`: `Aes256Gcm::encrypt_inout_detached` (or decrypt) over 64 KiB chunks of one
//!   buffer, in place, one cipher instance, no allocation: the floor.
//! - `raw/aes-gcm+sha256`: the same plus SHA-256 over each sealed chunk, the floor for any
//!   scheme that digests its ciphertext.
//! - `crosswire/..`: the public API. `decrypt_chunk` (random access) is the path without the
//!   digest; `encrypt_attachment`, `decrypt_attachment`, their `_in_place` variants (which
//!   reuse the caller's buffer instead of filling a fresh one) and the streaming adapters always
//!   digest, so compare them with `raw/aes-gcm+sha256`.
//! - `raw/sha256`: the digest alone.
//!
//! Run: `cargo bench -p crosswire-bench --bench media -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::io::{self, Write};

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use crosswire::{
    AttachmentDecryptor, AttachmentEncryptor, DEFAULT_CHUNK_SIZE, decrypt_attachment,
    decrypt_attachment_in_place, encrypt_attachment, encrypt_attachment_in_place,
};
use sha2::{Digest, Sha256};

const CHUNK: usize = DEFAULT_CHUNK_SIZE as usize;
const SIZES: [(usize, &str); 2] = [(1 << 20, "1MiB"), (64 << 20, "64MiB")];

fn nonce(i: usize) -> [u8; 12] {
    let mut n = [7u8; 12];
    n[7..11].copy_from_slice(&(i as u32).to_be_bytes());
    n
}

/// Raw AES-256-GCM over the chunks of `buf`, in place; optionally hashing each sealed chunk.
fn raw_encrypt(cipher: &Aes256Gcm, buf: &mut [u8], hasher: Option<&mut Sha256>) -> [u8; 16] {
    let mut last = [0u8; 16];
    let mut hasher = hasher;
    for (i, chunk) in buf.chunks_mut(CHUNK).enumerate() {
        let tag = cipher
            .encrypt_inout_detached(&nonce(i).into(), b"", chunk.into())
            .unwrap();
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&*chunk);
            h.update(tag);
        }
        last = tag.into();
    }
    last
}

fn bench_encrypt(c: &mut Criterion) {
    let cipher = Aes256Gcm::new(&[3u8; 32].into());
    for (size, label) in SIZES {
        let mut group = c.benchmark_group(format!("media/encrypt/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            group.sample_size(10);
        }
        let plaintext = vec![0x5au8; size];
        let mut buf = plaintext.clone();
        group.bench_function("raw/aes-gcm", |b| {
            b.iter(|| black_box(raw_encrypt(&cipher, &mut buf, None)))
        });
        group.bench_function("raw/aes-gcm+sha256", |b| {
            b.iter(|| {
                let mut h = Sha256::new();
                raw_encrypt(&cipher, &mut buf, Some(&mut h));
                black_box(h.finalize())
            })
        });
        group.bench_function("crosswire/encrypt_attachment", |b| {
            b.iter(|| {
                black_box(
                    encrypt_attachment(&mut rand::rng(), &plaintext, DEFAULT_CHUNK_SIZE).unwrap(),
                )
            })
        });
        // The caller's buffer, with room for the tags, is made (and its pages touched) outside
        // the measurement, as an application's buffer read from a file would be.
        let spare = 32 + 16 * size.div_ceil(CHUNK);
        group.bench_function("crosswire/encrypt_attachment_in_place", |b| {
            b.iter_batched(
                || {
                    let mut v = Vec::with_capacity(size + spare);
                    v.extend_from_slice(&plaintext);
                    v
                },
                |v| encrypt_attachment_in_place(&mut rand::rng(), v, DEFAULT_CHUNK_SIZE).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("crosswire/AttachmentEncryptor", |b| {
            b.iter(|| {
                let mut enc =
                    AttachmentEncryptor::new(&mut rand::rng(), io::sink(), DEFAULT_CHUNK_SIZE)
                        .unwrap();
                enc.write_all(&plaintext).unwrap();
                black_box(enc.finish().unwrap().1)
            })
        });
        group.bench_function("raw/sha256", |b| {
            b.iter(|| black_box(Sha256::digest(&plaintext)))
        });
        group.finish();
    }
}

fn bench_decrypt(c: &mut Criterion) {
    let cipher = Aes256Gcm::new(&[3u8; 32].into());
    for (size, label) in SIZES {
        let mut group = c.benchmark_group(format!("media/decrypt/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            group.sample_size(10);
        }
        let plaintext = vec![0x5au8; size];

        // Raw: sealed chunks and their tags. Decrypting in place destroys the ciphertext, so
        // each chunk is first copied to a reused 64 KiB scratch buffer, as any in-place
        // decryption of kept ciphertext must (crosswire's `decrypt_chunk` copies too).
        let mut sealed_buf = plaintext.clone();
        let tags: Vec<[u8; 16]> = sealed_buf
            .chunks_mut(CHUNK)
            .enumerate()
            .map(|(i, chunk)| {
                cipher
                    .encrypt_inout_detached(&nonce(i).into(), b"", chunk.into())
                    .unwrap()
                    .into()
            })
            .collect();
        let mut scratch = vec![0u8; CHUNK];
        let mut raw_decrypt = |hash: bool| {
            let mut h = Sha256::new();
            for (i, (chunk, tag)) in sealed_buf.chunks(CHUNK).zip(&tags).enumerate() {
                if hash {
                    h.update(chunk);
                    h.update(tag);
                }
                let work = &mut scratch[..chunk.len()];
                work.copy_from_slice(chunk);
                cipher
                    .decrypt_inout_detached(&nonce(i).into(), b"", work.into(), tag.into())
                    .unwrap();
            }
            black_box(h.finalize());
        };
        group.bench_function("raw/aes-gcm", |b| b.iter(|| raw_decrypt(false)));
        group.bench_function("raw/aes-gcm+sha256", |b| b.iter(|| raw_decrypt(true)));

        let (ct, sealed) =
            encrypt_attachment(&mut rand::rng(), &plaintext, DEFAULT_CHUNK_SIZE).unwrap();
        let ranges: Vec<_> = (0..sealed.chunk_count() as u32)
            .map(|i| {
                let r = sealed.chunk_range(i).unwrap();
                (i, r.start as usize..r.end as usize)
            })
            .collect();
        group.bench_function("crosswire/decrypt_chunk", |b| {
            b.iter(|| {
                for (i, r) in &ranges {
                    black_box(sealed.decrypt_chunk(&ct[..32], *i, &ct[r.clone()]).unwrap());
                }
            })
        });
        group.bench_function("crosswire/decrypt_attachment", |b| {
            b.iter(|| black_box(decrypt_attachment(&sealed, &ct).unwrap()))
        });
        group.bench_function("crosswire/decrypt_attachment_in_place", |b| {
            b.iter_batched(
                || ct.clone(),
                |v| decrypt_attachment_in_place(&sealed, v).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("crosswire/AttachmentDecryptor", |b| {
            b.iter(|| {
                let mut dec = AttachmentDecryptor::new(&sealed, io::sink());
                dec.write_all(&ct).unwrap();
                black_box(dec.finish().unwrap())
            })
        });
        group.bench_function("raw/sha256", |b| b.iter(|| black_box(Sha256::digest(&ct))));
        group.finish();
    }
}

criterion_group!(benches, bench_encrypt, bench_decrypt);
criterion_main!(benches);
