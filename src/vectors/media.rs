//! `media.json`: attachment encryption (STREAM over AES-256-GCM with a key commitment), every
//! derived value and chunk, and ciphertexts that must be rejected (SPEC.md section 10).

use rand_core::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Tape, bytes, bytes32, cases, file, hex, text, uint};
use crate::aead;
use crate::error::Error;
use crate::kdf::{LABEL_ATTACHMENT, LABEL_ATTACHMENT_COMMITMENT, hkdf_sha256};
use crate::media::{AttachmentKey, SealedAttachment, decrypt_attachment, encrypt_attachment};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 10;

const DESCRIPTION: &str = "Attachments (SPEC.md section 10). A valid case gives the random \
    attachment_key and plaintext, the chunk_size, the derived AES-256-GCM key and 7-byte nonce \
    prefix (HKDF-SHA256, salt 0^32, info \"crosswire/v1/attachment\", 39 bytes), the key \
    commitment (same, info \"crosswire/v1/attachment-commitment\", 32 bytes), every chunk \
    (nonce = prefix || u32be(index) || last, empty associated data, ciphertext with tag), the \
    whole ciphertext (commitment || chunks) and its SHA-256 digest. A case with `error` gives a \
    pointer (key, plaintext_size, chunk_size, digest) and, for operation decrypt_attachment, \
    a ciphertext, or, for decrypt_chunk (random access), a commitment, an index and a chunk, \
    that must be rejected with that error.";

/// The generator's valid cases: name, plaintext size, chunk size.
const VALID: [(&str, usize, u32); 4] = [
    ("empty file: one empty final chunk", 0, 1024),
    ("shorter than a chunk", 1000, 1024),
    ("exactly two chunks", 2048, 1024),
    ("three chunks, the last partial", 2500, 1024),
];

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let mut cases: Vec<Value> = VALID
        .iter()
        .map(|&(name, size, chunk_size)| {
            let input = json!({"name": name, "plaintext_size": size, "chunk_size": chunk_size});
            valid(&mut tape, &input)
        })
        .collect();
    let two = cases[2].clone();
    cases.extend(invalid(&two));
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let name = text(recorded, "name");
        if recorded.get("error").is_some() {
            assert_eq!(reject(recorded), text(recorded, "error"), "{name}");
        } else {
            let computed = valid(&mut Tape::replay(), recorded);
            super::assert_same(&computed, recorded, name);
        }
    }
}

/// Encrypts a random file of the case's size; random values come from `tape`.
fn valid(tape: &mut Tape, input: &Value) -> Value {
    let size = uint(input, "plaintext_size") as usize;
    let chunk_size = uint(input, "chunk_size");
    let (plaintext, _) = tape.draw(input, &["plaintext"], |t| {
        let mut p = vec![0u8; size];
        t.fill_bytes(&mut p);
        p
    });
    let (sealed, drawn) = tape.draw(input, &["attachment_key"], |t| {
        encrypt_attachment(t, &plaintext, chunk_size)
    });
    let (ciphertext, sealed) = sealed.expect("encrypts");
    assert_eq!(drawn.len(), 1);
    let key = sealed.key().as_bytes();

    let mut okm = [0u8; 39];
    hkdf_sha256(&[0; 32], key, LABEL_ATTACHMENT, &mut okm);
    let (aes_key, prefix) = okm.split_at(32);
    let aes_key: [u8; 32] = aes_key.try_into().expect("32");
    let mut commitment = [0u8; 32];
    hkdf_sha256(&[0; 32], key, LABEL_ATTACHMENT_COMMITMENT, &mut commitment);
    assert_eq!(sealed.key().derive().1, commitment);
    assert_eq!(ciphertext[..32], commitment);

    let count = sealed.chunk_count();
    let mut chunks = Vec::new();
    for index in 0..u32::try_from(count).expect("few chunks") {
        let range = sealed.chunk_range(index).expect("chunk");
        let chunk = &ciphertext[range.start as usize..range.end as usize];
        let last = u64::from(index) + 1 == count;
        let mut nonce = [0u8; 12];
        nonce[..7].copy_from_slice(prefix);
        nonce[7..11].copy_from_slice(&index.to_be_bytes());
        nonce[11] = u8::from(last);
        let start = index as usize * chunk_size as usize;
        let end = (start + chunk_size as usize).min(size);
        let chunk_plaintext = &plaintext[start.min(size)..end];
        assert_eq!(
            aead::open(&aes_key, &nonce, b"", chunk).as_deref(),
            Some(chunk_plaintext)
        );
        assert_eq!(
            sealed
                .decrypt_chunk(&ciphertext[..32], index, chunk)
                .as_deref(),
            Ok(chunk_plaintext)
        );
        chunks.push(json!({
            "index": index,
            "last": last,
            "nonce": hex(nonce),
            "ciphertext": hex(chunk),
        }));
    }
    let digest: [u8; 32] = Sha256::digest(&ciphertext).into();
    assert_eq!(sealed.digest(), &digest);
    assert_eq!(
        decrypt_attachment(&sealed, &ciphertext).as_deref(),
        Ok(&plaintext[..])
    );

    json!({
        "name": input["name"],
        "plaintext_size": size,
        "chunk_size": chunk_size,
        "plaintext": hex(&plaintext),
        "attachment_key": hex(key),
        "aes_key": hex(aes_key),
        "nonce_prefix": hex(prefix),
        "commitment": hex(commitment),
        "chunks": chunks,
        "ciphertext": hex(&ciphertext),
        "digest": hex(digest),
    })
}

/// Decrypts the case's ciphertext under its pointer and returns the error, which it requires.
fn reject(case: &Value) -> String {
    let result = SealedAttachment::new(
        AttachmentKey::from_bytes(&bytes32(case, "attachment_key")),
        case["plaintext_size"].as_u64().expect("plaintext_size"),
        uint(case, "chunk_size"),
        bytes32(case, "digest"),
    )
    .and_then(|sealed| match text(case, "operation") {
        "decrypt_attachment" => decrypt_attachment(&sealed, &bytes(case, "ciphertext")),
        "decrypt_chunk" => sealed.decrypt_chunk(
            &bytes(case, "commitment"),
            uint(case, "index"),
            &bytes(case, "chunk"),
        ),
        other => panic!("operation {other}"),
    });
    match result {
        Ok(_) => panic!("{}: accepted", text(case, "name")),
        Err(e) => super::error_code(&Error::from(e)).to_owned(),
    }
}

/// Name, key, plaintext size, chunk size, digest, ciphertext, error.
type Rejected = (
    &'static str,
    [u8; 32],
    u64,
    u32,
    [u8; 32],
    Vec<u8>,
    &'static str,
);

/// Name, commitment, index, chunk, error.
type RejectedChunk<'a> = (&'static str, &'a [u8], u32, &'a [u8], &'static str);

/// Rejected variations of a valid two-chunk case.
fn invalid(two: &Value) -> Vec<Value> {
    let ct = bytes(two, "ciphertext");
    let (head, chunks) = ct.split_at(32);
    let (c0, c1) = chunks.split_at(chunks.len() / 2);
    let digest_of = |c: &[u8]| -> [u8; 32] { Sha256::digest(c).into() };
    let mut other_key = bytes32(two, "attachment_key");
    other_key[0] ^= 1;
    let mut bad_commitment = ct.clone();
    bad_commitment[0] ^= 1;
    let mut bad_chunk = ct.clone();
    bad_chunk[40] ^= 1;
    let swapped = [head, c1, c0].concat();
    let first_only = [head, c0].concat();
    let with_extra = [&ct[..], &[0]].concat();
    let mut wrong_digest = bytes32(two, "digest");
    wrong_digest[31] ^= 1;
    let digest = bytes32(two, "digest");
    let cases: Vec<Rejected> = vec![
        (
            "the last chunk dropped",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest,
            first_only.clone(),
            "media.truncated",
        ),
        (
            "a byte appended",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest,
            with_extra,
            "media.trailing_data",
        ),
        (
            "the two chunks swapped",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest_of(&swapped),
            swapped,
            "media.authentication_failed",
        ),
        (
            "cut at a chunk boundary with the pointer and digest adjusted (last flag)",
            bytes32(two, "attachment_key"),
            1024,
            1024,
            digest_of(&first_only),
            first_only,
            "media.authentication_failed",
        ),
        (
            "a chunk byte flipped",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest_of(&bad_chunk),
            bad_chunk,
            "media.authentication_failed",
        ),
        (
            "the key commitment altered",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest_of(&bad_commitment),
            bad_commitment.clone(),
            "media.authentication_failed",
        ),
        (
            "another key",
            other_key,
            2048,
            1024,
            digest,
            ct.clone(),
            "media.authentication_failed",
        ),
        (
            "the pointer's digest altered",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            wrong_digest,
            ct.clone(),
            "media.digest_mismatch",
        ),
        (
            "chunk size below the minimum",
            bytes32(two, "attachment_key"),
            2048,
            1023,
            digest,
            ct.clone(),
            "media.invalid_chunk_size",
        ),
        (
            "2^32 chunks and one byte more",
            bytes32(two, "attachment_key"),
            (1 << 42) + 1,
            1024,
            digest,
            ct.clone(),
            "media.too_large",
        ),
        (
            "order: chunk size below the minimum and too many chunks",
            bytes32(two, "attachment_key"),
            1 << 60,
            1023,
            digest,
            ct.clone(),
            "media.invalid_chunk_size",
        ),
        (
            "order: the last chunk dropped and the commitment altered (length first)",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest,
            [&bad_commitment[..32], c0].concat(),
            "media.truncated",
        ),
        (
            "order: the commitment altered and the digest wrong (commitment first)",
            bytes32(two, "attachment_key"),
            2048,
            1024,
            digest,
            bad_commitment.clone(),
            "media.authentication_failed",
        ),
    ];
    let mut out: Vec<Value> = cases
        .into_iter()
        .map(|(name, key, size, chunk_size, digest, ciphertext, error)| {
            let case = json!({
                "name": name,
                "operation": "decrypt_attachment",
                "attachment_key": hex(key),
                "plaintext_size": size,
                "chunk_size": chunk_size,
                "digest": hex(digest),
                "ciphertext": hex(ciphertext),
                "error": error,
            });
            assert_eq!(reject(&case), error, "{name}");
            case
        })
        .collect();
    // Random access (SPEC.md 10.6): the key commitment, an index and one chunk.
    let chunks: [RejectedChunk; 7] = [
        (
            "chunk index past the last chunk",
            head,
            2,
            c1,
            "media.chunk_out_of_range",
        ),
        (
            "a chunk one byte short",
            head,
            0,
            &c0[1..],
            "media.invalid_chunk_length",
        ),
        (
            "the first chunk presented as the second",
            head,
            1,
            c0,
            "media.authentication_failed",
        ),
        (
            "a chunk with the key commitment altered",
            &bad_commitment[..32],
            0,
            c0,
            "media.authentication_failed",
        ),
        (
            "a chunk with a commitment of 31 bytes",
            &head[..31],
            0,
            c0,
            "media.authentication_failed",
        ),
        (
            "order: index past the last chunk and a wrong length",
            &bad_commitment[..32],
            5,
            &c0[1..],
            "media.chunk_out_of_range",
        ),
        (
            "order: a wrong length and the commitment altered",
            &bad_commitment[..32],
            0,
            &c0[1..],
            "media.invalid_chunk_length",
        ),
    ];
    for (name, commitment, index, chunk, error) in chunks {
        let case = json!({
            "name": name,
            "operation": "decrypt_chunk",
            "attachment_key": two["attachment_key"],
            "plaintext_size": 2048,
            "chunk_size": 1024,
            "digest": two["digest"],
            "commitment": hex(commitment),
            "index": index,
            "chunk": hex(chunk),
            "error": error,
        });
        assert_eq!(reject(&case), error, "{name}");
        out.push(case);
    }
    out
}
