#!/usr/bin/env bash
# The demo behind `make demo`: starts a throwaway SecantusDB on a free loopback port, runs the
# steps listed in `demo_steps` with the release `lbmongo` against it, and stops the server at the
# end, on failure and on Ctrl-C alike.
#
# Expects what `make demo` prepares: scripts/install-secantus.sh and
# `cargo build --release -p lbmongo`. Each step prints its command before it runs; the first step
# that fails stops the demo with its exit code.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv"
secantusd="$venv/bin/secantusd-py"
LBMONGO="$root/target/release/lbmongo"
EXAMPLES="$root/examples"

# The demo, one `step "what it shows" command args...` per line. $URL is the demo database.
# Extend this list as the CLI grows; keep each step a command a user could type.
demo_steps() {
    # Changelog paths are recorded relative to the working directory, as Liquibase records them,
    # so the demo runs from examples/ like a user in their project directory.
    cd "$EXAMPLES"
    step "validate the example changelog (XML root, YAML/JSON twins beside it)" \
        "$LBMONGO" validate --changelog-file changelog.xml --url "$URL"
    step_refused "offline, no server: what FerretDB could not run of it (the preflight; exits 1)" \
        "$LBMONGO" --platform ferretdb validate --changelog-file changelog.xml
    step_exits 2 "offline: the policy checks over the changelog (exit code = highest severity, MAJOR = 2)" \
        "$LBMONGO" checks run --changelog-file changelog.xml
    step "preview every command an update would send, writing nothing" \
        "$LBMONGO" update-sql --changelog-file changelog.xml --url "$URL"
    step "what is pending" \
        "$LBMONGO" status --changelog-file changelog.xml --url "$URL"
    step "apply it" \
        "$LBMONGO" update --changelog-file changelog.xml --url "$URL"
    step "nothing left to run" \
        "$LBMONGO" status --changelog-file changelog.xml --url "$URL"
    step "what ran, per deployment" \
        "$LBMONGO" history --url "$URL"
    step "tag the database" \
        "$LBMONGO" tag --tag demo-tag --url "$URL"
    step "roll the last changeset back" \
        "$LBMONGO" rollback-count --count 1 --changelog-file changelog.xml --url "$URL"
    step "one changeset pending again" \
        "$LBMONGO" status --changelog-file changelog.xml --url "$URL"
    step "re-apply it" \
        "$LBMONGO" update --changelog-file changelog.xml --url "$URL"
    step "nobody holds the lock" \
        "$LBMONGO" list-locks --url "$URL"

    # Fleets: the same changelog over many databases, each with its own lock and history.
    printf 'tenant_a\ntenant_b\ntenant_c\n' >"$workdir/tenants.txt"
    step "update a fleet of three tenant databases, two at a time" \
        "$LBMONGO" update --changelog-file changelog.xml --url "$SERVER" --databases-file "$workdir/tenants.txt" --parallel 2
    step "the fleet by regex: each tenant has only the runAlways changeset pending, as the single database" \
        "$LBMONGO" status --changelog-file changelog.xml --url "$SERVER" --databases '^tenant_'
    step "a third of the fleet, as one of three CI jobs would take it" \
        "$LBMONGO" history --url "$SERVER" --databases '^tenant_' --shard 1/3 --output json

    # The generator: read the schema back, turn it into a changelog, compare databases.
    local out="$workdir/generated"
    mkdir -p "$out"
    step "snapshot the schema the changelog built (JSON)" \
        "$LBMONGO" snapshot --url "$URL" --output-file "$out/shop-snapshot.json"
    step "generate a baseline changelog from the live database" \
        "$LBMONGO" generate-changelog --url "$URL" --changelog-file "$out/baseline.xml" --author demo
    step "apply the baseline to an empty database" \
        "$LBMONGO" update --search-path "$out" --changelog-file baseline.xml --url "$URL2"
    step "the two databases have the same schema" \
        "$LBMONGO" diff --reference-url "$URL" --url "$URL2"
    # (what `db.products.createIndex({price: 1}, {name: "by_price"})` in mongosh does)
    step "an index added by hand in the copy..." \
        "$venv/bin/python" -c 'import sys, pymongo
pymongo.MongoClient(sys.argv[1]).get_default_database().products.create_index("price", name="by_price")' "$URL2"
    step "...is the one difference diff reports..." \
        "$LBMONGO" diff --reference-url "$URL" --url "$URL2"
    step "...and diff-changelog writes the changeset that brings the copy back" \
        "$LBMONGO" diff-changelog --reference-url "$URL" --url "$URL2" --author demo --include-drops
    # The published snapshot-to-changelog pipeline (README "From an authoring database to
    # changesets"): the copy plays the authoring database, the first database development.
    step "snapshot the authoring database (the copy, with its hand-made index) as JSON" \
        "$LBMONGO" snapshot --url "$URL2" --snapshot-format json --output-file "$out/mySnapshot.json"
    step "diff-changelog from the offline snapshot, each changeset with author, label, created and a descriptive id" \
        "$LBMONGO" diff-changelog --url "$URL" --reference-url "offline:mongodb?snapshot=$out/mySnapshot.json" \
        --author dana@example.com --label-filter JIRA-4711 --generate-changeset-created-values true \
        --generated-changeset-ids-contains-description true --format yaml
}

die() {
    echo "demo: $*" >&2
    exit 1
}

step_number=0
# `step_exits CODE "what it shows" command args...`: runs a step that must exit with CODE (1 for
# the platform preflight's refusal, the highest severity's return code for the policy checks);
# any other outcome stops the demo.
step_exits() {
    local expected=$1 what=$2
    shift 2
    step_number=$((step_number + 1))
    printf '\n==> %d. %s\n$ %s\n' "$step_number" "$what" "${*//$root\//}"
    local status=0
    "$@" || status=$?
    if [[ $status -ne $expected ]]; then
        echo "demo: step $step_number (\"$what\") should exit $expected, got exit code $status" >&2
        exit $((status == 0 ? 1 : status))
    fi
}

step() { step_exits 0 "$@"; }
step_refused() { step_exits 1 "$@"; }

[[ -x "$secantusd" ]] || die "SecantusDB is not installed; run \`make demo\` (or scripts/install-secantus.sh)"
[[ -x "$LBMONGO" ]] || die "\`$LBMONGO\` is missing; run \`make demo\` (or cargo build --release -p lbmongo)"

workdir="$(mktemp -d "${TMPDIR:-/tmp}/lbmongo-demo.XXXXXX")"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop_server
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$venv/bin/python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# SecantusDB would read ./secantusd.toml or ~/.secantus/secantusd.toml; an empty config of our own
# makes the flags its whole configuration. Its :memory: store goes under TMPDIR, inside $workdir.
: >"$workdir/secantusd.toml"
mkdir -p "$workdir/tmp"
log="$workdir/server.log"

# Start the server; a port taken between the probe and the bind is replaced, up to five times.
start_server() {
    local port=$1
    : >"$log"
    (cd "$workdir" && TMPDIR="$workdir/tmp" exec "$secantusd" --config "$workdir/secantusd.toml" \
        --host 127.0.0.1 --port "$port" --storage-path :memory: </dev/null >"$log" 2>&1) &
    server_pid=$!
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            wait "$server_pid" 2>/dev/null || true
            server_pid=""
            grep -qs "Address already in use" "$log" && return 2
            echo "demo: SecantusDB exited during startup; its log:" >&2
            cat "$log" >&2
            return 1
        fi
        if grep -qs "listening on 127.0.0.1:$port" "$log" &&
            "$venv/bin/python" -c 'import sys, pymongo
pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000).admin.command("hello")' \
                "mongodb://127.0.0.1:$port/" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    echo "demo: SecantusDB did not answer within 30 s; its log:" >&2
    cat "$log" >&2
    return 1
}

PORT=""
for _ in 1 2 3 4 5; do
    candidate="$(free_port)"
    status=0
    start_server "$candidate" || status=$?
    if [[ $status -eq 0 ]]; then
        PORT=$candidate
        break
    fi
    [[ $status -eq 2 ]] || exit 1
done
[[ -n "$PORT" ]] || die "SecantusDB could not bind a free loopback port after five tries"

URL="mongodb://127.0.0.1:$PORT/shop"
URL2="mongodb://127.0.0.1:$PORT/shop_copy"
SERVER="mongodb://127.0.0.1:$PORT/"
echo "SecantusDB is listening on 127.0.0.1:$PORT (demo database: $URL)"
demo_steps
printf '\ndemo: all %d steps passed\n' "$step_number"
