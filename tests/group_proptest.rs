//! A group under joins, leaves, reordering, drops and duplicates, against a model.
//!
//! proptest generates operation sequences; every delivery's outcome is predicted by a model of
//! what each device holds: a genuine message decrypts exactly when the recipient holds the
//! sender's key (it was a member when that key was distributed, the key is among the sender's
//! newest `MAX_SENDER_KEY_STATES` for it, and the sender was not forgotten), the position is at
//! or after where the recipient's copy of the key started, and it was not delivered before. Every
//! rejection must leave the receiver byte-for-byte unchanged; departed devices must read nothing
//! sent after they left; states saved and reloaded behave identically.

// A test crate: its helpers fail the test with unwrap/expect/panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use crosswire::{
    GroupId, GroupReceiver, GroupSender, IdentityKeyPair, MAX_SENDER_KEY_STATES, SenderKeyId,
    SenderKeyMessage,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

#[derive(Debug, Clone)]
enum Op {
    Send { from: u8 },
    Deliver { index: u16, to: u8 },
    Duplicate { index: u16 },
    Drop { index: u16 },
    Swap { a: u16, b: u16 },
    Join,
    Leave { who: u8 },
    Rotate { who: u8 },
    Restore { who: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u8>().prop_map(|from| Op::Send { from }),
        8 => (any::<u16>(), any::<u8>()).prop_map(|(index, to)| Op::Deliver { index, to }),
        1 => any::<u16>().prop_map(|index| Op::Duplicate { index }),
        1 => any::<u16>().prop_map(|index| Op::Drop { index }),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Op::Swap { a, b }),
        1 => Just(Op::Join),
        1 => any::<u8>().prop_map(|who| Op::Leave { who }),
        1 => any::<u8>().prop_map(|who| Op::Rotate { who }),
        1 => any::<u8>().prop_map(|who| Op::Restore { who }),
    ]
}

struct Device {
    identity: IdentityKeyPair,
    sender: GroupSender,
    receiver: GroupReceiver,
    member: bool,
    /// Model: per sender device, the keys held (newest first) with the position each started at.
    held: BTreeMap<usize, Vec<(SenderKeyId, u32)>>,
    /// Model: positions already decrypted.
    delivered: BTreeSet<(usize, SenderKeyId, u32)>,
}

struct InFlight {
    from: usize,
    message: SenderKeyMessage,
    plaintext: Vec<u8>,
}

struct World {
    rng: ChaCha20Rng,
    group: GroupId,
    devices: Vec<Device>,
    network: Vec<InFlight>,
    accepted: usize,
}

impl World {
    fn new(seed: u64, members: usize) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let group = GroupId::random(&mut rng);
        let mut w = World {
            rng,
            group,
            devices: Vec::new(),
            network: Vec::new(),
            accepted: 0,
        };
        for _ in 0..members {
            w.join();
        }
        w
    }

    fn members(&self) -> Vec<usize> {
        (0..self.devices.len())
            .filter(|&i| self.devices[i].member)
            .collect()
    }

    /// Sends `from`'s current key to `to` (as over a pairwise session).
    fn give(&mut self, from: usize, to: usize) {
        let d = self.devices[from].sender.distribution();
        let identity = *self.devices[from].identity.public();
        let dev = &mut self.devices[to];
        dev.receiver.process_distribution(&identity, &d).unwrap();
        let keys = dev.held.entry(from).or_default();
        if !keys.iter().any(|(k, _)| *k == d.key_id()) {
            keys.insert(0, (d.key_id(), d.iteration()));
            keys.truncate(MAX_SENDER_KEY_STATES);
        }
    }

    fn join(&mut self) {
        let identity = IdentityKeyPair::generate(&mut self.rng);
        let sender = GroupSender::new(&mut self.rng, self.group, identity.public());
        self.devices.push(Device {
            identity,
            sender,
            receiver: GroupReceiver::new(self.group),
            member: true,
            held: BTreeMap::new(),
            delivered: BTreeSet::new(),
        });
        let new = self.devices.len() - 1;
        for m in self.members() {
            if m != new {
                self.give(m, new);
                self.give(new, m);
            }
        }
    }

    fn leave(&mut self, who: usize) {
        self.devices[who].member = false;
        let gone = *self.devices[who].identity.public();
        let members = self.members();
        for &m in &members {
            assert!(self.devices[m].receiver.forget_sender(&gone));
            self.devices[m].held.remove(&who);
            self.devices[m].sender.rotate(&mut self.rng);
        }
        for &a in &members {
            for &b in &members {
                if a != b {
                    self.give(a, b);
                }
            }
        }
    }

    fn rotate(&mut self, who: usize) {
        self.devices[who].sender.rotate(&mut self.rng);
        for m in self.members() {
            if m != who {
                self.give(who, m);
            }
        }
    }

    fn deliver(&mut self, index: usize, to: usize) {
        let f = &self.network[index];
        let d = &self.devices[to];
        let (from, key, it) = (f.from, f.message.key_id(), f.message.iteration());
        let expected = to != from
            && d.held
                .get(&from)
                .and_then(|keys| keys.iter().find(|(k, _)| *k == key))
                .is_some_and(|&(_, start)| it >= start)
            && !d.delivered.contains(&(from, key, it));
        let before = d.receiver.to_bytes();
        let identity = *self.devices[from].identity.public();
        let message = SenderKeyMessage::from_bytes(f.message.as_bytes()).unwrap();
        let plaintext = f.plaintext.clone();
        let dev = &mut self.devices[to];
        let result = dev.receiver.decrypt(&identity, &message);
        if expected {
            assert_eq!(result.as_ref(), Ok(&plaintext), "model expected a decrypt");
            dev.delivered.insert((from, key, it));
            self.accepted += 1;
        } else {
            assert!(
                result.is_err(),
                "model expected a rejection, got {result:?}"
            );
            assert_eq!(
                *dev.receiver.to_bytes(),
                *before,
                "a rejection changed the state"
            );
        }
    }

    fn apply(&mut self, op: &Op) {
        let pick = |n: usize, x: usize| if n == 0 { None } else { Some(x % n) };
        match *op {
            Op::Send { from } => {
                let members = self.members();
                if let Some(i) = pick(members.len(), from.into()) {
                    let from = members[i];
                    let plaintext = format!("{from}/{}", self.network.len()).into_bytes();
                    let message = self.devices[from]
                        .sender
                        .encrypt(&mut self.rng, &plaintext)
                        .unwrap();
                    self.network.push(InFlight {
                        from,
                        message,
                        plaintext,
                    });
                }
            }
            Op::Deliver { index, to } => {
                if let (Some(i), Some(t)) = (
                    pick(self.network.len(), index.into()),
                    pick(self.devices.len(), to.into()),
                ) {
                    self.deliver(i, t);
                }
            }
            Op::Duplicate { index } => {
                if let Some(i) = pick(self.network.len(), index.into()) {
                    let f = &self.network[i];
                    let copy = InFlight {
                        from: f.from,
                        message: f.message.clone(),
                        plaintext: f.plaintext.clone(),
                    };
                    self.network.push(copy);
                }
            }
            Op::Drop { index } => {
                if let Some(i) = pick(self.network.len(), index.into()) {
                    self.network.remove(i);
                }
            }
            Op::Swap { a, b } => {
                let n = self.network.len();
                if let (Some(a), Some(b)) = (pick(n, a.into()), pick(n, b.into())) {
                    self.network.swap(a, b);
                }
            }
            Op::Join => {
                if self.devices.len() < 8 {
                    self.join();
                }
            }
            Op::Leave { who } => {
                let members = self.members();
                if members.len() > 2
                    && let Some(i) = pick(members.len(), who.into())
                {
                    self.leave(members[i]);
                }
            }
            Op::Rotate { who } => {
                let members = self.members();
                if let Some(i) = pick(members.len(), who.into()) {
                    self.rotate(members[i]);
                }
            }
            Op::Restore { who } => {
                if let Some(i) = pick(self.devices.len(), who.into()) {
                    let d = &mut self.devices[i];
                    let saved = d.receiver.to_bytes();
                    d.receiver = GroupReceiver::from_bytes(&saved).unwrap();
                    assert_eq!(*d.receiver.to_bytes(), *saved);
                    let saved = d.sender.to_bytes();
                    d.sender = GroupSender::from_bytes(&saved).unwrap();
                    assert_eq!(*d.sender.to_bytes(), *saved);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn group_matches_its_model(seed in any::<u64>(), ops in proptest::collection::vec(op(), 0..80)) {
        let mut w = World::new(seed, 3);
        for op in &ops {
            w.apply(op);
        }
        // Everything still in flight, delivered to everyone: the model decides each outcome.
        for i in 0..w.network.len() {
            for t in 0..w.devices.len() {
                w.deliver(i, t);
            }
        }
    }
}

/// A scripted run that must exercise every kind of outcome, so the property above cannot pass
/// by rejecting (or accepting) everything.
#[test]
fn the_model_sees_acceptance_and_every_rejection() {
    let mut w = World::new(1, 3);
    use Op::*;
    for op in [
        Send { from: 0 },
        Send { from: 1 },
        Swap { a: 0, b: 1 },
        Deliver { index: 0, to: 0 },
        Deliver { index: 0, to: 0 }, // duplicate delivery
        Join,
        Deliver { index: 1, to: 3 }, // sent before the join: no history
        Leave { who: 2 },
        Send { from: 0 },
        Deliver { index: 2, to: 2 }, // sent after the leave
        Deliver { index: 2, to: 1 },
    ] {
        w.apply(&op);
    }
    assert!(w.accepted >= 2, "accepted {}", w.accepted);
    // Device 2 left: it holds no key for what device 0 sent afterwards.
    let last = &w.network[2];
    assert_eq!(last.from, 0);
    let mut r = w.devices[2].receiver.clone();
    assert_eq!(
        r.decrypt(w.devices[0].identity.public(), &last.message),
        Err(crosswire::GroupError::UnknownSenderKey)
    );
}
