#!/usr/bin/env bash
# `make jar`: cargo builds the cdylib, Maven packages it with the Java SPI classes, the service
# files and the mongodb XSD into target/release/lbmongo-liquibase.jar, whose size and listing
# are printed. Maven resolves its plugins and liquibase-core (provided) from the local
# repository, fetching them from Maven Central the first time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo="${CARGO:-cargo}"

# The jar's version (the pom's) is the one Native.java requires of the native library, which
# reports the workspace's package version: the two must agree.
cargo_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)"
pom_version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$root/jvm-bridge/pom.xml" | head -1)"
if [[ "$cargo_version" != "$pom_version" ]]; then
    echo "make jar: jvm-bridge/pom.xml is version $pom_version but Cargo.toml is $cargo_version" >&2
    exit 1
fi

"$cargo" build --release --locked -p lbmongo-jvm
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! mvn -q -B -f "$root/jvm-bridge/pom.xml" -DskipTests package >"$log" 2>&1; then
    cat "$log" >&2
    echo "make jar: Maven failed" >&2
    exit 1
fi

jar="$root/target/release/lbmongo-liquibase.jar"
echo "$jar: $(stat -c %s "$jar") bytes"
unzip -l "$jar"
