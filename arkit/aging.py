"""Aging: what is open at a date, how overdue it is, and the bucket it falls in.

Any past ``as_of`` replays the aging as it was on that day: only invoices dated on or before ``as_of`` and
payments dated on or before ``as_of`` count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._prep import cents_between, day_number, frames_key, prepared
from .model import Ledger

DEFAULT_BUCKETS = (30, 60, 90)


def bucket_labels(buckets: Sequence[int] = DEFAULT_BUCKETS) -> list[str]:
    """Ordered bucket labels for edges ``buckets``: (30, 60, 90) → current, 1-30, 31-60, 61-90, 91+.

    ``current`` holds items not past due (days_past_due ≤ 0); each further bucket runs from the previous
    edge + 1 to its edge, inclusive; the last is ``<last edge + 1>+``.
    """
    edges = _check_edges(buckets)
    labels, lo = ["current"], 1
    for e in edges:
        labels.append(f"{lo}-{e}")
        lo = e + 1
    labels.append(f"{lo}+")
    return labels


def _check_edges(buckets) -> list[int]:
    try:
        edges = [int(b) for b in buckets]
    except (TypeError, ValueError):
        raise ValueError(f"buckets must be whole numbers of days such as (30, 60, 90), not {buckets!r}") from None
    if not edges or edges[0] < 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"buckets must be increasing whole numbers of days ≥ 1, such as (30, 60, 90), not {buckets!r}")
    return edges


def assign_buckets(days_past_due, buckets: Sequence[int] = DEFAULT_BUCKETS) -> pd.Categorical:
    """Bucket of each days-past-due value: ≤ 0 → current; 1..e1 → "1-e1"; …; > last edge → "last+1+"."""
    edges = _check_edges(buckets)
    labels = bucket_labels(edges)
    d = np.asarray(days_past_due, dtype="int64")
    codes = np.searchsorted(np.array([0, *edges], dtype="int64"), d, side="left")
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def _as_of(as_of) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise ValueError(f"as_of must be a date such as 2026-06-30, not {as_of!r}") from None
    if pd.isna(ts):
        raise ValueError("as_of must be a date such as 2026-06-30")
    return ts.normalize()


def open_cents_at(ledger: Ledger, as_of) -> tuple[np.ndarray, np.ndarray]:
    """Open balance of every invoice at ``as_of`` in cents, and the mask of invoices dated ≤ as_of.

    open = amount − Σ payments applied to the invoice and dated ≤ as_of + Σ effects of its adjustments dated
    ≤ as_of (a write-off dated ≤ as_of takes its amount off; a fee adds its amount).
    """
    p = prepared(ledger)
    day = day_number(as_of)
    issued = p.inv_date <= day
    paid_now = (p.red_date <= day) & (p.red_inv >= 0)
    applied = np.bincount(p.red_inv[paid_now], weights=p.red_cents[paid_now], minlength=len(p.inv_cents))
    return p.inv_cents - np.rint(applied).astype("int64"), issued


def open_cents_on(ledger: Ledger, pos: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Open balance in cents of invoice ``pos[k]`` (positions in ``ledger.invoices``) at day number
    ``day[k]``, pair by pair: what :func:`open_cents_at` gives for that invoice at that date — amount − Σ
    its reductions (payments, adjustment effects) dated ≤ that day — for many dates in one pass
    (:func:`arkit._prep.cents_between`) instead of one pass over the ledger per date."""
    p = prepared(ledger)
    pos = np.asarray(pos, dtype="int64")
    day = np.asarray(day, dtype="int64")
    if len(pos) == 0:
        return np.zeros(0, dtype="int64")
    first = min(int(p.red_date.min()), int(day.min())) if len(p.red_date) else int(day.min())
    return p.inv_cents[pos] - cents_between(p.red_inv, p.red_date, p.red_cents, pos, first, day)


def aging(ledger: Ledger, as_of, *, buckets: Sequence[int] = DEFAULT_BUCKETS, basis: str = "due") -> pd.DataFrame:
    """One row per item open at ``as_of``, with its age and bucket (see :func:`open_items`, of which this
    is every column but ``line``)."""
    return open_items(ledger, as_of, buckets=buckets, basis=basis).drop(columns="line")


def open_items(ledger: Ledger, as_of, *, buckets: Sequence[int] = DEFAULT_BUCKETS, basis: str = "due") -> pd.DataFrame:
    """One row per item open at ``as_of``, with its age and bucket.

    Open items:
    - an invoice with invoice_date ≤ as_of whose open_amount = amount − Σ payments applied to it dated
      ≤ as_of + Σ effects of its adjustments dated ≤ as_of (:data:`arkit.model.ADJUSTMENT_KINDS`) is not
      zero (credit notes and overpaid invoices give negative items; an invoice written off in full is gone);
    - a payment dated ≤ as_of that is not applied to an invoice issued by as_of — unapplied cash on account
      (empty invoice_id) or a prepayment of a later invoice — as a negative item aged from its payment date
      (invoice_date and due_date are the payment date).

    days_past_due = as_of − due_date (``basis="due"``) or as_of − invoice_date (``basis="invoice"``), in days.
    bucket: ``current`` when days_past_due ≤ 0, then by the edges ``buckets`` (see :func:`bucket_labels`).
    Columns: customer_id, customer_name, invoice_id, invoice_date, due_date, amount, open_amount,
    days_past_due, bucket, line (``debit`` = an invoice with a positive balance, ``credit`` = a credit note
    or overpaid invoice, ``unapplied`` = cash not applied to an invoice issued by as_of). Money is rounded to the cent; Σ open_amount = invoices − payments + adjustment
    effects dated ≤ as_of.
    """
    if basis not in ("due", "invoice"):
        raise ValueError(f"basis must be 'due' or 'invoice', not {basis!r}")
    as_of = _as_of(as_of)
    day = day_number(as_of)
    p = prepared(ledger)
    inv, pay = ledger.invoices, ledger.payments
    open_c, issued = open_cents_at(ledger, as_of)
    keep = issued & (open_c != 0)
    items = inv.loc[keep, ["customer_id", "invoice_id", "invoice_date", "due_date", "amount"]].copy()
    items["open_amount"] = open_c[keep] / 100.0
    items["line"] = np.where(open_c[keep] > 0, "debit", "credit")
    age_from = p.inv_due[keep] if basis == "due" else p.inv_date[keep]
    items["days_past_due"] = day - age_from
    # cash not applied to an invoice issued by as_of
    loose = (p.pay_date <= day) & ~_applied_to_issued(p.pay_inv, issued)
    if len(pay) and loose.any():
        lp = pay.loc[loose]
        cash = pd.DataFrame(
            {
                "customer_id": lp["customer_id"],
                "invoice_id": lp["invoice_id"],
                "invoice_date": lp["payment_date"],
                "due_date": lp["payment_date"],
                "amount": -lp["amount"],
                "open_amount": -p.pay_cents[loose] / 100.0,
                "days_past_due": day - p.pay_date[loose],
                "line": "unapplied",
            }
        )
        items = pd.concat([items, cash], ignore_index=True)
    else:
        items = items.reset_index(drop=True)
    items["days_past_due"] = items["days_past_due"].astype("int64")
    items["bucket"] = assign_buckets(items["days_past_due"].to_numpy(), buckets)
    items.insert(1, "customer_name", customer_names(ledger, items["customer_id"]))
    return items[
        ["customer_id", "customer_name", "invoice_id", "invoice_date", "due_date", "amount", "open_amount", "days_past_due", "bucket", "line"]
    ].astype({"line": "str"})


def _applied_to_issued(pay_inv: np.ndarray, issued: np.ndarray) -> np.ndarray:
    """True for payments applied to an invoice that is issued (dated ≤ as_of)."""
    if len(issued) == 0:
        return np.zeros(len(pay_inv), dtype=bool)
    return (pay_inv >= 0) & issued[np.maximum(pay_inv, 0)]


def customer_names(ledger: Ledger, ids: pd.Series) -> pd.Series:
    """The name of each customer id in ``ids``: from the customers table first, else the latest name on the
    customer's invoices (NA when neither has one). The id → name map is built once per ledger (kept on
    the ledger object; a review asks for it about twenty times)."""
    return ids.map(_name_map(ledger)).astype("str")


def _name_map(ledger: Ledger) -> pd.Series:
    key = frames_key(ledger, "invoices", "customers")
    hit = ledger.__dict__.get("_customer_names")
    if hit is not None and hit[0] == key:
        return hit[1]
    names = pd.Series(dtype="str")
    inv = ledger.invoices
    if "customer_name" in inv and inv["customer_name"].notna().any():
        names = inv.dropna(subset=["customer_name"]).drop_duplicates("customer_id", keep="last").set_index("customer_id")["customer_name"]
    cust = ledger.customers
    if len(cust) and "customer_name" in cust and cust["customer_name"].notna().any():
        c = cust.dropna(subset=["customer_name"]).drop_duplicates("customer_id", keep="last").set_index("customer_id")["customer_name"]
        names = c.combine_first(names)
    ledger.__dict__["_customer_names"] = (key, names)
    return names


def aging_summary(
    ledger: Ledger,
    as_of,
    *,
    by: str = "customer_id",
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    basis: str = "due",
    credits: str = "column",
) -> pd.DataFrame:
    """Open balance at ``as_of`` per ``by`` (default customer) and bucket, with a ``total`` column.

    One row per value of ``by`` with a non-zero item; a column per bucket label in order, then (with
    ``credits="column"``, the default) ``credits``, then ``total``.
    - ``credits="column"``: the buckets hold the *debit items* only (invoices with a positive open
      balance, by age); credit notes, overpaid invoices and unapplied cash (the negative items) are summed
      in ``credits`` (≤ 0), so a credit never hides a past-due balance and no bucket is negative;
      Σ buckets + credits = total.
    - ``credits="net"``: every item in its age bucket, credits included (buckets may be negative).
    Sums are taken in integer cents, so every row adds up exactly to its total, and Σ total =
    Σ invoices dated ≤ as_of − Σ payments dated ≤ as_of + Σ adjustment effects dated ≤ as_of. With
    ``by="customer_id"`` the customer_name is kept. This is the customer table of :func:`arkit.position`.
    """
    if credits not in ("column", "net"):
        raise ValueError(f"credits must be 'column' or 'net', not {credits!r}")
    items = aging(ledger, as_of, buckets=buckets, basis=basis)
    if by not in items.columns:
        raise ValueError(f"by must be one of {', '.join(items.columns)}, not {by!r}")
    out = bucket_grid(items, by=by, labels=bucket_labels(buckets), credits=credits)
    if by == "customer_id":
        out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    return out


def bucket_grid(items: pd.DataFrame, *, by: str, labels: list[str], credits: str = "column") -> pd.DataFrame:
    """Items of :func:`aging` summed per ``by`` and bucket in integer cents (see :func:`aging_summary`).

    ``credits="column"``: negative items go to a ``credits`` column instead of their bucket. Columns:
    ``by``, the bucket labels, [``credits``], ``total``; one row per value of ``by``, sorted."""
    c = np.rint(items["open_amount"].to_numpy() * 100).astype("int64")
    keys = items[by].astype("str") if by != "bucket" else items[by]
    codes, uniques = pd.factorize(keys, sort=True)
    n = len(uniques)
    k = len(labels)
    bcodes = items["bucket"].cat.codes.to_numpy().astype("int64")
    width = k + 1 if credits == "column" else k
    if credits == "column":
        bcodes = np.where(c < 0, k, bcodes)
    flat = codes.astype("int64") * width + bcodes
    grid = np.rint(np.bincount(flat, weights=c, minlength=n * width)).astype("int64").reshape(n, width)
    cols = [*labels, "credits"] if credits == "column" else list(labels)
    out = pd.DataFrame(grid / 100.0, columns=cols)
    out.insert(0, by, pd.Index(uniques).astype("str") if by != "bucket" else uniques)
    out["total"] = grid.sum(axis=1) / 100.0
    out.columns.name = None
    return out
