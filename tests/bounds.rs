//! Every bound on an attacker-controlled quantity, hit exactly: the largest accepted value works
//! and the next one is a typed error that changes nothing. `docs/bounds-audit.md` lists each
//! bound with the test that hits it; the bounds not covered elsewhere are tested here.
//!
//! Crafted protobuf (oversized fields, hostile session states) is built with the checked-in
//! prost code for `proto/crosswire.proto`.

// A test crate: its helpers fail the test with unwrap/expect/panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{forge_on_receiving_chain, proto, skipped_count};

use crosswire::{
    BundleError, DecryptError, EncryptError, Envelope, Error, IdentityKeyPair, KeyError,
    MAX_BUNDLE_LEN, MAX_CONTEXT_LEN, MAX_ENVELOPE_LEN, MAX_PLAINTEXT_LEN, MAX_SKIP,
    MAX_SKIPPED_KEYS, MAX_STATE_LEN, OneTimePreKey, OneTimePreKeyId, PreKeyBundle, Session,
    SignedPreKey, SignedPreKeyId, StateError, WireError,
};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const TAG_LEN: usize = 16;

struct Pair {
    rng: ChaCha20Rng,
    alice: Session,
    bob: Session,
}

/// Alice initiated with `context` and Bob answered her first message, which Alice has read.
fn pair_with_context(seed: u64, context: &[u8]) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        context,
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let Envelope::PreKey(first) = alice.encrypt(&mut rng, b"hi").unwrap() else {
        unreachable!()
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, context).unwrap();
    let reply = bob.encrypt(&mut rng, b"hello").unwrap();
    alice.decrypt(&reply).unwrap();
    Pair { rng, alice, bob }
}

fn pair(seed: u64) -> Pair {
    pair_with_context(seed, b"")
}

/// Decrypts `envelope` expecting `error` (any decryption error if `None`), and checks the
/// session did not change.
fn rejects_with(session: &mut Session, envelope: &Envelope, error: Option<DecryptError>) {
    let before = session.to_bytes();
    match (session.decrypt(envelope), error) {
        (Err(Error::Decrypt(e)), Some(expected)) => assert_eq!(e, expected),
        (Err(Error::Decrypt(_)), None) => {}
        (other, _) => panic!("expected a decryption error, got {other:?}"),
    }
    assert_eq!(
        *session.to_bytes(),
        *before,
        "a rejected message changed the session"
    );
}

fn rejects(session: &mut Session, envelope: &Envelope, error: DecryptError) {
    rejects_with(session, envelope, Some(error));
}

fn state(session: &Session) -> proto::SessionState {
    proto::SessionState::decode(&session.to_bytes()[..]).unwrap()
}

fn load(state: &proto::SessionState) -> Result<Session, StateError> {
    Session::from_bytes(&state.encode_to_vec())
}

fn ratchet_proto(envelope: &Envelope) -> proto::RatchetMessage {
    match proto::Envelope::decode(&envelope.to_bytes()[..])
        .unwrap()
        .body
        .unwrap()
    {
        proto::envelope::Body::Ratchet(r) => r,
        proto::envelope::Body::Prekey(p) => p.message.unwrap(),
    }
}

fn ratchet_envelope(message: proto::RatchetMessage) -> Vec<u8> {
    proto::Envelope {
        version: 1,
        body: Some(proto::envelope::Body::Ratchet(message)),
    }
    .encode_to_vec()
}

#[test]
fn largest_plaintext_fits_the_envelope_bound_and_one_more_byte_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(u32::MAX));
    let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(u32::MAX));
    let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).unwrap();
    let context = vec![7; MAX_CONTEXT_LEN];
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        &context,
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let before = alice.to_bytes();
    assert_eq!(
        alice
            .encrypt(&mut rng, &vec![0; MAX_PLAINTEXT_LEN + 1])
            .err(),
        Some(Error::Encrypt(EncryptError::PlaintextTooLarge))
    );
    assert_eq!(*alice.to_bytes(), *before);
    // The largest message with the largest header (a prekey message with maximal ids).
    let plaintext = vec![0xab; MAX_PLAINTEXT_LEN];
    let bytes = alice.encrypt(&mut rng, &plaintext).unwrap().to_bytes();
    assert!(bytes.len() <= MAX_ENVELOPE_LEN, "{} bytes", bytes.len());
    let Envelope::PreKey(first) = Envelope::from_bytes(&bytes).unwrap() else {
        unreachable!()
    };
    let (_, received) = Session::respond(&bob_id, &spk, Some(&opk), &first, &context).unwrap();
    assert_eq!(received, plaintext);
    // One byte over the envelope bound is refused before decoding.
    let mut padded = bytes;
    padded.resize(MAX_ENVELOPE_LEN + 1, 0);
    assert_eq!(Envelope::from_bytes(&padded), Err(WireError::TooLarge));
}

#[test]
fn ciphertext_length_is_bounded_both_ways() {
    let mut p = pair(2);
    let good = ratchet_proto(&p.bob.encrypt(&mut p.rng, b"x").unwrap());
    let with_len = |len: usize| {
        let mut m = good.clone();
        m.ciphertext = vec![0; len];
        Envelope::from_bytes(&ratchet_envelope(m))
    };
    assert_eq!(with_len(TAG_LEN - 1), Err(WireError::Malformed));
    assert!(with_len(TAG_LEN).is_ok());
    assert!(with_len(MAX_PLAINTEXT_LEN + TAG_LEN).is_ok());
    assert_eq!(
        with_len(MAX_PLAINTEXT_LEN + TAG_LEN + 1),
        Err(WireError::Malformed)
    );
}

#[test]
fn every_fixed_length_field_of_an_envelope_is_checked() {
    let mut p = pair_with_context(3, b"");
    // A prekey message, so that the identity and base keys are present.
    let mut rng = ChaCha20Rng::seed_from_u64(33);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let prekey = alice.encrypt(&mut rng, b"x").unwrap().to_bytes();
    let decoded = proto::Envelope::decode(&prekey[..]).unwrap();
    let Some(proto::envelope::Body::Prekey(good)) = decoded.body else {
        unreachable!()
    };
    let with = |f: &dyn Fn(&mut proto::PreKeyMessage)| {
        let mut m = good.clone();
        f(&mut m);
        let env = proto::Envelope {
            version: 1,
            body: Some(proto::envelope::Body::Prekey(m)),
        };
        Envelope::from_bytes(&env.encode_to_vec())
    };
    let length = Err(WireError::InvalidKey(KeyError::InvalidLength));
    assert!(with(&|_| ()).is_ok());
    assert_eq!(with(&|m| m.identity_key.truncate(31)), length);
    assert_eq!(with(&|m| m.identity_key.push(0)), length);
    assert_eq!(with(&|m| m.base_key.truncate(31)), length);
    assert_eq!(with(&|m| m.base_key.push(0)), length);
    let message =
        |f: &dyn Fn(&mut proto::RatchetMessage)| with(&|m| f(m.message.as_mut().unwrap()));
    assert_eq!(message(&|r| r.ratchet_key.truncate(31)), length);
    assert_eq!(message(&|r| r.salt.truncate(15)), Err(WireError::Malformed));
    assert_eq!(message(&|r| r.salt.push(0)), Err(WireError::Malformed));
    assert_eq!(
        message(&|r| r.ratchet_key = vec![0xff; 32]),
        Err(WireError::InvalidKey(KeyError::NonCanonical))
    );
    assert_eq!(with(&|m| m.message = None), Err(WireError::Malformed));
    // The same checks guard ratchet envelopes (the session pair is only a source of one).
    let r = ratchet_proto(&p.alice.encrypt(&mut p.rng, b"y").unwrap());
    let mut short = r.clone();
    short.salt.truncate(15);
    assert_eq!(
        Envelope::from_bytes(&ratchet_envelope(short)),
        Err(WireError::Malformed)
    );
}

#[test]
fn forward_jump_in_the_current_chain_is_bounded_by_max_skip() {
    let mut p = pair(4);
    // Alice's receiving chain is Bob's first; its next expected counter is 1.
    let msgs: Vec<Envelope> = (0..MAX_SKIP + 2)
        .map(|i| p.bob.encrypt(&mut p.rng, &i.to_be_bytes()).unwrap())
        .collect();
    // msgs[i] has counter i + 1: msgs[MAX_SKIP + 1] would skip MAX_SKIP + 1 keys, msgs[MAX_SKIP]
    // exactly MAX_SKIP.
    rejects(
        &mut p.alice,
        &msgs[MAX_SKIP as usize + 1],
        DecryptError::TooFarAhead,
    );
    let last = MAX_SKIP as usize;
    assert_eq!(
        p.alice.decrypt(&msgs[last]).unwrap(),
        (last as u32).to_be_bytes()
    );
    assert_eq!(p.alice.decrypt(&msgs[0]).unwrap(), 0u32.to_be_bytes());
}

#[test]
fn finishing_the_previous_chain_is_bounded_by_max_skip() {
    for (sent_on_old_chain, ok) in [(MAX_SKIP, true), (MAX_SKIP + 1, false)] {
        let mut p = pair(5);
        // Bob's first chain has 1 + sent_on_old_chain messages; Alice saw only the first.
        for _ in 0..sent_on_old_chain {
            p.bob.encrypt(&mut p.rng, b"lost").unwrap();
        }
        let a = p.alice.encrypt(&mut p.rng, b"turn").unwrap();
        p.bob.decrypt(&a).unwrap();
        // Bob's next chain says PN = 1 + sent_on_old_chain: Alice must skip sent_on_old_chain.
        let b = p.bob.encrypt(&mut p.rng, b"new chain").unwrap();
        if ok {
            assert_eq!(p.alice.decrypt(&b).unwrap(), b"new chain");
        } else {
            rejects(&mut p.alice, &b, DecryptError::TooFarAhead);
        }
    }
}

#[test]
fn the_last_counters_of_a_chain_are_never_sent() {
    let mut p = pair(6);
    let mut s = state(&p.bob);
    s.sending.as_mut().unwrap().counter = u32::MAX - 2;
    let mut bob = load(&s).unwrap();
    let last = bob.encrypt(&mut p.rng, b"last").unwrap();
    assert_eq!(last.ratchet_message().counter(), u32::MAX - 2);
    let before = bob.to_bytes();
    assert_eq!(
        bob.encrypt(&mut p.rng, b"one more").err(),
        Some(Error::Encrypt(EncryptError::ChainExhausted))
    );
    assert_eq!(*bob.to_bytes(), *before);
    // A message claiming counter u32::MAX is too far ahead of anything.
    let mut m = ratchet_proto(&last);
    m.counter = u32::MAX;
    let forged = Envelope::from_bytes(&ratchet_envelope(m)).unwrap();
    rejects(&mut p.alice, &forged, DecryptError::TooFarAhead);
}

#[test]
fn the_skipped_key_store_keeps_the_newest_max_skipped_keys() {
    let mut p = pair(7);
    // Bob's first chain: Alice skips MAX_SKIP of it...
    let chain1: Vec<Envelope> = (0..=MAX_SKIP)
        .map(|_| p.bob.encrypt(&mut p.rng, b"1").unwrap())
        .collect();
    p.alice.decrypt(chain1.last().unwrap()).unwrap();
    let a = p.alice.encrypt(&mut p.rng, b"turn").unwrap();
    p.bob.decrypt(&a).unwrap();
    // ...then 10 more of Bob's next chain.
    let chain2: Vec<Envelope> = (0..=10)
        .map(|_| p.bob.encrypt(&mut p.rng, b"2").unwrap())
        .collect();
    p.alice.decrypt(chain2.last().unwrap()).unwrap();
    let total = MAX_SKIP as usize + 10;
    let evicted = total - MAX_SKIPPED_KEYS;
    assert_eq!(skipped_count(&state(&p.alice)), MAX_SKIPPED_KEYS);
    // The oldest are gone; the next oldest and the newest still decrypt. (An evicted key of a
    // chain that is no longer the receiving chain reads as a message for a new ratchet key, so
    // the error is AuthenticationFailed rather than DuplicateOrExpired.)
    for old in &chain1[..evicted] {
        rejects_with(&mut p.alice, old, None);
    }
    assert_eq!(p.alice.decrypt(&chain1[evicted]).unwrap(), b"1");
    assert_eq!(p.alice.decrypt(&chain2[0]).unwrap(), b"2");
    assert!(p.alice.to_bytes().len() <= MAX_STATE_LEN);
}

#[test]
fn context_length_is_bounded_in_initiate_and_respond() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
    let max = vec![1; MAX_CONTEXT_LEN];
    let over = vec![1; MAX_CONTEXT_LEN + 1];
    assert_eq!(
        Session::initiate_with(
            &mut rng,
            &alice_id,
            &bundle,
            &over,
            crosswire::PostQuantum::Allowed
        )
        .err(),
        Some(Error::ContextTooLarge)
    );
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        &max,
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let Envelope::PreKey(first) = alice.encrypt(&mut rng, b"x").unwrap() else {
        unreachable!()
    };
    assert_eq!(
        Session::respond(&bob_id, &spk, None, &first, &over).err(),
        Some(Error::ContextTooLarge)
    );
    assert!(Session::respond(&bob_id, &spk, None, &first, &max).is_ok());
}

#[test]
fn stored_state_bounds() {
    let p = pair_with_context(9, &[5; MAX_CONTEXT_LEN]);
    let good = state(&p.alice);
    assert!(load(&good).is_ok());

    // Size: one byte over MAX_STATE_LEN is refused before decoding.
    assert_eq!(
        Session::from_bytes(&vec![0; MAX_STATE_LEN + 1]).err(),
        Some(StateError::Malformed)
    );

    // Associated data: 64 bytes of identities plus at most MAX_CONTEXT_LEN.
    let mut s = good.clone();
    s.associated_data.push(0);
    assert_eq!(load(&s).err(), Some(StateError::Malformed));
    s.associated_data.truncate(63);
    assert_eq!(load(&s).err(), Some(StateError::Malformed));

    // Skipped keys, version 1 layout: MAX_SKIPPED_KEYS entries, with the largest counters,
    // load; one more does not; nor do two entries for one position. The largest such state
    // fits MAX_STATE_LEN.
    let key = good.receiving.as_ref().unwrap().ratchet_key.clone();
    let entry = |counter: u32| proto::session_state::SkippedKey {
        ratchet_key: key.clone(),
        counter,
        message_seed: vec![3; 32],
    };
    let mut s = good.clone();
    s.version = 1;
    s.skipped = (0..MAX_SKIPPED_KEYS as u32)
        .map(|i| entry(u32::MAX - i))
        .collect();
    let full = s.encode_to_vec();
    assert!(full.len() <= MAX_STATE_LEN, "{} bytes", full.len());
    assert!(Session::from_bytes(&full).is_ok());
    s.skipped.push(entry(0));
    assert_eq!(load(&s).err(), Some(StateError::Malformed));
    s.skipped.truncate(2);
    s.skipped[1] = entry(u32::MAX);
    assert_eq!(load(&s).err(), Some(StateError::Malformed));

    // The same in the version 2 layout (one run), which also rejects an entry in the version 1
    // field, a version 1 state with runs, and runs that are empty, short of seeds, or adjacent
    // with one key.
    let run = |counters: Vec<u32>| proto::session_state::SkippedRun {
        ratchet_key: key.clone(),
        message_seeds: vec![3; 32 * counters.len()],
        counters,
    };
    let mut s = good.clone();
    assert_eq!(s.version, 2);
    s.skipped_runs = vec![run((0..MAX_SKIPPED_KEYS as u32)
        .map(|i| u32::MAX - i)
        .collect())];
    let full = s.encode_to_vec();
    assert!(full.len() <= MAX_STATE_LEN, "{} bytes", full.len());
    assert_eq!(skipped_count(&state(&load(&s).unwrap())), MAX_SKIPPED_KEYS);
    s.skipped_runs[0].counters.push(0);
    s.skipped_runs[0].message_seeds.extend([3; 32]);
    assert_eq!(load(&s).err(), Some(StateError::Malformed));
    for bad in [
        vec![run(vec![1, 1])],
        vec![run(vec![])],
        vec![run(vec![1]), run(vec![2])],
        {
            let mut short = run(vec![1, 2]);
            short.message_seeds.pop();
            vec![short]
        },
    ] {
        let mut s = good.clone();
        s.skipped_runs = bad;
        assert_eq!(load(&s).err(), Some(StateError::Malformed));
    }
    let mut s = good.clone();
    s.skipped = vec![entry(1)];
    assert_eq!(load(&s).err(), Some(StateError::Malformed));
    let mut s = good.clone();
    s.version = 1;
    s.skipped_runs = vec![run(vec![1])];
    assert_eq!(load(&s).err(), Some(StateError::Malformed));
}

#[test]
fn a_stored_skipped_key_costs_at_most_40_bytes() {
    // Alice skips 1,000 of Bob's messages; the state grows by at most 40 bytes per key (the
    // version 1 layout spent 73).
    let mut p = pair(11);
    let empty = p.alice.to_bytes().len();
    let msgs: Vec<Envelope> = (0..=1000)
        .map(|_| p.bob.encrypt(&mut p.rng, b"x").unwrap())
        .collect();
    p.alice.decrypt(msgs.last().unwrap()).unwrap();
    let full = p.alice.to_bytes().len();
    assert_eq!(skipped_count(&state(&p.alice)), 1000);
    let per_key = (full - empty) as f64 / 1000.0;
    println!("bytes per skipped key: {per_key:.2} ({empty} -> {full})");
    assert!(per_key <= 40.0, "{per_key} bytes per skipped key");
    // The stored keys still decrypt after a round trip through storage.
    let mut restored = Session::from_bytes(&p.alice.to_bytes()).unwrap();
    assert_eq!(restored.decrypt(&msgs[0]).unwrap(), b"x");
    assert_eq!(restored.decrypt(&msgs[999]).unwrap(), b"x");
}

#[test]
fn a_counter_or_previous_counter_of_u32_max_is_refused() {
    // Alice's receiving chain stands at u32::MAX - 1 (a stored state may say so). An authentic
    // message at u32::MAX - 1 is the last one accepted; one at u32::MAX would leave no "next"
    // position, and was once accepted again and again on later chain steps.
    let mut p = pair(12);
    let mut s = state(&p.alice);
    s.receiving.as_mut().unwrap().counter = u32::MAX - 1;
    let at_end = load(&s).unwrap();
    let mut alice = at_end.clone();
    let last = forge_on_receiving_chain(&s, 0, u32::MAX - 1, b"last");
    let over = forge_on_receiving_chain(&s, 0, u32::MAX, b"over");
    rejects(&mut alice, &over, DecryptError::TooFarAhead);
    assert_eq!(alice.decrypt(&last).unwrap(), b"last");
    let after = state(&alice);
    assert_eq!(after.receiving.as_ref().unwrap().counter, u32::MAX);
    let over = forge_on_receiving_chain(&after, 0, u32::MAX, b"again");
    rejects(&mut alice, &over, DecryptError::TooFarAhead);

    // A previous counter of u32::MAX on a new chain is refused before the DH, even when the
    // gap it implies is small.
    let mut s = state(&p.bob);
    s.previous_counter = u32::MAX;
    s.sending = None;
    let mut bob = load(&s).unwrap();
    let new_chain = bob.encrypt(&mut p.rng, b"new chain").unwrap();
    assert_eq!(new_chain.ratchet_message().counter(), 0);
    let mut s = state(&p.alice);
    s.receiving.as_mut().unwrap().counter = u32::MAX - 1;
    let mut alice = load(&s).unwrap();
    rejects(&mut alice, &new_chain, DecryptError::TooFarAhead);
}

#[test]
fn first_message_of_a_new_chain_at_exactly_max_skip() {
    // Alice has read all of Bob's first chain; Bob's second chain starts after her turn.
    let mut p = pair(13);
    let a = p.alice.encrypt(&mut p.rng, b"turn").unwrap();
    p.bob.decrypt(&a).unwrap();
    let msgs: Vec<Envelope> = (0..=MAX_SKIP + 1)
        .map(|i| p.bob.encrypt(&mut p.rng, &i.to_be_bytes()).unwrap())
        .collect();
    let mut alice = p.alice.clone();
    rejects(
        &mut alice,
        &msgs[MAX_SKIP as usize + 1],
        DecryptError::TooFarAhead,
    );
    assert_eq!(
        alice.decrypt(&msgs[MAX_SKIP as usize]).unwrap(),
        MAX_SKIP.to_be_bytes()
    );
    assert_eq!(skipped_count(&state(&alice)), MAX_SKIP as usize);
}

#[test]
fn previous_chain_and_new_chain_skips_are_bounded_together() {
    // On a new ratchet key, the keys left in the previous chain plus the new chain's counter
    // are at most MAX_SKIP: a forged message costs at most MAX_SKIP chain steps and one DH.
    for (left_behind, counter, ok) in [
        (1000, MAX_SKIP - 1000, true),
        (1000, MAX_SKIP - 999, false),
        (MAX_SKIP, 0, true),
        (0, MAX_SKIP, true),
        (1, MAX_SKIP, false),
    ] {
        let mut p = pair(14);
        for _ in 0..left_behind {
            p.bob.encrypt(&mut p.rng, b"lost").unwrap();
        }
        let a = p.alice.encrypt(&mut p.rng, b"turn").unwrap();
        p.bob.decrypt(&a).unwrap();
        let mut last = None;
        for _ in 0..=counter {
            last = Some(p.bob.encrypt(&mut p.rng, b"new chain").unwrap());
        }
        let last = last.unwrap();
        assert_eq!(last.ratchet_message().counter(), counter);
        if ok {
            assert_eq!(p.alice.decrypt(&last).unwrap(), b"new chain");
            assert_eq!(
                skipped_count(&state(&p.alice)),
                (left_behind + counter) as usize
            );
        } else {
            rejects(&mut p.alice, &last, DecryptError::TooFarAhead);
        }
    }
}

#[test]
fn bundle_bounds() {
    bundle_of_exactly_the_maximum_length_is_decoded_and_one_byte_more_is_not();
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &id, SignedPreKeyId(u32::MAX));
    let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(u32::MAX));
    // The largest bundle (both ids at their longest encoding) is within MAX_BUNDLE_LEN.
    let bytes = PreKeyBundle::new(&id, &spk, Some(&opk)).unwrap().to_bytes();
    assert!(bytes.len() <= MAX_BUNDLE_LEN);
    assert!(PreKeyBundle::from_bytes(&bytes).is_ok());
    let mut padded = bytes.clone();
    padded.resize(MAX_BUNDLE_LEN + 1, 0);
    assert_eq!(
        PreKeyBundle::from_bytes(&padded),
        Err(BundleError::Malformed)
    );
    // Signature: exactly 64 bytes.
    let good = proto::PreKeyBundle::decode(&bytes[..]).unwrap();
    for len in [63, 65] {
        let mut b = good.clone();
        b.signed_prekey_signature.resize(len, 0);
        assert_eq!(
            PreKeyBundle::from_bytes(&b.encode_to_vec()),
            Err(BundleError::Malformed)
        );
    }
    let mut b = good.clone();
    b.identity_key.push(0);
    assert_eq!(
        PreKeyBundle::from_bytes(&b.encode_to_vec()),
        Err(BundleError::InvalidKey(KeyError::InvalidLength))
    );
}

/// A bundle is measured before it is decoded: one of exactly `MAX_BUNDLE_LEN` bytes gets past
/// the size check to the field checks (its identity key is padded to make the length, so it
/// fails there, with `InvalidKey`), one of `MAX_BUNDLE_LEN + 1` bytes does not.
fn bundle_of_exactly_the_maximum_length_is_decoded_and_one_byte_more_is_not() {
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &id, SignedPreKeyId(1));
    let bytes = PreKeyBundle::new(&id, &spk, None).unwrap().to_bytes();
    let good = proto::PreKeyBundle::decode(&bytes[..]).unwrap();
    let of_len = |len: usize| {
        let mut b = good.clone();
        while b.encoded_len() < len {
            b.identity_key.push(0);
        }
        let bytes = b.encode_to_vec();
        assert_eq!(bytes.len(), len);
        PreKeyBundle::from_bytes(&bytes)
    };
    assert_eq!(
        of_len(MAX_BUNDLE_LEN),
        Err(BundleError::InvalidKey(KeyError::InvalidLength))
    );
    assert_eq!(of_len(MAX_BUNDLE_LEN + 1), Err(BundleError::Malformed));
}
