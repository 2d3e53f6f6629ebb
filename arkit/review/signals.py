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
    """Average days late recently against before, counting invoices still open.

    Each window holds the invoices settled in it (signed days_late of :func:`arkit.settlements`; early
    payments count negative) **and** the invoices still open and past due at its end, at their days late
    so far (end − due_date): a customer who stopped paying gets later, not silent. recent = settled in
    (as_of − recent_months, as_of] + open and past due at as_of; prior = settled in (as_of − recent_months −
    prior_months, as_of − recent_months] + open and past due at as_of − recent_months (open = a debit item
    of :func:`arkit.position` at that date). ``trend`` = avg_days_late_recent − avg_days_late_prior (NaN
    when either window is empty); a positive trend is a customer paying later than they used to.
    Columns: customer_id, avg_days_late_recent, avg_days_late_prior, settled_recent, settled_prior,
    open_late_recent, open_late_prior, trend.
    """
    from ..position import position

    as_of = _ts(as_of)
    s = settlements(ledger)
    s = s[s["settled_date"] <= as_of]
    cut = (as_of - pd.DateOffset(months=recent_months)).normalize()
    lo = cut - pd.DateOffset(months=prior_months)

    def open_late(d):
        it = position(ledger, d).debits
        it = it[it["days_past_due"] > 0]
        return it[["customer_id", "days_past_due"]].rename(columns={"days_past_due": "days_late"})

    def window(settled, opened):
        both = pd.concat([settled[["customer_id", "days_late"]].assign(_open=0), opened.assign(_open=1)], ignore_index=True)
        return both.groupby("customer_id").agg(mean=("days_late", "mean"), size=("days_late", "size"), open=("_open", "sum"))

    recent = window(s[s["settled_date"] > cut], open_late(as_of))
    prior = window(s[(s["settled_date"] > lo) & (s["settled_date"] <= cut)], open_late(cut))
    out = recent.add_suffix("_r").join(prior.add_suffix("_p"), how="outer")
    out = pd.DataFrame(
        {
            "avg_days_late_recent": out["mean_r"],
            "avg_days_late_prior": out["mean_p"],
            "settled_recent": (out["size_r"].fillna(0) - out["open_r"].fillna(0)).astype("int64"),
            "settled_prior": (out["size_p"].fillna(0) - out["open_p"].fillna(0)).astype("int64"),
            "open_late_recent": out["open_r"].fillna(0).astype("int64"),
            "open_late_prior": out["open_p"].fillna(0).astype("int64"),
        }
    )
    out["trend"] = out["avg_days_late_recent"] - out["avg_days_late_prior"]
    return out.rename_axis("customer_id").reset_index()


def _invoice_paid_between(ledger: Ledger, inv_pos: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Σ payment lines (cents) applied to invoice ``inv_pos[i]`` dated in [lo[i], hi[i]] (day numbers);
    0 where inv_pos < 0 or hi < lo (:func:`arkit._prep.cents_between` over the payment lines)."""
    from .._prep import cents_between, prepared

    p = prepared(ledger)
    return cents_between(p.pay_inv, p.pay_date, p.pay_cents, inv_pos, lo, hi)


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
    """Promises to pay and whether each was kept, judged on the invoice each names.

    A ``promise_to_pay`` activity dated ≤ as_of with a promised_date; deadline = promised_date +
    grace_days (at most as_of). need = promised_amount, else the invoice's open balance on the day of the
    promise (any amount at all for a promise naming no invoice).
    - A promise naming an invoice is **kept** when the payments applied to *that invoice* dated after the
      promise and on or before the deadline add up to need, or the invoice is closed (balance ≤ 0) by
      the deadline; a payment to another invoice does not keep it.
    - A promise naming no invoice is judged on all the customer's payments in the window (the log does
      not say which invoice it was about).
    **broken** when not kept and the deadline < as_of; **pending** otherwise.
    Columns: customer_id, invoice_id, date, promised_date, promised_amount, paid_in_window, status.
    """
    from .._prep import day_number, days, invoice_positions
    from ..aging import open_cents_on

    as_of = _ts(as_of)
    cols = ["customer_id", "invoice_id", "date", "promised_date", "promised_amount", "paid_in_window", "status"]
    a = ledger.activities
    pr = a[(a["action"] == "promise_to_pay") & (a["date"] <= as_of) & a["promised_date"].notna()].copy()
    if pr.empty:
        return pd.DataFrame(columns=cols)
    pr = pr.reset_index(drop=True)
    today = day_number(as_of)
    made, deadline = days(pr["date"]), np.minimum(days(pr["promised_date"]) + int(grace_days), today)
    pos = invoice_positions(ledger.invoices, pr) if pr["invoice_id"].notna().any() else np.full(len(pr), -1, dtype="int64")
    named = pos >= 0
    paid_inv = _invoice_paid_between(ledger, pos, made + 1, deadline)
    pay = ledger.payments[ledger.payments["payment_date"] <= as_of]
    dl_dates = pd.to_datetime(deadline.astype("int64"), unit="D").astype("datetime64[ns]")
    paid_cust = np.rint((_cum_paid_at(pay, pr["customer_id"], pd.Series(dl_dates)) - _cum_paid_at(pay, pr["customer_id"], pr["date"])) * 100).astype("int64")
    # each named invoice's balance on the day of the promise and at the deadline
    open_made = np.zeros(len(pr), dtype="int64")
    open_dl = np.zeros(len(pr), dtype="int64")
    open_made[named] = open_cents_on(ledger, pos[named], made[named])
    open_dl[named] = open_cents_on(ledger, pos[named], deadline[named])
    amt = pr["promised_amount"].to_numpy(dtype="float64")
    need = np.where(np.isnan(amt), np.where(named, np.maximum(open_made, 1), 1), np.rint(np.nan_to_num(amt) * 100)).astype("int64")
    need = np.maximum(need, 1)
    paid = np.where(named, paid_inv, paid_cust)
    kept = (paid >= need) | (named & (open_dl <= 0))
    status = np.where(kept, "kept", np.where(deadline < today, "broken", "pending"))
    pr["paid_in_window"] = paid / 100.0
    pr["status"] = status
    return pr[cols]


def open_disputes(ledger: Ledger, as_of) -> pd.DataFrame:
    """Disputes open at ``as_of`` — :attr:`arkit.position.Position.disputes` (the activity log, or the
    invoices' ``disputed`` flag when the log records no dispute). age_days = as_of − opened date (NA from
    the flag); amount = the invoice's open amount at as_of (0 when settled or not named).
    Columns: customer_id, invoice_id, opened, age_days, amount.
    """
    from ..position import position

    return position(ledger, as_of).disputes[["customer_id", "invoice_id", "opened", "age_days", "amount"]]


#: Outcomes of a logged contact that are a reply from the customer.
ANSWERED = ("reached", "replied", "responded", "answered", "call_back", "callback")


def unanswered_contacts(ledger: Ledger, as_of, *, days: int = 90) -> pd.DataFrame:
    """Contacts without response in the last ``days`` days, judged on the invoice each names.

    Contacts: calls, letters and reminders dated in (as_of − days, as_of] whose outcome is one of
    :data:`UNANSWERED` (no answer, voicemail, no response, …). A contact is **answered** — and not counted
    — when after it (and by as_of) there was a response on *that invoice*: a payment applied to it, or a
    promise_to_pay or dispute_opened naming it; or a reply logged for the customer (an activity whose
    outcome is one of :data:`ANSWERED`, such as a call that reached them). A contact naming no invoice is
    answered by any payment or response of the customer.
    Columns: customer_id, unanswered_contacts, last_contact.
    """
    as_of = _ts(as_of)
    a = ledger.activities
    cols = ["customer_id", "unanswered_contacts", "last_contact"]
    if a.empty:
        return pd.DataFrame(columns=cols)
    known = a[a["date"] <= as_of]
    w = known[(known["date"] > as_of - pd.Timedelta(days=days)) & known["action"].isin(["call", "reminder", "letter", "demand_letter"])]
    w = w[w["outcome"].fillna("").str.lower().isin(UNANSWERED)]
    if w.empty:
        return pd.DataFrame(columns=cols)
    w = w.reset_index(drop=True).assign(_k=lambda x: x["invoice_id"].fillna("\x00"), _i=lambda x: np.arange(len(x)))
    # the latest response on each invoice and for each customer (payments, promises, disputes)
    pay = ledger.payments[ledger.payments["payment_date"] <= as_of]
    resp = known[known["action"].isin(["promise_to_pay", "dispute_opened"])][["customer_id", "invoice_id", "date"]]
    events = pd.concat([pay[["customer_id", "invoice_id", "payment_date"]].rename(columns={"payment_date": "date"}), resp], ignore_index=True)
    last_inv = events.dropna(subset=["invoice_id"]).groupby(["customer_id", "invoice_id"])["date"].max()
    last_cust = events.groupby("customer_id")["date"].max()
    replies = known[known["outcome"].fillna("").str.lower().isin(ANSWERED)].groupby("customer_id")["date"].max()
    idx = pd.MultiIndex.from_arrays([w["customer_id"], w["_k"]])
    def dates(s: pd.Series, keys) -> np.ndarray:  # reindex, not map: an empty datetime Series maps to floats
        if not len(s):
            return np.full(len(w), np.datetime64("NaT"), dtype="datetime64[ns]")
        return s.astype("datetime64[ns]").reindex(keys).to_numpy(dtype="datetime64[ns]")

    after_inv = dates(last_inv, idx)
    after_cust = dates(last_cust, w["customer_id"])
    after_reply = dates(replies, w["customer_id"])
    when = w["date"].to_numpy(dtype="datetime64[ns]")
    named = w["invoice_id"].notna().to_numpy()
    response = np.where(named, after_inv, after_cust)
    answered = (response > when) | (after_reply > when)
    g = w[~answered].groupby("customer_id").agg(unanswered_contacts=("date", "size"), last_contact=("date", "max"))
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
