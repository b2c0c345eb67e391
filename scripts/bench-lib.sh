# shellcheck shell=bash
# Helpers the benchmark scripts share (sourced by scripts/bench-http.sh and bench-stores.sh).

# json_field FILE KEY: the first "KEY": string or number value in FILE (flat values without escapes:
# ids, secrets, KSs, hex), empty if none.
json_field() {
  grep -oE "\"$2\"[[:space:]]*:[[:space:]]*(\"[^\"]*\"|-?[0-9]+)" "$1" | head -n 1 |
    sed -E 's/^[^:]*:[[:space:]]*//; s/^"//; s/"$//'
}

# wrk_field FILE rps|p50|p99|errors: a figure of wrk's output (errors: socket errors + non-2xx).
wrk_field() {
  case "$2" in
    rps) awk '/^Requests\/sec:/ {print $2}' "$1" ;;
    p50) awk '$1 == "50%" {print $2; exit}' "$1" ;;
    p99) awk '$1 == "99%" {print $2; exit}' "$1" ;;
    errors) awk '/Non-2xx or 3xx responses:/ {e += $NF} /Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} END {print e + 0}' "$1" ;;
  esac
}
