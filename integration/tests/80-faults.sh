# shellcheck shell=bash
# Faults (issue 11): containerd restarted under running containers and pods, the shim killed with SIGKILL,
# the runsc sandbox killed from outside, and debug logs on a read-only or full file system.
# Tests that restart or starve containerd get their own containerd with CRI enabled (rl_setup), like
# 30-installer.sh; the debug-log test uses the harness's. Uses expect_eq, gvrun, task_status,
# events_start/events_stop (harness.sh). Container ids start with rl- and have equal lengths (runsc resolves ids by
# prefix).

RL_CRI_PYTHON=${CRI_PYTHON:-$(cd .. && pwd)/.venv-cri/bin/python}
RL_SHIM_BIN=$(realpath -m "$SHIM_BIN")
RL_NS=rl-faults-$HARNESS_RUN_ID
# rl_setup: a base directory, the shim in its opt/bin, a runsc.toml, and a containerd with CRI (handler runsc,
# local pause image, restrict_oom_score_adj since root lacks CAP_SYS_RESOURCE here); images imported.
rl_setup() {
  [ -x "$RL_CRI_PYTHON" ] || { echo "CRI client $RL_CRI_PYTHON missing (run 'make cri-venv')"; return 1; }
  RL_BASE=$(mktemp -d /tmp/gvisor-rl.XXXXXX)
  trap rl_cleanup EXIT
  RL_SOCK=$RL_BASE/containerd.sock
  mkdir -p "$RL_BASE"/{root,state,opt/bin,fifo,logs,cri-logs,cni/bin,cni/net.d}
  install -m 0755 "$RL_SHIM_BIN" "$RL_BASE/opt/bin/containerd-shim-runsc-v1"
  printf 'root = "%s"\n[runsc_config]\nplatform = "'"${RUNSC_PLATFORM:-ptrace}"'"\nnetwork = "none"\n' "$RL_BASE/runsc-root" \
    >"$RL_BASE/runsc.toml"
  HARNESS_CRI=1 HARNESS_CRI_DEFAULT_RUNTIME=runsc HARNESS_CRI_RUNSC_CONFIG=$RL_BASE/runsc.toml \
    harness_containerd_config "$RL_BASE" >"$RL_BASE/config.toml"
  rl_containerd_start || return 1
  harness_mkimage "$RL_BASE/busybox.tar" >/dev/null || return 1
  harness_mkimage "$RL_BASE/pause.tar" docker.io/library/pause-local:latest '["/bin/sleep","2147483647"]' \
    >/dev/null || return 1
  local ns
  for ns in "$RL_NS" k8s.io; do
    ctr -a "$RL_SOCK" -n $ns images import "$RL_BASE/busybox.tar" >/dev/null || return 1
    ctr -a "$RL_SOCK" -n $ns images import "$RL_BASE/pause.tar" >/dev/null || return 1
  done
}

# Starts containerd with the same config (and log file) every time.
rl_containerd_start() {
  GVISOR_SHIM_LOG_ROOT=$RL_BASE/logs containerd --config "$RL_BASE/config.toml" </dev/null \
    >>"$RL_BASE/containerd.log" 2>&1 &
  echo $! >"$RL_BASE/containerd.pid"
  for _ in $(seq 1 500); do
    ctr -a "$RL_SOCK" version >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$RL_BASE/containerd.pid")" 2>/dev/null || break
    sleep 0.02
  done
  echo "containerd did not come up:"
  tail -20 "$RL_BASE/containerd.log"
  return 1
}

# SIGTERM, then waits until containerd has exited (the shims keep running).
rl_containerd_stop() {
  local pid
  pid=$(cat "$RL_BASE/containerd.pid")
  kill -TERM "$pid" || return 1
  for _ in $(seq 1 500); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.02; done
  echo "containerd $pid did not exit within 10 s of SIGTERM"
  return 1
}

rl_cleanup() {
  [ -n "${RL_BASE:-}" ] && [ -d "$RL_BASE" ] || return 0
  # RL_KEEP_LOG=FILE keeps containerd's log (with the shims' lines) for debugging.
  private_containerd_cleanup "$RL_BASE" "$RL_SOCK" "$RL_NS k8s.io" "*/$RL_NS $RL_NS */$HARNESS_CRI_CGROUP_ROOT"
  [ -z "${RL_KEEP_LOG:-}" ] || cp "$RL_BASE/containerd.log" "$RL_KEEP_LOG"
  rm -rf "$RL_BASE"
  RL_BASE=
  return 0
}

rl_ctr() { ctr -a "$RL_SOCK" -n "$RL_NS" "$@"; }
rl_cri() { "$RL_CRI_PYTHON" tools/cri_ctl.py "unix://$RL_SOCK" "$@"; }
rl_run() { # rl_run ID COMMAND...: detached container through our shim
  local id=$1
  shift
  rl_ctr run -d --fifo-dir "$RL_BASE/fifo" --runtime io.containerd.runsc.v1 \
    --runtime-config-path "$RL_BASE/runsc.toml" "$HARNESS_IMAGE" "$id" "$@"
}
rl_status() { rl_ctr tasks ls | awk -v id="$1" '$1 == id {print $3}'; }
rl_bundle() { echo "$RL_BASE/state/io.containerd.runtime.v2.task/${2:-$RL_NS}/$1"; }
# Processes whose command line names runsc's root and the id (sandbox, gofer, runsc wait/exec).
rl_runsc_procs() { pgrep -f "runsc.*$RL_BASE/runsc-root.*$1" || true; }
# The sandbox process of container ID in namespace NS (runsc state's pid is the sandbox's for a root container).
rl_sandbox_pid() {
  runsc --root "$RL_BASE/runsc-root/${2:-$RL_NS}" state "$1" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])'
}
# Waits up to $2 seconds (default 10) for `rl_status ID` to print $3 (default STOPPED).
rl_wait_status() {
  local i
  for i in $(seq 1 $((${2:-10} * 10))); do [ "$(rl_status "$1")" = "${3:-STOPPED}" ] && return 0; sleep 0.1; done
  echo "$1: state $(rl_status "$1"), expected ${3:-STOPPED}"
  return 1
}

# containerd stopped with SIGTERM and started again with the same config while 5 ctr containers and 2 CRI
# pods run; one container of each kind exits while containerd is down.
# containerd 1.6 keeps a task that exited while it was down: Wait and Delete report its exit code, and the
# shim's retried /tasks/exit reaches the new containerd.
rl_restart_wait_and_delete_report_the_exit() {
  local out
  echo "step: Wait and Delete report rl-rd's exit code"
  # ctr tasks attach is Wait, then Delete (deferred in ctr): its status is Wait's, Delete's is in /tasks/delete.
  timeout 20 ctr -a "$RL_SOCK" -n "$RL_NS" tasks attach rl-rd </dev/null >/dev/null 2>&1
  expect_eq "Wait status of rl-rd (ctr tasks attach)" 7 "$?" || return 1
  rl_ctr containers delete rl-rd || return 1
  sleep 1.5 # the shims' next retry (back-off capped at 1 s)
  events_stop
  out=$(grep -a '"container_id":"rl-rd"' "$RL_BASE/events-after-restart")
  grep -a " /tasks/exit " <<<"$out" | grep -q '"exit_status":7' ||
    { echo "rl-rd's exit event did not reach the new containerd: $(cat "$RL_BASE/events-after-restart")"; return 1; }
  grep -a " /tasks/delete " <<<"$out" | grep -q '"exit_status":7' ||
    { echo "no /tasks/delete with exit status 7 for rl-rd: $(cat "$RL_BASE/events-after-restart")"; return 1; }
  grep -q "forwarding events again" "$RL_BASE/containerd.log" || { echo "no shim logged the resumed forwarding"; return 1; }
}

test_80_containerd_restart_keeps_tasks_and_exits() {
  local out pod1 pod2 c1 c2 started stopped_at id
  rl_setup || return 1

  echo "step: 4 long-running ctr containers and a CRI pod"
  for id in rl-ra rl-rb rl-rc rl-re; do rl_run $id sleep 600 || { echo "ctr run $id failed"; return 1; }; done
  read -r pod1 c1 < <(rl_cri run-pod rl-pod1 runsc "$RL_BASE/cri-logs" 'sleep 600') || return 1
  [ -n "$c1" ] || { echo "pod rl-pod1 did not start"; return 1; }

  echo "step: a pod and a container that exit while containerd is down"
  read -r pod2 c2 < <(rl_cri run-pod rl-pod2 runsc "$RL_BASE/cri-logs" 'sleep 6; exit 3') || return 1
  [ -n "$c2" ] || { echo "pod rl-pod2 did not start"; return 1; }
  started=$SECONDS
  rl_run rl-rd sh -c 'sleep 5; exit 7' || return 1
  expect_eq "rl-rd before the restart" RUNNING "$(rl_status rl-rd)" || return 1
  expect_eq "CRI container of rl-pod2 before the restart" "RUNNING 0" "$(rl_cri status "$c2")" || return 1

  echo "step: SIGTERM containerd, wait for its exit"
  rl_containerd_stop || return 1
  stopped_at=$SECONDS
  for _ in $(seq 1 150); do [ -z "$(rl_runsc_procs rl-rd)" ] && break; sleep 0.1; done
  [ -z "$(rl_runsc_procs rl-rd)" ] || { echo "rl-rd did not exit while containerd was down"; return 1; }
  # rl-pod2's container (6 s from its start) has ended too; leave the shims a few failed forwards.
  while [ $((SECONDS - started)) -lt 9 ]; do sleep 0.2; done
  sleep 1
  local down=$((SECONDS - stopped_at))

  echo "step: start containerd again with the same config"
  rl_containerd_start || return 1
  events_start "$RL_BASE/events-after-restart" rl_ctr
  # Written while containerd was down, kept in the shims' log FIFOs, copied by the new containerd.
  for _ in $(seq 1 20); do grep -q "forwarding event failed" "$RL_BASE/containerd.log" && break; sleep 0.1; done
  grep -q "forwarding event failed, retrying until containerd answers" "$RL_BASE/containerd.log" ||
    { echo "no shim logged a failed forward while containerd was down"; return 1; }

  echo "step: every task listed with its state"
  for id in rl-ra rl-rb rl-rc rl-re; do expect_eq "$id after the restart" RUNNING "$(rl_status $id)" || return 1; done
  out=$(rl_cri list) || return 1
  [[ $out == *"$c1 RUNNING"* && $out == *"$c2 "* ]] || { echo "CRI ListContainers: $out"; return 1; }
  expect_eq "CRI container of rl-pod1" "RUNNING 0" "$(rl_cri status "$c1")" || return 1
  out=$(rl_cri wait "$c2" EXITED 10) || { echo "CRI container of rl-pod2: $out"; return 1; }
  if harness_containerd_at_least 1 7; then
    # containerd 1.7+ drops, at start-up, every task whose shim answers Pids with no process and that is not a
    # sandbox ("cleaning leaked shim process", core/runtime/v2 loadShims, containerd#6860): the runc-v2 shim's
    # tasks that exit while containerd is down go the same way (checked by hand on 1.7.24 and 2.1.9). CRI keeps
    # its container record and reports it exited; the exit code is lost with the task.
    expect_eq "rl-rd (exited during the downtime, dropped by containerd $(containerd --version | awk '{print $3}'))" \
      "" "$(rl_status rl-rd)" || return 1
    [[ $out == "EXITED "* ]] || { echo "CRI container of rl-pod2 (exited during the downtime): $out"; return 1; }
    rl_ctr containers delete rl-rd || return 1
    events_stop
  else
    expect_eq "rl-rd (exited during the downtime)" STOPPED "$(rl_status rl-rd)" || return 1
    expect_eq "CRI container of rl-pod2 (exited during the downtime)" "EXITED 3" "$out" || return 1
    rl_restart_wait_and_delete_report_the_exit || return 1
  fi

  echo "step: exec, kill and delete still work"
  out=$(rl_ctr tasks exec --exec-id after-restart rl-ra sh -c 'echo exec-$((6*7))') || return 1
  expect_eq "exec after the restart" exec-42 "$out" || return 1
  out=$(rl_cri exec "$c1" 'echo cri-exec-ok') || return 1
  expect_eq "CRI ExecSync after the restart" cri-exec-ok "$out" || return 1
  rl_ctr tasks kill -s TERM rl-re || return 1
  timeout 20 ctr -a "$RL_SOCK" -n "$RL_NS" tasks attach rl-re </dev/null >/dev/null 2>&1
  expect_eq "status of rl-re after SIGTERM" 143 "$?" || return 1
  rl_ctr containers delete rl-re || return 1 # attach deleted its task
  for id in rl-ra rl-rb rl-rc; do
    rl_ctr tasks kill -s KILL $id || return 1
    rl_wait_status $id 10 || return 1
    out=$(rl_ctr tasks delete $id 2>&1) || { echo "delete $id failed: $out"; return 1; }
    [[ $out == *"exit code 137"* ]] || { echo "delete $id after SIGKILL: $out"; return 1; }
    rl_ctr containers delete $id || return 1
  done
  rl_cri remove-pod "$pod1" || return 1
  rl_cri remove-pod "$pod2" || return 1
  for _ in $(seq 1 100); do [ -z "$(pgrep -f "containerd-shim-runsc-v1.*$RL_BASE")" ] && break; sleep 0.1; done
  [ -z "$(pgrep -f "containerd-shim-runsc-v1.*$RL_BASE")" ] || { echo "shims left: $(pgrep -af "shim.*$RL_BASE")"; return 1; }
  [ -z "$(rl_runsc_procs "")" ] || { echo "runsc processes left: $(rl_runsc_procs "")"; return 1; }
  rl_report "restart: containerd down ${down}s with 5 ctr containers + 2 CRI pods; after restart 4 RUNNING, rl-rd STOPPED exit 7 (Wait, Delete, /tasks/exit re-delivered), CRI EXITED 3; exec/ExecSync/kill/delete ok"
}

# The socket, runsc state entries, mounts and runsc processes of ID (bundle in namespace NS) are gone.
rl_expect_nothing_left() { # rl_expect_nothing_left ID NS SOCKET
  local id=$1 ns=$2 socket=$3 bundle
  bundle=$(rl_bundle "$id" "$ns")
  for _ in $(seq 1 100); do [ -z "$(rl_runsc_procs "$id")" ] && break; sleep 0.1; done
  [ -z "$(rl_runsc_procs "$id")" ] || { echo "$id: runsc processes left: $(rl_runsc_procs "$id")"; return 1; }
  ! grep -q " $bundle" /proc/self/mounts || { echo "$id: mounts left under $bundle"; return 1; }
  [ ! -e "$bundle" ] || { echo "$id: bundle $bundle left"; return 1; }
  [ ! -e "$socket" ] || { echo "$id: socket $socket left"; return 1; }
  local state
  state=$(ls "$RL_BASE/runsc-root/$ns" 2>/dev/null | grep -F "$id" || true)
  [ -z "$state" ] || { echo "$id: runsc state left in $RL_BASE/runsc-root/$ns: $state"; return 1; }
}

# SIGKILL to the shim of a ctr container and to the shim of a CRI pod (pause + 2 containers in one shim):
# containerd's cleanup (our `delete` action) leaves nothing behind; the tasks end with 137 and are removed.
test_81_shim_sigkill_cleanup_leaves_nothing() {
  local pod c c1 c2 id ctr_shim pod_shim ctr_socket pod_socket out
  rl_setup || return 1
  rl_run rl-kk sleep 600 || return 1
  read -r pod c1 c2 < <(rl_cri run-pod rl-kpod runsc "$RL_BASE/cri-logs" 'sleep 600' 'sleep 600') || return 1
  [ -n "$c2" ] || { echo "pod rl-kpod did not start"; return 1; }
  ctr_shim=$(cat "$(rl_bundle rl-kk)/shim.pid")
  pod_shim=$(cat "$(rl_bundle "$pod" k8s.io)/shim.pid")
  expect_eq "shim of the pod's second container" "$pod_shim" "$(cat "$(rl_bundle "$c2" k8s.io)/shim.pid")" || return 1
  ctr_socket=$(sed 's#^unix://##' "$(rl_bundle rl-kk)/address")
  pod_socket=$(sed 's#^unix://##' "$(rl_bundle "$pod" k8s.io)/address")
  [ -S "$ctr_socket" ] && [ -S "$pod_socket" ] || { echo "shim sockets missing: $ctr_socket $pod_socket"; return 1; }
  [ -n "$(rl_runsc_procs rl-kk)" ] && [ -n "$(rl_runsc_procs "$pod")" ] || { echo "no runsc sandboxes found"; return 1; }

  events_start "$RL_BASE/events-81" rl_ctr
  kill -9 "$ctr_shim" "$pod_shim"
  # containerd 1.6 sees the connection close, runs our `delete` action per task, publishes TaskExit (137) and
  # TaskDelete, and drops the task from its list (so it is deleted already; ctr tasks ls stops listing it).
  # containerd's cleanup of each task ends with its TaskDelete (all four run at once).
  local deleted
  for _ in $(seq 1 300); do
    deleted=0
    for id in rl-kk "$pod" "$c1" "$c2"; do
      grep -a " /tasks/delete " "$RL_BASE/events-81" | grep -q "\"container_id\":\"$id\"" && deleted=$((deleted + 1))
    done
    [ $deleted = 4 ] && break
    sleep 0.1
  done
  expect_eq "TaskDelete events after containerd's cleanup" 4 "$deleted" || { events_stop; return 1; }
  out=$(rl_ctr tasks ls -q) || { events_stop; echo "ctr tasks ls failed after the cleanup: $out"; return 1; }
  ! grep -qx rl-kk <<<"$out" || { events_stop; echo "rl-kk still listed after the cleanup"; return 1; }
  # CRI (1.6) waits on each task; the closed connection fails that Wait and CRI records its "unknown" exit
  # code 255 before containerd's TaskExit 137 arrives (runc's shim gets the same). 137 is accepted too.
  for c in "$c1" "$c2"; do
    out=$(rl_cri wait "$c" EXITED 20) || { events_stop; echo "CRI container after the shim's death: $out"; return 1; }
    [[ $out == "EXITED 255" || $out == "EXITED 137" ]] ||
      { events_stop; echo "CRI container after the shim's death: $out, expected EXITED 255 or 137"; return 1; }
  done
  events_stop
  grep -a " /tasks/exit " "$RL_BASE/events-81" | grep -q '"container_id":"rl-kk".*"exit_status":137' ||
    { echo "no TaskExit 137 for rl-kk: $(cat "$RL_BASE/events-81")"; return 1; }
  grep -q "cleaning up after shim disconnected.*id=rl-kk" "$RL_BASE/containerd.log" ||
    { echo "containerd did not run its cleanup for rl-kk"; return 1; }
  rl_ctr containers delete rl-kk || return 1
  rl_cri remove-pod "$pod" || return 1
  rl_expect_nothing_left rl-kk "$RL_NS" "$ctr_socket" || return 1
  for id in "$pod" "$c1" "$c2"; do rl_expect_nothing_left "$id" k8s.io "$pod_socket" || return 1; done
  [ -z "$(pgrep -f "containerd-shim-runsc-v1.*$RL_BASE")" ] || { echo "shims left: $(pgrep -af "shim.*$RL_BASE")"; return 1; }
  rl_report "shim SIGKILL: ctr task ended with TaskExit 137 and was removed by containerd; CRI pod (3 containers, one shim) EXITED (255: CRI's Wait failed on the closed connection); no runsc process, mount, socket, runsc state or bundle left"
}

# kill -9 of a runsc sandbox from outside: with ctr (one shim per container) the killed container's TaskExit
# carries 137, its neighbour keeps running and the shim answers State/Delete, then exits; in a CRI pod
# (one shim for the pause container and two app containers) every container reports 137 (the app containers
# take the sandbox's status) and the shim exits when containerd shuts it down with no container left.
test_82_sandbox_killed_from_outside() {
  local sandbox shim out pod c c1 c2 pod_shim
  rl_setup || return 1
  rl_run rl-sa sleep 600 || return 1
  rl_run rl-sb sleep 600 || return 1
  shim=$(cat "$(rl_bundle rl-sa)/shim.pid")
  sandbox=$(rl_sandbox_pid rl-sa)
  [ -n "$sandbox" ] && grep -q "$RL_BASE/runsc-root" "/proc/$sandbox/cmdline" 2>/dev/null ||
    { echo "no sandbox process for rl-sa ($sandbox)"; return 1; }
  events_start "$RL_BASE/events-82" rl_ctr
  kill -9 "$sandbox"
  rl_wait_status rl-sa 10 || { events_stop; return 1; }
  sleep 0.3
  events_stop
  grep -a " /tasks/exit " "$RL_BASE/events-82" | grep -q '"container_id":"rl-sa".*"exit_status":137' ||
    { echo "no TaskExit 137 for rl-sa: $(cat "$RL_BASE/events-82")"; return 1; }
  expect_eq "neighbour rl-sb" RUNNING "$(rl_status rl-sb)" || return 1
  out=$(rl_ctr tasks exec --exec-id after rl-sb echo neighbour-ok) || return 1
  expect_eq "exec in the neighbour" neighbour-ok "$out" || return 1
  kill -0 "$shim" 2>/dev/null || { echo "the shim of rl-sa exited before it was asked to"; return 1; }
  out=$(rl_ctr tasks delete rl-sa 2>&1) || { echo "delete rl-sa: $out"; return 1; }
  [[ $out == *"exit code 137"* ]] || { echo "delete rl-sa: $out"; return 1; }
  rl_ctr containers delete rl-sa || return 1
  for _ in $(seq 1 100); do kill -0 "$shim" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$shim" 2>/dev/null || { echo "the shim of rl-sa still runs after its container was deleted"; return 1; }
  rl_expect_nothing_left rl-sa "$RL_NS" /nonexistent || return 1

  echo "step: a CRI pod's sandbox"
  read -r pod c1 c2 < <(rl_cri run-pod rl-spod runsc "$RL_BASE/cri-logs" 'sleep 600' 'sleep 600') || return 1
  [ -n "$c2" ] || { echo "pod rl-spod did not start"; return 1; }
  pod_shim=$(cat "$(rl_bundle "$pod" k8s.io)/shim.pid")
  sandbox=$(rl_sandbox_pid "$pod" k8s.io)
  [ -n "$sandbox" ] || { echo "no sandbox process for the pod"; return 1; }
  kill -9 "$sandbox"
  for c in "$c1" "$c2"; do
    out=$(rl_cri wait "$c" EXITED 20) || { echo "pod container after the sandbox's death: $out"; return 1; }
    expect_eq "pod container after the sandbox's death" "EXITED 137" "$out" || return 1
  done
  # CRI deletes the tasks of exited containers by itself; the shim then gets Shutdown with nothing left.
  rl_cri remove-pod "$pod" || return 1
  for _ in $(seq 1 100); do kill -0 "$pod_shim" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$pod_shim" 2>/dev/null || { echo "the pod's shim still runs after the pod was removed"; return 1; }
  for c in "$pod" "$c1" "$c2"; do rl_expect_nothing_left "$c" k8s.io /nonexistent || return 1; done
  expect_eq "neighbour rl-sb at the end" RUNNING "$(rl_status rl-sb)" || return 1
  rl_report "sandbox kill -9: ctr TaskExit 137, neighbour RUNNING and exec ok, shim exits after Delete; CRI pod: both containers EXITED 137, shim serves removal then exits"
}

# Debug logs on a read-only file system (a read-only tmpfs: root ignores chmod 0555) and on a full tmpfs:
# runsc 20221219 exits when it cannot open --debug-log, so the shim drops debug-log (and debug) for the
# container and logs a warning naming the path; the container starts and runs. Harness containerd.
test_83_debug_log_on_read_only_or_full_disk() {
  local ro=$HARNESS_BASE/rl-ro-logs full=$HARNESS_BASE/rl-full-logs out kind dir
  mkdir -p "$ro" "$full"
  # shellcheck disable=SC2064
  trap "umount '$ro' 2>/dev/null; umount '$full' 2>/dev/null" EXIT
  mount -t tmpfs -o ro,size=64k tmpfs "$ro" || { echo "cannot mount a read-only tmpfs on $ro"; return 1; }
  mount -t tmpfs -o size=64k tmpfs "$full" || { echo "cannot mount a tmpfs on $full"; return 1; }
  mkdir "$full/rl-dfull"
  dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null
  [ "$(df --output=avail "$full" | tail -1 | tr -d ' ')" = 0 ] || { echo "$full is not full: $(df "$full")"; return 1; }
  for kind in ro full; do
    [ $kind = ro ] && dir=$ro || dir=$full
    cat >"$HARNESS_BASE/rl-$kind.toml" <<EOF2
root = "$HARNESS_BASE/runsc-root"
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
debug = true
debug-log = "$dir/%ID%/gvisor-%COMMAND%.log"
EOF2
    out=$(GV_TOML=$HARNESS_BASE/rl-$kind.toml gvrun rl-d$kind --rm -- sh -c 'echo started; exit 4' 2>&1)
    expect_eq "exit code with debug logs on the $kind disk" 4 "$?" || { echo "$out"; return 1; }
    expect_eq "output with debug logs on the $kind disk" started "$out" || return 1
    grep "log directory unusable" "$HARNESS_BASE/containerd.log" | grep -q "$dir/rl-d$kind" ||
      { echo "containerd's log has no warning naming $dir/rl-d$kind: $(grep -i 'log dir' "$HARNESS_BASE/containerd.log")"; return 1; }
  done
  grep "log directory unusable" "$HARNESS_BASE/containerd.log" | grep "$ro/rl-dro" | grep -q "Read-only file system" ||
    { echo "the read-only case does not name the error"; return 1; }
  grep "log directory unusable" "$HARNESS_BASE/containerd.log" | grep "$full/rl-dfull" | grep -q "No space left" ||
    { echo "the full-disk case does not name the error"; return 1; }
  umount "$ro" && umount "$full" || { echo "unmounting the test file systems failed"; return 1; }
  rl_report "debug-log on a read-only tmpfs and on a full 64k tmpfs: container ran (exit 4 as asked), shim warned naming the path (EROFS, ENOSPC)"
}
