//! Empty: `crosswire-proto-drift` is only its test (`drift.rs`): the checked-in
//! `src/proto/crosswire.v1.rs` must be what prost-build generates from `proto/crosswire.proto`.
