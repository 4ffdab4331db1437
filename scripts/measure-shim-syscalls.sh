#!/usr/bin/env bash
# Measures the syscalls the shim daemon and everything it starts (runsc CLI calls, sandbox, gofer, runsc wrappers
# of the tests) make during integration tests, for the seccomp allow-list of Sources/Hardening (issue 17).
#
#   scripts/measure-shim-syscalls.sh OUT_DIR
#
# Why perf and not strace: runsc's ptrace and systrap platforms ptrace their own stub processes, which fails when
# strace already traces them ("cannot read client sync file"), so `strace -f` over the shim cannot run a sandbox.
# `perf trace` reads the raw_syscalls tracepoints instead and follows every descendant of its workload. The workload
# is containerd itself (a `containerd` wrapper first on PATH, the harness finds containerd by name): every shim
# containerd starts, and everything each shim starts, inherit the tracing even after they are re-parented. Threads
# named `containerd` (containerd, and its forked children before they exec the shim) are left out; the rest is
# what runs under the shim's filter, plus the unfiltered `start`/`delete` actions of the shim (a small superset).
# The tracepoint fires only for calls that pass seccomp, so the sandboxed application's own calls (SYSEMU under
# ptrace, SECCOMP_RET_TRAP under systrap) never appear: only what the host kernel actually executes.
#
# Environment:
#   SHIM_BIN          the shim to measure (default: .build/debug/containerd-shim-runsc-v1)
#   MEASURE_TESTS     TEST_FILTER for integration/run.sh (default: 10-shim, CRI pods, hardening, Task API)
#   MEASURE_RUNSC     a runsc binary to use instead of the one on PATH (e.g. .cache/versions/runsc-20240729/...)
#   MEASURE_PLATFORM  rewrite runsc's --platform to this (e.g. systrap; the tests' runsc.toml files say ptrace)
#   GVISOR_SHIM_SECCOMP_MODE  exported to containerd and so to the shims; default `log`: the filter lets calls
#                     outside the allow-list run (so they are measured) and the kernel logs them (audit type=1326),
#                     which this script collects into OUT_DIR/logged.txt: empty when the allow-list covers everything
# Writes OUT_DIR/perf-*.txt (perf's per-thread summaries), OUT_DIR/by-comm.txt (syscall, comm) and
# OUT_DIR/syscalls.txt (the sorted union), and prints the union's size and the integration result.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/measure-shim-syscalls.sh OUT_DIR}
mkdir -p "$out/bin"
out=$(cd "$out" && pwd)
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 2; }
real_containerd=$(command -v containerd) || { echo "containerd is not on PATH" >&2; exit 2; }
rm -f "$out"/perf-*.txt

cat >"$out/bin/containerd" <<WRAPPER
#!/bin/sh
# perf trace over containerd and all its descendants; SIGTERM from the harness ends the trace (summary written).
perf trace -s -o "$out/perf-\$\$.txt" -- "$real_containerd" "\$@" &
pid=\$!
trap 'kill -INT \$pid' TERM INT
wait \$pid
wait \$pid
WRAPPER
chmod +x "$out/bin/containerd"

if [ -n "${MEASURE_RUNSC:-}${MEASURE_PLATFORM:-}" ]; then
  real_runsc=${MEASURE_RUNSC:-$(command -v runsc)}
  real_runsc=$(cd "$(dirname "$real_runsc")" && pwd)/$(basename "$real_runsc")
  cat >"$out/bin/runsc" <<WRAPPER
#!/bin/bash
args=()
for a in "\$@"; do
  case \$a in --platform=*) [ -z "${MEASURE_PLATFORM:-}" ] || a=--platform=${MEASURE_PLATFORM:-} ;; esac
  args+=("\$a")
done
exec "$real_runsc" "\${args[@]}"
WRAPPER
  chmod +x "$out/bin/runsc"
fi

export GVISOR_SHIM_SECCOMP_MODE=${GVISOR_SHIM_SECCOMP_MODE:-log}
dmesg_before=$(dmesg | wc -l)

tests=${MEASURE_TESTS:-'^test_(1[0-9]|2[0-7]|5[0-9]|6[0-9])_'}
PATH="$out/bin:$PATH" TEST_FILTER="$tests" SHIM_BIN="${SHIM_BIN:-$PWD/.build/debug/containerd-shim-runsc-v1}" \
  integration/run.sh 2>&1 | tee "$out/integration.txt" | tail -n 3
rc=${PIPESTATUS[0]}

# perf's summary: a " comm (tid), N events, P%" line per thread, then its table of "name calls errors ..." rows.
awk '
  /^ [^ ].* \([0-9]+\), [0-9]+ events/ { comm = $1; table = 0; next }
  /^ *-+ +-+/ { table = 1; next }
  /^ *$/ { table = 0; next }
  table && comm != "containerd" && $1 ~ /^[a-z_0-9]+$/ { print $1, comm }
' "$out"/perf-*.txt | sort -u >"$out/by-comm.txt"
awk '{print $1}' "$out/by-comm.txt" | sort -u >"$out/syscalls.txt"
# Calls the filter logged (outside the allow-list), by name from the kernel headers' syscall numbers.
unistd=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -f "$unistd" ] || unistd=/usr/include/asm-generic/unistd.h
dmesg | tail -n +"$((dmesg_before + 1))" | sed -n 's/.*type=1326.* comm="\([^"]*\)".* syscall=\([0-9]*\).*/\2 \1/p' |
  sort -u | while read -r number comm; do
    name=$(awk -v n="$number" '$1 == "#define" && $3 == n && $2 ~ /^__NR_/ {sub(/^__NR_/, "", $2); print $2; exit}' \
      "$unistd")
    echo "${name:-$number} $comm"
  done | sort -u >"$out/logged.txt"
echo "logged by the filter (outside the allow-list): $(awk '{print $1}' "$out/logged.txt" | sort -u | tr '\n' ' ')"
echo "measured: $(wc -l <"$out/syscalls.txt") syscalls over $(awk '{print $2}' "$out/by-comm.txt" | sort -u | wc -l) \
process names in $(ls "$out"/perf-*.txt 2>/dev/null | wc -l) containerd runs -> $out/syscalls.txt"
exit "$rc"
