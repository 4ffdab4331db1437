# shellcheck shell=bash
# What containerd 2.x asks of a shim beyond the task API (issue 16): `-info`, decoded by containerd itself.
# containerd 2.x's introspection service runs `containerd-shim-runsc-v1 -info` with the runtime options on
# stdin and decodes the protobuf RuntimeInfo it prints (CRI asks the same way, internal/cri/server/service.go
# `introspectRuntimeFeatures`); containerd 1.6/1.7 have no runtime introspection, so there the shim's output
# is decoded directly. Pod containers reaching the sandbox's shim on 2.x is checked by test 25 (one shim per
# pod) on every pair. Uses expect_eq and RUNSC_TOML (harness.sh).

CD2_PYTHON=${CRI_PYTHON:-$(cd .. && pwd)/.venv-cri/bin/python}

test_28_runtime_info_decoded_by_containerd() {
  local out runsc_version runsc_spec
  runsc_version=$(runsc --version | awk '/^runsc version/ {print $3}')
  runsc_spec=$(runsc --version | awk '/^spec:/ {print $2}')
  if [ "$(harness_containerd_major)" -ge 2 ]; then
    out=$("$CD2_PYTHON" tools/runtime_info.py "$HARNESS_BASE/containerd.sock" io.containerd.runsc.v1 "$RUNSC_TOML") ||
      { echo "containerd's PluginInfo for io.containerd.runsc.v1 failed: $out"; return 1; }
  else
    out=$("$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1" -info </dev/null | "$CD2_PYTHON" -c '
import json, sys
sys.path.insert(0, "tools")
from messages import parse
info = parse("containerd.types.RuntimeInfo", sys.stdin.buffer.read())
print(json.dumps({"extra_type_url": "containerd.types.RuntimeInfo", "name": info.name,
  "revision": info.version.revision, "options_type_url": "", "features_type_url": info.features.type_url,
  "features": json.loads(info.features.value)}))') || { echo "-info output not decodable: $out"; return 1; }
  fi
  echo "info: $out"
  check() { "$CD2_PYTHON" -c "import json,sys; d=json.loads(sys.argv[1]); print($1)" "$out"; }
  expect_eq "RuntimeInfo type" "containerd.types.RuntimeInfo" "$(check 'd["extra_type_url"]')" || return 1
  expect_eq "runtime name" "io.containerd.runsc.v1" "$(check 'd["name"]')" || return 1
  expect_eq "revision (runsc --version)" "runsc $runsc_version" "$(check 'd["revision"]')" || return 1
  expect_eq "features type" "types.containerd.io/opencontainers/runtime-spec/1/features/Features" \
    "$(check 'd["features_type_url"]')" || return 1
  expect_eq "ociVersionMax (runsc --version spec)" "$runsc_spec" "$(check 'd["features"]["ociVersionMax"]')" || return 1
  expect_eq "user namespaces" True "$(check '"user" in d["features"]["linux"]["namespaces"]')" || return 1
  # containerd's supportsCRIUserns needs idmap mounts too; runsc does not apply them (README, containerd 2.x).
  expect_eq "idmap mounts" False "$(check 'd["features"]["linux"]["mountExtensions"]["idmap"]["enabled"]')" ||
    return 1
  if [ "$(harness_containerd_major)" -ge 2 ]; then
    expect_eq "options echoed" "runtimeoptions.v1.Options" "$(check 'd["options_type_url"]')" || return 1
  fi
}
