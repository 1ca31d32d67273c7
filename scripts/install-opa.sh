#!/usr/bin/env bash
# Builds the pinned Open Policy Agent into `.cache/opa/bin/opa`.
#
# OPA is the ground truth of lbmongo's Rego policies (issue 15): the e2e tests run `opa eval` over
# `lbmongo checks input` and compare its deny and warn messages with `lbmongo checks run`, which
# evaluates the same policies in-process with regorus. Nothing links or ships OPA. It comes from
# the Go module proxy as the module `github.com/open-policy-agent/opa`, built with `go install`.
#
# Idempotent: prints nothing and does nothing when the pinned version is already built. Quiet on
# success; on failure the go log is printed and the script exits non-zero.
set -euo pipefail

OPA_VERSION="v1.22.4"
MODULE="github.com/open-policy-agent/opa"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/opa"
binary="$dest/bin/opa"
# The marker is written last, so its presence means a complete build.
marker="$dest/.opa-$OPA_VERSION"

if [[ -f "$marker" && -x "$binary" ]]; then
    exit 0
fi

go="${GO:-go}"
if ! command -v "$go" >/dev/null 2>&1; then
    echo "install-opa: \`$go\` not found; OPA is built with the Go toolchain" >&2
    exit 1
fi

log="$(mktemp "${TMPDIR:-/tmp}/install-opa.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/install-opa-src.XXXXXX")"
trap 'rm -f "$log"; rm -rf "$work"' EXIT

fail() {
    echo "install-opa: $1 (log follows)" >&2
    cat "$log" >&2
    exit 1
}

mkdir -p "$dest/bin"
# Outside any module, so no go.mod of ours can interfere; CGO off: a static binary that depends
# on nothing of the machine.
(cd "$work" && CGO_ENABLED=0 GOBIN="$dest/bin" "$go" install -trimpath "$MODULE@$OPA_VERSION") \
    >"$log" 2>&1 || fail "cannot build $MODULE@$OPA_VERSION"
"$binary" version >"$log" 2>&1 || fail "the built opa does not start"
grep -q "${OPA_VERSION#v}" "$log" || fail "the built opa does not report $OPA_VERSION"
touch "$marker"
