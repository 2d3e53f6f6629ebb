"""Helpers for the policy-review tests: hand-written ledgers with an activity log, and the shared settled
invoices of the billing tests (used by the billing and the recommendation tests)."""

from __future__ import annotations

import pandas as pd

from arkit.model import Ledger
from arkit.policy import load_policy
from arkit.review import policy_review as pr
from tests.ledgers import invoices, payments

Q = "2026Q3"
POLICY = load_policy()


def acts(rows) -> pd.DataFrame:
    """rows: (date, customer_id, action, invoice_id or None[, outcome[, promised_date, promised_amount]])."""
    full = [tuple(r) + (None,) * (7 - len(r)) for r in rows]
    return pd.DataFrame(full, columns=["date", "customer_id", "action", "invoice_id", "outcome", "promised_date", "promised_amount"])


def make(inv_rows, pay_rows=(), act_rows=(), customers=None, pay_methods=None, terms=None) -> Ledger:
    inv = invoices(inv_rows)
    if terms is not None:
        inv["terms"] = terms
    pay = payments(list(pay_rows)) if pay_rows else None
    if pay is not None and pay_methods is not None:
        pay["method"] = pay_methods
    return Ledger.from_frames(inv, pay, customers, acts(act_rows) if act_rows else None)


BILL_INV = [
    ("E", "E1", "2026-03-05", "2026-04-04", 100.0),
    ("E", "E2", "2026-03-15", "2026-04-14", 200.0),
    ("E", "E3", "2026-03-25", "2026-04-24", 300.0),
    ("E", "E4", "2026-04-28", "2026-05-28", 400.0),
    ("F", "F1", "2026-05-10", "2026-06-09", 500.0),
    ("F", "F2", "2026-05-22", "2026-06-21", 100.0),
]
BILL_PAY = [
    ("E", "E1", "2026-04-06", 100.0),
    ("E", "E2", "2026-04-14", 200.0),
    ("E", "E3", "2026-05-10", 300.0),
    ("E", "E4", "2026-06-17", 400.0),
    ("F", "F1", "2026-06-04", 500.0),
    ("F", "F2", "2026-06-21", 100.0),
]
BILL_METHODS = ["check", "check", "check", "ach", "wire", "wire"]


def settled_frame():
    led = make(BILL_INV, BILL_PAY, pay_methods=BILL_METHODS, terms=["Net 30"] * 4 + [None, None])
    return pr.settled_invoices(led, "2025-10-01", "2026-09-30")
