//! Sending a photo and a video end to end.
//!
//! Alice encrypts each file as she reads it from disk and uploads only ciphertext to her
//! provider's blob store (here a local directory, content-addressed by SHA-256, as a CDN would
//! verify uploads without any key). The pointer (key, digest, sizes, locator, metadata) travels
//! to Bob inside the end-to-end encrypted session as `Content`. Bob downloads, decrypts while
//! streaming to disk, and finally seeks into the middle of the video and decrypts one chunk
//! alone, as a player does. Nothing larger than one 64 KiB chunk is ever held in memory.
//!
//! Run with `cargo run --example media`.

use std::error::Error;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crosswire::{
    AttachmentDecryptor, AttachmentEncryptor, AttachmentKind, AttachmentPointer, Body,
    COMMITMENT_LEN, Content, DEFAULT_CHUNK_SIZE, Envelope, IdentityKeyPair, MessageId,
    OneTimePreKey, OneTimePreKeyId, PreKeyBundle, ReceiptKind, Session, SignedPreKey,
    SignedPreKeyId,
};
use rand::rngs::ChaCha20Rng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const PHOTO_SIZE: u64 = 2 * 1024 * 1024 + 12_345;
const VIDEO_SIZE: u64 = 48 * 1024 * 1024 + 777;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = TempDir::new()?;
    let blobs = dir.path().join("provider-blob-store");
    fs::create_dir(&blobs)?;
    let rng = &mut rand::rng();

    // Alice's files: a photo and a video, generated deterministically and streamed to disk.
    let photo = dir.path().join("IMG_2041.jpg");
    let video = dir.path().join("VID_2042.mp4");
    generate(&photo, PHOTO_SIZE, 1)?;
    generate(&video, VIDEO_SIZE, 2)?;
    println!(
        "alice has {} ({PHOTO_SIZE} bytes) and {} ({VIDEO_SIZE} bytes)",
        name(&photo),
        name(&video)
    );

    // X3DH: Bob publishes a bundle, Alice starts a session from it.
    let alice_id = IdentityKeyPair::generate(rng);
    let bob_id = IdentityKeyPair::generate(rng);
    let bob_spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
    let bob_opk = OneTimePreKey::generate_batch(rng, OneTimePreKeyId(1), 1).remove(0);
    let bundle = PreKeyBundle::new(&bob_id, &bob_spk, Some(&bob_opk))?.to_bytes();
    let mut alice = Session::initiate_with(
        rng,
        &alice_id,
        &PreKeyBundle::from_bytes(&bundle)?,
        b"",
        crosswire::PostQuantum::Allowed,
    )?;

    // Alice: encrypt each file to disk, upload the ciphertext, send a pointer.
    let mut outbox = Vec::new();
    for (path, kind, content_type) in [
        (&photo, AttachmentKind::Photo, "image/jpeg"),
        (&video, AttachmentKind::Video, "video/mp4"),
    ] {
        let started = Instant::now();
        let staging = dir.path().join("upload.tmp");
        let mut encryptor = AttachmentEncryptor::new(
            rng,
            BufWriter::new(File::create(&staging)?),
            DEFAULT_CHUNK_SIZE,
        )?;
        io::copy(&mut File::open(path)?, &mut encryptor)?;
        let (_, sealed) = encryptor.finish()?;
        let locator = upload(&blobs, &staging, sealed.digest())?;
        println!(
            "alice encrypted {} in {:?}: {} chunks, {} bytes of ciphertext, uploaded as {locator}",
            name(path),
            started.elapsed(),
            sealed.chunk_count(),
            sealed.ciphertext_len(),
        );

        let mut pointer = AttachmentPointer::new(sealed, kind, content_type, locator);
        pointer.file_name = name(path);
        pointer.thumbnail = vec![0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43]; // a (tiny) JPEG preview
        match kind {
            AttachmentKind::Video => {
                (pointer.width, pointer.height, pointer.duration_ms) =
                    (Some(1920), Some(1080), Some(93_000));
                pointer.caption = "the harbour at dusk".into();
            }
            _ => (pointer.width, pointer.height) = (Some(4032), Some(3024)),
        }
        let content = Content::attachment(MessageId::random(rng), now_ms(), pointer);
        let envelope = alice.encrypt_content(rng, &content)?.to_bytes();
        println!(
            "alice sent the pointer in a {}-byte envelope",
            envelope.len()
        );
        outbox.push((content.id, envelope));
    }

    // Bob: the first envelope starts his session; the second continues it.
    let mut bob: Option<Session> = None;
    let mut received = Vec::new();
    for (_, bytes) in &outbox {
        let content = match (Envelope::from_bytes(bytes)?, bob.as_mut()) {
            (Envelope::PreKey(m), None) => {
                let (session, content) =
                    Session::respond_content(&bob_id, &bob_spk, Some(&bob_opk), &m, b"")?;
                bob = Some(session);
                content.into_content()?
            }
            (envelope, Some(session)) => session.decrypt_content(&envelope)?.into_content()?,
            _ => return Err("unexpected message".into()),
        };
        let Body::Attachment(pointer) = content.body else {
            return Err("expected an attachment".into());
        };
        received.push((content.id, pointer));
    }
    let bob = bob.as_mut().ok_or("no session")?;

    for (id, pointer) in &received {
        let sealed = &pointer.sealed;
        let blob = blobs.join(&pointer.locator);
        // The provider (or Bob, before spending time) checks the download against the digest.
        let started = Instant::now();
        if sha256_file(&blob)? != *sealed.digest()
            || fs::metadata(&blob)?.len() != sealed.ciphertext_len()
        {
            return Err("download does not match the pointer".into());
        }
        // Decrypt while streaming to disk; the output counts only once `finish` succeeds.
        let out = dir.path().join(format!("received-{}", pointer.file_name));
        let mut decryptor = AttachmentDecryptor::new(sealed, BufWriter::new(File::create(&out)?));
        io::copy(&mut BufReader::new(File::open(&blob)?), &mut decryptor)?;
        decryptor.finish()?.flush()?;
        let original = dir.path().join(&pointer.file_name);
        let same = files_equal(&original, &out)?;
        println!(
            "bob got {:?} {}{}: digest ok, decrypted to disk in {:?}, identical: {same}",
            pointer.kind,
            pointer.file_name,
            describe(pointer),
            started.elapsed(),
        );
        if !same {
            return Err("decrypted file differs".into());
        }
        let receipt = Content::receipt(
            MessageId::random(rng),
            now_ms(),
            ReceiptKind::Read,
            vec![*id],
        );
        let envelope = Envelope::from_bytes(&bob.encrypt_content(rng, &receipt)?.to_bytes())?;
        if let Body::Receipt { kind, ids } = alice.decrypt_content(&envelope)?.into_content()?.body
        {
            println!("alice got a {kind:?} receipt for {} message(s)", ids.len());
        }
    }

    // Seeking: Bob's player jumps to the middle of the video; one ranged read, one chunk.
    let (_, pointer) = &received[1];
    let sealed = &pointer.sealed;
    let offset = sealed.plaintext_size() / 2;
    let index = sealed.chunk_index(offset).ok_or("offset past the end")?;
    let range = sealed.chunk_range(index).ok_or("no such chunk")?;
    let mut chunk = vec![0u8; (range.end - range.start) as usize];
    let mut blob = File::open(blobs.join(&pointer.locator))?;
    // The key commitment (the first 32 bytes) is read once per file and checked with every chunk.
    let mut commitment = [0u8; COMMITMENT_LEN];
    blob.read_exact(&mut commitment)?;
    blob.seek(SeekFrom::Start(range.start))?;
    blob.read_exact(&mut chunk)?;
    let plaintext = sealed.decrypt_chunk(&commitment, index, &chunk)?;
    let mut expected = vec![0u8; plaintext.len()];
    let mut original = File::open(&video)?;
    original.seek(SeekFrom::Start(
        u64::from(index) * u64::from(sealed.chunk_size()),
    ))?;
    original.read_exact(&mut expected)?;
    println!(
        "bob seeked to byte {offset}: chunk {index} at ciphertext bytes {}..{}, {} bytes decrypted alone, match: {}",
        range.start,
        range.end,
        plaintext.len(),
        plaintext == expected
    );
    if plaintext != expected {
        return Err("seeked chunk differs".into());
    }
    println!("done; removing {}", dir.path().display());
    Ok(())
}

/// Writes `len` deterministic pseudo-random bytes (incompressible, like real media).
fn generate(path: &Path, len: u64, seed: u64) -> io::Result<()> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut out = BufWriter::new(File::create(path)?);
    let mut block = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        rng.fill_bytes(&mut block[..n]);
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()
}

/// The blob store is content-addressed: the locator is the hex SHA-256 of the ciphertext,
/// which the store recomputes before accepting the upload.
fn upload(store: &Path, staging: &Path, digest: &[u8; 32]) -> io::Result<String> {
    if sha256_file(staging)? != *digest {
        return Err(io::Error::other("upload rejected: digest mismatch"));
    }
    let locator = hex(digest);
    fs::rename(staging, store.join(&locator))?;
    Ok(locator)
}

fn sha256_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(hasher.finalize().into()),
            n => hasher.update(&buf[..n]),
        }
    }
}

fn files_equal(a: &Path, b: &Path) -> io::Result<bool> {
    if fs::metadata(a)?.len() != fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (
        BufReader::new(File::open(a)?),
        BufReader::new(File::open(b)?),
    );
    let (mut x, mut y) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            return Ok(true);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

/// The optional metadata a pointer carries, for display.
fn describe(p: &AttachmentPointer) -> String {
    let mut parts = Vec::new();
    if let (Some(w), Some(h)) = (p.width, p.height) {
        parts.push(format!("{w}x{h}"));
    }
    if let Some(ms) = p.duration_ms {
        parts.push(format!("{}.{:03} s", ms / 1000, ms % 1000));
    }
    if !p.caption.is_empty() {
        parts.push(format!("{:?}", p.caption));
    }
    if !p.thumbnail.is_empty() {
        parts.push(format!("{}-byte thumbnail", p.thumbnail.len()));
    }
    format!(" ({})", parts.join(", "))
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A temporary directory removed on drop, even when the example fails part-way.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!("crosswire-media-{}", std::process::id()));
        fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
