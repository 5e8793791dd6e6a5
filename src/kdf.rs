//! The key-derivation primitives and every label crosswire feeds them (SPEC.md section 3).
//!
//! Everything is HKDF-SHA256 (RFC 5869) or HMAC-SHA256 (RFC 2104); the labels are ASCII and
//! versioned so that no output of one step can be confused with another's.

use hkdf::Hkdf;
#[cfg(test)]
use hmac::Mac;
use hmac::{Hmac, KeyInit};
use sha2::Sha256;

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

/// HKDF-SHA256 extract-then-expand into `out`.
///
/// `out` is never longer than 255 * 32 bytes at any call site (the longest is 64), so the
/// expand step cannot fail; the fallback zero-fill is unreachable and only avoids a panic path.
pub(crate) fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    debug_assert!(out.len() <= 255 * 32);
    if Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .is_err()
    {
        out.fill(0);
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
    // Any key length is valid for HMAC, so this cannot fail.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new(&Default::default())
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
