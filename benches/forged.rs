//! The worst forged message against a normal decrypt (issue 9, item 5).
//!
//! A forged envelope is checked only when its tag is: before that, a receiver derives the
//! message keys the header claims it skipped and, for a new ratchet key, one Diffie-Hellman.
//! The joint bound (SPEC.md 5.7) caps the skipped keys of one message at MAX_SKIP in total, so
//! the worst forgery is a new ratchet key with `previous_counter - next + counter = MAX_SKIP`.
//! Both are measured in the same run: a genuine next message and that forgery (which fails,
//! leaving the session unchanged).
//!
//! `cargo bench -p crosswire-bench --bench forged -- --warm-up-time 1 --measurement-time 3`
//!
//! Measured 2026-12-01 on the shared 2-core build machine (other jobs running): genuine next
//! message 2.69 us, worst forged message 1.91 ms (about 710 times; before the joint bound the
//! worst was twice the chain steps), a forgery beyond the bound 70 ns (refused before any
//! derivation).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crosswire::{
    DecryptError, Envelope, Error, IdentityKeyPair, MAX_SKIP, PreKeyBundle, Session, SignedPreKey,
    SignedPreKeyId,
};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

#[allow(missing_docs, unreachable_pub, dead_code, clippy::all)]
mod proto {
    include!("../src/proto/crosswire.v1.rs");
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let Envelope::PreKey(first) = alice.encrypt(&mut rng, b"hi").unwrap() else {
        unreachable!()
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, b"").unwrap();
    alice
        .decrypt(&bob.encrypt(&mut rng, b"hello").unwrap())
        .unwrap();
    // Alice expects counter 1 of Bob's chain next.
    let genuine = bob.encrypt(&mut rng, &[0x61; 100]).unwrap();

    // The forgery: a fresh (valid) ratchet key, half the bound left in the old chain and half
    // in the new one, and a 100-byte ciphertext that cannot authenticate.
    let forged_key = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(2));
    let half = MAX_SKIP / 2;
    let forged = |pn: u32, counter: u32| {
        let message = proto::RatchetMessage {
            ratchet_key: forged_key.public().as_bytes().to_vec(),
            previous_counter: pn,
            counter,
            salt: vec![7; 16],
            ciphertext: vec![0x42; 100],
        };
        let bytes = proto::Envelope {
            version: 1,
            body: Some(proto::envelope::Body::Ratchet(message)),
        }
        .encode_to_vec();
        Envelope::from_bytes(&bytes).unwrap()
    };
    let worst = forged(1 + half, MAX_SKIP - half);
    let refused = forged(1 + MAX_SKIP, MAX_SKIP);

    let mut probe = alice.clone();
    assert_eq!(
        probe.decrypt(&worst),
        Err(Error::Decrypt(DecryptError::AuthenticationFailed))
    );
    assert_eq!(
        probe.decrypt(&refused),
        Err(Error::Decrypt(DecryptError::TooFarAhead))
    );

    let mut group = c.benchmark_group("forged");
    group.bench_function("genuine next message", |b| {
        b.iter_batched_ref(
            || alice.clone(),
            |s| s.decrypt(&genuine).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("worst forged message (MAX_SKIP steps + DH)", |b| {
        b.iter_batched_ref(
            || alice.clone(),
            |s| s.decrypt(&worst).unwrap_err(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("forged beyond the joint bound (refused)", |b| {
        b.iter_batched_ref(
            || alice.clone(),
            |s| s.decrypt(&refused).unwrap_err(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
