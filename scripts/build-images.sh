#!/usr/bin/env bash
# `make images`: the node installation image and the controller image as OCI archives, built with
# scripts/oci-image.py (no engine), each an OCI image index (one manifest per architecture).
#   build-images.sh OUT-DIR [TAG] [all|installation|controller]
# Names: $REGISTRY/gvisor-installation:TAG and $REGISTRY/gardener-extension-runtime-gvisor:TAG (the chart's
# defaults: REGISTRY ghcr.io/gardener-extension-runtime-gvisor-swift, TAG its appVersion).
# Content: /var/content/{runsc,containerd-shim-runsc-v1} (runsc 20240729 from Debian's archive, `make versions`;
# our release shim), the static /gvisor-node (entrypoint `run`), busybox for `sh` and the default restart
# command's `chroot`, and the libc-level libraries the Swift binaries link. The controller image holds the static
# /gardener-extension-runtime-gvisor (entrypoint; the chart passes `run` and its flags) and its libraries.
# SHIM_BIN, GVISOR_NODE_BIN, RUNSC_BIN and CONTROLLER_BIN override the amd64 inputs.
# arm64 is added when its inputs exist: RUNSC_BIN_ARM64 (default: the pinned arm64 runsc), and fully static
# SHIM_BIN_ARM64, GVISOR_NODE_BIN_ARM64, CONTROLLER_BIN_ARM64, BUSYBOX_BIN_ARM64 (a Swift static Linux SDK for
# aarch64 builds those; see the README, "Images").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: build-images.sh OUT-DIR [TAG] [all|installation|controller]}
tag=${2:-0.1.0}
which=${3:-all}
registry=${REGISTRY:-ghcr.io/gardener-extension-runtime-gvisor-swift}
case $which in all | installation | controller) ;; *) echo "build-images: unknown image set '$which' (expected all, installation or controller)" >&2; exit 2 ;; esac
shim=${SHIM_BIN:-out/bin/containerd-shim-runsc-v1}
node=${GVISOR_NODE_BIN:-out/bin/gvisor-node}
runsc=${RUNSC_BIN:-.cache/versions/runsc-20240729/usr/bin/runsc}
controller=${CONTROLLER_BIN:-out/bin/gardener-extension-runtime-gvisor}
inputs=()
[ "$which" = controller ] || inputs+=("$shim" "$node" "$runsc" /bin/busybox)
[ "$which" = installation ] || inputs+=("$controller")
for f in "${inputs[@]}"; do
  [ -x "$f" ] || { echo "build-images: $f is missing (run 'make release', 'make release-controller', 'make deps' and 'make versions')" >&2; exit 1; }
done
arm64=(
  "${RUNSC_BIN_ARM64:-.cache/versions/runsc-20240729-arm64/usr/bin/runsc}" "${SHIM_BIN_ARM64:-}"
  "${GVISOR_NODE_BIN_ARM64:-}" "${CONTROLLER_BIN_ARM64:-}" "${BUSYBOX_BIN_ARM64:-}"
)
archs=(amd64)
if [ -n "${arm64[1]}" ] && [ -n "${arm64[2]}" ] && [ -n "${arm64[3]}" ] && [ -n "${arm64[4]}" ]; then
  for f in "${arm64[@]}"; do [ -x "$f" ] || { echo "build-images: arm64 input $f is missing" >&2; exit 1; }; done
  archs+=(arm64)
else
  echo "build-images: amd64 only (arm64 needs static aarch64 builds of the shim, gvisor-node and the controller: no Swift static Linux SDK here)" >&2
fi
work=$(mktemp -d /tmp/build-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
installation=()
controllers=()
for arch in "${archs[@]}"; do
  if [ "$arch" = amd64 ]; then
    a_runsc=$runsc a_shim=$shim a_node=$node a_controller=$controller a_busybox=/bin/busybox libs=--with-libraries
  else
    a_runsc=${arm64[0]} a_shim=${arm64[1]} a_node=${arm64[2]} a_controller=${arm64[3]} a_busybox=${arm64[4]} libs=
  fi
  if [ "$which" != controller ]; then
    scripts/oci-image.py "$work/installation-$arch.tar" "$registry/gvisor-installation:$tag" --arch "$arch" \
      --entrypoint '["/gvisor-node","run"]' $libs \
      --symlink /bin/sh=busybox --symlink /usr/sbin/chroot=/bin/busybox \
      "$a_runsc=/var/content/runsc" "$a_shim=/var/content/containerd-shim-runsc-v1" "$a_node=/gvisor-node" \
      "$a_busybox=/bin/busybox"
    installation+=("$work/installation-$arch.tar")
  fi
  if [ "$which" != installation ]; then
    scripts/oci-image.py "$work/controller-$arch.tar" "$registry/gardener-extension-runtime-gvisor:$tag" --arch "$arch" \
      --entrypoint '["/gardener-extension-runtime-gvisor"]' $libs "$a_controller=/gardener-extension-runtime-gvisor"
    controllers+=("$work/controller-$arch.tar")
  fi
done
[ "$which" = controller ] || scripts/oci-image.py index "$out/gvisor-installation.tar" "$registry/gvisor-installation:$tag" "${installation[@]}"
[ "$which" = installation ] || scripts/oci-image.py index "$out/gardener-extension-runtime-gvisor.tar" "$registry/gardener-extension-runtime-gvisor:$tag" "${controllers[@]}"
