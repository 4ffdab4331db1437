#!/usr/bin/env bash
# Pods through CRI (a report, not a gate): handler runsc (containerd-shim-runsc-v1 + runsc) side by side with
# handler runc (containerd's runc-v2 shim + runc) on one private containerd with its CRI plugin
# (integration/harness.sh, HARNESS_CRI=1). Both run one shim per pod. Everything started is stopped by PID.
#
#   C1  time from RunPodSandbox to the first container Running, median of BENCH_PODS_RUNS (default 10)
#       per handler, handlers interleaved.
#   C2  total shim memory (sum of USS and of PSS over the shim processes) with BENCH_PODS (default 20) running
#       pods of two containers each, per handler.
#
# Environment: BENCH_VERSIONS (the containerd/runsc pair, integration/versions.sh; default newest),
# SHIM_BIN (default out/bin/containerd-shim-runsc-v1), CRI_PYTHON (default .venv-cri/bin/python).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHIM_BIN=${SHIM_BIN:-$ROOT/out/bin/containerd-shim-runsc-v1}
CRI_PY=${CRI_PYTHON:-$ROOT/.venv-cri/bin/python}
RUNS=${BENCH_PODS_RUNS:-10}
PODS=${BENCH_PODS:-20}

# shellcheck source=../integration/versions.sh
source "$ROOT/integration/versions.sh"
versions_use "${BENCH_VERSIONS:-newest}"
for tool in containerd runsc runc containerd-shim-runc-v2 python3; do
  command -v "$tool" >/dev/null || { echo "bench-cri: '$tool' is not installed (run 'make deps')" >&2; exit 1; }
done
[ -x "$SHIM_BIN" ] || { echo "bench-cri: shim binary $SHIM_BIN missing (run 'make release')" >&2; exit 1; }
[ -x "$CRI_PY" ] || { echo "bench-cri: CRI client $CRI_PY missing (run 'make cri-venv')" >&2; exit 1; }

# shellcheck source=../integration/harness.sh
source "$ROOT/integration/harness.sh"
# runc-v2 keeps runc's state in /run/containerd/runc/<namespace>, shared by every containerd on the machine.
RUNC_ROOT=/run/containerd/runc/k8s.io
runc_root_existed=false
[ -d "$RUNC_ROOT" ] && runc_root_existed=true
export GVISOR_SHIM_LOG_ROOT
GVISOR_SHIM_LOG_ROOT=$(mktemp -d /tmp/gvisor-logs.XXXXXX)
cleanup() {
  harness_stop
  rm -rf "$GVISOR_SHIM_LOG_ROOT"
  $runc_root_existed || rmdir "$RUNC_ROOT" 2>/dev/null || true
}
trap cleanup EXIT
export HARNESS_CRI=1
harness_start
harness_import_busybox
install -m 0755 "$SHIM_BIN" "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1"
pods() { "$CRI_PY" "$ROOT/integration/tools/cri_pods.py" "$@"; }
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))" "$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "bench-cri: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $VERSIONS_LABEL ($VERSIONS_PAIR)"
echo "C1 RunPodSandbox to first container Running, $RUNS pods per handler (interleaved)"
c1=$(pods bench-start "$RUNS" runsc runc)
ours=$(field "$c1" 'median_s["runsc"]')
peer=$(field "$c1" 'median_s["runc"]')
printf '   runsc: median %.0f ms  (runs: %s)\n' "$(awk -v s="$ours" 'BEGIN{print s*1000}')" \
  "$(field "$c1" '" ".join("%.0f" % (t * 1000) for t in start_s["runsc"])')"
printf '   runc:  median %.0f ms  (runs: %s)\n' "$(awk -v s="$peer" 'BEGIN{print s*1000}')" \
  "$(field "$c1" '" ".join("%.0f" % (t * 1000) for t in start_s["runc"])')"
echo "   runsc/runc = $(ratio "$ours" "$peer") (goal <= 2.0; the runsc pod boots a gVisor kernel)"
[ -z "${BENCH_SUMMARY:-}" ] || echo "$VERSIONS_PAIR CRI pod to Running: ours $(awk -v s="$ours" \
  'BEGIN{printf "%.0f", s*1000}') ms, ours/handler-runc $(ratio "$ours" "$peer") (goal <= 2.0)" >>"$BENCH_SUMMARY"
# The phases of the median runsc pod: containerd at debug level copies the shim's trace lines into its log.
read -r start end < <(field "$c1" \
  '" ".join("%.6f" % b for b in sorted(zip(start_s["runsc"], wall_s["runsc"]))[(len(start_s["runsc"]) - 1) // 2][1])')
python3 "$ROOT/scripts/bench_phases.py" "$HARNESS_BASE/containerd.log" "$start" "$end" \
  --title "C1b phases of the median runsc pod to Running, $VERSIONS_PAIR, load $(cut -d' ' -f1 /proc/loadavg)"

echo "C2 shim memory with $PODS running pods of two containers each"
m_ours=$(pods bench-memory runsc "$PODS")
m_peer=$(pods bench-memory runc "$PODS")
for m in "$m_ours" "$m_peer"; do
  printf '   %-5s %2s shims  USS %6.1f MB  PSS %6.1f MB\n' "$(field "$m" handler)" "$(field "$m" shims)" \
    "$(awk -v k="$(field "$m" uss_kib)" 'BEGIN{print k/1024}')" "$(awk -v k="$(field "$m" pss_kib)" 'BEGIN{print k/1024}')"
done
echo "   runsc/runc: USS $(ratio "$(field "$m_ours" uss_kib)" "$(field "$m_peer" uss_kib)")," \
  "PSS $(ratio "$(field "$m_ours" pss_kib)" "$(field "$m_peer" pss_kib)") (goal < 1)"
