"""Tests of the report merge: python3 -m unittest discover -s bench/runner -p 'test_*.py'."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from runner import report  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
