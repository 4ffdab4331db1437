# shellcheck shell=bash
# nvproxy (GPUs) with the pair's runsc: Debian 12's runsc 0.0~20221219 predates nvproxy (no `nvproxy`
# subcommand, no --nvproxy flag); runsc 20240729 has it (its real `nvproxy list-supported-drivers` answers).
# There is no GPU on this machine, so the GPU container must fail at Create with the shim's named error (runsc
# lacks nvproxy, or the node has no NVIDIA driver), and a GPU-less container under the same nvproxy
# configuration must still run (the shim then keeps --nvproxy away from a runsc that would reject it, or that
# would fail to open /dev/nvidiactl at boot).
# ctr's containers are unprivileged, so NVIDIA_VISIBLE_DEVICES counts only where runsc.toml accepts it (the
# NVIDIA container toolkit's rule).

# nvproxy_toml VALUE [TOP-LEVEL LINE...]: a runsc.toml like the extension renders with configFlags.nvproxy.
nvproxy_toml() {
  local value=$1 toml
  shift
  toml=$HARNESS_BASE/runsc-nvproxy-$value-$(printf '%s' "$*" | md5sum | cut -c1-8).toml
  { printf '%s\n' "$@"; cat; } >"$toml" <<EOF
root = "$HARNESS_BASE/runsc-root"
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
nvproxy = "$value"
EOF
  echo "$toml"
}

ACCEPT_ENV="accept-nvidia-visible-devices-envvar-when-unprivileged = true"

test_40_nvproxy_gpu_container_without_gpu_support_is_a_named_error() {
  local toml out id=nv-gpu
  toml=$(nvproxy_toml true "$ACCEPT_ENV")
  out=$(GV_TOML=$toml gvrun $id --rm --env NVIDIA_VISIBLE_DEVICES=0 -- echo never 2>&1) &&
    { echo "a GPU container ran without nvproxy support: $out"; return 1; }
  hctr containers delete $id >/dev/null 2>&1
  if runsc nvproxy list-supported-drivers >/dev/null 2>&1; then
    [[ $out == *"nvproxy: no usable NVIDIA driver on this host"* ]] ||
      { echo "error does not say that the node has no NVIDIA driver: $out"; return 1; }
  else
    [[ $out == *"nvproxy is requested"* && $out == *"has no nvproxy support"* ]] ||
      { echo "error does not say that runsc lacks nvproxy: $out"; return 1; }
  fi
  [[ $out != *"waiting for sandbox to start"* ]] || { echo "runsc was started anyway: $out"; return 1; }
  [ -z "$(runsc_procs $id)" ] || { echo "runsc processes left: $(runsc_procs $id)"; return 1; }
  ! grep -q "$(bundle_of $id)/rootfs" /proc/self/mounts || { echo "rootfs of $id still mounted"; return 1; }
}

test_41_nvproxy_config_still_runs_gpu_less_containers() {
  local toml out
  toml=$(nvproxy_toml true)
  out=$(GV_TOML=$toml gvrun nv-plain --rm -- echo runs-without-gpu 2>&1)
  expect_eq "GPU-less container under nvproxy = true" "runs-without-gpu" "$out" || return 1
  # NVIDIA_VISIBLE_DEVICES=void asks for no GPU either.
  out=$(GV_TOML=$toml gvrun nv-void --rm --env NVIDIA_VISIBLE_DEVICES=void -- echo void-runs 2>&1)
  expect_eq "NVIDIA_VISIBLE_DEVICES=void under nvproxy = true" "void-runs" "$out"
}

test_42_nvproxy_false_is_harmless_on_nvproxyless_runsc() {
  local toml out
  toml=$(nvproxy_toml false)
  # nvproxy off: GPU requests are not the shim's business, and --nvproxy=false is not passed to this runsc.
  out=$(GV_TOML=$toml gvrun nv-off --rm --env NVIDIA_VISIBLE_DEVICES=all -- echo off-runs 2>&1)
  expect_eq "nvproxy = false" "off-runs" "$out"
}

# Issue 17: an unprivileged container's NVIDIA_VISIBLE_DEVICES used to count as a GPU request. By default it is
# ignored, with the named refusal in the shim's log, and the container runs without a GPU.
test_43_nvproxy_unprivileged_visible_devices_is_ignored_by_default() {
  local toml out
  toml=$(nvproxy_toml true)
  out=$(GV_TOML=$toml gvrun nv-env-ignored --rm --env NVIDIA_VISIBLE_DEVICES=0 -- echo runs-without-gpu 2>&1)
  expect_eq "unprivileged NVIDIA_VISIBLE_DEVICES=0 without the toolkit key" "runs-without-gpu" "$out" || return 1
  grep -q 'NVIDIA_VISIBLE_DEVICES=0 ignored: the container is unprivileged' "$HARNESS_BASE/containerd.log" ||
    { echo "no named refusal in the shim's log"; return 1; }
}

# With the real runsc 20240729 (it has nvproxy): the shim asks it for its supported drivers, then names the
# missing driver of this GPU-less host; the container is refused before runsc create.
test_44_nvproxy_with_runsc_20240729_names_the_missing_driver() {
  local runsc toml out id=nv-gpu-2024
  runsc=$(cd .. && pwd)/.cache/versions/runsc-20240729/usr/bin/runsc
  [ -x "$runsc" ] || { echo "$runsc missing (run 'make versions')"; return 1; }
  out=$("$runsc" nvproxy list-supported-drivers)
  [[ $out == *535.* ]] || { echo "runsc 20240729 lists no 535 driver: $out"; return 1; }
  toml=$(nvproxy_toml true "binary_name = \"$runsc\"" "$ACCEPT_ENV")
  out=$(GV_TOML=$toml gvrun $id --rm --env NVIDIA_VISIBLE_DEVICES=0 -- echo never 2>&1) &&
    { echo "a GPU container ran on a host without an NVIDIA driver: $out"; return 1; }
  hctr containers delete $id >/dev/null 2>&1
  [[ $out == *"no usable NVIDIA driver on this host"* ]] || { echo "error does not name the driver: $out"; return 1; }
  [[ $out != *"has no nvproxy support"* ]] || { echo "runsc 20240729 taken for one without nvproxy: $out"; return 1; }
}
