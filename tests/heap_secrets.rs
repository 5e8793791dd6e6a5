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

use crosswire::{
    Envelope, GroupId, GroupReceiver, GroupSender, IdentityKey, IdentityKeyPair, KemKeyPair,
    MAX_SENDER_KEY_STATES, PreKeyBundle, SenderKeyDistribution, SenderKeyMessage, Session,
    SignedPreKey, SignedPreKeyId,
};
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
type Step<'a> = StepOf<'a, Session>;
/// A step on any state.
type StepOf<'a, T> = Box<dyn Fn(&mut T) + 'a>;

fn check_steps(what: &str, session: &Session, steps: &[Step<'_>]) {
    check_steps_of(
        what,
        session,
        Session::clone,
        |s| secrets(&s.to_bytes()),
        steps,
    );
}

/// [`check_steps`] for any state: `copy` makes the dry-run and real copies, `secrets` lists the
/// secrets a state holds.
fn check_steps_of<T>(
    what: &str,
    state: &T,
    copy: impl Fn(&T) -> T,
    secrets: impl Fn(&T) -> Vec<[u8; 32]>,
    steps: &[StepOf<'_, T>],
) {
    let mut patterns = secrets(state);
    let mut dry = copy(state);
    for step in steps {
        step(&mut dry);
        patterns.extend(secrets(&dry));
    }
    drop(dry);
    let mut real = copy(state);
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

/// A session's first skip grows its store from empty: the growth arithmetic's edge, where
/// there are no seeds yet to double and the room must come from the count alone.
#[test]
fn a_first_skip_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut p = pair(4);
    let msgs = messages(&mut p, 10);
    let steps: Vec<Step<'_>> = vec![
        // Skips 9 keys into an empty store.
        Box::new(|s| drop(s.decrypt(&msgs[9]).unwrap())),
    ];
    check_steps("a first skip", &p.alice, &steps);
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

// Groups (SPEC.md 16): the receiver's chain keys and skipped seeds, the sender's chain key and
// signing seed.

/// Every secret in a serialized group receiver state.
fn receiver_secrets(r: &GroupReceiver) -> Vec<[u8; 32]> {
    let s = proto::GroupReceiverState::decode(&r.to_bytes()[..]).unwrap();
    let chains = s
        .senders
        .iter()
        .flat_map(|x| &x.states)
        .map(|st| &st.chain_key);
    let seeds = s.skipped.iter().map(|k| &k.message_seed);
    chains
        .chain(seeds)
        .map(|v| v.as_slice().try_into().unwrap())
        .collect()
}

/// The chain key and signing seed of a serialized group sender state.
fn sender_secrets(g: &GroupSender) -> Vec<[u8; 32]> {
    let s = proto::GroupSenderState::decode(&g.to_bytes()[..]).unwrap();
    [s.chain_key, s.signing_seed]
        .iter()
        .map(|v| v.as_slice().try_into().unwrap())
        .collect()
}

fn copy_sender(g: &GroupSender) -> GroupSender {
    GroupSender::from_bytes(&g.to_bytes()).unwrap()
}

struct Group {
    rng: ChaCha20Rng,
    alice: IdentityKey,
    alice_sender: GroupSender,
    bob: IdentityKey,
    bob_sender: GroupSender,
    /// Carol's receiver, holding Alice's and Bob's keys.
    carol: GroupReceiver,
}

fn group(seed: u64) -> Group {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let id = GroupId::random(&mut rng);
    let alice = *IdentityKeyPair::generate(&mut rng).public();
    let bob = *IdentityKeyPair::generate(&mut rng).public();
    let alice_sender = GroupSender::new(&mut rng, id, &alice);
    let bob_sender = GroupSender::new(&mut rng, id, &bob);
    let mut carol = GroupReceiver::new(id);
    carol
        .process_distribution(&alice, &alice_sender.distribution())
        .unwrap();
    carol
        .process_distribution(&bob, &bob_sender.distribution())
        .unwrap();
    Group {
        rng,
        alice,
        alice_sender,
        bob,
        bob_sender,
        carol,
    }
}

fn group_messages(
    rng: &mut ChaCha20Rng,
    sender: &mut GroupSender,
    n: usize,
) -> Vec<SenderKeyMessage> {
    (0..n).map(|_| sender.encrypt(rng, b"m").unwrap()).collect()
}

/// A group where Alice sent `from_alice` messages and Bob `from_bob`, and Carol read only the
/// last of each: every earlier position is a skipped seed.
fn group_with_skipped(
    seed: u64,
    from_alice: usize,
    from_bob: usize,
) -> (Group, Vec<SenderKeyMessage>, Vec<SenderKeyMessage>) {
    let mut g = group(seed);
    let a = group_messages(&mut g.rng, &mut g.alice_sender, from_alice);
    let b = group_messages(&mut g.rng, &mut g.bob_sender, from_bob);
    g.carol.decrypt(&g.alice, a.last().unwrap()).unwrap();
    g.carol.decrypt(&g.bob, b.last().unwrap()).unwrap();
    (g, a, b)
}

type GroupStep<'a> = StepOf<'a, GroupReceiver>;

fn check_receiver(what: &str, receiver: &GroupReceiver, steps: &[GroupStep<'_>]) {
    check_steps_of(
        what,
        receiver,
        GroupReceiver::clone,
        receiver_secrets,
        steps,
    );
}

#[test]
fn group_decrypt_out_of_order_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut g = group(11);
    let a = group_messages(&mut g.rng, &mut g.alice_sender, 2400);
    let b = group_messages(&mut g.rng, &mut g.bob_sender, 20);
    // A few of Bob's seeds stored first, so later skips grow the store.
    g.carol.decrypt(&g.bob, &b[9]).unwrap();
    let (alice, bob) = (g.alice, g.bob);
    let steps: Vec<GroupStep<'_>> = vec![
        // Skips 299 of Alice's positions.
        Box::new(|r| drop(r.decrypt(&alice, &a[299]).unwrap())),
        // Late use of skipped seeds, from the middle of the store; a replay fails.
        Box::new(|r| drop(r.decrypt(&alice, &a[150]).unwrap())),
        Box::new(|r| drop(r.decrypt(&alice, &a[3]).unwrap())),
        Box::new(|r| drop(r.decrypt(&bob, &b[4]).unwrap())),
        Box::new(|r| assert!(r.decrypt(&alice, &a[150]).is_err())),
        // 2000 more skips: past MAX_GROUP_SKIPPED_KEYS, the oldest (Bob's among them) are evicted.
        Box::new(|r| drop(r.decrypt(&alice, &a[2300]).unwrap())),
        Box::new(|r| assert!(r.decrypt(&bob, &b[5]).is_err())),
        Box::new(|r| drop(r.decrypt(&alice, &a[2100]).unwrap())),
        Box::new(|r| drop(r.decrypt(&bob, &b[15]).unwrap())),
        Box::new(|r| drop(r.decrypt(&alice, &a[2399]).unwrap())),
    ];
    check_receiver("group decrypt", &g.carol, &steps);
}

#[test]
fn group_membership_changes_free_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut g, _, b) = group_with_skipped(12, 300, 300);
    // Alice rotates five times, with skipped seeds under some of the new keys.
    let mut rotations = Vec::new();
    for _ in 0..MAX_SENDER_KEY_STATES {
        g.alice_sender.rotate(&mut g.rng);
        let d = g.alice_sender.distribution();
        let m = group_messages(&mut g.rng, &mut g.alice_sender, 5);
        rotations.push((d, m));
    }
    let (alice, bob) = (g.alice, g.bob);
    let mut steps: Vec<GroupStep<'_>> = Vec::new();
    for (d, m) in &rotations {
        // The fifth rotation evicts Alice's first key and its skipped seeds.
        let plaintext = d.to_plaintext();
        steps.push(Box::new(move |r| {
            let d = SenderKeyDistribution::from_plaintext(&plaintext).unwrap();
            r.process_distribution(&alice, &d).unwrap();
        }));
        steps.push(Box::new(move |r| drop(r.decrypt(&alice, &m[4]).unwrap())));
    }
    steps.push(Box::new(|r| drop(r.decrypt(&bob, &b[7]).unwrap())));
    steps.push(Box::new(|r| assert!(r.forget_sender(&bob))));
    check_receiver("group membership", &g.carol, &steps);
}

#[test]
fn group_storage_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut g, a, _) = group_with_skipped(13, 400, 100);
    g.carol.decrypt(&g.alice, &a[200]).unwrap();

    let bytes = g.carol.to_bytes();
    let patterns = receiver_secrets(&g.carol);
    assert!(patterns.len() > 400);
    assert_no_secret_freed("group receiver to_bytes", &patterns, || {
        drop(g.carol.to_bytes())
    });
    assert_no_secret_freed("group receiver from_bytes", &patterns, || {
        drop(GroupReceiver::from_bytes(&bytes).unwrap())
    });
    let mut trailing = bytes.to_vec();
    trailing.extend_from_slice(&[0x78, 0x01]);
    let truncated = bytes[..bytes.len() - 40].to_vec();
    assert_no_secret_freed(
        "group receiver from_bytes of rejected states",
        &patterns,
        || {
            assert!(GroupReceiver::from_bytes(&trailing).is_err());
            assert!(GroupReceiver::from_bytes(&truncated).is_err());
        },
    );
    trailing.iter_mut().for_each(|b| *b = 0);
    // A loaded receiver goes on: late use, more skips, drop.
    let loaded = GroupReceiver::from_bytes(&bytes).unwrap();
    let alice = g.alice;
    let more = group_messages(&mut g.rng, &mut g.alice_sender, 100);
    let steps: Vec<GroupStep<'_>> = vec![
        Box::new(|r| drop(r.decrypt(&alice, &a[17]).unwrap())),
        Box::new(|r| drop(r.decrypt(&alice, &more[99]).unwrap())),
    ];
    check_receiver("loaded group receiver", &loaded, &steps);
}

#[test]
fn group_sender_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let g = group(14);
    let rng = std::cell::RefCell::new(ChaCha20Rng::seed_from_u64(99));
    let steps: Vec<StepOf<'_, GroupSender>> = vec![
        Box::new(|s| drop(group_messages(&mut rng.borrow_mut(), s, 3))),
        Box::new(|s| drop(s.distribution().to_plaintext())),
        Box::new(|s| drop(s.distribution().to_bytes())),
        Box::new(|s| s.rotate(&mut *rng.borrow_mut())),
        Box::new(|s| drop(group_messages(&mut rng.borrow_mut(), s, 2))),
        Box::new(|s| drop(GroupSender::from_bytes(&s.to_bytes()).unwrap())),
    ];
    let patterns = {
        let mut dry = copy_sender(&g.alice_sender);
        let mut p = sender_secrets(&dry);
        for step in &steps {
            step(&mut dry);
            p.extend(sender_secrets(&dry));
        }
        p
    };
    // The real run draws the same randomness, so it rotates to the same keys.
    *rng.borrow_mut() = ChaCha20Rng::seed_from_u64(99);
    let mut real = copy_sender(&g.alice_sender);
    assert_no_secret_freed("group sender", &patterns, || {
        for step in &steps {
            step(&mut real);
        }
        drop(real);
    });
}

// KEM key pairs (SPEC.md 15.2): the expanded decapsulation key ends with the seed's second half
// `z` (FIPS 203: dk = dk_PKE || ek || H(ek) || z), so a freed, unwiped expanded key shows `z`.

#[test]
fn kem_key_pair_frees_no_secret() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let seed = [0x5a; 64];
    let z: [u8; 32] = seed[32..].try_into().unwrap();
    let key_pair = KemKeyPair::from_seed(&seed);
    let copy = key_pair.clone();
    assert_no_secret_freed("drop of a KEM key pair and its clone", &[z], || {
        drop(key_pair);
        drop(copy);
    });
    assert_no_secret_freed("a KEM key pair made and dropped", &[z], || {
        drop(KemKeyPair::from_seed(&seed))
    });
}
