#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format makes of it (.clang-format: Google
# style, 100 columns), or has a line longer than 100 columns that clang-format cannot break
# (a long string or comment). Prints one line per offending file, then a summary line
# "format: N files checked, M differ" that scripts/run-tests.sh counts (each file a test).
#
#   scripts/check-format.sh          check every tracked *.cc / *.h
#   scripts/check-format.sh --fix    rewrite them with clang-format -i first
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v clang-format >/dev/null 2>&1 ||
  { echo "check-format: clang-format not found (scripts/install-deps.sh installs it)" >&2; exit 2; }

mapfile -t files < <(git ls-files -- '*.cc' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
fi

bad=0
for f in "${files[@]}"; do
  why=()
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || why+=("differs from clang-format")
  # Characters, not bytes (a "→" is one column), as clang-format counts them.
  long="$(perl -CSD -ne 'chomp; if (length > 100) { print $sep, $.; $sep = "," }' "$f")"
  [[ -z "$long" ]] || why+=("lines over 100 columns: $long")
  if ((${#why[@]})); then
    bad=$((bad + 1))
    printf 'check-format: %s: %s\n' "$f" "$(IFS=';'; echo "${why[*]}")"
  fi
done
echo "format: ${#files[@]} files checked, $bad differ"
((bad == 0))
