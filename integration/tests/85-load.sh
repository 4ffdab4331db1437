# shellcheck shell=bash
# Load and leaks (issue 11) against the harness's containerd: many containers started and stopped
# concurrently, rounds of them, with the shim count, containerd's descriptors, mounts, zombies and runsc
# processes back at the baseline after each round; 1,000 execs and 1,000 Stats calls against one container
# within stated descriptor and memory bounds. `make test` runs the issue's figures (3 rounds of 50, about 30 s
# here; 1,000 execs and Stats, about 3.5 min); `make soak` (SOAK=1) runs 10 rounds of 100 and 3,000 of each.
# Uses expect_eq, gvrun, shim_pid_of, cleanup_task, rl_report (harness.sh).

LOAD_CONTAINERS=${LOAD_CONTAINERS:-$([ -n "${SOAK:-}" ] && echo 100 || echo 50)}
LOAD_ROUNDS=${LOAD_ROUNDS:-$([ -n "${SOAK:-}" ] && echo 10 || echo 3)}
LOAD_ITERATIONS=${LOAD_ITERATIONS:-$([ -n "${SOAK:-}" ] && echo 3000 || echo 1000)}
# Growth of the shim's resident memory allowed over the execs and Stats calls after a warm-up (measured:
# about 200 kB per 1,000 of each).
LOAD_RSS_BOUND_KB=${LOAD_RSS_BOUND_KB:-2048}

# What must return to the baseline: "shims=N containerd_fds=N mounts=N zombies=N runsc=N".
load_snapshot() {
  local containerd shims fds mounts zombies runsc parents
  containerd=$(cat "$HARNESS_BASE/containerd.pid")
  shims=$(pgrep -f "containerd-shim-runsc-v1.*$HARNESS_BASE" | tr '\n' ' ')
  fds=$(ls "/proc/$containerd/fd" | wc -l)
  mounts=$(grep -c " $HARNESS_BASE" /proc/self/mounts)
  # Zombies among the children of containerd and of our shims.
  parents=" $containerd $shims "
  zombies=$(ps -eo stat=,ppid= | awk -v p="$parents" '$1 ~ /^Z/ && index(p, " " $2 " ") {n++} END {print n + 0}')
  runsc=$(pgrep -f "$HARNESS_BASE/runsc-root" | wc -l)
  echo "shims=$(wc -w <<<"$shims") containerd_fds=$fds mounts=$mounts zombies=$zombies runsc=$runsc"
}

# Waits up to 20 s for the snapshot to equal $1; prints the last one.
load_settle() {
  local now
  for _ in $(seq 1 100); do
    now=$(load_snapshot)
    [ "$now" = "$1" ] && break
    sleep 0.2
  done
  echo "$now"
}

now_ms() { date +%s%3N; }

test_85_concurrent_rounds_return_to_baseline() {
  local round i id baseline after t0 t1 t2 failed ids pids
  # A first container warms containerd up (plugins, snapshotter) before the baseline is taken.
  gvrun rl-lwarm --rm -- true || return 1
  sleep 1
  baseline=$(load_snapshot)
  for round in $(seq 1 "$LOAD_ROUNDS"); do
    ids=()
    for i in $(seq -w 1 "$LOAD_CONTAINERS"); do ids+=("rl-l$round-$i"); done
    t0=$(now_ms)
    pids=()
    for id in "${ids[@]}"; do
      gvrun "$id" -d -- sleep 600 >"$HARNESS_BASE/$id.out" 2>&1 &
      pids+=($!)
    done
    failed=0
    for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
    t1=$(now_ms)
    if [ $failed -gt 0 ]; then
      echo "round $round: $failed of $LOAD_CONTAINERS starts failed:"
      cat "$HARNESS_BASE"/rl-l"$round"-*.out
    fi
    local running
    running=$(hctr tasks ls | awk -v r="rl-l$round-" 'index($1, r) == 1 && $3 == "RUNNING"' | wc -l)
    pids=()
    for id in "${ids[@]}"; do
      { hctr tasks delete -f "$id" >/dev/null && hctr containers delete "$id"; } >"$HARNESS_BASE/$id.out" 2>&1 &
      pids+=($!)
    done
    local stop_failed=0
    for i in "${pids[@]}"; do wait "$i" || stop_failed=$((stop_failed + 1)); done
    t2=$(now_ms)
    after=$(load_settle "$baseline")
    rl_report "load round $round: $LOAD_CONTAINERS containers started concurrently in $((t1 - t0)) ms, stopped and deleted in $((t2 - t1)) ms; baseline [$baseline] after [$after]"
    expect_eq "failed starts in round $round" 0 "$failed" || return 1
    expect_eq "running containers in round $round" "$LOAD_CONTAINERS" "$running" || return 1
    [ $stop_failed = 0 ] || { echo "round $round: $stop_failed stops failed:"; cat "$HARNESS_BASE"/rl-l"$round"-*.out; return 1; }
    expect_eq "after round $round (baseline vs now)" "$baseline" "$after" || return 1
  done
}

# LOAD_ITERATIONS (1,000) execs and as many Stats calls (`ctr tasks metrics`, i.e. containerd -> shim Stats)
# against one container, interleaved: the shim's descriptors unchanged, no zombies, and resident memory growth
# within LOAD_RSS_BOUND_KB after a warm-up of 50 of each. (Stats answers are cached for 1 s, so about one call
# in 20 here runs `runsc events --stats`.)
test_86_thousand_execs_and_stats_leak_nothing() {
  local id=rl-many metrics shim fds_before fds_after rss_before rss_after failures=0 stats_failures=0 i zombies t0
  gvrun $id -d -- sleep 3600 || return 1
  shim=$(shim_pid_of $id)
  rss() { awk '$1 == "VmRSS:" {print $2}' "/proc/$shim/status"; }
  for i in $(seq 1 50); do
    hctr tasks exec --exec-id w$i $id true >/dev/null 2>&1
    hctr tasks metrics $id >/dev/null 2>&1
  done
  fds_before=$(ls /proc/"$shim"/fd | wc -l)
  rss_before=$(rss)
  t0=$SECONDS
  for i in $(seq 1 "$LOAD_ITERATIONS"); do
    hctr tasks exec --exec-id n$i $id true >/dev/null 2>&1 || failures=$((failures + 1))
    # Captured first: `ctr ... | grep -q` can end ctr with SIGPIPE, which pipefail reports as a failure.
    metrics=$(hctr tasks metrics $id 2>/dev/null) && [[ $metrics == *memory.usage_in_bytes* ]] ||
      stats_failures=$((stats_failures + 1))
  done
  fds_after=$(ls /proc/"$shim"/fd | wc -l)
  rss_after=$(rss)
  zombies=$(ps -o stat= --ppid "$shim" | grep -c Z)
  cleanup_task $id
  rl_report "$LOAD_ITERATIONS execs + $LOAD_ITERATIONS Stats in $((SECONDS - t0)) s: shim fds $fds_before -> $fds_after, RSS $rss_before -> $rss_after kB (delta $((rss_after - rss_before)) kB, bound $LOAD_RSS_BOUND_KB kB), zombies $zombies"
  expect_eq "failed execs" 0 "$failures" || return 1
  expect_eq "failed Stats calls" 0 "$stats_failures" || return 1
  expect_eq "shim descriptors after $LOAD_ITERATIONS execs and Stats calls" "$fds_before" "$fds_after" || return 1
  expect_eq "zombie children of the shim" 0 "$zombies" || return 1
  [ $((rss_after - rss_before)) -le "$LOAD_RSS_BOUND_KB" ] ||
    { echo "shim RSS grew by $((rss_after - rss_before)) kB ($rss_before -> $rss_after), bound $LOAD_RSS_BOUND_KB kB"; return 1; }
}
