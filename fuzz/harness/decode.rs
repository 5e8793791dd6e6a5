//! Decoders fed arbitrary bytes: `envelope_decode`, `prekey_bundle_decode`,
//! `session_state_decode`.
//!
//! Each must return an error or a value. A value must re-encode to exactly the bytes that
//! arrived (the canonical-encoding rule of SPEC.md 6.1: unknown, repeated or reordered fields
//! and long or over-wide varints are all rejected), and decoding the re-encoding must give the
//! same value.

use crosswire::{Envelope, PreKeyBundle, Session};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

use super::fixture::fixture;

/// `Envelope::from_bytes` on arbitrary bytes; round trip when it decodes.
pub(crate) fn envelope_decode(data: &[u8]) {
    let Ok(envelope) = Envelope::from_bytes(data) else {
        return;
    };
    let bytes = envelope.to_bytes();
    assert_eq!(bytes, data, "a non-canonical envelope decoded");
    assert_eq!(Envelope::from_bytes(&bytes).as_ref(), Ok(&envelope));
}

/// `PreKeyBundle::from_bytes` on arbitrary bytes; round trip when it decodes.
pub(crate) fn prekey_bundle_decode(data: &[u8]) {
    let Ok(bundle) = PreKeyBundle::from_bytes(data) else {
        return;
    };
    let bytes = bundle.to_bytes();
    assert_eq!(bytes, data, "a non-canonical bundle decoded");
    assert_eq!(PreKeyBundle::from_bytes(&bytes).as_ref(), Ok(&bundle));
}

/// `Session::from_bytes` on arbitrary bytes. A state that loads must round-trip, and must then
/// behave: encrypting, and decrypting every fixture message, may fail but must not panic, and a
/// failure must leave the loaded session unchanged. (Loading promises that a hostile blob is an
/// error, never a session that misbehaves later.)
pub(crate) fn session_state_decode(data: &[u8]) {
    let Ok(session) = Session::from_bytes(data) else {
        return;
    };
    let bytes = session.to_bytes();
    // A version 2 state re-encodes to itself; a version 1 state (still loaded) to version 2.
    if data.get(..2) != Some(&[0x08, 0x01][..]) {
        assert_eq!(&bytes[..], data, "a non-canonical session state loaded");
    }
    let again = Session::from_bytes(&bytes).expect("a re-encoded session state loads");
    assert_eq!(*again.to_bytes(), *bytes, "session state round trip");

    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let mut s = session.clone();
    if s.encrypt(&mut rng, b"probe").is_err() {
        assert_eq!(
            *s.to_bytes(),
            *bytes,
            "a failed encrypt changed the session"
        );
    }
    for sent in &fixture().sent {
        let mut s = session.clone();
        if s.decrypt(&sent.envelope).is_err() {
            assert_eq!(
                *s.to_bytes(),
                *bytes,
                "a failed decrypt changed the session"
            );
        }
    }
}
