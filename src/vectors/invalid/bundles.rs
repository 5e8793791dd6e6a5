//! Prekey bundles that must be rejected (SPEC.md 3).

use prost::Message;

use super::{Cases, ED_ORDER_8, Fixture, LOW_ORDER, U_P, torsioned, unhex};
use crate::keys::{IdentityKeyPair, KeyPair};
use crate::proto;
use crate::vectors::Tape;

pub(super) fn bundles(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
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
pub(super) fn add_group_order(s: &mut [u8]) {
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
