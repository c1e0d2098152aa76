"""Runs one benchmark program as a child process: its RESULT line, exit status and peak RSS (from wait4).

The program is started through bench_launch (bench/common/launch.cpp), which forks it from a ~1 MiB process and
reports the program's ru_maxrss; a child forked from Python itself would start with Python's high-water mark.
Without the launcher the runner falls back to os.wait4 on the program directly.
"""

import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

# A program that runs longer than this has hung. The slowest runs seen: Go scale at 10M, ~7 s on an idle 2-core
# machine and under 30 s on a busy one; weft pingpong with 2 workers at 100,000 round trips, 5-7 s on a busy one
# (load average 20), so about 70 s at the full 1M.
CHILD_TIMEOUT_S = 300
# A program that printed its RESULT line gets this long to exit (shutting a runtime down takes milliseconds).
EXIT_GRACE_S = 10
# How long a hung program gets between SIGTERM and SIGKILL.
KILL_AFTER_TERM_S = 2
# How often the runner looks at a running child: rarely enough to cost the measured program nothing visible.
POLL_S = 0.05


@dataclass
class Outcome:
    """What one run of one program produced."""

    ok: bool
    fields: dict = field(default_factory=dict)  # the RESULT line's key=value pairs, numbers as floats
    rss_kib: int = 0
    wall_s: float = 0.0
    exit_code: int = 0
    error: str = ""
    timed_out: bool = False


def parse_result(stdout):
    """The key=value fields of the RESULT line, or None when there is none."""
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            fields = {}
            for item in line.split()[1:]:
                key, _, value = item.partition("=")
                try:
                    fields[key] = float(value)
                except ValueError:
                    fields[key] = value
            return fields
    return None


_LAUNCH_LINE = re.compile(r"^LAUNCH peak_rss_kib=(\d+)$", re.M)


def _stop(pid, since_s):
    """SIGTERM first (bench_launch then kills and reaps the program); the whole group gets SIGKILL after a while."""
    try:
        if since_s < KILL_AFTER_TERM_S:
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _wait(pid, out_fd, start):
    """wait4 for pid, killing its process group when it hangs; returns (status, rusage, why it was killed or "")."""
    result_seen = None
    hang = ""
    hang_at = 0.0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, hang
        now = time.monotonic()
        if result_seen is None and b"RESULT " in os.pread(out_fd, 1 << 16, 0):
            result_seen = now
        if not hang and now - start > CHILD_TIMEOUT_S:
            hang = f"killed after {CHILD_TIMEOUT_S} s"
        elif not hang and result_seen is not None and now - result_seen > EXIT_GRACE_S:
            hang = f"printed its RESULT but had not exited {EXIT_GRACE_S} s later: killed (hang at exit)"
        if hang:
            hang_at = hang_at or now
            _stop(pid, now - hang_at)
        time.sleep(POLL_S)


def _describe_exit(code, launched):
    """Exit code in words; bench_launch reports a program killed by signal S as 128+S, Python as -S."""
    signum = -code if code < 0 else (code - 128 if launched and code > 128 else 0)
    if signum:
        try:
            return f"killed by {signal.Signals(signum).name}"
        except ValueError:
            return f"killed by signal {signum}"
    return f"exit {code}"


def run(argv, extra_env, launcher=None):
    """Runs argv (through `launcher` when given) with extra_env added to the environment; waits with os.wait4."""
    env = dict(os.environ)
    env.update(extra_env)
    full = [launcher] + argv if launcher else argv
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(full, stdout=out, stderr=err, env=env, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as exc:
            return Outcome(False, error=f"cannot start {full[0]}: {exc}", exit_code=-1)
        status, usage, hang = _wait(proc.pid, out.fileno(), start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    rss = usage.ru_maxrss
    launched = _LAUNCH_LINE.search(stderr)
    if launched:
        rss = int(launched.group(1))
        stderr = _LAUNCH_LINE.sub("", stderr)
    outcome = Outcome(True, rss_kib=rss, wall_s=wall, exit_code=proc.returncode, timed_out=bool(hang))
    fields = parse_result(stdout)
    if proc.returncode != 0:
        outcome.ok = False
        reason = hang or _describe_exit(proc.returncode, launcher)
        detail = stderr.strip()[-500:] or stdout.strip()[-500:]
        outcome.error = f"{reason}: {detail}" if detail else reason
    elif fields is None:
        outcome.ok = False
        outcome.error = f"no RESULT line; stdout: {stdout.strip()[-300:]!r}"
    else:
        outcome.fields = fields
    return outcome
