"""The side-by-side benchmark runner: catalog, measurement, summary, targets and reports (driven by bench/run.py)."""
