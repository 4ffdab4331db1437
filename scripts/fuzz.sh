#!/usr/bin/env bash
# libFuzzer over everything a peer or an operator can feed us: the ttrpc frame decoder with request parsing and
# server dispatch (Fuzz/ttrpc-fuzz), the shim's runsc.toml parser (Fuzz/runsc-toml-fuzz), the GVisorConfiguration
# decoder of the controller and gvisor-node (Fuzz/gvisor-config-fuzz) and gvisor-node's containerd config.toml editor
# (Fuzz/containerd-config-fuzz).
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#
# Each target runs until FUZZ_RUNS inputs (default 450000; FUZZ_RUNS_<TARGET>, e.g. FUZZ_RUNS_GVISOR_CONFIG, sets one
# target's) or SECONDS (default 60), whichever comes first;
# FUZZ_TARGETS picks targets (default: ttrpc runsc-toml gvisor-config containerd-config). At the end the per-target and total
# execution counts are printed, read from libFuzzer's final stats; with FUZZ_MIN_TOTAL set, a smaller total fails.
# Built with -sanitize=fuzzer (plus address unless FUZZ_SANITIZERS says otherwise) in its own scratch path,
# .build-fuzz. Each target works on Fuzz/corpus-work/<name> (ignored by git) seeded from the committed
# Fuzz/corpus/<name> and Fuzz/regressions/<name>. A crash, timeout or OOM leaves its input in
# Fuzz/corpus-work/artifacts/<name>; after fixing the bug, commit that input under Fuzz/regressions/<name>,
# where `swift test` replays it.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")/.."

SWIFT="${SWIFT:-swift}"
scratch=.build-fuzz
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"
default_runs="${FUZZ_RUNS:-450000}"
targets="${FUZZ_TARGETS:-ttrpc runsc-toml gvisor-config containerd-config}"
min_total="${FUZZ_MIN_TOTAL:-0}"
# TOMLKit leaks every parse and the containerd config editor parses about 20 times per input (every edit is verified
# by parsing its result): libFuzzer's 2 GB RSS limit is reached after 80,000 to 100,000 inputs.
: "${FUZZ_RUNS_CONTAINERD_CONFIG:=50000}"
flags=(-c release --scratch-path "$scratch" -Xswiftc "-sanitize=$sanitizers" -Xswiftc -DLIBFUZZER
    -Xswiftc -enable-experimental-feature -Xswiftc Extern)

for name in $targets; do
    "$SWIFT" build "${flags[@]}" --product "$name-fuzz"
done
bin="$("$SWIFT" build "${flags[@]}" --show-bin-path)"

# TOMLKit leaks every document it parses (see the file); only its allocations are suppressed.
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

status=0
total=0
summary=()
started=$SECONDS
for name in $targets; do
    work=Fuzz/corpus-work/$name
    artifacts=Fuzz/corpus-work/artifacts/$name
    mkdir -p "$work" "$artifacts"
    dict=()
    [ -f "Fuzz/dict/$name.dict" ] && dict=(-dict="Fuzz/dict/$name.dict")
    # TOMLKit leaks every parse, so LeakSanitizer would scan the heap after every input of the configuration
    # targets (150 inputs/s instead of thousands): they fuzz without leak checks, then replay their whole corpus
    # with them, which still catches a leak of ours on every input the fuzzer found interesting.
    leaks=()
    [ "$name" = ttrpc ] || leaks=(-detect_leaks=0)
    override="FUZZ_RUNS_$(echo "$name" | tr 'a-z-' 'A-Z_')"
    runs="${!override:-$default_runs}"
    echo "fuzz: $name for up to $runs inputs or ${seconds}s (sanitizers: $sanitizers)"
    t0=$SECONDS
    rc=0
    "$bin/$name-fuzz" "$work" "Fuzz/corpus/$name" "Fuzz/regressions/$name" "${dict[@]}" "${leaks[@]}" \
        -runs="$runs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" >"$artifacts/last-run.log" 2>&1 || rc=$?
    tail -n 15 "$artifacts/last-run.log"
    executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$artifacts/last-run.log" | tail -1)"
    if [ "$rc" -eq 0 ] && [ ${#leaks[@]} -gt 0 ]; then
        echo "fuzz: $name: replaying the corpus with leak checks"
        "$bin/$name-fuzz" "$work" "Fuzz/corpus/$name" "Fuzz/regressions/$name" -runs=0 -detect_leaks=1 \
            -artifact_prefix="$artifacts/" >"$artifacts/leak-check.log" 2>&1 || rc=$?
        tail -n 3 "$artifacts/leak-check.log"
    fi
    [ "$rc" -eq 0 ] || status=$rc
    total=$((total + ${executed:-0}))
    summary+=("$(printf '%-15s %10s executions %5ds corpus %5d inputs exit %d' "$name" "${executed:-unknown}" \
        $((SECONDS - t0)) "$(find "$work" -type f | wc -l)" "$rc")")
    if compgen -G "$artifacts/crash-*" >/dev/null || compgen -G "$artifacts/oom-*" >/dev/null \
        || compgen -G "$artifacts/timeout-*" >/dev/null; then
        echo "fuzz: findings in $artifacts:"; ls -l "$artifacts" | grep -E 'crash-|oom-|timeout-' || true
    fi
done

echo "fuzz: summary (from libFuzzer's final stats)"
printf '  %s\n' "${summary[@]}"
echo "  total           $(printf '%10d' "$total") executions $((SECONDS - started))s"
if [ "$total" -lt "$min_total" ]; then
    echo "fuzz: total $total is below FUZZ_MIN_TOTAL=$min_total" >&2
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
