#!/usr/bin/env bash
# Reading the suites' results, for scripts/run-tests.sh (sourced), and tested by
# tests/integration/test-results.test.js.
#
# A parser prints "PASS FAIL" for a result file, or nothing if it finds no summary;
# failures_of PARSER FILE prints what failed, a line each.

# ctest: "100% tests passed, 0 tests failed out of 12"; "No tests were found!!!" means 0 tests.
# Tests listed under "The following tests did not run" (GTEST_SKIP, disabled) are not counted as passed.
ctest_counts() {
  local line failed total not_run
  if grep -q 'No tests were found' "$1"; then echo "0 0"; return; fi
  line="$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1)" || return 0
  failed="$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
  total="$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
  not_run="$(grep -cE '^[[:space:]]+[0-9]+ - .*\((Skipped|Disabled|Not Run)\)[[:space:]]*$' "$1" || true)"
  echo "$((total - failed - not_run)) $failed"
}

# counts_of FILE ERE: the last line of FILE that matches ERE, whose first group is the number of
# tests and second the number failed.
counts_of() {
  local line
  line="$(grep -E "$2" "$1" | tail -n 1)" || return 0
  [[ "$line" =~ $2 ]] || return 0
  echo "$((BASH_REMATCH[1] - BASH_REMATCH[2])) ${BASH_REMATCH[2]}"
}

# fuzz.sh: "fuzz: N targets run, M failed" (each target one test).
fuzz_counts() { counts_of "$1" '^fuzz: ([0-9]+) targets run, ([0-9]+) failed$'; }
# check-format.sh: "format: N files checked, M differ".
format_counts() { counts_of "$1" '^format: ([0-9]+) files checked, ([0-9]+) differ$'; }
# test-package.sh: "package: N checks, M failed" (each check one test).
package_counts() { counts_of "$1" '^package: ([0-9]+) checks, ([0-9]+) failed$'; }

# node --test TAP: the last unindented "# pass N" / "# fail N" (+ "# cancelled N", counted as failed).
tap_counts() {
  local pass fail cancelled
  [[ -s "$1" ]] || return 0
  pass="$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$1" | tail -n 1)"
  fail="$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$1" | tail -n 1)"
  cancelled="$(sed -nE 's/^# cancelled ([0-9]+)$/\1/p' "$1" | tail -n 1)"
  [[ -n "$pass" && -n "$fail" ]] || return 0
  echo "$pass $((fail + ${cancelled:-0}))"
}

# What failed, a line each, for the summary: CI shows only the end of the output, so the summary
# names each failed test and where it failed (the step's log above has the rest).
failures_of() {
  local parser="$1" file="$2"
  [[ -s "$file" ]] || return 0
  case "$parser" in
    ctest_counts) sed -nE '/The following tests FAILED:/,$ s/^[[:space:]]+[0-9]+ - (.*)$/\1/p' "$file" ;;
    format_counts) sed -nE 's/^check-format: (.*)$/\1/p' "$file" ;;
    package_counts) sed -nE 's/^package: FAIL (.*)$/\1/p' "$file" ;;
    fuzz_counts) sed -nE 's/^fuzz: ([^ ]+) +FAIL +(.*)$/\1: \2/p; s/^fuzz: ([^ ]+): no such target.*/\1: no such target/p' "$file" ;;
    tap_counts)
      # A failed test's "not ok" line, then its YAML block: its location and the first line of its
      # error. Suites that failed only because a test in them did are left out.
      awk '
        function trim(s) { sub(/^[[:space:]]+/, "", s); sub(/[[:space:]]+$/, "", s); return s }
        /^[[:space:]]*not ok [0-9]+ - / {
          name = $0; sub(/^[[:space:]]*not ok [0-9]+ - /, "", name)
          open = 1; loc = ""; err = ""; suite = 0; want_err = 0; next
        }
        !open { next }
        want_err { err = trim($0); want_err = 0; next }
        /^[[:space:]]*failureType: .subtestsFailed./ { suite = 1 }
        /^[[:space:]]*location: / { loc = trim($0); sub(/^location: /, "", loc); gsub(/\x27/, "", loc) }
        /^[[:space:]]*error: / {
          err = trim($0); sub(/^error: /, "", err)
          if (err ~ /^[|>]-?$/) want_err = 1
        }
        /^[[:space:]]*\.\.\.$/ {
          if (!suite) printf "%s  [%s]  %s\n", name, loc, substr(err, 1, 300)
          open = 0
        }' "$file"
      ;;
  esac
}

