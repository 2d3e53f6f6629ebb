"""Scores and CPU time of the monthly review's light backtest, by cut-offs and boosting iterations.

For the 100k sample ledger (as of 2026-10-31) and, when present, the IBM accounts-receivable file
($ARKIT_REAL_DATA/ibm-wa-accounts-receivable, preset ibm-sample, as of its last month end), runs
``backtest_predictions(known_at(ledger, as_of), cut-offs, light=True)`` — the report's quick test — with the
cut-offs of :func:`arkit.predict.backtest.report_cutoffs` (1 = the report's, 2 = the earlier report's),
``LIGHT_MAX_ITER`` set to each of ``--iters`` and ``LIGHT_SCALE`` (share of the training examples) to each of ``--scales``; prints the pooled AUC, MAE (days) and WAPE beside the
baseline's, with the process CPU seconds of each backtest (resource.getrusage: wall time on a shared
machine is polluted by other processes). Fresh ledger each time (nothing cached).

    .venv/bin/python bench/bench_backtest_light.py [--iters 100 60 40] [--scales 0.5 0.25] [--cutoffs 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, nargs="+", default=[100, 60, 40])
    ap.add_argument("--cutoffs", type=int, nargs="+", default=[1])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.25])
    ap.add_argument("--invoices", type=int, default=100_000)
    args = ap.parse_args()

    import pandas as pd

    import arkit
    from arkit.predict import backtest_predictions, known_at
    from arkit.predict import model as M
    from arkit.predict.backtest import report_cutoffs
    from arkit.sample import make_sample_ledger

    data = {}
    as_of = pd.Timestamp("2026-10-31")
    frames = make_sample_ledger(n_invoices=args.invoices, seed=7, as_of=as_of)
    data["sample"] = (lambda: arkit.Ledger.from_frames(**frames), as_of)
    ibm = Path(os.environ.get("ARKIT_REAL_DATA", "/work/shared/data/real")) / "ibm-wa-accounts-receivable" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    if ibm.exists():
        led = arkit.load_ledger(ibm, source="ibm-sample")
        end = led.as_of_max
        data["ibm"] = (lambda: arkit.load_ledger(ibm, source="ibm-sample"), (end - pd.offsets.MonthEnd(1)).normalize() if end != end + pd.offsets.MonthEnd(0) else end)
    out = []
    arkit.predict.model.run  # noqa: B018  (import sklearn before timing)
    import sklearn.ensemble  # noqa: F401

    for name, (make, at) in data.items():
        for n in args.cutoffs:
            for it, sc in [(i, x) for x in args.scales for i in args.iters]:
                M.LIGHT_MAX_ITER, M.LIGHT_SCALE = it, sc
                led = make()
                known = known_at(led, at)
                cuts = report_cutoffs(known, at, n=n)
                t = _cpu()
                bt = backtest_predictions(known, cuts, light=True)
                cpu = _cpu() - t
                o = bt.attrs["overall"]
                row = {"ledger": name, "as_of": f"{at:%Y-%m-%d}", "cutoffs": [f"{c:%Y-%m-%d}" for c in cuts], "iters": it, "scale": sc, "cpu_s": round(cpu, 2), **{k: round(v, 4) for k, v in o.items() if k != "cutoffs"}}
                out.append(row)
                print(f"{name:6} {row['as_of']} cut-offs {','.join(row['cutoffs']):23} iters {it:3} scale {sc:.2f}: cpu {cpu:5.2f} s  AUC {o['auc']:.4f} ({o['auc_baseline']:.4f})  MAE {o['mae_days']:.2f} ({o['mae_days_baseline']:.2f}) d  WAPE {o['wape']:.4f} ({o['wape_baseline']:.4f})  band {o['band_coverage']:.2f}", flush=True)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "bench_backtest_light.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
