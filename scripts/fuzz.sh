#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: clang++, ASan + UBSan) and runs each one for a set
# time, starting from its committed seed corpus (fuzz/corpus/<target>/) and dictionary
# (fuzz/<target>.dict). A crash, a leak, a timeout or an out-of-memory fails the target: libFuzzer
# leaves the reproducer in build/fuzz/artifacts/<target>/ and this script prints how to replay it.
# Prints one line per target, then "fuzz: N targets run, M failed" (scripts/run-tests.sh counts
# each target as a test).
#
#   scripts/fuzz.sh                   every target for FUZZ_SECONDS (default 60) each; new inputs
#                                     are kept in build/fuzz/corpus/<target>/ for the next run
#   scripts/fuzz.sh --brief           every target for FUZZ_BRIEF_SECONDS (default 6) each, from
#                                     the seeds only (what `make test` runs)
#   scripts/fuzz.sh ks_fuzzer ...     only these targets
#   FUZZ_ARGS="-jobs=2" scripts/fuzz.sh   extra libFuzzer flags
#
# Replay one input: build/fuzz/fuzz/<target> FILE  (e.g. a reproducer, or a seed).
# Exit status: 0 only if every target ran clean; 2 if clang++ is missing (nothing was run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

brief=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --brief) brief=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done

command -v clang++ >/dev/null 2>&1 ||
  { echo "fuzz: clang++ not found (scripts/install-deps.sh test installs it)" >&2; exit 2; }

BUILD=build/fuzz
if [[ ! -f "$BUILD/build.ninja" ]]; then
  echo "fuzz: configuring preset fuzz"
  cmake --preset fuzz --log-level=WARNING >/dev/null
fi
echo "fuzz: building (cmake --build --preset fuzz)"
cmake --build --preset fuzz

if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(sed -nE 's/^ksgate_fuzzer\(NAME ([a-z_0-9]+) .*/\1/p' fuzz/CMakeLists.txt)
fi
if ((brief)); then
  seconds="${FUZZ_BRIEF_SECONDS:-6}"
  scratch_root="$(mktemp -d "${TMPDIR:-/tmp}/ksgate-fuzz.XXXXXX")"
  trap 'rm -rf "$scratch_root"' EXIT
else
  seconds="${FUZZ_SECONDS:-60}"
  scratch_root="$BUILD/corpus"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# shellcheck disable=SC2206  # FUZZ_ARGS is a list of flags
extra=(${FUZZ_ARGS:-})

run=0
failed=0
for t in "${targets[@]}"; do
  bin="$BUILD/fuzz/$t"
  seeds="fuzz/corpus/$t"
  [[ -x "$bin" ]] || { echo "fuzz: $t: no such target ($bin)" >&2; run=$((run + 1)); failed=$((failed + 1)); continue; }
  scratch="$scratch_root/$t"
  artifacts="$BUILD/artifacts/$t"
  log="$BUILD/logs/$t.log"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192
    -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -f "fuzz/$t.dict" ]] && flags+=(-dict="fuzz/$t.dict")
  dirs=("$scratch")
  [[ -d "$seeds" ]] && dirs+=("$seeds")
  run=$((run + 1))
  rc=0
  "$bin" "${flags[@]}" "${extra[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
  execs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  rate="$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  if ((rc == 0)); then
    printf 'fuzz: %-22s ok    %s runs in %ss (%s exec/s), corpus %s\n' "$t" "${execs:-?}" \
      "$seconds" "${rate:-?}" "$(find "$scratch" -type f | wc -l) new"
  else
    failed=$((failed + 1))
    printf 'fuzz: %-22s FAIL  exit %s; log %s\n' "$t" "$rc" "$log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*fuzz check failed|artifact_prefix|Test unit written)' \
      "$log" | head -n 12 | sed 's/^/    /'
    sed -nE 's/.*Test unit written to (.*)$/    replay: '"${bin//\//\\/}"' \1/p' "$log"
  fi
done
echo "fuzz: $run targets run, $failed failed"
((failed == 0))
