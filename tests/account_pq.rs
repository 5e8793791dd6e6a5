//! Accounts and PQXDH, on every store: the KEM prekeys an account publishes and consumes
//! (SPEC.md 14.6), the post-quantum policy of `Options::post_quantum` (15.6), and an account
//! created before KEM prekeys existed.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "account_support/mod.rs"]
mod support;

use crosswire::account::{AccountError, DeviceAddress, bundle_with_kem_prekey};
use crosswire::store::{Store, Table, Transaction};
use crosswire::{
    BundleError, DecryptError, Envelope, Error, KemPreKeyId, KemPreKeyKind, PostQuantum,
    PreKeyBundle,
};
use support::{Backend, DAY, Device, TestClock, options, snapshot};

macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $name() { super::$name(&mut super::support::Memory); } )*
        }
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $( #[test] fn $name() { super::$name(&mut super::support::Sqlite::new()); } )*
        }
    };
}

on_every_store!(
    accounts_set_up_pqxdh_sessions,
    one_time_kem_prekey_is_consumed_exactly_once,
    last_resort_kem_prekey_is_reused_and_kept,
    directory_serves_one_time_kem_prekeys,
    classical_bundle_refused_by_default_accepted_with_the_knob,
    classical_first_message_refused_by_default_accepted_with_the_knob,
    last_resort_rotation_and_grace_period,
    tampered_kem_ciphertext_consumes_nothing,
);

const ALICE: &str = "alice@a.example";
const BOB: &str = "bob@b.example";

fn device<B: Backend>(b: &mut B, clock: &TestClock, user: &str, id: u32) -> Device<B> {
    let mut o = options(clock);
    // Fewer keys than the default, so that tests run out of them quickly.
    o.one_time_kem_prekeys = 3;
    o.replenish_kem_below = 1;
    Device::new(b, user, id, o)
}

fn receive<B: Backend>(at: &mut Device<B>, from: &DeviceAddress, envelope: &[u8]) -> Vec<u8> {
    let entry = at
        .account()
        .decrypt(&mut rand::rng(), from, envelope)
        .unwrap();
    assert!(at.account().ack(entry.seq).unwrap());
    entry.plaintext.to_vec()
}

fn encrypt<B: Backend>(
    from: &mut Device<B>,
    to: &DeviceAddress,
    bundle: &PreKeyBundle,
    text: &[u8],
) -> Result<Vec<u8>, AccountError> {
    from.account()
        .encrypt(&mut rand::rng(), to, Some(bundle), text)
}

/// The KEM prekey a first message names, or `None` if it is not a PQXDH first message.
fn kem_prekey_of(envelope: &[u8]) -> Option<KemPreKeyId> {
    match Envelope::from_bytes(envelope).unwrap() {
        Envelope::PreKey(m) => m.kem_prekey_id(),
        Envelope::Ratchet(_) => None,
    }
}

/// Asserts that `f` fails with `expected` on `d` and leaves every row of its store as it was.
fn fails_and_writes_nothing<B: Backend, T: std::fmt::Debug>(
    d: &mut Device<B>,
    expected: AccountError,
    f: impl FnOnce(&mut Device<B>) -> Result<T, AccountError>,
) {
    let mut store = d.take_store();
    let before = snapshot(&mut store);
    d.put_back(store);
    assert_eq!(f(d).unwrap_err(), expected);
    let mut store = d.take_store();
    assert!(snapshot(&mut store) == before, "a failed operation wrote");
    d.put_back(store);
}

// -------------------------------------------------------------- protobuf surgery ----

fn varint(b: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate() {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    panic!("truncated varint")
}

/// The top-level fields of an encoded message, each as its number and its encoded bytes.
fn fields(mut b: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let start = b;
        let (tag, n) = varint(b);
        b = &b[n..];
        match tag & 7 {
            0 => b = &b[varint(b).1..],
            2 => {
                let (len, n) = varint(b);
                b = &b[n + len as usize..];
            }
            w => panic!("wire type {w}"),
        }
        out.push((tag >> 3, start[..start.len() - b.len()].to_vec()));
    }
    out
}

/// `bundle` as a server that strips its KEM prekey serves it: version 1, no field 7. Its
/// signed prekey signature still verifies, which is why only a policy stops the downgrade.
fn strip_kem_prekey(bundle: &PreKeyBundle) -> PreKeyBundle {
    let mut out = Vec::new();
    for (number, bytes) in fields(&bundle.to_bytes()) {
        match number {
            1 => out.extend_from_slice(&[0x08, 0x01]),
            7 => {}
            _ => out.extend_from_slice(&bytes),
        }
    }
    let stripped = PreKeyBundle::from_bytes(&out).unwrap();
    assert!(stripped.kem_prekey().is_none());
    stripped
}

/// `bundle` with the KEM prekey field of `kem_from` (signed by the same identity key).
fn with_kem_prekey_of(bundle: &PreKeyBundle, kem_from: &PreKeyBundle) -> PreKeyBundle {
    let kem = fields(&kem_from.to_bytes())
        .into_iter()
        .find(|(n, _)| *n == 7)
        .unwrap()
        .1;
    let mut out = Vec::new();
    for (number, bytes) in fields(&bundle.to_bytes()) {
        out.extend_from_slice(if number == 7 { &kem } else { &bytes });
    }
    PreKeyBundle::from_bytes(&out).unwrap()
}

// ----------------------------------------------------------------------- tests ----

fn accounts_set_up_pqxdh_sessions<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut alice = device(b, &clock, ALICE, 1);
    let mut bob = device(b, &clock, BOB, 7);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    // What create publishes is a version 2 bundle with the last-resort KEM prekey.
    let (_, kind, _) = bob.upload.bundle.kem_prekey().unwrap();
    assert_eq!(kind, KemPreKeyKind::LastResort);
    assert_eq!(bob.upload.one_time_kem_prekeys.len(), 3);

    let bundle = bob.account().bundle(&mut rand::rng()).unwrap();
    let (id, kind, _) = bundle.kem_prekey().unwrap();
    assert_eq!(kind, KemPreKeyKind::OneTime);
    let first = encrypt(&mut alice, &bo, &bundle, b"hello").unwrap();
    // A PQXDH first message: envelope version 2, naming the bundle's KEM prekey.
    assert_eq!(first[..2], [0x08, 0x02]);
    assert_eq!(kem_prekey_of(&first), Some(id));
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 3);
    assert_eq!(receive(&mut bob, &a, &first), b"hello");
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 2);
    for round in 0..3u8 {
        let reply = bob.account().encrypt(&mut rand::rng(), &a, None, &[round]);
        assert_eq!(receive(&mut alice, &bo, &reply.unwrap()), [round]);
        let next = alice
            .account()
            .encrypt(&mut rand::rng(), &bo, None, &[round, 1]);
        let next = next.unwrap();
        assert_eq!(
            kem_prekey_of(&next),
            None,
            "a ratchet message after the reply"
        );
        assert_eq!(receive(&mut bob, &a, &next), [round, 1]);
    }
    bob.restart(b);
    alice.restart(b);
    let m = alice
        .account()
        .encrypt(&mut rand::rng(), &bo, None, b"after restart");
    assert_eq!(receive(&mut bob, &a, &m.unwrap()), b"after restart");
}

fn one_time_kem_prekey_is_consumed_exactly_once<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut alice = device(b, &clock, ALICE, 1);
    let mut carol = device(b, &clock, "carol@c.example", 1);
    let mut bob = device(b, &clock, BOB, 7);
    let (a, c, bo) = (
        alice.address.clone(),
        carol.address.clone(),
        bob.address.clone(),
    );
    // The directory hands the same one-time KEM prekey to two senders (a directory bug, or a
    // replayed fetch); no one-time X25519 prekey, so only the KEM prekey can refuse Carol.
    let kem = bob.upload.one_time_kem_prekeys[0].clone();
    let bundle = bundle_with_kem_prekey(&bob.upload.bundle, &kem).unwrap();
    assert!(bundle.one_time_prekey().is_none());
    let from_alice = encrypt(&mut alice, &bo, &bundle, b"a").unwrap();
    let from_carol = encrypt(&mut carol, &bo, &bundle, b"c").unwrap();
    assert_eq!(kem_prekey_of(&from_carol), Some(kem.id));
    assert_eq!(receive(&mut bob, &a, &from_alice), b"a");
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 2);
    // Across a restart (for SqliteStore: the file closed and opened again), still consumed.
    bob.restart(b);
    fails_and_writes_nothing(&mut bob, AccountError::UnknownKemPreKey(kem.id), |bob| {
        bob.account().decrypt(&mut rand::rng(), &c, &from_carol)
    });
    assert_eq!(
        AccountError::UnknownKemPreKey(kem.id).code(),
        "account.unknown_kem_prekey"
    );
    // Alice's own first message again is a duplicate of the session it started, not a second
    // session, and consumes nothing either.
    fails_and_writes_nothing(
        &mut bob,
        AccountError::Crypto(Error::Decrypt(DecryptError::DuplicateOrExpired)),
        |bob| bob.account().decrypt(&mut rand::rng(), &a, &from_alice),
    );
}

fn last_resort_kem_prekey_is_reused_and_kept<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut bob = device(b, &clock, BOB, 7);
    let bo = bob.address.clone();
    let rng = &mut rand::rng();
    // bundle() hands out the three one-time KEM prekeys, then the last-resort one.
    for _ in 0..3 {
        let (_, kind, _) = bob.account().bundle(rng).unwrap().kem_prekey().unwrap();
        assert_eq!(kind, KemPreKeyKind::OneTime);
    }
    let mut last_resort = None;
    for user in ["alice@a.example", "carol@c.example", "dave@d.example"] {
        let mut sender = device(b, &clock, user, 1);
        let bundle = bob.account().bundle(rng).unwrap();
        let (id, kind, _) = bundle.kem_prekey().unwrap();
        assert_eq!(kind, KemPreKeyKind::LastResort);
        assert_eq!(
            *last_resort.get_or_insert(id),
            id,
            "the same last-resort key"
        );
        let first = encrypt(&mut sender, &bo, &bundle, user.as_bytes()).unwrap();
        assert_eq!(kem_prekey_of(&first), Some(id));
        assert_eq!(receive(&mut bob, &sender.address, &first), user.as_bytes());
        bob.restart(b);
    }
    // Nothing consumed the one-time KEM prekeys handed out but unused, or the last-resort key.
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 3);
    let upload = bob.account().upload().unwrap();
    assert_eq!(upload.bundle.kem_prekey().unwrap().0, last_resort.unwrap());
    assert!(upload.one_time_kem_prekeys.is_empty(), "all handed out");
}

fn directory_serves_one_time_kem_prekeys<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut bob = device(b, &clock, BOB, 7);
    let bo = bob.address.clone();
    let upload = bob.upload.clone();
    let again = bob.account().upload().unwrap();
    assert_eq!(again.bundle, upload.bundle);
    assert_eq!(again.one_time_kem_prekeys, upload.one_time_kem_prekeys);
    let mut queue = upload.one_time_kem_prekeys.clone();
    let mut used = Vec::new();
    for (i, user) in ["alice@a.example", "carol@c.example"].iter().enumerate() {
        let mut sender = device(b, &clock, user, 1);
        let kem = queue.remove(0);
        let (id, key) = upload.one_time_prekeys[i];
        let served = crosswire::account::bundle_with_one_time_prekey(&upload.bundle, id, &key);
        let served = bundle_with_kem_prekey(&served.unwrap(), &kem).unwrap();
        assert_eq!(served.one_time_prekey().unwrap().0, id);
        assert_eq!(
            served.kem_prekey().unwrap(),
            (kem.id, KemPreKeyKind::OneTime, &kem.public_key)
        );
        let first = encrypt(&mut sender, &bo, &served, b"hi").unwrap();
        assert_eq!(receive(&mut bob, &sender.address, &first), b"hi");
        used.push(kem.id);
    }
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 1);
    // maintain replenishes below replenish_kem_below (1): not yet.
    assert!(bob.account().maintain(&mut rand::rng()).unwrap().is_none());
    let mut sender = device(b, &clock, "dave@d.example", 1);
    let served = bundle_with_kem_prekey(&upload.bundle, &queue.remove(0)).unwrap();
    let first = encrypt(&mut sender, &bo, &served, b"hi").unwrap();
    receive(&mut bob, &sender.address, &first);
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 0);
    let refill = bob.account().maintain(&mut rand::rng()).unwrap().unwrap();
    assert_eq!(refill.one_time_kem_prekeys.len(), 3);
    assert!(
        refill.one_time_prekeys.is_empty(),
        "X25519 ones are still plenty"
    );
    let ids: Vec<_> = refill.one_time_kem_prekeys.iter().map(|k| k.id).collect();
    assert_eq!(ids, [KemPreKeyId(5), KemPreKeyId(6), KemPreKeyId(7)]);
    assert!(used.iter().all(|u| !ids.contains(u)));
    // A KEM prekey whose signature does not verify is refused by the directory helper.
    let mut forged = refill.one_time_kem_prekeys[0].clone();
    forged.signature[5] ^= 1;
    assert_eq!(
        bundle_with_kem_prekey(&refill.bundle, &forged).unwrap_err(),
        AccountError::Crypto(Error::Bundle(BundleError::BadSignature))
    );
}

fn classical_bundle_refused_by_default_accepted_with_the_knob<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut alice = device(b, &clock, ALICE, 1);
    let mut bob = device(b, &clock, BOB, 7);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let classical = strip_kem_prekey(&bob.account().bundle(&mut rand::rng()).unwrap());
    fails_and_writes_nothing(
        &mut alice,
        AccountError::Crypto(Error::Bundle(BundleError::ClassicalOnly)),
        |alice| encrypt(alice, &bo, &classical, b"x"),
    );
    // Both sides allow classical sessions: X3DH, as before KEM prekeys.
    alice.options.post_quantum = PostQuantum::Allowed;
    alice.restart(b);
    bob.options.post_quantum = PostQuantum::Allowed;
    bob.restart(b);
    let first = encrypt(&mut alice, &bo, &classical, b"classical").unwrap();
    assert_eq!(first[..2], [0x08, 0x01], "envelope version 1");
    assert_eq!(kem_prekey_of(&first), None);
    assert_eq!(receive(&mut bob, &a, &first), b"classical");
    // A bundle with a KEM prekey is still used with PQXDH under the knob.
    let mut carol = device(b, &clock, "carol@c.example", 1);
    carol.options.post_quantum = PostQuantum::Allowed;
    carol.restart(b);
    let pq = bob.account().bundle(&mut rand::rng()).unwrap();
    let first = encrypt(&mut carol, &bo, &pq, b"pq").unwrap();
    assert!(kem_prekey_of(&first).is_some());
    assert_eq!(receive(&mut bob, &carol.address, &first), b"pq");
}

fn classical_first_message_refused_by_default_accepted_with_the_knob<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut alice = device(b, &clock, ALICE, 1);
    let mut bob = device(b, &clock, BOB, 7);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    alice.options.post_quantum = PostQuantum::Allowed;
    alice.restart(b);
    // A server strips the KEM prekey from Bob's bundle and Alice's policy lets it through:
    // Bob, requiring post-quantum setup, refuses the classical first message and burns
    // nothing (not even the one-time X25519 prekey it names).
    let classical = strip_kem_prekey(&bob.account().bundle(&mut rand::rng()).unwrap());
    assert!(classical.one_time_prekey().is_some());
    let first = encrypt(&mut alice, &bo, &classical, b"downgraded").unwrap();
    let prekeys = bob.account().one_time_prekey_count().unwrap();
    fails_and_writes_nothing(
        &mut bob,
        AccountError::Crypto(Error::Decrypt(DecryptError::ClassicalOnly)),
        |bob| bob.account().decrypt(&mut rand::rng(), &a, &first),
    );
    bob.options.post_quantum = PostQuantum::Allowed;
    bob.restart(b);
    assert_eq!(receive(&mut bob, &a, &first), b"downgraded");
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), prekeys - 1);
}

fn last_resort_rotation_and_grace_period<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut bob = device(b, &clock, BOB, 7);
    let bo = bob.address.clone();
    let old = bob.upload.bundle.clone();
    let (old_id, _, _) = old.kem_prekey().unwrap();
    assert!(bob.account().maintain(&mut rand::rng()).unwrap().is_none());
    clock.advance(7 * DAY - 1);
    assert!(bob.account().maintain(&mut rand::rng()).unwrap().is_none());
    clock.advance(1);
    let rotated = bob.account().maintain(&mut rand::rng()).unwrap().unwrap();
    let (new_id, kind, _) = rotated.bundle.kem_prekey().unwrap();
    assert_eq!(kind, KemPreKeyKind::LastResort);
    // One id space: 1 was the last-resort key, 2..=4 the one-time ones.
    assert_eq!((old_id, new_id), (KemPreKeyId(1), KemPreKeyId(5)));
    assert_ne!(rotated.bundle.signed_prekey_id(), old.signed_prekey_id());
    assert!(rotated.one_time_kem_prekeys.is_empty());
    assert_eq!(bob.account().upload().unwrap().bundle, rotated.bundle);

    // The new signed prekey with the old last-resort KEM prekey: only the KEM prekey's grace
    // period decides.
    let mixed = with_kem_prekey_of(&rotated.bundle, &old);
    let mut alice = device(b, &clock, ALICE, 1);
    let first = encrypt(&mut alice, &bo, &mixed, b"in grace").unwrap();
    assert_eq!(kem_prekey_of(&first), Some(old_id));
    clock.advance(30 * DAY - 1);
    assert_eq!(receive(&mut bob, &alice.address, &first), b"in grace");
    let mut carol = device(b, &clock, "carol@c.example", 1);
    let late = encrypt(&mut carol, &bo, &mixed, b"too late").unwrap();
    clock.advance(1);
    // Past the grace period the retired key is refused even before maintain deletes it.
    fails_and_writes_nothing(&mut bob, AccountError::UnknownKemPreKey(old_id), |bob| {
        bob.account()
            .decrypt(&mut rand::rng(), &carol.address, &late)
    });
    let key = [1u8, 0, 0, 0, 1];
    let held = |bob: &mut Device<B>| {
        let mut store = bob.take_store();
        let present = store
            .transaction()
            .unwrap()
            .get(Table::KemPreKeys, &key)
            .unwrap()
            .is_some();
        bob.put_back(store);
        present
    };
    assert!(held(&mut bob));
    bob.account().maintain(&mut rand::rng()).unwrap();
    assert!(
        !held(&mut bob),
        "deleted by maintain after the grace period"
    );
    // The current one still works, and was itself rotated by now (37 days).
    let fresh = bob.account().bundle(&mut rand::rng()).unwrap();
    let mut dave = device(b, &clock, "dave@d.example", 1);
    let first = encrypt(&mut dave, &bo, &fresh, b"fresh").unwrap();
    assert_eq!(receive(&mut bob, &dave.address, &first), b"fresh");
}

fn tampered_kem_ciphertext_consumes_nothing<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut alice = device(b, &clock, ALICE, 1);
    let mut bob = device(b, &clock, BOB, 7);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let bundle = bob.account().bundle(&mut rand::rng()).unwrap();
    let first = encrypt(&mut alice, &bo, &bundle, b"hello").unwrap();
    // The KEM ciphertext is the envelope's last field; another one decapsulates to another
    // secret (implicit rejection), so the first message does not authenticate.
    let mut tampered = first.clone();
    let at = tampered.len() - 100;
    tampered[at] ^= 1;
    fails_and_writes_nothing(
        &mut bob,
        AccountError::SessionLost { address: a.clone() },
        |bob| bob.account().decrypt(&mut rand::rng(), &a, &tampered),
    );
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 3);
    assert_eq!(receive(&mut bob, &a, &first), b"hello");
    assert_eq!(bob.account().one_time_kem_prekey_count().unwrap(), 2);
}

/// An account created before KEM prekeys existed (schema 1, no KEM rows) opens after the
/// migration, publishes classical bundles until `maintain`, then PQXDH ones.
#[cfg(feature = "sqlite")]
#[test]
fn an_account_from_before_kem_prekeys_gets_them_from_maintain() {
    use crosswire::account::Account;
    use crosswire::store::SqliteStore;
    let mut b = support::Sqlite::new();
    let clock = TestClock::new();
    let mut bob = device(&mut b, &clock, BOB, 7);
    let path = b.path(&bob.name);
    drop(bob.take_store());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE kem_prekeys; DELETE FROM meta WHERE key = CAST('kem_prekeys' AS BLOB);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path, Default::default()).unwrap();
    let mut account = Account::open(store, &bob.key, bob.options.clone()).unwrap();
    let old = account.upload().unwrap();
    assert!(
        old.bundle.kem_prekey().is_none(),
        "classical until maintain"
    );
    assert!(old.one_time_kem_prekeys.is_empty());
    assert_eq!(account.one_time_kem_prekey_count().unwrap(), 0);
    let upload = account.maintain(&mut rand::rng()).unwrap().unwrap();
    let (id, kind, _) = upload.bundle.kem_prekey().unwrap();
    assert_eq!((id, kind), (KemPreKeyId(1), KemPreKeyKind::LastResort));
    assert_eq!(upload.one_time_kem_prekeys.len(), 3);
    assert!(upload.one_time_prekeys.is_empty());
    bob.account = Some(account);
    let mut alice = device(&mut b, &clock, ALICE, 1);
    let bundle = bob.account().bundle(&mut rand::rng()).unwrap();
    let first = encrypt(&mut alice, &bob.address, &bundle, b"pq now").unwrap();
    assert!(kem_prekey_of(&first).is_some());
    assert_eq!(receive(&mut bob, &alice.address, &first), b"pq now");
}
