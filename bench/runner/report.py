"""Writes BENCHMARKS.md: machine, versions, commands, the targets and every measured table."""

import os

from .catalog import RUNTIMES, thread_env
from .summary import METRIC_LABELS, primary_metric, ratio_vs_weft


def _num(v, digits=2):
    if v is None:
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def _range(s, digits=2):
    return "—" if s is None else f"{_num(s.low, digits)}–{_num(s.high, digits)}"


def _ratio(r):
    return "—" if r is None else f"{r:.2f}x"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _problem_section(cells, problem):
    ns = sorted({n for (p, n, _) in cells if p == problem})
    if not ns:
        return []
    metric = primary_metric(problem)
    out = [f"### {problem}", ""]
    header = ["n", "runtime", f"median {METRIC_LABELS[metric]}", "min–max", "runs"]
    if problem == "wake":
        header += [f"median {METRIC_LABELS['p99_us']}", "started on a worker (%)"]
    if problem in ("scale", "scale_malloc"):
        header += ["ns per task"]
    header += ["median peak RSS (MiB)", "peer / weft"]
    rows = []
    for n in ns:
        for runtime in RUNTIMES:
            cell = cells.get((problem, n, runtime))
            if not cell:
                continue
            s = cell.metrics.get(metric)
            row = [f"{n:,}", runtime, _num(s.median if s else None, 3), _range(s),
                   f"{cell.runs - cell.failures}/{cell.runs}"]
            if problem == "wake":
                row.append(_num(cell.median("p99_us")))
                row.append(_num(cell.median("on_worker_pct"), 1))
            if problem in ("scale", "scale_malloc"):
                ms = cell.median("ms")
                row.append(_num(ms * 1e6 / n if ms is not None else None, 1))
            row.append(_num(cell.rss_mib.median if cell.rss_mib else None, 1))
            row.append("1.00x (reference)" if runtime == "weft" else _ratio(ratio_vs_weft(cells, problem, n, runtime)))
            rows.append(row)
    out += [_table(header, rows), ""]
    return out


def write(path, meta, cells, verdicts, failures, charts, examples):
    mode = "quick" if meta["quick"] else "full"
    lines = [
        "# weft benchmarks",
        "",
        "Written by `scripts/bench` (runner: `bench/run.py`) from the run described below; do not edit by hand.",
        f"Every number here was measured in that run ({mode} mode, {meta['rounds']} rounds, runtimes "
        f"{', '.join(meta['runtimes'])}).",
        "",
    ]
    if failures:
        lines += ["## FAILURES", "", "These programs exited non-zero (a wrong answer, a crash or a hang); "
                  "the run failed.", ""]
        lines += [f"- `{f['problem']} n={f['n']}` on **{f['runtime']}**, round {f['round']}: {f['error']}" for f in failures]
        lines += [""]
    m = meta["machine"]
    lines += ["## Machine", "", _table(["what", "value"], [
        ["CPU", m["cpu"]], ["cores", m["cores"]],
        ["memory", f"{m['memory_gib']:.1f} GiB" if m["memory_gib"] else "—"],
        ["OS", m["os"]], ["kernel", m["kernel"]], ["date", m["date"]],
        ["load average (1/5/15 min) before the run", m["load_before"]],
        ["load average (1/5/15 min) after the run", m["load_after"]]]), ""]
    lines += ["## Versions", "", _table(["component", "version"],
                                        [[k, v or "not found"] for k, v in meta["versions"].items()]), ""]
    env = " ".join(f"{k}={v}" for k, v in thread_env(meta["threads"], "weft").items())
    wake = meta["config"]["wake"]
    lines += [
        "## How it was measured", "",
        f"- Command: `{meta['command']}`.",
        f"- Every program runs as its own process with `{env}` (`weft-1w` runs the weft program with "
        "`WEFT_WORKERS=1`). Each times only its workload, in-program, after its runtime has started, checks its "
        "answer and exits non-zero when it is wrong.",
        "- Runtimes are interleaved round by round (one run of each runtime for each case per round); the tables "
        "give the median and the min–max over rounds.",
        "- Peak RSS is `ru_maxrss` of the program's process from `wait4`, start-up included. The program is forked "
        "by `bench_launch` (bench/common/launch.cpp, ~1 MiB) rather than by Python, whose own high-water mark a "
        "forked child would inherit.",
        "- `peer / weft` is the peer's median over weft's: above 1 means weft is that many times faster (or, for "
        "wake and idle, lower).",
        f"- wake: p50/p99 of the time from spawn (clock read in the spawner) to the task starting (clock read in the "
        f"task) after an idle gap of {wake['gap_us']} µs; for weft, the `started on a worker` column says how "
        "often a worker rather than the spawner waiting in `get()` started it. Go's `go` statement is received by "
        "the spawner's own P; tokio spawns from the `block_on` thread to its workers; oneTBB uses `task_arena::enqueue`; OpenMP's creator sleeps in "
        f"{wake['poll_us']} µs steps until the other team thread has started the task (`taskwait` would run it "
        "on the creator).",
        f"- idle: user+system CPU time of the whole process over a {meta['config']['idle']['sleep_ms'] / 1000:g} s "
        "sleep after a burst of tasks.",
        "", "Program command lines (relative to the repository):", "",
        _table(["runtime", "example"], [[r, f"`{cmd}`"] for r, cmd in examples]), "",
    ]
    lines += ["## Targets", "", "Measured against the issue's targets; nothing here is adjusted.", "",
              _table(["target", "measured", "status"],
                     [[v.name, v.measured, "**met**" if v.status == "met" else
                       ("**NOT met**" if v.status == "NOT met" else v.status)] for v in verdicts]), ""]
    lines += ["## Results", ""]
    for problem in ("scale", "scale_malloc", "fib", "skynet", "wake", "idle"):
        lines += _problem_section(cells, problem)
    if charts:
        lines += ["## Charts", ""]
        lines += [f"![{c}](bench/results/{c})" for c in charts if c.endswith(".svg")]
        lines += ["", "Raw runs: `bench/results/latest.csv` and `bench/results/latest.json`.", ""]
    # Hand-written analysis (where the time goes, what would close the gaps), kept beside the
    # runner so that the generated report always carries it; its figures name their own commands.
    analysis = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            lines += ["", f.read().rstrip(), ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    os.chmod(path, 0o644)
