"""Benchmark: big and hostile inputs — time and peak memory, each case in a fresh process.

Run:  .venv/bin/python bench/bench_hostile.py [--invoices 1000000]

Cases (targets from issue 13):
- ``validate_1m_csv``: ``arkit validate`` (in-process ``main()``) on a 1,000,000-invoice CSV of the canonical
  columns plus a customer name (~80 MB): under 25 s and 1.5 GB peak RSS; every row accepted.
- ``wide_10k_columns``: ``load_ledger`` on a CSV of 10,000 columns and two rows: under 2 s.
- ``zip_bomb``: a 4 MB workbook whose sheet unpacks to 1.2 GB of XML (10M rows): refused in seconds,
  under 1 GB.
- ``far_cell``: a 2 KB workbook with one cell at XFD1048576: refused (calamine alone would abort).

``seconds`` is wall time of the case alone; ``cpu_seconds_process`` the child's user+system CPU time
(imports included, pyarrow threads summed) — on a shared, busy machine the steadier figure. Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child process that ran the case (it
includes the interpreter and pandas, ~150 MB). Writes bench/out/bench_hostile.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time, contextlib, io
case, path = sys.argv[1], sys.argv[2]
import arkit
from arkit.cli import main
t = time.perf_counter()
result = {}
if case == "validate":
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result["exit"] = main(["validate", path])
    result["output"] = out.getvalue().splitlines()[:3]
else:
    try:
        led = arkit.load_ledger(path)
        result["rows_accepted"] = int(led.load_report.summary["rows_accepted"].sum())
        result["columns"] = int(led.invoices.shape[1])
    except arkit.LedgerError as e:
        result["refused"] = str(e)
result["seconds"] = round(time.perf_counter() - t, 2)
ru = resource.getrusage(resource.RUSAGE_SELF)
result["cpu_seconds_process"] = round(ru.ru_utime + ru.ru_stime, 2)  # whole child, imports included
result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
print(json.dumps(result))
"""


def run_child(case: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", CHILD, case, str(path)], capture_output=True, text=True, env=env, timeout=900)
    if r.returncode != 0:
        return {"error": r.stderr[-800:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def million_csv(path: Path, n: int) -> Path:
    rng = np.random.default_rng(1)
    day0 = np.datetime64("2024-01-01")
    inv = day0 + rng.integers(0, 900, n).astype("timedelta64[D]")
    due = inv + rng.choice([30, 45, 60], n).astype("timedelta64[D]")
    df = pd.DataFrame(
        {
            "customer_id": "C" + pd.Series(rng.integers(1, 20_000, n)).astype(str),
            "invoice_id": "INV" + pd.Series(np.arange(n)).astype(str),
            "invoice_date": pd.Series(inv).dt.strftime("%Y-%m-%d"),
            "due_date": pd.Series(due).dt.strftime("%Y-%m-%d"),
            "amount": np.round(rng.uniform(10, 50_000, n), 2),
            "currency": "USD",
            "customer_name": "Customer " + pd.Series(rng.integers(1, 20_000, n)).astype(str),
        }
    )
    df.to_csv(path, index=False)
    return path


def wide_csv(path: Path) -> Path:
    cols = ["customer_id", "invoice_id", "invoice_date", "due_date", "amount"] + [f"x{i}" for i in range(9995)]
    rows = [",".join(["A", str(r), "2026-01-01", "2026-01-31", "10"] + [f"v{r}"] * 9995) for r in range(2)]
    path.write_text(",".join(cols) + "\n" + "\n".join(rows) + "\n")
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=1_000_000)
    args = ap.parse_args()
    from tests.hostile_files import bomb, far_cell

    tmp = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    results = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}}
    try:
        t = time.perf_counter()
        big = million_csv(tmp / "invoices.csv", args.invoices)
        results["validate_1m_csv"] = {"invoices": args.invoices, "file_mb": round(big.stat().st_size / 2**20, 1), "write_seconds": round(time.perf_counter() - t, 1), **run_child("validate", big)}
        results["wide_10k_columns"] = run_child("load", wide_csv(tmp / "wide.csv"))
        t = time.perf_counter()
        b = bomb(tmp / "bomb.xlsx", rows=10_000_000)
        results["zip_bomb"] = {"file_mb": round(b.stat().st_size / 2**20, 1), "write_seconds": round(time.perf_counter() - t, 1), **run_child("load", b)}
        f = far_cell(tmp / "far.xlsx", dimension=False)
        results["far_cell"] = {"file_kb": round(f.stat().st_size / 1024, 1), **run_child("load", f)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_hostile.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    ok = (
        results["validate_1m_csv"].get("seconds", 1e9) < 25 and results["validate_1m_csv"].get("peak_rss_mb", 1e9) < 1536
        and results["wide_10k_columns"].get("seconds", 1e9) < 2
        and "refused" in results["zip_bomb"] and results["zip_bomb"].get("peak_rss_mb", 1e9) < 1024
        and "refused" in results["far_cell"]
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
