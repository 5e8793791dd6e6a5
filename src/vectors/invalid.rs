//! `invalid.json`: inputs crosswire MUST reject, each with the error it returns (SPEC.md
//! sections 2, 5.7, 6 and 8).

use prost::Message;
use serde_json::{Value, json};

use super::{Tape, bytes, cases, file, hex, merge, text};
use crate::bundle::PreKeyBundle;
use crate::error::Error;
use crate::keys::{
    IdentityKey, IdentityKeyPair, KeyPair, OneTimePreKey, OneTimePreKeyId, PublicKey, SignedPreKey,
    SignedPreKeyId,
};
use crate::proto::{self, envelope::Body};
use crate::session::Session;
use crate::wire::{Envelope, MAX_ENVELOPE_LEN};

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
    kem_bundles(&mut out, &f, &mut rng);
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

fn keys(out: &mut Cases, rng: &mut Tape) {
    for (what, u) in LOW_ORDER {
        let name = format!("X25519 key of low order ({what})");
        out.add_input(&name, "public_key", &unhex(u), "key.low_order");
    }
    let genuine = *KeyPair::generate(rng).public().as_bytes();
    let mut high_bit = genuine;
    high_bit[31] |= 0x80;
    let mut p_plus_9 = unhex(U_P);
    p_plus_9[0] += 9;
    let non_canonical: [(&str, Vec<u8>); 4] = [
        ("u = p, non-canonical encoding of 0", unhex(U_P)),
        (
            "u = p + 9, non-canonical encoding of the base point",
            p_plus_9,
        ),
        ("u = 2^255 - 1", [[0xff; 31].as_slice(), &[0x7f]].concat()),
        ("genuine key with bit 255 set", high_bit.to_vec()),
    ];
    for (name, key) in non_canonical {
        out.add_input(
            &format!("X25519 key {name}"),
            "public_key",
            &key,
            "key.non_canonical",
        );
    }
    out.add_input(
        "X25519 key of 31 bytes",
        "public_key",
        &genuine[..31],
        "key.invalid_length",
    );
    let long = [genuine.as_slice(), &[0]].concat();
    out.add_input(
        "X25519 key of 33 bytes",
        "public_key",
        &long,
        "key.invalid_length",
    );

    let id = "identity_key";
    out.add_input(
        "Ed25519 neutral element (0, 1)",
        id,
        &unhex(ED_NEUTRAL),
        "key.low_order",
    );
    out.add_input(
        "Ed25519 point of order 8",
        id,
        &unhex(ED_ORDER_8),
        "key.low_order",
    );
    let minus_one = unhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    out.add_input(
        "Ed25519 point (0, -1) of order 2",
        id,
        &minus_one,
        "key.low_order",
    );
    let mut y2 = [0u8; 32];
    y2[0] = 2;
    out.add_input(
        "Ed25519 y = 2, not on the curve",
        id,
        &y2,
        "key.non_canonical",
    );
    let mut y3_plus_p = unhex(U_P);
    y3_plus_p[0] += 3;
    out.add_input(
        "Ed25519 y = p + 3, non-canonical",
        id,
        &y3_plus_p,
        "key.non_canonical",
    );
    let mut negative_zero = unhex(ED_NEUTRAL);
    negative_zero[31] |= 0x80;
    out.add_input(
        "Ed25519 x = 0 with the sign bit set",
        id,
        &negative_zero,
        "key.non_canonical",
    );
    let alice = IdentityKeyPair::generate(rng);
    out.add_input(
        "Ed25519 key of 31 bytes",
        id,
        &alice.public().as_bytes()[..31],
        "key.invalid_length",
    );
    // The same key plus each non-zero torsion point: the same X25519 DH as the key itself, but
    // outside the prime-order subgroup (SPEC 2.1).
    for k in 1..8u8 {
        out.add_input(
            &format!("Ed25519 genuine key plus {k} x (a point of order 8)"),
            id,
            &torsioned(alice.public().as_bytes(), k),
            "key.low_order",
        );
    }
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

/// Genuine parties, messages and states to derive the negative cases from.
struct Fixture {
    bob_seed: [u8; 32],
    spk: SignedPreKey,
    opk: OneTimePreKey,
    context: Vec<u8>,
    bundle: Vec<u8>,
    /// Alice's first and second messages (prekey messages).
    m0: Envelope,
    m1: Envelope,
    /// Alice after sending m0 and m1, awaiting a reply.
    alice_waiting: Vec<u8>,
    /// Bob right after accepting m0.
    bob_after_m0: Vec<u8>,
    /// Bob's replies r0, r1 (first chain).
    r0: Envelope,
    r1: Envelope,
    /// Alice after r1 then r0 (r0 from the skipped store).
    alice_after_r: Vec<u8>,
    /// Alice's first ratchet message a0 (new chain, PN = 2) and her state after sending it.
    a0: Envelope,
    alice_sent_a0: Vec<u8>,
    /// Alice after receiving Bob's second chain.
    alice_later: Vec<u8>,
    /// Genuine messages on Bob's first chain at counters 2001 and 2003.
    r2001: Envelope,
    r2003: Envelope,
    /// A genuine message from Bob whose PN is 2004.
    b_far: Envelope,
    /// The first message of an unrelated session to Bob.
    other_m0: Envelope,
}

impl Fixture {
    fn new(rng: &mut Tape) -> Self {
        let alice_id = IdentityKeyPair::generate(rng);
        let bob_id = IdentityKeyPair::generate(rng);
        let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
        let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(2));
        let context = b"alice@example.org\nbob@example.net".to_vec();
        let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).expect("bundle");
        let mut alice = Session::initiate_with(
            rng,
            &alice_id,
            &bundle,
            &context,
            crate::PostQuantum::Allowed,
        )
        .expect("initiate");
        let m0 = alice.encrypt(rng, b"m0").expect("m0");
        let m1 = alice.encrypt(rng, b"m1").expect("m1");
        let alice_waiting = alice.to_bytes_v1().to_vec();
        let Envelope::PreKey(first) = &m0 else {
            panic!("prekey message")
        };
        let (mut bob, _) =
            Session::respond(&bob_id, &spk, Some(&opk), first, &context).expect("respond");
        let bob_after_m0 = bob.to_bytes_v1().to_vec();
        bob.decrypt(&m1).expect("m1");
        let r0 = bob.encrypt(rng, b"r0").expect("r0");
        let r1 = bob.encrypt(rng, b"r1").expect("r1");
        alice.decrypt(&r1).expect("r1");
        alice.decrypt(&r0).expect("r0");
        let alice_after_r = alice.to_bytes_v1().to_vec();
        let a0 = alice.encrypt(rng, b"a0").expect("a0");
        let alice_sent_a0 = alice.to_bytes_v1().to_vec();

        // Bob's first chain continued far ahead, on a copy.
        let mut far = bob.clone();
        let mut last = Vec::new();
        for _ in 2..=2003 {
            last.push(far.encrypt(rng, b"far ahead").expect("far"));
        }
        let r2003 = last.pop().expect("r2003");
        let r2001 = last.swap_remove(2001 - 2);
        far.decrypt(&a0).expect("a0");
        let b_far = far.encrypt(rng, b"PN far ahead").expect("b_far");

        bob.decrypt(&a0).expect("a0");
        let b0 = bob.encrypt(rng, b"b0").expect("b0");
        alice.decrypt(&b0).expect("b0");
        let alice_later = alice.to_bytes_v1().to_vec();

        let mallory = IdentityKeyPair::generate(rng);
        let mut other = Session::initiate_with(
            rng,
            &mallory,
            &bundle,
            &context,
            crate::PostQuantum::Allowed,
        )
        .expect("other");
        let other_m0 = other.encrypt(rng, b"other").expect("other m0");
        Fixture {
            bob_seed: *bob_id.to_seed(),
            spk,
            opk,
            context,
            bundle: bundle.to_bytes(),
            m0,
            m1,
            alice_waiting,
            bob_after_m0,
            r0,
            r1,
            alice_after_r,
            a0,
            alice_sent_a0,
            alice_later,
            r2001,
            r2003,
            b_far,
            other_m0,
        }
    }
}

fn bundles(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
    let change_bundle = |change: &dyn Fn(&mut proto::PreKeyBundle)| {
        let mut b = proto::PreKeyBundle::decode(&f.bundle[..]).expect("own bundle");
        change(&mut b);
        b.encode_to_vec()
    };
    let other = IdentityKeyPair::generate(rng);
    let other_key = *KeyPair::generate(rng).public();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bundle: one bit of the signature flipped",
            change_bundle(&|b| b.signed_prekey_signature[10] ^= 0x04),
            "bundle.bad_signature",
        ),
        (
            "bundle: identity key replaced by another genuine one",
            change_bundle(&|b| b.identity_key = other.public().as_bytes().to_vec()),
            "bundle.bad_signature",
        ),
        (
            "bundle: signed prekey id changed (the signature covers it)",
            change_bundle(&|b| b.signed_prekey_id += 1),
            "bundle.bad_signature",
        ),
        (
            "bundle: signed prekey replaced by another genuine key",
            change_bundle(&|b| b.signed_prekey = other_key.as_bytes().to_vec()),
            "bundle.bad_signature",
        ),
        (
            "bundle: signature S replaced by S + L (non-canonical scalar)",
            change_bundle(&|b| add_group_order(&mut b.signed_prekey_signature[32..])),
            "bundle.bad_signature",
        ),
        (
            "bundle: signed prekey of low order (u = 0)",
            change_bundle(&|b| b.signed_prekey = vec![0; 32]),
            "bundle.key.low_order",
        ),
        (
            "bundle: one-time prekey of low order (order 8)",
            change_bundle(&|b| {
                if let Some(k) = &mut b.one_time_prekey {
                    k.public_key = unhex(LOW_ORDER[2].1);
                }
            }),
            "bundle.key.low_order",
        ),
        (
            "bundle: identity key of small order",
            change_bundle(&|b| b.identity_key = unhex(ED_ORDER_8)),
            "bundle.key.low_order",
        ),
        (
            "bundle: identity key with a small-order component (key plus a point of order 8)",
            change_bundle(&|b| b.identity_key = torsioned(&b.identity_key, 1).to_vec()),
            "bundle.key.low_order",
        ),
        (
            "bundle: signed prekey non-canonical (u = p)",
            change_bundle(&|b| b.signed_prekey = unhex(U_P)),
            "bundle.key.non_canonical",
        ),
        (
            "bundle: signed prekey of 33 bytes",
            change_bundle(&|b| b.signed_prekey.push(0)),
            "bundle.key.invalid_length",
        ),
        (
            "bundle: signature of 65 bytes",
            change_bundle(&|b| b.signed_prekey_signature.push(0)),
            "bundle.malformed",
        ),
        (
            "bundle: unknown version 3",
            change_bundle(&|b| b.version = 3),
            "bundle.unsupported_version",
        ),
        (
            "bundle: version 2 without a KEM prekey",
            change_bundle(&|b| b.version = 2),
            "bundle.malformed",
        ),
        (
            "bundle: version absent (0)",
            change_bundle(&|b| b.version = 0),
            "bundle.unsupported_version",
        ),
        (
            "bundle: a trailing zero byte",
            [f.bundle.as_slice(), &[0]].concat(),
            "bundle.malformed",
        ),
        (
            "bundle: an unknown field 15 (varint 1) appended",
            [f.bundle.as_slice(), &[0x78, 0x01]].concat(),
            "bundle.malformed",
        ),
        (
            "bundle: 2049 bytes, over MAX_BUNDLE_LEN (an unknown bytes field pads it)",
            pad_to(&f.bundle, crate::MAX_BUNDLE_LEN + 1),
            "bundle.malformed",
        ),
    ];
    for (name, input, error) in cases {
        out.add_input(name, "bundle", &input, error);
    }
}

/// Version 2 bundles whose KEM prekey (SPEC 2.6, 15.3) must be refused.
fn kem_bundles(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
    use crate::kem_prekey::{KemPreKeyId, KemPreKeyKind, SignedKemPreKey};
    let bob_id = IdentityKeyPair::from_seed(&f.bob_seed);
    let kem = SignedKemPreKey::generate(rng, &bob_id, KemPreKeyId(3), KemPreKeyKind::OneTime);
    let genuine =
        PreKeyBundle::new_pq(&bob_id, &f.spk, Some(&f.opk), &kem).expect("version 2 bundle");
    let other = IdentityKeyPair::generate(rng);
    let foreign = SignedKemPreKey::generate(rng, &other, KemPreKeyId(3), KemPreKeyKind::OneTime);
    let change_kem = |change: &dyn Fn(&mut proto::pre_key_bundle::KemPreKey)| {
        let mut b = proto::PreKeyBundle::decode(&genuine.to_bytes()[..]).expect("own bundle");
        let k = b.kem_prekey.as_mut().expect("kem prekey");
        change(k);
        b.encode_to_vec()
    };
    let spk_signature = f.spk.signature().to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bundle v2: one bit of the KEM prekey signature flipped",
            change_kem(&|k| k.signature[20] ^= 0x10),
            "bundle.bad_signature",
        ),
        (
            "bundle v2: KEM prekey kind changed to last resort (the signature covers it)",
            change_kem(&|k| k.kind = 1),
            "bundle.bad_signature",
        ),
        (
            "bundle v2: KEM prekey id changed (the signature covers it)",
            change_kem(&|k| k.id += 1),
            "bundle.bad_signature",
        ),
        (
            "bundle v2: KEM prekey signed by another identity key",
            change_kem(&|k| {
                k.public_key = foreign.public().as_bytes().to_vec();
                k.signature = foreign.signature().to_vec();
            }),
            "bundle.bad_signature",
        ),
        (
            "bundle v2: the signed prekey's signature in place of the KEM prekey's",
            change_kem(&|k| k.signature = spk_signature.clone()),
            "bundle.bad_signature",
        ),
        (
            "bundle v2: KEM prekey signature S replaced by S + L (non-canonical scalar)",
            change_kem(&|k| add_group_order(&mut k.signature[32..])),
            "bundle.bad_signature",
        ),
        (
            "bundle v2: KEM prekey kind 3",
            change_kem(&|k| k.kind = 3),
            "bundle.kem.unknown_kind",
        ),
        (
            "bundle v2: KEM prekey kind absent (0)",
            change_kem(&|k| k.kind = 0),
            "bundle.kem.unknown_kind",
        ),
        (
            "bundle v2: KEM public key of 1567 bytes",
            change_kem(&|k| {
                k.public_key.pop();
            }),
            "bundle.kem.invalid_length",
        ),
        (
            "bundle v2: KEM public key whose first coefficient is 4095 (not below q = 3329)",
            change_kem(&|k| {
                k.public_key[0] = 0xff;
                k.public_key[1] |= 0x0f;
            }),
            "bundle.kem.invalid_public_key",
        ),
        (
            "bundle v2: KEM prekey signature of 63 bytes",
            change_kem(&|k| {
                k.signature.pop();
            }),
            "bundle.malformed",
        ),
        (
            "bundle: a KEM prekey in a version 1 bundle",
            {
                let mut b =
                    proto::PreKeyBundle::decode(&genuine.to_bytes()[..]).expect("own bundle");
                b.version = 1;
                b.encode_to_vec()
            },
            "bundle.malformed",
        ),
    ];
    for (name, input, error) in cases {
        out.add_input(name, "bundle", &input, error);
    }
}

/// Appends an unknown length-delimited field 15 so that the whole is `len` bytes.
fn pad_to(bytes: &[u8], len: usize) -> Vec<u8> {
    let room = len - bytes.len() - 3; // tag (1) + two-byte length prefix
    assert!((128..16384).contains(&room));
    let mut out = bytes.to_vec();
    out.extend_from_slice(&[0x7a, (room as u8 & 0x7f) | 0x80, (room >> 7) as u8]);
    out.resize(len, 0xaa);
    out
}

/// Adds the Ed25519 group order L to a 32-byte little-endian scalar in place.
fn add_group_order(s: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(L) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
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

fn envelopes(out: &mut Cases, f: &Fixture) {
    let r0 = f.r0.to_bytes();
    let mut long_varint = vec![0x08, 0x81, 0x00];
    long_varint.extend_from_slice(&r0[2..]);
    // r0 is the first message of its chain: counter 0 is omitted, so inserting an explicit
    // `counter = 0` (tag 0x18) right after the version keeps the fields' values.
    let mut explicit_zero = r0[..2].to_vec();
    let body = proto::Envelope::decode(&r0[..]).expect("r0");
    let Some(Body::Ratchet(m)) = body.body else {
        panic!("ratchet message")
    };
    assert_eq!(m.counter, 0);
    let mut nested = m.encode_to_vec();
    nested.extend_from_slice(&[0x18, 0x00]);
    explicit_zero.push(0x1a);
    explicit_zero.push(u8::try_from(nested.len()).expect("short"));
    explicit_zero.extend_from_slice(&nested);
    let mut nested_unknown = m.encode_to_vec();
    nested_unknown.extend_from_slice(&[0x78, 0x01]);
    let mut with_nested_unknown = r0[..2].to_vec();
    with_nested_unknown.push(0x1a);
    with_nested_unknown.push(u8::try_from(nested_unknown.len()).expect("short"));
    with_nested_unknown.extend_from_slice(&nested_unknown);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "envelope: a trailing zero byte",
            [r0.as_slice(), &[0]].concat(),
            "wire.malformed",
        ),
        (
            "envelope: an unknown field 15 (varint 1) appended",
            [r0.as_slice(), &[0x78, 0x01]].concat(),
            "wire.malformed",
        ),
        (
            "envelope: an unknown field inside the ratchet message",
            with_nested_unknown,
            "wire.malformed",
        ),
        (
            "envelope: the version field repeated",
            [r0.as_slice(), &[0x08, 0x01]].concat(),
            "wire.malformed",
        ),
        (
            "envelope: version as a non-minimal varint (81 00)",
            long_varint,
            "wire.malformed",
        ),
        (
            "envelope: the same fields out of order (body before version)",
            [&r0[2..], &r0[..2]].concat(),
            "wire.malformed",
        ),
        (
            "envelope: version 2^32 + 1 as a five-byte varint (truncates to 1)",
            [&[0x08, 0x81, 0x80, 0x80, 0x80, 0x10][..], &r0[2..]].concat(),
            "wire.malformed",
        ),
        (
            "envelope: counter 0 written explicitly",
            explicit_zero,
            "wire.malformed",
        ),
        (
            "envelope: unknown version 3",
            edit(&f.r0, |e| e.version = 3),
            "wire.unsupported_version",
        ),
        (
            "envelope: a ratchet message as version 2 (kept for PQXDH prekey messages)",
            edit(&f.r0, |e| e.version = 2),
            "wire.malformed",
        ),
        (
            "envelope: version absent (0)",
            edit(&f.r0, |e| e.version = 0),
            "wire.unsupported_version",
        ),
        (
            "envelope: empty input",
            Vec::new(),
            "wire.unsupported_version",
        ),
        (
            "envelope: no body",
            edit(&f.r0, |e| e.body = None),
            "wire.malformed",
        ),
        (
            "envelope: prekey message without its ratchet message",
            edit(&f.m0, |e| prekey(e).message = None),
            "wire.malformed",
        ),
        (
            "envelope: ciphertext of 15 bytes (shorter than a tag)",
            edit(&f.r0, |e| inner(e).ciphertext.truncate(15)),
            "wire.malformed",
        ),
        (
            "envelope: salt of 17 bytes",
            edit(&f.r0, |e| inner(e).salt.push(0)),
            "wire.malformed",
        ),
        (
            "envelope: salt of 15 bytes",
            edit(&f.r0, |e| {
                inner(e).salt.pop();
            }),
            "wire.malformed",
        ),
        (
            "envelope: ratchet key of 33 bytes",
            edit(&f.r0, |e| inner(e).ratchet_key.push(0)),
            "wire.key.invalid_length",
        ),
        (
            "envelope: ratchet key of low order (order 8)",
            edit(&f.r0, |e| inner(e).ratchet_key = unhex(LOW_ORDER[3].1)),
            "wire.key.low_order",
        ),
        (
            "envelope: ratchet key non-canonical (u = p)",
            edit(&f.r0, |e| inner(e).ratchet_key = unhex(U_P)),
            "wire.key.non_canonical",
        ),
        (
            "envelope: base key of low order (u = 1)",
            edit(&f.m0, |e| prekey(e).base_key = unhex(LOW_ORDER[1].1)),
            "wire.key.low_order",
        ),
        (
            "envelope: identity key of small order in a prekey message",
            edit(&f.m0, |e| prekey(e).identity_key = unhex(ED_ORDER_8)),
            "wire.key.low_order",
        ),
        (
            "envelope: identity key with a small-order component in a prekey message",
            edit(&f.m0, |e| {
                prekey(e).identity_key = torsioned(&prekey(e).identity_key, 4).to_vec();
            }),
            "wire.key.low_order",
        ),
        (
            "envelope: identity key not on the curve in a prekey message",
            edit(&f.m0, |e| {
                let mut y2 = vec![0u8; 32];
                y2[0] = 2;
                prekey(e).identity_key = y2;
            }),
            "wire.key.non_canonical",
        ),
    ];
    for (name, input, error) in cases {
        out.add_input(name, "envelope", &input, error);
    }
    let too_large = MAX_ENVELOPE_LEN + 1;
    out.add(
        "envelope: MAX_ENVELOPE_LEN + 1 bytes",
        "envelope",
        json!({"input_length": too_large, "input_byte": "00"}),
        "wire.too_large",
    );
}

fn decryption(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
    let mut add = |name: &str, state: &[u8], envelope: Vec<u8>, error: &str| {
        let inputs = json!({"state": hex(state), "envelope": hex(envelope)});
        out.add(name, "decrypt", inputs, error);
    };
    let auth = "decrypt.authentication_failed";
    let waiting = &f.alice_waiting;
    add(
        "tag: last byte flipped",
        waiting,
        edit(&f.r0, |e| {
            if let Some(b) = inner(e).ciphertext.last_mut() {
                *b ^= 0x01;
            }
        }),
        auth,
    );
    add(
        "ciphertext: first byte flipped",
        waiting,
        edit(&f.r0, |e| inner(e).ciphertext[0] ^= 0x80),
        auth,
    );
    add(
        "header: salt changed",
        waiting,
        edit(&f.r0, |e| inner(e).salt[3] ^= 0x10),
        auth,
    );
    add(
        "header: counter changed from 0 to 1 (r1's position, r0's ciphertext)",
        waiting,
        edit(&f.r0, |e| inner(e).counter = 1),
        auth,
    );
    add(
        "header: previous counter changed",
        waiting,
        edit(&f.r0, |e| inner(e).previous_counter = 1),
        auth,
    );
    let stranger = *KeyPair::generate(rng).public();
    add(
        "header: ratchet key replaced by another genuine key",
        waiting,
        edit(&f.r0, |e| {
            inner(e).ratchet_key = stranger.as_bytes().to_vec()
        }),
        auth,
    );

    let dup = "decrypt.duplicate_or_expired";
    add(
        "replay of a message of the current receiving chain",
        &f.alice_after_r,
        f.r1.to_bytes(),
        dup,
    );
    add(
        "replay of a message first decrypted from the skipped store",
        &f.alice_after_r,
        f.r0.to_bytes(),
        dup,
    );
    add(
        "replay of a message of an earlier receiving chain",
        &f.alice_later,
        f.r1.to_bytes(),
        auth,
    );

    let far = "decrypt.too_far_ahead";
    add(
        "skip past the bound within the current chain (counter 2003 when 2 is next)",
        &f.alice_after_r,
        f.r2003.to_bytes(),
        far,
    );
    add(
        "skip past the bound on a new chain (counter 2001)",
        waiting,
        f.r2001.to_bytes(),
        far,
    );
    add(
        "skip past the bound on the old chain (PN 2004 when 2 is next)",
        &f.alice_sent_a0,
        f.b_far.to_bytes(),
        far,
    );

    add(
        "prekey message to the initiator",
        waiting,
        f.m0.to_bytes(),
        "decrypt.unexpected_message_type",
    );
    add(
        "prekey message of another session to the responder",
        &f.bob_after_m0,
        f.other_m0.to_bytes(),
        "decrypt.session_mismatch",
    );
    let Envelope::PreKey(m1) = &f.m1 else {
        panic!("prekey message")
    };
    add(
        "the ratchet message of a prekey message sent as a plain ratchet message",
        &f.bob_after_m0,
        Envelope::Ratchet(m1.message.clone()).to_bytes(),
        auth,
    );
    let Envelope::Ratchet(a0) = &f.a0 else {
        panic!("ratchet message")
    };
    let disguised = crate::wire::PreKeyMessage {
        fields: m1.fields,
        kem_ciphertext: None,
        message: a0.clone(),
    };
    add(
        "a plain ratchet message wrapped in the session's prekey header",
        &f.bob_after_m0,
        Envelope::PreKey(Box::new(disguised)).to_bytes(),
        auth,
    );
    let Envelope::PreKey(other) = &f.other_m0 else {
        panic!("prekey message")
    };
    add(
        "a ratchet message of another session",
        &f.bob_after_m0,
        Envelope::Ratchet(other.message.clone()).to_bytes(),
        auth,
    );
}

fn responding(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
    let base = json!({
        "identity_seed": hex(f.bob_seed),
        "signed_prekey": hex(&f.spk.to_bytes()[..]),
        "one_time_prekey": hex(&f.opk.to_bytes()[..]),
        "context": hex(&f.context),
        "envelope": hex(f.m0.to_bytes()),
    });
    let mut add = |name: &str, change: Value, error: &str| {
        out.add(name, "respond", merge(base.clone(), change), error);
    };
    let auth = "decrypt.authentication_failed";
    add(
        "one-time prekey named but not supplied",
        json!({"one_time_prekey": null}),
        "decrypt.session_mismatch",
    );
    let bob = IdentityKeyPair::from_seed(&f.bob_seed);
    let spk9 = SignedPreKey::generate(rng, &bob, SignedPreKeyId(9));
    add(
        "signed prekey with another id supplied",
        json!({"signed_prekey": hex(&spk9.to_bytes()[..])}),
        "decrypt.session_mismatch",
    );
    let stranger = *KeyPair::generate(rng).public();
    add(
        "base key replaced by another genuine key",
        json!({"envelope": hex(edit(&f.m0, |e| prekey(e).base_key =
            stranger.as_bytes().to_vec()))}),
        auth,
    );
    let mallory = IdentityKeyPair::generate(rng);
    add(
        "initiator identity key replaced by another genuine one",
        json!({"envelope": hex(edit(&f.m0, |e| prekey(e).identity_key =
            mallory.public().as_bytes().to_vec()))}),
        auth,
    );
    add(
        "responder uses another application context",
        json!({"context": hex(b"other")}),
        auth,
    );
    add(
        "tag flipped",
        json!({"envelope": hex(edit(&f.m0, |e| inner(e).ciphertext[2] ^= 0x01))}),
        auth,
    );
}

fn states(out: &mut Cases, f: &Fixture) {
    let change_state = |state: &[u8], change: &dyn Fn(&mut proto::SessionState)| {
        let mut s = proto::SessionState::decode(state).expect("own state");
        change(&mut s);
        s.encode_to_vec()
    };
    let bob = &f.bob_after_m0;
    let alice = &f.alice_after_r;
    let malformed = "state.malformed";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "state: unknown version 3",
            change_state(bob, &|s| s.version = 3),
            "state.unsupported_version",
        ),
        (
            "state: version 0",
            change_state(bob, &|s| s.version = 0),
            malformed,
        ),
        (
            "state: a trailing zero byte",
            [bob.as_slice(), &[0]].concat(),
            malformed,
        ),
        (
            "state: responder awaiting a reply",
            change_state(bob, &|s| s.awaiting_reply = true),
            malformed,
        ),
        (
            "state: initiator awaiting a reply with a receiving chain",
            change_state(alice, &|s| s.awaiting_reply = true),
            malformed,
        ),
        (
            "state: neither a sending nor a receiving chain",
            change_state(&f.alice_waiting, &|s| s.sending = None),
            malformed,
        ),
        (
            "state: the same skipped position twice",
            change_state(alice, &|s| {
                let entry = proto::session_state::SkippedKey {
                    ratchet_key: s
                        .receiving
                        .as_ref()
                        .map(|r| r.ratchet_key.clone())
                        .unwrap_or_default(),
                    counter: 7,
                    message_seed: vec![1; 32],
                };
                s.skipped = vec![entry.clone(), entry];
            }),
            malformed,
        ),
        (
            "state: associated data not starting with the initiator's identity key",
            change_state(bob, &|s| s.associated_data[0] ^= 1),
            malformed,
        ),
        (
            "state: root key of 31 bytes",
            change_state(bob, &|s| {
                s.root_key.pop();
            }),
            malformed,
        ),
    ];
    for (name, input, error) in cases {
        out.add_input(name, "session_state", &input, error);
    }
}
