//! Empty: `crosswire-bench` is only its benchmarks (`session.rs`, `media.rs`) and the proto drift
//! test (`proto_drift.rs`). See BENCHMARKS.md.
