//! The fan-out setup shared by `fanout.rs` (criterion) and `fanout_count.rs` (callgrind).

use std::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::AeadInOut;
use crosswire::account::{Account, DeviceAddress, Options};
use crosswire::store::{MemoryStore, StorageKey, Store};
use crosswire::{
    Envelope, IdentityKeyPair, PostQuantum, PreKeyBundle, Session, SignedPreKey, SignedPreKeyId,
};

pub const MESSAGE: [u8; 100] = [0x42; 100];
pub const DEVICES: u32 = 5;

/// Alice on `store` with a replied-to session with each of Bob's 5 devices.
pub fn alice_with_bob<T: Store>(store: T) -> (Account<T>, DeviceAddress) {
    let rng = &mut rand::rng();
    let key = StorageKey::generate(rng);
    let local = DeviceAddress::new("alice", 1).unwrap();
    let (mut alice, _) = Account::create(rng, store, &key, Options::default()).unwrap();
    alice.set_devices(rng, "alice", &[1]).unwrap();
    alice
        .set_devices(rng, "bob", &(1..=DEVICES).collect::<Vec<_>>())
        .unwrap();
    let mut bobs = Vec::new();
    for d in 1..=DEVICES {
        let (bob, _) = Account::create(rng, MemoryStore::new(), &key, Options::default()).unwrap();
        bobs.push((DeviceAddress::new("bob", d).unwrap(), bob));
    }
    let mut bundles: Vec<_> = bobs
        .iter_mut()
        .map(|(a, b)| (a.clone(), b.bundle(rng).unwrap()))
        .collect();
    let outs = alice
        .encrypt_to_user(
            rng,
            &local,
            "bob",
            |a| {
                let i = bundles.iter().position(|(x, _)| x == a)?;
                Some(bundles.remove(i).1)
            },
            b"hi",
        )
        .unwrap();
    for (out, (addr, bob)) in outs.iter().zip(bobs.iter_mut()) {
        assert_eq!(&out.to, addr);
        bob.decrypt(rng, &local, &out.envelope).unwrap();
        let reply = bob.encrypt(rng, &local, None, b"hi").unwrap();
        alice.decrypt(rng, addr, &reply).unwrap();
    }
    (alice, local)
}

/// The core alone: 5 sessions, each replied to, so every encrypt is on one sending chain.
pub fn sessions() -> Vec<Session> {
    let rng = &mut rand::rng();
    let alice_id = IdentityKeyPair::generate(rng);
    (0..DEVICES)
        .map(|_| {
            let bob_id = IdentityKeyPair::generate(rng);
            let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
            let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
            // Classical, as the account's sessions are until it consumes KEM prekeys (SPEC.md 15.6).
            let mut alice =
                Session::initiate_with(rng, &alice_id, &bundle, b"", PostQuantum::Allowed).unwrap();
            let Envelope::PreKey(first) = alice.encrypt(rng, b"hi").unwrap() else {
                unreachable!()
            };
            let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, b"").unwrap();
            alice.decrypt(&bob.encrypt(rng, b"hi").unwrap()).unwrap();
            alice
        })
        .collect()
}

/// Bob's 5 device addresses.
pub fn bob_devices() -> Vec<DeviceAddress> {
    (1..=DEVICES)
        .map(|d| DeviceAddress::new("bob", d).unwrap())
        .collect()
}

/// One round of `journal_floor_x5`: the 5 encrypts and envelope encodings, then one AES-256-GCM
/// seal with a fresh nonce over 40 bytes per device (an index, a 32-byte chain key, a counter).
pub fn journal_floor<R: rand::CryptoRng + ?Sized>(
    sessions: &mut [Session],
    cipher: &Aes256Gcm,
    rng: &mut R,
) {
    let mut journal = [0u8; 40 * DEVICES as usize];
    for (s, entry) in sessions.iter_mut().zip(journal.chunks_exact_mut(40)) {
        black_box(s.encrypt(rng, &MESSAGE).unwrap().to_bytes());
        entry[0] = 1;
    }
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let tag = cipher
        .encrypt_inout_detached((&nonce).into(), b"journal/bob", (&mut journal[..]).into())
        .unwrap();
    black_box((journal, tag));
}
