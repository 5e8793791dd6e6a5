//! Decoding seen from the allocator: how much content and stored-session decoding allocate for
//! hostile input, and whether an attachment key survives in a freed heap block.
//!
//! A global allocator counts the bytes allocated on the current thread and, while a pattern is
//! set, scans every block freed on this thread for it. Thread-local, so the other tests of this
//! binary, running in parallel, do not disturb the figures.

#![allow(unsafe_code)] // the watching allocator below; the library itself forbids unsafe code
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crosswire::store::{MemoryStore, StoreError};
use crosswire::{
    AttachmentKey, AttachmentKind, AttachmentPointer, Body, Content, ContentError,
    MAX_PLAINTEXT_LEN, MAX_RECEIPT_IDS, MAX_STATE_LEN, MessageId, PADDING_BUCKET, ReplyBody,
    SealedAttachment, Session, StateError,
};

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
    static PATTERN: Cell<Option<[u8; 16]>> = const { Cell::new(None) };
    static FOUND: Cell<usize> = const { Cell::new(0) };
}

struct Watch;

// SAFETY: every call is forwarded to `System` unchanged; `dealloc` only reads the block it is
// about to free, which is valid for `layout.size()` bytes. `realloc` is the trait's default
// (alloc, copy, dealloc), so a block moved by growth is scanned like any other freed block.
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + layout.size()));
        // SAFETY: as `System.alloc`, with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = PATTERN.try_with(|p| {
            if let Some(pattern) = p.get() {
                // SAFETY: the block is allocated, `layout.size()` bytes, and not yet freed.
                let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
                if block.windows(pattern.len()).any(|w| w == pattern) {
                    FOUND.with(|f| f.set(f.get() + 1));
                }
            }
        });
        // SAFETY: as `System.dealloc`, with the block and layout `alloc` returned.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Bytes allocated on this thread while `f` runs.
fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATED.with(Cell::get);
    let out = f();
    (out, ALLOCATED.with(Cell::get) - before)
}

fn pad(mut encoded: Vec<u8>) -> Vec<u8> {
    let len = (encoded.len() / PADDING_BUCKET + 1) * PADDING_BUCKET;
    encoded.push(0x80);
    encoded.resize(len, 0);
    encoded
}

/// A `Content` whose body is a receipt with `ids` empty message ids: 2 bytes each on the wire.
fn receipt_of_empty_ids(ids: usize) -> Vec<u8> {
    let receipt = [0x12u8, 0x00].repeat(ids);
    let mut encoded = vec![0x4a]; // field 9, length-delimited
    let mut len = receipt.len();
    while len >= 0x80 {
        encoded.push(len as u8 | 0x80);
        len >>= 7;
    }
    encoded.push(len as u8);
    encoded.extend(receipt);
    pad(encoded)
}

/// Rejecting a receipt of too many ids allocates (almost) nothing: the count is checked on the
/// wire, before prost builds a `Vec` per id (26 times the input before the fix).
#[test]
fn receipt_bound_applies_before_allocating() {
    let largest = (MAX_PLAINTEXT_LEN - PADDING_BUCKET) / 2;
    for ids in [MAX_RECEIPT_IDS + 1, largest] {
        let plaintext = receipt_of_empty_ids(ids);
        assert!(plaintext.len() <= MAX_PLAINTEXT_LEN);
        let (result, bytes) = allocated_by(|| Content::from_plaintext(&plaintext));
        assert_eq!(result, Err(ContentError::InvalidReceipt), "{ids} ids");
        assert!(
            bytes <= plaintext.len(),
            "{ids} ids: {bytes} bytes allocated for {} bytes of input",
            plaintext.len()
        );
    }
    // At the bound, prost decodes: its allocations are bounded by the constant, not the input.
    let plaintext = receipt_of_empty_ids(MAX_RECEIPT_IDS);
    let (result, bytes) = allocated_by(|| Content::from_plaintext(&plaintext));
    assert_eq!(result, Err(ContentError::InvalidMessageId));
    assert!(bytes <= 64 * MAX_RECEIPT_IDS + plaintext.len(), "{bytes}");
}

/// A stored session longer than `MAX_STATE_LEN` is refused before prost sees it. The input is
/// one well-formed `associated_data` field (4), which a decoder would copy out whole.
#[test]
fn oversized_state_is_refused_before_allocating() {
    let mut blob = vec![0x22u8];
    let body = MAX_STATE_LEN + 1 - 1 - 3; // key byte, 3-byte length
    assert!((1 << 14..1 << 21).contains(&body));
    blob.extend([
        body as u8 | 0x80,
        (body >> 7) as u8 | 0x80,
        (body >> 14) as u8,
    ]);
    blob.resize(MAX_STATE_LEN + 1, 0x55);
    let (result, bytes) = allocated_by(|| Session::from_bytes(&blob).err());
    assert_eq!(result, Some(StateError::Malformed));
    assert!(bytes < 1024, "{bytes} bytes allocated");
}

/// An attachment key is in no block freed while content is encoded or decoded.
#[test]
fn attachment_key_is_not_left_in_freed_heap() {
    let key: [u8; 32] = core::array::from_fn(|i| 0xa0 ^ (i as u8).wrapping_mul(37));
    let pointer = |key: &[u8; 32]| {
        let sealed =
            SealedAttachment::new(AttachmentKey::from_bytes(key), 5000, 1024, [3; 32]).unwrap();
        AttachmentPointer::new(sealed, AttachmentKind::Photo, "image/png", "blob/1")
    };
    let contents = [
        Content::attachment(MessageId::from_bytes([1; 16]), 7, pointer(&key)),
        Content::new(
            MessageId::from_bytes([2; 16]),
            8,
            Body::Reply {
                in_reply_to: MessageId::from_bytes([1; 16]),
                body: ReplyBody::Attachment(pointer(&key)),
            },
        ),
    ];
    let mut pattern = [0u8; 16];
    pattern.copy_from_slice(&key[8..24]);
    for content in &contents {
        PATTERN.with(|p| p.set(Some(pattern)));
        FOUND.with(|f| f.set(0));
        let plaintext = content.to_plaintext().unwrap();
        let decoded = Content::from_plaintext(&plaintext).unwrap();
        assert_eq!(&decoded, content);
        drop(decoded);
        drop(plaintext);
        PATTERN.with(|p| p.set(None));
        assert_eq!(FOUND.with(Cell::get), 0, "key bytes in a freed block");
    }
    // The scanner works: a plain Vec holding the key, freed, is found.
    PATTERN.with(|p| p.set(Some(pattern)));
    drop(std::hint::black_box(key.to_vec()));
    PATTERN.with(|p| p.set(None));
    assert_eq!(FOUND.with(Cell::get), 1);
}

/// A `MemoryStore` export announcing more rows than its length can hold (each takes 9 bytes
/// at least) is refused before a row is read: nothing is allocated.
#[test]
fn memory_store_import_refuses_an_impossible_count_before_reading_rows() {
    let mut blob = b"CWMS\x01".to_vec();
    // 13 rows announced; the 109 bytes that follow could hold 12 at most.
    blob.extend_from_slice(&13u32.to_be_bytes());
    // One whole row: table 0, a 100-byte key, an empty value.
    blob.push(0);
    blob.extend_from_slice(&100u32.to_be_bytes());
    blob.extend_from_slice(&[7; 100]);
    blob.extend_from_slice(&0u32.to_be_bytes());
    let (result, allocated) = allocated_by(|| MemoryStore::import(&blob).map(|_| ()));
    assert_eq!(result, Err(StoreError::Corrupt));
    assert_eq!(allocated, 0);
}
