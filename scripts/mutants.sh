#!/usr/bin/env bash
# Mutation testing of deskhook's core with cargo-mutants: each mutant is one small change to
# the code (a `>` made `>=`, a function body replaced by a default value, ...); a mutant that
# no test notices ("missed") is a feature nothing checks. Results and what was done about each
# missed mutant are in TESTING.md.
#
#   scripts/mutants.sh                 # the core files below (one to two hours on 2 cores)
#   scripts/mutants.sh src/sign.rs     # some of them only
#
# Not part of CI's run: it rebuilds deskhook once per mutant. The report is written to
# target/mutants/<group>/mutants.out/ (outcomes.json, missed.txt, caught.txt, unviable.txt,
# timeout.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
    echo "installing cargo-mutants (cargo install cargo-mutants --locked)" >&2
    cargo install cargo-mutants --locked
fi

# The core, in groups: each group's files and the test targets that exercise them (a
# mutant is tested by those targets only: linking and running every target per mutant
# would take about five hours on 2 cores).
groups=(
    "signing|src/sign.rs src/secret.rs src/server/tencent.rs src/server/cec.rs|send listen audit"
    "envelope|src/envelope.rs|answers send"
    "capture|src/capture.rs|listen reliability"
    "engine|src/engine.rs|send load interrupt flow audit"
)

# Builds go to their own target directory, kept between runs (each mutant is then an
# incremental build of deskhook alone).
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/mutants-build}

only=("$@")
for group in "${groups[@]}"; do
    IFS='|' read -r name files tests <<<"$group"
    args=()
    for f in $files; do
        if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $f "* ]]; then continue; fi
        args+=(--file "$f")
    done
    ((${#args[@]})) || continue
    test_args=(--lib)
    for t in $tests; do test_args+=(--test "$t"); done
    echo "== $name: ${args[*]} (tests: lib $tests)" >&2
    # A mutant whose tests run past 60 s (the suites take seconds) is counted as a time-out:
    # it hung a run, which a user would notice.
    cargo mutants --package deskhook --no-shuffle --output "target/mutants/$name" \
        --timeout 60 "${args[@]}" -- "${test_args[@]}" || true
done

echo "== results" >&2
for dir in target/mutants/*/mutants.out; do
    [[ -d $dir ]] || continue
    printf '%s: ' "${dir#target/mutants/}"
    for kind in caught missed timeout unviable; do
        printf '%s %s  ' "$kind" "$(wc -l <"$dir/$kind.txt" 2>/dev/null || echo 0)"
    done
    echo
done
