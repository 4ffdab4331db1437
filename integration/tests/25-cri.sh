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
test_28_cri_untrusted_pod_annotations_and_systemd_pod_slices() {
  cri_pods untrusted
}

test_27_cri_ten_pods_at_once_leave_nothing_behind() {
  cri_pods concurrent 10
}
