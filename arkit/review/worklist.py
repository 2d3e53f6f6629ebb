"""The collections worklist: who needs which action next, from the escalation ladder in the policy."""

from __future__ import annotations

from ..columns import code_label

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

#: Actions whose log rows count as ladder steps done.
_NEVER = -(10**9)


def path_for(steps: list[dict], days_past_due: int) -> list[dict]:
    """The part of a ladder an item can still be on: the steps before or on the due date (day ≤ 0) while
    it is not yet past due, the steps after it (day > 0) once it is. A pre-due reminder is moot once the
    invoice is overdue, so an overdue item never starts there."""
    return [s for s in steps if (s["day"] <= 0) == (days_past_due <= 0)]


def next_step(days_past_due: int, logged: dict[str, int], steps: list[dict], *, days_since_last_step: int | None = None, min_gap: int = 0, on_hold: bool = False) -> dict | None:
    """The ladder step due for one item ``days_past_due`` days past due, or None.

    ``logged`` maps each action to the latest day, relative to the item's due date, on which it was
    logged for this invoice (or for the customer without an invoice); ``steps`` is the customer's ladder
    (:func:`ladder_for`). On the item's path (:func:`path_for`):

    - step j is **done** when its action was logged on or after its own day less
      :data:`TOLERANCE_DAYS` (each step has its own window: the reminder sent 3 days before the due date
      is not the overdue reminder due a day after it); a credit_hold step is done while the customer is
      ``on_hold``;
    - the **next step** is the one right after the furthest step done — the first step when none is done —
      so the ladder never skips a step and never goes back to one passed over;
    - it is **due** once its day has come (day ≤ days_past_due) and at least ``min_gap`` days have passed
      since the last step done (``days_since_last_step``; None = nothing done).

    Examples with the default ladder: 20 days past due, nothing logged → ``reminder_overdue``; reminder on
    day 1 → ``call`` (day 15); 70 days past due with only a call on day 16 → ``formal_letter`` (never the
    demand letter its age would reach).
    """
    path = path_for(steps, days_past_due)
    if not path:
        return None
    furthest = -1
    for j, s in enumerate(path):
        if (s["action"] == "credit_hold" and on_hold) or logged.get(s["action"], _NEVER) >= s["day"] - TOLERANCE_DAYS:
            furthest = j
    if furthest + 1 >= len(path):
        return None
    step = path[furthest + 1]
    if step["day"] > days_past_due:
        return None
    if furthest >= 0 and days_since_last_step is not None and days_since_last_step < min_gap:
        return None
    return step


def ladder_state(ledger: Ledger, as_of, *, policy: dict, segments: pd.DataFrame, position=None) -> pd.DataFrame:
    """Where every dunnable item stands on its ladder at ``as_of`` (vectorised :func:`next_step`).

    Items: the position's debit items that are not in open dispute (policy ``disputes: pause``) and not
    written off, due within 3 days or past due. For each: the customer's ladder (:func:`ladder_for` of its
    segment), the path (:func:`path_for`), the steps done from the activity log (rows dated ≤ as_of naming
    the invoice, or the customer without an invoice), the last step done and its date, and the next step
    with whether it is due (its day has come and ``min_days_between_steps`` have passed since the last
    step done).
    Columns: customer_id, invoice_id, days_past_due, open_amount, segment, last_done (step name or NA),
    last_done_index (position on the path, −1 = none), last_done_date, next (step name or NA),
    next_index (−1 = none), due (bool), last_logged / last_logged_date (the latest ladder action logged
    for the item, whether or not it counts as a step of its path — a reminder sent before the due date is
    the before-due reminder, not the overdue one; NA when none).
    """
    as_of = pd.Timestamp(as_of).normalize()
    from ..position import position as _position

    P = position if position is not None else _position(ledger, as_of, buckets=policy["buckets"])
    it = P.items
    keep = it["dunnable"] | (it["disputed"] & ~it["written_off"]) if policy.get("disputes", "pause") == "ignore" else it["dunnable"]
    it = it[keep & it["invoice_id"].notna() & (it["days_past_due"] >= -3)].reset_index(drop=True)
    cols = ["customer_id", "invoice_id", "days_past_due", "open_amount", "segment", "last_done", "last_done_index", "last_done_date", "next", "next_index", "due", "last_logged", "last_logged_date"]
    if it.empty:
        types = {"days_past_due": "int64", "open_amount": "float64", "last_done_index": "int64", "last_done_date": "datetime64[ns]", "next_index": "int64", "due": "bool", "last_logged_date": "datetime64[ns]"}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in cols})
    seg = segments.set_index("customer_id")["segment"] if "segment" in segments else pd.Series(dtype="str")
    it["segment"] = it["customer_id"].map(seg).fillna("irregular").astype("str")
    gentle = it["segment"].isin(["good_slipping", "prompt"]).to_numpy()
    act_all = ledger.activities
    act_all = act_all[(act_all["date"] <= as_of)] if len(act_all) else act_all
    ladder_actions = {s["action"] for s in policy["ladder"]}
    act = act_all[act_all["action"].isin(ladder_actions)] if len(act_all) else act_all
    # latest log day (relative to the item's due date) and date of each action, per item
    n = len(it)
    item_key = pd.DataFrame({"customer_id": it["customer_id"], "invoice_id": it["invoice_id"], "_i": np.arange(n), "_due": it["due_date"]})
    parts = []
    if len(act):
        named = act[act["invoice_id"].notna()][["customer_id", "invoice_id", "action", "date"]]
        parts.append(named.merge(item_key, on=["customer_id", "invoice_id"]))
        loose = act[act["invoice_id"].isna()][["customer_id", "action", "date"]]
        if len(loose):
            parts.append(loose.merge(item_key, on="customer_id"))
    actions = sorted(ladder_actions)
    a_pos = {a: k for k, a in enumerate(actions)}
    rel_max = np.full((n, len(actions)), _NEVER, dtype="int64")
    date_max = np.full((n, len(actions)), np.datetime64("NaT"), dtype="datetime64[ns]")
    if parts:
        pr = pd.concat(parts, ignore_index=True)
        if len(pr):
            pr["_rel"] = (pr["date"] - pr["_due"]).dt.days.astype("int64")
            g = pr.groupby(["_i", "action"]).agg(rel=("_rel", "max"), date=("date", "max")).reset_index()
            ai = g["action"].map(a_pos).to_numpy()
            rel_max[g["_i"].to_numpy(), ai] = g["rel"].to_numpy()
            date_max[g["_i"].to_numpy(), ai] = g["date"].to_numpy()
    # the latest ladder action logged for the item, whatever path it counted for (a reminder logged
    # before the due date is the before-due reminder, not the overdue one)
    any_logged = ~np.isnat(date_max)
    last_any_k = np.where(any_logged, date_max, np.datetime64("1677-09-22", "ns")).argmax(axis=1)
    last_any_date = date_max[np.arange(n), last_any_k]
    last_any_action = np.where(np.isnat(last_any_date), None, np.array(actions, dtype=object)[last_any_k])
    on_hold = it["customer_id"].isin(_on_hold(act_all) if len(act_all) else set()).to_numpy()
    hold_date = _hold_dates(act_all)
    dpd = it["days_past_due"].to_numpy(dtype="int64")
    gap = int(policy.get("min_days_between_steps", 0) or 0)
    out_last = np.full(n, -1, dtype="int64")
    out_last_name = np.full(n, None, dtype=object)
    out_last_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    out_next = np.full(n, -1, dtype="int64")
    out_next_name = np.full(n, None, dtype=object)
    out_due = np.zeros(n, dtype=bool)
    hold_d = it["customer_id"].map(hold_date).to_numpy(dtype="datetime64[ns]") if len(hold_date) else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    as_of64 = np.datetime64(as_of.to_datetime64(), "ns")
    for is_gentle in (False, True):
        steps = ladder_for(policy, "prompt" if is_gentle else "chronic_late")
        for before_due in (True, False):
            sel = np.flatnonzero((gentle == is_gentle) & ((dpd <= 0) == before_due))
            if not len(sel):
                continue
            path = [s for s in steps if (s["day"] <= 0) == before_due]
            if not path:
                continue
            furthest = np.full(len(sel), -1, dtype="int64")
            last_date = np.full(len(sel), np.datetime64("NaT"), dtype="datetime64[ns]")
            for j, s in enumerate(path):
                k = a_pos[s["action"]]
                done = rel_max[sel, k] >= s["day"] - TOLERANCE_DAYS
                d = date_max[sel, k]
                if s["action"] == "credit_hold":
                    done = done | on_hold[sel]
                    d = np.where(on_hold[sel] & np.isnat(d), hold_d[sel], d)
                furthest = np.where(done, j, furthest)
                last_date = np.where(done, d, last_date)
            nxt = furthest + 1
            has_next = nxt < len(path)
            day_next = np.array([s["day"] for s in path] + [10**9], dtype="int64")[np.minimum(nxt, len(path))]
            since = (as_of64 - last_date).astype("timedelta64[D]").astype("int64")
            gap_ok = (furthest < 0) | np.isnat(last_date) | (since >= gap)
            due = has_next & (day_next <= dpd[sel]) & gap_ok
            names = np.array([s["step"] for s in path] + [None], dtype=object)
            out_last[sel] = furthest
            out_last_name[sel] = np.where(furthest >= 0, names[np.maximum(furthest, 0)], None)
            out_last_date[sel] = last_date
            out_next[sel] = np.where(has_next, nxt, -1)
            out_next_name[sel] = np.where(has_next, names[np.minimum(nxt, len(path))], None)
            out_due[sel] = due
    return pd.DataFrame(
        {
            "customer_id": it["customer_id"].to_numpy(),
            "invoice_id": it["invoice_id"].to_numpy(),
            "days_past_due": dpd,
            "open_amount": it["open_amount"].to_numpy(),
            "segment": it["segment"].to_numpy(),
            "last_done": pd.Series(out_last_name, dtype="str").to_numpy(),
            "last_done_index": out_last,
            "last_done_date": out_last_date,
            "next": pd.Series(out_next_name, dtype="str").to_numpy(),
            "next_index": out_next,
            "due": out_due,
            "last_logged": pd.Series(last_any_action, dtype="str").to_numpy(),
            "last_logged_date": last_any_date,
        }
    )


def _hold_dates(act: pd.DataFrame) -> pd.Series:
    """Date of the last credit_hold of customers currently on hold."""
    if act is None or not len(act):
        return pd.Series(dtype="datetime64[ns]")
    h = act[act["action"].isin(["credit_hold", "credit_release"])].sort_values("date", kind="stable")
    if h.empty:
        return pd.Series(dtype="datetime64[ns]")
    last = h.groupby("customer_id").agg(action=("action", "last"), date=("date", "last"))
    return last.loc[last["action"] == "credit_hold", "date"]


def worklist(
    ledger: Ledger,
    as_of,
    *,
    policy: dict,
    segments: pd.DataFrame,
    plans: pd.DataFrame | None = None,
    position=None,
) -> pd.DataFrame:
    """The collections worklist at ``as_of``: one dunning row per customer with a ladder step due, one
    "resolve dispute" row per open dispute; largest expected loss avoided first.

    - Dunning: :func:`ladder_state` gives each dunnable item (not in open dispute — policy
      ``disputes: pause`` — and not written off) its next step and whether it is due; the customer's row
      takes its most advanced due step (an overdue step before a pre-due reminder; ties: the oldest item). So a customer whose past due is all in
      dispute or written off is not dunned or escalated, and no step skips one not yet done.
    - Credit hold: also due when open AR exceeds ``credit_hold.utilisation`` × credit limit, no ladder step
      is due and the customer is not already on hold (last credit_hold after the last credit_release);
      not for good customers slipping or prompt payers.
    - Customers with a payment plan on track (``plans`` status ``on track``) are not dunned.
    - A dunning row needs dunnable past due ≥ ``worklist.min_past_due`` unless the step is a pre-due
      reminder, and an amount to demand > 0 (credits on account that cover what is due are applied, not
      dunned).
    - Disputes: one row per dispute open at as_of (:attr:`arkit.position.Position.disputes`), step
      ``resolve_dispute``, owner ``worklist.dispute_owner``, with its age and amount.
    - amount_to_demand: what the letter asks for (:attr:`~arkit.position.Position.customers`);
      past_due_amount: the customer's past due (gross), the same as every table of the review.
    - probability_of_loss = risk_score ÷ 100 (the explainable risk score of :mod:`.segments`, read as a
      probability: an assumption, not a fitted model); amount_at_stake = dunnable past due (dunning rows;
      the amount to demand for a pre-due reminder) or the disputed amount (dispute rows);
      **expected_loss_avoided = amount_at_stake × probability_of_loss**. ``priority`` ranks by it, largest
      first; ties by oldest_days_past_due, oldest first.
    Columns: see :data:`WORKLIST_COLUMNS`.
    """
    as_of = pd.Timestamp(as_of).normalize()
    from ..position import position as _position

    P = position if position is not None else _position(ledger, as_of, buckets=policy["buckets"])
    pc = P.customers.set_index("customer_id")
    pc["_dunnable_past_due"], pc["_demand"] = _dunning_amounts(P, pc, policy)
    seg = segments.set_index("customer_id")
    st = ladder_state(ledger, as_of, policy=policy, segments=segments, position=P)
    act = ledger.activities[ledger.activities["date"] <= as_of] if len(ledger.activities) else ledger.activities
    on_hold = _on_hold(act) if len(act) else set()
    on_plan = set(plans.loc[plans["status"] == "on track", "customer_id"]) if plans is not None and len(plans) else set()
    cust = ledger.customers.drop_duplicates("customer_id", keep="last").set_index("customer_id") if len(ledger.customers) else None
    steps_by_name = {s["step"]: s for s in policy["ladder"]}
    dunning = _dunning_rows(st, pc, seg, on_hold, on_plan, policy, steps_by_name)
    rows = [dunning, _dispute_rows(P, pc, seg, policy)]
    out = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else pd.DataFrame()
    if out.empty:
        return _empty()
    out["customer_name"] = out["customer_id"].map(pc["customer_name"]).astype("str")
    out["email"] = out["customer_id"].map(cust["email"]) if cust is not None and "email" in cust else None
    out["past_due_amount"] = out["customer_id"].map(pc["past_due"]).fillna(0.0).round(2)
    out["open_amount"] = out["customer_id"].map(pc["open_ar"]).fillna(0.0).round(2)
    out["dispute_age_days"] = pd.to_numeric(out["dispute_age_days"], errors="coerce").astype("float64")
    for c in ("amount_to_demand", "disputed_amount", "amount_at_stake"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["oldest_days_past_due"] = out["oldest_days_past_due"].astype("int64")
    out["on_credit_hold"] = out["customer_id"].isin(on_hold)
    out["risk_score"] = out["customer_id"].map(seg["risk_score"]).fillna(0.0).astype("float64") if "risk_score" in seg else 0.0
    out["probability_of_loss"] = (out["risk_score"] / 100.0).clip(0, 1)
    out["expected_loss_avoided"] = (out["amount_at_stake"].clip(lower=0) * out["probability_of_loss"]).round(2)
    out = out.sort_values(["expected_loss_avoided", "oldest_days_past_due", "customer_id"], ascending=[False, False, True], kind="stable").reset_index(drop=True)
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out[WORKLIST_COLUMNS]


def _dunning_amounts(P, pc: pd.DataFrame, policy: dict) -> tuple[pd.Series, pd.Series]:
    """(dunnable past due, amount to demand) per customer of position ``P`` (``pc``: its customers by id):
    the disputed past due counts too when the policy says ``disputes: ignore``."""
    ignore = policy.get("disputes", "pause") == "ignore"
    return pc["dunnable_past_due"] + (pc["disputed_past_due"] if ignore else 0.0), P.demand(include_disputed=ignore)


def _dunning_rows(st, pc, seg, on_hold, on_plan, policy, steps_by_name) -> pd.DataFrame:
    """One row per customer with a ladder step due (or a credit-limit hold)."""
    hold_rule = policy["credit_hold"]
    due = st[st["due"]] if len(st) else st
    recs = []
    if len(due):
        # the customer's most advanced due step: overdue steps before a pre-due reminder, then the step
        # furthest along its path, then the oldest item
        due = due.assign(_over=due["days_past_due"] > 0)
        best = due.sort_values(["customer_id", "_over", "next_index", "days_past_due"], ascending=[True, False, False, False], kind="stable").drop_duplicates("customer_id")
        for r in best.itertuples(index=False):  # one iteration per customer with a step due, not per ledger row
            cid = r.customer_id
            if cid in on_plan:
                continue
            step = steps_by_name[r.next]
            if step["day"] > 0 and float(pc["_dunnable_past_due"].get(cid, 0.0)) < policy["worklist"]["min_past_due"]:
                continue
            if step["day"] <= 0 and float(pc["_dunnable_past_due"].get(cid, 0.0)) > 0:
                continue  # already on the overdue ladder, whose next step is not due yet: no courtesy reminder
                # (its letter would ask for the overdue invoices under a "before due" heading)
            if step["action"] == "credit_hold" and cid in on_hold:
                continue
            if float(pc["_demand"].get(cid, 0.0)) <= 0:
                continue  # credits on account cover what is due: apply them, there is nothing to demand
            last = _last_phrase(r, policy)
            recs.append(_row(cid, step, r.segment, r.invoice_id, int(r.days_past_due), pc, f"invoice {r.invoice_id} {due_phrase(int(r.days_past_due))}; {last}", "ladder"))
    done = {x["customer_id"] for x in recs}
    hold = next((s for s in policy["ladder"] if s["action"] == "credit_hold"), None)
    if hold is not None and "utilisation" in seg:
        util = seg["utilisation"].astype("float64")
        over = util[util > hold_rule["utilisation"]].index
        for cid in over:
            segment = seg["segment"].get(cid, "irregular") if "segment" in seg else "irregular"
            if cid in done or cid in on_hold or cid in on_plan or segment in ("good_slipping", "prompt") or cid not in pc.index:
                continue
            if float(pc["_dunnable_past_due"].get(cid, 0.0)) + float(pc["dunnable_current"].get(cid, 0.0)) <= 0:
                continue
            recs.append(_row(cid, hold, segment, pc["oldest_invoice"].get(cid), int(pc["oldest_days_past_due"].get(cid, 0)), pc, f"open AR at {util[cid]:.0%} of the credit limit", "credit limit"))
    return pd.DataFrame(recs)


def _last_phrase(r, policy) -> str:
    """What the log holds for the row's invoice: the last step of its path done, else the latest ladder
    action logged for it that did not count (a before-due reminder for an overdue invoice), else nothing."""
    if r.last_done_index >= 0 and pd.notna(r.last_done_date):
        return f"last step done: {code_label(r.last_done, policy).lower()} on {pd.Timestamp(r.last_done_date):%Y-%m-%d}"
    if pd.notna(r.last_logged_date) and isinstance(r.last_logged, str):
        when = "before the due date: the before-due step, not an overdue one" if r.days_past_due > 0 else "too early to count for this step"
        return f"no {'overdue' if r.days_past_due > 0 else 'before-due'} step done yet ({code_label(r.last_logged, policy).lower()} logged for it on {pd.Timestamp(r.last_logged_date):%Y-%m-%d}, {when})"
    return "no step logged for this invoice yet"


def due_phrase(days_past_due: int) -> str:
    """An item's days past due in words: "12 days past due", "1 day past due", "due today", "due in 2
    days" (a before-due step names an item not yet due)."""
    d = int(days_past_due)
    if d > 0:
        return f"{d} day{'s' if d != 1 else ''} past due"
    if d == 0:
        return "due today"
    return f"due in {-d} day{'s' if d != -1 else ''}"


def _row(cid, step, segment, invoice, dpd, pc, reason, trigger) -> dict:
    demand = float(pc["_demand"].get(cid, 0.0))
    return {
        "customer_id": cid, "segment": segment, "step": step["step"], "action": step["action"], "letter": step.get("letter"),
        "channel": step.get("channel"), "owner": step.get("owner"), "trigger": trigger, "oldest_invoice": invoice,
        "oldest_days_past_due": dpd, "amount_to_demand": round(demand, 2), "disputed_amount": 0.0, "dispute_age_days": pd.NA,
        "amount_at_stake": round(demand, 2), "reason": reason,
    }  # fmt: skip


def _dispute_rows(P, pc, seg, policy) -> pd.DataFrame:
    """One "resolve dispute" row per open dispute (none when the policy says ``disputes: ignore``)."""
    d = P.disputes
    if policy.get("disputes", "pause") != "pause" or d.empty:
        return pd.DataFrame()
    items = P.items.dropna(subset=["invoice_id"]).drop_duplicates(["customer_id", "invoice_id"]).set_index(["customer_id", "invoice_id"])["days_past_due"]
    idx = pd.MultiIndex.from_arrays([d["customer_id"], d["invoice_id"].fillna("\x00")])
    dpd = items.reindex(idx).fillna(0).astype("int64").to_numpy()
    owner = policy["worklist"].get("dispute_owner", "collector")
    since = d["opened"].dt.strftime("%Y-%m-%d")
    what = np.where(d["invoice_id"].notna(), "invoice " + d["invoice_id"].fillna("").astype("str"), "the account (no invoice named)")
    age = np.where(d["age_days"].notna(), " since " + since.fillna("") + " (" + d["age_days"].astype("str") + " days)", " (flagged in the export; age unknown)")
    return pd.DataFrame(
        {
            "customer_id": d["customer_id"].to_numpy(),
            "segment": d["customer_id"].map(seg["segment"]).fillna("irregular").to_numpy() if "segment" in seg else "irregular",
            "step": "resolve_dispute",
            "action": "dispute_resolved",
            "letter": None,
            "channel": None,
            "owner": owner,
            "trigger": "dispute",
            "oldest_invoice": d["invoice_id"].to_numpy(),
            "oldest_days_past_due": dpd,
            "amount_to_demand": 0.0,
            "disputed_amount": d["amount"].to_numpy(),
            "dispute_age_days": d["age_days"].to_numpy(),
            "amount_at_stake": d["amount"].to_numpy(),
            "reason": pd.Series(what + " in dispute" + age + ": resolve it; dunning on it is paused", dtype="str").to_numpy(),
        }
    )


WORKLIST_COLUMNS = [
    "priority", "customer_id", "customer_name", "email", "segment", "risk_score", "step", "action", "letter",
    "channel", "owner", "trigger", "on_credit_hold", "oldest_invoice", "oldest_days_past_due", "past_due_amount", "open_amount",
    "amount_to_demand", "disputed_amount", "dispute_age_days", "amount_at_stake", "probability_of_loss",
    "expected_loss_avoided", "reason",
]  # fmt: skip
_COLUMNS = WORKLIST_COLUMNS


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _COLUMNS})


def _on_hold(act: pd.DataFrame) -> set:
    """Customers whose last credit_hold is later than their last credit_release."""
    h = act[act["action"].isin(["credit_hold", "credit_release"])].sort_values("date", kind="stable")
    if h.empty:
        return set()
    last = h.groupby("customer_id")["action"].last()
    return set(last[last == "credit_hold"].index)


def not_on_worklist(ledger: Ledger, as_of, *, policy: dict, segments: pd.DataFrame, worklist: pd.DataFrame, plans: pd.DataFrame | None = None, position=None) -> pd.DataFrame:
    """Customers with dunnable past due, or open AR over the credit limit, who have no dunning row on
    ``worklist`` this month, and why — so a collector sees that they were looked at.

    Reasons, first that applies: a payment plan on track; credits on account cover the past due (apply
    them); dunnable past due below ``worklist.min_past_due``; otherwise the ladder: for the customer's item
    whose next step comes first, that step and the date it falls due — **next date = max(as_of + (step
    day − days past due), last step done + min_days_between_steps)** — naming the credit hold already in
    force (it counts as the credit-hold step) or the minimum gap when that is what holds the step back;
    "every step done" when no item has one left. Over the credit limit without a hold row: good
    customers slipping and prompt payers get no credit hold (policy ``gentle.skip``), or the customer is
    already on hold. Columns: customer_id, customer_name, past_due_amount, utilisation, reason; largest
    past due first.
    """
    as_of = pd.Timestamp(as_of).normalize()
    from ..position import position as _position

    P = position if position is not None else _position(ledger, as_of, buckets=policy["buckets"])
    pc = P.customers.set_index("customer_id")
    dun, demand = _dunning_amounts(P, pc, policy)
    seg = segments.set_index("customer_id") if len(segments) else pd.DataFrame()
    util = seg["utilisation"].astype("float64").reindex(pc.index) if "utilisation" in seg else pd.Series(np.nan, index=pc.index)
    over = util > policy["credit_hold"]["utilisation"]
    worked = set(worklist.loc[worklist["step"] != "resolve_dispute", "customer_id"]) if len(worklist) else set()
    cand = pc.index[((dun > 0) | over) & ~pc.index.isin(worked)]
    cols = ["customer_id", "customer_name", "past_due_amount", "utilisation", "reason"]
    if not len(cand):
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("past_due_amount", "utilisation") else "str") for c in cols})
    act = ledger.activities[ledger.activities["date"] <= as_of] if len(ledger.activities) else ledger.activities
    on_hold = _on_hold(act) if len(act) else set()
    hold_d = _hold_dates(act)
    on_plan = set(plans.loc[plans["status"] == "on track", "customer_id"]) if plans is not None and len(plans) else set()
    # the ladder: each item's next step and the date it can fire
    st = ladder_state(ledger, as_of, policy=policy, segments=segments, position=P)
    st = st[st["customer_id"].isin(cand) & (st["days_past_due"] > 0)]
    gap = int(policy.get("min_days_between_steps", 0) or 0)
    gentle = st["segment"].isin(["good_slipping", "prompt"]).to_numpy()
    day_of = {g: {s["step"]: s["day"] for s in ladder_for(policy, "prompt" if g else "chronic_late")} for g in (False, True)}
    step_day = np.where(gentle, st["next"].map(day_of[True]), st["next"].map(day_of[False])).astype("float64")
    by_day = as_of + pd.to_timedelta(step_day - st["days_past_due"].to_numpy(), unit="D")
    by_gap = pd.Series(st["last_done_date"].to_numpy(), index=st.index) + pd.Timedelta(days=gap)
    fire = pd.Series(np.where(by_gap.notna() & (by_gap.to_numpy() > by_day.to_numpy()), by_gap.to_numpy(), by_day.to_numpy()), index=st.index)
    st = st.assign(_fire=fire, _gap_held=by_gap.notna().to_numpy() & (by_gap.to_numpy() > by_day.to_numpy()))
    has = st[st["next"].notna() & st["_fire"].notna()]
    first = has.sort_values(["customer_id", "_fire", "days_past_due"], ascending=[True, True, False], kind="stable").drop_duplicates("customer_id").set_index("customer_id")
    ids = pd.Index(cand)
    nxt = first.reindex(ids)
    label = nxt["next"].map(lambda v: code_label(v, policy).lower() if isinstance(v, str) else "")  # one per customer
    ladder_txt = (
        "next step " + label + " for " + nxt["invoice_id"].fillna("").astype("str") + " ("
        + nxt["days_past_due"].fillna(0).astype("int64").astype("str") + " days past due) on "
        + pd.to_datetime(nxt["_fire"]).dt.strftime("%Y-%m-%d").fillna("")
    )
    gap_txt = np.where(nxt["_gap_held"].fillna(False).astype(bool), f" ({gap} days after the last step, " + nxt["last_done"].fillna("").astype("str").map(lambda v: code_label(v, policy).lower() if v else v) + " on " + pd.to_datetime(nxt["last_done_date"]).dt.strftime("%Y-%m-%d").fillna("") + ")", "")
    held = ids.isin(on_hold)
    hold_txt = np.where(held, "; on credit hold since " + pd.to_datetime(pd.Series(ids.map(hold_d) if len(hold_d) else pd.NaT, index=ids)).dt.strftime("%Y-%m-%d").fillna("?") + " (the hold counts as the credit-hold step)", "")
    segment = seg["segment"].reindex(ids).fillna("irregular").astype("str") if "segment" in seg else pd.Series("irregular", index=ids)
    u = util.reindex(ids)
    is_over = over.reindex(ids).fillna(False).to_numpy()
    over_txt = np.select(
        [is_over & segment.isin(["good_slipping", "prompt"]).to_numpy(), is_over & held],
        ["; open AR at " + (u * 100).round(0).astype("Int64").astype("str") + " % of the credit limit, but a " + segment.map(lambda v: code_label(v, policy).lower()) + " gets no credit hold",
         "; open AR at " + (u * 100).round(0).astype("Int64").astype("str") + " % of the credit limit (already on hold)"],
        "",
    )
    d, dm = dun.reindex(ids).fillna(0.0), demand.reindex(ids).fillna(0.0)
    minimum = float(policy["worklist"]["min_past_due"])
    base = np.select(
        [ids.isin(on_plan), (d > 0).to_numpy() & (dm <= 0).to_numpy(), ((d > 0) & (d < minimum)).to_numpy(), nxt["next"].notna().to_numpy(), (d > 0).to_numpy()],
        ["payment plan on track", "credits on account cover the past due: apply them", f"past due below the {minimum:,.2f} minimum to dun",
         ladder_txt + gap_txt, "every ladder step done for its past-due invoices"],
        "nothing past due to dun",
    )
    out = pd.DataFrame(
        {
            "customer_id": ids.astype("str"),
            "customer_name": pc["customer_name"].reindex(ids).astype("str").to_numpy(),
            "past_due_amount": pc["past_due"].reindex(ids).round(2).to_numpy(),
            "utilisation": u.to_numpy(),
            "reason": pd.Series(base, index=ids).astype("str").to_numpy() + hold_txt + over_txt,
        }
    )
    return out.sort_values(["past_due_amount", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
