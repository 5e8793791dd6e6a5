//! A deterministic conversation between Alice (initiator) and Bob (responder), built once from a
//! fixed `ChaCha20Rng` seed. `session_decrypt` decrypts into clones of its final sessions, and
//! the seed corpora are made from its messages and states.
//!
//! The script leaves every kind of pending message behind:
//!
//! | message | sent on    | state at its receiver                                   |
//! |---------|------------|---------------------------------------------------------|
//! | a1[0]   | Alice's A1 | skipped (Bob started from a1[1]); a prekey message       |
//! | a1[1]   | A1         | delivered (started Bob's session): a replay              |
//! | a1[2,3] | A1         | skipped when Bob moved to A2                             |
//! | b1[0,1] | Bob's B1   | skipped (Alice received b1[2] first)                     |
//! | b1[2]   | B1         | delivered: a replay                                      |
//! | a2[0]   | A2         | delivered: a replay                                      |
//! | a2[1,2] | A2         | ahead in Bob's current receiving chain                   |
//! | b2[0,1] | B2         | a new ratchet key for Alice                              |

use std::sync::OnceLock;

use crosswire::{
    Envelope, IdentityKeyPair, KemPreKeyId, KemPreKeyKind, OneTimePreKey, OneTimePreKeyId,
    PostQuantum, PreKeyBundle, Session, SignedKemPreKey, SignedPreKey, SignedPreKeyId,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

/// The seed every fixture and every interaction run starts from.
pub(crate) const SEED: u64 = 0x6372_6f73_7377_6972;
/// The application context both sides pass.
pub(crate) const CONTEXT: &[u8] = b"fuzz@alice.example|fuzz@bob.example";

/// Bob's long-term and prekey material.
pub(crate) struct BobKeys {
    pub(crate) identity: IdentityKeyPair,
    pub(crate) signed_prekey: SignedPreKey,
    pub(crate) one_time_prekeys: Vec<OneTimePreKey>,
    /// PQXDH runs only: the KEM prekey of Bob's bundle. Bob then requires post-quantum setup.
    pub(crate) kem_prekey: Option<SignedKemPreKey>,
}

impl BobKeys {
    /// Bob's one-time prekey with this id, if he has it.
    pub(crate) fn one_time_prekey(&self, id: Option<OneTimePreKeyId>) -> Option<&OneTimePreKey> {
        let id = id?;
        self.one_time_prekeys.iter().find(|k| k.id() == id)
    }

    /// What Bob does with a prekey message when he has no session: `Session::respond`, or
    /// with a KEM prekey `Session::respond_with` under `PostQuantum::Required`.
    pub(crate) fn respond(&self, envelope: &Envelope) -> Option<(Session, Vec<u8>)> {
        let Envelope::PreKey(m) = envelope else {
            return None;
        };
        let opk = self.one_time_prekey(m.one_time_prekey_id());
        let Some(kem) = &self.kem_prekey else {
            return Session::respond(&self.identity, &self.signed_prekey, opk, m, CONTEXT).ok();
        };
        let kem = (m.kem_prekey_id() == Some(kem.id())).then_some(kem);
        Session::respond_with(
            &self.identity,
            &self.signed_prekey,
            opk,
            kem,
            m,
            CONTEXT,
            PostQuantum::Required,
        )
        .ok()
    }
}

/// A fresh pair of parties: Alice has initiated (with or without a one-time prekey) and sent
/// nothing yet; Bob has only his keys.
pub(crate) struct Start {
    pub(crate) rng: ChaCha20Rng,
    pub(crate) alice: Session,
    pub(crate) bob: BobKeys,
    pub(crate) bundle: PreKeyBundle,
}

/// Builds a classical (X3DH) [`Start`] deterministically.
pub(crate) fn start(with_one_time_prekey: bool) -> Start {
    start_with(with_one_time_prekey, false)
}

/// Builds a [`Start`] deterministically, with PQXDH if `pqxdh` (Bob's bundle then carries a
/// one-time KEM prekey). A classical start draws exactly what it drew before PQXDH existed.
pub(crate) fn start_with(with_one_time_prekey: bool, pqxdh: bool) -> Start {
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let identity = IdentityKeyPair::generate(&mut rng);
    let signed_prekey = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(7));
    let one_time_prekeys = OneTimePreKey::generate_batch(&mut rng, OneTimePreKeyId(1000), 2);
    let opk = with_one_time_prekey.then_some(&one_time_prekeys[0]);
    let kem_prekey = pqxdh.then(|| {
        SignedKemPreKey::generate(&mut rng, &identity, KemPreKeyId(9), KemPreKeyKind::OneTime)
    });
    let bundle = match &kem_prekey {
        Some(kem) => PreKeyBundle::new_pq(&identity, &signed_prekey, opk, kem),
        None => PreKeyBundle::new(&identity, &signed_prekey, opk),
    }
    .expect("own bundle verifies");
    let alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        CONTEXT,
        crosswire::PostQuantum::Allowed,
    )
    .expect("initiate on own bundle");
    Start {
        rng,
        alice,
        bob: BobKeys {
            identity,
            signed_prekey,
            one_time_prekeys,
            kem_prekey,
        },
        bundle,
    }
}

/// One message the fixture sent.
pub(crate) struct Sent {
    /// Name used for seed files, e.g. `a1-0`.
    pub(crate) name: String,
    pub(crate) to_bob: bool,
    pub(crate) envelope: Envelope,
    pub(crate) plaintext: Vec<u8>,
    /// Whether the receiver already decrypted it (so a second decryption is a replay).
    pub(crate) delivered: bool,
}

/// The finished conversation.
pub(crate) struct Fixture {
    pub(crate) alice: Session,
    pub(crate) bob: Session,
    pub(crate) alice_bytes: Vec<u8>,
    pub(crate) bob_bytes: Vec<u8>,
    pub(crate) keys: BobKeys,
    pub(crate) bundle: PreKeyBundle,
    pub(crate) sent: Vec<Sent>,
    /// Serialized sessions at each step of the script, for the `session_state_decode` corpus.
    pub(crate) states: Vec<(String, Vec<u8>)>,
}

impl Fixture {
    /// The fixture message whose envelope equals `envelope` and that was sent to Alice
    /// (`to_bob == false`) or Bob.
    pub(crate) fn genuine(&self, to_bob: bool, envelope: &Envelope) -> Option<&Sent> {
        self.sent
            .iter()
            .find(|s| s.to_bob == to_bob && s.envelope == *envelope)
    }
}

/// The fixture, built on first use.
pub(crate) fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Fixture {
    let Start {
        mut rng,
        mut alice,
        bob: keys,
        bundle,
    } = start(true);
    let mut sent: Vec<Sent> = Vec::new();
    let mut states = Vec::new();
    states.push(("alice-initiated".to_owned(), alice.to_bytes().to_vec()));

    let a1: Vec<usize> = (0..4)
        .map(|i| send(&mut sent, &mut rng, &mut alice, true, format!("a1-{i}")))
        .collect();
    let (mut bob, _) = keys
        .respond(&sent[a1[1]].envelope)
        .expect("respond to a1-1");
    sent[a1[1]].delivered = true;
    states.push(("alice-awaiting-reply".to_owned(), alice.to_bytes().to_vec()));
    states.push(("bob-responded".to_owned(), bob.to_bytes().to_vec()));

    let b1: Vec<usize> = (0..3)
        .map(|i| send(&mut sent, &mut rng, &mut bob, false, format!("b1-{i}")))
        .collect();
    alice.decrypt(&sent[b1[2]].envelope).expect("b1-2");
    sent[b1[2]].delivered = true;
    states.push(("alice-received".to_owned(), alice.to_bytes().to_vec()));

    let a2: Vec<usize> = (0..3)
        .map(|i| send(&mut sent, &mut rng, &mut alice, true, format!("a2-{i}")))
        .collect();
    bob.decrypt(&sent[a2[0]].envelope).expect("a2-0");
    sent[a2[0]].delivered = true;
    for i in 0..2 {
        send(&mut sent, &mut rng, &mut bob, false, format!("b2-{i}"));
    }
    let (alice_bytes, bob_bytes) = (alice.to_bytes().to_vec(), bob.to_bytes().to_vec());
    states.push(("alice-final".to_owned(), alice_bytes.clone()));
    states.push(("bob-final".to_owned(), bob_bytes.clone()));
    Fixture {
        alice,
        bob,
        alice_bytes,
        bob_bytes,
        keys,
        bundle,
        sent,
        states,
    }
}

/// Encrypts a recognisable plaintext named `name` and records it; returns its index.
fn send(
    sent: &mut Vec<Sent>,
    rng: &mut ChaCha20Rng,
    from: &mut Session,
    to_bob: bool,
    name: String,
) -> usize {
    let plaintext = format!("{name}: fixture message").into_bytes();
    let envelope = from.encrypt(rng, &plaintext).expect("encrypt");
    sent.push(Sent {
        name,
        to_bob,
        envelope,
        plaintext,
        delivered: false,
    });
    sent.len() - 1
}
