"""One position per date: what is open at ``as_of``, computed once and read by every section of every report.

>>> pos = arkit.position(ledger, "2026-06-30", buckets=(30, 60, 90))
>>> pos.customers          # one row per customer: debit buckets, credits, past due, disputes, written off
>>> pos.totals             # the aging table: debit buckets + credits = open AR
>>> pos.items              # every open item with its line kind, dispute and write-off marks

Lines
-----
Every open item of :func:`arkit.aging` at ``as_of`` is one of three lines (column ``line``):

- ``debit`` — an invoice with a positive open balance (the only items that age towards a loss);
- ``credit`` — a credit note or an overpaid invoice (negative open balance);
- ``unapplied`` — cash received and not applied to an invoice issued by ``as_of``.

Conventions (one definition each, used by the headline, aging, concentration, signals, segments, worklist,
letters and roll rates):

- **gross AR** = Σ debit items; **credits** = Σ credit and unapplied lines (≤ 0); **open AR** (net) =
  gross AR + credits = invoices − payments + adjustment effects dated ≤ as_of.
- **buckets** hold debit items only, by days past due; credits are their own column. So
  Σ buckets + credits = open AR, to the cent, and no bucket is negative.
- **shares of AR in a bucket** are of gross AR (bucket ÷ gross AR × 100): never negative, sum to 100.
- **past due** (of a customer, an invoice, the ledger) = Σ debit items with days_past_due > 0 — gross,
  credits not netted. The same figure in every table.
- **open dispute** of an invoice at ``as_of``: from the activity log when it holds any ``dispute_opened``
  or ``dispute_resolved`` row — the invoice's last such row dated ≤ as_of is ``dispute_opened`` (age from
  that day); otherwise from the invoices' ``disputed`` flag (age unknown). ``disputes`` lists them, with
  the invoice's open amount at as_of. A dispute logged without an invoice is listed with invoice_id NA;
  it marks no item.
- **written off** (invoice) = a ``write_off`` adjustment dated ≤ as_of, or a ``write_off`` activity dated
  ≤ as_of naming the invoice (a log that records the decision without an adjustment booking it: the
  balance stays in AR, but the invoice is never dunned). ``written_off`` amounts are the adjustments.
- **dunnable** debit item = past due or not, not in open dispute and not written off. ``dunnable_past_due``
  = Σ dunnable debit items past due. **amount to demand** (what a letter asks for and the worklist shows)
  = dunnable past due + credits, when positive (else 0); for a customer with nothing dunnable past due,
  the dunnable items not yet due + credits (a reminder before the due date).

Attributes
----------
as_of (Timestamp), buckets (tuple of edges), basis ("due"/"invoice"), labels (bucket labels);
items, debits, credits (frames, :func:`arkit.aging` columns + line, disputed, written_off, dunnable);
customers (frame, see :attr:`Position.customers`); totals (Series: buckets, credits, open_ar, gross_ar,
past_due); shares (Series: bucket → % of gross AR); disputes (frame); written_off (frame of write-off
adjustments dated ≤ as_of); open_ar, gross_ar, credits_total, past_due (floats).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from ._prep import adjustments_of, prepared
from .aging import DEFAULT_BUCKETS, _as_of, bucket_grid, bucket_labels, customer_names, open_items
from .model import Ledger

__all__ = ["Position", "position", "CUSTOMER_COLUMNS"]

#: Columns of :attr:`Position.customers` after customer_id, customer_name and the bucket labels.
CUSTOMER_COLUMNS = [
    "credits", "open_ar", "gross_ar", "past_due", "disputed_past_due", "dunnable_past_due", "dunnable_current",
    "amount_to_demand", "oldest_days_past_due", "oldest_invoice", "open_disputes", "disputed_amount", "written_off",
]  # fmt: skip

_CACHE_SIZE = 32


class Position:
    """The receivables position of ``ledger`` at ``as_of``; build it with :func:`position` (cached).

    See the module docstring for every convention. Cheap parts (items, buckets, totals) are computed at
    once; disputes and the per-customer table on first use.
    """

    def __init__(self, ledger: Ledger, as_of, *, buckets: Sequence[int] = DEFAULT_BUCKETS, basis: str = "due"):
        self.ledger = ledger
        self.as_of = _as_of(as_of)
        self.buckets = tuple(int(b) for b in buckets)
        self.basis = basis
        self.labels = bucket_labels(self.buckets)
        it = open_items(ledger, self.as_of, buckets=self.buckets, basis=basis)
        oc = np.rint(it["open_amount"].to_numpy() * 100).astype("int64")
        self._items = it
        self._oc = oc
        k = len(self.labels)
        codes = self._items["bucket"].cat.codes.to_numpy().astype("int64")
        by = np.bincount(np.where(oc > 0, codes, k), weights=oc, minlength=k + 1)
        self._bucket_c = np.rint(by).astype("int64")  # debit buckets, then credits

    # ------------------------------------------------------------------------------------ totals

    @property
    def open_ar(self) -> float:
        """Net open AR: gross AR + credits."""
        return int(self._bucket_c.sum()) / 100.0

    @property
    def gross_ar(self) -> float:
        """Σ debit items."""
        return int(self._bucket_c[:-1].sum()) / 100.0

    @property
    def credits_total(self) -> float:
        """Σ credit and unapplied lines (≤ 0)."""
        return int(self._bucket_c[-1]) / 100.0

    @property
    def past_due(self) -> float:
        """Σ debit items past due (gross)."""
        return int(self._bucket_c[1:-1].sum()) / 100.0

    @property
    def totals(self) -> pd.Series:
        """The aging table's amounts: each bucket (debit items), ``credits``, then ``open_ar`` (= their
        sum), ``gross_ar`` and ``past_due``."""
        c = self._bucket_c
        vals = [*(c / 100.0), c.sum() / 100.0, c[:-1].sum() / 100.0, c[1:-1].sum() / 100.0]
        return pd.Series(vals, index=[*self.labels, "credits", "open_ar", "gross_ar", "past_due"], dtype="float64")

    @property
    def shares(self) -> pd.Series:
        """Each bucket's share of gross AR in percent (0–100, sums to 100; NaN when gross AR is 0)."""
        g = self._bucket_c[:-1]
        tot = g.sum()
        return pd.Series(g / tot * 100.0 if tot > 0 else np.full(len(g), np.nan), index=self.labels, dtype="float64")

    @property
    def item_counts(self) -> pd.Series:
        """Number of debit items per bucket, and of credit/unapplied lines under ``credits``."""
        k = len(self.labels)
        codes = self._items["bucket"].cat.codes.to_numpy().astype("int64")
        n = np.bincount(np.where(self._oc > 0, codes, k), minlength=k + 1)
        return pd.Series(n, index=[*self.labels, "credits"], dtype="int64")

    # ------------------------------------------------------------------------------------ items

    @cached_property
    def items(self) -> pd.DataFrame:
        """Every open item (:func:`arkit.aging` columns) plus ``line`` (debit / credit / unapplied),
        ``disputed`` (invoice in open dispute), ``written_off`` (invoice written off by as_of) and
        ``dunnable`` (a debit item neither disputed nor written off)."""
        it = self._items
        key = pd.MultiIndex.from_arrays([it["customer_id"], it["invoice_id"].fillna("\x00")])
        d = self.disputes.dropna(subset=["invoice_id"])
        disputed = key.isin(pd.MultiIndex.from_frame(d[["customer_id", "invoice_id"]])) if len(d) else np.zeros(len(it), dtype=bool)
        wo = self._written_off_keys
        written = key.isin(wo) if len(wo) else np.zeros(len(it), dtype=bool)
        debit = (it["line"] == "debit").to_numpy()
        return it.assign(disputed=disputed & debit, written_off=written & debit, dunnable=debit & ~disputed & ~written)

    @property
    def debits(self) -> pd.DataFrame:
        """The debit items (invoices with a positive open balance)."""
        it = self.items
        return it[it["line"] == "debit"]

    @property
    def credits(self) -> pd.DataFrame:
        """The credit and unapplied lines (negative open balances)."""
        it = self.items
        return it[it["line"] != "debit"]

    # ------------------------------------------------------------------------------------ disputes, write-offs

    @cached_property
    def disputes(self) -> pd.DataFrame:
        """Disputes open at as_of: customer_id, customer_name, invoice_id, opened (NaT from the flag),
        age_days (NA from the flag), amount (the invoice's open amount at as_of, 0 when settled or not
        named), source ("activity log" or "disputed flag")."""
        cols = ["customer_id", "customer_name", "invoice_id", "opened", "age_days", "amount", "source"]
        led, as_of = self.ledger, self.as_of
        a = led.activities
        logged = a[a["action"].isin(["dispute_opened", "dispute_resolved"])] if len(a) else a
        if len(logged):
            w = logged[logged["date"] <= as_of]
            key = w["invoice_id"].fillna("")
            last = (
                w.assign(_k=key).sort_values("date", kind="stable").groupby(["customer_id", "_k"])
                .agg(action=("action", "last"), opened=("date", "last"))
            )  # fmt: skip
            out = last[last["action"] == "dispute_opened"].reset_index().rename(columns={"_k": "invoice_id"})
            out["invoice_id"] = out["invoice_id"].replace("", pd.NA)
            out["age_days"] = (as_of - out["opened"]).dt.days.astype("Int64")
            out["source"] = "activity log"
        elif "disputed" in led.invoices and led.invoices["disputed"].fillna(False).astype(bool).any():
            inv = led.invoices
            f = inv[inv["disputed"].fillna(False).astype(bool) & (inv["invoice_date"] <= as_of)]
            out = pd.DataFrame({"customer_id": f["customer_id"].to_numpy(), "invoice_id": f["invoice_id"].to_numpy()})
            out["opened"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
            out["age_days"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
            out["source"] = "disputed flag"
        else:
            out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(cols, ["str", "str", "str", "datetime64[ns]", "Int64", "float64", "str"])})
            return out
        it = self._items
        amt = it[it["invoice_id"].notna() & (it["line"] != "unapplied")].groupby(["customer_id", "invoice_id"])["open_amount"].sum()
        idx = pd.MultiIndex.from_arrays([out["customer_id"], out["invoice_id"].fillna("\x00")])
        out["amount"] = amt.reindex(idx).fillna(0.0).round(2).to_numpy()
        if out["source"].iloc[0] == "disputed flag" if len(out) else False:
            out = out[out["amount"] > 0]  # a flag on a settled invoice is history, not an open dispute
        out["customer_name"] = customer_names(led, out["customer_id"]).to_numpy()
        return out[cols].reset_index(drop=True)

    @cached_property
    def written_off(self) -> pd.DataFrame:
        """Write-off adjustments dated ≤ as_of: customer_id, invoice_id, date, amount."""
        adj = adjustments_of(self.ledger)
        w = adj[(adj["kind"] == "write_off") & (adj["date"] <= self.as_of)] if len(adj) else adj
        return w[["customer_id", "invoice_id", "date", "amount"]].reset_index(drop=True)

    @cached_property
    def _written_off_keys(self) -> pd.MultiIndex:
        a = self.ledger.activities
        parts = [self.written_off[["customer_id", "invoice_id"]]]
        if len(a):
            w = a[(a["action"] == "write_off") & (a["date"] <= self.as_of) & a["invoice_id"].notna()]
            parts.append(w[["customer_id", "invoice_id"]])
        k = pd.concat(parts, ignore_index=True).drop_duplicates()
        return pd.MultiIndex.from_frame(k) if len(k) else pd.MultiIndex.from_arrays([[], []])

    # ------------------------------------------------------------------------------------ customers

    @cached_property
    def customers(self) -> pd.DataFrame:
        """One row per customer with an open item at as_of, sorted by customer_id.

        Columns: customer_id, customer_name, one column per bucket (debit items), then
        :data:`CUSTOMER_COLUMNS`: credits (≤ 0), open_ar (= buckets + credits), gross_ar (= Σ buckets),
        past_due (debit items past due), disputed_past_due (of invoices in open dispute),
        dunnable_past_due (past due, not disputed, not written off), dunnable_current (not yet due, not
        disputed, not written off), amount_to_demand (see the module docstring), oldest_days_past_due
        (largest days past due of a debit item past due; 0 when none), oldest_invoice (that item's
        invoice_id), open_disputes (count, invoice-level and customer-level), disputed_amount (open
        amount of the disputed invoices), written_off (Σ write-off adjustments dated ≤ as_of).
        """
        it = self.items
        grid = bucket_grid(it, by="customer_id", labels=self.labels, credits="column")
        grid = grid.rename(columns={"total": "open_ar"})
        c = np.rint(it["open_amount"].to_numpy() * 100).astype("int64")
        debit = (it["line"] == "debit").to_numpy()
        past = debit & (it["days_past_due"].to_numpy() > 0)
        cust = it["customer_id"].astype("str")
        codes = pd.Index(grid["customer_id"]).get_indexer(cust)
        n = len(grid)

        def total(mask):
            return np.rint(np.bincount(codes[mask], weights=c[mask], minlength=n)).astype("int64")

        disp = it["disputed"].to_numpy()
        dun = it["dunnable"].to_numpy()
        gross = total(debit)
        pdue = total(past)
        dpd = total(past & disp)
        dun_pd = total(past & dun)
        dun_cur = total(debit & ~past & dun)
        cred = np.rint(grid["credits"].to_numpy() * 100).astype("int64")
        demand = np.where(dun_pd > 0, np.maximum(dun_pd + cred, 0), np.maximum(dun_cur + cred, 0))
        grid["gross_ar"] = gross / 100.0
        grid["past_due"] = pdue / 100.0
        grid["disputed_past_due"] = dpd / 100.0
        grid["dunnable_past_due"] = dun_pd / 100.0
        grid["dunnable_current"] = dun_cur / 100.0
        grid["amount_to_demand"] = demand / 100.0
        pi = it[past].sort_values(["customer_id", "days_past_due", "invoice_id"], ascending=[True, False, True], kind="stable").drop_duplicates("customer_id")
        pi = pi.set_index("customer_id")
        grid["oldest_days_past_due"] = grid["customer_id"].map(pi["days_past_due"]).fillna(0).astype("int64").to_numpy()
        grid["oldest_invoice"] = grid["customer_id"].map(pi["invoice_id"]).astype("str").to_numpy()
        d = self.disputes
        dc = d.groupby("customer_id").size() if len(d) else pd.Series(dtype="int64")
        da = d.groupby("customer_id")["amount"].sum() if len(d) else pd.Series(dtype="float64")
        grid["open_disputes"] = grid["customer_id"].map(dc).fillna(0).astype("int64").to_numpy()
        grid["disputed_amount"] = grid["customer_id"].map(da).fillna(0.0).round(2).to_numpy()
        w = self.written_off
        wa = w.groupby("customer_id")["amount"].sum() if len(w) else pd.Series(dtype="float64")
        grid["written_off"] = grid["customer_id"].map(wa).fillna(0.0).round(2).to_numpy()
        grid.insert(1, "customer_name", customer_names(self.ledger, grid["customer_id"]).to_numpy())
        return grid[["customer_id", "customer_name", *self.labels, *CUSTOMER_COLUMNS]]

    def demand(self, *, include_disputed: bool = False) -> pd.Series:
        """The amount to demand per customer (indexed by customer_id): dunnable past due + credits when
        positive, else — nothing dunnable past due — the dunnable items not yet due + credits, floored at 0.
        ``include_disputed=True`` (policy ``disputes: ignore``) counts invoices in open dispute as
        dunnable; the default is :attr:`customers`' ``amount_to_demand``."""
        if not include_disputed:
            return self.customer("amount_to_demand")
        it = self.items
        dun = (it["dunnable"] | (it["disputed"] & ~it["written_off"])).to_numpy()
        c = np.rint(it["open_amount"].to_numpy() * 100).astype("int64")
        past = it["days_past_due"].to_numpy() > 0
        cust = self.customers["customer_id"]
        codes = pd.Index(cust).get_indexer(it["customer_id"].astype("str"))
        n = len(cust)

        def total(mask):
            return np.rint(np.bincount(codes[mask], weights=c[mask], minlength=n)).astype("int64")

        cred = np.rint(self.customers["credits"].to_numpy() * 100).astype("int64")
        pd_, cur = total(dun & past), total(dun & ~past)
        out = np.where(pd_ > 0, np.maximum(pd_ + cred, 0), np.maximum(cur + cred, 0))
        return pd.Series(out / 100.0, index=pd.Index(cust, name="customer_id"))

    def customer(self, column: str) -> pd.Series:
        """One column of :attr:`customers` indexed by customer_id (e.g. ``pos.customer("past_due")``)."""
        return self.customers.set_index("customer_id")[column]

    def __repr__(self) -> str:  # pragma: no cover - display only
        return f"Position(as_of={self.as_of:%Y-%m-%d}, open_ar={self.open_ar:,.2f}, gross_ar={self.gross_ar:,.2f}, credits={self.credits_total:,.2f}, past_due={self.past_due:,.2f})"


def position(ledger: Ledger, as_of, *, buckets: Sequence[int] = DEFAULT_BUCKETS, basis: str = "due") -> Position:
    """The :class:`Position` of ``ledger`` at ``as_of`` — computed once per (as_of, buckets, basis) and
    cached on the ledger (like its prepared arrays), so every section of a report reads the same object."""
    if basis not in ("due", "invoice"):
        raise ValueError(f"basis must be 'due' or 'invoice', not {basis!r}")
    ts = _as_of(as_of)
    edges = tuple(int(b) for b in buckets)
    bucket_labels(edges)  # validates the edges
    p = prepared(ledger)
    act = ledger.activities
    stamp = (id(p), id(act), len(act))
    cache = ledger.__dict__.get("_positions")
    if cache is None or cache[0] != stamp:
        cache = (stamp, {})
        object.__setattr__(ledger, "_positions", cache)
    key = (ts, edges, basis)
    pos = cache[1].get(key)
    if pos is None:
        if len(cache[1]) >= _CACHE_SIZE:
            cache[1].pop(next(iter(cache[1])))
        pos = cache[1][key] = Position(ledger, ts, buckets=edges, basis=basis)
    return pos
