#!/usr/bin/env bash
# End-to-end suite against a private containerd (integration/harness.sh) and the real runsc.
# Prints one line per test and a closing "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
source ./harness.sh
source ./versions.sh
# VERSIONS names the containerd/runsc pair (integration/versions.sh); the newest by default.
if ! versions_use "${VERSIONS:-newest}"; then
  echo "FAIL prerequisites: version pair '${VERSIONS:-newest}' is not available"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "== versions: $VERSIONS_PAIR ($VERSIONS_LABEL)"

passed=0
failed=0
run_test() { # run_test NAME FUNCTION
  local out
  if out=$("$2" 2>&1); then
    echo "PASS $1"
    passed=$((passed + 1))
  else
    echo "FAIL $1"
    sed 's/^/    /' <<<"$out"
    failed=$((failed + 1))
  fi
}

for tool in containerd ctr runsc python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL prerequisites: '$tool' is not installed (run 'make deps')"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

SHIM_BIN=${SHIM_BIN:-../out/bin/containerd-shim-runsc-v1}
if [ ! -x "$SHIM_BIN" ]; then
  echo "FAIL prerequisites: shim binary $SHIM_BIN missing (run 'make release')"
  echo "0 passed, 1 failed"
  exit 1
fi
# Debug logs of the shim's containers land here instead of /var/log/runsc.
export GVISOR_SHIM_LOG_ROOT
GVISOR_SHIM_LOG_ROOT=$(mktemp -d /tmp/gvisor-logs.XXXXXX)
trap 'harness_stop; rm -rf "$GVISOR_SHIM_LOG_ROOT"' EXIT
# The CRI plugin serves pods with handler runsc (tests/25-cri.sh).
export HARNESS_CRI=1
if ! harness_start || ! harness_import_busybox; then
  echo "FAIL harness: private containerd or image import failed"
  echo "0 passed, 1 failed"
  exit 1
fi

install -m 0755 "$SHIM_BIN" "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1"
harness_test_runsc_toml
for t in tests/*.sh; do
  # shellcheck source=/dev/null
  source "$t"
done
# TEST_FILTER (an extended regular expression over the function names) runs a subset, e.g. `make soak`.
for fn in $(declare -F | awk '{print $3}' | grep '^test_' | grep -E "${TEST_FILTER:-.}" | grep -E "${TEST_FILTER_AND:-.}" | sort); do
  run_test "${fn#test_}" "$fn"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
