# ksgate — the README's commands. Each target is a thin wrapper; the logic lives in scripts/.
#
#   make run          install build deps, build, serve a demo on 127.0.0.1:8080 (scripts/run-demo.sh)
#   make test         install all deps, build, run unit + integration tests (scripts/run-tests.sh)
#   make build        configure (once) and build the release preset -> build/release/ksgate
#   make package      the Debian package -> build/package/ksgate_<version>_amd64.deb (CPack)
#   make build-asan   the same with AddressSanitizer + UBSan -> build/asan (make test runs it too)
#   make fuzz         libFuzzer targets (preset fuzz, clang) for FUZZ_SECONDS (60) each (scripts/fuzz.sh)
#   make bench        every benchmark behind the performance targets, in one run, then each target and whether it holds (scripts/bench-all.sh)
#   make bench-micro  Google Benchmark micro-benchmarks (ks_bench) and the in-process targets (scripts/bench-micro.sh)
#   make bench-http   wrk against ksgate and an nginx fixed-body baseline (scripts/bench-http.sh)
#   make bench-stores SQLite vs PostgreSQL throughput, reads during writes (scripts/bench-stores.sh)
#   make bench-nodes  propagation of a change between two nodes on PostgreSQL (bench/nodes/)
#   make bench-instr  instructions per request of the hot actions, by callgrind (scripts/bench-callgrind.sh)
#   make bench-scale  a million app tokens: startSession, list pages, RSS (scripts/bench-scale.sh)
#   make clean        remove build/release and build/bench-http (keeps var/ and the other presets)
#   make distclean    clean + remove build/, var/ (demo database!) and tests/node_modules

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
# Order matters (deps before build before tests); parallelism lives inside ninja.
.NOTPARALLEL:

PRESET    := release
BUILD_DIR := build/$(PRESET)
NINJA     := $(BUILD_DIR)/build.ninja
NODE_DEPS := tests/node_modules/.package-lock.json

.PHONY: build build-asan run test package fuzz bench bench-micro bench-http bench-stores bench-nodes bench-instr bench-scale clean distclean deps deps-test node-deps help

help:
	@sed -n 's/^#   make/  make/p' $(firstword $(MAKEFILE_LIST))

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

# Configure only when the tree has never been configured or the presets changed; afterwards ninja
# re-runs CMake by itself whenever a CMakeLists.txt changes.
$(NINJA): CMakePresets.json
	@echo "cmake: configuring preset $(PRESET)"
	@cmake --preset $(PRESET) --log-level=WARNING >/dev/null
	@touch $@

build: $(NINJA)
	@cmake --build --preset $(PRESET)

# The AddressSanitizer + UndefinedBehaviorSanitizer build that `make test` runs every suite on too.
ASAN_NINJA := build/asan/build.ninja
$(ASAN_NINJA): CMakePresets.json
	@echo "cmake: configuring preset asan"
	@cmake --preset asan --log-level=WARNING >/dev/null
	@touch $@

build-asan: $(ASAN_NINJA)
	@cmake --build --preset asan

run: deps build
	@scripts/run-demo.sh

# The .deb (cmake/KsgatePackaging.cmake): binary, /etc/ksgate/ksgate.toml, ksgate.service.
package: deps build
	@cmake --build --preset $(PRESET) --target package

# npm ci only when the lockfile changed since the last install.
$(NODE_DEPS): tests/package.json tests/package-lock.json
	@echo "npm: installing test dependencies (tests/)"
	@cd tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null

node-deps: $(NODE_DEPS)

test: deps-test node-deps build build-asan
	@scripts/run-tests.sh

# Each fuzz target for FUZZ_SECONDS (default 60) from its seed corpus; a crash fails and leaves the
# reproducer in build/fuzz/artifacts/<target>/. FUZZ_TARGETS="ks_fuzzer ..." picks targets.
fuzz: deps-test
	@scripts/fuzz.sh $(FUZZ_TARGETS)

# BENCH_ARGS go to ks_bench (e.g. --benchmark_filter=V2); scripts/bench-micro.sh lists its settings.
# Every part below (bench-micro, bench-http, bench-stores, bench-scale) in one run, then issue 13's
# targets with what was measured (scripts/bench-all.sh; about 10 minutes).
bench: deps-test build
	@cmake --build --preset $(PRESET) --target ks_bench
	@scripts/bench-all.sh

bench-micro: deps $(NINJA)
	@cmake --build --preset $(PRESET) --target ks_bench
	@scripts/bench-micro.sh $(BENCH_ARGS)

bench-http: deps-test build
	@scripts/bench-http.sh

# The store's costs: SQLite next to PostgreSQL, and reads during writes (scripts/bench-stores.sh).
bench-stores: deps-test build
	@scripts/bench-stores.sh

# How fast a change on one node reaches another on one PostgreSQL (bench/nodes/propagation.js).
bench-nodes: deps-test build node-deps
	@scripts/pg-cluster.sh run node bench/nodes/propagation.js

# Instructions per request of the hot actions, counted by callgrind: stable on a busy machine.
# BENCH_BINS="OLD NEW" compares binaries (scripts/bench-callgrind.sh).
bench-instr: deps-test build
	@scripts/bench-callgrind.sh $(BENCH_BINS)

# Costs that must not grow with the tokens stored, and memory (scripts/bench-scale.sh).
bench-scale: deps-test build
	@scripts/bench-scale.sh

clean:
	rm -rf $(BUILD_DIR) build/bench-http

distclean:
	rm -rf build var tests/node_modules
