//! crosswire for other languages.
//!
//! - **Kotlin, Swift, Python**: UniFFI proc-macro exports ([`api`]); the foreign sources are
//!   generated from the built library by `uniffi-bindgen` (bindings/ci.sh).
//! - **C**: the `cw_*` functions of [`c_api`] (the core), [`c_pq`] (its PQXDH part) and
//!   [`c_account`] (the account layer),
//!   declared in `include/crosswire.h`, which cbindgen generates from this crate (the header
//!   drift test keeps it current).
//!
//! Both are thin wrappers over the same objects; errors cross as typed errors (exceptions or
//! status codes) carrying the core's stable error code, and panics are caught at the boundary (by UniFFI's scaffolding, and by
//! `catch_unwind` in every C function).

pub mod account;
pub mod api;
pub mod c_account;
pub mod c_api;
pub mod c_pq;
mod error;
pub mod pq;

pub use error::CrosswireError;

uniffi::setup_scaffolding!();
