#!/usr/bin/env bash
# Installs the npm tools the tests and benchmarks use, each from its committed lockfile.
#
#   scripts/install-node-tools.sh [mongosh] [migrate-mongo] [sarif-schema]
#
# Every tool has a directory scripts/node/<tool>/ with a package.json pinning it and a
# package-lock.json pinning its whole dependency tree; `npm ci` installs exactly that tree into
# the git-ignored .cache/npm/<tool>/ (binaries in .cache/npm/<tool>/node_modules/.bin/). The
# lockfile is why a fresh machine gets the tree we tested: resolving ranges on the day picks
# whatever the registry serves then, and once picked a dependency version it did not list yet.
# With no argument every tool is installed. Idempotent: a tool installed from the current
# lockfile is left alone, and when nothing is missing the script prints nothing. Quiet on
# success; on failure npm's log is printed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
locks="$root/scripts/node"
cache="$root/.cache/npm"

if [[ $# -eq 0 ]]; then
    set -- $(cd "$locks" && ls)
fi

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-node-tools: \`$tool\` not found; install Node.js 20 or newer" >&2
        exit 1
    fi
done

for name in "$@"; do
    src="$locks/$name"
    if [[ ! -f "$src/package-lock.json" ]]; then
        echo "install-node-tools: unknown tool \`$name\` (known: $(cd "$locks" && echo *))" >&2
        exit 2
    fi
    dest="$cache/$name"
    stamp="$(sha256sum "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [[ -f "$dest/.installed" && "$(cat "$dest/.installed")" == "$stamp" ]]; then
        continue
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
    log="$(mktemp "${TMPDIR:-/tmp}/install-node-tools.XXXXXX")"
    if ! (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
        echo "install-node-tools: npm could not install $name from scripts/node/$name/package-lock.json (log follows)" >&2
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    # The tool's package is the one dependency its package.json pins (for mongosh and
    # migrate-mongo it has the tool's name; sarif-schema pins @microsoft/jest-sarif).
    package="$(node -e 'console.log(Object.keys(require(process.argv[1]).dependencies)[0])' "$src/package.json")"
    if [[ ! -d "$dest/node_modules/$package" ]]; then
        echo "install-node-tools: npm finished but $package is not in \`$dest/node_modules\`" >&2
        exit 1
    fi
    echo "$stamp" >"$dest/.installed"
done
