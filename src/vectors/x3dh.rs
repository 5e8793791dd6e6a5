//! `x3dh.json`: key agreement with every input, intermediate and output (SPEC.md sections 2
//! and 4).

use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use super::{Tape, bytes, cases, file, hex, hex_opt, text, uint, uint_opt};
use crate::bundle::PreKeyBundle;
use crate::kdf::{LABEL_X3DH, hkdf_sha256};
use crate::keys::{
    IdentityKeyPair, KeyPair, OneTimePreKey, OneTimePreKeyId, SignedPreKey, SignedPreKeyId,
    signed_prekey_message,
};
use crate::x3dh::{initiate_with, key_material, respond};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 4;

const DESCRIPTION: &str = "X3DH (SPEC.md sections 2 and 4). Per case: both identities (Ed25519 \
    seed; x25519_secret = SHA-512(seed)[0..32] unclamped; Ed25519 public key; X25519 public key \
    by the RFC 7748 birational map), the responder's signed prekey (secret = 32 random bytes, \
    clamped by X25519) with the exact signed message and signature, the optional one-time \
    prekey, the encoded bundle, the initiator's ephemeral key, DH1..DH4, KM, SK and AD.";

/// The generator's cases: name, signed prekey id, one-time prekey id, context.
const CASES: [(&str, u32, Option<u32>, &[u8]); 3] = [
    ("with one-time prekey, empty context", 1, Some(100), b""),
    ("without one-time prekey, empty context", 7, None, b""),
    (
        "with one-time prekey and an application context",
        0x0102_0304,
        Some(0),
        b"alice@example.org\nbob@example.net",
    ),
];

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let cases = CASES
        .iter()
        .map(|(name, spk_id, opk_id, context)| {
            let input = json!({
                "name": name,
                "signed_prekey_id": spk_id,
                "one_time_prekey_id": opk_id,
                "context": hex(context),
            });
            case(&mut tape, &input)
        })
        .collect();
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let computed = case(&mut Tape::replay(), recorded);
        super::assert_same(&computed, recorded, text(recorded, "name"));
    }
}

/// Runs one X3DH from the case's inputs; random values come from `tape`.
fn case(tape: &mut Tape, input: &Value) -> Value {
    let spk_id = SignedPreKeyId(uint(input, "signed_prekey_id"));
    let opk_id = uint_opt(input, "one_time_prekey_id").map(OneTimePreKeyId);
    let context = bytes(input, "context");

    let (alice, alice_seed) = tape.draw_one(input, "alice_identity_seed", |t| {
        IdentityKeyPair::generate(t)
    });
    let (bob, bob_seed) = tape.draw_one(input, "bob_identity_seed", IdentityKeyPair::generate);
    for (identity, seed) in [(&alice, &alice_seed), (&bob, &bob_seed)] {
        // SPEC 2.1, checked independently of crosswire's conversion code.
        assert_eq!(
            identity.x25519_secret_bytes()[..],
            Sha512::digest(seed)[..32]
        );
        let base_point = x25519_dalek::X25519_BASEPOINT_BYTES;
        assert_eq!(
            &x25519_dalek::x25519(*identity.x25519_secret_bytes(), base_point),
            identity.public().x25519().as_bytes()
        );
    }

    let (spk, spk_secret) = tape.draw_one(input, "signed_prekey_secret", |t| {
        SignedPreKey::generate(t, &bob, spk_id)
    });
    let (opk, opk_secret) = match opk_id {
        Some(id) => {
            let (k, s) = tape.draw_one(input, "one_time_prekey_secret", |t| {
                OneTimePreKey::generate(t, id)
            });
            (Some(k), Some(s))
        }
        None => (None, None),
    };
    let signed_message = signed_prekey_message(spk_id, spk.public());
    assert!(bob.public().verify(&signed_message, spk.signature()));
    let bundle = PreKeyBundle::new(&bob, &spk, opk.as_ref()).expect("own bundle verifies");
    let bundle_bytes = bundle.to_bytes();
    assert_eq!(PreKeyBundle::from_bytes(&bundle_bytes), Ok(bundle.clone()));

    let (ephemeral, ephemeral_secret) = tape.draw_one(input, "ephemeral_secret", KeyPair::generate);
    let dh1 = alice.diffie_hellman(spk.public()).expect("DH1");
    let dh2 = ephemeral
        .diffie_hellman(bob.public().x25519())
        .expect("DH2");
    let dh3 = ephemeral.diffie_hellman(spk.public()).expect("DH3");
    let dh4 = opk
        .as_ref()
        .map(|k| ephemeral.diffie_hellman(k.public()).expect("DH4"));
    let km = key_material(&dh1, &dh2, &dh3, dh4.as_ref());
    let sk = initiate_with(&alice, &ephemeral, &bundle).expect("initiator SK");
    let sk_responder = respond(&bob, &spk, opk.as_ref(), alice.public(), ephemeral.public())
        .expect("responder SK");
    assert_eq!(sk.as_bytes(), sk_responder.as_bytes());
    let mut sk_direct = [0u8; 32];
    hkdf_sha256(&[0; 32], &km, LABEL_X3DH, &mut sk_direct);
    assert_eq!(&sk_direct, sk.as_bytes());

    let mut ad = Vec::new();
    ad.extend_from_slice(alice.public().as_bytes());
    ad.extend_from_slice(bob.public().as_bytes());
    ad.extend_from_slice(&context);

    json!({
        "name": input["name"],
        "context": hex(&context),
        "alice_identity_seed": hex(&alice_seed),
        "alice_identity_x25519_secret": hex(alice.x25519_secret_bytes()),
        "alice_identity_key": hex(alice.public().as_bytes()),
        "alice_identity_x25519_public": hex(alice.public().x25519().as_bytes()),
        "bob_identity_seed": hex(&bob_seed),
        "bob_identity_x25519_secret": hex(bob.x25519_secret_bytes()),
        "bob_identity_key": hex(bob.public().as_bytes()),
        "bob_identity_x25519_public": hex(bob.public().x25519().as_bytes()),
        "signed_prekey_id": spk_id.0,
        "signed_prekey_secret": hex(&spk_secret),
        "signed_prekey_public": hex(spk.public().as_bytes()),
        "signed_prekey_signed_message": hex(signed_message),
        "signed_prekey_signature": hex(spk.signature()),
        "one_time_prekey_id": opk_id.map(|id| id.0),
        "one_time_prekey_secret": hex_opt(opk_secret),
        "one_time_prekey_public": hex_opt(opk.as_ref().map(|k| k.public().as_bytes())),
        "bundle": hex(&bundle_bytes),
        "ephemeral_secret": hex(&ephemeral_secret),
        "ephemeral_public": hex(ephemeral.public().as_bytes()),
        "dh1": hex(dh1.as_bytes()),
        "dh2": hex(dh2.as_bytes()),
        "dh3": hex(dh3.as_bytes()),
        "dh4": hex_opt(dh4.as_ref().map(|d| d.as_bytes())),
        "km": hex(&km[..]),
        "sk": hex(sk.as_bytes()),
        "ad": hex(&ad),
    })
}
