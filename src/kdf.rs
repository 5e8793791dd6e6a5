//! The key-derivation primitives and every label crosswire feeds them (SPEC.md section 3).
//!
//! Everything is HKDF-SHA256 (RFC 5869) or HMAC-SHA256 (RFC 2104); the labels are ASCII and
//! versioned so that no output of one step can be confused with another's.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// HKDF `info` for the X3DH shared secret SK.
pub(crate) const LABEL_X3DH: &[u8] = b"crosswire/v1/x3dh";
/// HKDF `info` for the root-key step KDF_RK.
pub(crate) const LABEL_RATCHET: &[u8] = b"crosswire/v1/ratchet";
/// HKDF `info` for a message key and nonce.
pub(crate) const LABEL_MESSAGE: &[u8] = b"crosswire/v1/message";
/// Prefix of the bytes a signed prekey's signature covers.
pub(crate) const LABEL_SIGNED_PREKEY: &[u8] = b"crosswire/v1/signed-prekey";

/// HKDF `info` for an attachment's AES-256-GCM key and STREAM nonce prefix.
pub(crate) const LABEL_ATTACHMENT: &[u8] = b"crosswire/v1/attachment";
/// HKDF `info` for an attachment's key commitment (the first 32 bytes of its ciphertext).
pub(crate) const LABEL_ATTACHMENT_COMMITMENT: &[u8] = b"crosswire/v1/attachment-commitment";

/// The longest output HKDF-SHA256 defines: 255 blocks of 32 bytes (RFC 5869 section 2.3).
const MAX_HKDF_LEN: usize = 255 * 32;

/// HKDF-SHA256 extract-then-expand into `out`.
///
/// The output length is a compile-time constant checked against RFC 5869's limit, and the expand
/// step below has no failure path, so there is nothing to fall back on: no length is ever
/// answered with a fixed key.
pub(crate) fn hkdf_sha256<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8; N]) {
    const { assert!(N <= MAX_HKDF_LEN, "HKDF-SHA256 output longer than 255 * 32 bytes") };
    hkdf_into(salt, ikm, info, out);
}

/// HKDF-SHA256 into a buffer whose length is known only at run time: `None`, and nothing
/// derived, when it is longer than RFC 5869 allows. Only the Wycheproof tests need this form.
#[cfg(test)]
pub(crate) fn hkdf_sha256_vec(salt: &[u8], ikm: &[u8], info: &[u8], len: usize) -> Option<Vec<u8>> {
    if len > MAX_HKDF_LEN {
        return None;
    }
    let mut out = vec![0u8; len];
    hkdf_into(salt, ikm, info, &mut out);
    Some(out)
}

/// RFC 5869 extract, then expand written out over [`keyed_hmac`]: T(i) = HMAC(PRK, T(i-1) ||
/// info || i). Callers guarantee `out.len() <= MAX_HKDF_LEN`, so the 255 counters suffice.
fn hkdf_into(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let (mut prk_out, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    let mut prk = Zeroizing::new([0u8; 32]);
    prk.copy_from_slice(&prk_out);
    prk_out.as_mut_slice().zeroize();
    let keyed = keyed_hmac(&prk);
    let mut block = Zeroizing::new([0u8; 32]);
    for (chunk, counter) in out.chunks_mut(32).zip(1..=255u8) {
        let mut mac = keyed.clone();
        if counter > 1 {
            mac.update(&block[..]);
        }
        mac.update(info);
        mac.update(&[counter]);
        let mut t = mac.finalize().into_bytes();
        block.copy_from_slice(&t);
        t.as_mut_slice().zeroize();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// HMAC-SHA256 keyed by a 32-byte key, over `data`.
#[cfg(test)]
pub(crate) fn hmac_sha256(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed_hmac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// An HMAC-SHA256 instance keyed with `key`; cloning it reuses the padded-key work, which is
/// what lets a chain step compute both of its outputs for the price of one key setup.
pub(crate) fn keyed_hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC zero-pads a key shorter than the 64-byte block (RFC 2104), so keying with the padded
    // block is the same MAC, through the constructor that takes a whole block and cannot fail.
    let mut padded = Zeroizing::new([0u8; 64]);
    padded[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(&(*padded).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5869 appendix A.1 (HKDF-SHA256, basic case).
    #[test]
    fn rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let mut okm = [0u8; 42];
        hkdf_sha256(&salt, &ikm, &info, &mut okm);
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    /// RFC 5869 A.1 again through the run-time-length form, at every length up to the limit's
    /// neighbourhood: each output is a prefix of the longest, and one byte past RFC 5869's limit
    /// derives nothing (issue 9 item 7b: the old wrapper answered it with zeros).
    #[test]
    fn runtime_length_prefixes_and_limit() {
        let (ikm, salt, info) = ([0x0b; 22], [1u8; 13], [2u8; 10]);
        let longest = hkdf_sha256_vec(&salt, &ikm, &info, MAX_HKDF_LEN).unwrap();
        let mut fixed = [0u8; 42];
        hkdf_sha256(&salt, &ikm, &info, &mut fixed);
        assert_eq!(&longest[..42], &fixed[..]);
        for len in [0, 1, 31, 32, 33, 64, 65, 8159] {
            let out = hkdf_sha256_vec(&salt, &ikm, &info, len).unwrap();
            assert_eq!(out, longest[..len], "length {len}");
        }
        assert_eq!(hkdf_sha256_vec(&salt, &ikm, &info, MAX_HKDF_LEN + 1), None);
    }

    /// RFC 4231 test case 2 checks the HMAC wrapper against an independent source.
    #[test]
    fn rfc4231_hmac_case_2_shape() {
        // Case 2 uses a 4-byte key; our wrapper takes 32-byte keys, so pad per RFC 2104 (keys
        // shorter than the block are zero-padded, so "Jefe" || 0^28 is the same key).
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = hmac_sha256(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
