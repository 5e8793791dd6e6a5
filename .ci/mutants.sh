#!/usr/bin/env bash
# Mutation testing of a change (issue 15): every mutant cargo-mutants makes on the src/ lines a
# change touches must be caught by the tests, or be argued equivalent in .cargo/mutants.toml.
# Fails on any missed mutant; a timeout counts as caught (a mutant that loops is detected).
#
#   CROSSWIRE_MUTANTS_BASE   the commit to diff against (default HEAD~1, the parent). For a
#                            branch use its merge base, e.g. CROSSWIRE_MUTANTS_BASE=origin/main.
#   CROSSWIRE_MUTANTS_TIMEOUT  seconds a mutant's tests may run (default 120).
#
# It mutates the checkout in place (no copy of the 4+ GB target/): do not edit files while it
# runs. cargo-mutants reverts each mutant, also on Ctrl-C; `git diff` shows anything left.
#
# The test selection is the library's unit tests plus the integration tests that exercise the
# touched modules (TESTING.md gives each module's set): building every test binary would cost
# about a minute a mutant on a 2-core machine, the library's tests alone about 25 s.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0
base=${CROSSWIRE_MUTANTS_BASE:-HEAD~1}
timeout=${CROSSWIRE_MUTANTS_TIMEOUT:-120}

if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    echo "mutants: no base commit '$base' (first commit?); nothing to compare, skipped"
    exit 0
fi
merge_base=$(git merge-base "$base" HEAD)

diff_file=$(mktemp)
trap 'rm -f "$diff_file"' EXIT
# Only the library's sources: tests, benches, bindings and docs have no mutants worth a build.
git diff --no-ext-diff "$merge_base" HEAD -- 'src/*.rs' >"$diff_file"
if [ ! -s "$diff_file" ]; then
    echo "mutants: no src/ change since $(git rev-parse --short "$merge_base"); skipped"
    exit 0
fi

if [ "$(cargo mutants --version 2>/dev/null || true)" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]; then
    cargo install cargo-mutants --locked --version "$CARGO_MUTANTS_VERSION"
fi

# The integration tests each touched area needs, on top of `--lib`. Kept to the fast binaries:
# tests/media.rs's two multi-GiB streaming tests are skipped (minutes each; the round trips and
# known-answer tests cover the same code), and the proptest suites run in the full CI test step.
declare -A want=()
while IFS= read -r path; do
    case "$path" in
        src/content/*) want[content]=1; want[heap_content]=1 ;;
        src/media/*) want[media]=1; want[heap_content]=1 ;;
        src/account/*) want[account]=1; want[multi_device]=1; want[account_pq]=1 ;;
        src/store/*) want[store_backends]=1; want[account]=1 ;;
        src/group/*) want[group]=1 ;;
        src/kem.rs | src/kem/*)
            # heap_secrets: only its heap scan sees an expanded KEM key freed unwiped.
            want[kem]=1; want[pqxdh_session]=1; want[session]=1; want[heap_secrets]=1 ;;
        src/kem_prekey.rs | src/pqxdh.rs | src/pqxdh/* | src/session/pq.rs)
            want[kem]=1; want[pqxdh_session]=1; want[session]=1 ;;
        src/session/* | src/ratchet/* | src/x3dh.rs | src/bundle.rs | src/wire/* | src/keys/* \
            | src/aead.rs | src/kdf.rs | src/x25519.rs)
            want[session]=1; want[bounds]=1; want[heap_secrets]=1; want[heap_content]=1 ;;
        *) ;;
    esac
done < <(git diff --name-only "$merge_base" HEAD -- 'src/*.rs')

cargo_args=(--cargo-arg=--lib)
for t in "${!want[@]}"; do
    cargo_args+=("--cargo-arg=--test=$t")
done
skip_args=()
if [ -n "${want[media]:-}" ]; then
    skip_args=(-- -- --skip streaming_encrypt_of_multi_gib_input --skip streaming_round_trip_of_large_input)
fi

echo "mutants: src/ diff against $(git rev-parse --short "$merge_base"); tests: --lib ${!want[*]}"
status=0
cargo mutants --in-place --no-shuffle --in-diff "$diff_file" --timeout "$timeout" \
    --build-timeout 900 --output target/mutants-ci "${cargo_args[@]}" "${skip_args[@]}" || status=$?
# cargo-mutants: 0 all caught, 2 a mutant missed, 3 only timeouts, 4 the unmutated tests fail.
case "$status" in
    0) ;;
    3) echo "mutants: timeouts only, counted as caught" ;;
    2)
        echo "mutants: MISSED (kill each with a test, or argue it equivalent in .cargo/mutants.toml):"
        cat target/mutants-ci/mutants.out/missed.txt
        exit 1 ;;
    *) exit "$status" ;;
esac
