//! Fuzz harness logic, written once and run three ways:
//!
//! - by libFuzzer through `fuzz/fuzz_targets/*.rs` (`cargo +nightly fuzz run <target>`);
//! - by `tests/fuzz_corpus.rs` on stable, which replays every file in `fuzz/corpus/<target>/` and
//!   `fuzz/regressions/<target>/` through the same function;
//! - by `tests/interaction_proptest.rs`, which drives [`interaction::run`] with proptest.
//!
//! Each target is a function from bytes to `()` that panics when an invariant breaks. Both the
//! fuzz crate and the test crates include this directory with `#[path]`; it uses only the public
//! API of crosswire and `rand`'s `ChaCha20Rng`.

pub(crate) mod account;
pub(crate) mod content;
pub(crate) mod decode;
pub(crate) mod decrypt;
pub(crate) mod fixture;
pub(crate) mod group;
pub(crate) mod interaction;
pub(crate) mod media;
pub(crate) mod seeds;

/// A target's name (of its `fuzz/fuzz_targets/<name>.rs` and corpus directory) and function.
pub(crate) type Target = (&'static str, fn(&[u8]));

/// Every target.
pub(crate) const TARGETS: &[Target] = &[
    ("envelope_decode", decode::envelope_decode),
    ("prekey_bundle_decode", decode::prekey_bundle_decode),
    ("session_state_decode", decode::session_state_decode),
    ("session_decrypt", decrypt::session_decrypt),
    ("interaction", interaction::fuzz),
    ("content_decode", content::content_decode),
    (
        "attachment_pointer_decode",
        content::attachment_pointer_decode,
    ),
    ("media_decrypt", media::media_decrypt),
    ("group_decrypt", group::group_decrypt),
    (
        "group_distribution_decode",
        group::group_distribution_decode,
    ),
    ("group_state_decode", group::group_state_decode),
    ("account_decrypt", account::account_decrypt),
    ("store_import", account::store_import),
];
