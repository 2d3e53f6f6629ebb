"""Section 2 — outcomes against targets: the quarter-end figures of the last quarters, write-offs, targets."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import invoice_positions
from ...aging import aging, bucket_labels, customer_names
from ...kpis import cei, kpis
from ...model import Ledger
from .. import charts
from ..charts import _style
from ..display import table
from ._common import parse_quarter, _label, _day_numbers, _book, _balance, _customer_codes, _activities
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

#: figure → (label, unit, better direction); the quarter's outcomes, in the order the report shows them.
QUARTER_FIGURES = {
    "dso": ("DSO, quarter (period method)", "days", "lower"),
    "dso_countback": ("DSO, countback", "days", "lower"),
    "bpdso": ("Best possible DSO", "days", "lower"),
    "add": ("Average days delinquent", "days", "lower"),
    "cei": ("Collection effectiveness index, quarter", "%", "higher"),
    "pct_current": ("Current share of AR", "%", "higher"),
    "pct_91_plus": ("Share of AR in the oldest bucket", "%", "lower"),
    "collections": ("Collections in the quarter", "currency", "higher"),
    "sales": ("Sales in the quarter", "currency", None),
    "write_offs": ("Written off in the quarter", "currency", "lower"),
    "write_off_pct": ("Write-offs ÷ sales", "%", "lower"),
    "open_ar": ("Open AR at quarter end", "currency", None),
}



def write_offs(ledger: Ledger, end) -> pd.DataFrame:
    """Amounts written off, from the ``write_off`` activities dated ≤ ``end``.

    amount = the balance of the invoice named, at the end of the write-off day, floored at 0 (the log
    records the decision; the amount is what was still open); for a ``write_off`` naming no invoice, the
    customer's open AR that day, floored at 0; 0 for an invoice not found. A second write-off of the same
    invoice (or customer-level write-off of the same customer) is not counted again.
    Example: invoice of 1,000.00 paid 400.00, written off → 600.00.
    Columns: customer_id, customer_name, invoice_id, date, amount.
    """
    end = pd.Timestamp(end).normalize()
    w = _activities(ledger, end, ["write_off"]).sort_values("date", kind="stable")
    cols = ["customer_id", "customer_name", "invoice_id", "date", "amount"]
    if w.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else "float64" if c == "amount" else "str") for c in cols})
    w = w.assign(_k=w["invoice_id"].fillna("")).drop_duplicates(["customer_id", "_k"], keep="first")
    day = _day_numbers(w["date"])
    pos = invoice_positions(ledger.invoices, w[["customer_id", "invoice_id"]])
    named = w["invoice_id"].notna().to_numpy()
    bal = np.where(pos >= 0, _balance(ledger, np.maximum(pos, 0), day), 0) if len(ledger.invoices) else np.zeros(len(w), dtype="int64")
    b = _book(ledger)
    cc = _customer_codes(ledger, w["customer_id"])
    cust_open = b.cust_billed.upto(cc, day) - b.cust_paid.upto(cc, day)
    amount_c = np.maximum(np.where(named, bal, cust_open), 0)
    out = pd.DataFrame({"customer_id": w["customer_id"].to_numpy(), "invoice_id": w["invoice_id"].to_numpy(), "date": w["date"].to_numpy(), "amount": amount_c / 100.0})
    out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    return out[cols].reset_index(drop=True)


def quarterly_figures(ledger: Ledger, quarter, *, quarters: int = 8, buckets=(30, 60, 90)) -> pd.DataFrame:
    """The quarter-end figures for the ``quarters`` quarters ending with ``quarter``, one row each (oldest first).

    At each quarter end E, from :func:`arkit.kpis` at E's month end (its 3-month DSO window is the quarter):
    open_ar, current_ar, dso (period method over the quarter's sales and days), dso_countback, bpdso, add
    (dso − bpdso), pct_current (current_ar ÷ open_ar × 100). Further:
    - sales, collections: Σ invoices (credit notes netted) and Σ payments dated in the quarter;
    - cei, the quarter-level CEI: :func:`arkit.kpis.cei` with opening AR = open AR at the previous quarter
      end, the quarter's sales, closing AR and closing current AR: (opening + sales − closing) ÷ (opening +
      sales − closing current) × 100;
    - pct_91_plus: the part of open AR in the oldest aging bucket (``91+`` with the default edges) ÷
      open_ar × 100 (:func:`arkit.aging` at E);
    - write_offs: Σ :func:`write_offs` dated in the quarter; write_off_pct = write_offs ÷ sales × 100 (NaN
      when sales ≤ 0).
    Index: ``quarter`` (e.g. "2026Q3"); column ``quarter_end`` holds E.
    """
    if isinstance(quarters, bool) or not isinstance(quarters, (int, np.integer)) or quarters < 1:
        raise ValueError(f"quarters must be a whole number ≥ 1, not {quarters!r}")
    q = parse_quarter(quarter)
    qs = pd.period_range(q - (quarters - 1), q, freq="Q")
    ends = [p.end_time.normalize() for p in qs]
    first_month = (qs[0].start_time - pd.offsets.MonthEnd(1)).strftime("%Y-%m")
    k = kpis(ledger, first_month, ends[-1].strftime("%Y-%m"), dso_window=3)
    kq = k.index.to_period("Q")
    sales_q = k["sales"].groupby(kq).sum()
    coll_q = k["collections"].groupby(kq).sum()
    wo = write_offs(ledger, ends[-1])
    wo_q = wo.groupby(wo["date"].dt.to_period("Q"))["amount"].sum() if len(wo) else pd.Series(dtype="float64")
    last = bucket_labels(buckets)[-1]
    rows = []
    for p, e in zip(qs, ends):  # one row per quarter (8 by default), not per ledger row
        r = k.loc[e]
        prev_open = float(k.loc[(p - 1).end_time.normalize(), "open_ar"])
        sales = round(float(sales_q.get(p, 0.0)), 2)
        items = aging(ledger, e, buckets=buckets)
        old = items.loc[items["bucket"] == last, "open_amount"].sum()
        w = round(float(wo_q.get(p, 0.0)), 2)
        rows.append(
            {
                "quarter": str(p),
                "quarter_end": e,
                "sales": sales,
                "collections": round(float(coll_q.get(p, 0.0)), 2),
                "open_ar": r["open_ar"],
                "current_ar": r["current_ar"],
                "dso": r["dso"],
                "dso_countback": r["dso_countback"],
                "bpdso": r["bpdso"],
                "add": r["add"],
                "cei": cei(prev_open, sales, r["open_ar"], r["current_ar"]),
                "pct_current": r["pct_current"],
                "pct_91_plus": old / r["open_ar"] * 100.0 if r["open_ar"] else np.nan,
                "write_offs": w,
                "write_off_pct": w / sales * 100.0 if sales > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("quarter")


def outcomes_vs_targets(figures: pd.DataFrame, *, policy: dict) -> pd.DataFrame:
    """This quarter's figures (last row of :func:`quarterly_figures`) against the targets and the trend.

    One row per figure of :data:`QUARTER_FIGURES`: label, unit, value, previous (the quarter before),
    year_ago (four quarters before), target (``policy.targets``; none for collections, sales, write-offs),
    gap = value − target, on_target (value on the good side of the target, or equal), quarters_on_target
    ("k of n": the quarters shown whose value was on target), better.
    """
    t = policy.get("targets", {})
    cur = figures.iloc[-1]
    prev = figures.iloc[-2] if len(figures) > 1 else None
    ago = figures.iloc[-5] if len(figures) > 4 else None
    rows = []
    for key, (label, unit, better) in QUARTER_FIGURES.items():
        if key == "pct_91_plus":
            label = f"Share of AR {bucket_labels(policy['buckets'])[-1]} days past due"
        v = float(cur[key])
        target = t.get(key)
        on, hits = None, ""
        if target is not None and better:
            ok = figures[key] <= target if better == "lower" else figures[key] >= target
            on = None if np.isnan(v) else bool(ok.iloc[-1])
            hits = f"{int(ok.sum())} of {int(figures[key].notna().sum())}"
        rows.append(
            {
                "figure": key,
                "label": label,
                "unit": unit,
                "value": v,
                "previous": float(prev[key]) if prev is not None else np.nan,
                "year_ago": float(ago[key]) if ago is not None else np.nan,
                "target": float(target) if target is not None else np.nan,
                "gap": v - float(target) if target is not None else np.nan,
                "on_target": on,
                "quarters_on_target": hits,
                "better": better,
            }
        )
    return pd.DataFrame(rows)



def chart_days_trend(figures: pd.DataFrame, *, policy: dict) -> plt.Figure:
    """DSO (period and countback), best possible DSO and average days delinquent at each quarter end, with the
    DSO target (:func:`arkit.review.charts.dso_trend_chart` with quarter ticks)."""
    return charts.dso_trend_chart(
        figures,
        target=policy.get("targets", {}).get("dso"),
        dso_label="DSO (quarter)",
        title="Days sales outstanding at each quarter end",
        tick_labels=[_label(pd.Period(q, "Q")) for q in figures.index],
    )


def chart_pct_trend(figures: pd.DataFrame, *, policy: dict) -> plt.Figure:
    """CEI, current share and 91+ share of AR, and write-offs ÷ sales, by quarter, with their targets."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(figures))
    t = policy.get("targets", {})
    for key, label, color in (("cei", "CEI (quarter)", "#00838f"), ("pct_current", "Current share of AR", "#2e7d32"), ("pct_91_plus", "Share of AR 91+ days past due", "#c62828"), ("write_off_pct", "Write-offs ÷ sales", "#6d4c41")):
        ax.plot(x, figures[key], marker="o", color=color, label=label)
        if key in t:
            ax.axhline(t[key], ls=":", color=color, lw=1)
    ax.set_xticks(x, [_label(pd.Period(q, "Q")) for q in figures.index], fontsize=8)
    ax.set_ylim(0, max(105.0, float(np.nanmax(figures[["cei", "pct_current"]].to_numpy(dtype="float64"), initial=0)) + 5))
    ax.legend(fontsize=8, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.12))
    _style(ax, "Collection effectiveness and AR quality by quarter (dotted: targets)", "Percent (%)")
    fig.tight_layout()
    return fig



def section_outcomes(r: PolicyReview) -> list:
    """Outcomes of the quarter against the targets, and the trend over the quarters shown."""
    o = r.outcomes.copy()
    o["status"] = o["on_target"].map({True: "on target", False: "off target"}).fillna("")
    o["unit"] = o["unit"].replace("currency", r.currency or "currency")
    shown = o[["label", "unit", "value", "previous", "year_ago", "target", "gap", "status", "quarters_on_target"]].rename(
        columns={"label": "Figure", "unit": "Unit", "value": r.label, "previous": "Previous quarter", "year_ago": "A year earlier", "target": "Target", "gap": "Gap to target", "status": "Status", "quarters_on_target": "Quarters on target"}
    )
    r.book.add("outcomes", r.outcomes)
    r.book.add("quarterly figures", r.figures.reset_index())
    r.book.add("write-offs", r.write_off_items)
    numeric = [r.label, "Previous quarter", "A year earlier", "Target", "Gap to target"]
    st = table(shown, money=numeric, caption=f"Quarter ending {r.end:%d %B %Y}; money in {r.currency or 'ledger currency'}, days in calendar days, shares in %; quarters on target of the {len(r.figures)} shown")
    ratios = r.figures[["dso", "dso_countback", "bpdso", "add", "cei", "pct_current", "pct_91_plus", "write_off_pct"]].reset_index()
    ratios = ratios.rename(columns={"quarter": "Quarter", "dso": "DSO", "dso_countback": "DSO countback", "bpdso": "BPDSO", "add": "ADD", "cei": "CEI", "pct_current": "% current", "pct_91_plus": "% 91+", "write_off_pct": "Write-offs ÷ sales"})
    money = r.figures[["sales", "collections", "open_ar", "write_offs"]].reset_index()
    money = money.rename(columns={"quarter": "Quarter", "sales": "Sales", "collections": "Collections", "open_ar": "Open AR at quarter end", "write_offs": "Written off"})
    wo_q = r.write_off_items[(r.write_off_items["date"] >= r.start) & (r.write_off_items["date"] <= r.end)]
    text = f"{len(wo_q)} write-off(s) in the quarter, {wo_q['amount'].sum():,.2f} in all." if len(wo_q) else "Nothing was written off in the quarter."
    return [
        st,
        chart_days_trend(r.figures, policy=r.policy),
        chart_pct_trend(r.figures, policy=r.policy),
        table(ratios, days=["DSO", "DSO countback", "BPDSO", "ADD"], pct=["CEI", "% current", "% 91+", "Write-offs ÷ sales"], caption="Quarter-end figures, in days and % (CEI for the whole quarter)"),
        table(money, money=["Sales", "Collections", "Open AR at quarter end", "Written off"], caption=f"Sales, collections and write-offs of each quarter ({r.currency or 'ledger currency'})"),
        Markdown(text),
    ]
