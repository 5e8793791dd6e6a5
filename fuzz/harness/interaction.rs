//! `interaction`: Alice and Bob driven through an arbitrary sequence of [`Op`]s over a hostile
//! network that drops, duplicates, reorders, tampers with, misroutes, replays and forges
//! messages, and through storage (`to_bytes` / `from_bytes`) between steps.
//!
//! A model of each receiver predicts exactly which genuine deliveries decrypt. It tracks
//! positions (sender chain, counter) instead of keys, and applies the rules of SPEC.md section
//! 5: a position in the skipped store decrypts and leaves it; in the current receiving chain a
//! position decrypts unless it is behind the chain (used or skipped) or more than [`MAX_SKIP`]
//! ahead; a message on the peer's next chain decrypts unless finishing the current chain up to
//! its `PN` and reaching its counter would together skip more than [`MAX_SKIP`]; anything else
//! fails.
//! Skipped positions are stored oldest first, at most [`MAX_SKIPPED_KEYS`], the oldest evicted.
//!
//! Invariants checked on every step:
//! - a genuine message decrypts, to what was sent, exactly when the model says so;
//! - anything that is not a genuine message for that party (forged, tampered so that it decodes
//!   to something else, misrouted) is rejected;
//! - every rejection leaves the session byte-for-byte unchanged;
//! - a new ratchet key is used exactly when a new chain was received since the last send, and
//!   Alice's messages carry the prekey header exactly until she has decrypted a reply;
//! - a saved session reloads and saves to the same bytes;
//! - nothing panics.
//!
//! The session is set up with X3DH or, when the [`Setup`] says so, PQXDH: Bob's bundle then
//! carries a KEM prekey, Alice's prekey messages carry its id and the KEM ciphertext (checked on
//! every send), and Bob requires post-quantum setup. The ratchet after setup is the same, so is
//! the model.
//!
//! Not modelled: restoring an *older* snapshot (rollback). It desynchronises the root keys, so
//! what decrypts afterwards depends on key values rather than positions.

use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use crosswire::{Envelope, MAX_SKIP, MAX_SKIPPED_KEYS, PublicKey, Session};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

use super::fixture::{self, BobKeys, Start};

/// Most operations one input runs.
pub(crate) const MAX_OPS: usize = 512;
/// Most messages one input sends; enough for a jump past [`MAX_SKIP`] and past
/// [`MAX_SKIPPED_KEYS`].
pub(crate) const MAX_MESSAGES: usize = 2 * MAX_SKIP as usize + 100;
/// The large [`Op::Burst`] sizes: `LARGE_BURST ..= LARGE_BURST + 15`, around [`MAX_SKIP`].
pub(crate) const LARGE_BURST: u16 = MAX_SKIP as u16 - 8;

/// One step of a scenario. Indices into the in-flight list or the delivery log are taken
/// modulo its length; an operation on an empty list, or a send by Bob before he has a session,
/// does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// A party encrypts a message (a unique id and `len` filler bytes) and puts it in flight.
    Send { from_alice: bool, len: u8 },
    /// A party sends `count` short messages at once, to reach the skip bounds in few steps.
    /// `count` is below 16 or in `LARGE_BURST ..= LARGE_BURST + 15` (one byte encodes it).
    Burst { from_alice: bool, count: u16 },
    /// Delivers the in-flight message `index` to its recipient and removes it from flight.
    Deliver { index: u16 },
    /// Delivers a copy of the in-flight message `index`, which stays in flight.
    Duplicate { index: u16 },
    /// Loses the in-flight message `index`.
    Drop { index: u16 },
    /// Swaps two in-flight messages.
    Swap { a: u16, b: u16 },
    /// Delivers again the message of delivery `index` (counting every delivery so far).
    Replay { index: u16 },
    /// Delivers a copy of the in-flight message `index` with byte `at` XORed with `mask` (0 is
    /// taken as 1).
    Tamper { index: u16, at: u16, mask: u8 },
    /// Delivers a copy of the in-flight message `index` to its sender.
    Misroute { index: u16 },
    /// Delivers attacker-chosen bytes.
    Forge { to_alice: bool, bytes: Vec<u8> },
    /// Saves a party's session and replaces it with the reloaded copy.
    Restore { alice: bool },
}

/// How the session is set up: what Bob's bundle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Setup {
    /// A one-time prekey (X3DH's DH4).
    pub(crate) one_time_prekey: bool,
    /// A KEM prekey: the session is set up with PQXDH and Bob requires it.
    pub(crate) pqxdh: bool,
}

impl Setup {
    /// Classical X3DH, with or without a one-time prekey.
    pub(crate) fn classical(one_time_prekey: bool) -> Self {
        Setup {
            one_time_prekey,
            pqxdh: false,
        }
    }

    /// PQXDH, with or without a one-time prekey.
    pub(crate) fn pqxdh(one_time_prekey: bool) -> Self {
        Setup {
            one_time_prekey,
            pqxdh: true,
        }
    }

    fn index(self) -> usize {
        usize::from(self.one_time_prekey) | usize::from(self.pqxdh) << 1
    }
}

/// Decodes an input: a configuration byte (bit 0: Bob's bundle has a one-time prekey; bit 1:
/// it has a KEM prekey, so PQXDH), then operations, each an opcode byte and its arguments
/// (little-endian; missing bytes read as 0).
pub(crate) fn parse(data: &[u8]) -> (Setup, Vec<Op>) {
    let mut r = Reader(data);
    let config = r.u8();
    let setup = Setup {
        one_time_prekey: config & 1 == 1,
        pqxdh: config & 2 == 2,
    };
    let mut ops = Vec::new();
    while !r.0.is_empty() && ops.len() < MAX_OPS {
        let op = match r.u8() % 11 {
            0 => Op::Send {
                from_alice: r.bool(),
                len: r.u8(),
            },
            1 => Op::Burst {
                from_alice: r.bool(),
                count: match r.u8() {
                    b @ 0xf0.. => LARGE_BURST + u16::from(b - 0xf0),
                    b => u16::from(b % 16),
                },
            },
            2 => Op::Deliver { index: r.u16() },
            3 => Op::Duplicate { index: r.u16() },
            4 => Op::Drop { index: r.u16() },
            5 => Op::Swap {
                a: r.u16(),
                b: r.u16(),
            },
            6 => Op::Replay { index: r.u16() },
            7 => Op::Tamper {
                index: r.u16(),
                at: r.u16(),
                mask: r.u8(),
            },
            8 => Op::Misroute { index: r.u16() },
            9 => {
                let to_alice = r.bool();
                let len = usize::from(r.u16());
                Op::Forge {
                    to_alice,
                    bytes: r.take(len).to_vec(),
                }
            }
            _ => Op::Restore { alice: r.bool() },
        };
        ops.push(op);
    }
    (setup, ops)
}

/// The inverse of [`parse`], for writing seed inputs.
pub(crate) fn encode(setup: Setup, ops: &[Op]) -> Vec<u8> {
    let mut out = vec![setup.index() as u8];
    for op in ops {
        match op {
            Op::Send { from_alice, len } => out.extend([0, u8::from(*from_alice), *len]),
            Op::Burst { from_alice, count } => {
                let count = match count.checked_sub(LARGE_BURST) {
                    Some(large) => 0xf0 + large.min(15) as u8,
                    None => (*count).min(15) as u8,
                };
                out.extend([1, u8::from(*from_alice), count]);
            }
            Op::Deliver { index } => index_op(&mut out, 2, *index),
            Op::Duplicate { index } => index_op(&mut out, 3, *index),
            Op::Drop { index } => index_op(&mut out, 4, *index),
            Op::Swap { a, b } => {
                index_op(&mut out, 5, *a);
                out.extend(b.to_le_bytes());
            }
            Op::Replay { index } => index_op(&mut out, 6, *index),
            Op::Tamper { index, at, mask } => {
                index_op(&mut out, 7, *index);
                out.extend(at.to_le_bytes());
                out.push(*mask);
            }
            Op::Misroute { index } => index_op(&mut out, 8, *index),
            Op::Forge { to_alice, bytes } => {
                out.extend([9, u8::from(*to_alice)]);
                let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
                out.extend(len.to_le_bytes());
                out.extend(&bytes[..usize::from(len)]);
            }
            Op::Restore { alice } => out.extend([10, u8::from(*alice)]),
        }
    }
    out
}

fn index_op(out: &mut Vec<u8>, opcode: u8, index: u16) {
    out.push(opcode);
    out.extend(index.to_le_bytes());
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }
}

/// The fuzz target: [`parse`] then [`run`].
pub(crate) fn fuzz(data: &[u8]) {
    let (setup, ops) = parse(data);
    run(setup, &ops);
}

/// What happened to the deliveries of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Genuine messages decrypted.
    pub(crate) accepted: usize,
    /// Genuine messages rejected as the model predicted (replayed, evicted, too far ahead).
    pub(crate) genuine_rejected: usize,
    /// Deliveries that decoded but were not a genuine message for that party, all rejected.
    pub(crate) other_rejected: usize,
}

/// Runs a scenario from the fixed starting point, checking every invariant.
pub(crate) fn run(setup: Setup, ops: &[Op]) -> Stats {
    let mut world = World::new(setup);
    for op in ops.iter().take(MAX_OPS) {
        world.step(op);
    }
    world.stats
}

/// The four starting points (by [`Setup::index`]), built once.
fn starts() -> &'static [Start; 4] {
    static STARTS: OnceLock<[Start; 4]> = OnceLock::new();
    STARTS.get_or_init(|| {
        [
            fixture::start_with(false, false),
            fixture::start_with(true, false),
            fixture::start_with(false, true),
            fixture::start_with(true, true),
        ]
    })
}

/// A message one party sent to the other.
struct Message {
    to_bob: bool,
    /// Index of its sending chain among the sender's chains.
    chain: usize,
    counter: u32,
    plaintext: Vec<u8>,
}

/// One sending chain, seen from outside.
struct Chain {
    ratchet_key: PublicKey,
    /// Messages sent on it so far; once the next chain starts, its final length (the `PN` of
    /// the next chain's messages).
    sent: u32,
}

/// What a receiver has received, in terms of positions (peer chain index, counter).
#[derive(Default)]
struct Receiver {
    /// The current receiving chain and the next counter expected on it.
    current: Option<(usize, u32)>,
    /// Skipped positions, oldest first.
    skipped: VecDeque<(usize, u32)>,
}

/// How the model expects a genuine message to decrypt.
enum Plan {
    Skipped(usize),
    Current,
    NewChain { previous_counter: u32 },
}

impl Receiver {
    /// `None` if the message must be rejected.
    fn plan(&self, peer_chains: &[Chain], chain: usize, counter: u32) -> Option<Plan> {
        if let Some(i) = self.skipped.iter().position(|&p| p == (chain, counter)) {
            return Some(Plan::Skipped(i));
        }
        match self.current {
            Some((c, next)) if c == chain => {
                (counter >= next && counter - next <= MAX_SKIP).then_some(Plan::Current)
            }
            current => {
                // Only the peer's next chain can be entered; older ones live on in `skipped`.
                if chain != current.map_or(0, |(c, _)| c + 1) {
                    return None;
                }
                let previous_counter = match chain {
                    0 => 0,
                    _ => peer_chains[chain - 1].sent,
                };
                // The keys left in the previous chain and the new chain's counter are bounded
                // together (SPEC 5.7).
                let left = current.map_or(0, |(_, next)| previous_counter.saturating_sub(next));
                (u64::from(left) + u64::from(counter) <= u64::from(MAX_SKIP))
                    .then_some(Plan::NewChain { previous_counter })
            }
        }
    }

    /// Records a successful decryption; returns whether a new receiving chain was entered.
    fn apply(&mut self, plan: Plan, chain: usize, counter: u32) -> bool {
        let new_chain = match plan {
            Plan::Skipped(i) => {
                self.skipped.remove(i);
                return false;
            }
            Plan::Current => {
                if let Some((c, next)) = self.current {
                    self.skipped.extend((next..counter).map(|n| (c, n)));
                }
                false
            }
            Plan::NewChain { previous_counter } => {
                if let Some((c, next)) = self.current {
                    self.skipped
                        .extend((next..previous_counter).map(|n| (c, n)));
                }
                self.skipped.extend((0..counter).map(|n| (chain, n)));
                true
            }
        };
        self.current = Some((chain, counter + 1));
        while self.skipped.len() > MAX_SKIPPED_KEYS {
            self.skipped.pop_front();
        }
        new_chain
    }
}

struct Party {
    /// `None` for Bob until a prekey message started his session.
    session: Option<Session>,
    chains: Vec<Chain>,
    receiver: Receiver,
    /// A new receiving chain arrived since our last send: the next send uses a new ratchet key.
    step_due: bool,
    /// Whether this party has decrypted anything yet.
    received: bool,
}

struct World {
    rng: ChaCha20Rng,
    alice: Party,
    bob: Party,
    bob_keys: &'static BobKeys,
    messages: Vec<Message>,
    /// Canonical envelope bytes of every genuine message -> index in `messages`.
    genuine: HashMap<Vec<u8>, usize>,
    /// Envelope bytes in flight, with the index of the message.
    in_flight: Vec<(Vec<u8>, usize)>,
    /// Every delivery of a genuine message so far: (to Bob, bytes).
    deliveries: Vec<(bool, Vec<u8>)>,
    /// Whether the session was set up with PQXDH.
    pqxdh: bool,
    stats: Stats,
}

fn pick(len: usize, index: u16) -> Option<usize> {
    (len > 0).then(|| usize::from(index) % len)
}

impl World {
    fn new(setup: Setup) -> World {
        let start = &starts()[setup.index()];
        let party = |session| Party {
            session,
            chains: Vec::new(),
            receiver: Receiver::default(),
            step_due: false,
            received: false,
        };
        World {
            rng: ChaCha20Rng::seed_from_u64(fixture::SEED + 1),
            alice: party(Some(start.alice.clone())),
            bob: party(None),
            bob_keys: &start.bob,
            messages: Vec::new(),
            genuine: HashMap::new(),
            in_flight: Vec::new(),
            deliveries: Vec::new(),
            pqxdh: setup.pqxdh,
            stats: Stats::default(),
        }
    }

    fn party(&mut self, alice: bool) -> &mut Party {
        if alice {
            &mut self.alice
        } else {
            &mut self.bob
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Send { from_alice, len } => self.send(*from_alice, usize::from(*len)),
            Op::Burst { from_alice, count } => {
                for _ in 0..*count {
                    self.send(*from_alice, 0);
                }
            }
            Op::Deliver { index } => {
                if let Some(i) = pick(self.in_flight.len(), *index) {
                    let (bytes, id) = self.in_flight.remove(i);
                    self.deliver(self.messages[id].to_bob, &bytes);
                }
            }
            Op::Duplicate { index } => {
                if let Some(i) = pick(self.in_flight.len(), *index) {
                    let (bytes, id) = self.in_flight[i].clone();
                    self.deliver(self.messages[id].to_bob, &bytes);
                }
            }
            Op::Drop { index } => {
                if let Some(i) = pick(self.in_flight.len(), *index) {
                    self.in_flight.remove(i);
                }
            }
            Op::Swap { a, b } => {
                if let (Some(a), Some(b)) = (
                    pick(self.in_flight.len(), *a),
                    pick(self.in_flight.len(), *b),
                ) {
                    self.in_flight.swap(a, b);
                }
            }
            Op::Replay { index } => {
                if let Some(i) = pick(self.deliveries.len(), *index) {
                    let (to_bob, bytes) = self.deliveries[i].clone();
                    self.deliver(to_bob, &bytes);
                }
            }
            Op::Tamper { index, at, mask } => {
                if let Some(i) = pick(self.in_flight.len(), *index) {
                    let (mut bytes, id) = self.in_flight[i].clone();
                    if let Some(at) = pick(bytes.len(), *at) {
                        bytes[at] ^= (*mask).max(1);
                    }
                    self.deliver(self.messages[id].to_bob, &bytes);
                }
            }
            Op::Misroute { index } => {
                if let Some(i) = pick(self.in_flight.len(), *index) {
                    let (bytes, id) = self.in_flight[i].clone();
                    self.deliver(!self.messages[id].to_bob, &bytes);
                }
            }
            Op::Forge { to_alice, bytes } => self.deliver(!to_alice, bytes),
            Op::Restore { alice } => {
                if let Some(session) = &mut self.party(*alice).session {
                    let saved = session.to_bytes();
                    let loaded = Session::from_bytes(&saved).expect("a saved session loads");
                    assert_eq!(*loaded.to_bytes(), *saved, "save, load, save differs");
                    *session = loaded;
                }
            }
        }
    }

    fn send(&mut self, from_alice: bool, filler: usize) {
        if self.messages.len() >= MAX_MESSAGES {
            return;
        }
        let id = self.messages.len();
        let mut plaintext = u32::try_from(id).unwrap_or(u32::MAX).to_be_bytes().to_vec();
        plaintext.resize(4 + filler, id as u8);
        let rng = &mut self.rng;
        let party = if from_alice {
            &mut self.alice
        } else {
            &mut self.bob
        };
        let Some(session) = &mut party.session else {
            return;
        };
        let prekey_expected = from_alice && !party.received;
        let envelope = session.encrypt(rng, &plaintext).expect("encrypt");
        assert_eq!(
            matches!(envelope, Envelope::PreKey(_)),
            prekey_expected,
            "prekey header attached wrongly"
        );
        if let Envelope::PreKey(m) = &envelope {
            assert_eq!(
                m.kem_prekey_id().is_some(),
                self.pqxdh,
                "PQXDH exactly when the bundle had a KEM prekey"
            );
        }
        let message = envelope.ratchet_message();
        let new_chain = party
            .chains
            .last()
            .is_none_or(|c| c.ratchet_key != *message.ratchet_key());
        // Alice's first chain comes from `initiate`; every later one from receiving a new chain.
        let first = from_alice && party.chains.is_empty();
        assert_eq!(
            new_chain,
            party.step_due || first,
            "ratchet step at the wrong time"
        );
        party.step_due = false;
        if new_chain {
            party.chains.push(Chain {
                ratchet_key: *message.ratchet_key(),
                sent: 0,
            });
        }
        let chain = party.chains.len() - 1;
        let counter = message.counter();
        assert_eq!(
            counter, party.chains[chain].sent,
            "counters must be consecutive"
        );
        party.chains[chain].sent += 1;

        let bytes = envelope.to_bytes();
        self.genuine.insert(bytes.clone(), id);
        self.in_flight.push((bytes, id));
        self.messages.push(Message {
            to_bob: from_alice,
            chain,
            counter,
            plaintext,
        });
    }

    /// Delivers `bytes` to Bob (`to_bob`) or Alice and checks the outcome against the model.
    fn deliver(&mut self, to_bob: bool, bytes: &[u8]) {
        let Ok(envelope) = Envelope::from_bytes(bytes) else {
            return;
        };
        let genuine = self
            .genuine
            .get(&envelope.to_bytes())
            .copied()
            .filter(|&id| self.messages[id].to_bob == to_bob);
        if genuine.is_some() {
            self.deliveries.push((to_bob, bytes.to_vec()));
        }
        let (receiver, sender) = if to_bob {
            (&mut self.bob, &self.alice)
        } else {
            (&mut self.alice, &self.bob)
        };
        let plan = genuine.and_then(|id| {
            let m = &self.messages[id];
            receiver.receiver.plan(&sender.chains, m.chain, m.counter)
        });

        let result = match &mut receiver.session {
            Some(session) => {
                let before = session.to_bytes();
                let result = session.decrypt(&envelope);
                if result.is_err() {
                    assert_eq!(
                        *session.to_bytes(),
                        *before,
                        "a failed decrypt changed state"
                    );
                }
                result.ok()
            }
            None => self
                .bob_keys
                .respond(&envelope)
                .map(|(session, plaintext)| {
                    receiver.session = Some(session);
                    plaintext
                }),
        };

        assert_eq!(
            result.is_some(),
            plan.is_some(),
            "genuine message {genuine:?}: the model and the session disagree"
        );
        match (genuine, &result) {
            (Some(_), Some(_)) => self.stats.accepted += 1,
            (Some(_), None) => self.stats.genuine_rejected += 1,
            (None, _) => self.stats.other_rejected += 1,
        }
        if let (Some(plan), Some(id), Some(plaintext)) = (plan, genuine, result) {
            let m = &self.messages[id];
            assert_eq!(plaintext, m.plaintext, "decrypted to something else");
            receiver.received = true;
            if receiver.receiver.apply(plan, m.chain, m.counter) {
                receiver.step_due = true;
            }
        }
    }
}
