#!/usr/bin/env bash
# `make images`: the node installation image and the controller image as OCI archives, built with
# scripts/oci-image.py (no engine).
#   build-images.sh OUT-DIR [TAG] [all|installation|controller]
# Content: /var/content/{runsc,containerd-shim-runsc-v1} (Debian's runsc, our release shim), the static
# /gvisor-node (entrypoint `run`), busybox for `sh` and the default restart command's `chroot`, and the
# libc-level libraries the Swift binaries link. The controller image holds the static
# /gardener-extension-runtime-gvisor (entrypoint; the chart passes `run` and its flags) and its libraries.
# SHIM_BIN, GVISOR_NODE_BIN, RUNSC_BIN and CONTROLLER_BIN override inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: build-images.sh OUT-DIR [TAG] [all|installation|controller]}
tag=${2:-dev}
which=${3:-all}
case $which in all | installation | controller) ;; *) echo "build-images: unknown image set '$which' (expected all, installation or controller)" >&2; exit 2 ;; esac
shim=${SHIM_BIN:-out/bin/containerd-shim-runsc-v1}
node=${GVISOR_NODE_BIN:-out/bin/gvisor-node}
runsc=${RUNSC_BIN:-/usr/bin/runsc}
controller=${CONTROLLER_BIN:-out/bin/gardener-extension-runtime-gvisor}
inputs=()
[ "$which" = controller ] || inputs+=("$shim" "$node" "$runsc" /bin/busybox)
[ "$which" = installation ] || inputs+=("$controller")
for f in "${inputs[@]}"; do
  [ -x "$f" ] || { echo "build-images: $f is missing (run 'make release', 'make release-controller' and 'make deps')" >&2; exit 1; }
done
[ "$which" = controller ] || scripts/oci-image.py "$out/gvisor-installation.tar" "localhost/gvisor-installation:$tag" \
  --entrypoint '["/gvisor-node","run"]' --with-libraries \
  --symlink /bin/sh=busybox --symlink /usr/sbin/chroot=/bin/busybox \
  "$runsc=/var/content/runsc" "$shim=/var/content/containerd-shim-runsc-v1" "$node=/gvisor-node" \
  /bin/busybox=/bin/busybox
[ "$which" = installation ] || scripts/oci-image.py "$out/gardener-extension-runtime-gvisor.tar" "localhost/gardener-extension-runtime-gvisor:$tag" \
  --entrypoint '["/gardener-extension-runtime-gvisor"]' --with-libraries \
  "$controller=/gardener-extension-runtime-gvisor"
