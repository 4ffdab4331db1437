# shellcheck shell=bash
# Hardening (issue 10): the shim's seccomp self-confinement, checked in the live daemon and in the
# processes it starts; OCI seccomp profiles and missing capabilities as named Create errors.
# Uses gvrun, bundle_of, cleanup_task and RUNSC_TOML (harness.sh).

# hardening_probe_toml NAME [EXTRA-TOP-LEVEL-LINES]: a runsc.toml whose binary_name is a wrapper
# that records, as a child of the shim, one line per runsc call: which shim process started it
# (the daemon, or the `delete` action containerd runs by itself after the daemon has gone), its
# seccomp mode, and whether syslog(2) works (`dmesg -S` reads the kernel log with syslog(2), one
# of the denied calls); then it runs runsc.
hardening_probe_toml() {
  local name=$1 extra=${2:-}
  local wrapper=$HARNESS_BASE/$name-runsc.sh
  cat >"$wrapper" <<'EOF2'
#!/bin/sh
case " $(tr '\0' ' ' </proc/$PPID/cmdline)" in *" delete "*) parent=delete ;; *) parent=daemon ;; esac
mode=$(awk '$1 == "Seccomp:" {print $2}' /proc/self/status)
err=$(dmesg -S 2>&1 >/dev/null) && syslog=ok
case $err in *"Operation not permitted"*) syslog=EPERM ;; "") ;; *) syslog="other: $err" ;; esac
echo "parent=$parent seccomp=$mode syslog=$syslog" >>"$0.out"
exec runsc "$@"
EOF2
  chmod +x "$wrapper"
  cat >"$HARNESS_BASE/$name.toml" <<EOF2
root = "$HARNESS_BASE/runsc-root"
binary_name = "$wrapper"
$extra
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
EOF2
}

test_50_shim_daemon_is_confined() {
  local id=hard-confined pid mode
  gvrun $id -d -- sleep 300 || return 1
  pid=$(cat "$(bundle_of $id)/shim.pid")
  mode=$(awk '$1 == "Seccomp:" {print $2}' "/proc/$pid/status")
  cleanup_task $id
  expect_eq "Seccomp mode of the shim daemon (pid $pid)" 2 "$mode" || return 1
  grep -q 'seccomp self-confinement on' "$HARNESS_BASE/containerd.log" ||
    { echo "containerd's log does not show the shim's start-up line"; return 1; }
}

test_51_shim_children_get_eperm_from_denied_syscalls() {
  local out=$HARNESS_BASE/probe-on-runsc.sh.out calls
  # The control: the same call works outside the shim.
  dmesg -S >/dev/null || { echo "dmesg -S fails outside the shim too; the test proves nothing here"; return 1; }
  hardening_probe_toml probe-on
  GV_TOML=$HARNESS_BASE/probe-on.toml gvrun hard-probe-on --rm -- echo ok >/dev/null || return 1
  # create, start, wait/state, delete...: every runsc call of the daemon ran filtered and got EPERM.
  calls=$(grep -c '^parent=daemon' "$out" 2>/dev/null)
  [ "${calls:-0}" -ge 2 ] || { echo "expected several runsc calls from the daemon: $(cat "$out" 2>&1)"; return 1; }
  expect_eq "filtered runsc calls with EPERM from syslog(2)" "$calls" \
    "$(grep -c '^parent=daemon seccomp=2 syslog=EPERM$' "$out")" || { cat "$out"; return 1; }
}

test_52_shim_seccomp_false_switches_the_filter_off() {
  local out=$HARNESS_BASE/probe-off-runsc.sh.out calls
  hardening_probe_toml probe-off "shim_seccomp = false"
  GV_TOML=$HARNESS_BASE/probe-off.toml gvrun hard-probe-off --rm -- echo ok >/dev/null || return 1
  calls=$(grep -c '^parent=daemon' "$out" 2>/dev/null)
  [ "${calls:-0}" -ge 2 ] || { echo "expected several runsc calls from the daemon: $(cat "$out" 2>&1)"; return 1; }
  expect_eq "unfiltered runsc calls" "$calls" "$(grep -c '^parent=daemon seccomp=0 syslog=ok$' "$out")" ||
    { cat "$out"; return 1; }
  grep -q 'seccomp self-confinement is off' "$HARNESS_BASE/containerd.log" ||
    { echo "containerd's log does not show that the filter is off"; return 1; }
}

test_53_bad_oci_seccomp_profile_is_a_named_create_error() {
  local toml=$HARNESS_BASE/oci-seccomp.toml profile=$HARNESS_BASE/bad-profile.json out
  printf 'root = "%s"\n[runsc_config]\nplatform = "'"${RUNSC_PLATFORM:-ptrace}"'"\nnetwork = "none"\noci-seccomp = true\n' \
    "$HARNESS_BASE/runsc-root" >"$toml"
  cat >"$profile" <<'EOF2'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","frobnicate"],"action":"SCMP_ACT_ERRNO"}]}
EOF2
  out=$(GV_TOML=$toml gvrun hard-badprofile --rm --seccomp --seccomp-profile "$profile" -- echo never 2>&1) &&
    { echo "run succeeded with a bad seccomp profile"; return 1; }
  hctr containers delete hard-badprofile >/dev/null 2>&1
  [[ $out == *'linux.seccomp.syscalls[0].names[1]'* && $out == *'"frobnicate" is not a syscall libseccomp knows'* ]] ||
    { echo "error does not name the field and syscall: $out"; return 1; }
  # containerd's default profile passes, and runsc enforces it.
  out=$(GV_TOML=$toml gvrun hard-goodprofile --rm --seccomp -- echo fine 2>&1)
  expect_eq "run with containerd's default profile" fine "$out"
}

test_54_missing_capability_is_a_named_create_error() {
  # A second runtime name whose shim is ours started without CAP_SYS_PTRACE in its bounding set.
  local wrapper=$HARNESS_BASE/opt/bin/containerd-shim-runscnocap-v1 out
  printf '#!/bin/sh\nexec setpriv --bounding-set -sys_ptrace %s "$@"\n' \
    "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1" >"$wrapper"
  chmod +x "$wrapper"
  # The ptrace platform needs CAP_SYS_PTRACE on every runsc (systrap, the newer default, does not).
  printf 'root = "%s"\n[runsc_config]\nplatform = "ptrace"\nnetwork = "none"\n' "$HARNESS_BASE/runsc-root" \
    >"$HARNESS_BASE/ptrace.toml"
  out=$(hctr run --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runscnocap.v1 \
    --runtime-config-path "$HARNESS_BASE/ptrace.toml" --rm "$HARNESS_IMAGE" hard-nocap echo never 2>&1) &&
    { echo "run succeeded without CAP_SYS_PTRACE"; rm -f "$wrapper"; return 1; }
  hctr containers delete hard-nocap >/dev/null 2>&1
  rm -f "$wrapper"
  [[ $out == *"CAP_SYS_PTRACE (platform=ptrace"* ]] || { echo "error does not name CAP_SYS_PTRACE: $out"; return 1; }
}

test_55_net_raw_is_stripped_unless_enabled() {
  local id=hard-netraw caps toml=$HARNESS_BASE/netraw.toml
  # CapBnd of the container's process as gVisor reports it; CAP_NET_RAW is bit 13.
  caps=$(gvrun $id --rm -- sh -c "grep CapBnd /proc/self/status" | awk '{print $2}')
  [ -n "$caps" ] || { echo "no CapBnd from the container"; return 1; }
  (( (16#$caps >> 13) & 1 )) && { echo "CAP_NET_RAW is in the bounding set ($caps) with net-raw off"; return 1; }
  printf 'root = "%s"\n[runsc_config]\nplatform = "'"${RUNSC_PLATFORM:-ptrace}"'"\nnetwork = "none"\nnet-raw = true\n' \
    "$HARNESS_BASE/runsc-root" >"$toml"
  caps=$(GV_TOML=$toml gvrun $id-on --rm -- sh -c "grep CapBnd /proc/self/status" | awk '{print $2}')
  (( (16#$caps >> 13) & 1 )) || { echo "CAP_NET_RAW missing ($caps) with net-raw = true"; return 1; }
}

# Issue 17: the daemon drops every capability neither it nor runsc needs from its bounding set, and runsc's
# processes (sandbox, gofer) in the node's user namespace inherit the drop; what runsc needs (CAP_SYS_ADMIN, CAP_SYS_PTRACE) stays in the
# daemon's (runsc narrows its own processes' sets further).
test_56_shim_daemon_and_runsc_lose_unneeded_capabilities() {
  local id=hard-caps pid bnd rc=0 proc
  gvrun $id -d -- sleep 300 || return 1
  pid=$(cat "$(bundle_of $id)/shim.pid")
  # bit 16 CAP_SYS_MODULE, 25 CAP_SYS_TIME, 34 CAP_SYSLOG go; bit 21 CAP_SYS_ADMIN, 19 CAP_SYS_PTRACE stay.
  for proc in "$pid" $(runsc_procs $id); do
    # A process in a user namespace of its own (runsc 20240729's gofer) gets a full bounding set that counts only
    # inside that namespace; the node's capabilities are what matter.
    [ "$(readlink "/proc/$proc/ns/user")" = "$(readlink "/proc/$pid/ns/user")" ] || continue
    bnd=$((16#$(awk '$1 == "CapBnd:" {print $2}' "/proc/$proc/status")))
    for bit in 16 25 34; do
      [ $(((bnd >> bit) & 1)) -eq 0 ] || { echo "pid $proc ($(cat /proc/$proc/comm)) keeps capability $bit"; rc=1; }
    done
    [ "$proc" != "$pid" ] && continue
    for bit in 21 19; do
      [ $(((bnd >> bit) & 1)) -eq 1 ] || { echo "the daemon (pid $proc) lost capability $bit"; rc=1; }
    done
  done
  grep -q 'capabilities dropped from the bounding set' "$HARNESS_BASE/containerd.log" ||
    { echo "containerd's log does not show the drop"; rc=1; }
  cleanup_task $id
  return $rc
}
