"""The quarterly policy review, agency and legal referrals (policy_review.referrals): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, make


def test_referrals_hand_computed():
    """R: R1 1,000 and R2 400 (100 paid 06-10) open at the agency referral on 07-15 → owed 1,000 + 300 =
    1,300; 600 paid to R1 on 08-10 → recovered 600 (46.15 %), still open 700; R3 (issued after the referral)
    does not count. Legal on 08-20 → stage "agency and legal". R2 written off 09-15 at its balance 300.
    T, referred 2025-09-01 (before the year), is not listed."""
    inv = [
        ("R", "R1", "2026-03-01", "2026-03-31", 1000.00),
        ("R", "R2", "2026-04-01", "2026-05-01", 400.00),
        ("R", "R3", "2026-08-01", "2026-08-31", 250.00),
        ("T", "T1", "2025-05-01", "2025-05-31", 100.00),
    ]
    pay = [("R", "R2", "2026-06-10", 100.00), ("R", "R1", "2026-08-10", 600.00)]
    act = [("2026-07-15", "R", "agency", "R1"), ("2026-08-20", "R", "legal", "R1"), ("2026-09-15", "R", "write_off", "R2"), ("2025-09-01", "T", "agency", "T1")]
    r = pr.referrals(make(inv, pay, act), Q)
    assert r["customer_id"].tolist() == ["R"]
    row = r.iloc[0]
    assert (row["owed"], row["recovered"], row["open_now"], row["written_off"]) == (1300.00, 600.00, 700.00, 300.00)
    assert row["pct_recovered"] == pytest.approx(600 / 1300 * 100)
    assert row["stage"] == "agency and legal" and row["in_quarter"]
    assert (row["referred"], row["legal_date"]) == (pd.Timestamp("2026-07-15"), pd.Timestamp("2026-08-20"))
