//! ML-KEM-1024 known answers from Project Wycheproof (a subset vendored in
//! `test-vectors/external/wycheproof/`, see `trim_mlkem.py` there), run through this module's
//! own types and functions, plus the properties the rest of crosswire relies on.

use std::convert::Infallible;

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::{Rng, TryCryptoRng, TryRng};
use serde_json::Value;

use super::*;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/test-vectors/external/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every test of a Wycheproof file, checked to be ML-KEM-1024.
fn tests(file: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        assert_eq!(group["parameterSet"], "ML-KEM-1024");
        out.extend(group["tests"].as_array().unwrap());
    }
    assert_eq!(out.len() as u64, file["numberOfTests"].as_u64().unwrap());
    out
}

fn hex_field(test: &Value, field: &str) -> Vec<u8> {
    hex::decode(test[field].as_str().unwrap()).unwrap()
}

fn seed(test: &Value) -> [u8; KEM_SEED_LEN] {
    hex_field(test, "seed").try_into().unwrap()
}

/// An RNG that hands out one recorded value: the `m` of a known-answer encapsulation.
struct Fixed(Vec<u8>);

impl TryRng for Fixed {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        unreachable!("ML-KEM draws bytes")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        unreachable!("ML-KEM draws bytes")
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert_eq!(dst.len(), self.0.len(), "drew a value of another length");
        dst.copy_from_slice(&self.0);
        self.0.clear();
        Ok(())
    }
}

impl TryCryptoRng for Fixed {}

#[test]
fn wycheproof_keygen_from_seed() {
    let file = load("mlkem_1024_keygen_seed_test.json");
    let cases = tests(&file);
    assert_eq!(cases.len(), 5);
    for t in cases {
        assert_eq!(t["result"], "valid");
        let kp = KemKeyPair::from_seed(&seed(t));
        assert_eq!(
            &kp.public().as_bytes()[..],
            &hex_field(t, "ek")[..],
            "{}",
            t["tcId"]
        );
        // The expanded key pins the seed order d || z: z is its last 32 bytes.
        assert_eq!(&kp.expanded.0.as_slice()[..], &hex_field(t, "dk")[..]);
        assert_eq!(&kp.to_seed()[..], &hex_field(t, "seed")[..]);
    }
}

#[test]
fn wycheproof_decapsulation() {
    let file = load("mlkem_1024_test.json");
    let (mut valid, mut rejected) = (0, 0);
    for t in tests(&file) {
        let id = &t["tcId"];
        let kp = KemKeyPair::from_seed(&seed(t));
        assert_eq!(&kp.public().as_bytes()[..], &hex_field(t, "ek")[..], "{id}");
        let ct = KemCiphertext::from_bytes(&hex_field(t, "c"));
        match t["result"].as_str().unwrap() {
            "valid" => {
                let ss = decapsulate(&kp, &ct.unwrap());
                assert_eq!(&ss.as_bytes()[..], &hex_field(t, "K")[..], "{id}");
                valid += 1;
            }
            "invalid" => {
                // The only invalid decapsulation inputs in the subset are wrong-length
                // ciphertexts; a length is the only thing ML-KEM can reject in one.
                assert_eq!(ct.unwrap_err(), KemError::InvalidLength, "{id}");
                rejected += 1;
            }
            other => panic!("{id}: unexpected result {other}"),
        }
    }
    assert_eq!((valid, rejected), (23, 4));
}

#[test]
fn wycheproof_encapsulation() {
    let file = load("mlkem_1024_encaps_test.json");
    let (mut valid, mut bad_length, mut unreduced) = (0, 0, 0);
    for t in tests(&file) {
        let id = &t["tcId"];
        let ek = hex_field(t, "ek");
        let pk = KemPublicKey::from_bytes(&ek);
        match t["result"].as_str().unwrap() {
            "valid" => {
                let pk = pk.unwrap();
                let (ct, ss) = encapsulate(&mut Fixed(hex_field(t, "m")), &pk);
                assert_eq!(&ct.as_bytes()[..], &hex_field(t, "c")[..], "{id}");
                assert_eq!(&ss.as_bytes()[..], &hex_field(t, "K")[..], "{id}");
                valid += 1;
            }
            "invalid" if ek.len() != KEM_PUBLIC_KEY_LEN => {
                assert_eq!(pk.unwrap_err(), KemError::InvalidLength, "{id}");
                bad_length += 1;
            }
            "invalid" => {
                assert_eq!(pk.unwrap_err(), KemError::InvalidPublicKey, "{id}");
                unreduced += 1;
            }
            other => panic!("{id}: unexpected result {other}"),
        }
    }
    assert_eq!((valid, bad_length, unreduced), (10, 4, 8));
}

#[test]
fn round_trip_and_implicit_rejection() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let bob = KemKeyPair::generate(&mut rng);
    let other = KemKeyPair::generate(&mut rng);
    let (ct, ss) = encapsulate(&mut rng, bob.public());
    assert_eq!(decapsulate(&bob, &ct).as_bytes(), ss.as_bytes());
    // Another key pair, or a flipped bit, yields an unrelated secret and no error.
    assert_ne!(decapsulate(&other, &ct).as_bytes(), ss.as_bytes());
    let mut tampered = *ct.as_bytes();
    tampered[KEM_CIPHERTEXT_LEN - 1] ^= 1;
    let tampered = KemCiphertext::from_bytes(&tampered).unwrap();
    assert_ne!(decapsulate(&bob, &tampered).as_bytes(), ss.as_bytes());
    // A restored or cloned key pair decapsulates the same.
    let restored = KemKeyPair::from_seed(&bob.to_seed());
    assert_eq!(restored.public(), bob.public());
    assert_eq!(decapsulate(&restored, &ct).as_bytes(), ss.as_bytes());
    assert_eq!(decapsulate(&bob.clone(), &ct).as_bytes(), ss.as_bytes());
}

#[test]
fn generate_draws_d_then_z() {
    let mut drawn = [0u8; KEM_SEED_LEN];
    ChaCha20Rng::seed_from_u64(5).fill_bytes(&mut drawn);
    let kp = KemKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(5));
    assert_eq!(*kp.to_seed(), drawn);
}

#[test]
fn secrets_never_print() {
    let kp = KemKeyPair::from_seed(&[0xab; KEM_SEED_LEN]);
    let (_, ss) = encapsulate(&mut ChaCha20Rng::seed_from_u64(1), kp.public());
    let printed = format!("{kp:?} {ss:?}");
    assert!(printed.contains("[redacted]"), "{printed}");
    assert!(!printed.contains("abab"), "{printed}");
    assert!(
        !printed.contains(&hex::encode(ss.as_bytes())[..8]),
        "{printed}"
    );
}

/// The printed forms themselves, written out: a `Debug` that printed nothing would also print
/// no secret. Public values show their first 16 bytes, secrets `[redacted]`.
#[test]
fn debug_prints_a_prefix_of_public_values_and_redacts_secrets() {
    let ciphertext = KemCiphertext::from_bytes(&[0xab; KEM_CIPHERTEXT_LEN]).unwrap();
    assert_eq!(
        format!("{ciphertext:?}"),
        "KemCiphertext(abababababababababababababababab..)"
    );
    let kp = KemKeyPair::from_seed(&[7; KEM_SEED_LEN]);
    let prefix = hex::encode(&kp.public().as_bytes()[..16]);
    assert_eq!(
        format!("{:?}", kp.public()),
        format!("KemPublicKey({prefix}..)")
    );
    assert_eq!(
        format!("{kp:?}"),
        format!("KemKeyPair {{ public: KemPublicKey({prefix}..), secret: [redacted] }}")
    );
    let (_, ss) = encapsulate(&mut ChaCha20Rng::seed_from_u64(1), kp.public());
    assert_eq!(format!("{ss:?}"), "KemSharedSecret([redacted])");
}

/// `KemError::code` is the code the crate's `Error` reports for it (the names SPEC.md 1.1
/// lists), and each error has its own message.
#[test]
fn errors_have_their_codes_and_distinct_messages() {
    let all = [
        (KemError::InvalidLength, "kem.invalid_length"),
        (KemError::InvalidPublicKey, "kem.invalid_public_key"),
        (KemError::UnknownKind, "kem.unknown_kind"),
        (KemError::BadSignature, "kem.bad_signature"),
    ];
    let mut messages = std::collections::HashSet::new();
    for (e, code) in all {
        assert_eq!(e.code(), code);
        assert_eq!(e.code(), crate::Error::Kem(e).code());
        let message = e.to_string();
        assert!(!message.is_empty(), "{e:?}");
        assert!(messages.insert(message), "{e:?}");
    }
}
