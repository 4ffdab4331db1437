# shellcheck shell=bash
# containerd-shim-runsc-v1 driven by ctr against the private containerd: the shim is in
# $HARNESS_BASE/opt/bin, so runtime io.containerd.runsc.v1 resolves to it.

test_10_echo_output() {
  local out
  out=$(gvrun sh-echo --rm -- echo hello-from-gvisor)
  expect_eq "output" "hello-from-gvisor" "$out"
}

test_11_runs_inside_gvisor() {
  local out
  out=$(gvrun sh-dmesg --rm -- dmesg)
  [[ $out == *"Starting gVisor"* ]] || { echo "dmesg does not show gVisor: $out"; return 1; }
}

test_12_exit_code_propagates() {
  gvrun sh-exit3 --rm -- sh -c 'exit 3'
  expect_eq "exit code" 3 "$?"
}

test_13_detached_run_wait_and_states() {
  local id=sh-detached out
  gvrun $id -d -- sh -c 'sleep 1; exit 5' || return 1
  expect_eq "state while running" RUNNING "$(task_status $id)" || return 1
  for _ in $(seq 1 100); do [ "$(task_status $id)" = STOPPED ] && break; sleep 0.05; done
  expect_eq "state after exit" STOPPED "$(task_status $id)" || return 1
  out=$(hctr tasks delete $id 2>&1) || return 1
  [[ $out == *"exit code 5"* ]] || { echo "ctr task delete does not report exit code 5: $out"; return 1; }
  hctr containers delete $id
  [ -z "$(hctr tasks ls -q | grep -x $id)" ] || { echo "task still listed after delete"; return 1; }
}

test_14_sigterm_and_sigkill() {
  local rc
  gvrun sh-term -d -- sleep 300 || return 1
  hctr tasks kill -s TERM sh-term || return 1
  hctr tasks attach sh-term </dev/null >/dev/null
  rc=$?
  cleanup_task sh-term
  expect_eq "status after SIGTERM" 143 "$rc" || return 1
  gvrun sh-kill -d -- sleep 300 || return 1
  hctr tasks kill -s KILL sh-kill || return 1
  hctr tasks attach sh-kill </dev/null >/dev/null
  rc=$?
  cleanup_task sh-kill
  expect_eq "status after SIGKILL" 137 "$rc"
}

test_15_pause_resume_and_ps() {
  local id=sh-pause status
  gvrun $id -d -- sleep 300 || return 1
  hctr tasks pause $id || { cleanup_task $id; return 1; }
  status=$(task_status $id)
  hctr tasks resume $id || { cleanup_task $id; return 1; }
  expect_eq "state after pause" PAUSED "$status" || { cleanup_task $id; return 1; }
  expect_eq "state after resume" RUNNING "$(task_status $id)" || { cleanup_task $id; return 1; }
  # Captured first: `ctr ... | grep -q` can kill ctr with SIGPIPE, which pipefail reports as failure.
  local ps
  ps=$(hctr tasks ps $id)
  [ -n "$ps" ] || { echo "ctr task ps printed nothing"; cleanup_task $id; return 1; }
  cleanup_task $id
}

test_16_ten_containers_in_parallel() {
  local i pids=() failed=0
  # Ids that are not prefixes of one another: runsc 20221219 resolves ids by prefix.
  for i in a b c d e f g h i j; do
    (out=$(gvrun par-$i --rm -- sh -c "echo par-$i") && [ "$out" = "par-$i" ]) &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
  expect_eq "failed parallel runs" 0 "$failed"
}

test_17_runsc_config_flags_and_debug_logs() {
  local toml=$HARNESS_BASE/runsc-debug.toml id=sh-debuglog
  cat >"$toml" <<EOF
root = "$HARNESS_BASE/runsc-root"
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
debug = true
debug-log = "/var/log/runsc/%ID%/gvisor-%COMMAND%.log"
EOF
  GV_TOML=$toml gvrun $id --rm -- echo logged || return 1
  # GVISOR_SHIM_LOG_ROOT (set by run.sh) replaces /var/log/runsc.
  ls "$GVISOR_SHIM_LOG_ROOT/$id"/gvisor-*.log >/dev/null 2>&1 ||
    { echo "no debug logs under $GVISOR_SHIM_LOG_ROOT/$id: $(ls -R "$GVISOR_SHIM_LOG_ROOT")"; return 1; }
  grep -q -- "--debug=true" "$GVISOR_SHIM_LOG_ROOT/$id"/gvisor-create.log 2>/dev/null ||
    grep -rq "debug" "$GVISOR_SHIM_LOG_ROOT/$id" || { echo "debug log does not show the flag"; return 1; }
}

test_18_bad_runsc_toml_is_a_named_error() {
  local toml=$HARNESS_BASE/broken.toml out
  printf 'root = "x"\n[runsc_config\nplatform = "'"${RUNSC_PLATFORM:-ptrace}"'"\n' >"$toml"
  out=$(GV_TOML=$toml gvrun sh-badtoml --rm -- echo never 2>&1) && { echo "run succeeded with a broken runsc.toml"; return 1; }
  hctr containers delete sh-badtoml >/dev/null 2>&1
  [[ $out == *"broken.toml"* && $out == *"line 2"* ]] || { echo "error does not name the file and line: $out"; return 1; }
}

test_19_shim_killed_then_delete_cleans_up() {
  local id=sh-shimkill bundle pid socket
  gvrun $id -d -- sleep 300 || return 1
  bundle=$(bundle_of $id)
  pid=$(cat "$bundle/shim.pid")
  socket=$(sed 's#^unix://##' "$bundle/address")
  [ -n "$(runsc_procs $id)" ] || { echo "no runsc sandbox found for $id"; cleanup_task $id; return 1; }
  kill -9 "$pid"
  # containerd notices the dead shim and runs our `delete` action; ctr delete finishes the job.
  for _ in $(seq 1 100); do [ "$(task_status $id)" = STOPPED ] && break; sleep 0.05; done
  hctr tasks delete -f $id >/dev/null 2>&1
  hctr containers delete $id >/dev/null 2>&1
  for _ in $(seq 1 100); do [ -z "$(runsc_procs $id)" ] && break; sleep 0.05; done
  [ -z "$(runsc_procs $id)" ] || { echo "runsc processes left: $(runsc_procs $id)"; return 1; }
  ! grep -q " $bundle/rootfs " /proc/self/mounts || { echo "rootfs still mounted"; return 1; }
  [ ! -e "$socket" ] || { echo "socket $socket left behind"; return 1; }
}

test_99_nothing_left_behind() {
  local left
  left=$(hctr tasks ls -q)
  [ -z "$left" ] || { echo "tasks left: $left"; return 1; }
  left=$(pgrep -f "containerd-shim-runsc-v1.*$HARNESS_BASE" || true)
  [ -z "$left" ] || { echo "shims left: $left"; return 1; }
  left=$(pgrep -f "$HARNESS_BASE/runsc-root" || true)
  [ -z "$left" ] || { echo "runsc processes left: $left"; return 1; }
  left=$(grep "$HARNESS_BASE/state" /proc/self/mounts || true)
  [ -z "$left" ] || { echo "mounts left: $left"; return 1; }
}

# Issue 17: an image of 100 layers runs. Its overlay options (~8 KB of lowerdir under the harness's snapshot
# directory) exceed the page mount(2) takes; the shim compacts lowerdir as containerd does. Before, images of
# ~55 layers and more failed at Create (70 layers: ENOENT).
test_21_image_of_100_layers_runs() {
  local image=docker.io/library/layers-100:latest out
  harness_mkimage "$HARNESS_BASE/layers-100.tar" $image --extra-layers 99 >/dev/null || return 1
  hctr images import "$HARNESS_BASE/layers-100.tar" >/dev/null || return 1
  out=$(hctr run --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runsc.v1 \
    --runtime-config-path "$RUNSC_TOML" --rm $image layers-100 cat /layers/1 /layers/99 2>&1)
  expect_eq "files of layers 1 and 99 of a 100-layer image" "$(printf '1\n99')" "$out"
}

# Issue 19: the daemon runs on one thread. Tasks, actors, delayed jobs (Task.sleep) and the event loop share the
# main thread (ShimRunLoop.swift); libdispatch's worker and timer threads never start, and an exec and State
# calls do not start them either.
test_22_daemon_is_one_thread() {
  local id=sh-onethread pid threads out
  gvrun $id -d -- sleep 300 || return 1
  pid=$(cat "$(bundle_of $id)/shim.pid")
  out=$(hctr tasks exec --exec-id one-thread $id echo exec-on-one-thread) || { cleanup_task $id; return 1; }
  expect_eq "exec output" exec-on-one-thread "$out" || { cleanup_task $id; return 1; }
  expect_eq "state" RUNNING "$(task_status $id)" || { cleanup_task $id; return 1; }
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  cleanup_task $id
  expect_eq "threads of the idle daemon" 1 "$threads"
}

test_20_runsc_failure_carries_runscs_message() {
  local toml=$HARNESS_BASE/badflag.toml out
  printf 'root = "%s"\n[runsc_config]\nplatform = "'"${RUNSC_PLATFORM:-ptrace}"'"\nnetwork = "none"\nno-such-flag = "1"\n' \
    "$HARNESS_BASE/runsc-root" >"$toml"
  out=$(GV_TOML=$toml gvrun sh-badflag --rm -- echo never 2>&1) && { echo "run succeeded with a bad flag"; return 1; }
  hctr containers delete sh-badflag >/dev/null 2>&1
  [[ $out == *"no-such-flag"* ]] || { echo "error does not carry runsc's message: $out"; return 1; }
}
