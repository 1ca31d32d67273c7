#!/usr/bin/env bash
# Builds the pinned FerretDB test server into `.cache/ferretdb/bin/ferretdb`.
#
# FerretDB is the second, independent MongoDB-compatible server of the e2e tests (issue 13): the
# FerretDB tests start `.cache/ferretdb/bin/ferretdb` with its pure-Go SQLite backend; nothing links
# it. It comes from the Go module proxy as the module `github.com/FerretDB/FerretDB`.
#
# A plain `go install` of the module yields a binary that panics at start-up ("Invalid
# build/version/version.txt file content"): FerretDB embeds that file and the module zip ships it
# empty. So the module is downloaded, copied to a writable directory, the file is written with the
# pinned version, and the copy is built.
#
# Idempotent: prints nothing and does nothing when the pinned version is already built. Quiet on
# success; on failure the go log is printed and the script exits non-zero.
set -euo pipefail

FERRETDB_VERSION="v1.24.2"
MODULE="github.com/FerretDB/FerretDB"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/ferretdb"
binary="$dest/bin/ferretdb"
# The marker is written last, so its presence means a complete build.
marker="$dest/.ferretdb-$FERRETDB_VERSION"

if [[ -f "$marker" && -x "$binary" ]]; then
    exit 0
fi

go="${GO:-go}"
if ! command -v "$go" >/dev/null 2>&1; then
    echo "install-ferretdb: \`$go\` not found; FerretDB is built with the Go toolchain" >&2
    exit 1
fi

log="$(mktemp "${TMPDIR:-/tmp}/install-ferretdb.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/install-ferretdb-src.XXXXXX")"
trap 'rm -f "$log"; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

fail() {
    echo "install-ferretdb: $1 (log follows)" >&2
    cat "$log" >&2
    exit 1
}

# `go mod download -json` prints the module's directory in the module cache (read-only there).
# Run outside any module so the repository's own go.mod (there is none today) cannot interfere.
info="$(cd "$work" && GOFLAGS=-mod=mod "$go" mod download -json "$MODULE@$FERRETDB_VERSION" 2>"$log")" \
    || fail "cannot download $MODULE@$FERRETDB_VERSION"
moddir="$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$moddir" || ! -d "$moddir" ]]; then
    echo "$info" >>"$log"
    fail "\`go mod download\` did not name the module's directory"
fi

src="$work/src"
cp -R "$moddir" "$src"
chmod -R u+w "$src"
printf '%s\n' "$FERRETDB_VERSION" >"$src/build/version/version.txt"

mkdir -p "$dest/bin"
# CGO off: the SQLite backend is pure Go, so the binary depends on nothing of the machine.
(cd "$src" && CGO_ENABLED=0 "$go" build -trimpath -o "$binary.tmp" ./cmd/ferretdb) >"$log" 2>&1 \
    || fail "cannot build FerretDB $FERRETDB_VERSION"
# A binary that cannot print its version would panic for the tests too.
"$binary.tmp" --version >"$log" 2>&1 || fail "the built FerretDB does not start"
grep -q "$FERRETDB_VERSION" "$log" || fail "the built FerretDB does not report $FERRETDB_VERSION"
mv "$binary.tmp" "$binary"
touch "$marker"
