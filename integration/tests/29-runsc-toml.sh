# shellcheck shell=bash
# runsc.toml's shim keys that gVisor's Go shim honours (issue 16): `log_path` (the shim's log also goes to that
# file, `%ID%` replaced, a trailing `/` naming a directory for runsc-shim-<id>.log) and `log_level` (the shim's
# level unless containerd runs it with -debug, as the harness's containerd at level debug does: these runs go
# through a runtime whose shim is ours with -debug taken off).

# shimlog_run LEVEL LOG_PATH ID COMMAND...: a container with log_level LEVEL and log_path LOG_PATH.
shimlog_run() {
  local level=$1 path=$2 id=$3 toml=$HARNESS_BASE/runsc-shimlog.toml
  local wrapper=$HARNESS_BASE/opt/bin/containerd-shim-runscnodebug-v1
  shift 3
  printf '#!/bin/bash\nargs=()\nfor a in "$@"; do [ "$a" = -debug ] || args+=("$a"); done\nexec %s "${args[@]}"\n' \
    "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1" >"$wrapper"
  chmod +x "$wrapper"
  printf 'root = "%s"\nlog_path = "%s"\nlog_level = "%s"\n[runsc_config]\nplatform = "%s"\nnetwork = "none"\n' \
    "$HARNESS_BASE/runsc-root" "$path" "$level" "${RUNSC_PLATFORM:-ptrace}" >"$toml"
  hctr run --rm --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runscnodebug.v1 --runtime-config-path "$toml" \
    "$HARNESS_IMAGE" "$id" "$@"
}

test_29_log_path_and_log_level_change_the_shim_log() {
  local logs=$HARNESS_BASE/shim-logs file out
  out=$(shimlog_run debug "$logs/%ID%/" shimlog-debug echo logged) || { echo "run failed: $out"; return 1; }
  file=$logs/shimlog-debug/runsc-shim-shimlog-debug.log
  [ -s "$file" ] || { echo "no shim log at $file: $(find "$logs" 2>&1)"; return 1; }
  grep 'msg="shim log file"' "$file" | grep -q 'id=shimlog-debug' ||
    { echo "no header in $file: $(head -5 "$file")"; return 1; }
  grep 'level=info msg=created' "$file" | grep -q 'id=shimlog-debug' || { echo "no 'created' line in $file"; return 1; }
  grep -q 'level=debug msg="runsc flags"' "$file" || { echo "log_level = debug wrote no debug line to $file"; return 1; }
  # warning: no info lines, in the file as on containerd's FIFO.
  out=$(shimlog_run warning "$logs/%ID%.log" shimlog-warning echo quiet) || { echo "run failed: $out"; return 1; }
  file=$logs/shimlog-warning.log
  [ -e "$file" ] || { echo "log_path file $file not created"; return 1; }
  ! grep -q 'level=\(info\|debug\)' "$file" || { echo "log_level = warning still wrote: $(head -3 "$file")"; return 1; }
  ! grep 'level=info msg=created runtime=io.containerd.runsc.v1' "$HARNESS_BASE/containerd.log" |
    grep -q id=shimlog-warning || { echo "log_level = warning: containerd's log still has the shim's info line"; return 1; }
  rm -f "$HARNESS_BASE/opt/bin/containerd-shim-runscnodebug-v1"
}
