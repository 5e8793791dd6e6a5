//! Messages that decode but must not decrypt, for a session or for `respond` (SPEC.md 4.2, 5.7).

use serde_json::{Value, json};

use super::{Cases, Fixture, edit, inner, prekey};
use crate::keys::{IdentityKeyPair, KeyPair, SignedPreKey, SignedPreKeyId};
use crate::vectors::{Tape, hex, merge};
use crate::wire::Envelope;

pub(super) fn decryption(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
    let mut add = |name: &str, state: &[u8], envelope: Vec<u8>, error: &str| {
        let inputs = json!({"state": hex(state), "envelope": hex(envelope)});
        out.add(name, "decrypt", inputs, error);
    };
    let auth = "decrypt.authentication_failed";
    let waiting = &f.alice_waiting;
    add(
        "tag: last byte flipped",
        waiting,
        edit(&f.r0, |e| {
            if let Some(b) = inner(e).ciphertext.last_mut() {
                *b ^= 0x01;
            }
        }),
        auth,
    );
    add(
        "ciphertext: first byte flipped",
        waiting,
        edit(&f.r0, |e| inner(e).ciphertext[0] ^= 0x80),
        auth,
    );
    add(
        "header: salt changed",
        waiting,
        edit(&f.r0, |e| inner(e).salt[3] ^= 0x10),
        auth,
    );
    add(
        "header: counter changed from 0 to 1 (r1's position, r0's ciphertext)",
        waiting,
        edit(&f.r0, |e| inner(e).counter = 1),
        auth,
    );
    add(
        "header: previous counter changed",
        waiting,
        edit(&f.r0, |e| inner(e).previous_counter = 1),
        auth,
    );
    let stranger = *KeyPair::generate(rng).public();
    add(
        "header: ratchet key replaced by another genuine key",
        waiting,
        edit(&f.r0, |e| {
            inner(e).ratchet_key = stranger.as_bytes().to_vec()
        }),
        auth,
    );

    let dup = "decrypt.duplicate_or_expired";
    add(
        "replay of a message of the current receiving chain",
        &f.alice_after_r,
        f.r1.to_bytes(),
        dup,
    );
    add(
        "replay of a message first decrypted from the skipped store",
        &f.alice_after_r,
        f.r0.to_bytes(),
        dup,
    );
    add(
        "replay of a message of an earlier receiving chain",
        &f.alice_later,
        f.r1.to_bytes(),
        auth,
    );

    let far = "decrypt.too_far_ahead";
    add(
        "skip past the bound within the current chain (counter 2003 when 2 is next)",
        &f.alice_after_r,
        f.r2003.to_bytes(),
        far,
    );
    add(
        "skip past the bound on a new chain (counter 2001)",
        waiting,
        f.r2001.to_bytes(),
        far,
    );
    add(
        "skip past the bound on the old chain (PN 2004 when 2 is next)",
        &f.alice_sent_a0,
        f.b_far.to_bytes(),
        far,
    );

    add(
        "prekey message to the initiator",
        waiting,
        f.m0.to_bytes(),
        "decrypt.unexpected_message_type",
    );
    add(
        "prekey message of another session to the responder",
        &f.bob_after_m0,
        f.other_m0.to_bytes(),
        "decrypt.session_mismatch",
    );
    let Envelope::PreKey(m1) = &f.m1 else {
        panic!("prekey message")
    };
    add(
        "the ratchet message of a prekey message sent as a plain ratchet message",
        &f.bob_after_m0,
        Envelope::Ratchet(m1.message.clone()).to_bytes(),
        auth,
    );
    let Envelope::Ratchet(a0) = &f.a0 else {
        panic!("ratchet message")
    };
    let disguised = crate::wire::PreKeyMessage {
        fields: m1.fields,
        kem_ciphertext: None,
        message: a0.clone(),
    };
    add(
        "a plain ratchet message wrapped in the session's prekey header",
        &f.bob_after_m0,
        Envelope::PreKey(Box::new(disguised)).to_bytes(),
        auth,
    );
    let Envelope::PreKey(other) = &f.other_m0 else {
        panic!("prekey message")
    };
    add(
        "a ratchet message of another session",
        &f.bob_after_m0,
        Envelope::Ratchet(other.message.clone()).to_bytes(),
        auth,
    );
}

pub(super) fn responding(out: &mut Cases, f: &Fixture, rng: &mut Tape) {
    let base = json!({
        "identity_seed": hex(f.bob_seed),
        "signed_prekey": hex(&f.spk.to_bytes()[..]),
        "one_time_prekey": hex(&f.opk.to_bytes()[..]),
        "context": hex(&f.context),
        "envelope": hex(f.m0.to_bytes()),
    });
    let mut add = |name: &str, change: Value, error: &str| {
        out.add(name, "respond", merge(base.clone(), change), error);
    };
    let auth = "decrypt.authentication_failed";
    add(
        "one-time prekey named but not supplied",
        json!({"one_time_prekey": null}),
        "decrypt.session_mismatch",
    );
    let bob = IdentityKeyPair::from_seed(&f.bob_seed);
    let spk9 = SignedPreKey::generate(rng, &bob, SignedPreKeyId(9));
    add(
        "signed prekey with another id supplied",
        json!({"signed_prekey": hex(&spk9.to_bytes()[..])}),
        "decrypt.session_mismatch",
    );
    let stranger = *KeyPair::generate(rng).public();
    add(
        "base key replaced by another genuine key",
        json!({"envelope": hex(edit(&f.m0, |e| prekey(e).base_key =
            stranger.as_bytes().to_vec()))}),
        auth,
    );
    let mallory = IdentityKeyPair::generate(rng);
    add(
        "initiator identity key replaced by another genuine one",
        json!({"envelope": hex(edit(&f.m0, |e| prekey(e).identity_key =
            mallory.public().as_bytes().to_vec()))}),
        auth,
    );
    add(
        "responder uses another application context",
        json!({"context": hex(b"other")}),
        auth,
    );
    add(
        "tag flipped",
        json!({"envelope": hex(edit(&f.m0, |e| inner(e).ciphertext[2] ^= 0x01))}),
        auth,
    );
}
