#!/usr/bin/env bash
# `make bench-instr`: instructions per request of the hot actions, counted by callgrind.
#
# Requests per second swing with whatever else the machine runs; instructions executed do not.
# This runs ksgate (--threads 1) under valgrind's callgrind with instrumentation off, sets up a
# throwaway partner, then for each action sends CALLGRIND_WARMUP requests uncounted and
# CALLGRIND_REQUESTS counted, one after the other on one keep-alive connection
# (bench/callgrind/load.js), and prints the server's instructions per request: every thread,
# the access log writer included, user space only (the kernel's share is not counted).
# Given several binaries, it measures each the same way and prints their ratio to the first:
#   scripts/bench-callgrind.sh                         build/release/ksgate
#   scripts/bench-callgrind.sh OLD_BINARY NEW_BINARY   a before/after pair
# The actions are bench-http's (bench/http/actions.txt): startWidgetSession, appTokenStart,
# sessionGet, authorize, and mediaListGate (media.list relayed to bench/http/upstream.js); and on
# request, appTokenAdd (one insert per request, so one commit each: no group commit to share it).
# Each binary gets its own database (an older binary may not read a newer schema).
#
# Environment (defaults): CALLGRIND_REQUESTS=1000 CALLGRIND_WARMUP=200
#   CALLGRIND_ACTIONS="startWidgetSession appTokenStart sessionGet authorize mediaListGate"
#   KSGATE_KEEP_TMP=1 keeps the temp dir (the callgrind files, for callgrind_annotate).
# About 20 s per binary and action on this machine.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
source "$ROOT/scripts/bench-lib.sh"
die() { printf 'bench-callgrind: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'bench-callgrind: %s\n' "$*" >&2; }

REQUESTS="${CALLGRIND_REQUESTS:-1000}"
WARMUP="${CALLGRIND_WARMUP:-200}"
read -r -a ACTIONS <<<"${CALLGRIND_ACTIONS:-startWidgetSession appTokenStart sessionGet authorize mediaListGate}"
BINS=("$@")
((${#BINS[@]} > 0)) || BINS=("$ROOT/build/release/ksgate")
for bin in "${BINS[@]}"; do [[ -x "$bin" ]] || die "$bin is not an executable (make build?)"; done
for tool in valgrind callgrind_control node curl sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh test installs it)"
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-bench-callgrind.XXXXXX")"
server_pid="" upstream_pid=""
cleanup() {
  local pid
  for pid in "$server_pid" "$upstream_pid"; do
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
  if [[ -n "${KSGATE_KEEP_TMP:-}" ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# The upstream of mediaListGate: the node server bench-http uses by default.
# Started without setsid (which forks when the caller leads its process group, and $! would not
# be the server): neither server starts processes of its own, so its pid is all there is to stop.
: >"$TMP/upstream.out" # created here: the background job may open it after the first poll
node "$ROOT/bench/http/upstream.js" "media=$ROOT/bench/http/media_list.json" \
  >"$TMP/upstream.out" 2>&1 </dev/null &
upstream_pid=$!
upstream_port=""
for ((i = 0; i < 100; i++)); do
  upstream_port="$(sed -nE 's/^listening on ([0-9]+).*/\1/p' "$TMP/upstream.out")"
  [[ -n "$upstream_port" ]] && break
  sleep 0.1
done
[[ -n "$upstream_port" ]] || die "the node upstream did not start: $(cat "$TMP/upstream.out")"

# measure BIN INDEX: one server under callgrind; one counted run per action. Writes
# $TMP/result.INDEX.ACTION (instructions per request).
measure() {
  local bin="$1" k="$2" dir="$TMP/bin$2" port="" i url admin widget token_json token_id token hash
  mkdir -p "$dir"
  local db="sqlite:$dir/ksgate.db"
  "$bin" migrate --db "$db" >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; die "migrate failed"; }
  "$bin" partner add --db "$db" --name "Callgrind partner" --json >"$dir/partner.json" 2>"$dir/partner.err" ||
    { cat "$dir/partner.err" >&2; die "partner add failed"; }
  local pid secret
  pid="$(json_field "$dir/partner.json" id)"
  secret="$(json_field "$dir/partner.json" adminSecret)"
  : >"$dir/server.out"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/callgrind.out" \
    "$bin" serve --listen 127.0.0.1:0 --db "$db" --threads 1 \
    --upstream "media=http://127.0.0.1:$upstream_port" \
    >"$dir/server.out" 2>"$dir/server.err" </dev/null &
  server_pid=$!
  for ((i = 0; i < 300; i++)); do
    port="$(sed -nE 's/.*listening on [^ ]+:([0-9]+).*/\1/p' "$dir/server.out" | head -n 1)"
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$port" ]] || { tail -n 20 "$dir/server.err" >&2; die "ksgate did not start under valgrind"; }
  url="http://127.0.0.1:$port/api_v3/service"
  curl -sS "$url/session/action/start" -d "partnerId=$pid&secret=$secret&type=2&userId=bench-admin&privileges=disableentitlement&format=1" >"$dir/admin.json"
  admin="$(sed -E 's/^"(.*)"$/\1/' "$dir/admin.json")"
  curl -sS "$url/session/action/startWidgetSession?widgetId=_$pid&format=1" >"$dir/widget.json"
  widget="$(json_field "$dir/widget.json" ks)"
  token_json="$dir/token.json"
  curl -sS "$url/apptoken/action/add" -H 'Content-Type: application/json' \
    -d "{\"ks\":\"$admin\",\"format\":1,\"appToken\":{\"objectType\":\"KalturaAppToken\",\"hashType\":\"SHA256\"}}" >"$token_json"
  token_id="$(json_field "$token_json" id)"
  token="$(json_field "$token_json" token)"
  [[ -n "$admin" && -n "$widget" && -n "$token_id" && -n "$token" ]] ||
    die "set-up failed: $(head -c 300 "$dir/admin.json" "$dir/widget.json" "$token_json")"
  hash="$(printf '%s%s' "$widget" "$token" | sha256sum | cut -d' ' -f1)"

  local action args part=0
  for action in "${ACTIONS[@]}"; do
    case "$action" in
      startWidgetSession) args=("$url/session/action/startWidgetSession?widgetId=_$pid&format=1") ;;
      appTokenStart) args=("$url/apptoken/action/startSession" POST
        "{\"ks\":\"$widget\",\"id\":\"$token_id\",\"tokenHash\":\"$hash\",\"format\":1}") ;;
      sessionGet) args=("$url/session/action/get" POST "{\"ks\":\"$admin\",\"format\":1}") ;;
      authorize) args=("http://127.0.0.1:$port/ksgate/v1/authorize" GET ""
        "Authorization: KS $admin|X-Original-URI: /api_v3/service/media/action/list|X-Original-Method: GET") ;;
      mediaListGate) args=("$url/media/action/list?ks=$admin&format=1") ;;
      appTokenAdd) args=("$url/apptoken/action/add" POST
        "{\"ks\":\"$admin\",\"format\":1,\"appToken\":{\"objectType\":\"KalturaAppToken\",\"hashType\":\"SHA256\",\"description\":\"bench-instr\"}}") ;;
      *) die "unknown action $action" ;;
    esac
    node "$ROOT/bench/callgrind/load.js" "${args[0]}" "$WARMUP" "${args[@]:1}" || die "$action: warm-up failed"
    callgrind_control --zero "$server_pid" >/dev/null 2>&1
    callgrind_control --instr=on "$server_pid" >/dev/null 2>&1
    node "$ROOT/bench/callgrind/load.js" "${args[0]}" "$REQUESTS" "${args[@]:1}" || die "$action: load failed"
    callgrind_control --instr=off "$server_pid" >/dev/null 2>&1
    callgrind_control --dump="$action" "$server_pid" >/dev/null 2>&1
    part=$((part + 1))
    local file="$dir/callgrind.out.$part"
    for ((i = 0; i < 100; i++)); do
      [[ -s "$file" ]] && break
      sleep 0.1
    done
    [[ -s "$file" ]] || die "callgrind wrote no $file"
    awk -v n="$REQUESTS" '/^totals:/ { printf "%.0f\n", $2 / n; found = 1 } END { exit !found }' "$file" \
      >"$TMP/result.$k.$action" || die "no totals in $file"
    log "$(basename "$bin") $action: $(cat "$TMP/result.$k.$action") instructions/request"
  done
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

for ((k = 0; k < ${#BINS[@]}; k++)); do measure "${BINS[$k]}" "$k"; done

echo "# instructions per request (callgrind, user space, all threads), $REQUESTS requests after $WARMUP"
for ((k = 0; k < ${#BINS[@]}; k++)); do
  echo "# [$k] ${BINS[$k]} ($(stat -c '%y' "${BINS[$k]}" | cut -d. -f1), sha256 $(sha256sum "${BINS[$k]}" | cut -c1-12))"
done
header="$(printf '%-20s' action)"
for ((k = 0; k < ${#BINS[@]}; k++)); do header+="$(printf ' %10s' "[$k]")"; done
for ((k = 1; k < ${#BINS[@]}; k++)); do header+="$(printf ' %8s' "[$k]/[0]")"; done
echo "$header"
for action in "${ACTIONS[@]}"; do
  line="$(printf '%-20s' "$action")"
  for ((k = 0; k < ${#BINS[@]}; k++)); do line+="$(printf ' %10s' "$(cat "$TMP/result.$k.$action")")"; done
  for ((k = 1; k < ${#BINS[@]}; k++)); do
    line+="$(awk -v a="$(cat "$TMP/result.$k.$action")" -v b="$(cat "$TMP/result.0.$action")" 'BEGIN { printf " %8.2f", a / b }')"
  done
  echo "$line"
done
