"""The quarterly credit & collections policy review: the evidence for the meeting that adapts the policy.

:func:`build` computes every table once for a quarter such as ``"2026Q3"``; each ``section_*`` function
returns what its section shows — Markdown, formatted tables and figures — so ``notebooks/policy_review.ipynb``
stays a thin list of calls. Every figure is computed by one function in the section's module (``outcomes``, ``escalation``, ``referrals``, ``credit``, ``disputes``, ``plans``, ``retention``, ``billing``, ``incentives_in_use``, ``recommendations``; shared helpers in ``_common``) whose docstring states its
formula; :data:`DEFINITIONS` (the report's appendix) repeats them in words, and every recommendation is one
small ``rule_*`` function with its threshold in its docstring.

Conventions
-----------
- A quarter is judged as known at its last day, ``end``: only invoices, payments and activities dated on or
  before ``end`` count, so a past quarter replays as it was. "The year" is the 12 months ending at ``end``
  (``lookback_months``), used where one quarter holds too few events to judge (billing days, retention,
  referrals, the effect of credit holds).
- Balances are taken at the end of a day: an invoice's balance on day d = amount − Σ payments applied to
  it dated ≤ d (as in :func:`arkit.aging`); a customer's open AR on day d = Σ its invoices dated ≤ d
  (credit notes netted) − Σ its payments dated ≤ d.
- Money is in the ledger's currency, summed in integer cents; days are calendar days; shares are
  percentages 0–100. Functions never modify their inputs; options are keyword-only.
- A section whose data the ledger lacks (no activity log, no credit limits, no early-pay terms…) says so in
  one sentence.
"""

from __future__ import annotations

from ._common import parse_quarter, quarter_bounds, _label, last_complete_quarter
from .policy import ladder_table, targets_table, policy_settings, terms_in_use, section_policy
from .outcomes import QUARTER_FIGURES, write_offs, quarterly_figures, outcomes_vs_targets, chart_days_trend, chart_pct_trend, section_outcomes
from .escalation import STATUSES, escalation_adherence, adherence_summary, chart_adherence, section_escalation
from .referrals import STAGES, first_referrals, referral_recovery, referrals, referred_invoices, section_referrals
from .credit import credit_utilisation_history, UTILISATION_BANDS, utilisation_bands, hold_episodes, hold_effects, hold_effect_totals, chart_utilisation, section_credit
from .disputes import dispute_episodes, dispute_quarter, past_due_amount_days, dispute_lateness, chart_disputes, section_disputes
from .plans import plan_activity, plan_quarter, section_plans
from .retention import RETENTION_OUTCOMES, retention, retention_summary, chart_retention, section_retention
from .billing import BILLING_BANDS, REFERENCES, within_customer_effects, billing_band, settled_invoices, lateness_by, billing_by_customer, chart_billing_day, section_billing
from .incentives_in_use import early_pay_terms, discount_annual_cost, early_pay_take_up, early_pay_summary, section_incentives_in_use
from .recommendations import rule_targets_missed, rule_ladder_step, rule_agency_recovery, rule_credit_limit_review, rule_credit_holds, rule_disputes, rule_lost_customers, rule_month_end_billing, rule_payment_method, rule_terms, rule_early_pay, RULES, rule_thresholds, recommendations, section_recommendations
from .appendix import DEFINITIONS, section_appendix
from .pack import PolicyReview, build, section_header, save_book
from ..display import esc

__all__ = [
    "BILLING_BANDS",
    "REFERENCES",
    "DEFINITIONS",
    "PolicyReview",
    "QUARTER_FIGURES",
    "RETENTION_OUTCOMES",
    "RULES",
    "STATUSES",
    "UTILISATION_BANDS",
    "adherence_summary",
    "billing_band",
    "billing_by_customer",
    "build",
    "chart_adherence",
    "chart_billing_day",
    "chart_days_trend",
    "chart_disputes",
    "chart_pct_trend",
    "chart_retention",
    "chart_utilisation",
    "credit_utilisation_history",
    "discount_annual_cost",
    "dispute_episodes",
    "dispute_lateness",
    "dispute_quarter",
    "early_pay_summary",
    "early_pay_take_up",
    "early_pay_terms",
    "esc",
    "escalation_adherence",
    "hold_effect_totals",
    "hold_effects",
    "hold_episodes",
    "ladder_table",
    "last_complete_quarter",
    "lateness_by",
    "outcomes_vs_targets",
    "parse_quarter",
    "past_due_amount_days",
    "plan_activity",
    "plan_quarter",
    "policy_settings",
    "quarter_bounds",
    "quarterly_figures",
    "recommendations",
    "STAGES",
    "first_referrals",
    "referral_recovery",
    "referrals",
    "referred_invoices",
    "retention",
    "retention_summary",
    "rule_agency_recovery",
    "rule_credit_holds",
    "rule_credit_limit_review",
    "rule_disputes",
    "rule_early_pay",
    "rule_ladder_step",
    "rule_lost_customers",
    "rule_month_end_billing",
    "rule_payment_method",
    "rule_targets_missed",
    "rule_terms",
    "rule_thresholds",
    "save_book",
    "section_appendix",
    "section_billing",
    "section_credit",
    "section_disputes",
    "section_escalation",
    "section_header",
    "section_incentives_in_use",
    "section_outcomes",
    "section_plans",
    "section_policy",
    "section_recommendations",
    "section_referrals",
    "section_retention",
    "settled_invoices",
    "targets_table",
    "terms_in_use",
    "utilisation_bands",
    "within_customer_effects",
    "write_offs",
]
