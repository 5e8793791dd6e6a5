//! The error JavaScript catches.

use core::fmt;

use wasm_bindgen::prelude::*;

/// What a failed call throws. `kind` is the area (`Key`, `Bundle`, `Wire`, `Decrypt`,
/// `Encrypt`, `State`, `Content`, `Media`, `InvalidArgument`); `reason` the precise cause (for
/// example `AuthenticationFailed`); `message` both, for logs. No secret is ever part of one.
#[wasm_bindgen]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrosswireError {
    kind: String,
    reason: String,
}

#[wasm_bindgen]
impl CrosswireError {
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

    /// `kind: reason`.
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl CrosswireError {
    pub(crate) fn new(kind: &str, reason: &str) -> Self {
        CrosswireError {
            kind: kind.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

impl fmt::Display for CrosswireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.reason)
    }
}

impl From<crosswire::Error> for CrosswireError {
    fn from(e: crosswire::Error) -> Self {
        use crosswire::Error as E;
        let (kind, reason) = match e {
            E::Key(k) => ("Key", format!("{k:?}")),
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
        CrosswireError::new(kind, &reason)
    }
}
