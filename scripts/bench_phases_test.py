"""Tests of bench_phases.py (run: python3 -m unittest discover -s scripts -p '*_test.py')."""
import unittest

import bench_phases as bp

T0 = bp.parse_time("2026-12-02T01:57:41.000000000Z")


def line(ms, msg, **fields):
    """A shim trace line `ms` milliseconds after T0, as ShimLog writes it."""
    seconds = 41 + ms / 1000
    whole = int(seconds)
    nanos = round((seconds - whole) * 1e9)
    extra = "".join(f' {k}="{v}"' if " " in str(v) else f" {k}={v}" for k, v in fields.items())
    return f'time="2026-12-02T01:57:{whole:02d}.{nanos:09d}Z" level=debug msg="{msg}"{extra}\n'


RUN = [
    line(40, "shim start", id="c"),
    line(50, "daemon main", id="c"),
    line(52, "shim start answered", id="c"),
    line(60, "serving", pid=7),
    line(65, "rpc received", method="Create", stream=1),
    line(185, "runsc finished", subcommand="create", duration_ms="100.000", status="exit status 0"),
    line(200, "rpc replied", method="Create", stream=1, duration_ms="135.000"),
    line(205, "rpc received", method="Connect", stream=3),
    line(205.1, "rpc replied", method="Connect", stream=3, duration_ms="0.100"),
    line(210, "rpc received", method="Start", stream=5),
    line(290, "runsc finished", subcommand="start", duration_ms="78.000", status="exit status 0"),
    line(292, "rpc replied", method="Start", stream=5),
    line(320, "runsc finished", subcommand="wait", duration_ms="30.000"),
    line(330, "event forwarded", topic="/tasks/exit"),
    line(340, "rpc received", method="Delete", stream=7),
    line(360, "runsc finished", subcommand="delete", duration_ms="18.000"),
    line(362, "rpc replied", method="Delete", stream=7),
    line(380, "daemon exit", id="c"),
    'time="2026-12-02T01:57:41.100Z" level=info msg="a containerd line" id=c\n',
]


class PhasesTest(unittest.TestCase):
    def setUp(self):
        self.result = bp.phases(RUN, T0, T0 + 0.4)
        self.by_name = {p.name: p for p in self.result}

    def ms(self, name):
        p = self.by_name[name]
        return round((p.end - p.start) * 1000, 3)

    def test_start_and_daemon_phases_come_from_their_line_pairs(self):
        self.assertEqual(self.ms("containerd/client before the shim"), 40)
        self.assertEqual(self.ms("shim start -> address answered"), 12)
        self.assertEqual(self.ms("daemon main -> serving"), 10)

    def test_runsc_invocations_end_at_their_line_and_last_their_duration(self):
        create = self.by_name["runsc create"]
        self.assertAlmostEqual((create.start - T0) * 1000, 85, places=3)
        self.assertEqual(self.ms("runsc create"), 100)
        self.assertNotIn("runsc wait", self.by_name)  # lasts as long as the container: not a cost

    def test_quick_connects_are_left_out_and_rpcs_pair_by_stream(self):
        self.assertNotIn("RPC Connect", self.by_name)
        self.assertEqual(self.ms("RPC Create"), 135)
        self.assertEqual(self.ms("RPC Delete"), 22)

    def test_exit_path_runs_from_starts_reply_to_taskexit(self):
        self.assertEqual(self.ms("Start reply -> TaskExit forwarded"), 38)
        self.assertEqual(self.ms("Delete received -> shim exit"), 40)

    def test_owners_split_the_run_without_double_counting(self):
        o = bp.owners(self.result, T0, T0 + 0.4)
        self.assertAlmostEqual(o["runsc"] * 1000, 100 + 78 + 18, places=3)
        self.assertAlmostEqual(o["exit"] * 1000, 38, places=3)
        # start 40..52 and daemon 50..60 overlap: 20; Create 135-100; Start 82-78; Delete 22-18.
        self.assertAlmostEqual(o["shim"] * 1000, 20 + 35 + 4 + 4, places=3)
        self.assertAlmostEqual(sum(o[k] for k in ("containerd", "shim", "runsc", "exit")), o["total"], places=9)

    def test_a_repeated_taskexit_line_is_one_exit(self):
        result = bp.phases(RUN + [line(330, "event forwarded", topic="/tasks/exit")], T0, T0 + 0.4)
        self.assertEqual(sum(p.owner == "exit" for p in result), 1)

    def test_without_the_daemons_exit_line_shutdowns_reply_ends_the_delete(self):
        lines = [x for x in RUN if "daemon exit" not in x] + [
            line(365, "rpc received", method="Shutdown", stream=9),
            line(366, "rpc replied", method="Shutdown", stream=9),
        ]
        by_name = {p.name: p for p in bp.phases(lines, T0, T0 + 0.4)}
        phase = by_name["Delete received -> Shutdown replied"]
        self.assertAlmostEqual((phase.end - phase.start) * 1000, 26, places=3)

    def test_the_exit_of_a_later_runs_daemon_does_not_count(self):
        lines = [x for x in RUN if "daemon exit" not in x] + [line(390, "daemon exit", id="next")]
        self.assertNotIn("Delete received -> shim exit", {p.name for p in bp.phases(lines, T0, T0 + 0.4)})

    def test_lines_outside_the_run_are_ignored(self):
        late = [line(380, "rpc received", method="Create", stream=9)]
        self.assertEqual([p.name for p in bp.phases(late, T0 + 10, T0 + 11)], ["containerd/client before the shim"])


class ParsingTest(unittest.TestCase):
    def test_times_with_offsets_and_nanoseconds(self):
        self.assertAlmostEqual(bp.parse_time("2026-12-02T03:57:41.5+02:00") - T0, 0.5, places=6)
        self.assertAlmostEqual(bp.parse_time("2026-12-02T01:57:41.000001000Z") - T0, 1e-6, places=6)
        with self.assertRaises(ValueError):
            bp.parse_time("yesterday")

    def test_logfmt_quotes_and_escapes(self):
        fields = bp.parse_line('time="t" msg="say \\"hi\\"" status="exit status 0" bare=x\n')
        self.assertEqual(fields["msg"], 'say "hi"')
        self.assertEqual(fields["status"], "exit status 0")
        self.assertEqual(fields["bare"], "x")
        self.assertIsNone(bp.parse_line("no fields here"))


if __name__ == "__main__":
    unittest.main()
