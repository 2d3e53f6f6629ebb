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
