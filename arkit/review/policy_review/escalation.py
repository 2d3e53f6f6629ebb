"""Section 3 — adherence to the escalation ladder: per step, the invoices that reached it and whether they got it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import prepared
from ...model import Ledger
from ..display import table
from ..plans import plans_in_force
from ..worklist import ladder_for
from ._common import _NEVER, quarter_bounds, _day, _day_numbers, _dates, _balance, _activities
from .referrals import section_referrals
from .disputes import dispute_episodes
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

STATUSES = ("on time", "late", "never", "pending")


def _dispute_open_on(episodes: pd.DataFrame, customer_id: pd.Series, invoice_id: pd.Series, day: np.ndarray) -> np.ndarray:
    """True where the invoice had a dispute open on ``day`` (opened ≤ day < resolved, or unresolved)."""
    if episodes.empty or len(day) == 0:
        return np.zeros(len(day), dtype=bool)
    q = pd.DataFrame({"customer_id": customer_id.to_numpy(), "invoice_id": invoice_id.to_numpy(), "_d": day, "_row": np.arange(len(day))})
    e = episodes.dropna(subset=["invoice_id"])[["customer_id", "invoice_id", "opened", "resolved"]]
    m = q.merge(e, on=["customer_id", "invoice_id"])
    hit = (_day_numbers(m["opened"]) <= m["_d"].to_numpy()) & (m["_d"].to_numpy() < _day_numbers(m["resolved"]))
    out = np.zeros(len(day), dtype=bool)
    out[m.loc[hit, "_row"].to_numpy()] = True
    return out


def _plan_on(plans: pd.DataFrame, customer_id: pd.Series, day: np.ndarray) -> np.ndarray:
    """True where the customer had a payment plan running on ``day`` (agreed ≤ day ≤ last installment due)."""
    if plans is None or plans.empty or len(day) == 0:
        return np.zeros(len(day), dtype=bool)
    q = pd.DataFrame({"customer_id": customer_id.to_numpy(), "_d": day, "_row": np.arange(len(day))})
    m = q.merge(plans[["customer_id", "agreed_date", "last_due"]], on="customer_id")
    hit = (_day_numbers(m["agreed_date"]) <= m["_d"].to_numpy()) & (m["_d"].to_numpy() <= _day_numbers(m["last_due"]))
    out = np.zeros(len(day), dtype=bool)
    out[m.loc[hit, "_row"].to_numpy()] = True
    return out


def _step_table(policy: dict, segments_present) -> pd.DataFrame:
    """Ladder steps per segment (:func:`ladder_for`), with the window bounds of each step's matching:
    ``first`` (no earlier step of the same action) and ``next_day`` (day of the next step of the same
    action, else NaN)."""
    rows = []
    for seg in segments_present:
        steps = ladder_for(policy, seg)
        for k, s in enumerate(steps):
            same_before = any(t["action"] == s["action"] for t in steps[:k])
            later = [t["day"] for t in steps[k + 1 :] if t["action"] == s["action"]]
            rows.append({"segment": seg, "order": k, "step": s["step"], "action": s["action"], "owner": s.get("owner"), "day": int(s["day"]), "first": not same_before, "next_day": later[0] if later else np.nan})
    return pd.DataFrame(rows)


def escalation_adherence(
    ledger: Ledger,
    quarter,
    *,
    policy: dict,
    segments: pd.Series | None = None,
    tolerance_days: int = 3,
    plans: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each ladder step, the invoices that reached it in the quarter and whether they got it.

    Population: invoices (amount > 0) whose trigger date T = due_date + the step's day lies in the quarter
    and whose balance at the end of T is positive — the step was due. The ladder is the one of the
    customer's segment (``segments``: customer_id → segment; :func:`~arkit.review.worklist.ladder_for`, so
    good customers are judged on the gentle path and skipped steps are not expected); customers without a
    segment get the ladder as configured. Left out: invoices with a dispute open on T (dunning pauses) and
    customers with a payment plan running on T (agreed ≤ T ≤ last installment due).

    Matching activity: the step's action, by the same customer, dated ≤ the quarter end, naming the invoice
    or no invoice (customer-level), in the step's window: from the invoice date (the first step of its
    action in the ladder) or from T (a later step of the same action, e.g. the overdue reminder after the
    pre-due one) up to the next step of the same action (exclusive). A credit hold counts whatever invoice
    it names — it holds the customer — when placed after the customer's last release on or before T; a
    customer already on hold at T got the step on T. done = the first matching date;
    delay_days = done − T (negative = ahead of time).

    status: ``on time`` when delay ≤ ``tolerance_days``; ``late`` when later; otherwise — nothing matched —
    the invoice is dropped when paid in full by the deadline T + tolerance_days (the step was no longer
    needed), ``pending`` when the deadline is after the quarter end, else ``never``.
    Columns: customer_id, invoice_id, segment, step, action, owner, day, trigger_date, done_date,
    delay_days, status. Sorted by step order, trigger date.
    """
    if isinstance(tolerance_days, bool) or not isinstance(tolerance_days, (int, np.integer)) or tolerance_days < 0:
        raise ValueError(f"tolerance_days must be a whole number of days ≥ 0, not {tolerance_days!r}")
    start, end = quarter_bounds(quarter)
    s_day, e_day = _day(start), _day(end)
    cols = ["customer_id", "invoice_id", "segment", "step", "action", "owner", "day", "trigger_date", "done_date", "delay_days", "status"]
    inv = ledger.invoices
    p = prepared(ledger)
    if inv.empty:
        return _empty_adherence(cols)
    seg_of = inv["customer_id"].map(segments) if segments is not None else pd.Series(pd.NA, index=inv.index, dtype="str")
    seg_of = seg_of.astype("str").fillna("irregular")
    days_all = [int(s["day"]) for s in policy["ladder"]] + [int(s["day"]) for s in ladder_for(policy, "prompt")]
    lo_d, hi_d = min(days_all), max(days_all)
    keep = (p.inv_cents > 0) & (p.inv_due + hi_d >= s_day) & (p.inv_due + lo_d <= e_day) & (p.inv_date <= e_day)
    pos = np.flatnonzero(keep)
    if len(pos) == 0:
        return _empty_adherence(cols)
    cand = pd.DataFrame(
        {
            "pos": pos,
            "customer_id": inv["customer_id"].to_numpy()[pos],
            "invoice_id": inv["invoice_id"].to_numpy()[pos],
            "segment": seg_of.to_numpy()[pos],
            "inv_day": p.inv_date[pos],
            "due_day": p.inv_due[pos],
        }
    )
    steps = _step_table(policy, sorted(cand["segment"].unique()))
    c = cand.merge(steps, on="segment")
    c["T"] = c["due_day"] + c["day"]
    c = c[(c["T"] >= s_day) & (c["T"] <= e_day)]
    c = c[_balance(ledger, c["pos"].to_numpy(), c["T"].to_numpy()) > 0]
    episodes = dispute_episodes(ledger, end)
    if plans is None:
        plans = plans_in_force(ledger, end) if len(ledger.activities) else None
    T = c["T"].to_numpy()
    c = c[~_dispute_open_on(episodes, c["customer_id"], c["invoice_id"], T) & ~_plan_on(plans, c["customer_id"], T)]
    c = c.reset_index(drop=True)
    c["_row"] = np.arange(len(c))

    # matching activities
    acts = _activities(ledger, end, steps["action"].unique())[["customer_id", "invoice_id", "action", "date"]]
    acts["adate"] = _day_numbers(acts["date"])
    hold = c["action"] == "credit_hold"
    per_inv = acts[acts["invoice_id"].notna() & (acts["action"] != "credit_hold")]
    per_cust = acts[acts["invoice_id"].isna() & (acts["action"] != "credit_hold")]
    holds = acts[acts["action"] == "credit_hold"]
    m = pd.concat(
        [
            c.loc[~hold, ["_row", "customer_id", "invoice_id", "action"]].merge(per_inv[["customer_id", "invoice_id", "action", "adate"]], on=["customer_id", "invoice_id", "action"]),
            c.loc[~hold, ["_row", "customer_id", "action"]].merge(per_cust[["customer_id", "action", "adate"]], on=["customer_id", "action"]),
            c.loc[hold, ["_row", "customer_id", "action"]].merge(holds[["customer_id", "action", "adate"]], on=["customer_id", "action"]),
        ],
        ignore_index=True,
    )
    # window: [lo, hi)
    lo = np.where(c["first"].to_numpy(dtype=bool), c["inv_day"].to_numpy(), c["T"].to_numpy())
    if hold.any():
        rel = _activities(ledger, end, ["credit_release"])
        last_rel = np.full(len(c), -_NEVER)
        if len(rel):
            r = pd.DataFrame({"customer_id": rel["customer_id"].astype("str").to_numpy(), "rday": _day_numbers(rel["date"])}).sort_values("rday", kind="stable")
            q = pd.DataFrame({"customer_id": c.loc[hold, "customer_id"].astype("str").to_numpy(), "T": c.loc[hold, "T"].to_numpy(), "_row": c.loc[hold, "_row"].to_numpy()}).sort_values("T", kind="stable")
            j = pd.merge_asof(q, r, left_on="T", right_on="rday", by="customer_id", direction="backward")
            last_rel[j["_row"].to_numpy()] = j["rday"].fillna(-_NEVER).to_numpy(dtype="int64")
        lo = np.where(hold.to_numpy(), last_rel, lo)
    hi = np.where(c["next_day"].notna(), c["due_day"] + c["next_day"].fillna(0).astype("int64"), _NEVER).astype("int64")
    rows = m["_row"].to_numpy()
    ok = (m["adate"].to_numpy() >= lo[rows]) & (m["adate"].to_numpy() < hi[rows]) & (m["adate"].to_numpy() <= e_day)
    first = m[ok].groupby("_row")["adate"].min()
    done = np.full(len(c), _NEVER)
    done[first.index.to_numpy()] = first.to_numpy()
    T = c["T"].to_numpy()
    # a customer already on hold at T got the hold step on T (not weeks "early")
    done = np.where(hold.to_numpy() & (done < T), T, done)
    is_done = done < _NEVER
    delay = np.where(is_done, done - T, 0)
    deadline = T + tolerance_days
    paid_by = _balance(ledger, c["pos"].to_numpy(), np.minimum(deadline, e_day)) <= 0
    status = np.select(
        [is_done & (delay <= tolerance_days), is_done, paid_by, deadline > e_day],
        ["on time", "late", "not needed", "pending"],
        default="never",
    )
    out = pd.DataFrame(
        {
            "customer_id": c["customer_id"].to_numpy(),
            "invoice_id": c["invoice_id"].to_numpy(),
            "segment": c["segment"].to_numpy(),
            "step": c["step"].to_numpy(),
            "action": c["action"].to_numpy(),
            "owner": c["owner"].to_numpy(),
            "day": c["day"].to_numpy(dtype="int64"),
            "trigger_date": _dates(T),
            "done_date": _dates(done),
            "delay_days": pd.array(np.where(is_done, delay, 0), dtype="Int64"),
            "status": status,
            "_order": c["order"].to_numpy(),
        }
    )
    out.loc[~is_done, "delay_days"] = pd.NA
    out = out[out["status"] != "not needed"]
    order = {s["step"]: i for i, s in enumerate(policy["ladder"])}
    out["_order"] = out["step"].map(order)
    out = out.sort_values(["_order", "trigger_date", "customer_id", "invoice_id"], kind="stable").drop(columns="_order")
    for col in ("customer_id", "invoice_id", "segment", "step", "action", "owner", "status"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)[cols]


def _empty_adherence(cols) -> pd.DataFrame:
    dt = {"day": "int64", "trigger_date": "datetime64[ns]", "done_date": "datetime64[ns]", "delay_days": "Int64"}
    return pd.DataFrame({c: pd.Series(dtype=dt.get(c, "str")) for c in cols})


def adherence_summary(detail: pd.DataFrame, *, policy: dict) -> pd.DataFrame:
    """Per ladder step (in ladder order) from :func:`escalation_adherence`: invoices (that reached it),
    on_time, late, never, pending, pct_on_time = on_time ÷ (on_time + late + never) × 100 (the decided
    ones; NaN when none), pct_never likewise, median_delay_days = the median of done − trigger over the
    invoices that got the step (NaN when none). Columns also: step, action, owner, day (as configured)."""
    steps = pd.DataFrame([{"step": s["step"], "action": s["action"], "owner": s.get("owner"), "day": int(s["day"])} for s in policy["ladder"]])
    counts = detail.pivot_table(index="step", columns="status", values="customer_id", aggfunc="size", fill_value=0) if len(detail) else pd.DataFrame()
    out = steps.copy()
    for s in STATUSES:
        col = s.replace(" ", "_")
        out[col] = out["step"].map(counts[s]).fillna(0).astype("int64") if s in counts else 0
    out["invoices"] = out[["on_time", "late", "never", "pending"]].sum(axis=1)
    decided = out["on_time"] + out["late"] + out["never"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_on_time"] = np.where(decided > 0, out["on_time"] / decided.where(decided > 0) * 100.0, np.nan)
        out["pct_never"] = np.where(decided > 0, out["never"] / decided.where(decided > 0) * 100.0, np.nan)
    med = detail.dropna(subset=["delay_days"]).groupby("step")["delay_days"].median() if len(detail) else pd.Series(dtype="float64")
    out["median_delay_days"] = out["step"].map(med).astype("float64")
    return out[["step", "action", "owner", "day", "invoices", "on_time", "late", "never", "pending", "pct_on_time", "pct_never", "median_delay_days"]]



def chart_adherence(summary: pd.DataFrame) -> plt.Figure:
    """Share of the invoices reaching each ladder step that got it on time, late or never (horizontal bars)."""
    s = summary[summary["on_time"] + summary["late"] + summary["never"] > 0].iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(s), 3) + 1.4))
    decided = (s["on_time"] + s["late"] + s["never"]).to_numpy(dtype="float64")
    left = np.zeros(len(s))
    for col, label, color in (("on_time", "On time", "#2e7d32"), ("late", "Late", "#fbc02d"), ("never", "Never", "#c62828")):
        v = s[col].to_numpy(dtype="float64") / decided * 100.0
        ax.barh(np.arange(len(s)), v, left=left, color=color, label=label)
        left += v
    from ...columns import code_label

    ax.set_yticks(np.arange(len(s)), [code_label(x) for x in s["step"].astype(str)], fontsize=8)  # labels, not codes
    ax.set_xlim(0, 100)
    ax.legend(fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.18))
    ax.set_title("Escalation ladder: steps done on time, late or never", loc="left", fontsize=12, fontweight="bold")
    ax.set_xlabel("Share of the invoices that reached the step (%)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig



def section_escalation(r: PolicyReview) -> list:
    """Adherence to the escalation ladder, and the customers referred to an agency or legal."""
    if not r.has_activities:
        return [Markdown("This ledger has no collections activity log, so adherence to the escalation ladder and referrals cannot be assessed.")]
    s = r.adherence_summary
    r.book.add("ladder adherence", s)
    # the exceptions, invoice by invoice (steps done on time are counted in "ladder adherence"; listing
    # every one would make the appendix many times larger for no decision)
    r.book.add("ladder steps late or missed", r.adherence[r.adherence["status"] != "on time"])
    out = []
    if s["invoices"].sum() == 0:
        out.append(Markdown("No invoice reached a step of the escalation ladder in the quarter."))
    else:
        out.append(chart_adherence(s))
        out.append(
            table(
                s.drop(columns=["action", "pct_never"]).rename(columns={"step": "Step", "owner": "Owner", "day": "Day", "invoices": "Invoices", "on_time": "On time", "late": "Late", "never": "Never", "pending": "Pending", "pct_on_time": "On time (%)", "median_delay_days": "Median delay (days)"}),
                pct=["On time (%)"],
                days=["Median delay (days)"],
                caption=f"Invoices whose step fell due in {r.label}; on time = within {r.tolerance_days} days of the trigger day",
            )
        )
    return out + section_referrals(r)
