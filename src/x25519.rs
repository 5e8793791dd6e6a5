//! X25519 (RFC 7748), computed through the Edwards form of the curve when the peer's point allows.
//!
//! `X25519(k, u)` is the u-coordinate of `k * P` for either point `P` with u-coordinate `u`. When
//! `u` is on Curve25519 itself (every honest public key is), `P` has an Edwards twin under the
//! birational map, which commutes with the group law, so
//!
//! ```text
//! X25519(k, u) = to_montgomery(clamp(k) * to_edwards(u))
//! ```
//!
//! curve25519-dalek's variable-base Edwards multiplication (`EdwardsPoint::mul_clamped`) is
//! constant time in the scalar and vectorised (AVX2) where the CPU allows; on x86-64 it beats the
//! Montgomery ladder even after the two conversions (see BENCHMARKS.md, group `floor`).
//!
//! A `u` on the quadratic twist (including `u = -1`) has no Edwards point; those inputs take the
//! RFC 7748 ladder (`x25519_dalek::x25519`), so the output equals RFC 7748 X25519 for all 2^256
//! inputs. Which path runs depends only on the public `u`, never on the secret. Tests compare
//! both paths with x25519-dalek on the RFC 7748 and Wycheproof vectors, random points on the curve
//! and the twist, and edge cases.

use curve25519_dalek::MontgomeryPoint;
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

/// X25519 of the secret `k` (clamped as RFC 7748 specifies) and the peer's `u`.
pub(crate) fn x25519(k: &[u8; 32], u: &[u8; 32]) -> SharedSecret {
    match MontgomeryPoint(*u).to_edwards(0) {
        Some(point) => {
            let mut product = point.mul_clamped(*k);
            let out = SharedSecret(product.to_montgomery().to_bytes());
            product.zeroize();
            out
        }
        // u is on the twist: only the ladder computes X25519 there.
        None => SharedSecret(x25519_dalek::x25519(*k, *u)),
    }
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
    /// cases of the arithmetic; the file `test-vectors/external/wycheproof/x25519_test.json`):
    /// the output equals both the listed secret and x25519-dalek's.
    #[test]
    fn agrees_with_wycheproof_and_the_ladder() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/test-vectors/external/wycheproof/x25519_test.json"
        );
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let bytes = |t: &serde_json::Value, key: &str| -> [u8; 32] {
            hex::decode(t[key].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        };
        let (mut run, mut twist) = (0, 0);
        for group in file["testGroups"].as_array().unwrap() {
            for t in group["tests"].as_array().unwrap() {
                let (k, u, shared) = (bytes(t, "private"), bytes(t, "public"), bytes(t, "shared"));
                let out = x25519(&k, &u);
                assert_eq!(out.as_bytes(), &shared, "tcId {}", t["tcId"]);
                assert_eq!(out.as_bytes(), &reference(&k, &u), "tcId {}", t["tcId"]);
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
