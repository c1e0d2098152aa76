#!/usr/bin/env python3
"""Runs the side-by-side benchmarks round by round and writes BENCHMARKS.md, bench/results/ and the charts."""

import argparse
import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from runner import catalog, chart, machine, measure, progress, report, results, summary, targets  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The issue asks for at least 5 rounds, and 3 in a quick run.
FULL_ROUNDS = 5
QUICK_ROUNDS = 3


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "bench-release"),
                    help="where scripts/bench built the programs")
    ap.add_argument("--quick", action="store_true", help="N up to 1M, fewer wake samples, 3 rounds")
    ap.add_argument("--rounds", type=int, help=f"rounds (default {FULL_ROUNDS}, quick {QUICK_ROUNDS})")
    ap.add_argument("--runtimes", help="comma-separated subset of " + ",".join(catalog.RUNTIMES))
    ap.add_argument("--problems", help="comma-separated subset of " + ",".join(catalog.PROBLEMS))
    ap.add_argument("--threads", type=int, default=2, help="threads for every runtime (the issue: 2)")
    ap.add_argument("--report", default=os.path.join(REPO, "BENCHMARKS.md"), help="the Markdown report to write")
    ap.add_argument("--results-dir", default=os.path.join(REPO, "bench", "results"),
                    help="where latest.csv, latest.json and the charts go")
    ap.add_argument("--command", help="the command line to record in the report (scripts/bench passes its own)")
    args = ap.parse_args(argv)
    args.rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    args.runtimes = _subset(args.runtimes, catalog.RUNTIMES, ap)
    args.problems = _subset(args.problems, catalog.PROBLEMS, ap)
    return args


def _subset(text, allowed, ap):
    if not text:
        return list(allowed)
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in allowed]
    if unknown:
        ap.error(f"unknown: {', '.join(unknown)} (known: {', '.join(allowed)})")
    return [t for t in allowed if t in chosen]


def load_config(layout):
    tool = layout.config_tool
    if not os.access(tool, os.X_OK):
        sys.exit(f"{tool} is missing: build the benchmarks first (scripts/bench does)")
    return json.loads(subprocess.run([tool], capture_output=True, text=True, check=True).stdout)


def available_runtimes(layout, runtimes, cases):
    """The runtimes whose programs are all built; says which are skipped and why."""
    out = []
    for runtime in runtimes:
        missing = [argv[0] for case in cases if (argv := catalog.program(layout, runtime, case))
                   and not os.access(argv[0], os.X_OK)]
        if missing:
            sys.stderr.write(f"SKIPPING {runtime}: not built ({os.path.relpath(missing[0], REPO)} is missing)\n")
        else:
            out.append(runtime)
    return out


def example_commands(layout, runtimes, cases, threads):
    """One command line per runtime, for the report."""
    out = []
    for runtime in runtimes:
        case = next((c for c in cases if catalog.program(layout, runtime, c)), None)
        if case is None:
            continue
        argv = catalog.program(layout, runtime, case)
        env = catalog.thread_env(threads, runtime)
        var = {"weft": "WEFT_WORKERS", "weft-1w": "WEFT_WORKERS", "go": "GOMAXPROCS",
               "tokio": "TOKIO_WORKER_THREADS", "tbb": "BENCH_THREADS", "omp": "OMP_NUM_THREADS"}.get(runtime)
        prefix = f"{var}={env[var]} " if var else ""
        out.append((runtime, prefix + shlex.join([os.path.relpath(argv[0], REPO)] + argv[1:])))
    return out


def main(argv):
    args = parse_args(argv)
    layout = catalog.Layout(os.path.abspath(args.build_dir))
    config = load_config(layout)
    cases = catalog.cases(config, args.quick, args.problems)
    runtimes = available_runtimes(layout, args.runtimes, cases)
    if not layout.launcher:
        sys.stderr.write("bench_launch is not built: peak RSS includes the runner's own high-water mark\n")
    if not runtimes:
        sys.exit("no runtime is built; nothing to run")

    meta_machine = machine.describe()
    plan = [(rnd, case, runtime) for rnd in range(1, args.rounds + 1) for case in cases for runtime in runtimes
            if catalog.program(layout, runtime, case)]
    shown = progress.Progress(plan)
    rows, failures = [], []
    hung = set()  # (case, runtime) pairs that hung once: later rounds would only hang again
    for rnd, case, runtime in plan:
        shown.before(rnd, args.rounds, case, runtime)
        if (case, runtime) in hung:
            outcome = measure.Outcome(False, error="not run: it hung in an earlier round")
        else:
            outcome = measure.run(catalog.program(layout, runtime, case), catalog.thread_env(args.threads, runtime),
                                  layout.launcher)
        if outcome.timed_out:
            hung.add((case, runtime))
        shown.after(case, runtime, outcome.wall_s)
        row = {"round": rnd, "problem": case.problem, "n": case.n, "runtime": runtime, "ok": outcome.ok,
               "rss_kib": outcome.rss_kib, "wall_s": round(outcome.wall_s, 4), "exit_code": outcome.exit_code,
               "error": outcome.error}
        for key in ("ms", "p50_us", "p99_us", "cpu_ms", "on_worker_pct"):
            value = outcome.fields.get(key)
            row[key] = value if isinstance(value, float) else None
        rows.append(row)
        if not outcome.ok:
            failures.append(row)
            sys.stderr.write(f"\n!!!!! FAILED: {case.label} on {runtime} (round {rnd}): {outcome.error}\n\n")

    meta_machine["load_after"] = machine.load_average()
    cells = summary.summarize(rows)
    scale_sizes = sorted({c.n for c in cases if c.problem == "scale"})
    verdicts = targets.evaluate(cells, scale_sizes) if "weft" in runtimes else []
    command = (args.command or "bench/run.py " + shlex.join(argv)).strip()
    meta = {"command": command, "config": config, "quick": args.quick, "rounds": args.rounds, "runtimes": runtimes,
            "threads": args.threads, "machine": meta_machine,
            "versions": machine.versions(layout.build_dir, REPO)}
    results.write(args.results_dir, rows, cells, meta)
    charts = chart.draw(args.results_dir, cells, args.rounds)
    report.write(args.report, meta, cells, verdicts, failures, charts,
                 example_commands(layout, runtimes, cases, args.threads))

    print(f"wrote {os.path.relpath(args.report, REPO)} and {os.path.relpath(args.results_dir, REPO)}/")
    for v in verdicts:
        print(f"  [{v.status:^12}] {v.name}: {v.measured}")
    if failures:
        print(f"FAILED: {len(failures)} run(s) exited non-zero or printed no RESULT; see the report", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
