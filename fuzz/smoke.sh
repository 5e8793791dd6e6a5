#!/usr/bin/env bash
# Runs every fuzz target for a fixed time, seeded from the committed corpus and regressions.
#
#   fuzz/smoke.sh                 # CI smoke run: 10 s per target
#   fuzz/smoke.sh 600             # a campaign: 10 minutes per target
#   fuzz/smoke.sh 600 interaction # one target
#
# Needs a nightly toolchain (cargo-fuzz is installed if missing); without one it says so and
# exits 0. Exits non-zero if any target finds a crash; the input is in fuzz/artifacts/<target>/.
# New inputs found go to fuzz/target/corpus/<target>/ (not committed; see fuzz/README.md).
set -euo pipefail

seconds="${1:-10}"
shift || true
cd "$(dirname "$0")"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: no nightly toolchain, fuzzing skipped"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo +nightly install cargo-fuzz --locked
fi
# A cargo run on stable caches its failed nightly-feature probe here; later nightly builds would
# trust it. Drop it unless it came from nightly.
if [ -f target/.rustc_info.json ] && ! grep -q nightly target/.rustc_info.json; then
    rm -f target/.rustc_info.json
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi

# crosswire forbids unsafe code, so AddressSanitizer has nothing to add for it and costs a 2-6x
# slowdown; panics, overflow checks and debug assertions are what catch bugs here.
flags=(--sanitizer none)
cargo +nightly fuzz build "${flags[@]}"

failed=()
summary=()
for t in "${targets[@]}"; do
    work="target/corpus/$t"
    mkdir -p "$work"
    dirs=("$work" "corpus/$t")
    if [ -d "regressions/$t" ]; then
        dirs+=("regressions/$t")
    fi
    log="target/logs/$t.log"
    mkdir -p target/logs
    echo "== $t: ${seconds}s"
    if cargo +nightly fuzz run "${flags[@]}" "$t" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=60 -print_final_stats=1 >"$log" 2>&1; then
        summary+=("$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)")
    else
        tail -n 40 "$log"
        failed+=("$t")
    fi
done

printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/smoke.sh: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
