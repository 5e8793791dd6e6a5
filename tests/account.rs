//! The account layer through its public API, on every store: conversations, restarts,
//! exactly-once delivery, rollback, the prekey lifecycle, trust, and tampering at rest.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "account_support/mod.rs"]
mod support;

use crosswire::account::{
    Account, AccountError, DeviceAddress, MAX_PREVIOUS_SESSIONS, bundle_with_one_time_prekey,
};
use crosswire::store::{StorageKey, Store, StoreError, Table, Transaction};
use crosswire::{Content, DecryptError, Error, MAX_SKIP, MessageId};
use support::{Backend, DAY, Device, TestClock, options, snapshot};

macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[test] fn $name() { super::$name(&mut super::support::Memory); } )*
        }
        /// Every restart through `MemoryStore::export` and `import` (a web client's reload).
        mod memory_export {
            $( #[test] fn $name() { super::$name(&mut super::support::MemoryExport); } )*
        }
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $( #[test] fn $name() { super::$name(&mut super::support::Sqlite::new()); } )*
        }
    };
}

on_every_store!(
    full_conversation,
    restart_mid_conversation,
    inbox_is_exactly_once,
    decrypt_with_error_rolls_back,
    duplicate_first_message_continues_the_session,
    duplicate_first_message_without_one_time_prekey,
    one_time_prekey_is_consumed_exactly_once,
    bundle_without_one_time_prekey_works,
    replenishment,
    rotation_and_grace_period,
    first_message_after_grace_fails_and_burns_nothing,
    identity_change_is_reported_and_nothing_is_consumed,
    identity_change_on_encrypt,
    unacknowledged_session_goes_stale,
    wrong_key_and_missing_account,
    flipped_byte_is_corrupt,
    swapped_rows_are_corrupt,
    simultaneous_initiation_converges,
    previous_sessions_are_bounded,
    content_round_trip,
    directory_upload_serves_bundles,
    debug_prints_no_secret,
    safety_numbers_follow_the_trusted_key,
    unanswered_new_session_yields_to_the_old_one,
    a_session_kept_behind_the_current_one_still_advances,
    old_duplicate_is_a_duplicate_not_a_lost_session,
    empty_message_reaches_the_inbox,
);

fn pair<B: Backend>(b: &mut B) -> (TestClock, Device<B>, Device<B>) {
    let clock = TestClock::new();
    let alice = Device::new(b, "alice@a.example", 1, options(&clock));
    let bob = Device::new(b, "bob@b.example", 7, options(&clock));
    (clock, alice, bob)
}

/// A pair that has exchanged a message each way, so each one's session is proven.
fn answered<B: Backend>(b: &mut B) -> (Device<B>, Device<B>) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let m = send(&mut alice, &mut bob, b"hello");
    receive(&mut bob, &a, &m);
    let m = send(&mut bob, &mut alice, b"hi");
    receive(&mut alice, &bo, &m);
    (alice, bob)
}

fn send<B: Backend>(from: &mut Device<B>, to: &mut Device<B>, text: &[u8]) -> Vec<u8> {
    let rng = &mut rand::rng();
    let to_address = to.address.clone();
    match from.account().encrypt(rng, &to_address, None, text) {
        Ok(envelope) => envelope,
        Err(AccountError::NoSession) => {
            let bundle = to.account().bundle(rng).unwrap();
            from.account()
                .encrypt(rng, &to_address, Some(&bundle), text)
                .unwrap()
        }
        Err(e) => panic!("encrypt: {e:?}"),
    }
}

fn receive<B: Backend>(at: &mut Device<B>, from: &DeviceAddress, envelope: &[u8]) -> Vec<u8> {
    let entry = at
        .account()
        .decrypt(&mut rand::rng(), from, envelope)
        .unwrap();
    assert_eq!(&entry.from, from);
    assert!(at.account().ack(entry.seq).unwrap());
    entry.plaintext.to_vec()
}

fn full_conversation<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let first = send(&mut alice, &mut bob, b"hello bob");
    assert_eq!(receive(&mut bob, &a, &first), b"hello bob");
    for round in 0..5u8 {
        let m1 = send(&mut bob, &mut alice, &[round, 1]);
        let m2 = send(&mut bob, &mut alice, &[round, 2]);
        // Out of order within a chain.
        assert_eq!(receive(&mut alice, &bo, &m2), [round, 2]);
        assert_eq!(receive(&mut alice, &bo, &m1), [round, 1]);
        let m3 = send(&mut alice, &mut bob, &[round, 3]);
        assert_eq!(receive(&mut bob, &a, &m3), [round, 3]);
    }
    assert_eq!(alice.account().devices("bob@b.example").unwrap(), [bo]);
    assert_eq!(bob.account().devices("alice@a.example").unwrap(), [a]);
    assert!(alice.account().devices("bob").unwrap().is_empty());
}

fn restart_mid_conversation<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let first = send(&mut alice, &mut bob, b"one");
    bob.restart(b);
    assert_eq!(receive(&mut bob, &a, &first), b"one");
    let reply = send(&mut bob, &mut alice, b"two");
    alice.restart(b);
    bob.restart(b);
    assert_eq!(receive(&mut alice, &bo, &reply), b"two");
    let third = send(&mut alice, &mut bob, b"three");
    alice.restart(b);
    assert_eq!(receive(&mut bob, &a, &third), b"three");
    let fourth = send(&mut alice, &mut bob, b"four");
    assert_eq!(receive(&mut bob, &a, &fourth), b"four");
}

fn inbox_is_exactly_once<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let a = alice.address.clone();
    let rng = &mut rand::rng();
    let first = send(&mut alice, &mut bob, b"m1");
    let second = send(&mut alice, &mut bob, b"m2");
    let e1 = bob.account().decrypt(rng, &a, &first).unwrap();
    let e2 = bob.account().decrypt(rng, &a, &second).unwrap();
    assert!(e2.seq > e1.seq);
    // "The app died before saving it": the entries survive the restart.
    bob.restart(b);
    let inbox = bob.account().inbox().unwrap();
    let seen: Vec<_> = inbox
        .iter()
        .map(|e| (e.seq, e.from.clone(), e.plaintext.to_vec()))
        .collect();
    assert_eq!(
        seen,
        [
            (e1.seq, a.clone(), b"m1".to_vec()),
            (e2.seq, a.clone(), b"m2".to_vec())
        ]
    );
    // A message decrypts once: a second delivery is refused and adds nothing.
    assert!(bob.account().decrypt(rng, &a, &second).is_err());
    assert_eq!(bob.account().inbox().unwrap().len(), 2);
    assert!(bob.account().ack(e1.seq).unwrap());
    assert!(!bob.account().ack(e1.seq).unwrap());
    bob.restart(b);
    let left = bob.account().inbox().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].seq, e2.seq);
    // Sequence numbers are never reused, even after the inbox empties.
    assert!(bob.account().ack(e2.seq).unwrap());
    let third = send(&mut alice, &mut bob, b"m3");
    let e3 = bob.account().decrypt(rng, &a, &third).unwrap();
    assert!(e3.seq > e2.seq);
}

#[derive(Debug, PartialEq)]
enum AppError {
    Account(AccountError),
    DiskFull,
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        AppError::Account(e)
    }
}

fn decrypt_with_error_rolls_back<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let a = alice.address.clone();
    let rng = &mut rand::rng();
    let first = send(&mut alice, &mut bob, b"first");
    let mut store = bob.take_store();
    let before = snapshot(&mut store);
    bob.put_back(store);
    let mut seen = Vec::new();
    let r: Result<(), AppError> = bob.account().decrypt_with(rng, &a, &first, |pt| {
        seen.push(pt.to_vec());
        Err(AppError::DiskFull)
    });
    assert_eq!(r, Err(AppError::DiskFull));
    assert_eq!(seen, [b"first".to_vec()]);
    let mut store = bob.take_store();
    assert_eq!(
        snapshot(&mut store),
        before,
        "a failed save changed the store"
    );
    bob.put_back(store);
    // It decrypts again, now saved by the app (no inbox entry).
    let saved: Result<Vec<u8>, AppError> = bob
        .account()
        .decrypt_with(rng, &a, &first, |pt| Ok(pt.to_vec()));
    assert_eq!(saved.unwrap(), b"first");
    assert!(bob.account().inbox().unwrap().is_empty());
    assert_eq!(
        bob.account().one_time_prekey_count().unwrap(),
        99,
        "the first message consumed its one-time prekey once"
    );
    let again: Result<(), AppError> = bob.account().decrypt_with(rng, &a, &first, |_| Ok(()));
    assert!(matches!(
        again,
        Err(AppError::Account(AccountError::Crypto(_)))
    ));
}

fn duplicate_first_message_continues_the_session<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let first = send(&mut alice, &mut bob, b"first");
    let second = send(&mut alice, &mut bob, b"second");
    assert_eq!(receive(&mut bob, &a, &first), b"first");
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), 99);
    let mut store = bob.take_store();
    let before = snapshot(&mut store);
    bob.put_back(store);
    let dup = bob.account().decrypt(&mut rand::rng(), &a, &first);
    assert_eq!(
        dup.err(),
        Some(AccountError::Crypto(Error::Decrypt(
            DecryptError::DuplicateOrExpired
        )))
    );
    let mut store = bob.take_store();
    assert_eq!(snapshot(&mut store), before);
    bob.put_back(store);
    // The second prekey message continues the same session: no second one-time prekey.
    assert_eq!(receive(&mut bob, &a, &second), b"second");
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), 99);
    let reply = send(&mut bob, &mut alice, b"reply");
    assert_eq!(receive(&mut alice, &bo, &reply), b"reply");
}

fn duplicate_first_message_without_one_time_prekey<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let mut bundle = bob.upload.bundle.clone();
    assert!(bundle.one_time_prekey().is_none());
    bundle = crosswire::PreKeyBundle::from_bytes(&bundle.to_bytes()).unwrap();
    let first = alice
        .account()
        .encrypt(rng, &bo, Some(&bundle), b"no opk")
        .unwrap();
    assert_eq!(receive(&mut bob, &a, &first), b"no opk");
    // A replay of a first message without a one-time prekey would start a second session if
    // handled by Session::respond alone; the account recognises it.
    assert!(matches!(
        bob.account().decrypt(rng, &a, &first),
        Err(AccountError::Crypto(Error::Decrypt(
            DecryptError::DuplicateOrExpired
        )))
    ));
    assert!(bob.account().inbox().unwrap().is_empty());
    let reply = send(&mut bob, &mut alice, b"reply");
    assert_eq!(receive(&mut alice, &bo, &reply), b"reply");
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), 100);
}

fn one_time_prekey_is_consumed_exactly_once<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let mut carol = Device::new(b, "carol@c.example", 1, options(&clock));
    let (a, c) = (alice.address.clone(), carol.address.clone());
    let bo = bob.address.clone();
    let rng = &mut rand::rng();
    let bundle = bob.account().bundle(rng).unwrap();
    let opk = bundle.one_time_prekey().unwrap().0;
    let from_alice = alice
        .account()
        .encrypt(rng, &bo, Some(&bundle), b"a")
        .unwrap();
    // The same bundle reaches Carol too (a directory bug, or a replayed fetch).
    let from_carol = carol
        .account()
        .encrypt(rng, &bo, Some(&bundle), b"c")
        .unwrap();
    assert_eq!(receive(&mut bob, &a, &from_alice), b"a");
    let mut store = bob.take_store();
    let before = snapshot(&mut store);
    bob.put_back(store);
    assert_eq!(
        bob.account().decrypt(rng, &c, &from_carol).err(),
        Some(AccountError::UnknownPreKey(opk))
    );
    let mut store = bob.take_store();
    assert_eq!(snapshot(&mut store), before);
    bob.put_back(store);
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), 99);
    // Carol recovers with a fresh bundle once her session is replaced.
    let fresh = bob.account().bundle(rng).unwrap();
    assert_ne!(fresh.one_time_prekey().unwrap().0, opk);
}

fn bundle_without_one_time_prekey_works<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut o = options(&clock);
    o.one_time_prekeys = 2;
    o.replenish_below = 1;
    let mut bob = Device::new(b, "bob", 1, o);
    let mut alice = Device::new(b, "alice", 1, options(&clock));
    let rng = &mut rand::rng();
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    assert!(
        bob.account()
            .bundle(rng)
            .unwrap()
            .one_time_prekey()
            .is_some()
    );
    assert!(
        bob.account()
            .bundle(rng)
            .unwrap()
            .one_time_prekey()
            .is_some()
    );
    let bare = bob.account().bundle(rng).unwrap();
    assert!(bare.one_time_prekey().is_none(), "all handed out");
    let first = alice
        .account()
        .encrypt(rng, &bo, Some(&bare), b"hi")
        .unwrap();
    assert_eq!(receive(&mut bob, &a, &first), b"hi");
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), 2);
    let reply = send(&mut bob, &mut alice, b"ok");
    assert_eq!(receive(&mut alice, &bo, &reply), b"ok");
}

fn replenishment<B: Backend>(b: &mut B) {
    let clock = TestClock::new();
    let mut o = options(&clock);
    o.one_time_prekeys = 10;
    o.replenish_below = 4;
    let mut bob = Device::new(b, "bob", 1, o);
    let rng = &mut rand::rng();
    let created: Vec<u32> = bob.upload.one_time_prekeys.iter().map(|k| k.0.0).collect();
    assert_eq!(created, (1..=10).collect::<Vec<_>>());
    assert!(bob.account().maintain(rng).unwrap().is_none());
    // Hand out 6: 4 left, not below the threshold.
    for _ in 0..6 {
        bob.account().bundle(rng).unwrap();
    }
    assert!(bob.account().maintain(rng).unwrap().is_none());
    bob.account().bundle(rng).unwrap();
    bob.restart(b);
    let upload = bob.account().maintain(rng).unwrap().expect("replenished");
    let ids: Vec<u32> = upload.one_time_prekeys.iter().map(|k| k.0.0).collect();
    assert_eq!(ids, (11..=17).collect::<Vec<_>>(), "3 left, refilled to 10");
    assert_eq!(upload.bundle.signed_prekey_id().0, 1, "no rotation yet");
    assert!(bob.account().maintain(rng).unwrap().is_none());
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), 17);
    let all = bob.account().upload().unwrap();
    let ids: Vec<u32> = all.one_time_prekeys.iter().map(|k| k.0.0).collect();
    assert_eq!(ids, (8..=17).collect::<Vec<_>>());
    // A second refill continues after the first one's ids: a refill without a rotation still
    // stores the advanced counter, or it would issue ids 11 to 17 again, over held keys.
    for _ in 0..7 {
        bob.account().bundle(rng).unwrap();
    }
    let upload = bob
        .account()
        .maintain(rng)
        .unwrap()
        .expect("replenished again");
    let ids: Vec<u32> = upload.one_time_prekeys.iter().map(|k| k.0.0).collect();
    assert_eq!(ids, (18..=24).collect::<Vec<_>>(), "3 left, refilled to 10");
}

fn rotation_and_grace_period<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let mut carol = Device::new(b, "carol", 1, options(&clock));
    let (a, c, bo) = (
        alice.address.clone(),
        carol.address.clone(),
        bob.address.clone(),
    );
    let rng = &mut rand::rng();
    let old_bundle = bob.account().bundle(rng).unwrap();
    clock.advance(7 * DAY - 1);
    assert!(bob.account().maintain(rng).unwrap().is_none());
    clock.advance(1);
    let upload = bob.account().maintain(rng).unwrap().expect("rotated");
    assert_eq!(upload.bundle.signed_prekey_id().0, 2);
    assert!(upload.one_time_prekeys.is_empty());
    assert_eq!(bob.account().bundle(rng).unwrap().signed_prekey_id().0, 2);
    // In flight: a first message to the old signed prekey, 29 days after rotation.
    let late = alice
        .account()
        .encrypt(rng, &bo, Some(&old_bundle), b"late")
        .unwrap();
    clock.advance(29 * DAY);
    bob.account().maintain(rng).unwrap();
    assert_eq!(receive(&mut bob, &a, &late), b"late");
    let new_bundle = bob.account().bundle(rng).unwrap();
    let fresh = carol
        .account()
        .encrypt(rng, &bo, Some(&new_bundle), b"new")
        .unwrap();
    assert_eq!(receive(&mut bob, &c, &fresh), b"new");
}

fn first_message_after_grace_fails_and_burns_nothing<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let bo = bob.address.clone();
    let a = alice.address.clone();
    let rng = &mut rand::rng();
    let old_bundle = bob.account().bundle(rng).unwrap();
    let opk = old_bundle.one_time_prekey().unwrap().0;
    let too_late = alice
        .account()
        .encrypt(rng, &bo, Some(&old_bundle), b"too late")
        .unwrap();
    clock.advance(7 * DAY);
    bob.account().maintain(rng).unwrap().expect("rotated");
    clock.advance(30 * DAY);
    // Before maintain deletes it, the expired key is refused already.
    let count = bob.account().one_time_prekey_count().unwrap();
    assert_eq!(
        bob.account().decrypt(rng, &a, &too_late).err(),
        Some(AccountError::UnknownSignedPreKey(
            old_bundle.signed_prekey_id()
        ))
    );
    bob.account().maintain(rng).unwrap();
    let mut store = bob.take_store();
    let before = snapshot(&mut store);
    bob.put_back(store);
    assert_eq!(
        bob.account().decrypt(rng, &a, &too_late).err(),
        Some(AccountError::UnknownSignedPreKey(
            old_bundle.signed_prekey_id()
        ))
    );
    let mut store = bob.take_store();
    assert_eq!(snapshot(&mut store), before);
    {
        let mut tx = store.transaction().unwrap();
        assert!(
            tx.get(Table::OneTimePreKeys, &opk.0.to_be_bytes())
                .unwrap()
                .is_some(),
            "the one-time prekey is not burned"
        );
        assert!(
            tx.get(Table::SignedPreKeys, &1u32.to_be_bytes())
                .unwrap()
                .is_none(),
            "the expired signed prekey is deleted"
        );
    }
    bob.put_back(store);
    assert_eq!(bob.account().one_time_prekey_count().unwrap(), count);
}

fn identity_change_is_reported_and_nothing_is_consumed<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let first = send(&mut alice, &mut bob, b"hi");
    receive(&mut bob, &a, &first);
    let old_key = *alice.account().identity_key();
    assert_eq!(bob.account().trusted_identity(&a).unwrap(), Some(old_key));
    // Alice reinstalls: same address, new identity.
    let mut alice2 = Device::new(b, "alice@a.example", 1, options(&clock));
    let new_key = *alice2.account().identity_key();
    let bundle = bob.account().bundle(rng).unwrap();
    let opk = bundle.one_time_prekey().unwrap().0;
    let hello = alice2
        .account()
        .encrypt(rng, &bo, Some(&bundle), b"it's me, new phone")
        .unwrap();
    let mut store = bob.take_store();
    let before = snapshot(&mut store);
    bob.put_back(store);
    let err = bob.account().decrypt(rng, &a, &hello).unwrap_err();
    assert_eq!(
        err,
        AccountError::IdentityChanged {
            address: a.clone(),
            trusted: Box::new(old_key),
            received: Box::new(new_key),
        }
    );
    let mut store = bob.take_store();
    assert_eq!(snapshot(&mut store), before, "nothing consumed");
    {
        let mut tx = store.transaction().unwrap();
        assert!(
            tx.get(Table::OneTimePreKeys, &opk.0.to_be_bytes())
                .unwrap()
                .is_some()
        );
    }
    bob.put_back(store);
    // The user compared safety numbers; the app accepts the new key.
    bob.account().trust_identity(rng, &a, &new_key).unwrap();
    assert_eq!(receive(&mut bob, &a, &hello), b"it's me, new phone");
    let reply = send(&mut bob, &mut alice2, b"welcome back");
    assert_eq!(receive(&mut alice2, &bo, &reply), b"welcome back");
    // The old key's sessions are gone: the old install can no longer reach Bob.
    let stale = alice.account().encrypt(rng, &bo, None, b"old").unwrap();
    assert!(bob.account().decrypt(rng, &a, &stale).is_err());
}

fn identity_change_on_encrypt<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let bo = bob.address.clone();
    let rng = &mut rand::rng();
    // Alice starts a session that never gets a reply; Bob then reinstalls.
    let b1 = bob.account().bundle(rng).unwrap();
    alice.account().encrypt(rng, &bo, Some(&b1), b"1").unwrap();
    let mut bob2 = Device::new(b, "bob@b.example", 7, options(&clock));
    let b2 = bob2.account().bundle(rng).unwrap();
    // While the old session is usable it is used (the bundle is only for a missing session).
    alice.account().encrypt(rng, &bo, Some(&b2), b"2").unwrap();
    clock.advance(31 * DAY);
    let err = alice
        .account()
        .encrypt(rng, &bo, Some(&b2), b"3")
        .unwrap_err();
    assert!(
        matches!(&err, AccountError::IdentityChanged { address, received, .. }
            if *address == bo && **received == *b2.identity_key()),
        "{err:?}"
    );
    alice
        .account()
        .trust_identity(rng, &bo, b2.identity_key())
        .unwrap();
    let m = alice.account().encrypt(rng, &bo, Some(&b2), b"3").unwrap();
    assert_eq!(receive(&mut bob2, &alice.address.clone(), &m), b"3");
}

fn unacknowledged_session_goes_stale<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let b1 = bob.account().bundle(rng).unwrap();
    alice
        .account()
        .encrypt(rng, &bo, Some(&b1), b"lost")
        .unwrap();
    clock.advance(30 * DAY - 1);
    alice.account().encrypt(rng, &bo, None, b"still").unwrap();
    clock.advance(1);
    assert_eq!(
        alice.account().encrypt(rng, &bo, None, b"stale").err(),
        Some(AccountError::NoSession)
    );
    let b2 = bob.account().bundle(rng).unwrap();
    let m = alice
        .account()
        .encrypt(rng, &bo, Some(&b2), b"fresh")
        .unwrap();
    assert_eq!(receive(&mut bob, &a, &m), b"fresh");
    // A session that got a reply never goes stale.
    let reply = send(&mut bob, &mut alice, b"reply");
    receive(&mut alice, &bo, &reply);
    clock.advance(365 * DAY);
    let m = alice
        .account()
        .encrypt(rng, &bo, None, b"a year on")
        .unwrap();
    assert_eq!(receive(&mut bob, &a, &m), b"a year on");
}

fn wrong_key_and_missing_account<B: Backend>(b: &mut B) {
    let (clock, mut alice, _) = pair(b);
    let store = alice.take_store();
    let wrong = StorageKey::from_bytes([7; 32]);
    let err = Account::open(store, &wrong, options(&clock)).unwrap_err();
    assert_eq!(err, AccountError::Store(StoreError::WrongKey));
    let empty = b.create("empty");
    assert_eq!(
        Account::open(empty, &wrong, options(&clock)).unwrap_err(),
        AccountError::NotFound
    );
    // Create refuses a store that holds an account.
    let mut carol = Device::new(b, "carol", 1, options(&clock));
    let store = carol.take_store();
    assert_eq!(
        Account::create(&mut rand::rng(), store, &carol.key, options(&clock)).unwrap_err(),
        AccountError::AlreadyExists
    );
}

/// Flips one byte of the value in (`table`, `key`), in place.
fn flip<S: Store>(store: &mut S, table: Table, key: &[u8], at: usize) {
    let mut tx = store.transaction().unwrap();
    let mut value = tx.get(table, key).unwrap().unwrap();
    let i = at % value.len();
    value[i] ^= 0x40;
    tx.put(table, key, &value).unwrap();
    tx.commit().unwrap();
}

fn flipped_byte_is_corrupt<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let first = send(&mut alice, &mut bob, b"hi");
    receive(&mut bob, &a, &first);
    let corrupt = Some(AccountError::Store(StoreError::Corrupt));
    for at in [0, 5, 40, 10_000] {
        let mut store = alice.take_store();
        flip(&mut store, Table::Sessions, &bo_key(&bo), at);
        alice.put_back(store);
        assert_eq!(alice.account().encrypt(rng, &bo, None, b"x").err(), corrupt);
        flip_back(&mut alice, Table::Sessions, &bo_key(&bo), at);
        alice.account().encrypt(rng, &bo, None, b"x").unwrap();
    }
    // The identity row: opening fails as Corrupt, not WrongKey.
    let mut store = alice.take_store();
    flip(&mut store, Table::Meta, b"identity", 20);
    assert_eq!(
        Account::open(store, &alice.key, options(&clock)).err(),
        corrupt
    );
}

fn flip_back<B: Backend>(d: &mut Device<B>, table: Table, key: &[u8], at: usize) {
    let mut store = d.take_store();
    flip(&mut store, table, key, at);
    d.put_back(store);
}

fn bo_key(a: &DeviceAddress) -> Vec<u8> {
    let mut k = vec![a.user().len() as u8];
    k.extend_from_slice(a.user().as_bytes());
    k.extend_from_slice(&a.device().to_be_bytes());
    k
}

fn swapped_rows_are_corrupt<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let mut bob2 = Device::new(b, "bob@b.example", 8, options(&clock));
    let (bo, bo2) = (bob.address.clone(), bob2.address.clone());
    let rng = &mut rand::rng();
    send(&mut alice, &mut bob, b"to 7");
    send(&mut alice, &mut bob2, b"to 8");
    let mut store = alice.take_store();
    {
        let mut tx = store.transaction().unwrap();
        let row7 = tx.get(Table::Sessions, &bo_key(&bo)).unwrap().unwrap();
        tx.put(Table::Sessions, &bo_key(&bo2), &row7).unwrap();
        let trust7 = tx.get(Table::Identities, &bo_key(&bo)).unwrap().unwrap();
        tx.put(Table::Identities, &bo_key(&bo2), &trust7).unwrap();
        tx.commit().unwrap();
    }
    alice.put_back(store);
    assert_eq!(
        alice.account().encrypt(rng, &bo2, None, b"x").err(),
        Some(AccountError::Store(StoreError::Corrupt))
    );
    assert_eq!(
        alice.account().trusted_identity(&bo2).err(),
        Some(AccountError::Store(StoreError::Corrupt))
    );
    alice
        .account()
        .encrypt(rng, &bo, None, b"7 still fine")
        .unwrap();
    // A row moved from another store (same table and key, other store id) does not open
    // either: Bob's prekey state under Alice's key.
    let mut bob_store = bob.take_store();
    let mut alice_store = alice.take_store();
    let bob_state = bob_store
        .transaction()
        .unwrap()
        .get(Table::Meta, b"prekeys")
        .unwrap()
        .unwrap();
    {
        let mut tx = alice_store.transaction().unwrap();
        tx.put(Table::Meta, b"prekeys", &bob_state).unwrap();
        tx.commit().unwrap();
    }
    alice.put_back(alice_store);
    assert_eq!(
        alice.account().bundle(rng).err(),
        Some(AccountError::Store(StoreError::Corrupt))
    );
    bob.put_back(bob_store);
}

/// Alice and Bob start a session with each other at once and each receives the other's first
/// message; returns them with the base keys of Alice's and Bob's sessions.
#[allow(clippy::type_complexity)]
fn simultaneous_start<B: Backend>(b: &mut B) -> (Device<B>, Device<B>, [u8; 32], [u8; 32]) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let ab = bob.account().bundle(rng).unwrap();
    let ba = alice.account().bundle(rng).unwrap();
    let from_alice = alice.account().encrypt(rng, &bo, Some(&ab), b"a1").unwrap();
    let alices = alice.account().current_session_id(&bo).unwrap().unwrap();
    let from_bob = bob.account().encrypt(rng, &a, Some(&ba), b"b1").unwrap();
    let bobs = bob.account().current_session_id(&a).unwrap().unwrap();
    assert_ne!(alices, bobs);
    assert_eq!(receive(&mut bob, &a, &from_alice), b"a1");
    assert_eq!(receive(&mut alice, &bo, &from_bob), b"b1");
    (alice, bob, alices, bobs)
}

/// SPEC.md 14.13: both settle on one session, the one with the smaller base key (not merely
/// the same one on both sides).
fn simultaneous_initiation_converges<B: Backend>(b: &mut B) {
    let (mut alice, mut bob, alices, bobs) = simultaneous_start(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    // Each side now sends on the session the other started; both decrypt, each by trying its
    // previous session too.
    for i in 0..3u8 {
        let m = send(&mut alice, &mut bob, &[b'a', i]);
        assert_eq!(receive(&mut bob, &a, &m), [b'a', i]);
        let m = send(&mut bob, &mut alice, &[b'b', i]);
        assert_eq!(receive(&mut alice, &bo, &m), [b'b', i]);
    }
    let smaller = Some(alices.min(bobs));
    assert_eq!(alice.account().current_session_id(&bo).unwrap(), smaller);
    assert_eq!(bob.account().current_session_id(&a).unwrap(), smaller);
}

/// A previous session that decrypts while the current one stays current (the convergence
/// rule) still stores its new state: a replay of what it decrypted, once the seen-digest ring
/// forgot it, is a duplicate, not a second delivery.
fn a_session_kept_behind_the_current_one_still_advances<B: Backend>(b: &mut B) {
    let (mut alice, mut bob, alices, bobs) = simultaneous_start(b);
    // The side whose current session (the one the other started) has the smaller base key
    // keeps it when a message arrives on its own, larger one.
    let (sender, receiver) = if bobs < alices {
        (&mut bob, &mut alice)
    } else {
        (&mut alice, &mut bob)
    };
    let from = sender.address.clone();
    let to = receiver.address.clone();
    let kept = receiver.account().current_session_id(&from).unwrap();
    let first = send(sender, receiver, b"on the larger session");
    assert_eq!(receive(receiver, &from, &first), b"on the larger session");
    assert_eq!(receiver.account().current_session_id(&from).unwrap(), kept);
    // More than the 64 digests the ring keeps, on the same session.
    for i in 0..65u8 {
        let m = send(sender, receiver, &[i]);
        assert_eq!(receive(receiver, &from, &m), [i]);
    }
    assert_ne!(sender.account().current_session_id(&to).unwrap(), kept);
    assert_eq!(
        receiver
            .account()
            .decrypt(&mut rand::rng(), &from, &first)
            .err(),
        Some(AccountError::Crypto(Error::Decrypt(
            DecryptError::DuplicateOrExpired
        )))
    );
}

fn previous_sessions_are_bounded<B: Backend>(b: &mut B) {
    // A message on session 0 still decrypts after exactly MAX_PREVIOUS_SESSIONS newer
    // sessions, and no longer after one more.
    for newer in [MAX_PREVIOUS_SESSIONS, MAX_PREVIOUS_SESSIONS + 1] {
        let (_, mut alice, mut bob) = pair(b);
        let (a, bo) = (alice.address.clone(), bob.address.clone());
        let rng = &mut rand::rng();
        // Alice keeps reinstalling-without-identity-change: new sessions from the same
        // identity, each first message starting a new session at Bob.
        let first = send(&mut alice, &mut bob, b"s0");
        receive(&mut bob, &a, &first);
        let old = send(&mut alice, &mut bob, b"on session 0");
        for i in 1..=newer {
            let bundle = bob.account().bundle(rng).unwrap();
            // Dropping Alice's record makes encrypt start a new session from the bundle (the
            // trust row stays, so the identity is unchanged).
            let mut store = alice.take_store();
            {
                let mut tx = store.transaction().unwrap();
                tx.delete(Table::Sessions, &bo_key(&bo)).unwrap();
                tx.commit().unwrap();
            }
            alice.put_back(store);
            let m = alice
                .account()
                .encrypt(rng, &bo, Some(&bundle), format!("s{i}").as_bytes())
                .unwrap();
            assert_eq!(receive(&mut bob, &a, &m), format!("s{i}").as_bytes());
        }
        let decrypted = bob.account().decrypt(rng, &a, &old);
        if newer == MAX_PREVIOUS_SESSIONS {
            assert_eq!(decrypted.unwrap().plaintext.as_slice(), b"on session 0");
        } else {
            // Session 0 was pushed out.
            assert!(decrypted.is_err());
        }
    }
}

fn content_round_trip<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let bundle = bob.account().bundle(rng).unwrap();
    let content = Content::text(MessageId::random(rng), 1_700_000_000_000, "hello");
    let envelope = alice
        .account()
        .encrypt_content(rng, &bo, Some(&bundle), &content)
        .unwrap();
    let (entry, got) = bob.account().decrypt_content(rng, &a, &envelope).unwrap();
    assert_eq!(got, content);
    assert_eq!(Content::from_plaintext(&entry.plaintext).unwrap(), content);
    // Bytes that are not content: refused, and nothing is written (the message stays
    // decryptable for a raw decrypt).
    let raw = alice
        .account()
        .encrypt(rng, &bo, None, b"not content")
        .unwrap();
    assert!(matches!(
        bob.account().decrypt_content(rng, &a, &raw),
        Err(AccountError::Crypto(Error::Content(_)))
    ));
    assert_eq!(bob.account().inbox().unwrap().len(), 1);
    assert_eq!(receive(&mut bob, &a, &raw), b"not content");
}

fn directory_upload_serves_bundles<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let upload = bob.upload.clone();
    assert_eq!(upload.one_time_prekeys.len(), 100);
    let (id, key) = upload.one_time_prekeys[41];
    let bundle = bundle_with_one_time_prekey(&upload.bundle, id, &key).unwrap();
    assert_eq!(bundle.one_time_prekey(), Some((id, &key)));
    let m = alice
        .account()
        .encrypt(rng, &bo, Some(&bundle), b"via directory")
        .unwrap();
    assert_eq!(receive(&mut bob, &a, &m), b"via directory");
    let mut store = bob.take_store();
    {
        let mut tx = store.transaction().unwrap();
        assert!(
            tx.get(Table::OneTimePreKeys, &id.0.to_be_bytes())
                .unwrap()
                .is_none()
        );
        assert_eq!(tx.count(Table::OneTimePreKeys).unwrap(), 99);
    }
    bob.put_back(store);
}

fn debug_prints_no_secret<B: Backend>(b: &mut B) {
    use rand::SeedableRng;
    let clock = TestClock::new();
    let key = StorageKey::from_bytes([0x5a; 32]);
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(9);
    let (mut account, _) =
        Account::create(&mut rng, b.create("debug"), &key, options(&clock)).unwrap();
    // `create` draws the identity first: the same seed gives the same identity here.
    let seed = crosswire::IdentityKeyPair::generate(&mut rand::rngs::ChaCha20Rng::seed_from_u64(9))
        .to_seed();
    assert_eq!(
        crosswire::IdentityKeyPair::from_seed(&seed).public(),
        account.identity_key()
    );
    let shown = format!("{account:?}");
    assert!(shown.starts_with("Account"), "{shown}");
    assert!(!shown.contains(&hex::encode(&seed[..])), "{shown}");
    assert!(!shown.contains(&format!("{:?}", &seed[..4])), "{shown}");
    assert!(!shown.contains("5a5a"), "{shown}");

    let mut alice = Device::new(b, "alice", 1, options(&clock));
    let me = DeviceAddress::new("me", 1).unwrap();
    let bundle = account.bundle(&mut rng).unwrap();
    let m = alice
        .account()
        .encrypt(&mut rng, &me, Some(&bundle), b"secret plaintext")
        .unwrap();
    let entry = account.decrypt(&mut rng, &alice.address, &m).unwrap();
    let shown = format!("{entry:?}");
    assert!(!shown.contains("115, 101, 99"), "{shown}");
    assert!(shown.contains("plaintext_len: 16"), "{shown}");
}

/// A byte flipped in the file itself, behind the store's back, through SQLite directly.
#[cfg(feature = "sqlite")]
#[test]
fn sqlite_flipped_byte_in_the_file_is_corrupt() {
    let mut b = support::Sqlite::new();
    let (clock, mut alice, mut bob) = pair(&mut b);
    let bo = bob.address.clone();
    let first = send(&mut alice, &mut bob, b"hi");
    let _ = first;
    let store = alice.take_store();
    drop(store);
    let path = b.path(&alice.name);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let value: Vec<u8> = conn
            .query_row(
                "SELECT value FROM sessions WHERE key = ?1",
                [bo_key(&bo)],
                |r| r.get(0),
            )
            .unwrap();
        let mut bad = value.clone();
        bad[value.len() / 2] ^= 1;
        conn.execute(
            "UPDATE sessions SET value = ?1 WHERE key = ?2",
            rusqlite::params![bad, bo_key(&bo)],
        )
        .unwrap();
    }
    let store = crosswire::store::SqliteStore::open(&path, Default::default()).unwrap();
    let mut account = Account::open(store, &alice.key, options(&clock)).unwrap();
    assert_eq!(
        account.encrypt(&mut rand::rng(), &bo, None, b"x").err(),
        Some(AccountError::Store(StoreError::Corrupt))
    );
}

fn safety_numbers_follow_the_trusted_key<B: Backend>(b: &mut B) {
    let (clock, mut alice, mut bob) = pair(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    assert_eq!(
        alice
            .account()
            .safety_number("alice@a.example", &bo)
            .unwrap(),
        None
    );
    let first = send(&mut alice, &mut bob, b"hi");
    receive(&mut bob, &a, &first);
    let at_alice = alice
        .account()
        .safety_number("alice@a.example", &bo)
        .unwrap()
        .unwrap();
    let at_bob = bob
        .account()
        .safety_number("bob@b.example", &a)
        .unwrap()
        .unwrap();
    assert_eq!(at_alice.digits(), at_bob.digits());
    assert!(at_bob.matches_scanned(&at_alice.scannable()).unwrap());
    // Alice reinstalls; once Bob trusts the new key, his number changes and matches hers.
    let mut alice2 = Device::new(b, "alice@a.example", 1, options(&clock));
    let new_key = *alice2.account().identity_key();
    bob.account().trust_identity(rng, &a, &new_key).unwrap();
    let at_bob2 = bob
        .account()
        .safety_number("bob@b.example", &a)
        .unwrap()
        .unwrap();
    assert_ne!(at_bob2.digits(), at_bob.digits());
    let bundle = bob.account().bundle(rng).unwrap();
    alice2
        .account()
        .encrypt(rng, &bo, Some(&bundle), b"new phone")
        .unwrap();
    let at_alice2 = alice2
        .account()
        .safety_number("alice@a.example", &bo)
        .unwrap()
        .unwrap();
    assert_eq!(at_alice2.digits(), at_bob2.digits());
}

/// SPEC.md 14.13: a session this device started and the peer never answered is not proven, so a
/// message on an older, proven session makes that one current again, whatever the base keys
/// (`reset_session`: "the peer evidently still has it"). The convergence rule's base-key
/// comparison applies only between two proven sessions; the case that would tell the two apart
/// is the new session's base key being the smaller, which the loop waits for.
fn unanswered_new_session_yields_to_the_old_one<B: Backend>(b: &mut B) {
    let rng = &mut rand::rng();
    for _ in 0..64 {
        let (mut alice, mut bob) = answered(b);
        let (a, bo) = (alice.address.clone(), bob.address.clone());
        let old = alice.account().current_session_id(&bo).unwrap().unwrap();
        assert!(alice.account().reset_session(rng, &bo).unwrap());
        let bundle = bob.account().bundle(rng).unwrap();
        // Lost on the way: Bob never hears of the new session.
        alice
            .account()
            .encrypt(rng, &bo, Some(&bundle), b"lost")
            .unwrap();
        let new = alice.account().current_session_id(&bo).unwrap().unwrap();
        assert_ne!(new, old);
        if new > old {
            continue;
        }
        let m = send(&mut bob, &mut alice, b"still on the old one");
        assert_eq!(receive(&mut alice, &bo, &m), b"still on the old one");
        assert_eq!(alice.account().current_session_id(&bo).unwrap(), Some(old));
        let m = send(&mut alice, &mut bob, b"back on it");
        assert_eq!(receive(&mut bob, &a, &m), b"back on it");
        assert_eq!(bob.account().current_session_id(&a).unwrap(), Some(old));
        return;
    }
    panic!("no new session with the smaller base key in 64 tries");
}

/// SPEC.md 14.12: a ratchet message delivered again after the seen-digest ring forgot it is
/// still reported as a duplicate (the ratchet knows its key was used), not as a lost session.
fn old_duplicate_is_a_duplicate_not_a_lost_session<B: Backend>(b: &mut B) {
    let (mut alice, mut bob) = answered(b);
    let a = alice.address.clone();
    let first = send(&mut alice, &mut bob, b"first");
    receive(&mut bob, &a, &first);
    // More than the 64 digests the ring keeps.
    for i in 0..65u8 {
        let m = send(&mut alice, &mut bob, &[i]);
        receive(&mut bob, &a, &m);
    }
    assert_eq!(
        bob.account().decrypt(&mut rand::rng(), &a, &first).err(),
        Some(AccountError::Crypto(Error::Decrypt(
            DecryptError::DuplicateOrExpired
        )))
    );
}

/// SPEC.md 14.12: a ratchet message further ahead than MAX_SKIP stays `TooFarAhead` (the
/// messages between were lost or are still coming); it is not a lost session, and nothing is
/// written. One store is enough: the rule is the account's, not the store's.
#[test]
fn too_far_ahead_is_not_a_lost_session() {
    let b = &mut support::Memory;
    let (mut alice, mut bob) = answered(b);
    let (a, bo) = (alice.address.clone(), bob.address.clone());
    let rng = &mut rand::rng();
    let mut sent = Vec::new();
    for i in 0..=MAX_SKIP + 1 {
        sent.push(
            alice
                .account()
                .encrypt(rng, &bo, None, &i.to_be_bytes())
                .unwrap(),
        );
    }
    let mut store = bob.take_store();
    let before = snapshot(&mut store);
    bob.put_back(store);
    assert_eq!(
        bob.account().decrypt(rng, &a, &sent[sent.len() - 1]).err(),
        Some(AccountError::Crypto(Error::Decrypt(
            DecryptError::TooFarAhead
        )))
    );
    let mut store = bob.take_store();
    assert_eq!(
        snapshot(&mut store),
        before,
        "a refused message changed the store"
    );
    bob.put_back(store);
    let last = sent.len() - 2;
    assert_eq!(
        receive(&mut bob, &a, &sent[last]),
        (last as u32).to_be_bytes()
    );
}

/// An empty message is a message: its inbox row ends right after the sender's address.
fn empty_message_reaches_the_inbox<B: Backend>(b: &mut B) {
    let (_, mut alice, mut bob) = pair(b);
    let a = alice.address.clone();
    let m = send(&mut alice, &mut bob, b"");
    let entry = bob.account().decrypt(&mut rand::rng(), &a, &m).unwrap();
    assert!(entry.plaintext.is_empty());
    bob.restart(b);
    let inbox = bob.account().inbox().unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!((inbox[0].seq, &inbox[0].from), (entry.seq, &a));
    assert!(inbox[0].plaintext.is_empty());
}

/// `Account::options` hands back the options the account was created or opened with, not
/// defaults: an application reads them to know, for example, whether its sessions require
/// post-quantum setup.
#[test]
fn options_are_the_ones_given() {
    use crosswire::PostQuantum;
    use crosswire::account::Options;
    use crosswire::store::MemoryStore;
    let rng = &mut rand::rng();
    let key = StorageKey::generate(rng);
    let given = || {
        let mut o = Options::default();
        o.one_time_prekeys = 7;
        o.unacknowledged_session_lifetime = 123;
        o.post_quantum = PostQuantum::Required;
        o
    };
    let check = |o: &Options| {
        assert_eq!(o.one_time_prekeys, 7);
        assert_eq!(o.unacknowledged_session_lifetime, 123);
        assert_eq!(o.post_quantum, PostQuantum::Required);
    };
    let (account, _) = Account::create(rng, MemoryStore::new(), &key, given()).unwrap();
    check(account.options());
    let account = Account::open(account.into_store(), &key, given()).unwrap();
    check(account.options());
}
