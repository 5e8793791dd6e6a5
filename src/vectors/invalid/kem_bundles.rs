//! Version 2 bundles whose KEM prekey must be refused (SPEC.md 2.6, 15.3).

use prost::Message;

use super::Cases;
use super::Fixture;
use super::bundles::add_group_order;
use crate::bundle::PreKeyBundle;
use crate::keys::IdentityKeyPair;
use crate::proto;
use crate::vectors::Tape;

/// Version 2 bundles whose KEM prekey (SPEC 2.6, 15.3) must be refused.
pub(super) fn kem_bundles(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
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
