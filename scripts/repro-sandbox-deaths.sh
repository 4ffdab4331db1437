#!/usr/bin/env bash
# Loops the two starts that were seen to lose their sandbox early on runsc 20240729 (systrap): a detached
# `ctr run ... sleep 300` that must still be RUNNING (and answer `runsc ps`) after 0.3 s and 2 s, and a CRI pod
# whose container must answer ExecSync. runsc debug logs are kept for every round under OUT; a round that
# fails prints its directory. Usage: repro-sandbox-deaths.sh [ROUNDS] [PAIR] [OUT]   (README, "Version matrix")
set -uo pipefail
cd "$(dirname "$0")/../integration"
rounds=${1:-25} pair=${2:-newest} out=${3:-$(mktemp -d /tmp/sandbox-deaths.XXXXXX)}
source ./harness.sh
source ./versions.sh
versions_use "$pair" || exit 1
export HARNESS_CRI=1 GVISOR_SHIM_LOG_ROOT=$out/shim-logs
trap harness_stop EXIT
harness_start && harness_import_busybox || exit 1
install -m 0755 "${SHIM_BIN:-../out/bin/containerd-shim-runsc-v1}" "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1"
cat >>"$HARNESS_BASE/runsc-cri.toml" <<TOML
debug = "true"
debug-log = "$out/runsc/%ID%/"
TOML
toml=$HARNESS_BASE/runsc-cri.toml
py=${CRI_PYTHON:-$(cd .. && pwd)/.venv-cri/bin/python}
ctr_fail=0 cri_fail=0
echo "repro: $rounds rounds on $VERSIONS_LABEL; logs in $out"
for i in $(seq 1 "$rounds"); do
  id=death-$i
  hctr run -d --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runsc.v1 --runtime-config-path "$toml" \
    "$HARNESS_IMAGE" "$id" sleep 300 >/dev/null || { echo "round $i: ctr run failed"; ctr_fail=$((ctr_fail + 1)); continue; }
  sleep 0.3
  s1=$(hctr tasks ls | awk -v id="$id" '$1 == id {print $3}')
  sleep 1.7
  s2=$(hctr tasks ls | awk -v id="$id" '$1 == id {print $3}')
  ps=$(runsc --root "$HARNESS_BASE/runsc-root/$HARNESS_NS" ps "$id" 2>&1 | head -2 | tail -1)
  if [ "$s1" != RUNNING ] || [ "$s2" != RUNNING ]; then
    ctr_fail=$((ctr_fail + 1))
    echo "round $i: ctr $id after 0.3 s: $s1, after 2 s: $s2; runsc ps: $ps; logs: $out/runsc/$id"
  fi
  hctr tasks kill -s KILL "$id" >/dev/null 2>&1
  for _ in $(seq 1 50); do [ "$(hctr tasks ls | awk -v id="$id" '$1 == id {print $3}')" = STOPPED ] && break; sleep 0.1; done
  hctr tasks delete "$id" >/dev/null 2>&1
  hctr containers delete "$id" >/dev/null 2>&1
  read -r pod c < <("$py" tools/cri_ctl.py "unix://$HARNESS_BASE/containerd.sock" run-pod "death-pod-$i" runsc \
    "$HARNESS_BASE" 'sleep 300' 2>&1)
  r=$("$py" tools/cri_ctl.py "unix://$HARNESS_BASE/containerd.sock" exec "$c" 'echo alive' 2>&1)
  if [ "$r" != alive ]; then
    cri_fail=$((cri_fail + 1))
    echo "round $i: CRI pod $pod container $c: ExecSync: $r; logs: $out/runsc/"
  fi
  "$py" tools/cri_ctl.py "unix://$HARNESS_BASE/containerd.sock" remove-pod "$pod" >/dev/null 2>&1
done
echo "repro: ctr early deaths $ctr_fail/$rounds, CRI ExecSync failures $cri_fail/$rounds"
