//! Group targets: `group_decrypt`, `group_distribution_decode`, `group_state_decode`.
//!
//! The fixture is a fixed-seed group: Alice sends four messages, Bob holds Alice's sender key
//! (and Carol's), nothing delivered yet.
//!
//! - `group_decrypt`: bytes -> `SenderKeyMessage::from_bytes` -> Bob's `decrypt` as from Alice
//!   and as from Carol. A decoded message re-encodes to the input; decryption succeeds exactly
//!   for Alice's genuine messages claimed as Alice's, with their plaintext; every failure leaves
//!   Bob's state byte-for-byte unchanged.
//! - `group_distribution_decode`: bytes as a padded and as a bare distribution; a value
//!   re-encodes to the input, and processing it into a receiver never panics and is idempotent.
//! - `group_state_decode`: bytes -> `GroupReceiver::from_bytes` / `GroupSender::from_bytes`; a
//!   loaded state re-saves to the input and then decrypts every fixture message without
//!   panicking, unchanged on failure.

use std::sync::OnceLock;

use crosswire::{
    GroupId, GroupReceiver, GroupSender, IdentityKeyPair, SenderKeyDistribution, SenderKeyMessage,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

/// The fixed group.
pub(crate) struct GroupFixture {
    pub(crate) alice: IdentityKeyPair,
    pub(crate) carol: IdentityKeyPair,
    pub(crate) bob: GroupReceiver,
    pub(crate) bob_bytes: Vec<u8>,
    pub(crate) sender_bytes: Vec<u8>,
    pub(crate) distribution: SenderKeyDistribution,
    /// Alice's genuine messages and their plaintexts, in sending order.
    pub(crate) sent: Vec<(SenderKeyMessage, Vec<u8>)>,
}

pub(crate) fn fixture() -> &'static GroupFixture {
    static F: OnceLock<GroupFixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let alice = IdentityKeyPair::generate(&mut rng);
        let carol = IdentityKeyPair::generate(&mut rng);
        let group = GroupId::random(&mut rng);
        let mut sender = GroupSender::new(&mut rng, group, alice.public());
        let mut carol_sender = GroupSender::new(&mut rng, group, carol.public());
        let mut bob = GroupReceiver::new(group);
        let distribution = sender.distribution();
        bob.process_distribution(alice.public(), &distribution)
            .expect("distribution");
        bob.process_distribution(carol.public(), &carol_sender.distribution())
            .expect("distribution");
        let sent = (0..4u8)
            .map(|i| {
                let pt = vec![i; 10 + usize::from(i)];
                (sender.encrypt(&mut rng, &pt).expect("encrypts"), pt)
            })
            .collect();
        let _ = carol_sender.encrypt(&mut rng, b"carol").expect("encrypts");
        GroupFixture {
            bob_bytes: bob.to_bytes().to_vec(),
            sender_bytes: sender.to_bytes().to_vec(),
            alice,
            carol,
            bob,
            distribution,
            sent,
        }
    })
}

/// The `group_decrypt` target.
pub(crate) fn group_decrypt(data: &[u8]) {
    let Ok(message) = SenderKeyMessage::from_bytes(data) else {
        return;
    };
    assert_eq!(
        message.as_bytes(),
        data,
        "a non-canonical group message decoded"
    );
    let f = fixture();
    let genuine = f.sent.iter().find(|(m, _)| m.as_bytes() == data);
    for (claimed, is_alice) in [(&f.alice, true), (&f.carol, false)] {
        let mut bob = f.bob.clone();
        let result = bob.decrypt(claimed.public(), &message);
        match genuine.filter(|_| is_alice) {
            Some((_, pt)) => assert_eq!(result.as_ref().ok(), Some(pt), "genuine: {result:?}"),
            None => {
                assert!(result.is_err(), "forged group message accepted");
                assert_eq!(
                    *bob.to_bytes(),
                    f.bob_bytes[..],
                    "a failed decrypt changed state"
                );
            }
        }
    }
}

/// The `group_distribution_decode` target.
pub(crate) fn group_distribution_decode(data: &[u8]) {
    let f = fixture();
    for padded in [true, false] {
        let decoded = if padded {
            SenderKeyDistribution::from_plaintext(data)
        } else {
            SenderKeyDistribution::from_bytes(data)
        };
        let Ok(d) = decoded else {
            continue;
        };
        let again = if padded {
            d.to_plaintext()
        } else {
            d.to_bytes()
        };
        assert_eq!(&again[..], data, "a non-canonical distribution decoded");
        let mut bob = f.bob.clone();
        if bob.process_distribution(f.carol.public(), &d).is_ok() {
            let once = bob.to_bytes();
            bob.process_distribution(f.carol.public(), &d)
                .expect("a processed distribution is accepted again");
            assert_eq!(*bob.to_bytes(), *once, "processing twice changed the state");
        } else {
            assert_eq!(
                *bob.to_bytes(),
                f.bob_bytes[..],
                "a rejected distribution changed state"
            );
        }
    }
}

/// The `group_state_decode` target.
pub(crate) fn group_state_decode(data: &[u8]) {
    let f = fixture();
    if let Ok(r) = GroupReceiver::from_bytes(data) {
        let bytes = r.to_bytes();
        assert_eq!(&bytes[..], data, "a non-canonical group state loaded");
        for (m, _) in &f.sent {
            let mut r2 = r.clone();
            if r2.decrypt(f.alice.public(), m).is_err() {
                assert_eq!(*r2.to_bytes(), *bytes, "a failed decrypt changed the state");
            }
        }
    }
    if let Ok(s) = GroupSender::from_bytes(data) {
        assert_eq!(
            &s.to_bytes()[..],
            data,
            "a non-canonical sender state loaded"
        );
        let mut s = s;
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        let _ = s.encrypt(&mut rng, b"probe");
    }
}

/// The seeds of the three targets.
pub(crate) fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let f = fixture();
    let mut out = Vec::new();
    for (i, (m, _)) in f.sent.iter().enumerate() {
        out.push(("group_decrypt", format!("message-{i}"), m.to_bytes()));
    }
    let mut bad = f.sent[0].0.to_bytes();
    if let Some(last) = bad.last_mut() {
        *last ^= 1;
    }
    out.push(("group_decrypt", "bad-signature".to_owned(), bad));
    let mut trailing = f.sent[1].0.to_bytes();
    trailing.push(0);
    out.push(("group_decrypt", "trailing-byte".to_owned(), trailing));
    out.push((
        "group_distribution_decode",
        "padded".to_owned(),
        f.distribution.to_plaintext().to_vec(),
    ));
    out.push((
        "group_distribution_decode",
        "bare".to_owned(),
        f.distribution.to_bytes().to_vec(),
    ));
    out.push((
        "group_state_decode",
        "receiver".to_owned(),
        f.bob_bytes.clone(),
    ));
    out.push((
        "group_state_decode",
        "sender".to_owned(),
        f.sender_bytes.clone(),
    ));
    out
}
