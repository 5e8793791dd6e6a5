//! No secret survives in freed heap memory (issue 9, item 2).
//!
//! A global allocator scans every block as it is freed (and the old block of every
//! reallocation, which the default `realloc` frees after copying) for the byte patterns of the
//! session's secrets: root key, ratchet secret, chain keys and every message seed. The patterns
//! come from the session's own states, read before, during (on a dry run of a copy) and after
//! each operation, with scanning off. Blocks are zeroed when allocated, so a hit means a copy of
//! a secret was written into that block and handed back to the allocator without being wiped.
//!
//! `#![forbid(unsafe_code)]` covers the library; this test crate needs `unsafe` for the
//! allocator. The tests take a lock so that one runs at a time.

#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crosswire::{Envelope, IdentityKeyPair, PreKeyBundle, Session, SignedPreKey, SignedPreKeyId};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use support::proto;

const MAX_PATTERNS: usize = 16 * 1024;

/// Sorted 32-byte patterns. Fixed-size so the allocator never allocates while scanning.
struct Patterns {
    items: [[u8; 32]; MAX_PATTERNS],
    len: usize,
}

static PATTERNS: Mutex<Patterns> = Mutex::new(Patterns {
    items: [[0; 32]; MAX_PATTERNS],
    len: 0,
});
static SCANNING: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);
static LAST_HIT_BLOCK_SIZE: AtomicUsize = AtomicUsize::new(0);
/// Index (in the sorted patterns) of the last pattern found, for the failure message.
static LAST_HIT_PATTERN: AtomicUsize = AtomicUsize::new(0);
/// One test at a time: the patterns and counters are global.
static SERIAL: Mutex<()> = Mutex::new(());

struct ScanningAllocator;

#[global_allocator]
static ALLOCATOR: ScanningAllocator = ScanningAllocator;

unsafe impl GlobalAlloc for ScanningAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Every block starts zeroed, so whatever a scan finds in it was written during its own
        // lifetime, not left over from an earlier use of the same memory (a hash table's unused
        // buckets, for one, are never initialized).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if SCANNING.load(Ordering::Relaxed) && layout.size() >= 32 {
            // SAFETY: the block is live until the call below and `layout.size()` bytes long.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            let hits = scan(block);
            if hits > 0 {
                HITS.fetch_add(hits, Ordering::Relaxed);
                LAST_HIT_BLOCK_SIZE.store(layout.size(), Ordering::Relaxed);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn scan(block: &[u8]) -> usize {
    let Ok(patterns) = PATTERNS.try_lock() else {
        return 0;
    };
    let items = &patterns.items[..patterns.len];
    let mut hits = 0;
    for window in block.windows(32) {
        if let Ok(i) = items.binary_search_by(|p| p.as_slice().cmp(window)) {
            LAST_HIT_PATTERN.store(i, Ordering::Relaxed);
            hits += 1;
        }
    }
    hits
}

/// Every secret in a serialized state (either version).
fn secrets(state: &[u8]) -> Vec<[u8; 32]> {
    let s = proto::SessionState::decode(state).unwrap();
    let mut out: Vec<Vec<u8>> = vec![s.root_key.clone(), s.ratchet_secret.clone()];
    out.extend(s.sending.iter().map(|c| c.chain_key.clone()));
    out.extend(s.receiving.iter().map(|c| c.chain_key.clone()));
    out.extend(s.skipped.iter().map(|k| k.message_seed.clone()));
    for run in &s.skipped_runs {
        out.extend(run.message_seeds.chunks(32).map(<[u8]>::to_vec));
    }
    out.into_iter().map(|v| v.try_into().unwrap()).collect()
}

/// Runs `op` with scanning on, for the given secrets; returns the number of hits.
fn hits_during(patterns: &[[u8; 32]], op: impl FnOnce()) -> usize {
    {
        let mut p = PATTERNS.lock().unwrap();
        let mut sorted: Vec<[u8; 32]> = patterns.to_vec();
        sorted.sort();
        sorted.dedup();
        assert!(sorted.len() <= MAX_PATTERNS);
        p.items[..sorted.len()].copy_from_slice(&sorted);
        p.len = sorted.len();
    }
    HITS.store(0, Ordering::SeqCst);
    SCANNING.store(true, Ordering::SeqCst);
    op();
    SCANNING.store(false, Ordering::SeqCst);
    HITS.load(Ordering::SeqCst)
}

fn assert_no_secret_freed(what: &str, patterns: &[[u8; 32]], op: impl FnOnce()) {
    assert!(!patterns.is_empty());
    let hits = hits_during(patterns, op);
    let last = PATTERNS.lock().unwrap().items[LAST_HIT_PATTERN.load(Ordering::SeqCst)];
    let position = patterns.iter().position(|p| *p == last);
    assert_eq!(
        hits,
        0,
        "{what}: {hits} copies of secrets found in freed memory (last in a block of {} bytes: \
         secret #{position:?} of the state's list, root key, ratchet secret, chain keys, seeds)",
        LAST_HIT_BLOCK_SIZE.load(Ordering::SeqCst)
    );
}

/// Steps to run on a session. A dry run on a copy collects the secrets of every intermediate
/// state; the real run is then scanned.
type Step<'a> = Box<dyn Fn(&mut Session) + 'a>;

fn check_steps(what: &str, session: &Session, steps: &[Step<'_>]) {
    let mut patterns = secrets(&session.to_bytes());
    let mut dry = session.clone();
    for step in steps {
        step(&mut dry);
        patterns.extend(secrets(&dry.to_bytes()));
    }
    drop(dry);
    let mut real = session.clone();
    assert_no_secret_freed(what, &patterns, || {
        for step in steps {
            step(&mut real);
        }
        drop(real);
    });
}

struct Pair {
    rng: ChaCha20Rng,
    alice: Session,
    bob: Session,
}

fn pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        b"heap",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let Envelope::PreKey(first) = alice.encrypt(&mut rng, b"hi").unwrap() else {
        unreachable!()
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, b"heap").unwrap();
    let reply = bob.encrypt(&mut rng, b"hello").unwrap();
    alice.decrypt(&reply).unwrap();
    Pair { rng, alice, bob }
}

fn messages(p: &mut Pair, n: usize) -> Vec<Envelope> {
    (0..n)
        .map(|_| p.bob.encrypt(&mut p.rng, b"m").unwrap())
        .collect()
}

/// Alice with a few skipped seeds already stored, so later skips grow the store.
fn alice_with_skipped(seed: u64) -> Pair {
    let mut p = pair(seed);
    let early = messages(&mut p, 5);
    p.alice.decrypt(&early[4]).unwrap();
    p
}

#[test]
fn decrypt_with_skips_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = alice_with_skipped(1);
    let msgs = messages(&mut p, 300);
    let steps: Vec<Step<'_>> = vec![
        // Skips 299 keys: the store grows from 4 seeds to 303.
        Box::new(|s| drop(s.decrypt(&msgs[299]).unwrap())),
        // Uses skipped keys, freeing their slots; a replay fails.
        Box::new(|s| drop(s.decrypt(&msgs[0]).unwrap())),
        Box::new(|s| drop(s.decrypt(&msgs[150]).unwrap())),
        Box::new(|s| assert!(s.decrypt(&msgs[150]).is_err())),
    ];
    check_steps("decrypt with skips", &p.alice, &steps);
}

#[test]
fn a_new_chain_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = alice_with_skipped(2);
    // Bob's current chain goes on without Alice seeing it; then a new chain after her turn.
    let lost = messages(&mut p, 40);
    let a = p.alice.encrypt(&mut p.rng, b"turn").unwrap();
    p.bob.decrypt(&a).unwrap();
    let new_chain = messages(&mut p, 60);
    let steps: Vec<Step<'_>> = vec![
        Box::new(|s| drop(s.decrypt(&new_chain[59]).unwrap())),
        Box::new(|s| drop(s.decrypt(&lost[3]).unwrap())),
        Box::new(|s| drop(s.decrypt(&new_chain[7]).unwrap())),
    ];
    check_steps("new chain", &p.alice, &steps);
}

#[test]
fn storage_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = alice_with_skipped(3);
    let msgs = messages(&mut p, 200);
    p.alice.decrypt(&msgs[199]).unwrap();
    // A second chain, so the stored state has two runs of skipped seeds.
    let a = p.alice.encrypt(&mut p.rng, b"turn").unwrap();
    p.bob.decrypt(&a).unwrap();
    let more = messages(&mut p, 30);
    p.alice.decrypt(&more[29]).unwrap();

    let bytes = p.alice.to_bytes();
    let patterns = secrets(&bytes);
    assert!(patterns.len() > 200);

    assert_no_secret_freed("to_bytes", &patterns, || drop(p.alice.to_bytes()));
    assert_no_secret_freed("from_bytes", &patterns, || {
        drop(Session::from_bytes(&bytes).unwrap())
    });

    // Rejected states are wiped too: a non-canonical one (decoded in full, then refused) and a
    // truncated one (refused half way through decoding). Their inputs are built beforehand.
    let mut trailing = bytes.to_vec();
    trailing.extend_from_slice(&[0x78, 0x01]);
    let truncated = bytes[..bytes.len() - 40].to_vec();
    assert_no_secret_freed("from_bytes of rejected states", &patterns, || {
        assert!(Session::from_bytes(&trailing).is_err());
        assert!(Session::from_bytes(&truncated).is_err());
    });

    // A version 1 state, still loaded.
    let mut v1 = proto::SessionState::decode(&bytes[..]).unwrap();
    v1.version = 1;
    for run in std::mem::take(&mut v1.skipped_runs) {
        for (counter, seed) in run.counters.iter().zip(run.message_seeds.chunks(32)) {
            v1.skipped.push(proto::session_state::SkippedKey {
                ratchet_key: run.ratchet_key.clone(),
                counter: *counter,
                message_seed: seed.to_vec(),
            });
        }
    }
    let v1 = v1.encode_to_vec();
    assert_no_secret_freed("from_bytes of version 1", &patterns, || {
        drop(Session::from_bytes(&v1).unwrap())
    });
    trailing.iter_mut().for_each(|b| *b = 0);
}

// Attachment keys: the content layer's decoding of an attachment pointer belongs here too
// (issue 9 item 2, "attachment key"). Its owner adds a test in this file that scans for the
// pointer's 32-byte key around `Session::decrypt_content` of a message carrying it.

#[test]
fn the_scanner_finds_an_unwiped_copy() {
    // The scanner itself works: a plain Vec holding a secret is found when freed.
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let secret = [0xc3u8; 32];
    let hits = hits_during(&[secret], || {
        let mut copy = Vec::with_capacity(64);
        copy.extend_from_slice(&secret);
        drop(std::hint::black_box(copy));
    });
    assert_eq!(hits, 1);
}
