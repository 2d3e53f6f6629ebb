"""Section 1 — the policy as configured: rules in words, targets, the escalation ladder, the terms in use."""

from __future__ import annotations

from ...columns import code_label

from pathlib import Path
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import prepared
from ...aging import bucket_labels
from ...model import Ledger
from ..display import esc, table, literal
from ..worklist import ladder_for
from ._common import _terms_labels
from .outcomes import QUARTER_FIGURES
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

def ladder_table(policy: dict) -> pd.DataFrame:
    """The escalation ladder as configured: one row per step — step, action, day (relative to the due date of
    the customer's oldest past-due invoice; negative = before due), owner, letter, channel — and
    ``gentle_day``, the step's day on the gentler path of good customers
    (:func:`~arkit.review.worklist.ladder_for` of a prompt payer; <NA> = skipped on that path)."""
    steps = pd.DataFrame([{k: s.get(k) for k in ("step", "action", "day", "owner", "letter", "channel")} for s in policy["ladder"]])
    gentle = {s["step"]: s["day"] for s in ladder_for(policy, "prompt")}
    steps["gentle_day"] = steps["step"].map(gentle).astype("Int64")
    return steps


def targets_table(policy: dict) -> pd.DataFrame:
    """The targets of ``policy.targets``: figure, label, unit, target, better ("lower"/"higher")."""
    labels = {**QUARTER_FIGURES, "dso": ("DSO, 3-month period", "days", "lower")}
    rows = []
    for k, v in policy.get("targets", {}).items():
        label, unit, better = labels.get(k, (k, "", None))
        if k == "pct_91_plus":
            label = f"Share of AR {bucket_labels(policy['buckets'])[-1]} days past due"
        rows.append({"figure": k, "label": label, "unit": unit, "target": float(v), "better": better})
    return pd.DataFrame(rows, columns=["figure", "label", "unit", "target", "better"])


def late_fee_setting(lf: dict) -> str:
    """The late fee in words: in force when its rate is above 0 — the formal and demand letters then tell
    customers that invoices past due beyond the grace are subject to it under the terms of trade — else none."""
    rate = float((lf or {}).get("rate_per_month", 0) or 0)
    if rate <= 0:
        return "None: the policy charges no late fee, and the letters mention none."
    g = int(lf.get("grace_days", 0) or 0)
    return f"In force: {rate * 100:g} % a month on balances past due, after {g} days' grace; the formal and demand letters tell customers overdue invoices are subject to it under the terms of trade."


def policy_settings(policy: dict) -> pd.DataFrame:
    """The rules of the policy in words, one row each: area, setting. Read from the policy dict only."""
    ch, lf, g = policy["credit_hold"], policy["late_fee"], policy["gentle"]
    gc, cl, wl = policy["good_customer"], policy["chronic_late"], policy["worklist"]
    rows = [
        ("Payment terms", "Not set in the policy file; the terms in use on the ledger are shown below."),
        ("Credit-limit rule", f"Credit hold when the oldest item is {ch['days_past_due']} days past due, or when open AR exceeds {ch['utilisation'] * 100:g} % of the credit limit."),
        ("Late fee", late_fee_setting(lf)),
        ("Gentle path", f"Prompt payers and good customers who slip: every step after the first overdue reminder {g['delay_days']} days later; skipped: {', '.join(code_label(x).lower() for x in g['skip']) or 'none'}."),
        ("Good customer", f"At least {gc['min_invoices']} invoices paid in {gc['lookback_months']} months, {gc['max_avg_days_late']:g} days late on average at most; slipping when an item is more than {gc['grace_days']} days past due."),
        ("Chronic late payer", f"At least {cl['min_share_late'] * 100:g} % of the invoices paid in {cl['lookback_months']} months more than {cl['late_days']} days late."),
        ("New customer", f"First invoice within {policy['new_customer_months']} months."),
        ("Worklist", f"Customers with less than {wl['min_past_due']:,.2f} past due are listed only for a pre-due reminder; letters give {wl['deadline_days']} days to pay."),
        ("Aging buckets", ", ".join(bucket_labels(policy["buckets"])) + " days past due."),
    ]
    return pd.DataFrame(rows, columns=["area", "setting"])



def terms_in_use(ledger: Ledger, start, end) -> pd.DataFrame:
    """Payment terms on the invoices (amount > 0) dated in [start, end]: one row per terms text (see
    :func:`_terms_labels`) with customers, invoices, sales (Σ amounts) and share_of_sales = sales ÷ Σ sales
    × 100; largest first."""
    inv = ledger.invoices
    m = (inv["amount"] > 0) & (inv["invoice_date"] >= pd.Timestamp(start)) & (inv["invoice_date"] <= pd.Timestamp(end))
    df = pd.DataFrame({"terms": _terms_labels(ledger)[m], "customer_id": inv.loc[m, "customer_id"], "cents": prepared(ledger).inv_cents[m.to_numpy()]})
    g = df.groupby("terms").agg(customers=("customer_id", "nunique"), invoices=("cents", "size"), cents=("cents", "sum"))
    total = g["cents"].sum()
    g["sales"] = g["cents"] / 100.0
    g["share_of_sales"] = g["cents"] / total * 100.0 if total else np.nan
    g = g.sort_values("cents", ascending=False, kind="stable").drop(columns="cents")
    return g.reset_index()



def section_policy(r: PolicyReview) -> list:
    """The policy as configured: rules in words, targets, the escalation ladder, and the terms in use."""
    settings = policy_settings(r.policy)
    targets = targets_table(r.policy)
    ladder = ladder_table(r.policy)
    terms = terms_in_use(r.ledger, r.start, r.end)
    r.book.add("policy", settings)
    r.book.add("targets", targets)
    r.book.add("ladder", ladder)
    r.book.add("terms in use", terms)
    src = Path(str(r.policy.get("_file", "config/policy.yaml"))).name
    out = [
        Markdown(f"Read from {literal(src)}."),
        table(settings.rename(columns={"area": "Area", "setting": "Rule"})),
        table(targets[["label", "unit", "target", "better"]].rename(columns={"label": "Figure", "unit": "Unit", "target": "Target", "better": "Better"}), days=["Target"], caption="Targets"),
        table(ladder.rename(columns={"step": "Step", "action": "Action", "day": "Day vs due date", "owner": "Owner", "letter": "Letter", "channel": "Channel", "gentle_day": "Day on the gentle path"}), caption="Escalation ladder (gentle path: prompt payers and good customers who slip; – = skipped)"),
    ]
    if terms.empty:
        out.append(Markdown("No invoice was issued in the quarter, so no terms are in use."))
    else:
        out.append(table(terms.rename(columns={"terms": "Terms", "customers": "Customers", "invoices": "Invoices", "sales": "Sales", "share_of_sales": "Share of sales"}), money=["Sales"], pct=["Share of sales"], caption=f"Payment terms on the invoices issued in {r.label}"))
    return out
