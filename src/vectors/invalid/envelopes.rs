//! Envelopes that must be rejected before any cryptography runs (SPEC.md 6).

use prost::Message;
use serde_json::json;

use super::{Cases, ED_ORDER_8, Fixture, LOW_ORDER, U_P, edit, inner, prekey, torsioned, unhex};
use crate::proto::{self, envelope::Body};
use crate::wire::MAX_ENVELOPE_LEN;

pub(super) fn envelopes(out: &mut Cases, f: &Fixture) {
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
