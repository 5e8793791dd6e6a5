//! The error tree against its codes: every leaf has its own code, and SPEC.md's table lists
//! exactly them.

use super::*;
use std::collections::{BTreeSet, HashSet};

/// Every leaf of the error tree.
fn all() -> Vec<Error> {
    vec![
        Error::Key(KeyError::InvalidLength),
        Error::Key(KeyError::NonCanonical),
        Error::Key(KeyError::LowOrder),
        Error::Key(KeyError::NonContributory),
        Error::Bundle(BundleError::Malformed),
        Error::Bundle(BundleError::UnsupportedVersion),
        Error::Bundle(BundleError::InvalidKey(KeyError::InvalidLength)),
        Error::Bundle(BundleError::InvalidKey(KeyError::NonCanonical)),
        Error::Bundle(BundleError::InvalidKey(KeyError::LowOrder)),
        Error::Bundle(BundleError::InvalidKey(KeyError::NonContributory)),
        Error::Bundle(BundleError::BadSignature),
        Error::Bundle(BundleError::InvalidKemKey(KemError::InvalidLength)),
        Error::Bundle(BundleError::InvalidKemKey(KemError::InvalidPublicKey)),
        Error::Bundle(BundleError::InvalidKemKey(KemError::UnknownKind)),
        Error::Bundle(BundleError::ClassicalOnly),
        Error::Wire(WireError::TooLarge),
        Error::Wire(WireError::UnsupportedVersion),
        Error::Wire(WireError::Malformed),
        Error::Wire(WireError::InvalidKey(KeyError::InvalidLength)),
        Error::Wire(WireError::InvalidKey(KeyError::NonCanonical)),
        Error::Wire(WireError::InvalidKey(KeyError::LowOrder)),
        Error::Wire(WireError::InvalidKey(KeyError::NonContributory)),
        Error::Decrypt(DecryptError::AuthenticationFailed),
        Error::Decrypt(DecryptError::DuplicateOrExpired),
        Error::Decrypt(DecryptError::TooFarAhead),
        Error::Decrypt(DecryptError::SessionMismatch),
        Error::Decrypt(DecryptError::UnexpectedMessageType),
        Error::Decrypt(DecryptError::ClassicalOnly),
        Error::Encrypt(EncryptError::PlaintextTooLarge),
        Error::Encrypt(EncryptError::ChainExhausted),
        Error::State(StateError::UnsupportedVersion),
        Error::State(StateError::Malformed),
        Error::ContextTooLarge,
        Error::Content(ContentError::TooLarge),
        Error::Content(ContentError::BadPadding),
        Error::Content(ContentError::Malformed),
        Error::Content(ContentError::InvalidMessageId),
        Error::Content(ContentError::TextTooLong),
        Error::Content(ContentError::InvalidEmoji),
        Error::Content(ContentError::InvalidReceipt),
        Error::Content(ContentError::Unsupported),
        Error::Content(ContentError::Attachment(MediaError::InvalidChunkSize)),
        Error::Content(ContentError::Attachment(MediaError::TooLarge)),
        Error::Content(ContentError::Attachment(MediaError::InvalidPointer)),
        Error::Content(ContentError::Attachment(MediaError::FieldTooLong)),
        Error::Content(ContentError::Attachment(MediaError::Truncated)),
        Error::Content(ContentError::Attachment(MediaError::TrailingData)),
        Error::Content(ContentError::Attachment(MediaError::AuthenticationFailed)),
        Error::Content(ContentError::Attachment(MediaError::DigestMismatch)),
        Error::Content(ContentError::Attachment(MediaError::ChunkOutOfRange)),
        Error::Content(ContentError::Attachment(MediaError::InvalidChunkLength)),
        Error::Media(MediaError::InvalidChunkSize),
        Error::Media(MediaError::TooLarge),
        Error::Media(MediaError::InvalidPointer),
        Error::Media(MediaError::FieldTooLong),
        Error::Media(MediaError::Truncated),
        Error::Media(MediaError::TrailingData),
        Error::Media(MediaError::AuthenticationFailed),
        Error::Media(MediaError::DigestMismatch),
        Error::Media(MediaError::ChunkOutOfRange),
        Error::Media(MediaError::InvalidChunkLength),
        Error::Kem(KemError::InvalidLength),
        Error::Kem(KemError::InvalidPublicKey),
        Error::Kem(KemError::UnknownKind),
        Error::Kem(KemError::BadSignature),
    ]
}

/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_error(e: &Error) -> usize {
    match e {
        Error::Key(_) => 0,
        Error::Bundle(_) => 1,
        Error::Wire(_) => 2,
        Error::Decrypt(_) => 3,
        Error::Encrypt(_) => 4,
        Error::State(_) => 5,
        Error::ContextTooLarge => 6,
        Error::Content(_) => 7,
        Error::Media(_) => 8,
        Error::Kem(_) => 9,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_keyerror(e: &KeyError) -> usize {
    match e {
        KeyError::InvalidLength => 0,
        KeyError::NonCanonical => 1,
        KeyError::LowOrder => 2,
        KeyError::NonContributory => 3,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_bundleerror(e: &BundleError) -> usize {
    match e {
        BundleError::Malformed => 0,
        BundleError::InvalidKey(_) => 1,
        BundleError::BadSignature => 2,
        BundleError::UnsupportedVersion => 3,
        BundleError::InvalidKemKey(_) => 4,
        BundleError::ClassicalOnly => 5,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_wireerror(e: &WireError) -> usize {
    match e {
        WireError::TooLarge => 0,
        WireError::UnsupportedVersion => 1,
        WireError::Malformed => 2,
        WireError::InvalidKey(_) => 3,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_decrypterror(e: &DecryptError) -> usize {
    match e {
        DecryptError::AuthenticationFailed => 0,
        DecryptError::DuplicateOrExpired => 1,
        DecryptError::TooFarAhead => 2,
        DecryptError::SessionMismatch => 3,
        DecryptError::UnexpectedMessageType => 4,
        DecryptError::ClassicalOnly => 5,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_encrypterror(e: &EncryptError) -> usize {
    match e {
        EncryptError::PlaintextTooLarge => 0,
        EncryptError::ChainExhausted => 1,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_stateerror(e: &StateError) -> usize {
    match e {
        StateError::UnsupportedVersion => 0,
        StateError::Malformed => 1,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_contenterror(e: &ContentError) -> usize {
    match e {
        ContentError::TooLarge => 0,
        ContentError::BadPadding => 1,
        ContentError::Malformed => 2,
        ContentError::InvalidMessageId => 3,
        ContentError::TextTooLong => 4,
        ContentError::InvalidEmoji => 5,
        ContentError::InvalidReceipt => 6,
        ContentError::Unsupported => 7,
        ContentError::Attachment(_) => 8,
    }
}
/// Position of each variant: a new variant fails to compile here until it is listed.
fn index_mediaerror(e: &MediaError) -> usize {
    match e {
        MediaError::InvalidChunkSize => 0,
        MediaError::TooLarge => 1,
        MediaError::InvalidPointer => 2,
        MediaError::FieldTooLong => 3,
        MediaError::Truncated => 4,
        MediaError::TrailingData => 5,
        MediaError::AuthenticationFailed => 6,
        MediaError::DigestMismatch => 7,
        MediaError::ChunkOutOfRange => 8,
        MediaError::InvalidChunkLength => 9,
    }
}

/// Issue 9, SPEC gap 4: every leaf error has its own code, of the documented shape, and
/// `all()` really is every leaf (each variant of each enum occurs in it).
#[test]
fn codes_are_unique_and_complete() {
    let all = all();
    let codes: Vec<&str> = all.iter().map(Error::code).collect();
    let unique: HashSet<&str> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len(), "duplicate codes: {codes:?}");
    for c in &codes {
        let ok = c.split('.').count() >= 2
            && c.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            });
        assert!(ok, "malformed code {c}");
    }
    let mut seen: BTreeSet<(&str, usize)> = BTreeSet::new();
    for e in &all {
        seen.insert(("Error", index_error(e)));
        match e {
            Error::Key(k) => {
                seen.insert(("KeyError", index_keyerror(k)));
            }
            Error::Bundle(b) => {
                seen.insert(("BundleError", index_bundleerror(b)));
                if let BundleError::InvalidKey(k) = b {
                    seen.insert(("KeyError", index_keyerror(k)));
                }
            }
            Error::Wire(w) => {
                seen.insert(("WireError", index_wireerror(w)));
            }
            Error::Decrypt(d) => {
                seen.insert(("DecryptError", index_decrypterror(d)));
            }
            Error::Encrypt(x) => {
                seen.insert(("EncryptError", index_encrypterror(x)));
            }
            Error::State(x) => {
                seen.insert(("StateError", index_stateerror(x)));
            }
            Error::ContextTooLarge => {}
            Error::Content(c) => {
                seen.insert(("ContentError", index_contenterror(c)));
            }
            Error::Media(m) => {
                seen.insert(("MediaError", index_mediaerror(m)));
            }
            Error::Kem(_) => {}
        }
    }
    let counts = [
        ("Error", 10),
        ("KeyError", 4),
        ("BundleError", 6),
        ("WireError", 4),
        ("DecryptError", 6),
        ("EncryptError", 2),
        ("StateError", 2),
        ("ContentError", 9),
        ("MediaError", 10),
    ];
    for (name, n) in counts {
        for i in 0..n {
            assert!(
                seen.contains(&(name, i)),
                "{name} variant {i} has no entry in all()"
            );
        }
    }
    // Sub-enum codes are the top-level ones: a caller holding a `WireError` logs the same
    // code as one holding the `Error` it came in.
    assert_eq!(
        KeyError::LowOrder.code(),
        Error::Key(KeyError::LowOrder).code()
    );
    assert_eq!(
        MediaError::Truncated.code(),
        Error::Media(MediaError::Truncated).code()
    );
}

/// The codes SPEC.md's table between `<!-- NAME:start -->` and `<!-- NAME:end -->` lists (the
/// first backquoted word of each row), for the tests that hold each error type to its table.
pub(crate) fn spec_table(name: &str) -> BTreeSet<&'static str> {
    let spec: &'static str = include_str!("../../SPEC.md");
    let start = spec
        .find(&format!("<!-- {name}:start -->"))
        .expect("table start");
    let end = spec
        .find(&format!("<!-- {name}:end -->"))
        .expect("table end");
    spec[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect()
}

/// SPEC.md's table lists exactly these codes.
#[test]
fn spec_table_lists_every_code() {
    let codes: BTreeSet<&str> = all().iter().map(Error::code).collect();
    assert_eq!(spec_table("error-codes"), codes);
}
