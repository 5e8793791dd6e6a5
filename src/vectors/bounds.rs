//! `bounds.json`: every ratchet and session bound hit exactly (SPEC.md sections 5, 8 and 11):
//! the largest accepted value works and the next one is the stated error, the state unchanged.

use prost::Message;
use rand_core::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Tape, bytes, cases, file, hex, snapshot, text};
use crate::bundle::PreKeyBundle;
use crate::keys::{IdentityKeyPair, PublicKey, SignedPreKey, SignedPreKeyId};
use crate::proto::{self, envelope::Body};
use crate::ratchet::MAX_SKIP;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::header::{self, Header};
use crate::ratchet::skipped::MAX_SKIPPED_KEYS;
use crate::session::{MAX_CONTEXT_LEN, MAX_STATE_LEN, Session};
use crate::wire::{Envelope, MAX_PLAINTEXT_LEN};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 12;

const DESCRIPTION: &str = "Every Double Ratchet and session bound, hit exactly (SPEC.md 5.6, \
    5.7, 8, 11.2, 11.3). Errors are the Debug form of crosswire::Error, as in invalid.json. \
    `operation`: decrypt (load `state`, then decrypt each step's envelope in order: its \
    `plaintext`, or its `error` with the state unchanged; `skipped_after` is the number of \
    skipped seeds stored at the end), encrypt (load `state`, encrypt each step's plaintext with \
    the recorded random values: the envelope, or for large ones its length and SHA-256, or the \
    error), respond (4.2, inputs as in invalid.json), session_state (load `input`: the number \
    of skipped seeds, or the error), envelope (decode the canonical encoding of a RatchetMessage \
    envelope with `envelope_fields`, its ciphertext being `ciphertext_length` copies of \
    `ciphertext_byte`) and low_order_dh (X25519 of `secret` and the low-order `public_key` is \
    all zero, so DH with it would be non-contributory: that is why decoding refuses the key). \
    Inputs too large to list give `*_length` and `*_byte` instead: that byte repeated.";

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let mut inputs = Vec::new();
    ratchet_cases(&mut tape, &mut inputs);
    limit_cases(&mut tape, &mut inputs);
    let mut out = Vec::new();
    for input in inputs {
        out.push(run(&mut tape, &input));
    }
    file(DESCRIPTION, SEED, out)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let computed = run(&mut Tape::replay(), recorded);
        super::assert_same(&computed, recorded, text(recorded, "name"));
    }
}

/// Runs one case from its inputs, returning inputs and outputs.
fn run(tape: &mut Tape, input: &Value) -> Value {
    let mut out = input.clone();
    match text(input, "operation") {
        "decrypt" => {
            let mut session = Session::from_bytes(&bytes(input, "state")).expect("state loads");
            let mut steps = Vec::new();
            for step in input["steps"].as_array().expect("steps") {
                let envelope = Envelope::from_bytes(&bytes(step, "envelope")).expect("decodes");
                let before = session.to_bytes();
                let mut step_out = json!({"envelope": step["envelope"]});
                match session.decrypt(&envelope) {
                    Ok(plaintext) => step_out["plaintext"] = hex(plaintext),
                    Err(e) => {
                        assert_eq!(session.to_bytes()[..], before[..], "state changed");
                        step_out["error"] = super::error_code(&e).into();
                    }
                }
                steps.push(step_out);
            }
            out["steps"] = steps.into();
            out["skipped_after"] = snapshot(&session).skipped.len().into();
        }
        "encrypt" => {
            let mut session = Session::from_bytes(&bytes(input, "state")).expect("state loads");
            let mut steps = Vec::new();
            for step in input["steps"].as_array().expect("steps") {
                let plaintext = repeated(step, "plaintext");
                let before = session.to_bytes();
                let (result, drawn) = tape.draw(step, &["ratchet_secret", "salt"], |t| {
                    session.encrypt(t, &plaintext)
                });
                let mut step_out = step.clone();
                let (ratchet_secret, salt) = match drawn.as_slice() {
                    [r, s] => (hex(r), hex(s)),
                    [s] => (Value::Null, hex(s)),
                    _ => (Value::Null, Value::Null),
                };
                step_out["ratchet_secret"] = ratchet_secret;
                step_out["salt"] = salt;
                match result {
                    Ok(envelope) => {
                        let bytes = envelope.to_bytes();
                        if bytes.len() <= 1024 {
                            step_out["envelope"] = hex(&bytes);
                        } else {
                            step_out["envelope_length"] = bytes.len().into();
                            step_out["envelope_sha256"] = hex(Sha256::digest(&bytes));
                        }
                    }
                    Err(e) => {
                        assert_eq!(session.to_bytes()[..], before[..], "state changed");
                        step_out["error"] = super::error_code(&e).into();
                    }
                }
                steps.push(step_out);
            }
            out["steps"] = steps.into();
        }
        "respond" => {
            let identity = IdentityKeyPair::from_seed(&super::bytes32(input, "identity_seed"));
            let spk = SignedPreKey::from_bytes(&bytes(input, "signed_prekey")).expect("record");
            let Envelope::PreKey(message) =
                Envelope::from_bytes(&bytes(input, "envelope")).expect("decodes")
            else {
                panic!("respond takes a prekey message")
            };
            let context = repeated(input, "context");
            match Session::respond(&identity, &spk, None, &message, &context) {
                Ok((_, plaintext)) => out["plaintext"] = hex(plaintext),
                Err(e) => out["error"] = super::error_code(&e).into(),
            }
        }
        "session_state" => match Session::from_bytes(&repeated(input, "input")) {
            Ok(session) => out["skipped"] = snapshot(&session).skipped.len().into(),
            Err(e) => out["error"] = super::error_code(&crate::Error::from(e)).into(),
        },
        "envelope" => {
            let bytes = envelope_from_fields(&input["envelope_fields"]);
            out["envelope_length"] = bytes.len().into();
            match Envelope::from_bytes(&bytes) {
                Ok(_) => out["accepted"] = true.into(),
                Err(e) => out["error"] = super::error_code(&crate::Error::from(e)).into(),
            }
        }
        "low_order_dh" => {
            let u = super::bytes32(input, "public_key");
            let secret = super::bytes32(input, "secret");
            out["dh_output"] = hex(crate::x25519::x25519(&secret, &u).as_bytes());
            let error = PublicKey::from_slice(&u).expect_err("low order");
            out["error"] = super::error_code(&crate::Error::from(error)).into();
        }
        other => panic!("unknown operation {other}"),
    }
    out
}

/// `key` as hex, or `key_length` copies of `key_byte`.
fn repeated(v: &Value, key: &str) -> Vec<u8> {
    if v.get(key).is_some() {
        return bytes(v, key);
    }
    let byte = bytes(v, &format!("{key}_byte"));
    let len = v[format!("{key}_length")].as_u64().expect("length");
    vec![byte[0]; len as usize]
}

fn envelope_from_fields(f: &Value) -> Vec<u8> {
    let ciphertext = repeated(f, "ciphertext");
    proto::Envelope {
        version: 1,
        body: Some(Body::Ratchet(proto::RatchetMessage {
            ratchet_key: bytes(f, "ratchet_key"),
            previous_counter: super::uint(f, "previous_counter"),
            counter: super::uint(f, "counter"),
            salt: bytes(f, "salt"),
            ciphertext,
        })),
    }
    .encode_to_vec()
}

struct Pair {
    alice: Session,
    bob: Session,
    bob_id: IdentityKeyPair,
    spk: SignedPreKey,
}

/// Alice initiated and Bob's reply reached her: her next expected counter in his chain is 1.
fn pair(tape: &mut Tape, context: &[u8]) -> (Pair, Envelope) {
    let alice_id = IdentityKeyPair::generate(tape);
    let bob_id = IdentityKeyPair::generate(tape);
    let spk = SignedPreKey::generate(tape, &bob_id, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).expect("bundle");
    let mut alice = Session::initiate_with(
        tape,
        &alice_id,
        &bundle,
        context,
        crate::PostQuantum::Allowed,
    )
    .expect("initiate");
    let first = alice.encrypt(tape, b"first").expect("first");
    let Envelope::PreKey(m) = &first else {
        panic!("prekey message")
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, None, m, context).expect("respond");
    let reply = bob.encrypt(tape, b"reply").expect("reply");
    alice.decrypt(&reply).expect("reply");
    let pair = Pair {
        alice,
        bob,
        bob_id,
        spk,
    };
    (pair, first)
}

fn send(tape: &mut Tape, from: &mut Session, n: u32) -> Vec<Envelope> {
    (0..n)
        .map(|i| from.encrypt(tape, &i.to_be_bytes()).expect("encrypt"))
        .collect()
}

fn state_hex(session: &Session) -> Value {
    hex(&session.to_bytes()[..])
}

fn env(e: &Envelope) -> Value {
    json!({"envelope": hex(e.to_bytes())})
}

fn decrypt_case(name: &str, state: Value, steps: Vec<Value>) -> Value {
    json!({"name": name, "operation": "decrypt", "state": state, "steps": steps})
}

/// An authentic message at `counter` of the receiver's current receiving chain, made from the
/// receiver's state (whoever holds it can): it reaches counters no honest sender emits.
fn forge(receiver: &Session, previous_counter: u32, counter: u32) -> Envelope {
    let s = snapshot(receiver);
    let chain = s.receiving.expect("receiving chain");
    let mut ck = ChainKey::new(chain.chain_key.as_slice().try_into().expect("32 bytes"));
    let mut position = chain.counter;
    let seed = loop {
        let seed = ck.advance();
        if position == counter {
            break seed;
        }
        position += 1;
    };
    let header = Header {
        ratchet_key: PublicKey::from_slice(&chain.ratchet_key).expect("key"),
        previous_counter,
        counter,
        salt: [0x5a; 16],
    };
    let aad = header::associated_data(&header, None, &s.associated_data);
    let ciphertext = seed
        .message_key(&header.salt)
        .seal(&aad, b"forged")
        .expect("small");
    Envelope::Ratchet(crate::wire::RatchetMessage::new(header, ciphertext))
}

/// Sets Alice's receiving counter in her stored state.
fn with_receiving_counter(session: &Session, counter: u32) -> Session {
    let mut s = proto::SessionState::decode(&session.to_bytes()[..]).expect("decodes");
    if let Some(r) = s.receiving.as_mut() {
        r.counter = counter;
    }
    Session::from_bytes(&s.encode_to_vec()).expect("loads")
}

fn ratchet_cases(tape: &mut Tape, cases: &mut Vec<Value>) {
    // Current chain: a jump of exactly MAX_SKIP is accepted, MAX_SKIP + 1 is not.
    let (mut p, _) = pair(tape, b"");
    let msgs = send(tape, &mut p.bob, MAX_SKIP + 2);
    cases.push(decrypt_case(
        "current chain: a jump of MAX_SKIP + 1 is refused, exactly MAX_SKIP is accepted",
        state_hex(&p.alice),
        vec![
            env(&msgs[MAX_SKIP as usize + 1]),
            env(&msgs[MAX_SKIP as usize]),
        ],
    ));

    // The store full of MAX_SKIPPED_KEYS seeds; ten more evict the ten oldest.
    let mut alice = p.alice.clone();
    alice.decrypt(&msgs[MAX_SKIP as usize]).expect("jump");
    let turn = alice.encrypt(tape, b"turn").expect("turn");
    p.bob.decrypt(&turn).expect("turn");
    // Bob's first chain had MAX_SKIP + 3 messages; Alice read the reply and the last but one,
    // so counter 10 of his next chain skips 1 + 10 more seeds.
    let next = send(tape, &mut p.bob, 11);
    cases.push(decrypt_case(
        "MAX_SKIPPED_KEYS: eleven more seeds evict the eleven oldest, the next oldest stays",
        state_hex(&alice),
        vec![
            env(&next[10]),
            env(&msgs[0]),
            env(&msgs[10]),
            env(&msgs[11]),
            env(&next[0]),
            env(&msgs[MAX_SKIP as usize + 1]),
        ],
    ));

    // A new chain's first message at exactly MAX_SKIP, and MAX_SKIP + 1.
    let (mut p, _) = pair(tape, b"");
    let turn = p.alice.encrypt(tape, b"turn").expect("turn");
    p.bob.decrypt(&turn).expect("turn");
    let msgs = send(tape, &mut p.bob, MAX_SKIP + 2);
    cases.push(decrypt_case(
        "new chain: counter MAX_SKIP + 1 is refused, exactly MAX_SKIP is accepted",
        state_hex(&p.alice),
        vec![
            env(&msgs[MAX_SKIP as usize + 1]),
            env(&msgs[MAX_SKIP as usize]),
        ],
    ));

    // The joint bound: keys left in the previous chain plus the new chain's counter.
    let (mut p, _) = pair(tape, b"");
    send(tape, &mut p.bob, 1000);
    let turn = p.alice.encrypt(tape, b"turn").expect("turn");
    p.bob.decrypt(&turn).expect("turn");
    let msgs = send(tape, &mut p.bob, MAX_SKIP - 998);
    cases.push(decrypt_case(
        "new chain: 1000 left in the previous chain + counter 1001 is refused, + 1000 accepted",
        state_hex(&p.alice),
        vec![
            env(&msgs[MAX_SKIP as usize - 999]),
            env(&msgs[MAX_SKIP as usize - 1000]),
        ],
    ));

    // u32::MAX: never a counter or previous counter.
    let (p, _) = pair(tape, b"");
    let alice = with_receiving_counter(&p.alice, u32::MAX - 1);
    let mut after = alice.clone();
    let last = forge(&alice, 0, u32::MAX - 1);
    after.decrypt(&last).expect("last");
    cases.push(decrypt_case(
        "counter u32::MAX is refused; u32::MAX - 1 is the last accepted, even with the chain there",
        state_hex(&alice),
        vec![
            env(&forge(&alice, 0, u32::MAX)),
            env(&last),
            env(&forge(&after, 0, u32::MAX)),
        ],
    ));
    let mut s = proto::SessionState::decode(&p.bob.to_bytes()[..]).expect("decodes");
    s.previous_counter = u32::MAX;
    s.sending = None;
    let mut bob = Session::from_bytes(&s.encode_to_vec()).expect("loads");
    let pn_max = bob.encrypt(tape, b"pn").expect("pn");
    let mut s = proto::SessionState::decode(&p.bob.to_bytes()[..]).expect("decodes");
    s.previous_counter = u32::MAX - 1;
    s.sending = None;
    let mut bob = Session::from_bytes(&s.encode_to_vec()).expect("loads");
    let pn_below = bob.encrypt(tape, b"pn").expect("pn");
    cases.push(decrypt_case(
        "previous counter u32::MAX is refused; u32::MAX - 1 is accepted",
        state_hex(&alice),
        vec![env(&pn_max), env(&pn_below)],
    ));

    // Encrypt: the plaintext bound, and the end of a sending chain.
    let (p, _) = pair(tape, b"");
    cases.push(json!({
        "name": "plaintext of MAX_PLAINTEXT_LEN + 1 bytes is refused, MAX_PLAINTEXT_LEN accepted",
        "operation": "encrypt",
        "state": state_hex(&p.bob),
        "steps": [
            {"plaintext_byte": "ab", "plaintext_length": MAX_PLAINTEXT_LEN + 1},
            {"plaintext_byte": "ab", "plaintext_length": MAX_PLAINTEXT_LEN},
        ],
    }));
    let mut s = proto::SessionState::decode(&p.bob.to_bytes()[..]).expect("decodes");
    if let Some(c) = s.sending.as_mut() {
        c.counter = u32::MAX - 2;
    }
    cases.push(json!({
        "name": "a sending chain ends at counter u32::MAX - 2: the next is ChainExhausted",
        "operation": "encrypt",
        "state": hex(s.encode_to_vec()),
        "steps": [{"plaintext": hex(b"last")}, {"plaintext": hex(b"one more")}],
    }));
}

fn limit_cases(tape: &mut Tape, cases: &mut Vec<Value>) {
    // Context: MAX_CONTEXT_LEN accepted, one more refused (respond; initiate checks the same).
    let context = vec![0x63; MAX_CONTEXT_LEN];
    let (p, first) = pair(tape, &context);
    for (len, name) in [
        (
            MAX_CONTEXT_LEN + 1,
            "respond: context of MAX_CONTEXT_LEN + 1 bytes is refused",
        ),
        (
            MAX_CONTEXT_LEN,
            "respond: context of MAX_CONTEXT_LEN bytes is accepted",
        ),
    ] {
        cases.push(json!({
            "name": name,
            "operation": "respond",
            "identity_seed": hex(&p.bob_id.to_seed()[..]),
            "signed_prekey": hex(&p.spk.to_bytes()[..]),
            "envelope": hex(first.to_bytes()),
            "context_byte": "63",
            "context_length": len,
        }));
    }

    // Stored states: one byte over MAX_STATE_LEN; the largest legitimate state (full store,
    // five-byte counters, largest context) loads; one skipped seed more does not.
    cases.push(json!({
        "name": "state of MAX_STATE_LEN + 1 bytes is refused before decoding",
        "operation": "session_state",
        "input_byte": "00",
        "input_length": MAX_STATE_LEN + 1,
    }));
    let mut s = proto::SessionState::decode(&p.alice.to_bytes()[..]).expect("decodes");
    let key = s.receiving.as_ref().expect("receiving").ratchet_key.clone();
    let ratchet_key = hex(&key);
    let counters: Vec<u32> = (0..MAX_SKIPPED_KEYS as u32)
        .map(|i| u32::MAX - 2 - i)
        .collect();
    let mut seeds = vec![0u8; 32 * counters.len()];
    tape.fill_bytes(&mut seeds);
    s.skipped_runs = vec![proto::session_state::SkippedRun {
        ratchet_key: key,
        counters,
        message_seeds: seeds,
    }];
    let full = s.encode_to_vec();
    assert!(full.len() <= MAX_STATE_LEN);
    cases.push(json!({
        "name": "the largest state: MAX_SKIPPED_KEYS seeds with 5-byte counters, largest context",
        "operation": "session_state",
        "input": hex(&full),
    }));
    if let Some(run) = s.skipped_runs.first_mut() {
        run.counters.push(7);
        run.message_seeds.extend([0x77; 32]);
    }
    cases.push(json!({
        "name": "a state with MAX_SKIPPED_KEYS + 1 skipped seeds is refused",
        "operation": "session_state",
        "input": hex(s.encode_to_vec()),
    }));

    // Ciphertext length in an envelope: 16 + MAX_PLAINTEXT_LEN accepted, one more refused.
    for (len, name) in [
        (
            MAX_PLAINTEXT_LEN + 17,
            "envelope: ciphertext of MAX_PLAINTEXT_LEN + 17 bytes is refused",
        ),
        (
            MAX_PLAINTEXT_LEN + 16,
            "envelope: ciphertext of MAX_PLAINTEXT_LEN + 16 bytes is accepted",
        ),
        (15, "envelope: ciphertext of 15 bytes is refused"),
        (16, "envelope: ciphertext of 16 bytes is accepted"),
    ] {
        cases.push(json!({
            "name": name,
            "operation": "envelope",
            "envelope_fields": {
                "ratchet_key": ratchet_key,
                "previous_counter": u32::MAX - 1,
                "counter": u32::MAX - 1,
                "salt": hex([0x11; 16]),
                "ciphertext_byte": "ee",
                "ciphertext_length": len,
            },
        }));
    }

    // Low-order keys: DH with them is all zero (non-contributory), so decoding refuses them.
    for u in [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        let mut secret = [0u8; 32];
        tape.fill_bytes(&mut secret);
        cases.push(json!({
            "name": format!("non-contributory: X25519 with low-order u = {}...", &u[..8]),
            "operation": "low_order_dh",
            "public_key": u,
            "secret": hex(secret),
        }));
    }
}
