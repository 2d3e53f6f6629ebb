"""Section 8 (continued) — the incentives already in use on the ledger: early-pay terms and their take-up."""

from __future__ import annotations

import re
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import prepared
from ...model import Ledger
from ...settlements import settlements
from ..display import table
from ._common import _day, _book, _terms_labels
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

_EARLY_PAY = re.compile(r"(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+)\s*,?\s*(?:net|n)\s*/?\s*(\d+)", re.I)


def early_pay_terms(terms: pd.Series) -> pd.DataFrame:
    """Early-payment terms read from terms texts: "2/10 Net 30", "2/10 n/30", "1.5% / 15, net 45"… →
    rate (fraction: 0.02), discount_days (10), net_days (30); NaN for any other text."""
    x = terms.astype("str").str.extract(_EARLY_PAY)
    return pd.DataFrame(
        {
            "rate": pd.to_numeric(x[0], errors="coerce") / 100.0,
            "discount_days": pd.to_numeric(x[1], errors="coerce"),
            "net_days": pd.to_numeric(x[2], errors="coerce"),
        },
        index=terms.index,
    )


def discount_annual_cost(rate: float, discount_days: float, net_days: float) -> float:
    """Annualised cost of an early-pay discount, in %: rate ÷ (1 − rate) × 365 ÷ (net_days − discount_days)
    × 100. 2/10 net 30 → 0.02 ÷ 0.98 × 365 ÷ 20 × 100 = 37.24 %. NaN when net_days ≤ discount_days."""
    if not net_days > discount_days or not 0 <= rate < 1:
        return float("nan")
    return rate / (1 - rate) * 365.0 / (net_days - discount_days) * 100.0


def early_pay_take_up(ledger: Ledger, start, end) -> pd.DataFrame:
    """Take-up of early-payment discounts on invoices dated in [start, end].

    Eligible: invoices (amount > 0) whose terms (:func:`_terms_labels`) are early-pay terms
    (:func:`early_pay_terms`) and whose discount window has closed by ``end`` (invoice_date +
    discount_days ≤ end). taken: the payments applied to the invoice dated ≤ invoice_date + discount_days add
    up to at least amount × (1 − rate) (to the cent) — the customer paid in the window, net of the discount
    (whether the discount is recorded as a credit note or left as a short payment). discount = rate ×
    amount for those taken (the terms' nominal discount). days_to_pay from :func:`arkit.settlements` (NaN
    when not settled). Columns: customer_id, invoice_id, invoice_date, amount, terms, rate, discount_days,
    net_days, taken, discount, days_to_pay.
    """
    inv = ledger.invoices
    terms = _terms_labels(ledger)
    ep = early_pay_terms(terms)
    p = prepared(ledger)
    s_day, e_day = _day(start), _day(end)
    dd = ep["discount_days"].fillna(-1).to_numpy(dtype="int64")
    m = ep["rate"].notna().to_numpy() & (p.inv_cents > 0) & (p.inv_date >= s_day) & (p.inv_date <= e_day) & (p.inv_date + dd <= e_day)
    pos = np.flatnonzero(m)
    out = inv.iloc[pos][["customer_id", "invoice_id", "invoice_date", "amount"]].reset_index(drop=True)
    out["terms"] = terms.to_numpy()[pos]
    out["rate"] = ep["rate"].to_numpy()[pos]
    out["discount_days"] = dd[pos]
    out["net_days"] = ep["net_days"].to_numpy()[pos]
    amt = p.inv_cents[pos]
    paid = _book(ledger).applied.upto(pos, p.inv_date[pos] + dd[pos])
    need = amt - np.rint(amt * out["rate"].to_numpy()).astype("int64")
    out["taken"] = paid >= need
    out["discount"] = np.where(out["taken"], np.rint(amt * out["rate"].to_numpy()) / 100.0, 0.0)
    st = settlements(ledger)[["customer_id", "invoice_id", "days_to_pay"]]
    out = out.merge(st, on=["customer_id", "invoice_id"], how="left")
    out["days_to_pay"] = out["days_to_pay"].astype("float64")
    return out


def early_pay_summary(take: pd.DataFrame) -> pd.DataFrame:
    """Per early-pay terms text, from :func:`early_pay_take_up`: customers, eligible (invoices), taken,
    pct_taken (of the invoices, %), pct_amount_taken (of the amount, %), discount (Σ), annual_cost_pct
    (:func:`discount_annual_cost`), days_to_pay_taken and days_to_pay_not_taken (means over settled ones)."""
    rows = []
    for t, g in take.groupby("terms", sort=True):
        tk = g["taken"]
        amt = g["amount"].sum()
        rows.append(
            {
                "terms": t,
                "customers": int(g["customer_id"].nunique()),
                "eligible": int(len(g)),
                "taken": int(tk.sum()),
                "pct_taken": tk.mean() * 100.0,
                "pct_amount_taken": g.loc[tk, "amount"].sum() / amt * 100.0 if amt else np.nan,
                "discount": round(float(g["discount"].sum()), 2),
                "annual_cost_pct": discount_annual_cost(float(g["rate"].iloc[0]), float(g["discount_days"].iloc[0]), float(g["net_days"].iloc[0])),
                "days_to_pay_taken": g.loc[tk, "days_to_pay"].mean(),
                "days_to_pay_not_taken": g.loc[~tk, "days_to_pay"].mean(),
            }
        )
    cols = ["terms", "customers", "eligible", "taken", "pct_taken", "pct_amount_taken", "discount", "annual_cost_pct", "days_to_pay_taken", "days_to_pay_not_taken"]
    return pd.DataFrame(rows, columns=cols)



def section_incentives_in_use(r: PolicyReview) -> list:
    """Take-up of the early-pay program already in use on the ledger."""
    out = []
    ep = r.early_pay_summary
    if ep.empty:
        out.append(Markdown("No invoice of the year carries early-payment terms (such as 2/10 Net 30), so there is no early-pay take-up to show."))
        return out
    r.book.add("early-pay invoices", r.early_pay)
    r.book.add("early-pay take-up", ep)
    shown = ep.drop(columns="customers").rename(columns={"terms": "Terms", "eligible": "Eligible", "taken": "Taken", "pct_taken": "Take-up (share of invoices)", "pct_amount_taken": "Take-up (share of amount)", "discount": "Discounts", "annual_cost_pct": "Annual cost", "days_to_pay_taken": "Days to pay (takers)", "days_to_pay_not_taken": "Days to pay (others)"})
    caption = (
        f"Early-pay program: invoices dated {r.year_start:%d %b %Y} – {r.end:%d %b %Y} whose discount window has closed; take-up as a share of the eligible invoices and of their amount "
        "(the incentive comparison prices programs on the share of amount, over the 12 months to its own pricing date, so its population differs); annual cost = the discount as a yearly rate"
    )
    out.append(table(shown, money=["Discounts"], pct=["Take-up (share of invoices)", "Take-up (share of amount)", "Annual cost"], days=["Days to pay (takers)", "Days to pay (others)"], caption=caption))
    return out
