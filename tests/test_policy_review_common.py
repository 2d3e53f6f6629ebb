"""The quarterly policy review, quarters and the last complete quarter (arkit.review.policy_review._common): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import make


def test_quarters():
    assert pr.parse_quarter("2026Q3") == pd.Period("2026Q3", "Q")
    assert pr.parse_quarter(" 2026-q3 ") == pd.Period("2026Q3", "Q")
    assert pr.parse_quarter(pd.Period("2026Q1", "Q")) == pd.Period("2026Q1", "Q")
    assert pr.quarter_bounds("2026Q3") == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30"))
    assert pr.quarter_bounds("2024Q1") == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"))
    with pytest.raises(ValueError, match="2026Q3"):
        pr.parse_quarter("2026-07")


def test_last_complete_quarter():
    """Latest date 2026-09-30 (a quarter end) → 2026Q3; 2026-10-05 → 2026Q3 as well; 2026-09-29 → 2026Q2."""
    for last, q in (("2026-09-30", "2026Q3"), ("2026-10-05", "2026Q3"), ("2026-09-29", "2026Q2")):
        led = make([("A", "I1", last, last, 10.0)])
        assert pr.last_complete_quarter(led) == pd.Period(q, "Q")


def test_period_coverage_of_quarters_and_months():
    """Ledger history 2024-06-10 … 2026-09-26. 2024Q2: starts inside → partial (21 days covered); 2024Q3:
    history before it → complete; 2026Q3: last entry 09-26, within 7 days of 09-30 → complete; with a ledger
    ending 09-20 it is partial ("ledger ends 20 Sep 2026"). Months: 2024-06 partial, 2024-07 complete; a
    ledger starting exactly on 2024-07-01 makes July a start-up month (no history before it)."""
    from arkit.review.policy_review._common import period_coverage

    first, last = pd.Timestamp("2024-06-10"), pd.Timestamp("2026-09-26")
    q = period_coverage(pd.period_range("2024Q2", "2024Q3", freq="Q").append(pd.PeriodIndex(["2026Q3"], freq="Q")), first, last)
    assert q["complete"].tolist() == [False, True, True]
    assert (q.loc["2024Q2", "days_covered"], q.loc["2024Q2", "note"]) == (21, "partial: ledger starts 10 Jun 2024")
    assert period_coverage([pd.Period("2026Q3", "Q")], first, pd.Timestamp("2026-09-20")).loc["2026Q3", "note"] == "partial: ledger ends 20 Sep 2026"
    m = period_coverage(pd.period_range("2024-06", "2024-07", freq="M"), first, last)
    assert m["complete"].tolist() == [False, True]
    m2 = period_coverage([pd.Period("2024-07", "M")], pd.Timestamp("2024-07-01"), last)
    assert m2.loc["2024-07", "note"] == "partial: ledger starts 01 Jul 2024, no history before it"
