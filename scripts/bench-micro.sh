#!/usr/bin/env bash
# `make bench-micro` (and the first part of `make bench`): the in-process micro-benchmarks
# (bench/ks_bench.cc, Google Benchmark), then each of issue 13's in-process targets with the
# measured rate and whether it holds:
#
#   KS v2 generate      BM_GenerateV2 (16 CSPRNG bytes + EncodeV2)      >= 1,000,000/s
#   KS v2 parse+verify  BM_DecodeV2                                     >= 1,000,000/s
#   app-token hash      BM_AppTokenHashCheck/{md5,sha1,sha256,sha512}   >= 2,000,000/s each
#
# A rate is 1e9 / the median CPU time per call over the repetitions (one thread, so one core).
#
#   scripts/bench-micro.sh [ks_bench flags...]   e.g. --benchmark_filter=V2
#
# Environment: KS_BENCH (build/release/bench/ks_bench), BENCH_REPETITIONS (5), BENCH_CPU (unset:
# not pinned; a CPU number: run under `taskset -c`), BENCH_STRICT (unset: exit 0 when a target
# does not hold; 1: exit 1). The JSON of the run is kept in build/bench-micro/ks_bench.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { printf 'bench-micro: error: %s\n' "$*" >&2; exit 2; }

BIN="${KS_BENCH:-build/release/bench/ks_bench}"
REPETITIONS="${BENCH_REPETITIONS:-5}"
OUT=build/bench-micro
[[ -x "$BIN" ]] || die "$BIN not built (cmake --build --preset release --target ks_bench)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
mkdir -p "$OUT"

run=("$BIN")
if [[ -n "${BENCH_CPU:-}" ]]; then
  run=(taskset -c "$BENCH_CPU" "$BIN")
fi
# The console table for people; the JSON for the target check below.
"${run[@]}" --benchmark_repetitions="$REPETITIONS" --benchmark_report_aggregates_only=true \
  --benchmark_out="$OUT/ks_bench.json" --benchmark_out_format=json "$@"

python3 - "$OUT/ks_bench.json" "${BENCH_STRICT:-}" <<'EOF'
import json
import sys

TARGETS = [  # (label, benchmark run_name, calls per second to reach)
    ("KS v2 generate", "BM_GenerateV2", 1_000_000),
    ("KS v2 parse+verify", "BM_DecodeV2", 1_000_000),
    ("app-token hash check, MD5", "BM_AppTokenHashCheck/md5", 2_000_000),
    ("app-token hash check, SHA-1", "BM_AppTokenHashCheck/sha1", 2_000_000),
    ("app-token hash check, SHA-256", "BM_AppTokenHashCheck/sha256", 2_000_000),
    ("app-token hash check, SHA-512", "BM_AppTokenHashCheck/sha512", 2_000_000),
]
SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}

with open(sys.argv[1]) as f:
    report = json.load(f)
medians = {}
for b in report["benchmarks"]:
    # With one repetition Google Benchmark writes no aggregates: the single run is the median.
    if b.get("aggregate_name") == "median" or b.get("run_type") == "iteration":
        medians.setdefault(b["run_name"], b["cpu_time"] * SCALE[b["time_unit"]])
        if b.get("aggregate_name") == "median":
            medians[b["run_name"]] = b["cpu_time"] * SCALE[b["time_unit"]]

print("\nIn-process targets (issue 13), median CPU time per call on one core:")
missed = 0
for label, name, target in TARGETS:
    seconds = medians.get(name)
    if seconds is None:
        print(f"  {label}: not run ({name} filtered out)")
        continue
    rate = 1.0 / seconds
    verdict = "holds" if rate >= target else "DOES NOT HOLD"
    missed += rate < target
    print(f"  {label}: {rate:,.0f}/s (target \u2265 {target:,}/s): {verdict}")
if missed and sys.argv[2] == "1":
    sys.exit(1)
EOF
