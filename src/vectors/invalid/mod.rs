//! `invalid.json`: inputs crosswire MUST reject, each with the error it returns (SPEC.md
//! sections 2, 5.7, 6 and 8).

mod bundles;
mod decryption;
mod envelopes;
mod fixture;
mod kem_bundles;
mod keys;
mod states;

use prost::Message;
use serde_json::{Value, json};

use super::{Tape, bytes, cases, file, hex, merge, text};
use crate::bundle::PreKeyBundle;
use crate::error::Error;
use crate::keys::{IdentityKey, IdentityKeyPair, OneTimePreKey, PublicKey, SignedPreKey};
use crate::proto::{self, envelope::Body};
use crate::session::Session;
use crate::wire::Envelope;
use bundles::bundles;
use decryption::{decryption, responding};
use envelopes::envelopes;
use fixture::Fixture;
use keys::keys;
use states::states;

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 9;

const DESCRIPTION: &str = "Inputs that MUST be rejected, with the error crosswire returns (its \
    stable code, SPEC 1.1, e.g. wire.key.low_order). `operation` says what is \
    attempted: public_key (X25519 key validation, SPEC 2.2), identity_key (Ed25519 key \
    validation, 2.1), bundle (PreKeyBundle decoding, 2.6), envelope (Envelope decoding, 6), \
    session_state (loading, 8), decrypt (load `state`, decode `envelope`, decrypt: 4.3 and 5.7; \
    the state must be unchanged afterwards), respond (start the responder's session from \
    `envelope` with the responder's identity seed, signed prekey record u32be(id) || secret || \
    signature, optional one-time prekey record u32be(id) || secret, and context: 4.2). Inputs \
    too large to list give `input_length` and `input_byte` instead of `input`: that byte \
    repeated.";

/// X25519 u-coordinates of low order (SPEC 2.2).
const LOW_ORDER: [(&str, &str); 5] = [
    (
        "u = 0",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "u = 1",
        "0100000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "order 8",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    ),
    (
        "order 8",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    ),
    (
        "u = p - 1",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
];

/// u = p, a non-canonical encoding of 0.
const U_P: &str = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";

/// An Ed25519 point of order 8.
const ED_ORDER_8: &str = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05";

/// The Ed25519 neutral element (0, 1).
const ED_NEUTRAL: &str = "0100000000000000000000000000000000000000000000000000000000000000";

pub(super) fn generate() -> Value {
    let mut rng = Tape::seeded(SEED);
    let mut out = Cases(Vec::new());
    keys(&mut out, &mut rng);
    let f = Fixture::new(&mut rng);
    bundles(&mut out, &f, &mut rng);
    envelopes(&mut out, &f);
    decryption(&mut out, &f, &mut rng);
    responding(&mut out, &f, &mut rng);
    states(&mut out, &f);
    // Last, so that the cases above draw exactly what they drew before these existed.
    kem_bundles::kem_bundles(&mut out, &f, &mut rng);
    file(DESCRIPTION, SEED, out.0)
}

pub(super) fn check(file: &Value) {
    for case in cases(file) {
        assert_eq!(apply(case), text(case, "error"), "{}", text(case, "name"));
    }
}

/// Attempts the case's operation and returns the error, which it requires.
fn apply(case: &Value) -> String {
    let result: Result<(), Error> = match text(case, "operation") {
        "public_key" => PublicKey::from_slice(&input(case))
            .map(drop)
            .map_err(Error::from),
        "identity_key" => IdentityKey::from_slice(&input(case))
            .map(drop)
            .map_err(Error::from),
        "bundle" => PreKeyBundle::from_bytes(&input(case))
            .map(drop)
            .map_err(Error::from),
        "envelope" => Envelope::from_bytes(&input(case))
            .map(drop)
            .map_err(Error::from),
        "session_state" => Session::from_bytes(&input(case))
            .map(drop)
            .map_err(Error::from),
        "decrypt" => {
            let state = bytes(case, "state");
            let mut session = Session::from_bytes(&state).expect("state loads");
            let loaded = session.to_bytes();
            let envelope = Envelope::from_bytes(&bytes(case, "envelope")).expect("decodes");
            let result = session.decrypt(&envelope).map(drop);
            assert_eq!(
                session.to_bytes()[..],
                loaded[..],
                "failed decrypt changed the state"
            );
            result
        }
        "respond" => {
            let identity = IdentityKeyPair::from_seed(&super::bytes32(case, "identity_seed"));
            let spk = SignedPreKey::from_bytes(&bytes(case, "signed_prekey")).expect("record");
            let opk = (!case["one_time_prekey"].is_null())
                .then(|| OneTimePreKey::from_bytes(&bytes(case, "one_time_prekey")))
                .transpose()
                .expect("record");
            let Envelope::PreKey(message) =
                Envelope::from_bytes(&bytes(case, "envelope")).expect("decodes")
            else {
                panic!("respond takes a prekey message")
            };
            Session::respond(
                &identity,
                &spk,
                opk.as_ref(),
                &message,
                &bytes(case, "context"),
            )
            .map(drop)
        }
        other => panic!("unknown operation {other}"),
    };
    match result {
        Ok(()) => panic!("{}: accepted", text(case, "name")),
        Err(e) => super::error_code(&e).to_owned(),
    }
}

/// The input bytes: `input`, or `input_byte` repeated `input_length` times.
fn input(case: &Value) -> Vec<u8> {
    if case.get("input").is_some() {
        return bytes(case, "input");
    }
    let byte = bytes(case, "input_byte");
    let len = case["input_length"].as_u64().expect("input_length");
    vec![byte[0]; len as usize]
}

struct Cases(Vec<Value>);

impl Cases {
    /// Records a case after checking crosswire rejects it with `error`.
    fn add(&mut self, name: &str, operation: &str, inputs: Value, error: &str) {
        let case = merge(json!({"name": name, "operation": operation}), inputs);
        assert_eq!(apply(&case), error, "{name}");
        self.0.push(merge(case, json!({"error": error})));
    }

    fn add_input(&mut self, name: &str, operation: &str, input: &[u8], error: &str) {
        self.add(name, operation, json!({"input": hex(input)}), error);
    }
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex literal")
}

/// `A + [k]T` for the Ed25519 point `A` encoded by `key` and `T` = [`ED_ORDER_8`].
fn torsioned(key: &[u8], k: u8) -> [u8; 32] {
    use curve25519_dalek::Scalar;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    let point = |b: &[u8]| {
        let b: [u8; 32] = b.try_into().expect("32 bytes");
        CompressedEdwardsY(b).decompress().expect("a curve point")
    };
    (point(key) + Scalar::from(k) * point(&unhex(ED_ORDER_8)))
        .compress()
        .to_bytes()
}

/// Re-encodes an envelope after `change` edits its protobuf form.
fn edit(envelope: &Envelope, change: impl FnOnce(&mut proto::Envelope)) -> Vec<u8> {
    let mut e = proto::Envelope::decode(&envelope.to_bytes()[..]).expect("own envelope");
    change(&mut e);
    e.encode_to_vec()
}

/// The ratchet message inside an envelope's protobuf form.
fn inner(e: &mut proto::Envelope) -> &mut proto::RatchetMessage {
    match &mut e.body {
        Some(Body::Ratchet(r)) => r,
        Some(Body::Prekey(p)) => p.message.as_mut().expect("message"),
        None => panic!("no body"),
    }
}

fn prekey(e: &mut proto::Envelope) -> &mut proto::PreKeyMessage {
    match &mut e.body {
        Some(Body::Prekey(p)) => p,
        _ => panic!("not a prekey message"),
    }
}
