"""Customer segments and an explainable risk score.

A good customer who slips is treated differently from a chronic late payer: the segment decides which
path of the escalation ladder a customer is on (see :mod:`arkit.review.worklist`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import Ledger
from ..settlements import settlements
from .signals import customer_signals

SEGMENTS = ("at_risk", "new", "chronic_late", "good_slipping", "prompt", "irregular")
SEGMENT_LABELS = {
    "prompt": "Prompt payer",
    "good_slipping": "Good customer slipping",
    "chronic_late": "Chronic late payer",
    "new": "New customer",
    "at_risk": "At risk of default",
    "irregular": "Irregular payer",
}

#: Risk-score drivers: column → (points at most, description). Points add up to at most 100.
RISK_DRIVERS = {
    "pts_oldest_past_due": (30, "oldest item past due (full points at 120 days)"),
    "pts_past_due_share": (15, "share of open AR past due"),
    "pts_late_trend": (15, "paying later than before (full points at +30 days)"),
    "pts_broken_promises": (15, "broken promises to pay in 6 months (full points at 3)"),
    "pts_unanswered": (10, "contacts without response in 90 days (full points at 4)"),
    "pts_over_limit": (10, "open AR over the credit limit (full points at 150 % of the limit)"),
    "pts_new_past_due": (5, "new customer already past due"),
}


def risk_score(signals: pd.DataFrame, *, new_customer: pd.Series | None = None) -> pd.DataFrame:
    """An additive 0–100 risk-of-default score whose every point is explained.

    Points per driver (each capped; see :data:`RISK_DRIVERS`):
    - oldest past due: 30 × min(oldest_days_past_due ÷ 120, 1);
    - past-due share: 15 × past_due_ar ÷ open_ar (0 when open_ar ≤ 0, capped at 1);
    - late trend: 15 × clip(days_late_trend ÷ 30, 0, 1);
    - broken promises: 15 × min(promises_broken ÷ 3, 1);
    - unanswered contacts: 10 × min(unanswered_contacts ÷ 4, 1);
    - over limit: 10 × clip((utilisation − 1) ÷ 0.5, 0, 1);
    - new customer past due: 5 when the customer is new and has anything past due.
    Returns the signals frame with one ``pts_*`` column per driver, ``risk_score`` (rounded to 0.1) and
    ``risk_drivers`` (the drivers that gave points, largest first, as text).
    """
    s = signals.copy()
    share = np.where(s["open_ar"] > 0, (s["past_due_ar"] / s["open_ar"].where(s["open_ar"] > 0)).clip(0, 1), 0.0)
    s["pts_oldest_past_due"] = 30 * np.minimum(s["oldest_days_past_due"] / 120, 1.0)
    s["pts_past_due_share"] = 15 * np.nan_to_num(share)
    s["pts_late_trend"] = 15 * (s["days_late_trend"].fillna(0) / 30).clip(0, 1)
    s["pts_broken_promises"] = 15 * np.minimum(s["promises_broken"] / 3, 1.0)
    s["pts_unanswered"] = 10 * np.minimum(s["unanswered_contacts"] / 4, 1.0)
    s["pts_over_limit"] = 10 * ((s["utilisation"].astype("float64").fillna(0) - 1) / 0.5).clip(0, 1)
    newc = new_customer.reindex(s["customer_id"]).fillna(False).to_numpy(bool) if new_customer is not None else np.zeros(len(s), bool)
    s["pts_new_past_due"] = np.where(newc & (s["past_due_ar"] > 0), 5.0, 0.0)
    pts = s[list(RISK_DRIVERS)]
    s["risk_score"] = pts.sum(axis=1).round(1)
    # drivers as text: "oldest item past due 22.5, broken promises 10.0" (largest first)
    short = {c: d.split(" (")[0] for c, (_, d) in RISK_DRIVERS.items()}
    long = pts.round(1).stack()
    long = long[long > 0].rename("pts").reset_index()
    long.columns = ["row", "driver", "pts"]
    if long.empty:  # nobody has a single point
        s["risk_drivers"] = ""
        return s
    long = long.sort_values(["row", "pts"], ascending=[True, False], kind="stable")
    long["txt"] = long["driver"].astype(str).map(short) + " " + long["pts"].map("{:.1f}".format)
    s["risk_drivers"] = long.groupby("row")["txt"].agg(", ".join).reindex(s.index).fillna("")
    return s


def payment_history(ledger: Ledger, as_of, *, lookback_months: int, late_days: int) -> pd.DataFrame:
    """Per customer over the lookback (settled in (as_of − lookback_months, as_of]): settled invoices,
    average signed days late, and share settled more than ``late_days`` late.
    Columns: customer_id, settled, avg_days_late, share_late."""
    as_of = pd.Timestamp(as_of).normalize()
    s = settlements(ledger)
    s = s[(s["settled_date"] <= as_of) & (s["settled_date"] > as_of - pd.DateOffset(months=lookback_months))]
    g = s.assign(late=s["days_late"] > late_days).groupby("customer_id").agg(settled=("days_late", "size"), avg_days_late=("days_late", "mean"), share_late=("late", "mean"))
    return g.reset_index()


def segment_customers(ledger: Ledger, as_of, *, policy: dict, at_risk_score: float = 50.0, signals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each customer's segment, with the evidence and the risk score.

    Rules, first match wins (thresholds from the policy):
    1. ``at_risk`` — risk_score ≥ ``at_risk_score``, or anything more than 90 days past due;
    2. ``new`` — first invoice within ``new_customer_months`` of as_of;
    3. ``chronic_late`` — over ``chronic_late.lookback_months``, at least ``good_customer.min_invoices``
       settled and a share ≥ ``chronic_late.min_share_late`` of them settled more than
       ``chronic_late.late_days`` late;
    4. ``good_slipping`` — a good history (≥ ``good_customer.min_invoices`` settled over
       ``good_customer.lookback_months`` with average days late ≤ ``good_customer.max_avg_days_late``)
       and now an item more than ``good_customer.grace_days`` past due;
    5. ``prompt`` — a good history and nothing past due beyond the grace days;
    6. ``irregular`` — everyone else (too little history, or late but not chronically).
    Columns: the :func:`~arkit.review.signals.customer_signals` columns, first_invoice, settled,
    avg_days_late, share_late, the risk columns of :func:`risk_score`, segment, segment_label, reason.
    """
    as_of = pd.Timestamp(as_of).normalize()
    sig = signals if signals is not None else customer_signals(ledger, as_of)
    inv = ledger.invoices[ledger.invoices["invoice_date"] <= as_of]
    first = inv.groupby("customer_id")["invoice_date"].min()
    gc, cl = policy["good_customer"], policy["chronic_late"]
    good_h = payment_history(ledger, as_of, lookback_months=gc["lookback_months"], late_days=cl["late_days"]).set_index("customer_id")
    chron_h = good_h if cl["lookback_months"] == gc["lookback_months"] else payment_history(ledger, as_of, lookback_months=cl["lookback_months"], late_days=cl["late_days"]).set_index("customer_id")
    is_new = first > as_of - pd.DateOffset(months=policy["new_customer_months"])
    s = risk_score(sig, new_customer=is_new)
    s["first_invoice"] = s["customer_id"].map(first)
    s = s.join(good_h[["settled", "avg_days_late"]], on="customer_id").join(chron_h[["share_late"]], on="customer_id")
    s["settled"] = s["settled"].fillna(0).astype("int64")
    new = s["customer_id"].map(is_new).fillna(False).astype(bool).to_numpy()
    enough = s["settled"] >= gc["min_invoices"]
    chronic = enough & (s["share_late"] >= cl["min_share_late"])
    good = enough & (s["avg_days_late"] <= gc["max_avg_days_late"])
    slipping = s["oldest_days_past_due"] > gc["grace_days"]
    at_risk = (s["risk_score"] >= at_risk_score) | (s["oldest_days_past_due"] > 90)
    conds = [at_risk, new, chronic, good & slipping, good & ~slipping]
    s["segment"] = np.select(conds, ["at_risk", "new", "chronic_late", "good_slipping", "prompt"], default="irregular")
    s["segment_label"] = s["segment"].map(SEGMENT_LABELS)
    days = s["oldest_days_past_due"].astype(str)
    avg = _late_words(s["avg_days_late"])  # "2.4 days late", "4.8 days early", "on the due date"
    share = (s["share_late"] * 100).round(0).astype(str)
    paid = _invoices(s["settled"])  # "1 invoice", "12 invoices"
    reasons = [
        "risk score " + s["risk_score"].astype(str) + "; oldest item " + days + " days past due",
        "first invoice " + s["first_invoice"].dt.strftime("%Y-%m-%d").fillna(""),
        share.str.replace(r"\.0$", "", regex=True) + " % of " + paid + " paid > " + str(cl["late_days"]) + " days late",
        "usually pays " + avg + " on average; now " + days + " days past due",
        paid + " paid, " + avg + " on average",
    ]
    # irregular: say which rule it missed — too little history, or late but not chronically
    little = "too little history: " + paid + " paid in " + str(gc["lookback_months"]) + " months (a good customer needs " + str(gc["min_invoices"]) + ")"
    late = paid + " paid, " + avg + " on average (a good customer " + f"{gc['max_avg_days_late']:g}" + " at most); " + share.str.replace(r"\.0$", "", regex=True) + " % more than " + str(cl["late_days"]) + " days late (chronic from " + f"{cl['min_share_late'] * 100:g}" + " %)"
    s["reason"] = np.select(conds, reasons, default=np.where(enough, late, little))
    return s


def _late_words(avg: pd.Series) -> pd.Series:
    """Average signed days late in words, to one decimal: "2.4 days late", "4.8 days early", "on the due
    date" (never "-4.8 days late")."""
    r = avg.astype("float64").round(1)
    a = r.abs().map(lambda v: f"{v:.1f}" if pd.notna(v) else "")
    return pd.Series(np.select([r > 0, r < 0], [a + " days late", a + " days early"], "on the due date"), index=avg.index)


def _invoices(n: pd.Series) -> pd.Series:
    """A count of invoices in words: "1 invoice", "12 invoices"."""
    k = n.fillna(0).astype("int64")
    return k.astype(str) + np.where(k == 1, " invoice", " invoices")
