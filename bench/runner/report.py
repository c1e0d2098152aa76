"""Writes the Markdown report: machine, versions, commands, the targets and every measured table.

The report is a sequence of generated blocks, each between `<!-- bench:begin NAME -->` and `<!-- bench:end NAME -->`.
A report written under the build folder is those blocks alone. Publishing (`scripts/bench --publish`) merges them
into BENCHMARKS.md instead: each block replaces the block of the same name and everything outside the markers, the
analysis written by hand beside the tables it discusses, is kept as it is. The runner never writes analysis.
"""

import os
import re

from .catalog import PER_OP_LABEL, PROBLEMS, RUNTIMES, thread_env
from .summary import METRIC_LABELS, primary_metric, ratio_vs_weft

# Problems whose programs report how late their timers woke, and the columns that shows.
LATENESS_PROBLEMS = ("timers", "sleep_overlap")
LATENESS_METRICS = ("late_p50_us", "late_p99_us", "late_max_us")

_BLOCK = re.compile(r"<!-- bench:begin (?P<name>[\w-]+) -->\n.*?<!-- bench:end (?P=name) -->\n?", re.S)


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


def _problem_section(cells, problem, skipped):
    out = [f"### {problem}", ""]
    ns = sorted({n for (p, n, _) in cells if p == problem})
    if not ns:
        return out + ["Not measured in this run.", ""]
    metric = primary_metric(problem)
    header = ["n", "runtime", f"median {METRIC_LABELS[metric]}", "min–max", "runs"]
    if problem == "wake":
        header += [f"median {METRIC_LABELS['p99_us']}", "started on a worker (%)"]
    if problem.startswith("scale"):
        header += ["ns per task"]
    if problem in PER_OP_LABEL:
        header += [PER_OP_LABEL[problem]]
    if problem == "park":
        header += [METRIC_LABELS["kib_per_task"]]
    if problem in LATENESS_PROBLEMS:
        header += [f"median {METRIC_LABELS[m]}" for m in LATENESS_METRICS]
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
            if problem.startswith("scale"):
                ms = cell.median("ms")
                row.append(_num(ms * 1e6 / n if ms is not None else None, 1))
            if problem in PER_OP_LABEL:
                row.append(_num(cell.median("ns_per_op"), 1))
            if problem == "park":
                row.append(_num(cell.median("kib_per_task"), 3))
            if problem in LATENESS_PROBLEMS:
                row += [_num(cell.median(m), 1) for m in LATENESS_METRICS]
            row.append(_num(cell.rss_mib.median if cell.rss_mib else None, 1))
            row.append("1.00x (reference)" if runtime == "weft" else _ratio(ratio_vs_weft(cells, problem, n, runtime)))
            rows.append(row)
    out += [_table(header, rows), ""]
    notes = [f"{runtime}: {why}" for (p, runtime), why in skipped.items() if p == problem]
    if notes:
        out += ["Not run: " + "; ".join(notes) + ".", ""]
    return out


def _channel_method(config):
    """The method bullets of the channel and timer problems."""
    mpmc, pipe, timers, overlap = config["mpmc"], config["pipeline"], config["timers"], config["sleep_overlap"]
    return [
        "- Channels: weft uses `weft::channel<T>`, Go its channels, tokio `tokio::sync::mpsc`, crossbeam "
        "`crossbeam-channel` on OS threads (one thread per task of the problem, whatever the thread count). "
        "chan_pingpong is pingpong through two channels of capacity 0 (a rendezvous; tokio has none and runs "
        "capacity 1 here too), chan_pingpong_cap1 through two of capacity 1. "
        f"mpmc: {mpmc['senders']} senders and {mpmc['receivers']} receivers over one channel of capacity "
        f"{mpmc['capacity']} (mpmc_unbounded: unbounded; Go has no unbounded channel and gets one with room for all "
        "n values). tokio's mpsc has one receiver: its receiving tasks share it behind a `tokio::sync::Mutex`. "
        f"pipeline: a source, {pipe['stages']} stages that add one and a sink, chained by channels of capacity "
        f"{pipe['capacity']}.",
        f"- timers: n tasks spawned from outside the runtime (Go: from main; tokio: from `block_on`), task i sleeps a "
        f"pseudo-random 0–{timers['max_us'] / 1000:g} ms (splitmix64, the same durations everywhere) from when it "
        "starts; time is until every one has woken, lateness is wake time minus deadline per task (a wake before "
        "the deadline fails the run). tokio's timer wheel rounds deadlines up to whole milliseconds. "
        f"sleep_overlap: {overlap['n']} tasks each sleep {overlap['sleep_ms']} ms at once.",
    ]


def _verdict_table(verdicts):
    return _table(["target", "measured", "status"],
                  [[v.name, v.measured, "**met**" if v.status == "met" else
                    ("**NOT met**" if v.status == "NOT met" else v.status)] for v in verdicts])


def blocks(meta, cells, verdicts, earlier, failures, charts, examples, skipped, publish):
    """The report as an ordered list of (name, Markdown text) blocks."""
    mode = "quick" if meta["quick"] else "full"
    rounds = f"{meta['rounds']} round{'' if meta['rounds'] == 1 else 's'}"
    scope = (f"({mode} mode, {rounds}, runtimes {', '.join(meta['runtimes'])}, "
             f"problems {', '.join(meta['problems'])})")
    if publish:
        intro = ["The blocks between `bench:begin` and `bench:end` markers are written by `scripts/bench --publish` "
                 f"(runner: `bench/run.py`) from the run described below {scope}; every number in them was measured "
                 "in that run. The text outside the markers is analysis written by hand: each part names the commit "
                 "and the run its figures come from, which may be older than the tables."]
    else:
        intro = [f"Written by `scripts/bench` (runner: `bench/run.py`) from the run described below {scope}; every "
                 "number here was measured in that run."]
    head = ["# weft benchmarks", ""]
    busy, reasons = meta["busy"]
    if busy:
        head += [f"> **Busy machine: {'; '.join(reasons)}.** Other work skews every figure below, differently for "
                 "each runtime; compare nothing here with another run.", ""]
    head += intro + [""]
    if failures:
        head += ["## FAILURES", "", "These programs exited non-zero (a wrong answer, a crash or a hang); "
                 "the run failed.", ""]
        head += [f"- `{f['problem']} n={f['n']}` on **{f['runtime']}**, round {f['round']}: {f['error']}" for f in failures]
        head += [""]
    out = [("header", head)]

    m = meta["machine"]
    out.append(("machine", ["## Machine", "", _table(["what", "value"], [
        ["CPU", m["cpu"]], ["cores", m["cores"]],
        ["memory", f"{m['memory_gib']:.1f} GiB" if m["memory_gib"] else "—"],
        ["OS", m["os"]], ["kernel", m["kernel"]], ["date", m["date"]],
        ["load average (1/5/15 min) before the run", m["load_before"]],
        ["load average (1/5/15 min) after the run", m["load_after"]],
        ["other processes' CPU during the run (cores, average)", _num(m.get("other_cores"))]]), ""]))
    out.append(("versions", ["## Versions", "", _table(["component", "version"],
                                                        [[k, v or "not found"] for k, v in meta["versions"].items()]),
                             ""]))
    env = " ".join(f"{k}={v}" for k, v in thread_env(meta["threads"], "weft").items())
    wake = meta["config"]["wake"]
    out.append(("method", [
        "## How it was measured", "",
        f"- Command: `{meta['command']}`.",
        f"- Every program runs as its own process with `{env}` (`weft-1w` runs the weft program with "
        "`WEFT_WORKERS=1`; libfork's pool takes `BENCH_THREADS`). Each times only its workload, in-program, after its "
        "runtime has started, checks its answer and exits non-zero when it is wrong.",
        *([f"- `weft-base` is the same weft program built from commit {meta['baseline']} (`scripts/bench "
            "--baseline`), run side by side for the no-regression comparison."] if meta.get("baseline") else []),
        "- Runtimes are interleaved round by round (one run of each runtime for each case per round); the tables "
        "give the median and the min–max over rounds.",
        "- Peak RSS is `ru_maxrss` of the program's process from `wait4`, start-up included. The program is forked "
        "by `bench_launch` (bench/common/launch.cpp, ~1 MiB) rather than by Python, whose own high-water mark a "
        "forked child would inherit.",
        "- `peer / weft` is the peer's median over weft's: above 1 means weft is that many times faster (or, for "
        "wake and idle, lower).",
        "- libfork (fib and skynet only) forks every child but the last, calls the last and joins: C++20 coroutines "
        "with continuation stealing, built from a header outside this repository.",
        "- scale spawns from `main`, outside the runtime; scale_inside runs the same loop inside one task, so every "
        "spawn comes from a worker.",
        f"- wake: p50/p99 of the time from spawn (clock read in the spawner) to the task starting (clock read in the "
        f"task) after an idle gap of {wake['gap_us']} µs; for weft, the `started on a worker` column says how "
        "often a worker rather than the spawner waiting in `get()` started it. Go's `go` statement is received by "
        "the spawner's own P; tokio spawns from the `block_on` thread to its workers; oneTBB uses "
        f"`task_arena::enqueue`; OpenMP's creator sleeps in {wake['poll_us']} µs steps until the other team thread "
        "has started the task (`taskwait` would run it on the creator).",
        f"- idle: user+system CPU time of the whole process over a {meta['config']['idle']['sleep_ms'] / 1000:g} s "
        "sleep after a burst of tasks.",
        "- park: the time from setting the one promise (Go: closing a channel; tokio: sending on a `watch` channel) "
        "until the last waiting task has resumed; RSS per parked task is the resident memory the waiting tasks "
        "added, read from /proc/self/statm before spawning them and once they all wait.",
        "- pingpong: two tasks hand a counter back and forth (Go: unbuffered channels; tokio: `mpsc` channels of "
        "capacity 1). mutex: "
        f"{meta['config']['mutex']['tasks']} tasks each take one lock n times around an increment (Go: "
        "`sync.Mutex`; tokio: `tokio::sync::Mutex`).",
        *_channel_method(meta["config"]),
        "", "Program command lines (relative to the repository):", "",
        _table(["runtime", "example"], [[r, f"`{cmd}`"] for r, cmd in examples]), ""]))
    out.append(("targets", ["## Targets", "", "Measured against weft's targets; nothing here is adjusted.", "",
                            _verdict_table(verdicts), ""]))
    out.append(("targets-earlier", ["### Earlier targets", "", "The first release's targets, kept so that a "
                                    "regression against them stays visible.", "", _verdict_table(earlier), ""]))
    out.append(("results", ["## Results", ""]))
    for problem in PROBLEMS:
        out.append((f"results-{problem}", _problem_section(cells, problem, skipped)))
    chart_lines = ["## Charts", ""]
    if charts:
        chart_lines += [f"![{os.path.basename(c)}]({c})" for c in charts if c.endswith(".svg")]
    else:
        chart_lines += ["No charts in this run."]
    chart_lines += ["", f"Raw runs: `{meta['raw_csv']}` and `{meta['raw_json']}`.", ""]
    out.append(("charts", chart_lines))
    return [(name, "\n".join(lines).rstrip() + "\n") for name, lines in out]


def _wrap(name, text):
    return f"<!-- bench:begin {name} -->\n{text}<!-- bench:end {name} -->\n"


def merge(old, new_blocks):
    """`old` with each generated block replaced by the new one of the same name; new blocks go after the block that
    precedes them in the new order, blocks no longer generated are dropped, and hand-written text stays."""
    new = dict(new_blocks)
    order = [name for name, _ in new_blocks]
    parts, pos = [], 0  # ("text", str) or ("block", name)
    for m in _BLOCK.finditer(old):
        parts.append(("text", old[pos:m.start()]))
        parts.append(("block", m.group("name")))
        pos = m.end()
    parts.append(("text", old[pos:]))
    present = {name for kind, name in parts if kind == "block" and name in new}
    out = []
    for kind, value in parts:
        if kind == "text":
            out.append(value)
            continue
        if value not in new:
            continue
        out.append(_wrap(value, new[value]))
        # Blocks new to the file that come right after this one in the new order follow it.
        for later in order[order.index(value) + 1:]:
            if later in present:
                break
            out.append("\n" + _wrap(later, new[later]))
            present.add(later)
    missing = [name for name in order if name not in present]
    if missing:
        out.append("\n" + "\n".join(_wrap(name, new[name]) for name in missing))
    return "".join(out)


def write(path, new_blocks, publish):
    """Writes the report: the blocks alone, or, when publishing, merged into the file already at `path`."""
    if publish and os.path.exists(path):
        with open(path) as f:
            text = merge(f.read(), new_blocks)
    else:
        text = "\n".join(_wrap(name, body) for name, body in new_blocks)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def hand_written_commits(path):
    """The commits the hand-written analysis in `path` says it was measured at (`measured at commit abc1234`)."""
    try:
        with open(path) as f:
            text = _BLOCK.sub("", f.read())
    except OSError:
        return set()
    return set(re.findall(r"measured at commit `?([0-9a-f]{7,40})", text))
