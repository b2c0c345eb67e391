#!/usr/bin/env bash
# shellcheck disable=SC2317  # the check functions below are called indirectly (by `check`)
# Builds the Debian package (`make package`: CPack, cmake/KsgatePackaging.cmake) and checks it,
# without installing anything on this machine:
#   - lintian finds no error (E:) in it;
#   - it holds the binary, the default config (a conffile), the unit and the docs, and depends
#     on the libraries the binary links and on what its maintainer scripts run;
#   - extracted into a throwaway root, its binary checks its default config, migrates the store
#     and serves system.ping from that config (the paths redirected by KSGATE_* variables);
#   - its postinst, run with stubs for the commands that would change this machine, creates the
#     ksgate user, migrates the database as that user and enables the service; the maintainer
#     scripts pass `sh -n` and shellcheck;
#   - systemd-analyze verifies its unit (in the throwaway root) and rates its exposure 2.0 or
#     better.
# Prints one line per check, then "package: N checks, M failed" (scripts/run-tests.sh counts each
# check as a test). Exit status 0 only if every check passed.
#
#   scripts/test-package.sh                    (KSGATE_BUILD_DIR: the configured tree, build/release)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${KSGATE_BUILD_DIR:-build/release}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-package.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

checks=0
failed=0
# check NAME CMD...: runs CMD (output to a log, shown on failure) and counts the result.
check() {
  local name="$1"
  shift
  checks=$((checks + 1))
  local log="$WORK/check$checks.log"
  if "$@" >"$log" 2>&1; then
    printf 'package: ok   %s\n' "$name"
  else
    failed=$((failed + 1))
    printf 'package: FAIL %s\n' "$name"
    sed 's/^/    /' "$log" | tail -n 40
  fi
}
finish() {
  echo "package: $checks checks, $failed failed"
  exit $((failed == 0 ? 0 : 1))
}

# ---- build ----------------------------------------------------------------------------------

build() {
  [[ -f "$BUILD_DIR/build.ninja" ]] || { echo "no configured tree at $BUILD_DIR (make build)"; return 1; }
  rm -f build/package/ksgate_*.deb
  cmake --build "$BUILD_DIR" --target package
  local debs=(build/package/ksgate_*_amd64.deb)
  [[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || { echo "expected one .deb, got: ${debs[*]}"; return 1; }
  echo "${debs[0]}" >"$WORK/deb"
}
check "make package builds build/package/ksgate_<version>_amd64.deb" build
[[ -s "$WORK/deb" ]] || finish
DEB="$(cat "$WORK/deb")"
echo "package: $DEB"

# ---- lintian ----------------------------------------------------------------------------------

lintian_clean() {
  command -v lintian >/dev/null || { echo "lintian is not installed (scripts/install-deps.sh test)"; return 1; }
  local out rc=0
  out="$(lintian --fail-on error "$DEB" 2>&1)" || rc=$?
  printf '%s\n' "$out"
  ! grep -q '^E: ' <<<"$out" && ((rc == 0))
}
check "lintian reports no error" lintian_clean

# ---- contents ---------------------------------------------------------------------------------

contents() {
  local list control
  list="$(dpkg-deb -c "$DEB" | awk '{print $6}')"
  for path in ./usr/bin/ksgate ./etc/ksgate/ksgate.toml ./lib/systemd/system/ksgate.service \
    ./usr/share/doc/ksgate/copyright ./usr/share/doc/ksgate/changelog.Debian.gz \
    ./usr/share/doc/ksgate/operations.md; do
    grep -qxF "$path" <<<"$list" || { echo "missing $path"; return 1; }
  done
  dpkg-deb -e "$DEB" "$WORK/control"
  grep -qxF /etc/ksgate/ksgate.toml "$WORK/control/conffiles" || { echo "the config is no conffile"; return 1; }
  control="$(dpkg-deb -f "$DEB" Depends)"
  echo "Depends: $control"
  for dep in adduser init-system-helpers libsqlite3-0 libssl3 libpq5 libtomlplusplus3 libstdc++6; do
    grep -q "\b$dep\b" <<<"$control" || { echo "Depends lacks $dep"; return 1; }
  done
}
check "the package holds the binary, conffile, unit and docs, with its dependencies" contents

# ---- the extracted binary against the default config -----------------------------------------

PKGROOT="$WORK/root"
mkdir -p "$PKGROOT"
dpkg-deb -x "$DEB" "$PKGROOT"
[[ -d "$WORK/control" ]] || dpkg-deb -e "$DEB" "$WORK/control"
KSGATE="$PKGROOT/usr/bin/ksgate"
CONFIG="$PKGROOT/etc/ksgate/ksgate.toml"
DATA="$WORK/var-lib-ksgate" # stands for /var/lib/ksgate
mkdir -p "$DATA"
# What the default config names under /var/lib/ksgate, redirected here.
export KSGATE_DB="sqlite:$DATA/ksgate.db"

config_check() {
  local out
  out="$(env -u KSGATE_DB "$KSGATE" config check --config "$CONFIG")"
  printf '%s\n' "$out"
  grep -qxF 'db = "sqlite:/var/lib/ksgate/ksgate.db"  # config file' <<<"$out" &&
    grep -qxF 'listen = "127.0.0.1:8080"  # config file' <<<"$out"
}
check "the installed binary checks the default config" config_check

serve_default() {
  local out="$WORK/serve.out" port="" deadline
  KSGATE_LISTEN=127.0.0.1:0 KSGATE_THREADS=1 "$KSGATE" serve --config "$CONFIG" \
    >"$out" 2>"$WORK/serve.err" &
  server_pid=$!
  deadline=$((SECONDS + 15))
  while ((SECONDS < deadline)); do
    port="$(sed -nE 's/^listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$out")"
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "no listening line"; cat "$WORK/serve.err"; return 1; }
  local answer
  answer="$(curl -sS --max-time 5 "http://127.0.0.1:$port/api_v3/service/system/action/ping?format=1")"
  echo "system.ping: $answer"
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  echo "exit $rc"
  [[ "$answer" == "true" && $rc -eq 0 ]]
}
check "serve runs from the default config and answers system.ping" serve_default

# ---- the maintainer scripts ---------------------------------------------------------------------

scripts_parse() {
  local s
  for s in postinst prerm postrm; do
    sh -n "$WORK/control/$s" || { echo "$s: syntax"; return 1; }
  done
  if command -v shellcheck >/dev/null; then
    shellcheck -s sh "$WORK/control/postinst" "$WORK/control/prerm" "$WORK/control/postrm"
  fi
}
check "the maintainer scripts parse (sh -n, shellcheck)" scripts_parse

# postinst configure on a fresh machine, with stubs for every command that would change this
# one: they log their arguments; runuser runs its command from the extracted root (paths under
# /usr/bin and /etc/ksgate redirected there, the store by KSGATE_DB), as this user.
postinst_fresh() {
  local stubs="$WORK/stubs" log="$WORK/stubs.log"
  mkdir -p "$stubs"
  : >"$log"
  local cmd
  for cmd in adduser install chown chmod systemctl deb-systemd-invoke; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$log" >"$stubs/$cmd"
  done
  # getent: no ksgate user yet. dpkg-statoverride: no override.
  printf '#!/bin/sh\necho "getent $*" >>"%s"\nexit 2\n' "$log" >"$stubs/getent"
  printf '#!/bin/sh\necho "dpkg-statoverride $*" >>"%s"\nexit 1\n' "$log" >"$stubs/dpkg-statoverride"
  # deb-systemd-helper: a new installation (was-enabled is true until the unit was disabled).
  printf '#!/bin/sh\necho "deb-systemd-helper $*" >>"%s"\nexit 0\n' "$log" >"$stubs/deb-systemd-helper"
  cat >"$stubs/runuser" <<EOF
#!/bin/bash
echo "runuser \$*" >>"$log"
while [[ \$# -gt 0 && "\$1" != "--" ]]; do shift; done
shift
args=()
for a in "\$@"; do
  case "\$a" in
    /usr/bin/ksgate) args+=("$PKGROOT/usr/bin/ksgate") ;;
    /etc/ksgate/*) args+=("$PKGROOT\$a") ;;
    *) args+=("\$a") ;;
  esac
done
exec "\${args[@]}"
EOF
  chmod +x "$stubs"/*
  # The config file exists where postinst looks: /etc/ksgate/ksgate.toml is tested with [ -f ],
  # which the stubs cannot redirect; without it the chown/chmod branch is skipped, which is fine.
  PATH="$stubs:$PATH" sh "$WORK/control/postinst" configure ""
  echo "--- commands:"
  cat "$log"
  grep -qE '^adduser --system --group .*ksgate$' "$log" || { echo "no adduser"; return 1; }
  grep -qE '^install -d -o ksgate -g ksgate -m 0750 /var/lib/ksgate /var/log/ksgate$' "$log" ||
    { echo "no state directories"; return 1; }
  grep -qxF 'runuser -u ksgate -- /usr/bin/ksgate migrate --config /etc/ksgate/ksgate.toml' "$log" ||
    { echo "no migration as ksgate"; return 1; }
  grep -qxF 'deb-systemd-helper enable ksgate.service' "$log" || { echo "not enabled"; return 1; }
  # The migration really ran: the store exists with its schema.
  [[ -s "$DATA/ksgate.db" ]] || { echo "no database at $DATA/ksgate.db"; return 1; }
  "$KSGATE" partner list --db "$KSGATE_DB" >/dev/null
}
check "postinst creates the user, migrates as it and enables the service" postinst_fresh

# ---- the unit -------------------------------------------------------------------------------------

# A root for systemd-analyze: the package, the host's units (targets the unit names) and kill.
unit_root() {
  local r="$WORK/unitroot"
  [[ -d "$r" ]] && return 0
  mkdir -p "$r"
  dpkg-deb -x "$DEB" "$r"
  cp -a /lib/systemd/system/. "$r/lib/systemd/system/"
  [[ -e "$r/bin" ]] || ln -s usr/bin "$r/bin"
  cp "$(type -P kill)" "$r/usr/bin/kill"
}

unit_verify() {
  command -v systemd-analyze >/dev/null ||
    { echo "systemd-analyze is not installed (scripts/install-deps.sh test)"; return 1; }
  unit_root
  local out rc=0
  out="$(systemd-analyze verify --root="$WORK/unitroot" /lib/systemd/system/ksgate.service 2>&1)" || rc=$?
  printf '%s\n' "$out"
  # Any line is a complaint (an unknown key, a missing command): none is allowed.
  [[ $rc -eq 0 && -z "$out" ]]
}
check "systemd-analyze verify accepts ksgate.service" unit_verify

unit_exposure() {
  unit_root
  systemd-analyze security --offline=true --root="$WORK/unitroot" --threshold=20 ksgate.service |
    tail -n 3
}
check "systemd-analyze security rates the unit's exposure 2.0 or better" unit_exposure

finish
