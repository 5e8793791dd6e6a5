#!/usr/bin/env bash
# Per-message overhead of the Python and wasm bindings against the native call (BENCHMARKS.md).
# Usage: bash bindings/bench/run.sh [N]   (PROFILE=dev to reuse the debug builds of bindings/ci.sh;
# the default, release, is what to quote, on a quiet machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
PROFILE=${PROFILE:-release}
T=${CARGO_TARGET_DIR:-$PWD/target}
if [ "$PROFILE" = release ]; then FLAG=--release; DIR=release; else FLAG=; DIR=debug; fi
# Separate invocations: together, cargo would unify UniFFI's `cli` feature into the library.
cargo build --locked $FLAG -p crosswire-ffi --example overhead
cargo build --locked $FLAG -p crosswire-ffi
cargo build --locked -p crosswire-uniffi-bindgen
cargo build --locked $FLAG -p crosswire-wasm --target wasm32-unknown-unknown
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir "$W/crosswire"
cp bindings/python/crosswire/__init__.py "$T/$DIR/libcrosswire_ffi.so" "$W/crosswire/"
"$T/debug/uniffi-bindgen" generate "$T/$DIR/libcrosswire_ffi.so" --language python \
    --no-format --out-dir "$W/crosswire" >/dev/null
wasm-bindgen --target nodejs --out-dir "$W/wasm" "$T/wasm32-unknown-unknown/$DIR/crosswire_wasm.wasm"
echo "profile: $PROFILE"
"$T/$DIR/examples/overhead" "$N"
PYTHONPATH="$W" python3 bindings/bench/bench.py "$N"
node bindings/bench/bench.mjs "$W/wasm" "$N"
