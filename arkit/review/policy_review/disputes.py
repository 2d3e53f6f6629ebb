"""Section 5 — disputes: how many, how long to resolve, and how much late payment they explain."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import invoice_positions, prepared
from ...aging import customer_names
from ...model import Ledger
from ..charts import _style
from ..display import esc, table
from .outcomes import quarter_labels
from ._common import quarter_bounds, _label, _day, _activities, _episodes
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

def dispute_episodes(ledger: Ledger, end) -> pd.DataFrame:
    """Disputes from the activity log up to ``end``, per customer and invoice (customer-level when no invoice
    is named): a ``dispute_opened`` opens one (repeats while open are ignored), the next
    ``dispute_resolved`` for the same invoice closes it (:func:`_episodes`).
    days_to_resolve = resolved − opened (NaN while open); reason = the outcome logged when it was opened;
    resolution = the outcome logged when resolved; amount = the invoice's amount (NaN when no invoice is
    named or found). Columns: customer_id, customer_name, invoice_id, opened, resolved, days_to_resolve,
    reason, resolution, amount.
    """
    end = pd.Timestamp(end).normalize()
    a = _activities(ledger, end, ["dispute_opened", "dispute_resolved"])
    cols = ["customer_id", "customer_name", "invoice_id", "opened", "resolved", "days_to_resolve", "reason", "resolution", "amount"]
    if a.empty or not (a["action"] == "dispute_opened").any():
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("opened", "resolved") else "float64" if c in ("days_to_resolve", "amount") else "str") for c in cols})
    ep = _episodes(a, ["customer_id", "invoice_id"], "dispute_opened", "dispute_resolved")
    ep = ep.rename(columns={"started": "opened", "ended": "resolved", "start_outcome": "reason", "stop_outcome": "resolution"})
    ep["invoice_id"] = ep["invoice_id"].replace("", pd.NA)
    ep["days_to_resolve"] = (ep["resolved"] - ep["opened"]).dt.days.astype("float64")
    pos = invoice_positions(ledger.invoices, ep[["customer_id", "invoice_id"]])
    amt = ledger.invoices["amount"].to_numpy(dtype="float64")
    ep["amount"] = np.where(pos >= 0, amt[np.maximum(pos, 0)] if len(amt) else np.nan, np.nan)
    ep["customer_name"] = customer_names(ledger, ep["customer_id"]).to_numpy()
    return ep.sort_values(["opened", "customer_id"], kind="stable").reset_index(drop=True)[cols]


def dispute_quarter(episodes: pd.DataFrame, quarter) -> dict:
    """Dispute figures of the quarter from :func:`dispute_episodes`: opened (count) and opened_amount (Σ
    amount) — opened in the quarter; resolved (count), median_days_to_resolve and mean_days_to_resolve —
    resolved in the quarter; open_at_end — episodes opened by the quarter end and not resolved by it."""
    start, end = quarter_bounds(quarter)
    o = episodes[(episodes["opened"] >= start) & (episodes["opened"] <= end)]
    r = episodes[(episodes["resolved"] >= start) & (episodes["resolved"] <= end)]
    still = episodes[(episodes["opened"] <= end) & ~(episodes["resolved"] <= end)]
    return {
        "opened": int(len(o)),
        "opened_amount": round(float(o["amount"].sum()), 2),
        "resolved": int(len(r)),
        "median_days_to_resolve": float(r["days_to_resolve"].median()) if len(r) else np.nan,
        "mean_days_to_resolve": float(r["days_to_resolve"].mean()) if len(r) else np.nan,
        "open_at_end": int(len(still)),
    }


def past_due_amount_days(ledger: Ledger, start, end) -> np.ndarray:
    """Past-due amount-days of every invoice over [start, end], in cent-days (one value per invoice row).

    For an invoice (amount > 0, issued ≤ end) let D = the days of [start, end] after its due date. Its
    amount-days = Σ over d in D of its balance at the end of d = amount × |D| − Σ over the payments p applied
    to it dated ≤ end of p × |{d in D : d ≥ p's date}|, floored at 0. Credit notes give 0. An invoice of
    1,000.00 due 06-30 and unpaid over July gives 1,000 × 31 = 31,000 amount-days; paying 600 of it on 07-21
    leaves 1,000 × 20 + 400 × 11 = 24,400.
    """
    p = prepared(ledger)
    s, e = _day(start), _day(end)
    first = np.maximum(p.inv_due + 1, s)
    n = np.where((p.inv_cents > 0) & (p.inv_date <= e), np.maximum(e - first + 1, 0), 0)
    area = p.inv_cents.astype("float64") * n
    m = (p.pay_inv >= 0) & (p.pay_date <= e)
    if m.any():
        inv = p.pay_inv[m]
        span = np.maximum(e - np.maximum(p.pay_date[m], first[inv]) + 1, 0) * (n[inv] > 0)
        area -= np.bincount(inv, weights=p.pay_cents[m] * span.astype("float64"), minlength=len(area))
    return np.maximum(area, 0.0)


def _disputed_invoices(ledger: Ledger, episodes: pd.DataFrame, start, end) -> tuple[np.ndarray, str]:
    """Mask of the invoices in dispute during [start, end], and where that was read from.

    With an activity log (any rows): the invoices named by a dispute episode (:func:`dispute_episodes`)
    open on some day of the window — opened ≤ end and not resolved before start — so a past quarter is
    replayed as it was and a later dispute does not count. Without a log: the invoices' ``disputed`` flag,
    which says what was in dispute when the ledger was exported ("flag")."""
    n = len(ledger.invoices)
    if len(ledger.activities):
        mask = np.zeros(n, dtype=bool)
        if len(episodes):
            e = episodes.dropna(subset=["invoice_id"])
            e = e[(e["opened"] <= pd.Timestamp(end)) & ~(e["resolved"] < pd.Timestamp(start))]
            pos = invoice_positions(ledger.invoices, e[["customer_id", "invoice_id"]])
            mask[pos[pos >= 0]] = True
        return mask, "log"
    flag = ledger.invoices["disputed"].fillna(False).to_numpy(dtype=bool) if "disputed" in ledger.invoices else np.zeros(n, dtype=bool)
    return flag, "flag"


def dispute_lateness(ledger: Ledger, quarter, *, episodes: pd.DataFrame | None = None) -> dict:
    """The share of the quarter's late payment explained by disputes.

    share_pct = Σ :func:`past_due_amount_days` over the quarter of the invoices in dispute during it
    (:func:`_disputed_invoices`: replayed from the activity log's dispute episodes open in the quarter; the
    ``disputed`` flag only when the ledger has no log) ÷ Σ over all invoices × 100 — of every currency unit
    left unpaid past its due date for a day in the quarter, the part sitting on a disputed invoice.
    Returns ``{"amount_days", "disputed_amount_days", "share_pct", "disputed_invoices", "source"}``
    (amount-days in currency-days; disputed_invoices = the disputed invoices past due in the quarter;
    source = "log" or "flag").
    """
    start, end = quarter_bounds(quarter)
    if episodes is None:
        episodes = dispute_episodes(ledger, end)
    area = past_due_amount_days(ledger, start, end)
    disp, source = _disputed_invoices(ledger, episodes, start, end)
    total, dsum = float(area.sum()), float(area[disp].sum())
    return {
        "amount_days": total / 100.0,
        "disputed_amount_days": dsum / 100.0,
        "share_pct": dsum / total * 100.0 if total > 0 else np.nan,
        "disputed_invoices": int((disp & (area > 0)).sum()),
        "source": source,
    }


def chart_disputes(episodes: pd.DataFrame, quarters: pd.PeriodIndex, *, labels: list[str] | None = None) -> plt.Figure:
    """Disputes opened and resolved per quarter (bars) and the median days to resolve (line, right axis)."""
    o = episodes["opened"].dt.to_period("Q").value_counts().reindex(quarters, fill_value=0)
    res = episodes.dropna(subset=["resolved"])
    rq = res["resolved"].dt.to_period("Q")
    r = rq.value_counts().reindex(quarters, fill_value=0)
    med = res.groupby(rq)["days_to_resolve"].median().reindex(quarters)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    x = np.arange(len(quarters))
    ax.bar(x - 0.2, o.to_numpy(), width=0.4, color="#fb8c00", label="Opened")
    ax.bar(x + 0.2, r.to_numpy(), width=0.4, color="#2e7d32", label="Resolved")
    ax2 = ax.twinx()
    ax2.plot(x, med.to_numpy(dtype="float64"), color="#37474f", marker="o", label="Median days to resolve")
    ax2.set_ylabel("Median days to resolve")
    ax2.set_ylim(0, max(10.0, float(np.nanmax(med.to_numpy(dtype="float64"), initial=0)) * 1.2))
    ax2.spines[["top"]].set_visible(False)
    ax.set_xticks(x, labels if labels is not None else [_label(q) for q in quarters], fontsize=8)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.12))
    _style(ax, "Disputes opened and resolved per quarter", "Disputes")
    fig.tight_layout()
    return fig



def section_disputes(r: PolicyReview) -> list:
    """Disputes: how many, how much, how long to resolve, and how much of the late payment they explain."""
    d = r.disputes
    if d.empty:
        return [Markdown("No disputes are recorded in the activity log.")]
    r.book.add("disputes", d)
    qs = dispute_quarter(d, r.quarter)
    lat = r.dispute_lateness
    od = r.open_disputes
    r.book.add("open disputes", od)
    od_amount = float(od["amount"].sum()) if len(od) else 0.0
    med = f"a median of **{qs['median_days_to_resolve']:.1f} days** (mean {qs['mean_days_to_resolve']:.1f})" if qs["resolved"] else "none resolved"
    text = (
        f"In {esc(r.label)}: **{qs['opened']} disputes opened** on invoices of {qs['opened_amount']:,.2f}; **{qs['resolved']} resolved** in {med}; "
        f"{len(od)} open at the quarter end, on {od_amount:,.2f} still unpaid. "
        f"Disputed invoices hold **{lat['share_pct']:.1f} %** of the quarter's past-due amount-days ({lat['disputed_amount_days']:,.0f} of {lat['amount_days']:,.0f} currency-days, on {lat['disputed_invoices']} invoices)."
    )
    quarters = pd.PeriodIndex([pd.Period(q, "Q") for q in r.figures.index])
    opened_q = d[(d["opened"] >= r.start) & (d["opened"] <= r.end)]
    reasons = opened_q.groupby(opened_q["reason"].fillna("not given")).agg(disputes=("opened", "size"), amount=("amount", "sum")).sort_values("disputes", ascending=False).reset_index()
    res_q = d[(d["resolved"] >= r.start) & (d["resolved"] <= r.end)]
    outcomes = res_q.groupby(res_q["resolution"].fillna("not given")).agg(disputes=("opened", "size"), median_days=("days_to_resolve", "median")).sort_values("disputes", ascending=False).reset_index()
    out = [Markdown(text), chart_disputes(d, quarters, labels=quarter_labels(r.figures))]
    if len(reasons):
        out.append(table(reasons.rename(columns={"reason": "Reason (as logged)", "disputes": "Disputes", "amount": "Invoice amounts"}), money=["Invoice amounts"], caption=f"Disputes opened in {r.label} by reason"))
    if len(outcomes):
        out.append(table(outcomes.rename(columns={"resolution": "Resolution (as logged)", "disputes": "Disputes", "median_days": "Median days to resolve"}), days=["Median days to resolve"], caption=f"Disputes resolved in {r.label}"))
    return out
