//! Groups with Sender Keys (SPEC.md section 16), sans-I/O.
//!
//! Every member *device* holds, per group, its own [`GroupSender`] (a sender chain and an Ed25519
//! signing key) and one [`GroupReceiver`] with the sender keys of every other member device.
//! Sender keys travel as [`SenderKeyDistribution`]s over the pairwise
//! [`Session`](crate::Session)s; a group message is then encrypted once (AES-256-GCM, per-message
//! salt), signed, and readable by every member device holding the key.
//!
//! - [`chain`]: chain steps and message keys.
//! - [`message`]: [`SenderKeyMessage`] on the wire.
//! - [`distribution`]: [`SenderKeyDistribution`] on the wire.
//! - [`sender`]: encrypting, rotating, storing one's own key.
//! - [`receiver`]: verifying, decrypting, membership changes, storage.
//!
//! Membership is the application's: when a device leaves or is removed, every remaining device
//! calls [`GroupSender::rotate`], distributes the new key to the remaining devices only, and
//! calls [`GroupReceiver::forget_sender`] for the departed one. A new member gets current
//! distributions only, so it cannot read earlier messages.

pub(crate) mod chain;
pub(crate) mod distribution;
pub(crate) mod error;
pub(crate) mod message;
pub(crate) mod receiver;
pub(crate) mod sender;

use core::fmt;

use rand_core::CryptoRng;

use crate::keys::Hex;

pub use distribution::SenderKeyDistribution;
pub use error::GroupError;
pub use message::{MAX_GROUP_MESSAGE_LEN, SenderKeyMessage};
pub use receiver::{
    GroupReceiver, MAX_GROUP_SENDERS, MAX_GROUP_SKIP, MAX_GROUP_SKIPPED_KEYS, MAX_GROUP_STATE_LEN,
    MAX_SENDER_KEY_STATES,
};
pub use sender::GroupSender;

/// Length of a [`GroupId`].
pub const GROUP_ID_LEN: usize = 32;

/// Names a group: 32 bytes, chosen at random by whoever creates it. Not secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId([u8; GROUP_ID_LEN]);

impl GroupId {
    /// A fresh random id.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; GROUP_ID_LEN];
        rng.fill_bytes(&mut id);
        GroupId(id)
    }

    /// An id from its bytes.
    pub const fn from_bytes(bytes: [u8; GROUP_ID_LEN]) -> Self {
        GroupId(bytes)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; GROUP_ID_LEN] {
        &self.0
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(GroupId)
    }
}

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupId({})", Hex(&self.0))
    }
}

/// Identifies one of a sender's sender keys; a fresh random value at every rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderKeyId(pub u32);
