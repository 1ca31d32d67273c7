#!/usr/bin/env bash
# Runs every cargo-fuzz target (or the named ones) for a while each: `make fuzz`.
#
#   scripts/fuzz.sh [target ...]          FUZZ_SECONDS=600 by default, per target
#
# cargo-fuzz needs nightly-only flags (`-Zsanitizer=address`); the stable toolchain takes them
# with RUSTC_BOOTSTRAP=1, so no nightly toolchain is installed. cargo-fuzz itself is installed
# into cargo's bin directory when it is missing. The corpus grows in fuzz/corpus/<target>/ and a
# crashing input lands in fuzz/artifacts/<target>/ (both git-ignored); the script stops at the
# first target that finds one and prints how to replay it. Each target's last libFuzzer status
# line (runs, coverage) is printed, so a campaign leaves a record of what it covered.
set -euo pipefail

CARGO_FUZZ_VERSION="0.13.2"
seconds="${FUZZ_SECONDS:-600}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

if [[ $# -eq 0 ]]; then
    mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
    set -- "${targets[@]}"
fi

for target in "$@"; do
    log="$(mktemp "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX")"
    echo "fuzz: $target for ${seconds} s" >&2
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz: $target found a failing input (above); replay it with" >&2
        echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run $target fuzz/artifacts/$target/<file>" >&2
        rm -f "$log"
        exit 1
    fi
    grep -E '^#[0-9]+' "$log" | tail -n 1 | sed "s/^/fuzz: $target: /" >&2
    rm -f "$log"
done
