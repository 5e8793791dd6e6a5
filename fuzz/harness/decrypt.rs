//! `session_decrypt`: arbitrary bytes decoded as an envelope and decrypted by both parties of
//! the [fixture](super::fixture), and by Bob's `Session::respond` when it is a prekey message.
//!
//! Invariants: decryption succeeds exactly for the fixture's genuine messages to that party
//! that it has not decrypted yet, with their plaintext; anything else is an error that leaves
//! the session byte-for-byte as it was.

use crosswire::Envelope;

use super::fixture::fixture;

/// The target.
pub(crate) fn session_decrypt(data: &[u8]) {
    let Ok(envelope) = Envelope::from_bytes(data) else {
        return;
    };
    let f = fixture();
    for (session, before, to_bob) in [
        (&f.alice, &f.alice_bytes, false),
        (&f.bob, &f.bob_bytes, true),
    ] {
        let mut s = session.clone();
        let result = s.decrypt(&envelope);
        match f.genuine(to_bob, &envelope).filter(|m| !m.delivered) {
            Some(m) => assert_eq!(
                result.as_deref().ok(),
                Some(&m.plaintext[..]),
                "genuine message {} not decrypted: {result:?}",
                m.name
            ),
            None => {
                assert!(result.is_err(), "forged or replayed message accepted");
                assert_eq!(
                    *s.to_bytes(),
                    **before,
                    "a failed decrypt changed the session"
                );
            }
        }
    }
    // A prekey message also reaches Session::respond when Bob has no session for it. Any of
    // Alice's first-chain messages legitimately starts a session there (deleting the one-time
    // prekey is the application's job); nothing else may.
    if let Some((_, plaintext)) = f.keys.respond(&envelope) {
        let m = f
            .genuine(true, &envelope)
            .expect("respond accepted a forged prekey message");
        assert_eq!(plaintext, m.plaintext);
    }
}
