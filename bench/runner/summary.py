"""Turns raw runs into medians, min-max ranges and ratios against weft."""

import statistics
from dataclasses import dataclass

# The number each problem is ranked by: time for the throughput problems, p50 for wake, CPU for idle.
PRIMARY_METRIC = {"wake": "p50_us", "idle": "cpu_ms"}
METRIC_LABELS = {"ms": "time (ms)", "p50_us": "p50 (µs)", "p99_us": "p99 (µs)", "cpu_ms": "CPU while idle (ms)",
                 "kib_per_task": "RSS per parked task (KiB)", "ns_per_op": "ns per operation",
                 "late_p50_us": "p50 lateness (µs)", "late_p99_us": "p99 lateness (µs)",
                 "late_max_us": "max lateness (µs)"}
# Every number a program may print on its RESULT line besides n (late_*: how long after its deadline a timer woke).
METRICS = ("ms", "p50_us", "p99_us", "cpu_ms", "on_worker_pct", "kib_per_task", "ns_per_op", "late_p50_us",
           "late_p99_us", "late_max_us")


def primary_metric(problem):
    return PRIMARY_METRIC.get(problem, "ms")


@dataclass
class Spread:
    median: float
    low: float
    high: float


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return Spread(statistics.median(values), min(values), max(values))


@dataclass
class Cell:
    """The summary of one runtime on one case."""

    problem: str
    n: int
    runtime: str
    runs: int
    failures: int
    metrics: dict  # metric name -> Spread
    rss_mib: Spread | None

    def median(self, metric=None):
        s = self.metrics.get(metric or primary_metric(self.problem))
        return s.median if s else None


def summarize(rows):
    """One Cell per (problem, n, runtime) that was run, in first-seen order."""
    groups = {}
    for row in rows:
        groups.setdefault((row["problem"], row["n"], row["runtime"]), []).append(row)
    cells = {}
    for (problem, n, runtime), runs in groups.items():
        good = [r for r in runs if r["ok"]]
        metrics = {}
        for metric in METRICS:
            s = spread([r.get(metric) for r in good])
            if s:
                metrics[metric] = s
        rss = spread([r["rss_kib"] / 1024 for r in good])
        cells[(problem, n, runtime)] = Cell(problem, n, runtime, len(runs), len(runs) - len(good), metrics, rss)
    return cells


def ratio_vs_weft(cells, problem, n, runtime, metric=None):
    """How many times weft's median beats `runtime`'s (peer / weft); None when either is missing or weft's is 0."""
    metric = metric or primary_metric(problem)
    weft = cells.get((problem, n, "weft"))
    other = cells.get((problem, n, runtime))
    if not weft or not other:
        return None
    w, o = weft.median(metric), other.median(metric)
    if w is None or o is None or w <= 0:
        return None
    return o / w
