"""Section 7 — retention of the customers delinquent in the year."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import prepared
from ...aging import customer_names
from ...model import Ledger
from ..display import table
from ._common import quarter_bounds, _day, _day_numbers, _dates, _year_start, _book, _balance, _customer_codes, _activities
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

RETENTION_OUTCOMES = (
    "recovered, still buying",
    "recovered, stopped buying",
    "still delinquent, still buying",
    "still delinquent, stopped buying",
)


def retention(
    ledger: Ledger,
    quarter,
    *,
    lookback_months: int = 12,
    delinquent_days: int = 60,
    recovered_days: int = 30,
    active_days: int = 90,
) -> pd.DataFrame:
    """What became of the customers who were delinquent in the year: recovered and kept, or lost.

    - **delinquent**: on some day of the ``lookback_months`` months ending at the quarter end E, the
      customer had an invoice more than ``delinquent_days`` days past due with a positive balance. For an
      invoice, t = max(due + delinquent_days + 1, first day of the year); it counts when t ≤ E and its
      balance at the end of t is positive. delinquent_since = the earliest such t of the customer.
    - **recovered**: at E, no invoice more than ``recovered_days`` days past due has a positive balance.
    - **still buying**: its last invoice (amount > 0) is dated after delinquent_since and within the
      ``active_days`` days ending at E; otherwise it **stopped buying** (lost).
    outcome = one of :data:`RETENTION_OUTCOMES` (recovered / still delinquent × still buying / stopped).
    Also: past_due_now (Σ positive balances more than recovered_days past due at E), oldest_days_past_due
    at E (0 when none), last_invoice, sales_before (Σ invoices in the 12 months before delinquent_since) and
    sales_since (Σ invoices from delinquent_since to E), escalated (an agency, legal or write_off activity
    from delinquent_since to E).
    Columns: customer_id, customer_name, delinquent_since, outcome, recovered, still_buying, past_due_now,
    oldest_days_past_due, last_invoice, sales_before, sales_since, escalated.
    """
    start, end = quarter_bounds(quarter)
    e_day = _day(end)
    y_day = _day(_year_start(end, lookback_months))
    p = prepared(ledger)
    b = _book(ledger)
    pos_inv = np.flatnonzero((p.inv_cents > 0) & (p.inv_date <= e_day))
    t = np.maximum(p.inv_due[pos_inv] + delinquent_days + 1, y_day)
    ok = t <= e_day
    pos_d, t_d = pos_inv[ok], t[ok]
    late = _balance(ledger, pos_d, t_d) > 0
    pos_d, t_d = pos_d[late], t_d[late]
    cols = ["customer_id", "customer_name", "delinquent_since", "outcome", "recovered", "still_buying", "past_due_now", "oldest_days_past_due", "last_invoice", "sales_before", "sales_since", "escalated"]
    if len(pos_d) == 0:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("delinquent_since", "last_invoice") else "bool" if c in ("recovered", "still_buying", "escalated") else "float64" if c in ("past_due_now", "sales_before", "sales_since") else "int64" if c == "oldest_days_past_due" else "str") for c in cols})
    since = pd.Series(t_d).groupby(b.inv_cc[pos_d]).min()
    cc = since.index.to_numpy(dtype="int64")
    since_d = since.to_numpy(dtype="int64")
    # at the quarter end: positive balances more than recovered_days past due
    bal_e = _balance(ledger, pos_inv, np.full(len(pos_inv), e_day))
    old = (bal_e > 0) & (e_day - p.inv_due[pos_inv] > recovered_days)
    pd_now = pd.Series(np.where(old, bal_e, 0)).groupby(b.inv_cc[pos_inv]).sum().reindex(cc, fill_value=0).to_numpy()
    dpd = pd.Series(np.where(bal_e > 0, e_day - p.inv_due[pos_inv], 0)).groupby(b.inv_cc[pos_inv]).max().reindex(cc, fill_value=0).clip(lower=0).to_numpy()
    last_inv = pd.Series(p.inv_date[pos_inv]).groupby(b.inv_cc[pos_inv]).max().reindex(cc).to_numpy(dtype="int64")
    recovered = pd_now <= 0
    buying = (last_inv > since_d) & (last_inv > e_day - active_days)
    outcome = np.select(
        [recovered & buying, recovered & ~buying, ~recovered & buying],
        list(RETENTION_OUTCOMES[:3]),
        default=RETENTION_OUTCOMES[3],
    )
    y_before = _day_numbers(pd.DatetimeIndex(_dates(since_d)) - pd.DateOffset(months=12))
    ids = b.customers[cc]
    esc_acts = _activities(ledger, end, ["agency", "legal", "write_off"])
    escalated = np.zeros(len(cc), dtype=bool)
    if len(esc_acts):
        ea = pd.DataFrame({"cc": _customer_codes(ledger, esc_acts["customer_id"]), "d": _day_numbers(esc_acts["date"])})
        j = pd.DataFrame({"cc": cc, "_r": np.arange(len(cc)), "since": since_d}).merge(ea, on="cc")
        escalated[j.loc[j["d"] >= j["since"], "_r"].to_numpy()] = True
    out = pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype="str").to_numpy(),
            "delinquent_since": _dates(since_d),
            "outcome": outcome,
            "recovered": recovered,
            "still_buying": buying,
            "past_due_now": pd_now / 100.0,
            "oldest_days_past_due": dpd.astype("int64"),
            "last_invoice": _dates(last_inv),
            "sales_before": b.cust_billed.between(cc, y_before, since_d - 1) / 100.0,
            "sales_since": b.cust_billed.between(cc, since_d, np.full(len(cc), e_day)) / 100.0,
            "escalated": escalated,
        }
    )
    out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    order = {o: i for i, o in enumerate(RETENTION_OUTCOMES)}
    out = out.assign(_o=out["outcome"].map(order)).sort_values(["_o", "past_due_now", "customer_id"], ascending=[True, False, True], kind="stable")
    out["outcome"] = out["outcome"].astype("str")
    return out.drop(columns="_o").reset_index(drop=True)[cols]


def retention_summary(ret: pd.DataFrame) -> pd.DataFrame:
    """Customers per outcome of :func:`retention` (every outcome listed, zeros included): outcome,
    customers, share (of the delinquent customers, %), sales_since (Σ), past_due_now (Σ)."""
    g = ret.groupby("outcome").agg(customers=("customer_id", "size"), sales_since=("sales_since", "sum"), past_due_now=("past_due_now", "sum"))
    g = g.reindex(list(RETENTION_OUTCOMES)).fillna(0).astype({"customers": "int64"})
    n = int(g["customers"].sum())
    g.insert(1, "share", g["customers"] / n * 100.0 if n else np.nan)
    return g.rename_axis("outcome").reset_index()



def chart_retention(summary: pd.DataFrame) -> plt.Figure:
    """Customers delinquent in the year by what became of them (horizontal bars)."""
    fig, ax = plt.subplots(figsize=(8, 2.8))
    s = summary.iloc[::-1]
    ax.barh(np.arange(len(s)), s["customers"], color=["#c62828", "#fb8c00", "#fbc02d", "#2e7d32"][: len(s)])
    ax.set_yticks(np.arange(len(s)), s["outcome"], fontsize=8)
    ax.set_title("Customers delinquent in the year: what became of them", loc="left", fontsize=12, fontweight="bold")
    ax.set_xlabel("Customers")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig



def section_retention(r: PolicyReview) -> list:
    """Of the customers delinquent in the year: recovered and still buying, or lost."""
    ret = r.retention
    if ret.empty:
        return [Markdown("No customer was more than 60 days past due in the year, so there is no retention to assess.")]
    r.book.add("retention", ret)
    s = retention_summary(ret)
    kept = int(((ret["recovered"]) & ret["still_buying"]).sum())
    lost = int((~ret["still_buying"]).sum())
    text = f"**{len(ret)} customers** were delinquent (more than 60 days past due) at some point in the year: **{kept} recovered and are still buying**; **{lost} stopped buying** ({int((~ret['still_buying'] & ret['recovered']).sum())} of them after paying up)."
    out = [
        Markdown(text),
        chart_retention(s),
        table(s.rename(columns={"outcome": "Outcome", "customers": "Customers", "share": "Share", "sales_since": "Sales since delinquent", "past_due_now": "Over 30 days past due now"}), money=["Sales since delinquent", "Over 30 days past due now"], pct=["Share"]),
    ]
    watch = ret[ret["outcome"] != RETENTION_OUTCOMES[0]]
    if watch.empty:
        out.append(Markdown("Every customer delinquent in the year has recovered and is still buying."))
        return out
    shown = watch[["customer_id", "customer_name", "delinquent_since", "outcome", "past_due_now", "oldest_days_past_due", "last_invoice", "sales_since", "escalated"]].copy()
    for c in ("delinquent_since", "last_invoice"):
        shown[c] = shown[c].dt.strftime("%Y-%m-%d")
    shown["escalated"] = shown["escalated"].map({True: "yes", False: ""})
    shown = shown.rename(columns={"customer_id": "Customer", "customer_name": "Name", "delinquent_since": "Delinquent since", "outcome": "Outcome", "past_due_now": "Past due > 30 days", "oldest_days_past_due": "Oldest (days)", "last_invoice": "Last invoice", "sales_since": "Sales since", "escalated": "Escalated"})
    out.append(table(shown, money=["Past due > 30 days", "Sales since"], caption="Customers not recovered, or lost (the others are in the Excel appendix); escalated = agency, legal or write-off", max_rows=30))
    return out
