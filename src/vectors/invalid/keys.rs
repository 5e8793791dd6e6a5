//! Public and identity keys that must be rejected (SPEC.md 2.1, 2.2).

use super::{Cases, ED_NEUTRAL, ED_ORDER_8, LOW_ORDER, U_P, torsioned, unhex};
use crate::keys::{IdentityKeyPair, KeyPair};
use crate::vectors::Tape;

pub(super) fn keys(out: &mut Cases, rng: &mut Tape) {
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
