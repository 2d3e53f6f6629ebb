"""Numeric arrays behind every figure: dates as day numbers, money as integer cents, payments linked to
their invoice by position. Built once per ledger and cached on it (treat a Ledger's frames as read-only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import cents

_EPOCH = np.datetime64("1970-01-01", "D")


def days(values) -> np.ndarray:
    """Dates as int64 day numbers since 1970-01-01 (NaT → minimum int64)."""
    arr = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    out = (arr - _EPOCH).astype("int64")
    return out


def day_number(ts) -> int:
    return int((np.datetime64(pd.Timestamp(ts).normalize().date(), "D") - _EPOCH).astype("int64"))


@dataclass(frozen=True)
class Prepared:
    inv_date: np.ndarray  # int64 day numbers
    inv_due: np.ndarray
    inv_cents: np.ndarray  # int64
    pay_date: np.ndarray
    pay_cents: np.ndarray
    pay_inv: np.ndarray  # int64 position of the invoice in ledger.invoices, -1 = unapplied cash


def invoice_positions(invoices: pd.DataFrame, payments: pd.DataFrame) -> np.ndarray:
    """For each payment, the row position of the invoice it names (same customer_id and invoice_id), else -1."""
    if payments.empty:
        return np.array([], dtype="int64")
    if invoices.empty:
        return np.full(len(payments), -1, dtype="int64")
    sep = "\x1f"
    inv_key = invoices["customer_id"].astype("str") + sep + invoices["invoice_id"].astype("str")
    pay_key = payments["customer_id"].astype("str") + sep + payments["invoice_id"].astype("str")
    pos = pd.Index(inv_key).get_indexer(pay_key)
    pos = np.where(payments["invoice_id"].isna().to_numpy(), -1, pos)
    return pos.astype("int64")


def prepared(ledger) -> Prepared:
    """The cached :class:`Prepared` arrays of ``ledger``."""
    inv, pay = ledger.invoices, ledger.payments
    key = (id(inv), len(inv), id(pay), len(pay))
    cached = ledger.__dict__.get("_prepared")
    if cached is not None and cached[0] == key:
        return cached[1]
    p = Prepared(
        inv_date=days(inv["invoice_date"]),
        inv_due=days(inv["due_date"]),
        inv_cents=cents(inv["amount"]),
        pay_date=days(pay["payment_date"]),
        pay_cents=cents(pay["amount"]),
        pay_inv=invoice_positions(inv, pay),
    )
    object.__setattr__(ledger, "_prepared", (key, p))
    return p
