#!/usr/bin/env bash
# The shim's benchmark (a report, not a gate): containerd-shim-runsc-v1 side by side with bare `runsc run` and with
# containerd's stock runc-v2 shim driving the same runsc (`--runc-binary`), on a private containerd
# (integration/harness.sh). Everything it starts it stops by PID.
#
#   scripts/bench-shim.sh STATE_BENCH_BINARY
#
#   P1  `ctr run --rm` of an echo: ours vs bare runsc vs the runc-v2 shim, interleaved, medians and ratios.
#   P1b the phase breakdown of BENCH_PHASE_RUNS more of our runs (scripts/bench_phases.py): where the time goes.
#   P2  memory per shim with BENCH_SHIMS sleeping containers under each shim: USS, PSS, RSS, threads.
#   P3  Task/State latency through each shim, one client (STATE_BENCH_BINARY, Benchmarks/shim-state-bench).
#
# Environment: BENCH_VERSIONS (the containerd/runsc pair, integration/versions.sh; default newest),
# SHIM_BIN (default out/bin/containerd-shim-runsc-v1), BENCH_RUNS (P1 runs per variant, default 30),
# BENCH_SHIMS (P2 shims per kind, default 20), BENCH_CALLS (P3 calls per shim, default 5000), BENCH_PHASE_RUNS
# (P1b, default 3: the median run by total is shown).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE_BENCH=${1:?usage: scripts/bench-shim.sh STATE_BENCH_BINARY}
SHIM_BIN=${SHIM_BIN:-$ROOT/out/bin/containerd-shim-runsc-v1}
RUNS=${BENCH_RUNS:-30}
SHIMS=${BENCH_SHIMS:-20}
CALLS=${BENCH_CALLS:-5000}
PHASE_RUNS=${BENCH_PHASE_RUNS:-3}
# Not the integration suite's namespace: the runc-v2 shim keeps runsc's state in /run/containerd/runc/<namespace>,
# which is shared by every containerd on the machine.
export HARNESS_NS=gvisor-bench

# shellcheck source=../integration/versions.sh
source "$ROOT/integration/versions.sh"
versions_use "${BENCH_VERSIONS:-newest}"
RUNSC=$(command -v runsc || true)
for tool in containerd ctr runsc containerd-shim-runc-v2 python3; do
  command -v "$tool" >/dev/null || { echo "bench-shim: '$tool' is not installed (run 'make deps')" >&2; exit 1; }
done
[ -x "$SHIM_BIN" ] || { echo "bench-shim: shim binary $SHIM_BIN missing (run 'make release')" >&2; exit 1; }
[ -x "$STATE_BENCH" ] || { echo "bench-shim: $STATE_BENCH is not an executable" >&2; exit 1; }

# shellcheck source=../integration/harness.sh
source "$ROOT/integration/harness.sh"
RUNC_ROOT=/run/containerd/runc/$HARNESS_NS
runc_root_existed=false
[ -d "$RUNC_ROOT" ] && runc_root_existed=true
BARE_PIDS=()
cleanup() {
  local pid
  for pid in "${BARE_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ -n "${HARNESS_BASE:-}" ]; then
    # Bare runsc sandboxes left by an interrupted run name our base in their command line.
    for pid in $(pgrep -f "runsc.*$HARNESS_BASE/bare-root" || true); do kill -9 "$pid" 2>/dev/null || true; done
  fi
  harness_stop
  $runc_root_existed || rm -rf "$RUNC_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

harness_start
harness_import_busybox
install -m 0755 "$SHIM_BIN" "$HARNESS_BASE/opt/bin/containerd-shim-runsc-v1"
cat >"$HARNESS_BASE/runsc.toml" <<TOML
root = "$HARNESS_BASE/runsc-root"
[runsc_config]
platform = "$RUNSC_PLATFORM"
network = "none"
TOML
# The peer: the runc-v2 shim runs this as its "runc"; it adds --root, --log and the subcommand.
cat >"$HARNESS_BASE/runsc-as-runc" <<SH
#!/bin/sh
exec $RUNSC --network=none --platform=$RUNSC_PLATFORM "\$@"
SH
chmod +x "$HARNESS_BASE/runsc-as-runc"
mkdir -p "$HARNESS_BASE/bare-root"

ours() { GV_TOML=$HARNESS_BASE/runsc.toml gvrun "$@"; } # ours ID [CTR-OPTIONS...] -- COMMAND...
peer() { # peer ID [CTR-OPTIONS...] -- COMMAND...
  local id=$1 options=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  hctr run --fifo-dir "$HARNESS_BASE/fifo" --runtime io.containerd.runc.v2 \
    --runc-binary "$HARNESS_BASE/runsc-as-runc" "${options[@]}" "$HARNESS_IMAGE" "$id" "$@"
}

# The bare bundle: the spec containerd makes for `ctr run IMAGE echo` and the image's (single-layer) rootfs.
# Right after the import the only snapshot is the image's layer.
BUNDLE=$HARNESS_BASE/bare-bundle
mkdir -p "$BUNDLE/rootfs"
cp -a "$HARNESS_BASE/root/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs/." "$BUNDLE/rootfs/"
hctr containers create "$HARNESS_IMAGE" spec-source echo hi-from-bench >/dev/null
hctr containers info spec-source >"$HARNESS_BASE/spec-source.json"
hctr containers delete spec-source >/dev/null
python3 - "$HARNESS_BASE/spec-source.json" "$BUNDLE/config.json" "$HARNESS_NS" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))["Spec"]
spec["root"] = {"path": "rootfs", "readonly": False}
spec["process"]["terminal"] = False
spec["linux"]["cgroupsPath"] = "/" + sys.argv[3] + "/bare"
json.dump(spec, open(sys.argv[2], "w"))
PY

bare() { # bare ID
  "$RUNSC" --root "$HARNESS_BASE/bare-root" --platform="$RUNSC_PLATFORM" --network=none run --bundle "$BUNDLE" "$1"
}

median() { sort -n | awk '{v[NR] = $1} END {printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# Milliseconds one `VARIANT INDEX` run takes; fails unless it printed the echo.
timed_run() {
  local variant=$1 id out start end
  id=$(printf 'p1%s-%03d' "${variant:0:1}" "$2")
  start=$EPOCHREALTIME
  case $variant in
    ours) out=$(ours "$id" --rm -- echo hi-from-bench) ;;
    bare) out=$(bare "$id") ;;
    peer) out=$(peer "$id" --rm -- echo hi-from-bench) ;;
  esac
  end=$EPOCHREALTIME
  [ "$out" = hi-from-bench ] || { echo "bench-shim: $variant run $id printed '$out'" >&2; return 1; }
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f\n", (e - s) * 1000}'
}

echo "== shim benchmark: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(containerd --version | awk '{print $3}') containerd," \
  "runsc $("$RUNSC" --version | awk '/runsc version/ {print $3}'), $RUNSC_PLATFORM, network=none ($VERSIONS_PAIR)"
echo "   (machine shared with other work: runs are interleaved, read the ratios)"

echo
echo "== P1: ctr run --rm echo, $RUNS interleaved runs each (2 warm-up runs each not counted), ms"
variants=(ours bare peer)
for v in "${variants[@]}"; do : >"$HARNESS_BASE/p1-$v"; done
for i in $(seq 1 $((RUNS + 2))); do
  # Rotate the order so no variant always follows the same one.
  for k in 0 1 2; do
    v=${variants[$(((i + k) % 3))]}
    ms=$(timed_run "$v" "$i")
    [ "$i" -gt 2 ] && echo "$ms" >>"$HARNESS_BASE/p1-$v"
  done
done
declare -A p1
for v in "${variants[@]}"; do p1[$v]=$(median <"$HARNESS_BASE/p1-$v"); done
printf '   %-34s %8s %8s %8s\n' variant median min max
for v in "${variants[@]}"; do
  label=$v
  case $v in
    ours) label="ours (containerd-shim-runsc-v1)" ;;
    bare) label="bare runsc run (floor)" ;;
    peer) label="runc-v2 shim + runsc (peer)" ;;
  esac
  printf '   %-34s %8s %8s %8s\n' "$label" "${p1[$v]}" "$(sort -n "$HARNESS_BASE/p1-$v" | head -1)" \
    "$(sort -n "$HARNESS_BASE/p1-$v" | tail -1)"
done
echo "   ours/bare = $(ratio "${p1[ours]}" "${p1[bare]}") (goal <= 1.5)," \
  "ours/peer = $(ratio "${p1[ours]}" "${p1[peer]}") (goal <= 0.75)"
[ -z "${BENCH_SUMMARY:-}" ] || echo "$VERSIONS_PAIR ctr run --rm: ours ${p1[ours]} ms, ours/peer $(ratio "${p1[ours]}" \
  "${p1[peer]}") (goal <= 0.75), ours/bare $(ratio "${p1[ours]}" "${p1[bare]}") (goal <= 1.5)" >>"$BENCH_SUMMARY"

echo
echo "== P1b: phases of one ctr run --rm echo through our shim (median of $PHASE_RUNS runs by total)"
# containerd runs at debug level (harness.sh), so it starts the shim with -debug and copies its trace lines.
: >"$HARNESS_BASE/p1b-runs"
for i in $(seq 1 "$PHASE_RUNS"); do
  offset=$(stat -c %s "$HARNESS_BASE/containerd.log")
  start=$EPOCHREALTIME
  out=$(ours "p1b-$i" --rm -- echo hi-from-bench)
  end=$EPOCHREALTIME
  [ "$out" = hi-from-bench ] || { echo "bench-shim: phase run $i printed '$out'" >&2; exit 1; }
  sleep 1.2 # the daemon's exit line lands after ctr returned
  tail -c +$((offset + 1)) "$HARNESS_BASE/containerd.log" >"$HARNESS_BASE/p1b-$i.log"
  echo "$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.6f", e - s}') $i $start $end" >>"$HARNESS_BASE/p1b-runs"
done
read -r _ i start end < <(sort -n "$HARNESS_BASE/p1b-runs" | sed -n "$(((PHASE_RUNS + 1) / 2))p")
python3 "$ROOT/scripts/bench_phases.py" "$HARNESS_BASE/p1b-$i.log" "$start" "$end" \
  --title "ctr run --rm echo, $VERSIONS_PAIR (runsc $RUNSC_PLATFORM), load $(cut -d' ' -f1 /proc/loadavg)"

echo
echo "== P2: memory per shim, $SHIMS shims of each kind running (one sleeping container each)"
for i in $(seq -w 1 "$SHIMS"); do
  ours "p2o-$i" -d -- sleep 100000 >/dev/null
  peer "p2r-$i" -d -- sleep 100000 >/dev/null
done
mapfile -t ours_pids < <(pgrep -f "^[^ ]*containerd-shim-runsc-v1 .*-address $HARNESS_BASE/" || true)
mapfile -t peer_pids < <(pgrep -f "^[^ ]*containerd-shim-runc-v2 .*-address $HARNESS_BASE/" || true)
[ "${#ours_pids[@]}" -eq "$SHIMS" ] && [ "${#peer_pids[@]}" -eq "$SHIMS" ] || {
  echo "bench-shim: expected $SHIMS shims of each kind, found ${#ours_pids[@]} ours, ${#peer_pids[@]} runc-v2" >&2
  exit 1
}
# Freshly written binaries' pages count as Private_Dirty until written back.
sync
sleep 2
# One line per shim: USS PSS RSS (KiB) and threads.
shim_memory() {
  local pid
  for pid in "$@"; do
    awk '/^Private_(Clean|Dirty):/ {uss += $2} /^Pss:/ {pss = $2} /^Rss:/ {rss = $2}
         END {printf "%d %d %d ", uss, pss, rss}' "/proc/$pid/smaps_rollup"
    awk '/^Threads:/ {print $2}' "/proc/$pid/status"
  done
}
shim_memory "${ours_pids[@]}" >"$HARNESS_BASE/p2-ours"
shim_memory "${peer_pids[@]}" >"$HARNESS_BASE/p2-peer"
declare -A p2
for v in ours peer; do
  for c in 1 2 3 4; do p2[$v$c]=$(awk -v c=$c '{print $c}' "$HARNESS_BASE/p2-$v" | median); done
done
mb() { awk -v k="$1" 'BEGIN {printf "%.2f", k / 1024}'; }
printf '   %-34s %8s %8s %8s %8s\n' "shim (median of $SHIMS)" "USS MB" "PSS MB" "RSS MB" threads
printf '   %-34s %8s %8s %8s %8s\n' "ours (containerd-shim-runsc-v1)" "$(mb "${p2[ours1]}")" "$(mb "${p2[ours2]}")" \
  "$(mb "${p2[ours3]}")" "${p2[ours4]}"
printf '   %-34s %8s %8s %8s %8s\n' "containerd-shim-runc-v2 + runsc" "$(mb "${p2[peer1]}")" "$(mb "${p2[peer2]}")" \
  "$(mb "${p2[peer3]}")" "${p2[peer4]}"
echo "   ours/runc-v2: USS $(ratio "${p2[ours1]}" "${p2[peer1]}") (goal <= 0.35, issue 19)," \
  "PSS $(ratio "${p2[ours2]}" "${p2[peer2]}"), RSS $(ratio "${p2[ours3]}" "${p2[peer3]}");" \
  "threads per idle shim ${p2[ours4]} (goal <= 3)"
[ -z "${BENCH_SUMMARY:-}" ] || echo "$VERSIONS_PAIR memory per idle shim: USS $(mb "${p2[ours1]}") MB," \
  "ours/runc-v2 USS $(ratio "${p2[ours1]}" "${p2[peer1]}") (goal <= 0.35), threads ${p2[ours4]} (goal <= 3)" \
  >>"$BENCH_SUMMARY"
echo "   where one of our shims' private memory is (KiB; mappings with over 64 KiB private, by name and mode):"
printf '     %8s %8s  %s\n' clean dirty mapping
awk -v base="$HARNESS_BASE/" '/^[0-9a-f]+-[0-9a-f]+ / {name = (($6 == "") ? "[anonymous]" : $6) " " $2; sub(base, "", name)}
     /^Private_Clean:/ {clean[name] += $2} /^Private_Dirty:/ {dirty[name] += $2}
     END {for (n in clean) if (clean[n] + dirty[n] > 64) printf "     %8d %8d  %s\n", clean[n], dirty[n], n}' \
  "/proc/${ours_pids[0]}/smaps" | sort -k2,2nr
echo "   mappings with private memory: $(awk '/^Private_(Clean|Dirty):/ && $2 > 0 {n++} END {print n}' \
  "/proc/${ours_pids[0]}/smaps") (each thread stack and malloc arena is one)"
echo
echo "== P3: Task/State latency through each shim, same client"
first=$(seq -w 1 "$SHIMS" | head -1)
tasks=$HARNESS_BASE/state/io.containerd.runtime.v2.task/$HARNESS_NS
# A shim's address: the bundle's `address` file, or (containerd 2.x's runc-v2) the `address` in bootstrap.json.
shim_address() {
  if [ -f "$1/address" ]; then cat "$1/address"; else python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["address"])' "$1/bootstrap.json"; fi
}
"$STATE_BENCH" --namespace "$HARNESS_NS" --calls "$CALLS" --rounds 50 \
  --target "ours=$(shim_address "$tasks/p2o-$first")@p2o-$first" \
  --target "runc-v2=$(shim_address "$tasks/p2r-$first")@p2r-$first" \
  $([ -f "$tasks/p2r-$first/address" ] || echo --service runc-v2=containerd.task.v3.Task) | sed 's/^/   /'
