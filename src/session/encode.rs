//! [`Session::to_bytes`] written field by field (SPEC.md section 8): the same bytes as encoding
//! the prost `SessionState` (version 2), without building that message first, which costs a
//! buffer per field and a wipe of each. An account writes a state on every message it sends,
//! so this is on the fan-out's path (issue 11). `from_bytes` accepts only the canonical prost
//! encoding, so any drift from prost fails every load; `equals_prost` below checks it directly.

use zeroize::{Zeroize, Zeroizing};

use super::Session;
use super::state::STATE_VERSION;

/// Where encoded bytes go: counted (for a length) or appended.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

struct Count(usize);

impl Sink for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

const VARINT: u8 = 0;
const LENGTH_DELIMITED: u8 = 2;

fn varint(out: &mut dyn Sink, mut value: u64) {
    let mut buf = [0u8; 10];
    let mut n = 0;
    while value >= 0x80 {
        buf[n] = (value as u8) | 0x80;
        value >>= 7;
        n += 1;
    }
    buf[n] = value as u8;
    out.put(&buf[..=n]);
}

/// Field numbers here are all below 16: one key byte.
fn key(out: &mut dyn Sink, field: u8, wire_type: u8) {
    out.put(&[field << 3 | wire_type]);
}

/// A proto3 `uint32`: omitted when 0.
fn uint32(out: &mut dyn Sink, field: u8, value: u32) {
    if value != 0 {
        optional_uint32(out, field, Some(value));
    }
}

/// An `optional uint32`: present whenever set, 0 included.
fn optional_uint32(out: &mut dyn Sink, field: u8, value: Option<u32>) {
    if let Some(value) = value {
        key(out, field, VARINT);
        varint(out, value.into());
    }
}

fn boolean(out: &mut dyn Sink, field: u8, value: bool) {
    if value {
        key(out, field, VARINT);
        out.put(&[1]);
    }
}

/// `bytes`: omitted when empty.
fn bytes(out: &mut dyn Sink, field: u8, value: &[u8]) {
    if !value.is_empty() {
        key(out, field, LENGTH_DELIMITED);
        varint(out, value.len() as u64);
        out.put(value);
    }
}

/// A set message field: present even when its body is empty.
fn message(out: &mut dyn Sink, field: u8, body: &dyn Fn(&mut dyn Sink)) {
    let mut len = Count(0);
    body(&mut len);
    key(out, field, LENGTH_DELIMITED);
    varint(out, len.0 as u64);
    body(out);
}

fn state(s: &Session, out: &mut dyn Sink) {
    let r = &s.ratchet;
    uint32(out, 1, STATE_VERSION);
    bytes(out, 2, s.local_identity.as_bytes());
    bytes(out, 3, s.remote_identity.as_bytes());
    bytes(out, 4, &s.associated_data);
    bytes(out, 5, r.root_key.as_bytes());
    bytes(out, 6, r.ratchet.secret_bytes());
    if let Some(c) = &r.sending {
        message(out, 7, &|m| {
            bytes(m, 1, c.chain_key.as_bytes());
            uint32(m, 2, c.counter);
        });
    }
    uint32(out, 8, r.previous_counter);
    if let Some(c) = &r.receiving {
        message(out, 9, &|m| {
            bytes(m, 1, c.ratchet_key.as_bytes());
            bytes(m, 2, c.chain_key.as_bytes());
            uint32(m, 3, c.counter);
        });
    }
    // Field 10 (one entry per skipped key) is version 1 only.
    let o = &s.origin;
    message(out, 11, &|m| {
        bytes(m, 1, o.base_key.as_bytes());
        uint32(m, 2, o.signed_prekey_id.0);
        optional_uint32(m, 3, o.one_time_prekey_id.map(|id| id.0));
        optional_uint32(m, 4, o.kem.map(|k| k.prekey_id.0));
        bytes(
            m,
            5,
            o.kem.as_ref().map_or(&[][..], |k| &k.ciphertext_hash[..]),
        );
    });
    boolean(out, 12, s.initiator);
    boolean(out, 13, s.awaiting_reply);
    if r.skipped.len() > 0 {
        let entries: Vec<_> = r.skipped.iter().collect();
        for run in entries.chunk_by(|a, b| a.0 == b.0) {
            message(out, 14, &|m| {
                if let Some(first) = run.first() {
                    bytes(m, 1, first.0.as_bytes());
                }
                let mut packed = Count(0);
                for e in run {
                    varint(&mut packed, e.1.into());
                }
                key(m, 2, LENGTH_DELIMITED);
                varint(m, packed.0 as u64);
                for e in run {
                    varint(m, e.1.into());
                }
                key(m, 3, LENGTH_DELIMITED);
                varint(m, (run.len() * 32) as u64);
                for e in run {
                    m.put(e.2.as_bytes());
                }
            });
        }
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
        let mut len = Count(0);
        state(self, &mut len);
        buf.zeroize();
        if buf.capacity() < len.0 {
            *buf = Zeroizing::new(Vec::with_capacity(len.0));
        }
        state(self, &mut **buf);
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
