"""The collections worklist: who needs which action next, from the escalation ladder in the policy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import Ledger


def ladder_for(policy: dict, segment: str) -> list[dict]:
    """The ladder steps that apply to a customer of ``segment``.

    Good customers slipping (``good_slipping``) and prompt payers get the gentle path: every step after
    the first overdue reminder ``gentle.delay_days`` later, and the steps in ``gentle.skip`` left out.
    Everyone else gets the ladder as configured.
    """
    steps = [dict(s) for s in policy["ladder"]]
    if segment in ("good_slipping", "prompt"):
        g = policy["gentle"]
        steps = [s for s in steps if s["step"] not in g["skip"]]
        for s in steps:
            if s["day"] > 1:
                s["day"] += g["delay_days"]
    return steps


#: An action logged up to this many days before a step's trigger day counts for that step.
TOLERANCE_DAYS = 3


def next_step(days_past_due: int, logged: dict[str, int], steps: list[dict]) -> dict | None:
    """The step due for a customer whose oldest open item is ``days_past_due`` days past due.

    The due step is the last step whose day has been reached (day ≤ days_past_due). ``logged`` maps each
    action to the day, relative to that item's due date, on which it was last logged. The step is done —
    and nothing is due — when its action, or the action of a later step, was logged on or after the step's
    own day less :data:`TOLERANCE_DAYS`; each step has its own window, so the reminder sent 3 days before
    the due date does not count as the overdue reminder due a day after it. Examples with the default
    ladder: 20 days past due → ``call`` (day 15); with a call logged on day 16 → None; with only a call on
    day 2 (before its window) → ``call``.
    """
    reached = [i for i, s in enumerate(steps) if s["day"] <= days_past_due]
    if not reached:
        return None
    i = reached[-1]
    since = steps[i]["day"] - TOLERANCE_DAYS
    if any(logged.get(s["action"], -(10**9)) >= since for s in steps[i:]):
        return None
    return steps[i]


def worklist(
    ledger: Ledger,
    as_of,
    *,
    policy: dict,
    segments: pd.DataFrame,
    plans: pd.DataFrame | None = None,
    position=None,
) -> pd.DataFrame:
    """One row per customer needing action at ``as_of``, highest expected recovery first.

    - Reference item: the customer's oldest open invoice with a positive balance (largest days past due);
      items due within 3 days count for the pre-due reminder (ladder days < 0).
    - Step: :func:`next_step` on that item's days past due with the segment's ladder (:func:`ladder_for`),
      given when each action was last logged for the customer, relative to that item's due date.
    - Credit hold: also due when open AR exceeds ``credit_hold.utilisation`` × credit limit and the
      customer is not already on hold (last credit_hold after the last credit_release).
    - Customers with a payment plan on track (``plans`` status ``on track``) are not dunned.
    - Past-due AR below ``worklist.min_past_due`` is left out unless the step is a pre-due reminder.
    - expected_recovery = past_due_amount × (1 − risk_score ÷ 100 × 0.8): a documented heuristic — the
      higher the risk of default, the less an action is expected to bring in. ``priority`` ranks by it.
    Columns: priority, customer_id, customer_name, email, segment, risk_score, step, action, letter,
    channel, owner, oldest_invoice, oldest_days_past_due, past_due_amount, open_amount, expected_recovery,
    reason.
    """
    as_of = pd.Timestamp(as_of).normalize()
    from ..position import position as _position

    P = position if position is not None else _position(ledger, as_of, buckets=policy["buckets"])
    items = P.items
    pos = items[items["dunnable"] & items["invoice_id"].notna()]
    pos = pos[pos["days_past_due"] >= -3]
    if pos.empty:
        return _empty()
    ref = pos.sort_values(["customer_id", "days_past_due"], ascending=[True, False], kind="stable").drop_duplicates("customer_id")
    ref = ref.set_index("customer_id")
    pc = P.customers.set_index("customer_id")
    past, openar, demand = pc["past_due"], pc["open_ar"], pc["amount_to_demand"]
    seg = segments.set_index("customer_id")
    act = ledger.activities[ledger.activities["date"] <= as_of]
    # the day (relative to the reference item's due date) each action was last logged, per customer
    a = act.merge(ref[["due_date"]].reset_index(), on="customer_id")
    a = a.assign(rel=(a["date"] - a["due_date"]).dt.days)
    last_rel = a.groupby(["customer_id", "action"])["rel"].max()
    logged = {cid: g.droplevel(0).to_dict() for cid, g in last_rel.groupby(level=0)}
    on_hold = _on_hold(act)
    on_plan = set()
    if plans is not None and len(plans):
        on_plan = set(plans.loc[plans["status"] == "on track", "customer_id"])
    cust = ledger.customers.drop_duplicates("customer_id", keep="last").set_index("customer_id") if len(ledger.customers) else None
    rows = []
    hold_rule = policy["credit_hold"]
    for cid, r in ref.iterrows():  # one iteration per customer with an open item, not per ledger row
        segment = seg["segment"].get(cid, "irregular") if "segment" in seg else "irregular"
        steps = ladder_for(policy, segment)
        step = next_step(int(r["days_past_due"]), logged.get(cid, {}), steps)
        util = seg["utilisation"].get(cid, np.nan) if "utilisation" in seg else np.nan
        reason = f"oldest invoice {r['invoice_id']} {int(r['days_past_due'])} days past due"
        if step is None and pd.notna(util) and util > hold_rule["utilisation"] and cid not in on_hold and segment not in ("good_slipping", "prompt"):
            step = next((s for s in steps if s["action"] == "credit_hold"), None)
            reason = f"open AR at {util:.0%} of the credit limit"
        if step is None or cid in on_plan:
            continue
        pd_amt = float(past.get(cid, 0.0))
        if step["day"] >= 0 and float(pc["dunnable_past_due"].get(cid, 0.0)) < policy["worklist"]["min_past_due"]:
            continue
        if step["action"] == "credit_hold" and cid in on_hold:
            continue
        risk = float(seg["risk_score"].get(cid, 0.0)) if "risk_score" in seg else 0.0
        rows.append(
            {
                "customer_id": cid,
                "customer_name": r["customer_name"],
                "email": cust["email"].get(cid) if cust is not None and "email" in cust else None,
                "segment": segment,
                "risk_score": risk,
                "step": step["step"],
                "action": step["action"],
                "letter": step.get("letter"),
                "channel": step.get("channel"),
                "owner": step.get("owner"),
                "oldest_invoice": r["invoice_id"],
                "oldest_days_past_due": int(r["days_past_due"]),
                "past_due_amount": round(pd_amt, 2),
                "open_amount": round(float(openar.get(cid, 0.0)), 2),
                "amount_to_demand": round(float(demand.get(cid, 0.0)), 2),
                "expected_recovery": round(max(pd_amt, 0.0) * (1 - risk / 100 * 0.8), 2),
                "reason": reason,
            }
        )
    if not rows:
        return _empty()
    out = pd.DataFrame(rows).sort_values(["expected_recovery", "past_due_amount"], ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out


_COLUMNS = [
    "priority", "customer_id", "customer_name", "email", "segment", "risk_score", "step", "action", "letter",
    "channel", "owner", "oldest_invoice", "oldest_days_past_due", "past_due_amount", "open_amount",
    "amount_to_demand", "expected_recovery", "reason",
]  # fmt: skip


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _COLUMNS})


def _on_hold(act: pd.DataFrame) -> set:
    """Customers whose last credit_hold is later than their last credit_release."""
    h = act[act["action"].isin(["credit_hold", "credit_release"])].sort_values("date", kind="stable")
    if h.empty:
        return set()
    last = h.groupby("customer_id")["action"].last()
    return set(last[last == "credit_hold"].index)
