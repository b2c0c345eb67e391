#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: initdb in a directory of its own, listening only on
# 127.0.0.1 on a free TCP port (and a Unix socket inside that directory), trust authentication,
# fsync off (KSGATE_PG_DURABLE=1: on, for benchmarks). Independent of any cluster the Debian
# package runs (e.g. on port 5432).
#
#   scripts/pg-cluster.sh start DIR        create and start a cluster in DIR (new or empty);
#                                          prints its DSN, postgresql://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-cluster.sh stop DIR         stop it and remove DIR
#   scripts/pg-cluster.sh ctl DIR start|stop|restart
#                                          the server only, keeping the data (tests of reconnection)
#   scripts/pg-cluster.sh run CMD...       start a cluster in a temporary directory, run CMD with
#                                          KSGATE_TEST_PG_DSN (and KSGATE_TEST_PG_SERVER, a command
#                                          prefix taking start|stop|restart) set, stop and remove the
#                                          cluster whatever happens; exits with CMD's status. If
#                                          KSGATE_TEST_PG_DSN is already set, runs CMD against that
#                                          database instead (tests that restart the server skip).
#
# The server binaries come from /usr/lib/postgresql/*/bin (Debian's postgresql package). initdb
# refuses to run as root, so as root the server runs as the `postgres` system user and DIR is
# made its own.
set -euo pipefail

die() { printf 'pg-cluster: error: %s\n' "$*" >&2; exit 1; }

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

# The newest installed server version's bin directory.
pg_bin() {
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
    sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] ||
    die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install the postgresql package: scripts/install-deps.sh test)"
  echo "$dir"
}

# Runs a command as the cluster's owner: the postgres system user when we are root.
as_owner() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

server() {
  local dir="$1" action="$2" bin
  bin="$(pg_bin)"
  [[ -f "$dir/data/PG_VERSION" ]] || die "no cluster in $dir"
  case "$action" in
    start) as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ;;
    stop) as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
    restart) as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null ;;
    *) die "usage: $0 ctl DIR start|stop|restart" ;;
  esac
}

start() {
  local dir="$1" bin port="" try
  bin="$(pg_bin)"
  mkdir -p "$dir"
  [[ -z "$(ls -A "$dir")" ]] || die "$dir is not empty"
  if ((EUID == 0)); then
    getent passwd postgres >/dev/null || die "running as root, but there is no postgres system user to run the server as"
    chown postgres: "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "the postgres user cannot write to $dir (a parent directory is closed to it); use a directory under /tmp"
  fi
  # Tests need no durability; benchmarks of writes do (KSGATE_PG_DURABLE=1: PostgreSQL's defaults).
  local durability=("fsync = off" "synchronous_commit = off" "full_page_writes = off")
  if [[ "${KSGATE_PG_DURABLE:-}" == 1 ]]; then
    durability=("fsync = on" "synchronous_commit = on" "full_page_writes = on")
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # Trust, but only over the socket in $dir (mode 0700) and from 127.0.0.1.
  printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' |
    as_owner tee "$dir/data/pg_hba.conf" >/dev/null
  for try in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    printf '%s\n' "listen_addresses = '127.0.0.1'" "port = $port" \
      "unix_socket_directories = '$dir'" "${durability[@]}" \
      "max_connections = 200" "log_min_messages = warning" |
      as_owner tee "$dir/data/postgresql.auto.conf" >/dev/null
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
    # Someone took the port between the check and the bind: try another one.
    grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null || break
  done
  tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
  die "could not start PostgreSQL in $dir (port $port, attempt $try)"
}

stop() {
  local dir="$1" bin
  [[ -d "$dir" ]] || return 0
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    bin="$(pg_bin)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

run() {
  (($# > 0)) || die "usage: $0 run CMD..."
  if [[ -n "${KSGATE_TEST_PG_DSN:-}" ]]; then
    exec "$@"
  fi
  local rc=0
  # Under /tmp, not $TMPDIR: the server user must reach it. Global: the EXIT trap needs it.
  run_dir="$(mktemp -d /tmp/ksgate-pg.XXXXXX)"
  trap 'stop "$run_dir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  KSGATE_TEST_PG_DSN="$(start "$run_dir")" || exit 1
  export KSGATE_TEST_PG_DSN
  export KSGATE_TEST_PG_SERVER="$SELF ctl $run_dir"
  echo "pg-cluster: $KSGATE_TEST_PG_DSN (data in $run_dir)"
  "$@" || rc=$?
  return "$rc"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start) (($# == 1)) || die "usage: $0 start DIR"; start "$1" ;;
  stop) (($# == 1)) || die "usage: $0 stop DIR"; stop "$1" ;;
  ctl) (($# == 2)) || die "usage: $0 ctl DIR start|stop|restart"; server "$1" "$2" ;;
  run) run "$@" ;;
  *) die "usage: $0 start DIR | stop DIR | ctl DIR start|stop|restart | run CMD..." ;;
esac
