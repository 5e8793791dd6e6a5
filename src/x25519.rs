//! X25519 (RFC 7748), computed through the Edwards form of the curve when the peer's point allows.
//!
//! `X25519(k, u)` is the u-coordinate of `k * P` for either point `P` with u-coordinate `u`. When
//! `u` is on Curve25519 itself (every honest public key is), `P` has an Edwards twin under the
//! birational map, and
//!
//! ```text
//! X25519(k, u) = to_montgomery((k / 8) * (8 * to_edwards(u)))
//! ```
//!
//! because a clamped `k` is a multiple of 8 below 2^255, so `k / 8 < 2^252 < l` is a canonical
//! scalar. curve25519-dalek's variable-base Edwards multiplication is constant time in the
//! scalar and vectorised (AVX2) where the CPU allows, which makes it faster than the Montgomery
//! ladder on x86-64 even with the two conversions.
//!
//! A `u` on the quadratic twist (including `u = -1`) has no Edwards point; those inputs take
//! the RFC 7748 ladder (`x25519_dalek::x25519`), so the output always equals RFC 7748 X25519 for
//! all 2^256 inputs. Which path runs depends only on the public `u`, never on the secret. A test
//! compares both against x25519-dalek on random and edge-case inputs.

use curve25519_dalek::{MontgomeryPoint, Scalar};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The output of X25519. Wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SharedSecret([u8; 32]);

impl SharedSecret {
    /// The 32-byte shared secret.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether the output is non-zero, i.e. the peer's point was not of small order
    /// (RFC 7748 section 6.1). Constant time.
    pub(crate) fn was_contributory(&self) -> bool {
        !bool::from(self.0.ct_eq(&[0u8; 32]))
    }
}

/// X25519 of the secret `k` (clamped here, as RFC 7748 specifies) and the peer's `u`.
pub(crate) fn x25519(k: &[u8; 32], u: &[u8; 32]) -> SharedSecret {
    let Some(point) = MontgomeryPoint(*u).to_edwards(0) else {
        // u is on the twist: only the ladder computes X25519 there.
        return SharedSecret(x25519_dalek::x25519(*k, *u));
    };
    let mut clamped = *k;
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    // k / 8: shift the little-endian integer right by three bits.
    let mut eighth = [0u8; 32];
    for i in 0..32 {
        let high = clamped.get(i + 1).copied().unwrap_or(0);
        eighth[i] = (clamped[i] >> 3) | (high << 5);
    }
    let mut scalar = Scalar::from_bytes_mod_order(eighth);
    let mut product = scalar * point.mul_by_cofactor();
    let out = SharedSecret(product.to_montgomery().to_bytes());
    clamped.zeroize();
    eighth.zeroize();
    scalar.zeroize();
    product.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha20Rng;
    use rand::{Rng, SeedableRng};

    fn reference(k: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
        x25519_dalek::x25519(*k, *u)
    }

    fn le(mut hex_be: &str) -> [u8; 32] {
        // Big-endian hex (as numbers are written) to little-endian bytes.
        let mut out = [0u8; 32];
        let mut i = 0;
        while !hex_be.is_empty() {
            let (rest, byte) = hex_be.split_at(hex_be.len() - 2);
            out[i] = u8::from_str_radix(byte, 16).unwrap();
            hex_be = rest;
            i += 1;
        }
        out
    }

    /// RFC 7748 section 5.2, the two single-iteration vectors (the second has bit 255 set in u).
    #[test]
    fn rfc7748_vectors() {
        let cases = [
            (
                "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
            ),
            (
                "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
            ),
        ];
        for (k, u, out) in cases {
            let k: [u8; 32] = hex::decode(k).unwrap().try_into().unwrap();
            let u: [u8; 32] = hex::decode(u).unwrap().try_into().unwrap();
            assert_eq!(hex::encode(x25519(&k, &u).as_bytes()), out);
        }
    }

    #[test]
    fn agrees_with_the_ladder_on_random_inputs() {
        let mut rng = ChaCha20Rng::seed_from_u64(25519);
        let (mut curve, mut twist) = (0, 0);
        for i in 0..2000 {
            let mut k = [0u8; 32];
            rng.fill_bytes(&mut k);
            let mut u = [0u8; 32];
            rng.fill_bytes(&mut u);
            if i % 2 == 0 {
                // A point certainly on the curve: a public key.
                u = x25519_dalek::x25519(u, x25519_dalek::X25519_BASEPOINT_BYTES);
            }
            match MontgomeryPoint(u).to_edwards(0) {
                Some(_) => curve += 1,
                None => twist += 1,
            }
            assert_eq!(
                x25519(&k, &u).as_bytes(),
                &reference(&k, &u),
                "k {k:02x?} u {u:02x?}"
            );
        }
        // Both paths ran many times (random u lands on the twist about half the time).
        assert!(curve > 1200 && twist > 300, "curve {curve} twist {twist}");
    }

    #[test]
    fn agrees_with_the_ladder_on_edge_cases() {
        let p = le("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
        let mut us: Vec<[u8; 32]> = Vec::new();
        // Small values, p - 1 (= -1, on the twist), p, p + 1, and 2^255 - 1 (non-canonical).
        for small in 0u8..=10 {
            let mut u = [0u8; 32];
            u[0] = small;
            us.push(u);
        }
        for delta in [1u8, 2] {
            let mut u = p;
            u[0] -= delta;
            us.push(u);
        }
        for delta in 0u8..=18 {
            let mut u = p;
            u[0] += delta;
            us.push(u);
        }
        // The points of order 8 and their non-canonical encodings (u + p).
        us.push(le(
            "57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5f",
        ));
        us.push(le(
            "00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0",
        ));
        us.push(le(
            "d7119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c4c",
        ));
        us.push(le(
            "80b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebcd",
        ));
        us.push([0xff; 32]);
        // Each of them again with bit 255 set, which X25519 ignores.
        let with_high_bit: Vec<[u8; 32]> = us
            .iter()
            .map(|u| {
                let mut u = *u;
                u[31] |= 0x80;
                u
            })
            .collect();
        us.extend(with_high_bit);
        let mut rng = ChaCha20Rng::seed_from_u64(7748);
        let mut ks = vec![[0u8; 32], [0xff; 32], [8; 32]];
        for _ in 0..4 {
            let mut k = [0u8; 32];
            rng.fill_bytes(&mut k);
            ks.push(k);
        }
        for u in &us {
            for k in &ks {
                assert_eq!(
                    x25519(k, u).as_bytes(),
                    &reference(k, u),
                    "k {k:02x?} u {u:02x?}"
                );
            }
        }
    }

    /// Every Wycheproof X25519 case (twist points, non-canonical and low-order public keys, edge
    /// cases of the arithmetic): the output equals both the listed secret and x25519-dalek's.
    #[test]
    fn agrees_with_wycheproof_and_the_ladder() {
        use wycheproof::xdh::{TestName, TestSet};
        let set = TestSet::load(TestName::X25519).unwrap();
        let (mut run, mut twist) = (0, 0);
        for group in &set.test_groups {
            for t in &group.tests {
                let (Ok(k), Ok(u)) = (
                    <[u8; 32]>::try_from(&t.private_key[..]),
                    <[u8; 32]>::try_from(&t.public_key[..]),
                ) else {
                    continue;
                };
                let out = x25519(&k, &u);
                assert_eq!(
                    &out.as_bytes()[..],
                    &t.shared_secret[..],
                    "tcId {}",
                    t.tc_id
                );
                assert_eq!(out.as_bytes(), &reference(&k, &u), "tcId {}", t.tc_id);
                run += 1;
                twist += usize::from(MontgomeryPoint(u).to_edwards(0).is_none());
            }
        }
        assert!(run > 500 && twist > 50, "run {run} twist {twist}");
    }

    #[test]
    fn contributory_check() {
        let zero = x25519(&[0x55; 32], &[0; 32]);
        assert!(!zero.was_contributory());
        let real = x25519(&[0x55; 32], &x25519_dalek::X25519_BASEPOINT_BYTES);
        assert!(real.was_contributory());
    }
}
