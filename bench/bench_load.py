"""Benchmark: arkit.load_ledger on a 100k-invoice workbook against a bare pandas/calamine read.

Run:  .venv/bin/python bench/bench_load.py [--profile]

- Writes the sample workbook with ``arkit.sample.write_sample(path, n_invoices=100_000, seed=1)`` into a
  temporary folder (timed once; it holds the sheets invoices, payments, customers, activities).
- Writes a second workbook holding only the invoices and payments sheets (the same frames, written the same
  way, with ``arkit.sample.write_workbook``) so load_ledger can be compared like with like: load_ledger
  reads every table sheet it finds, the bare read only the two sheets asked for.
- Times (best of 3):
    bare read    = ``pd.read_excel(path, sheet_name=["invoices", "payments"], engine="calamine")``
    load_ledger  = ``arkit.load_ledger(path)`` (read + header detection + parsing + validation)
  on both workbooks, and load_ledger's two sub-steps (``arkit.load.read_raw_tables`` and
  ``arkit.load.ledger_from_raw``) on the two-sheet workbook.
- Headline: both ratios, CSV = load_ledger(csv, source="auto") / bare ``pd.read_csv`` and XLSX =
  load_ledger(two-sheet workbook) / bare read of the same sheets (target <= 1.5 each), and the detection
  cost (target < 0.2 s).
- CSV case: the invoices frame written with ``to_csv``; bare ``pd.read_csv`` (default and ``dtype=str``)
  against ``load_ledger`` with ``source="auto"`` and ``source="generic"``; detection alone
  (``arkit.detect.detect_source`` on the CSV and on the workbook). Detection cost = auto − generic.
- Checks the loaded ledger holds exactly the generated rows (ids, dates, amounts); exits 1 if not.
- Writes bench/out/bench_load.json; removes the temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import arkit
from arkit.load import ledger_from_raw, read_raw_tables
from arkit.mapping import load_mapping
from arkit.sample import make_sample_ledger, write_sample, write_workbook

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
N_INVOICES = 100_000
SEED = 1
REPEAT = 3
SHEETS = ["invoices", "payments"]


def best_of(fn, repeat: int = REPEAT):
    times, out = [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, out


def bare_read(path):
    return pd.read_excel(path, sheet_name=SHEETS, engine="calamine")


def check_ledger(ledger, frames) -> dict:
    """The loaded ledger against the generated frames: same rows, ids, dates and amounts (to the cent)."""
    res = {}
    cols = {
        "invoices": ["customer_id", "invoice_id", "invoice_date", "due_date", "amount"],
        "payments": ["customer_id", "invoice_id", "payment_date", "amount"],
    }
    ok = True
    for t, cs in cols.items():
        got, want = getattr(ledger, t), frames[t]
        same_len = len(got) == len(want)
        diffs = {}
        if same_len:
            for c in cs:
                g, w = got[c].reset_index(drop=True), want[c].reset_index(drop=True)
                if c == "amount":
                    diffs[c] = int(np.abs(np.rint(g.to_numpy() * 100) - np.rint(w.to_numpy() * 100)).max())
                elif c.endswith("date"):
                    diffs[c] = int((g.to_numpy("datetime64[D]") != w.to_numpy("datetime64[D]")).sum())
                else:
                    diffs[c] = int((g.fillna("<NA>") != w.fillna("<NA>")).sum())
        res[t] = {"rows_loaded": int(len(got)), "rows_generated": int(len(want)), "mismatches": diffs}
        ok &= same_len and all(v == 0 for v in diffs.values())
    rep = ledger.load_report
    res["quarantined_problems"] = int(len(rep.quarantine)) if rep is not None else None
    res["ok"] = bool(ok)
    return res


def check_ledger_invoices(ledger, frames) -> dict:
    """The invoices of a ledger loaded from the CSV against the generated frame (rows, ids, amounts)."""
    got, want = ledger.invoices, frames["invoices"]
    ok = len(got) == len(want)
    if ok:
        ok = bool((got["invoice_id"].to_numpy() == want["invoice_id"].astype(str).to_numpy()).all())
        ok &= int(np.abs(np.rint(got["amount"].to_numpy() * 100) - np.rint(want["amount"].to_numpy() * 100)).max()) == 0
    return {"rows_loaded": int(len(got)), "rows_generated": int(len(want)), "ok": bool(ok)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of one load_ledger run")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="arkit-bench-load-"))
    try:
        full = tmp / "sample.xlsx"
        two = tmp / "sample_invoices_payments.xlsx"

        t0 = time.perf_counter()
        write_sample(full, n_invoices=N_INVOICES, seed=SEED)
        t_write_sample = time.perf_counter() - t0

        # the same frames again (deterministic: same seed, same default as_of) for the two-sheet workbook
        t0 = time.perf_counter()
        frames = make_sample_ledger(n_invoices=N_INVOICES, seed=SEED)
        t_generate = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_workbook({t: frames[t] for t in SHEETS}, two)
        t_write_two = time.perf_counter() - t0
        rows = {t: len(f) for t, f in frames.items()}
        sizes = {"full": full.stat().st_size, "two_sheets": two.stat().st_size}
        print(
            f"sample workbook: {rows['invoices']:,} invoices, {rows['payments']:,} payments, {rows['customers']:,} customers, "
            f"{rows['activities']:,} activities; {sizes['full'] / 1e6:.1f} MB (two-sheet copy {sizes['two_sheets'] / 1e6:.1f} MB)"
        )

        load_start = os.getloadavg()
        mapping = load_mapping("generic")
        bare_two, bare_two_all, b2 = best_of(lambda: bare_read(two))
        bare_full, bare_full_all, b4 = best_of(lambda: bare_read(full))
        same_sheets = all(b2[t].equals(b4[t]) for t in SHEETS)
        load_two, load_two_all, led_two = best_of(lambda: arkit.load_ledger(two))
        load_full, load_full_all, led_full = best_of(lambda: arkit.load_ledger(full))
        raw_two, raw_two_all, raw = best_of(lambda: read_raw_tables(two, mapping))
        val_two, val_two_all, _ = best_of(lambda: ledger_from_raw(raw, mapping))
        bare_all4, bare_all4_all, _ = best_of(lambda: pd.read_excel(full, sheet_name=None, engine="calamine"))

        # the same invoices as a CSV file: bare pandas read against load_ledger (auto and a named preset), and
        # the cost of recognising the export on sight (detection reads only the head; the decoded text is kept)
        from arkit.detect import detect_source
        from arkit.load import _TEXT_CACHE

        csv_path = tmp / "invoices.csv"
        frames["invoices"].to_csv(csv_path, index=False)
        sizes["csv"] = csv_path.stat().st_size
        bare_csv, bare_csv_all, _ = best_of(lambda: pd.read_csv(csv_path))
        bare_csv_str, bare_csv_str_all, _ = best_of(lambda: pd.read_csv(csv_path, dtype=str))
        load_csv_auto, load_csv_auto_all, led_csv = best_of(lambda: arkit.load_ledger(csv_path))
        load_csv_named, load_csv_named_all, _ = best_of(lambda: arkit.load_ledger(csv_path, source="generic"))

        def detect_only():
            _TEXT_CACHE.clear()
            return detect_source(csv_path)

        detect_csv, detect_csv_all, det = best_of(detect_only)
        detect_xlsx, detect_xlsx_all, _ = best_of(lambda: detect_source(two))
        chk_csv = check_ledger_invoices(led_csv, frames)

        load_end = os.getloadavg()
        chk_two = check_ledger(led_two, frames)
        chk_full = check_ledger(led_full, frames)
        agree = chk_two["ok"] and chk_full["ok"] and same_sheets
        ratio = load_two / bare_two
        ratio_full = load_full / bare_full
        ratio_full_all = load_full / bare_all4
        sub = raw_two + val_two

        table = [
            ("write_sample (generate + write 4 sheets), once", t_write_sample, [t_write_sample]),
            ("  of which generating the frames (make_sample_ledger)", t_generate, [t_generate]),
            ("write two-sheet workbook (write_workbook), once", t_write_two, [t_write_two]),
            ("bare read_excel, 2 sheets, two-sheet workbook", bare_two, bare_two_all),
            ("load_ledger, two-sheet workbook", load_two, load_two_all),
            ("  read_raw_tables (read + header detection)", raw_two, raw_two_all),
            ("  ledger_from_raw (parse + validate)", val_two, val_two_all),
            ("bare read_excel, 2 sheets, full workbook", bare_full, bare_full_all),
            ("bare read_excel, all 4 sheets, full workbook", bare_all4, bare_all4_all),
            ("load_ledger, full workbook (reads all 4 sheets)", load_full, load_full_all),
        ]
        print(f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f} (1-min averages; this script adds ~1 itself)")
        print(f"{'step (best of ' + str(REPEAT) + ')':56s} {'best [s]':>9s}   all runs [s]")
        for name, best, allt in table:
            print(f"{name:56s} {best:9.3f}   " + "  ".join(f"{t:.3f}" for t in allt))
        csv_table = [
            ("bare pd.read_csv, invoices CSV", bare_csv, bare_csv_all),
            ("bare pd.read_csv(dtype=str), invoices CSV", bare_csv_str, bare_csv_str_all),
            ("load_ledger(csv) source=auto (detection included)", load_csv_auto, load_csv_auto_all),
            ("load_ledger(csv) source=generic", load_csv_named, load_csv_named_all),
            ("detect_source(csv) alone (decodes the file once)", detect_csv, detect_csv_all),
            ("detect_source(two-sheet workbook) alone", detect_xlsx, detect_xlsx_all),
        ]
        for name, best, allt in csv_table:
            print(f"{name:56s} {best:9.3f}   " + "  ".join(f"{t:.3f}" for t in allt))
        print(f"{'detection cost on the CSV: auto - generic':56s} {load_csv_auto - load_csv_named:9.3f}   (target < 0.2 s); chose {det.name}")
        print(f"{'ratio load_ledger(csv, auto) / bare read_csv':56s} {load_csv_auto / bare_csv:9.2f}   (str read alone: {bare_csv_str / bare_csv:.2f}x)")
        print(f"{'check: CSV ledger holds the generated invoices':56s} {str(chk_csv['ok']):>9s}")
        print(f"{'RATIO load_ledger / bare read (two-sheet workbook)':56s} {ratio:9.2f}   (target <= 1.5)")
        print(f"{'ratio load_ledger(full) / bare read 2 sheets (full)':56s} {ratio_full:9.2f}   (not like for like)")
        print(f"{'ratio load_ledger(full) / bare read all 4 sheets':56s} {ratio_full_all:9.2f}")
        print(
            f"share of load_ledger (two-sheet): read {raw_two / sub:.0%} ({raw_two:.3f} s), "
            f"parse + validate {val_two / sub:.0%} ({val_two:.3f} s); "
            f"arkit's read is {raw_two / bare_two:.2f}x the bare read"
        )
        print(
            f"check: loaded rows/ids/dates/amounts equal the generated frames: two-sheet {chk_two['ok']}, "
            f"full {chk_full['ok']}; bare reads of both workbooks equal: {same_sheets}; "
            f"quarantined problems {chk_two['quarantined_problems']} / {chk_full['quarantined_problems']}"
        )
        ratio_csv = load_csv_auto / bare_csv
        detection_cost = max(load_csv_auto - load_csv_named, detect_csv, detect_xlsx)
        agree = agree and chk_csv["ok"]
        print()
        print("HEADLINE (best of %d, wall clock; target: both ratios <= 1.5, detection < 0.2 s)" % REPEAT)
        print(f"  CSV : load_ledger(csv, source=auto) / bare pd.read_csv           = {ratio_csv:6.2f}   ({load_csv_auto:.3f} s / {bare_csv:.3f} s)")
        print(f"  XLSX: load_ledger(two-sheet workbook) / bare read_excel calamine = {ratio:6.2f}   ({load_two:.3f} s / {bare_two:.3f} s)")
        print(f"  detection: max(auto - generic on the CSV, detect_source csv, xlsx) = {detection_cost:6.3f} s")
        slow = [n for n, r in (("CSV", ratio_csv), ("XLSX", ratio)) if r > 1.5] + (["detection"] if detection_cost >= 0.2 else [])
        if not agree:
            verdict = "FAIL: the loaded ledger does not hold the generated rows (see check); timings not meaningful."
        elif not slow:
            verdict = f"PASS: CSV {ratio_csv:.2f}x, XLSX {ratio:.2f}x the bare read, detection {detection_cost:.3f} s."
        else:
            verdict = f"SLOW ({', '.join(slow)}): CSV {ratio_csv:.2f}x, XLSX {ratio:.2f}x the bare read (target <= 1.5), detection {detection_cost:.3f} s (target < 0.2)."
        print()
        print("verdict:", verdict)

        OUT.mkdir(parents=True, exist_ok=True)
        result = {
            "bench": "bench_load",
            "when": pd.Timestamp.now().isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "versions": {"arkit": arkit.__version__, "pandas": pd.__version__, "numpy": np.__version__},
            "data": {"n_invoices": N_INVOICES, "seed": SEED, "rows": rows, "bytes": sizes},
            "notes": [
                f"1-min load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f}",
                f"best of {REPEAT}; workbooks in a temporary folder (removed at the end)",
                "two-sheet workbook = the invoices and payments frames of make_sample_ledger(same seed) written by "
                "arkit.sample.write_workbook, i.e. exactly as write_sample writes them",
            ],
            "timings_s": {
                "write_sample": t_write_sample,
                "generate_frames": t_generate,
                "write_two_sheet_workbook": t_write_two,
                "bare_read_two_sheet_workbook": bare_two,
                "bare_read_two_sheet_workbook_runs": bare_two_all,
                "load_ledger_two_sheet_workbook": load_two,
                "load_ledger_two_sheet_workbook_runs": load_two_all,
                "read_raw_tables_two_sheet_workbook": raw_two,
                "ledger_from_raw_two_sheet_workbook": val_two,
                "bare_read_2_sheets_full_workbook": bare_full,
                "bare_read_all_sheets_full_workbook": bare_all4,
                "load_ledger_full_workbook": load_full,
                "load_ledger_full_workbook_runs": load_full_all,
            },
            "csv": {
                "bare_read_csv": bare_csv,
                "bare_read_csv_dtype_str": bare_csv_str,
                "load_ledger_auto": load_csv_auto,
                "load_ledger_generic": load_csv_named,
                "detect_source_csv": detect_csv,
                "detect_source_xlsx": detect_xlsx,
                "detection_cost_auto_minus_generic": load_csv_auto - load_csv_named,
                "ratio_load_auto_over_bare": load_csv_auto / bare_csv,
                "detected": det.name,
                "check": chk_csv,
            },
            "ratio_load_over_bare_two_sheet": ratio,
            "ratio_csv_load_auto_over_bare_read_csv": ratio_csv,
            "detection_cost_s": detection_cost,
            "ratio_load_full_over_bare_2_sheets_full": ratio_full,
            "ratio_load_full_over_bare_all_sheets": ratio_full_all,
            "target_ratio": 1.5,
            "share_read": raw_two / sub,
            "share_parse_validate": val_two / sub,
            "arkit_read_over_bare_read": raw_two / bare_two,
            "check": {"two_sheet": chk_two, "full": chk_full, "bare_reads_equal": same_sheets, "ok": agree},
            "verdict": verdict,
        }
        path = OUT / "bench_load.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        print(f"results written to {path.relative_to(HERE.parent)}")

        if args.profile:
            import cProfile
            import pstats

            for what, target, by_own_time in (("two-sheet workbook", two, True), ("invoices CSV, source=auto", csv_path, False)):
                pr = cProfile.Profile()
                pr.enable()
                arkit.load_ledger(target)
                pr.disable()
                print(f"\ncProfile of one load_ledger({what}) (top 30 by cumulative time):")
                pstats.Stats(pr).sort_stats("cumulative").print_stats(30)
                if by_own_time:
                    pstats.Stats(pr).sort_stats("tottime").print_stats(15)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
