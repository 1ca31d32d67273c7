#!/usr/bin/env bash
# Makes sure a JDK (`javac`) and Maven (`mvn`) are on PATH, for `make jar` and the tests that run
# the real Liquibase. Installs Debian's openjdk-17-jdk-headless and maven when one is missing.
# Prints nothing when both are present; on failure apt's log is printed.
set -euo pipefail

if command -v javac >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-jdk: \`javac\` or \`mvn\` is missing and there is no apt-get to install them" >&2
    echo "hint: install a JDK (17 or newer) and Maven, then retry" >&2
    exit 1
fi
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "ensure-jdk: \`javac\` or \`mvn\` is missing; installing them needs root" >&2
        echo "hint: apt-get install openjdk-17-jdk-headless maven" >&2
        exit 1
    fi
    sudo=(sudo)
fi

log="$(mktemp "${TMPDIR:-/tmp}/ensure-jdk.XXXXXX")"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -q && \
       "${sudo[@]}" apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless maven; } \
       >"$log" 2>&1; then
    echo "ensure-jdk: apt-get could not install openjdk-17-jdk-headless and maven (log follows)" >&2
    cat "$log" >&2
    exit 1
fi
for tool in javac mvn; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ensure-jdk: installed the packages but \`$tool\` is still not on PATH" >&2
        exit 1
    fi
done
