#!/usr/bin/env bash
# The main job: a private containerd starts a gVisor container through containerd-shim-runsc-v1.
# It prints a greeting and gVisor's dmesg, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product containerd-shim-runsc-v1 >/dev/null
shim="$(swift build -c release --show-bin-path)/containerd-shim-runsc-v1"

source integration/harness.sh
source integration/versions.sh
# DEMO_VERSIONS names the containerd/runsc pair (integration/versions.sh): the newest by default.
versions_use "${DEMO_VERSIONS:-newest}"
trap harness_stop EXIT
harness_start
harness_import_busybox
install -m 0755 "$shim" "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1"
# The pair's platform (systrap for runsc 20240729, ptrace for 20221219); network=none: this machine has no CNI.
cat >"$HARNESS_BASE/runsc.toml" <<TOML
root = "$HARNESS_BASE/runsc-root"
[runsc_config]
platform = "${RUNSC_PLATFORM:-ptrace}"
network = "none"
TOML

echo "== $VERSIONS_PAIR: containerd $(containerd --version | awk '{print $3}'), $(runsc --version | head -1)," \
  "platform $RUNSC_PLATFORM, shim $("$shim" -v | sed -n "s/.*Version: //p")"
hctr run --rm --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runsc.v1 \
  --runtime-config-path "$HARNESS_BASE/runsc.toml" "$HARNESS_IMAGE" gvisor-demo \
  sh -c 'echo "Hello from a gVisor sandbox started by containerd through containerd-shim-runsc-v1"; echo; echo "== dmesg inside the sandbox"; dmesg'
echo "== stopped: the private containerd, its shim and the sandbox are gone"
