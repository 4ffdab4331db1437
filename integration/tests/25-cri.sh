# shellcheck shell=bash
# Pods as the kubelet runs them: containerd's CRI plugin (enabled in the harness, HARNESS_CRI=1) with
# runtime handler runsc, driven by integration/tools/cri_pods.py (PyPI's CRI client, `make cri-venv`).
# The assertions live in the tool; each prints what it saw.

CRI_PY=${CRI_PYTHON:-$(cd .. && pwd)/.venv-cri/bin/python}

cri_pods() {
  [ -x "$CRI_PY" ] || { echo "CRI client $CRI_PY missing (run 'make cri-venv')"; return 1; }
  "$CRI_PY" tools/cri_pods.py "$@"
}

test_25_cri_pod_lifecycle_one_shim_one_sandbox() {
  cri_pods lifecycle
}

test_26_cri_container_over_its_memory_is_oomkilled() {
  cri_pods oom
}

# Issue 17: dev.gvisor.spec.cgroup-parent from a pod is refused, and under a systemd-style cgroup parent the
# sandbox runs inside the pod slice.
test_23_cri_untrusted_pod_annotations_and_systemd_pod_slices() {
  cri_pods untrusted
}

test_27_cri_ten_pods_at_once_leave_nothing_behind() {
  cri_pods concurrent 10
}

# runsc's user log and panic log of a pod land in the pod's log directory (CRI's
# io.kubernetes.cri.sandbox-log-directory), beside the containers' logs, as gVisor's Go shim puts them.
test_24_cri_sandbox_logs_beside_the_pod_logs() {
  local logs=$HARNESS_BASE/pod-logs-24 out
  [ -x "$CRI_PY" ] || { echo "CRI client $CRI_PY missing (run 'make cri-venv')"; return 1; }
  mkdir -p "$logs"
  out=$("$CRI_PY" tools/cri_pod.py "unix://$HARNESS_BASE/containerd.sock" runsc podlogs 'echo in-pod' "$logs") ||
    { echo "pod failed: $out"; return 1; }
  [ "$out" = in-pod ] || { echo "pod output: $out"; return 1; }
  [ -f "$logs/main.log" ] || { echo "no container log in $logs: $(ls "$logs")"; return 1; }
  [ -f "$logs/gvisor.log" ] || { echo "no runsc user log (--user-log) in $logs: $(ls "$logs")"; return 1; }
  [ -f "$logs/gvisor_panic.log" ] || { echo "no runsc panic log (--panic-log) in $logs: $(ls "$logs")"; return 1; }
}
