//! [`AccountError`]: every way an account operation can fail. Each leaves the store exactly as
//! it was before the operation (the transaction is rolled back).

use core::fmt;

use super::address::DeviceAddress;
use crate::kem_prekey::KemPreKeyId;
use crate::keys::{IdentityKey, OneTimePreKeyId, SignedPreKeyId};
use crate::store::StoreError;

/// Why an [`Account`](super::Account) operation failed. Nothing was written: the store is as
/// it was before the call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountError {
    /// The store failed, refused the storage key, or holds damaged data.
    Store(StoreError),
    /// The cryptographic core rejected an input: a malformed envelope, a message that does not
    /// authenticate, a bundle with a bad signature, and so on.
    Crypto(crate::Error),
    /// The remote device presents an identity key other than the one trusted for its address
    /// (first seen, or accepted with [`Account::trust_identity`](super::Account::trust_identity)).
    /// Nothing was consumed; call `trust_identity(address, received)` to accept the new key
    /// (after the user compared safety numbers, or by the application's policy) and retry.
    IdentityChanged {
        /// The remote device.
        address: DeviceAddress,
        /// The key trusted until now (boxed: keys are large, errors should not be).
        trusted: Box<IdentityKey>,
        /// The key the device now presents.
        received: Box<IdentityKey>,
    },
    /// There is no usable session with the device (none yet, or only one that went stale
    /// without a reply), and no bundle was given to start one.
    NoSession,
    /// A first message names a one-time prekey this device does not hold: used already (a
    /// replay, or a second sender handed the same key) or never issued. Nothing was consumed.
    UnknownPreKey(OneTimePreKeyId),
    /// A first message names a signed prekey this device does not hold: rotated away longer
    /// ago than the grace period, or never issued. Nothing was consumed; the sender must fetch
    /// a fresh bundle.
    UnknownSignedPreKey(SignedPreKeyId),
    /// A PQXDH first message names a KEM prekey this device does not hold: a one-time one
    /// used already (a replay, or a second sender handed the same key), a last-resort one
    /// rotated away longer ago than the grace period, or one never issued. Nothing was
    /// consumed.
    UnknownKemPreKey(KemPreKeyId),
    /// A user id is empty or longer than [`MAX_USER_ID_LEN`](super::MAX_USER_ID_LEN) bytes.
    InvalidAddress,
    /// [`Account::create`](super::Account::create) on a store that already holds an account.
    AlreadyExists,
    /// [`Account::open`](super::Account::open) on a store that holds no account.
    NotFound,
    /// Prekey ids ran out (more than 2^32 prekeys of one kind were ever generated).
    PreKeyIdsExhausted,
    /// A scanned safety-number payload is not one crosswire produces.
    InvalidSafetyNumber,
    /// A message from a device the user's device list no longer holds
    /// ([`Account::set_devices`](super::Account::set_devices) dropped it): its sessions are
    /// archived and nothing from it is accepted. Nothing was written. If the directory lists
    /// the device again, `set_devices` with it makes it acceptable again.
    DeviceRemoved(DeviceAddress),
    /// No session held for `address` decrypts this message: the sender lost or rolled back its
    /// state (a reinstall that kept the identity, a restored backup), or this device did
    /// (its own restore), or the message was forged or damaged in transit. Nothing was
    /// written. To heal: call [`Account::reset_session`](super::Account::reset_session) for
    /// `address` and send it any message (from a fresh bundle); the peer accepts the new
    /// session and its next messages decrypt. A forged message does no harm beyond this.
    SessionLost {
        /// The device whose message could not be decrypted.
        address: DeviceAddress,
    },
    /// A fan-out needs a new session with this device (none yet, archived, stale, or removed
    /// by a reset) and the bundle source gave no bundle for it. Nothing was written: fetch
    /// its bundle and retry.
    MissingBundle(DeviceAddress),
    /// A fan-out to a user whose device list is unknown: call
    /// [`Account::set_devices`](super::Account::set_devices) with the directory's list first.
    NoDeviceList(String),
    /// A device list longer than [`MAX_DEVICES_PER_USER`](super::MAX_DEVICES_PER_USER).
    TooManyDevices,
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::Store(e) => write!(f, "store: {e}"),
            AccountError::Crypto(e) => write!(f, "crypto: {e}"),
            AccountError::IdentityChanged { address, .. } => {
                write!(f, "the identity key of {address} changed")
            }
            AccountError::NoSession => f.write_str("no usable session and no bundle to start one"),
            AccountError::UnknownPreKey(id) => {
                write!(
                    f,
                    "one-time prekey {} is not held (used or never issued)",
                    id.0
                )
            }
            AccountError::UnknownSignedPreKey(id) => {
                write!(
                    f,
                    "signed prekey {} is not held (expired or never issued)",
                    id.0
                )
            }
            AccountError::UnknownKemPreKey(id) => {
                write!(
                    f,
                    "KEM prekey {} is not held (used, expired or never issued)",
                    id.0
                )
            }
            AccountError::InvalidAddress => f.write_str("invalid user id"),
            AccountError::AlreadyExists => f.write_str("the store already holds an account"),
            AccountError::NotFound => f.write_str("the store holds no account"),
            AccountError::PreKeyIdsExhausted => f.write_str("prekey ids exhausted"),
            AccountError::InvalidSafetyNumber => f.write_str("not a crosswire safety number"),
            AccountError::DeviceRemoved(address) => write!(f, "device {address} was removed"),
            AccountError::SessionLost { address } => write!(
                f,
                "no session with {address} decrypts this message: reset the session"
            ),
            AccountError::MissingBundle(address) => {
                write!(f, "a new session with {address} needs its bundle")
            }
            AccountError::NoDeviceList(user) => write!(f, "no device list for {user:?}"),
            AccountError::TooManyDevices => f.write_str("too many devices for one user"),
        }
    }
}

impl AccountError {
    /// A stable, language-neutral name for this error (SPEC.md 14.14), for bindings and logs.
    /// Store and core errors keep their own codes (`store.*`, SPEC.md 1.1).
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::Store(e) => e.code(),
            AccountError::Crypto(e) => e.code(),
            AccountError::IdentityChanged { .. } => "account.identity_changed",
            AccountError::NoSession => "account.no_session",
            AccountError::UnknownPreKey(_) => "account.unknown_prekey",
            AccountError::UnknownSignedPreKey(_) => "account.unknown_signed_prekey",
            AccountError::UnknownKemPreKey(_) => "account.unknown_kem_prekey",
            AccountError::InvalidAddress => "account.invalid_address",
            AccountError::AlreadyExists => "account.already_exists",
            AccountError::NotFound => "account.not_found",
            AccountError::PreKeyIdsExhausted => "account.prekey_ids_exhausted",
            AccountError::InvalidSafetyNumber => "account.invalid_safety_number",
            AccountError::DeviceRemoved(_) => "account.device_removed",
            AccountError::SessionLost { .. } => "account.session_lost",
            AccountError::MissingBundle(_) => "account.missing_bundle",
            AccountError::NoDeviceList(_) => "account.no_device_list",
            AccountError::TooManyDevices => "account.too_many_devices",
        }
    }
}

impl std::error::Error for AccountError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AccountError::Store(e) => Some(e),
            AccountError::Crypto(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Store(e)
    }
}

impl From<crate::Error> for AccountError {
    fn from(e: crate::Error) -> Self {
        AccountError::Crypto(e)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::keys::IdentityKeyPair;

    /// Every account-specific variant and every store variant; core errors keep SPEC 1.1's codes.
    fn own() -> Vec<AccountError> {
        let address = DeviceAddress::new("u", 1).expect("address");
        let key = Box::new(*IdentityKeyPair::from_seed(&[7; 32]).public());
        vec![
            AccountError::Store(StoreError::WrongKey),
            AccountError::Store(StoreError::Corrupt),
            AccountError::Store(StoreError::Busy),
            AccountError::Store(StoreError::NewerSchema(9)),
            AccountError::Store(StoreError::Io("disk full".into())),
            AccountError::IdentityChanged {
                address: address.clone(),
                trusted: key.clone(),
                received: key,
            },
            AccountError::NoSession,
            AccountError::UnknownPreKey(OneTimePreKeyId(1)),
            AccountError::UnknownSignedPreKey(SignedPreKeyId(1)),
            AccountError::UnknownKemPreKey(KemPreKeyId(1)),
            AccountError::InvalidAddress,
            AccountError::AlreadyExists,
            AccountError::NotFound,
            AccountError::PreKeyIdsExhausted,
            AccountError::InvalidSafetyNumber,
            AccountError::DeviceRemoved(address.clone()),
            AccountError::SessionLost {
                address: address.clone(),
            },
            AccountError::MissingBundle(address),
            AccountError::NoDeviceList("u".into()),
            AccountError::TooManyDevices,
        ]
    }

    #[test]
    fn codes_are_unique_and_the_spec_table_lists_each() {
        let codes: BTreeSet<&str> = own().iter().map(AccountError::code).collect();
        assert_eq!(codes.len(), own().len(), "duplicate codes");
        assert_eq!(
            crate::error::tests::spec_table("account-error-codes"),
            codes
        );
        assert_eq!(
            AccountError::Crypto(crate::Error::Decrypt(
                crate::error::DecryptError::DuplicateOrExpired
            ))
            .code(),
            crate::Error::Decrypt(crate::error::DecryptError::DuplicateOrExpired).code()
        );
    }

    #[test]
    fn display_says_which_failure_and_source_is_the_inner_error() {
        let errors = own();
        let shown: BTreeSet<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), errors.len(), "two variants read the same");
        assert!(shown.iter().all(|s| !s.is_empty()));
        for e in &errors {
            let text = e.to_string();
            match e {
                AccountError::IdentityChanged { address, .. }
                | AccountError::DeviceRemoved(address)
                | AccountError::SessionLost { address }
                | AccountError::MissingBundle(address) => {
                    assert!(text.contains(&address.to_string()), "{text}");
                }
                AccountError::UnknownPreKey(_)
                | AccountError::UnknownSignedPreKey(_)
                | AccountError::UnknownKemPreKey(_) => {
                    assert!(text.contains(" 1 "), "{text}");
                }
                _ => {}
            }
        }
        assert_eq!(
            AccountError::Store(StoreError::Corrupt).to_string(),
            format!("store: {}", StoreError::Corrupt)
        );

        use std::error::Error as _;
        let store = AccountError::Store(StoreError::Busy);
        let inner = store.source().and_then(|s| s.downcast_ref::<StoreError>());
        assert_eq!(inner, Some(&StoreError::Busy));
        let core = crate::Error::Decrypt(crate::error::DecryptError::DuplicateOrExpired);
        let crypto = AccountError::Crypto(core);
        assert_eq!(crypto.to_string(), format!("crypto: {core}"));
        let inner = crypto
            .source()
            .and_then(|s| s.downcast_ref::<crate::Error>());
        assert_eq!(inner, Some(&core));
        for e in errors
            .iter()
            .filter(|e| !matches!(e, AccountError::Store(_)))
        {
            assert!(e.source().is_none(), "{e:?}");
        }
    }
}
