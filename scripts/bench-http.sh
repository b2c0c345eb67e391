#!/usr/bin/env bash
# `make bench-http`: HTTP throughput of ksgate against nginx returning the same bytes, same core.
#
# For each action in bench/http/actions.txt: ksgate (--threads 1) is started pinned to one core,
# its response is captured with curl, wrk (pinned to another core) loads it; then ksgate is stopped
# and a throwaway nginx (1 worker, same core) serving the captured body and Content-Type is loaded
# the same way. Prints requests/s, p50/p99 latency and the ksgate/nginx ratio; the raw wrk output
# goes to build/bench-http/results.txt. Uses its own temp SQLite db and partner.
#
# Environment (defaults):
#   BENCH_DURATION=10s  BENCH_CONNECTIONS=32  BENCH_WRK_THREADS=1  BENCH_WARMUP=2s (0 = none)
#   BENCH_SERVER_CPU=1  BENCH_CLIENT_CPU=0    BENCH_ACTIONS=bench/http/actions.txt
#   BENCH_TARGETS="ksgate nginx"  (nginx alone still starts ksgate once to capture the bodies)
#   KSGATE_BIN=build/release/ksgate   KSGATE_KEEP_TMP=1 keeps the temp dir (configs, logs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

die() { printf 'bench-http: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench-http: %s\n' "$*" >&2; }

BIN="${KSGATE_BIN:-$ROOT/build/release/ksgate}"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
WRK_THREADS="${BENCH_WRK_THREADS:-1}"
WARMUP="${BENCH_WARMUP:-2s}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
ACTIONS_FILE="${BENCH_ACTIONS:-$ROOT/bench/http/actions.txt}"
TARGETS="${BENCH_TARGETS:-ksgate nginx}"
NGINX_TEMPLATE="$ROOT/bench/nginx/nginx.conf.in"
POST_LUA="$ROOT/bench/http/post.lua"
OUT_DIR="$ROOT/build/bench-http"
RESULTS="$OUT_DIR/results.txt"

for tool in nginx wrk taskset setsid curl; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run 'scripts/install-deps.sh test'"
done
[[ -x "$BIN" ]] || die "$BIN not found; build it with 'make build'"
[[ -f "$ACTIONS_FILE" ]] || die "actions file $ACTIONS_FILE not found"
if (($(nproc) < 2)) && [[ -z "${BENCH_SERVER_CPU:-}${BENCH_CLIENT_CPU:-}" ]]; then
  log "warning: only one CPU; server and wrk share core 0 (numbers are not comparable to 2-core runs)"
  SERVER_CPU=0 CLIENT_CPU=0
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-bench-http.XXXXXX")"
server_pid="" # process group (setsid) of the server currently running, if any
wrk_pid=""

stop_server() {
  [[ -n "$server_pid" ]] || return 0
  local pid="$server_pid" i
  server_pid=""
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$wrk_pid" ]]; then kill "$wrk_pid" 2>/dev/null || true; fi
  stop_server
  if [[ -n "${KSGATE_KEEP_TMP:-}" ]]; then log "temp files kept in $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port found"
}

json_field() {
  sed -nE "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"?([^\",}]*)\"?.*/\\1/p" "$1" | head -n 1
}

# ---- throwaway database and partner ----------------------------------------------------------
DB="$TMP/ksgate.db"
"$BIN" migrate --db "sqlite:$DB" >"$TMP/migrate.log" 2>&1 ||
  { cat "$TMP/migrate.log" >&2; die "ksgate migrate failed"; }
"$BIN" partner add --db "sqlite:$DB" --name "Bench partner" --json >"$TMP/partner.json" 2>"$TMP/partner.err" ||
  { cat "$TMP/partner.err" >&2; die "ksgate partner add failed"; }
PARTNER_ID="$(json_field "$TMP/partner.json" id)"
ADMIN_SECRET="$(json_field "$TMP/partner.json" adminSecret)"
SECRET="$(json_field "$TMP/partner.json" secret)"
[[ -n "$PARTNER_ID" ]] || die "cannot read the partner id from: $(cat "$TMP/partner.json")"

# ---- actions ----------------------------------------------------------------------------------
names=() methods=() paths=()
n=0
while read -r name method target body || [[ -n "${name:-}" ]]; do
  [[ -z "${name:-}" || "$name" == \#* ]] && continue
  [[ "$method" == GET || "$method" == POST ]] || die "$ACTIONS_FILE: $name: method must be GET or POST"
  [[ "$target" == /* ]] || die "$ACTIONS_FILE: $name: path must start with /"
  subst() {
    local s="$1"
    s="${s//\{partnerId\}/$PARTNER_ID}"
    s="${s//\{adminSecret\}/$ADMIN_SECRET}"
    s="${s//\{secret\}/$SECRET}"
    printf '%s' "$s"
  }
  names+=("$name") methods+=("$method") paths+=("$(subst "$target")")
  if [[ "$method" == POST ]]; then
    [[ -n "${body:-}" ]] || die "$ACTIONS_FILE: $name: a POST action needs a JSON body"
    subst "$body" >"$TMP/request.$n.json"
  fi
  n=$((n + 1))
done <"$ACTIONS_FILE"
((n > 0)) || die "no actions in $ACTIONS_FILE"

# curl_action BASE_URL INDEX OUT_PREFIX: one request; writes OUT_PREFIX.body and OUT_PREFIX.headers.
curl_action() {
  local url="$1${paths[$2]}" args=(-sS -o "$3.body" -D "$3.headers" --max-time 5)
  if [[ "${methods[$2]}" == POST ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary "@$TMP/request.$2.json")
  fi
  curl "${args[@]}" "$url"
}

header_value() { # FILE NAME -> value of the last such header, CR stripped
  grep -i "^$2:" "$1" | tail -n 1 | cut -d: -f2- | sed -E 's/^[[:space:]]+//; s/[[:space:]\r]+$//'
}

status_code() { head -n 1 "$1" | awk '{print $2}'; }

# wrk_run LABEL URL INDEX: warm-up, then the measured run; raw output to $TMP/wrk.LABEL.txt.
wrk_run() {
  local label="$1" url="$2" i="$3" args=(-t"$WRK_THREADS" -c"$CONNECTIONS" --latency)
  local envs=()
  if [[ "${methods[$i]}" == POST ]]; then
    args+=(-s "$POST_LUA")
    envs=(WRK_BODY_FILE="$TMP/request.$i.json")
  fi
  if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
    run_wrk "${args[@]}" -d"$WARMUP" "$url" >/dev/null
  fi
  log "$label: wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION (cpu $CLIENT_CPU)"
  run_wrk "${args[@]}" -d"$DURATION" "$url" >"$TMP/wrk.$label.txt"
}

# wrk in the background + wait, so Ctrl-C / SIGTERM run the trap at once, not after the run.
run_wrk() {
  env "${envs[@]}" taskset -c "$CLIENT_CPU" wrk "$@" &
  wrk_pid=$!
  local rc=0
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  ((rc == 0)) || die "wrk failed (exit $rc): wrk $*"
}

# ---- ksgate -------------------------------------------------------------------------------------
start_ksgate() {
  : >"$TMP/ksgate.out" # created here: the background job may open it after the first poll
  # setsid: the server leads its own process group, so stop_server reaches everything it started.
  setsid taskset -c "$SERVER_CPU" "$BIN" serve --listen 127.0.0.1:0 --db "sqlite:$DB" --threads 1 \
    >"$TMP/ksgate.out" 2>"$TMP/ksgate.err" </dev/null &
  server_pid=$!
  local i port=""
  for ((i = 0; i < 100; i++)); do
    port="$(sed -nE 's/.*listening on [^ ]+:([0-9]+).*/\1/p' "$TMP/ksgate.out" | head -n 1)"
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    cat "$TMP/ksgate.err" >&2
    die "ksgate serve did not print 'listening on HOST:PORT' within 10 s"
  fi
  KSGATE_URL="http://127.0.0.1:$port"
  log "ksgate pid $server_pid on $KSGATE_URL (cpu $SERVER_CPU, --threads 1)"
}

start_ksgate
for ((i = 0; i < n; i++)); do
  curl_action "$KSGATE_URL" "$i" "$TMP/ksgate.$i" || die "${names[$i]}: ksgate did not answer"
  code="$(status_code "$TMP/ksgate.$i.headers")"
  [[ "$code" == 200 ]] || die "${names[$i]}: ksgate answered HTTP $code: $(head -c 300 "$TMP/ksgate.$i.body")"
  if grep -q KalturaAPIException "$TMP/ksgate.$i.body"; then
    die "${names[$i]}: ksgate answered an error: $(head -c 300 "$TMP/ksgate.$i.body")"
  fi
  [[ -n "$(header_value "$TMP/ksgate.$i.headers" Content-Type)" ]] || die "${names[$i]}: no Content-Type from ksgate"
  if [[ " $TARGETS " == *" ksgate "* ]]; then
    wrk_run "ksgate.$i" "$KSGATE_URL${paths[$i]}" "$i"
  fi
done
stop_server

# ---- nginx --------------------------------------------------------------------------------------
# nginx_quote FILE: the file's bytes as an nginx single-quoted string for `return` (\ ' and $ escaped).
nginx_quote() {
  local s
  s="$(cat "$1"; printf x)"
  s="${s%x}"
  s="${s//\\/\\\\}"
  s="${s//\'/\\\'}"
  s="${s//\$/\$\{dollar\}}"
  printf "'%s'" "$s"
}

if [[ " $TARGETS " == *" nginx "* ]]; then
  NGINX_DIR="$TMP/nginx"
  mkdir -p "$NGINX_DIR"
  NGINX_PORT="$(free_port)"
  : >"$TMP/locations.conf"
  for ((i = 0; i < n; i++)); do
    ct="$(header_value "$TMP/ksgate.$i.headers" Content-Type)"
    printf '        location = %s {\n            default_type "%s";\n            return 200 %s;\n        }\n' \
      "${paths[$i]%%\?*}" "$ct" "$(nginx_quote "$TMP/ksgate.$i.body")" >>"$TMP/locations.conf"
  done
  awk -v dir="$NGINX_DIR" -v port="$NGINX_PORT" -v locs="$TMP/locations.conf" '
    /^[[:space:]]*@LOCATIONS@[[:space:]]*$/ { while ((getline line < locs) > 0) print line; next }
    { gsub(/@DIR@/, dir); gsub(/@PORT@/, port); print }' "$NGINX_TEMPLATE" >"$NGINX_DIR/nginx.conf"

  nginx -t -q -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" ||
    die "generated nginx config is invalid: $NGINX_DIR/nginx.conf (KSGATE_KEEP_TMP=1 keeps it)"
  setsid taskset -c "$SERVER_CPU" nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" \
    >"$NGINX_DIR/stdout.log" 2>&1 </dev/null &
  server_pid=$!
  NGINX_URL="http://127.0.0.1:$NGINX_PORT"
  for ((t = 0; t < 50; t++)); do
    curl -s -o /dev/null --max-time 1 "$NGINX_URL/" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$NGINX_DIR/error.log" >&2; die "nginx exited at start-up"; }
    sleep 0.1
  done
  log "nginx pid $server_pid on $NGINX_URL (cpu $SERVER_CPU, 1 worker)"
  for ((i = 0; i < n; i++)); do
    curl_action "$NGINX_URL" "$i" "$TMP/nginx.$i" || die "${names[$i]}: nginx did not answer"
    cmp -s "$TMP/ksgate.$i.body" "$TMP/nginx.$i.body" ||
      die "${names[$i]}: nginx body differs from ksgate's ($TMP/nginx.$i.body; KSGATE_KEEP_TMP=1 keeps it)"
    [[ "$(header_value "$TMP/nginx.$i.headers" Content-Type)" == "$(header_value "$TMP/ksgate.$i.headers" Content-Type)" ]] ||
      die "${names[$i]}: nginx Content-Type differs from ksgate's"
    wrk_run "nginx.$i" "$NGINX_URL${paths[$i]}" "$i"
  done
  stop_server
fi

# ---- report -------------------------------------------------------------------------------------
to_ms() { # wrk latency (123.45us / 1.23ms / 1.02s / 2.00m) -> milliseconds
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "-"; exit }
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1
    printf "%.3f", n * f }'
}
wrk_field() { # FILE WHAT
  case "$2" in
    rps) awk '/^Requests\/sec:/ {print $2}' "$1" ;;
    p50) awk '$1 == "50%" {print $2; exit}' "$1" ;;
    p99) awk '$1 == "99%" {print $2; exit}' "$1" ;;
    errors) awk '/Non-2xx or 3xx responses:/ {e += $NF} /Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} END {print e + 0}' "$1" ;;
  esac
}

mkdir -p "$OUT_DIR"
table="$TMP/table.txt"
{
  printf '%-22s %-7s %12s %10s %10s %8s %13s\n' action target requests/s 'p50 (ms)' 'p99 (ms)' errors ksgate/nginx
  for ((i = 0; i < n; i++)); do
    k_rps="" x_rps=""
    for target in nginx ksgate; do
      f="$TMP/wrk.$target.$i.txt"
      [[ -f "$f" ]] || continue
      rps="$(wrk_field "$f" rps)"
      ratio=""
      if [[ "$target" == nginx ]]; then x_rps="$rps"; else k_rps="$rps"; fi
      if [[ "$target" == ksgate && -n "$x_rps" ]]; then
        ratio="$(awk -v a="$k_rps" -v b="$x_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
      fi
      printf '%-22s %-7s %12s %10s %10s %8s %13s\n' "${names[$i]}" "$target" "$rps" \
        "$(to_ms "$(wrk_field "$f" p50)")" "$(to_ms "$(wrk_field "$f" p99)")" "$(wrk_field "$f" errors)" "$ratio"
    done
  done
} >"$table"

{
  echo "# ksgate HTTP benchmark, $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
  echo "# git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs:" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "# servers on cpu $SERVER_CPU (ksgate --threads 1, nginx 1 worker), wrk on cpu $CLIENT_CPU:" \
    "-t$WRK_THREADS -c$CONNECTIONS -d$DURATION, warm-up $WARMUP"
  echo
  cat "$table"
  for f in "$TMP"/wrk.*.txt; do
    [[ -f "$f" ]] || continue
    label="$(basename "$f" .txt)"
    label="${label#wrk.}"
    echo
    echo "## ${label%.*} ${names[${label##*.}]} (${methods[${label##*.}]} ${paths[${label##*.}]})"
    cat "$f"
  done
} >"$RESULTS"

echo
cat "$table"
echo
echo "raw results: ${RESULTS#"$ROOT"/}"
# Socket errors or non-2xx answers make a run's requests/s meaningless: say so loudly.
for f in "$TMP"/wrk.*.txt; do
  [[ -f "$f" ]] || continue
  errors="$(wrk_field "$f" errors)"
  if ((errors > 0)); then
    label="$(basename "$f" .txt)"
    label="${label#wrk.}"
    log "warning: ${label%.*} ${names[${label##*.}]}: $errors socket errors / non-2xx responses" \
      "($(grep -hE 'Socket errors|Non-2xx' "$f" | tr -s ' ' | tr '\n' ';')) - the numbers are not valid"
  fi
done
