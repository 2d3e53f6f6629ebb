"""Shared helpers of the policy-review pack: quarters, day numbers, running sums per invoice and customer, activities, terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
import numpy as np
import pandas as pd

from ..._prep import prepared
from ...model import Ledger

_EPOCH = np.datetime64("1970-01-01", "D")


_NEVER = np.int64(1 << 40)  # "no such day" in day-number arithmetic (never converted to a date)


# ============================================================================================ quarters, days


def parse_quarter(quarter) -> pd.Period:
    """``"2026Q3"``, ``"2026-Q3"``, ``"2026q3"`` or a quarterly :class:`pandas.Period` → ``Period("2026Q3")``."""
    if isinstance(quarter, pd.Period) and quarter.freqstr.upper().startswith("Q"):
        return pd.Period(f"{quarter.qyear}Q{quarter.quarter}", freq="Q")
    m = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*", str(quarter))
    if not m:
        raise ValueError(f"quarter must be a quarter such as 2026Q3, not {quarter!r}")
    return pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")


def quarter_bounds(quarter) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the quarter: 2026Q3 → (2026-07-01, 2026-09-30)."""
    q = parse_quarter(quarter)
    return q.start_time.normalize(), q.end_time.normalize()


def _label(q: pd.Period) -> str:
    return f"{q.qyear} Q{q.quarter}"


def last_complete_quarter(ledger: Ledger) -> pd.Period:
    """The quarter of the ledger's latest date (:attr:`arkit.Ledger.as_of_max`) when that date is the quarter's
    last day, else the quarter before it: 2026-09-30 → 2026Q3; 2026-10-05 → 2026Q3 — and the quarter before
    that while the ledger's invoicing stops before the quarter's end (:func:`arkit.review.months.billing_gap`:
    payments after the last invoice do not make a full quarter of sales)."""
    from ..months import billing_gap

    last = pd.Timestamp(ledger.as_of_max).normalize()
    q = last.to_period("Q")
    q = q if last == q.end_time.normalize() else q - 1
    while len(ledger.invoices) and billing_gap(ledger, q.end_time.normalize()) is not None:  # ends: none up to the last invoice
        q -= 1
    return q


def _day(ts) -> int:
    return int((np.datetime64(pd.Timestamp(ts).normalize().date(), "D") - _EPOCH).astype("int64"))


def _day_numbers(values) -> np.ndarray:
    """Dates as int64 day numbers; NaT → :data:`_NEVER`."""
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    out = np.full(len(s), _NEVER, dtype="int64")
    ok = s.notna().to_numpy()
    if ok.any():
        out[ok] = (s[ok].to_numpy(dtype="datetime64[D]") - _EPOCH).astype("int64")
    return out


def _dates(day_numbers) -> np.ndarray:
    """int64 day numbers → datetime64[ns]; :data:`_NEVER` (or beyond) → NaT."""
    d = np.asarray(day_numbers, dtype="int64")
    bad = np.abs(d) >= _NEVER
    out = (np.where(bad, 0, d).astype("timedelta64[D]") + _EPOCH).astype("datetime64[ns]")
    out[bad] = np.datetime64("NaT")
    return out


def _year_start(end: pd.Timestamp, months: int) -> pd.Timestamp:
    """First day of the ``months`` months ending at ``end``: 2026-09-30, 12 → 2025-10-01."""
    return (end - pd.DateOffset(months=months) + pd.Timedelta(days=1)).normalize()


# ============================================================================================ running sums


class _Running:
    """Σ amounts (integer cents) of a group dated on or before a day, for many (group, day) queries at once.

    Keys ``group · SPAN + (day − origin)`` are sorted once; each query is two binary searches. Groups are
    integers ≥ 0; rows with group −1 are left out and queries with group −1 give 0.
    """

    SPAN = np.int64(1 << 24)

    def __init__(self, groups, days, amounts):
        g = np.asarray(groups, dtype="int64")
        d = np.asarray(days, dtype="int64")
        a = np.asarray(amounts, dtype="int64")
        ok = (g >= 0) & (np.abs(d) < _NEVER)
        self.origin = int(d[ok].min()) - 1 if ok.any() else 0
        key = g[ok] * self.SPAN + np.clip(d[ok] - self.origin, 0, self.SPAN - 1)
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.csum = np.concatenate([[0], np.cumsum(a[ok][order])]).astype("int64")

    def upto(self, groups, days) -> np.ndarray:
        """Σ amounts of each group dated ≤ the day."""
        g = np.asarray(groups, dtype="int64")
        d = np.clip(np.asarray(days, dtype="int64") - self.origin, 0, self.SPAN - 1)
        gg = np.maximum(g, 0)
        hi = np.searchsorted(self.key, gg * self.SPAN + d, side="right")
        lo = np.searchsorted(self.key, gg * self.SPAN, side="left")
        return np.where(g >= 0, self.csum[hi] - self.csum[lo], 0).astype("int64")

    def between(self, groups, first, last) -> np.ndarray:
        """Σ amounts of each group dated in [first, last] (0 when last < first)."""
        first = np.asarray(first, dtype="int64")
        last = np.asarray(last, dtype="int64")
        out = self.upto(groups, last) - self.upto(groups, first - 1)
        return np.where(last >= first, out, 0).astype("int64")


@dataclass(frozen=True)
class _Book:
    """Per-ledger arrays behind the review (cached on the ledger, like :func:`arkit._prep.prepared`)."""

    customers: pd.Index  # every customer id seen
    inv_cc: np.ndarray  # customer code of each invoice
    pay_cc: np.ndarray  # customer code of each payment line
    applied: _Running  # payments applied to each invoice (group = invoice position)
    cust_paid: _Running  # payments of each customer (applied or not)
    cust_billed: _Running  # invoices of each customer (credit notes netted)


def _book(ledger: Ledger) -> _Book:
    inv, pay = ledger.invoices, ledger.payments
    key = (id(inv), len(inv), id(pay), len(pay))
    cached = ledger.__dict__.get("_policy_review_book")
    if cached is not None and cached[0] == key:
        return cached[1]
    p = prepared(ledger)
    ids = [inv["customer_id"], pay["customer_id"], ledger.customers["customer_id"], ledger.activities["customer_id"]]
    cust = pd.Index(pd.unique(pd.concat([s.astype("str") for s in ids], ignore_index=True).dropna()))
    inv_cc = cust.get_indexer(inv["customer_id"].astype("str")).astype("int64")
    pay_cc = cust.get_indexer(pay["customer_id"].astype("str")).astype("int64")
    b = _Book(
        customers=cust,
        inv_cc=inv_cc,
        pay_cc=pay_cc,
        applied=_Running(p.pay_inv, p.pay_date, p.pay_cents),
        cust_paid=_Running(pay_cc, p.pay_date, p.pay_cents),
        cust_billed=_Running(inv_cc, p.inv_date, p.inv_cents),
    )
    object.__setattr__(ledger, "_policy_review_book", (key, b))
    return b


def _balance(ledger: Ledger, pos, day) -> np.ndarray:
    """Balance in cents of the invoices at positions ``pos`` at the end of ``day`` (day numbers)."""
    p = prepared(ledger)
    pos = np.asarray(pos, dtype="int64")
    return p.inv_cents[pos] - _book(ledger).applied.upto(pos, day)


def _customer_codes(ledger: Ledger, ids) -> np.ndarray:
    return _book(ledger).customers.get_indexer(pd.Series(ids).astype("str")).astype("int64")


def _activities(ledger: Ledger, end: pd.Timestamp, actions) -> pd.DataFrame:
    """Activities of the given actions dated ≤ end (a copy; invoice_id empty for customer-level rows)."""
    a = ledger.activities
    if a.empty:
        return a.iloc[0:0].copy()
    return a[a["action"].isin(list(actions)) & (a["date"] <= end)].copy()



def _terms_labels(ledger: Ledger) -> pd.Series:
    """Each invoice's terms: its ``terms`` text (trimmed); else ``Net <terms_days>`` of its customer; else
    ``not recorded``."""
    inv = ledger.invoices
    t = inv["terms"].astype("str").str.strip() if "terms" in inv else pd.Series(pd.NA, index=inv.index, dtype="str")
    t = t.where(t.notna() & (t != ""))
    c = ledger.customers
    if len(c) and "terms_days" in c and c["terms_days"].notna().any():
        days = c.dropna(subset=["terms_days"]).drop_duplicates("customer_id", keep="last").set_index("customer_id")["terms_days"]
        net = "Net " + days.astype("int64").astype("str")
        t = t.fillna(inv["customer_id"].map(net))
    return t.fillna("not recorded").astype("str")



def _episodes(events: pd.DataFrame, keys: list[str], start: str, stop: str) -> pd.DataFrame:
    """Episodes from a log of ``start`` and ``stop`` actions per key, in date order (start first on a tie).

    A start opens an episode unless one is open (repeats are ignored); the first stop after it closes it (a
    stop with nothing open is ignored). Returns one row per episode: the keys, ``started`` (date),
    ``ended`` (date or NaT), and the ``outcome`` of the start and stop rows (``start_outcome``,
    ``stop_outcome``).
    """
    e = events[events["action"].isin([start, stop])].copy()
    for k in keys:
        e[k] = e[k].fillna("").astype("str")
    e["_o"] = (e["action"] == stop).astype("int64")
    e = e.sort_values([*keys, "date", "_o"], kind="stable")
    prev = e.groupby(keys, sort=False)["action"].shift()
    opening = (e["action"] == start) & (prev != start)
    closing = (e["action"] == stop) & (prev == start)
    o = e[opening].copy()
    s = e[closing].copy()
    o["_n"] = o.groupby(keys, sort=False).cumcount()
    s["_n"] = s.groupby(keys, sort=False).cumcount()
    out = o[[*keys, "_n", "date", "outcome"]].rename(columns={"date": "started", "outcome": "start_outcome"}).merge(
        s[[*keys, "_n", "date", "outcome"]].rename(columns={"date": "ended", "outcome": "stop_outcome"}), on=[*keys, "_n"], how="left"
    )
    return out.drop(columns="_n")


# ============================================================================================ ledger coverage


def ledger_span(ledger: Ledger) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and last day the ledger has history for: the earliest and latest date of any invoice,
    payment, activity or adjustment (an adjustments table is read when the ledger has one). (None, None)
    for an empty ledger. Example: invoices from 2024-06-10, payments to 2026-09-30 → (2024-06-10,
    2026-09-30)."""
    firsts, lasts = [], []
    for name, col in (("invoices", "invoice_date"), ("payments", "payment_date"), ("activities", "date"), ("adjustments", "date")):
        t = getattr(ledger, name, None)
        if t is None or not len(t) or col not in t:
            continue
        d = pd.to_datetime(t[col], errors="coerce").dropna()
        if len(d):
            firsts.append(d.min())
            lasts.append(d.max())
    if not firsts:
        return None, None
    return pd.Timestamp(min(firsts)).normalize(), pd.Timestamp(max(lasts)).normalize()


#: Days of quiet allowed at the end of a period: a ledger whose last entry is at most this many days before a
#: period's last day covers it — an export's last payment need not fall on the period's edge.
COVERAGE_GRACE_DAYS = 7


def period_coverage(periods, first, last, *, grace_days: int = COVERAGE_GRACE_DAYS) -> pd.DataFrame:
    """Which periods (quarters or months, a :class:`pandas.PeriodIndex` or list of Periods) the ledger covers
    in full (first, last from :func:`ledger_span`):

    complete = the ledger's history starts before the period's first day (first < start: the opening
    balance the period's figures start from — CEI's opening AR, the aging mix — comes from the ledger, not
    from an empty book) and runs to within ``grace_days`` (default 7) of its last day (last ≥ end −
    grace_days). The first period of a ledger is therefore a start-up period, never judged.
    days_covered = the days of the period within [first, last]; note = "" for a complete period, else
    "partial: ledger starts 10 Jun 2024" / "partial: ledger starts 01 Oct 2024, no history before it" /
    "partial: ledger ends 5 Oct 2026" / "no ledger history".
    A partial period is shown greyed and marked, and left out of "quarters on target", the targets of the
    trends and every rule. Example: 2024Q2 with a ledger starting 2024-06-10 → complete False, 21 days.
    Index: the periods as text (``"2024Q2"``)."""
    rows = []
    for p in periods:
        s, e = p.start_time.normalize(), p.end_time.normalize()
        span = (e - s).days + 1
        if first is None:
            rows.append({"period": str(p), "complete": False, "days": span, "days_covered": 0, "note": "no ledger history"})
            continue
        lo, hi = max(s, first), min(e, last)
        covered = max((hi - lo).days + 1, 0)
        g = pd.Timedelta(days=int(grace_days))
        note = ""
        if covered == 0:
            note = "no ledger history"
        elif first > s:
            note = f"partial: ledger starts {first:%d %b %Y}"
        elif first == s:
            note = f"partial: ledger starts {first:%d %b %Y}, no history before it"
        elif last < e - g:
            note = f"partial: ledger ends {last:%d %b %Y}"
        rows.append({"period": str(p), "complete": note == "", "days": span, "days_covered": covered, "note": note})
    return pd.DataFrame(rows, columns=["period", "complete", "days", "days_covered", "note"]).set_index("period")
