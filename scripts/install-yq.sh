#!/usr/bin/env bash
# Builds the pinned yq (Mike Farah's yq v4) into `.cache/yq/bin/yq`.
#
# The pipeline test of issue 16 (tests/e2e/pipeline.rs) merges a generated `diff.yaml` into a
# master changelog with the two `yq` edits the published snapshot-to-changelog pipeline uses, so
# it needs the real yq v4. It comes from the Go module proxy as the module
# `github.com/mikefarah/yq/v4`; `go install` builds it into a directory of its own.
#
# Idempotent: prints nothing and does nothing when the pinned version is already built. Quiet on
# success; on failure the go log is printed and the script exits non-zero.
set -euo pipefail

YQ_VERSION="v4.54.3"
MODULE="github.com/mikefarah/yq/v4"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/yq"
binary="$dest/bin/yq"
# The marker is written last, so its presence means a complete build.
marker="$dest/.yq-$YQ_VERSION"

if [[ -f "$marker" && -x "$binary" ]]; then
    exit 0
fi

go="${GO:-go}"
if ! command -v "$go" >/dev/null 2>&1; then
    echo "install-yq: \`$go\` not found; yq is built with the Go toolchain" >&2
    exit 1
fi

log="$(mktemp "${TMPDIR:-/tmp}/install-yq.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/install-yq-bin.XXXXXX")"
trap 'rm -f "$log"; rm -rf "$work"' EXIT

fail() {
    echo "install-yq: $1 (log follows)" >&2
    cat "$log" >&2
    exit 1
}

# GOBIN points `go install` at a scratch directory, so a half-built binary never lands in
# `.cache`. CGO off: yq is pure Go, so the binary depends on nothing of the machine. Run outside
# any module so no go.mod of the repository can interfere.
(cd "$work" && CGO_ENABLED=0 GOBIN="$work" "$go" install -trimpath "$MODULE@$YQ_VERSION") >"$log" 2>&1 \
    || fail "cannot build $MODULE@$YQ_VERSION"
# yq prints its version as "... version v4.x.y".
"$work/yq" --version >"$log" 2>&1 || fail "the built yq does not start"
grep -q "version $YQ_VERSION" "$log" || fail "the built yq does not report $YQ_VERSION"
mkdir -p "$dest/bin"
mv "$work/yq" "$binary"
touch "$marker"
