#!/usr/bin/env bash
# Runs a real Liquibase CLI (installed by scripts/install-liquibase.sh) with an extension on the classpath.
#
#   scripts/liquibase.sh [--core 4.33.0|4.24.0|npm-4.28.1] [--ext official|none|DIR]... [--] LIQUIBASE-ARGS...
#
# --core  which liquibase-core to run (default 4.33.0, or $LBMONGO_LIQUIBASE_CORE). npm-4.28.1 is the
#         core 4.28.0 shipped in the npm package liquibase@4.28.1.
# --ext   extension jars to add: "official" (.cache/liquibase/official-ext/lib, the default, or
#         $LBMONGO_LIQUIBASE_EXT), "none", or any directory of jars. Repeatable.
# JVM options (e.g. -Dliquibase.hostDescription=x) go in $LBMONGO_LIQUIBASE_JAVA_OPTS.
# The exit code is Liquibase's.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/liquibase"

core="${LBMONGO_LIQUIBASE_CORE:-4.33.0}"
exts=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --core) core="$2"; shift 2 ;;
        --core=*) core="${1#--core=}"; shift ;;
        --ext) exts+=("$2"); shift 2 ;;
        --ext=*) exts+=("${1#--ext=}"); shift ;;
        --) shift; break ;;
        *) break ;;
    esac
done
if [[ ${#exts[@]} -eq 0 ]]; then
    exts=("${LBMONGO_LIQUIBASE_EXT:-official}")
fi

"$root/scripts/install-liquibase.sh"

case "$core" in
    npm-4.28.1) core_lib="$cache/npm-4.28.1/dist/liquibase/internal/lib" ;;
    *) core_lib="$cache/$core/lib" ;;
esac
if [[ ! -d "$core_lib" ]]; then
    echo "liquibase.sh: unknown core '$core' (no $core_lib)" >&2
    exit 2
fi

cp="$core_lib/*"
for ext in "${exts[@]}"; do
    case "$ext" in
        none) ;;
        official) cp="$cp:$cache/official-ext/lib/*" ;;
        *)
            if [[ ! -d "$ext" ]]; then
                echo "liquibase.sh: extension directory '$ext' not found" >&2
                exit 2
            fi
            cp="$cp:$(cd "$ext" && pwd)/*"
            ;;
    esac
done

# shellcheck disable=SC2086 # the options variable is a list of JVM words
exec java ${LBMONGO_LIQUIBASE_JAVA_OPTS:-} -cp "$cp" liquibase.integration.commandline.LiquibaseCommandLine "$@"
