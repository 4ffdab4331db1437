# shellcheck shell=bash
# gvisor-node end to end: a temporary host root with `containerd config default`, install into it, and a
# real containerd started from the installed config (paths moved under the host root) whose restarts are
# gvisor-node's --restart-command. Containers run through handler runsc via CRI and via ctr.
# Each test has its own base directory and containerd and stops everything it started by PID.

INST_NODE_BIN=$(realpath -m "${GVISOR_NODE_BIN:-../out/bin/gvisor-node}")
INST_SHIM_BIN=$(realpath -m "$SHIM_BIN")
# Not realpath: the venv's python is a symlink whose target knows nothing of the venv.
INST_CRI_PYTHON=${CRI_PYTHON:-$(cd .. && pwd)/.venv-cri/bin/python}
INST_NS=gvisor-inst-$HARNESS_RUN_ID

# inst_setup [CONFIG-SED-EXPRESSION]: base, host root with containerd's default config, content, restart script.
inst_setup() {
  INST_BASE=$(mktemp -d /tmp/gvisor-inst.XXXXXX)
  INST_HOST=$INST_BASE/host
  INST_SOCK=$INST_HOST/run/containerd/containerd.sock
  mkdir -p "$INST_HOST/etc/containerd" "$INST_BASE/content" "$INST_BASE/logs" "$INST_BASE/fifo"
  containerd config default >"$INST_HOST/etc/containerd/config.toml"
  [ -z "${1:-}" ] || sed -i -e "$1" "$INST_HOST/etc/containerd/config.toml"
  cp "$(command -v runsc)" "$INST_BASE/content/runsc"
  cp "$INST_SHIM_BIN" "$INST_BASE/content/containerd-shim-runsc-v1"
  # containerd reads the installed files with every host path moved under the host root (imported drop-ins
  # included), and CRI set up for this machine (no CNI, no CAP_SYS_RESOURCE, local pause image).
  cat >"$INST_BASE/restart.sh" <<EOF
#!/bin/bash
set -eu
B=$INST_BASE
H=\$B/host
echo restart >>"\$B/restarts"
move() {
  # Either quote: containerd 2.x's \`config default\` (version 3) writes single-quoted strings.
  sed -e "s#\\([\"']\\)/var/lib/containerd#\\1\$H/var/lib/containerd#g" -e "s#\\([\"']\\)/run/containerd#\\1\$H/run/containerd#g" \\
    -e "s#\\([\"']\\)/opt/containerd#\\1\$H/opt/containerd#g" -e "s#\\([\"']\\)/opt/cni/bin#\\1\$H/opt/cni/bin#g" \\
    -e "s#\\([\"']\\)/etc/cni/net.d#\\1\$H/etc/cni/net.d#g" -e "s#\\([\"']\\)/etc/containerd/conf.d/#\\1\$B/run-conf.d/#g" \\
    -e "s#\\([\"']\\)/etc/containerd#\\1\$H/etc/containerd#g" -e "s#\\([\"']\\)/var/run/nri#\\1\$H/var/run/nri#g" \\
    -e "s#\\([\"']\\)/opt/nri#\\1\$H/opt/nri#g" -e "s#\\([\"']\\)/etc/nri#\\1\$H/etc/nri#g" \\
    -e 's#restrict_oom_score_adj = false#restrict_oom_score_adj = true#' \\
    -e 's#disable_apparmor = false#disable_apparmor = true#' \\
    -e 's#sandbox_image = ".*"#sandbox_image = "docker.io/library/pause-local:latest"#' \\
    -e "s#sandbox = '.*'#sandbox = 'docker.io/library/pause-local:latest'#" "\$1"
}
rm -rf "\$B/run-conf.d" && mkdir -p "\$B/run-conf.d"
for f in "\$H"/etc/containerd/conf.d/*.toml; do [ -e "\$f" ] && move "\$f" >"\$B/run-conf.d/\${f##*/}"; done
move "\$H/etc/containerd/config.toml" >"\$B/run-config.toml"
if [ -s "\$B/containerd.pid" ]; then
  pid=\$(cat "\$B/containerd.pid")
  kill "\$pid" 2>/dev/null || true
  for _ in \$(seq 1 500); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.02; done
fi
PATH=\$H/var/bin/containerruntimes:\$PATH GVISOR_SHIM_LOG_ROOT=\$B/logs \\
  containerd --config "\$B/run-config.toml" </dev/null >>"\$B/containerd.log" 2>&1 &
echo \$! >"\$B/containerd.pid"
for _ in \$(seq 1 500); do
  ctr -a "$INST_SOCK" version >/dev/null 2>&1 && exit 0
  sleep 0.02
done
echo "containerd did not come up" >&2
exit 1
EOF
  chmod +x "$INST_BASE/restart.sh"
  trap inst_cleanup EXIT
}

# gvisor-node with the test's host root, content and restart command.
inst_node() {
  local command=$1
  shift
  "$INST_NODE_BIN" "$command" --host-root "$INST_HOST" --content "$INST_BASE/content" \
    --restart-command "$INST_BASE/restart.sh" "$@"
}

inst_doctor() { "$INST_NODE_BIN" doctor --host-root "$INST_HOST" "$@"; }

inst_restarts() { [ -f "$INST_BASE/restarts" ] && wc -l <"$INST_BASE/restarts" || echo 0; }

inst_ctr() { ctr -a "$INST_SOCK" -n "$INST_NS" "$@"; }

inst_import_images() {
  harness_mkimage "$INST_BASE/busybox.tar" >/dev/null || return 1
  harness_mkimage "$INST_BASE/pause.tar" docker.io/library/pause-local:latest '["/bin/sleep","2147483647"]' \
    >/dev/null || return 1
  local ns
  for ns in "$INST_NS" k8s.io; do
    ctr -a "$INST_SOCK" -n $ns images import "$INST_BASE/busybox.tar" >/dev/null || return 1
    ctr -a "$INST_SOCK" -n $ns images import "$INST_BASE/pause.tar" >/dev/null || return 1
  done
}

# ctr through runtime runsc with the installed runsc.toml (ctr has no CRI handlers; CRI is checked below).
inst_ctr_run() {
  local id=$1
  shift
  inst_ctr run --rm --fifo-dir "$INST_BASE/fifo" --runtime io.containerd.runsc.v1 \
    --runtime-config-path "$INST_HOST/etc/containerd/runsc.toml" docker.io/library/busybox-local:latest "$id" "$@"
}

# A pod through CRI with handler runsc: prints the container's output.
inst_cri_run() {
  [ -x "$INST_CRI_PYTHON" ] || { echo "CRI client $INST_CRI_PYTHON missing (run 'make cri-venv')"; return 1; }
  mkdir -p "$INST_BASE/cri-logs/$1"
  "$INST_CRI_PYTHON" tools/cri_pod.py "unix://$INST_SOCK" runsc "$1" "$2" "$INST_BASE/cri-logs/$1"
}

inst_cleanup() {
  [ -n "${INST_BASE:-}" ] && [ -d "$INST_BASE" ] || return 0
  private_containerd_cleanup "$INST_BASE" "$INST_SOCK" "$INST_NS k8s.io" \
    "*/$INST_NS $INST_NS */$HARNESS_CRI_CGROUP_ROOT"
  rmdir /run/containerd/runsc/"$INST_NS" /run/containerd/runsc/k8s.io 2>/dev/null
  rm -rf "$INST_BASE"
  INST_BASE=
  return 0
}

inst_expect_doctor() { # inst_expect_doctor RC TEXT [DOCTOR-OPTIONS...]
  local want=$1 text=$2 out rc
  shift 2
  out=$(inst_doctor "$@" 2>&1)
  rc=$?
  [ "$rc" = "$want" ] || { echo "doctor $*: exit $rc, expected $want:"; echo "$out"; return 1; }
  [[ $out == *"$text"* ]] || { echo "doctor $*: output lacks '$text':"; echo "$out"; return 1; }
}

test_30_installer_end_to_end() {
  local out pid
  [ -x "$INST_NODE_BIN" ] || { echo "gvisor-node binary $INST_NODE_BIN missing (run 'make release')"; return 1; }
  inst_setup

  echo "step: doctor before install"
  inst_expect_doctor 1 "handler runsc is not registered in /etc/containerd/config.toml" || return 1

  echo "step: install (starts containerd through the restart command)"
  inst_node install --extra-runsc-flag network=none || return 1
  expect_eq "restarts after install" 1 "$(inst_restarts)" || return 1
  inst_import_images || { echo "image import failed"; return 1; }
  inst_expect_doctor 0 "ready" || return 1
  out=$(inst_doctor --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ready"], len(d["checks"]))')
  expect_eq "doctor --json" "True 8" "$out" || return 1

  echo "step: a container through ctr with runtime runsc (installed shim and runsc)"
  out=$(inst_ctr_run inst-ctr-1 sh -c 'dmesg | head -1') || { echo "ctr run failed: $out"; return 1; }
  [[ $out == *"Starting gVisor"* ]] || { echo "ctr: not gVisor: $out"; return 1; }

  echo "step: a pod through CRI with handler runsc"
  out=$(inst_cri_run inst-cri-1 'dmesg | head -1') || { echo "CRI run failed: $out"; return 1; }
  [[ $out == *"Starting gVisor"* ]] || { echo "CRI: not gVisor: $out"; return 1; }

  echo "step: install again: nothing changes, nothing restarts"
  pid=$(cat "$INST_BASE/containerd.pid")
  out=$(inst_node install --extra-runsc-flag network=none) || { echo "$out"; return 1; }
  [[ $out == *"nothing changed"* ]] || { echo "second install changed something: $out"; return 1; }
  expect_eq "restarts after second install" 1 "$(inst_restarts)" || return 1
  expect_eq "containerd pid" "$pid" "$(cat "$INST_BASE/containerd.pid")" || return 1

  echo "step: doctor sees the configuration drift before install"
  inst_expect_doctor 1 "runsc.toml differs from the configuration" \
    --config-flag debug=true --extra-runsc-flag network=none || return 1

  echo "step: a new flag: exactly one restart, runsc gets it"
  out=$(inst_node install --config-flag debug=true --extra-runsc-flag network=none) || { echo "$out"; return 1; }
  [[ $out == *"updated /etc/containerd/runsc.toml"* ]] || { echo "runsc.toml not updated: $out"; return 1; }
  expect_eq "restarts after the flag change" 2 "$(inst_restarts)" || return 1
  inst_ctr_run inst-ctr-2 echo with-debug >/dev/null || { echo "ctr run after the flag change failed"; return 1; }
  grep -q -- "--debug=true" "$INST_BASE/logs/inst-ctr-2"/gvisor-*.log 2>/dev/null ||
    { echo "runsc did not get --debug=true: $(ls -R "$INST_BASE/logs")"; return 1; }
  inst_cri_run inst-cri-2 'echo cri-with-debug' >/dev/null || { echo "CRI run after the flag change failed"; return 1; }
  ls "$INST_BASE"/logs/*/gvisor-*.log >/dev/null 2>&1 || { echo "no debug logs from the CRI pod"; return 1; }
  inst_expect_doctor 0 "ready" --config-flag debug=true --extra-runsc-flag network=none || return 1

  echo "step: uninstall: handler gone, one restart"
  inst_node uninstall || return 1
  expect_eq "restarts after uninstall" 3 "$(inst_restarts)" || return 1
  cmp -s "$INST_HOST/etc/containerd/config.toml" <(containerd config default) ||
    { echo "config.toml differs from the default after uninstall"; return 1; }
  out=$(inst_cri_run inst-cri-3 'echo never' 2>&1) && { echo "CRI run succeeded after uninstall"; return 1; }
  [[ $out == *'no runtime for "runsc" is configured'* ]] || { echo "unexpected CRI error: $out"; return 1; }
  inst_expect_doctor 1 "runsc: /var/bin/containerruntimes/runsc is missing" || return 1
}

test_31_installer_under_node_agent_keeps_the_handler_in_config_toml() {
  local out
  [ -x "$INST_NODE_BIN" ] || { echo "gvisor-node binary $INST_NODE_BIN missing (run 'make release')"; return 1; }
  # gardener-node-agent's shape: imports conf.d, and a CRI setting of its own that must survive. An older
  # gvisor-node left a drop-in with runsc and a copy of the CRI section; install moves runsc back to config.toml.
  inst_setup 's#^imports = \[\]#imports = ["/etc/containerd/conf.d/*.toml"]#; s#max_container_log_line_size = 16384#max_container_log_line_size = 16385#'
  mkdir -p "$INST_HOST/etc/containerd/conf.d"
  printf '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\n  runtime_type = "io.containerd.runsc.v1"\n' \
    >"$INST_HOST/etc/containerd/conf.d/gvisor-runsc.toml"
  inst_node install --extra-runsc-flag network=none || return 1
  [ ! -e "$INST_HOST/etc/containerd/conf.d/gvisor-runsc.toml" ] || { echo "older drop-in left"; return 1; }
  grep -q 'containerd.runtimes.runsc]' "$INST_HOST/etc/containerd/config.toml" || { echo "runsc not in config.toml"; return 1; }
  out=$(containerd --config "$INST_BASE/run-config.toml" config dump 2>/dev/null)
  [[ $out == *'runtimes.runsc]'* ]] || { echo "merged config lacks runsc"; return 1; }
  grep -q "max_container_log_line_size = 16385" <<<"$out" ||
    { echo "merged config lost max_container_log_line_size = 16385"; return 1; }
  inst_import_images || return 1
  out=$(inst_cri_run inst-cri-d 'echo via-config-toml') || { echo "CRI run failed: $out"; return 1; }
  expect_eq "CRI output" "via-config-toml" "$out" || return 1
  inst_expect_doctor 0 "registered in /etc/containerd/config.toml" || return 1
  # node-agent changes its setting in config.toml in place (runsc's tables stay, as its decode/patch/encode keeps
  # them): containerd sees the change at once, and the installer has nothing to undo.
  sed -i 's#max_container_log_line_size = 16385#max_container_log_line_size = 16386#' "$INST_HOST/etc/containerd/config.toml"
  "$INST_BASE/restart.sh" || return 1
  local restarts
  restarts=$(wc -l <"$INST_BASE/restarts")
  out=$(inst_node install --extra-runsc-flag network=none) || return 1
  expect_eq "restarts after node-agent's change" "$restarts" "$(wc -l <"$INST_BASE/restarts")" || return 1
  out=$(containerd --config "$INST_BASE/run-config.toml" config dump 2>/dev/null)
  grep -q "max_container_log_line_size = 16386" <<<"$out" || { echo "node-agent's change did not take effect"; return 1; }
  [[ $out == *'runtimes.runsc]'* ]] || { echo "runsc lost after node-agent's change"; return 1; }
  # Why not a drop-in: containerd 1.6 and 1.7 replace a plugin's whole section with an imported one, so a drop-in
  # would have to carry a copy of the CRI section, which goes stale when node-agent edits config.toml; 2.x merges
  # imported plugin tables key by key (each version's own `config dump`).
  local plugin='io.containerd.grpc.v1.cri' version=2
  harness_containerd_at_least 2 0 && plugin='io.containerd.cri.v1.runtime' version=3
  printf 'version = %s\n[plugins."%s".containerd.runtimes.runsc]\n  runtime_type = "io.containerd.runsc.v1"\n' \
    "$version" "$plugin" >"$INST_BASE/run-conf.d/gvisor-runsc.toml"
  out=$(containerd --config "$INST_BASE/run-config.toml" config dump 2>/dev/null)
  if harness_containerd_at_least 2 0; then
    grep -q "max_container_log_line_size = 16386" <<<"$out" ||
      { echo "containerd 2.x dropped the main CRI setting beside a runsc-only drop-in (merge semantics changed?)"; return 1; }
  else
    grep -q "max_container_log_line_size = 16386" <<<"$out" &&
      { echo "containerd kept the main CRI section beside a runsc-only drop-in (merge semantics changed?)"; return 1; }
  fi
  rm -f "$INST_BASE/run-conf.d/gvisor-runsc.toml"
  inst_node uninstall || return 1
  grep -q 'runtimes.runsc' "$INST_HOST/etc/containerd/config.toml" && { echo "runsc left after uninstall"; return 1; }
  return 0
}

test_32_installer_bad_inputs_write_nothing() {
  local out before
  [ -x "$INST_NODE_BIN" ] || { echo "gvisor-node binary $INST_NODE_BIN missing (run 'make release')"; return 1; }
  inst_setup
  printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n' >"$INST_HOST/etc/containerd/config.toml"
  before=$(find "$INST_HOST" -type f | sort | xargs md5sum)
  out=$(inst_node install 2>&1) && { echo "install accepted a malformed config"; return 1; }
  [[ $out == *"config.toml, line 2"* ]] || { echo "error does not name file and line: $out"; return 1; }
  expect_eq "files after a failed install" "$before" "$(find "$INST_HOST" -type f | sort | xargs md5sum)" || return 1
  containerd config default >"$INST_HOST/etc/containerd/config.toml"
  rm "$INST_BASE/content/containerd-shim-runsc-v1"
  out=$(inst_node install 2>&1) && { echo "install without the shim succeeded"; return 1; }
  [[ $out == *"containerd-shim-runsc-v1 is missing from the installation content"* ]] ||
    { echo "unexpected error: $out"; return 1; }
  [ ! -e "$INST_HOST/var/bin/containerruntimes/runsc" ] || { echo "runsc was installed anyway"; return 1; }
  expect_eq "restarts" 0 "$(inst_restarts)"
}

test_33_installation_image_installs_a_host_root() {
  local out
  [ -x "$INST_NODE_BIN" ] || { echo "gvisor-node binary $INST_NODE_BIN missing (run 'make release')"; return 1; }
  inst_setup
  REGISTRY=localhost RUNSC_BIN=$(command -v runsc) SHIM_BIN=$INST_SHIM_BIN GVISOR_NODE_BIN=$INST_NODE_BIN \
    ../scripts/build-images.sh "$INST_BASE/images" test installation \
    >/dev/null || return 1
  hctr images import "$INST_BASE/images/gvisor-installation.tar" >/dev/null || return 1
  # The DaemonSet's view: the host's / at /var/host; the image's own content and gvisor-node, run by runc.
  local mount="type=bind,src=$INST_HOST,dst=/var/host,options=rbind:rw"
  out=$(hctr run --rm --fifo-dir "$HARNESS_BASE/fifo" --mount "$mount" localhost/gvisor-installation:test \
    inst-image /gvisor-node install --restart-command true 2>&1)
  local rc=$?
  hctr images rm localhost/gvisor-installation:test >/dev/null 2>&1
  [ $rc = 0 ] || { echo "install from the image failed: $out"; return 1; }
  cmp -s "$(command -v runsc)" "$INST_HOST/var/bin/containerruntimes/runsc" || { echo "runsc not installed from the image"; return 1; }
  cmp -s "$INST_SHIM_BIN" "$INST_HOST/var/bin/containerruntimes/containerd-shim-runsc-v1" ||
    { echo "shim not installed from the image"; return 1; }
  grep -q 'containerd.runtimes.runsc.options]' "$INST_HOST/etc/containerd/config.toml" ||
    { echo "handler runsc not registered by the image"; return 1; }
  inst_expect_doctor 0 "ready"
}
