#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called indirectly (traps, `step` parsers)
# Runs every test suite against an already-built tree and prints one final line "N passed, N failed".
# Exit status: 0 only if nothing failed and at least one test ran.
#
#   scripts/run-tests.sh            (what `make test` runs after building)
#   KSGATE_BUILD_DIR=build/asan scripts/run-tests.sh
#
# Each suite is one `step` line at the bottom: a label, a parser for its counts, the file the parser
# reads ("-" = the step's own output), then the command. Every step runs in its own process group,
# which is killed when the step ends (leaked servers) and on exit or Ctrl-C.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
BUILD_DIR="${KSGATE_BUILD_DIR:-build/release}"
ASAN_DIR="${KSGATE_ASAN_DIR:-build/asan}"
export KSGATE_BIN="${KSGATE_BIN:-$ROOT/$BUILD_DIR/ksgate}"
export KSGATE_REQUIRE_BIN=1 # the binary must exist here: a missing one fails, it is not skipped

OUT="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-run-tests.XXXXXX")"
# Suites make their temp dirs (databases, logs) under here, so they go away even if a suite is killed.
export TMPDIR="$OUT/tmp"
mkdir -p "$TMPDIR"
step_pid=""
tail_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$step_pid" ]]; then
    kill -TERM -- "-$step_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$step_pid" 2>/dev/null || true
  fi
  if [[ -n "$tail_pid" ]]; then kill "$tail_pid" 2>/dev/null || true; fi
  if [[ -n "${KSGATE_KEEP_TMP:-}" ]]; then
    echo "run-tests: logs kept in $OUT" >&2
  else
    rm -rf "$OUT"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

total_pass=0
total_fail=0
nstep=0

# The parsers of each suite's counts, and failures_of: what failed, for the summary.
# shellcheck source=scripts/test-results.sh
source "$ROOT/scripts/test-results.sh"

# step LABEL PARSER RESULT_FILE|- CMD...
step() {
  local label="$1" parser="$2" result="$3"
  shift 3
  nstep=$((nstep + 1))
  local log="$OUT/step$nstep.log"
  [[ "$result" == "-" ]] && result="$log"
  printf '\n=== %s: %s\n' "$label" "$*"
  local started=$SECONDS # each step's time in the summary: where a CI run's minutes go
  : >"$log"
  # setsid makes the step the leader of a new process group (pid == pgid), so one kill reaches
  # everything it spawned; output goes to the log and is echoed live by tail.
  setsid "$@" >"$log" 2>&1 </dev/null &
  step_pid=$!
  tail -n +1 -s 0.2 -f --pid="$step_pid" "$log" &
  tail_pid=$!
  local rc=0
  wait "$step_pid" || rc=$?
  wait "$tail_pid" 2>/dev/null || true
  tail_pid=""
  if kill -0 -- "-$step_pid" 2>/dev/null; then
    echo "run-tests: '$label' left processes behind; killing them" >&2
    kill -KILL -- "-$step_pid" 2>/dev/null || true
  fi
  step_pid=""

  local counts pass fail
  counts="$("$parser" "$result")"
  if [[ -z "$counts" ]]; then
    # No summary at all (crash, bad flag, missing build): count the step itself as one failure.
    pass=0 fail=1
    echo "run-tests: '$label' exited $rc without a test summary; counting it as 1 failure" >&2
  else
    read -r pass fail <<<"$counts"
    if ((rc != 0 && fail == 0)); then
      fail=1
      echo "run-tests: '$label' exited $rc but reported no failed test; counting 1 failure" >&2
    fi
  fi
  step_summary+=("$(printf '  %-22s pass %-5s fail %-5s (exit %s, %d s)' "$label" "$pass" "$fail" \
    "$rc" $((SECONDS - started)))")
  if ((fail > 0)); then
    local failed_line
    while IFS= read -r failed_line; do
      step_summary+=("      failed: ${failed_line//"$ROOT/"/}")
    done < <(failures_of "$parser" "$result" | head -n 20)
  fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
}
step_summary=()

# node:test suites: only the directories that exist (node fails on a missing path).
node_dirs=()
for d in tests/integration tests/conformance; do
  [[ -d "$d" ]] && node_dirs+=("$d/")
done
node_flags=(--test --test-reporter=spec --test-reporter-destination=stdout
  --test-reporter=tap --test-reporter-destination="$OUT/node.tap")
# --test-concurrency / --test-timeout exist from node 20.10 / 20.11; drop them on an older node.
node --test-concurrency=1 -e 0 >/dev/null 2>&1 && node_flags+=(--test-concurrency=1)
node --test-timeout=120000 -e 0 >/dev/null 2>&1 && node_flags+=(--test-timeout=120000)

# ---- the suites: adding one is one line ------------------------------------------------------
step "format" format_counts - scripts/check-format.sh
# Tests labelled "postgres" need a server: they run in their own step, against a throwaway
# cluster that scripts/pg-cluster.sh starts on a free port and removes afterwards, whatever
# happens (or against KSGATE_TEST_PG_DSN when that is set).
step "unit (ctest)" ctest_counts - ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 -LE postgres
# The Debian package: built from this tree, lintian, the default config and the maintainer
# scripts with the packaged binary, systemd-analyze on the unit (a few seconds).
step "package" package_counts - env KSGATE_BUILD_DIR="$BUILD_DIR" scripts/test-package.sh
step "postgres (ctest)" ctest_counts - scripts/pg-cluster.sh run \
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 -L postgres
# The node suites run with a throwaway PostgreSQL cluster too (tests/lib/pg.js): the multi-node,
# outage and lock suites need one. The official client's conformance suite runs once more
# against a server on PostgreSQL.
if ((${#node_dirs[@]})); then
  step "integration (node)" tap_counts "$OUT/node.tap" scripts/pg-cluster.sh run \
    node "${node_flags[@]}" "${node_dirs[@]}"
  if [[ -d tests/conformance ]]; then
    pg_conf_flags=("${node_flags[@]/node.tap/node-pg.tap}")
    step "conformance on postgres" tap_counts "$OUT/node-pg.tap" scripts/pg-cluster.sh run \
      env KSGATE_TEST_DB=postgres node "${pg_conf_flags[@]}" tests/conformance/
  fi
fi
# The same suites once more under AddressSanitizer + UndefinedBehaviorSanitizer (preset asan),
# when that build exists (`make test` builds it): memory errors abort, leaks fail the exit code.
if [[ -x "$ASAN_DIR/ksgate" ]]; then
  step "unit asan (ctest)" ctest_counts - ctest --test-dir "$ASAN_DIR" --output-on-failure -j2 \
    -LE postgres
  step "postgres asan (ctest)" ctest_counts - scripts/pg-cluster.sh run \
    ctest --test-dir "$ASAN_DIR" --output-on-failure -j2 -L postgres
  if ((${#node_dirs[@]})); then
    asan_node_flags=("${node_flags[@]/node.tap/node-asan.tap}")
    step "integration asan" tap_counts "$OUT/node-asan.tap" scripts/pg-cluster.sh run \
      env KSGATE_BIN="$ROOT/$ASAN_DIR/ksgate" node "${asan_node_flags[@]}" "${node_dirs[@]}"
  fi
fi
# Every libFuzzer target for a few seconds from its seed corpus, which holds each crash found so
# far (scripts/fuzz.sh --brief builds the preset fuzz first); only where clang++ is installed.
if command -v clang++ >/dev/null 2>&1; then
  step "fuzz (brief)" fuzz_counts - scripts/fuzz.sh --brief
fi
# ----------------------------------------------------------------------------------------------

printf '\n=== summary\n'
printf '%s\n' "${step_summary[@]}"
status=0
if ((total_fail > 0)); then
  status=1
elif ((total_pass == 0)); then
  echo "run-tests: no test ran" >&2
  status=1
fi
echo "$total_pass passed, $total_fail failed"
exit "$status"
