#!/usr/bin/env bash
# Everything CI does for the bindings (issue 14), from a fresh clone: installs what is missing,
# builds, generates, tests. Called at the end of .ci/run; runs alone as `bash bindings/ci.sh`.
#
# Needs: a Rust toolchain with rustup, gcc, python3 with pip, node >= 20. Installs: the
# wasm32-unknown-unknown target, wasm-bindgen-cli at the version Cargo.lock pins, pytest,
# valgrind (apt-get, if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LIB=$TARGET_DIR/debug/libcrosswire_ffi.so
BINDGEN=$TARGET_DIR/debug/uniffi-bindgen

step() { printf '\n=== bindings: %s (%ss elapsed)\n' "$1" "$SECONDS"; }

step "tools"
gcc --version | head -1
python3 --version
node --version
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
    || { echo "node >= 20 is required" >&2; exit 1; }
if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq valgrind >/dev/null; fi
fi
valgrind --version
python3 -m pytest --version >/dev/null 2>&1 \
    || python3 -m pip install --quiet --disable-pip-version-check 'pytest>=7'
python3 -m pytest --version
rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
# wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]; then
    # Not --locked: the CLI's own lock file names a webpki-roots release the registry no longer
    # serves, so the same CLI version is resolved afresh.
    # Only the `wasm-bindgen` binary, without the test runner's TLS stack (rustls, ring), at
    # opt-level 1: a code generator run once per build needs no -O3. Measured here: 3 min 15 s of
    # CPU time (about 2 minutes of wall time on 2 idle cores).
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=0 \
        cargo install wasm-bindgen-cli --version "$WB_VERSION" --no-default-features \
        --bin wasm-bindgen
fi
wasm-bindgen --version

step "ffi and glue crates: unit tests, C header drift (cbindgen), build"
cargo test --locked -p crosswire-ffi -p crosswire-glue
# Two invocations: built together, cargo would unify UniFFI's `cli` feature (clap, askama,
# goblin, ...) into the library.
cargo build --locked -p crosswire-ffi
cargo build --locked -p crosswire-uniffi-bindgen

step "Kotlin and Swift sources: generated and compared with bindings/generated/"
GEN=$(mktemp -d)
trap 'rm -rf "$GEN"' EXIT
for lang in kotlin swift; do
    "$BINDGEN" generate "$LIB" --language "$lang" --no-format --out-dir "$GEN/$lang" >/dev/null
done
if ! diff -r "$GEN/kotlin" bindings/generated/kotlin || ! diff -r "$GEN/swift" bindings/generated/swift; then
    echo "bindings/generated/ is out of date: run bindings/generate.sh and commit" >&2
    exit 1
fi

step "Python package: the PyO3 extension module (crosswire-python), pytest"
# A plain cargo build, no maturin: the cdylib is the extension module, under the file name
# CPython looks for (stable ABI: one build for CPython >= 3.9). The variable keeps libpython out
# of the link, as an extension module must. The UniFFI Python module is not generated: the
# package no longer uses it (bindings/bench/run.sh generates it for the comparison row).
PYO3_BUILD_EXTENSION_MODULE=1 cargo build --locked -p crosswire-python
cp "$TARGET_DIR/debug/libcrosswire_python.so" bindings/python/crosswire/_native.abi3.so
(cd bindings/python && python3 -m pytest -q tests)

step "C: gcc against include/crosswire.h, run under valgrind"
for test in test_conversation test_account; do
    gcc -std=c11 -Wall -Wextra -Werror -g -I bindings/ffi/include "bindings/c/$test.c" \
        -L "$TARGET_DIR/debug" -lcrosswire_ffi -Wl,-rpath,"$TARGET_DIR/debug" \
        -o "$GEN/$test"
    mkdir "$GEN/$test.d"
    valgrind --quiet --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect "$GEN/$test" "$GEN/$test.d"
done

# The READMEs' C snippet of the account flow compiles and runs as printed.
for readme in README.md bindings/README.md; do
    snippet=$GEN/snippet-$(echo "$readme" | tr / -)
    awk '/<!-- c-account-snippet -->/ { on = 1; next } on && /^```c$/ { grab = 1; next }
         grab && /^```$/ { exit } grab' "$readme" >"$snippet.c"
    gcc -std=c11 -Wall -Wextra -Werror -g -I bindings/ffi/include "$snippet.c" \
        -L "$TARGET_DIR/debug" -lcrosswire_ffi -Wl,-rpath,"$TARGET_DIR/debug" -o "$snippet"
    mkdir "$snippet.d"
    printed=$(cd "$snippet.d" && valgrind --quiet --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect "$snippet")
    [ "$printed" = "Hi Bob" ] || { echo "$readme: C snippet printed: $printed" >&2; exit 1; }
done

step "WebAssembly: build for wasm32-unknown-unknown, wasm-bindgen, node tests"
# The platform CSPRNG and no fallback: getrandom must have its wasm_js backend on this target.
cargo tree --locked -p crosswire-wasm --target wasm32-unknown-unknown -e features -i getrandom \
    | grep -q 'getrandom feature "wasm_js"' \
    || { echo "getrandom's wasm_js backend is not enabled for wasm32" >&2; exit 1; }
cargo build --locked -p crosswire-wasm --target wasm32-unknown-unknown
wasm-bindgen --target nodejs --out-dir "$TARGET_DIR/wasm-pkg" \
    "$TARGET_DIR/wasm32-unknown-unknown/debug/crosswire_wasm.wasm"
CROSSWIRE_WASM_PKG="$TARGET_DIR/wasm-pkg" node --test bindings/wasm/tests/

step "bindings done"
