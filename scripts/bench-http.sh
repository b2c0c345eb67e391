#!/usr/bin/env bash
# `make bench-http`: HTTP throughput of ksgate against nginx returning the same bytes, same core.
#
# ksgate (--threads 1) and a throwaway nginx (1 worker) run side by side, both pinned to one core
# (BENCH_SERVER_CPU); wrk runs pinned to the other (BENCH_CLIENT_CPU). Only one of them is loaded
# at a time. For each action in bench/http/actions.txt, ksgate's answer to one curl request is
# captured and nginx is configured to answer that path with the same body, Content-Type and extra
# headers; then wrk loads ksgate and, right after, nginx, so that both numbers of a pair are taken
# seconds apart under the same conditions. Prints requests/s, p50/p99 latency, errors and the
# ksgate/nginx ratio; the raw wrk output goes to build/bench-http/results.txt. Uses its own temp
# SQLite db and partner.
#
# Set-up, on that db and partner, before any measurement (values for the action lines, see
# bench/http/actions.txt): an admin KS (session.start type 2), an app token (appToken.add, hashType
# SHA256), a widget KS (session.startWidgetSession) and tokenHash = sha256(widgetKs + token). The
# admin KS has a user id and a privilege, so that the authorize answer has no empty header (nginx
# cannot send one).
# ksgate must stay up for the whole run: if it exits during a wrk run, the script stops with its
# exit status and the tail of its stderr, and keeps the temp dir.
#
# Environment (defaults):
#   BENCH_DURATION=10s  BENCH_CONNECTIONS=32  BENCH_WRK_THREADS=1  BENCH_WARMUP=2s (0 = none)
#   BENCH_SERVER_CPU=1  BENCH_CLIENT_CPU=0    BENCH_ACTIONS=bench/http/actions.txt
#   BENCH_TARGETS="ksgate nginx"  (nginx alone still starts ksgate once to capture the bodies)
#   BENCH_IDLE_WAIT=15  seconds, in all, that the script may wait before runs for other processes to
#                       leave the CPUs alone (the "other%" column shows what they took during a run)
#   BENCH_NICE=-15      nice level of servers and wrk when permitted (root); 0 = leave as is
#   KSGATE_BIN=build/release/ksgate   KSGATE_KEEP_TMP=1 keeps the temp dir (configs, logs)
#   BENCH_DB_URL=sqlite:<temp dir>/ksgate.db (another store: an empty database's URL)
#   BENCH_UPSTREAM=node (or nginx): the upstream of gate actions, see below
# With the defaults and the 6 actions of actions.txt a run takes about 200 s (150 s of throughput
# runs, 50 s of latency runs; at most ~15 s more on a busy machine).
#
# `@target ACTION RATIO [NOTE]` lines of the actions file: after the table, one line per target
# says whether the action's ratio (ksgate/nginx, or gate/direct) is at least RATIO.
# `@latency ACTION` lines: after the throughput runs, ksgate answers ACTION at half the rate it
# reached, paced by wrk (bench/http/paced.lua), and the report gives p50, p99 and p99.9.
#
# The gate (docs/gateway.md) is measured too. An `@upstream SERVICE FILE` line of the actions file
# starts a second nginx, the upstream, that answers /api_v3/service/SERVICE/... with FILE's bytes;
# ksgate runs with --upstream SERVICE=<that nginx>. An action on an upstream service is measured
# through ksgate (the gate) and then against the upstream directly (target "direct"): the ratio is
# gate/direct. The upstream runs on the client's core, beside wrk, as a separate machine would be:
# ksgate keeps its core to itself in every row. A GET action may carry request headers (the
# authorize endpoint reads its KS from Authorization); its nginx twin answers with the same status
# (204 for an allowed authorize) and headers.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

source "$ROOT/scripts/bench-lib.sh"
die() { printf 'bench-http: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench-http: %s\n' "$*" >&2; }

BIN="${KSGATE_BIN:-$ROOT/build/release/ksgate}"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
WRK_THREADS="${BENCH_WRK_THREADS:-1}"
WARMUP="${BENCH_WARMUP:-2s}"
IDLE_WAIT="${BENCH_IDLE_WAIT:-15}"
NICE_LEVEL="${BENCH_NICE:--15}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
ACTIONS_FILE="${BENCH_ACTIONS:-$ROOT/bench/http/actions.txt}"
TARGETS="${BENCH_TARGETS:-ksgate nginx}"
NGINX_TEMPLATE="$ROOT/bench/nginx/nginx.conf.in"
POST_LUA="$ROOT/bench/http/post.lua"
OUT_DIR="$ROOT/build/bench-http"
RESULTS="$OUT_DIR/results.txt"

for tool in nginx wrk taskset setsid curl sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run 'scripts/install-deps.sh test'"
done
[[ -x "$BIN" ]] || die "$BIN not found; build it with 'make build'"
[[ -f "$ACTIONS_FILE" ]] || die "actions file $ACTIONS_FILE not found"
if (($(nproc) < 2)) && [[ -z "${BENCH_SERVER_CPU:-}${BENCH_CLIENT_CPU:-}" ]]; then
  log "warning: only one CPU; server and wrk share core 0 (numbers are not comparable to 2-core runs)"
  SERVER_CPU=0 CLIENT_CPU=0
fi

# Servers and wrk run at a raised priority when allowed, so that a compiler or test run next door
# takes (almost) no time from them; what others still take shows in the other% column.
NICE=()
# (nice without the permission still runs the command, with a complaint on stderr.)
if [[ "$NICE_LEVEL" != 0 && -z "$(nice -n "$NICE_LEVEL" true 2>&1)" ]]; then
  NICE=(nice -n "$NICE_LEVEL")
elif [[ "$NICE_LEVEL" != 0 ]]; then
  log "note: cannot raise priority (nice $NICE_LEVEL); servers and wrk run at normal priority"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-bench-http.XXXXXX")"
ksgate_pid="" # process groups (setsid) of the servers, while running
nginx_pid=""
wrk_pid=""

# stop_group PID: TERM to the process group PID, KILL after 5 s.
stop_group() {
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_servers() {
  local k="$ksgate_pid" x="$nginx_pid" u="${upstream_pid:-}"
  ksgate_pid="" nginx_pid="" upstream_pid=""
  stop_group "$k"
  stop_group "$x"
  stop_group "$u"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$wrk_pid" ]]; then kill "$wrk_pid" 2>/dev/null || true; fi
  stop_servers
  if [[ -n "${UPSTREAM_ROOT:-}" ]]; then rm -rf "$UPSTREAM_ROOT"; fi
  if [[ -n "${KSGATE_KEEP_TMP:-}" ]]; then log "temp files kept in $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM

# A TCP port on 127.0.0.1 that nothing listens on right now.
# Ports are drawn below the kernel's ephemeral range: a port in it may be the local end of one of
# the thousands of connections a run leaves (wrk's, the gate's), which no probe sees listening
# but which makes nginx's bind() fail with "Address already in use".
free_port() {
  local port i low=32768 span
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  span=$((low - 10000))
  ((span >= 1000)) || span=1000
  for ((i = 0; i < 100; i++)); do
    port=$((10000 + RANDOM % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port found"
}

# cpu_busy SECONDS: percentage of all CPUs' time spent busy (not idle/iowait) over SECONDS.
cpu_busy() {
  local a b
  a="$(head -n 1 /proc/stat)"
  sleep "$1"
  b="$(head -n 1 /proc/stat)"
  awk -v a="$a" -v b="$b" 'BEGIN {
    na = split(a, x); split(b, y); t = 0
    for (i = 2; i <= na; i++) t += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f", (t > 0 ? 100 * (t - idle) / t : 0) }'
}


# ---- throwaway database and partner ----------------------------------------------------------
# BENCH_DB_URL: another store (an empty PostgreSQL database, say: scripts/bench-stores.sh).
DB_URL="${BENCH_DB_URL:-sqlite:$TMP/ksgate.db}"
"$BIN" migrate --db "$DB_URL" >"$TMP/migrate.log" 2>&1 ||
  { cat "$TMP/migrate.log" >&2; die "ksgate migrate failed"; }
"$BIN" partner add --db "$DB_URL" --name "Bench partner" --json >"$TMP/partner.json" 2>"$TMP/partner.err" ||
  { cat "$TMP/partner.err" >&2; die "ksgate partner add failed"; }
# Values for the {name} placeholders of the action lines; the set-up below adds more.
declare -A VARS=(
  [partnerId]="$(json_field "$TMP/partner.json" id)"
  [adminSecret]="$(json_field "$TMP/partner.json" adminSecret)"
  [secret]="$(json_field "$TMP/partner.json" secret)"
)
[[ -n "${VARS[partnerId]}" ]] || die "cannot read the partner id from: $(cat "$TMP/partner.json")"

# subst TEXT: TEXT with every {name} of VARS replaced; an unknown {name} is an error.
subst() {
  local s="$1" k rest
  for k in "${!VARS[@]}"; do s="${s//"{$k}"/"${VARS[$k]}"}"; done
  rest="$(grep -oE '\{[A-Za-z_][A-Za-z0-9_]*\}' <<<"$s" | head -n 1 || true)"
  [[ -z "$rest" ]] || die "unknown placeholder $rest (known: $(printf '{%s} ' "${!VARS[@]}"))"
  printf '%s' "$s"
}

# ---- helpers: one request with curl, response checks ----------------------------------------
# curl_request URL METHOD BODY_FILE OUT_PREFIX [HEADER...]: one request; writes OUT_PREFIX.body
# and OUT_PREFIX.headers. BODY_FILE is sent as JSON for POST; each HEADER ("Name: value") is sent.
curl_request() {
  local args=(-sS -o "$4.body" -D "$4.headers" --max-time 5) h
  if [[ "$2" == POST ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary "@$3")
  fi
  for h in "${@:5}"; do args+=(-H "$h"); done
  curl "${args[@]}" "$1"
}

header_value() { # FILE NAME -> value of the last such header, CR stripped
  grep -i "^$2:" "$1" | tail -n 1 | cut -d: -f2- | sed -E 's/^[[:space:]]+//; s/[[:space:]\r]+$//'
}

status_code() { head -n 1 "$1" | awk '{print $2}'; }

# check_ok WHAT OUT_PREFIX: dies unless the answer is HTTP 200, has a Content-Type and is not a
# KalturaAPIException; or is HTTP 204 (an allowed authorize) with no body.
check_ok() {
  local code
  code="$(status_code "$2.headers")"
  if [[ "$code" == 204 && ! -s "$2.body" ]]; then return 0; fi
  [[ "$code" == 200 ]] || die "$1: ksgate answered HTTP $code: $(head -c 300 "$2.body")"
  if grep -q KalturaAPIException "$2.body"; then
    die "$1: ksgate answered an error: $(head -c 300 "$2.body")"
  fi
  [[ -n "$(header_value "$2.headers" Content-Type)" ]] || die "$1: no Content-Type from ksgate"
}

# ---- nginx helpers -------------------------------------------------------------------------------
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

# nginx_config DIR PORT LOCATIONS_FILE: DIR/nginx.conf from the template, checked.
nginx_config() {
  awk -v dir="$1" -v port="$2" -v locs="$3" '
    /^[[:space:]]*@LOCATIONS@[[:space:]]*$/ { while ((getline line < locs) > 0) print line; next }
    { gsub(/@DIR@/, dir); gsub(/@PORT@/, port); print }' "$NGINX_TEMPLATE" >"$1/nginx.conf"
  nginx -t -q -p "$1" -e "$1/error.log" -c "$1/nginx.conf" ||
    die "generated nginx config is invalid: $1/nginx.conf (KSGATE_KEEP_TMP=1 keeps it)"
}

# wait_nginx URL PID DIR: until the nginx at URL answers; dies if it exits.
wait_nginx() {
  local t
  for ((t = 0; t < 50; t++)); do
    curl -s -o /dev/null --max-time 1 "$1/" && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3/error.log" >&2; die "nginx exited at start-up"; }
    sleep 0.1
  done
  die "nginx at $1 did not answer within 5 s"
}

# ---- ksgate -------------------------------------------------------------------------------------
start_ksgate() {
  : >"$TMP/ksgate.out" # created here: the background job may open it after the first poll
  # setsid: the server leads its own process group, so stop_group reaches everything it started.
  setsid "${NICE[@]}" taskset -c "$SERVER_CPU" "$BIN" serve --listen 127.0.0.1:0 --db "$DB_URL" --threads 1 \
    "${UPSTREAM_ARGS[@]}" \
    >"$TMP/ksgate.out" 2>"$TMP/ksgate.err" </dev/null &
  ksgate_pid=$!
  local i port=""
  for ((i = 0; i < 100; i++)); do
    port="$(sed -nE 's/.*listening on [^ ]+:([0-9]+).*/\1/p' "$TMP/ksgate.out" | head -n 1)"
    [[ -n "$port" ]] && break
    kill -0 "$ksgate_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    cat "$TMP/ksgate.err" >&2
    die "ksgate serve did not print 'listening on HOST:PORT' within 10 s"
  fi
  KSGATE_URL="http://127.0.0.1:$port"
  log "ksgate pid $ksgate_pid on $KSGATE_URL (cpu $SERVER_CPU, --threads 1)"
}

# check_ksgate_alive WHEN: dies, keeping the temp dir, if ksgate has exited. A server that goes away
# during a wrk run shows up in wrk as ~one read error per connection and then a flood of "write"
# errors (wrk reconnects at once; the refused connect surfaces on its first write), with a
# requests/s figure that still looks plausible: never report such a run.
check_ksgate_alive() {
  kill -0 "$ksgate_pid" 2>/dev/null && return 0
  local rc=0 how
  [[ -n "$ksgate_pid" ]] || return 0
  wait "$ksgate_pid" 2>/dev/null || rc=$?
  ksgate_pid=""
  if ((rc > 128)); then how="killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo '?'))"; else how="exit status $rc"; fi
  KSGATE_KEEP_TMP=1
  log "ksgate exited $1: $how; last lines of its stderr:"
  tail -n 20 "$TMP/ksgate.err" >&2 || true
  die "ksgate exited $1 ($how); the run is invalid (temp dir kept: $TMP)"
}

# ---- the upstream (for gate actions) --------------------------------------------------------------
# `@upstream SERVICE FILE` lines of the actions file (FILE relative to the repository): a server
# that answers /api_v3/service/SERVICE/... with FILE's bytes. BENCH_UPSTREAM=node (the default): a
# small node HTTP server (bench/http/upstream.js), which like a real API server costs more per
# request than the gate relaying it; BENCH_UPSTREAM=nginx: nginx serving the file, the fastest
# upstream there is, which shows the gate's own cost as a ratio.
UPSTREAM_KIND="${BENCH_UPSTREAM:-node}"
[[ "$UPSTREAM_KIND" == node || "$UPSTREAM_KIND" == nginx ]] || die "BENCH_UPSTREAM must be node or nginx"
UPSTREAM_ARGS=() UPSTREAM_SERVICES=() upstream_pid="" UPSTREAM_URL="" UPSTREAM_ROOT="" NODE_ARGS=()
while read -r word service file _ || [[ -n "${word:-}" ]]; do
  [[ "${word:-}" == @upstream ]] || continue
  [[ "$service" =~ ^[A-Za-z][A-Za-z0-9_]*$ && -f "$ROOT/$file" ]] ||
    die "$ACTIONS_FILE: bad line: @upstream $service $file (SERVICE FILE, FILE in the repository)"
  UPSTREAM_SERVICES+=("${service,,}")
  NODE_ARGS+=("${service,,}=$ROOT/$file")
  # nginx: a static file (a `return` string is limited to 4 KB), its descriptor kept open, in a
  # directory of its own that the unprivileged worker may read ($TMP, with the database, is 0700).
  if [[ -z "$UPSTREAM_ROOT" ]]; then
    UPSTREAM_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-bench-upstream.XXXXXX")"
    chmod 755 "$UPSTREAM_ROOT"
  fi
  install -m 644 "$ROOT/$file" "$UPSTREAM_ROOT/${service,,}.json"
  printf '        location /api_v3/service/%s/ {\n            default_type "application/json";\n            root %s;\n            open_file_cache max=16;\n            try_files /%s.json =404;\n        }\n' \
    "$service" "$UPSTREAM_ROOT" "${service,,}" >>"$TMP/upstream-locations.conf"
done <"$ACTIONS_FILE"
if ((${#UPSTREAM_SERVICES[@]})); then
  UPSTREAM_DIR="$TMP/upstream"
  mkdir -p "$UPSTREAM_DIR"
  if [[ "$UPSTREAM_KIND" == nginx ]]; then
    UPSTREAM_PORT="$(free_port)"
    nginx_config "$UPSTREAM_DIR" "$UPSTREAM_PORT" "$TMP/upstream-locations.conf"
    setsid "${NICE[@]}" taskset -c "$CLIENT_CPU" nginx -p "$UPSTREAM_DIR" -e "$UPSTREAM_DIR/error.log" \
      -c "$UPSTREAM_DIR/nginx.conf" >"$UPSTREAM_DIR/stdout.log" 2>&1 </dev/null &
    upstream_pid=$!
    UPSTREAM_URL="http://127.0.0.1:$UPSTREAM_PORT"
    wait_nginx "$UPSTREAM_URL" "$upstream_pid" "$UPSTREAM_DIR"
  else
    command -v node >/dev/null 2>&1 || die "'node' not found (BENCH_UPSTREAM=nginx needs none)"
    : >"$UPSTREAM_DIR/stdout.log"
    setsid "${NICE[@]}" taskset -c "$CLIENT_CPU" node "$ROOT/bench/http/upstream.js" "${NODE_ARGS[@]}" \
      >"$UPSTREAM_DIR/stdout.log" 2>"$UPSTREAM_DIR/error.log" </dev/null &
    upstream_pid=$!
    for ((t = 0; t < 100; t++)); do
      UPSTREAM_PORT="$(sed -nE 's/^listening on ([0-9]+)$/\1/p' "$UPSTREAM_DIR/stdout.log")"
      [[ -z "$UPSTREAM_PORT" ]] || break
      kill -0 "$upstream_pid" 2>/dev/null || { cat "$UPSTREAM_DIR/error.log" >&2; die "the node upstream exited at start-up"; }
      sleep 0.1
    done
    [[ -n "$UPSTREAM_PORT" ]] || die "the node upstream did not start within 10 s"
    UPSTREAM_URL="http://127.0.0.1:$UPSTREAM_PORT"
  fi
  for service in "${UPSTREAM_SERVICES[@]}"; do UPSTREAM_ARGS+=(--upstream "$service=$UPSTREAM_URL"); done
  log "upstream ($UPSTREAM_KIND) pid $upstream_pid on $UPSTREAM_URL (cpu $CLIENT_CPU): ${UPSTREAM_SERVICES[*]}"
fi

start_ksgate

# ---- set-up: admin KS, app token, widget KS, token hash ---------------------------------------
SETUP="$TMP/setup"
mkdir -p "$SETUP"
API="$KSGATE_URL/api_v3/service"
subst '{"partnerId":{partnerId},"secret":"{adminSecret}","type":2,"userId":"bench-admin","privileges":"disableentitlement","format":1}' >"$SETUP/start.json"
curl_request "$API/session/action/start" POST "$SETUP/start.json" "$SETUP/start" || die "set-up: session.start: no answer"
check_ok "set-up: session.start" "$SETUP/start"
VARS[adminKs]="$(sed -E 's/^[[:space:]]*"//; s/"[[:space:]]*$//' "$SETUP/start.body")" # a JSON string
[[ "${VARS[adminKs]}" =~ ^[A-Za-z0-9_=-]+$ ]] || die "set-up: session.start: not a KS: $(head -c 300 "$SETUP/start.body")"

subst '{"ks":"{adminKs}","format":1,"appToken":{"objectType":"KalturaAppToken","hashType":"SHA256","description":"bench-http"}}' \
  >"$SETUP/add.json"
curl_request "$API/apptoken/action/add" POST "$SETUP/add.json" "$SETUP/add" || die "set-up: appToken.add: no answer"
check_ok "set-up: appToken.add" "$SETUP/add"
VARS[tokenId]="$(json_field "$SETUP/add.body" id)"
VARS[token]="$(json_field "$SETUP/add.body" token)"
[[ -n "${VARS[tokenId]}" && -n "${VARS[token]}" ]] || die "set-up: appToken.add: no id/token in $(head -c 300 "$SETUP/add.body")"

curl_request "$API/session/action/startWidgetSession?widgetId=_${VARS[partnerId]}&format=1" GET "" "$SETUP/widget" ||
  die "set-up: session.startWidgetSession: no answer"
check_ok "set-up: session.startWidgetSession" "$SETUP/widget"
VARS[widgetKs]="$(json_field "$SETUP/widget.body" ks)"
[[ -n "${VARS[widgetKs]}" ]] || die "set-up: session.startWidgetSession: no ks in $(head -c 300 "$SETUP/widget.body")"
# What a client computes: sha256 over the widget KS followed by the token, as lowercase hex.
VARS[tokenHash]="$(printf '%s%s' "${VARS[widgetKs]}" "${VARS[token]}" | sha256sum | cut -d' ' -f1)"
log "set-up: partner ${VARS[partnerId]}, admin KS, app token ${VARS[tokenId]} (SHA256), widget KS, token hash"

# ---- actions ----------------------------------------------------------------------------------
names=() methods=() paths=() headers=() upstream=()
target_names=() target_ratios=() target_notes=() # @target lines
latency_names=()                                   # @latency lines
n=0
# is_upstream PATH: whether PATH is /api_v3/service/S/... for an @upstream service S.
is_upstream() {
  local s="${1#/api_v3/service/}" u
  [[ "$s" != "$1" ]] || return 1
  s="${s%%/*}"
  for u in "${UPSTREAM_SERVICES[@]}"; do [[ "${s,,}" == "$u" ]] && return 0; done
  return 1
}
while read -r name method target body || [[ -n "${name:-}" ]]; do
  [[ -z "${name:-}" || "$name" == \#* || "$name" == @upstream ]] && continue
  if [[ "$name" == @latency ]]; then # @latency ACTION
    latency_names+=("$method")
    continue
  fi
  if [[ "$name" == @target ]]; then # @target ACTION RATIO [ISSUE]
    [[ "$target" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$ACTIONS_FILE: bad line: @target $method $target"
    target_names+=("$method") target_ratios+=("$target") target_notes+=("${body:-}")
    continue
  fi
  [[ "$method" == GET || "$method" == POST ]] || die "$ACTIONS_FILE: $name: method must be GET or POST"
  [[ "$target" == /* ]] || die "$ACTIONS_FILE: $name: path must start with /"
  path="$(subst "$target")"
  for ((j = 0; j < n; j++)); do # nginx has one `location =` per path
    [[ "${paths[$j]%%\?*}" != "${path%%\?*}" ]] || die "$ACTIONS_FILE: $name: same path as ${names[$j]}"
  done
  names+=("$name") methods+=("$method") paths+=("$path") headers+=("")
  if [[ "$method" == POST ]]; then
    [[ -n "${body:-}" ]] || die "$ACTIONS_FILE: $name: a POST action needs a JSON body"
    subst "$body" >"$TMP/request.$n.json"
  elif [[ -n "${body:-}" ]]; then # GET: request headers, "Name: value|Name: value"
    headers[n]="$(subst "$body")"
  fi
  if is_upstream "$path"; then upstream+=(1); else upstream+=(0); fi
  n=$((n + 1))
done <"$ACTIONS_FILE"
((n > 0)) || die "no actions in $ACTIONS_FILE"

# action_headers INDEX: the action's request headers, one per line.
action_headers() { [[ -z "${headers[$1]}" ]] || tr '|' '\n' <<<"${headers[$1]}"; }

# curl_action BASE_URL INDEX OUT_PREFIX: action INDEX once.
curl_action() {
  local hs=()
  mapfile -t hs < <(action_headers "$2")
  curl_request "$1${paths[$2]}" "${methods[$2]}" "$TMP/request.$2.json" "$3" "${hs[@]}"
}

# baseline_url INDEX: what ksgate's number for action INDEX is compared with: the upstream itself
# for a gate action, else the nginx twin.
baseline_url() { if ((upstream[$1])); then echo "$UPSTREAM_URL"; else echo "$NGINX_URL"; fi; }

# CPU accounting, in clock ticks, to catch other processes eating the cores during a run (a shared
# 2-core machine: a compiler next door halves the numbers). cpu_ticks: all CPUs' user + nice +
# system + steal (the hypervisor's share), + irq + softirq unless the kernel accounts interrupt
# time apart from tasks (CONFIG_IRQ_TIME_ACCOUNTING): without it, as with plain tick accounting,
# interrupt ticks are also charged to the interrupted process. our_ticks: ksgate, nginx (master and
# workers), and this script with its reaped children (wrk, curl). (cpu_ticks - our_ticks) over a
# run is what others and the hypervisor took, give or take interrupts that land on the idle loop.
HZ="$(getconf CLK_TCK 2>/dev/null || echo 100)"
COUNT_IRQ=1
if { zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null || true; } |
  grep '^CONFIG_IRQ_TIME_ACCOUNTING=y' >/dev/null; then # (not -q: no SIGPIPE under pipefail)
  COUNT_IRQ=0
fi
cpu_ticks() {
  awk -v irq="$COUNT_IRQ" '$1 == "cpu" { print $2 + $3 + $4 + $9 + (irq ? $7 + $8 : 0); exit }' /proc/stat
}
# pid_ticks PID...: user + system ticks of these processes.
pid_ticks() {
  local p total=0 t
  for p in "$@"; do
    [[ -n "$p" ]] || continue
    t="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')" || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
nginx_pids() { # [PID]: the master (default: the baseline nginx) and its workers, one per line
  local pid="${1-$nginx_pid}"
  [[ -n "$pid" ]] || return 0
  echo "$pid"
  tr ' ' '\n' <"/proc/$pid/task/$pid/children" 2>/dev/null | grep . || true
}
our_ticks() {
  local t
  t="$(sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $12 + $13 + $14 + $15 }')"
  local pids
  mapfile -t pids < <(nginx_pids; nginx_pids "${upstream_pid:-}")
  echo $(($(pid_ticks "$ksgate_pid" "${pids[@]}") + t))
}
now_ns() { date +%s%N; }

# wait_idle: before a run, wait until other processes use at most 10% of the machine over half a
# second (the servers are idle between runs, so that is not us); all the waits of a run share a
# budget of BENCH_IDLE_WAIT seconds, so that a busy machine cannot stretch the run much.
idle_left=$((IDLE_WAIT * 2)) # half-second polls left
wait_idle() {
  local busy
  for (( ; ; )); do
    busy="$(cpu_busy 0.5)"
    ((busy > 10)) || return 0
    if ((idle_left <= 0)); then
      log "warning: machine ${busy}% busy (not us) and the idle-wait budget (${IDLE_WAIT}s) is spent; measuring anyway"
      return 0
    fi
    if ((idle_left == IDLE_WAIT * 2)); then log "machine ${busy}% busy (not us): waiting for it to go idle"; fi
    idle_left=$((idle_left - 1))
  done
}

# wrk_run LABEL URL INDEX: warm-up, then the measured run; raw output to $TMP/wrk.LABEL.txt, the CPU
# other processes used during the measured run (% of one core) to $TMP/other.LABEL, the server's
# CPU use (% of its core, microseconds per request) to $TMP/server.LABEL.
wrk_run() {
  local label="$1" url="$2" i="$3" args=(-t"$WRK_THREADS" -c"$CONNECTIONS" --latency)
  local envs=() c0 o0 s0 t0 c1 o1 s1 t1 server h
  if [[ "${methods[$i]}" == POST ]]; then
    args+=(-s "$POST_LUA")
    envs=(WRK_BODY_FILE="$TMP/request.$i.json")
  fi
  while IFS= read -r h; do [[ -z "$h" ]] || args+=(-H "$h"); done < <(action_headers "$i")
  wait_idle
  if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
    run_wrk "${args[@]}" -d"$WARMUP" "$url" >/dev/null
  fi
  log "$label: ${names[$i]}: wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION (cpu $CLIENT_CPU)"
  if [[ "$label" == ksgate.* ]]; then
    server=("$ksgate_pid")
  elif ((upstream[i])); then
    mapfile -t server < <(nginx_pids "$upstream_pid")
  else
    mapfile -t server < <(nginx_pids)
  fi
  c0="$(cpu_ticks)" o0="$(our_ticks)" s0="$(pid_ticks "${server[@]}")" t0="$(now_ns)"
  run_wrk "${args[@]}" -d"$DURATION" "$url" >"$TMP/wrk.$label.txt"
  c1="$(cpu_ticks)" o1="$(our_ticks)" s1="$(pid_ticks "${server[@]}")" t1="$(now_ns)"
  awk -v c="$((c1 - c0))" -v o="$((o1 - o0))" -v ns="$((t1 - t0))" -v hz="$HZ" \
    'BEGIN { x = (c - o) / (ns / 1e9 * hz) * 100; printf "%.0f\n", (x < 0 ? 0 : x) }' >"$TMP/other.$label"
  # The server's CPU use during the run: % of its core, and CPU microseconds per answered request.
  awk -v s="$((s1 - s0))" -v ns="$((t1 - t0))" -v hz="$HZ" -v f="$TMP/wrk.$label.txt" 'BEGIN {
    while ((getline line < f) > 0) if (line ~ /requests in/) { split(line, w, " "); req = w[1] }
    printf "%.0f %s\n", s / (ns / 1e9 * hz) * 100, (req > 0 ? sprintf("%.1f", s / hz * 1e6 / req) : "-") }' \
    >"$TMP/server.$label"
}

# wrk in the background + wait, so Ctrl-C / SIGTERM run the trap at once, not after the run.
run_wrk() {
  env "${envs[@]}" "${NICE[@]}" taskset -c "$CLIENT_CPU" wrk "$@" &
  wrk_pid=$!
  local rc=0
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  ((rc == 0)) || die "wrk failed (exit $rc): wrk $*"
}

# Capture ksgate's answer to every action (nginx will send the same bytes).
for ((i = 0; i < n; i++)); do
  curl_action "$KSGATE_URL" "$i" "$TMP/ksgate.$i" || die "${names[$i]}: ksgate did not answer"
  check_ok "${names[$i]}" "$TMP/ksgate.$i"
done

# ---- nginx: same bytes ---------------------------------------------------------------------------

# extra_headers FILE: the header lines of a captured response other than the ones both servers
# write themselves (status line, Server, Date, Content-Type, Content-Length, Connection), CR
# stripped, one per line: ksgate's CORS and cache headers, which nginx must send too so that both
# answers are the same size.
extra_headers() {
  tail -n +2 "$1" | tr -d '\r' | grep -v '^$' |
    grep -viE '^(server|date|content-type|content-length|connection|keep-alive|transfer-encoding):' || true
}

# request_id_names: header lines with the value of request-id headers dropped (ksgate makes a new
# id for every request; nginx repeats the captured one, of the same length).
request_id_names() { sed -E 's/^((x-ksgate-)?request-id|x-request-id):.*/\1:/I'; }

# nginx_add_headers FILE: `add_header` directives for extra_headers FILE.
nginx_add_headers() {
  local line name value
  while IFS= read -r line; do
    name="${line%%:*}"
    value="${line#*:}"
    value="${value#"${value%%[![:space:]]*}"}"
    value="${value//\\/\\\\}"
    value="${value//\"/\\\"}"
    value="${value//\$/\$\{dollar\}}"
    printf '            add_header %s "%s" always;\n' "$name" "$value"
  done < <(extra_headers "$1")
}

if [[ " $TARGETS " == *" nginx "* ]]; then
  NGINX_DIR="$TMP/nginx"
  mkdir -p "$NGINX_DIR"
  NGINX_PORT="$(free_port)"
  : >"$TMP/locations.conf"
  for ((i = 0; i < n; i++)); do
    ((upstream[i] == 0)) || continue # compared with the upstream itself
    {
      printf '        location = %s {\n' "${paths[$i]%%\?*}"
      if [[ "$(status_code "$TMP/ksgate.$i.headers")" == 204 ]]; then
        nginx_add_headers "$TMP/ksgate.$i.headers"
        printf '            return 204;\n        }\n'
      else
        printf '            default_type "%s";\n' "$(header_value "$TMP/ksgate.$i.headers" Content-Type)"
        nginx_add_headers "$TMP/ksgate.$i.headers"
        printf '            return 200 %s;\n        }\n' "$(nginx_quote "$TMP/ksgate.$i.body")"
      fi
    } >>"$TMP/locations.conf"
  done
  nginx_config "$NGINX_DIR" "$NGINX_PORT" "$TMP/locations.conf"
  setsid "${NICE[@]}" taskset -c "$SERVER_CPU" nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" \
    >"$NGINX_DIR/stdout.log" 2>&1 </dev/null &
  nginx_pid=$!
  NGINX_URL="http://127.0.0.1:$NGINX_PORT"
  wait_nginx "$NGINX_URL" "$nginx_pid" "$NGINX_DIR"
  log "nginx pid $nginx_pid on $NGINX_URL (cpu $SERVER_CPU, 1 worker)"
  for ((i = 0; i < n; i++)); do
    curl_action "$(baseline_url "$i")" "$i" "$TMP/nginx.$i" || die "${names[$i]}: nginx did not answer"
    cmp -s "$TMP/ksgate.$i.body" "$TMP/nginx.$i.body" ||
      die "${names[$i]}: nginx body differs from ksgate's ($TMP/nginx.$i.body; KSGATE_KEEP_TMP=1 keeps it)"
    ((upstream[i] == 0)) || continue # the gate adds its own headers to the upstream's
    [[ "$(header_value "$TMP/nginx.$i.headers" Content-Type)" == "$(header_value "$TMP/ksgate.$i.headers" Content-Type)" ]] ||
      die "${names[$i]}: nginx Content-Type differs from ksgate's"
    [[ "$(extra_headers "$TMP/nginx.$i.headers" | request_id_names | sort)" == "$(extra_headers "$TMP/ksgate.$i.headers" | request_id_names | sort)" ]] ||
      die "${names[$i]}: nginx's other headers differ from ksgate's (KSGATE_KEEP_TMP=1 keeps $TMP)"
  done
fi
if [[ " $TARGETS " != *" ksgate "* ]]; then
  stop_group "$ksgate_pid"
  ksgate_pid=""
fi

# ---- measurements: per action, ksgate then nginx ------------------------------------------------
for ((i = 0; i < n; i++)); do
  if [[ -n "$ksgate_pid" ]]; then
    wrk_run "ksgate.$i" "$KSGATE_URL${paths[$i]}" "$i"
    check_ksgate_alive "during the run of ${names[$i]}"
  fi
  if [[ -n "$nginx_pid" ]]; then
    wrk_run "nginx.$i" "$(baseline_url "$i")${paths[$i]}" "$i"
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited during the run of ${names[$i]}"
  fi
done

# ---- latency at half the maximum throughput (@latency actions, ksgate only) ---------------------
# wrk paces each connection (bench/http/paced.lua: PACED_DELAY_MS after every answer), so the rate
# is about connections / (delay + latency): two 3 s runs that scale a first guess of connections
# towards half the rate measured above, then the measured run.
PACED_DELAY_MS=2
paced_run() { # INDEX CONNECTIONS DURATION OUT
  local i="$1" args=(-t1 -c"$2" -d"$3" -s "$ROOT/bench/http/paced.lua") h
  envs=(WRK_DELAY_MS="$PACED_DELAY_MS")
  [[ "${methods[$i]}" == POST ]] && envs+=(WRK_BODY_FILE="$TMP/request.$i.json")
  while IFS= read -r h; do [[ -z "$h" ]] || args+=(-H "$h"); done < <(action_headers "$i")
  wait_idle
  run_wrk "${args[@]}" "$KSGATE_URL${paths[$i]}" >"$4"
}
if [[ -n "$ksgate_pid" ]]; then
  for name in "${latency_names[@]}"; do
    for ((i = 0; i < n; i++)); do [[ "${names[$i]}" == "$name" ]] && break; done
    ((i < n)) || die "$ACTIONS_FILE: @latency $name: no such action"
    max="$(wrk_field "$TMP/wrk.ksgate.$i.txt" rps)"
    half="$(awk -v m="$max" 'BEGIN { printf "%.0f", m / 2 }')"
    c1="$(awk -v r="$half" -v d="$PACED_DELAY_MS" 'BEGIN { c = int(r * d / 1000 + 0.5); print (c < 1 ? 1 : c) }')"
    c2="$c1"
    for step in 1 2; do # two short runs to find the connections that reach half the rate
      paced_run "$i" "$c2" 3s "$TMP/paced$step.$i.txt"
      r1="$(wrk_field "$TMP/paced$step.$i.txt" rps)"
      c2="$(awk -v c="$c2" -v h="$half" -v r="$r1" 'BEGIN { x = (r > 0) ? int(c * h / r + 0.5) : c; print (x < 1 ? 1 : x) }')"
    done
    log "latency: ${names[$i]}: half of $max/s with $c2 paced connections"
    paced_run "$i" "$c2" "$DURATION" "$TMP/paced.$i.txt"
    check_ksgate_alive "during the latency run of ${names[$i]}"
    echo "$max $half $c2" >"$TMP/paced.$i.asked"
  done
fi
stop_servers

# ---- report -------------------------------------------------------------------------------------
to_ms() { # wrk latency (123.45us / 1.23ms / 1.02s / 2.00m) -> milliseconds
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "-"; exit }
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1
    printf "%.3f", n * f }'
}

mkdir -p "$OUT_DIR"
table="$TMP/table.txt"
{
  printf '%-20s %-7s %11s %9s %9s %7s %5s %7s %6s %12s\n' action target requests/s 'p50 (ms)' 'p99 (ms)' errors srv% 'us/req' other% ksgate/nginx
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
        if (($(cat "$TMP/other.ksgate.$i") > 5 || $(cat "$TMP/other.nginx.$i") > 5)); then ratio+="*"; fi
      fi
      read -r srv us <"$TMP/server.$target.$i" || srv=- us=-
      shown="$target"
      if [[ "$target" == nginx ]] && ((upstream[i])); then shown=direct; fi
      printf '%-20s %-7s %11s %9s %9s %7s %5s %7s %6s %12s\n' "${names[$i]}" "$shown" "$rps" \
        "$(to_ms "$(wrk_field "$f" p50)")" "$(to_ms "$(wrk_field "$f" p99)")" "$(wrk_field "$f" errors)" \
        "$srv" "$us" "$(cat "$TMP/other.$target.$i" 2>/dev/null || echo -)" "$ratio"
    done
  done
  # Latency at half the maximum throughput (@latency lines).
  header_done=""
  for ((i = 0; i < n; i++)); do
    [[ -f "$TMP/paced.$i.txt" ]] || continue
    if [[ -z "$header_done" ]]; then
      printf '\nlatency at half the maximum throughput (ksgate, paced connections):\n'
      printf '%-20s %11s %11s %11s %5s %9s %9s %9s %7s\n' action max/s asked/s reached/s conns \
        'p50 (ms)' 'p99 (ms)' 'p99.9 (ms)' errors
      header_done=1
    fi
    read -r max half conns <"$TMP/paced.$i.asked"
    read -r _ p50 p99 p999 < <(grep '^paced:' "$TMP/paced.$i.txt")
    printf '%-20s %11s %11s %11s %5s %9s %9s %9s %7s\n' "${names[$i]}" "$max" "$half" \
      "$(wrk_field "$TMP/paced.$i.txt" rps)" "$conns" \
      "$(awk -v u="$p50" 'BEGIN { printf "%.3f", u / 1000 }')" \
      "$(awk -v u="$p99" 'BEGIN { printf "%.3f", u / 1000 }')" \
      "$(awk -v u="$p999" 'BEGIN { printf "%.3f", u / 1000 }')" "$(wrk_field "$TMP/paced.$i.txt" errors)"
  done

  # The targets (@target lines): each measured ratio against its target.
  for ((t = 0; t < ${#target_names[@]}; t++)); do
    ((t > 0)) || echo
    measured="" what=""
    for ((i = 0; i < n; i++)); do
      [[ "${names[$i]}" == "${target_names[$t]}" ]] || continue
      [[ -f "$TMP/wrk.ksgate.$i.txt" && -f "$TMP/wrk.nginx.$i.txt" ]] || break
      measured="$(awk -v a="$(wrk_field "$TMP/wrk.ksgate.$i.txt" rps)" \
        -v b="$(wrk_field "$TMP/wrk.nginx.$i.txt" rps)" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
      what="ksgate/nginx"
      ((upstream[i])) && what="gate/direct"
    done
    if [[ -z "$measured" ]]; then
      printf 'target: %-20s %s >= %s: not measured %s\n' "${target_names[$t]}" ratio "${target_ratios[$t]}" \
        "${target_notes[$t]}"
      continue
    fi
    verdict="$(awk -v m="$measured" -v t="${target_ratios[$t]}" 'BEGIN { print (m + 0 >= t + 0) ? "holds" : "misses" }')"
    printf 'target: %-20s %s >= %s: %s, %s %s\n' "${target_names[$t]}" "$what" "${target_ratios[$t]}" \
      "$measured" "$verdict" "${target_notes[$t]}"
  done
} >"$table"

{
  echo "# ksgate HTTP benchmark, $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
  echo "# tree at git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (the binary may be older:" \
    "see its mtime below), $(nproc) CPUs:" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "# servers on cpu $SERVER_CPU (ksgate --threads 1, nginx 1 worker), wrk on cpu $CLIENT_CPU:" \
    "-t$WRK_THREADS -c$CONNECTIONS -d$DURATION, warm-up $WARMUP"
  echo "# ksgate: $BIN ($(stat -c '%y' "$BIN" | cut -d. -f1), sha256 $(sha256sum "$BIN" | cut -c1-12))"
  echo "# srv% = the server's CPU use during the measured run (% of its core; under 100 = it waited for wrk" \
    "or the disk); us/req = server CPU microseconds per request"
  echo "# other% = CPU time other processes used during the measured run, in % of one core (0-200);" \
    "a ratio marked * had other% > 5 on one side: do not quote it"
  echo "# priority: ${NICE[*]:-normal}"
  echo
  cat "$table"
  echo
  echo "# bytes per answer (headers + body), from the captures: action ksgate nginx"
  for ((i = 0; i < n; i++)); do
    printf '#   %-20s %6s %6s\n' "${names[$i]}" \
      "$(cat "$TMP/ksgate.$i.headers" "$TMP/ksgate.$i.body" | wc -c)" \
      "$(if [[ -f "$TMP/nginx.$i.body" ]]; then cat "$TMP/nginx.$i.headers" "$TMP/nginx.$i.body" | wc -c; else echo -; fi)"
  done
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
echo "* = other processes took more than 5% of a core during one of the two runs: do not quote it"
echo "raw results: ${RESULTS#"$ROOT"/}"
# Other processes on the CPUs make a run's numbers low and noisy: say so.
for f in "$TMP"/other.*; do
  [[ -f "$f" ]] || continue
  if (($(cat "$f") > 5)); then
    label="${f##*/other.}"
    log "warning: ${label%.*} ${names[${label##*.}]}: other processes took $(cat "$f")% of a core during the run; do not quote it"
  fi
done
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
