//! Empty: `crosswire-bench` is only its benchmarks. See BENCHMARKS.md.
