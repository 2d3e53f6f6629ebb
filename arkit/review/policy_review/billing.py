"""Section 8 — lateness by billing day, payment method and terms."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ...model import Ledger
from ...settlements import settlements
from ..charts import _style
from ..display import table
from ._common import _terms_labels
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

#: Billing-day bands: (first day, last day, label). End of month = invoices dated on the 21st or later.
BILLING_BANDS = ((1, 10, "start of month (1-10)"), (11, 20, "mid-month (11-20)"), (21, 31, "end of month (21-31)"))


def billing_band(day_of_month) -> np.ndarray:
    """The :data:`BILLING_BANDS` label of each invoice day of month (1–31)."""
    d = np.asarray(day_of_month, dtype="int64")
    return np.select([d <= b[1] for b in BILLING_BANDS], [b[2] for b in BILLING_BANDS], default=BILLING_BANDS[-1][2]).astype(object)


def settled_invoices(ledger: Ledger, start, end) -> pd.DataFrame:
    """Invoices settled in [start, end] (:func:`arkit.settlements`: paid in full, settled_date in the
    window), with what they are analysed by: day (invoice day of month), band (:func:`billing_band`),
    terms (:func:`_terms_labels`), method (the ``method`` of the payment applied to the invoice on its
    settled date — the first such line; "not recorded" when none is given).
    Columns: the settlements columns, day, band, terms, method."""
    s = settlements(ledger)
    s = s[(s["settled_date"] >= pd.Timestamp(start)) & (s["settled_date"] <= pd.Timestamp(end))].reset_index(drop=True)
    terms = _terms_labels(ledger)
    key = ledger.invoices["customer_id"].astype("str") + "\x1f" + ledger.invoices["invoice_id"].astype("str")
    s["day"] = s["invoice_date"].dt.day.astype("int64")
    s["band"] = billing_band(s["day"].to_numpy())
    s["terms"] = (s["customer_id"].astype("str") + "\x1f" + s["invoice_id"].astype("str")).map(pd.Series(terms.to_numpy(), index=key.to_numpy())).fillna("not recorded").astype("str")
    pay = ledger.payments
    if len(pay) and "method" in pay and pay["method"].notna().any():
        pm = pay.dropna(subset=["invoice_id"])[["customer_id", "invoice_id", "payment_date", "method"]].drop_duplicates(["customer_id", "invoice_id", "payment_date"], keep="first")
        pm = pm.rename(columns={"payment_date": "settled_date"})
        s = s.merge(pm, on=["customer_id", "invoice_id", "settled_date"], how="left")
        s["method"] = s["method"].fillna("not recorded").astype("str")
    else:
        s["method"] = "not recorded"
    s["band"] = s["band"].astype("str")
    return s


def lateness_by(settled: pd.DataFrame, by: str) -> pd.DataFrame:
    """Lateness of settled invoices grouped by ``by`` (band, day, method, terms…): invoices, amount (Σ),
    avg_days_late (mean of the signed days late: settled − due), weighted_days_late (Σ amount × days_late
    ÷ Σ amount), pct_late (share of the invoices settled after their due date, %), avg_days_to_pay.
    Example: invoices of 100 paid 10 days late and 300 paid 2 days early → avg 4.0, weighted
    (1,000 − 600) ÷ 400 = 1.0, 50 % late."""
    s = settled.assign(_w=settled["amount"] * settled["days_late"], _late=settled["days_late"] > 0)
    g = s.groupby(by, sort=True).agg(
        invoices=("days_late", "size"),
        amount=("amount", "sum"),
        avg_days_late=("days_late", "mean"),
        _w=("_w", "sum"),
        pct_late=("_late", "mean"),
        avg_days_to_pay=("days_to_pay", "mean"),
    )
    g["weighted_days_late"] = g["_w"] / g["amount"].where(g["amount"] != 0)
    g["pct_late"] = g["pct_late"] * 100.0
    g["amount"] = g["amount"].round(2)
    return g.drop(columns="_w")[["invoices", "amount", "avg_days_late", "weighted_days_late", "pct_late", "avg_days_to_pay"]].reset_index()


def billing_by_customer(settled: pd.DataFrame) -> pd.DataFrame:
    """Per customer, the invoices billed at month end (band "end of month") against its other invoices:
    eom_invoices, eom_avg_days_late, other_invoices, other_avg_days_late, gap_days = eom − other (NaN when
    either is missing). Columns: customer_id, those five, gap_days."""
    eom = settled["band"] == BILLING_BANDS[-1][2]
    a = settled[eom].groupby("customer_id")["days_late"].agg(["size", "mean"])
    b = settled[~eom].groupby("customer_id")["days_late"].agg(["size", "mean"])
    out = a.add_suffix("_e").join(b.add_suffix("_o"), how="outer")
    out = pd.DataFrame(
        {
            "eom_invoices": out["size_e"].fillna(0).astype("int64"),
            "eom_avg_days_late": out["mean_e"],
            "other_invoices": out["size_o"].fillna(0).astype("int64"),
            "other_avg_days_late": out["mean_o"],
        }
    )
    out["gap_days"] = out["eom_avg_days_late"] - out["other_avg_days_late"]
    return out.rename_axis("customer_id").reset_index()



def chart_billing_day(by_day: pd.DataFrame) -> plt.Figure:
    """Average days late of the invoices settled in the year, by the invoice's day of the month, coloured by
    billing band."""
    fig, ax = plt.subplots(figsize=(9, 3.4))
    colors = {b[2]: c for b, c in zip(BILLING_BANDS, ("#2e7d32", "#1565c0", "#c62828"))}
    band = billing_band(by_day["day"].to_numpy())
    ax.bar(by_day["day"], by_day["avg_days_late"], color=[colors[b] for b in band])
    from matplotlib.patches import Patch

    ax.axhline(0, color="#555", lw=0.8)
    ax.legend(handles=[Patch(color=c, label=lab) for lab, c in colors.items()], fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.2))
    ax.set_xticks(range(1, 32, 2))
    _style(ax, "Days late by the invoice's day of the month", "Average days late (days)", "Invoice day of month")
    fig.tight_layout()
    return fig



def section_billing(r: PolicyReview) -> list:
    """Lateness by billing day, payment method and terms; take-up of the early-pay program."""
    s = r.settled
    out = []
    if s.empty:
        out.append(Markdown("No invoice was paid in full in the year, so lateness by billing day, method and terms cannot be shown."))
    else:
        band = lateness_by(s, "band")
        band["_o"] = band["band"].map({b[2]: i for i, b in enumerate(BILLING_BANDS)})
        band = band.sort_values("_o").drop(columns="_o")
        day = lateness_by(s, "day")
        method = lateness_by(s, "method").sort_values("invoices", ascending=False)
        terms = lateness_by(s, "terms").sort_values("invoices", ascending=False)
        for name, df in (("lateness by billing day", band), ("lateness by day of month", day), ("lateness by method", method), ("lateness by terms", terms), ("billing day by customer", r.billing_customers)):
            r.book.add(name, df)
        ren = {"invoices": "Invoices", "amount": "Amount", "avg_days_late": "Avg days late", "weighted_days_late": "Amount-weighted days late", "pct_late": "Paid late (%)", "avg_days_to_pay": "Avg days to pay"}
        fmt = {"money": ["Amount"], "days": ["Avg days late", "Amount-weighted days late", "Avg days to pay"], "pct": ["Paid late (%)"]}
        eom, mid = band.set_index("band")["avg_days_late"].get(BILLING_BANDS[-1][2], np.nan), band.set_index("band")["avg_days_late"].get(BILLING_BANDS[1][2], np.nan)
        out.append(Markdown(f"Invoices billed at month end (the 21st or later) were paid **{eom:.1f} days late** on average, against **{mid:.1f}** for mid-month billing ({len(s):,} invoices paid in full from {r.year_start:%d %b %Y} to {r.end:%d %b %Y})."))
        out.append(chart_billing_day(day))
        out.append(table(band.rename(columns={"band": "Billing day", **ren}), **fmt, caption="By the invoice's day of the month"))
        out.append(table(method.rename(columns={"method": "Payment method", **ren}), **fmt, caption="By the method of the payment that settled the invoice"))
        out.append(table(terms.rename(columns={"terms": "Terms", **ren}), **fmt, caption="By payment terms"))
    return out
