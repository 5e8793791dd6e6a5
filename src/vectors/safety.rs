//! `safety-numbers.json`: safety numbers with every intermediate (SPEC.md 14.9).

use serde_json::{Value, json};

use super::{Tape, cases, file, hex, text};
use crate::account::SafetyNumber;
use crate::account::safety::{ITERATIONS, LABEL_SAFETY_NUMBER, digits, fingerprint};
use crate::keys::{IdentityKey, IdentityKeyPair};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 14;

const DESCRIPTION: &str = "Safety numbers (SPEC.md 14.9). Per case: two identities (Ed25519 \
    seed and public key, as in x3dh.json) with their user ids; per party the first hash input \
    (label || identity key || u8(len(user id)) || user id), the fingerprint (SHA-512 iterated \
    5200 times) and its 30 digits; the 60-digit safety number both sides display; and the \
    scannable payload each side shows (\"cw\" || 0x01 || own fingerprint[0..32] || peer's \
    fingerprint[0..32]).";

/// The generator's cases: name, Alice's user id, Bob's user id.
fn inputs() -> Vec<(&'static str, String, String)> {
    vec![
        (
            "ASCII user ids",
            "alice@a.example".into(),
            "bob@b.example".into(),
        ),
        (
            "MIMI URIs with non-ASCII UTF-8",
            "im:j\u{fc}rgen@m\u{fc}nchen.example".into(),
            "im:bob@b.example".into(),
        ),
        (
            "one user id of the maximum length",
            "x".repeat(crate::account::MAX_USER_ID_LEN),
            "y".into(),
        ),
        (
            "the same user id on both sides",
            "carol".into(),
            "carol".into(),
        ),
    ]
}

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let cases = inputs()
        .iter()
        .map(|(name, alice, bob)| {
            let input = json!({ "name": name, "alice_user": alice, "bob_user": bob });
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

fn first_input(user: &str, key: &IdentityKey) -> Vec<u8> {
    let mut out = LABEL_SAFETY_NUMBER.to_vec();
    out.extend_from_slice(key.as_bytes());
    out.push(user.len() as u8);
    out.extend_from_slice(user.as_bytes());
    out
}

fn case(tape: &mut Tape, input: &Value) -> Value {
    let alice_user = text(input, "alice_user");
    let bob_user = text(input, "bob_user");
    let (alice, alice_seed) =
        tape.draw_one(input, "alice_identity_seed", IdentityKeyPair::generate);
    let (bob, bob_seed) = tape.draw_one(input, "bob_identity_seed", IdentityKeyPair::generate);
    let (ak, bk) = (alice.public(), bob.public());
    let at_alice = SafetyNumber::new(alice_user, ak, bob_user, bk).expect("valid ids");
    let at_bob = SafetyNumber::new(bob_user, bk, alice_user, ak).expect("valid ids");
    assert_eq!(at_alice.digits(), at_bob.digits());
    assert!(
        at_alice
            .matches_scanned(&at_bob.scannable())
            .expect("payload")
    );
    let (af, bf) = (fingerprint(alice_user, ak), fingerprint(bob_user, bk));
    json!({
        "name": text(input, "name"),
        "iterations": ITERATIONS,
        "alice_user": alice_user,
        "bob_user": bob_user,
        "alice_identity_seed": hex(alice_seed),
        "bob_identity_seed": hex(bob_seed),
        "alice_identity_key": hex(ak.as_bytes()),
        "bob_identity_key": hex(bk.as_bytes()),
        "alice_first_input": hex(first_input(alice_user, ak)),
        "bob_first_input": hex(first_input(bob_user, bk)),
        "alice_fingerprint": hex(af),
        "bob_fingerprint": hex(bf),
        "alice_digits": digits(&af),
        "bob_digits": digits(&bf),
        "safety_number": at_alice.digits(),
        "safety_number_display": at_alice.to_string(),
        "alice_scannable": hex(at_alice.scannable()),
        "bob_scannable": hex(at_bob.scannable()),
    })
}
