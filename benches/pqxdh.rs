//! PQXDH session setup against X3DH and against its floor (issue 12).
//!
//! `pqxdh/crosswire/{x3dh,pqxdh}_initiate`: `PreKeyBundle::from_bytes` (both signatures checked),
//! `Session::initiate` and the first `encrypt` (100 bytes), with a one-time prekey.
//! `pqxdh/crosswire/{x3dh,pqxdh}_respond`: `Session::respond_with` on the decoded first message.
//! `pqxdh/floor/..`: the primitive calls these cannot avoid, made directly on the same crates
//! (ed25519-dalek, x25519-dalek/curve25519-dalek, libcrux-ml-kem, sha2, hkdf, aes-gcm): for the
//! initiator two strict Ed25519 verifications (signed prekey, 62 bytes; KEM prekey, 1596 bytes),
//! the identity key's X25519 form, the ML-KEM public-key check and encapsulation, two X25519
//! key generations, five DH, SHA-256 of the KEM key and ciphertext, HKDF, KDF_RK and one
//! message; for the responder the initiator's identity key's X25519 form (decompressed from its
//! Ed25519 encoding), decapsulation, five DH, the two hashes, HKDF, KDF_RK and one message open. Read ratios within one run; absolute times on a shared VM are noisy.
//!
//! Run: `cargo bench -p crosswire-bench --bench pqxdh -- --warm-up-time 1 --measurement-time 3`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crosswire::{
    Envelope, IdentityKeyPair, KemPreKeyId, KemPreKeyKind, OneTimePreKey, OneTimePreKeyId,
    PostQuantum, PreKeyBundle, Session, SignedKemPreKey, SignedPreKey, SignedPreKeyId,
};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use libcrux_ml_kem::mlkem1024 as lc;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

const MSG: usize = 100;

fn keygen(secret: [u8; 32]) -> [u8; 32] {
    PublicKey::from(&StaticSecret::from(secret)).to_bytes()
}

/// X25519 by the RFC 7748 Montgomery ladder (x25519-dalek).
fn dh(secret: [u8; 32], public: [u8; 32]) -> [u8; 32] {
    x25519_dalek::x25519(secret, public)
}

fn hkdf<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, &mut out)
        .unwrap();
    out
}

fn message_okm(ck: &[u8; 32]) -> [u8; 44] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(ck).unwrap();
    mac.update(&[1]);
    let seed: [u8; 32] = mac.finalize().into_bytes().into();
    hkdf::<44>(&[7; 16], &seed, b"crosswire/v1/message")
}

/// SK from four DH outputs and SS (none for X3DH), then KDF_RK's chain key (SPEC 15.4, 5.5).
fn chain_key(dhs: &[[u8; 32]], ss: &[u8], pk: &[u8], ct: &[u8]) -> [u8; 32] {
    let mut ikm = [0xffu8; 32 * 5 + 32];
    for (i, d) in dhs.iter().enumerate() {
        ikm[32 * (i + 1)..32 * (i + 2)].copy_from_slice(d);
    }
    let n = 32 * (dhs.len() + 1);
    ikm[n..n + ss.len()].copy_from_slice(ss);
    let mut info = Vec::with_capacity(82);
    if ss.is_empty() {
        info.extend_from_slice(b"crosswire/v1/x3dh");
    } else {
        info.extend_from_slice(b"crosswire/v1/pqxdh");
        info.extend_from_slice(&Sha256::digest(pk));
        info.extend_from_slice(&Sha256::digest(ct));
    }
    let sk = hkdf::<32>(&[0; 32], &ikm[..n + ss.len()], &info);
    let rk = hkdf::<64>(&sk, &[9; 32], b"crosswire/v1/ratchet");
    rk[32..].try_into().unwrap()
}

struct Bob {
    id: IdentityKeyPair,
    spk: SignedPreKey,
    opk: OneTimePreKey,
    kem: SignedKemPreKey,
}

fn bob() -> Bob {
    let rng = &mut rand::rng();
    let id = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(2));
    let kem = SignedKemPreKey::generate(rng, &id, KemPreKeyId(3), KemPreKeyKind::OneTime);
    Bob { id, spk, opk, kem }
}

fn setup(c: &mut Criterion) {
    let mut g = c.benchmark_group("pqxdh");
    let bob = bob();
    let alice = IdentityKeyPair::generate(&mut rand::rng());
    let plaintext = [0x61u8; MSG];
    let classical = PreKeyBundle::new(&bob.id, &bob.spk, Some(&bob.opk))
        .unwrap()
        .to_bytes();
    let pq = PreKeyBundle::new_pq(&bob.id, &bob.spk, Some(&bob.opk), &bob.kem)
        .unwrap()
        .to_bytes();
    println!(
        "sizes: bundle v1 {} bytes, v2 {} bytes",
        classical.len(),
        pq.len()
    );

    for (name, bytes, policy) in [
        ("x3dh", &classical, PostQuantum::Allowed),
        ("pqxdh", &pq, PostQuantum::Required),
    ] {
        g.bench_function(format!("crosswire/{name}_initiate"), |b| {
            let rng = &mut rand::rng();
            b.iter_batched(
                || (),
                |()| {
                    let bundle = PreKeyBundle::from_bytes(black_box(bytes)).unwrap();
                    let mut s = Session::initiate_with(rng, &alice, &bundle, b"", policy).unwrap();
                    let first = s.encrypt(rng, &plaintext).unwrap();
                    (s, first)
                },
                BatchSize::SmallInput,
            )
        });
        let bundle = PreKeyBundle::from_bytes(bytes).unwrap();
        let mut a = Session::initiate_with(&mut rand::rng(), &alice, &bundle, b"", policy).unwrap();
        let first = a.encrypt(&mut rand::rng(), &plaintext).unwrap();
        println!(
            "sizes: {name} first message {} bytes",
            first.to_bytes().len()
        );
        let Envelope::PreKey(m) = first else { panic!() };
        let kem = (name == "pqxdh").then_some(&bob.kem);
        g.bench_function(format!("crosswire/{name}_respond"), |b| {
            b.iter(|| {
                Session::respond_with(
                    &bob.id,
                    &bob.spk,
                    Some(&bob.opk),
                    kem,
                    black_box(&m),
                    b"",
                    policy,
                )
                .unwrap()
            })
        });
    }

    // Floors, on the same kinds of input.
    let signing = SigningKey::from_bytes(&[5; 32]);
    let ik = signing.verifying_key().to_bytes();
    let spk_msg = [3u8; 62];
    let spk_sig = signing.sign(&spk_msg).to_bytes();
    let kp = lc::generate_key_pair([7; 64]);
    let pk_bytes: [u8; 1568] = *kp.public_key().as_slice();
    let mut kem_msg = vec![4u8; 28];
    kem_msg.extend_from_slice(&pk_bytes);
    let kem_sig = signing.sign(&kem_msg).to_bytes();
    let secret = [0x11; 32];
    let peer = keygen([0x17; 32]);
    let ad = [0u8; 167 + 64];
    let verify = |msg: &[u8], sig: &[u8; 64]| {
        VerifyingKey::from_bytes(&ik)
            .unwrap()
            .verify_strict(msg, &Signature::from_bytes(sig))
            .unwrap()
    };
    for pqxdh in [false, true] {
        let name = if pqxdh { "pqxdh" } else { "x3dh" };
        g.bench_function(format!("floor/{name}_initiate"), |b| {
            let mut buf = plaintext;
            b.iter(|| {
                verify(&spk_msg, &spk_sig);
                let ik_x = VerifyingKey::from_bytes(&ik).unwrap().to_montgomery();
                let (ct, ss) = if pqxdh {
                    verify(&kem_msg, &kem_sig);
                    let pk = lc::MlKem1024PublicKey::from(black_box(pk_bytes));
                    assert!(lc::validate_public_key(&pk));
                    let (ct, ss) = lc::encapsulate(&pk, [9; 32]);
                    (Some(ct), ss)
                } else {
                    (None, [0; 32])
                };
                let e = keygen(black_box(secret));
                let r = keygen(black_box(secret));
                let dhs = [
                    dh(secret, peer),
                    dh(secret, ik_x.to_bytes()),
                    dh(secret, peer),
                    dh(secret, peer),
                ];
                let ck = match &ct {
                    Some(ct) => chain_key(&dhs, &ss, &pk_bytes, ct.as_slice()),
                    None => chain_key(&dhs, &[], &[], &[]),
                };
                let _ = dh(secret, peer); // the initiator's ratchet DH
                let okm = message_okm(&ck);
                let cipher = Aes256Gcm::new(okm[..32].try_into().unwrap());
                let nonce: &[u8; 12] = okm[32..].try_into().unwrap();
                let tag = cipher
                    .encrypt_inout_detached(nonce.into(), &ad, (&mut buf[..]).into())
                    .unwrap();
                black_box((e, r, tag, ct))
            })
        });
        let (ct, _) = lc::encapsulate(kp.public_key(), [9; 32]);
        g.bench_function(format!("floor/{name}_respond"), |b| {
            let mut buf = plaintext;
            b.iter(|| {
                // DH1 is with the initiator's identity key, which arrives in Ed25519 form:
                // decompressing it and taking its X25519 form is work no responder avoids.
                let _ik_x = VerifyingKey::from_bytes(black_box(&ik))
                    .unwrap()
                    .to_montgomery();
                let ss = if pqxdh {
                    lc::decapsulate(kp.private_key(), black_box(&ct))
                } else {
                    [0; 32]
                };
                let dhs = [
                    dh(secret, peer),
                    dh(secret, peer),
                    dh(secret, peer),
                    dh(secret, peer),
                ];
                let ck = if pqxdh {
                    chain_key(&dhs, &ss, &pk_bytes, ct.as_slice())
                } else {
                    chain_key(&dhs, &[], &[], &[])
                };
                let _ = dh(secret, peer); // the responder's ratchet DH for the first message
                let okm = message_okm(&ck);
                let cipher = Aes256Gcm::new(okm[..32].try_into().unwrap());
                let nonce: &[u8; 12] = okm[32..].try_into().unwrap();
                // The tag does not verify (no genuine message here); the work is the same.
                let ok = cipher
                    .decrypt_inout_detached(
                        nonce.into(),
                        &ad,
                        (&mut buf[..]).into(),
                        &[0; 16].into(),
                    )
                    .is_ok();
                black_box(ok)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, setup);
criterion_main!(benches);
