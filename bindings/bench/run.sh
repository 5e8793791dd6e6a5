#!/usr/bin/env bash
# Per-message overhead of the Python and wasm bindings against the native call (BENCHMARKS.md).
# Usage: bash bindings/bench/run.sh [N] [ROUNDS]   (PROFILE=dev to reuse the debug builds of
# bindings/ci.sh; the default, release, is what to quote, on a quiet machine; WASM=0 skips the
# wasm row). Python rows: the package's PyO3 extension module, and UniFFI's generated module for
# comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
ROUNDS=${2:-5}
PROFILE=${PROFILE:-release}
WASM=${WASM:-1}
T=${CARGO_TARGET_DIR:-$PWD/target}
if [ "$PROFILE" = release ]; then FLAG=--release; DIR=release; else FLAG=; DIR=debug; fi
# Separate invocations: together, cargo would unify UniFFI's `cli` feature into the library.
cargo build --locked $FLAG -p crosswire-ffi --example overhead
cargo build --locked $FLAG -p crosswire-ffi
PYO3_BUILD_EXTENSION_MODULE=1 cargo build --locked $FLAG -p crosswire-python
cargo build --locked -p crosswire-uniffi-bindgen
[ "$WASM" = 0 ] || cargo build --locked $FLAG -p crosswire-wasm --target wasm32-unknown-unknown
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/pyo3/crosswire" "$W/uniffi/crosswire"
cp bindings/python/crosswire/__init__.py "$W/pyo3/crosswire/"
cp "$T/$DIR/libcrosswire_python.so" "$W/pyo3/crosswire/_native.abi3.so"
echo 'from .crosswire_ffi import *  # noqa: F401,F403' > "$W/uniffi/crosswire/__init__.py"
cp "$T/$DIR/libcrosswire_ffi.so" "$W/uniffi/crosswire/"
"$T/debug/uniffi-bindgen" generate "$T/$DIR/libcrosswire_ffi.so" --language python \
    --no-format --out-dir "$W/uniffi/crosswire" >/dev/null
echo "profile: $PROFILE"
for _ in $(seq "$ROUNDS"); do "$T/$DIR/examples/overhead" "$N"; done
PYTHONPATH="$W/pyo3" python3 bindings/bench/bench.py "$N" "$ROUNDS"
PYTHONPATH="$W/uniffi" python3 bindings/bench/bench.py "$N" "$ROUNDS"
if [ "$WASM" != 0 ]; then
    wasm-bindgen --target nodejs --out-dir "$W/wasm" "$T/wasm32-unknown-unknown/$DIR/crosswire_wasm.wasm"
    node bindings/bench/bench.mjs "$W/wasm" "$N"
fi
