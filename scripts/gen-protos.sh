#!/usr/bin/env bash
# Regenerates the committed Swift protobuf code and the end-to-end tools' descriptor set (`make protos`). CI
# never runs this.
# Sources: containerd 1.6's .proto files (containerd.linux.runc.CreateOptions: the options containerd's client
# sends non-runc runtimes) from Debian's Go source packages, and this project's own
# .proto files under Sources/*/Protos. The generated files are never edited by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(protobuf-compiler golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev
      golang-github-containerd-ttrpc-dev golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

swift build --product protoc-gen-swift >/dev/null
plugin="--plugin=protoc-gen-swift=$(swift build --show-bin-path)/protoc-gen-swift"
opts=(--swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores)
G=/usr/share/gocode/src
CD=github.com/containerd/containerd

gen() { # gen OUTDIR protoc-args...
  local out=$1; shift
  protoc "$plugin" "${opts[@]}" --swift_out="$out" "$@"
}

ttrpc_out=Sources/TTRPC/Generated
shim_out=Sources/ShimAPI/Generated
rm -rf "$ttrpc_out" "$shim_out"
mkdir -p "$ttrpc_out" "$shim_out"

# ttrpc wire messages and google.rpc.Status.
gen "$ttrpc_out" -I Sources/TTRPC/Protos -I "$G/github.com/gogo/googleapis" -I /usr/include \
  ttrpc.proto google/rpc/status.proto

# containerd task v2 shim API, events, types, cgroups metrics (gogo options are weak imports: no
# generated code depends on them).
gen "$shim_out" -I "$G" -I "$G/github.com/gogo/protobuf" -I /usr/include \
  $CD/runtime/v2/task/shim.proto \
  $CD/api/types/mount.proto \
  $CD/api/types/task/task.proto \
  $CD/api/types/metrics.proto \
  $CD/api/events/task.proto \
  $CD/api/services/ttrpc/events/v1/events.proto \
  $CD/runtime/v2/runc/options/oci.proto \
  $CD/runtime/linux/runctypes/runc.proto \
  github.com/containerd/cgroups/stats/v1/metrics.proto \
  github.com/containerd/cgroups/v2/stats/metrics.proto
# runtimeoptions imports gogo.proto by its full path; a separate call avoids a duplicate definition.
gen "$shim_out" -I "$G" -I /usr/include $CD/pkg/runtimeoptions/v1/api.proto
# containerd 2.3+ bootstrap messages (this project's own subset).
gen "$shim_out" -I Sources/ShimAPI/Protos -I /usr/include bootstrap.proto introspection.proto

# The end-to-end tools' messages (integration/tools/messages.py): one descriptor set of the same files, plus
# the tools' own subset (integration/tools/protos/tools.proto), so no Python tool encodes protobuf by hand.
protoc -I "$G" -I "$G/github.com/gogo/protobuf" -I "$G/github.com/gogo/googleapis" -I /usr/include \
  -I Sources/TTRPC/Protos -I Sources/ShimAPI/Protos -I integration/tools/protos \
  --include_imports --descriptor_set_out=integration/tools/containerd.protoset \
  ttrpc.proto $CD/runtime/v2/task/shim.proto $CD/runtime/v2/runc/options/oci.proto \
  $CD/runtime/linux/runctypes/runc.proto introspection.proto tools.proto

echo "generated: $(ls "$ttrpc_out" "$shim_out" | grep -c '\.pb\.swift$') files"
