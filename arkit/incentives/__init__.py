"""Incentive programs — early-pay discounts, late fees, next-purchase credits, perks, payment plans — priced
on the ledger's own payment behaviour.

Whether a 2 % early-pay discount pays for itself depends on who would take it: customers who already pay
within the window take it and give nothing back; slower payers might change. Every program is priced from
the invoices settled over a lookback (default 12 months) before ``as_of``, scaled to a year of sales.

The behavioural model (one documented assumption, with a range)
----------------------------------------------------------------
For a program with a *window* (discount, next-purchase credit, perk: ``window`` days from the invoice date;
late fee: ``grace_days`` after the due date), each settled invoice of the lookback, paid ``d`` days after the
invoice date (late fee: ``d`` = days late), falls in one of three groups:

- **already early** — ``d ≤ window``: the payer takes the offer with no change in behaviour. For an
  offer this is pure cost; for a late fee it is simply not charged.
- **movable** — ``window < d ≤ window + reach_days``: with probability ``p`` (the *shift probability*,
  low / base / high from the config) the payer moves this invoice to the window's last day: it pays
  ``d − window`` days sooner and takes the offer (late fee: avoids the fee). With probability ``1 − p`` it
  behaves as before (late fee: pays the fee).
- **out of reach** — ``d > window + reach_days``: no change.

Per customer this gives an *already-early share* and a *movable share* of its sales, read from its own
days-to-pay history; the expected take-up is ``already + p × movable`` (amounts). Every figure is therefore
linear in ``p``: each program is summarised by components ``x_a`` (at ``p = 0``) and ``x_m`` (added per unit
of ``p``), per customer; see :func:`program_components` and :func:`program_figures`. The payment plan uses
``p`` as the share of eligible past-due balances that accept a plan.

Annualisation: the lookback's settled invoices (paid in full with a settled date in
``(as_of − lookback_months, as_of]``, credit notes excluded) are taken as representative of a year of sales:
each invoice's amount is scaled by ``k = S ÷ Σ amount settled in the lookback``, where ``S`` is the gross
invoiced sales of the 12 months to ``as_of`` (:func:`annual_sales`). Customers with no settled invoice in
the lookback are represented by everyone else's behaviour through ``k``.

Money is in the ledger's currency per year; shares are fractions (0.25 = 25 %); days are calendar days.

Modules: ``programs`` (the programs file, offers and their yearly cost), ``takeup`` (the behavioural model and
every program figure), ``calibration`` (what the ledger itself says about the assumptions), ``compare``
(:func:`compare_programs`), ``pilot`` (:func:`pilot_evaluation`).
"""

from __future__ import annotations

from .programs import DEFAULT_PROGRAMS, DAYS_PER_MONTH, PROGRAM_TYPES, discount_cost, program_window, describe_program, annualised_cost, load_programs, validate_programs
from .takeup import COMPONENTS, late_fee, classify_payments, carrying_value, dso_change, exposure_loss_change, program_figures, break_even_take_up, annual_sales, annual_sales_by_customer, behaviour_sample, past_due_flow, program_components
from .calibration import MIN_BALANCES, MIN_ELIGIBLE, Calibration, assumption_table, calibrate, early_pay_history, measured_recovery, offered_customers
from .compare import IncentiveComparison, compare_programs
from .pilot import pilot_flags, bootstrap_difference, PilotEvaluation, pilot_evaluation

__all__ = [
    "annual_sales_by_customer",
    "offered_customers",
    "measured_recovery",
    "early_pay_history",
    "calibrate",
    "assumption_table",
    "Calibration",
    "MIN_ELIGIBLE",
    "MIN_BALANCES",
    "COMPONENTS",
    "DAYS_PER_MONTH",
    "DEFAULT_PROGRAMS",
    "IncentiveComparison",
    "PROGRAM_TYPES",
    "PilotEvaluation",
    "annual_sales",
    "annualised_cost",
    "behaviour_sample",
    "bootstrap_difference",
    "break_even_take_up",
    "carrying_value",
    "classify_payments",
    "compare_programs",
    "describe_program",
    "discount_cost",
    "dso_change",
    "exposure_loss_change",
    "late_fee",
    "load_programs",
    "past_due_flow",
    "pilot_evaluation",
    "pilot_flags",
    "program_components",
    "program_figures",
    "program_window",
    "validate_programs",
]
