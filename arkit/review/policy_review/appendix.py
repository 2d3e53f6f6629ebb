"""Section 10 — the definition of every metric of the pack, and what was loaded."""

from __future__ import annotations

import pandas as pd

from ..display import load_report_parts, table
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

#: Every metric of the pack, in words (the report's appendix). Term → definition.
DEFINITIONS = {
    "Quarter, year": "The quarter is judged as known on its last day: only what is dated on or before it counts. 'The year' is the 12 months ending that day.",
    "Open AR": "Invoices dated up to the day less payments received up to it; credit notes and unapplied cash reduce it.",
    "DSO, quarter": "Open AR at the quarter end ÷ the quarter's sales × the quarter's calendar days (period method, 3-month window).",
    "DSO, countback": "Open AR at the quarter end exhausted against monthly sales going back; whole months count their calendar days.",
    "BPDSO": "Best possible DSO: the DSO formula applied to the part of AR not yet due.",
    "ADD": "Average days delinquent: DSO − BPDSO.",
    "CEI, mean of months": "The mean of the quarter's three monthly CEIs, each (open AR at the previous month end + the month's sales − open AR at the month end) ÷ (open AR at the previous month end + the month's sales − current AR at the month end) × 100, as in the monthly review. The CEI target applies to this figure.",
    "CEI, multi-month formula": "(Open AR at the previous quarter end + the quarter's sales ÷ 3 − open AR at the quarter end) ÷ (open AR at the previous quarter end + the quarter's sales ÷ 3 − current AR at the quarter end) × 100: the textbook CEI over several months, shown without a target.",
    "Partial quarter": "A quarter the ledger does not cover in full: its history starts on or after the quarter's first day (no opening balance), or ends more than 7 days before its last day. Shown greyed and marked; never counted in quarters on target, the trend charts' points or any rule.",
    "% current, % 91+": "The part of open AR not yet due, and the part in the oldest aging bucket (91+ days past due), at the quarter end, as a share of open AR (unapplied cash received more than 90 days earlier counts negative there, as in the aging).",
    "Collections, sales": "Payments received, and invoices issued (credit notes netted), dated in the quarter.",
    "Write-off": "A write-off entry in the activity log; its amount is the invoice's balance on the write-off day (the customer's open AR when no invoice is named). Write-offs ÷ sales uses the quarter's sales.",
    "Ladder step on time, late, never": "A step is due on its trigger day (the invoice's due date + the step's day, on the customer's segment path) when the invoice is still unpaid. On time: the step's action was logged by the trigger day + 3 days (earlier counts); late: afterwards; never: not by the quarter end. Invoices paid before the deadline, under dispute or under a payment plan are left out; pending: deadline after the quarter end.",
    "Median delay": "The median of (date the step was logged − trigger day) over the invoices that got the step.",
    "Referral recovery": "For the invoices referred to an agency or legal in the year (those the referral names; for a referral naming none, the customer's invoices past due that day — never an invoice not yet due): their balance at referral, and the payments and credits applied to them since, net of fees and interest charged, at most what was owed. Per stage (agency, legal) from each stage's date; all referrals count each invoice once, from its first referral.",
    "Credit-limit utilisation": "A customer's open AR ÷ its credit limit; a breach is utilisation above the policy's credit-hold share (100 %).",
    "Credit hold effect": "For holds placed in the year before the last 90 days: the customer's sales and payments in the 90 days before the hold against the 90 days from it.",
    "Time to resolve a dispute": "From the dispute-opened entry of the activity log to the next dispute-resolved entry of the same invoice, in days.",
    "Share of late payment explained by disputes": "Past-due amount-days on disputed invoices ÷ past-due amount-days on all invoices in the quarter; an invoice's amount-days add its unpaid past-due balance for every day of the quarter (1,000 unpaid for 20 days = 20,000).",
    "Payment plan started, completed, broken": "Agreed in the quarter; completed (paid in full) or broken (two installments missed past 5 days' grace) during the quarter, i.e. not so at the previous quarter end.",
    "Delinquent customer": "A customer with an invoice more than 60 days past due and unpaid on some day of the year.",
    "Recovered": "At the quarter end, nothing more than 30 days past due.",
    "Still buying / lost": "Still buying: invoiced after becoming delinquent and within the last 90 days; otherwise stopped buying (lost).",
    "Billing day": "The invoice date's day of the month: start (1-10), mid (11-20), end (21-31).",
    "Days late": "Settled date − due date of an invoice paid in full (negative when paid early); invoices settled in the year.",
    "Payment method": "The method of the payment that completed the invoice's settlement.",
    "Within-customer gap": "How much later invoices of one method, billing day or terms are paid than the reference (ACH, mid-month, the most used terms) by the same customers: a regression of days late with a fixed effect per customer, standard errors clustered by customer, 95 % confidence interval. It rests only on the customers who used both; a recommendation needs it to be material and its interval to exclude zero.",
    "Early-pay take-up": "An invoice on terms such as 2/10 Net 30 took the discount when payments in its first 10 days reached its amount less the discount; take-up (share of invoices) = invoices that took it ÷ invoices eligible (window closed); take-up (share of amount) = the amount of those that took it ÷ the eligible amount — the measure the incentive comparison prices on, over the 12 months to its own pricing date. Annualised cost = rate ÷ (1 − rate) × 365 ÷ (net days − discount days).",
    "Recommendation": "A rule with a documented threshold fired on the evidence shown; each lists that evidence.",
}



def section_appendix(r: PolicyReview) -> list:
    """The definition of every metric used, and what was loaded."""
    d = pd.DataFrame({"Term": list(DEFINITIONS), "Definition": list(DEFINITIONS.values())})
    r.book.add("definitions", d)
    out = [table(d, max_rows=len(d))]
    return out + load_report_parts(r.ledger, r.book, caption="What was loaded")
