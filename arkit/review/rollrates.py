"""Roll rates: how last month's open receivables moved between aging buckets by ``as_of``.

The population is the *cohort of invoices open at the previous month end* (the start): every invoice dated
on or before the start whose open balance there (amount − payments applied to it dated ≤ start) is
positive. Credit notes, overpaid invoices and unapplied cash (zero or negative balances) are left out:
they do not age towards a write-off, and netting them in would let a credit hide a deterioration.
Invoices issued after the start are not in the cohort either (they are new business, not flow).

The start is the last month end strictly before ``as_of``: 2026-06-30 → 2026-05-31, and a mid-month
2026-06-15 → 2026-05-31 as well. Ages are days past due (``as_of − due_date``) and buckets those of
:func:`arkit.aging.assign_buckets`. Everything is summed in integer cents, so each row of the flow matrix
adds up exactly to its start total; figures are reported in currency units.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._prep import day_number, prepared
from ..aging import DEFAULT_BUCKETS, _as_of, _check_edges, bucket_labels, open_cents_at
from ..model import Ledger

__all__ = ["roll_rates", "roll_rate_pct", "rolled_into_91", "roll_rate_trend", "previous_month_end"]


def previous_month_end(as_of) -> pd.Timestamp:
    """The last month end strictly before ``as_of``: 2026-06-30 → 2026-05-31; 2026-06-15 → 2026-05-31."""
    return (_as_of(as_of) - pd.offsets.MonthEnd(1)).normalize()


# --------------------------------------------------------------------------------------------- internals


def _state(ledger: Ledger, ts: pd.Timestamp, edges: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open cents of every invoice at ``ts``, the mask of invoices issued by then, and each invoice's bucket
    code at ``ts`` (0 = current, … k−1 = last bucket) on days past due = ts − due_date."""
    p = prepared(ledger)
    open_c, issued = open_cents_at(ledger, ts)
    dpd = day_number(ts) - p.inv_due
    codes = np.searchsorted(np.array([0, *edges], dtype="int64"), dpd, side="left")
    return open_c, issued, codes.astype("int64")


def _written_off_between(ledger: Ledger, start, end) -> np.ndarray:
    """Cents written off (write-off adjustments) per invoice dated in (start, end]."""
    p = prepared(ledger)
    lo, hi = day_number(start), day_number(end)
    sel = (p.adj_kind == "write_off") & (p.adj_date > lo) & (p.adj_date <= hi) & (p.adj_inv >= 0)
    return np.rint(np.bincount(p.adj_inv[sel], weights=-p.adj_effect[sel], minlength=len(p.inv_cents))).astype("int64")


def _flow_cents(start_state, end_state, k: int, written_off: np.ndarray | None = None) -> np.ndarray:
    """The k × (k + 2) flow grid in cents: row = bucket at start, columns 0..k−1 = bucket at the end,
    column k = collected, column k + 1 = written off.

    Cohort: issued by the start with open o₀ > 0. remaining = clip(o₁, 0, o₀) is placed in the invoice's
    bucket at the end; the reduction o₀ − remaining is written off up to the invoice's write-offs between
    the dates (``written_off``), the rest collected. So each row sums exactly to Σ o₀ of its invoices.
    """
    o0, issued0, c0 = start_state
    o1, _, c1 = end_state
    sel = issued0 & (o0 > 0)
    start_c, end_c = o0[sel], o1[sel]
    remaining = np.clip(end_c, 0, start_c)
    reduced = start_c - remaining
    wo = np.minimum(written_off[sel], reduced) if written_off is not None else np.zeros_like(reduced)
    collected = reduced - wo
    r, c = c0[sel], c1[sel]
    grid = np.zeros((k, k + 2), dtype="int64")
    if sel.any():
        grid[:, :k] = np.rint(np.bincount(r * k + c, weights=remaining, minlength=k * k)).astype("int64").reshape(k, k)
        grid[:, k] = np.rint(np.bincount(r, weights=collected, minlength=k)).astype("int64")
        grid[:, k + 1] = np.rint(np.bincount(r, weights=wo, minlength=k)).astype("int64")
    return grid


# --------------------------------------------------------------------------------------------- figures


def roll_rates(ledger: Ledger, as_of, *, buckets: Sequence[int] = DEFAULT_BUCKETS) -> pd.DataFrame:
    """The flow matrix of last month's open invoices between aging buckets, in currency units.

    start = :func:`previous_month_end` of ``as_of``. For every invoice issued by the start with a positive
    open balance o₀ there (o = amount − payments applied to it, dated ≤ the date):
    - its row is its bucket at the start (days past due = start − due_date);
    - remaining = o₁ (its open balance at ``as_of``) clipped to [0, o₀] goes to the column of its bucket
      at ``as_of`` (days past due = as_of − due_date);
    - ``written_off`` = the part of o₀ − remaining taken off by write-off adjustments dated between the
      dates (a write-off is not a collection); ``collected`` = o₀ − remaining − written_off: the reduction
      of its balance by payment lines (and other adjustments) applied to it between the dates. An overpayment counts only up to o₀ (the surplus is not part of this amount), and a
      balance that grew (a reversed payment) is shown as remaining o₀, not as new flow. Where a remittance
      nets a credit note against the invoice, the invoice's line counts in full, so ``collected`` is the
      balance cleared, not the cash received.
    - ``start_total`` = Σ o₀ of the row's invoices; each row's bucket columns + collected + written_off =
      start_total exactly (integer cents).
    Credit notes, overpaid invoices and unapplied cash (balances ≤ 0 at the start) and invoices issued
    after the start are excluded. Ages only grow, so amounts sit on or right of the diagonal.

    Index ``from_bucket``: every bucket label in order (rows with no invoices are all zero). Columns: the
    bucket labels, ``collected``, ``written_off``, ``start_total``. ``attrs["start"]`` and ``attrs["as_of"]`` hold the dates.
    """
    as_of = _as_of(as_of)
    start = previous_month_end(as_of)
    edges = _check_edges(buckets)
    labels = bucket_labels(edges)
    k = len(labels)
    grid = _flow_cents(_state(ledger, start, edges), _state(ledger, as_of, edges), k, _written_off_between(ledger, start, as_of))
    return _matrix_frame(grid, labels, start, as_of)


def _matrix_frame(grid: np.ndarray, labels: list[str], start, as_of) -> pd.DataFrame:
    out = pd.DataFrame(grid / 100.0, columns=[*labels, "collected", "written_off"], index=pd.Index(labels, name="from_bucket"))
    out["start_total"] = grid.sum(axis=1) / 100.0
    out.attrs.update(start=start, as_of=as_of)
    return out


def roll_rate_pct(matrix: pd.DataFrame) -> pd.DataFrame:
    """The flow matrix of :func:`roll_rates` as percentages (0–100) of each row's start total.

    cell % = cell ÷ start_total × 100, for the bucket columns and ``collected``; each row sums to 100
    (up to float rounding). ``start_total`` is kept in currency units, as the base of the row. A row with
    start_total 0 is NaN throughout its percentages.
    """
    if "start_total" not in matrix.columns:
        raise ValueError("matrix must be a roll_rates() result, with a start_total column")
    base = matrix["start_total"].to_numpy(dtype="float64")
    cols = [c for c in matrix.columns if c != "start_total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = matrix[cols].to_numpy(dtype="float64") / base[:, None] * 100.0
    pct[base == 0, :] = np.nan
    out = pd.DataFrame(pct, columns=cols, index=matrix.index.copy())
    out["start_total"] = matrix["start_total"].to_numpy()
    out.attrs.update(matrix.attrs)
    return out


def rolled_into_91(ledger: Ledger, as_of, *, buckets: Sequence[int] = DEFAULT_BUCKETS) -> dict:
    """What rolled into the last aging bucket (``91+`` with the default edges) during the month.

    From :func:`roll_rates`: amount = Σ over the start buckets other than the last of the cells in the
    last-bucket column (balances that were younger at the start and are in the last bucket at ``as_of``);
    open_at_start = Σ start_total (the positive open invoice balances at the start — the same population,
    so credits and unapplied cash neither dilute nor inflate the share); pct_of_open = amount ÷
    open_at_start × 100 (NaN when nothing was open).

    Returns ``{"start", "as_of", "bucket", "amount", "open_at_start", "pct_of_open", "by_bucket"}``;
    ``by_bucket`` maps each earlier start bucket to the amount it sent into the last bucket.
    """
    m = roll_rates(ledger, as_of, buckets=buckets)
    labels = bucket_labels(buckets)
    last = labels[-1]
    by_bucket_c = {b: int(round(m.at[b, last] * 100)) for b in labels[:-1]}
    amount_c = sum(by_bucket_c.values())
    open_c = int(round(m["start_total"].sum() * 100))
    return {
        "start": m.attrs["start"],
        "as_of": m.attrs["as_of"],
        "bucket": last,
        "amount": amount_c / 100.0,
        "open_at_start": open_c / 100.0,
        "pct_of_open": amount_c / open_c * 100.0 if open_c else float("nan"),
        "by_bucket": {b: c / 100.0 for b, c in by_bucket_c.items()},
    }


def roll_rate_trend(
    ledger: Ledger, as_of, *, months: int = 12, buckets: Sequence[int] = DEFAULT_BUCKETS
) -> pd.DataFrame:
    """The classic roll rates for each of the last ``months`` months ending at ``as_of``.

    Periods: the last one runs from :func:`previous_month_end` of ``as_of`` to ``as_of`` (a partial month
    when ``as_of`` is not a month end), each earlier one from a month end to the next. For the cohort of
    each period (as in :func:`roll_rates`) and each bucket b but the last:
    roll rate b = Σ remaining at the end in buckets after b, of the invoices in b at the start
    ÷ Σ their open balance at the start × 100
    i.e. the share of what was in b that is in b + 1 *or worse* one month later (percent; NaN when
    bucket b was empty at the start). The last period's row equals :func:`roll_rates` for ``as_of``.

    One row per period, oldest first. Columns: ``start``, ``end``, then ``<b>_to_<b+1>`` for each bucket
    but the last (e.g. ``current_to_1-30``, …, ``61-90_to_91+``).
    """
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise ValueError(f"months must be a whole number ≥ 1, not {months!r}")
    as_of = _as_of(as_of)
    edges = _check_edges(buckets)
    labels = bucket_labels(edges)
    k = len(labels)
    last_start = previous_month_end(as_of)
    starts = [(last_start - pd.offsets.MonthEnd(i)).normalize() for i in range(months - 1, -1, -1)]
    dates = [*starts, as_of]
    states = [_state(ledger, d, edges) for d in dates]
    names = [f"{labels[b]}_to_{labels[b + 1]}" for b in range(k - 1)]
    rates = np.full((months, k - 1), np.nan)
    for i in range(months):
        grid = _flow_cents(states[i], states[i + 1], k, _written_off_between(ledger, dates[i], dates[i + 1]))
        base = grid.sum(axis=1)[: k - 1]
        worse = np.array([grid[b, b + 1 : k].sum() for b in range(k - 1)], dtype="int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            rates[i] = np.where(base > 0, worse / np.where(base > 0, base, 1) * 100.0, np.nan)
    out = pd.DataFrame(rates, columns=names)
    out.insert(0, "start", pd.DatetimeIndex(starts).astype("datetime64[ns]"))
    out.insert(1, "end", pd.DatetimeIndex(dates[1:]).astype("datetime64[ns]"))
    return out
