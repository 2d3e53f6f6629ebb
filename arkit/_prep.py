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


def _arrow_str(s: pd.Series):
    """A string Series as a pyarrow large_string array (zero-copy for pandas' pyarrow-backed strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = s.array
    a = pa.array(arr) if hasattr(arr, "__arrow_array__") else pa.array(s.astype(object).to_numpy(), from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return pc.cast(a, pa.large_string())


def invoice_positions(invoices: pd.DataFrame, payments: pd.DataFrame) -> np.ndarray:
    """For each payment, the row position of the invoice it names (same customer_id and invoice_id), else -1.

    Looks the invoice_id up with Arrow's hash lookup, then checks the customer matches; only when an
    invoice_id is shared by several customers does it look up the joint (customer_id, invoice_id) key.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if payments.empty:
        return np.array([], dtype="int64")
    if invoices.empty:
        return np.full(len(payments), -1, dtype="int64")
    inv_id, pay_id = _arrow_str(invoices["invoice_id"]), _arrow_str(payments["invoice_id"])
    inv_c, pay_c = _arrow_str(invoices["customer_id"]), _arrow_str(payments["customer_id"])
    pos = pc.index_in(pay_id, value_set=inv_id)
    found = pc.is_valid(pos)
    same = pc.equal(pc.take(inv_c, pc.fill_null(pos, 0)), pay_c)
    mismatch = pc.and_(found, pc.invert(pc.fill_null(same, False)))
    if pc.any(mismatch).as_py():  # an invoice_id used by several customers: match on the joint key
        sep = pa.scalar("\x1f", pa.large_string())
        pos = pc.index_in(pc.binary_join_element_wise(pay_c, pay_id, sep), value_set=pc.binary_join_element_wise(inv_c, inv_id, sep))
    out = pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype("int64")
    return out


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
