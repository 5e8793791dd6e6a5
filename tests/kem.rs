//! The public KEM API (SPEC.md sections 15.2 and 15.3) as an application sees it: key pairs
//! from seeds match Wycheproof's ML-KEM-1024 keys, received public keys are validated, KEM
//! prekeys survive storage and never print their secret.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosswire::{
    IdentityKeyPair, KEM_CIPHERTEXT_LEN, KEM_PUBLIC_KEY_LEN, KEM_SEED_LEN, KemCiphertext, KemError,
    KemKeyPair, KemPreKeyId, KemPreKeyKind, KemPublicKey, SignedKemPreKey,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use serde_json::Value;

fn wycheproof(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/test-vectors/external/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut tests = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        tests.extend(group["tests"].as_array().unwrap().iter().cloned());
    }
    tests
}

fn hex_field(test: &Value, field: &str) -> Vec<u8> {
    hex::decode(test[field].as_str().unwrap()).unwrap()
}

#[test]
fn key_pairs_from_wycheproof_seeds() {
    let mut checked = 0;
    for name in ["mlkem_1024_keygen_seed_test.json", "mlkem_1024_test.json"] {
        for t in wycheproof(name) {
            let seed: [u8; KEM_SEED_LEN] = hex_field(&t, "seed").try_into().unwrap();
            let kp = KemKeyPair::from_seed(&seed);
            assert_eq!(
                &kp.public().as_bytes()[..],
                &hex_field(&t, "ek")[..],
                "{}",
                t["tcId"]
            );
            assert_eq!(*kp.to_seed(), seed);
            checked += 1;
        }
    }
    assert_eq!(checked, 32);
}

#[test]
fn public_keys_are_validated_on_decode() {
    let (mut accepted, mut wrong_length, mut unreduced) = (0, 0, 0);
    for t in wycheproof("mlkem_1024_encaps_test.json") {
        let ek = hex_field(&t, "ek");
        let decoded = KemPublicKey::from_bytes(&ek);
        match (t["result"].as_str().unwrap(), decoded) {
            ("valid", Ok(pk)) => {
                assert_eq!(&pk.as_bytes()[..], &ek[..]);
                accepted += 1;
            }
            ("invalid", Err(KemError::InvalidLength)) if ek.len() != KEM_PUBLIC_KEY_LEN => {
                wrong_length += 1
            }
            ("invalid", Err(KemError::InvalidPublicKey)) if ek.len() == KEM_PUBLIC_KEY_LEN => {
                unreduced += 1
            }
            (result, decoded) => panic!("tcId {}: {result} but {decoded:?}", t["tcId"]),
        }
    }
    assert_eq!((accepted, wrong_length, unreduced), (10, 4, 8));
}

#[test]
fn hand_made_invalid_public_keys() {
    let valid = KemKeyPair::from_seed(&[3; KEM_SEED_LEN]).public().clone();
    // Coefficient 0 of the first polynomial set to q = 3329 = 0xd01 (12 bits, little-endian).
    let mut bad = *valid.as_bytes();
    bad[0] = 0x01;
    bad[1] = (bad[1] & 0xf0) | 0x0d;
    assert_eq!(
        KemPublicKey::from_bytes(&bad),
        Err(KemError::InvalidPublicKey)
    );
    // The last 32 bytes are the seed rho: any value is valid there.
    let mut rho = *valid.as_bytes();
    rho[KEM_PUBLIC_KEY_LEN - 1] ^= 0xff;
    assert!(KemPublicKey::from_bytes(&rho).is_ok());
    // All 0xff: every coefficient is 0xfff > q.
    assert_eq!(
        KemPublicKey::from_bytes(&[0xff; KEM_PUBLIC_KEY_LEN]),
        Err(KemError::InvalidPublicKey)
    );
    for len in [0, 1, KEM_PUBLIC_KEY_LEN - 1, KEM_PUBLIC_KEY_LEN + 1] {
        assert_eq!(
            KemPublicKey::from_bytes(&vec![0; len]),
            Err(KemError::InvalidLength)
        );
    }
}

#[test]
fn ciphertexts_are_any_1568_bytes() {
    assert!(KemCiphertext::from_bytes(&[0u8; KEM_CIPHERTEXT_LEN]).is_ok());
    assert!(KemCiphertext::from_bytes(&[0xffu8; KEM_CIPHERTEXT_LEN]).is_ok());
    for len in [0, KEM_CIPHERTEXT_LEN - 1, KEM_CIPHERTEXT_LEN + 1] {
        assert_eq!(
            KemCiphertext::from_bytes(&vec![0; len]),
            Err(KemError::InvalidLength)
        );
    }
}

#[test]
fn signed_kem_prekeys_survive_storage() {
    let mut rng = ChaCha20Rng::seed_from_u64(40);
    let identity = IdentityKeyPair::generate(&mut rng);
    let last_resort = SignedKemPreKey::generate(
        &mut rng,
        &identity,
        KemPreKeyId(1),
        KemPreKeyKind::LastResort,
    );
    let batch = SignedKemPreKey::generate_one_time_batch(&mut rng, &identity, KemPreKeyId(2), 3);
    for key in std::iter::once(&last_resort).chain(&batch) {
        let restored = SignedKemPreKey::from_bytes(&key.to_bytes()[..]).unwrap();
        assert_eq!(restored.id(), key.id());
        assert_eq!(restored.kind(), key.kind());
        assert_eq!(restored.public(), key.public());
        assert_eq!(restored.signature(), key.signature());
    }
    assert_eq!(
        batch.iter().map(|k| k.id().0).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(
        SignedKemPreKey::from_bytes(&[0; 10]).unwrap_err(),
        KemError::InvalidLength
    );
}

#[test]
fn nothing_secret_is_printed() {
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    let identity = IdentityKeyPair::generate(&mut rng);
    let key =
        SignedKemPreKey::generate(&mut rng, &identity, KemPreKeyId(9), KemPreKeyKind::OneTime);
    let record = key.to_bytes();
    let seed_hex = hex::encode(&record[5..69]);
    for printed in [
        format!("{key:?}"),
        format!("{:?}", KemKeyPair::from_seed(&[7; 64])),
    ] {
        assert!(printed.contains("[redacted]"), "{printed}");
        assert!(!printed.contains(&seed_hex[..12]), "{printed}");
        assert!(!printed.contains("070707"), "{printed}");
    }
}

mod arbitrary_input {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Encodes 1024 coefficients (12 bits each) and a 32-byte rho as FIPS 203 ByteEncode12 does.
    fn encode(coefficients: &[u16], rho: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(KEM_PUBLIC_KEY_LEN);
        for pair in coefficients.chunks(2) {
            let (a, b) = (u32::from(pair[0]), u32::from(pair[1]));
            let v = a | (b << 12);
            out.extend_from_slice(&v.to_le_bytes()[..3]);
        }
        out.extend_from_slice(rho);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The modulus check accepts exactly the keys whose coefficients are all below q:
        /// reduced coefficients with, or without, one coefficient in q..4096 at any position.
        #[test]
        fn public_key_check_is_the_modulus_check(
            mut coefficients in vec(0u16..3329, 1024),
            unreduced in proptest::option::of((0usize..1024, 3329u16..4096)),
            rho in vec(any::<u8>(), 32),
        ) {
            if let Some((at, value)) = unreduced {
                coefficients[at] = value;
            }
            let bytes = encode(&coefficients, &rho);
            match KemPublicKey::from_bytes(&bytes) {
                Ok(key) => {
                    prop_assert!(unreduced.is_none());
                    prop_assert_eq!(&key.as_bytes()[..], &bytes[..]);
                }
                Err(e) => {
                    prop_assert!(unreduced.is_some());
                    prop_assert_eq!(e, KemError::InvalidPublicKey);
                }
            }
        }

        /// Any 133 bytes either load as a KEM prekey or fail with a typed error, never a panic.
        #[test]
        fn prekey_records_never_panic(bytes in vec(any::<u8>(), 133)) {
            match SignedKemPreKey::from_bytes(&bytes) {
                Ok(key) => prop_assert_eq!(&key.to_bytes()[..], &bytes[..]),
                Err(e) => prop_assert_eq!(e, KemError::UnknownKind),
            }
        }
    }
}
