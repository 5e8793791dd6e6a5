//! [`GroupError`]: why a group operation failed (SPEC.md section 16).

use core::fmt;

use crate::error::{ContentError, KeyError, StateError};

/// Why a group operation failed. Every failure of
/// [`GroupReceiver::decrypt`](crate::GroupReceiver::decrypt) and
/// [`GroupSender::encrypt`](crate::GroupSender::encrypt) leaves the state exactly as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupError {
    /// Longer than [`MAX_GROUP_MESSAGE_LEN`](crate::MAX_GROUP_MESSAGE_LEN) (or, for a
    /// distribution message, its own bound).
    TooLarge,
    /// Not the canonical encoding of a well-formed message, or a field of the wrong length.
    Malformed,
    /// The `version` field is not 1.
    UnsupportedVersion,
    /// A key carried in a distribution message is invalid.
    InvalidKey(KeyError),
    /// The message or distribution is for another group.
    WrongGroup,
    /// No sender key with this id is known for this sender: never distributed to us, rotated
    /// out (more than [`MAX_SENDER_KEY_STATES`](crate::MAX_SENDER_KEY_STATES) newer ones), or the
    /// sender was forgotten (removed from the group).
    UnknownSenderKey,
    /// The signature does not verify under the sender key's signing key. Checked before any
    /// decryption.
    BadSignature,
    /// The position was already decrypted, or its stored key was evicted: a replay or a very
    /// late message.
    Duplicate,
    /// The message is more than [`MAX_GROUP_SKIP`](crate::MAX_GROUP_SKIP) positions ahead of the
    /// next one expected.
    TooFarAhead,
    /// The ciphertext does not authenticate (a validly signed message that does not decrypt:
    /// only the sender can produce one).
    AuthenticationFailed,
    /// The plaintext is longer than [`MAX_PLAINTEXT_LEN`](crate::MAX_PLAINTEXT_LEN).
    PlaintextTooLarge,
    /// This sender key has sent its last message; [`rotate`](crate::GroupSender::rotate).
    ChainExhausted,
    /// A new sender would exceed [`MAX_GROUP_SENDERS`](crate::MAX_GROUP_SENDERS).
    TooManySenders,
    /// The content given to [`GroupSender::encrypt_content`](crate::GroupSender::encrypt_content)
    /// is not valid (see SPEC.md 9.3).
    Content(ContentError),
    /// A stored group state could not be loaded.
    State(StateError),
}

impl From<ContentError> for GroupError {
    fn from(e: ContentError) -> Self {
        GroupError::Content(e)
    }
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::TooLarge => f.write_str("group message too large"),
            GroupError::Malformed => f.write_str("malformed group message"),
            GroupError::UnsupportedVersion => f.write_str("unsupported group message version"),
            GroupError::InvalidKey(e) => write!(f, "invalid key in sender key: {e:?}"),
            GroupError::WrongGroup => f.write_str("message for another group"),
            GroupError::UnknownSenderKey => f.write_str("unknown sender key"),
            GroupError::BadSignature => f.write_str("bad group message signature"),
            GroupError::Duplicate => f.write_str("duplicate or expired group message"),
            GroupError::TooFarAhead => f.write_str("group message too far ahead"),
            GroupError::AuthenticationFailed => f.write_str("group message did not authenticate"),
            GroupError::PlaintextTooLarge => f.write_str("plaintext too large"),
            GroupError::ChainExhausted => f.write_str("sender key exhausted; rotate"),
            GroupError::TooManySenders => f.write_str("too many senders in group"),
            GroupError::Content(e) => write!(f, "invalid content: {e}"),
            GroupError::State(e) => write!(f, "group state: {e}"),
        }
    }
}

impl GroupError {
    /// A stable, language-neutral name for this error (SPEC.md 16.10), used by the test
    /// vectors. Content and state errors keep the codes of SPEC.md 1.1.
    pub fn code(&self) -> &'static str {
        match self {
            GroupError::TooLarge => "group.too_large",
            GroupError::Malformed => "group.malformed",
            GroupError::UnsupportedVersion => "group.unsupported_version",
            GroupError::InvalidKey(KeyError::InvalidLength) => "group.key.invalid_length",
            GroupError::InvalidKey(KeyError::NonCanonical) => "group.key.non_canonical",
            GroupError::InvalidKey(KeyError::LowOrder) => "group.key.low_order",
            GroupError::InvalidKey(KeyError::NonContributory) => "group.key.non_contributory",
            GroupError::WrongGroup => "group.wrong_group",
            GroupError::UnknownSenderKey => "group.unknown_sender_key",
            GroupError::BadSignature => "group.bad_signature",
            GroupError::Duplicate => "group.duplicate",
            GroupError::TooFarAhead => "group.too_far_ahead",
            GroupError::AuthenticationFailed => "group.authentication_failed",
            GroupError::PlaintextTooLarge => "group.plaintext_too_large",
            GroupError::ChainExhausted => "group.chain_exhausted",
            GroupError::TooManySenders => "group.too_many_senders",
            GroupError::Content(e) => e.code(),
            GroupError::State(e) => e.code(),
        }
    }
}

impl std::error::Error for GroupError {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every group-specific variant (content and state errors reuse SPEC 1.1's codes).
    fn own() -> Vec<GroupError> {
        use KeyError::*;
        vec![
            GroupError::TooLarge,
            GroupError::Malformed,
            GroupError::UnsupportedVersion,
            GroupError::InvalidKey(InvalidLength),
            GroupError::InvalidKey(NonCanonical),
            GroupError::InvalidKey(LowOrder),
            GroupError::InvalidKey(NonContributory),
            GroupError::WrongGroup,
            GroupError::UnknownSenderKey,
            GroupError::BadSignature,
            GroupError::Duplicate,
            GroupError::TooFarAhead,
            GroupError::AuthenticationFailed,
            GroupError::PlaintextTooLarge,
            GroupError::ChainExhausted,
            GroupError::TooManySenders,
        ]
    }

    #[test]
    fn codes_are_unique_and_the_spec_table_lists_each() {
        let codes: BTreeSet<&str> = own().iter().map(GroupError::code).collect();
        assert_eq!(codes.len(), own().len(), "duplicate codes");
        assert_eq!(crate::error::tests::spec_table("group-error-codes"), codes);
        assert_eq!(
            GroupError::Content(ContentError::Malformed).code(),
            "content.malformed"
        );
        assert_eq!(
            GroupError::State(StateError::Malformed).code(),
            "state.malformed"
        );
    }

    #[test]
    fn display_gives_each_error_its_own_message() {
        let shown: BTreeSet<String> = own().iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), own().len(), "two errors share a message");
        assert!(!shown.contains(""));
        assert_eq!(
            GroupError::BadSignature.to_string(),
            "bad group message signature"
        );
        assert_eq!(
            GroupError::Content(ContentError::Malformed).to_string(),
            format!("invalid content: {}", ContentError::Malformed)
        );
        assert_eq!(
            GroupError::State(StateError::Malformed).to_string(),
            format!("group state: {}", StateError::Malformed)
        );
    }
}
