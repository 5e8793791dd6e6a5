//! The genuine parties, messages and states the negative cases are derived from.

use crate::bundle::PreKeyBundle;
use crate::keys::{IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, SignedPreKey, SignedPreKeyId};
use crate::session::Session;
use crate::vectors::Tape;
use crate::wire::Envelope;

/// Genuine parties, messages and states to derive the negative cases from.
pub(super) struct Fixture {
    pub(super) bob_seed: [u8; 32],
    pub(super) spk: SignedPreKey,
    pub(super) opk: OneTimePreKey,
    pub(super) context: Vec<u8>,
    pub(super) bundle: Vec<u8>,
    /// Alice's first and second messages (prekey messages).
    pub(super) m0: Envelope,
    pub(super) m1: Envelope,
    /// Alice after sending m0 and m1, awaiting a reply.
    pub(super) alice_waiting: Vec<u8>,
    /// Bob right after accepting m0.
    pub(super) bob_after_m0: Vec<u8>,
    /// Bob's replies r0, r1 (first chain).
    pub(super) r0: Envelope,
    pub(super) r1: Envelope,
    /// Alice after r1 then r0 (r0 from the skipped store).
    pub(super) alice_after_r: Vec<u8>,
    /// Alice's first ratchet message a0 (new chain, PN = 2) and her state after sending it.
    pub(super) a0: Envelope,
    pub(super) alice_sent_a0: Vec<u8>,
    /// Alice after receiving Bob's second chain.
    pub(super) alice_later: Vec<u8>,
    /// Genuine messages on Bob's first chain at counters 2001 and 2003.
    pub(super) r2001: Envelope,
    pub(super) r2003: Envelope,
    /// A genuine message from Bob whose PN is 2004.
    pub(super) b_far: Envelope,
    /// The first message of an unrelated session to Bob.
    pub(super) other_m0: Envelope,
}

impl Fixture {
    pub(super) fn new(rng: &mut Tape) -> Self {
        let alice_id = IdentityKeyPair::generate(rng);
        let bob_id = IdentityKeyPair::generate(rng);
        let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
        let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(2));
        let context = b"alice@example.org\nbob@example.net".to_vec();
        let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).expect("bundle");
        let mut alice = Session::initiate_with(
            rng,
            &alice_id,
            &bundle,
            &context,
            crate::PostQuantum::Allowed,
        )
        .expect("initiate");
        let m0 = alice.encrypt(rng, b"m0").expect("m0");
        let m1 = alice.encrypt(rng, b"m1").expect("m1");
        let alice_waiting = alice.to_bytes_v1().to_vec();
        let Envelope::PreKey(first) = &m0 else {
            panic!("prekey message")
        };
        let (mut bob, _) =
            Session::respond(&bob_id, &spk, Some(&opk), first, &context).expect("respond");
        let bob_after_m0 = bob.to_bytes_v1().to_vec();
        bob.decrypt(&m1).expect("m1");
        let r0 = bob.encrypt(rng, b"r0").expect("r0");
        let r1 = bob.encrypt(rng, b"r1").expect("r1");
        alice.decrypt(&r1).expect("r1");
        alice.decrypt(&r0).expect("r0");
        let alice_after_r = alice.to_bytes_v1().to_vec();
        let a0 = alice.encrypt(rng, b"a0").expect("a0");
        let alice_sent_a0 = alice.to_bytes_v1().to_vec();

        // Bob's first chain continued far ahead, on a copy.
        let mut far = bob.clone();
        let mut last = Vec::new();
        for _ in 2..=2003 {
            last.push(far.encrypt(rng, b"far ahead").expect("far"));
        }
        let r2003 = last.pop().expect("r2003");
        let r2001 = last.swap_remove(2001 - 2);
        far.decrypt(&a0).expect("a0");
        let b_far = far.encrypt(rng, b"PN far ahead").expect("b_far");

        bob.decrypt(&a0).expect("a0");
        let b0 = bob.encrypt(rng, b"b0").expect("b0");
        alice.decrypt(&b0).expect("b0");
        let alice_later = alice.to_bytes_v1().to_vec();

        let mallory = IdentityKeyPair::generate(rng);
        let mut other = Session::initiate_with(
            rng,
            &mallory,
            &bundle,
            &context,
            crate::PostQuantum::Allowed,
        )
        .expect("other");
        let other_m0 = other.encrypt(rng, b"other").expect("other m0");
        Fixture {
            bob_seed: *bob_id.to_seed(),
            spk,
            opk,
            context,
            bundle: bundle.to_bytes(),
            m0,
            m1,
            alice_waiting,
            bob_after_m0,
            r0,
            r1,
            alice_after_r,
            a0,
            alice_sent_a0,
            alice_later,
            r2001,
            r2003,
            b_far,
            other_m0,
        }
    }
}
