#!/usr/bin/env python3
"""Runs the side-by-side benchmarks round by round and writes the report, the raw results and the charts.

By default everything goes under the build folder (<build-dir>/report/); --publish rewrites the committed
BENCHMARKS.md (its generated blocks only) and bench/results/ instead.
"""

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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "bench-release"),
                    help="where scripts/bench built the programs")
    ap.add_argument("--quick", action="store_true", help="N up to 1M, fewer wake samples, 3 rounds")
    ap.add_argument("--rounds", type=int, help=f"rounds (default {FULL_ROUNDS}, quick {QUICK_ROUNDS})")
    ap.add_argument("--runtimes", help="comma-separated subset of " + ",".join(catalog.RUNTIMES))
    ap.add_argument("--problems", help="comma-separated subset of " + ",".join(catalog.PROBLEMS))
    ap.add_argument("--threads", type=int, default=2, help="threads for every runtime (default 2)")
    ap.add_argument("--publish", action="store_true",
                    help="write BENCHMARKS.md and bench/results/ (the committed report) instead of the build folder")
    ap.add_argument("--report", help="the Markdown report to write (default <build-dir>/report/BENCHMARKS.md, "
                    "with --publish BENCHMARKS.md)")
    ap.add_argument("--results-dir", help="where latest.csv, latest.json and the charts go (default "
                    "<build-dir>/report/results, with --publish bench/results)")
    ap.add_argument("--command", help="the command line to record in the report (scripts/bench passes its own)")
    ap.add_argument("--baseline-bin", help="folder of another commit's weft programs, run as runtime weft-base")
    ap.add_argument("--baseline-name", help="what to call that commit in the report (say, its short hash)")
    ap.add_argument("--check-args", action="store_true", help="only check the arguments, then exit")
    args = ap.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    args.rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    args.runtimes = _subset(args.runtimes, catalog.RUNTIMES, ap)
    args.problems = _subset(args.problems, catalog.PROBLEMS, ap)
    args.build_dir = os.path.abspath(args.build_dir)
    if args.publish:
        args.report = args.report or os.path.join(REPO, "BENCHMARKS.md")
        args.results_dir = args.results_dir or os.path.join(REPO, "bench", "results")
    else:
        args.report = args.report or os.path.join(args.build_dir, "report", "BENCHMARKS.md")
        args.results_dir = args.results_dir or os.path.join(args.build_dir, "report", "results")
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


def runnable(layout, runtimes, cases):
    """The (case, runtime) pairs that can run, and {(problem, runtime): why not} for those that cannot."""
    ok, skipped = set(), {}
    for case in cases:
        for runtime in runtimes:
            argv = catalog.program(layout, runtime, case)
            if argv is None:
                continue
            why = catalog.pending(runtime, case.problem)
            if why is None and not os.access(argv[0], os.X_OK):
                why = f"not built ({os.path.relpath(argv[0], REPO)} is missing)"
                if runtime == "libfork":
                    why += "; libfork.hpp was not found: put it in ../shared/vendor/libfork or set LIBFORK_INCLUDE"
            if why is None:
                ok.add((case, runtime))
            elif (case.problem, runtime) not in skipped:
                skipped[(case.problem, runtime)] = why
                sys.stderr.write(f"SKIPPING {runtime} on {case.problem}: {why}\n")
    return ok, skipped


def example_commands(layout, runtimes, cases, threads, ok):
    """One command line per runtime, for the report."""
    out = []
    for runtime in runtimes:
        case = next((c for c in cases if (c, runtime) in ok), None)
        if case is None:
            continue
        argv = catalog.program(layout, runtime, case)
        env = catalog.thread_env(threads, runtime)
        var = {"weft": "WEFT_WORKERS", "weft-1w": "WEFT_WORKERS", "weft-base": "WEFT_WORKERS", "go": "GOMAXPROCS",
               "tokio": "TOKIO_WORKER_THREADS", "tbb": "BENCH_THREADS", "omp": "OMP_NUM_THREADS",
               "libfork": "BENCH_THREADS"}.get(runtime)
        prefix = f"{var}={env[var]} " if var else ""
        out.append((runtime, prefix + shlex.join([os.path.relpath(argv[0], REPO)] + argv[1:])))
    return out


def _shown_path(path):
    """A path for the report: relative to the repository when inside it."""
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def main(argv):
    args = parse_args(argv)
    if args.check_args:
        return 0
    layout = catalog.Layout(args.build_dir, os.path.abspath(args.baseline_bin) if args.baseline_bin else None)
    config = load_config(layout)
    cases = catalog.cases(config, args.quick, args.problems)
    ok, skipped = runnable(layout, args.runtimes, cases)
    if not layout.launcher:
        sys.stderr.write("bench_launch is not built: peak RSS includes the runner's own high-water mark\n")
    if not ok:
        sys.exit("no program is built; nothing to run")
    runtimes = [r for r in args.runtimes if any((c, r) in ok for c in cases)]

    busyness = machine.Busyness()
    if busyness.verdict()[0]:
        sys.stderr.write(f"WARNING: busy machine: {'; '.join(busyness.verdict()[1])}; the report will say so\n")
    meta_machine = machine.describe()
    plan = [(rnd, case, runtime) for rnd in range(1, args.rounds + 1) for case in cases for runtime in runtimes
            if (case, runtime) in ok]
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
        for key in summary.METRICS:
            value = outcome.fields.get(key)
            row[key] = value if isinstance(value, float) else None
        rows.append(row)
        if not outcome.ok:
            failures.append(row)
            sys.stderr.write(f"\n!!!!! FAILED: {case.label} on {runtime} (round {rnd}): {outcome.error}\n\n")

    meta_machine["load_after"] = machine.load_average()
    meta_machine["other_cores"] = busyness.other_cores()
    busy = busyness.verdict()
    cells = summary.summarize(rows)
    scale_sizes = sorted({c.n for c in cases if c.problem == "scale"})
    verdicts = targets.evaluate(cells, scale_sizes) if "weft" in runtimes else []
    earlier = targets.evaluate_earlier(cells, scale_sizes) if "weft" in runtimes else []
    command = (args.command or "bench/run.py " + shlex.join(argv)).strip()
    meta = {"command": command, "config": config, "quick": args.quick, "rounds": args.rounds, "runtimes": runtimes,
            "problems": args.problems, "threads": args.threads,
            "baseline": (args.baseline_name or args.baseline_bin) if "weft-base" in runtimes else None, "machine": meta_machine, "busy": busy,
            "versions": machine.versions(layout.build_dir, REPO),
            "raw_csv": _shown_path(os.path.join(args.results_dir, "latest.csv")),
            "raw_json": _shown_path(os.path.join(args.results_dir, "latest.json"))}
    results.write(args.results_dir, rows, cells, meta)
    report_dir = os.path.dirname(os.path.abspath(args.report))
    charts = [os.path.relpath(os.path.join(args.results_dir, c), report_dir)
              for c in chart.draw(args.results_dir, cells, args.rounds)]
    blocks = report.blocks(meta, cells, verdicts, earlier, failures, charts,
                           example_commands(layout, runtimes, cases, args.threads, ok), skipped, args.publish)
    report.write(args.report, blocks, args.publish)

    print(f"wrote {_shown_path(args.report)} and {_shown_path(args.results_dir)}/")
    if busy[0]:
        print(f"BUSY MACHINE: {'; '.join(busy[1])}; the report says so at the top", file=sys.stderr)
    if args.publish:
        commits = report.hand_written_commits(args.report)
        measured = meta["versions"].get("weft") or ""
        stale = sorted(c for c in commits if not measured.startswith(f"git {c[:7]}"))
        if stale:
            print(f"note: the hand-written analysis in {_shown_path(args.report)} quotes runs at commit(s) "
                  f"{', '.join(stale)}; the tables are now from {measured}: review it", file=sys.stderr)
    for v in verdicts:
        print(f"  [{v.status:^12}] {v.name}: {v.measured}")
    if failures:
        print(f"FAILED: {len(failures)} run(s) exited non-zero or printed no RESULT; see the report", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
