#!/usr/bin/env bash
# Fuzz the ttrpc frame decoder, request parsing and server dispatch with libFuzzer for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#
# Builds Fuzz/ttrpc-fuzz with -sanitize=fuzzer (plus address unless FUZZ_SANITIZERS says otherwise) in its own
# scratch path, .build-fuzz, and runs it on a working corpus (Fuzz/corpus-work, ignored by git) seeded from the
# committed Fuzz/corpus/ttrpc. A crash leaves its input in Fuzz/corpus-work/artifacts; after fixing the bug, commit
# that input under Fuzz/regressions/ttrpc, where `swift test` replays it.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")/.."

SWIFT="${SWIFT:-swift}"
scratch=.build-fuzz
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"
work=Fuzz/corpus-work/ttrpc
artifacts=Fuzz/corpus-work/artifacts
build=("$SWIFT" build -c release --product ttrpc-fuzz --scratch-path "$scratch"
    -Xswiftc "-sanitize=$sanitizers" -Xswiftc -DTTRPC_FUZZING -Xswiftc -enable-experimental-feature -Xswiftc Extern)

"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/ttrpc-fuzz"
mkdir -p "$work" "$artifacts"

echo "fuzz: running $binary for ${seconds}s (sanitizers: $sanitizers)"
status=0
"$binary" "$work" Fuzz/corpus/ttrpc \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" 2>&1 | tee "$artifacts/last-run.log" || status=$?

runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$artifacts/last-run.log" | tail -1)"
echo "fuzz: ${runs:-unknown} executions, corpus $(find "$work" -type f | wc -l) inputs, exit status $status"
if compgen -G "$artifacts/crash-*" >/dev/null || compgen -G "$artifacts/oom-*" >/dev/null \
    || compgen -G "$artifacts/timeout-*" >/dev/null; then
    echo "fuzz: findings in $artifacts:"; ls -l "$artifacts" | grep -E 'crash-|oom-|timeout-' || true
fi
exit "$status"
