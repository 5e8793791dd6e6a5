//! Session behaviour through the public API: round trips, out-of-order delivery, bounds,
//! replay, tampering and transactional failure, persistence.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosswire::{
    DecryptError, Envelope, Error, IdentityKeyPair, MAX_SKIP, OneTimePreKey, OneTimePreKeyId,
    PreKeyBundle, Session, SignedPreKey, SignedPreKeyId, WireError,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

struct Bob {
    identity: IdentityKeyPair,
    spk: SignedPreKey,
    opks: Vec<OneTimePreKey>,
}

fn setup(seed: u64, with_opk: bool) -> (ChaCha20Rng, Session, Bob, Envelope) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let opks = OneTimePreKey::generate_batch(&mut rng, OneTimePreKeyId(100), 3);
    let bundle = PreKeyBundle::new(&bob_id, &spk, with_opk.then(|| &opks[0])).unwrap();
    let bundle = PreKeyBundle::from_bytes(&bundle.to_bytes()).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        b"ctx",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let first = alice.encrypt(&mut rng, b"hello bob").unwrap();
    (
        rng,
        alice,
        Bob {
            identity: bob_id,
            spk,
            opks,
        },
        first,
    )
}

fn respond(bob: &Bob, first: &Envelope) -> (Session, Vec<u8>) {
    let Envelope::PreKey(m) = first else {
        panic!("first message must be a prekey message")
    };
    let opk = m
        .one_time_prekey_id()
        .map(|id| bob.opks.iter().find(|k| k.id() == id).unwrap());
    Session::respond(&bob.identity, &bob.spk, opk, m, b"ctx").unwrap()
}

fn wire(e: &Envelope) -> Envelope {
    Envelope::from_bytes(&e.to_bytes()).unwrap()
}

#[test]
fn round_trips_over_many_dh_steps_both_ways() {
    for with_opk in [true, false] {
        let (mut rng, mut alice, bob, first) = setup(1, with_opk);
        let (mut bob_s, pt) = respond(&bob, &wire(&first));
        assert_eq!(pt, b"hello bob");
        for turn in 0..50u32 {
            let (sender, receiver) = if turn % 2 == 0 {
                (&mut bob_s, &mut alice)
            } else {
                (&mut alice, &mut bob_s)
            };
            for i in 0..(turn % 3 + 1) {
                let msg = format!("turn {turn} msg {i}");
                let env = sender.encrypt(&mut rng, msg.as_bytes()).unwrap();
                assert_eq!(receiver.decrypt(&wire(&env)).unwrap(), msg.as_bytes());
            }
        }
        assert!(!alice.awaiting_reply());
    }
}

#[test]
fn initiator_attaches_prekey_header_until_first_reply() {
    let (mut rng, mut alice, bob, first) = setup(2, true);
    let second = alice.encrypt(&mut rng, b"again").unwrap();
    assert!(matches!(second, Envelope::PreKey(_)));
    let (mut bob_s, _) = respond(&bob, &first);
    assert_eq!(bob_s.decrypt(&second).unwrap(), b"again");
    let reply = bob_s.encrypt(&mut rng, b"hi alice").unwrap();
    assert!(matches!(reply, Envelope::Ratchet(_)));
    assert_eq!(alice.decrypt(&reply).unwrap(), b"hi alice");
    assert!(matches!(
        alice.encrypt(&mut rng, b"x").unwrap(),
        Envelope::Ratchet(_)
    ));
}

#[test]
fn out_of_order_within_and_across_chains() {
    let (mut rng, mut alice, bob, first) = setup(3, true);
    let (mut bob_s, _) = respond(&bob, &first);
    // Bob sends chain 1 (5 messages); Alice sees only #4, replies; Bob sends chain 2.
    let chain1: Vec<_> = (0..5)
        .map(|i| bob_s.encrypt(&mut rng, &[i]).unwrap())
        .collect();
    assert_eq!(alice.decrypt(&chain1[4]).unwrap(), [4]);
    let a = alice.encrypt(&mut rng, b"a").unwrap();
    bob_s.decrypt(&a).unwrap();
    let chain2: Vec<_> = (10..13)
        .map(|i| bob_s.encrypt(&mut rng, &[i]).unwrap())
        .collect();
    // Deliver chain 2 backwards, then the rest of chain 1 in a shuffled order.
    for (i, env) in chain2.iter().enumerate().rev() {
        assert_eq!(alice.decrypt(env).unwrap(), [10 + i as u8]);
    }
    for i in [2usize, 0, 3, 1] {
        assert_eq!(alice.decrypt(&chain1[i]).unwrap(), [i as u8]);
    }
    // Every one of them is now a replay.
    for env in chain1.iter().chain(&chain2) {
        assert!(alice.decrypt(env).is_err());
    }
}

#[test]
fn skip_past_the_bound_is_typed_and_session_survives() {
    let (mut rng, mut alice, bob, first) = setup(4, false);
    let (mut bob_s, _) = respond(&bob, &first);
    // Messages 0 ..= MAX_SKIP + 1: the last one would skip MAX_SKIP + 1 keys.
    let msgs: Vec<_> = (0..=MAX_SKIP + 1)
        .map(|i| bob_s.encrypt(&mut rng, &i.to_be_bytes()).unwrap())
        .collect();
    let before = alice.to_bytes();
    let too_far = msgs.last().unwrap();
    assert_eq!(
        alice.decrypt(too_far),
        Err(Error::Decrypt(DecryptError::TooFarAhead))
    );
    assert_eq!(
        *alice.to_bytes(),
        *before,
        "a rejected message changed the session"
    );
    // The session still works: an in-range message decrypts, which brings the last one within
    // the bound (it now skips exactly MAX_SKIP keys).
    assert_eq!(alice.decrypt(&msgs[1]).unwrap(), 1u32.to_be_bytes());
    assert_eq!(
        alice.decrypt(too_far).unwrap(),
        (MAX_SKIP + 1).to_be_bytes()
    );
    assert_eq!(alice.decrypt(&msgs[0]).unwrap(), 0u32.to_be_bytes());
    let a = alice.encrypt(&mut rng, b"still here").unwrap();
    assert_eq!(bob_s.decrypt(&a).unwrap(), b"still here");
}

#[test]
fn replays_are_rejected_and_replayed_prekey_message_gets_fresh_reply_keys() {
    let (mut rng, mut alice, bob, first) = setup(6, false);
    let (mut bob1, _) = respond(&bob, &first);
    assert!(
        bob1.decrypt(&first).is_err(),
        "replay into the session it created"
    );
    // Without a one-time prekey a replay can start a second session...
    let (mut bob2, pt) = respond(&bob, &first);
    assert_eq!(pt, b"hello bob");
    // ...but its replies use a fresh ratchet key, so nothing is reused.
    let r1 = bob1.encrypt(&mut rng, b"same").unwrap();
    let r2 = bob2.encrypt(&mut rng, b"same").unwrap();
    assert_ne!(
        r1.ratchet_message().ratchet_key(),
        r2.ratchet_message().ratchet_key()
    );
    assert_ne!(r1.to_bytes(), r2.to_bytes());
    assert_eq!(alice.decrypt(&r1).unwrap(), b"same");
    let m = alice.encrypt(&mut rng, b"m").unwrap();
    bob1.decrypt(&m).unwrap();
    assert!(bob1.decrypt(&m).is_err());
    assert!(alice.decrypt(&r1).is_err());
}

fn flip_every_byte(env: &Envelope, session: &mut Session, expect: &[u8]) {
    let bytes = env.to_bytes();
    let before = session.to_bytes();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut bad = bytes.clone();
            bad[i] ^= mask;
            if let Ok(e) = Envelope::from_bytes(&bad) {
                assert!(
                    session.decrypt(&e).is_err(),
                    "flip {mask:#x} at byte {i} accepted"
                );
            }
            assert_eq!(
                *session.to_bytes(),
                *before,
                "state changed after flip at {i}"
            );
        }
    }
    assert_eq!(session.decrypt(env).unwrap(), expect);
}

#[test]
fn tampered_ratchet_message_fails_and_leaves_state_identical() {
    let (mut rng, mut alice, bob, first) = setup(7, true);
    let (mut bob_s, _) = respond(&bob, &first);
    let reply = bob_s.encrypt(&mut rng, b"reply").unwrap();
    flip_every_byte(&reply, &mut alice, b"reply");
    let again = bob_s.encrypt(&mut rng, b"again").unwrap();
    flip_every_byte(&again, &mut alice, b"again");
}

#[test]
fn tampered_prekey_message_fails_in_session_and_in_respond() {
    let (mut rng, mut alice, bob, first) = setup(8, true);
    let (mut bob_s, _) = respond(&bob, &first);
    let second = alice.encrypt(&mut rng, b"second").unwrap();
    flip_every_byte(&second, &mut bob_s, b"second");
    // respond() on tampered first messages: always an error, never a session.
    let bytes = first.to_bytes();
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x04;
        let Ok(Envelope::PreKey(m)) = Envelope::from_bytes(&bad) else {
            continue;
        };
        let opk = m
            .one_time_prekey_id()
            .and_then(|id| bob.opks.iter().find(|k| k.id() == id));
        assert!(
            Session::respond(&bob.identity, &bob.spk, opk, &m, b"ctx").is_err(),
            "byte {i}"
        );
    }
}

#[test]
fn wrong_context_or_wrong_prekeys_fail() {
    let (_, _, bob, first) = setup(9, true);
    let Envelope::PreKey(m) = &first else {
        unreachable!()
    };
    assert!(Session::respond(&bob.identity, &bob.spk, Some(&bob.opks[0]), m, b"other").is_err());
    assert_eq!(
        Session::respond(&bob.identity, &bob.spk, Some(&bob.opks[1]), m, b"ctx").err(),
        Some(Error::Decrypt(DecryptError::SessionMismatch))
    );
    assert_eq!(
        Session::respond(&bob.identity, &bob.spk, None, m, b"ctx").err(),
        Some(Error::Decrypt(DecryptError::SessionMismatch))
    );
}

#[test]
fn garbage_envelopes_are_typed_errors() {
    let (mut rng, mut alice, _, first) = setup(10, true);
    let bytes = first.to_bytes();
    for len in 0..bytes.len() {
        assert!(
            Envelope::from_bytes(&bytes[..len]).is_err(),
            "truncation at {len} accepted"
        );
    }
    assert_eq!(Envelope::from_bytes(&[0xff; 64]), Err(WireError::Malformed));
    let mut rng2 = ChaCha20Rng::seed_from_u64(99);
    for len in [1usize, 7, 100, 1000] {
        let mut junk = vec![0u8; len];
        rand::Rng::fill_bytes(&mut rng2, &mut junk);
        assert!(Envelope::from_bytes(&junk).is_err());
    }
    assert!(
        alice
            .encrypt(&mut rng, &vec![0; crosswire::MAX_PLAINTEXT_LEN + 1])
            .is_err()
    );
}

#[test]
fn saved_and_restored_mid_conversation() {
    let (mut rng, mut alice, bob, first) = setup(11, true);
    let (mut bob_s, _) = respond(&bob, &first);
    let held: Vec<_> = (0..4)
        .map(|i| bob_s.encrypt(&mut rng, &[i]).unwrap())
        .collect();
    alice.decrypt(&held[3]).unwrap();
    // Both sides go through storage.
    let mut alice = Session::from_bytes(&alice.to_bytes()).unwrap();
    let mut bob_s = Session::from_bytes(&bob_s.to_bytes()).unwrap();
    assert_eq!(
        *Session::from_bytes(&alice.to_bytes()).unwrap().to_bytes(),
        *alice.to_bytes()
    );
    assert_eq!(alice.decrypt(&held[1]).unwrap(), [1]);
    let a = alice.encrypt(&mut rng, b"after restore").unwrap();
    assert_eq!(bob_s.decrypt(&a).unwrap(), b"after restore");
    assert!(Session::from_bytes(&alice.to_bytes()[1..]).is_err());
    assert!(Session::from_bytes(b"garbage").is_err());
}

#[test]
fn debug_output_has_no_secrets() {
    let (_, alice, bob, _) = setup(12, true);
    let state = alice.to_bytes();
    let printed = format!("{alice:?} {alice:#?} {:?} {:?}", bob.identity, bob.spk);
    assert!(printed.contains("[redacted]"));
    // No 8-byte window of the serialized secrets appears in hex in the output.
    let hex_state = hex::encode(&state[..]);
    for w in (0..hex_state.len() - 16).step_by(2) {
        let window = &hex_state[w..w + 16];
        if window.chars().all(|c| c == '0') {
            continue;
        }
        assert!(!printed.contains(window) || alice_public_contains(&alice, window));
    }
}

fn alice_public_contains(s: &Session, window: &str) -> bool {
    hex::encode(s.local_identity().as_bytes()).contains(window)
        || hex::encode(s.remote_identity().as_bytes()).contains(window)
}

#[test]
fn debug_output_is_the_redacted_summary() {
    let (mut rng, mut alice, bob, first) = setup(13, true);
    let printed = format!("{alice:?}");
    assert!(
        printed.starts_with("Session { local_identity: "),
        "{printed}"
    );
    for part in [
        "initiator: true",
        "awaiting_reply: true",
        "skipped_keys: 0",
        "secrets: [redacted]",
    ] {
        assert!(printed.contains(part), "{part} missing from {printed}");
    }
    let (mut bob_s, _) = respond(&bob, &first);
    let reply = bob_s.encrypt(&mut rng, b"r0").unwrap();
    let skipping = bob_s.encrypt(&mut rng, b"r1").unwrap();
    alice.decrypt(&skipping).unwrap();
    let printed = format!("{alice:?}");
    assert!(printed.contains("awaiting_reply: false"), "{printed}");
    assert!(printed.contains("skipped_keys: 1"), "{printed}");
    drop(reply);
}

#[test]
fn awaiting_reply_is_true_until_the_first_reply_decrypts() {
    let (mut rng, mut alice, bob, first) = setup(14, false);
    assert!(alice.awaiting_reply());
    let (mut bob_s, _) = respond(&bob, &first);
    assert!(!bob_s.awaiting_reply());
    // A failed decrypt does not count as a reply.
    let reply = bob_s.encrypt(&mut rng, b"r0").unwrap();
    let mut bytes = reply.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(
        alice
            .decrypt(&Envelope::from_bytes(&bytes).unwrap())
            .is_err()
    );
    assert!(alice.awaiting_reply());
    alice.decrypt(&reply).unwrap();
    assert!(!alice.awaiting_reply());
}

#[test]
fn respond_checks_context_then_prekey_ids_then_keys() {
    // SPEC 4.2: a one-time prekey supplied for a message that names none is a mismatch, and the
    // context length is checked before the prekey ids.
    let (_, _, bob, first) = setup(15, false);
    let Envelope::PreKey(m) = &first else {
        unreachable!()
    };
    assert_eq!(m.one_time_prekey_id(), None);
    assert_eq!(
        Session::respond(&bob.identity, &bob.spk, Some(&bob.opks[0]), m, b"ctx").err(),
        Some(Error::Decrypt(DecryptError::SessionMismatch))
    );
    let long = vec![0; crosswire::MAX_CONTEXT_LEN + 1];
    assert_eq!(
        Session::respond(&bob.identity, &bob.spk, Some(&bob.opks[0]), m, &long).err(),
        Some(Error::ContextTooLarge)
    );
    assert!(Session::respond(&bob.identity, &bob.spk, None, m, b"ctx").is_ok());
}
