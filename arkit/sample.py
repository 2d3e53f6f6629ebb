"""A deterministic, realistic sample receivables ledger for demos, tests and benchmarks.

``make_sample_ledger()`` builds the canonical tables (invoices, payments, customers, activities,
adjustments, see :mod:`arkit.model`) for a fictitious mid-market US distributor: by default about 20,000 invoices to about
150 customers over the 24 months ending at ``as_of`` (the last month end before today unless given).
``write_sample()`` saves them as an Excel workbook (one sheet per table) or as a folder of CSV files.
The same ``seed`` and ``as_of`` always give exactly the same ledger.

Customers and their payment behaviour
-------------------------------------
Every customer belongs to one ``segment`` (column ``segment`` of the customers table), which drives how
it pays. Shares are of customers (each segment always has at least one customer):

- ``prompt`` (35 %): pays a few days *before* the due date; now and then a few days late.
- ``good_slipping`` (30 %): pays around the due date, but has one to three "episodes" of one to three
  months in which invoices falling due are paid 10-40 days late, and drifts a few days later in the
  last six months.
- ``chronic_late`` (20 %): routinely pays 20-90 days past due (each customer has its own habit, around
  30-60 days late).
- ``new`` (10 %): became a customer (``since``) within the last six months; first invoice on or after
  that date; its behaviour is still unknown, so each new customer is randomly good, so-so or late.
- ``defaulter`` (5 %): pays normally for most of the history, slips in the two months before it stops,
  then *stops paying entirely* 4-8 months before ``as_of``. It keeps being invoiced for another 3-7
  weeks (until the credit hold bites) and those invoices are never paid.

Customer size (invoice volume) and typical invoice amount are log-normal, so a few customers dominate
sales, as in real books. Terms are mostly Net 30 (also Net 15/45/60); ``credit_limit`` is roughly the
customer's usual monthly billing times (terms / 30 + 1), rounded up to 5,000 (new customers get 60 % of
that).

Billing and payment options (drawn from a second random stream, so the behaviour above is unchanged):

- **Early-pay program.** About :data:`EARLY_PAY_SHARE` (15 %) of the Net 30 customers (at least one when
  there is a Net 30 customer) are billed on :data:`EARLY_PAY_TERMS`, ``"2/10 Net 30"``: 2 % off when paid
  within 10 days of the invoice date, else due in 30 (``terms_days`` stays 30). Such a customer takes the
  discount on a share of its invoices depending on its segment (prompt 60 %, good_slipping 35 %, new 30 %,
  defaulter 10 %, chronic_late 5 %; never on a disputed invoice) — at most as many invoices as half the
  credit-note budget, so the discount credit notes below never crowd out the others. A discounted invoice
  is paid 5-10 days after its date, in one line of its full amount; **the discount taken is a credit
  note** (``terms`` :data:`DISCOUNT_NOTE_TERMS`, ``"Early-payment discount"``) of 2 % of the invoice,
  dated the payment day and netted in the same remittance (a negative line of its amount), like any
  credit note taken as a deduction: the cash received is 98 %, both documents are closed, and sales are
  net of the discount.
- **Month-end cut-off.** About :data:`MONTH_END_CUTOFF_SHARE` (25 %) of the customers close their payables
  run before month end: their invoices dated on the 21st or later are paid 8-16 days later than they would
  be.
- **Checks** spend a few days in the mail: customers who prefer to pay by check pay about 3 days later.

Invoices
--------
Invoice dates follow a seasonal pattern (strong October-December, weak July-August, a small
month-end billing bump, little weekend billing, slight growth over the two years). ``due_date`` is
``invoice_date + terms_days``; ``terms`` is the text ``"Net 30"`` etc. (``"2/10 Net 30"`` for the
early-pay customers). ``paid_date`` and
``open_amount`` are left empty: the payments table is the source of truth for what was paid.
About 2.5 % of invoices were disputed (``disputed`` is True for every invoice that had a dispute in the
period; the activities table tells whether it was resolved, see below).

Credit notes (~3 % of the rows) are invoices with a negative amount and ids ``CN-…``. Each relates to
an earlier invoice of the same customer (a price adjustment, a return, the outcome of a dispute, or an
early-payment discount taken); it is dated on or after that invoice, its ``due_date`` equals its date and
its ``terms`` is ``"Due on receipt"`` (``"Early-payment discount"`` for a discount). **How credit notes are settled:** most are taken by the customer as a
deduction from the payment of the related invoice. The payments table then holds, under one
``payment_id`` (one remittance), a line paying the related invoice in full and a *negative* line of
exactly the credit note's amount applied to the credit note, so the cash received is the invoice minus
the credit and both documents are closed. The others (about 15 %, plus those whose related invoice is
still unpaid at ``as_of``) stay open as negative items (credit the customer has not used yet).

Payments
--------
Each invoice's payment date is drawn from the customer's segment as days relative to the due date,
moved to the next business day, never before the invoice date. A payment that would arrive after
``as_of`` has not happened yet, so that invoice is still open at ``as_of``: this is what makes the open
receivables realistic (DSO around 35-60 days). About 8 % of the invoices being paid are paid in 2 or 3
instalments (the last one on the drawn date, earlier ones 1-5 weeks apart), so some are partly paid at
``as_of``. Disputed invoices are paid only after the dispute is resolved (never, while it is open).

``payment_id`` identifies a remittance: all lines a customer paid on the same day share one
``payment_id`` (so ``(payment_id, invoice_id)`` is unique, not ``payment_id`` alone). ``method`` (ach,
wire, check, card) is one per remittance, usually the customer's preferred method. About 0.5 % of
the lines are unapplied cash (cash on account): ``invoice_id`` is empty. A handful of invoices are
slightly overpaid, deliberately: at most :data:`OVERPAY_SHARE` of the invoices, each by at most
:data:`OVERPAY_MAX_FRACTION` of its amount (and at most 250.00). Apart from those, the payments applied to
an invoice never exceed its amount. All amounts are rounded to the cent and reconcile exactly.

Payment plans: a few ``chronic_late`` customers and about half of the ``defaulter`` customers agreed a
payment plan covering their past-due invoices: ``n`` monthly instalments (all falling due on or before
``as_of``). Chronic customers pay each instalment within a few days of its due date (the cash is applied
to the covered invoices, oldest first); defaulters never pay a single one (a broken plan). There is at
least one plan whenever a chronic or defaulter customer has a suitable past-due history. And when no plan
was agreed in the last three months, a chronic customer with past-due invoices agrees one 66-86 days
before ``as_of``: two monthly instalments, each paid up to 3 days early, so the plan is completed by
``as_of`` (a quarterly review ending at ``as_of`` sees a plan started and completed in its quarter).

Activities (the collections log)
--------------------------------
Built from each invoice's past-due episode (until it was fully paid, or until ``as_of`` if still open),
following this ladder, imperfectly (each step skipped with ~15 % probability and about a third of the
steps 1-10 days late; steps are moved to business days):

=============  ======================  ==========================================================
day vs due      action                  outcome
=============  ======================  ==========================================================
-3, +1          ``reminder``            ``sent`` (automated e-mail)
+15             ``call``                ``reached`` / ``no_answer`` / ``left_voicemail``
 (with call)    ``promise_to_pay``      ``kept`` if a payment on the invoice arrived by the
                                        ``promised_date``, else ``broken`` (``promised_amount`` is
                                        the amount open on the day of the call)
+30             ``letter``              ``sent``
+45             ``credit_hold``         ``on_hold``: one per customer while any invoice is 45+ days
                                        past due; ``credit_release`` (``released``) when those are paid
+60             ``demand_letter``       ``sent``
+90             ``agency``              ``placed``
+120 (rarely)   ``legal``               ``referred``
+150..200       ``write_off``           ``written_off`` (some defaulter invoices only)
=============  ======================  ==========================================================

A promise is only recorded when a call reached the customer (about half of those calls); the
customer usually names a date close to when it really pays, so some promises are kept and some broken
by a few days. Disputed invoices get a ``dispute_opened`` row (outcome = the reason) and, when resolved by ``as_of``, a
``dispute_resolved`` row (``credit_issued`` with the credit note id in the note, or ``no_credit``);
dunning pauses while a dispute is open. Payment plans get one ``payment_plan`` row per instalment, dated
the day the plan was agreed, with ``promised_date`` = instalment due date, ``promised_amount`` = the
instalment, outcome ``installment k/n`` and note ``Payment plan: n monthly installments of X``; dunning
on the covered invoices pauses while the plan runs. ``invoice_id`` is empty on customer-level rows
(``payment_plan``, ``credit_release``). A ``write_off`` row records the decision; the **adjustments**
table books it: one row per written-off invoice (kind ``write_off``, ``adjustment_id`` ``ADJ-…``, dated the
day of the write_off activity, amount = the invoice's balance open that day), so the invoice leaves open
AR on that day. No payment arrives on a written-off invoice afterwards.

Nothing that happened is dated after ``as_of``: invoice, payment, activity, promised and ``since``
dates are all on or before it (promises and plan instalments are only recorded when they fall due by
``as_of``). Only the ``due_date`` of the most recent invoices lies after ``as_of``, as in any real
ledger (a due date is a term, not an event).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .model import ACTIONS, TABLE_NAMES, columns

__all__ = [
    "make_sample_ledger",
    "write_sample",
    "write_workbook",
    "write_csv_folder",
    "SEGMENTS",
    "EARLY_PAY_TERMS",
    "EARLY_PAY_RATE",
    "EARLY_PAY_DAYS",
    "DISCOUNT_NOTE_TERMS",
]

SEGMENTS = ("prompt", "good_slipping", "chronic_late", "new", "defaulter")
SEGMENT_SHARES = (0.35, 0.30, 0.20, 0.10, 0.05)
PROMPT, SLIPPING, CHRONIC, NEW, DEFAULTER = range(5)

#: At most this share of invoices is deliberately overpaid …
OVERPAY_SHARE = 0.003
#: … each by at most this fraction of its amount (and at most 250.00).
OVERPAY_MAX_FRACTION = 0.02
_OVERPAY_MAX_CENTS = 25_000

CREDIT_NOTE_SHARE = 0.03
DISPUTE_SHARE = 0.025
PARTIAL_SHARE = 0.08
UNAPPLIED_SHARE = 0.005
METHODS = ("ach", "wire", "check", "card")

#: The early-payment discount program: terms text, discount rate and discount days (2 % off when paid within
#: 10 days of the invoice date; net 30 otherwise). Offered to about EARLY_PAY_SHARE of the Net 30 customers.
EARLY_PAY_TERMS = "2/10 Net 30"
EARLY_PAY_RATE = 0.02
EARLY_PAY_DAYS = 10
EARLY_PAY_SHARE = 0.15
#: Terms text of the credit note that records a discount taken.
DISCOUNT_NOTE_TERMS = "Early-payment discount"
#: Share of the invoices of an early-pay customer on which the discount is taken, by segment
#: (prompt, good_slipping, chronic_late, new, defaulter).
_TAKE_UP = np.array([0.6, 0.35, 0.05, 0.3, 0.1])
#: Share of customers whose accounts-payable run closes before month end: invoices dated on day 21 or later
#: miss the run and are paid about MONTH_END_EXTRA_DAYS days later.
MONTH_END_CUTOFF_SHARE = 0.25
MONTH_END_EXTRA_DAYS = (8, 16)

_NEVER = np.int64(10**9)  # "no such date" in integer day arithmetic (never converted to a date)

# ------------------------------------------------------------------------------------------------ names
_PREFIXES = tuple(
    (
        "Blue Ridge|Summit|Harbor|Pinecrest|Redwood|Granite|Lakeside|Prairie|Keystone|Silver Creek|Ironwood|"
        "Bayview|Evergreen|Horizon|Meridian|Cascade|Liberty|Pioneer|Riverbend|Oak Hollow|Sterling|Atlas|"
        "Beacon|Cedar Point|Copperfield|Crescent|Eagle Rock|Falcon|Frontier|Gateway|Heritage|Highland|"
        "Juniper|Lone Star|Magnolia|Mesa Verde|Northgate|Orchard|Patriot|Pinnacle|Quarry Hill|Ridgeline|"
        "Sandstone|Sequoia|Southfork|Tidewater|Trailhead|Vanguard|Westbrook|Willow Creek|O'Neill|"
        "Dalton & Reed|Hartley|Kessler|Mendoza|Whitaker|Brennan|Castillo|Lindqvist|Okafor|Nakamura|Abernathy|"
        "Thornton|Galloway|Fairbanks"
    ).split("|")
)
_CORES = tuple(
    (
        "Logistics|Foods|Manufacturing|Medical Supply|Electric|Packaging|Construction|Auto Parts|Hardware|"
        "Plastics|Textiles|Dental Group|Engineering|Builders|Distribution|Farms|Industrial Supply|Printing|"
        "Home Health|Restaurant Group|Marine|Steel|Laboratories|Pharmacy|Energy|Landscaping|Freight|"
        "Furniture|Paper|Veterinary Clinics|Roofing|HVAC Services|Office Supply|Brewing|Tool & Die"
    ).split("|")
)
_SUFFIXES = ("Inc.", "LLC", "Corp.", "Co.", "Ltd.", "Group", "Holdings, Inc.", "& Sons", "Partners LP", "")
_SUFFIX_P = (0.24, 0.26, 0.1, 0.08, 0.03, 0.06, 0.05, 0.04, 0.03, 0.11)
_FIRST = ("Maria", "James", "Aisha", "Chen", "Olivia", "Rahul", "Sofia", "Daniel", "Grace", "Tomás", "Hannah", "Kwame", "Elena", "Marcus", "Priya", "Liam")
_LAST = ("Garcia", "Smith", "Khan", "Wang", "Johnson", "Patel", "Rossi", "Brown", "Okafor", "Müller", "Nguyen", "O'Neill", "Silva", "Cohen", "Kowalski", "Lee")
_STREETS = ("Market Street", "Oak Avenue", "Industrial Park Road", "Harbour View", "Station Road", "Elm Drive", "Commerce Boulevard", "Mill Lane")
_CITIES = (("Springfield", "IL", "627"), ("Riverton", "WY", "825"), ("Fairview", "OR", "970"), ("Madison", "WI", "537"), ("Franklin", "TN", "370"), ("Georgetown", "TX", "786"), ("Salem", "MA", "019"), ("Clinton", "IA", "527"))


def _contacts(n: int, seed: int) -> dict[str, pd.Series]:
    """Contact name, phone and postal address per customer, from their own stream (``[seed, 2]``) so the
    rest of the ledger is unchanged. About 85 % have a contact name, 90 % a phone, 80 % a postal address
    (address line 2 for a quarter of those); the others are left empty, as in real customer masters."""
    rng = np.random.Generator(np.random.PCG64([seed, 2]))
    first = np.array(_FIRST)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_LAST)[rng.integers(0, len(_LAST), n)]
    has_name, has_phone, has_addr, has_line2 = (rng.random(n) < p for p in (0.85, 0.90, 0.80, 0.25))
    city = rng.integers(0, len(_CITIES), n)
    num = rng.integers(1, 2000, n)
    street = np.array(_STREETS)[rng.integers(0, len(_STREETS), n)]
    suite = rng.integers(100, 900, n)
    zip_tail = rng.integers(0, 100, n)
    phone = rng.integers(200, 999, n), rng.integers(1000, 9999, n)

    def opt(values, keep) -> pd.Series:
        return _str(np.where(keep, np.asarray(values, dtype=object), None))

    cities = np.array([c[0] for c in _CITIES], dtype=object)[city]
    regions = np.array([c[1] for c in _CITIES], dtype=object)[city]
    zips = pd.Series(np.array([c[2] for c in _CITIES], dtype=object)[city]) + pd.Series(zip_tail).astype("str").str.zfill(2)
    return {
        "contact_name": opt(pd.Series(first) + " " + pd.Series(last), has_name),
        "phone": opt("+1 555 " + pd.Series(phone[0]).astype("str") + " " + pd.Series(phone[1]).astype("str"), has_phone),
        "address_line1": opt(pd.Series(num).astype("str") + " " + pd.Series(street), has_addr),
        "address_line2": opt("Suite " + pd.Series(suite).astype("str"), has_addr & has_line2),
        "city": opt(cities, has_addr),
        "region": opt(regions, has_addr),
        "postcode": opt(zips, has_addr),
        "country": opt(np.full(n, "United States", dtype=object), has_addr),
    }


_MAILBOXES = ("ap", "accounts.payable", "billing", "invoices", "finance", "payables")
_TLDS = (".com", ".com", ".com", ".net", ".us", ".co")

_NOTES = {
    "reminder": ("Automated reminder e-mailed to AP", "Statement and reminder sent", "Reminder e-mail sent"),
    "call": ("Called AP line", "Called AP clerk", "Follow-up call on open invoice", "Called controller"),
    "letter": ("Past-due letter mailed", "Overdue notice sent by mail", "Second notice mailed"),
    "demand_letter": ("Final demand before referral", "Demand letter sent certified mail"),
    "promise_to_pay": ("Customer promised payment", "AP confirmed payment run", "Check promised"),
    "credit_hold": ("Account placed on credit hold", "Orders blocked pending payment"),
    "credit_release": ("Past-due paid, hold released", "Account current, orders released"),
    "agency": ("Placed with collection agency", "Referred to third-party agency"),
    "legal": ("Referred to counsel", "Legal review requested"),
    "write_off": ("Written off as uncollectible", "Bad debt write-off approved"),
}
_LADDER_OUTCOME = {
    "reminder": "sent",
    "letter": "sent",
    "demand_letter": "sent",
    "agency": "placed",
    "legal": "referred",
}
_DISPUTE_REASONS = np.array(["pricing", "quantity", "damaged_goods", "not_received", "duplicate_billing"])
_DISPUTE_NOTES = np.array(
    [
        "Customer disputes unit price",
        "Short shipment reported",
        "Goods damaged on arrival",
        "Customer says goods not received",
        "Customer claims duplicate billing",
    ]
)


# ------------------------------------------------------------------------------------------------ dates
def _day(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.normalize().to_datetime64(), "D").astype("int64"))


def _weekday(days):
    return (np.asarray(days) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _next_bday(days):
    wd = _weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _prev_bday(days):
    wd = _weekday(days)
    return days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))


def _spread_bday(days, rng, forward: bool = True):
    """Move weekend days to a random business day of the next (or previous) week: Monday..Friday (or
    Friday..Monday) equally likely, so no weekday piles up. Moves at most 6 days."""
    days = np.asarray(days, dtype="int64")
    wd = _weekday(days)
    k = rng.integers(0, 5, days.shape)
    if forward:
        return days + np.where(wd == 5, 2 + k, np.where(wd == 6, 1 + k, 0))
    return days - np.where(wd == 5, 1 + k, np.where(wd == 6, 2 + k, 0))


def _dates(days, valid=None) -> np.ndarray:
    days = np.asarray(days, dtype="int64")
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    if valid is not None:
        out[~np.asarray(valid, dtype=bool)] = np.datetime64("NaT")
    return out


def _money(cents, valid=None) -> np.ndarray:
    out = np.round(np.asarray(cents, dtype="int64") / 100.0, 2)
    if valid is not None:
        out[~np.asarray(valid, dtype=bool)] = np.nan
    return out


def _str(values) -> pd.Series:
    return pd.Series(values, dtype="object").astype("str")


def _ids(prefix: str, numbers, width: int) -> pd.Series:
    return prefix + pd.Series(np.asarray(numbers, dtype="int64")).astype("str").str.zfill(width)


def _resolve_as_of(as_of) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp.today().normalize() - pd.offsets.MonthEnd(1)
    ts = pd.Timestamp(as_of)
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"as_of must be a date, got {as_of!r}")
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _quota(n: int, shares) -> np.ndarray:
    """Integer counts for ``shares`` of ``n`` (largest remainder), each at least 1 when n allows."""
    raw = np.asarray(shares) * n
    counts = np.floor(raw).astype("int64")
    rest = n - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    for i in range(len(counts)):
        if counts[i] == 0 and counts.max() > 1:
            counts[i] = 1
            counts[np.argmax(counts)] -= 1
    return counts


# ------------------------------------------------------------------------------------------------ build
def make_sample_ledger(*, n_invoices: int = 20000, seed: int = 0, as_of=None) -> dict[str, pd.DataFrame]:
    """A realistic sample ledger: ``{"invoices", "payments", "customers", "activities"}`` frames.

    ``n_invoices`` rows in the invoices table (credit notes included); customers scale gently with it
    (about 150 for 20,000, at least 10). ``as_of`` (str, date or Timestamp; default: the last calendar
    month end before today) is the snapshot date: nothing that happened is dated after it (only due dates
    of recent invoices are). Deterministic for a given ``seed`` and ``as_of``. See the module docstring
    for the behaviour model.
    """
    n_invoices = int(n_invoices)
    if n_invoices < 1:
        raise ValueError(f"n_invoices must be at least 1, got {n_invoices}")
    return _Builder(n_invoices, int(seed), _resolve_as_of(as_of)).build()


class _Builder:
    """Builds the ledger step by step. Dates are int64 day numbers (days since 1970-01-01), money is int64
    cents; "regular" invoices (positive amounts) are indexed 0..n_reg-1 in date order, credit notes
    n_reg..n_reg+n_cn-1. Converted to canonical frames only at the end (:meth:`frames`)."""

    def __init__(self, n_invoices: int, seed: int, as_of: pd.Timestamp):
        self.n = n_invoices
        self.rng = np.random.Generator(np.random.PCG64(seed))
        # a second stream for the billing-day, check-float, early-pay and recent-plan behaviour, so that
        # adding them left the draws of the first stream as they were
        self.rng2 = np.random.Generator(np.random.PCG64([seed, 1]))
        self.seed = seed  # contact details come from a third stream (see _contacts)
        # document number ranges, drawn first so they do not depend on the rest of the model
        lo, hi = [1_000, 100, 10_000], [9_000, 900, 90_000]
        self.inv_base, self.cn_base, self.pmt_base = (int(x) for x in self.rng.integers(lo, hi))
        self.as_of_ts = as_of
        self.as_of = _day(as_of)
        self.start = _day(as_of - pd.DateOffset(months=24)) + 1

    def fwd(self, days):
        return _spread_bday(days, self.rng, forward=True)

    def back(self, days):
        return _spread_bday(days, self.rng, forward=False)

    # -------------------------------------------------------------------------------------- customers
    def customers(self):
        rng, n = self.rng, self.n
        nc = max(10, int(round(150 * np.sqrt(n / 20000))))
        self.nc = nc
        seg = np.repeat(np.arange(5), _quota(nc, SEGMENT_SHARES))
        seg = rng.permutation(seg)
        self.seg = seg

        nums = 1 + np.cumsum(rng.integers(1, 6, nc))
        self.cust_id = _ids("C", nums, 5).to_numpy()

        n_combo = len(_PREFIXES) * len(_CORES)
        combo = rng.permutation(n_combo)[np.arange(nc) % n_combo]
        pre = np.array(_PREFIXES)[combo // len(_CORES)]
        core = np.array(_CORES)[combo % len(_CORES)]
        suf = np.array(_SUFFIXES)[rng.choice(len(_SUFFIXES), nc, p=_SUFFIX_P)]
        base = pd.Series(pre) + " " + pd.Series(core)
        names = (base + " " + pd.Series(suf)).str.strip()
        dup = np.arange(nc) >= n_combo  # only when more customers than word combinations
        if dup.any():
            names[dup] = names[dup] + " " + pd.Series(np.arange(nc) // n_combo + 1).astype("str")[dup]
        self.cust_name = names.to_numpy()
        slug = base.str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
        slug = slug.where(~dup, slug + pd.Series(np.arange(nc) // n_combo + 1).astype("str"))
        self.email = (
            pd.Series(np.array(_MAILBOXES)[rng.integers(0, len(_MAILBOXES), nc)])
            + "@"
            + slug
            + pd.Series(np.array(_TLDS)[rng.integers(0, len(_TLDS), nc)])
        ).to_numpy()

        self.terms = rng.choice(np.array([15, 30, 45, 60]), nc, p=[0.10, 0.62, 0.17, 0.11])
        # size (volume weight) and typical invoice amount
        self.size = np.exp(rng.normal(0.0, 1.0, nc))
        self.median_c = np.exp(rng.normal(np.log(180_000), 0.8, nc))  # cents
        self.round_biller = rng.random(nc) < 0.2

        a, s = self.as_of, self.start
        since = s - rng.integers(30, 3650, nc)
        joined_in_window = rng.random(nc) < 0.12
        since = np.where(joined_in_window, rng.integers(s, a - 200, nc), since)
        since = np.where(seg == NEW, rng.integers(a - 182, a - 20, nc), since)
        since = np.where(seg == DEFAULTER, np.minimum(since, s - 30), since)
        self.since = since
        self.stop = np.where(seg == DEFAULTER, a - rng.integers(120, 241, nc), _NEVER)
        self.active_lo = np.maximum(since, s)
        self.active_hi = np.where(seg == DEFAULTER, self.stop + rng.integers(20, 50, nc), a)

        # behaviour parameters
        self.chronic_mu = rng.uniform(30, 60, nc)
        self.new_mu = rng.choice(np.array([-3.0, 8.0, 28.0]), nc)
        # preferred payment method: larger customers pay electronically
        big = self.size * self.median_c > np.median(self.size * self.median_c)
        p_big, p_small = [0.55, 0.25, 0.15, 0.05], [0.3, 0.05, 0.45, 0.2]
        self.pref_method = np.where(big, rng.choice(4, nc, p=p_big), rng.choice(4, nc, p=p_small))

        # billing and payment options (second stream): early-pay terms, accounts-payable month-end cut-off
        r2 = self.rng2
        net30 = self.terms == 30
        early = net30 & (r2.random(nc) < EARLY_PAY_SHARE)
        if not early.any():  # at least one early-pay customer whenever a Net 30 customer exists
            good = np.flatnonzero(net30 & np.isin(seg, [PROMPT, SLIPPING]))
            pool = good if len(good) else np.flatnonzero(net30)
            if len(pool):
                early[pool[r2.integers(len(pool))]] = True
        self.early_pay = early
        self.take_up = np.where(early, _TAKE_UP[seg], 0.0)
        self.cutoff = r2.random(nc) < MONTH_END_CUTOFF_SHARE

    # -------------------------------------------------------------------------------------- invoices
    def invoices(self):
        rng = self.rng
        s, a = self.start, self.as_of
        days = np.arange(s, a + 1)
        d64 = days.astype("datetime64[D]")
        month = d64.astype("datetime64[M]").astype("int64") % 12
        dom = (d64 - d64.astype("datetime64[M]").astype("datetime64[D]")).astype("int64") + 1
        season = np.array([0.95, 0.93, 1.05, 1.0, 1.0, 0.9, 0.8, 0.82, 1.0, 1.12, 1.2, 1.25])[month]
        wdw = np.array([1.1, 1.05, 1.0, 1.0, 1.15, 0.06, 0.02])[_weekday(days)]
        w = season * wdw * np.where(dom >= 28, 1.35, 1.0) * (1 + 0.08 * (days - s) / 365.25)
        cdf = np.concatenate([[0.0], np.cumsum(w)])
        cdf /= cdf[-1]
        F = lambda d: cdf[np.clip(d - s, 0, len(days))]  # noqa: E731 - mass of days before d

        self.n_cn = int(round(CREDIT_NOTE_SHARE * self.n)) if self.n >= 50 else 0
        n_reg = self.n - self.n_cn
        lo, hi = self.active_lo, self.active_hi
        mass = F(hi + 1) - F(lo)
        p = self.size * mass
        p = p / p.sum()
        if n_reg >= self.nc:
            counts = 1 + rng.multinomial(n_reg - self.nc, p)
        else:
            counts = rng.multinomial(n_reg, p)
        cust = np.repeat(np.arange(self.nc), counts)
        u = F(lo[cust]) + rng.random(n_reg) * (F(hi[cust] + 1) - F(lo[cust]))
        inv_date = s + np.searchsorted(cdf, u, side="right") - 1
        inv_date = np.clip(inv_date, lo[cust], np.minimum(hi[cust], a))

        amt = np.round(self.median_c[cust] * np.exp(rng.normal(0, 0.55, n_reg)))
        amt = np.where(self.round_biller[cust], np.maximum(np.round(amt / 500) * 500, 500), amt)
        amt = np.maximum(amt, 2500).astype("int64")

        order = np.lexsort((rng.random(n_reg), inv_date))
        self.r_cust = cust[order]
        self.r_date = inv_date[order]
        self.r_amt = amt[order]
        self.r_due = self.r_date + self.terms[self.r_cust]
        self.n_reg = n_reg

    # -------------------------------------------------------------------------------------- behaviour
    def pay_dates(self):
        """Planned settlement date of each regular invoice (``_NEVER`` = never paid)."""
        rng, nr = self.rng, self.n_reg
        c, due, a = self.r_cust, self.r_due, self.as_of
        seg = self.seg[c]
        late = np.zeros(nr)

        m = seg == PROMPT
        now_and_then = np.where(rng.random(m.sum()) < 0.08, rng.integers(3, 10, m.sum()), 0)
        late[m] = -rng.gamma(2.0, 2.5, m.sum()) + now_and_then

        m = seg == SLIPPING
        drift = np.where(due[m] > a - 182, 4.0, 0.0)
        late[m] = rng.normal(0.5, 3.0, m.sum()) + drift
        ep_late = np.zeros(nr)
        by_cust = np.argsort(c, kind="stable")
        bounds = np.searchsorted(c[by_cust], np.arange(self.nc + 1))
        for ci in np.flatnonzero(self.seg == SLIPPING):  # a few late episodes per customer
            k = rng.integers(1, 4)
            st = rng.integers(self.start, a, k)
            ln = rng.integers(30, 91, k)
            mag = rng.uniform(10, 40, k)
            idx = by_cust[bounds[ci] : bounds[ci + 1]]
            for j in range(k):
                hit = idx[(due[idx] >= st[j]) & (due[idx] < st[j] + ln[j])]
                ep_late[hit] = mag[j] + rng.normal(0, 4, len(hit))
        late = np.where(m, late + np.clip(ep_late, 0, 45), late)

        m = seg == CHRONIC
        late[m] = np.clip(rng.normal(self.chronic_mu[c[m]], 12), 20, 90)

        m = seg == NEW
        late[m] = rng.normal(self.new_mu[c[m]], 7.0)

        m = seg == DEFAULTER
        stop = self.stop[c[m]]
        late[m] = np.clip(rng.normal(6, 7, m.sum()), -5, None) + np.where(due[m] > stop - 60, 20, 0)

        # billing day and payment method (second stream): invoices dated on day 21 or later miss the payment
        # run of customers with a month-end cut-off; checks spend a few days in the mail
        r2 = self.rng2
        dom = (self.r_date.astype("datetime64[D]") - self.r_date.astype("datetime64[D]").astype("datetime64[M]")).astype("int64") + 1
        lo, hi = MONTH_END_EXTRA_DAYS
        late = late + np.where(self.cutoff[c] & (dom >= 21), r2.uniform(lo, hi, nr), 0.0)
        late = late + np.where(self.pref_method[c] == METHODS.index("check"), r2.gamma(2.0, 1.5, nr), 0.0)

        pay = self.fwd(np.maximum(due + np.round(late).astype("int64"), self.r_date + 1))

        # disputes: paid only after resolution
        cand = np.flatnonzero(self.r_date + 5 <= a)
        nd = min(len(cand), int(round(DISPUTE_SHARE * self.n_reg)))
        disp = np.zeros(nr, dtype=bool)
        disp[rng.choice(cand, nd, replace=False)] = True
        self.disputed = disp
        di = np.flatnonzero(disp)
        opened = _next_bday(self.r_date[di] + rng.integers(5, self.terms[c[di]] + 21))
        opened = np.minimum(opened, _prev_bday(np.full(len(di), a)))
        opened = np.maximum(opened, self.r_date[di])
        resolved = _next_bday(opened + np.round(rng.gamma(2.0, 18.0, len(di))).astype("int64") + 5)
        is_res = resolved <= a
        self.d_idx, self.d_open, self.d_res, self.d_is_res = di, opened, resolved, is_res
        pay[di] = np.where(is_res, np.maximum(pay[di], self.fwd(resolved + rng.integers(2, 21, len(di)))), _NEVER)
        # early-pay customers take the discount on some invoices: paid 5-10 days after the invoice date (a
        # weekend moves back to the Friday), in full, less the discount (a credit note, see credit_notes)
        take = (r2.random(nr) < self.take_up[c]) & ~disp
        # the discounts' credit notes come out of the credit-note budget: at most half of it
        cap = self.n_cn // 2
        if take.sum() > cap:
            keep = np.zeros(nr, dtype=bool)
            keep[r2.choice(np.flatnonzero(take), cap, replace=False)] = True
            take = keep
        ep_day = _prev_bday(self.r_date + r2.integers(5, EARLY_PAY_DAYS + 1, nr))
        pay = np.where(take, ep_day, pay)
        # defaulters: nothing paid from the stop date on
        pay = np.where(pay >= self.stop[c], _NEVER, pay)
        self.pay = pay
        self.discounted = take & (pay <= a)

    # -------------------------------------------------------------------------------------- credit notes
    def credit_notes(self):
        rng, a = self.rng, self.as_of
        n_cn = self.n_cn
        di, is_res = self.d_idx, self.d_is_res
        # resolved disputes: about half end with a credit note dated on the resolution day
        # early-payment discounts taken come out of the budget first (see below)
        budget = n_cn - int(self.discounted.sum())
        want = is_res & (rng.random(len(di)) < 0.5)
        dparents = di[want][:budget]
        dcn_date = self.d_res[want][:budget]
        self.d_credit = np.zeros(len(di), dtype=bool)
        self.d_credit[np.flatnonzero(want)[:budget]] = True

        rest = budget - len(dparents)
        ok = ~self.disputed & ~self.discounted & (self.r_date + 3 <= a)
        cand = np.flatnonzero(ok)
        oparents = np.sort(rng.choice(cand, min(rest, len(cand)), replace=False))
        pd_ = self.r_date[oparents]
        limit = np.minimum(self.pay[oparents], a)
        netted_kind = rng.random(len(oparents)) >= 0.15
        span = np.maximum(limit - pd_ - 1, 0)
        early = pd_ + 1 + np.floor(rng.random(len(oparents)) * (span + 1)).astype("int64")
        late = np.minimum(pd_ + rng.integers(1, 61, len(oparents)), a)
        ocn_date = np.where(netted_kind, np.minimum(early, limit), late)
        ocn_date = np.maximum(_prev_bday(ocn_date), pd_)

        parent = np.concatenate([dparents, oparents])
        cn_date = np.concatenate([dcn_date, ocn_date])
        may_net = np.concatenate([np.ones(len(dparents), dtype=bool), netted_kind])
        frac = np.concatenate([rng.uniform(0.1, 0.5, len(dparents)), rng.uniform(0.03, 0.6, len(oparents))])
        cn_amt = np.maximum(np.round(self.r_amt[parent] * frac), 100).astype("int64")
        cn_amt = np.minimum(cn_amt, self.r_amt[parent] - 100)
        # netted: taken as a deduction from the payment of the related invoice
        ppay = self.pay[parent]
        netted = may_net & (ppay <= a) & (cn_date <= ppay)

        # early-payment discounts taken: a credit note of the discount, dated the payment day and deducted
        # from that payment (netted in the same remittance, like the credit notes above)
        ep = np.flatnonzero(self.discounted)
        ep_amt = np.maximum(np.round(self.r_amt[ep] * EARLY_PAY_RATE), 1).astype("int64")
        is_disc = np.concatenate([np.zeros(len(parent), dtype=bool), np.ones(len(ep), dtype=bool)])
        parent = np.concatenate([parent, ep])
        cn_date = np.concatenate([cn_date, self.pay[ep]])
        cn_amt = np.concatenate([cn_amt, ep_amt])
        netted = np.concatenate([netted, np.ones(len(ep), dtype=bool)])

        order = np.lexsort((parent, cn_date))
        self.cn_parent, self.cn_date = parent[order], cn_date[order]
        self.cn_amt, self.cn_netted = -cn_amt[order], netted[order]
        self.cn_discount = is_disc[order]
        self.cn_cust = self.r_cust[self.cn_parent]
        self.is_parent = np.zeros(self.n_reg, dtype=bool)
        self.is_parent[parent] = True
        self.n_cn = len(parent)
        # position of each dispute's credit note (for the note "Credit note CN-… issued")
        pos_of_parent = np.full(self.n_reg, -1)
        pos_of_parent[self.cn_parent] = np.arange(self.n_cn)
        self.d_cn_pos = np.where(self.d_credit, pos_of_parent[di], -1)

    # -------------------------------------------------------------------------------------- payment plans
    def payment_plans(self):
        rng, a, c = self.rng, self.as_of, self.r_cust
        self.covered = np.zeros(self.n_reg, dtype=bool)
        self.plan_P = np.full(self.n_reg, _NEVER)
        self.plan_pause_end = np.full(self.n_reg, _NEVER)
        lines, rows = [], []
        chosen = [
            ci
            for ci in range(self.nc)
            if (self.seg[ci] == CHRONIC and rng.random() < 0.3) or (self.seg[ci] == DEFAULTER and rng.random() < 0.6)
        ]
        candidates = rng.permutation(np.flatnonzero(np.isin(self.seg, [CHRONIC, DEFAULTER])))
        extra = [ci for ci in candidates if ci not in chosen]  # to make sure there is at least one plan
        as_of_ts = self.as_of_ts
        made = 0

        def allocate(cov, inst_amt, paid_day):
            """Payment lines paying the instalments into the covered invoices, oldest first."""
            A = np.cumsum(self.r_amt[cov])
            B = np.cumsum(inst_amt)
            bps = np.union1d(np.concatenate([[0], A]), B)
            seg_e, seg_s = bps[1:], bps[:-1]
            inv_k = np.searchsorted(A, seg_e, side="left")
            inst_k = np.searchsorted(B, seg_e, side="left")
            keep = paid_day[inst_k] <= a
            return np.column_stack([cov[inv_k][keep], paid_day[inst_k][keep], (seg_e - seg_s)[keep]])

        for ci in chosen + extra:
            if ci in extra and made > 0:
                break
            idx = np.flatnonzero(c == ci)
            eligible = ~self.disputed[idx] & ~self.is_parent[idx]
            n_inst = int(rng.integers(3, 7))
            if self.seg[ci] == CHRONIC:
                lag = self.pay[idx] - self.r_due[idx]
                for n_try in (n_inst, 3, 2):
                    trig = idx[
                        eligible
                        & (lag >= 36)
                        & (self.pay[idx] < _NEVER)
                        & (self.r_due[idx] + 35 <= a - 31 * n_try)
                        & (self.r_due[idx] >= self.start + 90)
                    ]
                    if len(trig):
                        n_inst = n_try
                        break
                if not len(trig):
                    continue
                t = trig[rng.integers(len(trig))]
                P = int(_next_bday(self.r_due[t] + 30 + rng.integers(0, 6)))
                P = min(P, int(self.pay[t]) - 1)
            else:
                P = int(_next_bday(self.stop[ci] + rng.integers(45, 76)))
                n_max = (a - P) // 31
                if n_max < 2:
                    continue
                n_inst = int(rng.integers(2, min(6, n_max) + 1))
            cov = idx[eligible & (self.r_due[idx] < P) & (self.pay[idx] > P)]
            if not len(cov):
                continue
            p_ts = pd.Timestamp(np.datetime64(P, "D"))
            inst_ts = [p_ts + pd.DateOffset(months=k) for k in range(1, n_inst + 1)]
            if inst_ts[-1] > as_of_ts:
                continue
            inst_day = np.array([_day(t) for t in inst_ts], dtype="int64")
            total = int(self.r_amt[cov].sum())
            each = total // n_inst
            inst_amt = np.full(n_inst, each, dtype="int64")
            inst_amt[-1] = total - each * (n_inst - 1)
            made += 1
            self.covered[cov] = True
            self.plan_P[cov] = P
            if self.seg[ci] == CHRONIC:
                self.plan_pause_end[cov] = _NEVER
                paid_day = self.fwd(inst_day + rng.integers(0, 6, n_inst))
                lines.append(allocate(cov, inst_amt, paid_day))
            else:
                self.plan_pause_end[cov] = inst_day[0] + 10
            note = f"Payment plan: {n_inst} monthly installments of {each / 100:,.2f}"
            for k in range(n_inst):
                rows.append((P, ci, k + 1, n_inst, int(inst_day[k]), int(inst_amt[k]), note))

        # a recent plan (second stream): when no plan was agreed in the last three months, a chronic late
        # payer with past-due invoices agrees one 66-86 days before as_of — two monthly instalments, each paid
        # up to 3 days early — so a quarterly review sees a plan started and completed in its quarter
        r2 = self.rng2
        if not any(r[0] >= a - 88 for r in rows):
            for ci in r2.permutation(np.flatnonzero(self.seg == CHRONIC)):
                P = int(_prev_bday(np.int64(a - r2.integers(66, 87))))
                idx = np.flatnonzero(c == ci)
                ok = ~self.disputed[idx] & ~self.is_parent[idx] & ~self.covered[idx]
                cov = idx[ok & (self.r_due[idx] < P) & (self.pay[idx] > P)]
                if not len(cov):
                    continue
                p_ts = pd.Timestamp(np.datetime64(P, "D"))
                inst_day = np.array([_day(p_ts + pd.DateOffset(months=k)) for k in (1, 2)], dtype="int64")
                total = int(self.r_amt[cov].sum())
                each = total // 2
                inst_amt = np.array([each, total - each], dtype="int64")
                paid_day = np.maximum(_prev_bday(inst_day - r2.integers(0, 4, 2)), P + 1)
                self.covered[cov] = True
                self.plan_P[cov] = P
                self.plan_pause_end[cov] = _NEVER
                lines.append(allocate(cov, inst_amt, paid_day))
                note = f"Payment plan: 2 monthly installments of {each / 100:,.2f}"
                for k in range(2):
                    rows.append((P, ci, k + 1, 2, int(inst_day[k]), int(inst_amt[k]), note))
                break
        self.pay = np.where(self.covered, _NEVER, self.pay)
        self.plan_lines = np.concatenate(lines) if lines else np.zeros((0, 3), dtype="int64")
        self.plan_rows = rows

    # -------------------------------------------------------------------------------------- payments
    def payments(self):
        rng, a, nr = self.rng, self.as_of, self.n_reg
        paid = self.pay < _NEVER
        plain = paid & ~self.disputed & ~self.is_parent
        cand = np.flatnonzero(plain)
        npart = int(round(PARTIAL_SHARE * paid.sum()))
        part = np.zeros(nr, dtype=bool)
        part[rng.choice(cand, min(npart, len(cand)), replace=False)] = True

        # single full payments
        single = np.flatnonzero(paid & ~part)
        s_amt = self.r_amt[single].copy()
        # a handful of deliberate overpayments
        ocand = np.flatnonzero((self.pay[single] <= a) & ~self.is_parent[single] & ~self.disputed[single])
        nover = min(len(ocand), int(np.floor(OVERPAY_SHARE * self.n)))
        if nover:
            oi = rng.choice(ocand, nover, replace=False)
            excess = np.round(s_amt[oi] * rng.uniform(0.0005, OVERPAY_MAX_FRACTION, nover))
            excess = np.clip(excess, 1, _OVERPAY_MAX_CENTS).astype("int64")
            s_amt[oi] += excess
        L = [np.column_stack([single, self.pay[single], s_amt])]

        # instalments: 2 or 3 parts, the last on the planned date
        pi = np.flatnonzero(part)
        k = rng.integers(2, 4, len(pi))
        frac = np.column_stack(
            [
                np.where(k == 2, rng.uniform(0.2, 0.7, len(pi)), rng.uniform(0.15, 0.45, len(pi))),
                rng.uniform(0.15, 0.4, len(pi)),
            ]
        )
        amt = self.r_amt[pi]
        p0 = np.round(amt * frac[:, 0]).astype("int64")
        p1 = np.where(k == 3, np.round(amt * frac[:, 1]).astype("int64"), 0)
        p0 = np.clip(p0, 1, amt - 2)
        p1 = np.where(k == 3, np.clip(p1, 1, amt - p0 - 1), 0)
        plast = amt - p0 - p1
        gap1 = rng.integers(7, 36, len(pi))
        gap2 = rng.integers(7, 36, len(pi))
        d_last = self.pay[pi]
        d_mid = d_last - gap1
        d_first = np.where(k == 3, d_mid - gap2, d_mid)
        floor_ = self.r_date[pi] + 1
        d_first = self.fwd(np.maximum(d_first, floor_))
        d_mid = self.fwd(np.maximum(d_mid, floor_))
        L.append(np.column_stack([pi, d_first, p0]))
        m3 = k == 3
        L.append(np.column_stack([pi[m3], d_mid[m3], p1[m3]]))
        L.append(np.column_stack([pi, d_last, plast]))
        L.append(self.plan_lines)
        lines = np.concatenate(L).astype("int64")
        lines = lines[lines[:, 1] <= a]
        # credit notes taken as deductions (rows for invoice positions nr + j)
        cn_pos = np.flatnonzero(self.cn_netted)
        cn_lines = np.column_stack([nr + cn_pos, self.pay[self.cn_parent[cn_pos]], self.cn_amt[cn_pos]])
        lines = np.concatenate([lines, cn_lines.astype("int64")])
        # one line per (invoice, date)
        df = pd.DataFrame(lines, columns=["inv", "day", "cents"])
        df = df.groupby(["inv", "day"], sort=True, as_index=False)["cents"].sum()
        self.lines = df  # applied lines, sorted by invoice then date

        inv_cust = np.concatenate([self.r_cust, self.cn_cust])
        cust = inv_cust[df["inv"].to_numpy()]
        # unapplied cash on account
        nun = max(1, int(round(UNAPPLIED_SHARE * len(df))))
        w = self.size * (self.seg != DEFAULTER) + 1e-9
        ucust = rng.choice(self.nc, nun, p=w / w.sum())
        ulo = np.maximum(self.active_lo[ucust], a - 700)
        recent = rng.random(nun) < 0.5
        anytime = ulo + np.floor(rng.random(nun) * (a - ulo + 1)).astype("int64")
        uday = np.where(recent, a - rng.integers(0, 46, nun), anytime)
        uday = np.maximum(self.back(np.minimum(uday, a)), ulo)
        ucents = np.round(self.median_c[ucust] * np.exp(rng.normal(0, 0.5, nun)))
        ucents = np.where(rng.random(nun) < 0.3, np.maximum(np.round(ucents / 10000) * 10000, 10000), ucents)
        ucents = ucents.astype("int64")

        all_cust = np.concatenate([cust, ucust])
        all_day = np.concatenate([df["day"].to_numpy(), uday])
        all_inv = np.concatenate([df["inv"].to_numpy(), np.full(nun, -1)])
        all_cents = np.concatenate([df["cents"].to_numpy(), ucents])
        # remittances: applied lines of one customer on one day share a payment_id
        cust_day = all_cust.astype("int64") * 100_000 + (all_day - self.start + 50_000)
        rkey = np.where(all_inv >= 0, cust_day, -1 - np.arange(len(all_inv)))  # unapplied: one each
        ukeys, rid = np.unique(rkey, return_inverse=True)
        nrem = len(ukeys)
        r_day = np.zeros(nrem, dtype="int64")
        r_day[rid] = all_day
        r_cust = np.zeros(nrem, dtype="int64")
        r_cust[rid] = all_cust
        r_order = np.lexsort((r_cust, r_day))
        r_rank = np.empty(nrem, dtype="int64")
        r_rank[r_order] = np.arange(nrem)
        r_method = np.where(rng.random(nrem) < 0.85, self.pref_method[r_cust], rng.integers(0, 4, nrem))
        self.pay_lines = dict(
            cust=all_cust,
            day=all_day,
            inv=all_inv,
            cents=all_cents,
            pmt=self.pmt_base + r_rank[rid],
            method=r_method[rid],
        )

    # -------------------------------------------------------------------------------------- activities
    def activities(self):
        rng, a, nr = self.rng, self.as_of, self.n_reg
        c, due = self.r_cust, self.r_due
        ln = self.lines
        ln_inv, ln_day, ln_cents = (ln[k].to_numpy() for k in ("inv", "day", "cents"))
        reg = ln_inv < nr
        ln_inv, ln_day, ln_cents = ln_inv[reg], ln_day[reg], ln_cents[reg]
        cum = ln_cents.cumsum()
        first = np.r_[True, ln_inv[1:] != ln_inv[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(len(ln_inv)), 0))
        base = np.r_[0, cum][grp_start]
        cum_in = cum - base
        settled = cum_in >= self.r_amt[ln_inv]
        end = np.full(nr, _NEVER)
        s_inv, s_day = ln_inv[settled], ln_day[settled]
        firsts = np.r_[True, s_inv[1:] != s_inv[:-1]]
        end[s_inv[firsts]] = s_day[firsts]  # the day the invoice was fully paid (or _NEVER)
        K = 100_000
        key = ln_inv * K + (ln_day - self.start + 5_000)

        def kd(inv, day):
            return inv * K + (day - self.start + 5_000)

        # dispute windows (dunning paused)
        d_from = np.full(nr, _NEVER)
        d_to = np.full(nr, _NEVER)
        d_from[self.d_idx] = self.d_open
        d_to[self.d_idx] = np.where(self.d_is_res, self.d_res, _NEVER)
        # write-offs (some defaulter invoices long past due and still open)
        wcand = (self.seg[c] == DEFAULTER) & (end > a) & (due + 150 <= a) & (rng.random(nr) < 0.6)
        wday = self.fwd(due + rng.integers(150, 201, nr))
        wo = np.where(wcand & (wday <= a), wday, _NEVER)

        out = []  # (day, cust, action, inv, outcome, pdate, pcents, note) column blocks

        def block(day, cust, action, inv, outcome, note, pdate=None, pcents=None):
            n = len(day)
            out.append(
                dict(
                    day=np.asarray(day, dtype="int64"),
                    cust=np.asarray(cust, dtype="int64"),
                    act=np.full(n, ACTIONS.index(action)),
                    inv=np.asarray(inv, dtype="int64"),
                    outcome=np.broadcast_to(np.asarray(outcome, dtype=object), (n,)),
                    note=np.broadcast_to(np.asarray(note, dtype=object), (n,)),
                    pdate=np.full(n, _NEVER) if pdate is None else np.asarray(pdate, dtype="int64"),
                    pcents=np.full(n, -1) if pcents is None else np.asarray(pcents, dtype="int64"),
                )
            )

        def pick_notes(action, n):
            opts = np.array(_NOTES[action], dtype=object)
            return opts[rng.integers(0, len(opts), n)]

        ladder = [
            ("reminder", -3, 0, 1.0),
            ("reminder", 1, 10, 1.0),
            ("call", 15, 10, 1.0),
            ("letter", 30, 10, 1.0),
            ("demand_letter", 60, 10, 1.0),
            ("agency", 90, 10, 1.0),
            ("legal", 120, 10, 0.25),
        ]
        calls = None
        for action, off, max_delay, p_do in ladder:
            delayed = rng.random(nr) < 0.35
            delay = np.where(delayed, rng.integers(1, max_delay + 1, nr), 0) if max_delay else 0
            day = self.fwd(due + off + delay) if off > 0 else self.back(due + off)
            keep = (
                (day < end)
                & (day <= a)
                & (rng.random(nr) >= 0.15)
                & (rng.random(nr) < p_do)
                & ~((day >= d_from) & (day < d_to))
                & ~((day >= self.plan_P) & (day < self.plan_pause_end))
                & (day < wo)
            )
            ii = np.flatnonzero(keep)
            if action == "call":
                defl = self.seg[c[ii]] == DEFAULTER
                u = rng.random(len(ii))
                reached_p = np.where(defl, 0.15, 0.5)
                no_ans_p = np.where(defl, 0.5, 0.2)
                outcome = np.where(
                    u < reached_p, "reached", np.where(u < reached_p + no_ans_p, "no_answer", "left_voicemail")
                )
                block(day[ii], c[ii], "call", ii, outcome.astype(object), pick_notes("call", len(ii)))
                calls = (ii, day[ii], outcome)
            else:
                outc = _LADDER_OUTCOME[action]
                block(day[ii], c[ii], action, ii, outc, pick_notes(action, len(ii)))

        # promises to pay, from calls that reached the customer
        if calls is not None:
            ii, cday, outcome = calls
            m = (outcome == "reached") & (rng.random(len(ii)) < 0.55)
            ii, cday = ii[m], cday[m]
            # the customer usually names a date close to when it will really pay (if it pays soon)
            nxt_day = np.full(len(ii), _NEVER)
            if len(key):
                nxt = np.searchsorted(key, kd(ii, cday), side="right")
                nxt_c = np.minimum(nxt, len(key) - 1)
                nxt_day = np.where((nxt < len(key)) & (ln_inv[nxt_c] == ii), ln_day[nxt_c], _NEVER)
            informed = (nxt_day <= cday + 45) & (rng.random(len(ii)) < 0.8)
            pdate = np.where(
                informed,
                np.maximum(nxt_day + rng.integers(-7, 6, len(ii)), cday + 2),
                cday + rng.integers(3, 15, len(ii)),
            )
            pdate = self.fwd(pdate)
            m = pdate <= a
            ii, cday, pdate = ii[m], cday[m], pdate[m]
            paid_before = np.zeros(len(ii), dtype="int64")
            if len(key):
                pos = np.searchsorted(key, kd(ii, cday), side="right") - 1
                has = (pos >= 0) & (ln_inv[np.maximum(pos, 0)] == ii)
                paid_before = np.where(has, cum_in[np.maximum(pos, 0)], 0)
            open_c = self.r_amt[ii] - paid_before
            m = open_c > 0
            ii, cday, pdate, open_c = ii[m], cday[m], pdate[m], open_c[m]
            n_after = np.searchsorted(key, kd(ii, pdate), "right") - np.searchsorted(key, kd(ii, cday), "right")
            kept = np.where(n_after > 0, "kept", "broken").astype(object)
            block(cday, c[ii], "promise_to_pay", ii, kept, pick_notes("promise_to_pay", len(ii)), pdate, open_c)

        # credit holds: one per customer while any invoice is 45+ days past due, released when paid
        delay = np.where(rng.random(nr) < 0.35, rng.integers(1, 11, nr), 0)
        h_from = self.fwd(due + 45 + delay)
        h_ok = (h_from < end) & (h_from <= a) & (self.r_amt > 0)
        hi = np.flatnonzero(h_ok)
        if len(hi):
            hs, he, hc = h_from[hi], end[hi], c[hi]
            o = np.lexsort((hs, hc))
            hs, he, hc, hinv = hs[o], he[o], hc[o], hi[o]
            run_end = pd.Series(he).groupby(hc).cummax().to_numpy()
            prev_end = np.r_[-1, run_end[:-1]]
            # a hold that starts within 10 days of the release of the previous one just continues it
            new_grp = np.r_[True, hc[1:] != hc[:-1]] | (hs > prev_end + 10)
            gid = np.cumsum(new_grp) - 1
            g_start = hs[new_grp]
            g_cust = hc[new_grp]
            g_inv = hinv[new_grp]
            g_end = pd.Series(he).groupby(gid).max().to_numpy()
            skip = rng.random(len(g_start)) < 0.1
            keep = ~skip
            notes = pick_notes("credit_hold", keep.sum())
            block(g_start[keep], g_cust[keep], "credit_hold", g_inv[keep], "on_hold", notes)
            rel = keep & (g_end <= a)
            rday = self.fwd(g_end[rel] + rng.integers(0, 3, rel.sum()))
            r_ok = rday <= a
            block(
                rday[r_ok],
                g_cust[rel][r_ok],
                "credit_release",
                np.full(r_ok.sum(), -1),
                "released",
                pick_notes("credit_release", r_ok.sum()),
            )

        # disputes
        di = self.d_idx
        reason = rng.integers(0, len(_DISPUTE_REASONS), len(di))
        block(
            self.d_open,
            c[di],
            "dispute_opened",
            di,
            _DISPUTE_REASONS[reason].astype(object),
            _DISPUTE_NOTES[reason].astype(object),
        )
        r = self.d_is_res
        has_cn = self.d_cn_pos >= 0
        cn_ids = np.append(self.cn_ids.to_numpy(dtype=object), "")  # position -1: no credit note
        res_note = np.where(
            has_cn,
            "Credit note " + pd.Series(cn_ids[self.d_cn_pos], dtype="object") + " issued",
            "Dispute rejected, invoice stands",
        ).astype(object)
        res_out = np.where(has_cn, "credit_issued", "no_credit").astype(object)
        block(self.d_res[r], c[di[r]], "dispute_resolved", di[r], res_out[r], res_note[r])

        # write-offs
        wi = np.flatnonzero(wo < _NEVER)
        block(wo[wi], c[wi], "write_off", wi, "written_off", pick_notes("write_off", len(wi)))
        self.wo_inv, self.wo_day = wi, wo[wi]

        # payment plans: one row per instalment
        if self.plan_rows:
            P, ci, k, n, idate, icents, note = (np.array(x, dtype=object) for x in zip(*self.plan_rows, strict=True))
            outc = "installment " + pd.Series(k).astype("str") + "/" + pd.Series(n).astype("str")
            block(
                P.astype("int64"),
                ci.astype("int64"),
                "payment_plan",
                np.full(len(P), -1),
                outc.to_numpy(dtype=object),
                note,
                idate.astype("int64"),
                icents.astype("int64"),
            )

        cols = {k: np.concatenate([b[k] for b in out]) for k in out[0]}
        o = np.lexsort((cols["inv"], cols["act"], cols["cust"], cols["day"]))
        self.act = {k: v[o] for k, v in cols.items()}

    # -------------------------------------------------------------------------------------- frames
    def frames(self) -> dict[str, pd.DataFrame]:
        nr, ncn = self.n_reg, self.n_cn
        # invoice ids: numbered in date order
        self.inv_ids = _ids("INV-", self.inv_base + np.arange(nr), 7)
        cust_of = np.concatenate([self.r_cust, self.cn_cust])
        date_of = np.concatenate([self.r_date, self.cn_date])
        due_of = np.concatenate([self.r_due, self.cn_date])
        amt_of = np.concatenate([self.r_amt, self.cn_amt])
        ids_of = pd.concat([self.inv_ids, self.cn_ids], ignore_index=True).to_numpy()
        terms_txt = ("Net " + pd.Series(self.terms[self.r_cust]).astype("str")).to_numpy(dtype=object)
        terms_txt = np.where(self.early_pay[self.r_cust], EARLY_PAY_TERMS, terms_txt).astype(object)
        cn_terms = np.where(self.cn_discount, DISCOUNT_NOTE_TERMS, "Due on receipt").astype(object)
        terms_of = np.concatenate([terms_txt, cn_terms])
        disp_of = np.concatenate([self.disputed, np.zeros(ncn, dtype=bool)])
        o = np.lexsort((np.arange(nr + ncn), date_of))  # by date; invoices, then credit notes, in number order
        n = nr + ncn
        invoices = pd.DataFrame(
            {
                "customer_id": _str(self.cust_id[cust_of[o]]),
                "invoice_id": _str(ids_of[o]),
                "invoice_date": _dates(date_of[o]),
                "due_date": _dates(due_of[o]),
                "amount": _money(amt_of[o]),
                "currency": _str(np.full(n, "USD", dtype=object)),
                "customer_name": _str(self.cust_name[cust_of[o]]),
                "paid_date": _dates(np.zeros(n), np.zeros(n, dtype=bool)),
                "open_amount": np.full(n, np.nan),
                "disputed": disp_of[o].astype(bool),
                "terms": _str(terms_of[o]),
            }
        )

        pl = self.pay_lines
        o = np.lexsort((pl["inv"], pl["pmt"], pl["day"]))
        inv = pl["inv"][o]
        inv_str = np.where(inv >= 0, ids_of[np.maximum(inv, 0)], None)
        payments = pd.DataFrame(
            {
                "customer_id": _str(self.cust_id[pl["cust"][o]]),
                "invoice_id": _str(inv_str),
                "payment_date": _dates(pl["day"][o]),
                "amount": _money(pl["cents"][o]),
                "method": _str(np.array(METHODS, dtype=object)[pl["method"][o]]),
                "currency": _str(np.full(len(o), "USD", dtype=object)),
                "payment_id": _str(_ids("PMT-", pl["pmt"][o], 7).to_numpy()),
            }
        )

        customers = pd.DataFrame(
            {
                "customer_id": _str(self.cust_id),
                "customer_name": _str(self.cust_name),
                "credit_limit": _money(self.credit_limit),
                "terms_days": self.terms.astype("int64"),
                "segment": _str(np.array(SEGMENTS, dtype=object)[self.seg]),
                "email": _str(self.email),
                "since": _dates(self.since),
                **_contacts(len(self.cust_id), self.seed),
            }
        )

        ac = self.act
        has_inv = ac["inv"] >= 0
        has_p = ac["pdate"] < _NEVER
        activities = pd.DataFrame(
            {
                "date": _dates(ac["day"]),
                "customer_id": _str(self.cust_id[ac["cust"]]),
                "action": _str(np.array(ACTIONS, dtype=object)[ac["act"]]),
                "invoice_id": _str(np.where(has_inv, ids_of[np.maximum(ac["inv"], 0)], None)),
                "outcome": _str(ac["outcome"]),
                "promised_date": _dates(np.where(has_p, ac["pdate"], 0), has_p),
                "promised_amount": _money(np.maximum(ac["pcents"], 0), ac["pcents"] >= 0),
                "note": _str(ac["note"]),
            }
        )
        # write-offs: the balance open on the write-off day leaves AR (adjustments, kind write_off)
        wi, wd = self.wo_inv, self.wo_day
        paid_before = np.zeros(len(wi), dtype="int64")
        if len(wi):
            sel = np.isin(pl["inv"], wi)
            li, ld, lc = pl["inv"][sel], pl["day"][sel], pl["cents"][sel]
            k = np.searchsorted(wi, li)  # wi is sorted (np.flatnonzero)
            early = ld <= wd[k]
            paid_before = np.bincount(k[early], weights=lc[early], minlength=len(wi)).astype("int64")
        wo_cents = self.r_amt[wi] - paid_before
        keep = wo_cents > 0
        adjustments = pd.DataFrame(
            {
                "customer_id": _str(self.cust_id[self.r_cust[wi[keep]]]),
                "invoice_id": _str(ids_of[wi[keep]]),
                "date": _dates(wd[keep]),
                "amount": _money(wo_cents[keep]),
                "kind": _str(np.full(int(keep.sum()), "write_off", dtype=object)),
                "note": _str(np.full(int(keep.sum()), "Bad debt written off", dtype=object)),
                "adjustment_id": _str(_ids("ADJ-", np.arange(1, int(keep.sum()) + 1), 6).to_numpy()),
            }
        )
        out = {"invoices": invoices, "payments": payments, "customers": customers, "activities": activities, "adjustments": adjustments}
        return {t: out[t][columns(t)].reset_index(drop=True) for t in TABLE_NAMES}

    def build(self) -> dict[str, pd.DataFrame]:
        self.customers()
        self.invoices()
        self.pay_dates()
        self.credit_notes()
        self.cn_ids = _ids("CN-", self.cn_base + np.arange(self.n_cn), 6)
        self.payment_plans()
        self.payments()
        # credit limit ~ monthly billing x (terms/30 + 1), rounded up to 5,000
        months = np.maximum((self.active_hi - self.active_lo) / 30.44, 1.0)
        billed = np.bincount(self.r_cust, weights=self.r_amt, minlength=self.nc) / months
        billed = np.where(self.seg == NEW, billed * 0.6, billed)  # new accounts start conservatively
        self.credit_limit = np.maximum(np.ceil(billed * (self.terms / 30 + 1) / 500_000) * 500_000, 500_000)
        self.activities()
        return self.frames()


# ------------------------------------------------------------------------------------------------ write
_XLSX_OPTIONS = {"options": {"strings_to_formulas": False, "strings_to_urls": False}}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _tmp_beside(path: Path, suffix: str) -> Path:
    return path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{suffix}")


def write_workbook(frames: Mapping[str, pd.DataFrame], path) -> Path:
    """Write ``frames`` (sheet name → frame) to an .xlsx workbook, atomically.

    Opened with ``pd.ExcelWriter(engine="xlsxwriter")`` (options: strings never become formulas or
    links); pandas writes the header row, and the cells are written with xlsxwriter's typed calls (about
    3x faster than ``DataFrame.to_excel`` cell by cell): text always as text (a value starting with
    ``=`` stays text), dates as real Excel dates shown ``yyyy-mm-dd``, money as numbers shown
    ``#,##0.00``, flags as booleans; empty cells stay empty. Header row frozen, with an autofilter.
    The workbook is written to a temporary file beside ``path`` and moved into place.
    """
    path = Path(path)
    for name, df in frames.items():
        if len(df) >= 1_048_576:
            raise ValueError(f"{name}: {len(df):,} rows do not fit on an Excel sheet (1,048,575 data rows)")
    tmp = _tmp_beside(path, ".xlsx")
    try:
        with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs=_XLSX_OPTIONS) as xw:
            date_fmt = xw.book.add_format({"num_format": "yyyy-mm-dd"})
            money_fmt = xw.book.add_format({"num_format": "#,##0.00"})
            for name, df in frames.items():
                df.head(0).to_excel(xw, sheet_name=name, index=False)
                ws = xw.sheets[name]
                for j, col in enumerate(df.columns):
                    width = _write_column(ws, j, df[col], date_fmt)
                    money = pd.api.types.is_float_dtype(df[col].dtype)
                    ws.set_column(j, j, min(max(width, len(str(col))), 50) + 2, money_fmt if money else None)
                ws.freeze_panes(1, 0)
                if len(df.columns):
                    ws.autofilter(0, 0, len(df), len(df.columns) - 1)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_column(ws, j: int, s: pd.Series, date_fmt) -> int:
    """Write one column's cells below the header (:func:`arkit.excel.write_cells`); set its width and
    format (money for float columns); returns the display width used."""
    from .excel import write_cells

    write_cells(ws, 1, j, s, date_fmt)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return 10
    if pd.api.types.is_bool_dtype(s.dtype):
        return 8
    if pd.api.types.is_numeric_dtype(s.dtype):
        return 12
    lengths = s.astype("str").str.len()
    return int(lengths.max()) if len(s) and lengths.notna().any() else 8


def write_csv_folder(frames: Mapping[str, pd.DataFrame], folder) -> Path:
    """Write one ``<name>.csv`` per frame into ``folder`` (created if needed), each atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        target = folder / f"{name}.csv"
        tmp = _tmp_beside(target, ".csv")
        try:
            df.to_csv(tmp, index=False, date_format="%Y-%m-%d")
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return folder


def write_sample(path, *, n_invoices: int = 20000, seed: int = 0, as_of=None) -> Path:
    """Generate a sample ledger (see :func:`make_sample_ledger`) and write it to ``path``.

    ``path`` ending in ``.xlsx``: one workbook with sheets invoices, payments, customers, activities.
    ``path`` without a suffix (or an existing folder): a folder with invoices.csv, payments.csv,
    customers.csv and activities.csv. Anything else is a ``ValueError``. Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix != ".xlsx" and not (suffix == "" or path.is_dir()):
        raise ValueError(f"write_sample writes an .xlsx workbook or a folder of CSV files, not {path.name!r}")
    frames = make_sample_ledger(n_invoices=n_invoices, seed=seed, as_of=as_of)
    if suffix == ".xlsx" and not path.is_dir():
        return write_workbook(frames, path)
    return write_csv_folder(frames, path)
