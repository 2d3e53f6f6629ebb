"""Which month a monthly review can cover: the checks and dates a render needs before any section is
computed (kept apart from the sections, so the process that loads the ledger checks the month without
importing matplotlib and the report's other modules)."""

from __future__ import annotations

import pandas as pd

from ..errors import LedgerError
from ..model import Ledger


def first_full_month_end(ledger: Ledger) -> pd.Timestamp:
    """The end of the ledger's first full month: the month of its first invoice when that invoice is dated
    on the 1st, else the month after (the first month is only partly in the ledger)."""
    first = pd.Timestamp(ledger.invoices["invoice_date"].min()).normalize()
    end = first + pd.offsets.MonthEnd(0)
    return end if first.day == 1 else (end + pd.offsets.MonthEnd(1)).normalize()


def export_date(ledger: Ledger) -> pd.Timestamp:
    """The date an open-item export shows: the as-of of its title or mapping (``export_date``), else its
    latest invoice date."""
    rep = ledger.load_report
    when = rep.sources.get("as_of") if rep is not None else None
    return pd.Timestamp(when if when is not None else ledger.as_of_max).normalize()


def check_as_of(ledger: Ledger, as_of) -> pd.Timestamp:
    """``as_of`` as a month end the ledger can support, or a one-line :class:`LedgerError` saying why not.

    Refused: a date that is not a month end; a ledger with no invoice by then; on an open-item export, a
    month before the export's own (what was paid before the export is not in it); a month after the month of
    the ledger's last event (invoice, payment, activity or adjustment date: the months after it are
    unknown, not empty); a month before the ledger's first full month (:func:`first_full_month_end`).
    """
    as_of = pd.Timestamp(as_of).normalize()
    if not as_of.is_month_end:
        raise LedgerError(
            f"The monthly review covers a whole month: give a month end as the as-of date, such as {as_of + pd.offsets.MonthEnd(0):%Y-%m-%d} or {as_of - pd.offsets.MonthEnd(1):%Y-%m-%d}, not {as_of:%Y-%m-%d}."
        )
    if ledger.invoices.empty or (ledger.invoices["invoice_date"] > as_of).all():
        rep = ledger.load_report
        q = f" ({len(rep.quarantine)} problem(s) in the load report: run 'arkit validate')" if rep is not None and len(rep.quarantine) else ""
        raise LedgerError(f"The ledger has no accepted invoice dated on or before {as_of:%Y-%m-%d}{q}.")
    if ledger.is_open_item_export:
        day = export_date(ledger)
        month = (day + pd.offsets.MonthEnd(0)).normalize()
        if as_of < month:
            raise LedgerError(
                f"An open-item export shows what is open on {day:%Y-%m-%d}, without what was paid before, so it cannot show {as_of:%B %Y}: give {month:%Y-%m-%d}, the month of the export."
            )
    last = ledger.last_event
    last_end = (pd.Timestamp(last).normalize() + pd.offsets.MonthEnd(0)).normalize()
    if as_of > last_end:
        raise LedgerError(
            f"The ledger ends on {pd.Timestamp(last):%Y-%m-%d} (its last invoice, payment or activity), so it cannot show {as_of:%B %Y}: give {last_end:%Y-%m-%d} or an earlier month end."
        )
    gap = billing_gap(ledger, as_of)
    if gap is not None:
        last_inv, rate, expected = gap
        good = last_billed_month_end(ledger)
        raise LedgerError(
            f"The ledger's invoices end on {last_inv:%Y-%m-%d}: at its usual {rate:.1f} invoices a day about {expected:,.0f} more would be dated by {as_of:%d %B %Y}, "
            f"so {as_of:%B %Y} is not a full month of sales in it (an export cut off by invoice date?): give {good:%Y-%m-%d} or an earlier month end."
        )
    full = first_full_month_end(ledger)
    if as_of < full:
        first = pd.Timestamp(ledger.invoices["invoice_date"].min())
        raise LedgerError(
            f"The ledger starts on {first:%Y-%m-%d}, so {as_of:%B %Y} is not a full month in it: give {full:%Y-%m-%d} (its first full month) or a later month end."
        )
    return as_of


#: Why an open-item export has no earlier month end: the reason shown wherever one would be.
OPEN_ITEM_EARLIER = (
    "not computable from an open-item export: it lists what is open at one date, without the invoices paid "
    "before it, so no earlier month end (last month, the trend, where last month's AR went) can be rebuilt from it"
)


#: Invoices a ledger would have dated, at its usual rate, between its last invoice and a date, from which its
#: invoicing is taken to stop at that last invoice (no invoice where 5 were expected: P < 1 % by chance).
BILLING_GAP_INVOICES = 5
#: Days before the last invoice over which the usual rate of invoicing is measured.
BILLING_RATE_DAYS = 91


def billing_gap(ledger: Ledger, as_of) -> tuple[pd.Timestamp, float, float] | None:
    """Whether the ledger's invoicing stops before ``as_of``: (its last invoice date, its invoices a day over
    the :data:`BILLING_RATE_DAYS` days up to that date (over its history when shorter, but at least 28 days),
    the invoices that rate gives from it to as_of) when that expectation reaches :data:`BILLING_GAP_INVOICES`,
    else None; None too when fewer than that many invoices are dated in the window (no cadence to judge by). Payments dated after the last invoice
    do not extend the sales history: a month after it is not a full month of sales. Open-item exports are
    judged by their export date instead (None)."""
    inv = ledger.invoices["invoice_date"] if len(ledger.invoices) else pd.Series(dtype="datetime64[ns]")
    if inv.empty or ledger.is_open_item_export:
        return None
    as_of = pd.Timestamp(as_of).normalize()
    last = pd.Timestamp(inv.max()).normalize()
    if as_of <= last:
        return None
    start = last - pd.Timedelta(days=BILLING_RATE_DAYS - 1)
    n = int(((inv >= start) & (inv <= last)).sum())
    if n < BILLING_GAP_INVOICES:  # a handful of invoices sets no cadence to judge a gap by
        return None
    span = min(BILLING_RATE_DAYS, max((last - pd.Timestamp(inv.min()).normalize()).days + 1, 28))  # a rate over 4 weeks at least
    rate = n / span
    expected = rate * (as_of - last).days
    return (last, rate, expected) if expected >= BILLING_GAP_INVOICES else None


def last_billed_month_end(ledger: Ledger) -> pd.Timestamp:
    """The last month end the ledger's invoicing covers (:func:`billing_gap`): the month of its last invoice,
    or the month before when the rest of that month would have held invoices."""
    last = pd.Timestamp(ledger.invoices["invoice_date"].max()).normalize()
    end = (last + pd.offsets.MonthEnd(0)).normalize()
    return end if billing_gap(ledger, end) is None else (end - pd.offsets.MonthEnd(1)).normalize()
