"""Shows on stderr what is running and roughly how long the run has left."""

import sys
import time

# Before a (case, runtime) pair has run once, its duration is guessed from the task count:
# ~1 µs per task and 0.1 s of start-up, the order of the slowest peers seen on 2 cores.
GUESS_S_PER_TASK = 1e-6
GUESS_STARTUP_S = 0.1


def _guess(case):
    if case.problem == "wake":
        return case.n * (case.extra[0] * 1e-6 + 100e-6)
    if case.problem == "idle":
        return case.extra[0] / 1000 + GUESS_STARTUP_S
    if case.problem == "mutex":
        return GUESS_STARTUP_S + case.n * case.extra[0] * GUESS_S_PER_TASK
    tasks = case.n * 1.4 if case.problem == "fib" else case.n
    return GUESS_STARTUP_S + tasks * GUESS_S_PER_TASK


def _clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    def __init__(self, plan):
        self.plan = plan  # list of (round, case, runtime)
        self.seen = {}
        self.done = 0
        self.start = time.monotonic()

    def _estimate(self, case, runtime):
        times = self.seen.get((case, runtime))
        return sorted(times)[len(times) // 2] if times else _guess(case)

    def before(self, rnd, rounds, case, runtime):
        left = sum(self._estimate(c, r) for _, c, r in self.plan[self.done:])
        sys.stderr.write(f"[round {rnd}/{rounds}] {case.label:<24} {runtime:<8} run {self.done + 1}/{len(self.plan)}  "
                         f"elapsed {_clock(time.monotonic() - self.start)}, ~{_clock(left)} left\n")
        sys.stderr.flush()

    def after(self, case, runtime, wall_s):
        self.seen.setdefault((case, runtime), []).append(wall_s)
        self.done += 1
