//! `ratchet.json`: whole conversations through the public [`Session`] API, with every random
//! value consumed and every key derived along the way (SPEC.md sections 4 to 6).

use serde_json::{Value, json};
use x25519_dalek::StaticSecret;

use super::{Tape, bytes, cases, file, hex, hex_opt, ratchet_view, snapshot, text, uint, uint_opt};
use crate::aead;
use crate::bundle::PreKeyBundle;
use crate::keys::{
    IdentityKeyPair, KeyPair, OneTimePreKey, OneTimePreKeyId, PublicKey, SignedPreKey,
    SignedPreKeyId,
};
use crate::proto;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::header::{self, Header};
use crate::ratchet::root_key::RootKey;
use crate::session::Session;
use crate::wire::Envelope;
use crate::x3dh::initiate_with;

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 5;

const DESCRIPTION: &str = "Double Ratchet conversations (SPEC.md sections 4 to 6). Each case \
    sets up both parties (identity seeds, prekeys), runs X3DH and then a script of events. An \
    `encrypt` event lists the random values it consumed (ratchet_secret when a DH step was due, \
    then salt), the DH output and new root key of that step, the chain key used, message seed, \
    next chain key, message key, nonce, canonical header, full associated data, ciphertext and \
    the exact envelope bytes. A `deliver` event hands the envelope of `message` to `party` and \
    gives the plaintext it must decrypt to, which path the receiver took (respond, \
    current_chain, new_chain, skipped), the DH output and keys of a receiving step, and the \
    skipped seeds it stored. `state_after` is the acting party's ratchet state after the event.";

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let cases = scripts().iter().map(|s| run(&mut tape, s)).collect();
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let computed = run(&mut Tape::replay(), recorded);
        super::assert_same(&computed, recorded, text(recorded, "name"));
    }
}

fn enc(party: &str, message: u32, plaintext: &str) -> Value {
    json!({"action": "encrypt", "party": party, "message": message, "plaintext": hex(plaintext)})
}

fn dlv(party: &str, message: u32) -> Value {
    json!({"action": "deliver", "party": party, "message": message})
}

/// The generator's conversations.
fn scripts() -> Vec<Value> {
    let long = "The quarterly report is done and uploaded; ".repeat(5);
    vec![
        json!({
            "name": "out of order, one-time prekey, application context",
            "signed_prekey_id": 1,
            "one_time_prekey_id": 100,
            "context": hex("alice@example.org\nbob@example.net"),
            "events": [
                enc("alice", 0, "Hi Bob, it's Alice."),
                enc("alice", 1, "Are you there?"),
                dlv("bob", 1),
                dlv("bob", 0),
                enc("bob", 2, "Yes! Sorry, I was offline."),
                enc("bob", 3, "What's up?"),
                dlv("alice", 3),
                enc("alice", 4, "Nothing much."),
                dlv("alice", 2),
                dlv("bob", 4),
                enc("bob", 5, "Lunch tomorrow?"),
                enc("bob", 6, "Noon at the usual place."),
                enc("bob", 7, "Bring the slides."),
                enc("alice", 8, &long),
                dlv("bob", 8),
                dlv("alice", 7),
                dlv("alice", 5),
                enc("alice", 9, "Sounds good, see you at noon."),
                dlv("bob", 9),
            ],
        }),
        json!({
            "name": "no one-time prekey, empty context, skipping across a DH step",
            "signed_prekey_id": 0xfedc_ba98_u32,
            "one_time_prekey_id": null,
            "context": "",
            "events": [
                enc("alice", 0, "ping"),
                dlv("bob", 0),
                enc("bob", 1, "pong 1"),
                enc("bob", 2, "pong 2"),
                enc("bob", 3, "pong 3"),
                dlv("alice", 1),
                enc("alice", 4, "got one"),
                dlv("bob", 4),
                enc("bob", 5, "new turn"),
                dlv("alice", 5),
                dlv("alice", 3),
                dlv("alice", 2),
                enc("alice", 6, ""),
                dlv("bob", 6),
            ],
        }),
    ]
}

/// The responder's long-term keys, kept to answer the first prekey message.
struct Responder {
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    signed_prekey_secret: Vec<u8>,
    one_time_prekey: Option<OneTimePreKey>,
}

/// Runs one conversation from its inputs; random values come from `tape`.
fn run(tape: &mut Tape, input: &Value) -> Value {
    let spk_id = SignedPreKeyId(uint(input, "signed_prekey_id"));
    let opk_id = uint_opt(input, "one_time_prekey_id").map(OneTimePreKeyId);
    let context = bytes(input, "context");

    let (alice_id, alice_seed) = tape.draw_one(input, "alice_identity_seed", |t| {
        IdentityKeyPair::generate(t)
    });
    let (bob_id, bob_seed) = tape.draw_one(input, "bob_identity_seed", IdentityKeyPair::generate);
    let (spk, spk_secret) = tape.draw_one(input, "signed_prekey_secret", |t| {
        SignedPreKey::generate(t, &bob_id, spk_id)
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
    let bundle = PreKeyBundle::new(&bob_id, &spk, opk.as_ref()).expect("own bundle");

    let (alice, drawn) = tape.draw(
        input,
        &["ephemeral_secret", "initiator_ratchet_secret"],
        |t| Session::initiate_with(t, &alice_id, &bundle, &context, crate::PostQuantum::Allowed),
    );
    let alice = alice.expect("initiate");
    let [ephemeral_secret, ratchet_secret] = <[Vec<u8>; 2]>::try_from(drawn).expect("two draws");
    let ephemeral = key_pair(&ephemeral_secret);
    let sk = initiate_with(&alice_id, &ephemeral, &bundle).expect("SK");
    // SPEC 5.5: the initiator's first root step uses DH(new ratchet key, SPK_B).
    let initiator_ratchet = key_pair(&ratchet_secret);
    let initiator_dh = initiator_ratchet
        .diffie_hellman(spk.public())
        .expect("initiator DH");
    let (root, chain) = sk.step(&initiator_dh);
    let initial = snapshot(&alice);
    assert_eq!(root.as_bytes()[..], initial.root_key[..]);
    assert_eq!(
        chain.as_bytes()[..],
        initial.sending.as_ref().expect("sending chain").chain_key[..]
    );
    let ad = initial.associated_data.clone();

    let responder = Responder {
        identity: bob_id,
        signed_prekey: spk,
        signed_prekey_secret: spk_secret,
        one_time_prekey: opk,
    };
    let mut sessions = [Some(alice), None];
    let mut sent: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut events = Vec::new();
    for event in input["events"].as_array().expect("events") {
        let who = match text(event, "party") {
            "alice" => 0,
            "bob" => 1,
            other => panic!("unknown party {other}"),
        };
        let message = uint(event, "message") as usize;
        let out = match text(event, "action") {
            "encrypt" => {
                assert_eq!(
                    message,
                    sent.len(),
                    "messages are numbered in sending order"
                );
                let session = sessions[who].as_mut().expect("sender has a session");
                let (out, envelope) = encrypt(tape, session, event);
                sent.push((bytes(event, "plaintext"), envelope));
                out
            }
            "deliver" => {
                let (plaintext, envelope) = &sent[message];
                let envelope = Envelope::from_bytes(envelope).expect("own envelope decodes");
                let (out, decrypted) = match &mut sessions[who] {
                    Some(session) => deliver(session, &envelope),
                    slot @ None => {
                        let (session, out, decrypted) =
                            respond(&responder, &sk, &envelope, &context);
                        *slot = Some(session);
                        (out, decrypted)
                    }
                };
                assert_eq!(&decrypted, plaintext, "message {message} decrypts");
                super::merge(event_head(event), out)
            }
            other => panic!("unknown action {other}"),
        };
        events.push(out);
    }

    json!({
        "name": input["name"],
        "context": hex(&context),
        "alice_identity_seed": hex(&alice_seed),
        "alice_identity_key": hex(alice_id.public().as_bytes()),
        "bob_identity_seed": hex(&bob_seed),
        "bob_identity_key": hex(responder.identity.public().as_bytes()),
        "signed_prekey_id": spk_id.0,
        "signed_prekey_secret": hex(&responder.signed_prekey_secret),
        "signed_prekey_public": hex(responder.signed_prekey.public().as_bytes()),
        "signed_prekey_signature": hex(responder.signed_prekey.signature()),
        "one_time_prekey_id": opk_id.map(|id| id.0),
        "one_time_prekey_secret": hex_opt(opk_secret),
        "one_time_prekey_public":
            hex_opt(responder.one_time_prekey.as_ref().map(|k| k.public().as_bytes())),
        "ephemeral_secret": hex(&ephemeral_secret),
        "ephemeral_public": hex(ephemeral.public().as_bytes()),
        "sk": hex(sk.as_bytes()),
        "ad": hex(&ad),
        "initiator_ratchet_secret": hex(&ratchet_secret),
        "initiator_ratchet_public": hex(initiator_ratchet.public().as_bytes()),
        "initiator_dh_output": hex(initiator_dh.as_bytes()),
        "initiator_state": ratchet_view(&initial),
        "events": events,
    })
}

/// The input fields of an event, which every output repeats.
fn event_head(event: &Value) -> Value {
    json!({"action": event["action"], "party": event["party"], "message": event["message"]})
}

fn key_pair(secret: &[u8]) -> KeyPair {
    let secret: [u8; 32] = secret.try_into().expect("32-byte secret");
    KeyPair::from_secret(StaticSecret::from(secret))
}

fn arr32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().expect("32 bytes")
}

/// Encrypts the event's plaintext and explains every step (SPEC 5.6).
fn encrypt(tape: &mut Tape, session: &mut Session, event: &Value) -> (Value, Vec<u8>) {
    let plaintext = bytes(event, "plaintext");
    let before = snapshot(session);
    let (envelope, drawn) = tape.draw(event, &["ratchet_secret", "salt"], |t| {
        session.encrypt(t, &plaintext)
    });
    let envelope = envelope.expect("encrypt");
    let after = snapshot(session);
    let (ratchet_secret, salt) = match drawn.as_slice() {
        [r, s] => (Some(r.clone()), s.clone()),
        [s] => (None, s.clone()),
        _ => panic!("encrypt draws a salt, after a ratchet secret if it steps"),
    };
    let msg = envelope.ratchet_message();

    // The DH ratchet step, when no sending chain existed.
    assert_eq!(ratchet_secret.is_some(), before.sending.is_none());
    let (step, chain_key) = match &ratchet_secret {
        Some(secret) => {
            let pair = key_pair(secret);
            assert_eq!(pair.public(), msg.ratchet_key());
            let theirs = before.receiving.as_ref().expect("peer ratchet key");
            let theirs = PublicKey::from_slice(&theirs.ratchet_key).expect("valid key");
            let dh = pair.diffie_hellman(&theirs).expect("DH");
            let (root, chain) = RootKey::new(arr32(&before.root_key)).step(&dh);
            assert_eq!(root.as_bytes()[..], after.root_key[..]);
            (Some((*dh.as_bytes(), pair)), chain)
        }
        None => {
            assert_eq!(before.root_key, after.root_key);
            let chain = before.sending.as_ref().expect("sending chain");
            (None, ChainKey::new(arr32(&chain.chain_key)))
        }
    };
    let chain_key_used = *chain_key.as_bytes();
    let mut chain = chain_key;
    let seed = chain.advance();
    let sending_after = after.sending.as_ref().expect("sending chain after encrypt");
    assert_eq!(chain.as_bytes()[..], sending_after.chain_key[..]);
    assert_eq!(sending_after.counter, msg.counter + 1);

    let salt16: [u8; 16] = salt.as_slice().try_into().expect("16-byte salt");
    assert_eq!(msg.salt, salt16);
    let message_key = seed.message_key(&salt16);
    let (key, nonce) = message_key.parts();
    let (kind, prekey) = match &envelope {
        Envelope::PreKey(p) => ("prekey", Some(&p.fields)),
        Envelope::Ratchet(_) => ("ratchet", None),
    };
    let header = Header {
        ratchet_key: msg.ratchet_key,
        previous_counter: msg.previous_counter,
        counter: msg.counter,
        salt: msg.salt,
    };
    let canonical = header::associated_data(&header, prekey, &[]);
    let aad = header::associated_data(&header, prekey, &after.associated_data);
    assert_eq!(
        aead::seal(key, nonce, &aad, &plaintext),
        Ok(msg.ciphertext.clone())
    );
    let envelope_bytes = envelope.to_bytes();

    let out = json!({
        "action": "encrypt",
        "party": event["party"],
        "message": event["message"],
        "plaintext": hex(&plaintext),
        "ratchet_secret": hex_opt(ratchet_secret),
        "ratchet_public": hex_opt(step.as_ref().map(|(_, pair)| pair.public().as_bytes())),
        "dh_output": hex_opt(step.as_ref().map(|(dh, _)| dh)),
        "root_key": hex(&after.root_key),
        "chain_key": hex(chain_key_used),
        "message_seed": hex(seed.as_bytes()),
        "next_chain_key": hex(chain.as_bytes()),
        "salt": hex(salt16),
        "message_key": hex(key),
        "nonce": hex(nonce),
        "type": kind,
        "ratchet_key": hex(msg.ratchet_key.as_bytes()),
        "previous_counter": msg.previous_counter,
        "counter": msg.counter,
        "header": hex(&canonical),
        "associated_data": hex(&aad),
        "ciphertext": hex(&msg.ciphertext),
        "envelope": hex(&envelope_bytes),
        "state_after": ratchet_view(&after),
    });
    (out, envelope_bytes)
}

/// Decrypts with an existing session (SPEC 5.7).
fn deliver(session: &mut Session, envelope: &Envelope) -> (Value, Vec<u8>) {
    let before = snapshot(session);
    let plaintext = session.decrypt(envelope).expect("delivery decrypts");
    let after = snapshot(session);
    (explain(&before, &after, envelope, &plaintext), plaintext)
}

/// Starts the responder's session from the first prekey message it receives (SPEC 4.2).
fn respond(
    responder: &Responder,
    sk: &RootKey,
    envelope: &Envelope,
    context: &[u8],
) -> (Session, Value, Vec<u8>) {
    let Envelope::PreKey(message) = envelope else {
        panic!("a session starts with a prekey message")
    };
    let (session, plaintext) = Session::respond(
        &responder.identity,
        &responder.signed_prekey,
        responder.one_time_prekey.as_ref(),
        message,
        context,
    )
    .expect("respond");
    // SPEC 5.5: the responder starts from RK = SK with the signed prekey as its ratchet key.
    let before = proto::SessionState {
        root_key: sk.as_bytes().to_vec(),
        ratchet_secret: responder.signed_prekey_secret.clone(),
        ..Default::default()
    };
    let after = snapshot(&session);
    let mut out = explain(&before, &after, envelope, &plaintext);
    out["path"] = json!("respond");
    (session, out, plaintext)
}

/// Which path a delivery took, and the keys of a receiving DH step.
fn explain(
    before: &proto::SessionState,
    after: &proto::SessionState,
    envelope: &Envelope,
    plaintext: &[u8],
) -> Value {
    let msg = envelope.ratchet_message();
    let key = msg.ratchet_key.as_bytes();
    let was_skipped = before
        .skipped
        .iter()
        .any(|k| k.ratchet_key[..] == key[..] && k.counter == msg.counter);
    let current = before
        .receiving
        .as_ref()
        .is_some_and(|r| r.ratchet_key[..] == key[..]);
    let (path, step) = if was_skipped {
        ("skipped", None)
    } else if current {
        ("current_chain", None)
    } else {
        let ours = key_pair(&before.ratchet_secret);
        let dh = ours.diffie_hellman(&msg.ratchet_key).expect("DH");
        let (root, chain) = RootKey::new(arr32(&before.root_key)).step(&dh);
        assert_eq!(root.as_bytes()[..], after.root_key[..]);
        ("new_chain", Some((*dh.as_bytes(), *chain.as_bytes())))
    };
    let stored: Vec<Value> = after
        .skipped
        .iter()
        .filter(|k| !before.skipped.contains(k))
        .map(|k| {
            json!({
                "ratchet_key": hex(&k.ratchet_key),
                "counter": k.counter,
                "message_seed": hex(&k.message_seed),
            })
        })
        .collect();
    json!({
        "plaintext": hex(plaintext),
        "path": path,
        "dh_output": hex_opt(step.as_ref().map(|(dh, _)| dh)),
        "receiving_chain_key": hex_opt(step.as_ref().map(|(_, ck)| ck)),
        "skipped_stored": stored,
        "state_after": ratchet_view(after),
    })
}

#[test]
fn replayed_conversation_rejects_a_changed_random_value() {
    // The checker really replays the recorded values: altering one salt changes the envelope.
    let mut file = generate();
    let event = &mut file["cases"][0]["events"][0];
    let mut salt = bytes(event, "salt");
    salt[0] ^= 1;
    event["salt"] = hex(&salt);
    let computed = run(&mut Tape::replay(), &file["cases"][0]);
    assert_ne!(
        computed["events"][0]["envelope"],
        file["cases"][0]["events"][0]["envelope"]
    );
}
