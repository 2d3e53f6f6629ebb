"""The review as a whole: :class:`PolicyReview` (every table computed once by :func:`build`), the header line and the Excel appendix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import pandas as pd
from IPython.display import Markdown

from ...model import Ledger
from ..display import ReportBook, esc, literal
from ..plans import plans_in_force
from ..segments import segment_customers
from ..signals import open_disputes
from ._common import parse_quarter, quarter_bounds, _label, _year_start
from .outcomes import write_offs, quarterly_figures, outcomes_vs_targets
from .escalation import escalation_adherence, _empty_adherence, adherence_summary
from .referrals import referral_recovery, referrals, referred_invoices
from .credit import credit_utilisation_history, hold_episodes, hold_effects
from .disputes import dispute_episodes, dispute_lateness
from .plans import plan_activity
from .retention import retention
from .billing import billing_by_customer, settled_invoices, within_customer_effects
from .incentives_in_use import early_pay_take_up, early_pay_summary
from .recommendations import recommendations

@dataclass
class PolicyReview:
    ledger: Ledger
    quarter: pd.Period
    start: pd.Timestamp
    end: pd.Timestamp
    policy: dict
    lookback_months: int
    figures: pd.DataFrame
    outcomes: pd.DataFrame
    write_off_items: pd.DataFrame
    segments: pd.Series
    adherence: pd.DataFrame
    adherence_summary: pd.DataFrame
    referrals: pd.DataFrame
    referred_invoices: pd.DataFrame
    referral_recovery: pd.DataFrame
    utilisation: pd.DataFrame
    holds: pd.DataFrame
    hold_effects: pd.DataFrame
    disputes: pd.DataFrame
    dispute_lateness: dict
    open_disputes: pd.DataFrame
    plans: pd.DataFrame
    retention: pd.DataFrame
    settled: pd.DataFrame
    billing_customers: pd.DataFrame
    method_effects: pd.DataFrame
    terms_effects: pd.DataFrame
    band_effects: pd.DataFrame
    early_pay: pd.DataFrame
    early_pay_summary: pd.DataFrame
    recommendations: pd.DataFrame | None = None
    tolerance_days: int = 3
    book: ReportBook = field(default_factory=ReportBook)

    @property
    def currency(self) -> str:
        return self.ledger.currency

    @property
    def year_start(self) -> pd.Timestamp:
        return _year_start(self.end, self.lookback_months)

    @property
    def has_activities(self) -> bool:
        return len(self.ledger.activities) > 0

    @property
    def label(self) -> str:
        return _label(self.quarter)


def build(ledger: Ledger, quarter, *, policy: dict, quarters: int = 8, lookback_months: int = 12, tolerance_days: int = 3) -> PolicyReview:
    """Compute every table of the review of ``quarter`` (``"2026Q3"``): the figures of the ``quarters``
    quarters ending with it, and the evidence of the quarter (and of the ``lookback_months`` months ending
    at its last day where one quarter holds too little)."""
    q = parse_quarter(quarter)
    start, end = quarter_bounds(q)
    buckets = tuple(policy["buckets"])
    figures = quarterly_figures(ledger, q, quarters=quarters, buckets=buckets)
    outcomes = outcomes_vs_targets(figures, policy=policy)
    has_log = len(ledger.activities) > 0
    seg_date = start - pd.Timedelta(days=1)
    segs = segment_customers(ledger, seg_date, policy=policy).set_index("customer_id")["segment"] if len(ledger.invoices) and (ledger.invoices["invoice_date"] <= seg_date).any() else pd.Series(dtype="str")
    plans_now = plans_in_force(ledger, end) if has_log else None
    adh = escalation_adherence(ledger, q, policy=policy, segments=segs, tolerance_days=tolerance_days, plans=plans_now) if has_log else _empty_adherence(["customer_id", "invoice_id", "segment", "step", "action", "owner", "day", "trigger_date", "done_date", "delay_days", "status"])
    y0 = _year_start(end, lookback_months)
    holds = hold_episodes(ledger, end)
    disputes = dispute_episodes(ledger, end)
    settled = settled_invoices(ledger, y0, end)
    referred = referred_invoices(ledger, q, lookback_months=lookback_months)
    take = early_pay_take_up(ledger, y0, end)
    r = PolicyReview(
        ledger=ledger,
        quarter=q,
        start=start,
        end=end,
        policy=policy,
        lookback_months=lookback_months,
        figures=figures,
        outcomes=outcomes,
        write_off_items=write_offs(ledger, end),
        segments=segs,
        adherence=adh,
        adherence_summary=adherence_summary(adh, policy=policy),
        referrals=referrals(ledger, q, referred=referred),
        referred_invoices=referred,
        referral_recovery=referral_recovery(referred),
        utilisation=credit_utilisation_history(ledger, q, threshold=policy["credit_hold"]["utilisation"]),
        holds=holds,
        hold_effects=hold_effects(ledger, holds, end=end, lookback_months=lookback_months),
        disputes=disputes,
        dispute_lateness=dispute_lateness(ledger, q, episodes=disputes),
        open_disputes=open_disputes(ledger, end) if has_log else pd.DataFrame(columns=["customer_id", "invoice_id", "opened", "age_days", "amount"]),
        plans=plan_activity(ledger, q, now=plans_now),
        retention=retention(ledger, q, lookback_months=lookback_months),
        settled=settled,
        billing_customers=billing_by_customer(settled),
        method_effects=within_customer_effects(settled, "method"),
        terms_effects=within_customer_effects(settled, "terms"),
        band_effects=within_customer_effects(settled, "band"),
        early_pay=take,
        early_pay_summary=early_pay_summary(take),
        tolerance_days=tolerance_days,
    )
    r.recommendations = recommendations(r)
    return r



def section_header(r: PolicyReview, *, ledger_name: str = "") -> list:
    """The line under the title: the quarter, the ledger and its size, and a warning when the ledger ends
    before the quarter does."""
    L = r.ledger
    name = f" · ledger {literal(ledger_name)}" if ledger_name else ""  # literal: a code span would show esc()'s backslashes
    out = [Markdown(f"**{esc(r.label)}** ({r.start:%d %B} – {r.end:%d %B %Y}){name} · {len(L.invoices):,} invoices, {len(L.payments):,} payments, {len(L.activities):,} collection activities")]
    last = pd.Timestamp(L.as_of_max).normalize() if len(L.invoices) else None
    if last is not None and last < r.end - pd.Timedelta(days=7):
        out.append(Markdown(f"**Note:** the ledger's latest entry is dated {last:%d %B %Y}, before the quarter ends: what happened after it is missing from every figure."))
    return out



def save_book(r: PolicyReview, output_dir, name: str = "policy-review.xlsx"):
    """Write the Excel appendix of every table shown to ``output_dir/name``."""
    return r.book.save(Path(output_dir) / name)
