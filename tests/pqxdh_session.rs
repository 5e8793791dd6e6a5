//! PQXDH sessions through the public API (SPEC.md 2.6, 6.2-6.4, 8, 15.6).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosswire::{
    BundleError, DecryptError, Envelope, Error, IdentityKeyPair, KemPreKeyId, KemPreKeyKind,
    MAX_BUNDLE_LEN, MAX_ENVELOPE_LEN, OneTimePreKey, OneTimePreKeyId, PostQuantum, PreKeyBundle,
    PreKeyMessage, Session, SignedKemPreKey, SignedPreKey, SignedPreKeyId,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

struct Bob {
    id: IdentityKeyPair,
    spk: SignedPreKey,
    opk: OneTimePreKey,
    last_resort: SignedKemPreKey,
    one_time: SignedKemPreKey,
}

fn setup(seed: u64) -> (ChaCha20Rng, IdentityKeyPair, Bob) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(2));
    let last_resort =
        SignedKemPreKey::generate(&mut rng, &id, KemPreKeyId(3), KemPreKeyKind::LastResort);
    let one_time = SignedKemPreKey::generate(&mut rng, &id, KemPreKeyId(4), KemPreKeyKind::OneTime);
    (
        rng,
        alice,
        Bob {
            id,
            spk,
            opk,
            last_resort,
            one_time,
        },
    )
}

fn first(envelope: &Envelope) -> &PreKeyMessage {
    match envelope {
        Envelope::PreKey(p) => p,
        Envelope::Ratchet(_) => panic!("expected a prekey message"),
    }
}

#[test]
fn pqxdh_sessions_talk_with_either_kem_prekey_and_report_sizes() {
    let (mut rng, alice, bob) = setup(1);
    for (kem, opk) in [(&bob.one_time, Some(&bob.opk)), (&bob.last_resort, None)] {
        let bundle = PreKeyBundle::new_pq(&bob.id, &bob.spk, opk, kem).unwrap();
        let bytes = bundle.to_bytes();
        assert!(bytes.len() <= MAX_BUNDLE_LEN);
        assert_eq!(
            bytes[..2],
            [0x08, 0x02],
            "a KEM prekey makes the bundle version 2"
        );
        let decoded = PreKeyBundle::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, bundle);
        let (id, kind, public) = decoded.kem_prekey().unwrap();
        assert_eq!((id, kind, public), (kem.id(), kem.kind(), kem.public()));
        println!(
            "bundle v2 with opk={}: {} bytes",
            opk.is_some(),
            bytes.len()
        );

        let mut a = Session::initiate(&mut rng, &alice, &decoded, b"ctx").unwrap();
        let wire = a.encrypt(&mut rng, b"hello").unwrap().to_bytes();
        assert!(wire.len() <= MAX_ENVELOPE_LEN);
        assert_eq!(
            wire[..2],
            [0x08, 0x02],
            "a PQXDH prekey message is envelope version 2"
        );
        println!("first message (5-byte plaintext): {} bytes", wire.len());
        let envelope = Envelope::from_bytes(&wire).unwrap();
        let m = first(&envelope);
        assert_eq!(m.kem_prekey_id(), Some(kem.id()));
        let (mut b, text) = Session::respond_with(
            &bob.id,
            &bob.spk,
            opk,
            Some(kem),
            m,
            b"ctx",
            PostQuantum::Required,
        )
        .unwrap();
        assert_eq!(text, b"hello");

        // A second prekey message of the same session still reaches the responder's session.
        let again = a.encrypt(&mut rng, b"again").unwrap();
        assert_eq!(b.decrypt(&again).unwrap(), b"again");
        let reply = b.encrypt(&mut rng, b"hi").unwrap();
        assert_eq!(a.decrypt(&reply).unwrap(), b"hi");
        assert!(!a.awaiting_reply());
        let after = a.encrypt(&mut rng, b"ratchet").unwrap();
        assert!(matches!(after, Envelope::Ratchet(_)));
        assert_eq!(b.decrypt(&after).unwrap(), b"ratchet");
    }
}

#[test]
fn classical_bundles_are_refused_by_default_and_allowed_on_request() {
    let (mut rng, alice, bob) = setup(2);
    let classical = PreKeyBundle::new(&bob.id, &bob.spk, Some(&bob.opk)).unwrap();
    // A version 1 bundle still decodes (as a classical one).
    let decoded = PreKeyBundle::from_bytes(&classical.to_bytes()).unwrap();
    assert!(decoded.kem_prekey().is_none());
    let refused = Session::initiate(&mut rng, &alice, &decoded, b"").err();
    assert_eq!(refused, Some(Error::Bundle(BundleError::ClassicalOnly)));
    assert_eq!(refused.unwrap().code(), "bundle.classical_only");
    let mut a =
        Session::initiate_with(&mut rng, &alice, &decoded, b"", PostQuantum::Allowed).unwrap();
    let env = a.encrypt(&mut rng, b"x").unwrap();
    assert_eq!(env.to_bytes()[..2], [0x08, 0x01]);
    let m = first(&env);
    assert_eq!(m.kem_prekey_id(), None);
    // The responder's policy: refused under Required, accepted under Allowed and by respond.
    let r = Session::respond_with(
        &bob.id,
        &bob.spk,
        Some(&bob.opk),
        None,
        m,
        b"",
        PostQuantum::Required,
    );
    assert_eq!(r.err(), Some(Error::Decrypt(DecryptError::ClassicalOnly)));
    let supplied_kem = Session::respond_with(
        &bob.id,
        &bob.spk,
        Some(&bob.opk),
        Some(&bob.last_resort),
        m,
        b"",
        PostQuantum::Allowed,
    );
    assert_eq!(
        supplied_kem.err(),
        Some(Error::Decrypt(DecryptError::SessionMismatch))
    );
    let (_, text) = Session::respond(&bob.id, &bob.spk, Some(&bob.opk), m, b"").unwrap();
    assert_eq!(text, b"x");
}

#[test]
fn wrong_missing_or_tampered_kem_inputs_fail_without_a_session() {
    let (mut rng, alice, bob) = setup(3);
    let bundle = PreKeyBundle::new_pq(&bob.id, &bob.spk, None, &bob.one_time).unwrap();
    let mut a = Session::initiate(&mut rng, &alice, &bundle, b"").unwrap();
    let wire = a.encrypt(&mut rng, b"hello").unwrap().to_bytes();
    let envelope = Envelope::from_bytes(&wire).unwrap();
    let m = first(&envelope);
    let respond = |kem: Option<&SignedKemPreKey>, m: &PreKeyMessage| {
        Session::respond_with(&bob.id, &bob.spk, None, kem, m, b"", PostQuantum::Required)
            .map(|(_, pt)| pt)
    };
    let mismatch = Err(Error::Decrypt(DecryptError::SessionMismatch));
    assert_eq!(respond(Some(&bob.last_resort), m), mismatch);
    assert_eq!(respond(None, m), mismatch);
    assert_eq!(
        Session::respond(&bob.id, &bob.spk, None, m, b"").map(|(_, pt)| pt),
        mismatch
    );
    // The ciphertext is the last field: flip one of its bytes. It still decodes (any 1568 bytes
    // are a ciphertext) but decapsulates to another secret, so the first message fails.
    let mut tampered = wire.clone();
    let at = tampered.len() - 100;
    tampered[at] ^= 1;
    let tampered = Envelope::from_bytes(&tampered).unwrap();
    assert_eq!(
        respond(Some(&bob.one_time), first(&tampered)),
        Err(Error::Decrypt(DecryptError::AuthenticationFailed))
    );
    assert_eq!(respond(Some(&bob.one_time), m), Ok(b"hello".to_vec()));
}

#[test]
fn a_kem_prekey_signed_by_someone_else_is_refused_in_a_bundle() {
    let (mut rng, _, bob) = setup(4);
    let mallory = IdentityKeyPair::generate(&mut rng);
    let foreign =
        SignedKemPreKey::generate(&mut rng, &mallory, KemPreKeyId(9), KemPreKeyKind::OneTime);
    assert_eq!(
        PreKeyBundle::new_pq(&bob.id, &bob.spk, None, &foreign),
        Err(BundleError::BadSignature)
    );
    // On the wire: the KEM prekey's signature is its last field, at the bundle's end.
    let mut bytes = PreKeyBundle::new_pq(&bob.id, &bob.spk, None, &bob.one_time)
        .unwrap()
        .to_bytes();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    assert_eq!(
        PreKeyBundle::from_bytes(&bytes),
        Err(BundleError::BadSignature)
    );
}

#[test]
fn pqxdh_sessions_survive_storage_on_both_sides() {
    let (mut rng, alice, bob) = setup(5);
    let bundle = PreKeyBundle::new_pq(&bob.id, &bob.spk, Some(&bob.opk), &bob.one_time).unwrap();
    let a = Session::initiate(&mut rng, &alice, &bundle, b"").unwrap();
    // The initiator keeps the KEM ciphertext while it sends prekey messages.
    let mut a = Session::from_bytes(&a.to_bytes()).unwrap();
    let m1 = a.encrypt(&mut rng, b"one").unwrap();
    let m2 = a.encrypt(&mut rng, b"two").unwrap();
    let (b, _) = Session::respond_with(
        &bob.id,
        &bob.spk,
        Some(&bob.opk),
        Some(&bob.one_time),
        first(&m1),
        b"",
        PostQuantum::Required,
    )
    .unwrap();
    let mut b = Session::from_bytes(&b.to_bytes()).unwrap();
    // The stored responder still recognises the session's prekey messages (same KEM id and
    // ciphertext hash).
    assert_eq!(b.decrypt(&m2).unwrap(), b"two");
    let reply = b.encrypt(&mut rng, b"back").unwrap();
    assert_eq!(a.decrypt(&reply).unwrap(), b"back");
    let a = Session::from_bytes(&a.to_bytes()).unwrap();
    assert!(!a.awaiting_reply());
}

#[test]
fn a_prekey_message_with_another_kem_ciphertext_is_another_session() {
    let (mut rng, alice, bob) = setup(6);
    let bundle = PreKeyBundle::new_pq(&bob.id, &bob.spk, None, &bob.last_resort).unwrap();
    let mut a = Session::initiate(&mut rng, &alice, &bundle, b"").unwrap();
    let m1 = a.encrypt(&mut rng, b"one").unwrap();
    let (mut b, _) = Session::respond_with(
        &bob.id,
        &bob.spk,
        None,
        Some(&bob.last_resort),
        first(&m1),
        b"",
        PostQuantum::Required,
    )
    .unwrap();
    let m2 = a.encrypt(&mut rng, b"two").unwrap().to_bytes();
    let mut other_ct = m2.clone();
    let at = other_ct.len() - 1;
    other_ct[at] ^= 0x80;
    let other = Envelope::from_bytes(&other_ct).unwrap();
    assert_eq!(
        b.decrypt(&other),
        Err(Error::Decrypt(DecryptError::SessionMismatch))
    );
    assert_eq!(
        b.decrypt(&Envelope::from_bytes(&m2).unwrap()).unwrap(),
        b"two"
    );
}

/// What PQXDH adds on the wire is exactly the KEM fields: the bundle's field 7 (1644 bytes with
/// a one-byte id and kind) and the prekey message's fields 6 and 7 (2 + 1571 bytes).
#[test]
fn pqxdh_adds_exactly_the_kem_fields() {
    let (mut rng, alice, bob) = setup(7);
    for opk in [None, Some(&bob.opk)] {
        let classical = PreKeyBundle::new(&bob.id, &bob.spk, opk).unwrap();
        let pq = PreKeyBundle::new_pq(&bob.id, &bob.spk, opk, &bob.last_resort).unwrap();
        let kem_field = 1 + 2 + (2 + 2 + (1 + 2 + 1568) + (1 + 1 + 64));
        assert_eq!(pq.to_bytes().len(), classical.to_bytes().len() + kem_field);
        let mut a =
            Session::initiate_with(&mut rng, &alice, &classical, b"ctx", PostQuantum::Allowed)
                .unwrap();
        let mut p = Session::initiate(&mut rng, &alice, &pq, b"ctx").unwrap();
        let x3dh = a.encrypt(&mut rng, b"hello").unwrap().to_bytes();
        let pqxdh = p.encrypt(&mut rng, b"hello").unwrap().to_bytes();
        assert_eq!(pqxdh.len(), x3dh.len() + 2 + (1 + 2 + 1568));
        println!(
            "opk={}: bundle {} -> {} bytes, first message {} -> {} bytes",
            opk.is_some(),
            classical.to_bytes().len(),
            pq.to_bytes().len(),
            x3dh.len(),
            pqxdh.len()
        );
    }
}
