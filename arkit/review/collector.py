"""The collectors' worklist workbook (``worklist.xlsx``): one row per customer to work, with what a
collector needs on the phone or at the desk, and empty columns to record what happened.

:func:`collector_sheet` takes the worklist frame (whatever columns it has: at least ``customer_id``; the
monthly review's worklist has step, owner, reason, oldest invoice and days, past-due amount) and the
ledger, and adds from the ledger:

- contact name, email and phone from the customers table (optional columns; blank when absent);
- **open promise**: the latest ``promise_to_pay`` logged on or before ``as_of`` whose promised date is on or
  after ``as_of`` (a promise not yet due): its date and amount;
- **open disputes**: the number of disputes open at ``as_of`` (:func:`arkit.review.signals.open_disputes`)
  and the invoice amount they hold;
- **last action**: the latest activity of any kind logged on or before ``as_of``, its date and the invoice
  it names (often another invoice than the step's: the step's own history is in the reason);
- empty **Status**, **Next date** and **Notes** columns for the collector.

Everything is vectorised (group-bys on the activity log), and the input frames are not modified.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..model import Ledger
from .signals import open_disputes

#: Order of the sheet's columns (those the worklist lacks are left out).
COLUMNS = (
    "priority", "customer_id", "customer_name", "contact_name", "email", "phone", "owner", "step", "reason",
    "oldest_invoice", "oldest_days_past_due", "past_due_amount", "expected_pay_date", "open_promise_date", "open_promise_amount",
    "open_disputes", "open_dispute_amount", "last_action", "last_action_date", "last_action_invoice", "status", "next_date", "notes",
)  # fmt: skip
_FILL_IN = ("status", "next_date", "notes")


def _lookup(ids: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by customer id, unique) for each id in ``ids``, missing where absent."""
    out = values.reindex(ids.to_numpy())
    out.index = ids.index
    return out


def collector_sheet(worklist: pd.DataFrame, ledger: Ledger, as_of) -> pd.DataFrame:
    """The worklist with contacts, open promise, open disputes, last action and empty columns to fill in
    (see the module docstring for each definition). One row per worklist row, in the worklist's order."""
    as_of = pd.Timestamp(as_of).normalize()
    w = worklist.reset_index(drop=True).copy()
    ids = w["customer_id"]
    cust = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    for col in ("customer_name", "contact_name", "email", "phone"):
        if col not in w.columns:
            w[col] = _lookup(ids, cust[col]) if col in cust.columns else None
        elif col in cust.columns:
            w[col] = w[col].where(w[col].notna(), _lookup(ids, cust[col]))

    act = ledger.activities
    act = act[act["date"] <= as_of]
    last = act.sort_values("date", kind="stable").groupby("customer_id").tail(1).set_index("customer_id")
    w["last_action"] = _lookup(ids, last["action"])
    w["last_action_date"] = _lookup(ids, last["date"])
    w["last_action_invoice"] = _lookup(ids, last["invoice_id"])  # often not the invoice of the step

    prom = act[(act["action"] == "promise_to_pay") & act["promised_date"].notna() & (act["promised_date"] >= as_of)]
    prom = prom.sort_values("date", kind="stable").groupby("customer_id").tail(1).set_index("customer_id")
    w["open_promise_date"] = _lookup(ids, prom["promised_date"])
    w["open_promise_amount"] = _lookup(ids, prom["promised_amount"])

    disp = open_disputes(ledger, as_of)
    if len(disp):
        g = disp.groupby("customer_id").agg(n=("invoice_id", "size"), amount=("amount", "sum"))
        w["open_disputes"] = _lookup(ids, g["n"]).fillna(0).astype("int64")
        w["open_dispute_amount"] = _lookup(ids, g["amount"]).fillna(0.0)
    else:
        w["open_disputes"] = 0
        w["open_dispute_amount"] = 0.0
    for col in _FILL_IN:
        w[col] = pd.Series([None] * len(w), dtype=object)
    w["next_date"] = pd.Series(pd.NaT, index=w.index, dtype="datetime64[ns]")
    return w[[c for c in COLUMNS if c in w.columns]]


def write_worklist(path, sheet: pd.DataFrame, *, policy: dict | None = None) -> Path:
    """Write the collectors' sheet as ``worklist.xlsx``: human headers, steps and owners by their labels,
    money and date formats, frozen header and filters (:class:`arkit.review.display.ReportBook`)."""
    from .display import ReportBook

    from .monthly import STEP_INVOICE

    book = ReportBook(policy=policy)
    book.add("worklist", sheet.rename(columns=STEP_INVOICE))
    return book.save(path)
