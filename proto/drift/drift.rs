//! `proto/crosswire.proto` is the single source of truth; `src/proto/crosswire.v1.rs` is its
//! prost output, checked in so that building crosswire needs no `protoc` and no build script.
//! This test regenerates the code with a pure-Rust compiler (protox) and fails when the two
//! differ. After editing the `.proto`, refresh the checked-in file with
//! `CROSSWIRE_BLESS=1 cargo test -p crosswire-proto-drift`.

// Test code: a failed setup step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn generated_code_matches_proto() {
    // This test lives in the `proto/drift/` workspace member; the proto and the code are the
    // root's.
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let fds = protox::compile([root.join("proto/crosswire.proto")], [root.join("proto")])
        .expect("proto/crosswire.proto compiles");
    let out = tempdir();
    prost_build::Config::new()
        .out_dir(&out)
        .compile_fds(fds)
        .expect("prost-build generates code");
    let generated = std::fs::read_to_string(out.join("crosswire.v1.rs")).unwrap();
    let checked_in_path = root.join("src/proto/crosswire.v1.rs");
    if std::env::var_os("CROSSWIRE_BLESS").is_some() {
        std::fs::write(&checked_in_path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&checked_in_path).unwrap_or_default();
    assert!(
        generated == checked_in,
        "src/proto/crosswire.v1.rs is out of date with proto/crosswire.proto; \
         run `CROSSWIRE_BLESS=1 cargo test -p crosswire-proto-drift`"
    );
    std::fs::remove_dir_all(out).ok();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("crosswire-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
