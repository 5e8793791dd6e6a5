//! crosswire for Python: a CPython extension module (PyO3), imported by the `crosswire` package
//! (bindings/python) as `crosswire._native`.
//!
//! It exposes the classes and functions of the UniFFI binding (bindings/ffi), with the same
//! names and semantics, so code and tests written for one run on the other; it exists because
//! UniFFI's Python runtime is pure-Python ctypes and costs ~50 µs per message, against a budget
//! of 5 µs (BENCHMARKS.md, "Binding overhead"). Errors are `CrosswireError` subclasses carrying
//! the core's stable `code`; no panic unwinds into CPython.
//!
//! Built as a plain cdylib (`PYO3_BUILD_EXTENSION_MODULE=1 cargo build -p crosswire-python`),
//! copied into the package as `_native.abi3.so`: the stable ABI, so one build loads in every
//! CPython from 3.9 on.

#![forbid(unsafe_code)]

mod account;
mod content;
mod error;
mod pq;
mod session;

use pyo3::prelude::*;

/// The version of the crosswire library behind this module.
#[pyfunction]
fn crosswire_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Panics on purpose, so that the tests can check a panic becomes `CrosswireError.Internal`
/// with code `binding.panic` and never aborts the interpreter.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    error::guard(py, || -> Result<(), error::Failure> {
        #[allow(clippy::panic)]
        {
            panic!("a panic the boundary must catch")
        }
    })
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<session::IdentityKeyPair>()?;
    m.add_class::<session::SignedPreKey>()?;
    m.add_class::<session::OneTimePreKey>()?;
    m.add_class::<session::PreKeyBundle>()?;
    m.add_class::<session::Envelope>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<session::Responded>()?;
    m.add_class::<session::RespondedContent>()?;
    m.add_function(wrap_pyfunction!(session::session_respond, m)?)?;
    m.add_function(wrap_pyfunction!(session::session_respond_content, m)?)?;
    m.add_class::<pq::KemPreKey>()?;
    m.add_class::<pq::KemPreKeyKind>()?;
    m.add_class::<pq::PostQuantum>()?;
    m.add_function(wrap_pyfunction!(pq::session_respond_with, m)?)?;
    m.add_function(wrap_pyfunction!(pq::session_respond_content_with, m)?)?;
    m.add_class::<content::Content>()?;
    m.add_class::<content::ContentKind>()?;
    m.add_class::<content::SealedAttachment>()?;
    m.add_class::<content::EncryptedAttachment>()?;
    m.add_function(wrap_pyfunction!(content::encrypt_attachment, m)?)?;
    m.add_function(wrap_pyfunction!(content::decrypt_attachment, m)?)?;
    m.add_class::<account::Account>()?;
    m.add_class::<account::Address>()?;
    m.add_class::<account::PublishedPreKey>()?;
    m.add_class::<account::PublishedKemPreKey>()?;
    m.add_function(wrap_pyfunction!(account::bundle_with_one_time_prekey, m)?)?;
    m.add_function(wrap_pyfunction!(account::bundle_with_kem_prekey, m)?)?;
    m.add_class::<account::Upload>()?;
    m.add_class::<account::InboxMessage>()?;
    m.add_class::<account::ReceivedContent>()?;
    m.add_function(wrap_pyfunction!(crosswire_version, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
