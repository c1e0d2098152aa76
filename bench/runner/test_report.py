"""Tests of the report merge and of the channel problems' catalogue and tables:
python3 -m unittest discover -s bench/runner -p 'test_*.py'."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from runner import catalog, report, summary  # noqa: E402


def wrapped(name, body):
    return f"<!-- bench:begin {name} -->\n{body}<!-- bench:end {name} -->\n"


class Merge(unittest.TestCase):
    OLD = (wrapped("header", "# old\n") + "\nhand-written intro\n\n" + wrapped("results-fib", "old fib table\n")
           + "\n#### Analysis: fib\n\nmeasured at commit abc1234\n\n" + wrapped("gone", "a block no longer made\n"))

    def test_replaces_blocks_and_keeps_hand_written_text(self):
        new = report.merge(self.OLD, [("header", "# new\n"), ("results-fib", "new fib table\n")])
        self.assertIn("# new\n", new)
        self.assertIn("new fib table\n", new)
        self.assertNotIn("old fib table", new)
        self.assertIn("hand-written intro", new)
        self.assertIn("#### Analysis: fib\n\nmeasured at commit abc1234", new)
        self.assertLess(new.index("new fib table"), new.index("Analysis: fib"))

    def test_drops_blocks_no_longer_generated(self):
        new = report.merge(self.OLD, [("header", "# new\n"), ("results-fib", "t\n")])
        self.assertNotIn("a block no longer made", new)

    def test_inserts_a_new_block_after_its_predecessor(self):
        new = report.merge(self.OLD, [("header", "h\n"), ("results-new", "n\n"), ("results-fib", "f\n")])
        self.assertLess(new.index("bench:begin header"), new.index("bench:begin results-new"))
        self.assertLess(new.index("bench:begin results-new"), new.index("hand-written intro"))

    def test_is_idempotent(self):
        blocks = [("header", "h\n"), ("results-fib", "f\n")]
        once = report.merge(self.OLD, blocks)
        self.assertEqual(once, report.merge(once, blocks))

    def test_hand_written_commits_ignore_generated_blocks(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"weft-bench-merge-{os.getpid()}.md")
        with open(path, "w") as f:
            f.write(self.OLD + wrapped("versions", "measured at commit 1111111\n"))
        try:
            self.assertEqual(report.hand_written_commits(path), {"abc1234"})
        finally:
            os.remove(path)


class ChannelProblems(unittest.TestCase):
    CONFIG = {"chan_pingpong": {"n": 10, "answer": 20, "n_quick": 4, "answer_quick": 8},
              "mpmc": {"n": 10, "answer": 45, "n_quick": 4, "answer_quick": 6, "senders": 4, "receivers": 4,
                       "capacity": 64, "unbounded": 2**64 - 1}}

    def test_a_variant_runs_its_base_problem_program_with_its_capacity(self):
        layout = catalog.Layout("/b")
        rendezvous, cap1, bounded, unbounded = catalog.cases(
            self.CONFIG, False, ["chan_pingpong", "chan_pingpong_cap1", "mpmc", "mpmc_unbounded"])
        self.assertEqual(catalog.program(layout, "crossbeam", cap1),
                         ["/b/bench-tokio/target/release/chan_pingpong_crossbeam", "10", "20", "1"])
        self.assertEqual(catalog.program(layout, "weft-1w", rendezvous), ["/b/bench/bin/chan_pingpong_weft", "10", "0"])
        self.assertEqual(catalog.program(layout, "go", unbounded)[-3:], [str(2**64 - 1), "4", "4"])
        self.assertEqual(catalog.program(layout, "tokio", bounded)[0], "/b/bench-tokio/target/release/mpmc")
        self.assertIsNone(catalog.program(layout, "crossbeam", catalog.Case("timers", 10, 45)))

    def test_timers_table_shows_lateness(self):
        rows = [{"problem": "timers", "n": 10, "runtime": rt, "ok": True, "rss_kib": 1024, "ms": ms,
                 "late_p50_us": 5.0, "late_p99_us": p99, "late_max_us": 90.0}
                for rt, ms, p99 in (("weft", 100.0, 50.0), ("go", 120.0, 70.0))]
        section = "\n".join(report._problem_section(summary.summarize(rows), "timers", {}))
        self.assertIn("median p99 lateness (µs)", section)
        self.assertIn("| 10 | go | 120 | 120–120 | 1/1 | 5.0 | 70.0 | 90.0 | 1.0 | 1.20x |", section)


if __name__ == "__main__":
    unittest.main()
