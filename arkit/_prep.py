"""Numeric arrays behind every figure: dates as day numbers, money as integer cents, payments and
adjustments linked to their invoice by position. Built once per ledger and cached on it (treat a Ledger's
frames as read-only).

Balance movements: an invoice's open balance at day D is ``amount − Σ payments applied to it dated ≤ D +
Σ adjustment effects dated ≤ D``, where an adjustment's effect is ``sign(kind) × amount`` (see
:data:`arkit.model.ADJUSTMENT_KINDS`: a write-off of 400 is −400, a fee of 15 is +15). ``red_*`` holds
every movement as a *reduction* (payments as they are, adjustments as −effect), so figures that only need
balances treat both alike; figures about cash (collections) read ``pay_*`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import ADJUSTMENT_KINDS, SETTLING_KINDS, cents

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
    adj_date: np.ndarray | None = None  # int64 day numbers of adjustments
    adj_effect: np.ndarray | None = None  # int64 cents: the change to the invoice's balance (write-off < 0)
    adj_inv: np.ndarray | None = None  # int64 position of the adjusted invoice (always ≥ 0 once validated)
    adj_kind: np.ndarray | None = None  # object array of kind codes
    red_date: np.ndarray | None = None  # payments then adjustments: day numbers
    red_cents: np.ndarray | None = None  # reduction of the balance (payment amount; −adjustment effect)
    red_inv: np.ndarray | None = None

    @property
    def adj_settles(self) -> np.ndarray:
        """Adjustments that settle an invoice like a payment (see :data:`arkit.model.SETTLING_KINDS`)."""
        return np.isin(self.adj_kind, SETTLING_KINDS)


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


def adjustments_of(ledger) -> pd.DataFrame:
    """The ledger's adjustments table (empty for a ledger built before adjustments existed)."""
    adj = getattr(ledger, "adjustments", None)
    if adj is None:
        from .model import empty_table

        return empty_table("adjustments")
    return adj


def adjustment_effect_cents(adj: pd.DataFrame) -> np.ndarray:
    """Each adjustment's effect on its invoice's balance in cents: ``sign(kind) × amount`` (an ``other``
    adjustment of +50 reduces the balance by 50, of −50 increases it)."""
    sign = adj["kind"].map(ADJUSTMENT_KINDS).fillna(-1).to_numpy(dtype="int64") if len(adj) else np.zeros(0, dtype="int64")
    return sign * cents(adj["amount"])


def frames_key(ledger, *names: str) -> tuple:
    """What identifies the version of a ledger's tables ``names`` for a cache kept on the ledger object:
    each table's identity and length (a table replaced or grown is another version; None for a missing
    one)."""
    out = []
    for n in names:
        f = getattr(ledger, n, None)
        out += [id(f), len(f) if f is not None else 0]
    return tuple(out)


def prepared(ledger) -> Prepared:
    """The cached :class:`Prepared` arrays of ``ledger``."""
    inv, pay = ledger.invoices, ledger.payments
    adj = adjustments_of(ledger)
    key = (id(inv), len(inv), id(pay), len(pay), id(adj), len(adj))
    cached = ledger.__dict__.get("_prepared")
    if cached is not None and cached[0] == key:
        return cached[1]
    pay_date, pay_cents, pay_inv = days(pay["payment_date"]), cents(pay["amount"]), invoice_positions(inv, pay)
    if len(adj):
        adj_date, adj_effect, adj_inv = days(adj["date"]), adjustment_effect_cents(adj), invoice_positions(inv, adj)
        adj_kind = adj["kind"].astype("object").to_numpy()
    else:
        adj_date = adj_effect = adj_inv = np.zeros(0, dtype="int64")
        adj_kind = np.zeros(0, dtype=object)
    p = Prepared(
        inv_date=days(inv["invoice_date"]),
        inv_due=days(inv["due_date"]),
        inv_cents=cents(inv["amount"]),
        pay_date=pay_date,
        pay_cents=pay_cents,
        pay_inv=pay_inv,
        adj_date=adj_date,
        adj_effect=adj_effect,
        adj_inv=adj_inv,
        adj_kind=adj_kind,
        red_date=np.concatenate([pay_date, adj_date]),
        red_cents=np.concatenate([pay_cents, -adj_effect]),
        red_inv=np.concatenate([pay_inv, adj_inv]),
    )
    object.__setattr__(ledger, "_prepared", (key, p))
    return p


def cents_between(group: np.ndarray, day: np.ndarray, amount: np.ndarray, q, lo, hi) -> np.ndarray:
    """Σ ``amount`` (int64 cents) of the lines whose ``group`` (an int code ≥ 0: an invoice position, a
    customer code; < 0 = none, never counted) is ``q[i]`` and whose ``day`` lies in [``lo[i]``, ``hi[i]``]
    (day numbers), for each query i; 0 where ``q[i]`` < 0 or ``hi[i]`` < ``lo[i]``. One sort of the lines by
    (group, day) and their cumulative sums, then two binary searches per query: no pass over the lines per
    query. Example: lines (group 0, day 5, 100), (0, 9, 50), (1, 5, 7) → q 0 in [5, 8]: 100; q 0 in [0, 9]:
    150; q 1 in [6, 9]: 0."""
    q = np.asarray(q, dtype="int64")
    lo = np.broadcast_to(np.asarray(lo, dtype="int64"), q.shape)
    hi = np.broadcast_to(np.asarray(hi, dtype="int64"), q.shape)
    keep = np.asarray(group) >= 0
    if len(q) == 0 or not keep.any():
        return np.zeros(len(q), dtype="int64")
    g, d, c = np.asarray(group)[keep].astype("int64"), np.asarray(day)[keep].astype("int64"), np.asarray(amount)[keep]
    base = min(int(d.min()), int(lo.min()), int(hi.min())) - 1
    span = max(int(d.max()), int(lo.max()), int(hi.max())) - base + 2
    key = g * span + (d - base)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    cs = np.concatenate([[0], np.cumsum(c[order])])
    qq = np.maximum(q, 0) * span

    def upto(x):  # Σ lines of the group dated ≤ x (and of every group before it: cancels in the difference)
        return cs[np.searchsorted(ks, qq + (x - base), side="right")]

    total = upto(hi) - upto(lo - 1)
    return np.where((q >= 0) & (hi >= lo), total, 0).astype("int64")
