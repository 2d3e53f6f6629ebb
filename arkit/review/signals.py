"""Delinquency signals per customer: the early warnings a collector looks for.

Each signal is one function returning one row per customer; :func:`customer_signals` joins them. All
windows end at ``as_of`` and only use what was known by then (activities, payments and settlements dated
≤ as_of), so a past month replays as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..aging import aging
from ..model import Ledger
from ..settlements import settlements

UNANSWERED = ("no_answer", "left_voicemail", "no_response", "unreachable", "bounced", "refused", "not_reached")


def _ts(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize()


def days_late_trend(ledger: Ledger, as_of, *, recent_months: int = 3, prior_months: int = 9) -> pd.DataFrame:
    """Average days late of invoices settled recently against before.

    recent = settlements with settled_date in (as_of − recent_months, as_of]; prior = in
    (as_of − recent_months − prior_months, as_of − recent_months]. days_late is signed (early payments
    count negative). ``trend`` = avg_days_late_recent − avg_days_late_prior (NaN when either window is
    empty); a positive trend is a customer paying later than they used to.
    Columns: customer_id, avg_days_late_recent, avg_days_late_prior, settled_recent, settled_prior, trend.
    """
    as_of = _ts(as_of)
    s = settlements(ledger)
    s = s[s["settled_date"] <= as_of]
    cut = as_of - pd.DateOffset(months=recent_months)
    lo = cut - pd.DateOffset(months=prior_months)
    recent = s[s["settled_date"] > cut].groupby("customer_id")["days_late"].agg(["mean", "size"])
    prior = s[(s["settled_date"] > lo) & (s["settled_date"] <= cut)].groupby("customer_id")["days_late"].agg(["mean", "size"])
    out = recent.add_suffix("_r").join(prior.add_suffix("_p"), how="outer")
    out = pd.DataFrame(
        {
            "avg_days_late_recent": out["mean_r"],
            "avg_days_late_prior": out["mean_p"],
            "settled_recent": out["size_r"].fillna(0).astype("int64"),
            "settled_prior": out["size_p"].fillna(0).astype("int64"),
        }
    )
    out["trend"] = out["avg_days_late_recent"] - out["avg_days_late_prior"]
    return out.rename_axis("customer_id").reset_index()


def _cum_paid_at(payments: pd.DataFrame, customers: pd.Series, dates: pd.Series) -> np.ndarray:
    """Σ payments of each customer dated ≤ the given date (vectorised with merge_asof)."""
    if payments.empty or len(customers) == 0:
        return np.zeros(len(customers))
    p = payments[["customer_id", "payment_date", "amount"]].sort_values(["customer_id", "payment_date"], kind="stable")
    p = p.assign(cum=p.groupby("customer_id")["amount"].cumsum())
    p = p.groupby(["customer_id", "payment_date"], as_index=False)["cum"].last().sort_values("payment_date", kind="stable")
    q = pd.DataFrame({"customer_id": customers.to_numpy(), "when": pd.to_datetime(dates).to_numpy(), "_pos": np.arange(len(customers))})
    q = q.sort_values("when", kind="stable")
    m = pd.merge_asof(q, p, left_on="when", right_on="payment_date", by="customer_id", direction="backward")
    return m.sort_values("_pos")["cum"].fillna(0.0).to_numpy()


def promises(ledger: Ledger, as_of, *, grace_days: int = 0) -> pd.DataFrame:
    """Promises to pay and whether each was kept.

    A ``promise_to_pay`` activity dated ≤ as_of with a promised_date is **kept** when the customer's
    payments dated after the promise was made (activity date) and on or before promised_date + grace_days
    add up to at least promised_amount (any amount if none was recorded); **broken** when that is not so
    and promised_date + grace_days < as_of; **pending** otherwise. Payments to any invoice count.
    Columns: customer_id, date, promised_date, promised_amount, paid_in_window, status.
    """
    as_of = _ts(as_of)
    a = ledger.activities
    pr = a[(a["action"] == "promise_to_pay") & (a["date"] <= as_of) & a["promised_date"].notna()].copy()
    if pr.empty:
        return pd.DataFrame(columns=["customer_id", "date", "promised_date", "promised_amount", "paid_in_window", "status"])
    pay = ledger.payments[ledger.payments["payment_date"] <= as_of]
    deadline = pr["promised_date"] + pd.Timedelta(days=grace_days)
    paid = _cum_paid_at(pay, pr["customer_id"], deadline.clip(upper=as_of)) - _cum_paid_at(pay, pr["customer_id"], pr["date"])
    pr["paid_in_window"] = np.round(paid, 2)
    need = pr["promised_amount"].fillna(0.01).clip(lower=0.01)
    kept = pr["paid_in_window"] >= need - 0.005
    status = np.where(kept, "kept", np.where(deadline < as_of, "broken", "pending"))
    pr["status"] = status
    return pr[["customer_id", "date", "promised_date", "promised_amount", "paid_in_window", "status"]].reset_index(drop=True)


def open_disputes(ledger: Ledger, as_of) -> pd.DataFrame:
    """Disputes open at ``as_of`` — :attr:`arkit.position.Position.disputes` (the activity log, or the
    invoices' ``disputed`` flag when the log records no dispute). age_days = as_of − opened date (NA from
    the flag); amount = the invoice's open amount at as_of (0 when settled or not named).
    Columns: customer_id, invoice_id, opened, age_days, amount.
    """
    from ..position import position

    return position(ledger, as_of).disputes[["customer_id", "invoice_id", "opened", "age_days", "amount"]]


def unanswered_contacts(ledger: Ledger, as_of, *, days: int = 90) -> pd.DataFrame:
    """Contacts without response in the last ``days`` days: calls, letters and reminders whose outcome is
    one of :data:`UNANSWERED` (no answer, voicemail, no response, …), counted only when no payment was
    received after the contact. Columns: customer_id, unanswered_contacts, last_contact.
    """
    as_of = _ts(as_of)
    a = ledger.activities
    w = a[(a["date"] <= as_of) & (a["date"] > as_of - pd.Timedelta(days=days)) & a["action"].isin(["call", "reminder", "letter", "demand_letter"])]
    if w.empty:
        return pd.DataFrame(columns=["customer_id", "unanswered_contacts", "last_contact"])
    pay = ledger.payments[ledger.payments["payment_date"] <= as_of]
    last_pay = pay.groupby("customer_id")["payment_date"].max().rename("last_payment")
    after = w[["customer_id"]].merge(last_pay, left_on="customer_id", right_index=True, how="left")["last_payment"]
    paid_after = (after.to_numpy() > w["date"].to_numpy()) if len(last_pay) else False
    silent = w["outcome"].fillna("").str.lower().isin(UNANSWERED) & ~paid_after
    g = w[silent].groupby("customer_id").agg(unanswered_contacts=("date", "size"), last_contact=("date", "max"))
    return g.reset_index()


def credit_utilisation(ledger: Ledger, as_of, *, position=None) -> pd.DataFrame:
    """Open AR (net of credits, the position's open_ar) ÷ credit limit per customer with a limit > 0.
    over_limit = utilisation > 1. Columns: customer_id, credit_limit, open_ar, utilisation, over_limit."""
    c = ledger.customers
    if c.empty or "credit_limit" not in c or c["credit_limit"].notna().sum() == 0:
        return pd.DataFrame(columns=["customer_id", "credit_limit", "open_ar", "utilisation", "over_limit"])
    from ..position import position as _position

    pos = position if position is not None else _position(ledger, as_of)
    ar = pos.customer("open_ar")
    lim = c.dropna(subset=["credit_limit"]).drop_duplicates("customer_id", keep="last").set_index("customer_id")["credit_limit"]
    lim = lim[lim > 0]
    out = pd.DataFrame({"credit_limit": lim, "open_ar": ar.reindex(lim.index).fillna(0.0).round(2)})
    out["utilisation"] = out["open_ar"] / out["credit_limit"]
    out["over_limit"] = out["utilisation"] > 1.0
    return out.rename_axis("customer_id").reset_index()


def customer_signals(ledger: Ledger, as_of, *, promise_months: int = 6, position=None) -> pd.DataFrame:
    """All delinquency signals, one row per customer with open AR or a signal.

    open_ar (net), past_due_ar (gross: debit items past due), oldest_days_past_due, open disputes and
    their amount come from the position at as_of (:func:`arkit.position`; ``position`` if given), so
    they are the figures every other table of the review shows.

    Columns: customer_id, customer_name, open_ar, past_due_ar, oldest_days_past_due,
    avg_days_late_recent, avg_days_late_prior, days_late_trend, promises_broken, promises_kept (promises
    made in the last ``promise_months`` months), unanswered_contacts, open_disputes, oldest_dispute_days,
    disputed_amount, credit_limit, utilisation, over_limit, signals (count of: trend > 5 days,
    ≥ 1 broken promise, ≥ 2 unanswered contacts, an open dispute, over limit, oldest item > 60 days).
    """
    as_of = _ts(as_of)
    from ..position import position as _position

    pos = position if position is not None else _position(ledger, as_of)
    pc = pos.customers.set_index("customer_id")
    out = pd.DataFrame({"customer_name": pc["customer_name"], "open_ar": pc["open_ar"], "past_due_ar": pc["past_due"], "oldest_days_past_due": pc["oldest_days_past_due"]})
    tr = days_late_trend(ledger, as_of).set_index("customer_id")
    out = out.join(tr[["avg_days_late_recent", "avg_days_late_prior", "trend"]].rename(columns={"trend": "days_late_trend"}), how="outer")
    pr = promises(ledger, as_of)
    pr = pr[pr["date"] > as_of - pd.DateOffset(months=promise_months)]
    counts = pr.pivot_table(index="customer_id", columns="status", values="date", aggfunc="size", fill_value=0) if len(pr) else pd.DataFrame()
    out["promises_broken"] = counts["broken"] if "broken" in counts else 0
    out["promises_kept"] = counts["kept"] if "kept" in counts else 0
    un = unanswered_contacts(ledger, as_of).set_index("customer_id")
    out = out.join(un[["unanswered_contacts"]], how="outer")
    d = pos.disputes
    dg = d.groupby("customer_id").agg(open_disputes=("opened", "size"), oldest_dispute_days=("age_days", "max"), disputed_amount=("amount", "sum")) if len(d) else pd.DataFrame(columns=["open_disputes", "oldest_dispute_days", "disputed_amount"])
    out = out.join(dg, how="outer")
    cu = credit_utilisation(ledger, as_of, position=pos).set_index("customer_id")
    out = out.join(cu[["credit_limit", "utilisation", "over_limit"]], how="left")
    for c in ("open_ar", "past_due_ar", "disputed_amount"):
        out[c] = out[c].astype("float64").fillna(0.0).round(2)
    for c in ("oldest_days_past_due", "promises_broken", "promises_kept", "unanswered_contacts", "open_disputes"):
        out[c] = out[c].fillna(0).astype("int64")
    out["over_limit"] = out["over_limit"].astype("boolean").fillna(False).astype(bool)
    out["signals"] = (
        (out["days_late_trend"] > 5).astype(int)
        + (out["promises_broken"] >= 1).astype(int)
        + (out["unanswered_contacts"] >= 2).astype(int)
        + (out["open_disputes"] >= 1).astype(int)
        + out["over_limit"].astype(int)
        + (out["oldest_days_past_due"] > 60).astype(int)
    )
    out = out.rename_axis("customer_id").reset_index()
    from ..aging import customer_names

    out["customer_name"] = customer_names(ledger, out["customer_id"]).to_numpy()
    return out
