//! The committed C header is what cbindgen generates from the current source. With
//! `CROSSWIRE_WRITE_HEADER=1` the test rewrites it instead.

use std::path::PathBuf;

#[test]
fn header_is_current() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen: {e}"))
        .write(&mut generated);
    let path = crate_dir.join("include/crosswire.h");
    if std::env::var("CROSSWIRE_WRITE_HEADER").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date: run `CROSSWIRE_WRITE_HEADER=1 cargo test -p crosswire-ffi --test \
         header` and commit it",
        path.display()
    );
}
