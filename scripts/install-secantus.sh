#!/usr/bin/env bash
# Installs the pinned SecantusDB test server into a project-local virtualenv (.cache/venv).
#
# SecantusDB is a test tool only: the e2e tests start `.cache/venv/bin/secantusd-py`, nothing links
# it. Idempotent: prints nothing and does nothing when the pinned version is already installed.
# Quiet on success; on failure the pip log is printed and the script exits non-zero.
set -euo pipefail

SECANTUS_VERSION="0.7.0b3"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv"
constraints="$root/scripts/python/secantus-constraints.txt"
# The marker names the constraints' hash too, so editing them reinstalls.
marker="$venv/.secantus-$SECANTUS_VERSION-$(sha256sum "$constraints" | cut -c1-16)"

# The marker is written last, so its presence means a complete install; the interpreter check
# catches a virtualenv whose base Python has since moved away.
if [[ -f "$marker" && -x "$venv/bin/secantusd-py" ]] && "$venv/bin/python" -c '' 2>/dev/null; then
    exit 0
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "install-secantus: \`$python\` not found; SecantusDB needs Python 3" >&2
    exit 1
fi

log="$(mktemp "${TMPDIR:-/tmp}/install-secantus.XXXXXX")"
trap 'rm -f "$log"' EXIT

fail() {
    echo "install-secantus: $1 (log follows)" >&2
    cat "$log" >&2
    exit 1
}

mkdir -p "$root/.cache"
if ! "$venv/bin/python" -c '' 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv" >"$log" 2>&1 || fail "cannot create the virtualenv \`$venv\`"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --constraint "$constraints" "SecantusDB==$SECANTUS_VERSION" >"$log" 2>&1 \
    || fail "pip could not install SecantusDB==$SECANTUS_VERSION"
if [[ ! -x "$venv/bin/secantusd-py" ]]; then
    fail "SecantusDB installed but \`$venv/bin/secantusd-py\` is missing"
fi
touch "$marker"
