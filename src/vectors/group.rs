//! `groups.json`: Sender Keys (SPEC.md section 16). One scenario with every intermediate value
//! (sender key, distribution, each message's chain step, key, nonce, associated data, signed
//! bytes, signature and encoding, out-of-order delivery and the receiver's stored state), then
//! negative cases that decryption must reject with the stated error, leaving the state as it was.

use ed25519_dalek::SigningKey;
use prost::Message;
use rand_core::Rng;
use serde_json::{Value, json};

use super::{Tape, bytes, cases, file, hex, text};
use crate::group::chain::{SALT_LEN, SenderChainKey};
use crate::group::{
    GroupId, GroupReceiver, GroupSender, MAX_GROUP_SKIP, SenderKeyDistribution, SenderKeyMessage,
};
use crate::keys::{IdentityKey, IdentityKeyPair};
use crate::proto;

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 13;

const DESCRIPTION: &str = "Groups with Sender Keys (SPEC.md section 16). The scenario case gives \
    the random inputs (identity seeds of alice, the sender, bob, the receiver, and carol, a \
    member later removed; the group id; alice's key_id_random (4 bytes, little-endian u32), \
    chain_key_0 and signing_seed; each message's salt), alice's distribution (encoding and \
    padded plaintext), every message's chain step (chain_key -> seed, next_chain_key), message \
    key and nonce (HKDF-SHA256, salt, info \"crosswire/v1/group-message\", 44 bytes), 89-byte \
    associated data, ciphertext, signed bytes, Ed25519 signature and encoding, then bob's \
    delivery order with the plaintexts and bob's stored state before and after. A case with \
    `error` gives a receiver state, the sender identity and a message that decryption must \
    reject with that error (and leave the state unchanged).";

const PLAINTEXTS: [&str; 3] = ["hello group", "second", "third, delivered first"];
const ORDER: [usize; 3] = [2, 0, 1];

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let input = json!({"name": "alice sends three messages; bob receives them out of order"});
    let scenario = scenario(&mut tape, &input);
    let mut all = vec![scenario.clone()];
    all.extend(negatives(&mut tape, &scenario));
    file(DESCRIPTION, SEED, all)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let name = text(recorded, "name");
        if recorded.get("error").is_some() {
            let mut receiver = GroupReceiver::from_bytes(&bytes(recorded, "receiver_state"))
                .unwrap_or_else(|e| panic!("{name}: state: {e:?}"));
            let before = receiver.to_bytes();
            let sender = IdentityKey::from_slice(&bytes(recorded, "sender")).expect("sender");
            let got = SenderKeyMessage::from_bytes(&bytes(recorded, "message"))
                .and_then(|m| receiver.decrypt(&sender, &m));
            let err = got.expect_err(name);
            assert_eq!(err.code(), text(recorded, "error"), "{name}");
            assert_eq!(*receiver.to_bytes(), *before, "{name}: state changed");
        } else {
            let computed = scenario(&mut Tape::replay(), recorded);
            super::assert_same(&computed, recorded, name);
        }
    }
}

fn identity(tape: &mut Tape, input: &Value, key: &str) -> (IdentityKeyPair, Vec<u8>) {
    let (id, seed) = tape.draw_one(input, key, |t| {
        let mut seed = [0u8; 32];
        t.fill_bytes(&mut seed);
        IdentityKeyPair::from_seed(&seed)
    });
    (id, seed)
}

fn sender_state(s: &GroupSender) -> proto::GroupSenderState {
    proto::GroupSenderState::decode(&s.to_bytes()[..]).expect("own state decodes")
}

fn scenario(tape: &mut Tape, input: &Value) -> Value {
    let (alice, alice_seed) = identity(tape, input, "alice_seed");
    let (bob, bob_seed) = identity(tape, input, "bob_seed");
    let (carol, carol_seed) = identity(tape, input, "carol_seed");
    let (group, group_id) = tape.draw_one(input, "group_id", GroupId::random);
    let (mut sender, drawn) = tape.draw(
        input,
        &["key_id_random", "chain_key_0", "signing_seed"],
        |t| GroupSender::new(t, group, alice.public()),
    );
    let state = sender_state(&sender);
    let signing_public =
        SigningKey::from_bytes(&state.signing_seed.as_slice().try_into().expect("32"))
            .verifying_key()
            .to_bytes();
    let distribution = sender.distribution();

    let mut bob_receiver = GroupReceiver::new(group);
    let received = SenderKeyDistribution::from_plaintext(&distribution.to_plaintext())
        .expect("own distribution decodes");
    bob_receiver
        .process_distribution(alice.public(), &received)
        .expect("distribution accepted");
    let state_before = bob_receiver.to_bytes();

    let recorded_messages = input.get("messages").and_then(Value::as_array);
    let mut messages = Vec::new();
    let mut decoded = Vec::new();
    for (i, pt) in PLAINTEXTS.iter().enumerate() {
        let before = sender_state(&sender);
        let mut chain = SenderChainKey::new(before.chain_key.as_slice().try_into().expect("32"));
        let seed = chain.advance();
        let rec = recorded_messages.map_or(Value::Null, |m| m[i].clone());
        let (m, salt) = tape.draw_one(&rec, "salt", |t| sender.encrypt(t, pt.as_bytes()));
        let m = m.expect("encrypts");
        let salt: [u8; SALT_LEN] = salt.try_into().expect("16");
        let key = seed.message_key(&salt);
        let (k, nonce) = key.parts();
        let ad = SenderKeyMessage::associated_data(
            &group,
            alice.public(),
            m.key_id(),
            m.iteration(),
            &salt,
        );
        messages.push(json!({
            "plaintext": hex(pt.as_bytes()),
            "iteration": m.iteration(),
            "chain_key": hex(&before.chain_key),
            "seed": hex(seed.as_bytes()),
            "next_chain_key": hex(chain.as_bytes()),
            "salt": hex(salt),
            "key": hex(k),
            "nonce": hex(nonce),
            "associated_data": hex(ad),
            "ciphertext": hex(&m.ciphertext),
            "signed": hex(m.signed_message(alice.public())),
            "signature": hex(m.signature),
            "message": hex(m.as_bytes()),
        }));
        decoded.push(SenderKeyMessage::from_bytes(m.as_bytes()).expect("own message decodes"));
    }
    let deliveries: Vec<Value> = ORDER
        .iter()
        .map(|&i| {
            let pt = bob_receiver
                .decrypt(alice.public(), &decoded[i])
                .expect("genuine message decrypts");
            json!({"message": i, "plaintext": hex(pt)})
        })
        .collect();

    json!({
        "name": text(input, "name"),
        "alice_seed": hex(alice_seed),
        "alice_identity": hex(alice.public().as_bytes()),
        "bob_seed": hex(bob_seed),
        "bob_identity": hex(bob.public().as_bytes()),
        "carol_seed": hex(carol_seed),
        "carol_identity": hex(carol.public().as_bytes()),
        "group_id": hex(group_id),
        "key_id_random": hex(&drawn[0]),
        "key_id": state.key_id,
        "chain_key_0": hex(&drawn[1]),
        "signing_seed": hex(&drawn[2]),
        "signing_key": hex(signing_public),
        "distribution": hex(&*distribution.to_bytes()),
        "distribution_plaintext": hex(&*distribution.to_plaintext()),
        "receiver_state_before": hex(&*state_before),
        "messages": messages,
        "deliveries": deliveries,
        "receiver_state_after": hex(&*bob_receiver.to_bytes()),
    })
}

/// The negative cases, built from the scenario's recorded values (no further randomness except
/// carol's sender key).
fn negatives(tape: &mut Tape, scenario: &Value) -> Vec<Value> {
    let alice = IdentityKeyPair::from_seed(&super::bytes32(scenario, "alice_seed"));
    let carol = IdentityKeyPair::from_seed(&super::bytes32(scenario, "carol_seed"));
    let group = GroupId::from_bytes(super::bytes32(scenario, "group_id"));
    let before = bytes(scenario, "receiver_state_before");
    let after = bytes(scenario, "receiver_state_after");
    let first = bytes(&scenario["messages"][0], "message");
    let case = |name: &str, state: &[u8], sender: &IdentityKeyPair, message: &[u8], error: &str| {
        json!({
            "name": name,
            "receiver_state": hex(state),
            "sender": hex(sender.public().as_bytes()),
            "message": hex(message),
            "error": error,
        })
    };
    let mut out = Vec::new();

    let mut bad = first.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    out.push(case(
        "bad signature (last bit of the signature flipped)",
        &before,
        &alice,
        &bad,
        "group.bad_signature",
    ));
    let mut bad_ct = first.clone();
    // The first ciphertext byte: after version (2), group id (34), key id (up to 6), salt (18)
    // and the ciphertext key and length (2 or 3); found by position of the ciphertext itself.
    let ct = bytes(&scenario["messages"][0], "ciphertext");
    let at = first
        .windows(ct.len())
        .position(|w| w == ct)
        .expect("ciphertext inside");
    bad_ct[at] ^= 0x01;
    out.push(case(
        "ciphertext altered (signature no longer verifies)",
        &before,
        &alice,
        &bad_ct,
        "group.bad_signature",
    ));
    out.push(case(
        "replay of a delivered message",
        &after,
        &alice,
        &first,
        "group.duplicate",
    ));
    out.push(case(
        "claimed by another sender (carol)",
        &after,
        &carol,
        &first,
        "group.unknown_sender_key",
    ));

    // A validly signed message MAX_GROUP_SKIP + 1 positions past bob's next one: alice's state
    // moved forward without sending (no randomness needed for the chain steps).
    let next = PLAINTEXTS.len() as u32;
    let far = next + MAX_GROUP_SKIP + 1;
    let mut state =
        proto::GroupSenderState::decode(&after_sender_state(scenario)[..]).expect("state");
    let mut chain = SenderChainKey::new(state.chain_key.as_slice().try_into().expect("32"));
    for _ in next..far {
        chain.advance();
    }
    state.chain_key = chain.as_bytes().to_vec();
    state.iteration = far;
    let mut jumped = GroupSender::from_bytes(&state.encode_to_vec()).expect("loads");
    let rec = Value::Null;
    let (m, _) = tape.draw_one(&rec, "salt", |t| jumped.encrypt(t, b"too far"));
    let m = m.expect("encrypts");
    assert_eq!(m.iteration(), far);
    out.push(case(
        "jump of MAX_GROUP_SKIP + 1 past the next position (validly signed)",
        &after,
        &alice,
        m.as_bytes(),
        "group.too_far_ahead",
    ));

    // Carol was a member with her own sender key; bob forgot her when she was removed.
    let mut carol_sender = GroupSender::new(tape, group, carol.public());
    let mut bob = GroupReceiver::from_bytes(&after).expect("state loads");
    bob.process_distribution(carol.public(), &carol_sender.distribution())
        .expect("accepted");
    assert!(bob.forget_sender(carol.public()));
    let (m, _) = tape.draw_one(&rec, "salt", |t| carol_sender.encrypt(t, b"still here?"));
    let m = m.expect("encrypts");
    out.push(case(
        "message from a removed member's old key (carol forgotten)",
        &bob.to_bytes(),
        &carol,
        m.as_bytes(),
        "group.unknown_sender_key",
    ));
    out
}

/// Alice's sender state after the scenario's three messages, rebuilt from the recorded values.
fn after_sender_state(scenario: &Value) -> Vec<u8> {
    let last = &scenario["messages"][PLAINTEXTS.len() - 1];
    proto::GroupSenderState {
        version: 1,
        group_id: bytes(scenario, "group_id"),
        identity: bytes(scenario, "alice_identity"),
        key_id: super::uint(scenario, "key_id"),
        iteration: PLAINTEXTS.len() as u32,
        chain_key: bytes(last, "next_chain_key"),
        signing_seed: bytes(scenario, "signing_seed"),
    }
    .encode_to_vec()
}
