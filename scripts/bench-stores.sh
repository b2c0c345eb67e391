#!/usr/bin/env bash
# `make bench-stores`: what the store costs, in one run (docs/benchmarks.md "Stores").
#
#  1. appToken.startSession, session.get and appToken.add through scripts/bench-http.sh (ksgate on
#     one core, wrk on the other), on SQLite and then on PostgreSQL, both with durable commits: a
#     throwaway cluster (scripts/pg-cluster.sh, KSGATE_PG_DURABLE=1) on the client's core, as a
#     database server on another machine would be.
#  2. Whether a write holds an I/O thread: session.get latency (wrk, one connection) on a node
#     (--threads 1, SQLite) alone, then while appToken.add runs at full speed on the same node
#     (wrk, BENCH_ADD_CONNECTIONS connections), for KSGATE_BIN and, when set, BENCH_BEFORE_BIN
#     (an older binary); then whether issue 13's group-commit targets hold (appToken.add
#     >= 15,000/s, session.get p99 during adds < 2 ms).
#
# Environment: KSGATE_BIN (build/release/ksgate), BENCH_BEFORE_BIN (none), BENCH_DURATION (10s),
# BENCH_SERVER_CPU (1), BENCH_CLIENT_CPU (0), BENCH_PARTS ("1 2"; "2" runs part 2 alone, without
# PostgreSQL), BENCH_ADD_CONNECTIONS (64: group commit needs many adds at once). Prints the
# tables; raw output in build/bench-stores/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
source "$ROOT/scripts/bench-lib.sh"
die() { printf 'bench-stores: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench-stores: %s\n' "$*" >&2; }

BIN="${KSGATE_BIN:-$ROOT/build/release/ksgate}"
BEFORE="${BENCH_BEFORE_BIN:-}"
DURATION="${BENCH_DURATION:-10s}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
PARTS="${BENCH_PARTS:-1 2}"
ADD_CONNECTIONS="${BENCH_ADD_CONNECTIONS:-64}"
OUT="$ROOT/build/bench-stores"
for tool in wrk taskset setsid curl; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run 'scripts/install-deps.sh test'"
done
[[ -x "$BIN" ]] || die "$BIN not found; build it with 'make build'"
[[ -z "$BEFORE" || -x "$BEFORE" ]] || die "BENCH_BEFORE_BIN=$BEFORE is not an executable"
mkdir -p "$OUT"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-bench-stores.XXXXXX")"
PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-bench-pg.XXXXXX")" # the postgres user must reach it
server_pid="" wrk_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -z "$wrk_pid" ]] || kill "$wrk_pid" 2>/dev/null || true
  if [[ -n "$server_pid" ]]; then kill -TERM -- "-$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  scripts/pg-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. SQLite and PostgreSQL -------------------------------------------------------------------
part1() {
  ACTIONS="$TMP/actions.txt"
  grep -E '^(appTokenStart|sessionGet|appTokenAdd)[[:space:]]' bench/http/actions.txt >"$ACTIONS"
  DSN="$(KSGATE_PG_DURABLE=1 taskset -c "$CLIENT_CPU" scripts/pg-cluster.sh start "$PG_DIR")"
  psql -X -q -d "$DSN" -c 'CREATE DATABASE ksgate_bench' >/dev/null
  PG_URL="${DSN%/postgres}/ksgate_bench"
  for store in sqlite postgres; do
    log "$store: scripts/bench-http.sh (appToken.startSession, session.get, appToken.add)"
    url=""
    [[ "$store" == postgres ]] && url="$PG_URL"
    BENCH_DB_URL="$url" BENCH_TARGETS=ksgate BENCH_ACTIONS="$ACTIONS" KSGATE_BIN="$BIN" \
      scripts/bench-http.sh >"$OUT/http.$store.txt" 2>"$OUT/http.$store.log" ||
      { tail -n 20 "$OUT/http.$store.log" >&2; die "bench-http on $store failed"; }
    cp build/bench-http/results.txt "$OUT/results.$store.txt"
  done
}
[[ " $PARTS " != *" 1 "* ]] || part1

# ---- 2. session.get while appToken.add runs ------------------------------------------------------
# writes_and_reads LABEL BINARY: the measurement of part 2 for one binary.
writes_and_reads() {
  local label="$1" bin="$2" dir="$TMP/$1" port="" i
  mkdir -p "$dir"
  "$bin" migrate --db "sqlite:$dir/ksgate.db" >/dev/null 2>&1 || die "$label: migrate failed"
  "$bin" partner add --db "sqlite:$dir/ksgate.db" --name bench --json >"$dir/partner.json" 2>/dev/null ||
    die "$label: partner add failed"
  : >"$dir/out"
  setsid taskset -c "$SERVER_CPU" "$bin" serve --listen 127.0.0.1:0 --db "sqlite:$dir/ksgate.db" \
    --threads 1 >"$dir/out" 2>"$dir/err" </dev/null &
  server_pid=$!
  for ((i = 0; i < 100; i++)); do
    port="$(sed -nE 's/.*listening on [^ ]+:([0-9]+).*/\1/p' "$dir/out" | head -n 1)"
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || die "$label: ksgate did not start"
  local url="http://127.0.0.1:$port/api_v3/service" ks
  ks="$(curl -sS --max-time 5 -H 'Content-Type: application/json' \
    -d "{\"partnerId\":$(json_field "$dir/partner.json" id),\"secret\":\"$(json_field "$dir/partner.json" adminSecret)\",\"type\":2,\"format\":1}" \
    "$url/session/action/start" | tr -d '"')"
  [[ "$ks" =~ ^[A-Za-z0-9_=-]+$ ]] || die "$label: session.start failed"
  printf '{"ks":"%s","format":1}' "$ks" >"$dir/get.json"
  printf '{"ks":"%s","format":1,"appToken":{"objectType":"KalturaAppToken","description":"bench"}}' "$ks" >"$dir/add.json"
  WRK_BODY_FILE="$dir/get.json" taskset -c "$CLIENT_CPU" wrk -t1 -c1 -d2s -s bench/http/post.lua \
    "$url/session/action/get" >/dev/null
  WRK_BODY_FILE="$dir/get.json" taskset -c "$CLIENT_CPU" wrk -t1 -c1 -d"$DURATION" --latency \
    -s bench/http/post.lua "$url/session/action/get" >"$OUT/$label.get-alone.txt"
  WRK_BODY_FILE="$dir/add.json" taskset -c "$CLIENT_CPU" wrk -t1 -c"$ADD_CONNECTIONS" -d"$DURATION" --latency \
    -s bench/http/post.lua "$url/apptoken/action/add" >"$OUT/$label.add.txt" &
  wrk_pid=$!
  WRK_BODY_FILE="$dir/get.json" taskset -c "$CLIENT_CPU" wrk -t1 -c1 -d"$DURATION" --latency \
    -s bench/http/post.lua "$url/session/action/get" >"$OUT/$label.get-during.txt"
  wait "$wrk_pid"
  wrk_pid=""
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
labels=(after)
writes_and_reads after "$BIN"
if [[ -n "$BEFORE" ]]; then
  writes_and_reads before "$BEFORE"
  labels=(before after)
fi

# wrk_p99_below_2ms LATENCY: "yes" if wrk's latency text (850.00us, 1.20ms, 2.01s) is under 2 ms.
wrk_p99_below_2ms() {
  awk -v l="$1" 'BEGIN {
    v = l + 0; u = l; sub(/^[0-9.]+/, "", u)
    us = (u == "us") ? v : (u == "ms") ? v * 1000 : (u == "s") ? v * 1e6 : -1
    print (us >= 0 && us < 2000) ? "yes" : "NO" }'
}

# ---- report -------------------------------------------------------------------------------------
{
  echo "# ksgate store benchmark, $(date -u '+%Y-%m-%dT%H:%M:%SZ'), git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "# ksgate $BIN (sha256 $(sha256sum "$BIN" | cut -c1-12)) on cpu $SERVER_CPU, wrk and PostgreSQL on cpu $CLIENT_CPU"
  echo
  if [[ " $PARTS " == *" 1 "* ]]; then
    echo "## 1. requests/s by store (durable commits on both; ratio = PostgreSQL / SQLite)"
    printf '%-16s %12s %12s %7s\n' action sqlite postgres ratio
    for action in appTokenStart sessionGet appTokenAdd; do
      s="$(awk -v a="$action" '$1 == a && $2 == "ksgate" {print $3}' "$OUT/http.sqlite.txt")"
      p="$(awk -v a="$action" '$1 == a && $2 == "ksgate" {print $3}' "$OUT/http.postgres.txt")"
      printf '%-16s %12s %12s %7s\n' "$action" "$s" "$p" "$(awk -v s="$s" -v p="$p" 'BEGIN { if (s > 0) printf "%.2f", p / s }')"
    done
    echo
  fi
  echo "## 2. session.get (1 connection) on a node alone and while appToken.add runs ($ADD_CONNECTIONS connections)"
  printf '%-8s %14s %14s %16s %16s %12s\n' binary 'alone p50' 'alone p99' 'during add p50' 'during add p99' 'add/s'
  for label in "${labels[@]}"; do
    printf '%-8s %14s %14s %16s %16s %12s\n' "$label" \
      "$(wrk_field "$OUT/$label.get-alone.txt" p50)" "$(wrk_field "$OUT/$label.get-alone.txt" p99)" \
      "$(wrk_field "$OUT/$label.get-during.txt" p50)" "$(wrk_field "$OUT/$label.get-during.txt" p99)" \
      "$(wrk_field "$OUT/$label.add.txt" rps)"
  done
  # Issue 13's targets for group commit: appToken.add >= 15,000/s, session.get p99 < 2 ms.
  adds="$(wrk_field "$OUT/after.add.txt" rps)"
  p99="$(wrk_field "$OUT/after.get-during.txt" p99)"
  echo "targets: appToken.add/s $adds >= 15000: $(awk -v r="$adds" 'BEGIN { print (r + 0 >= 15000) ? "yes" : "NO" }');" \
    "session.get p99 during adds $p99 < 2ms: $(wrk_p99_below_2ms "$p99")"
  [[ -z "$BEFORE" ]] || echo "# before: $BEFORE (sha256 $(sha256sum "$BEFORE" | cut -c1-12))"
} | tee "$OUT/report.txt"
