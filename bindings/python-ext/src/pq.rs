//! PQXDH in the core, sans-I/O API (SPEC.md 15), as in the UniFFI binding
//! (bindings/ffi/src/pq.rs): signed ML-KEM-1024 prekeys, the policy on classical setup, and the
//! responder that takes the KEM prekey a first message names.

use std::borrow::Cow;

use crosswire_glue::Responder;
use pyo3::prelude::*;

use crate::content::Content;
use crate::error::{Failure, guard};
use crate::session::{
    IdentityKeyPair, OneTimePreKey, Responded, RespondedContent, Session, SignedPreKey,
    prekey_message,
};

/// Whether a KEM prekey serves many sessions or one (SPEC.md 15.3).
#[pyclass(frozen, eq, eq_int, from_py_object, module = "crosswire")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KemPreKeyKind {
    /// Served when no one-time KEM prekey is left; kept until the device replaces it.
    #[pyo3(name = "LAST_RESORT")]
    LastResort,
    /// Served at most once; delete it once a session used it.
    #[pyo3(name = "ONE_TIME")]
    OneTime,
}

/// Whether a session may be set up without post-quantum protection (SPEC.md 15.6). A bundle or
/// first message with a KEM prekey always uses PQXDH; the policy decides about the others.
#[pyclass(frozen, eq, eq_int, from_py_object, module = "crosswire")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostQuantum {
    /// Refuse classical setup: `bundle.classical_only` when initiating,
    /// `decrypt.classical_only` when responding. The default.
    #[pyo3(name = "REQUIRED")]
    Required,
    /// Accept classical setup (X3DH) with peers that publish no KEM prekey.
    #[pyo3(name = "ALLOWED")]
    Allowed,
}

impl From<PostQuantum> for crosswire::PostQuantum {
    fn from(p: PostQuantum) -> Self {
        match p {
            PostQuantum::Required => crosswire::PostQuantum::Required,
            PostQuantum::Allowed => crosswire::PostQuantum::Allowed,
        }
    }
}

/// A signed ML-KEM-1024 prekey: published in the bundle, kept by its owner to accept first
/// messages. Its secret never leaves the library.
#[pyclass(frozen, module = "crosswire")]
pub struct KemPreKey(pub(crate) crosswire::SignedKemPreKey);

#[pymethods]
impl KemPreKey {
    /// A fresh KEM prekey of `kind` with id `id` (one id space for both kinds), signed by
    /// `identity`.
    #[staticmethod]
    fn generate(identity: &IdentityKeyPair, id: u32, kind: KemPreKeyKind) -> Self {
        let kind = match kind {
            KemPreKeyKind::LastResort => crosswire::KemPreKeyKind::LastResort,
            KemPreKeyKind::OneTime => crosswire::KemPreKeyKind::OneTime,
        };
        KemPreKey(crosswire::SignedKemPreKey::generate(
            &mut rand::rng(),
            &identity.0,
            crosswire::KemPreKeyId(id),
            kind,
        ))
    }

    /// Its id.
    fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its kind.
    fn kind(&self) -> KemPreKeyKind {
        match self.0.kind() {
            crosswire::KemPreKeyKind::LastResort => KemPreKeyKind::LastResort,
            crosswire::KemPreKeyKind::OneTime => KemPreKeyKind::OneTime,
        }
    }

    /// Its ML-KEM-1024 public key (1568 bytes).
    fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }

    /// The identity key's signature over it (64 bytes).
    fn signature(&self) -> Vec<u8> {
        self.0.signature().to_vec()
    }
}

/// The arguments of every responder, borrowed from the Python call.
pub(crate) struct FirstMessage<'a, 'py> {
    pub(crate) identity: &'a IdentityKeyPair,
    pub(crate) signed_prekey: &'a SignedPreKey,
    pub(crate) one_time_prekey: Option<PyRef<'py, OneTimePreKey>>,
    pub(crate) kem_prekey: Option<PyRef<'py, KemPreKey>>,
    pub(crate) envelope: Cow<'a, [u8]>,
    pub(crate) context: Cow<'a, [u8]>,
    pub(crate) policy: PostQuantum,
}

impl FirstMessage<'_, '_> {
    /// The responder of SPEC.md 15.6: the session and what `core` (the core's `respond_with` or
    /// `respond_content_with`) makes of the first message.
    fn respond<T>(self, py: Python<'_>, core: Responder<T>) -> PyResult<(Py<Session>, T)> {
        let (session, first) = guard(py, || -> Result<_, Failure> {
            let message = prekey_message(&self.envelope)?;
            Ok(core(
                &self.identity.0,
                &self.signed_prekey.0,
                self.one_time_prekey.as_deref().map(|k| &k.0),
                self.kem_prekey.as_deref().map(|k| &k.0),
                &message,
                &self.context,
                self.policy.into(),
            )?)
        })?;
        Ok((Py::new(py, Session::wrap(session))?, first))
    }

    /// The new session and the plaintext.
    pub(crate) fn responded(self, py: Python<'_>) -> PyResult<Responded> {
        let (session, plaintext) = self.respond(py, crosswire::Session::respond_with)?;
        Ok(Responded { session, plaintext })
    }

    /// The new session and the plaintext as content (content that does not decode still
    /// starts the session, as `ContentKind.UNDECODABLE`).
    pub(crate) fn responded_content(self, py: Python<'_>) -> PyResult<RespondedContent> {
        let (session, received) = self.respond(py, crosswire::Session::respond_content_with)?;
        Ok(RespondedContent {
            session,
            content: Py::new(py, Content::received(received))?,
        })
    }
}

/// Accepts a session from its first message, PQXDH or classical, given the prekeys it names
/// (`Envelope.signed_prekey_id()`, `one_time_prekey_id()`, `kem_prekey_id()`): any other
/// combination is `decrypt.session_mismatch`; a classical message under
/// `PostQuantum.REQUIRED` is `decrypt.classical_only`. Delete a one-time prekey, X25519 or KEM,
/// when you store the session; keep a last-resort KEM prekey.
#[pyfunction]
#[pyo3(signature = (identity, signed_prekey, one_time_prekey, kem_prekey, envelope, context, policy))]
#[allow(clippy::too_many_arguments)] // the Python signature, one argument per prekey
pub fn session_respond_with<'py>(
    py: Python<'py>,
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<PyRef<'py, OneTimePreKey>>,
    kem_prekey: Option<PyRef<'py, KemPreKey>>,
    envelope: Cow<'_, [u8]>,
    context: Cow<'_, [u8]>,
    policy: PostQuantum,
) -> PyResult<Responded> {
    FirstMessage {
        identity,
        signed_prekey,
        one_time_prekey,
        kem_prekey,
        envelope,
        context,
        policy,
    }
    .responded(py)
}

/// `session_respond_with` for a first message that carries `Content`.
#[pyfunction]
#[pyo3(signature = (identity, signed_prekey, one_time_prekey, kem_prekey, envelope, context, policy))]
#[allow(clippy::too_many_arguments)] // the Python signature, one argument per prekey
pub fn session_respond_content_with<'py>(
    py: Python<'py>,
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<PyRef<'py, OneTimePreKey>>,
    kem_prekey: Option<PyRef<'py, KemPreKey>>,
    envelope: Cow<'_, [u8]>,
    context: Cow<'_, [u8]>,
    policy: PostQuantum,
) -> PyResult<RespondedContent> {
    FirstMessage {
        identity,
        signed_prekey,
        one_time_prekey,
        kem_prekey,
        envelope,
        context,
        policy,
    }
    .responded_content(py)
}
