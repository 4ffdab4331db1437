#!/usr/bin/env bash
# The version matrix (README, "Testing"): the end-to-end suite once per containerd/runsc pair.
#   newest (containerd 2.1.9 + runsc 20240729, systrap)   full suite
#   debian12 (containerd 1.6.20 + runsc 20221219, ptrace) full suite
#   c17-runsc2022, c17-runsc2024 (containerd 1.7.24)      compatibility subset: environment, ctr
#     lifecycle, CRI pods, the installer, exec and terminals, faults
# MATRIX_PAIRS chooses pairs (space-separated); TEST_FILTER narrows every pair further. Prints a line per
# pair with its time and a closing "N passed, N failed" over all pairs; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
SUBSET='^test_(0[0-2]|1[0-5]|25|30|6[0-3]|8[0-2]|99)_'
declare -A FILTER=([newest]=. [debian12]=. [c17-runsc2022]=$SUBSET [c17-runsc2024]=$SUBSET)
pairs=${MATRIX_PAIRS:-newest debian12 c17-runsc2022 c17-runsc2024}
passed=0 failed=0 summary=
for pair in $pairs; do
  [ -n "${FILTER[$pair]:-}" ] || { echo "matrix: unknown pair '$pair'"; failed=$((failed + 1)); continue; }
  start=$(date +%s)
  out=$(mktemp)
  # Pair filter first, then the caller's TEST_FILTER (run.sh takes one expression: both must match).
  VERSIONS=$pair TEST_FILTER=${FILTER[$pair]} TEST_FILTER_AND=${TEST_FILTER:-.} ./run.sh 2>&1 | tee "$out"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
  rm -f "$out"
  p=$(awk '{print $1}' <<<"${line:-0 passed, 1 failed}") f=$(awk '{print $3}' <<<"${line:-0 passed, 1 failed}")
  passed=$((passed + p)) failed=$((failed + f))
  summary+="matrix: $pair: $p passed, $f failed in $(($(date +%s) - start)) s"$'\n'
done
printf '%s' "$summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
