"""``arkit demo`` / ``make demo``: the main job on the bundled sample ledger.

Writes under ``out`` (default ``reports/demo``): the sample ledger workbook, the load report and
quarantine, the aging summary and open items at the as-of date, and 24 months of KPIs — as formatted
Excel and CSV — then renders every report whose notebook exists (``arkit.render.REPORTS``) into
``reports/`` with its index page.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from .aging import aging, aging_summary
from .excel import write_csv, write_excel
from .kpis import kpis
from .load import load_ledger
from .sample import write_sample


def last_complete_quarter(as_of) -> str:
    """The last quarter that has ended by ``as_of``: 2026-09-30 → 2026Q3, 2026-10-31 → 2026Q3."""
    q = pd.Timestamp(as_of).to_period("Q")
    if pd.Timestamp(as_of).normalize() < q.end_time.normalize():
        q -= 1
    return f"{q.year}Q{q.quarter}"


def run_demo(out=Path("reports/demo"), *, n_invoices: int = 20000, as_of=None, quiet: bool = False, render: bool = True) -> dict[str, Path]:
    """Run the demo job; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if quiet else print
    t0 = time.perf_counter()
    ledger_path = write_sample(out / "sample-ledger.xlsx", n_invoices=n_invoices, seed=0, as_of=as_of)
    say(f"sample ledger: {ledger_path} ({time.perf_counter() - t0:.1f} s)")
    t = time.perf_counter()
    led = load_ledger(ledger_path)
    say(f"loaded and validated in {time.perf_counter() - t:.1f} s: {len(led.invoices):,} invoices, {len(led.payments):,} payments, {len(led.activities):,} activities; quarantined problems: {len(led.load_report.quarantine)}")
    as_of = pd.Timestamp(as_of) if as_of is not None else led.as_of_max.normalize() + pd.offsets.MonthEnd(0)
    start = (as_of - pd.offsets.MonthEnd(23)).strftime("%Y-%m")
    summary = aging_summary(led, as_of)
    items = aging(led, as_of)
    k = kpis(led, start, as_of.strftime("%Y-%m")).round(2).reset_index()
    files = {
        "ledger": ledger_path,
        "aging": write_excel(out / "aging.xlsx", {"aging summary": summary, "open items": items}),
        "kpis": write_excel(out / "kpis.xlsx", {"kpis": k}, percent_columns=[]),
        "load_report": write_excel(out / "load-report.xlsx", {"summary": led.load_report.summary.reset_index(), "quarantine": led.load_report.quarantine}),
        "aging_csv": write_csv(out / "aging-summary.csv", summary),
        "kpis_csv": write_csv(out / "kpis.csv", k),
    }
    last = k.iloc[-1]
    say(
        f"as of {as_of.date()}: open AR {last['open_ar']:,.2f}, past due {last['past_due_ar']:,.2f} "
        f"({100 - last['pct_current']:.1f} %), DSO {last['dso']:.1f} d, countback {last['dso_countback']:.1f} d, "
        f"BPDSO {last['bpdso']:.1f} d, CEI {last['cei']:.1f} %"
    )
    say(f"written to {out}/ in {time.perf_counter() - t0:.1f} s: " + ", ".join(p.name for p in files.values()))
    if render:
        from .render import NOTEBOOKS_DIR, REPORTS, render_report

        reports_dir = out.parent if out.name == "demo" else out / "reports"
        for name, spec in REPORTS.items():
            if not (NOTEBOOKS_DIR / spec.notebook).is_file():
                continue
            t = time.perf_counter()
            kw = {"quarter": last_complete_quarter(as_of)} if spec.period == "quarter" else {"as_of": as_of.strftime("%Y-%m-%d")}
            res = render_report(name, ledger=ledger_path, out_dir=reports_dir, progress=False, **kw)
            html = res.get("html") if isinstance(res, dict) else res
            files[name] = Path(html) if html else reports_dir
            say(f"{name}: {html} ({time.perf_counter() - t:.1f} s)")
        say(f"reports index: {reports_dir / 'index.html'}")
    return files
