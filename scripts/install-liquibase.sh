#!/usr/bin/env bash
# Installs the real Liquibase CLIs and the official liquibase-mongodb extension jars that the
# ground-truth tests compare lbmongo with. Idempotent and quiet on success.
#
#   .cache/liquibase/4.33.0/lib        liquibase-core 4.33.0 + its runtime deps (picocli, snakeyaml, ...)
#   .cache/liquibase/4.24.0/lib        liquibase-core 4.24.0 + its runtime deps
#   .cache/liquibase/official-ext/lib  org.liquibase.ext:liquibase-mongodb 4.33.0.1 + driver + Jackson
#   .cache/liquibase/npm-4.28.1        the npm package liquibase@4.28.1 (a full Liquibase 4.28 distribution)
#   ~/.m2 (Maven's local repository)   org.liquibase:liquibase-maven-plugin 4.33.0 and
#                                      maven-install-plugin 2.4, which the jar's Maven tests run offline
#
# Jars are resolved by tests/liquibase/pom.xml through Maven's normal repository settings; the npm
# package through npm's. Set LBMONGO_LIQUIBASE_FORCE=1 to reinstall everything.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/liquibase"
pom="$root/tests/liquibase/pom.xml"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if [[ "${LBMONGO_LIQUIBASE_FORCE:-0}" == 1 ]]; then
    rm -rf "$cache"
fi
mkdir -p "$cache"

# Runs a command with its output captured; prints the output only when it fails.
quiet() {
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "install-liquibase: failed: $*" >&2
        exit 1
    fi
}

# One Maven profile fills one lib dir. A marker file holding the pom's hash records that the copy
# finished for this pom, so an interrupted run or an edited pom redoes the copy from scratch rather
# than leaving a half-filled or stale classpath.
pom_hash="$(sha256sum "$pom" | cut -d' ' -f1)"
maven_set() {
    local profile="$1" dir="$2" marker="$cache/$2/.complete"
    [[ -f "$marker" && "$(cat "$marker")" == "$pom_hash" ]] && return 0
    rm -rf "${cache:?}/$dir"
    quiet mvn -q -B -f "$pom" -P "$profile" dependency:copy-dependencies
    ls "$cache/$dir"/*.jar >/dev/null 2>&1 || { echo "install-liquibase: no jars in $cache/$dir" >&2; exit 1; }
    echo "$pom_hash" >"$marker"
}

maven_set core-4.33.0 4.33.0/lib
maven_set core-4.24.0 4.24.0/lib
maven_set official-ext official-ext/lib

npm_dir="$cache/npm-4.28.1"
if [[ ! -f "$npm_dir/.complete" ]]; then
    rm -rf "$npm_dir"
    tmp="$(mktemp -d)"
    quiet npm pack --silent --pack-destination "$tmp" liquibase@4.28.1
    mkdir -p "$npm_dir"
    tar -xzf "$tmp"/liquibase-4.28.1.tgz -C "$npm_dir" --strip-components=1
    rm -rf "$tmp"
    chmod +x "$npm_dir"/dist/liquibase/liquibase 2>/dev/null || true
    touch "$npm_dir/.complete"
fi

# The Maven plugin and `install:install-file`, resolved into Maven's local repository once so that
# the tests that run the README's Maven examples (offline, `mvn -o`) never download anything.
maven_plugins="$cache/maven-plugins.complete"
maven_plugin_list="org.liquibase:liquibase-maven-plugin:4.33.0 org.apache.maven.plugins:maven-install-plugin:2.4"
if [[ ! -f "$maven_plugins" || "$(cat "$maven_plugins")" != "$maven_plugin_list" ]]; then
    for artifact in $maven_plugin_list; do
        quiet mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get -Dartifact="$artifact"
    done
    echo "$maven_plugin_list" >"$maven_plugins"
fi
