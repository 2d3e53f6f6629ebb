"""Headline figures of the month, the trends behind them, concentration, and the plain-language summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

import re

from ..aging import bucket_labels
from ..kpis import OPEN_ITEM_REASON, kpis
from ..model import Ledger
from ..position import position

#: figure → (label, unit, better direction)
FIGURES = {
    "open_ar": ("Open AR", "currency", None),
    "gross_ar": ("Open invoices (gross AR, before credits)", "currency", None),
    "credits": ("Credits and unapplied cash", "currency", None),
    "past_due_ar": ("Past due (open invoices past their due date)", "currency", "lower"),
    "pct_past_due": ("Past due share of open invoices", "%", "lower"),
    "pct_91_plus": ("Share of open invoices 91+ days past due", "%", "lower"),
    "dso_countback": ("DSO, countback", "days", "lower"),
    "dso": ("DSO, 3-month period", "days", "lower"),
    "bpdso": ("Best possible DSO", "days", "lower"),
    "add": ("Average days delinquent", "days", "lower"),
    "cei": ("Collection effectiveness index", "%", "higher"),
    "pct_current": ("Current share of open invoices", "%", "higher"),
    "collections": ("Collections in the month", "currency", "higher"),
    "write_offs": ("Written off in the month", "currency", None),
    "sales": ("Sales in the month", "currency", None),
    "collections_to_sales": ("Collections ÷ sales", "%", "higher"),
}


#: figures built on sales and collections over time: not in an open-item export (the open balance per invoice
#: at one date, no payment history), so NaN with a reason there, never 0.0 % or a dash
HISTORY_FIGURES = ("dso_countback", "dso", "bpdso", "add", "cei", "collections", "write_offs", "sales", "collections_to_sales")


def month_end(as_of) -> pd.Timestamp:
    """``as_of`` if it is a month end, else the month end of its month."""
    ts = pd.Timestamp(as_of).normalize()
    return ts if ts.is_month_end else ts + pd.offsets.MonthEnd(0)


def monthly_figures(ledger: Ledger, as_of, *, months: int = 13, buckets=(30, 60, 90), trend: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`arkit.kpis` for the ``months`` month ends ending at ``as_of``, with the position's figures
    (:mod:`arkit.position`) at each month end:

    - gross_ar = Σ open invoices (debit items); credits = credit notes, overpayments and unapplied cash
      (≤ 0); open_ar = gross_ar + credits (the kpis figure);
    - past_due_ar = Σ debit items past due — *gross*, the same past due as every table of the review
      (it replaces kpis' net open_ar − current_ar); current_ar stays kpis' (the BPDSO base);
    - shares of AR are of gross AR and never negative: pct_past_due = past_due_ar ÷ gross_ar × 100,
      pct_91_plus = the last bucket ÷ gross_ar × 100, pct_current = the current bucket ÷ gross_ar × 100
      (NaN when gross_ar is 0);
    - collections_to_sales = collections ÷ sales × 100.
    On a ledger from an open-item export (``ledger.is_open_item_export``) the :data:`HISTORY_FIGURES` are NaN
    and ``attrs["not_computable"]`` maps each to its reason (:data:`arkit.kpis.OPEN_ITEM_REASON`).
    ``trend``: an :func:`aging_trend` already computed for the same months (saves recomputing it)."""
    end = month_end(as_of)
    start = (end - pd.offsets.MonthEnd(months - 1)).strftime("%Y-%m")
    k = kpis(ledger, start, end.strftime("%Y-%m"))
    if trend is None:
        trend = aging_trend(ledger, end, months=months, buckets=buckets)
    labels = bucket_labels(buckets)
    t = trend.reindex(k.index)
    gross = t[labels].sum(axis=1).round(2)
    k["gross_ar"] = gross.to_numpy()
    k["credits"] = t["credits"].to_numpy()
    k["past_due_ar"] = t[labels[1:]].sum(axis=1).round(2).to_numpy()
    g = np.where(gross.to_numpy() > 0, gross.to_numpy(), np.nan)
    k["pct_past_due"] = k["past_due_ar"].to_numpy() / g * 100
    k["pct_91_plus"] = t[labels[-1]].to_numpy() / g * 100
    k["pct_current"] = t[labels[0]].to_numpy() / g * 100
    k["collections_to_sales"] = np.where(k["sales"] > 0, k["collections"] / k["sales"] * 100, np.nan)
    if ledger.is_open_item_export:
        # its payments are derived (one per invoice at the export date, amount − open amount) and its sales are
        # only the invoices still open: every figure of sales or collections over time would be made up
        k[[c for c in HISTORY_FIGURES if c in k.columns]] = np.nan
        k.attrs["not_computable"] = {c: OPEN_ITEM_REASON for c in HISTORY_FIGURES}
    return k


def aging_trend(ledger: Ledger, as_of, *, months: int = 13, buckets=(30, 60, 90)) -> pd.DataFrame:
    """Open AR by bucket at each of the ``months`` month ends ending at ``as_of``: index period_end, a
    column per bucket (debit items only, never negative), ``credits`` (credit notes, overpayments and
    unapplied cash, ≤ 0) and ``total`` = Σ buckets + credits = open AR. Each row is the
    :attr:`arkit.position.Position.totals` of that month end."""
    end = month_end(as_of)
    ends = pd.date_range(end - pd.offsets.MonthEnd(months - 1), end, freq="ME")
    labels = bucket_labels(buckets)
    rows = []
    for e in ends:  # one vectorised position per month end
        t = position(ledger, e, buckets=buckets).totals
        rows.append(np.rint(t[[*labels, "credits"]].to_numpy() * 100).astype("int64"))
    grid = np.array(rows).reshape(len(ends), len(labels) + 1)
    out = pd.DataFrame(grid / 100.0, index=pd.DatetimeIndex(ends, name="period_end"), columns=[*labels, "credits"])
    out["total"] = grid.sum(axis=1) / 100.0
    return out


def headline(figures: pd.DataFrame, *, policy: dict) -> pd.DataFrame:
    """The month's headline table from :func:`monthly_figures` (last row = this month).

    One row per figure in :data:`FIGURES`: label, unit, value, previous (last month), change
    (value − previous), target (``policy.targets``, when set), gap (value − target), on_target (value
    on the good side of the target, when there is one), better ("higher"/"lower"), not_computable (why the
    figure cannot be computed from this ledger, from ``figures.attrs["not_computable"]``; None otherwise).
    """
    why = figures.attrs.get("not_computable", {})
    cur = figures.iloc[-1]
    prev = figures.iloc[-2] if len(figures) > 1 else pd.Series(np.nan, index=figures.columns)
    targets = policy.get("targets", {})
    rows = []
    for key, (label, unit, better) in FIGURES.items():
        if key not in figures.columns:
            continue
        v, p = float(cur[key]), float(prev[key])
        t = targets.get(key)
        gap = v - t if t is not None else np.nan
        on = None
        if t is not None and better and not np.isnan(v):
            on = bool(v <= t) if better == "lower" else bool(v >= t)
        rows.append({"figure": key, "label": label, "unit": unit, "value": v, "previous": p, "change": v - p, "target": t, "gap": gap, "on_target": on, "better": better, "not_computable": why.get(key)})
    return pd.DataFrame(rows)


def no_change_drivers() -> pd.DataFrame:
    """:func:`change_drivers` with no customer (its columns and types): where no previous month can be
    rebuilt (an open-item export)."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype="str"),
            "customer_name": pd.Series(dtype="str"),
            **{c: pd.Series(dtype="float64") for c in ("previous", "current", "change", "share_of_rise")},
        }
    )


def change_drivers(ledger: Ledger, as_of, *, column: str = "past_due", buckets=(30, 60, 90)) -> pd.DataFrame:
    """Customers behind the month's change in past-due AR (``column="past_due"``) or open AR (``"open"``).

    change = the customer's amount at as_of − at the previous month end: its past due (gross, debit items
    past due, as everywhere in the review) or its open AR (net), from :func:`arkit.position`. Rows sorted
    by change, largest rise first; ``share_of_rise`` = change ÷ Σ positive changes × 100 for customers
    whose amount rose. Columns: customer_id, customer_name, previous, current, change, share_of_rise.
    """
    end = month_end(as_of)
    prev = end - pd.offsets.MonthEnd(1)

    def amounts(d):
        s = position(ledger, d, buckets=buckets).customers
        if s.empty:
            return pd.Series(dtype="float64"), pd.Series(dtype="str")
        val = s["past_due"] if column == "past_due" else s["open_ar"]
        return val.set_axis(s["customer_id"]), s.set_index("customer_id")["customer_name"]

    a, names_a = amounts(end)
    b, names_b = amounts(prev)
    out = pd.DataFrame({"previous": b, "current": a}).fillna(0.0)
    out["change"] = (out["current"] - out["previous"]).round(2)
    rise = out["change"].clip(lower=0).sum()
    out["share_of_rise"] = np.where((out["change"] > 0) & (rise > 0), out["change"] / rise * 100, 0.0)
    out = out.sort_values("change", ascending=False, kind="stable").rename_axis("customer_id").reset_index()
    out.insert(1, "customer_name", out["customer_id"].map(names_a.combine_first(names_b)))
    return out


def summary_sentences(head: pd.DataFrame, drivers: pd.DataFrame) -> list[str]:
    """A short plain-language summary of the month generated from the figures, e.g.
    "DSO, countback rose 3.1 days to 47.0 days (target 45.0 days, missed)." — changes of a percentage are
    in percentage points — and "Two customers account for most of
    the rise in past-due AR: A (61 %) and B (22 %)." — "most" meaning the fewest customers whose rises
    add up to more than half of the total rise (listed when there are at most three of them).
    """
    h = head.set_index("figure")
    out = []

    def moved(key, unit_word, fmt="{:.1f}", change_word=None):
        r = h.loc[key]
        if np.isnan(r["value"]):
            return None
        if np.isnan(r["change"]):
            return f"{r['label']} is {fmt.format(r['value'])}{unit_word}."
        verb = "rose" if r["change"] > 0.05 else ("fell" if r["change"] < -0.05 else "held at")
        target = ""
        if r["target"] is not None and not pd.isna(r["target"]):
            target = f" (target {fmt.format(r['target'])}{unit_word}, {'met' if r['on_target'] else 'missed'})"
        if verb == "held at":
            return f"{r['label']} held at {fmt.format(r['value'])}{unit_word}{target}."
        by = f"{fmt.format(abs(r['change']))}{change_word if change_word is not None else unit_word}"
        return f"{r['label']} {verb} {by} to {fmt.format(r['value'])}{unit_word}{target}."

    for key, unit, change_word in (("dso_countback", " days", None), ("pct_past_due", " %", " points"), ("cei", " %", " points")):
        s = moved(key, unit, change_word=change_word)
        if s:
            out.append(s)
    ar = h.loc["open_ar"]
    if not np.isnan(ar["value"]):
        out.append(f"Open AR is {ar['value']:,.2f}" + (f", {'up' if ar['change'] >= 0 else 'down'} {abs(ar['change']):,.2f} on last month." if not np.isnan(ar["change"]) else "."))
    rising = drivers[drivers["change"] > 0]
    if len(rising):
        cum = rising["share_of_rise"].cumsum()
        n = int((cum < 50).sum()) + 1
        if n <= 3:
            who = ", ".join(f"{_who(r.customer_name, r.customer_id)} ({r.share_of_rise:.0f} %)" for r in rising.head(n).itertuples())
            words = {1: "One customer accounts", 2: "Two customers account", 3: "Three customers account"}[n]
            out.append(f"{words} for most of the rise in past-due AR: {who}.")
        else:
            out.append(f"The rise in past-due AR is spread: it takes {n} customers to make up half of it.")
    return out


def concentration(summary: pd.DataFrame, *, n: int = 10) -> tuple[pd.DataFrame, dict]:
    """Top ``n`` customers by past-due amount, and how concentrated AR is.

    From :attr:`arkit.position.Position.customers` (or an :func:`arkit.aging_summary`): past_due = the
    customer's past-due debit items (the ``past_due`` column; Σ buckets after ``current`` when absent —
    the buckets then hold debit items, credits apart); total = open AR (``open_ar`` or ``total``, net of
    credits); share_of_past_due = past_due ÷ Σ past_due × 100. Returns (table of the top n with
    customer_id, customer_name, open_ar (the total), past_due, share_of_past_due, oldest bucket with a balance; a dict
    with ``top_share_of_ar`` = Σ total of the n largest customers by total ÷ Σ positive totals × 100,
    and ``top_share_of_past_due``).
    """
    labels = [c for c in summary.columns if c == "current" or re.fullmatch(r"\d+(?:-\d+|\+)", str(c))]
    total = summary["open_ar"] if "open_ar" in summary.columns else summary["total"]
    past = summary["past_due"] if "past_due" in summary.columns else summary[labels[1:]].sum(axis=1)
    s = summary.assign(total=total, past_due=past)
    pos_pd = s["past_due"].clip(lower=0).sum()
    s["share_of_past_due"] = np.where(pos_pd > 0, s["past_due"].clip(lower=0) / pos_pd * 100, 0.0) if len(s) else []
    nz = s[labels[1:]].gt(0)
    s["oldest_bucket"] = nz.iloc[:, ::-1].idxmax(axis=1).where(nz.any(axis=1), "current") if len(s) else []
    top = s.sort_values("past_due", ascending=False, kind="stable").head(n)
    top = top[top["past_due"] > 0][["customer_id", "customer_name", "total", "past_due", "share_of_past_due", "oldest_bucket"]].reset_index(drop=True).rename(columns={"total": "open_ar"})
    pos_total = s["total"].clip(lower=0).sum()
    big = s["total"].clip(lower=0).nlargest(n).sum()
    stats = {
        "top_share_of_ar": float(big / pos_total * 100) if pos_total > 0 else float("nan"),
        "top_share_of_past_due": float(top["share_of_past_due"].sum()) if len(top) else 0.0,
        "customers_with_ar": int((s["total"] > 0).sum()),
    }
    return top, stats


def _who(name, customer_id) -> str:
    """A customer in a sentence: its name, else its id (an export without names: IBM's has none)."""
    if name is None or (not isinstance(name, str) and pd.isna(name)) or not str(name).strip() or str(name) == "nan":
        return str(customer_id)
    return str(name)
