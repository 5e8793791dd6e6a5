//! State-machine property tests of two sessions over a hostile network, on stable: proptest
//! generates operation sequences (send, burst, deliver, duplicate, drop, swap, replay, tamper,
//! misroute, forge, save/restore) and `fuzz/harness/interaction.rs`, the same code the
//! `interaction` fuzz target runs, executes them against a model of the receiver.
//!
//! Invariants (checked inside the harness on every step): a genuine message decrypts, to what
//! was sent, exactly when the model says so (first delivery, within `MAX_SKIP`, not evicted from
//! the `MAX_SKIPPED_KEYS` store); nothing forged, tampered, misrouted or replayed is accepted; a
//! rejection leaves the session byte-for-byte unchanged; saved sessions reload identically.

// A test crate: its helpers fail the test with unwrap/expect/panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../fuzz/harness/mod.rs"]
mod harness;

use harness::interaction::{LARGE_BURST, Op, Setup, Stats, encode, parse, run};
use proptest::collection::vec;
use proptest::prelude::*;

fn op() -> impl Strategy<Value = Op> {
    let index = any::<u16>();
    prop_oneof![
        8 => (any::<bool>(), 0u8..48).prop_map(|(from_alice, len)| Op::Send { from_alice, len }),
        1 => (any::<bool>(), prop_oneof![9 => 0u16..16, 1 => LARGE_BURST..LARGE_BURST + 16])
            .prop_map(|(from_alice, count)| Op::Burst { from_alice, count }),
        8 => index.prop_map(|index| Op::Deliver { index }),
        2 => index.prop_map(|index| Op::Duplicate { index }),
        2 => index.prop_map(|index| Op::Drop { index }),
        2 => (index, index).prop_map(|(a, b)| Op::Swap { a, b }),
        2 => index.prop_map(|index| Op::Replay { index }),
        2 => (index, index, any::<u8>()).prop_map(|(index, at, mask)| Op::Tamper { index, at, mask }),
        1 => index.prop_map(|index| Op::Misroute { index }),
        1 => (any::<bool>(), vec(any::<u8>(), 0..64))
            .prop_map(|(to_alice, bytes)| Op::Forge { to_alice, bytes }),
        2 => any::<bool>().prop_map(|alice| Op::Restore { alice }),
    ]
}

/// X3DH or PQXDH, with or without a one-time prekey.
fn setup() -> impl Strategy<Value = Setup> {
    (any::<bool>(), any::<bool>()).prop_map(|(one_time_prekey, pqxdh)| Setup {
        one_time_prekey,
        pqxdh,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn sessions_survive_a_hostile_network(setup in setup(), ops in vec(op(), 1..96)) {
        run(setup, &ops);
    }

    #[test]
    fn fuzz_input_encoding_round_trips(setup in setup(), ops in vec(op(), 0..32)) {
        prop_assert_eq!(parse(&encode(setup, &ops)), (setup, ops));
    }
}

/// Runs a seed script by name.
fn script(name: &str) -> Stats {
    let (_, setup, ops) = harness::seeds::scripts()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .unwrap();
    run(setup, &ops)
}

#[test]
fn seed_scripts_do_what_they_say() {
    let stats = |accepted, genuine_rejected, other_rejected| Stats {
        accepted,
        genuine_rejected,
        other_rejected,
    };
    let expected = [
        ("ping-pong", stats(6, 0, 0)),
        ("reorder-drop-no-one-time-prekey", stats(4, 0, 0)),
        // A duplicate and two replays rejected; a tampered and a misrouted copy rejected.
        ("replay-duplicate-tamper-misroute", stats(4, 3, 2)),
        ("restore-mid-conversation", stats(5, 0, 0)),
        ("forge", stats(2, 0, 1)),
        // MAX_SKIP + 1 ahead rejected; the same message accepted once it is MAX_SKIP ahead.
        ("skip-bound", stats(5, 1, 0)),
        // The two oldest of MAX_SKIPPED_KEYS + 4 skipped positions were evicted.
        ("skipped-store-eviction", stats(6, 2, 0)),
        ("pqxdh-ping-pong", stats(6, 0, 0)),
        // The first message with a tampered KEM ciphertext and a late replay rejected.
        (
            "pqxdh-tampered-kem-ciphertext-no-one-time-prekey",
            stats(2, 1, 1),
        ),
    ];
    assert_eq!(expected.len(), harness::seeds::scripts().len());
    for (name, stats) in expected {
        assert_eq!(script(name), stats, "{name}");
    }
}
