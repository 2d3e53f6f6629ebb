"""Section 9 — the rule-based recommendations, each a small ``rule_*`` function with its threshold in its docstring."""

from __future__ import annotations

import inspect
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ...aging import customer_names
from ..display import esc, table
from .outcomes import QUARTER_FIGURES
from .credit import hold_effect_totals
from .disputes import dispute_quarter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

def _rec(rule: str, area: str, text: str, evidence: str, customers: int | None = None) -> dict:
    return {"rule": rule, "area": area, "recommendation": text, "evidence": evidence, "customers": customers}


def _who(names: pd.Series, n: int = 5) -> str:
    names = [str(x) for x in names.tolist()]
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def rule_targets_missed(figures: pd.DataFrame, *, policy: dict, quarters: int = 2) -> list[dict]:
    """Figures with a target (``policy.targets``) missed in each of the last ``quarters`` quarters (default 2:
    a miss two quarters running is a trend, not noise). One recommendation naming them all, with their
    values. Only complete quarters count (a partial quarter — ``complete`` False in
    :func:`quarterly_figures` — breaks the run). Example: DSO 50.1 and 52.3 days against 45 → fires; 50.1
    then 44.0 → does not."""
    t = policy.get("targets", {})
    if len(figures) < quarters:
        return []
    tail = figures.tail(quarters)
    if "complete" in tail and not tail["complete"].astype(bool).all():
        return []
    missed = []
    for key, (label, unit, better) in QUARTER_FIGURES.items():
        if key not in t or better is None or key not in tail:
            continue
        v = tail[key]
        bad = (v > t[key]) if better == "lower" else (v < t[key])
        if v.notna().all() and bad.all():
            u = " days" if unit == "days" else " %" if unit == "%" else ""
            missed.append(f"{label} ({', '.join(f'{x:.1f}' for x in v)}{u} against {t[key]:g}{u})")
    if not missed:
        return []
    return [_rec("targets_missed", "Outcomes", f"Review the terms, the escalation timing or the targets: {len(missed)} figure(s) missed their target {quarters} quarters running.", "; ".join(missed) + ".")]


def rule_ladder_step(summary: pd.DataFrame, *, min_on_time_pct: float = 75.0, min_invoices: int = 20) -> list[dict]:
    """Ladder steps done on time for fewer than ``min_on_time_pct`` % (default 75 %) of the invoices that
    reached them, among steps with at least ``min_invoices`` (default 20) decided invoices (on time + late +
    never). One recommendation naming the steps, worst first, each with its counts. Example: a call on time
    for 40 of 80 (50 %) → fires; 70 of 80 (87.5 %) → not."""
    s = summary.assign(decided=summary["on_time"] + summary["late"] + summary["never"])
    s = s[(s["decided"] >= min_invoices) & (s["pct_on_time"] < min_on_time_pct)].sort_values("pct_on_time", kind="stable")
    if s.empty:
        return []
    from ...columns import code_label  # steps and owners by their labels, never the policy's codes

    parts = []
    for r in s.itertuples():
        med = f", median delay {r.median_delay_days:.1f} days" if pd.notna(r.median_delay_days) else ""
        parts.append(f"{code_label(r.step)} ({code_label(r.owner).lower()}, day {r.day}): {r.on_time} of {r.decided} on time, {r.late} late, {r.never} never{med}")
    names = ", ".join(f"{code_label(r.step)} ({r.pct_on_time:.1f} %)" for r in s.itertuples())
    return [_rec("ladder_step", "Escalation", f"Enforce the escalation steps done on time for fewer than {min_on_time_pct:g} % of the invoices that reached them — {names}: automate them, or change their owner or day.", "; ".join(parts) + ".")]


def rule_agency_recovery(refs: pd.DataFrame, *, min_customers: int = 3, min_recovered_pct: float = 25.0) -> list[dict]:
    """Agency and legal referrals of the year recovering less than ``min_recovered_pct`` % (default 25 %) of
    what the referred invoices owed at referral (Σ recovered ÷ Σ owed over :func:`~.referrals.referrals`,
    each invoice once), when at least ``min_customers`` (default 3) customers were referred. Example: 3
    customers owing 10,000 on their referred invoices with 1,500 recovered (15 %) → fires."""
    if len(refs) < min_customers:
        return []
    owed, rec = float(refs["owed"].sum()), float(refs["recovered"].sum())
    if owed <= 0 or rec / owed * 100.0 >= min_recovered_pct:
        return []
    n_inv = int(refs["invoices"].sum()) if "invoices" in refs else None
    inv = f" on {n_inv} invoices" if n_inv is not None else ""
    return [_rec("agency_recovery", "Escalation", f"Review the agency and legal referrals: only {rec / owed * 100:.1f} % of what the referred invoices owed has been recovered; refer earlier, change agency, or write off sooner.", f"{len(refs)} customers referred in the year owed {owed:,.2f}{inv} at referral; {rec:,.2f} recovered on those invoices since.", len(refs))]


def rule_credit_limit_review(util: pd.DataFrame, *, months: int = 2, threshold_pct: float = 100.0) -> list[dict]:
    """Customers above ``threshold_pct`` % (default 100 %) of their credit limit at each of the last
    ``months`` (default 2) month ends of the quarter: review their limits (raise them for good payers, hold
    the others). Uses the ``util_<month>`` columns of :func:`credit_utilisation_history`. Example: 120 %
    and 130 % → listed; 120 % and 90 % → not."""
    ucols = [c for c in util.columns if c.startswith("util_")][-months:]
    if len(ucols) < months or util.empty:
        return []
    hit = util[(util[ucols] > threshold_pct).all(axis=1)]
    if hit.empty:
        return []
    top = hit.sort_values("utilisation", ascending=False).iloc[0]
    return [
        _rec(
            "credit_limit_review",
            "Credit limits",
            f"Review the credit limit of {len(hit)} customers above {threshold_pct:g} % utilisation for {months} months.",
            f"Open AR {hit['open_ar'].sum():,.2f} against limits of {hit['credit_limit'].sum():,.2f}; highest {top['customer_name']} at {top['utilisation']:.1f} %. Customers: {_who(hit['customer_name'])}.",
            len(hit),
        )
    ]


def rule_credit_holds(totals: dict, *, min_holds: int = 3, max_sales_drop_pct: float = 30.0) -> list[dict]:
    """Credit holds that cost sales: at least ``min_holds`` (default 3) holds measured and held customers'
    sales in the 90 days after the hold fell by more than ``max_sales_drop_pct`` % (default 30 %) against
    the 90 days before (:func:`hold_effect_totals`). Example: sales 100,000 before, 60,000 after (−40 %)
    → fires."""
    if totals["holds"] < min_holds or not totals["sales_change_pct"] < -max_sales_drop_pct:
        return []
    pay = f"; their payments changed {totals['payments_change_pct']:+.1f} %" if pd.notna(totals["payments_change_pct"]) else ""
    return [_rec("credit_holds", "Credit limits", "Release holds as soon as the overdue balance is paid, or hold only above a larger overdue amount: holds are costing sales.", f"Over {totals['holds']} holds, held customers' sales fell {-totals['sales_change_pct']:.1f} % in the 90 days after the hold{pay}.")]


def rule_disputes(lateness: dict, quarter_stats: dict, *, max_share_pct: float = 15.0, max_median_days: float = 30.0) -> list[dict]:
    """Disputes that drive lateness: they hold at least ``max_share_pct`` % (default 15 %) of the quarter's
    past-due amount-days (:func:`dispute_lateness`), or the disputes resolved in the quarter took a median
    of more than ``max_median_days`` (default 30) days. Example: share 20 % → fires; share 5 % and median 12
    days → not."""
    share, med = lateness["share_pct"], quarter_stats["median_days_to_resolve"]
    if not (share >= max_share_pct or med > max_median_days):
        return []
    return [
        _rec(
            "disputes",
            "Disputes",
            f"Speed up dispute resolution (target: a median of {max_median_days:g} days or less) and fix the billing errors behind the most frequent reasons.",
            f"Disputed invoices hold {share:.1f} % of the quarter's past-due amount-days; the {quarter_stats['resolved']} disputes resolved in the quarter took a median of {med:.1f} days.",
        )
    ]


def rule_lost_customers(ret: pd.DataFrame, *, max_lost_pct: float = 20.0, min_customers: int = 5) -> list[dict]:
    """Collections losing customers: of at least ``min_customers`` (default 5) customers delinquent in the
    year, more than ``max_lost_pct`` % (default 20 %) stopped buying (:func:`retention`). The evidence
    separates those who paid up and still left (the ones collections should have kept). Example: 10
    delinquent, 3 stopped buying (30 %) → fires."""
    if len(ret) < min_customers:
        return []
    lost = ret[~ret["still_buying"]]
    pct = len(lost) / len(ret) * 100.0
    if pct <= max_lost_pct:
        return []
    paid_up = lost[lost["recovered"]]
    return [
        _rec(
            "lost_customers",
            "Retention",
            f"Win back good customers and soften the path for them: {len(lost)} of the {len(ret)} customers delinquent in the year ({pct:.1f} %) stopped buying.",
            f"{len(paid_up)} of them paid up before leaving ({_who(paid_up['customer_name']) or 'none'}); {len(lost) - len(paid_up)} still owe {lost['past_due_now'].sum():,.2f}.",
            len(lost),
        )
    ]


def rule_month_end_billing(by_customer: pd.DataFrame, names: pd.Series | None = None, *, min_gap_days: float = 10.0, min_invoices: int = 3, max_p_value: float = 0.05) -> list[dict]:
    """Customers who pay month-end invoices much later than their others — a comparison within each
    customer: at least ``min_invoices`` (default 3) settled invoices billed at month end and as many others,
    month-end invoices paid at least ``min_gap_days`` (default 10) days later on average, and the gap
    significant for that customer (Welch's t-test, :func:`billing_by_customer`) after allowing for every
    customer tested: its Benjamini–Hochberg adjusted p-value (:func:`~.billing.fdr_adjusted`, over the
    customers with ``min_invoices`` of each kind) ≤ ``max_p_value``, default 0.05. Moving their billing to mid-month puts the invoice in their payment run.
    Example: month-end invoices 18, 20, 22 days late, others 1, 2, 3 → gap 18, p < 0.001 → listed."""
    tested = by_customer[(by_customer["eom_invoices"] >= min_invoices) & (by_customer["other_invoices"] >= min_invoices)]
    m = int(tested["p_value"].notna().sum()) if "p_value" in tested else 0
    if "p_value" in tested:  # one test per customer: significant after allowing for how many were tested
        from .billing import fdr_adjusted

        tested = tested.assign(q_value=fdr_adjusted(tested["p_value"].to_numpy()))
        tested = tested[tested["q_value"] <= max_p_value]
    b = tested[tested["gap_days"] >= min_gap_days]
    if b.empty:
        return []
    eom = (b["eom_avg_days_late"] * b["eom_invoices"]).sum() / b["eom_invoices"].sum()
    oth = (b["other_avg_days_late"] * b["other_invoices"]).sum() / b["other_invoices"].sum()
    who = b["customer_id"].map(names) if names is not None else b["customer_id"]
    return [
        _rec(
            "month_end_billing",
            "Billing",
            f"Move {len(b)} customers billed at month end, who pay those invoices {eom:.1f} days late on average, to mid-month billing.",
            f"Their {int(b['eom_invoices'].sum())} month-end invoices were paid {eom:.1f} days late on average against {oth:.1f} for their {int(b['other_invoices'].sum())} other invoices; for each of them the gap is at least {min_gap_days:g} days and significant after allowing for the {m} customer{'s' if m != 1 else ''} tested (Benjamini–Hochberg, false-discovery rate ≤ {max_p_value * 100:g} %). Customers: {_who(who.fillna(b['customer_id']))}.",
            len(b),
        )
    ]


def _ci(r) -> str:
    return f"95 % CI {r.ci_low:+.1f} to {r.ci_high:+.1f} days"


def rule_payment_method(effects: pd.DataFrame, *, min_extra_days: float = 3.0, min_invoices: int = 50, min_customers: int = 5) -> list[dict]:
    """Payment methods that arrive later **within the same customers**: a method with at least
    ``min_invoices`` (default 50) settled invoices whose within-customer effect against the reference
    method (:func:`~.billing.within_customer_effects` on method; ACH when present) is at least
    ``min_extra_days`` (default 3) days, significant (the 95 % confidence interval above 0) and identified by
    at least ``min_customers`` (default 5) customers who paid both ways. A raw gap that comes from who pays
    by the method (chronic late payers paying by wire) does not fire it. Example: checks +4.2 days within
    customer (CI +2.0 to +6.4) on 12 customers → fires; raw +7.3 but +0.2 within → not."""
    if effects is None or effects.empty:
        return []
    ok = effects[(effects["level"] != effects["reference"]) & (effects["invoices"] >= min_invoices) & (effects["effect"] >= min_extra_days) & (effects["ci_low"] > 0) & (effects["switchers"] >= min_customers)]
    out = []
    for r in ok.itertuples():
        out.append(
            _rec(
                "payment_method",
                "Payment options",
                f"Move customers paying by {r.level} to {r.reference} or card (direct debit where possible): within the same customers, {r.level} payments arrive {r.effect:.1f} days later than {r.reference} ({_ci(r)}), on {r.switchers} customers who paid both ways.",
                f"{r.invoices} invoices paid by {r.level} were {r.avg_days_late:.1f} days late on average, {r.raw_gap:+.1f} days against {r.reference}; holding the customer constant the gap is {r.effect:+.1f} days (p = {r.p_value:.3f}), identified by {r.switchers} of the {r.customers} customers paying by {r.level}.",
                int(r.switchers),
            )
        )
    return out


def rule_terms(effects: pd.DataFrame, *, max_avg_days_late: float = 15.0, min_invoices: int = 30, min_extra_days: float = 3.0, min_customers: int = 5, late_fee_in_force: bool = False) -> list[dict]:
    """Terms customers do not keep, and that make the same customers pay later: terms with at least
    ``min_invoices`` (default 30) settled invoices paid more than ``max_avg_days_late`` (default 15) days
    late on average, whose within-customer effect against the most used terms
    (:func:`~.billing.within_customer_effects` on terms) is at least ``min_extra_days`` (default 3) days,
    significant (95 % CI above 0), on at least ``min_customers`` (default 5) customers billed on both. One
    recommendation naming them, latest first. Example: Net 60 paid 18.2 days late, +6.0 days within
    customer (CI +2.1 to +9.9) on 8 customers → fires; terms no customer shares with the reference → not
    (the comparison cannot separate the terms from the customers on them). With ``late_fee_in_force`` (the
    policy charges one and the letters cite it) the advice does not suggest adding a late fee."""
    if effects is None or effects.empty:
        return []
    t = effects[(effects["level"] != effects["reference"]) & (effects["invoices"] >= min_invoices) & (effects["avg_days_late"] > max_avg_days_late) & (effects["effect"] >= min_extra_days) & (effects["ci_low"] > 0) & (effects["switchers"] >= min_customers)]
    t = t.sort_values("avg_days_late", ascending=False, kind="stable")
    if t.empty:
        return []
    names = ", ".join(f"{r.level} ({r.avg_days_late:.1f} days late)" for r in t.itertuples())
    ev = "; ".join(f"'{r.level}': {r.invoices} invoices settled in the year, {r.avg_days_late:.1f} days late on average; within the same customers {r.effect:+.1f} days against '{r.reference}' ({_ci(r)}), on {r.switchers} customers billed on both" for r in t.itertuples())
    return [_rec("terms", "Payment options", f"Review the terms customers pay more than {max_avg_days_late:g} days after the due date on average and later than on '{t['reference'].iloc[0]}' within the same customers — {names}: shorten them, or pair them with {'an early-pay offer (the late fee is already in force)' if late_fee_in_force else 'a late fee or an early-pay offer'}.", ev + ".", int(t["switchers"].sum()))]


def rule_early_pay(summary: pd.DataFrame, *, min_take_up_pct: float = 25.0, min_invoices: int = 20) -> list[dict]:
    """An early-pay discount few customers take: terms with at least ``min_invoices`` (default 20) eligible
    invoices of which fewer than ``min_take_up_pct`` % (default 25 %) took the discount
    (:func:`early_pay_summary`). Example: 2/10 Net 30 taken on 30 of 300 invoices (10 %) → fires."""
    out = []
    for r in summary[(summary["eligible"] >= min_invoices) & (summary["pct_taken"] < min_take_up_pct)].itertuples():
        out.append(_rec("early_pay", "Payment options", f"Rethink the '{r.terms}' discount: it is taken on only {r.pct_taken:.1f} % of eligible invoices; drop it, or offer it to slow payers it could move (see the incentive comparison).", f"{r.taken} of {r.eligible} eligible invoices of {r.customers} customers took it, costing {r.discount:,.2f} (an annualised {r.annual_cost_pct:.1f} %); takers paid in {r.days_to_pay_taken:.1f} days, the others in {r.days_to_pay_not_taken:.1f}."))
    return out


#: The rules in the order the meeting reads them: name → (function, what fires it). The text's ``{…}`` are
#: the function's keyword defaults (see :func:`rule_thresholds`), so the table shown cannot drift from them.
RULES = {
    "targets_missed": (rule_targets_missed, "A figure with a target missed in each of the last {quarters} quarters."),
    "ladder_step": (rule_ladder_step, "A ladder step done on time for fewer than {min_on_time_pct:g} % of the invoices that reached it (at least {min_invoices} decided)."),
    "agency_recovery": (rule_agency_recovery, "Agency and legal referrals of the year recovering less than {min_recovered_pct:g} % of what was owed (at least {min_customers} customers)."),
    "credit_limit_review": (rule_credit_limit_review, "Customers above the policy's credit-hold utilisation (100 %) at each of the last {months} month ends."),
    "credit_holds": (rule_credit_holds, "Held customers' sales down more than {max_sales_drop_pct:g} % in the 90 days from a hold against the 90 days before (at least {min_holds} holds)."),
    "disputes": (rule_disputes, "Disputes holding {max_share_pct:g} % or more of the quarter's past-due amount-days, or a median of more than {max_median_days:g} days to resolve."),
    "lost_customers": (rule_lost_customers, "More than {max_lost_pct:g} % of the customers delinquent in the year stopped buying (at least {min_customers} delinquent)."),
    "month_end_billing": (rule_month_end_billing, "Customers paying month-end invoices {min_gap_days:g} days or more later than their own other invoices (at least {min_invoices} of each, the gap significant for the customer after allowing for every customer tested: Benjamini–Hochberg, false-discovery rate ≤ {max_p_value:g})."),
    "payment_method": (rule_payment_method, "A payment method {min_extra_days:g} days or more later than ACH within the same customers, significant at 95 %, on at least {min_customers} customers paying both ways (at least {min_invoices} invoices)."),
    "terms": (rule_terms, "Terms paid more than {max_avg_days_late:g} days late on average and {min_extra_days:g} days or more later than the most used terms within the same customers, significant at 95 %, on at least {min_customers} customers (at least {min_invoices} invoices)."),
    "early_pay": (rule_early_pay, "An early-pay discount taken on fewer than {min_take_up_pct:g} % of the eligible invoices (at least {min_invoices})."),
}


def rule_thresholds() -> pd.DataFrame:
    """Every rule of :data:`RULES` with its threshold in words, filled from the rule function's keyword
    defaults. Columns: rule, fires_when."""
    rows = []
    for name, (fn, text) in RULES.items():
        defaults = {k: v.default for k, v in inspect.signature(fn).parameters.items() if v.default is not inspect.Parameter.empty}
        rows.append({"rule": name.replace("_", " "), "fires_when": text.format(**defaults)})
    return pd.DataFrame(rows)


def recommendations(r: PolicyReview) -> pd.DataFrame:
    """Every rule of :data:`RULES` applied to the review's evidence, in order. Columns: no (1…), area,
    recommendation, evidence, rule, customers. Empty when no rule fires, and when the quarter reviewed is
    partial (the ledger does not cover it in full): no rule is applied to a partial quarter."""
    cols = ["no", "area", "recommendation", "evidence", "rule", "customers"]
    if "complete" in r.figures and not bool(r.figures["complete"].iloc[-1]):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "no" else "str") for c in cols})
    names = pd.Series(customer_names(r.ledger, r.billing_customers["customer_id"]).to_numpy(), index=r.billing_customers["customer_id"].to_numpy())
    recs = [
        *rule_targets_missed(r.figures, policy=r.policy),
        *rule_ladder_step(r.adherence_summary),
        *rule_agency_recovery(r.referrals),
        *rule_credit_limit_review(r.utilisation, threshold_pct=r.policy["credit_hold"]["utilisation"] * 100.0),
        *(rule_credit_holds(hold_effect_totals(r.hold_effects)) if len(r.hold_effects) else []),
        *(rule_disputes(r.dispute_lateness, dispute_quarter(r.disputes, r.quarter)) if len(r.disputes) else []),
        *rule_lost_customers(r.retention),
        *rule_month_end_billing(r.billing_customers, names),
        *rule_payment_method(r.method_effects),
        *rule_terms(r.terms_effects, late_fee_in_force=float((r.policy.get("late_fee") or {}).get("rate_per_month", 0) or 0) > 0),
        *rule_early_pay(r.early_pay_summary),
    ]
    cols = ["no", "area", "recommendation", "evidence", "rule", "customers"]
    if not recs:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "no" else "str") for c in cols})
    out = pd.DataFrame(recs)
    out.insert(0, "no", np.arange(1, len(out) + 1))
    out["customers"] = out["customers"].astype("Int64")
    return out[cols]



def section_recommendations(r: PolicyReview) -> list:
    """The rule-based recommendations, each with its evidence."""
    rec = r.recommendations
    r.book.add("recommendations", rec)
    rules = rule_thresholds()
    r.book.add("rules", rules)
    rules_t = table(rules.rename(columns={"rule": "Rule", "fires_when": "Fires when"}), caption="The rules and their thresholds", max_rows=len(rules))
    if "complete" in r.figures and not bool(r.figures["complete"].iloc[-1]):
        note = r.figures["coverage"].iloc[-1]
        return [Markdown(f"No rule is applied: {esc(r.label)} is a partial quarter ({esc(note)}), so its figures cannot be judged against the thresholds."), rules_t]
    if rec is None or rec.empty:
        return [Markdown("No rule fired: every figure the rules watch is within its threshold."), rules_t]
    items = "\n".join(f"{row.no}. **{esc(row.recommendation)}** — {esc(row.evidence)}" for row in rec.itertuples())
    return [Markdown(items), rules_t]
