# shellcheck shell=bash
# A private containerd for end-to-end tests and the demo: its own root, state, sockets and opt
# directory under one temporary base, never the system's. Source this file, then:
#   harness_start [extra-toml]   starts containerd (PID in $HARNESS_BASE/containerd.pid)
#   hctr ARGS...                 ctr against it, namespace $HARNESS_NS
#   harness_import_busybox       builds and imports the busybox image ($HARNESS_IMAGE)
#   harness_stop                 stops what was started, by PID, and removes the base
# Shims placed in $HARNESS_BASE/opt/bin are found by containerd (its opt plugin prepends that to PATH).

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS_NS=${HARNESS_NS:-gvisor-test}
HARNESS_IMAGE=docker.io/library/busybox-local:latest

harness_start() {
  local extra=${1:-}
  HARNESS_BASE=$(mktemp -d /tmp/gvisor-harness.XXXXXX)
  export HARNESS_BASE
  mkdir -p "$HARNESS_BASE"/{root,state,opt/bin,fifo}
  cat >"$HARNESS_BASE/config.toml" <<EOF
version = 2
root = "$HARNESS_BASE/root"
state = "$HARNESS_BASE/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$HARNESS_BASE/containerd.sock"
[ttrpc]
  address = "$HARNESS_BASE/containerd.sock.ttrpc"
[debug]
  address = "$HARNESS_BASE/debug.sock"
  level = "debug"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$HARNESS_BASE/opt"
$extra
EOF
  containerd --config "$HARNESS_BASE/config.toml" >"$HARNESS_BASE/containerd.log" 2>&1 &
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

hctr() {
  ctr -a "$HARNESS_BASE/containerd.sock" -n "$HARNESS_NS" "$@"
}

harness_import_busybox() {
  python3 "$HARNESS_DIR/mkimage.py" "$HARNESS_BASE/busybox-oci.tar" "$HARNESS_IMAGE" >/dev/null
  hctr images import "$HARNESS_BASE/busybox-oci.tar" >/dev/null
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
  for c in /sys/fs/cgroup/*/"$HARNESS_NS" /sys/fs/cgroup/"$HARNESS_NS"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$HARNESS_BASE"
  HARNESS_BASE=
  return 0
}
