"""Draws the result charts with gnuplot: time per task against N for the scale problems, bars for fib and skynet."""

import os
import subprocess
import sys

from .catalog import RUNTIMES

# One colour per runtime, the same in every chart; picked to stay apart on white (gnuplot's yellow did not).
COLOURS = {"weft": "#6a0dad", "weft-1w": "#b57edc", "weft-base": "#808000", "go": "#00add8", "tokio": "#d2691e",
           "crossbeam": "#8b4513", "tbb": "#2e8b57",
           "omp": "#4169e1", "libfork": "#c71585", "serial": "#555555"}

_FORMATS = {
    "svg": "set terminal svg size 960,600 dynamic enhanced font 'sans,12' background rgb 'white'",
    "png": "set terminal pngcairo size 960,600 enhanced font 'sans,11'",
}


def _scale_script(cells, problem, rounds):
    blocks, plots = [], []
    for runtime in RUNTIMES:
        points = sorted((n, c.median("ms")) for (p, n, r), c in cells.items()
                        if p == problem and r == runtime and c.median("ms") is not None)
        if not points:
            continue
        name = "$" + runtime.replace("-", "_")
        blocks.append(f"{name} << EOD\n" + "\n".join(f"{n} {ms * 1e6 / n:.4f}" for n, ms in points) + "\nEOD")
        width = 3 if runtime == "weft" else 2
        plots.append(f"{name} using 1:2 with linespoints lw {width} pt 7 lc rgb '{COLOURS[runtime]}' title '{runtime}'")
    if not plots:
        return None
    return "\n".join(blocks + [
        f"set title '{problem}: time per task, median of {rounds} rounds, 2 threads (lower is better)'",
        "set logscale xy", "set format x '10^{%L}'", "set xlabel 'N (tasks spawned and awaited)'",
        "set ylabel 'ns per task'", "set grid", "set key outside right top",
        "plot " + ", \\\n     ".join(plots)])


def _bars_script(cells, rounds):
    problems = sorted(set((p, n) for (p, n, _) in cells if p in ("fib", "skynet")))
    if not problems:
        return None
    rows = []
    for runtime in RUNTIMES:
        values = []
        for p, n in problems:
            cell = cells.get((p, n, runtime))
            values.append(f"{cell.median('ms'):.4f}" if cell and cell.median("ms") else "?")
        if any(v != "?" for v in values):
            rows.append(f"{runtime} " + " ".join(values))
    plots = [f"$bars using {i + 2}{':xtic(1)' if i == 0 else ''} title '{p} n={n:,}'" for i, (p, n) in enumerate(problems)]
    return "\n".join([
        "$bars << EOD", *rows, "EOD",
        f"set title 'fib and skynet: time per run, median of {rounds} rounds, 2 threads (lower is better)'",
        "set datafile missing '?'", "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1", "set logscale y", "set ylabel 'ms (log scale)'", "set grid ytics",
        "set key outside right top", "set yrange [0.1:*]", f"set xrange [-0.6:{len(rows) - 0.4}]",
        "plot " + ", ".join(plots)])


def _render(script, path_base):
    for ext, terminal in _FORMATS.items():
        full = f"{terminal}\nset output '{path_base}.{ext}'\n{script}\n"
        proc = subprocess.run(["gnuplot"], input=full, text=True, capture_output=True)
        if proc.returncode != 0:
            sys.stderr.write(f"gnuplot failed for {path_base}.{ext}: {proc.stderr.strip()}\n")
            return False
    return True


def draw(results_dir, cells, rounds):
    """Writes {scale,scale_inside,scale_malloc,tree}.{svg,png}; returns the file names written."""
    written = []
    try:
        subprocess.run(["gnuplot", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        sys.stderr.write("gnuplot not found (apt-get install gnuplot-nox): no charts\n")
        return written
    for name, script in (("scale", _scale_script(cells, "scale", rounds)),
                         ("scale_inside", _scale_script(cells, "scale_inside", rounds)),
                         ("scale_malloc", _scale_script(cells, "scale_malloc", rounds)),
                         ("tree", _bars_script(cells, rounds))):
        if script and _render(script, os.path.join(results_dir, name)):
            written += [f"{name}.svg", f"{name}.png"]
    return written
