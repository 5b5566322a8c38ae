# The two README commands are `make dev` and `make test`; the rest are their parts.
# Everything Python (moto, cfn-lint) lives in ./.venv, pinned by requirements-dev.txt, beside
# cargo-lambda (requirements-cargo-lambda.txt). Every virtualenv is made for the system's
# python3 and filled by uv (requirements-uv.txt), which pip installs into ./.venv-uv.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed
CARGO ?= cargo
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
# CI boxes have 2 cores; the tests share them with moto and the function processes. Most
# end-to-end tests wait on the local cloud, so that binary runs more of them at once.
TEST_THREADS ?= 4
E2E_TEST_THREADS ?= 8

.PHONY: dev test test-tools browser publish-storefront venv build fmt-check clippy cargo-test test-build test-checks test-run-end-to-end test-run-watch test-run-fuzz test-run-histories test-run-others e2e-test lint-template lint-workflows \
	clean-venv api-contract fuzz-api bench bench-tools package load

## make dev: build every function and run the whole system locally (Ctrl-C stops it).
## make dev WATCH=orders-api,orders-worker: those functions run under `cargo lambda watch`
## (rebuilt and restarted on every save) inside the whole system.
# The state file (URLs, ids, the moto endpoint) is what `dlq --local` reads; each
# function's env file and JSON log go under .devstack/ too.
WATCH ?=
dev: venv build
	$(TARGET_DIR)/debug/devstack --state-file .devstack/state.json $(if $(WATCH),--watch $(WATCH)) $(DEVSTACK_ARGS)

## make test: what CI runs. fmt, clippy, unit + adapter tests (moto), end-to-end (with a
## short schemathesis pass), every end-to-end response checked against openapi.yaml,
## cfn-lint, checkov, sam validate --lint, and the checks of the GitHub workflows.
# The virtualenvs (mostly downloads) and then the template and workflow checks run beside
# the build, whose CPU they barely dent; the tests run once everything is built.
test:
	$(MAKE) -j3 fmt-check test-build test-checks
	$(MAKE) cargo-test api-contract

test-checks: test-tools
	$(MAKE) -j2 lint-template lint-workflows

# The four virtualenvs of the checks and Chromium, installed side by side.
test-tools:
	$(MAKE) -j5 venv $(CHECKOV_STAMP) $(SAM_STAMP) $(WORKFLOWS_STAMP) browser

## make browser: Debian's Chromium and its ChromeDriver (packages chromium and
## chromium-driver, one version), which the storefront's browser tests drive headless;
## installed with apt-get when /usr/bin has neither. CHROMIUM and CHROMEDRIVER name others.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
browser:
	@if [ -x "$(CHROMIUM)" ] && [ -x "$(CHROMEDRIVER)" ]; then exit 0; fi; \
	command -v apt-get >/dev/null || { echo "the storefront tests need Chromium and ChromeDriver: set CHROMIUM and CHROMEDRIVER"; exit 1; }; \
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "installing Debian's chromium and chromium-driver"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null

# `$(PIP_INSTALL) <venv> -r requirements-x.txt` fills a virtualenv. uv seeds each with pip,
# which the devstack uses when it runs without make.
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
PIP_INSTALL := $(UV) pip install --quiet --python

$(UV): requirements-uv.txt
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv / brew install python)"; exit 1; }
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-uv.txt
	@touch $@

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements-dev.txt requirements-cargo-lambda.txt | $(UV)
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv / brew install python)"; exit 1; }
	$(UV) venv --quiet --seed --allow-existing --python $(PYTHON) $(VENV)
	$(PIP_INSTALL) $(VENV) \
		-r requirements-dev.txt -r requirements-cargo-lambda.txt
	@touch $@

build:
	$(CARGO) build --workspace --bins

fmt-check:
	$(CARGO) fmt --all -- --check

# Stand-alone clippy for editing sessions; `make test` lints within its build.
clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Unit tests, adapter tests against moto (one moto per test binary) and the end-to-end
# tests (one devstack for the end_to_end binary), all compiled by one cargo invocation
# (test-build) so dependencies are compiled once, with one feature set. Every crate with a
# binary has integration tests, so that also builds every binary into target/debug, which
# is where the e2e harness and the devstack take them from.
#
# Clippy runs inside that same build: clippy-driver wraps rustc for workspace crates
# only (what `cargo clippy` does, but producing real artifacts), so the dependencies,
# most of all the AWS SDKs, are compiled once instead of once for `cargo clippy` and
# again for `cargo test`. CLIPPY_ARGS is how cargo-clippy hands lint flags to the driver.
#
# Then five runs side by side, since cargo runs test binaries one after another and most
# of them wait on moto: the end_to_end binary (the longest) but two of its modules, each
# in a run of its own so that it starts at once instead of when libtest reaches its name
# (both would otherwise end the whole run): the `cargo lambda watch` tests (a build and
# timed rebuilds, one at a time) and the short API fuzz pass (schemathesis, three
# minutes on a busy box); the seeded saga histories (a minute of CPU on their own); and
# every other test (e2e's library has none). All select the whole workspace,
# so features resolve as in test-build and none compiles anything. Their lines
# interleave; each names its test. A failing binary does not stop its run's later ones,
# each run's lines are kept in $(TEST_LOGS) too, and when a run fails, libtest's account
# of its failures (each failed test's output and panic) is printed again at the very end,
# where it cannot be lost among the other runs' lines.
# MAKEFLAGS and MFLAGS stay with make: the jobserver they name is not cargo's.
CLIPPY_DRIVER ?= clippy-driver
WITH_CLIPPY := RUSTC_WORKSPACE_WRAPPER=$(CLIPPY_DRIVER) CLIPPY_ARGS='-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__'
TEST_LOGS := $(TARGET_DIR)/test-logs
CARGO_TEST_RUN = set -o pipefail; mkdir -p $(TEST_LOGS); env -u MAKEFLAGS -u MFLAGS $(WITH_CLIPPY) $(CARGO) test --workspace --no-fail-fast $(1) 2>&1 | tee $(TEST_LOGS)/$@.log
cargo-test: venv test-build
	rm -rf $(E2E_RESPONSES) $(TEST_LOGS)
	$(MAKE) -j5 -k test-run-end-to-end test-run-watch test-run-fuzz test-run-histories test-run-others || { \
		for log in $(TEST_LOGS)/*.log; do \
			grep -q '^failures:$$' "$$log" || continue; \
			echo "=== failures of $$(basename "$$log" .log)"; \
			awk '/^failures:$$/ { shown = 1 } shown { print } /^test result:/ { shown = 0 }' "$$log"; \
		done; exit 1; }

test-run-end-to-end:
	$(call CARGO_TEST_RUN,--test end_to_end -- --test-threads=$(E2E_TEST_THREADS) --skip watch:: --skip fuzz_api::)

test-run-watch:
	$(call CARGO_TEST_RUN,--test end_to_end -- watch::)

test-run-fuzz:
	$(call CARGO_TEST_RUN,--test end_to_end -- fuzz_api::)

SAGA_HISTORIES_TEST := every_history_keeps_the_saga_invariants
test-run-histories:
	$(call CARGO_TEST_RUN,--test saga_histories -- --exact $(SAGA_HISTORIES_TEST))

test-run-others:
	$(call CARGO_TEST_RUN,--exclude e2e -- --test-threads=$(TEST_THREADS) --skip $(SAGA_HISTORIES_TEST))

# What cargo-test compiles (and lints), without running anything.
test-build:
	@command -v $(CLIPPY_DRIVER) >/dev/null || { echo "clippy is required: rustup component add clippy"; exit 1; }
	$(WITH_CLIPPY) $(CARGO) test --workspace --no-run

# Only the end-to-end tests.
e2e-test: venv build
	$(CARGO) test -p e2e -- --test-threads=$(TEST_THREADS)

# Every response the end-to-end tests of cargo-test received (tests/src/response_log.rs),
# checked against openapi.yaml: a documented status, a body matching its schema, the
# required headers.
E2E_RESPONSES := $(TARGET_DIR)/e2e-responses
api-contract: venv
	$(VENV)/bin/python tests/contract/validate_responses.py openapi.yaml $(E2E_RESPONSES)

# schemathesis against a fresh devstack with openapi.yaml and every check, as a user and
# as the admin, at least 1,000 requests (tests/tests/end_to_end/fuzz_api.rs; reports in
# target/fuzz-api/). Built exactly as cargo-test builds, so nothing is compiled twice.
fuzz-api: venv test-build
	$(WITH_CLIPPY) $(CARGO) test -p e2e --test end_to_end fuzz_api -- --ignored --nocapture

# The SAM CLI, in a venv of its own (requirements-sam.txt says why). Telemetry off: no
# usage data leaves a developer's machine or CI.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam

$(SAM_STAMP): requirements-sam.txt | $(UV)
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv / brew install python)"; exit 1; }
	$(UV) venv --quiet --seed --allow-existing --python $(PYTHON) $(SAM_VENV)
	$(PIP_INSTALL) $(SAM_VENV) -r requirements-sam.txt
	@touch $@

# cfn-lint, then checkov: clean, or each skip justified, in .checkov.yaml for a whole
# class of resources and inline in template.yaml (`# checkov:skip=CKV_...: reason`) for
# one resource. checkov gets a venv of its own (requirements-checkov.txt says why);
# skip-download (in .checkov.yaml) keeps it offline. Last, the template
# as the SAM CLI will deploy it: `sam validate --lint` (SAM's transform, then cfn-lint for
# the region of samconfig.toml's [default]) needs neither AWS credentials nor a network.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

lint-template: venv $(CHECKOV_STAMP) $(SAM_STAMP)
	$(VENV)/bin/cfn-lint template.yaml
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --file template.yaml
	$(SAM) validate --lint --template-file template.yaml

$(CHECKOV_STAMP): requirements-checkov.txt | $(UV)
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv / brew install python)"; exit 1; }
	$(UV) venv --quiet --seed --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(PIP_INSTALL) $(CHECKOV_VENV) -r requirements-checkov.txt
	@touch $@

# The GitHub workflows and Dependabot config against their schemas, then zizmor's
# security audit (.github/zizmor.yml), both offline, from a venv of their own.
WORKFLOWS_VENV := .venv-workflows
WORKFLOWS_STAMP := $(WORKFLOWS_VENV)/.installed

lint-workflows: $(WORKFLOWS_STAMP)
	$(WORKFLOWS_VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(WORKFLOWS_VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(WORKFLOWS_VENV)/bin/zizmor --offline --no-progress --config .github/zizmor.yml .github/

$(WORKFLOWS_STAMP): requirements-workflows.txt | $(UV)
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required (apt-get install python3 python3-venv / brew install python)"; exit 1; }
	$(UV) venv --quiet --seed --allow-existing --python $(PYTHON) $(WORKFLOWS_VENV)
	$(PIP_INSTALL) $(WORKFLOWS_VENV) -r requirements-workflows.txt
	@touch $@

## make package: every function of template.yaml built as Lambda runs it (release, arm64,
## a `bootstrap` binary) by `sam build` (BuildMethod: rust-cargolambda) into .aws-sam/build,
## which `sam deploy` then uploads. Installs the SAM CLI, cargo-lambda and zig into
## .venv-sam and the aarch64 Rust target; no Docker.
##
## cargo-lambda finds cargo-zigbuild's linker and C compiler as `python3 -m ziglang`, so the
## venv's python comes first on PATH and is named outright. The release builds get a
## target directory of their own (shared with `make bench`'s arm64 zips), so they never
## invalidate the debug build the tests use.
LAMBDA_TARGET := aarch64-unknown-linux-gnu
LAMBDA_BUILD_STAMP := $(SAM_VENV)/.lambda-build-installed

package: $(LAMBDA_BUILD_STAMP)
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" \
	CARGO_ZIGBUILD_PYTHON_PATH="$(CURDIR)/$(SAM_VENV)/bin/python3" \
	CARGO_TARGET_DIR="$(abspath $(TARGET_DIR))/lambda-arm64" \
		$(SAM) build --template-file template.yaml

$(LAMBDA_BUILD_STAMP): requirements-lambda-build.txt requirements-cargo-lambda.txt $(SAM_STAMP) | $(UV)
	$(PIP_INSTALL) $(SAM_VENV) -r requirements-lambda-build.txt
	if command -v rustup >/dev/null; then rustup target add $(LAMBDA_TARGET); \
	elif [ ! -d "$$(rustc --print sysroot)/lib/rustlib/$(LAMBDA_TARGET)/lib" ]; then \
		echo "package: the Rust standard library for $(LAMBDA_TARGET) is missing (rustup target add $(LAMBDA_TARGET))"; exit 1; fi
	@touch $@

## make publish-storefront STACK=crabcart-dev: web/ to that deployed stack's storefront
## (bucket, config.json naming its ApiUrl, CloudFront invalidation), with the AWS CLI and
## the credentials that deployed it. The deploy workflow runs it after `sam deploy`.
STACK ?=
publish-storefront:
	@[ -n "$(STACK)" ] || { echo "usage: make publish-storefront STACK=<stack name>"; exit 1; }
	bash tools/storefront/publish.sh $(STACK)

## make bench: cold start, latency, memory, size and AWS round trips of every function,
## beside a hello-world floor and a Node.js 20 peer, in one run (tools/bench/README.md).
## Writes docs/benchmarks.md, .json and .png. Not part of `make test`.
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_OUT := $(TARGET_DIR)/bench
PEER_DIR := benches/peers/node-get-product
BENCH_ARGS ?=
FUNCTION_PACKAGES := -p users -p products -p orders -p payments -p notifications -p outbox-publisher

bench: venv bench-tools
	@command -v node >/dev/null || { echo "Node.js 20 is required for the peer (https://nodejs.org)"; exit 1; }
	npm ci --prefix $(PEER_DIR) --no-audit --no-fund --loglevel=error
	# The functions alone, as they are deployed (features unified only among them), then
	# the floor and the harness.
	$(CARGO) build --release $(FUNCTION_PACKAGES)
	$(CARGO) build --release -p crabcart-bench-floor -p crabcart-bench
	mkdir -p $(BENCH_OUT)
	if bash tools/bench/package-arm64.sh $(VENV) $(BENCH_OUT)/arm64 > $(BENCH_OUT)/arm64-sizes.txt; then \
		arm64="--arm64-sizes $(BENCH_OUT)/arm64-sizes.txt"; \
	else echo "bench: the arm64 zips are not measured (see above)"; arm64=""; fi; \
	$(TARGET_DIR)/release/bench --bin-dir $(TARGET_DIR)/release $$arm64 $(BENCH_ARGS)
	$(VENV)/bin/python tools/bench/chart.py --input docs/benchmarks.json --output docs/benchmarks.png

# matplotlib, cargo-lambda and zig (requirements-bench.txt) into the project venv, and
# the aarch64 Rust target for the arm64 zips (skipped with a note where rustup is not).
bench-tools: $(BENCH_STAMP)

$(BENCH_STAMP): requirements-bench.txt requirements-charts.txt requirements-lambda-build.txt requirements-cargo-lambda.txt $(VENV_STAMP) | $(UV)
	$(PIP_INSTALL) $(VENV) -r requirements-bench.txt
	if command -v rustup >/dev/null; then rustup target add $(LAMBDA_TARGET); \
	else echo "bench: no rustup, so no aarch64 target: the arm64 zips will not be measured"; fi
	@touch $@

## make load: 32 shoppers at once place 300 orders through the local API Gateway of a
## devstack of its own; every order is followed until the saga settles it, then its
## effects are counted (tools/load/README.md). Writes docs/load.md, .json and .png, and
## fails on any lost or repeated effect. Not part of `make test`.
## make load PROFILE=1: also records where moto spends the load, with py-spy, as a flame
## graph in target/load/moto.svg.
CHARTS_STAMP := $(VENV)/.charts-installed
PROFILE_STAMP := $(VENV)/.profile-installed
LOAD_ARGS ?=
PROFILE ?=
load: venv $(CHARTS_STAMP) build $(if $(PROFILE),$(PROFILE_STAMP))
	$(TARGET_DIR)/debug/load $(if $(PROFILE),--profile-moto $(TARGET_DIR)/load/moto.svg) $(LOAD_ARGS)
	$(VENV)/bin/python tools/load/chart.py --input docs/load.json --output docs/load.png

$(PROFILE_STAMP): requirements-profile.txt $(VENV_STAMP) | $(UV)
	$(PIP_INSTALL) $(VENV) -r requirements-profile.txt
	@touch $@

$(CHARTS_STAMP): requirements-charts.txt $(VENV_STAMP) | $(UV)
	$(PIP_INSTALL) $(VENV) -r requirements-charts.txt
	@touch $@

clean-venv:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SAM_VENV) $(WORKFLOWS_VENV) $(UV_VENV)
