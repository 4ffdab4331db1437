#!/usr/bin/env python3
"""Phase breakdown of one container or pod start (issue 21), from the debug lines the shim writes into containerd's
log (Sources/Shim/ShimTrace.swift) and the wall-clock bounds the benchmark measured around the client's call.

    bench_phases.py LOG T0 T1 [--title TITLE]

LOG holds containerd's log lines written during the run (containerd at debug level runs the shim with -debug and
copies its lines in); T0 and T1 are the run's start and end in seconds since the epoch ($EPOCHREALTIME). Prints one
table: each phase with its offset from T0 and its length in ms, then the time by owner: containerd and its client
(everything the shim was not doing), the shim's own work (start, daemon start-up, RPC handling without runsc), runsc
invocations, and the exit path (the container running and exiting until TaskExit reached containerd).
"""
import argparse
import datetime
import re
import sys

LINE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
# runsc subcommands that do work for the caller; `wait` lasts as long as the container and is not a cost.
TIMED_RUNSC = {"create", "start", "delete", "exec", "kill", "state", "ps", "events", "update", "pause", "resume"}


def parse_line(line):
    """A logfmt line as a dict (quoted values unescaped), or None without a time field."""
    fields = {}
    for key, value in LINE.findall(line):
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        fields[key] = value
    return fields if "time" in fields else None


def parse_time(text):
    """RFC 3339 with nanoseconds (`2026-12-02T01:57:41.215905840Z` or with an offset) as epoch seconds."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text}")
    base, fraction, zone = match.groups()
    moment = datetime.datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    return moment.timestamp() + (float("0." + fraction) if fraction else 0.0)


class Phase:
    def __init__(self, name, start, end, owner, depth=0):
        self.name, self.start, self.end, self.owner, self.depth = name, start, end, owner, depth


def phases(lines, t0, t1):
    """The phases of one run from its log lines (only the shim's trace lines count), in order of start."""
    events = []
    for line in lines:
        fields = parse_line(line)
        if fields is None:
            continue
        try:
            fields["t"] = parse_time(fields["time"])
        except ValueError:
            continue
        # After T1 only the daemon's exit, which the client need not wait for (a next run may follow at once).
        if t0 <= fields["t"] <= t1 or (fields.get("msg") == "daemon exit" and t1 < fields["t"] <= t1 + 1):
            events.append(fields)
    events.sort(key=lambda e: e["t"])
    result = []
    start_entry = None
    daemon_main = None
    shim_exit = None
    run_id = None
    shutdown_replies = []
    rpcs = {}
    for e in events:
        msg, t = e.get("msg"), e["t"]
        if msg == "shim start":
            start_entry = t
            run_id = run_id or e.get("id")
        elif msg == "shim start answered" and start_entry is not None:
            result.append(Phase("shim start -> address answered", start_entry, t, "shim"))
            start_entry = None
        elif msg == "daemon main":
            daemon_main = t
        elif msg == "serving" and daemon_main is not None:
            result.append(Phase("daemon main -> serving", daemon_main, t, "shim"))
            daemon_main = None
        elif msg == "rpc received":
            rpcs[e.get("stream")] = (e.get("method", "?"), t)
        elif msg == "rpc replied" and e.get("stream") in rpcs:
            method, received = rpcs.pop(e.get("stream"))
            if method == "Shutdown":
                shutdown_replies.append(t)
            if method not in ("Connect", "State", "Wait", "Shutdown") or t - received > 0.005:
                result.append(Phase(f"RPC {method}", received, t, "shim" if method != "Wait" else "wait"))
        elif msg == "runsc finished" and e.get("subcommand") in TIMED_RUNSC:
            duration = float(e.get("duration_ms", "0")) / 1000
            result.append(Phase(f"runsc {e['subcommand']}", t - duration, t, "runsc", 1))
        elif msg == "event forwarded" and e.get("topic") == "/tasks/exit":
            starts = [p.end for p in result if p.name == "RPC Start" and p.end <= t]
            # One per start: a TaskExit line repeated (containerd 1.6 may copy a line twice) is not a second exit.
            if starts and not any(p.owner == "exit" and p.start == starts[-1] for p in result):
                result.append(Phase("Start reply -> TaskExit forwarded", starts[-1], t, "exit"))
        elif msg == "daemon exit" and e.get("id") == run_id:  # not a shim of a run that followed
            shim_exit = t
    deletes = [p.start for p in result if p.name == "RPC Delete"]
    if deletes:
        # containerd 2.x stops copying the shim's log when the connection closes: then Shutdown's reply ends it.
        shutdowns = [t for t in shutdown_replies if t >= deletes[-1]]
        end = shim_exit if shim_exit is not None else (shutdowns[-1] if shutdowns else None)
        if end is not None:
            name = "Delete received -> shim exit" if shim_exit is not None else "Delete received -> Shutdown replied"
            result.append(Phase(name, deletes[-1], end, "shim-exit"))
    first = min((p.start for p in result), default=t1)
    result.append(Phase("containerd/client before the shim", t0, first, "containerd"))
    result.sort(key=lambda p: (p.start, p.depth))
    return result


def union_length(intervals):
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def owners(result, t0, t1):
    """Seconds by owner. runsc counts its invocations; the shim its phases minus the runsc inside them; the exit
    path the span from Start's reply to TaskExit; containerd the rest of T0..T1 (what no shim phase covers)."""
    clip = lambda p: (max(p.start, t0), min(p.end, t1))  # noqa: E731
    runsc = [clip(p) for p in result if p.owner == "runsc"]
    shim = [clip(p) for p in result if p.owner == "shim"]
    exit_path = [clip(p) for p in result if p.owner == "exit"]
    # Precedence where phases overlap: runsc, then the exit path, then the shim.
    covered = union_length(runsc + shim + exit_path)
    runsc_total = union_length(runsc)
    exit_total = union_length(runsc + exit_path) - runsc_total
    shim_total = covered - union_length(runsc + exit_path)
    return {
        "total": t1 - t0,
        "containerd": (t1 - t0) - covered,
        "shim": shim_total,
        "runsc": runsc_total,
        "exit": exit_total,
    }


def table(result, t0, t1, title):
    ms = lambda s: f"{s * 1000:8.1f}"  # noqa: E731
    out = [f"   {title}", f"   {'phase':<44} {'at ms':>8} {'ms':>8}"]
    for p in result:
        out.append(f"   {'  ' * p.depth + p.name:<44} {ms(p.start - t0)} {ms(p.end - p.start)}")
    o = owners(result, t0, t1)
    out.append(f"   {'client end':<44} {ms(t1 - t0)}")
    out.append(
        f"   by owner (ms): containerd+client {o['containerd'] * 1000:.1f}, shim {o['shim'] * 1000:.1f},"
        f" runsc {o['runsc'] * 1000:.1f}, exit path {o['exit'] * 1000:.1f}; total {o['total'] * 1000:.1f}")
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("t0", type=float)
    parser.add_argument("t1", type=float)
    parser.add_argument("--title", default="phases")
    args = parser.parse_args(argv)
    with open(args.log, errors="replace") as f:
        lines = f.readlines()
    print(table(phases(lines, args.t0, args.t1), args.t0, args.t1, args.title))


if __name__ == "__main__":
    main(sys.argv[1:])
