"""Which runtimes and problems exist, and the command line and environment of each benchmark program."""

import os
from dataclasses import dataclass, field

# Every runtime in the order a round runs them; weft first so the ratios have their reference early.
RUNTIMES = ["weft", "weft-1w", "go", "tokio", "tbb", "omp", "serial"]
# Peers that keep a handle (future, JoinHandle, channel) per task, for the peak-RSS target.
HANDLE_PEERS = ["go", "tokio"]
# Runtimes compared against weft for "fastest peer" (weft-1w is weft itself, serial is the floor).
PEERS = ["go", "tokio", "tbb", "omp"]
PROBLEMS = ["scale", "scale_malloc", "fib", "skynet", "wake", "idle"]
# Problems without a serial program: waking and idling mean nothing without threads.
NO_SERIAL = {"wake", "idle"}


@dataclass(frozen=True)
class Case:
    """One problem at one size; `answer` is what the program must compute (None where nothing is checked)."""

    problem: str
    n: int
    answer: int | None = None
    extra: tuple = field(default=())  # further arguments after n (wake: gap_us; idle: sleep_ms)

    @property
    def label(self):
        return f"{self.problem} n={self.n}"


def cases(config, quick, problems):
    """The cases of a run, from the config printed by bench_config (config.hpp)."""
    out = []
    for problem in problems:
        if problem in ("scale", "scale_malloc"):
            for entry in config["scale"]:
                if not quick or entry["n"] <= config["scale_quick_max"]:
                    out.append(Case(problem, entry["n"], entry["answer"]))
        elif problem in ("fib", "skynet"):
            out.append(Case(problem, config[problem]["n"], config[problem]["answer"]))
        elif problem == "wake":
            wake = config["wake"]
            out.append(Case("wake", wake["samples_quick"] if quick else wake["samples"], None, (wake["gap_us"],)))
        elif problem == "idle":
            idle = config["idle"]
            out.append(Case("idle", idle["burst"], idle["answer"], (idle["sleep_ms"],)))
    return out


@dataclass(frozen=True)
class Layout:
    """Where the built programs are, below the build directory scripts/bench uses."""

    build_dir: str

    @property
    def cpp_bin(self):
        return os.path.join(self.build_dir, "bench", "bin")

    @property
    def go_bin(self):
        return os.path.join(self.build_dir, "bench-go", "bin")

    @property
    def tokio_bin(self):
        return os.path.join(self.build_dir, "bench-tokio", "target", "release")

    @property
    def config_tool(self):
        return os.path.join(self.cpp_bin, "bench_config")

    @property
    def launcher(self):
        path = os.path.join(self.cpp_bin, "bench_launch")
        return path if os.access(path, os.X_OK) else None


def thread_env(threads, runtime):
    """The environment variables that set every runtime's thread count (weft-1w: one weft worker)."""
    env = {
        "WEFT_WORKERS": str(threads),
        "GOMAXPROCS": str(threads),
        "TOKIO_WORKER_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "BENCH_THREADS": str(threads),
    }
    if runtime == "weft-1w":
        env["WEFT_WORKERS"] = "1"
    return env


def program(layout, runtime, case):
    """The argv of one benchmark program, or None when the runtime has no program for the problem."""
    if runtime == "serial" and case.problem in NO_SERIAL:
        return None
    if runtime in ("go", "tokio"):
        base = layout.go_bin if runtime == "go" else layout.tokio_bin
        path = os.path.join(base, case.problem)
        args = [case.n]
        if case.answer is not None:
            args.append(case.answer)
    else:
        name = "weft" if runtime == "weft-1w" else runtime
        path = os.path.join(layout.cpp_bin, f"{case.problem}_{name}")
        args = [case.n]
    args += list(case.extra)
    return [path] + [str(a) for a in args]
