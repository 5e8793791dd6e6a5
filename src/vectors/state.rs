//! `session-state.json`: serialized sessions that every later version must still load
//! (storage stability, SPEC.md section 8), each with the next messages it must decrypt and
//! produce to show it loaded right.

use prost::Message;
use serde_json::{Value, json};

use super::{Tape, bytes, cases, file, hex, hex_opt, snapshot, state_view, text};
use crate::bundle::PreKeyBundle;
use crate::keys::{IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, SignedPreKey, SignedPreKeyId};
use crate::proto;
use crate::session::Session;
use crate::wire::Envelope;

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 8;

const DESCRIPTION: &str = "Serialized sessions, storage format versions 1 and 2 (SPEC.md \
    section 8). Every later version of crosswire MUST load `state` and then, in order, perform \
    `next` on the loaded session: `decrypt` the envelope to the given plaintext, or `encrypt` \
    the plaintext with the given random values (ratchet_secret when a DH step is due, then \
    salt) to exactly the given envelope. `decoded` lists every field of the state, with the \
    skipped seeds as one flat list oldest first whatever the version stores. `rewritten` is \
    what `to_bytes` of the loaded session writes (version 2); for a version 2 state it is \
    `state` itself. The version 1 cases are those of the first release, unchanged; each \
    `(version 2)` case is the same session written by version 2.";

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let mut cases = conversation(&mut tape, true);
    cases.extend(conversation(&mut tape, false));
    // The same sessions in version 2, with the same `next` operations and random values.
    let rewritten: Vec<Value> = cases
        .iter()
        .map(|v1| {
            let input = json!({
                "name": format!("{} (version 2)", text(v1, "name")),
                "state": v1["rewritten"],
                "next": v1["next"],
            });
            case(&mut Tape::replay(), &input)
        })
        .collect();
    cases.extend(rewritten);
    cases.push(two_runs(&mut tape));
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let computed = case(&mut Tape::replay(), recorded);
        super::assert_same(&computed, recorded, text(recorded, "name"));
    }
}

/// Loads the state and performs the `next` operations; random values come from `tape`.
fn case(tape: &mut Tape, input: &Value) -> Value {
    let state = bytes(input, "state");
    let mut session = Session::from_bytes(&state).expect("state loads");
    let rewritten = session.to_bytes();
    let version = proto::SessionState::decode(&state[..])
        .expect("state decodes")
        .version;
    if version == 2 {
        assert_eq!(hex::encode(&rewritten[..]), hex::encode(&state));
    }
    let mut decoded = state_view(&snapshot(&session));
    decoded["version"] = version.into();
    let mut next = Vec::new();
    for op in input["next"].as_array().expect("next") {
        next.push(match text(op, "action") {
            "decrypt" => {
                let envelope = Envelope::from_bytes(&bytes(op, "envelope")).expect("envelope");
                let plaintext = session.decrypt(&envelope).expect("decrypts");
                let plaintext = hex(plaintext);
                json!({"action": "decrypt", "envelope": op["envelope"], "plaintext": plaintext})
            }
            "encrypt" => {
                let plaintext = bytes(op, "plaintext");
                let (envelope, drawn) = tape.draw(op, &["ratchet_secret", "salt"], |t| {
                    session.encrypt(t, &plaintext)
                });
                let (ratchet_secret, salt) = match drawn.as_slice() {
                    [r, s] => (Some(r), s),
                    [s] => (None, s),
                    _ => panic!("encrypt draws a salt, after a ratchet secret if it steps"),
                };
                json!({
                    "action": "encrypt",
                    "plaintext": hex(&plaintext),
                    "ratchet_secret": hex_opt(ratchet_secret),
                    "salt": hex(salt),
                    "envelope": hex(envelope.expect("encrypts").to_bytes()),
                })
            }
            other => panic!("unknown action {other}"),
        });
    }
    json!({
        "name": input["name"],
        "state": hex(&state),
        "decoded": decoded,
        "rewritten": hex(&rewritten[..]),
        "next": next,
    })
}

fn decrypt_op(envelope: &Envelope) -> Value {
    json!({"action": "decrypt", "envelope": hex(envelope.to_bytes())})
}

fn encrypt_op(plaintext: &str) -> Value {
    json!({"action": "encrypt", "plaintext": hex(plaintext)})
}

/// Records `session` as a version 1 case whose `next` operations run on a copy loaded from
/// its bytes.
fn capture(tape: &mut Tape, name: &str, session: &Session, next: Vec<Value>) -> Value {
    let input = json!({
        "name": name,
        "state": hex(&session.to_bytes_v1()[..]),
        "next": next,
    });
    case(tape, &input)
}

/// A version 2 state whose skipped seeds form two runs (two of the peer's chains), with a
/// seed of each run decrypted afterwards.
fn two_runs(tape: &mut Tape) -> Value {
    let rng = &mut *tape;
    let alice_id = IdentityKeyPair::generate(rng);
    let bob_id = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(21));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).expect("bundle");
    let mut alice =
        Session::initiate_with(rng, &alice_id, &bundle, b"", crate::PostQuantum::Allowed)
            .expect("initiate");
    let Envelope::PreKey(first) = alice.encrypt(rng, b"m0").expect("m0") else {
        panic!("prekey message")
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, b"").expect("respond");
    // Bob's first chain: Alice reads only the last of three.
    let c1: Vec<Envelope> = (0..3)
        .map(|_| bob.encrypt(rng, b"first chain").expect("c1"))
        .collect();
    alice.decrypt(&c1[2]).expect("c1[2]");
    let a = alice.encrypt(rng, b"turn").expect("a");
    bob.decrypt(&a).expect("a");
    // Bob's second chain: Alice reads only the third of three.
    let c2: Vec<Envelope> = (0..3)
        .map(|_| bob.encrypt(rng, b"second chain").expect("c2"))
        .collect();
    alice.decrypt(&c2[2]).expect("c2[2]");
    let input = json!({
        "name": "initiator with skipped seeds of two chains (version 2)",
        "state": hex(&alice.to_bytes()[..]),
        "next": [decrypt_op(&c1[1]), decrypt_op(&c2[0]), decrypt_op(&c1[0]), encrypt_op("after")],
    });
    case(tape, &input)
}

/// A conversation that stops at interesting moments to save a party's state.
fn conversation(tape: &mut Tape, with_one_time_prekey: bool) -> Vec<Value> {
    // The conversation itself draws from the tape unrecorded; only `next` records its values.
    let rng = &mut *tape;
    let alice_id = IdentityKeyPair::generate(rng);
    let bob_id = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(11));
    let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(12));
    let opk = with_one_time_prekey.then_some(&opk);
    let bundle = PreKeyBundle::new(&bob_id, &spk, opk).expect("bundle");
    let context = b"storage test";
    let mut alice = Session::initiate_with(
        rng,
        &alice_id,
        &bundle,
        context,
        crate::PostQuantum::Allowed,
    )
    .expect("initiate");
    let m0 = alice.encrypt(rng, b"m0").expect("m0");
    let m1 = alice.encrypt(rng, b"m1").expect("m1");
    let Envelope::PreKey(first) = &m0 else {
        panic!("prekey message")
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, opk, first, context).expect("respond");
    let suffix = if with_one_time_prekey {
        "with one-time prekey"
    } else {
        "without one-time prekey"
    };

    // The states are captured first and their `next` messages produced afterwards, so the
    // bytes of each state are those of that moment.
    let state_a = alice.clone();
    let state_b = bob.clone();
    bob.decrypt(&m1).expect("m1");
    let r0 = bob.encrypt(rng, b"r0").expect("r0");
    let r1 = bob.encrypt(rng, b"r1").expect("r1");
    let r2 = bob.encrypt(rng, b"r2").expect("r2");
    let mut cases = vec![
        capture(
            tape,
            &format!("initiator awaiting its first reply, {suffix}"),
            &state_a,
            vec![
                encrypt_op("still a prekey message"),
                decrypt_op(&r0),
                encrypt_op("a reply after the reply: a DH step"),
            ],
        ),
        capture(
            tape,
            &format!("responder right after the first message, {suffix}"),
            &state_b,
            vec![decrypt_op(&m1), encrypt_op("first reply: a DH step")],
        ),
    ];
    if !with_one_time_prekey {
        return cases;
    }

    let rng = &mut *tape;
    alice.decrypt(&r2).expect("r2");
    let state_c = alice.clone();
    alice.decrypt(&r0).expect("r0");
    let a0 = alice.encrypt(rng, b"a0").expect("a0");
    let a1 = alice.encrypt(rng, b"a1").expect("a1");
    let a2 = alice.encrypt(rng, b"a2").expect("a2");
    bob.decrypt(&a1).expect("a1");
    bob.encrypt(rng, b"b0").expect("b0");
    let state_d = bob.clone();
    cases.push(capture(
        tape,
        "initiator with two skipped seeds and no sending chain",
        &state_c,
        vec![
            decrypt_op(&r1),
            decrypt_op(&r0),
            encrypt_op("after the skipped ones"),
        ],
    ));
    cases.push(capture(
        tape,
        "responder with a sending chain, previous counter and a skipped seed",
        &state_d,
        vec![
            decrypt_op(&a0),
            decrypt_op(&a2),
            encrypt_op("same sending chain"),
        ],
    ));
    cases
}
