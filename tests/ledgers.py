"""Small hand-written ledgers for tests: rows as tuples, canonical columns."""

from __future__ import annotations

import pandas as pd

from arkit.model import Ledger


def invoices(rows) -> pd.DataFrame:
    """rows: (customer_id, invoice_id, invoice_date, due_date, amount)."""
    df = pd.DataFrame(rows, columns=["customer_id", "invoice_id", "invoice_date", "due_date", "amount"])
    df["currency"] = "USD"
    return df


def payments(rows) -> pd.DataFrame:
    """rows: (customer_id, invoice_id or None, payment_date, amount)."""
    return pd.DataFrame(rows, columns=["customer_id", "invoice_id", "payment_date", "amount"])


def ledger(inv_rows, pay_rows=()) -> Ledger:
    return Ledger.from_frames(invoices(inv_rows), payments(list(pay_rows)) if pay_rows else None)


# The worked example of docs and tests (see tests/test_aging.py for the hand computation).
EXAMPLE_INVOICES = [
    ("A", "INV1", "2026-01-10", "2026-02-09", 1000.00),
    ("A", "INV2", "2026-03-01", "2026-03-31", 500.00),
    ("A", "CN1", "2026-03-15", "2026-03-15", -100.00),
    ("B", "INV3", "2026-02-01", "2026-03-03", 250.50),
    ("B", "INV4", "2026-04-10", "2026-05-10", 250.00),
]
EXAMPLE_PAYMENTS = [
    ("A", "INV1", "2026-02-20", 400.00),
    ("A", "INV1", "2026-04-05", 600.00),
    ("B", "INV3", "2026-03-10", 300.00),
    ("B", None, "2026-03-20", 75.00),
]


def example() -> Ledger:
    return ledger(EXAMPLE_INVOICES, EXAMPLE_PAYMENTS)
