//! PQXDH: agreement, what SK must depend on, and a seeded known answer
//! (`test-vectors/pqxdh-sk.json`, checked independently by `test-vectors/verify_pqxdh.py`).

use std::convert::Infallible;

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::{Rng, TryCryptoRng, TryRng};
use serde_json::{Value, json};

use super::*;
use crate::kem::KemKeyPair;
use crate::kem_prekey::{KemPreKeyId, KemPreKeyKind};
use crate::keys::{OneTimePreKeyId, SignedPreKeyId};
use crate::x3dh;

/// A seeded RNG that records every value it hands out, so the known answer lists them.
struct Recorder {
    inner: ChaCha20Rng,
    drawn: Vec<Vec<u8>>,
}

impl Recorder {
    fn new(seed: u64) -> Self {
        Recorder {
            inner: ChaCha20Rng::seed_from_u64(seed),
            drawn: Vec::new(),
        }
    }

    /// The one value drawn since the last call.
    fn take_one(&mut self) -> Vec<u8> {
        assert_eq!(self.drawn.len(), 1, "expected exactly one draw");
        self.drawn.remove(0)
    }
}

impl TryRng for Recorder {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("key generation draws bytes")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("key generation draws bytes")
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.fill_bytes(dst);
        self.drawn.push(dst.to_vec());
        Ok(())
    }
}

impl TryCryptoRng for Recorder {}

struct Bob {
    identity: IdentityKeyPair,
    spk: SignedPreKey,
    opk: OneTimePreKey,
    kem: SignedKemPreKey,
}

fn bob(rng: &mut ChaCha20Rng, kind: KemPreKeyKind) -> Bob {
    let identity = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &identity, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(2));
    let kem = SignedKemPreKey::generate(rng, &identity, KemPreKeyId(3), kind);
    Bob {
        identity,
        spk,
        opk,
        kem,
    }
}

#[test]
fn both_sides_agree_for_every_combination() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let alice = IdentityKeyPair::generate(&mut rng);
    let mut secrets = Vec::new();
    for kind in [KemPreKeyKind::OneTime, KemPreKeyKind::LastResort] {
        let b = bob(&mut rng, kind);
        let kem = b.kem.verified_public(b.identity.public()).unwrap();
        for opk in [Some(&b.opk), None] {
            let bundle = PreKeyBundle::new(&b.identity, &b.spk, opk).unwrap();
            let init = initiate(&mut rng, &alice, &bundle, &kem).unwrap();
            let sk_b = respond(
                &b.identity,
                &b.spk,
                opk,
                &b.kem,
                alice.public(),
                init.ephemeral.public(),
                &init.kem_ciphertext,
            )
            .unwrap();
            assert_eq!(init.root_key.as_bytes(), sk_b.as_bytes());
            // Not the X3DH key of the same DH inputs.
            let classical = x3dh::initiate_with(&alice, &init.ephemeral, &bundle).unwrap();
            assert_ne!(classical.as_bytes(), sk_b.as_bytes());
            secrets.push(*sk_b.as_bytes());
        }
    }
    secrets.sort();
    secrets.dedup();
    assert_eq!(secrets.len(), 4);
}

/// Runs one exchange and returns Bob, Alice's identity, and Alice's initiation.
fn exchange(seed: u64) -> (Bob, IdentityKeyPair, Initiation) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let b = bob(&mut rng, KemPreKeyKind::OneTime);
    let bundle = PreKeyBundle::new(&b.identity, &b.spk, Some(&b.opk)).unwrap();
    let kem = b.kem.verified_public(b.identity.public()).unwrap();
    let init = initiate(&mut rng, &alice, &bundle, &kem).unwrap();
    (b, alice, init)
}

fn respond_with(
    b: &Bob,
    alice: &IdentityKeyPair,
    init: &Initiation,
    kem: &SignedKemPreKey,
    ct: &KemCiphertext,
) -> RootKey {
    respond(
        &b.identity,
        &b.spk,
        Some(&b.opk),
        kem,
        alice.public(),
        init.ephemeral.public(),
        ct,
    )
    .unwrap()
}

#[test]
fn tampered_ciphertext_gives_another_key() {
    let (b, alice, init) = exchange(22);
    let good = respond_with(&b, &alice, &init, &b.kem, &init.kem_ciphertext);
    assert_eq!(good.as_bytes(), init.root_key.as_bytes());
    for at in [0, 700, 1567] {
        let mut ct = *init.kem_ciphertext.as_bytes();
        ct[at] ^= 0x01;
        let ct = KemCiphertext::from_bytes(&ct).unwrap();
        let sk = respond_with(&b, &alice, &init, &b.kem, &ct);
        assert_ne!(sk.as_bytes(), init.root_key.as_bytes(), "flip at {at}");
    }
}

#[test]
fn another_kem_prekey_gives_another_key() {
    let (b, alice, init) = exchange(23);
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let other = SignedKemPreKey::generate(&mut rng, &b.identity, b.kem.id(), b.kem.kind());
    let sk = respond_with(&b, &alice, &init, &other, &init.kem_ciphertext);
    assert_ne!(sk.as_bytes(), init.root_key.as_bytes());
}

/// The binding itself: with DH outputs and SS held fixed, SK still changes with the KEM public
/// key and with the ciphertext. Without the hashes in `info` these would be equal: this is what
/// protects agreement on PQPK_B and CT even for a KEM that does not bind them (SPEC.md 15.4).
#[test]
fn sk_binds_kem_public_key_and_ciphertext() {
    let mut rng = ChaCha20Rng::seed_from_u64(24);
    let dh = |rng: &mut ChaCha20Rng| {
        let a = KeyPair::generate(rng);
        let b = KeyPair::generate(rng);
        a.diffie_hellman(b.public()).unwrap()
    };
    let (dh1, dh2, dh3, dh4) = (dh(&mut rng), dh(&mut rng), dh(&mut rng), dh(&mut rng));
    let kp = KemKeyPair::generate(&mut rng);
    let other = KemKeyPair::generate(&mut rng);
    let (ct, ss) = encapsulate(&mut rng, kp.public());
    let (other_ct, _) = encapsulate(&mut rng, kp.public());
    let sk = |pk: &KemPublicKey, ct: &KemCiphertext| {
        *derive_shared_secret(&dh1, &dh2, &dh3, Some(&dh4), &ss, pk, ct).as_bytes()
    };
    let base = sk(kp.public(), &ct);
    assert_ne!(base, sk(other.public(), &ct));
    assert_ne!(base, sk(kp.public(), &other_ct));
    // And SS and every DH output count.
    let (_, other_ss) = encapsulate(&mut rng, kp.public());
    let changed_ss =
        derive_shared_secret(&dh1, &dh2, &dh3, Some(&dh4), &other_ss, kp.public(), &ct);
    assert_ne!(base, *changed_ss.as_bytes());
    let no_dh4 = derive_shared_secret(&dh1, &dh2, &dh3, None, &ss, kp.public(), &ct);
    assert_ne!(base, *no_dh4.as_bytes());
}

#[test]
fn kem_prekey_of_another_identity_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(25);
    let alice = IdentityKeyPair::generate(&mut rng);
    let b = bob(&mut rng, KemPreKeyKind::LastResort);
    let mallory = bob(&mut rng, KemPreKeyKind::LastResort);
    let bundle = PreKeyBundle::new(&b.identity, &b.spk, None).unwrap();
    let foreign = mallory
        .kem
        .verified_public(mallory.identity.public())
        .unwrap();
    let r = initiate(&mut rng, &alice, &bundle, &foreign);
    assert_eq!(r.err(), Some(PqxdhError::Kem(KemError::BadSignature)));
}

// ------------------------------------------------------------------------ known answer ----

fn hex_of(bytes: &[u8]) -> Value {
    Value::String(hex::encode(bytes))
}

/// One case of `pqxdh-sk.json`, from `ChaCha20Rng::seed_from_u64(seed)`.
fn known_answer_case(name: &str, seed: u64, with_opk: bool, kind: KemPreKeyKind) -> Value {
    let mut rng = Recorder::new(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let alice_seed = rng.take_one();
    let bob = IdentityKeyPair::generate(&mut rng);
    let bob_seed = rng.take_one();
    let spk = SignedPreKey::generate(&mut rng, &bob, SignedPreKeyId(0x0102_0304));
    let spk_secret = rng.take_one();
    let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(77));
    let opk_secret = rng.take_one();
    let kem = SignedKemPreKey::generate(&mut rng, &bob, KemPreKeyId(0xfeed_0001), kind);
    let kem_seed = rng.take_one();
    let opk = with_opk.then_some(&opk);

    let bundle = PreKeyBundle::new(&bob, &spk, opk).unwrap();
    let verified = kem.verified_public(bob.public()).unwrap();
    let init = initiate(&mut rng, &alice, &bundle, &verified).unwrap();
    assert_eq!(rng.drawn.len(), 2, "EK_A then m");
    let (ek_secret, m) = (rng.drawn.remove(0), rng.drawn.remove(0));
    let sk_b = respond(
        &bob,
        &spk,
        opk,
        &kem,
        alice.public(),
        init.ephemeral.public(),
        &init.kem_ciphertext,
    )
    .unwrap();
    assert_eq!(sk_b.as_bytes(), init.root_key.as_bytes());

    // The intermediates, recomputed from the responder's side.
    let spk_kp = spk.key_pair();
    let dh1 = spk_kp.diffie_hellman(alice.public().x25519()).unwrap();
    let dh2 = bob.diffie_hellman(init.ephemeral.public()).unwrap();
    let dh3 = spk_kp.diffie_hellman(init.ephemeral.public()).unwrap();
    let dh4 = opk.map(|o| {
        o.key_pair()
            .diffie_hellman(init.ephemeral.public())
            .unwrap()
    });
    let ss = decapsulate(kem.key_pair(), &init.kem_ciphertext);
    let ikm = input_key_material(&dh1, &dh2, &dh3, dh4.as_ref(), &ss);
    let info = info(kem.public(), &init.kem_ciphertext);
    json!({
        "name": name,
        "alice_identity_seed": hex_of(&alice_seed),
        "bob_identity_seed": hex_of(&bob_seed),
        "signed_prekey_id": spk.id().0,
        "signed_prekey_secret": hex_of(&spk_secret),
        "one_time_prekey_id": if with_opk { json!(77) } else { Value::Null },
        "one_time_prekey_secret": if with_opk { hex_of(&opk_secret) } else { Value::Null },
        "kem_prekey_id": kem.id().0,
        "kem_prekey_kind": kem.kind().to_byte(),
        "kem_prekey_seed": hex_of(&kem_seed),
        "kem_prekey_public": hex_of(kem.public().as_bytes()),
        "kem_prekey_signature": hex_of(kem.signature()),
        "ephemeral_secret": hex_of(&ek_secret),
        "ephemeral_public": hex_of(init.ephemeral.public().as_bytes()),
        "kem_m": hex_of(&m),
        "kem_ciphertext": hex_of(init.kem_ciphertext.as_bytes()),
        "kem_shared_secret": hex_of(ss.as_bytes()),
        "dh1": hex_of(dh1.as_bytes()),
        "dh2": hex_of(dh2.as_bytes()),
        "dh3": hex_of(dh3.as_bytes()),
        "dh4": dh4.as_ref().map_or(Value::Null, |d| hex_of(d.as_bytes())),
        "ikm": hex_of(&ikm),
        "info": hex_of(&info),
        "sk": hex_of(init.root_key.as_bytes()),
    })
}

#[test]
fn known_answer_matches_checked_in_file() {
    let file = json!({
        "format_version": 1,
        "description": "PQXDH shared secret SK (SPEC.md 15.4) with every input and intermediate; \
            checked without crosswire by test-vectors/verify_pqxdh.py",
        "generator": {
            "rng": "ChaCha20Rng::seed_from_u64 (rand 0.10), values in the order drawn",
            "seeds": [12, 13],
            "command": "CROSSWIRE_WRITE_VECTORS=1 cargo test --lib pqxdh::",
        },
        "cases": [
            known_answer_case("one-time prekey, one-time KEM prekey", 12, true, KemPreKeyKind::OneTime),
            known_answer_case("no one-time prekey, last-resort KEM prekey", 13, false, KemPreKeyKind::LastResort),
        ],
    });
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/test-vectors");
    let text = serde_json::to_string_pretty(&file).unwrap() + "\n";
    if std::env::var_os("CROSSWIRE_WRITE_VECTORS").is_some() {
        std::fs::write(format!("{dir}/pqxdh-sk-new.json"), &text).unwrap();
    }
    let checked_in = std::fs::read_to_string(format!("{dir}/pqxdh-sk.json")).unwrap();
    assert!(
        checked_in == text,
        "pqxdh-sk.json differs from what the code derives"
    );
}
