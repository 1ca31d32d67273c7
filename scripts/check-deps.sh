#!/usr/bin/env bash
# `make test`'s dependency policy check: cargo-deny (pinned) over deny.toml's licences, bans and
# sources. The advisory database is fetched from the network, which this project's machines do
# not reach, so advisories are not checked (deny.toml says so); nothing here needs the network
# once the registry's crates are in cargo's cache (`--locked` builds put them there).
#
# cargo-deny is built once per machine into ${XDG_CACHE_HOME:-~/.cache}/lbmongo (a fresh clone,
# as CI's, finds it there instead of compiling it again) and linked into .cache/bin.
set -euo pipefail

CARGO_DENY_VERSION="0.19.9"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo="${CARGO:-cargo}"
shared="${XDG_CACHE_HOME:-$HOME/.cache}/lbmongo/cargo-deny-$CARGO_DENY_VERSION"
deny="$root/.cache/bin/cargo-deny"

if [[ ! -x "$deny" ]]; then
    if [[ ! -x "$shared/bin/cargo-deny" ]]; then
        log="$(mktemp "${TMPDIR:-/tmp}/install-cargo-deny.XXXXXX")"
        trap 'rm -f "$log"' EXIT
        echo "check-deps: building cargo-deny $CARGO_DENY_VERSION once for this machine (a few minutes)" >&2
        if ! "$cargo" install --quiet --locked cargo-deny --version "$CARGO_DENY_VERSION" \
            --root "$shared" >"$log" 2>&1; then
            echo "check-deps: cannot install cargo-deny $CARGO_DENY_VERSION (log follows)" >&2
            cat "$log" >&2
            exit 1
        fi
    fi
    mkdir -p "$root/.cache/bin"
    ln -sf "$shared/bin/cargo-deny" "$deny"
fi

cd "$root"
# cargo-deny reads the metadata of every target's dependencies, some of which a Linux build
# never downloads (redox_syscall, …); fetch them first (a no-op once they are in cargo's cache).
"$cargo" fetch --locked --quiet
"$deny" --locked --offline check --config deny.toml licenses bans sources
