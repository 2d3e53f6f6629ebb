"""The canonical data model: the tables arkit works on and their column types.

Tables: invoices, payments, customers, activities (the collections log) and adjustments (write-offs,
discounts taken, small balances, fees, interest, bad-debt recoveries: changes to an invoice's balance that
are not cash).

Every loader produces these columns with these types; every figure reads only these.

Conventions
-----------
- Ids (customer_id, invoice_id) are strings (pandas ``str`` dtype); leading zeros are kept. A missing
  invoice_id on a payment means unapplied cash on account.
- Dates are calendar dates held as ``datetime64[ns]`` at midnight (no time of day, no time zone).
- Money is ``float64`` rounded to the cent on load; figures that must reconcile sum in integer cents.
- Credit notes are invoices with a negative amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# kind: "id" | "str" | "date" | "money" | "bool" | "int" | "float"
TABLES: dict[str, dict[str, dict]] = {
    "invoices": {
        "required": {
            "customer_id": "id",
            "invoice_id": "id",
            "invoice_date": "date",
            "due_date": "date",
            "amount": "money",
            "currency": "str",
        },
        "optional": {
            "customer_name": "str",
            "paid_date": "date",
            "open_amount": "money",
            "disputed": "bool",
            "terms": "str",
        },
    },
    "payments": {
        "required": {
            "customer_id": "id",
            "invoice_id": "id",
            "payment_date": "date",
            "amount": "money",
        },
        "optional": {"method": "str", "currency": "str", "payment_id": "id"},
    },
    "customers": {
        "required": {"customer_id": "id"},
        "optional": {
            "customer_name": "str",
            "credit_limit": "money",
            "terms_days": "int",
            "segment": "str",
            "email": "str",
            "since": "date",
            # who to write to and where (letters, the collectors' worklist); all optional
            "contact_name": "str",
            "phone": "str",
            "address_line1": "str",
            "address_line2": "str",
            "city": "str",
            "region": "str",
            "postcode": "str",
            "country": "str",
        },
    },
    "activities": {
        "required": {"date": "date", "customer_id": "id", "action": "str"},
        "optional": {
            "invoice_id": "id",
            "outcome": "str",
            "promised_date": "date",
            "promised_amount": "money",
            "note": "str",
        },
    },
    "adjustments": {
        "required": {
            "customer_id": "id",
            "invoice_id": "id",
            "date": "date",
            "amount": "money",
            "kind": "str",
        },
        "optional": {"note": "str", "adjustment_id": "id"},
    },
}

#: Columns that may be empty in an otherwise valid row (everything optional, plus these).
NULLABLE_REQUIRED = {("payments", "invoice_id"), ("invoices", "currency")}

ACTIONS = (
    "reminder",
    "call",
    "letter",
    "demand_letter",
    "promise_to_pay",
    "dispute_opened",
    "dispute_resolved",
    "credit_hold",
    "credit_release",
    "payment_plan",
    "agency",
    "legal",
    "write_off",
)

TABLE_NAMES = tuple(TABLES)

#: Adjustment kinds and the sign of their effect on the invoice's balance (``amount`` is given positive):
#: −1 reduces it (write-offs, discounts taken, small balances written off), +1 increases it (fees,
#: interest, and a bad-debt recovery, which reinstates the part of a written-off invoice that is then paid).
#: ``other`` takes the amount as signed: positive reduces the balance (like a credit), negative increases it.
ADJUSTMENT_KINDS = {
    "write_off": -1,
    "bad_debt_recovery": 1,
    "discount_taken": -1,
    "small_balance": -1,
    "fee": 1,
    "interest": 1,
    "other": -1,
}

#: Adjustment kinds that settle an invoice like a payment would (days to pay): a discount taken, a small
#: balance let go, an ``other`` credit. A write-off never settles an invoice; fees and interest are not part
#: of the amount an invoice is judged on.
SETTLING_KINDS = ("discount_taken", "small_balance", "other")


def columns(table: str) -> list[str]:
    """Canonical columns of ``table``: required first, then optional, in model order."""
    spec = TABLES[table]
    return [*spec["required"], *spec["optional"]]


def kind(table: str, column: str) -> str | None:
    spec = TABLES[table]
    return spec["required"].get(column) or spec["optional"].get(column)


_EMPTY_DTYPES = {
    "id": "str",
    "str": "str",
    "date": "datetime64[ns]",
    "money": "float64",
    "bool": "boolean",
    "int": "Int64",
    "float": "float64",
}


def empty_table(table: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``table``."""
    if table not in _EMPTY:  # built once per table (a dozen Series each), copied on every call
        spec = TABLES[table]
        cols = {**spec["required"], **spec["optional"]}
        _EMPTY[table] = pd.DataFrame({c: pd.Series([], dtype=_EMPTY_DTYPES[k]) for c, k in cols.items()})
    return _EMPTY[table].copy()


_EMPTY: dict[str, pd.DataFrame] = {}


@dataclass(frozen=True)
class LoadReport:
    """What happened to every row read.

    ``summary`` has one row per table: rows_read, rows_accepted, rows_quarantined, duplicates_dropped,
    amount_read, amount_accepted, amount_quarantined (amounts of rows whose amount parsed).
    rows_read = rows_accepted + rows_quarantined + duplicates_dropped + rows_skipped, always (rows_skipped:
    a report's layout rows — group headers, subtotal and total rows, separator lines, rows matching
    ``drop_rows_matching``; empty lines are not rows). ``sources`` records how each table was read (file,
    sheet, encoding, delimiter, header row, layout rows, the report's own checked totals) and, at the top
    level, ``kind`` ("ledger" or "open_items"), ``source`` (the mapping's name), ``detection`` (the preset
    chosen by ``source="auto"`` and why) and ``as_of`` (the date printed in the report's title, if any).
    ``quarantine`` has one row per problem: table, file, sheet, row (1-based source row number as a
    spreadsheet shows it), column, value, problem.
    """

    summary: pd.DataFrame
    quarantine: pd.DataFrame
    sources: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.quarantine.empty

    def __repr__(self) -> str:  # pragma: no cover - display only
        return f"LoadReport(\n{self.summary.to_string()}\nquarantined problems: {len(self.quarantine)})"


QUARANTINE_COLUMNS = ["table", "file", "sheet", "row", "column", "value", "problem"]


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series([], dtype="str"),
            "file": pd.Series([], dtype="str"),
            "sheet": pd.Series([], dtype="str"),
            "row": pd.Series([], dtype="Int64"),
            "column": pd.Series([], dtype="str"),
            "value": pd.Series([], dtype="str"),
            "problem": pd.Series([], dtype="str"),
        }
    )


@dataclass(frozen=True)
class Ledger:
    """A reconciled receivables ledger: the canonical tables and the report of how they were loaded.

    Build one with :func:`arkit.load_ledger` or :meth:`Ledger.from_frames`. Frames are never modified by
    arkit's functions; each returns new frames. ``adjustments`` is the last field and defaults to an empty
    table, so ``Ledger(invoices, payments, customers, activities[, load_report])`` keeps working.
    """

    invoices: pd.DataFrame
    payments: pd.DataFrame
    customers: pd.DataFrame
    activities: pd.DataFrame
    load_report: LoadReport | None = None
    adjustments: pd.DataFrame = field(default_factory=lambda: empty_table("adjustments"))

    @classmethod
    def from_frames(cls, invoices, payments=None, customers=None, activities=None, adjustments=None) -> "Ledger":
        """A ledger from frames already in canonical columns (validated like a file, strict).

        Raises :class:`arkit.LedgerError` if any row would be quarantined.
        """
        from .load import ledger_from_frames

        return ledger_from_frames(
            invoices=invoices, payments=payments, customers=customers, activities=activities, adjustments=adjustments, strict=True
        )

    @property
    def currency(self) -> str:
        """The ledger's currency code when its invoices use exactly one, else "" (reports then say
        "ledger currency")."""
        cur = self.invoices["currency"].dropna().unique()
        return str(cur[0]) if len(cur) == 1 else ""

    @property
    def is_open_item_export(self) -> bool:
        """True when the ledger was loaded from an open-item export (a balance per open invoice, no payment
        history): ``load_report.sources["kind"] == "open_items"``. Figures that need payment history (CEI,
        countback DSO, days to pay) are not computable from such a ledger."""
        rep = self.load_report
        return bool(rep is not None and rep.sources.get("kind") == "open_items")

    @property
    def as_of_max(self) -> pd.Timestamp:
        """The latest date in the ledger (invoice or payment)."""
        dates = [self.invoices["invoice_date"].max()]
        if len(self.payments):
            dates.append(self.payments["payment_date"].max())
        return max(d for d in dates if pd.notna(d))

    @property
    def last_event(self) -> pd.Timestamp | None:
        """The latest date anything happened in the ledger: an invoice, payment, activity or adjustment
        (due and promised dates are terms, not events). None for an empty ledger."""
        dates = [self.invoices["invoice_date"].max()]
        if len(self.payments):
            dates.append(self.payments["payment_date"].max())
        if len(self.activities):
            dates.append(self.activities["date"].max())
        if len(self.adjustments):
            dates.append(self.adjustments["date"].max())
        dates = [d for d in dates if pd.notna(d)]
        return max(dates) if dates else None

    def __repr__(self) -> str:  # pragma: no cover - display only
        return (
            f"Ledger(invoices={len(self.invoices):,}, payments={len(self.payments):,}, "
            f"customers={len(self.customers):,}, activities={len(self.activities):,}, "
            f"adjustments={len(self.adjustments):,})"
        )


def cents(values) -> np.ndarray:
    """Money as int64 cents (rounded half away from zero), NaN as 0."""
    a = np.asarray(values, dtype="float64")
    a = np.round(np.where(np.isnan(a), 0.0, a) * 100, 6)  # absorb binary noise (12.345 × 100 = 1234.4999…)
    return (np.sign(a) * np.floor(np.abs(a) + 0.5)).astype("int64")
