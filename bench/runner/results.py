"""Writes the raw runs and their summary as latest.csv and latest.json in the results folder."""

import csv
import json
import os
from dataclasses import asdict

from .summary import METRICS

CSV_COLUMNS = ["round", "problem", "n", "runtime", "ok", *METRICS, "rss_kib", "wall_s", "exit_code", "error"]


def write(results_dir, rows, cells, meta):
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, "latest.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    summary = [asdict(cell) for cell in cells.values()]
    with open(os.path.join(results_dir, "latest.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "runs": rows}, f, indent=1, default=str)
        f.write("\n")
