"""Describes the machine and the exact version of every runtime a run measured."""

import datetime
import os
import platform
import re
import subprocess
import time


def _run(argv, cwd=None):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if out.returncode == 0 and text else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        return kib / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return None


def load_average():
    """The 1-, 5- and 15-minute load averages: other work on a shared machine skews every number."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


# A run is called busy when other work took more than this many cores on average while it ran. Half a core: the
# programs run 2 threads, so on a 2-core machine that is a quarter of their CPU. A judgement, not a measurement.
BUSY_OTHER_CORES = 0.5


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _busy_seconds():
    """CPU seconds the whole machine has spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds():
    """CPU seconds of this process and of every program it has run and reaped."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Busyness:
    """Measures how much CPU other processes took while the benchmarks ran: the machine's busy time in /proc/stat
    minus the runner's own and its programs'."""

    def __init__(self):
        self.load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        self.cores = _cores()
        self._busy = _busy_seconds()
        self._own = _own_seconds()
        self._wall = time.monotonic()

    def other_cores(self):
        """Cores' worth of CPU other work used on average since the start, or None when /proc/stat is unreadable."""
        busy = _busy_seconds()
        wall = time.monotonic() - self._wall
        if busy is None or self._busy is None or wall <= 0:
            return None
        return max(0.0, (busy - self._busy) - (_own_seconds() - self._own)) / wall

    def verdict(self):
        """(busy, reasons): whether the run's figures were taken on a busy machine, and why."""
        reasons = []
        if self.load_at_start is not None and self.load_at_start > self.cores:
            reasons.append(f"the 1-minute load average was {self.load_at_start:.2f} at the start, above the "
                           f"{self.cores} cores")
        other = self.other_cores()
        if other is not None and other > BUSY_OTHER_CORES:
            reasons.append(f"other processes used {other:.2f} cores on average during the run "
                           f"(more than {BUSY_OTHER_CORES} counts as busy)")
        return bool(reasons), reasons


def describe():
    return {
        "load_before": load_average(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "kernel": f"{platform.system()} {platform.release()}",
        "os": _os_name(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def _cmake_cache(build_dir):
    values = {}
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"^([A-Za-z_0-9]+):[A-Z]+=(.*)$", line.strip())
                if m:
                    values[m.group(1)] = m.group(2)
    except OSError:
        pass
    return values


def _tbb_version(cache):
    tbb_dir = cache.get("TBB_DIR")
    if not tbb_dir:
        return None
    try:
        with open(os.path.join(tbb_dir, "TBBConfigVersion.cmake")) as f:
            m = re.search(r'set\(PACKAGE_VERSION "([^"]+)"\)', f.read())
            return f"oneTBB {m.group(1)}" if m else None
    except OSError:
        return None


def _crate_version(bench_dir, crate):
    """The version of `crate` the Rust peers were built with, from bench/Cargo.lock."""
    try:
        with open(os.path.join(bench_dir, "Cargo.lock")) as f:
            m = re.search(rf'name = "{re.escape(crate)}"\nversion = "([^"]+)"', f.read())
            return f"{crate} {m.group(1)}" if m else None
    except OSError:
        return None


def versions(build_dir, repo_dir):
    """Version strings of the compilers and runtimes, as far as they can be found."""
    cache = _cmake_cache(build_dir)
    cxx = cache.get("CMAKE_CXX_COMPILER", "c++")
    commit = _run(["git", "rev-parse", "--short", "HEAD"], cwd=repo_dir)
    # Only weft's own sources count as "uncommitted changes" of what was measured.
    dirty = _run(["git", "status", "--porcelain", "--", "src", "include", "CMakeLists.txt"], cwd=repo_dir)
    return {
        "weft": f"git {commit}{' (with uncommitted changes)' if dirty else ''}" if commit else None,
        "c++ compiler": _run([cxx, "--version"]),
        "build type": cache.get("CMAKE_BUILD_TYPE"),
        "go": _run(["go", "version"]),
        "rustc": _run(["rustc", "--version"]),
        "tokio": _crate_version(os.path.join(repo_dir, "bench"), "tokio"),
        "crossbeam-channel": _crate_version(os.path.join(repo_dir, "bench"), "crossbeam-channel"),
        "oneTBB": _tbb_version(cache),
        "OpenMP": f"libgomp of {_run([cxx, '--version'])}" if cache.get("OpenMP_CXX_FLAGS") else None,
        "python": platform.python_version(),
        "gnuplot": _run(["gnuplot", "--version"]),
    }
