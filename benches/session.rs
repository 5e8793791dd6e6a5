//! Session benchmarks, side by side with vodozemac (Olm) and with the raw primitives (issue 5).
//!
//! Every group holds up to three kinds of function, so one run prints them next to each other:
//! `crosswire/..` (this crate), `vodozemac/..` (vodozemac 0.11 Olm on the same operation) and
//! `floor/..` (the primitive calls the operation cannot avoid, made directly on the same crates
//! with no allocation, no encoding and no checks). Read every crosswire figure as a ratio to its
//! floor and to vodozemac in the same run; absolute times on a shared VM are noisy.
//!
//! Run: `cargo bench -p crosswire-bench --bench session`; `scripts/plot_benchmarks.py` turns the results into
//! BENCHMARKS.md's table and plot.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};
use crosswire::{
    Envelope, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PreKeyBundle, Session, SignedPreKey,
    SignedPreKeyId,
};
use vodozemac::olm::{Account, AccountPickle, OlmMessage, SessionConfig};

/// Plaintext sizes for the per-message groups.
const SIZES: [usize; 4] = [16, 100, 1024, 16 * 1024];
/// The size used where one size stands for all (ping-pong, setup, out-of-order).
const MSG: usize = 100;

fn rng() -> rand::rngs::ThreadRng {
    rand::rng()
}

// ------------------------------------------------------------------------------------------
// The floor: raw primitive calls, as cheap as the crates allow.
// ------------------------------------------------------------------------------------------

mod floor {
    use aes_gcm::aead::AeadInOut;
    use aes_gcm::{Aes256Gcm, KeyInit};
    use curve25519_dalek::MontgomeryPoint;
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use ed25519_dalek::{Signature, VerifyingKey};
    use hkdf::Hkdf;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    use x25519_dalek::{PublicKey, StaticSecret};

    /// The canonical header (58) plus IK_A || IK_B (64): crosswire's AD for a ratchet message.
    pub(crate) const AD_LEN: usize = 58 + 64;
    /// The same for a prekey message (header 131).
    pub(crate) const PREKEY_AD_LEN: usize = 131 + 64;

    /// X25519 public key from a secret: x25519-dalek (Edwards basepoint table).
    pub(crate) fn keygen(secret: [u8; 32]) -> [u8; 32] {
        PublicKey::from(&StaticSecret::from(secret)).to_bytes()
    }

    /// X25519 by the RFC 7748 Montgomery ladder (x25519-dalek).
    pub(crate) fn dh_ladder(secret: [u8; 32], public: [u8; 32]) -> [u8; 32] {
        x25519_dalek::x25519(secret, public)
    }

    /// X25519 through the Edwards form: variable-base Edwards multiplication by the clamped
    /// scalar, for u on the curve (every valid public key). Same output as the ladder; this is
    /// what src/x25519.rs does.
    pub(crate) fn dh_edwards(secret: [u8; 32], public: [u8; 32]) -> [u8; 32] {
        match MontgomeryPoint(public).to_edwards(0) {
            Some(p) => p.mul_clamped(secret).to_montgomery().to_bytes(),
            None => dh_ladder(secret, public),
        }
    }

    /// The X25519 used by the composite floors below: the faster of the two routes.
    pub(crate) fn dh(secret: [u8; 32], public: [u8; 32]) -> [u8; 32] {
        dh_edwards(secret, public)
    }

    /// Ed25519 public key decoding and strict verification.
    pub(crate) fn verify(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
        match VerifyingKey::from_bytes(key) {
            Ok(k) => k.verify_strict(msg, &Signature::from_bytes(sig)).is_ok(),
            Err(_) => false,
        }
    }

    /// [`verify`], then the key's X25519 form (the birational map), as X3DH uses it.
    pub(crate) fn verify_and_map(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Option<[u8; 32]> {
        let k = VerifyingKey::from_bytes(key).ok()?;
        k.verify_strict(msg, &Signature::from_bytes(sig)).ok()?;
        Some(k.to_montgomery().to_bytes())
    }

    /// Ed25519 point decoding.
    pub(crate) fn decompress(key: &[u8; 32]) -> Option<EdwardsPoint> {
        CompressedEdwardsY(*key).decompress()
    }

    pub(crate) fn hmac(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    pub(crate) fn hkdf<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        Hkdf::<Sha256>::new(Some(salt), ikm)
            .expand(info, &mut out)
            .unwrap();
        out
    }

    /// KDF_CK with one HMAC key setup shared by both outputs.
    pub(crate) fn kdf_ck(ck: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(ck).unwrap();
        let mut a = keyed.clone();
        a.update(&[1]);
        let mut b = keyed;
        b.update(&[2]);
        (
            a.finalize().into_bytes().into(),
            b.finalize().into_bytes().into(),
        )
    }

    /// KDF_RK: HKDF-SHA256 to 64 bytes.
    pub(crate) fn kdf_rk(rk: &[u8; 32], dh: &[u8; 32]) -> [u8; 64] {
        hkdf::<64>(rk, dh, b"crosswire/v1/ratchet")
    }

    /// Message key and nonce: HKDF-SHA256 to 44 bytes.
    pub(crate) fn message_key(salt: &[u8; 16], seed: &[u8; 32]) -> [u8; 44] {
        hkdf::<44>(salt, seed, b"crosswire/v1/message")
    }

    pub(crate) fn seal(okm: &[u8; 44], ad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let cipher = Aes256Gcm::new(okm[..32].try_into().unwrap());
        let nonce: &[u8; 12] = okm[32..].try_into().unwrap();
        cipher
            .encrypt_inout_detached(nonce.into(), ad, buf.into())
            .unwrap()
            .into()
    }

    pub(crate) fn open(okm: &[u8; 44], ad: &[u8], buf: &mut [u8], tag: &[u8; 16]) -> bool {
        let cipher = Aes256Gcm::new(okm[..32].try_into().unwrap());
        let nonce: &[u8; 12] = okm[32..].try_into().unwrap();
        cipher
            .decrypt_inout_detached(nonce.into(), ad, buf.into(), tag.into())
            .is_ok()
    }

    /// One in-order message on the sending side: KDF_CK, message key, AES-GCM seal.
    pub(crate) fn encrypt(ck: &[u8; 32], ad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let (seed, _next) = kdf_ck(ck);
        seal(&message_key(&[7; 16], &seed), ad, buf)
    }

    /// One in-order message on the receiving side: KDF_CK, message key, AES-GCM open.
    pub(crate) fn decrypt(ck: &[u8; 32], ad: &[u8], buf: &mut [u8], tag: &[u8; 16]) -> bool {
        let (seed, _next) = kdf_ck(ck);
        open(&message_key(&[7; 16], &seed), ad, buf, tag)
    }
}

/// Fixed inputs for the floors: a valid key pair and a valid peer key.
struct FloorKeys {
    secret: [u8; 32],
    peer: [u8; 32],
}

fn floor_keys() -> FloorKeys {
    FloorKeys {
        secret: [0x42; 32],
        peer: floor::keygen([0x17; 32]),
    }
}

// ------------------------------------------------------------------------------------------
// Fixtures.
// ------------------------------------------------------------------------------------------

struct Bob {
    identity: IdentityKeyPair,
    spk: SignedPreKey,
    opk: OneTimePreKey,
}

fn bob() -> Bob {
    let rng = &mut rng();
    let identity = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &identity, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(1));
    Bob { identity, spk, opk }
}

impl Bob {
    fn bundle(&self, with_opk: bool) -> PreKeyBundle {
        PreKeyBundle::new(&self.identity, &self.spk, with_opk.then_some(&self.opk)).unwrap()
    }

    fn respond(&self, first: &Envelope) -> (Session, Vec<u8>) {
        let Envelope::PreKey(m) = first else {
            panic!("not a prekey message")
        };
        let opk = m.one_time_prekey_id().map(|_| &self.opk);
        Session::respond(&self.identity, &self.spk, opk, m, b"").unwrap()
    }
}

/// Two crosswire sessions past the handshake: Alice has had Bob's reply.
fn crosswire_pair() -> (Session, Session) {
    let rng = &mut rng();
    let alice_id = IdentityKeyPair::generate(rng);
    let bob = bob();
    let mut alice = Session::initiate_with(
        rng,
        &alice_id,
        &bob.bundle(true),
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let first = alice.encrypt(rng, b"hello").unwrap();
    let (mut bob_s, _) = bob.respond(&first);
    let reply = bob_s.encrypt(rng, b"hi").unwrap();
    alice.decrypt(&reply).unwrap();
    (alice, bob_s)
}

/// Two vodozemac Olm sessions past the handshake, the same way.
fn vodozemac_pair() -> (vodozemac::olm::Session, vodozemac::olm::Session) {
    let alice = Account::new();
    let mut bob = Account::new();
    bob.generate_one_time_keys(1);
    let otk = *bob.one_time_keys().values().next().unwrap();
    bob.mark_keys_as_published();
    let mut a = alice
        .create_outbound_session(SessionConfig::version_1(), bob.curve25519_key(), otk)
        .unwrap();
    let OlmMessage::PreKey(first) = a.encrypt(b"hello").unwrap() else {
        panic!("not a prekey message")
    };
    let mut b = bob
        .create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &first)
        .unwrap()
        .session;
    let reply = b.encrypt(b"hi").unwrap();
    a.decrypt(&reply).unwrap();
    (a, b)
}

// ------------------------------------------------------------------------------------------
// Groups.
// ------------------------------------------------------------------------------------------

fn setup(c: &mut Criterion) {
    let mut g = group(c, "setup");
    let fk = floor_keys();
    let plaintext = [0x61u8; MSG];
    let bob = bob();

    // Bundle decode: protobuf, key validation, signature verification.
    let bytes = bob.bundle(true).to_bytes();
    g.bench_function("crosswire/bundle_decode", |b| {
        b.iter(|| PreKeyBundle::from_bytes(black_box(&bytes)).unwrap())
    });
    let bundle = bob.bundle(true);
    let mut signed = Vec::from(&b"crosswire/v1/signed-prekey"[..]);
    signed.extend_from_slice(&1u32.to_be_bytes());
    signed.extend_from_slice(bundle.signed_prekey().as_bytes());
    let (ik, sig) = (*bundle.identity_key().as_bytes(), *bundle.signature());
    // Signature verification, and the identity key's X25519 form that X3DH needs.
    g.bench_function("floor/bundle_decode", |b| {
        b.iter(|| floor::verify_and_map(black_box(&ik), &signed, &sig).unwrap())
    });

    // Initiator: Session::initiate and the first encrypt.
    let alice_id = IdentityKeyPair::generate(&mut rng());
    for with_opk in [true, false] {
        let name = if with_opk { "opk" } else { "no_opk" };
        let bundle = bob.bundle(with_opk);
        g.bench_function(format!("crosswire/initiate_{name}"), |b| {
            let rng = &mut rng();
            b.iter_batched(
                || (),
                |()| {
                    let mut s = Session::initiate_with(
                        rng,
                        &alice_id,
                        &bundle,
                        b"",
                        crosswire::PostQuantum::Allowed,
                    )
                    .unwrap();
                    let first = s.encrypt(rng, &plaintext).unwrap();
                    (s, first)
                },
                BatchSize::SmallInput,
            )
        });
        // Two key generations (ephemeral, ratchet), 4 or 5 DH, X3DH HKDF, KDF_RK, one message.
        let dhs = if with_opk { 5 } else { 4 };
        g.bench_function(format!("floor/initiate_{name}"), |b| {
            let mut buf = plaintext;
            b.iter(|| {
                let e = floor::keygen(black_box(fk.secret));
                let r = floor::keygen(black_box(fk.secret));
                let mut km = [0xffu8; 192];
                for i in 0..dhs - 1 {
                    km[32 * (i + 1)..32 * (i + 2)]
                        .copy_from_slice(&floor::dh(black_box(fk.secret), fk.peer));
                }
                let sk = floor::hkdf::<32>(&[0; 32], &km[..32 * dhs], b"crosswire/v1/x3dh");
                let rk = floor::kdf_rk(&sk, &floor::dh(fk.secret, fk.peer));
                let ck: [u8; 32] = rk[32..].try_into().unwrap();
                black_box((e, r));
                floor::encrypt(&ck, &[0; floor::PREKEY_AD_LEN], &mut buf)
            })
        });
    }

    // Responder: Session::respond (X3DH and the first decrypt, with its DH ratchet step).
    for with_opk in [true, false] {
        let name = if with_opk { "opk" } else { "no_opk" };
        let mut alice = Session::initiate_with(
            &mut rng(),
            &alice_id,
            &bob.bundle(with_opk),
            b"",
            crosswire::PostQuantum::Allowed,
        )
        .unwrap();
        let first = alice.encrypt(&mut rng(), &plaintext).unwrap();
        g.bench_function(format!("crosswire/respond_{name}"), |b| {
            b.iter_batched(|| (), |()| bob.respond(&first), BatchSize::SmallInput)
        });
        // 4 or 5 DH, X3DH HKDF, KDF_RK, one message.
        let dhs = if with_opk { 4 } else { 3 };
        let derive = |secret: [u8; 32]| {
            let mut km = [0xffu8; 160];
            for i in 0..dhs {
                km[32 * (i + 1)..32 * (i + 2)].copy_from_slice(&floor::dh(secret, fk.peer));
            }
            let sk = floor::hkdf::<32>(&[0; 32], &km[..32 * (dhs + 1)], b"crosswire/v1/x3dh");
            let rk = floor::kdf_rk(&sk, &floor::dh(secret, fk.peer));
            <[u8; 32]>::try_from(&rk[32..]).unwrap()
        };
        let ad = [0u8; floor::PREKEY_AD_LEN];
        let mut sealed = plaintext;
        let tag = floor::encrypt(&derive(fk.secret), &ad, &mut sealed);
        g.bench_function(format!("floor/respond_{name}"), |b| {
            b.iter_batched_ref(
                || sealed,
                |buf| {
                    assert!(floor::decrypt(
                        &derive(black_box(fk.secret)),
                        &ad,
                        buf,
                        &tag
                    ))
                },
                BatchSize::SmallInput,
            )
        });
    }

    // vodozemac: outbound session and its first encrypt; inbound session (with decrypt). Olm's
    // one-time key stands where crosswire's one-time prekey does; Olm's triple DH uses it in the
    // signed prekey's place too, so it makes 3 DH where crosswire makes 4 (+1 ratchet step), and
    // no bundle signature is involved.
    let mut vbob = Account::new();
    vbob.generate_one_time_keys(1);
    let otk = *vbob.one_time_keys().values().next().unwrap();
    vbob.mark_keys_as_published();
    let vbob_key = vbob.curve25519_key();
    let valice = Account::new();
    g.bench_function("vodozemac/initiate_opk", |b| {
        b.iter_batched(
            || (),
            |()| {
                let mut s = valice
                    .create_outbound_session(SessionConfig::version_1(), vbob_key, otk)
                    .unwrap();
                let first = s.encrypt(plaintext).unwrap();
                (s, first)
            },
            BatchSize::SmallInput,
        )
    });
    let mut s = valice
        .create_outbound_session(SessionConfig::version_1(), vbob_key, otk)
        .unwrap();
    let OlmMessage::PreKey(first) = s.encrypt(plaintext).unwrap() else {
        panic!("not a prekey message")
    };
    let pickle = vbob.pickle().encrypt(&[0; 32]);
    let valice_key = valice.curve25519_key();
    g.bench_function("vodozemac/respond_opk", |b| {
        b.iter_batched(
            || Account::from_pickle(AccountPickle::from_encrypted(&pickle, &[0; 32]).unwrap()),
            |mut acc| {
                let r = acc
                    .create_inbound_session(SessionConfig::version_1(), valice_key, &first)
                    .unwrap();
                (acc, r)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn encrypt_in_order(c: &mut Criterion) {
    let mut g = group(c, "encrypt_in_order");
    let (mut alice, _) = crosswire_pair();
    let (mut valice, _) = vodozemac_pair();
    let ck = [3u8; 32];
    let ad = [5u8; floor::AD_LEN];
    for size in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let plaintext = vec![0x61u8; size];
        let rng = &mut rng();
        g.bench_function(BenchmarkId::new("crosswire", size), |b| {
            b.iter(|| alice.encrypt(rng, black_box(&plaintext)).unwrap())
        });
        g.bench_function(BenchmarkId::new("vodozemac", size), |b| {
            b.iter(|| valice.encrypt(black_box(&plaintext)).unwrap())
        });
        let mut buf = plaintext.clone();
        g.bench_function(BenchmarkId::new("floor", size), |b| {
            b.iter(|| floor::encrypt(black_box(&ck), &ad, &mut buf))
        });
    }
    g.finish();
}

fn decrypt_in_order(c: &mut Criterion) {
    let mut g = group(c, "decrypt_in_order");
    let (mut alice, mut bob) = crosswire_pair();
    let (mut valice, mut vbob) = vodozemac_pair();
    let ck = [3u8; 32];
    let ad = [5u8; floor::AD_LEN];
    for size in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let plaintext = vec![0x61u8; size];
        // The setup closure encrypts the next message; batches run in order, so each decrypt
        // is the next message of the chain.
        let rng = &mut rng();
        g.bench_function(BenchmarkId::new("crosswire", size), |b| {
            b.iter_batched(
                || alice.encrypt(rng, &plaintext).unwrap(),
                |m| bob.decrypt(&m).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.bench_function(BenchmarkId::new("vodozemac", size), |b| {
            b.iter_batched(
                || valice.encrypt(&plaintext).unwrap(),
                |m| vbob.decrypt(&m).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let mut buf = plaintext.clone();
        let tag = floor::seal(
            &floor::message_key(&[7; 16], &floor::kdf_ck(&ck).0),
            &ad,
            &mut buf,
        );
        g.bench_function(BenchmarkId::new("floor", size), |b| {
            b.iter_batched_ref(
                || buf.clone(),
                |buf| assert!(floor::decrypt(black_box(&ck), &ad, buf, &tag)),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    // One message per iteration, alternating direction, so every message carries a new ratchet
    // key: the sender steps (key generation, DH, KDF_RK) and the receiver steps (DH, KDF_RK).
    let mut g = group(c, "ping_pong");
    g.throughput(Throughput::Bytes(MSG as u64));
    let plaintext = [0x61u8; MSG];
    let (mut alice, mut bob) = crosswire_pair();
    g.bench_function(BenchmarkId::new("crosswire", MSG), |b| {
        let rng = &mut rng();
        let mut turn = false;
        b.iter(|| {
            turn = !turn;
            let (s, r) = if turn {
                (&mut alice, &mut bob)
            } else {
                (&mut bob, &mut alice)
            };
            r.decrypt(&s.encrypt(rng, &plaintext).unwrap()).unwrap()
        })
    });
    let (mut valice, mut vbob) = vodozemac_pair();
    g.bench_function(BenchmarkId::new("vodozemac", MSG), |b| {
        let mut turn = false;
        b.iter(|| {
            turn = !turn;
            let (s, r) = if turn {
                (&mut valice, &mut vbob)
            } else {
                (&mut vbob, &mut valice)
            };
            r.decrypt(&s.encrypt(plaintext).unwrap()).unwrap()
        })
    });
    let fk = floor_keys();
    g.bench_function(BenchmarkId::new("floor", MSG), |b| {
        let mut buf = plaintext;
        let ad = [5u8; floor::AD_LEN];
        let root = [1u8; 32];
        b.iter(|| {
            // Sender: new ratchet key, DH, KDF_RK, message. Receiver: DH, KDF_RK, message.
            black_box(floor::keygen(black_box(fk.secret)));
            let rk = floor::kdf_rk(&root, &floor::dh(black_box(fk.secret), fk.peer));
            let tag = floor::encrypt(rk[32..].try_into().unwrap(), &ad, &mut buf);
            let rk = floor::kdf_rk(&root, &floor::dh(black_box(fk.secret), fk.peer));
            assert!(floor::decrypt(
                rk[32..].try_into().unwrap(),
                &ad,
                &mut buf,
                &tag
            ));
        })
    });
    g.finish();
}

fn out_of_order(c: &mut Criterion) {
    let mut g = group(c, "out_of_order");
    let rng = &mut rng();
    let plaintext = [0x61u8; MSG];
    for skip in [1u32, 100, 1000] {
        let (mut alice, mut bob) = crosswire_pair();
        // Establish Bob's receiving chain for Alice's current ratchet key first, so the
        // measured decrypt skips within a chain and takes no DH step.
        bob.decrypt(&alice.encrypt(rng, &plaintext).unwrap())
            .unwrap();
        for _ in 0..skip {
            alice.encrypt(rng, &plaintext).unwrap();
        }
        let m = alice.encrypt(rng, &plaintext).unwrap();
        g.bench_function(BenchmarkId::new("crosswire/skip", skip), |b| {
            b.iter_batched(
                || bob.clone(),
                |mut s| {
                    let p = s.decrypt(&m).unwrap();
                    (s, p)
                },
                BatchSize::SmallInput,
            )
        });
        let ck = [3u8; 32];
        let ad = [5u8; floor::AD_LEN];
        let mut buf = plaintext;
        let tag = floor::seal(
            &floor::message_key(&[7; 16], &floor::kdf_ck(&ck).0),
            &ad,
            &mut buf,
        );
        g.bench_function(BenchmarkId::new("floor/skip", skip), |b| {
            b.iter_batched_ref(
                || buf,
                |buf| {
                    // `skip` chain steps, whose seeds are kept, then one in-order decrypt.
                    let mut ck = black_box(ck);
                    let mut seeds = Vec::with_capacity(skip as usize);
                    for _ in 0..skip {
                        let (seed, next) = floor::kdf_ck(&ck);
                        seeds.push(seed);
                        ck = next;
                    }
                    assert!(floor::decrypt(&[3u8; 32], &ad, buf, &tag));
                    seeds
                },
                BatchSize::SmallInput,
            )
        });
    }

    // A message from the skipped store: Bob skipped 1,000 messages and now gets one of them.
    let (mut alice, mut bob) = crosswire_pair();
    bob.decrypt(&alice.encrypt(rng, &plaintext).unwrap())
        .unwrap();
    let skipped: Vec<Envelope> = (0..1000)
        .map(|_| alice.encrypt(rng, &plaintext).unwrap())
        .collect();
    bob.decrypt(&alice.encrypt(rng, &plaintext).unwrap())
        .unwrap();
    let m = &skipped[500];
    g.bench_function("crosswire/from_store_1000", |b| {
        b.iter_batched(
            || bob.clone(),
            |mut s| {
                let p = s.decrypt(m).unwrap();
                (s, p)
            },
            BatchSize::SmallInput,
        )
    });
    let okm = floor::message_key(&[7; 16], &[9; 32]);
    let ad = [5u8; floor::AD_LEN];
    let mut buf = plaintext;
    let tag = floor::seal(&okm, &ad, &mut buf);
    g.bench_function("floor/from_store_1000", |b| {
        // Message key from the stored seed, then open.
        b.iter_batched_ref(
            || buf,
            |buf| {
                let okm = floor::message_key(&[7; 16], black_box(&[9; 32]));
                assert!(floor::open(&okm, &ad, buf, &tag))
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn serialization(c: &mut Criterion) {
    let mut g = group(c, "serialization");
    let rng = &mut rng();
    let (alice, mut bob) = crosswire_pair();
    let state = bob.to_bytes();
    g.bench_function("crosswire/session_to_bytes", |b| b.iter(|| bob.to_bytes()));
    g.bench_function("crosswire/session_from_bytes", |b| {
        b.iter(|| Session::from_bytes(black_box(&state)).unwrap())
    });
    // Loading a session re-derives the ratchet public key (the state stores only the secret)
    // and validates the two identity keys, which takes decompressing them.
    let fk = floor_keys();
    let ik = *alice.local_identity().as_bytes();
    g.bench_function("floor/session_from_bytes", |b| {
        b.iter(|| {
            let pk = floor::keygen(black_box(fk.secret));
            let a = floor::decompress(black_box(&ik));
            let b = floor::decompress(black_box(&ik));
            (pk, a, b)
        })
    });
    for size in [MSG, 16 * 1024] {
        g.throughput(Throughput::Bytes(size as u64));
        let ratchet = bob.encrypt(rng, &vec![0x61; size]).unwrap();
        let ratchet_bytes = ratchet.to_bytes();
        g.bench_function(BenchmarkId::new("crosswire/envelope_to_bytes", size), |b| {
            b.iter(|| black_box(&ratchet).to_bytes())
        });
        g.bench_function(
            BenchmarkId::new("crosswire/envelope_from_bytes", size),
            |b| b.iter(|| Envelope::from_bytes(black_box(&ratchet_bytes)).unwrap()),
        );
    }
    g.throughput(Throughput::Bytes(MSG as u64));
    let initiator = IdentityKeyPair::generate(rng);
    let prekey = Session::initiate_with(
        rng,
        &initiator,
        &bob_bundle(),
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap()
    .encrypt(rng, &[0x61; MSG])
    .unwrap();
    let prekey_bytes = prekey.to_bytes();
    g.bench_function("crosswire/prekey_envelope_from_bytes", |b| {
        b.iter(|| Envelope::from_bytes(black_box(&prekey_bytes)).unwrap())
    });
    g.bench_function("floor/prekey_envelope_from_bytes", |b| {
        // Validating the initiator's Ed25519 identity key and mapping it to the X25519 form
        // X3DH needs.
        b.iter(|| floor::decompress(black_box(&ik)).unwrap().to_montgomery())
    });
    g.finish();
}

fn bob_bundle() -> PreKeyBundle {
    bob().bundle(true)
}

fn prekeys(c: &mut Criterion) {
    let mut g = group(c, "prekeys");
    let rng = &mut rng();
    g.bench_function("crosswire/batch_100", |b| {
        b.iter(|| OneTimePreKey::generate_batch(rng, OneTimePreKeyId(1), 100))
    });
    let fk = floor_keys();
    g.bench_function("floor/batch_100", |b| {
        b.iter(|| {
            let mut out = [[0u8; 32]; 100];
            for o in &mut out {
                *o = floor::keygen(black_box(fk.secret));
            }
            out
        })
    });
    g.finish();
}

/// The raw primitives on their own.
fn primitives(c: &mut Criterion) {
    let mut g = group(c, "floor");
    let fk = floor_keys();
    g.bench_function("x25519_keygen", |b| {
        b.iter(|| floor::keygen(black_box(fk.secret)))
    });
    g.bench_function("x25519_dh_ladder", |b| {
        b.iter(|| floor::dh_ladder(black_box(fk.secret), fk.peer))
    });
    g.bench_function("x25519_dh_edwards", |b| {
        b.iter(|| floor::dh_edwards(black_box(fk.secret), fk.peer))
    });
    let bob = bob();
    let bundle = bob.bundle(false);
    let mut signed = Vec::from(&b"crosswire/v1/signed-prekey"[..]);
    signed.extend_from_slice(&1u32.to_be_bytes());
    signed.extend_from_slice(bundle.signed_prekey().as_bytes());
    let (ik, sig) = (*bundle.identity_key().as_bytes(), *bundle.signature());
    g.bench_function("ed25519_verify_strict", |b| {
        b.iter(|| floor::verify(black_box(&ik), &signed, &sig))
    });
    g.bench_function("hmac_sha256_32", |b| {
        b.iter(|| floor::hmac(black_box(&[1; 32]), &[1]))
    });
    g.bench_function("kdf_ck", |b| b.iter(|| floor::kdf_ck(black_box(&[1; 32]))));
    g.bench_function("hkdf_sha256_44", |b| {
        b.iter(|| floor::message_key(black_box(&[1; 16]), &[2; 32]))
    });
    g.bench_function("hkdf_sha256_64", |b| {
        b.iter(|| floor::kdf_rk(black_box(&[1; 32]), &[2; 32]))
    });
    let ad = [5u8; floor::AD_LEN];
    for size in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let mut buf = vec![0u8; size];
        g.bench_function(BenchmarkId::new("aes256gcm_seal", size), |b| {
            b.iter(|| floor::seal(black_box(&[1; 44]), &ad, &mut buf))
        });
    }
    g.finish();
}

/// A benchmark group with flat sampling (every sample the same length; see [`bench_config`]).
fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g
}

/// Many short samples: on a shared machine most of them then run unpreempted, and the median
/// (which BENCHMARKS.md reports) reflects the CPU rather than the neighbours.
fn bench_config() -> Criterion {
    Criterion::default()
        .sample_size(400)
        .nresamples(20_000)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = bench_config();
    targets = primitives, setup, encrypt_in_order, decrypt_in_order, ping_pong, out_of_order,
        serialization, prekeys
}
criterion_main!(benches);
