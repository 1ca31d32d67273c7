# lbmongo's entry points. Each target installs what it needs first (quietly, and only once:
# the install scripts are no-ops when their tool is present), so a fresh machine needs nothing
# beyond the toolchains of the image. See CONTRIBUTING.md.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
CARGO ?= cargo

.PHONY: test demo deps-test deps-demo jar bench fuzz

# --- install hooks ---------------------------------------------------------------------------
# npm tools the tests need, as names scripts/install-node-tools.sh takes (a directory of
# scripts/node/ each, holding the tool's lockfile).
TEST_NODE_TOOLS := mongosh sarif-schema

deps-test:
	@scripts/install-secantus.sh
	@# The second, independent test server (issue 13): FerretDB built from the Go module proxy.
	@scripts/install-ferretdb.sh
	@# yq v4 from the Go module proxy: the snapshot-to-changelog pipeline test edits YAML with it.
	@scripts/install-yq.sh
	@# The real OPA (issue 15), ground truth of the Rego policies: built from the Go module proxy.
	@scripts/install-opa.sh
	@scripts/ensure-jdk.sh
	@if [[ -n "$(strip $(TEST_NODE_TOOLS))" ]]; then scripts/install-node-tools.sh $(TEST_NODE_TOOLS); fi
	@# The real Liquibase and liquibase-mongodb jars (tests/liquibase/pom.xml) for the ground-truth
	@# tests. HOOK(jar): once the e2e tests run the extension jar, `test` depends on `jar` too.
	@scripts/install-liquibase.sh

deps-demo:
	@scripts/install-secantus.sh

# --- targets ---------------------------------------------------------------------------------
# Lints (clippy.toml bans raw JNI calls outside jvm-bridge's wrapper), the dependency policy
# (deny.toml), docs and every test; MONGODB_URI=mongodb://… runs the end-to-end tests on that server.
test: deps-test
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	CARGO=$(CARGO) scripts/check-deps.sh
	scripts/check-architecture.py
	RUSTDOCFLAGS=-Dwarnings $(CARGO) doc --workspace --no-deps --locked
	$(CARGO) test --workspace --locked

# The release CLI against a throwaway SecantusDB; the steps are listed in scripts/demo.sh.
demo: deps-demo
	$(CARGO) build --release --locked -p lbmongo
	scripts/demo.sh

# The Liquibase extension: cargo builds the cdylib, Maven the jar; prints its size and listing.
jar:
	CARGO=$(CARGO) jvm-bridge/build-jar.sh

# Benchmarks (issue 7; not part of `test`): lbmongo vs the raw-driver limit, migrate-mongo,
# Liquibase + our jar and Liquibase + the official extension, alternated on one SecantusDB.
# Writes bench/results/latest.{json,md} and docs/bench.svg; method in bench/README.md. Sizes and
# rounds go in BENCH_ARGS, e.g. `make bench BENCH_ARGS="--p1 500,2000 --rounds 2"`. A jar that
# does not build leaves its runner reported as unavailable, never estimated.
BENCH_ARGS ?=
bench: deps-test
	@scripts/install-node-tools.sh migrate-mongo
	@scripts/install-liquibase.sh
	$(CARGO) build --release --locked -p lbmongo -p lbmongo-bench
	@jar=target/release/lbmongo-liquibase.jar; \
	if ! CARGO=$(CARGO) jvm-bridge/build-jar.sh >/dev/null; then \
		echo "make bench: the jar did not build; Liquibase + jar is reported unavailable" >&2; \
		jar=none; \
	fi; \
	target/release/lbmongo-bench --jar "$$jar" $(BENCH_ARGS)

# Every cargo-fuzz target for FUZZ_SECONDS each (default 600; not part of `test`), e.g.
# `make fuzz FUZZ_SECONDS=60` or `scripts/fuzz.sh shell_subset`. See CONTRIBUTING.md.
FUZZ_SECONDS ?= 600
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh
