#!/usr/bin/env bash
# Installs pinned npm tools the tests use into a project-local prefix (.cache/npm).
#
#   scripts/install-node-tools.sh [liquibase] [mongosh] [migrate-mongo]
#
# With no argument every tool is installed; with arguments only the named ones, so a target can
# install just what it needs. The binaries end up in .cache/npm/node_modules/.bin/.
# Idempotent: a tool already present at its pinned version is left alone, and when nothing is
# missing the script prints nothing. Quiet on success; on failure npm's log is printed.
set -euo pipefail

declare -A PINNED=(
    [liquibase]="4.28.1"
    [mongosh]="2.12.0"
    [migrate-mongo]="14.0.7"
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.cache/npm"

if [[ $# -eq 0 ]]; then
    set -- liquibase mongosh migrate-mongo
fi

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-node-tools: \`$tool\` not found; install Node.js 20 or newer" >&2
        exit 1
    fi
done

installed_version() {
    local manifest="$prefix/node_modules/$1/package.json"
    [[ -f "$manifest" ]] || return 0
    node -e 'process.stdout.write(String(require(process.argv[1]).version))' "$manifest" 2>/dev/null || true
}

wanted=()
for name in "$@"; do
    version="${PINNED[$name]:-}"
    if [[ -z "$version" ]]; then
        echo "install-node-tools: unknown tool \`$name\` (known: ${!PINNED[*]})" >&2
        exit 2
    fi
    if [[ "$(installed_version "$name")" != "$version" ]]; then
        wanted+=("$name@$version")
    fi
done
[[ ${#wanted[@]} -eq 0 ]] && exit 0

mkdir -p "$prefix"
log="$(mktemp "${TMPDIR:-/tmp}/install-node-tools.XXXXXX")"
trap 'rm -f "$log"' EXIT
if ! npm install --prefix "$prefix" --no-audit --no-fund --save-exact --loglevel=error \
    "${wanted[@]}" >"$log" 2>&1; then
    echo "install-node-tools: npm could not install ${wanted[*]} (log follows)" >&2
    cat "$log" >&2
    exit 1
fi
for spec in "${wanted[@]}"; do
    name="${spec%@*}"
    if [[ "$(installed_version "$name")" != "${PINNED[$name]}" ]]; then
        echo "install-node-tools: npm finished but $spec is not in \`$prefix/node_modules\` (log follows)" >&2
        cat "$log" >&2
        exit 1
    fi
done
