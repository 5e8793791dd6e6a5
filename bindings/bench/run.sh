#!/usr/bin/env bash
# Per-message overhead of the Python and wasm bindings against the native call (BENCHMARKS.md).
# Release builds of all three; run on a quiet machine. Usage: bash bindings/bench/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
T=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --locked --release -p crosswire-ffi -p crosswire-uniffi-bindgen --example overhead
cargo build --locked --release -p crosswire-wasm --target wasm32-unknown-unknown
PY=$(mktemp -d)
trap 'rm -rf "$PY"' EXIT
mkdir "$PY/crosswire"
cp bindings/python/crosswire/__init__.py "$T/release/libcrosswire_ffi.so" "$PY/crosswire/"
"$T/release/uniffi-bindgen" generate --library "$T/release/libcrosswire_ffi.so" --language python \
    --no-format --out-dir "$PY/crosswire" >/dev/null
wasm-bindgen --target nodejs --out-dir "$PY/wasm" "$T/wasm32-unknown-unknown/release/crosswire_wasm.wasm"
"$T/release/examples/overhead" "$N"
PYTHONPATH="$PY" python3 bindings/bench/bench.py "$N"
node bindings/bench/bench.mjs "$PY/wasm" "$N"
