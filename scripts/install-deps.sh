#!/usr/bin/env bash
# Installs the Debian packages ksgate needs, and only the ones that are missing.
#
#   scripts/install-deps.sh build   what `make build` / `make run` need (compiler, CMake, libraries)
#   scripts/install-deps.sh test    everything: build + PostgreSQL, node/npm, nginx, wrk, ...
#
# Idempotent: when everything is present it prints one line and touches nothing (no root needed).
# Otherwise it runs `apt-get update` once and installs the missing packages, as root or via sudo.
set -euo pipefail

die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

mode="${1:-test}"

# Configuring the project needs GTest/GMock and Google Benchmark too (KSGATE_BUILD_TESTS and
# KSGATE_BUILD_BENCH default to ON), so they belong to the build set. dpkg-dev: dpkg-shlibdeps,
# with which `make package` computes the package's dependencies.
build_pkgs=(
  g++ cmake ninja-build ccache pkg-config dpkg-dev
  libboost-dev rapidjson-dev libsqlite3-dev libssl-dev libpq-dev libmimalloc-dev
  libcli11-dev libspdlog-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# postgresql: server binaries (/usr/lib/postgresql/*/bin) for the throwaway test clusters of
# scripts/pg-cluster.sh, and the postgres user it runs them as under root (runuser: util-linux).
# The cluster the package may start on port 5432 is neither used nor in the way.
# clang + libclang-rt-14-dev: the libFuzzer, ASan and UBSan runtimes of Debian 12's clang (14) for
# the fuzz targets (scripts/fuzz.sh); llvm: llvm-symbolizer, for readable sanitizer reports.
# lintian, systemd (systemd-analyze) and shellcheck: the package test (scripts/test-package.sh).
# valgrind: callgrind, for `make bench-instr` (scripts/bench-callgrind.sh).
test_pkgs=(postgresql nginx wrk util-linux sqlite3 curl clang-format clang libclang-rt-14-dev llvm
  lintian systemd shellcheck valgrind)

case "$mode" in
  build) wanted=("${build_pkgs[@]}") ;;
  test)
    wanted=("${build_pkgs[@]}" "${test_pkgs[@]}")
    # A node installed some other way (e.g. NodeSource, which also ships npm) is kept as is.
    if ! command -v node >/dev/null 2>&1; then
      wanted+=(nodejs npm)
    elif ! command -v npm >/dev/null 2>&1; then
      die "node is installed ($(command -v node)) but npm is not; install the npm that matches this node"
    fi
    ;;
  *) die "usage: $0 build|test (got '$mode')" ;;
esac

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian/Ubuntu only"

missing=()
for pkg in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps ($mode): all ${#wanted[@]} packages present"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 ||
    die "missing packages (${missing[*]}) and not running as root, and sudo is not available; rerun as root"
  as_root=(sudo)
fi

log="$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")"
trap 'rm -f "$log"' EXIT

echo "install-deps ($mode): installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >"$log" 2>&1; then
  cat "$log" >&2
  die "apt-get update failed"
fi
if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -q -y --no-install-recommends install "${missing[@]}" >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  die "apt-get install failed for: ${missing[*]}"
fi
echo "install-deps ($mode): done"
