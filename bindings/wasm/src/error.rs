//! The error JavaScript catches.

use core::fmt;

use crosswire::account::AccountError;
use wasm_bindgen::prelude::*;

/// What a failed call throws. `code` is the stable, language-neutral name of the cause (SPEC.md
/// 1.1 and 14.14, for example `decrypt.authentication_failed` or `account.no_session`): match
/// on it. `kind` is the area (`Key`, `Bundle`, `Wire`, `Decrypt`, `Encrypt`, `State`,
/// `Content`, `Media`, `Store`, `IdentityChanged`, `Account`, `InvalidArgument`); `reason` the
/// cause's Rust name, for logs; `message` both. No secret is ever part of one.
#[wasm_bindgen]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrosswireError {
    kind: String,
    reason: String,
    code: &'static str,
    /// For `account.identity_changed`: the key the device now presents (public, 32 bytes).
    received_identity_key: Option<Vec<u8>>,
}

#[wasm_bindgen]
impl CrosswireError {
    /// The stable code (SPEC.md 1.1, 14.14).
    #[wasm_bindgen(getter)]
    pub fn code(&self) -> String {
        self.code.to_owned()
    }

    /// The area.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.clone()
    }

    /// The precise cause.
    #[wasm_bindgen(getter)]
    pub fn reason(&self) -> String {
        self.reason.clone()
    }

    /// `code: kind: reason`.
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// For `account.identity_changed`, the identity key the remote device now presents: pass
    /// it to `Account.trustIdentity` once the user accepted it. Otherwise `undefined`.
    #[wasm_bindgen(getter, js_name = receivedIdentityKey)]
    pub fn received_identity_key(&self) -> Option<Vec<u8>> {
        self.received_identity_key.clone()
    }
}

impl CrosswireError {
    /// An error of this binding's own (a bad argument, a misbehaving random source).
    pub(crate) fn new(kind: &str, reason: &str) -> Self {
        let code = match kind {
            "InvalidArgument" => "binding.invalid_argument",
            _ => "binding.internal",
        };
        CrosswireError::with_code(kind, reason.to_owned(), code)
    }

    fn with_code(kind: &str, reason: String, code: &'static str) -> Self {
        CrosswireError {
            kind: kind.to_owned(),
            reason,
            code,
            received_identity_key: None,
        }
    }
}

impl fmt::Display for CrosswireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.code, self.kind, self.reason)
    }
}

impl From<crosswire::Error> for CrosswireError {
    fn from(e: crosswire::Error) -> Self {
        use crosswire::Error as E;
        let code = e.code();
        let (kind, reason) = match e {
            E::Key(k) => ("Key", format!("{k:?}")),
            // An ML-KEM key or KEM prekey that is not acceptable is a key error too.
            E::Kem(k) => ("Key", format!("{k:?}")),
            E::Bundle(b) => ("Bundle", format!("{b:?}")),
            E::Wire(w) => ("Wire", format!("{w:?}")),
            E::Decrypt(d) => ("Decrypt", format!("{d:?}")),
            E::Encrypt(x) => ("Encrypt", format!("{x:?}")),
            E::State(s) => ("State", format!("{s:?}")),
            E::ContextTooLarge => ("InvalidArgument", "ContextTooLarge".to_owned()),
            E::Content(c) => ("Content", format!("{c:?}")),
            E::Media(m) => ("Media", format!("{m:?}")),
            other => ("Internal", format!("{other:?}")),
        };
        CrosswireError::with_code(kind, reason, code)
    }
}

impl From<AccountError> for CrosswireError {
    fn from(e: AccountError) -> Self {
        let code = e.code();
        match e {
            AccountError::Crypto(c) => c.into(),
            AccountError::Store(s) => CrosswireError::with_code("Store", format!("{s:?}"), code),
            AccountError::IdentityChanged {
                address, received, ..
            } => CrosswireError {
                received_identity_key: Some(received.as_bytes().to_vec()),
                ..CrosswireError::with_code("IdentityChanged", address.to_string(), code)
            },
            // The Debug form names the variant and its public payload (an address, a prekey id).
            other => CrosswireError::with_code("Account", format!("{other:?}"), code),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crosswire::account::DeviceAddress;
    use crosswire::store::StoreError;

    #[test]
    fn every_error_carries_the_core_code() {
        let decrypt = crosswire::Error::Decrypt(crosswire::DecryptError::AuthenticationFailed);
        let e = CrosswireError::from(decrypt);
        assert_eq!(e.code(), "decrypt.authentication_failed");
        assert_eq!(e.kind(), "Decrypt");
        assert_eq!(
            CrosswireError::from(AccountError::Crypto(decrypt)),
            e,
            "a core error inside an account error crosses as the core error"
        );
        let store = CrosswireError::from(AccountError::Store(StoreError::WrongKey));
        assert_eq!(
            (store.code(), store.kind()),
            ("store.wrong_key".into(), "Store".into())
        );
        let none = CrosswireError::from(AccountError::NoSession);
        assert_eq!(
            (none.code(), none.kind()),
            ("account.no_session".into(), "Account".into())
        );
        assert!(none.message().starts_with("account.no_session: "));
        let kem = CrosswireError::from(crosswire::Error::Kem(crosswire::KemError::InvalidLength));
        assert_eq!(
            (kem.code(), kem.kind()),
            ("kem.invalid_length".into(), "Key".into()),
            "a KEM error is a key error"
        );
    }

    #[test]
    fn identity_changed_carries_the_received_key() {
        let key = |b| *crosswire::IdentityKeyPair::from_seed(&[b; 32]).public();
        let e = CrosswireError::from(AccountError::IdentityChanged {
            address: DeviceAddress::new("bob@b.example", 2).unwrap(),
            trusted: Box::new(key(1)),
            received: Box::new(key(2)),
        });
        assert_eq!(e.code(), "account.identity_changed");
        assert_eq!(e.received_identity_key(), Some(key(2).as_bytes().to_vec()));
    }
}
