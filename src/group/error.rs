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

impl std::error::Error for GroupError {}
