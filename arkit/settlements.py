"""Settlements: when each invoice was paid in full, and how early or late that was."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._prep import prepared
from .model import Ledger

_EPOCH = np.datetime64("1970-01-01", "D")


def settlements(ledger: Ledger) -> pd.DataFrame:
    """One row per invoice (amount > 0) paid in full by the payments applied to it.

    - ``settled_date``: the first payment date on which the cumulative payments applied to the invoice
      reach its amount (to the cent); payments on one day count together. A discount taken, a small
      balance let go or an ``other`` credit in the adjustments table counts like a payment on its date
      (:data:`arkit.model.SETTLING_KINDS`); a write-off never settles an invoice (it is not paid), and
      fees and interest are not part of the amount the invoice is judged on.
    - ``days_to_pay`` = settled_date − invoice_date, in days.
    - ``days_late`` = settled_date − due_date, in days, signed: negative = paid early, 0 = on the due date.
      ``max(0, days_late)`` is the "days late" most ledgers print.
    Columns: customer_id, invoice_id, invoice_date, due_date, amount, settled_date, days_to_pay, days_late.
    Credit notes (amount ≤ 0) and invoices not yet paid in full are not listed.
    """
    p = prepared(ledger)
    inv = ledger.invoices
    cols = ["customer_id", "invoice_id", "invoice_date", "due_date", "amount"]
    settles = p.adj_settles
    all_inv = np.concatenate([p.pay_inv, p.adj_inv[settles]])
    all_date = np.concatenate([p.pay_date, p.adj_date[settles]])
    all_cents = np.concatenate([p.pay_cents, -p.adj_effect[settles]])
    applied = all_inv >= 0
    if not applied.any():
        out = inv.loc[[], cols].copy()
        out["settled_date"] = pd.Series(dtype="datetime64[ns]")
        out["days_to_pay"] = pd.Series(dtype="int64")
        out["days_late"] = pd.Series(dtype="int64")
        return out
    pi, pd_, pc = all_inv[applied], all_date[applied], all_cents[applied]
    order = np.lexsort((pd_, pi))
    pi, pd_, pc = pi[order], pd_[order], pc[order]
    # cumulative sum within each invoice
    csum = np.cumsum(pc)
    starts = np.r_[True, pi[1:] != pi[:-1]]
    base = np.maximum.accumulate(np.where(starts, np.arange(len(pi)), 0))
    offset = np.where(base > 0, csum[base - 1], 0)
    cum = csum - offset
    # payments on the same day count together: judge at the last payment of each (invoice, day)
    last_of_day = np.r_[(pi[1:] != pi[:-1]) | (pd_[1:] != pd_[:-1]), True]
    reached = last_of_day & (cum >= p.inv_cents[pi]) & (p.inv_cents[pi] > 0)
    hit = np.flatnonzero(reached)
    first_hit = hit[np.r_[True, pi[hit][1:] != pi[hit][:-1]]] if len(hit) else hit
    inv_pos = pi[first_hit]
    out = inv.iloc[inv_pos][cols].reset_index(drop=True)
    settled = pd_[first_hit]
    out["settled_date"] = (settled.astype("timedelta64[D]") + _EPOCH).astype("datetime64[ns]")
    out["days_to_pay"] = (settled - p.inv_date[inv_pos]).astype("int64")
    out["days_late"] = (settled - p.inv_due[inv_pos]).astype("int64")
    return out
