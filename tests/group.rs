//! Groups through the public API: distribution over pairwise sessions, encrypt once / read by
//! all, signature first, out-of-order bounds, replay, transactional failure, rotation on
//! removal, no history for new members, state round trips.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosswire::{
    Content, GroupError, GroupId, GroupReceiver, GroupSender, IdentityKey, IdentityKeyPair,
    MAX_GROUP_SKIP, MAX_GROUP_SKIPPED_KEYS, MAX_SENDER_KEY_STATES, MessageId, PreKeyBundle,
    Received, SenderKeyDistribution, SenderKeyMessage, Session, SignedPreKey, SignedPreKeyId,
    StateError,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

struct Device {
    identity: IdentityKeyPair,
    sender: GroupSender,
    receiver: GroupReceiver,
}

fn devices(rng: &mut ChaCha20Rng, group: GroupId, n: usize) -> Vec<Device> {
    (0..n)
        .map(|_| {
            let identity = IdentityKeyPair::generate(rng);
            let sender = GroupSender::new(rng, group, identity.public());
            Device {
                identity,
                sender,
                receiver: GroupReceiver::new(group),
            }
        })
        .collect()
}

/// Gives every device every other device's current key (as if over pairwise sessions).
fn distribute_all(ds: &mut [Device]) {
    for i in 0..ds.len() {
        let d = SenderKeyDistribution::from_plaintext(&ds[i].sender.distribution().to_plaintext())
            .unwrap();
        let from = *ds[i].identity.public();
        for (j, other) in ds.iter_mut().enumerate() {
            if i != j {
                other.receiver.process_distribution(&from, &d).unwrap();
            }
        }
    }
}

fn wire(m: &SenderKeyMessage) -> SenderKeyMessage {
    SenderKeyMessage::from_bytes(&m.to_bytes()).unwrap()
}

fn setup(seed: u64, n: usize) -> (ChaCha20Rng, Vec<Device>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let group = GroupId::random(&mut rng);
    let mut ds = devices(&mut rng, group, n);
    distribute_all(&mut ds);
    (rng, ds)
}

/// Runs `f` on a receiver and requires the error and an unchanged state.
fn rejects(r: &mut GroupReceiver, f: impl FnOnce(&mut GroupReceiver) -> GroupError) -> GroupError {
    let before = r.to_bytes();
    let e = f(r);
    assert_eq!(
        *r.to_bytes(),
        *before,
        "a failed operation changed the state ({e:?})"
    );
    e
}

#[test]
fn distribution_travels_over_a_pairwise_session() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let group = GroupId::random(&mut rng);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob, &spk, None).unwrap();
    let mut a_session = Session::initiate_with(
        &mut rng,
        &alice,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let mut sender = GroupSender::new(&mut rng, group, alice.public());
    let env = a_session
        .encrypt(&mut rng, &sender.distribution().to_plaintext())
        .unwrap();
    let crosswire::Envelope::PreKey(m) = &env else {
        panic!("first message is a prekey message")
    };
    let (b_session, pt) = Session::respond(&bob, &spk, None, m, b"").unwrap();
    // Padded like content: a distribution is as long as a short text.
    assert_eq!(pt.len(), crosswire::PADDING_BUCKET);
    let dist = SenderKeyDistribution::from_plaintext(&pt).unwrap();
    let mut receiver = GroupReceiver::new(group);
    receiver
        .process_distribution(b_session.remote_identity(), &dist)
        .unwrap();
    let content = Content::text(MessageId::random(&mut rng), 7, "hi all");
    let msg = sender.encrypt_content(&mut rng, &content).unwrap();
    assert_eq!(
        receiver
            .decrypt_content(alice.public(), &wire(&msg))
            .unwrap(),
        Received::Content(content)
    );
}

#[test]
fn one_message_is_read_by_every_member() {
    let (mut rng, mut ds) = setup(2, 5);
    for round in 0..3 {
        for i in 0..ds.len() {
            let text = format!("{i}/{round}");
            let msg = ds[i].sender.encrypt(&mut rng, text.as_bytes()).unwrap();
            let from = *ds[i].identity.public();
            for (j, d) in ds.iter_mut().enumerate() {
                if i != j {
                    assert_eq!(
                        d.receiver.decrypt(&from, &wire(&msg)).unwrap(),
                        text.as_bytes()
                    );
                }
            }
        }
    }
}

#[test]
fn signature_is_checked_first_and_covers_every_byte() {
    let (mut rng, mut ds) = setup(3, 2);
    let msg = ds[0].sender.encrypt(&mut rng, b"signed").unwrap();
    let from = *ds[0].identity.public();
    let bytes = msg.to_bytes();
    let r = &mut ds[1].receiver;
    for i in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut bad = bytes.clone();
            bad[i] ^= bit;
            if let Ok(m) = SenderKeyMessage::from_bytes(&bad) {
                let e = rejects(r, |r| r.decrypt(&from, &m).unwrap_err());
                assert!(
                    matches!(
                        e,
                        GroupError::BadSignature
                            | GroupError::UnknownSenderKey
                            | GroupError::WrongGroup
                    ),
                    "byte {i}: {e:?}"
                );
            }
        }
    }
    // Attributed to another member: that member's key id is different, and even with the same
    // key the sender identity is inside the signed bytes.
    let other = *ds[1].identity.public();
    let e = rejects(&mut ds[1].receiver, |r| {
        r.decrypt(&other, &msg).unwrap_err()
    });
    assert_eq!(e, GroupError::UnknownSenderKey);
    assert_eq!(ds[1].receiver.decrypt(&from, &msg).unwrap(), b"signed");
}

#[test]
fn a_member_cannot_pass_off_anothers_key_as_its_own() {
    // Mallory re-distributes Alice's key under Mallory's name to Bob; Alice's messages then do
    // not verify as Mallory's, because the signed bytes include the sender identity.
    let (mut rng, mut ds) = setup(4, 3);
    let alice_key = ds[0].sender.distribution();
    let mallory = *ds[2].identity.public();
    let mut bob = GroupReceiver::new(*ds[0].sender.group_id());
    bob.process_distribution(&mallory, &alice_key).unwrap();
    let msg = ds[0].sender.encrypt(&mut rng, b"from alice").unwrap();
    let e = rejects(&mut bob, |r| r.decrypt(&mallory, &msg).unwrap_err());
    assert_eq!(e, GroupError::BadSignature);
}

#[test]
fn out_of_order_replay_and_jump_bound() {
    let (mut rng, mut ds) = setup(5, 2);
    let from = *ds[0].identity.public();
    let msgs: Vec<_> = (0..5)
        .map(|i| ds[0].sender.encrypt(&mut rng, &[i]).unwrap())
        .collect();
    let r = &mut ds[1].receiver;
    for i in [3usize, 0, 4, 1, 2] {
        assert_eq!(r.decrypt(&from, &msgs[i]).unwrap(), [i as u8]);
    }
    for m in &msgs {
        assert_eq!(
            rejects(r, |r| r.decrypt(&from, m).unwrap_err()),
            GroupError::Duplicate
        );
    }
    // Exactly MAX_GROUP_SKIP ahead decrypts; one more is refused without deriving anything.
    let mut far = Vec::new();
    for _ in 0..=MAX_GROUP_SKIP + 1 {
        far.push(ds[0].sender.encrypt(&mut rng, b"x").unwrap());
    }
    let r = &mut ds[1].receiver;
    let too_far = far.last().unwrap();
    assert_eq!(
        rejects(r, |r| r.decrypt(&from, too_far).unwrap_err()),
        GroupError::TooFarAhead
    );
    // The signature comes first: a too-far message and a replay with a bad signature are
    // reported as BadSignature, not as the chain error.
    for m in [too_far, &msgs[0]] {
        let mut bad = m.to_bytes();
        *bad.last_mut().unwrap() ^= 1;
        let bad = SenderKeyMessage::from_bytes(&bad).unwrap();
        assert_eq!(
            rejects(r, |r| r.decrypt(&from, &bad).unwrap_err()),
            GroupError::BadSignature
        );
    }
    assert_eq!(
        r.decrypt(&from, &far[MAX_GROUP_SKIP as usize]).unwrap(),
        b"x"
    );
    // The skipped positions were stored (MAX_GROUP_SKIP of them, within the store bound).
    assert!(MAX_GROUP_SKIP as usize <= MAX_GROUP_SKIPPED_KEYS);
    assert_eq!(r.decrypt(&from, &far[0]).unwrap(), b"x");
    assert_eq!(
        r.decrypt(&from, &far[MAX_GROUP_SKIP as usize - 1]).unwrap(),
        b"x"
    );
}

#[test]
fn skipped_store_keeps_the_newest() {
    let (mut rng, mut ds) = setup(6, 2);
    let from = *ds[0].identity.public();
    let mut msgs = Vec::new();
    for _ in 0..MAX_GROUP_SKIPPED_KEYS + 3 {
        msgs.push(ds[0].sender.encrypt(&mut rng, b"y").unwrap());
    }
    let r = &mut ds[1].receiver;
    // Two jumps skip 1000 + 1001 positions: one more than the store holds, so position 0 goes.
    r.decrypt(&from, &msgs[1000]).unwrap();
    r.decrypt(&from, &msgs[MAX_GROUP_SKIPPED_KEYS + 2]).unwrap();
    assert_eq!(
        rejects(r, |r| r.decrypt(&from, &msgs[0]).unwrap_err()),
        GroupError::Duplicate
    );
    assert_eq!(r.decrypt(&from, &msgs[1]).unwrap(), b"y");
    assert_eq!(
        r.decrypt(&from, &msgs[MAX_GROUP_SKIPPED_KEYS + 1]).unwrap(),
        b"y"
    );
}

#[test]
fn removal_rotates_and_the_removed_member_cannot_read() {
    let (mut rng, mut ds) = setup(7, 4);
    let removed = ds.pop().unwrap();
    let removed_id = *removed.identity.public();
    let mut removed_receiver = removed.receiver;
    let old = ds[0].sender.encrypt(&mut rng, b"before").unwrap();
    for d in ds.iter_mut() {
        d.sender.rotate(&mut rng);
        assert!(d.receiver.forget_sender(&removed_id));
    }
    distribute_all(&mut ds);
    let from = *ds[0].identity.public();
    let new = ds[0].sender.encrypt(&mut rng, b"after").unwrap();
    for d in ds.iter_mut().skip(1) {
        // In-flight messages under the old key still decrypt (old states are kept)...
        assert_eq!(d.receiver.decrypt(&from, &old).unwrap(), b"before");
        assert_eq!(d.receiver.decrypt(&from, &new).unwrap(), b"after");
    }
    // ...but the removed device has only the old key.
    assert_eq!(removed_receiver.decrypt(&from, &old).unwrap(), b"before");
    let e = rejects(&mut removed_receiver, |r| {
        r.decrypt(&from, &new).unwrap_err()
    });
    assert_eq!(e, GroupError::UnknownSenderKey);
    // And what the removed device sends with its old key is refused by everyone.
    let mut removed_sender = removed.sender;
    let late = removed_sender.encrypt(&mut rng, b"still here?").unwrap();
    for d in ds.iter_mut() {
        let e = rejects(&mut d.receiver, |r| {
            r.decrypt(&removed_id, &late).unwrap_err()
        });
        assert_eq!(e, GroupError::UnknownSenderKey);
    }
}

#[test]
fn a_new_member_reads_only_what_follows() {
    let (mut rng, mut ds) = setup(8, 2);
    let before = ds[0].sender.encrypt(&mut rng, b"history").unwrap();
    let group = *ds[0].sender.group_id();
    let mut newcomer = GroupReceiver::new(group);
    newcomer
        .process_distribution(ds[0].identity.public(), &ds[0].sender.distribution())
        .unwrap();
    let after = ds[0].sender.encrypt(&mut rng, b"welcome").unwrap();
    let from = *ds[0].identity.public();
    assert_eq!(
        rejects(&mut newcomer, |r| r.decrypt(&from, &before).unwrap_err()),
        GroupError::Duplicate
    );
    assert_eq!(newcomer.decrypt(&from, &after).unwrap(), b"welcome");
}

#[test]
fn at_most_five_keys_per_sender() {
    let (mut rng, mut ds) = setup(9, 2);
    let from = *ds[0].identity.public();
    let first = ds[0].sender.encrypt(&mut rng, b"k0").unwrap();
    let mut kept = Vec::new();
    for _ in 0..MAX_SENDER_KEY_STATES {
        ds[0].sender.rotate(&mut rng);
        let d = ds[0].sender.distribution();
        ds[1].receiver.process_distribution(&from, &d).unwrap();
        kept.push(ds[0].sender.encrypt(&mut rng, b"kept").unwrap());
    }
    let d = ds[0].sender.distribution();
    let r = &mut ds[1].receiver;
    assert_eq!(
        rejects(r, |r| r.decrypt(&from, &first).unwrap_err()),
        GroupError::UnknownSenderKey
    );
    for m in &kept {
        assert_eq!(r.decrypt(&from, m).unwrap(), b"kept");
    }
    // Re-distributing a known key id changes nothing (it cannot rewind the chain).
    let before = r.to_bytes();
    r.process_distribution(&from, &d).unwrap();
    assert_eq!(*r.to_bytes(), *before);
}

#[test]
fn wrong_group_and_decoding_bounds() {
    let (mut rng, mut ds) = setup(10, 2);
    let other_group = GroupId::random(&mut rng);
    let mut stranger = GroupSender::new(&mut rng, other_group, ds[0].identity.public());
    let msg = stranger.encrypt(&mut rng, b"elsewhere").unwrap();
    let from = *ds[0].identity.public();
    assert_eq!(
        rejects(&mut ds[1].receiver, |r| r.decrypt(&from, &msg).unwrap_err()),
        GroupError::WrongGroup
    );
    assert_eq!(
        ds[1]
            .receiver
            .process_distribution(&from, &stranger.distribution()),
        Err(GroupError::WrongGroup)
    );
    let good = ds[0].sender.encrypt(&mut rng, b"z").unwrap().to_bytes();
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        SenderKeyMessage::from_bytes(&trailing),
        Err(GroupError::Malformed)
    );
    assert_eq!(
        SenderKeyMessage::from_bytes(&vec![0; crosswire::MAX_GROUP_MESSAGE_LEN + 1]),
        Err(GroupError::TooLarge)
    );
    assert_eq!(
        SenderKeyMessage::from_bytes(&[]),
        Err(GroupError::UnsupportedVersion)
    );
    let big = vec![0u8; crosswire::MAX_PLAINTEXT_LEN + 1];
    let before = ds[0].sender.to_bytes();
    assert_eq!(
        ds[0].sender.encrypt(&mut rng, &big).unwrap_err(),
        GroupError::PlaintextTooLarge
    );
    assert_eq!(*ds[0].sender.to_bytes(), *before);
    let largest = ds[0]
        .sender
        .encrypt(&mut rng, &big[..crosswire::MAX_PLAINTEXT_LEN])
        .unwrap();
    assert!(largest.as_bytes().len() <= crosswire::MAX_GROUP_MESSAGE_LEN);
    assert!(SenderKeyMessage::from_bytes(largest.as_bytes()).is_ok());
}

#[test]
fn states_round_trip_and_bad_states_are_refused() {
    let (mut rng, mut ds) = setup(11, 3);
    let from = *ds[0].identity.public();
    let msgs: Vec<_> = (0..4)
        .map(|_| ds[0].sender.encrypt(&mut rng, b"s").unwrap())
        .collect();
    ds[1].receiver.decrypt(&from, &msgs[3]).unwrap();
    let saved = ds[1].receiver.to_bytes();
    let mut loaded = GroupReceiver::from_bytes(&saved).unwrap();
    assert_eq!(*loaded.to_bytes(), *saved);
    assert_eq!(loaded.decrypt(&from, &msgs[1]).unwrap(), b"s");
    let sender_saved = ds[0].sender.to_bytes();
    let mut sender = GroupSender::from_bytes(&sender_saved).unwrap();
    assert_eq!(*sender.to_bytes(), *sender_saved);
    let next = sender.encrypt(&mut rng, b"restored").unwrap();
    assert_eq!(loaded.decrypt(&from, &next).unwrap(), b"restored");
    // Version 2 is unknown, version 0 malformed; any truncation is refused.
    let mut v2 = saved.to_vec();
    assert_eq!(v2[..2], [0x08, 0x01]);
    v2[1] = 2;
    assert_eq!(
        GroupReceiver::from_bytes(&v2).unwrap_err(),
        GroupError::State(StateError::UnsupportedVersion)
    );
    // A truncation either fails or (cut at a field boundary) is a smaller canonical state.
    for cut in 1..saved.len() {
        if let Ok(r) = GroupReceiver::from_bytes(&saved[..cut]) {
            assert_eq!(*r.to_bytes(), saved[..cut], "cut {cut}");
        }
    }
    // A skipped seed at or after its key's next position is inconsistent.
    let mut tampered = GroupReceiver::from_bytes(&saved)
        .unwrap()
        .to_bytes()
        .to_vec();
    let at = tampered.len() - 1 - 32 - 2; // the last skipped entry's iteration value (< 128)
    tampered[at] = 0x7f;
    assert_eq!(
        GroupReceiver::from_bytes(&tampered).unwrap_err(),
        GroupError::State(StateError::Malformed)
    );
    assert_eq!(
        GroupReceiver::from_bytes(&vec![0; crosswire::MAX_GROUP_STATE_LEN + 1]).unwrap_err(),
        GroupError::State(StateError::Malformed)
    );
}

#[test]
fn debug_prints_no_secret() {
    let (mut rng, ds) = setup(12, 2);
    let d = ds[0].sender.distribution();
    let chain_hex: String = d.to_bytes()[..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let _ = &mut rng;
    for s in [
        format!("{:?}", ds[0].sender),
        format!("{:?}", ds[1].receiver),
        format!("{d:?}"),
    ] {
        assert!(s.contains("redacted"), "{s}");
        // The chain key (field 5, just before the 34-byte signing key field) never appears.
        let chain_key = &chain_hex[chain_hex.len() - 132..chain_hex.len() - 68];
        assert!(!s.contains(chain_key), "{s}");
    }
}

#[test]
fn a_signed_message_that_does_not_decrypt_changes_nothing() {
    // Only the key's owner can sign, so only it can make this: its chain key altered, its
    // signing key intact (a buggy or malicious sender).
    let (mut rng, mut ds) = setup(13, 2);
    let from = *ds[0].identity.public();
    let first = ds[0].sender.encrypt(&mut rng, b"first").unwrap();
    let dist = ds[0].sender.distribution().to_bytes();
    let chain_key = &dist[dist.len() - 66..dist.len() - 34];
    let mut state = ds[0].sender.to_bytes().to_vec();
    let at = state.windows(32).position(|w| w == chain_key).unwrap();
    state[at] ^= 1;
    let mut broken = GroupSender::from_bytes(&state).unwrap();
    let bad = broken.encrypt(&mut rng, b"garbled").unwrap();
    let second = ds[0].sender.encrypt(&mut rng, b"second").unwrap();
    let third = ds[0].sender.encrypt(&mut rng, b"third").unwrap();
    assert_eq!(bad.iteration(), second.iteration());
    let r = &mut ds[1].receiver;
    // On the chain path...
    assert_eq!(
        rejects(r, |r| r.decrypt(&from, &bad).unwrap_err()),
        GroupError::AuthenticationFailed
    );
    // ...and on the skipped-seed path, once position 2 has stored positions 0 and 1.
    assert_eq!(r.decrypt(&from, &third).unwrap(), b"third");
    assert_eq!(
        rejects(r, |r| r.decrypt(&from, &bad).unwrap_err()),
        GroupError::AuthenticationFailed
    );
    assert_eq!(r.decrypt(&from, &second).unwrap(), b"second");
    assert_eq!(r.decrypt(&from, &first).unwrap(), b"first");
}

/// A group id is not secret: Debug prints it whole, in hex, so logs can name the group.
#[test]
fn group_id_debug_is_its_hex() {
    let id = GroupId::from_bytes([0xab; 32]);
    assert_eq!(format!("{id:?}"), format!("GroupId({})", "ab".repeat(32)));
}

/// `iteration` is the position of the next message: each message takes one, and the message
/// and a fresh distribution carry it.
#[test]
fn sender_iteration_counts_messages() {
    let (mut rng, mut ds) = setup(31, 1);
    let start = ds[0].sender.iteration();
    for n in 0..3 {
        let msg = ds[0].sender.encrypt(&mut rng, b"hi").unwrap();
        assert_eq!(msg.iteration(), start + n);
        assert_eq!(ds[0].sender.iteration(), start + n + 1);
    }
    assert_eq!(ds[0].sender.distribution().iteration(), start + 3);
    assert_eq!(start, 0, "a new sender starts at position 0");
}

/// A receiver of `ds` (device 2) holding skipped seeds of two senders: devices 0 and 1 each
/// sent two messages and only the second arrived. Returns each sender's first message.
fn skipped_from_two_senders(
    rng: &mut ChaCha20Rng,
    ds: &mut [Device],
) -> (SenderKeyMessage, SenderKeyMessage) {
    let mut first = Vec::new();
    for i in 0..2 {
        let from = *ds[i].identity.public();
        first.push(ds[i].sender.encrypt(rng, b"late").unwrap());
        let second = ds[i].sender.encrypt(rng, b"second").unwrap();
        assert_eq!(ds[2].receiver.decrypt(&from, &second).unwrap(), b"second");
    }
    let b = first.pop().unwrap();
    (first.pop().unwrap(), b)
}

/// After `a`'s key that sent `a_late` is gone: the state still loads (it may hold skipped
/// seeds only for keys it holds, SPEC.md 16.9), `a_late` is `UnknownSenderKey`, and `b`'s
/// skipped `b_late` still decrypts.
fn only_the_others_seeds_remain(
    r: &mut GroupReceiver,
    (a, a_late): (&IdentityKey, &SenderKeyMessage),
    (b, b_late): (&IdentityKey, &SenderKeyMessage),
) {
    let saved = r.to_bytes();
    assert_eq!(
        *GroupReceiver::from_bytes(&saved).unwrap().to_bytes(),
        *saved
    );
    assert_eq!(
        r.decrypt(a, a_late).unwrap_err(),
        GroupError::UnknownSenderKey
    );
    assert_eq!(r.decrypt(b, b_late).unwrap(), b"late");
}

/// When a sixth key evicts a sender's oldest, the skipped seeds of that key go with it, and
/// only those: another sender's skipped message still decrypts, and the state, which may hold
/// seeds only for keys it holds (SPEC.md 16.9), still loads.
#[test]
fn an_evicted_key_takes_only_its_own_skipped_seeds() {
    let (mut rng, mut ds) = setup(21, 3);
    let (a_late, b_late) = skipped_from_two_senders(&mut rng, &mut ds);
    let a = *ds[0].identity.public();
    let b = *ds[1].identity.public();
    for _ in 0..MAX_SENDER_KEY_STATES {
        ds[0].sender.rotate(&mut rng);
        let d = ds[0].sender.distribution();
        ds[2].receiver.process_distribution(&a, &d).unwrap();
    }
    only_the_others_seeds_remain(&mut ds[2].receiver, (&a, &a_late), (&b, &b_late));
}

/// `forget_sender` drops that sender's keys and skipped seeds, and nothing of the others':
/// `senders` no longer lists it, the other's skipped message still decrypts, and the state
/// still loads.
#[test]
fn forgetting_a_sender_keeps_the_others_skipped_seeds() {
    let (mut rng, mut ds) = setup(22, 3);
    let (a_late, b_late) = skipped_from_two_senders(&mut rng, &mut ds);
    let a = *ds[0].identity.public();
    let b = *ds[1].identity.public();
    let r = &mut ds[2].receiver;
    let mut held: Vec<_> = r.senders().copied().collect();
    let mut both = vec![a, b];
    held.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    both.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    assert_eq!(held, both);
    assert!(r.forget_sender(&a));
    assert!(!r.forget_sender(&a));
    assert_eq!(r.senders().copied().collect::<Vec<_>>(), [b]);
    only_the_others_seeds_remain(r, (&a, &a_late), (&b, &b_late));
}
