# shellcheck shell=bash
# Bad input end to end (issue 11): a live shim's socket fed garbage for BAD_INPUT_FUZZ_SECONDS, and Creates and
# Kills that must fail with a named error and leave nothing behind. Requests ctr cannot build (path-like ids,
# foreign options types, signal numbers, hand-made bundles) go straight to the shim of a running container with
# tools/ttrpc_call.py: in a pod-less ctr setup each container has its own shim, and a second Create on it is how
# a pod's containers reach their sandbox's shim, so this exercises the real Create path of a real shim.
# Uses gvrun, task_status, cleanup_task, bundle_of and runsc_procs (harness.sh).

BAD_INPUT_FUZZ_SECONDS=${BAD_INPUT_FUZZ_SECONDS:-20}
BAD_INPUT_FUZZ_SEED=${BAD_INPUT_FUZZ_SEED:-11}
# Set BAD_INPUT_LOG to a file to keep the socket fuzzer's counts (the README figures come from it).
BAD_INPUT_LOG=${BAD_INPUT_LOG:-}
# Descriptors the shim may hold above its baseline once the fuzzer's connections are closed.
BAD_INPUT_FD_SLACK=0
BAD_INPUT_TOOLS=$PWD/tools

bi_fds() { find /proc/"$1"/fd -mindepth 1 -maxdepth 1 | wc -l; }

# The socket a shim for ID would listen on (containerd's rule, see Sources/Shim/SocketAddress.swift).
bi_socket_of() {
  printf '%s' "$HARNESS_BASE/containerd.sock/$HARNESS_NS/$1" | sha256sum | awk '{print "/run/containerd/s/" $1}'
}

# Everything a Create could leave behind, as text to compare: runsc state, mounts under the harness, runsc and
# shim processes of the harness, bundles.
bi_snapshot() {
  find "$HARNESS_BASE/runsc-root" 2>/dev/null | sort
  grep " $HARNESS_BASE" /proc/self/mounts | awk '{print "mount " $2}' | sort
  pgrep -f "runsc.*$HARNESS_BASE" | sort | sed 's/^/runsc /'
  pgrep -f "containerd-shim-runsc-v1.*$HARNESS_BASE" | sort | sed 's/^/shim /'
  find "$HARNESS_BASE/state/io.containerd.runtime.v2.task/$HARNESS_NS" -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

# bi_call ADDRESS METHOD ID [JSON]: one Task RPC on a shim, printing "code=N message=...".
bi_call() { "$HARNESS_PYTHON" "$BAD_INPUT_TOOLS/ttrpc_call.py" "$1" "$HARNESS_NS" "$2" "$3" "${4:-}"; }

test_70_socket_fuzz_leaves_shim_and_container_serving() {
  local id=bi-fuzz shim address fds_before fds_after out rc state probe
  gvrun $id -d -- sleep 600 || return 1
  shim=$(cat "$(bundle_of $id)/shim.pid")
  address=$(cat "$(bundle_of $id)/address")
  fds_before=$(bi_fds "$shim")
  out=$("$HARNESS_PYTHON" "$BAD_INPUT_TOOLS/ttrpc_fuzz.py" "$address" "$HARNESS_NS" "$BAD_INPUT_FUZZ_SECONDS" \
    "$BAD_INPUT_FUZZ_SEED" $id 2>&1)
  rc=$?
  [ -z "$BAD_INPUT_LOG" ] || echo "$out" >>"$BAD_INPUT_LOG"
  echo "$out" | tail -n 1
  [ "$rc" -eq 0 ] || { echo "socket fuzzer failed: $out"; cleanup_task $id; return 1; }
  [[ $out == *"total: "*" frames"* ]] || { echo "no counts from the fuzzer: $out"; cleanup_task $id; return 1; }
  kill -0 "$shim" 2>/dev/null || { echo "shim $shim is gone"; cleanup_task $id; return 1; }
  expect_eq "shim pid" "$shim" "$(cat "$(bundle_of $id)/shim.pid")" || { cleanup_task $id; return 1; }
  state=$(bi_call "$address" State $id)
  expect_eq "State after the fuzzing" "code=0 message=
status=2" "$state" || { cleanup_task $id; return 1; }
  probe=$(hctr tasks exec --exec-id probe $id echo still-serving 2>&1)
  expect_eq "exec after the fuzzing" still-serving "$probe" || { cleanup_task $id; return 1; }
  expect_eq "task state" RUNNING "$(task_status $id)" || { cleanup_task $id; return 1; }
  # Connections close asynchronously on the shim's side; give them a moment.
  for _ in $(seq 1 50); do
    fds_after=$(bi_fds "$shim")
    [ "$fds_after" -le $((fds_before + BAD_INPUT_FD_SLACK)) ] && break
    sleep 0.1
  done
  cleanup_task $id
  echo "shim descriptors: $fds_before before, $fds_after after"
  [ -z "$BAD_INPUT_LOG" ] || echo "shim descriptors: $fds_before before, $fds_after after" >>"$BAD_INPUT_LOG"
  [ "$fds_after" -le $((fds_before + BAD_INPUT_FD_SLACK)) ] ||
    { echo "shim descriptors: $fds_before before, $fds_after after"; return 1; }
}

# bi_expect_refused ADDRESS METHOD ID JSON TEXT...: the call fails (code != 0) with every TEXT in its message,
# and nothing new is left in the snapshot.
bi_expect_refused() {
  local address=$1 method=$2 id=$3 json=$4 before after out text
  shift 4
  before=$(bi_snapshot)
  out=$(bi_call "$address" "$method" "$id" "$json" 2>&1)
  [[ $out == code=[1-9]* ]] || { echo "$method of '$id' was not refused: $out"; return 1; }
  echo "$method ${id:0:20}: $out"
  for text in "$@"; do
    [[ $out == *"$text"* ]] || { echo "$method of '$id': no '$text' in: $out"; return 1; }
  done
  after=$(bi_snapshot)
  [ "$before" = "$after" ] || { echo "$method of '$id' left state behind:"; diff <(echo "$before") <(echo "$after"); return 1; }
  [ "$method" != Create ] || [ ! -e "$(bi_socket_of "$id")" ] || { echo "a socket for '$id' exists"; return 1; }
}

test_71_bad_creates_and_kills_are_named_and_leave_nothing() {
  local host=bi-host address bad=$HARNESS_BASE/bad-bundles long rc=0 spec
  gvrun $host -d -- sleep 600 || return 1
  address=$(cat "$(bundle_of $host)/address")
  spec=$(bundle_of $host)/config.json
  mkdir -p "$bad"/{malformed,no-rootfs,empty-rootfs/rootfs}
  echo '{"ociVersion": "1.0.2", "process": ' >"$bad/malformed/config.json"
  cp "$spec" "$bad/no-rootfs/config.json"
  cp "$spec" "$bad/empty-rootfs/config.json"
  printf 'root = "%s"\n[runsc_config\nplatform = "'"${RUNSC_PLATFORM:-ptrace}"'"\n' "$HARNESS_BASE/runsc-root" >"$bad/broken.toml"
  long=$(printf 'x%.0s' $(seq 1 300))
  local toml="\"config_path\": \"$RUNSC_TOML\""
  {
    bi_expect_refused "$address" Create bi-bad-json "{\"bundle\": \"$bad/malformed\", $toml}" \
      "$bad/malformed/config.json" &&
      bi_expect_refused "$address" Create bi-bad-noroot "{\"bundle\": \"$bad/no-rootfs\", $toml}" \
        "rootfs: no rootfs mounts were given and $bad/no-rootfs/rootfs" "cannot be opened" &&
      bi_expect_refused "$address" Create bi-bad-emptyroot "{\"bundle\": \"$bad/empty-rootfs\", $toml}" \
        "rootfs: no rootfs mounts were given and $bad/empty-rootfs/rootfs" "is an empty directory" &&
      bi_expect_refused "$address" Create bi-bad-nobundle "{\"bundle\": \"$bad/nonexistent\", $toml}" \
        "$bad/nonexistent/config.json: cannot read the OCI runtime spec" &&
      bi_expect_refused "$address" Create bi-bad-options \
        "{\"bundle\": \"$bad/no-rootfs\", \"options\": {\"type_url\": \"containerd.runc.v1.NoSuchOptions\"}}" \
        'options: unsupported runtime options type "containerd.runc.v1.NoSuchOptions"' &&
      bi_expect_refused "$address" Create bi-bad-toml \
        "{\"bundle\": \"$bad/no-rootfs\", \"config_path\": \"$bad/broken.toml\"}" "$bad/broken.toml" "line 2" &&
      bi_expect_refused "$address" Create "$long" "{\"bundle\": \"$bad/no-rootfs\", $toml}" \
        "id: container id" "is 300 characters long, at most 76 are allowed" &&
      bi_expect_refused "$address" Create "../x" "{\"bundle\": \"$bad/no-rootfs\", $toml}" \
        'id: container id "../x" must not contain "/"' &&
      bi_expect_refused "$address" Create "a/b" "{\"bundle\": \"$bad/no-rootfs\", $toml}" \
        'id: container id "a/b" must not contain "/"' &&
      bi_expect_refused "$address" Create ".hidden" "{\"bundle\": \"$bad/no-rootfs\", $toml}" \
        'id: container id ".hidden" must start with a letter or digit' &&
      bi_expect_refused "$address" Kill $host '{"signal": 0}' "invalid signal 0: expected a signal number from 1 to 64" &&
      bi_expect_refused "$address" Kill $host '{"signal": 9999}' \
        "invalid signal 9999: expected a signal number from 1 to 64"
  } || rc=1
  # The host container and its shim are unaffected by all of it.
  [ $rc -ne 0 ] || expect_eq "host container" RUNNING "$(task_status $host)" || rc=1
  [ $rc -ne 0 ] || expect_eq "exec in the host" ok "$(hctr tasks exec --exec-id probe $host echo ok 2>&1)" || rc=1
  cleanup_task $host
  rm -rf "$bad"
  return $rc
}

# Through ctr: a broken runsc.toml fails the Create, containerd tears the shim down, and nothing remains.
test_72_ctr_create_with_bad_runsc_toml_leaves_nothing() {
  local id=bi-ctr-toml toml=$HARNESS_BASE/broken-ctr.toml out rc left=
  printf 'root = "%s"\nio_uid = "nobody"\n' "$HARNESS_BASE/runsc-root" >"$toml"
  out=$(GV_TOML=$toml gvrun $id -- true 2>&1)
  rc=$?
  [ "$rc" -ne 0 ] || { echo "ctr run succeeded with a broken runsc.toml: $out"; cleanup_task $id; return 1; }
  [[ $out == *"$toml"* && $out == *io_uid* && $out == *"expected an integer"* ]] ||
    { echo "error does not name the file, key and expectation: $out"; cleanup_task $id; return 1; }
  for _ in $(seq 1 50); do
    left=$(pgrep -f "containerd-shim-runsc-v1.*-id $id( |$)")
    [ -z "$left" ] && [ ! -e "$(bi_socket_of $id)" ] && break
    sleep 0.1
  done
  cleanup_task $id
  [ -z "$left" ] || { echo "shim left running: $left"; return 1; }
  [ ! -e "$(bi_socket_of $id)" ] || { echo "socket left: $(bi_socket_of $id)"; return 1; }
  [ ! -e "$(bundle_of $id)" ] || { echo "bundle left: $(bundle_of $id)"; return 1; }
  [ -z "$(find "$HARNESS_BASE/runsc-root" -name "*$id*" 2>/dev/null)" ] || { echo "runsc state left"; return 1; }
  [ -z "$(runsc_procs $id)" ] || { echo "runsc processes left"; return 1; }
  ! grep -q "$id" /proc/self/mounts || { echo "mount left: $(grep "$id" /proc/self/mounts)"; return 1; }
}

# ctr and containerd check ids before any shim runs; the message still names the identifier.
test_73_ctr_refuses_overlong_ids_before_the_shim() {
  local long out
  long=$(printf 'y%.0s' $(seq 1 300))
  out=$(gvrun "$long" -- true 2>&1) && { echo "a 300-character id was accepted"; cleanup_task "$long"; return 1; }
  [[ $out == *identifier* ]] || { echo "no identifier error: $out"; return 1; }
  [ -z "$(pgrep -f "containerd-shim-runsc-v1.*$long")" ] || { echo "a shim started for the long id"; return 1; }
}

# Issue 17: 64 connections each send 4 MiB - 1 bytes of a 4 MiB frame and stop. Unbounded, the shim buffered them
# all (+267 MB); with its ttrpc limits at most 32 connections are open, the partial frames of all of them together
# are held to four full frames (16 MiB), and a frame still incomplete after 10 s closes its connection. Meanwhile
# State is answered on a fresh connection, and containerd's own connection still execs into the container.
BAD_INPUT_FLOOD_CONNECTIONS=${BAD_INPUT_FLOOD_CONNECTIONS:-64}
BAD_INPUT_FLOOD_MAX_GROWTH_KB=${BAD_INPUT_FLOOD_MAX_GROWTH_KB:-65536}
test_74_partial_frame_flood_keeps_memory_bounded_and_shim_serving() {
  local id=bi-flood shim address out growth rc=0
  gvrun $id -d -- sleep 600 || return 1
  shim=$(cat "$(bundle_of $id)/shim.pid")
  address=$(cat "$(bundle_of $id)/address")
  out=$("$HARNESS_PYTHON" "$BAD_INPUT_TOOLS/ttrpc_flood.py" "$address" "$HARNESS_NS" $id "$shim" \
    "$BAD_INPUT_FLOOD_CONNECTIONS" 15 2>&1) || { echo "flood failed: $out"; cleanup_task $id; return 1; }
  echo "$out" | tr '\n' ' '
  echo
  [ -z "$BAD_INPUT_LOG" ] || echo "$out" >>"$BAD_INPUT_LOG"
  growth=$(echo "$out" | sed -n 's/^rss_growth_kb=//p')
  [ -n "$growth" ] && [ "$growth" -le "$BAD_INPUT_FLOOD_MAX_GROWTH_KB" ] ||
    { echo "shim grew by ${growth:-?} kB holding partial frames (bound ${BAD_INPUT_FLOOD_MAX_GROWTH_KB} kB)"; rc=1; }
  [[ $out == *"state=code=0,status=2"* ]] || { echo "State during the flood was not RUNNING"; rc=1; }
  # Every connection that got its partial frame in was closed by the shim's partial-frame timeout.
  local accepted closed
  accepted=$(echo "$out" | sed -n 's/^accepted=//p')
  closed=$(echo "$out" | sed -n 's/^closed_by_shim=//p')
  [ "$closed" -ge "$accepted" ] || { echo "only $closed of $accepted held connections were closed by the shim"; rc=1; }
  kill -0 "$shim" 2>/dev/null || { echo "shim $shim is gone"; rc=1; }
  [ $rc -ne 0 ] || expect_eq "exec after the flood" ok "$(hctr tasks exec --exec-id probe $id echo ok 2>&1)" || rc=1
  [ $rc -ne 0 ] || expect_eq "task state" RUNNING "$(task_status $id)" || rc=1
  cleanup_task $id
  return $rc
}
