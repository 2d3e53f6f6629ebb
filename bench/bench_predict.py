"""Speed of payment prediction on a 100k-invoice ledger: predict_payments + forecast_collections.

Builds a deterministic 100,000-invoice sample ledger in memory, then times, on a fresh ledger object each
run (nothing cached), ``arkit.predict_payments(ledger, as_of)`` followed by
``arkit.forecast_collections(ledger, as_of)`` — training both models on the past of as_of, predicting
every open invoice, the drivers and the 13-week forecast with its band. Best of 3. Goal: ≤ 10 s.
``--outlook`` also times, in process, the monthly review's outlook on the same ledger (``monthly.build``, then
``outlook.attach`` and its three sections, as bench/bench_render.py does) in CPU seconds (getrusage).

    .venv/bin/python bench/bench_predict.py [--invoices 100000] [--runs 3] [--outlook]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--outlook", action="store_true")
    args = ap.parse_args()

    import arkit
    from arkit.sample import make_sample_ledger

    as_of = "2026-10-31"
    frames = make_sample_ledger(n_invoices=args.invoices, seed=7, as_of=as_of)
    runs, parts = [], []
    for _ in range(args.runs):
        led = arkit.Ledger.from_frames(**frames)  # fresh: no cached model
        t = time.perf_counter()
        p = arkit.predict_payments(led, as_of)
        t_pred = time.perf_counter() - t
        f = arkit.forecast_collections(led, as_of)
        total = time.perf_counter() - t
        runs.append(total)
        parts.append((t_pred, total - t_pred))
    best = min(runs)
    i = runs.index(best)
    print(f"payment prediction, {len(led.invoices):,} invoices, {len(led.payments):,} payments, {len(led.activities):,} activities")
    print(f"  open invoices predicted: {len(p):,}; training snapshots: {p.attrs['training_examples']:,} from {p.attrs['training_cutoffs']} cut-offs; method {p.attrs['method']}")
    print(f"  predict_payments {parts[i][0]:.2f} s + forecast_collections {parts[i][1]:.2f} s = {best:.2f} s (best of {len(runs)}: {', '.join(f'{r:.2f}' for r in runs)})")
    print(f"  13-week expected collections {f['expected'].sum():,.2f} of {f.attrs['open_total']:,.2f} open")
    ok = best <= 10
    c_outlook = None
    if args.outlook:
        import resource

        from arkit.policy import load_policy
        from arkit.review import monthly, outlook

        def cpu():
            r = resource.getrusage(resource.RUSAGE_SELF)
            return r.ru_utime + r.ru_stime

        review = monthly.build(arkit.Ledger.from_frames(**frames), as_of, policy=load_policy())
        t, c = time.perf_counter(), cpu()
        o = outlook.attach(review)
        for sec in (outlook.section_cash_outlook, outlook.section_likely_to_slip, outlook.section_model_card):
            sec(o, review.book)
        c_outlook = cpu() - c
        print(f"  monthly review outlook (attach + 3 sections): {c_outlook:.2f} s CPU, {time.perf_counter() - t:.2f} s wall (target ≤ 2 s CPU)")
    print(f"verdict: {'PASS' if ok else 'FAIL'}: {best:.1f} s (goal ≤ 10 s)")
    res = {
        "bench": "bench_predict",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "invoices": int(len(led.invoices)),
        "open_invoices": int(len(p)),
        "timings_s": {"predict_payments": parts[i][0], "forecast_collections": parts[i][1], "total_best": best, "runs": runs},
        "outlook_cpu_s": c_outlook,
        "verdict": ok,
    }
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "bench_predict.json").write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
