# shellcheck shell=bash
# Environment checks: the private containerd, the locally built image and this kernel's runsc work
# with stock components, so a failure in the shim's own tests is not the environment's.

test_00_image_is_deterministic() {
  local a b
  a=$(harness_mkimage "$HARNESS_BASE/img-a.tar" | awk '{print $3}')
  b=$(harness_mkimage "$HARNESS_BASE/img-b.tar" | awk '{print $3}')
  expect_eq "manifest digest of two builds" "$a" "$b" || return 1
  cmp "$HARNESS_BASE/img-a.tar" "$HARNESS_BASE/img-b.tar"
}

test_01_runc_baseline() {
  local out
  out=$(hctr run --rm --fifo-dir "$HARNESS_BASE/fifo" "$HARNESS_IMAGE" env-runc echo hi-runc)
  expect_eq "runc echo" "hi-runc" "$out"
}

test_02_runsc_under_stock_runc_shim() {
  local wrapper=$HARNESS_BASE/runsc-as-runc out rc
  printf '#!/bin/sh\nexec runsc --network=none --platform=ptrace "$@"\n' >"$wrapper"
  chmod +x "$wrapper"
  out=$(hctr run --rm --fifo-dir "$HARNESS_BASE/fifo" --runc-binary "$wrapper" "$HARNESS_IMAGE" env-runsc \
    sh -c 'dmesg | head -1')
  [[ $out == *"Starting gVisor"* ]] || { echo "dmesg: expected 'Starting gVisor', got '$out'"; return 1; }
  hctr run --rm --fifo-dir "$HARNESS_BASE/fifo" --runc-binary "$wrapper" "$HARNESS_IMAGE" env-runsc-rc \
    sh -c 'exit 7'
  rc=$?
  expect_eq "exit code" 7 "$rc"
}
