#!/usr/bin/env bash
# Loops the two starts that were seen to lose their sandbox early on runsc 20240729 (systrap): a detached
# `ctr run ... sleep 300` that must still be RUNNING (and answer `runsc ps`) after 0.3 s and 2 s, and a CRI pod
# whose container must answer ExecSync. runsc debug logs are kept for every round under OUT; a round that
# fails prints its directory. PARALLEL (default 1) starts that many containers and pods at once per round, the
# load under which the suite saw the deaths. Usage: repro-sandbox-deaths.sh [ROUNDS] [PAIR] [OUT]
# (README, "Version matrix")
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
mkdir -p "$out" && touch "$out/results"
echo "repro: $rounds rounds on $VERSIONS_LABEL; logs in $out"
parallel=${PARALLEL:-1}
check_ctr() { # check_ctr ID: RUNNING after 0.3 s and 2 s, and runsc ps answers
  local id=$1 s1 s2 ps
  hctr run -d --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runsc.v1 --runtime-config-path "$toml" \
    "$HARNESS_IMAGE" "$id" sleep 300 >/dev/null || { echo "FAIL ctr $id: ctr run failed"; return; }
  sleep 0.3
  s1=$(hctr tasks ls | awk -v id="$id" '$1 == id {print $3}')
  sleep 1.7
  s2=$(hctr tasks ls | awk -v id="$id" '$1 == id {print $3}')
  ps=$(runsc --root "$HARNESS_BASE/runsc-root/$HARNESS_NS" ps "$id" 2>&1 | head -2 | tail -1)
  if [ "$s1" != RUNNING ] || [ "$s2" != RUNNING ]; then
    echo "FAIL ctr $id after 0.3 s: $s1, after 2 s: $s2; runsc ps: $ps; logs: $out/runsc/$id"
  fi
  hctr tasks kill -s KILL "$id" >/dev/null 2>&1
  for _ in $(seq 1 50); do [ "$(hctr tasks ls | awk -v id="$id" '$1 == id {print $3}')" = STOPPED ] && break; sleep 0.1; done
  hctr tasks delete "$id" >/dev/null 2>&1
  hctr containers delete "$id" >/dev/null 2>&1
}
check_cri() { # check_cri NAME: a pod whose container answers ExecSync
  local name=$1 pod c r
  r=$("$py" tools/cri_ctl.py "unix://$HARNESS_BASE/containerd.sock" run-pod "$name" runsc "$HARNESS_BASE" 'sleep 300' 2>&1)
  read -r pod c <<<"$r"
  r=$("$py" tools/cri_ctl.py "unix://$HARNESS_BASE/containerd.sock" exec "$c" 'echo alive' 2>&1)
  [ "$r" = alive ] || echo "FAIL CRI pod $name ($pod) container $c: ExecSync: $r; logs: $out/runsc/"
  "$py" tools/cri_ctl.py "unix://$HARNESS_BASE/containerd.sock" remove-pod "$pod" >/dev/null 2>&1
}
for i in $(seq 1 "$rounds"); do
  jobs_started=()
  for j in $(seq 1 "$parallel"); do
    check_ctr "death-$i-$j" >>"$out/results" &
    jobs_started+=($!)
    check_cri "death-pod-$i-$j" >>"$out/results" &
    jobs_started+=($!)
  done
  wait "${jobs_started[@]}"
done
grep FAIL "$out/results" || true
ctr_fail=$(grep -c '^FAIL ctr' "$out/results" || true)
cri_fail=$(grep -c '^FAIL CRI' "$out/results" || true)
rounds=$((rounds * parallel))
echo "repro: ctr early deaths $ctr_fail/$rounds, CRI ExecSync failures $cri_fail/$rounds"
