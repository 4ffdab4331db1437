# shellcheck shell=bash
# containerd's Task semantics where runsc allows them (issue 18), on both runsc builds: the system's 20221219
# (ptrace) and the pinned 20240729 (systrap, .cache/versions). Kill after exit, metrics of a created task,
# a missing executable at Create, runsc's id prefixes, Update, and the runc option types (IoUid/IoGid on the
# stdio pipes, ShimCgroup at `start`). Requests ctr cannot send go to the shim with tools/ttrpc_call.py.
# Uses gvrun, task_status, cleanup_task and bundle_of (harness.sh).

TS_TOOLS=$PWD/tools
TS_RUNSC_2024=$(cd .. && pwd)/.cache/versions/runsc-20240729/usr/bin/runsc
TS_TOML_2024=$HARNESS_BASE/runsc-2024.toml
cat >"$TS_TOML_2024" <<EOF2
binary_name = "$TS_RUNSC_2024"
root = "$HARNESS_BASE/runsc-root-2024"
[runsc_config]
platform = "systrap"
network = "none"
EOF2

ts_call() { "$HARNESS_PYTHON" "$TS_TOOLS/ttrpc_call.py" "$1" "$HARNESS_NS" "$2" "$3" "${4:-}"; }

# ts_each_runsc FUNCTION: FUNCTION VERSION TOML for 2022 (system runsc) and 2024; fails if either fails.
ts_each_runsc() {
  local rc=0
  echo "-- runsc 20221219"
  "$1" 2022 "$RUNSC_TOML" || rc=1
  if [ -x "$TS_RUNSC_2024" ]; then
    echo "-- runsc 20240729"
    "$1" 2024 "$TS_TOML_2024" || rc=1
  else
    echo "runsc 20240729 is not in .cache/versions (make versions): only 20221219 tested"
  fi
  return $rc
}

# A bundle of our own with a busybox rootfs, for Creates on a running shim (ctr cannot create without starting).
ts_bundle() { # ts_bundle DIR ID ARGS-JSON
  mkdir -p "$1/rootfs/bin"
  cp /bin/busybox "$1/rootfs/bin/"
  for applet in sh sleep cat true; do ln -sf busybox "$1/rootfs/bin/$applet"; done
  python3 - "$1" "$2" "$3" "$HARNESS_NS" <<'PY'
import json, sys
bundle, cid, args, ns = sys.argv[1:5]
spec = {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
        "process": {"args": json.loads(args), "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "linux": {"cgroupsPath": f"/{ns}/{cid}", "namespaces": [{"type": "pid"}, {"type": "mount"}]}}
json.dump(spec, open(f"{bundle}/config.json", "w"))
PY
}

# Kill after the process exited: NotFound "process already finished" for the init and an exec, like runc-v2
# (code 5 through ttrpc; ctr 1.x prints "... not found", ctr 2.x the message alone).
ts_kill_after_exit() {
  local id=ts-kill-$1 address out rc=0
  GV_TOML=$2 gvrun $id -d -- sleep 600 || return 1
  address=$(cat "$(bundle_of $id)/address")
  hctr tasks exec -d --exec-id quick $id true || { cleanup_task $id; return 1; }
  sleep 1
  out=$(hctr tasks kill -s KILL --exec-id quick $id 2>&1)
  [[ $out == *"process already finished"* ]] || { echo "kill of a finished exec: $out"; rc=1; }
  out=$(ts_call "$address" Kill $id '{"signal": 15, "exec_id": "quick"}')
  expect_eq "Kill of a finished exec" "code=5 message=process already finished" "$out" || rc=1
  hctr tasks kill -s KILL $id
  for _ in $(seq 1 100); do [ "$(task_status $id)" = STOPPED ] && break; sleep 0.05; done
  for signal in KILL TERM HUP; do
    out=$(hctr tasks kill -s $signal $id 2>&1)
    [[ $out == *"process already finished"* ]] || { echo "kill -s $signal after exit: $out"; rc=1; }
  done
  out=$(ts_call "$address" Kill $id '{"signal": 9, "all": true}')
  expect_eq "Kill --all after exit" "code=5 message=process already finished" "$out" || rc=1
  cleanup_task $id
  return $rc
}
test_65a_kill_after_exit_is_not_found() { ts_each_runsc ts_kill_after_exit; }

# Metrics of a created, never-started task: runsc 20221219's `events --stats` panics before start, so the
# shim reads the sandbox's cgroup; 20240729 answers itself.
ts_metrics_before_start() {
  local host=ts-mhost-$1 id=ts-created-$1 address dir=$HARNESS_BASE/ts-bundle-$1 out rc=0
  GV_TOML=$2 gvrun $host -d -- sleep 600 || return 1
  address=$(cat "$(bundle_of $host)/address")
  ts_bundle "$dir" $id '["sleep", "600"]'
  out=$(ts_call "$address" Create $id "{\"bundle\": \"$dir\", \"config_path\": \"$2\"}")
  [[ $out == "code=0 "* ]] || { echo "Create: $out"; cleanup_task $host; rm -rf "$dir"; return 1; }
  out=$(ts_call "$address" Stats $id)
  echo "Stats of the created $id: $(echo "$out" | tr '\n' ' ')"
  [[ $out == *"code=0 "*"type_url=io.containerd.cgroups.v"* ]] || { echo "Stats before start: $out"; rc=1; }
  ts_call "$address" Kill $id '{"signal": 9}' >/dev/null
  out=$(ts_call "$address" Delete $id)
  [[ $out == "code=0 "* ]] || { echo "Delete: $out"; rc=1; }
  cleanup_task $host
  rm -rf "$dir"
  return $rc
}
test_65b_metrics_of_a_created_task() { ts_each_runsc ts_metrics_before_start; }

# A missing executable fails Create (runc's message), looked up in the rootfs only: /usr/bin/containerd exists
# on this host and not in the image.
ts_missing_executable() {
  local id=ts-nobin-$1 out rc=0
  out=$(GV_TOML=$2 gvrun $id --rm -- no-such-binary 2>&1)
  [[ $out == *'exec: "no-such-binary": executable file not found in $PATH'* ]] ||
    { echo "missing binary: $out"; rc=1; }
  [ -z "$(task_status $id)" ] || { echo "a task $id was left: $(hctr tasks ls)"; rc=1; }
  cleanup_task $id
  out=$(GV_TOML=$2 gvrun $id --rm -- /usr/bin/containerd 2>&1)
  [[ $out == *'exec: "/usr/bin/containerd": stat /usr/bin/containerd: No such file or directory'* ]] ||
    { echo "host binary found instead of the rootfs': $out"; rc=1; }
  cleanup_task $id
  out=$(GV_TOML=$2 gvrun $id --rm -- sh -c 'echo found-through-path')
  expect_eq "sh through PATH" found-through-path "$out" || rc=1
  return $rc
}
test_65c_missing_executable_fails_create() { ts_each_runsc ts_missing_executable; }

# runsc looks ids up by prefix (both versions): with web and web-2 in one root, `runsc kill web` is
# "ambiguous". The shim refuses the second Create, naming both ids, and web keeps working.
ts_id_prefixes() {
  local id=ts-web-$1 out rc=0
  GV_TOML=$2 gvrun $id -d -- sleep 600 || return 1
  out=$(GV_TOML=$2 gvrun $id-2 -d -- sleep 600 2>&1)
  [[ $out == *"id \\\"$id-2\\\" has the prefix \\\"$id\\\""*"runsc looks ids up by prefix"* ||
    $out == *"id \"$id-2\" has the prefix \"$id\""*"runsc looks ids up by prefix"* ]] ||
    { echo "second Create: $out"; rc=1; }
  out=$(hctr tasks exec --exec-id probe $id echo web-still-serving 2>&1)
  expect_eq "exec in $id" web-still-serving "$out" || rc=1
  hctr tasks kill -s KILL $id >/dev/null
  for _ in $(seq 1 100); do [ "$(task_status $id)" = STOPPED ] && break; sleep 0.05; done
  expect_eq "kill of $id" STOPPED "$(task_status $id)" || rc=1
  cleanup_task $id-2
  cleanup_task $id
  return $rc
}
test_65d_runsc_id_prefixes_are_refused_at_create() { ts_each_runsc ts_id_prefixes; }

# Update without `runsc update`: the sandbox's host cgroup gets memory and CPU limits, and runsc's cgroupfs
# (write-control) where the sandbox has one (20240729 by default).
ts_update() {
  local id=ts-update-$1 address pid memory cpu out rc=0
  GV_TOML=$2 gvrun $id -d -- sleep 600 || return 1
  address=$(cat "$(bundle_of $id)/address")
  out=$(ts_call "$address" Update $id \
    '{"memory":{"limit":209715200},"cpu":{"shares":512,"quota":50000,"period":100000},"devices":[]}')
  expect_eq "Update" "code=0 message=" "$out" || { cleanup_task $id; return 1; }
  pid=$(hctr tasks ls | awk -v id=$id '$1 == id {print $2}')
  memory=$(awk -F: '$2 == "memory" {print $3}' /proc/$pid/cgroup)
  cpu=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' /proc/$pid/cgroup)
  expect_eq "host memory.limit_in_bytes" 209715200 "$(cat /sys/fs/cgroup/memory$memory/memory.limit_in_bytes)" || rc=1
  expect_eq "host cpu.shares" 512 "$(cat /sys/fs/cgroup/cpu$cpu/cpu.shares)" || rc=1
  expect_eq "host cpu.cfs_quota_us" 50000 "$(cat /sys/fs/cgroup/cpu$cpu/cpu.cfs_quota_us)" || rc=1
  if [ "$1" = 2024 ]; then
    out=$("$TS_RUNSC_2024" --root "$HARNESS_BASE/runsc-root-2024/$HARNESS_NS" read-control $id memory / \
      memory.limit_in_bytes 2>&1)
    expect_eq "runsc's memory.limit_in_bytes" 209715200 "$out" || rc=1
  fi
  cleanup_task $id
  return $rc
}
test_65e_update_sets_memory_and_cpu_limits() { ts_each_runsc ts_update; }

# containerd.linux.runc.CreateOptions (what containerd's client sends non-runc runtimes) are accepted: the
# container runs with the runsc.toml named at `start`, its output arrives, and the field without a runsc meaning
# (no_pivot_root) is named in a warning. IoUid/IoGid are applied to the pipes as runc-v2 does, then runsc re-owns
# them (see below).
ts_create_options() {
  local host=ts-iohost-$1 id=ts-io-$1 address shim dir=$HARNESS_BASE/ts-io-$1 out owners rc=0
  GV_TOML=$2 gvrun $host -d -- sleep 600 || return 1
  address=$(cat "$(bundle_of $host)/address")
  shim=$(cat "$(bundle_of $host)/shim.pid")
  ts_bundle "$dir" $id '["sh", "-c", "echo written-by-the-container; sleep 600"]'
  mkfifo "$dir/out"
  cat "$dir/out" >"$dir/out.log" &
  local reader=$!
  out=$(ts_call "$address" Create $id \
    "{\"bundle\": \"$dir\", \"stdout\": \"$dir/out\", \"create_options\": {\"io_uid\": 1234, \"io_gid\": 2345, \"no_pivot_root\": true}}")
  [[ $out == "code=0 "* ]] || { echo "Create with CreateOptions: $out"; cleanup_task $host; rm -rf "$dir"; return 1; }
  out=$(ts_call "$address" Start $id)
  [[ $out == "code=0 "* ]] || { echo "Start: $out"; rc=1; }
  # The shim chowns the pipes to 1234:2345 (TaskSemanticsTests.stdioPipesBelongToTheIOOwner); runsc then gives
  # every stdio descriptor to the sandbox's own user (sandbox.configureStdios, both versions: nobody with ptrace
  # here, root with systrap), so what remains visible is runsc's choice. Printed for the record.
  owners=$(for fd in /proc/$shim/fd/*; do
    [[ $(readlink "$fd") == pipe:* ]] && stat -L -c '%u:%g' "$fd"
  done | sort -u | tr '\n' ' ')
  echo "owners of the shim's pipes after runsc start: $owners"
  for _ in $(seq 1 50); do grep -q written-by-the-container "$dir/out.log" 2>/dev/null && break; sleep 0.1; done
  grep -q written-by-the-container "$dir/out.log" || { echo "no output: $(cat "$dir/out.log" 2>&1)"; rc=1; }
  # The field without a runsc meaning is named in the shim's log (containerd's log carries it).
  for _ in $(seq 1 50); do
    grep -q "containerd.linux.runc.CreateOptions.no_pivot_root" "$HARNESS_BASE/containerd.log" && break
    sleep 0.1
  done
  grep -q "containerd.linux.runc.CreateOptions.no_pivot_root" "$HARNESS_BASE/containerd.log" ||
    { echo "no warning naming no_pivot_root in containerd's log"; rc=1; }
  ts_call "$address" Kill $id '{"signal": 9}' >/dev/null
  for _ in $(seq 1 100); do [[ $(ts_call "$address" State $id) == *status=3* ]] && break; sleep 0.05; done
  out=$(ts_call "$address" Delete $id)
  [[ $out == "code=0 "* ]] || { echo "Delete: $out"; rc=1; }
  # containerd.runc.v1.Options: BinaryName and Root mean the same to runsc (runsc state lands in Root/<namespace>).
  local binary=runsc root=$HARNESS_BASE/runsc-root-opts-$1
  [ "$1" = 2022 ] || binary=$TS_RUNSC_2024
  out=$(ts_call "$address" Create $id-v1 \
    "{\"bundle\": \"$dir\", \"runc_options\": {\"binary_name\": \"$binary\", \"root\": \"$root\"}}")
  [[ $out == "code=0 "* ]] || { echo "Create with runc.v1.Options: $out"; rc=1; }
  ls "$root/$HARNESS_NS" | grep -q "_sandbox:$id-v1.state" ||
    { echo "no runsc state in the Options' root $root: $(ls -R "$root" 2>&1)"; rc=1; }
  ts_call "$address" Kill $id-v1 '{"signal": 9}' >/dev/null
  out=$(ts_call "$address" Delete $id-v1)
  [[ $out == "code=0 "* ]] || { echo "Delete of $id-v1: $out"; rc=1; }
  cleanup_task $host
  kill $reader 2>/dev/null
  wait $reader 2>/dev/null
  rm -rf "$dir"
  return $rc
}
test_65f_runc_create_options_are_accepted() { ts_each_runsc ts_create_options; }

# ShimCgroup at `start`, as runc-v2's StartShim: the daemon is in the cgroup before `start` answers. Driven
# the way containerd drives `start` (flags, bundle as working directory, the options Any on stdin).
test_65g_start_moves_the_shim_into_its_shim_cgroup() {
  local id=ts-shimcg bundle=$HARNESS_BASE/ts-shimcg cgroup=/$HARNESS_NS/ts-shim-cgroup address pid out rc=0
  mkdir -p "$bundle" /sys/fs/cgroup/memory$cgroup /sys/fs/cgroup/cpu$cgroup
  echo '{"ociVersion": "1.0.2"}' >"$bundle/config.json"
  address=$(cd "$bundle" && "$HARNESS_PYTHON" "$TS_TOOLS/ttrpc_call.py" --start-options \
    "{\"create_options\": {\"shim_cgroup\": \"$cgroup\"}}" |
    "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1" -namespace "$HARNESS_NS" \
      -address "$HARNESS_BASE/containerd.sock" -publish-binary /bin/true -id $id start 2>&1)
  pid=$(cat "$bundle/shim.pid" 2>/dev/null)
  [ -n "$pid" ] || { echo "start printed: $address"; rc=1; }
  if [ $rc -eq 0 ]; then
    out=$(cat /proc/$pid/cgroup)
    [[ $out == *":memory:$cgroup"* && $out == *":cpu:$cgroup"* ]] || { echo "shim $pid is in: $out"; rc=1; }
    out=$(ts_call "$address" Shutdown $id)
    expect_eq "Shutdown" "code=0 message=" "$out" || rc=1
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && { echo "shim $pid still runs"; kill -9 "$pid"; rc=1; }
  fi
  out=$(cd "$bundle" && "$HARNESS_PYTHON" "$TS_TOOLS/ttrpc_call.py" --start-options \
    '{"create_options": {"shim_cgroup": "/no/such/cgroup"}}' |
    "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1" -namespace "$HARNESS_NS" \
      -address "$HARNESS_BASE/containerd.sock" -publish-binary /bin/true -id $id-bad start 2>&1)
  [[ $out == *'shim cgroup "/no/such/cgroup" does not exist'* ]] || { echo "start with a missing cgroup: $out"; rc=1; }
  rmdir /sys/fs/cgroup/memory$cgroup /sys/fs/cgroup/cpu$cgroup 2>/dev/null
  rm -rf "$bundle"
  return $rc
}
