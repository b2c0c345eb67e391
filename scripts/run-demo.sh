#!/usr/bin/env bash
# `make run`: serves ksgate on 127.0.0.1:8080 from var/ksgate.db, creating the database and a demo
# partner on first run (saved, mode 600, in var/demo-partner.json) and printing its credentials.
#
#   KSGATE_LISTEN=0.0.0.0:8080 scripts/run-demo.sh   to listen elsewhere
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'run-demo: error: %s\n' "$*" >&2; exit 1; }

BIN="${KSGATE_BIN:-build/release/ksgate}"
VAR_DIR=var
DB="$VAR_DIR/ksgate.db"
PARTNER_JSON="$VAR_DIR/demo-partner.json"
LISTEN="${KSGATE_LISTEN:-127.0.0.1:8080}"

[[ -x "$BIN" ]] || die "$BIN not found; build it with 'make build'"

# Value of a top-level field in a flat JSON object (numbers and plain strings such as hex secrets).
json_field() {
  sed -nE "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"?([^\",}]*)\"?.*/\\1/p" "$1" | head -n 1
}

umask 077 # var/ holds partner secrets: keep the directory, database and JSON private
mkdir -p "$VAR_DIR"
if [[ ! -f "$DB" ]]; then
  echo "run-demo: first run: creating $DB"
  "$BIN" migrate --db "sqlite:$DB" || { rm -f "$DB"; die "ksgate migrate failed"; }
  rm -f "$PARTNER_JSON" # a partner file without its database is stale
fi
if [[ ! -s "$PARTNER_JSON" ]]; then
  tmp="$PARTNER_JSON.tmp"
  "$BIN" partner add --db "sqlite:$DB" --name "Demo partner" --json >"$tmp" || {
    rm -f "$tmp"
    die "ksgate partner add failed"
  }
  chmod 600 "$tmp"
  mv "$tmp" "$PARTNER_JSON"
  echo "run-demo: demo partner created and saved to $PARTNER_JSON"
fi

id="$(json_field "$PARTNER_JSON" id)"
admin_secret="$(json_field "$PARTNER_JSON" adminSecret)"
secret="$(json_field "$PARTNER_JSON" secret)"
[[ -n "$id" && -n "$admin_secret" && -n "$secret" ]] ||
  die "$PARTNER_JSON lacks id/adminSecret/secret; delete $VAR_DIR/ to start over"

host="${LISTEN%:*}"
[[ "$host" == "0.0.0.0" ]] && host=127.0.0.1
cat <<EOF

  Demo partner (from $PARTNER_JSON)
    partner id    $id
    admin secret  $admin_secret
    user secret   $secret

  Try:  curl -s http://$host:${LISTEN##*:}/api_v3/service/session/action/start -d partnerId=$id -d secret=$admin_secret -d type=2 -d format=1

EOF
echo "run-demo: serving on $LISTEN (Ctrl-C to stop)"
exec "$BIN" serve --listen "$LISTEN" --db "sqlite:$DB"
