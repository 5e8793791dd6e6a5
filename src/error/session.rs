//! The 1:1 protocol's errors: keys, prekey bundles, envelopes, decryption, encryption and
//! stored sessions. Each enum is followed by its message and its stable codes (SPEC.md 1.1).

use core::fmt;

use crate::kem::KemError;

/// Why key bytes were rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The encoding has the wrong length.
    InvalidLength,
    /// Not the canonical encoding of a point (X25519 u >= p or bit 255 set; Ed25519 does not
    /// decompress).
    NonCanonical,
    /// A low-order point: Diffie-Hellman with it would not depend on our secret. For an identity
    /// key also a point with a small-order component (outside the prime-order subgroup).
    LowOrder,
    /// A Diffie-Hellman output was all zero (non-contributory).
    NonContributory,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyError::InvalidLength => "wrong length",
            KeyError::NonCanonical => "non-canonical encoding",
            KeyError::LowOrder => "low-order point",
            KeyError::NonContributory => "non-contributory Diffie-Hellman result",
        })
    }
}

impl KeyError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::InvalidLength => "key.invalid_length",
            KeyError::NonCanonical => "key.non_canonical",
            KeyError::LowOrder => "key.low_order",
            KeyError::NonContributory => "key.non_contributory",
        }
    }
}

impl std::error::Error for KeyError {}

/// Why a prekey bundle was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a well-formed bundle encoding (bad protobuf, wrong lengths, extra bytes, oversized).
    Malformed,
    /// The `version` field is not one this library speaks (as for envelopes and states).
    UnsupportedVersion,
    /// A key in the bundle is invalid or low-order.
    InvalidKey(KeyError),
    /// The signed prekey's or the KEM prekey's signature does not verify under the identity
    /// key.
    BadSignature,
    /// The bundle's KEM prekey is invalid (SPEC.md 2.6): wrong length, a public key failing the
    /// FIPS 203 modulus check, or an unknown kind.
    InvalidKemKey(KemError),
    /// The bundle carries no KEM prekey (a classical, version 1 bundle) and the policy requires
    /// post-quantum session setup ([`PostQuantum::Required`](crate::PostQuantum::Required)).
    ClassicalOnly,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Malformed => f.write_str("malformed encoding"),
            BundleError::UnsupportedVersion => f.write_str("unsupported version"),
            BundleError::InvalidKey(e) => write!(f, "bad key: {e}"),
            BundleError::BadSignature => f.write_str("prekey signature does not verify"),
            BundleError::InvalidKemKey(e) => write!(f, "bad KEM prekey: {e}"),
            BundleError::ClassicalOnly => f.write_str("no KEM prekey, post-quantum required"),
        }
    }
}

impl BundleError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Malformed => "bundle.malformed",
            BundleError::UnsupportedVersion => "bundle.unsupported_version",
            BundleError::InvalidKey(KeyError::InvalidLength) => "bundle.key.invalid_length",
            BundleError::InvalidKey(KeyError::NonCanonical) => "bundle.key.non_canonical",
            BundleError::InvalidKey(KeyError::LowOrder) => "bundle.key.low_order",
            BundleError::InvalidKey(KeyError::NonContributory) => "bundle.key.non_contributory",
            BundleError::BadSignature => "bundle.bad_signature",
            BundleError::InvalidKemKey(KemError::InvalidLength) => "bundle.kem.invalid_length",
            BundleError::InvalidKemKey(KemError::InvalidPublicKey) => {
                "bundle.kem.invalid_public_key"
            }
            BundleError::InvalidKemKey(KemError::UnknownKind) => "bundle.kem.unknown_kind",
            BundleError::InvalidKemKey(KemError::BadSignature) => "bundle.bad_signature",
            BundleError::ClassicalOnly => "bundle.classical_only",
        }
    }
}

impl std::error::Error for BundleError {}

/// Why an envelope was rejected before any cryptography ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// Longer than [`MAX_ENVELOPE_LEN`](crate::MAX_ENVELOPE_LEN).
    TooLarge,
    /// The `version` field is not one this library speaks.
    UnsupportedVersion,
    /// Not a well-formed envelope: bad protobuf, missing or unknown body, a field of the wrong
    /// length, unknown fields or trailing bytes.
    Malformed,
    /// A key carried in the envelope is invalid or low-order.
    InvalidKey(KeyError),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLarge => f.write_str("too large"),
            WireError::UnsupportedVersion => f.write_str("unsupported version"),
            WireError::Malformed => f.write_str("malformed encoding"),
            WireError::InvalidKey(e) => write!(f, "bad key: {e}"),
        }
    }
}

impl WireError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            WireError::TooLarge => "wire.too_large",
            WireError::UnsupportedVersion => "wire.unsupported_version",
            WireError::Malformed => "wire.malformed",
            WireError::InvalidKey(KeyError::InvalidLength) => "wire.key.invalid_length",
            WireError::InvalidKey(KeyError::NonCanonical) => "wire.key.non_canonical",
            WireError::InvalidKey(KeyError::LowOrder) => "wire.key.low_order",
            WireError::InvalidKey(KeyError::NonContributory) => "wire.key.non_contributory",
        }
    }
}

impl std::error::Error for WireError {}

/// Why a message did not decrypt. In every case the session is exactly as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Authentication failed: the message was forged, altered, or belongs to another session.
    /// A replay or an expired message of an *earlier* receiving chain also ends here: with its
    /// key gone it is indistinguishable from a message under a new ratchet key (SPEC.md 5.7).
    AuthenticationFailed,
    /// The message key is gone: a message of the current receiving chain that was already
    /// decrypted (a replay), or whose skipped key was evicted.
    DuplicateOrExpired,
    /// The message claims to be further ahead in its chain than
    /// [`MAX_SKIP`](crate::MAX_SKIP) allows.
    TooFarAhead,
    /// A prekey message that does not belong to this session (another base key or prekey).
    SessionMismatch,
    /// A prekey message reached a session that only sends them; or a plain ratchet message
    /// arrived where only a prekey message can start the session.
    UnexpectedMessageType,
    /// A classical (X3DH) prekey message and the policy requires post-quantum session setup
    /// ([`PostQuantum::Required`](crate::PostQuantum::Required)).
    ClassicalOnly,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecryptError::AuthenticationFailed => "authentication failed",
            DecryptError::DuplicateOrExpired => "message key already used or expired",
            DecryptError::TooFarAhead => "message too far ahead in its chain",
            DecryptError::SessionMismatch => "prekey message belongs to another session",
            DecryptError::UnexpectedMessageType => "unexpected message type",
            DecryptError::ClassicalOnly => "classical prekey message, post-quantum required",
        })
    }
}

impl DecryptError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            DecryptError::AuthenticationFailed => "decrypt.authentication_failed",
            DecryptError::DuplicateOrExpired => "decrypt.duplicate_or_expired",
            DecryptError::TooFarAhead => "decrypt.too_far_ahead",
            DecryptError::SessionMismatch => "decrypt.session_mismatch",
            DecryptError::UnexpectedMessageType => "decrypt.unexpected_message_type",
            DecryptError::ClassicalOnly => "decrypt.classical_only",
        }
    }
}

impl std::error::Error for DecryptError {}

/// Why a message could not be encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptError {
    /// The plaintext is longer than [`MAX_PLAINTEXT_LEN`](crate::MAX_PLAINTEXT_LEN).
    PlaintextTooLarge,
    /// The sending chain has reached 2^32 - 1 messages; this cannot happen before the peer
    /// replies in any real conversation, and reusing a counter would be worse than refusing.
    ChainExhausted,
}

impl fmt::Display for EncryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncryptError::PlaintextTooLarge => "plaintext too large",
            EncryptError::ChainExhausted => "sending chain exhausted",
        })
    }
}

impl EncryptError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            EncryptError::PlaintextTooLarge => "encrypt.plaintext_too_large",
            EncryptError::ChainExhausted => "encrypt.chain_exhausted",
        }
    }
}

impl std::error::Error for EncryptError {}

/// Why a serialized session was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The storage format version is unknown (newer than this library).
    UnsupportedVersion,
    /// The bytes are not a well-formed, internally consistent session.
    Malformed,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateError::UnsupportedVersion => "unsupported storage version",
            StateError::Malformed => "malformed session state",
        })
    }
}

impl StateError {
    /// The stable code of this error (SPEC.md section 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            StateError::UnsupportedVersion => "state.unsupported_version",
            StateError::Malformed => "state.malformed",
        }
    }
}

impl std::error::Error for StateError {}
