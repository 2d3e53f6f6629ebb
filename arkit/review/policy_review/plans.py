"""Section 6 — payment plans started, completed and broken in the quarter."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from ...model import Ledger
from ..display import esc, table
from ..plans import plans_in_force
from ._common import quarter_bounds
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

def plan_activity(ledger: Ledger, quarter, *, grace_days: int = 5, broken_after: int = 2, now: pd.DataFrame | None = None) -> pd.DataFrame:
    """Payment plans and what happened to them in the quarter.

    :func:`~arkit.review.plans.plans_in_force` at the quarter end and at the previous quarter end (same
    ``grace_days`` and ``broken_after``); per plan (customer, agreed_date): prev_status ("" when agreed in
    the quarter), status now, started = agreed in the quarter, completed = completed now but not at the
    previous quarter end, broken = broken now but neither broken nor completed then, recovered_in_quarter =
    paid_to_date now − paid_to_date then (0 for a new plan's "then").
    Columns: the plans_in_force columns, prev_status, started, completed, broken, recovered_in_quarter.
    """
    start, end = quarter_bounds(quarter)
    if now is None:  # ``now``: plans_in_force at the quarter end with the same options, when already computed
        now = plans_in_force(ledger, end, grace_days=grace_days, broken_after=broken_after)
    prev = plans_in_force(ledger, start - pd.Timedelta(days=1), grace_days=grace_days, broken_after=broken_after)
    p = prev[["customer_id", "agreed_date", "status", "paid_to_date"]].rename(columns={"status": "prev_status", "paid_to_date": "_prev_paid"})
    out = now.merge(p, on=["customer_id", "agreed_date"], how="left")
    out["prev_status"] = out["prev_status"].fillna("").astype("str")
    out["started"] = (out["agreed_date"] >= start).to_numpy()
    out["completed"] = ((out["status"] == "completed") & (out["prev_status"] != "completed")).to_numpy()
    out["broken"] = ((out["status"] == "broken") & ~out["prev_status"].isin(["broken", "completed"])).to_numpy()
    out["recovered_in_quarter"] = (out["paid_to_date"] - out["_prev_paid"].fillna(0.0)).round(2)
    return out.drop(columns="_prev_paid")


def plan_quarter(activity: pd.DataFrame) -> dict:
    """Totals over :func:`plan_activity`: started, completed, broken (in the quarter), in_force (plans not
    completed), and by status now; recovered_in_quarter = Σ recovered_in_quarter; promised = Σ amount;
    paid_to_date = Σ paid_to_date (money summed in cents)."""
    from ...model import cents

    out = {
        "plans": int(len(activity)),
        "started": int(activity["started"].sum()),
        "completed": int(activity["completed"].sum()),
        "broken": int(activity["broken"].sum()),
        "promised": int(cents(activity["amount"]).sum()) / 100.0,
        "paid_to_date": int(cents(activity["paid_to_date"]).sum()) / 100.0,
        "recovered_in_quarter": int(cents(activity["recovered_in_quarter"]).sum()) / 100.0,
    }
    for s in ("on track", "behind", "broken", "completed"):
        out[f"now_{s.replace(' ', '_')}"] = int((activity["status"] == s).sum())
    return out



def section_plans(r: PolicyReview) -> list:
    """Payment plans started, completed and broken in the quarter, and what they recovered."""
    p = r.plans
    if p is None or p.empty:
        return [Markdown("No payment plans are recorded in the activity log.")]
    r.book.add("payment plans", p)
    t = plan_quarter(p)
    text = (
        f"In {esc(r.label)}: **{t['started']} started, {t['completed']} completed, {t['broken']} broken**; plans recovered **{t['recovered_in_quarter']:,.2f}** in the quarter. "
        f"Of the {t['plans']} plans on record, {t['now_on_track']} are on track, {t['now_behind']} behind, {t['now_broken']} broken and {t['now_completed']} completed; {t['paid_to_date']:,.2f} of {t['promised']:,.2f} promised has been paid."
    )
    active = p[p["started"] | p["completed"] | p["broken"] | ~p["status"].isin(["completed", "broken"]) | (p["recovered_in_quarter"] != 0)].copy()
    if active.empty:
        return [Markdown(text)]
    active["agreed_date"] = active["agreed_date"].dt.strftime("%Y-%m-%d")
    shown = active[["customer_id", "customer_name", "agreed_date", "installments", "amount", "paid_to_date", "recovered_in_quarter", "prev_status", "status"]].rename(columns={"customer_id": "Customer", "customer_name": "Name", "agreed_date": "Agreed", "installments": "Installments", "amount": "Amount", "paid_to_date": "Paid to date", "recovered_in_quarter": "Paid in the quarter", "prev_status": "Status at the previous quarter end", "status": "Status now"})
    return [Markdown(text), table(shown, money=["Amount", "Paid to date", "Paid in the quarter"], caption="Plans with activity in the quarter or still running", max_rows=40)]
