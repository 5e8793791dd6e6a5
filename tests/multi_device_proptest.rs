//! Interleavings of two users with two devices each (issue 11): random fan-outs, deliveries,
//! drops, duplicates, reorderings, simultaneous first messages, reinstalls and backup restores.
//!
//! Checked on every delivery: a message is decrypted at most once per device (a restore
//! rewinds the device's record of what it decrypted, as it rewinds its inbox), and every
//! failure is explained: a true duplicate, or a typed healing error on a pair of devices one of
//! which was reinstalled or restored. A device that sees a healing error does what an
//! application does: `reset_session`, so its next message starts over. At the end, after the
//! last disturbance, every pair of devices talks for at most three round trips and must then
//! decrypt in both directions on one session both sides name the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "account_support/mod.rs"]
mod support;

use std::collections::{HashMap, HashSet, VecDeque};

use crosswire::account::{
    Account, AccountError, DeviceAddress, Outgoing, bundle_with_one_time_prekey,
};
use crosswire::store::{MemoryStore, StorageKey, Store, Table, Transaction};
use crosswire::{DecryptError, Error, IdentityKey, OneTimePreKeyId, PreKeyBundle, PublicKey};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use support::{TestClock, options};

const USERS: [&str; 2] = ["alice", "bob"];
/// Devices 0, 1 are Alice's (ids 1, 2), 2, 3 Bob's.
const DEVICES: usize = 4;
/// Round trips allowed after the last disturbance before every pair must have converged.
const ROUND_TRIPS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// Device `from` sends one message to every device of the other user and its own other
    /// device.
    Send { from: usize },
    /// Delivers in-flight envelope `n` (modulo their number) and removes it.
    Deliver { n: usize },
    /// Delivers envelope `n` but keeps it in flight, to be delivered again.
    Duplicate { n: usize },
    /// Loses envelope `n`.
    Drop { n: usize },
    /// The device takes a backup of its whole store.
    Backup { device: usize },
    /// The device restores its last backup (if any).
    Restore { device: usize },
    /// The device is reinstalled: new identity, same address.
    Reinstall { device: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..DEVICES;
    prop_oneof![
        5 => d.clone().prop_map(|from| Op::Send { from }),
        6 => any::<usize>().prop_map(|n| Op::Deliver { n }),
        1 => any::<usize>().prop_map(|n| Op::Duplicate { n }),
        1 => any::<usize>().prop_map(|n| Op::Drop { n }),
        1 => d.clone().prop_map(|device| Op::Backup { device }),
        1 => d.clone().prop_map(|device| Op::Restore { device }),
        1 => d.prop_map(|device| Op::Reinstall { device }),
    ]
}

type Rows = Vec<(Table, Vec<u8>, Vec<u8>)>;
type Dir = HashMap<DeviceAddress, (PreKeyBundle, VecDeque<(OneTimePreKeyId, PublicKey)>)>;

struct InFlight {
    id: u64,
    from: usize,
    to: usize,
    envelope: Vec<u8>,
}

struct Dev {
    address: DeviceAddress,
    key: StorageKey,
    account: Account<MemoryStore>,
    /// Message ids this device has decrypted (in its current state).
    decrypted: HashSet<u64>,
    backup: Option<(Rows, HashSet<u64>)>,
}

struct World {
    clock: TestClock,
    rng: ChaCha20Rng,
    devices: Vec<Dev>,
    /// The directory: per device its bundle and one-time prekeys.
    directory: Dir,
    in_flight: Vec<InFlight>,
    texts: HashMap<u64, Vec<u8>>,
    next_id: u64,
    /// Pairs (unordered, low index first) of which one device was reinstalled or restored.
    disturbed: HashSet<(usize, usize)>,
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

fn user_of(d: usize) -> &'static str {
    USERS[d / 2]
}

impl World {
    fn new(seed: u64) -> Self {
        let mut w = World {
            clock: TestClock::new(),
            rng: ChaCha20Rng::seed_from_u64(seed),
            devices: Vec::new(),
            directory: HashMap::new(),
            in_flight: Vec::new(),
            texts: HashMap::new(),
            next_id: 0,
            disturbed: HashSet::new(),
        };
        for d in 0..DEVICES {
            let address = DeviceAddress::new(user_of(d), (d % 2) as u32 + 1).unwrap();
            let dev = w.install(address);
            w.devices.push(dev);
        }
        w
    }

    fn install(&mut self, address: DeviceAddress) -> Dev {
        let key = StorageKey::generate(&mut self.rng);
        let (mut account, upload) = Account::create(
            &mut self.rng,
            MemoryStore::new(),
            &key,
            options(&self.clock),
        )
        .unwrap();
        for user in USERS {
            account.set_devices(&mut self.rng, user, &[1, 2]).unwrap();
        }
        self.directory.insert(
            address.clone(),
            (upload.bundle, upload.one_time_prekeys.into_iter().collect()),
        );
        Dev {
            address,
            key,
            account,
            decrypted: HashSet::new(),
            backup: None,
        }
    }

    fn index(&self, a: &DeviceAddress) -> usize {
        self.devices.iter().position(|d| &d.address == a).unwrap()
    }

    fn directory_identity(&self, a: &DeviceAddress) -> IdentityKey {
        *self.directory[a].0.identity_key()
    }

    fn fetch(directory: &mut Dir, a: &DeviceAddress) -> Option<PreKeyBundle> {
        let (bundle, queue) = directory.get_mut(a)?;
        Some(match queue.pop_front() {
            Some((id, key)) => bundle_with_one_time_prekey(bundle, id, &key).unwrap(),
            None => bundle.clone(),
        })
    }

    /// A fan-out from `from`; an identity change the directory confirms is accepted (the
    /// application's policy) and the fan-out retried.
    fn send(&mut self, from: usize) {
        let id = self.next_id;
        self.next_id += 1;
        let text = format!("message {id} from {from}").into_bytes();
        let other = USERS[1 - from / 2];
        for _ in 0..8 {
            let World {
                devices,
                directory,
                rng,
                ..
            } = self;
            let local = devices[from].address.clone();
            let r = devices[from].account.encrypt_to_user(
                rng,
                &local,
                other,
                |a| Self::fetch(directory, a),
                &text,
            );
            match r {
                Ok(outs) => {
                    self.texts.insert(id, text);
                    for Outgoing { to, envelope } in outs {
                        let to = self.index(&to);
                        self.in_flight.push(InFlight {
                            id,
                            from,
                            to,
                            envelope,
                        });
                    }
                    return;
                }
                Err(AccountError::IdentityChanged {
                    address, received, ..
                }) => {
                    assert_eq!(*received, self.directory_identity(&address));
                    self.devices[from]
                        .account
                        .trust_identity(&mut self.rng, &address, &received)
                        .unwrap();
                }
                Err(e) => panic!("fan-out from {from}: {e:?}"),
            }
        }
        panic!("fan-out from {from} never succeeded");
    }

    /// Delivers one envelope and checks its outcome; returns whether it decrypted.
    fn deliver(&mut self, m: &InFlight) -> bool {
        let from_address = self.devices[m.from].address.clone();
        let disturbed = self.disturbed.contains(&pair(m.from, m.to));
        for _ in 0..2 {
            let r = self.devices[m.to]
                .account
                .decrypt(&mut self.rng, &from_address, &m.envelope);
            match r {
                Ok(entry) => {
                    assert_eq!(entry.plaintext.as_slice(), self.texts[&m.id].as_slice());
                    assert!(
                        self.devices[m.to].decrypted.insert(m.id),
                        "message {} decrypted twice at {}",
                        m.id,
                        m.to
                    );
                    self.devices[m.to].account.ack(entry.seq).unwrap();
                    return true;
                }
                Err(AccountError::Crypto(Error::Decrypt(DecryptError::DuplicateOrExpired))) => {
                    assert!(
                        self.devices[m.to].decrypted.contains(&m.id) || disturbed,
                        "message {} from {} to {} refused as a duplicate",
                        m.id,
                        m.from,
                        m.to
                    );
                    return false;
                }
                Err(AccountError::IdentityChanged { received, .. })
                    if *received == self.directory_identity(&from_address) =>
                {
                    self.devices[m.to]
                        .account
                        .trust_identity(&mut self.rng, &from_address, &received)
                        .unwrap();
                }
                Err(
                    e @ (AccountError::SessionLost { .. }
                    | AccountError::UnknownPreKey(_)
                    | AccountError::UnknownSignedPreKey(_)
                    | AccountError::IdentityChanged { .. }),
                ) => {
                    assert!(
                        disturbed,
                        "message {} from {} to {}: {e:?} without a disturbance",
                        m.id, m.from, m.to
                    );
                    // What an application does on a healing error: start over.
                    if !matches!(e, AccountError::IdentityChanged { .. }) {
                        self.devices[m.to]
                            .account
                            .reset_session(&mut self.rng, &from_address)
                            .unwrap();
                    }
                    return false;
                }
                Err(e) => panic!("message {} from {} to {}: {e:?}", m.id, m.from, m.to),
            }
        }
        panic!("trusting the directory's identity did not help");
    }

    fn disturb(&mut self, device: usize) {
        for other in 0..DEVICES {
            if other != device {
                self.disturbed.insert(pair(device, other));
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Send { from } => self.send(from),
            Op::Deliver { n } | Op::Duplicate { n } | Op::Drop { n } => {
                if self.in_flight.is_empty() {
                    return;
                }
                let i = n % self.in_flight.len();
                if let Op::Duplicate { .. } = op {
                    let m = &self.in_flight[i];
                    let copy = InFlight {
                        id: m.id,
                        from: m.from,
                        to: m.to,
                        envelope: m.envelope.clone(),
                    };
                    self.deliver(&copy);
                    return;
                }
                let m = self.in_flight.remove(i);
                if let Op::Deliver { .. } = op {
                    self.deliver(&m);
                }
            }
            Op::Backup { device } => {
                let rows = snapshot(&mut self.devices[device]);
                let decrypted = self.devices[device].decrypted.clone();
                self.devices[device].backup = Some((rows, decrypted));
            }
            Op::Restore { device } => {
                if let Some((rows, decrypted)) = self.devices[device].backup.clone() {
                    restore(&mut self.devices[device], &rows);
                    self.devices[device].decrypted = decrypted;
                    self.disturb(device);
                }
            }
            Op::Reinstall { device } => {
                let address = self.devices[device].address.clone();
                self.devices[device] = self.install(address);
                self.disturb(device);
            }
        }
    }

    /// One message `p` -> `q` straight away; heals as an application would. Returns whether it
    /// decrypted.
    fn exchange(&mut self, p: usize, q: usize) -> bool {
        let to = self.devices[q].address.clone();
        let id = self.next_id;
        self.next_id += 1;
        let text = format!("heal {id}").into_bytes();
        self.texts.insert(id, text.clone());
        let mut envelope = None;
        for _ in 0..4 {
            let World {
                devices,
                directory,
                rng,
                ..
            } = self;
            let r = match devices[p].account.encrypt(rng, &to, None, &text) {
                Err(AccountError::NoSession) => {
                    let bundle = Self::fetch(directory, &to);
                    devices[p].account.encrypt(rng, &to, bundle.as_ref(), &text)
                }
                r => r,
            };
            match r {
                Ok(e) => {
                    envelope = Some(e);
                    break;
                }
                Err(AccountError::IdentityChanged { received, .. }) => {
                    assert_eq!(*received, self.directory_identity(&to));
                    self.devices[p]
                        .account
                        .trust_identity(&mut self.rng, &to, &received)
                        .unwrap();
                }
                Err(e) => panic!("heal {p} -> {q}: {e:?}"),
            }
        }
        let envelope = envelope.expect("no envelope");
        self.deliver(&InFlight {
            id,
            from: p,
            to: q,
            envelope,
        })
    }
}

fn snapshot(d: &mut Dev) -> Rows {
    let store = take_store(d);
    let mut store = store;
    let mut tx = store.transaction().unwrap();
    let mut out = Vec::new();
    for table in Table::ALL {
        for key in tx.keys(table, b"").unwrap() {
            let value = tx.get(table, &key).unwrap().unwrap();
            out.push((table, key, value));
        }
    }
    drop(tx);
    put_back(d, store);
    out
}

fn restore(d: &mut Dev, rows: &Rows) {
    let mut store = take_store(d);
    {
        let mut tx = store.transaction().unwrap();
        for table in Table::ALL {
            for key in tx.keys(table, b"").unwrap() {
                tx.delete(table, &key).unwrap();
            }
        }
        for (table, key, value) in rows {
            tx.put(*table, key, value).unwrap();
        }
        tx.commit().unwrap();
    }
    put_back(d, store);
}

fn take_store(d: &mut Dev) -> MemoryStore {
    let placeholder = {
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        let key = StorageKey::generate(&mut rng);
        Account::create(&mut rng, MemoryStore::new(), &key, Default::default())
            .unwrap()
            .0
    };
    std::mem::replace(&mut d.account, placeholder).into_store()
}

fn put_back(d: &mut Dev, store: MemoryStore) {
    let options = d.account.options().clone();
    d.account = Account::open(store, &d.key, options).unwrap();
}

fn run(seed: u64, ops: &[Op]) {
    let mut w = World::new(seed);
    for op in ops {
        w.apply(op);
    }
    // After the last disturbance: what is still in flight is lost (the relay gave up), and
    // every pair must converge within ROUND_TRIPS round trips.
    w.in_flight.clear();
    for p in 0..DEVICES {
        for q in p + 1..DEVICES {
            let mut converged = false;
            for _ in 0..ROUND_TRIPS {
                let there = w.exchange(p, q);
                let back = w.exchange(q, p);
                let (pq, qp) = (w.devices[q].address.clone(), w.devices[p].address.clone());
                let ids = (
                    w.devices[p].account.current_session_id(&pq).unwrap(),
                    w.devices[q].account.current_session_id(&qp).unwrap(),
                );
                if there && back && ids.0.is_some() && ids.0 == ids.1 {
                    converged = true;
                    break;
                }
            }
            assert!(converged, "devices {p} and {q} did not converge: {ops:?}");
            // Converged means it stays: one more round trip on the same session.
            let qa = w.devices[q].address.clone();
            let before = w.devices[p].account.current_session_id(&qa).unwrap();
            assert!(w.exchange(p, q) && w.exchange(q, p));
            let after = w.devices[p].account.current_session_id(&qa).unwrap();
            assert_eq!(before, after);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn interleavings_deliver_once_and_converge(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        run(seed, &ops);
    }
}

/// Both users write first at the same moment on every device, messages cross and arrive in
/// reverse, then one side restores a backup: the scenario the issue names, pinned.
#[test]
fn simultaneous_first_messages_then_restore() {
    let mut ops = vec![Op::Backup { device: 0 }];
    ops.extend((0..DEVICES).map(|from| Op::Send { from }));
    ops.extend((0..12).map(|_| Op::Deliver { n: usize::MAX }));
    ops.extend((0..DEVICES).map(|from| Op::Send { from }));
    ops.push(Op::Duplicate { n: 3 });
    ops.extend((0..12).map(|_| Op::Deliver { n: 0 }));
    ops.push(Op::Restore { device: 0 });
    ops.extend((0..DEVICES).map(|from| Op::Send { from }));
    ops.extend((0..12).map(|_| Op::Deliver { n: 1 }));
    run(7, &ops);
}
