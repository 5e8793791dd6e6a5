//! Stored session states that must not load (SPEC.md 8).

use prost::Message;

use super::{Cases, Fixture};
use crate::proto;

pub(super) fn states(out: &mut Cases, f: &Fixture) {
    let change_state = |state: &[u8], change: &dyn Fn(&mut proto::SessionState)| {
        let mut s = proto::SessionState::decode(state).expect("own state");
        change(&mut s);
        s.encode_to_vec()
    };
    let bob = &f.bob_after_m0;
    let alice = &f.alice_after_r;
    let malformed = "state.malformed";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "state: unknown version 3",
            change_state(bob, &|s| s.version = 3),
            "state.unsupported_version",
        ),
        (
            "state: version 0",
            change_state(bob, &|s| s.version = 0),
            malformed,
        ),
        (
            "state: a trailing zero byte",
            [bob.as_slice(), &[0]].concat(),
            malformed,
        ),
        (
            "state: responder awaiting a reply",
            change_state(bob, &|s| s.awaiting_reply = true),
            malformed,
        ),
        (
            "state: initiator awaiting a reply with a receiving chain",
            change_state(alice, &|s| s.awaiting_reply = true),
            malformed,
        ),
        (
            "state: neither a sending nor a receiving chain",
            change_state(&f.alice_waiting, &|s| s.sending = None),
            malformed,
        ),
        (
            "state: the same skipped position twice",
            change_state(alice, &|s| {
                let entry = proto::session_state::SkippedKey {
                    ratchet_key: s
                        .receiving
                        .as_ref()
                        .map(|r| r.ratchet_key.clone())
                        .unwrap_or_default(),
                    counter: 7,
                    message_seed: vec![1; 32],
                };
                s.skipped = vec![entry.clone(), entry];
            }),
            malformed,
        ),
        (
            "state: associated data not starting with the initiator's identity key",
            change_state(bob, &|s| s.associated_data[0] ^= 1),
            malformed,
        ),
        (
            "state: root key of 31 bytes",
            change_state(bob, &|s| {
                s.root_key.pop();
            }),
            malformed,
        ),
    ];
    for (name, input, error) in cases {
        out.add_input(name, "session_state", &input, error);
    }
}
