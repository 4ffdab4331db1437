# shellcheck shell=bash
# A private containerd for end-to-end tests and the demo: its own root, state, sockets and opt
# directory under one temporary base, never the system's. Source this file, then:
#   harness_start [extra-toml]   starts containerd (PID in $HARNESS_BASE/containerd.pid); with HARNESS_CRI=1
#                                its CRI plugin serves handler runsc (options in $HARNESS_BASE/runsc-cri.toml)
#   hctr ARGS...                 ctr against it, namespace $HARNESS_NS
#   harness_import_busybox       builds (harness_mkimage) and imports the busybox image ($HARNESS_IMAGE)
#   harness_stop                 stops what was started, by PID, and removes the base
# Shims placed in $HARNESS_BASE/opt/bin are found by containerd (its opt plugin prepends that to PATH).

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Every name shared beyond our base directory (containerd namespaces, which name ctr's cgroups, and the
# cgroup roots of CRI pods) carries this run's id, so that runs side by side never clean up each other's.
HARNESS_RUN_ID=${HARNESS_RUN_ID:-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
export HARNESS_RUN_ID
HARNESS_NS=${HARNESS_NS:-gvisor-test-$HARNESS_RUN_ID}
# The Python with the CRI client and protobuf (`make cri-venv`), for integration/tools; not resolved further:
# the venv's python is a symlink whose target knows nothing of the venv.
HARNESS_PYTHON=${CRI_PYTHON:-$HARNESS_DIR/../.venv-cri/bin/python}
# Pod cgroup parents of CRI tests (integration/tools read it); the kubelet's kubepods, for one run.
export HARNESS_CRI_CGROUP_ROOT=${HARNESS_CRI_CGROUP_ROOT:-gvisor-cri-$HARNESS_RUN_ID}
HARNESS_IMAGE=docker.io/library/busybox-local:latest
HARNESS_PAUSE_IMAGE=docker.io/library/pause-local:latest

harness_start() {
  local extra=${1:-}
  HARNESS_BASE=$(mktemp -d /tmp/gvisor-harness.XXXXXX)
  export HARNESS_BASE
  mkdir -p "$HARNESS_BASE"/{root,state,opt/bin,fifo}
  harness_containerd_config "$HARNESS_BASE" "$extra" >"$HARNESS_BASE/config.toml"
  # Shims inherit containerd's environment: mount hints resolve in a kubelet pods directory of our own.
  export GVISOR_SHIM_KUBELET_PODS_DIR=$HARNESS_BASE/kubelet/pods
  mkdir -p "$GVISOR_SHIM_KUBELET_PODS_DIR"
  # From /: containerd would otherwise prefer a shim binary in its working directory over opt/bin.
  (cd / && exec containerd --config "$HARNESS_BASE/config.toml") >"$HARNESS_BASE/containerd.log" 2>&1 &
  echo $! >"$HARNESS_BASE/containerd.pid"
  local i
  for i in $(seq 1 500); do
    ctr -a "$HARNESS_BASE/containerd.sock" version >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$HARNESS_BASE/containerd.pid")" 2>/dev/null || break
    sleep 0.02
  done
  echo "harness: containerd did not come up; its log:" >&2
  tail -20 "$HARNESS_BASE/containerd.log" >&2
  return 1
}

# The major version of the containerd on PATH (1 or 2).
harness_containerd_major() {
  containerd --version | awk '{print $3}' | sed 's/^v//; s/\..*//'
}

# Whether the containerd on PATH is at least MAJOR.MINOR: harness_containerd_at_least 1 7
harness_containerd_at_least() {
  local v major minor
  v=$(containerd --version | awk '{print $3}' | sed 's/^v//')
  major=${v%%.*} minor=${v#*.} minor=${minor%%.*}
  [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# harness_containerd_config BASE [EXTRA-TOML]: a private containerd's config.toml under BASE, in the
# version the containerd on PATH reads natively (2 for 1.6/1.7; 3 for 2.x, whose CRI is split into
# io.containerd.cri.v1.runtime and .images while io.containerd.grpc.v1.cri keeps only the server). With
# HARNESS_CRI=1 the CRI plugin serves handler runsc (options in BASE/runsc-cri.toml). NRI (on by default
# in 2.x, with a fixed socket under /var/run/nri) is off so that several containerds can run at once.
harness_containerd_config() {
  local base=$1 extra=${2:-} version=2 disabled
  [ "$(harness_containerd_major)" -ge 2 ] && version=3
  if [ "${HARNESS_CRI:-0}" = 1 ]; then
    disabled=
    extra="$(harness_cri_toml "$base" "$version")
$extra"
  elif [ $version = 3 ]; then
    disabled='disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]'
  else
    disabled='disabled_plugins = ["io.containerd.grpc.v1.cri"]'
  fi
  cat <<EOF
version = $version
root = "$base/root"
state = "$base/state"
$disabled

[grpc]
  address = "$base/containerd.sock"
[ttrpc]
  address = "$base/containerd.sock.ttrpc"
[debug]
  address = "$base/debug.sock"
  level = "debug"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$base/opt"
  [plugins."io.containerd.nri.v1.nri"]
    disable = true
$extra
EOF
}

# CRI as this machine allows it (test-environment notes): host-network pods only (no CNI), no
# CAP_SYS_RESOURCE (restrict_oom_score_adj), the locally built pause image, and handler runsc with
# the shipped snippet's options (pod annotations dev.gvisor.*, runsc.toml by ConfigPath). The default
# runtime (HARNESS_CRI_DEFAULT_RUNTIME, runc) and the runsc.toml (HARNESS_CRI_RUNSC_CONFIG) can be chosen.
# harness_cri_toml BASE CONFIG-VERSION prints the CRI tables in that config version's layout.
harness_cri_toml() {
  local base=$1 version=$2 runtime images server snapshotter=
  local default=${HARNESS_CRI_DEFAULT_RUNTIME:-runc} options=${HARNESS_CRI_RUNSC_CONFIG:-$base/runsc-cri.toml}
  mkdir -p "$base"/cni/{bin,net.d}
  cat >"$base/runsc-cri.toml" <<EOF
root = "$base/runsc-root"
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
EOF
  if [ "$version" = 3 ]; then
    runtime='plugins."io.containerd.cri.v1.runtime"' images='plugins."io.containerd.cri.v1.images"'
    server='plugins."io.containerd.grpc.v1.cri"'
    cat <<EOF
  [$images]
    snapshotter = "overlayfs"
    [$images.pinned_images]
      sandbox = "$HARNESS_PAUSE_IMAGE"
  [$server]
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
  [$runtime]
    restrict_oom_score_adj = true
    disable_apparmor = true
    enable_selinux = false
    [$runtime.cni]
      bin_dirs = ["$base/cni/bin"]
      conf_dir = "$base/cni/net.d"
EOF
  else
    runtime='plugins."io.containerd.grpc.v1.cri"'
    snapshotter='snapshotter = "overlayfs"'
    cat <<EOF
  [$runtime]
    sandbox_image = "$HARNESS_PAUSE_IMAGE"
    restrict_oom_score_adj = true
    disable_apparmor = true
    enable_selinux = false
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [$runtime.cni]
      bin_dir = "$base/cni/bin"
      conf_dir = "$base/cni/net.d"
EOF
  fi
  cat <<EOF
    [$runtime.containerd]
      $snapshotter
      default_runtime_name = "$default"
      [$runtime.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
      [$runtime.containerd.runtimes.runsc]
        runtime_type = "io.containerd.runsc.v1"
        pod_annotations = ["dev.gvisor.*"]
      [$runtime.containerd.runtimes.runsc.options]
        TypeUrl = "io.containerd.runsc.v1.options"
        ConfigPath = "$options"
EOF
}

hctr() {
  ctr -a "$HARNESS_BASE/containerd.sock" -n "$HARNESS_NS" "$@"
}

# harness_mkimage OUT.tar [NAME] [CMD-JSON] [--extra-layers N]: the busybox test image, as an OCI archive
# (scripts/oci-image.py builds every image of the project).
harness_mkimage() { python3 "$HARNESS_DIR/../scripts/oci-image.py" busybox "$@"; }

harness_import_busybox() {
  harness_mkimage "$HARNESS_BASE/busybox-oci.tar" "$HARNESS_IMAGE" >/dev/null
  hctr images import "$HARNESS_BASE/busybox-oci.tar" >/dev/null || return 1
  [ "${HARNESS_CRI:-0}" = 1 ] || return 0
  # CRI's images live in namespace k8s.io.
  harness_mkimage "$HARNESS_BASE/pause-oci.tar" "$HARNESS_PAUSE_IMAGE" \
    '["/bin/sleep","2147483647"]' >/dev/null || return 1
  ctr -a "$HARNESS_BASE/containerd.sock" -n k8s.io images import "$HARNESS_BASE/busybox-oci.tar" >/dev/null &&
    ctr -a "$HARNESS_BASE/containerd.sock" -n k8s.io images import "$HARNESS_BASE/pause-oci.tar" >/dev/null
}

# For tests with a containerd of their own under BASE (PID in BASE/containerd.pid, grpc socket SOCKET):
#   private_containerd_cleanup BASE SOCKET "NAMESPACE..." "CGROUP-DIR..."
# kills and deletes its tasks and containers in the namespaces, stops it (SIGTERM, then SIGKILL after 10 s),
# kills every process naming BASE (shims, runsc), unmounts what is mounted under BASE and removes the cgroup
# trees (globs under /sys/fs/cgroup, e.g. "*/my-ns"). BASE itself stays for the caller to inspect or remove.
private_containerd_cleanup() {
  local base=$1 sock=$2 namespaces=$3 cgroups=$4 pid ns t c
  if [ -S "$sock" ]; then
    for ns in $namespaces; do
      for t in $(ctr -a "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
        ctr -a "$sock" -n "$ns" tasks kill -s KILL "$t" >/dev/null 2>&1
        ctr -a "$sock" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1
      done
      for t in $(ctr -a "$sock" -n "$ns" containers ls -q 2>/dev/null); do
        ctr -a "$sock" -n "$ns" containers delete "$t" >/dev/null 2>&1
      done
    done
  fi
  pid=$(cat "$base/containerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -9 "$pid" 2>/dev/null
  fi
  for pid in $(pgrep -f "$base" || true); do kill -9 "$pid" 2>/dev/null; done
  { grep " $base" /proc/self/mounts || true; } | awk '{print $2}' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  for c in $cgroups; do
    for c in /sys/fs/cgroup/$c; do
      [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
  return 0
}

# Stops containerd and every shim it started (shims are found by the bundle paths under our
# state dir), by PID; removes the cgroups ctr made for our namespace and the base directory.
harness_stop() {
  [ -n "${HARNESS_BASE:-}" ] && [ -d "$HARNESS_BASE" ] || return 0
  local t pid
  for t in $(hctr tasks ls -q 2>/dev/null); do hctr tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
  for t in $(hctr tasks ls -q 2>/dev/null); do hctr tasks delete -f "$t" >/dev/null 2>&1 || true; done
  for t in $(hctr containers ls -q 2>/dev/null); do hctr containers delete "$t" >/dev/null 2>&1 || true; done
  pid=$(cat "$HARNESS_BASE/containerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # Shims whose command line names our base (bundle or address) are ours.
  for pid in $(pgrep -f "$HARNESS_BASE" || true); do kill -9 "$pid" 2>/dev/null || true; done
  { grep " $HARNESS_BASE" /proc/self/mounts || true; } | awk '{print $2}' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  for c in /sys/fs/cgroup/*/"$HARNESS_NS" /sys/fs/cgroup/"$HARNESS_NS" /sys/fs/cgroup/*/"$HARNESS_CRI_CGROUP_ROOT" \
    /sys/fs/cgroup/"$HARNESS_CRI_CGROUP_ROOT"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$HARNESS_BASE"
  HARNESS_BASE=
  return 0
}

# ---- Helpers the tests share (integration/tests/*.sh define only what they alone use) ----

expect_eq() { # expect_eq WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || { echo "$1: expected '$2', got '$3'"; return 1; }
}

# harness_test_runsc_toml: the runsc.toml the tests run the shim with ($RUNSC_TOML), after harness_start.
harness_test_runsc_toml() {
  RUNSC_TOML=$HARNESS_BASE/runsc.toml
  cat >"$RUNSC_TOML" <<EOF
root = "$HARNESS_BASE/runsc-root"
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
EOF
}

# gvrun ID [CTR-OPTIONS...] -- COMMAND... : ctr run through our shim with the test runsc.toml.
gvrun() {
  local id=$1 options=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  hctr run --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runsc.v1 \
    --runtime-config-path "${GV_TOML:-$RUNSC_TOML}" "${options[@]}" "$HARNESS_IMAGE" "$id" "$@"
}

# The runsc id-bearing processes of a container, for leak checks.
runsc_procs() { pgrep -f "runsc.*$HARNESS_BASE/runsc-root.*$1" || true; }

task_status() { hctr tasks ls | awk -v id="$1" '$1 == id {print $3}'; }

bundle_of() { echo "$HARNESS_BASE/state/io.containerd.runtime.v2.task/$HARNESS_NS/$1"; }

shim_pid_of() { cat "$(bundle_of "$1")/shim.pid"; }

cleanup_task() {
  hctr tasks kill -s KILL "$1" >/dev/null 2>&1
  hctr tasks delete -f "$1" >/dev/null 2>&1
  hctr containers delete "$1" >/dev/null 2>&1
  true
}

# events_start FILE [CTR-FUNCTION] / events_stop: containerd's event stream (`ctr events`, through hctr or the
# given function for another containerd) into FILE while a test acts.
events_start() {
  "${2:-hctr}" events >"$1" 2>&1 &
  EVENTS_PID=$!
  sleep 0.3
}
events_stop() {
  [ -n "${EVENTS_PID:-}" ] || return 0
  kill "$EVENTS_PID" 2>/dev/null
  wait "$EVENTS_PID" 2>/dev/null
  EVENTS_PID=
}

# An event line's JSON, by topic and container id.
event_line() { grep -a " $1 " "$2" | grep -a "\"container_id\":\"$3\"" | head -1; }

# Figures for README's reliability section; `make soak` sets RELIABILITY_LOG.
RELIABILITY_LOG=${RELIABILITY_LOG:-/dev/null}
rl_report() { echo "$*" >>"$RELIABILITY_LOG"; }
