//! `pqxdh.json`: PQXDH session setup through the public [`Session`] API, with every random value
//! and every intermediate up to the first message's bytes, and the negative cases of issue 12
//! (SPEC.md 2.6, 6.3, 6.4, 15).

use prost::Message;
use serde_json::{Value, json};
use x25519_dalek::StaticSecret;

use super::{Tape, bytes, cases, error_code, file, hex, hex_opt, snapshot, text, uint, uint_opt};
use crate::bundle::PreKeyBundle;
use crate::kem::decapsulate;
use crate::kem_prekey::{KemPreKeyId, KemPreKeyKind, SignedKemPreKey, kem_prekey_message};
use crate::keys::{IdentityKeyPair, KeyPair, OneTimePreKey, OneTimePreKeyId, SignedPreKey};
use crate::keys::{SignedPreKeyId, signed_prekey_message};
use crate::proto;
use crate::ratchet::header::{self, Header};
use crate::ratchet::root_key::RootKey;
use crate::session::{PostQuantum, Session};
use crate::wire::Envelope;
use crate::{pqxdh, x3dh};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 15;

const DESCRIPTION: &str = "PQXDH session setup (SPEC.md 2.6, 4, 5.5, 6.3, 6.4, 15). Random \
    inputs, in the order drawn: identity seeds, signed prekey secret, one-time prekey secret \
    (if any), KEM prekey seed d || z (64 bytes), then Session::initiate's ephemeral_secret, \
    kem_m (ML-KEM encapsulation randomness) and initiator_ratchet_secret, then the first \
    message's salt. Derived: the version 2 bundle, KEM public key and signature (over the \
    1596-byte kem_prekey_message), KEM ciphertext and shared secret, DH1..DH4, IKM, info, SK, AD, \
    the initiator's first root step, message key, the 167-byte type-3 canonical header and the \
    exact first envelope. `negative` lists inputs that must fail with the given error code: \
    `respond` cases are envelopes given to the responder holding this case's prekeys (KEM prekey \
    included) under PostQuantum::Required, `bundle` cases are decoded, `initiate` cases are \
    bundles decoded and then initiated under PostQuantum::Required.";

pub(super) fn generate() -> Value {
    let mut tape = Tape::seeded(SEED);
    let inputs = [
        json!({"name": "one-time prekey and one-time KEM prekey", "signed_prekey_id": 1,
               "one_time_prekey_id": 7, "kem_prekey_id": 9, "kem_prekey_kind": 2,
               "context": hex("alice@example.org\nbob@example.net"),
               "plaintext": hex("Hello, post-quantum Bob.")}),
        json!({"name": "no one-time prekey, last-resort KEM prekey", "signed_prekey_id": 300,
               "one_time_prekey_id": null, "kem_prekey_id": 70000, "kem_prekey_kind": 1,
               "context": "", "plaintext": hex("hi")}),
    ];
    let cases = inputs.iter().map(|i| run(&mut tape, i)).collect();
    file(DESCRIPTION, SEED, cases)
}

pub(super) fn check(file: &Value) {
    for recorded in cases(file) {
        let computed = run(&mut Tape::replay(), recorded);
        super::assert_same(&computed, recorded, text(recorded, "name"));
    }
}

fn key_pair(secret: &[u8]) -> KeyPair {
    let secret: [u8; 32] = secret.try_into().expect("32-byte secret");
    KeyPair::from_secret(StaticSecret::from(secret))
}

fn run(tape: &mut Tape, input: &Value) -> Value {
    let spk_id = SignedPreKeyId(uint(input, "signed_prekey_id"));
    let opk_id = uint_opt(input, "one_time_prekey_id").map(OneTimePreKeyId);
    let kem_id = KemPreKeyId(uint(input, "kem_prekey_id"));
    let kind = KemPreKeyKind::from_byte(uint(input, "kem_prekey_kind") as u8).expect("kind");
    let context = bytes(input, "context");
    let plaintext = bytes(input, "plaintext");

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
    let (kem, kem_seed) = tape.draw_one(input, "kem_prekey_seed", |t| {
        SignedKemPreKey::generate(t, &bob_id, kem_id, kind)
    });
    let bundle = PreKeyBundle::new_pq(&bob_id, &spk, opk.as_ref(), &kem).expect("own bundle");
    let bundle_bytes = bundle.to_bytes();
    let decoded = PreKeyBundle::from_bytes(&bundle_bytes).expect("own bundle decodes");

    let (alice, drawn) = tape.draw(
        input,
        &["ephemeral_secret", "kem_m", "initiator_ratchet_secret"],
        |t| Session::initiate(t, &alice_id, &decoded, &context),
    );
    let mut alice = alice.expect("initiate");
    let [ephemeral_secret, kem_m, ratchet_secret] =
        <[Vec<u8>; 3]>::try_from(drawn).expect("three draws");
    let (envelope, salt) = tape.draw_one(input, "salt", |t| alice.encrypt(t, &plaintext));
    let envelope = envelope.expect("encrypt");
    let envelope_bytes = envelope.to_bytes();
    let Envelope::PreKey(first) = &envelope else {
        panic!("the first message is a prekey message")
    };
    let ct = first.kem_ciphertext.as_ref().expect("PQXDH carries CT");

    // Every intermediate, recomputed from the parts (SPEC 15.4).
    let ephemeral = key_pair(&ephemeral_secret);
    assert_eq!(ephemeral.public(), first.base_key());
    let ss = decapsulate(kem.key_pair(), ct);
    let spk_pub = spk.public();
    let dh1 = alice_id.diffie_hellman(spk_pub).expect("DH1");
    let dh2 = ephemeral
        .diffie_hellman(bob_id.public().x25519())
        .expect("DH2");
    let dh3 = ephemeral.diffie_hellman(spk_pub).expect("DH3");
    let dh4 = opk
        .as_ref()
        .map(|k| ephemeral.diffie_hellman(k.public()).expect("DH4"));
    let ikm = pqxdh::input_key_material(&dh1, &dh2, &dh3, dh4.as_ref(), &ss);
    let info = pqxdh::info(kem.public(), ct);
    let sk = pqxdh::derive_shared_secret(&dh1, &dh2, &dh3, dh4.as_ref(), &ss, kem.public(), ct);
    // The classical SK from the same DH outputs differs: SS takes part.
    assert_ne!(
        x3dh::initiate_with(&alice_id, &ephemeral, &decoded).map(|k| *k.as_bytes()),
        Ok(*sk.as_bytes())
    );

    let ratchet = key_pair(&ratchet_secret);
    let initiator_dh = ratchet.diffie_hellman(spk_pub).expect("initiator DH");
    let (root, mut chain) = RootKey::new(*sk.as_bytes()).step(&initiator_dh);
    let chain_key = *chain.as_bytes();
    let seed = chain.advance();
    let salt16: [u8; 16] = salt.as_slice().try_into().expect("16-byte salt");
    let message_key = seed.message_key(&salt16);
    let (key, nonce) = message_key.parts();
    let msg = &first.message;
    let head = Header {
        ratchet_key: msg.ratchet_key,
        previous_counter: msg.previous_counter,
        counter: msg.counter,
        salt: msg.salt,
    };
    let canonical = header::associated_data(&head, Some(&first.fields), &[]);
    assert_eq!(canonical.len(), header::PQ_PREKEY_HEADER_LEN);
    let ad = snapshot(&alice).associated_data;
    assert_eq!(snapshot(&alice).root_key[..], root.as_bytes()[..]);

    // The responder accepts the genuine message.
    let respond = |bytes: &[u8]| -> Result<Vec<u8>, crate::Error> {
        let Envelope::PreKey(m) = Envelope::from_bytes(bytes)? else {
            panic!("prekey message")
        };
        Session::respond_with(
            &bob_id,
            &spk,
            opk.as_ref(),
            Some(&kem),
            &m,
            &context,
            PostQuantum::Required,
        )
        .map(|(_, pt)| pt)
    };
    assert_eq!(respond(&envelope_bytes), Ok(plaintext.clone()));

    // Negative cases.
    let mut tampered = envelope_bytes.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let mut wrong_id = proto::Envelope::decode(&envelope_bytes[..]).expect("decode");
    if let Some(proto::envelope::Body::Prekey(p)) = &mut wrong_id.body {
        p.kem_prekey_id = Some(kem_id.0.wrapping_add(1));
    }
    let wrong_id = wrong_id.encode_to_vec();
    let mut bad_sig = bundle_bytes.clone();
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 0x01;
    let classical = PreKeyBundle::new(&bob_id, &spk, opk.as_ref())
        .expect("classical bundle")
        .to_bytes();
    let classical_error = {
        let b = PreKeyBundle::from_bytes(&classical).expect("v1 decodes");
        let mut rng = Tape::seeded(0);
        error_code(&Session::initiate(&mut rng, &alice_id, &b, &context).expect_err("refused"))
    };
    let code = |r: Result<Vec<u8>, crate::Error>| error_code(&r.expect_err("must fail"));
    let negative = vec![
        json!({"name": "tampered KEM ciphertext (last byte flipped)", "operation": "respond",
               "input": hex(&tampered), "error": code(respond(&tampered))}),
        json!({"name": "wrong KEM prekey id", "operation": "respond",
               "input": hex(&wrong_id), "error": code(respond(&wrong_id))}),
        json!({"name": "bad KEM prekey signature (last byte flipped)", "operation": "bundle",
               "input": hex(&bad_sig),
               "error": error_code(&PreKeyBundle::from_bytes(&bad_sig).expect_err("bad").into())}),
        json!({"name": "classical bundle under PostQuantum::Required", "operation": "initiate",
               "input": hex(&classical),
               "error": classical_error}),
    ];

    let inputs = json!({
        "name": input["name"],
        "signed_prekey_id": spk_id.0,
        "one_time_prekey_id": opk_id.map(|id| id.0),
        "kem_prekey_id": kem_id.0,
        "kem_prekey_kind": kind.to_byte(),
        "context": hex(&context),
        "plaintext": hex(&plaintext),
        "alice_identity_seed": hex(&alice_seed),
        "alice_identity_key": hex(alice_id.public().as_bytes()),
        "bob_identity_seed": hex(&bob_seed),
        "bob_identity_key": hex(bob_id.public().as_bytes()),
        "signed_prekey_secret": hex(&spk_secret),
        "signed_prekey_public": hex(spk_pub.as_bytes()),
        "signed_prekey_signature": hex(spk.signature()),
        "signed_prekey_message": hex(signed_prekey_message(spk_id, spk_pub)),
        "one_time_prekey_secret": hex_opt(opk_secret),
        "one_time_prekey_public": hex_opt(opk.as_ref().map(|k| k.public().as_bytes())),
        "kem_prekey_seed": hex(&kem_seed),
        "kem_prekey_public": hex(kem.public().as_bytes()),
        "kem_prekey_message": hex(&kem_prekey_message(kind, kem_id, kem.public())[..]),
        "kem_prekey_signature": hex(kem.signature()),
        "bundle": hex(&bundle_bytes),
    });
    let derived = json!({
        "ephemeral_secret": hex(&ephemeral_secret),
        "ephemeral_public": hex(ephemeral.public().as_bytes()),
        "kem_m": hex(&kem_m),
        "kem_ciphertext": hex(ct.as_bytes()),
        "kem_shared_secret": hex(ss.as_bytes()),
        "dh1": hex(dh1.as_bytes()),
        "dh2": hex(dh2.as_bytes()),
        "dh3": hex(dh3.as_bytes()),
        "dh4": hex_opt(dh4.as_ref().map(|d| d.as_bytes())),
        "ikm": hex(&ikm[..]),
        "info": hex(info),
        "sk": hex(sk.as_bytes()),
        "ad": hex(&ad),
        "initiator_ratchet_secret": hex(&ratchet_secret),
        "initiator_ratchet_public": hex(ratchet.public().as_bytes()),
        "initiator_dh_output": hex(initiator_dh.as_bytes()),
        "root_key": hex(root.as_bytes()),
        "chain_key": hex(chain_key),
        "message_seed": hex(seed.as_bytes()),
        "salt": hex(&salt),
        "message_key": hex(key),
        "nonce": hex(nonce),
        "header": hex(&canonical),
        "ciphertext": hex(&msg.ciphertext),
        "envelope": hex(&envelope_bytes),
        "negative": negative,
    });
    super::merge(inputs, derived)
}
