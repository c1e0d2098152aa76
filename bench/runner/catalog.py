"""Which runtimes and problems exist, and the command line and environment of each benchmark program."""

import os
from dataclasses import dataclass, field

# Every runtime in the order a round runs them; weft first so the ratios have their reference early.
# weft-base is the weft program of another commit (scripts/bench --baseline REV), for no-regression comparisons.
RUNTIMES = ["weft", "weft-1w", "weft-base", "go", "tokio", "crossbeam", "tbb", "omp", "libfork", "serial"]
# Peers that keep a handle (future, JoinHandle, channel) per task, for the peak-RSS target.
HANDLE_PEERS = ["go", "tokio"]
# Runtimes compared against weft for "fastest peer" (weft-1w and weft-base are weft itself, serial is the floor).
PEERS = ["go", "tokio", "crossbeam", "tbb", "omp", "libfork"]
PROBLEMS = ["scale", "scale_inside", "scale_malloc", "fib", "skynet", "wake", "idle", "park", "pingpong", "mutex",
            "chan_pingpong", "chan_pingpong_cap1", "mpmc", "mpmc_unbounded", "pipeline", "timers", "sleep_overlap"]
# Problems that run another problem's programs with other arguments (a channel capacity): problem -> program.
PROGRAM_OF = {"chan_pingpong_cap1": "chan_pingpong", "mpmc_unbounded": "mpmc"}

# The runtimes that have a program for each problem (bench/CMakeLists.txt builds the C++ ones, scripts/bench the Go
# and tokio ones, and crossbeam-channel's, which are OS threads and channels). libfork is a fork-join library: it has
# no outside spawner, no idle runtime and no way to wait.
_WEFT = ["weft", "weft-1w", "weft-base"]
_ALL = _WEFT + ["go", "tokio", "tbb", "omp"]
_CHANNELS = _WEFT + ["go", "tokio", "crossbeam"]
PROBLEM_RUNTIMES = {
    "scale": _ALL + ["serial"],
    "scale_inside": _ALL,  # the serial floor is scale's: the same loop
    "scale_malloc": _ALL + ["serial"],
    "fib": _ALL + ["libfork", "serial"],
    "skynet": _ALL + ["libfork", "serial"],
    "wake": _ALL,
    "idle": _ALL,
    "park": _WEFT + ["go", "tokio"],
    "pingpong": _WEFT + ["go", "tokio"],
    "mutex": _WEFT + ["go", "tokio"],
    "chan_pingpong": _CHANNELS,
    "chan_pingpong_cap1": _CHANNELS,
    "mpmc": _CHANNELS,
    "mpmc_unbounded": _CHANNELS,
    "pipeline": _CHANNELS,
    "timers": _WEFT + ["go", "tokio"],
    "sleep_overlap": _WEFT + ["go", "tokio"],
}

# Programs that are written down but wait for something weft does not have yet: the runner says so instead of
# running them. (problem, runtime) -> why.
PENDING: dict[tuple[str, str], str] = {}

# Problems timed per operation: the report adds an "ns per ..." column from the program's ns_per_op field.
PER_OP_LABEL = {"pingpong": "ns per round trip", "mutex": "ns per lock", "chan_pingpong": "ns per round trip",
                "chan_pingpong_cap1": "ns per round trip", "mpmc": "ns per message", "mpmc_unbounded": "ns per message",
                "pipeline": "ns per item"}


@dataclass(frozen=True)
class Case:
    """One problem at one size; `answer` is what the program must compute (None where nothing is passed)."""

    problem: str
    n: int
    answer: int | None = None
    extra: tuple = field(default=())  # further arguments after n (wake: gap_us; idle: sleep_ms; mpmc: capacity...)

    @property
    def label(self):
        return f"{self.problem} n={self.n}"


def cases(config, quick, problems):
    """The cases of a run, from the config printed by bench_config (config.hpp)."""
    out = []
    for problem in problems:
        if problem in ("scale", "scale_inside", "scale_malloc"):
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
        elif problem == "park":
            park = config["park"]
            out.append(Case("park", park["n"], park["answer"], (park["settle_ms"],)))
        elif problem == "pingpong":
            p = config["pingpong"]
            out.append(Case("pingpong", p["n_quick"] if quick else p["n"], p["answer_quick"] if quick else p["answer"]))
        elif problem == "mutex":
            m = config["mutex"]
            out.append(Case("mutex", m["n_quick"] if quick else m["n"], m["answer_quick"] if quick else m["answer"],
                            (m["tasks"],)))
        elif problem in ("chan_pingpong", "chan_pingpong_cap1"):
            p = config["chan_pingpong"]
            out.append(_sized(problem, p, quick, (0 if problem == "chan_pingpong" else 1,)))
        elif problem in ("mpmc", "mpmc_unbounded"):
            m = config["mpmc"]
            capacity = m["capacity"] if problem == "mpmc" else m["unbounded"]
            out.append(_sized(problem, m, quick, (capacity, m["senders"], m["receivers"])))
        elif problem == "pipeline":
            p = config["pipeline"]
            out.append(_sized(problem, p, quick, (p["stages"], p["capacity"])))
        elif problem == "timers":
            t = config["timers"]
            out.append(_sized(problem, t, quick, (t["max_us"], t["seed"])))
        elif problem == "sleep_overlap":
            s = config["sleep_overlap"]
            out.append(Case(problem, s["n"], s["answer"], (s["sleep_ms"],)))
    return out


def _sized(problem, entry, quick, extra):
    """A case whose config entry has n and answer, and n_quick and answer_quick for a quick run."""
    if quick:
        return Case(problem, entry["n_quick"], entry["answer_quick"], extra)
    return Case(problem, entry["n"], entry["answer"], extra)


@dataclass(frozen=True)
class Layout:
    """Where the built programs are, below the build directory scripts/bench uses."""

    build_dir: str
    baseline_bin: str | None = None  # where the baseline commit's weft programs are, when there is one

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


def has_program(runtime, problem):
    """Whether `runtime` has a program for `problem` at all (built or not)."""
    return runtime in PROBLEM_RUNTIMES.get(problem, ())


def pending(runtime, problem):
    """Why the program of `runtime` for `problem` is not run yet, or None."""
    return PENDING.get((problem, "weft" if runtime == "weft-1w" else runtime))


def program(layout, runtime, case):
    """The argv of one benchmark program, or None when the runtime has no program for the problem."""
    if not has_program(runtime, case.problem):
        return None
    if runtime == "weft-base" and not layout.baseline_bin:
        return None
    name = PROGRAM_OF.get(case.problem, case.problem)
    if runtime in ("go", "tokio", "crossbeam"):
        # crossbeam's programs are binaries of the tokio peers' Cargo package, named <problem>_crossbeam.
        base = layout.go_bin if runtime == "go" else layout.tokio_bin
        path = os.path.join(base, name if runtime != "crossbeam" else f"{name}_crossbeam")
        args = [case.n]
        if case.answer is not None:
            args.append(case.answer)
    else:
        suffix = "weft" if runtime in ("weft-1w", "weft-base") else runtime
        base = layout.baseline_bin if runtime == "weft-base" else layout.cpp_bin
        path = os.path.join(base, f"{name}_{suffix}")
        args = [case.n]
    args += list(case.extra)
    return [path] + [str(a) for a in args]
