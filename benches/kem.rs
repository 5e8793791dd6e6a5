//! ML-KEM-1024 benchmarks (issue 12): the two candidate crates side by side, so the choice in
//! SPEC.md section 15 rests on figures from one run on this machine.
//!
//! Groups `kem/keygen`, `kem/encaps`, `kem/decaps`, each with `ml-kem/..` (RustCrypto 0.3),
//! `libcrux/portable` and `libcrux/avx2` (libcrux-ml-kem 0.0.11; the AVX2 code only where the
//! CPU has it). Key generation is from the 64-byte seed (d || z), the form crosswire stores.
//! `crosswire` entries are crosswire's own wrapper (src/kem.rs) over libcrux's run-time choice,
//! next to `libcrux/dispatch` (that choice called directly): their ratio is the wrapper's cost.
//! `kem/public-key-decode` is the FIPS 203 check a received key gets; `kem/prekey` a signed KEM
//! prekey's generation (key pair plus an Ed25519 signature over 1596 bytes) and verification
//! is in the PQXDH benches once bundles carry KEM prekeys.
//! Encapsulation includes decoding and validating the 1568-byte public key (FIPS 203 section 7.2),
//! as a sender does with a key from a bundle; decapsulation starts from the decoded key.
//!
//! Run: `cargo bench -p crosswire-bench --bench kem -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crosswire::{
    IdentityKeyPair, KemKeyPair, KemPreKeyId, KemPreKeyKind, KemPublicKey, SignedKemPreKey,
};
use libcrux_ml_kem::mlkem1024 as lc;
use ml_kem::kem::{Decapsulate, KeyExport};
use ml_kem::{FromSeed, MlKem1024};

const SEED: [u8; 64] = [7; 64];
const M: [u8; 32] = [9; 32];

fn rc_encaps(ek: &[u8]) -> ([u8; 1568], [u8; 32]) {
    let key = ml_kem::ml_kem_1024::EncapsulationKey::new(ek.try_into().unwrap()).unwrap();
    let (ct, ss) = key.encapsulate_deterministic(&M.into());
    (ct.into(), ss.into())
}

fn keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("kem/keygen");
    g.bench_function("crosswire", |b| {
        b.iter(|| black_box(KemKeyPair::from_seed(black_box(&SEED))))
    });
    g.bench_function("libcrux/dispatch", |b| {
        b.iter(|| black_box(lc::generate_key_pair(black_box(SEED))))
    });
    g.bench_function("ml-kem", |b| {
        b.iter(|| {
            let (dk, ek) = MlKem1024::from_seed(&black_box(SEED).into());
            black_box((dk, ek.to_bytes()))
        })
    });
    g.bench_function("libcrux/portable", |b| {
        b.iter(|| black_box(lc::portable::generate_key_pair(black_box(SEED))))
    });
    if std::arch::is_x86_feature_detected!("avx2") {
        g.bench_function("libcrux/avx2", |b| {
            b.iter(|| black_box(lc::avx2::generate_key_pair(black_box(SEED))))
        });
    }
    g.finish();
}

fn encaps(c: &mut Criterion) {
    let (_, ek) = MlKem1024::from_seed(&SEED.into());
    let ek_bytes: [u8; 1568] = ek.to_bytes().into();
    let lc_pk = lc::MlKem1024PublicKey::from(ek_bytes);
    let mut g = c.benchmark_group("kem/encaps");
    g.bench_function("ml-kem", |b| {
        b.iter(|| black_box(rc_encaps(black_box(&ek_bytes))))
    });
    g.bench_function("libcrux/portable", |b| {
        b.iter(|| {
            let pk = black_box(&lc_pk);
            assert!(lc::portable::validate_public_key(pk));
            black_box(lc::portable::encapsulate(pk, M))
        })
    });
    if std::arch::is_x86_feature_detected!("avx2") {
        g.bench_function("libcrux/avx2", |b| {
            b.iter(|| {
                let pk = black_box(&lc_pk);
                assert!(lc::avx2::validate_public_key(pk));
                black_box(lc::avx2::encapsulate(pk, M))
            })
        });
    }
    g.finish();
}

fn decaps(c: &mut Criterion) {
    let (dk, ek) = MlKem1024::from_seed(&SEED.into());
    let ek_bytes: [u8; 1568] = ek.to_bytes().into();
    let (ct, ss) = rc_encaps(&ek_bytes);
    let lc_kp = lc::portable::generate_key_pair(SEED);
    let lc_ct = lc::MlKem1024Ciphertext::from(ct);
    // The two crates must agree before their speeds are worth comparing.
    assert_eq!(lc_kp.public_key().as_slice(), &ek_bytes);
    assert_eq!(lc::portable::decapsulate(lc_kp.private_key(), &lc_ct), ss);
    let rc_ct: ml_kem::ml_kem_1024::Ciphertext = ct.into();
    let mut g = c.benchmark_group("kem/decaps");
    g.bench_function("ml-kem", |b| {
        b.iter(|| black_box(dk.decapsulate(black_box(&rc_ct))))
    });
    g.bench_function("libcrux/portable", |b| {
        b.iter(|| {
            black_box(lc::portable::decapsulate(
                lc_kp.private_key(),
                black_box(&lc_ct),
            ))
        })
    });
    if std::arch::is_x86_feature_detected!("avx2") {
        assert_eq!(lc::avx2::decapsulate(lc_kp.private_key(), &lc_ct), ss);
        g.bench_function("libcrux/avx2", |b| {
            b.iter(|| {
                black_box(lc::avx2::decapsulate(
                    lc_kp.private_key(),
                    black_box(&lc_ct),
                ))
            })
        });
    }
    g.finish();
}

fn public_key_and_prekey(c: &mut Criterion) {
    let (_, ek) = MlKem1024::from_seed(&SEED.into());
    let ek_bytes: [u8; 1568] = ek.to_bytes().into();
    let lc_pk = lc::MlKem1024PublicKey::from(ek_bytes);
    let mut g = c.benchmark_group("kem/public-key-decode");
    g.bench_function("crosswire", |b| {
        b.iter(|| black_box(KemPublicKey::from_bytes(black_box(&ek_bytes)).unwrap()))
    });
    g.bench_function("libcrux/dispatch", |b| {
        b.iter(|| black_box(lc::validate_public_key(black_box(&lc_pk))))
    });
    g.finish();

    let identity = IdentityKeyPair::from_seed(&[1; 32]);
    let mut rng = rand::rng();
    let mut g = c.benchmark_group("kem/prekey");
    g.bench_function("crosswire/generate", |b| {
        b.iter(|| {
            black_box(SignedKemPreKey::generate(
                &mut rng,
                &identity,
                KemPreKeyId(1),
                KemPreKeyKind::OneTime,
            ))
        })
    });
    let record =
        SignedKemPreKey::generate(&mut rng, &identity, KemPreKeyId(1), KemPreKeyKind::OneTime)
            .to_bytes();
    g.bench_function("crosswire/from_bytes", |b| {
        b.iter(|| black_box(SignedKemPreKey::from_bytes(black_box(&record[..])).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, keygen, encaps, decaps, public_key_and_prekey);
criterion_main!(benches);
