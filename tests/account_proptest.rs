//! Random operation sequences give identical observable results on `MemoryStore` and
//! `SqliteStore`: every return value (envelope bytes, plaintexts, inbox sequence numbers,
//! errors) and the final inbox of every device.
//!
//! Both runs draw from the same seeded ChaCha20 and read the same test clock, so the account
//! code makes the same random draws; any difference can only come from the store.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use crosswire::account::{Account, AccountError, DeviceAddress};
use crosswire::store::StorageKey;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use support::{Backend, DAY, Memory, Sqlite, TestClock, options};

const DEVICES: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    /// Device `from` sends to device `to` (fetching a bundle if it has no session).
    Send { from: usize, to: usize },
    /// Delivers the `n`-th envelope sent so far (modulo their number) to its recipient, again
    /// if it was delivered already.
    Deliver { n: usize },
    /// Delivers like `Deliver` but through `decrypt_with` whose save fails.
    DeliverAndFailToSave { n: usize },
    /// Drops the device's account and opens it again from its store.
    Restart { device: usize },
    /// Lets time pass, then runs the prekey lifecycle on the device.
    Maintain { device: usize, days: u64 },
    /// Acknowledges every inbox entry of the device.
    AckAll { device: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..DEVICES;
    prop_oneof![
        4 => (d.clone(), d.clone()).prop_filter("not to self", |(a, b)| a != b)
            .prop_map(|(from, to)| Op::Send { from, to }),
        4 => any::<usize>().prop_map(|n| Op::Deliver { n }),
        1 => any::<usize>().prop_map(|n| Op::DeliverAndFailToSave { n }),
        1 => d.clone().prop_map(|device| Op::Restart { device }),
        1 => (d.clone(), 0..10u64).prop_map(|(device, days)| Op::Maintain { device, days }),
        1 => d.prop_map(|device| Op::AckAll { device }),
    ]
}

struct World<B: Backend> {
    backend: B,
    clock: TestClock,
    rng: ChaCha20Rng,
    keys: Vec<StorageKey>,
    names: Vec<String>,
    accounts: Vec<Option<Account<B::S>>>,
    addresses: Vec<DeviceAddress>,
    sent: Vec<(usize, usize, Vec<u8>)>,
}

impl<B: Backend> World<B> {
    fn new(backend: B, seed: u64, tag: &str) -> Self {
        let clock = TestClock::new();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut w = World {
            keys: Vec::new(),
            names: Vec::new(),
            accounts: Vec::new(),
            addresses: Vec::new(),
            sent: Vec::new(),
            backend,
            clock,
            rng: ChaCha20Rng::seed_from_u64(0),
        };
        for d in 0..DEVICES {
            let key = StorageKey::generate(&mut rng);
            let name = format!("{tag}-{seed}-{d}");
            let mut o = options(&w.clock);
            o.one_time_prekeys = 4;
            o.replenish_below = 2;
            let store = w.backend.create(&name);
            let (account, _) = Account::create(&mut rng, store, &key, o).unwrap();
            w.keys.push(key);
            w.names.push(name);
            w.accounts.push(Some(account));
            w.addresses
                .push(DeviceAddress::new(format!("user{d}"), d as u32).unwrap());
        }
        w.rng = rng;
        w
    }

    fn account(&mut self, d: usize) -> &mut Account<B::S> {
        self.accounts[d].as_mut().unwrap()
    }

    fn apply(&mut self, op: &Op) -> String {
        match *op {
            Op::Send { from, to } => {
                let to_addr = self.addresses[to].clone();
                let text = format!("{from}->{to} #{}", self.sent.len());
                let mut rng = std::mem::replace(&mut self.rng, ChaCha20Rng::seed_from_u64(0));
                let mut r = self
                    .account(from)
                    .encrypt(&mut rng, &to_addr, None, text.as_bytes());
                if r == Err(AccountError::NoSession) {
                    let bundle = self.account(to).bundle(&mut rng).unwrap();
                    r = self.account(from).encrypt(
                        &mut rng,
                        &to_addr,
                        Some(&bundle),
                        text.as_bytes(),
                    );
                }
                self.rng = rng;
                match r {
                    Ok(envelope) => {
                        let shown = hex::encode(&envelope);
                        self.sent.push((from, to, envelope));
                        format!("sent {shown}")
                    }
                    Err(e) => format!("send error {e:?}"),
                }
            }
            Op::Deliver { n } | Op::DeliverAndFailToSave { n } => {
                if self.sent.is_empty() {
                    return "nothing to deliver".into();
                }
                let (from, to, envelope) = self.sent[n % self.sent.len()].clone();
                let from_addr = self.addresses[from].clone();
                let mut rng = std::mem::replace(&mut self.rng, ChaCha20Rng::seed_from_u64(0));
                let shown = if let Op::Deliver { .. } = op {
                    match self.account(to).decrypt(&mut rng, &from_addr, &envelope) {
                        Ok(e) => format!("{} {:?} {}", e.seq, e.from, hex::encode(&*e.plaintext)),
                        Err(e) => format!("decrypt error {e:?}"),
                    }
                } else {
                    let r: Result<(), AccountError> =
                        self.account(to)
                            .decrypt_with(&mut rng, &from_addr, &envelope, |_| {
                                Err(AccountError::NoSession)
                            });
                    format!("{r:?}")
                };
                self.rng = rng;
                shown
            }
            Op::Restart { device } => {
                let store = self.accounts[device].take().unwrap().into_store();
                let store = self.backend.reopen(&self.names[device], store);
                let mut o = options(&self.clock);
                o.one_time_prekeys = 4;
                o.replenish_below = 2;
                self.accounts[device] = Some(Account::open(store, &self.keys[device], o).unwrap());
                "restarted".into()
            }
            Op::Maintain { device, days } => {
                self.clock.advance(days * DAY);
                let mut rng = std::mem::replace(&mut self.rng, ChaCha20Rng::seed_from_u64(0));
                let r = self.account(device).maintain(&mut rng);
                self.rng = rng;
                match r {
                    Ok(Some(u)) => format!(
                        "upload spk {} opks {:?}",
                        u.bundle.signed_prekey_id().0,
                        u.one_time_prekeys.iter().map(|k| k.0.0).collect::<Vec<_>>()
                    ),
                    Ok(None) => "nothing to upload".into(),
                    Err(e) => format!("maintain error {e:?}"),
                }
            }
            Op::AckAll { device } => {
                let entries = self.account(device).inbox().unwrap();
                let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
                for s in &seqs {
                    assert!(self.account(device).ack(*s).unwrap());
                }
                format!("acked {seqs:?}")
            }
        }
    }

    fn finish(&mut self) -> Vec<String> {
        (0..DEVICES)
            .map(|d| {
                let inbox = self.account(d).inbox().unwrap();
                let count = self.account(d).one_time_prekey_count().unwrap();
                format!(
                    "device {d}: {count} one-time prekeys, inbox {:?}",
                    inbox
                        .iter()
                        .map(|e| (e.seq, hex::encode(&*e.plaintext)))
                        .collect::<Vec<_>>()
                )
            })
            .collect()
    }
}

fn run<B: Backend>(backend: B, seed: u64, ops: &[Op], tag: &str) -> Vec<String> {
    let mut world = World::new(backend, seed, tag);
    let mut out: Vec<String> = ops.iter().map(|op| world.apply(op)).collect();
    out.extend(world.finish());
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn memory_and_sqlite_agree(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..40)) {
        let sqlite = Sqlite::new();
        let on_memory = run(Memory, seed, &ops, "memory");
        let on_sqlite = run(sqlite, seed, &ops, "sqlite");
        for (i, (m, s)) in on_memory.iter().zip(&on_sqlite).enumerate() {
            prop_assert_eq!(m, s, "step {}: {:?}", i, ops.get(i));
        }
        prop_assert_eq!(on_memory.len(), on_sqlite.len());
    }
}
