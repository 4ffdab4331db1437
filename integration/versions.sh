# shellcheck shell=bash
# The version matrix: a pair is a containerd build, a runsc build and the runsc platform used with it.
# Source this file, then `versions_use PAIR` puts the pair's binaries first on PATH (containerd, ctr,
# containerd-shim-runc-v2 and runsc: the shim finds runsc by name through containerd's environment) and
# exports VERSIONS_PAIR, RUNSC_PLATFORM and VERSIONS_LABEL. Builds other than Debian 12's own come from
# .cache/versions (make versions; pins in integration/versions/pins.txt).
#   newest         containerd 2.1.9  + runsc 20240729, systrap   (default: demo, full suite, bench)
#   debian12       containerd 1.6.20 + runsc 20221219, ptrace    (the system's packages; full suite)
#   c17-runsc2022  containerd 1.7.24 + runsc 20221219, ptrace    (compatibility subset)
#   c17-runsc2024  containerd 1.7.24 + runsc 20240729, systrap   (compatibility subset)

VERSIONS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cache/versions
VERSIONS_PAIRS="newest debian12 c17-runsc2022 c17-runsc2024"

versions_use() {
  local pair=${1:-newest} containerd_dir= runsc_dir= d
  case $pair in
  newest) containerd_dir=containerd-2.1.9 runsc_dir=runsc-20240729 RUNSC_PLATFORM=systrap ;;
  debian12) RUNSC_PLATFORM=ptrace ;;
  c17-runsc2022) containerd_dir=containerd-1.7.24 RUNSC_PLATFORM=ptrace ;;
  c17-runsc2024) containerd_dir=containerd-1.7.24 runsc_dir=runsc-20240729 RUNSC_PLATFORM=systrap ;;
  *)
    echo "versions: unknown pair '$pair' (known: $VERSIONS_PAIRS)" >&2
    return 1
    ;;
  esac
  for d in $containerd_dir $runsc_dir; do
    if [ ! -x "$VERSIONS_ROOT/$d/usr/bin/${d%%-*}" ]; then
      echo "versions: $d is not in $VERSIONS_ROOT (run 'make versions')" >&2
      return 1
    fi
    PATH=$VERSIONS_ROOT/$d/usr/bin:$PATH
  done
  export PATH RUNSC_PLATFORM VERSIONS_PAIR=$pair
  VERSIONS_LABEL="containerd $(containerd --version | awk '{print $3}' | sed 's/+.*//; s/~.*//'), runsc $(runsc --version | awk 'NR==1{print $3}' | sed 's/^0.0~//; s/\.0$//'), $RUNSC_PLATFORM"
  export VERSIONS_LABEL
}
