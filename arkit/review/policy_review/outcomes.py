"""Section 2 — outcomes against targets: the quarter-end figures of the last quarters, write-offs, targets."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import invoice_positions
from ...position import position
from ...aging import aging, bucket_labels, customer_names
from ...kpis import cei, kpis
from ...model import Ledger
from .. import charts
from ..charts import _style
from ..display import table, by_unit
from ._common import ledger_span, period_coverage, parse_quarter, _label, _day_numbers, _book, _balance, _customer_codes, _activities
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

#: figure → (label, unit, better direction); the quarter's outcomes, in the order the report shows them.
QUARTER_FIGURES = {
    "dso": ("DSO, quarter (period method)", "days", "lower"),
    "dso_countback": ("DSO, countback", "days", "lower"),
    "bpdso": ("Best possible DSO", "days", "lower"),
    "add": ("Average days delinquent", "days", "lower"),
    "cei": ("CEI, mean of the quarter's monthly CEIs", "%", "higher"),
    "cei_multi_month": ("CEI, multi-month formula (sales ÷ 3)", "%", "higher"),
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
    (dso − bpdso), Further:
    - sales, collections: Σ invoices (credit notes netted) and Σ payments dated in the quarter;
    - cei: the mean of the quarter's three monthly CEIs, each :func:`arkit.kpis.cei` as
      :func:`arkit.kpis` gives it for the month (the monthly review's figure); **the CEI target applies to
      it**, as it does to each month in the monthly review;
    - cei_multi_month: the textbook multi-month CEI, :func:`arkit.kpis.cei` with opening AR = open AR at
      the previous quarter end, sales = the quarter's sales ÷ 3 (the number of months), closing AR and
      closing current AR: (opening + sales ÷ 3 − closing) ÷ (opening + sales ÷ 3 − closing current) × 100;
      shown beside it, no target;
    - pct_current, pct_91_plus: the current and the oldest aging bucket (``91+`` with the default edges)
      ÷ gross AR × 100 — debit items only, credits and unapplied cash in their own column, so never
      negative — from :func:`arkit.position` at E, the same shares as the monthly review;
    - write_offs: Σ :func:`write_offs` dated in the quarter; write_off_pct = write_offs ÷ sales × 100 (NaN
      when sales ≤ 0).
    - complete, coverage: whether the ledger's history (:func:`~._common.ledger_span`) spans the whole
      quarter, and the note of :func:`~._common.period_coverage` ("partial: ledger starts 10 Jun 2024");
      a partial quarter's figures are shown greyed and left out of targets and rules.
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
    cei_q = k["cei"].groupby(kq).mean()
    cov = period_coverage(qs, *ledger_span(ledger))
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
        shares = position(ledger, e, buckets=buckets).shares  # of gross AR, as in the monthly review
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
                "cei": float(cei_q.get(p, np.nan)),
                "cei_multi_month": cei(prev_open, sales / 3.0, r["open_ar"], r["current_ar"]),
                "pct_current": float(shares.get(bucket_labels(buckets)[0], np.nan)),
                "pct_91_plus": float(shares.get(last, np.nan)),
                "write_offs": w,
                "write_off_pct": w / sales * 100.0 if sales > 0 else np.nan,
                "complete": bool(cov.loc[str(p), "complete"]),
                "coverage": str(cov.loc[str(p), "note"]),
            }
        )
    return pd.DataFrame(rows).set_index("quarter")


def complete_quarters(figures: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`quarterly_figures` whose quarter the ledger covers in full (all rows for a frame
    without a ``complete`` column)."""
    if "complete" not in figures:
        return figures
    return figures[figures["complete"].astype(bool)]


def outcomes_vs_targets(figures: pd.DataFrame, *, policy: dict) -> pd.DataFrame:
    """This quarter's figures (last row of :func:`quarterly_figures`) against the targets and the trend.

    One row per figure of :data:`QUARTER_FIGURES`: label, unit, value, previous (the quarter before),
    year_ago (four quarters before), target (``policy.targets``; none for collections, sales, write-offs,
    the multi-month CEI), gap = value − target, on_target (value on the good side of the target, or equal;
    None when the quarter is partial — it is not judged), quarters_on_target ("k of n": of the n complete
    quarters shown with a value, the k on target — a partial quarter never counts), better.
    """
    t = policy.get("targets", {})
    cur = figures.iloc[-1]
    prev = figures.iloc[-2] if len(figures) > 1 else None
    ago = figures.iloc[-5] if len(figures) > 4 else None
    full = complete_quarters(figures)
    cur_complete = bool(cur.get("complete", True))
    rows = []
    for key, (label, unit, better) in QUARTER_FIGURES.items():
        if key == "pct_91_plus":
            label = f"Share of AR {bucket_labels(policy['buckets'])[-1]} days past due"
        v = float(cur[key])
        target = t.get(key)
        on, hits = None, ""
        if target is not None and better:
            vals = full[key]
            ok = vals <= target if better == "lower" else vals >= target
            ok = ok & vals.notna()
            on = None if (np.isnan(v) or not cur_complete) else bool(v <= target if better == "lower" else v >= target)
            hits = f"{int(ok.sum())} of {int(vals.notna().sum())}"
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


def quarter_labels(figures: pd.DataFrame) -> list[str]:
    """Tick and row labels of the quarters: "2026 Q3", and "2024 Q4 (partial)" for a quarter the ledger does
    not cover in full."""
    part = ~figures["complete"].astype(bool) if "complete" in figures else pd.Series(False, index=figures.index)
    return [_label(pd.Period(q, "Q")) + (" (partial)" if bad else "") for q, bad in zip(figures.index, part)]


def _mark_partial(ax, figures: pd.DataFrame) -> None:
    """Grey band behind the partial quarters of a trend chart (their points are not drawn)."""
    if "complete" not in figures:
        return
    for i, ok in enumerate(figures["complete"].astype(bool)):
        if not ok:
            ax.axvspan(i - 0.45, i + 0.45, color="#9aa5b1", alpha=0.18, lw=0)


def _complete_only(figures: pd.DataFrame, cols) -> pd.DataFrame:
    f = figures.copy()
    if "complete" in f:
        f.loc[~f["complete"].astype(bool), list(cols)] = np.nan
    return f


def chart_days_trend(figures: pd.DataFrame, *, policy: dict) -> plt.Figure:
    """DSO (period and countback), best possible DSO and average days delinquent at each quarter end, with
    the DSO target (:func:`arkit.review.charts.dso_trend_chart` with quarter ticks). A partial quarter is a
    grey band without points, labelled "(partial)"."""
    fig = charts.dso_trend_chart(
        _complete_only(figures, ["dso", "dso_countback", "bpdso", "add"]),
        target=policy.get("targets", {}).get("dso"),
        dso_label="DSO (quarter)",
        title="Days sales outstanding at each quarter end" + (" (grey: partial quarter, not judged)" if "complete" in figures and not figures["complete"].all() else ""),
        tick_labels=quarter_labels(figures),
    )
    _mark_partial(fig.axes[0], figures)
    return fig


def chart_pct_trend(figures: pd.DataFrame, *, policy: dict) -> plt.Figure:
    """CEI (mean of the monthly CEIs, the target's convention), current share and 91+ share of AR, and
    write-offs ÷ sales, by quarter, with their targets; partial quarters are grey bands without points."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(figures))
    t = policy.get("targets", {})
    cols = ("cei", "pct_current", "pct_91_plus", "write_off_pct")
    f = _complete_only(figures, cols)
    for key, label, color in (("cei", "CEI (mean of monthly CEIs)", "#00838f"), ("pct_current", "Current share of AR", "#2e7d32"), ("pct_91_plus", "Share of AR 91+ days past due", "#c62828"), ("write_off_pct", "Write-offs ÷ sales", "#6d4c41")):
        ax.plot(x, f[key], marker="o", color=color, label=label)
        if key in t:
            ax.axhline(t[key], ls=":", color=color, lw=1)
    _mark_partial(ax, figures)
    ax.set_xticks(x, quarter_labels(figures), fontsize=8)
    ax.set_ylim(0, max(105.0, float(np.nanmax(f[["cei", "pct_current"]].to_numpy(dtype="float64"), initial=0)) + 5))
    ax.legend(fontsize=8, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.12))
    _style(ax, "Collection effectiveness and AR quality by quarter (dotted: targets)", "Percent (%)")
    fig.tight_layout()
    return fig


def section_outcomes(r: PolicyReview) -> list:
    """Outcomes of the quarter against the targets, and the trend over the quarters shown; partial quarters
    greyed, marked and not judged."""
    o = r.outcomes.copy()
    o["status"] = o["on_target"].map({True: "on target", False: "off target"}).fillna("")
    o["unit"] = o["unit"].replace("currency", r.currency or "currency")
    shown = o[["label", "unit", "value", "previous", "year_ago", "target", "gap", "status", "quarters_on_target"]].rename(
        columns={"label": "Figure", "unit": "Unit", "value": r.label, "previous": "Previous quarter", "year_ago": "A year earlier", "target": "Target", "gap": "Gap to target", "status": "Status", "quarters_on_target": "Quarters on target"}
    )
    r.book.add("outcomes", r.outcomes)
    r.book.add("quarterly figures", r.figures.reset_index())
    r.book.add("write-offs", r.write_off_items)
    f = r.figures
    complete = f["complete"].astype(bool)
    n_full = int(complete.sum())
    partial = f[~complete]
    numeric = [r.label, "Previous quarter", "A year earlier", "Target", "Gap to target"]
    out = []
    if len(partial):
        lst = "; ".join(f"{_label(pd.Period(q, 'Q'))} ({note})" for q, note in zip(partial.index, partial["coverage"]))
        judged = "The quarter reviewed is itself partial, so it is not judged against the targets and no rule is applied. " if not complete.iloc[-1] else ""
        out.append(Markdown(f"**Partial quarters:** {lst}. {judged}They are greyed below, left out of the quarters on target, the trend charts' points and every rule."))
    cei_text = (
        "CEI: the target applies to the **mean of the quarter's monthly CEIs** — the same monthly CEI the monthly review judges against the same target. "
        "The multi-month formula (opening AR + sales ÷ 3 − closing AR, over opening AR + sales ÷ 3 − closing current AR) is shown beside it without a target."
    )
    out.append(Markdown(cei_text))
    for col in numeric:  # one figure per row: each value in its row's unit (money, %, days)
        shown[col] = by_unit(shown[col], o["unit"].replace({r.currency or "currency": "currency"}), signed=col == "Gap to target")
    out.append(table(shown, right=numeric, caption=f"Quarter ending {r.end:%d %B %Y}; money in {r.currency or 'ledger currency'}, days in calendar days, shares in %; quarters on target: of the {n_full} complete quarters shown"))
    ratios = f[["dso", "dso_countback", "bpdso", "add", "cei", "cei_multi_month", "pct_current", "pct_91_plus", "write_off_pct"]].reset_index(drop=True)
    ratios.insert(0, "quarter", quarter_labels(f))
    ratios = ratios.rename(columns={"quarter": "Quarter", "dso": "DSO", "dso_countback": "DSO countback", "bpdso": "BPDSO", "add": "ADD", "cei": "CEI (mean of months)", "cei_multi_month": "CEI (multi-month)", "pct_current": "% current", "pct_91_plus": "% 91+", "write_off_pct": "Write-offs ÷ sales"})
    money = f[["sales", "collections", "open_ar", "write_offs"]].reset_index(drop=True)
    money.insert(0, "quarter", quarter_labels(f))
    money = money.rename(columns={"quarter": "Quarter", "sales": "Sales", "collections": "Collections", "open_ar": "Open AR at quarter end", "write_offs": "Written off"})
    wo_q = r.write_off_items[(r.write_off_items["date"] >= r.start) & (r.write_off_items["date"] <= r.end)]
    text = f"{len(wo_q)} write-off(s) in the quarter, {wo_q['amount'].sum():,.2f} in all." if len(wo_q) else "Nothing was written off in the quarter."
    grey = (~complete).tolist()
    return out + [
        chart_days_trend(f, policy=r.policy),
        chart_pct_trend(f, policy=r.policy),
        table(ratios, days=["DSO", "DSO countback", "BPDSO", "ADD"], pct=["CEI (mean of months)", "CEI (multi-month)", "% current", "% 91+", "Write-offs ÷ sales"], caption="Quarter-end figures, in days and % (partial quarters greyed)", muted_rows=grey),
        table(money, money=["Sales", "Collections", "Open AR at quarter end", "Written off"], caption=f"Sales, collections and write-offs of each quarter ({r.currency or 'ledger currency'}; partial quarters greyed)", muted_rows=grey),
        Markdown(text),
    ]
