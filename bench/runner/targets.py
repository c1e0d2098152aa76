"""The issue's performance targets for weft, checked against the measured medians."""

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


def evaluate(cells, scale_sizes):
    """Every target as a Verdict, in the order the issue lists them."""
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
    big = max(scale_sizes)
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
    idle_n = _first_n(cells, "idle")
    if idle_n:
        c = _median(cells, "idle", idle_n, "weft")
        out.append(Verdict("idle: weft CPU ≤10 ms per 2 s asleep", _fmt(c, " ms"), _status(None if c is None else c <= 10)))
    out += _absolute(cells, scale_sizes, fib_n, skynet_n)
    out += _worker_scaling(cells, fib_n)
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


def _worker_scaling(cells, fib_n):
    out = []
    slower = []
    measured = False
    for (problem, n, runtime), cell in cells.items():
        if runtime != "weft" or problem in ("wake", "idle"):
            continue
        one = _median(cells, problem, n, "weft-1w")
        two = cell.median()
        if one is None or two is None:
            continue
        measured = True
        if two > one:
            slower.append(f"{problem} n={n:,} ({two:.2f} vs {one:.2f} ms)")
    out.append(Verdict("weft on 2 workers never slower than on 1 (time problems)",
                       "; ".join(slower) if slower else ("no case slower" if measured else "—"),
                       _status(not slower if measured else None)))
    if fib_n:
        one, two = _median(cells, "fib", fib_n, "weft-1w"), _median(cells, "fib", fib_n, "weft")
        speedup = one / two if one and two else None
        out.append(Verdict("fib on 2 workers ≥1.8x faster than on 1", _fmt(speedup, "x"),
                           _status(None if speedup is None else speedup >= 1.8)))
    return out


def _first_n(cells, problem):
    for (p, n, _), _cell in cells.items():
        if p == problem:
            return n
    return None
