"""Monthly receivables figures: sales, collections, open AR, DSO (period and countback), BPDSO, ADD, CEI.

Each formula is one small function with its convention in the docstring; :func:`kpis` assembles them per
month end from a ledger. Money is summed in integer cents and reported in currency units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._prep import day_number, prepared
from .model import Ledger


# --------------------------------------------------------------------------------------------- formulas


def period_dso(ar: float, sales: float, days: int) -> float:
    """DSO by the period (averaging) method: ``ar ÷ sales × days``.

    ``sales`` are the sales of the last N months and ``days`` their calendar days. NaN when sales ≤ 0.
    Example: AR 212,000 against Q2 sales 250,000 over 91 days → 77.17 days.
    """
    if not sales or sales <= 0 or pd.isna(sales) or pd.isna(ar):
        return float("nan")
    return ar / sales * days


def countback_dso(ar: float, monthly_sales, monthly_days) -> float:
    """DSO by the countback (exhaustion) method.

    ``monthly_sales`` and ``monthly_days`` run backwards from the current month. Open AR is exhausted
    against each month's sales in turn: a month whose sales AR covers in full counts all its calendar days;
    the month where AR runs out counts ``remaining ÷ its sales × its days``. A month with sales ≤ 0 counts
    its days in full and adds its credit back to what remains. AR ≤ 0 gives 0.0; AR larger than all the
    sales recorded gives NaN (history too short to say).

    Example: AR 212,000 at 30 June; sales June 100,000, May 80,000, April 70,000 → 30 + 31 + 32/70 × 30
    = 74.714 days.
    """
    if pd.isna(ar):
        return float("nan")
    remaining = float(ar)
    if remaining <= 0:
        return 0.0
    total = 0.0
    for s, d in zip(monthly_sales, monthly_days):
        if s > 0 and remaining <= s:
            return total + remaining / s * d
        total += d
        remaining -= s
    return float("nan")


def cei(prev_ar: float, sales: float, ar: float, current_ar: float, adjustments: float = 0.0) -> float:
    """Collection Effectiveness Index, in percent.

    ``(prev_ar + sales + adjustments − ar) ÷ (prev_ar + sales + adjustments − current_ar) × 100``: what
    was collected in the month over what was collectible (everything but the part of the closing AR not
    yet due). ``adjustments`` is the month's net effect of the adjustments table on AR (write-offs,
    discounts and small balances negative, fees and interest positive): a write-off leaves both the
    collectible base and the closing AR, so it is never counted as collected, and a fee adds to what was
    collectible. NaN when the denominator is 0.
    Example: prev AR 100,000, sales 50,000, AR 90,000, current AR 40,000 → 60,000 ÷ 110,000 × 100 =
    54.55 %. With a 10,000 write-off in the month (adjustments −10,000) and AR 80,000: 60,000 ÷ 100,000
    = 60.0 % (not 70,000 ÷ 110,000 = 63.6 %, which would count the write-off as cash).
    """
    denom = prev_ar + sales + adjustments - current_ar
    if denom == 0 or pd.isna(denom):
        return float("nan")
    return (prev_ar + sales + adjustments - ar) / denom * 100.0


# --------------------------------------------------------------------------------------------- ledger


def month_ends(start, end) -> pd.DatetimeIndex:
    """Month ends in [start, end]. ``"2026-06"`` means the month (its end counts); a date counts month ends
    on or before it (and on or after it for ``start``)."""
    s = pd.Period(start, "M").to_timestamp(how="end").normalize() if _is_month(start) else pd.Timestamp(start)
    e = pd.Period(end, "M").to_timestamp(how="end").normalize() if _is_month(end) else pd.Timestamp(end)
    if pd.isna(s) or pd.isna(e):
        raise ValueError(f"start and end must be months such as 2026-01 or dates, not {start!r}, {end!r}")
    if e < s:
        raise ValueError(f"end {end} is before start {start}")
    return pd.date_range(s.normalize(), e.normalize(), freq="ME")


def _is_month(v) -> bool:
    return isinstance(v, (str, pd.Period)) and len(str(v)) <= 7


def _month_range(first_day: int, last: pd.Timestamp) -> pd.PeriodIndex:
    first = pd.Timestamp(np.datetime64(first_day, "D")).to_period("M")
    return pd.period_range(first, last.to_period("M"), freq="M")


def monthly_sales(ledger: Ledger, months: pd.PeriodIndex) -> pd.Series:
    """Σ invoice amounts dated in each month (credit notes netted), in currency units, indexed by month."""
    p = prepared(ledger)
    return _monthly_sum(p.inv_date, p.inv_cents, months)


def monthly_collections(ledger: Ledger, months: pd.PeriodIndex) -> pd.Series:
    """Σ payments dated in each month (applied or not), in currency units, indexed by month."""
    p = prepared(ledger)
    return _monthly_sum(p.pay_date, p.pay_cents, months)


def monthly_adjustments(ledger: Ledger, months: pd.PeriodIndex, *, kinds=None) -> pd.Series:
    """Σ effects on AR of the adjustments dated in each month (see :data:`arkit.model.ADJUSTMENT_KINDS`:
    write-offs negative, fees positive), optionally only those of ``kinds``, in currency units."""
    p = prepared(ledger)
    sel = np.ones(len(p.adj_date), dtype=bool) if kinds is None else np.isin(p.adj_kind, list(kinds))
    return _monthly_sum(p.adj_date[sel], p.adj_effect[sel], months)


def cum_amount_le(keys: np.ndarray, amounts_c: np.ndarray, days_: np.ndarray) -> np.ndarray:
    """Σ amounts (int cents) whose key (a day number) is ≤ D, for every D in ``days_``, exactly.

    One histogram of amounts by day (``np.bincount``, linear time, no sort) and its running sum; float sums
    are exact for totals below 2⁵³ cents (90 trillion currency units), and are rounded back to int64.
    """
    days_ = np.asarray(days_, dtype="int64")
    if len(days_) == 0:
        return np.zeros(0, dtype="int64")
    lo, hi = int(days_.min()), int(days_.max())
    keep = keys <= hi
    k, a = keys[keep], amounts_c[keep]
    below = np.rint(a[k < lo].sum()) if len(k) else 0  # everything before the first day counts for all
    inside = k >= lo
    hist = np.bincount(k[inside] - lo, weights=a[inside].astype("float64"), minlength=hi - lo + 1)
    run = np.rint(np.cumsum(hist)).astype("int64")
    return run[days_ - lo] + int(below)


def _monthly_sum(day_numbers: np.ndarray, amounts_c: np.ndarray, months: pd.PeriodIndex) -> pd.Series:
    """Σ amounts dated in each month: the running sum at each month end less the one before its start."""
    starts = np.array([day_number(m.start_time) for m in months] + [day_number(months[-1].end_time) + 1], dtype="int64")
    csum = cum_amount_le(day_numbers, amounts_c, starts - 1)
    return pd.Series(np.diff(csum) / 100.0, index=months)


def open_and_current_cents(ledger: Ledger, days_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Open AR and its not-yet-due part at each day number, in cents.

    open(D) = Σ invoices dated ≤ D − Σ payments dated ≤ D + Σ adjustment effects dated ≤ D.
    current(D) = Σ over invoices dated ≤ D with due_date ≥ D of (amount − payments to it dated ≤ D +
    effects of its adjustments dated ≤ D), minus payments dated exactly D that are not applied to an
    invoice issued by D (unapplied cash is aged from its payment date, so it is current only on that day)
    — the same items :func:`arkit.aging` puts in ``current``. Payments and adjustments are read together
    as reductions of balances (``Prepared.red_*``).
    """
    p = prepared(ledger)
    pay_date, pay_cents, pay_inv = p.red_date, p.red_cents, p.red_inv
    days_ = np.asarray(days_, dtype="int64")
    big = np.iinfo("int64").max // 4
    has_inv = pay_inv >= 0
    pinv = np.maximum(pay_inv, 0)
    n_inv = len(p.inv_date)
    # the dates of the invoice each payment is applied to (never, for unapplied cash)
    p_inv_date = np.where(has_inv, p.inv_date[pinv] if n_inv else big, big)
    # an invoice is current on the days invoice_date ≤ D ≤ due_date (a due date before the invoice date,
    # which validation quarantines, counts as due on the invoice date)
    inv_due = np.maximum(p.inv_due, p.inv_date)
    p_inv_due = np.where(has_inv, inv_due[pinv] if n_inv else big, big)

    def cum_le(keys: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Σ amounts with key ≤ D, for every D in days_."""
        return cum_amount_le(keys, amounts, days_)

    inv_le = cum_le(p.inv_date, p.inv_cents)
    pay_le = cum_le(pay_date, pay_cents)
    opened = inv_le - pay_le
    # Σ over invoice_date ≤ D ≤ due: (invoice_date ≤ D) minus (due < D), since due < D implies date < D
    inv_cur = inv_le - cum_le(inv_due + 1, p.inv_cents)
    # payments dated ≤ D to such invoices: max(payment_date, invoice_date) ≤ D, minus those with due < D
    pay_cur = cum_le(np.maximum(pay_date, p_inv_date), pay_cents) - cum_le(np.maximum(pay_date, np.where(has_inv, p_inv_due + 1, big)), pay_cents)
    # cash received on D itself that is not applied to an invoice issued by D is current that day
    on_day = np.isin(pay_date, days_) & (p_inv_date > pay_date)
    loose = pd.Series(pay_cents[on_day]).groupby(pay_date[on_day]).sum()
    loose_today = loose.reindex(days_, fill_value=0).to_numpy(dtype="int64")
    current = inv_cur - pay_cur - loose_today
    return opened.astype("int64"), current.astype("int64")


def kpis(ledger: Ledger, start, end, *, dso_window: int = 3) -> pd.DataFrame:
    """The standard receivables figures for each month end in [start, end].

    Columns (money in currency units, days in calendar days, percentages 0–100):
    - ``sales``: Σ invoices dated in the month, credit notes netted;
    - ``collections``: Σ payments dated in the month (cash only: a write-off is not a collection);
    - ``write_offs``: Σ write-off adjustments dated in the month (positive amounts);
    - ``adjustments``: the month's net effect of all adjustments on AR (write-offs, discounts taken,
      small balances negative; fees, interest, bad-debt recoveries positive);
    - ``open_ar``: invoices − payments + adjustment effects dated ≤ month end (= :func:`arkit.aging_summary`
      total): a written-off invoice leaves open AR on the write-off's date;
    - ``current_ar``: the part of open_ar not past due (aging bucket ``current``); ``past_due_ar`` the rest;
    - ``dso``: :func:`period_dso` of open_ar over the sales and calendar days of the last ``dso_window``
      months (this month included) — but no month before the ledger's first invoice: a ledger with one
      month of history divides by that month's sales and days only;
    - ``dso_countback``: :func:`countback_dso` of open_ar against monthly sales going back;
    - ``bpdso``: best possible DSO, :func:`period_dso` of current_ar over the same window;
    - ``add``: average days delinquent, dso − bpdso;
    - ``cei``: :func:`cei` with the previous month-end open_ar taken from the ledger (also before start)
      and the month's ``adjustments`` (a write-off is neither collected nor collectible);
    - ``pct_current``: current_ar ÷ open_ar × 100.
    Countback and CEI take the ledger's history as it is (months before the first invoice have zero
    sales). DSO, countback and BPDSO divide open AR *after* write-offs by sales (invoices and credit notes
    only; adjustments are not sales), so writing off an old balance lowers DSO from its date — read it
    beside ``write_offs``. On a ledger loaded from an open-item export (``ledger.is_open_item_export``)
    countback and CEI are NaN and ``attrs["not_computable"]`` maps dso_countback, cei and days_to_pay to
    :data:`OPEN_ITEM_REASON`. Index: ``period_end``.
    """
    if not isinstance(dso_window, (int, np.integer)) or dso_window < 1:
        raise ValueError(f"dso_window must be a whole number of months ≥ 1, not {dso_window!r}")
    ends = month_ends(start, end)
    if len(ends) == 0:
        raise ValueError(f"no month end lies between {start} and {end}")
    p = prepared(ledger)
    first_day = day_number(ends[0] - pd.offsets.MonthBegin(dso_window + 1))
    if len(p.inv_date):
        first_day = min(first_day, int(p.inv_date.min()))
    months = _month_range(first_day, ends[-1])
    sales = monthly_sales(ledger, months)
    colls = monthly_collections(ledger, months)
    adjs = monthly_adjustments(ledger, months).to_numpy()
    wos = -monthly_adjustments(ledger, months, kinds=("write_off",)).to_numpy()
    mdays = pd.Series([m.days_in_month for m in months], index=months, dtype="int64")

    eval_days = np.array([day_number(e) for e in ends], dtype="int64")
    prev_days = np.array([day_number(e - pd.offsets.MonthEnd(1)) for e in ends], dtype="int64")
    both_open, both_cur = open_and_current_cents(ledger, np.concatenate([eval_days, prev_days[:1]]))
    open_c, cur_c, prev_open_c = both_open[:-1], both_cur[:-1], both_open[-1:]

    rows = []
    pos = {m: i for i, m in enumerate(months)}
    s_arr, d_arr = sales.to_numpy(), mdays.to_numpy()
    # the DSO window never reaches back before the ledger's first invoice month
    first_month = pos.get(pd.Timestamp(np.datetime64(int(p.inv_date.min()), "D")).to_period("M"), 0) if len(p.inv_date) else 0
    for k, e in enumerate(ends):
        i = pos[e.to_period("M")]
        lo = max(0, i - dso_window + 1, min(first_month, i))
        w_sales, w_days = s_arr[lo : i + 1].sum(), int(d_arr[lo : i + 1].sum())
        ar, cur = open_c[k] / 100.0, cur_c[k] / 100.0
        prev = (open_c[k - 1] if k > 0 else prev_open_c[0]) / 100.0
        dso = period_dso(ar, w_sales, w_days)
        bp = period_dso(cur, w_sales, w_days)
        rows.append(
            {
                "period_end": e,
                "sales": round(s_arr[i], 2),
                "collections": round(colls.iloc[i], 2),
                "write_offs": round(wos[i], 2) + 0.0,
                "adjustments": round(adjs[i], 2) + 0.0,
                "open_ar": round(ar, 2),
                "current_ar": round(cur, 2),
                "past_due_ar": round((open_c[k] - cur_c[k]) / 100.0, 2),
                "dso": dso,
                "dso_countback": countback_dso(ar, s_arr[i::-1], d_arr[i::-1]),
                "bpdso": bp,
                "add": dso - bp,
                "cei": cei(prev, s_arr[i], ar, cur, adjs[i]),
                "pct_current": cur / ar * 100.0 if ar else float("nan"),
            }
        )
    out = pd.DataFrame(rows).set_index("period_end")
    if ledger.is_open_item_export:
        # an open-item export holds what is open at one date, no payment history: the sales of past months
        # and what was collected from them are not in it
        out["dso_countback"] = np.nan
        out["cei"] = np.nan
        out.attrs["not_computable"] = {c: OPEN_ITEM_REASON for c in ("dso_countback", "cei", "days_to_pay")}
    return out


#: why history-based figures are NaN on a ledger loaded from an open-item export (``kpis(...).attrs``)
OPEN_ITEM_REASON = "not computable from an open-item export (it has the open balance per invoice at one date, no payment history)"
