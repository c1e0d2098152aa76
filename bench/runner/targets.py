"""weft's performance targets, checked against the measured medians: the current ones (speed and scaling, waiting
tasks) and the earlier ones of the first release, kept so that a regression against them stays visible."""

from dataclasses import dataclass

from .catalog import HANDLE_PEERS, PEERS
from .summary import ratio_vs_weft


@dataclass
class Verdict:
    name: str
    measured: str
    status: str  # "met", "NOT met" or "not measured"


def _status(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "NOT met"


def _median(cells, problem, n, runtime, metric=None):
    cell = cells.get((problem, n, runtime))
    return cell.median(metric) if cell else None


def _fmt(value, unit="", digits=2):
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def _ratio_target(cells, problem, n, peer, want):
    r = ratio_vs_weft(cells, problem, n, peer)
    return Verdict(f"{problem} n={n:,}: weft ≥{want}x faster than {peer}", _fmt(r, "x"),
                   _status(None if r is None else r >= want))


# Two workers count as "not slower" than one while their median is within this fraction of one worker's median:
# the tolerance the target itself states.
SCALING_TOLERANCE = 0.05
# Problems whose primary number is not a duration, so "slower" means nothing for them.
NOT_TIMED = {"idle"}


def evaluate(cells, scale_sizes):
    """The current targets as Verdicts."""
    out = [_two_not_slower(cells)]
    for n in [s for s in scale_sizes if s >= 1_000_000]:
        out.append(_ratio_target(cells, "scale", n, "tbb", 5))
    big = max(scale_sizes) if scale_sizes else 0
    if big >= 10_000_000:
        cell = cells.get(("scale", big, "weft"))
        rss = cell.rss_mib.median if cell and cell.rss_mib else None
        out.append(Verdict(f"scale n={big:,}: weft peak RSS ≤385 MiB", _fmt(rss, " MiB", 0),
                           _status(None if rss is None else rss <= 385)))
    for problem in ("fib", "skynet"):
        n = _first_n(cells, problem)
        if n is None:
            continue
        r = ratio_vs_weft(cells, problem, n, "libfork")
        slowdown = 1 / r if r else None  # weft's time over libfork's
        out.append(Verdict(f"{problem} n={n:,}: weft within 1.25x of libfork",
                           "—" if slowdown is None else f"weft takes {slowdown:.2f}x libfork's time",
                           _status(None if slowdown is None else slowdown <= 1.25)))
        out.append(_ratio_target(cells, problem, n, "tbb", 3))
    wake_n = _first_n(cells, "wake")
    if wake_n:
        w, t = _median(cells, "wake", wake_n, "weft"), _median(cells, "wake", wake_n, "tbb")
        out.append(Verdict("wake: weft p50 no worse than oneTBB's", f"{_fmt(w, ' µs')} vs {_fmt(t, ' µs')}",
                           _status(None if w is None or t is None else w <= t)))
    idle_n = _first_n(cells, "idle")
    if idle_n:
        c = _median(cells, "idle", idle_n, "weft")
        out.append(Verdict("idle: weft CPU ≤10 ms per 2 s asleep", _fmt(c, " ms"), _status(None if c is None else c <= 10)))
    park_n = _first_n(cells, "park")
    if park_n:
        for peer in ("go", "tokio"):
            r = ratio_vs_weft(cells, "park", park_n, peer)
            out.append(Verdict(f"park n={park_n:,}: weft resumes them all faster than {peer}", _fmt(r, "x"),
                               _status(None if r is None else r > 1)))
        kib = _median(cells, "park", park_n, "weft", "kib_per_task")
        out.append(Verdict(f"park n={park_n:,}: weft ≤16 KiB of RSS per parked task", _fmt(kib, " KiB"),
                           _status(None if kib is None else kib <= 16)))
    out += _no_regression(cells, NO_REGRESSION_PROBLEMS, "where nothing waits")
    out += _no_regression(cells, WAITING_PROBLEMS, "on the waiting problems")
    ping_n = _first_n(cells, "pingpong")
    if ping_n:
        w, g = _median(cells, "pingpong", ping_n, "weft"), _median(cells, "pingpong", ping_n, "go")
        out.append(Verdict("pingpong: weft round trip within 2x of Go's", f"{_fmt(w, ' ms')} vs {_fmt(g, ' ms')}",
                           _status(None if w is None or g is None else w <= 2 * g)))
    out += _channel_targets(cells)
    return out


# Issue 9's targets for channels and timers, on 2 cores: ping-pong latency and mpmc throughput at least as good as
# Go's and tokio's, 1M timers within 1.5x of Go's total time, and a p99 timer lateness under 2 ms.
CHANNEL_PEERS = ("go", "tokio")
TIMERS_VS_GO = 1.5
TIMERS_P99_LATE_US = 2000


def _channel_targets(cells):
    out = []
    for problem, what in (("chan_pingpong", "round trip"), ("chan_pingpong_cap1", "round trip"),
                          ("mpmc", "time"), ("mpmc_unbounded", "time")):
        n = _first_n(cells, problem)
        if n is None:
            continue
        for peer in CHANNEL_PEERS:
            r = ratio_vs_weft(cells, problem, n, peer)
            out.append(Verdict(f"{problem} n={n:,}: weft {what} no slower than {peer}'s",
                               "—" if r is None else f"{peer} / weft = {r:.2f}x",
                               _status(None if r is None else r >= 1)))
    n = _first_n(cells, "timers")
    if n is not None:
        w, g = _median(cells, "timers", n, "weft"), _median(cells, "timers", n, "go")
        out.append(Verdict(f"timers n={n:,}: weft total time within {TIMERS_VS_GO}x of Go's",
                           f"{_fmt(w, ' ms', 0)} vs {_fmt(g, ' ms', 0)}",
                           _status(None if w is None or g is None else w <= TIMERS_VS_GO * g)))
        late = _median(cells, "timers", n, "weft", "late_p99_us")
        out.append(Verdict(f"timers n={n:,}: weft p99 lateness under {TIMERS_P99_LATE_US / 1000:g} ms",
                           _fmt(late, " µs", 0), _status(None if late is None else late < TIMERS_P99_LATE_US)))
    return out


# Problems where nothing waits, which suspension must not slow down; the waiting problems, which later work must
# not slow down either; and the tolerance the targets state.
NO_REGRESSION_PROBLEMS = ("fib", "skynet", "scale")
WAITING_PROBLEMS = ("park", "pingpong", "mutex")
REGRESSION_TOLERANCE = 0.05


def _no_regression(cells, problems, where):
    """One line when a baseline was measured on `problems`: the cases where weft is more than the tolerance slower."""
    slower, measured = [], False
    for (problem, n, runtime), cell in cells.items():
        if runtime != "weft-base" or problem not in problems:
            continue
        base, now = cell.median(), _median(cells, problem, n, "weft")
        if base is None or now is None:
            continue
        measured = True
        if now > base * (1 + REGRESSION_TOLERANCE):
            slower.append(f"{problem} n={n:,} ({now:.2f} vs {base:.2f} ms)")
    if not measured:
        return []
    return [Verdict(f"no regression {where}: weft within {REGRESSION_TOLERANCE:.0%} of weft-base on "
                    f"{', '.join(problems)}", "; ".join(slower) or "no case slower",
                    _status(not slower))]


def _two_not_slower(cells):
    """One line: every (problem, n) where weft with 2 workers is more than the tolerance slower than with 1."""
    slower, measured = [], False
    for (problem, n, runtime), cell in cells.items():
        if runtime != "weft" or problem in NOT_TIMED:
            continue
        one, two = _median(cells, problem, n, "weft-1w"), cell.median()
        if one is None or two is None:
            continue
        measured = True
        if two > one * (1 + SCALING_TOLERANCE):
            slower.append(f"{problem} n={n:,} ({two:.2f} vs {one:.2f})")
    return Verdict(f"2 workers never slower than 1 (weft vs weft-1w, every problem and n, median within "
                   f"{SCALING_TOLERANCE:.0%})",
                   "; ".join(slower) if slower else ("no case slower" if measured else "—"),
                   _status(not slower if measured else None))


def evaluate_earlier(cells, scale_sizes):
    """The first release's targets as Verdicts, in the order they were set."""
    out = []
    for n in [s for s in scale_sizes if s <= 100_000]:
        ratios = {p: ratio_vs_weft(cells, "scale", n, p) for p in PEERS}
        ratios = {p: r for p, r in ratios.items() if r is not None}
        if ratios:
            fastest = min(ratios, key=ratios.get)
            out.append(Verdict(f"scale n={n:,}: weft ≥3x faster than the fastest peer",
                               f"{ratios[fastest]:.2f}x vs {fastest}", _status(ratios[fastest] >= 3)))
        else:
            out.append(Verdict(f"scale n={n:,}: weft ≥3x faster than the fastest peer", "—", "not measured"))
    for n in [s for s in scale_sizes if s >= 1_000_000]:
        out.append(_ratio_target(cells, "scale", n, "tbb", 8))
        out.append(_ratio_target(cells, "scale", n, "tokio", 15))
        out.append(_ratio_target(cells, "scale", n, "go", 15))
    big = max(scale_sizes) if scale_sizes else 0
    if big >= 10_000_000:
        weft_rss = cells.get(("scale", big, "weft"))
        weft_rss = weft_rss.rss_mib.median if weft_rss and weft_rss.rss_mib else None
        out.append(Verdict(f"scale n={big:,}: weft peak RSS ≤512 MiB", _fmt(weft_rss, " MiB", 0),
                           _status(None if weft_rss is None else weft_rss <= 512)))
        peers = [cells.get(("scale", big, p)) for p in HANDLE_PEERS]
        peers = [c.rss_mib.median for c in peers if c and c.rss_mib]
        smallest = min(peers) if peers else None
        ok = None if weft_rss is None or smallest is None else weft_rss <= smallest / 2
        out.append(Verdict(f"scale n={big:,}: weft peak RSS ≤ half the smallest handle-keeping peer ({', '.join(HANDLE_PEERS)})",
                           f"{_fmt(weft_rss, ' MiB', 0)} vs {_fmt(smallest, ' MiB', 0)}", _status(ok)))
    fib_n = _first_n(cells, "fib")
    skynet_n = _first_n(cells, "skynet")
    if fib_n:
        out.append(_ratio_target(cells, "fib", fib_n, "tbb", 4))
    if skynet_n:
        out.append(_ratio_target(cells, "skynet", skynet_n, "tbb", 3))
    wake_n = _first_n(cells, "wake")
    if wake_n:
        w, g = _median(cells, "wake", wake_n, "weft"), _median(cells, "wake", wake_n, "go")
        out.append(Verdict("wake: weft p50 no worse than Go's", f"{_fmt(w, ' µs')} vs {_fmt(g, ' µs')}",
                           _status(None if w is None or g is None else w <= g)))
    out += _absolute(cells, scale_sizes, fib_n, skynet_n)
    out += _fib_speedup(cells, fib_n)
    return out


# weft's absolute targets from the issue: scale time by N, fib(30) and skynet, all in milliseconds.
ABSOLUTE_SCALE_MS = {10_000: 0.5, 100_000: 4, 1_000_000: 40, 10_000_000: 400}
ABSOLUTE_FIB_MS = 45
ABSOLUTE_SKYNET_MS = 20


def _absolute(cells, scale_sizes, fib_n, skynet_n):
    out = []
    for n in scale_sizes:
        if n in ABSOLUTE_SCALE_MS:
            m = _median(cells, "scale", n, "weft")
            limit = ABSOLUTE_SCALE_MS[n]
            out.append(Verdict(f"scale n={n:,}: weft ≤{limit} ms", _fmt(m, " ms", 3),
                               _status(None if m is None else m <= limit)))
    for problem, n, limit in (("fib", fib_n, ABSOLUTE_FIB_MS), ("skynet", skynet_n, ABSOLUTE_SKYNET_MS)):
        if n:
            m = _median(cells, problem, n, "weft")
            out.append(Verdict(f"{problem} n={n:,}: weft ≤{limit} ms", _fmt(m, " ms", 3),
                               _status(None if m is None else m <= limit)))
    return out


def _fib_speedup(cells, fib_n):
    if not fib_n:
        return []
    one, two = _median(cells, "fib", fib_n, "weft-1w"), _median(cells, "fib", fib_n, "weft")
    speedup = one / two if one and two else None
    return [Verdict("fib on 2 workers ≥1.8x faster than on 1", _fmt(speedup, "x"),
                    _status(None if speedup is None else speedup >= 1.8))]


def _first_n(cells, problem):
    for (p, n, _), _cell in cells.items():
        if p == problem:
            return n
    return None
