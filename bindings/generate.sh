#!/usr/bin/env bash
# Regenerates the committed foreign sources: the Kotlin and Swift bindings (bindings/generated/)
# and the C header (bindings/ffi/include/crosswire.h). bindings/ci.sh fails when they drift.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
# Two invocations: built together, cargo would unify UniFFI's `cli` feature (clap, askama,
# goblin, ...) into the library.
cargo build --locked -p crosswire-ffi
cargo build --locked -p crosswire-uniffi-bindgen
rm -rf bindings/generated/kotlin bindings/generated/swift
for lang in kotlin swift; do
    "$TARGET_DIR/debug/uniffi-bindgen" generate "$TARGET_DIR/debug/libcrosswire_ffi.so" \
        --language "$lang" --no-format --out-dir "bindings/generated/$lang"
done
CROSSWIRE_WRITE_HEADER=1 cargo test --locked -p crosswire-ffi --test header
