//! The core, sans-I/O API: identities, prekeys, bundles, envelopes and sessions, with the same
//! names, arguments and semantics as the UniFFI binding (bindings/ffi/src/api.rs).
//!
//! Session calls keep the interpreter: a message is a few microseconds of work, less than the
//! cost of releasing and re-taking it.

use std::borrow::Cow;
use std::sync::Mutex;

use pyo3::prelude::*;
use zeroize::Zeroizing;

use crate::content::Content;
use crate::error::{Failure, guard, lock, wipe};
use crate::pq::{FirstMessage, KemPreKey, PostQuantum};

/// A device's long-term identity key pair. The secret half never leaves the library.
#[pyclass(frozen, module = "crosswire")]
pub struct IdentityKeyPair(pub(crate) crosswire::IdentityKeyPair);

#[pymethods]
impl IdentityKeyPair {
    /// A fresh identity from the operating system's random number generator.
    #[staticmethod]
    fn generate() -> Self {
        IdentityKeyPair(crosswire::IdentityKeyPair::generate(&mut rand::rng()))
    }

    /// The public identity key (32 bytes), what a safety number or a bundle shows.
    fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// A signed prekey: published in the bundle, kept by its owner to accept first messages.
#[pyclass(frozen, module = "crosswire")]
pub struct SignedPreKey(pub(crate) crosswire::SignedPreKey);

#[pymethods]
impl SignedPreKey {
    /// A fresh signed prekey with id `id`, signed by `identity`.
    #[staticmethod]
    fn generate(identity: &IdentityKeyPair, id: u32) -> Self {
        SignedPreKey(crosswire::SignedPreKey::generate(
            &mut rand::rng(),
            &identity.0,
            crosswire::SignedPreKeyId(id),
        ))
    }

    /// Its id.
    fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its public key (32 bytes).
    fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// A one-time prekey: used by at most one first message, then deleted by its owner.
#[pyclass(frozen, module = "crosswire")]
pub struct OneTimePreKey(pub(crate) crosswire::OneTimePreKey);

#[pymethods]
impl OneTimePreKey {
    /// A fresh one-time prekey with id `id`.
    #[staticmethod]
    fn generate(id: u32) -> Self {
        OneTimePreKey(crosswire::OneTimePreKey::generate(
            &mut rand::rng(),
            crosswire::OneTimePreKeyId(id),
        ))
    }

    /// Its id.
    fn id(&self) -> u32 {
        self.0.id().0
    }

    /// Its public key (32 bytes).
    fn public_key(&self) -> Vec<u8> {
        self.0.public().as_bytes().to_vec()
    }
}

/// What a device publishes so that others can start sessions with it.
#[pyclass(frozen, module = "crosswire")]
pub struct PreKeyBundle(crosswire::PreKeyBundle);

#[pymethods]
impl PreKeyBundle {
    /// The bundle of `identity` with `signed_prekey` and, optionally, `one_time_prekey` and a
    /// `kem_prekey` (a version 2 bundle, for PQXDH: SPEC.md 15). Without a KEM prekey it is a
    /// classical bundle, which `Session.initiate` refuses (`bundle.classical_only`).
    #[new]
    #[pyo3(signature = (identity, signed_prekey, one_time_prekey = None, kem_prekey = None))]
    fn new(
        py: Python<'_>,
        identity: &IdentityKeyPair,
        signed_prekey: &SignedPreKey,
        one_time_prekey: Option<PyRef<'_, OneTimePreKey>>,
        kem_prekey: Option<PyRef<'_, KemPreKey>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let opk = one_time_prekey.as_deref().map(|k| &k.0);
            Ok(PreKeyBundle(match kem_prekey.as_deref() {
                Some(kem) => {
                    crosswire::PreKeyBundle::new_pq(&identity.0, &signed_prekey.0, opk, &kem.0)?
                }
                None => crosswire::PreKeyBundle::new(&identity.0, &signed_prekey.0, opk)?,
            }))
        })
    }

    /// Decodes a bundle fetched from a directory and verifies its signature.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, bytes: Cow<'_, [u8]>) -> PyResult<Self> {
        guard(py, || {
            Ok(PreKeyBundle(crosswire::PreKeyBundle::from_bytes(&bytes)?))
        })
    }

    /// The encoding to publish.
    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    /// The owner's identity key (32 bytes).
    fn identity_key(&self) -> Vec<u8> {
        self.0.identity_key().as_bytes().to_vec()
    }

    /// The signed prekey's id.
    fn signed_prekey_id(&self) -> u32 {
        self.0.signed_prekey_id().0
    }

    /// The one-time prekey's id, if the bundle has one.
    fn one_time_prekey_id(&self) -> Option<u32> {
        self.0.one_time_prekey().map(|(id, _)| id.0)
    }

    /// The KEM prekey's id, if the bundle has one (then sessions from it use PQXDH).
    fn kem_prekey_id(&self) -> Option<u32> {
        self.0.kem_prekey().map(|(id, _, _)| id.0)
    }
}

/// A received envelope, decoded to route it: a prekey message starts a session (look up the
/// prekeys it names and call `session_respond_with`); any other goes to the existing session.
#[pyclass(frozen, module = "crosswire")]
pub struct Envelope(crosswire::Envelope);

#[pymethods]
impl Envelope {
    /// Decodes an envelope (no cryptography yet).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, bytes: Cow<'_, [u8]>) -> PyResult<Self> {
        guard(py, || {
            Ok(Envelope(crosswire::Envelope::from_bytes(&bytes)?))
        })
    }

    /// Whether it is a prekey message (it may start a session).
    fn is_prekey(&self) -> bool {
        self.prekey().is_some()
    }

    /// For a prekey message: the sender's identity key (32 bytes).
    fn sender_identity_key(&self) -> Option<Vec<u8>> {
        self.prekey().map(|p| p.identity_key().as_bytes().to_vec())
    }

    /// For a prekey message: the id of the signed prekey it was sent to.
    fn signed_prekey_id(&self) -> Option<u32> {
        self.prekey().map(|p| p.signed_prekey_id().0)
    }

    /// For a prekey message: the id of the one-time prekey it used, if any.
    fn one_time_prekey_id(&self) -> Option<u32> {
        self.prekey()
            .and_then(|p| p.one_time_prekey_id())
            .map(|id| id.0)
    }

    /// For a PQXDH prekey message: the id of the KEM prekey it used (pass that `KemPreKey` to
    /// `session_respond_with`); `None` for a classical one.
    fn kem_prekey_id(&self) -> Option<u32> {
        self.prekey().and_then(|p| p.kem_prekey_id()).map(|id| id.0)
    }
}

impl Envelope {
    fn prekey(&self) -> Option<&crosswire::PreKeyMessage> {
        match &self.0 {
            crosswire::Envelope::PreKey(p) => Some(p),
            _ => None,
        }
    }
}

/// An end-to-end encrypted session with one remote device. Every call that fails leaves it
/// unchanged.
#[pyclass(frozen, module = "crosswire")]
pub struct Session(Mutex<crosswire::Session>);

impl Session {
    pub(crate) fn wrap(session: crosswire::Session) -> Self {
        Session(Mutex::new(session))
    }
}

#[pymethods]
impl Session {
    /// Starts a session with the owner of `bundle`: PQXDH, as the bundle carries a KEM prekey
    /// (SPEC.md 15.6); a classical bundle is refused with `CrosswireError.Bundle`
    /// (`bundle.classical_only`), `initiate_with` can allow it. `context` is associated data
    /// both sides must agree on (empty if none).
    #[staticmethod]
    fn initiate(
        py: Python<'_>,
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: Cow<'_, [u8]>,
    ) -> PyResult<Self> {
        Session::initiate_with(py, identity, bundle, context, PostQuantum::Required)
    }

    /// `initiate` with an explicit policy for classical bundles.
    #[staticmethod]
    fn initiate_with(
        py: Python<'_>,
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
        context: Cow<'_, [u8]>,
        policy: PostQuantum,
    ) -> PyResult<Self> {
        guard(py, || {
            let session = crosswire::Session::initiate_with(
                &mut rand::rng(),
                &identity.0,
                &bundle.0,
                &context,
                policy.into(),
            )?;
            Ok(Session::wrap(session))
        })
    }

    /// Loads a session saved with `to_bytes`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, state: Cow<'_, [u8]>) -> PyResult<Self> {
        guard(py, || {
            Ok(Session::wrap(crosswire::Session::from_bytes(&state)?))
        })
    }

    /// The whole session state, secrets included, for storage the application provides. Store
    /// it encrypted, and replace the stored copy after every encrypt and decrypt.
    fn to_bytes(&self, py: Python<'_>) -> PyResult<Vec<u8>> {
        guard(py, || Ok(lock(&self.0)?.to_bytes().to_vec()))
    }

    /// Encrypts `plaintext`; returns the envelope to send.
    fn encrypt(&self, py: Python<'_>, plaintext: Cow<'_, [u8]>) -> PyResult<Vec<u8>> {
        let envelope = guard(py, || {
            let envelope = lock(&self.0)?.encrypt(&mut rand::rng(), &plaintext)?;
            Ok(envelope.to_bytes())
        });
        wipe(plaintext);
        envelope
    }

    /// Decrypts an envelope; returns the plaintext.
    fn decrypt(&self, py: Python<'_>, envelope: Cow<'_, [u8]>) -> PyResult<Vec<u8>> {
        // The Rust copy of the plaintext is wiped; the `bytes` handed to Python is Python's.
        let plaintext = guard(py, || {
            let envelope = crosswire::Envelope::from_bytes(&envelope)?;
            Ok(Zeroizing::new(lock(&self.0)?.decrypt(&envelope)?))
        })?;
        Ok(plaintext.to_vec())
    }

    /// Encrypts `content`; returns the envelope to send.
    fn encrypt_content(&self, py: Python<'_>, content: &Content) -> PyResult<Vec<u8>> {
        guard(py, || {
            let content = content.content()?;
            let envelope = lock(&self.0)?.encrypt_content(&mut rand::rng(), content)?;
            Ok(envelope.to_bytes())
        })
    }

    /// Decrypts an envelope that carries `Content`.
    fn decrypt_content(&self, py: Python<'_>, envelope: Cow<'_, [u8]>) -> PyResult<Content> {
        guard(py, || {
            let envelope = crosswire::Envelope::from_bytes(&envelope)?;
            let received = lock(&self.0)?.decrypt_content(&envelope)?;
            Ok(Content::received(received))
        })
    }

    /// Our identity key (32 bytes).
    fn local_identity_key(&self, py: Python<'_>) -> PyResult<Vec<u8>> {
        guard(py, || {
            Ok(lock(&self.0)?.local_identity().as_bytes().to_vec())
        })
    }

    /// The peer's identity key (32 bytes).
    fn remote_identity_key(&self, py: Python<'_>) -> PyResult<Vec<u8>> {
        guard(py, || {
            Ok(lock(&self.0)?.remote_identity().as_bytes().to_vec())
        })
    }
}

/// A new session and the first message's plaintext, from `session_respond`.
#[pyclass(frozen, module = "crosswire")]
pub struct Responded {
    /// The session.
    #[pyo3(get)]
    pub(crate) session: Py<Session>,
    /// The first message.
    #[pyo3(get)]
    pub(crate) plaintext: Vec<u8>,
}

/// A new session and the first message's content, from `session_respond_content`.
#[pyclass(frozen, module = "crosswire")]
pub struct RespondedContent {
    /// The session.
    #[pyo3(get)]
    pub(crate) session: Py<Session>,
    /// The first message.
    #[pyo3(get)]
    pub(crate) content: Py<Content>,
}

pub(crate) fn prekey_message(envelope: &[u8]) -> Result<crosswire::PreKeyMessage, Failure> {
    Ok(crosswire_glue::prekey_message(envelope)?)
}

/// Accepts a session from its first classical (X3DH) message (an envelope for which
/// `Envelope.is_prekey()`), given the prekeys the message names. A PQXDH message is
/// `decrypt.session_mismatch` here: use `session_respond_with`.
#[pyfunction]
#[pyo3(signature = (identity, signed_prekey, one_time_prekey, envelope, context))]
pub fn session_respond<'py>(
    py: Python<'py>,
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<PyRef<'py, OneTimePreKey>>,
    envelope: Cow<'_, [u8]>,
    context: Cow<'_, [u8]>,
) -> PyResult<Responded> {
    classical(identity, signed_prekey, one_time_prekey, envelope, context).responded(py)
}

/// `session_respond` for a first message that carries `Content`.
#[pyfunction]
#[pyo3(signature = (identity, signed_prekey, one_time_prekey, envelope, context))]
pub fn session_respond_content<'py>(
    py: Python<'py>,
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<PyRef<'py, OneTimePreKey>>,
    envelope: Cow<'_, [u8]>,
    context: Cow<'_, [u8]>,
) -> PyResult<RespondedContent> {
    classical(identity, signed_prekey, one_time_prekey, envelope, context).responded_content(py)
}

/// The classical responder's arguments: no KEM prekey, classical setup allowed (the core's
/// `Session::respond`).
fn classical<'a, 'py>(
    identity: &'a IdentityKeyPair,
    signed_prekey: &'a SignedPreKey,
    one_time_prekey: Option<PyRef<'py, OneTimePreKey>>,
    envelope: Cow<'a, [u8]>,
    context: Cow<'a, [u8]>,
) -> FirstMessage<'a, 'py> {
    FirstMessage {
        identity,
        signed_prekey,
        one_time_prekey,
        kem_prekey: None,
        envelope,
        context,
        policy: PostQuantum::Allowed,
    }
}
