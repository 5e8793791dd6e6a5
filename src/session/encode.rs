//! [`Session::to_bytes`] written field by field (SPEC.md section 8): the same bytes as encoding
//! the prost `SessionState` (version 2), without building that message first, which costs a
//! buffer per field and a wipe of each. An account writes a state on every message it sends,
//! so this is on the fan-out's path (issue 11). `from_bytes` accepts only the canonical prost
//! encoding, so any drift from prost fails every load; `equals_prost` below checks it directly.

use zeroize::{Zeroize, Zeroizing};

use super::Session;
use super::state::{SEED_LEN, STATE_VERSION};
use crate::keys::PublicKey;
use crate::ratchet::header::PreKeyFields;
use crate::ratchet::message_key::MessageSeed;
use crate::ratchet::{ReceivingChain, SendingChain};

/// Where encoded bytes go: counted (for a length) or appended. Generic, not `dyn`: the
/// counting pass then compiles to a few additions.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn byte(&mut self, byte: u8);
}

struct Count(usize);

impl Sink for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    fn byte(&mut self, _: u8) {
        self.0 += 1;
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn byte(&mut self, byte: u8) {
        self.push(byte);
    }
}

/// The contents of a nested message, written twice: counted for its length, then appended.
trait Body {
    fn write<S: Sink>(&self, out: &mut S);
}

const VARINT: u8 = 0;
const LENGTH_DELIMITED: u8 = 2;

fn varint<S: Sink>(out: &mut S, mut value: u64) {
    while value >= 0x80 {
        out.byte((value as u8) | 0x80);
        value >>= 7;
    }
    out.byte(value as u8);
}

/// Field numbers here are all below 16: one key byte.
fn key<S: Sink>(out: &mut S, field: u8, wire_type: u8) {
    out.byte(field << 3 | wire_type);
}

/// A proto3 `uint32`: omitted when 0.
fn uint32<S: Sink>(out: &mut S, field: u8, value: u32) {
    if value != 0 {
        optional_uint32(out, field, Some(value));
    }
}

/// An `optional uint32`: present whenever set, 0 included.
fn optional_uint32<S: Sink>(out: &mut S, field: u8, value: Option<u32>) {
    if let Some(value) = value {
        key(out, field, VARINT);
        varint(out, value.into());
    }
}

fn boolean<S: Sink>(out: &mut S, field: u8, value: bool) {
    if value {
        key(out, field, VARINT);
        out.byte(1);
    }
}

/// `bytes`: omitted when empty.
fn bytes<S: Sink>(out: &mut S, field: u8, value: &[u8]) {
    if !value.is_empty() {
        key(out, field, LENGTH_DELIMITED);
        varint(out, value.len() as u64);
        out.put(value);
    }
}

/// A set message field: present even when its body is empty.
fn message<S: Sink>(out: &mut S, field: u8, body: &impl Body) {
    let mut len = Count(0);
    body.write(&mut len);
    key(out, field, LENGTH_DELIMITED);
    varint(out, len.0 as u64);
    body.write(out);
}

struct Sending<'a>(&'a SendingChain);

impl Body for Sending<'_> {
    fn write<S: Sink>(&self, m: &mut S) {
        bytes(m, 1, self.0.chain_key.as_bytes());
        uint32(m, 2, self.0.counter);
    }
}

struct Receiving<'a>(&'a ReceivingChain);

impl Body for Receiving<'_> {
    fn write<S: Sink>(&self, m: &mut S) {
        bytes(m, 1, self.0.ratchet_key.as_bytes());
        bytes(m, 2, self.0.chain_key.as_bytes());
        uint32(m, 3, self.0.counter);
    }
}

struct Origin<'a>(&'a PreKeyFields);

impl Body for Origin<'_> {
    fn write<S: Sink>(&self, m: &mut S) {
        let o = self.0;
        bytes(m, 1, o.base_key.as_bytes());
        uint32(m, 2, o.signed_prekey_id.0);
        optional_uint32(m, 3, o.one_time_prekey_id.map(|id| id.0));
        optional_uint32(m, 4, o.kem.map(|k| k.prekey_id.0));
        bytes(
            m,
            5,
            o.kem.as_ref().map_or(&[][..], |k| &k.ciphertext_hash[..]),
        );
    }
}

/// Consecutive skipped entries that share a ratchet key, oldest first.
struct Run<'a, 'b>(&'b [(&'a PublicKey, u32, &'a MessageSeed)]);

impl Body for Run<'_, '_> {
    fn write<S: Sink>(&self, m: &mut S) {
        if let Some(first) = self.0.first() {
            bytes(m, 1, first.0.as_bytes());
        }
        let mut packed = Count(0);
        for e in self.0 {
            varint(&mut packed, e.1.into());
        }
        key(m, 2, LENGTH_DELIMITED);
        varint(m, packed.0 as u64);
        for e in self.0 {
            varint(m, e.1.into());
        }
        key(m, 3, LENGTH_DELIMITED);
        varint(m, (self.0.len() * SEED_LEN) as u64);
        for e in self.0 {
            m.put(e.2.as_bytes());
        }
    }
}

fn state<S: Sink>(s: &Session, skipped: &[(&PublicKey, u32, &MessageSeed)], out: &mut S) {
    let r = &s.ratchet;
    uint32(out, 1, STATE_VERSION);
    bytes(out, 2, s.local_identity.as_bytes());
    bytes(out, 3, s.remote_identity.as_bytes());
    bytes(out, 4, &s.associated_data);
    bytes(out, 5, r.root_key.as_bytes());
    bytes(out, 6, r.ratchet.secret_bytes());
    if let Some(c) = &r.sending {
        message(out, 7, &Sending(c));
    }
    uint32(out, 8, r.previous_counter);
    if let Some(c) = &r.receiving {
        message(out, 9, &Receiving(c));
    }
    // Field 10 (one entry per skipped key) is version 1 only.
    message(out, 11, &Origin(&s.origin));
    boolean(out, 12, s.initiator);
    boolean(out, 13, s.awaiting_reply);
    for run in skipped.chunk_by(|a, b| a.0 == b.0) {
        message(out, 14, &Run(run));
    }
    let kem_ciphertext = s.kem_ciphertext.as_ref();
    bytes(
        out,
        15,
        kem_ciphertext.map_or(&[][..], |ct| &ct.as_bytes()[..]),
    );
}

impl Session {
    /// [`to_bytes`](Self::to_bytes) into `buf`, reusing its allocation when it is large
    /// enough (a buffer that has to grow is replaced, never reallocated with secrets in it).
    /// The previous contents are wiped first.
    pub(crate) fn write_bytes(&self, buf: &mut Zeroizing<Vec<u8>>) {
        // Holds references only (the seeds stay where they are); empty allocates nothing.
        let skipped: Vec<_> = self.ratchet.skipped.iter().collect();
        let mut len = Count(0);
        state(self, &skipped, &mut len);
        buf.zeroize();
        if buf.capacity() < len.0 {
            *buf = Zeroizing::new(Vec::with_capacity(len.0));
        }
        state(self, &skipped, &mut **buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::PreKeyBundle;
    use crate::keys::{IdentityKeyPair, SignedPreKey, SignedPreKeyId};
    use crate::wire::Envelope;

    /// Sessions in every shape the state can take: before and after replies, with skipped
    /// keys in several runs, responder and initiator.
    #[test]
    fn equals_prost() {
        let rng = &mut rand::rng();
        let alice_id = IdentityKeyPair::generate(rng);
        let bob_id = IdentityKeyPair::generate(rng);
        let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(3));
        let bundle = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
        let mut alice =
            Session::initiate_with(rng, &alice_id, &bundle, b"ctx", crate::PostQuantum::Allowed)
                .unwrap();
        let Envelope::PreKey(first) = alice.encrypt(rng, b"hi").unwrap() else {
            unreachable!()
        };
        let (mut bob, _) = Session::respond(&bob_id, &spk, None, &first, b"ctx").unwrap();
        let check = |s: &Session| {
            let mut buf = Zeroizing::new(vec![0xAA; 3]);
            s.write_bytes(&mut buf);
            assert_eq!(&buf[..], &s.to_bytes_prost()[..]);
            let mut small = Zeroizing::new(Vec::new());
            s.write_bytes(&mut small);
            assert_eq!(small, buf);
        };
        check(&alice);
        check(&bob);
        let mut held = Vec::new();
        for round in 0..6 {
            for _ in 0..(round + 1) {
                held.push(alice.encrypt(rng, b"m").unwrap());
            }
            // Deliver only the last: the others become skipped keys of this chain.
            bob.decrypt(held.last().unwrap()).unwrap();
            check(&alice);
            check(&bob);
            alice.decrypt(&bob.encrypt(rng, b"r").unwrap()).unwrap();
            check(&alice);
            check(&bob);
        }
        for e in &held[..3] {
            let _ = bob.decrypt(e);
        }
        check(&bob);
    }
}
