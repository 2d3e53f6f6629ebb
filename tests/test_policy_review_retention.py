"""The quarterly policy review, retention of delinquent customers (policy_review.retention): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pandas as pd

from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, make


RET_INV = [
    ("K", "K1", "2025-11-01", "2025-12-01", 1000.0),
    ("K", "K2", "2026-09-01", "2026-10-01", 400.0),
    ("L", "L1", "2025-12-01", "2025-12-31", 700.0),
    ("M", "M1", "2026-05-01", "2026-05-31", 300.0),
    ("M", "M2", "2026-08-15", "2026-09-14", 200.0),
    ("N", "N1", "2025-06-01", "2025-07-01", 900.0),
    ("O", "O1", "2026-06-01", "2026-07-01", 100.0),
    ("P", "P1", "2026-05-02", "2026-06-01", 100.0),
]
RET_PAY = [("K", "K1", "2026-02-15", 1000.0), ("L", "L1", "2026-04-01", 700.0), ("O", "O1", "2026-08-15", 100.0), ("P", "P1", "2026-07-31", 100.0)]


def test_retention_hand_computed():
    """Delinquent = an invoice more than 60 days past due and unpaid on a day of the year (2025-10-01 …):
    K: K1 due 12-01, still unpaid on 2026-01-31 (day 61) → delinquent since 01-31; paid 02-15; nothing past
       due at 09-30, invoiced 09-01 → recovered, still buying.
    L: L1 due 12-31 unpaid on 03-02 → since 2026-03-02; paid 04-01; last invoice 2025-12-01 → recovered,
       stopped buying.
    M: M1 due 05-31 unpaid on 07-31 → since 07-31; 122 days past due at 09-30 (300 over 30 days); invoiced
       08-15 → still delinquent, still buying.
    N: N1 due 2025-07-01, unpaid since → delinquent from the year's first day 2025-10-01; last invoice
       2025-06-01 → still delinquent, stopped buying (oldest 456 days).
    O paid 45 days late, P exactly 60 days late (paid on day 60): neither is delinquent."""
    r = pr.retention(make(RET_INV, RET_PAY), Q).set_index("customer_id")
    assert sorted(r.index) == ["K", "L", "M", "N"]
    assert r.loc[["K", "L", "M", "N"], "outcome"].tolist() == list(pr.RETENTION_OUTCOMES)
    assert r.loc[["K", "L", "M", "N"], "delinquent_since"].tolist() == [pd.Timestamp(d) for d in ("2026-01-31", "2026-03-02", "2026-07-31", "2025-10-01")]
    assert r.loc[["K", "L", "M", "N"], "past_due_now"].tolist() == [0.0, 0.0, 300.0, 900.0]
    assert r.loc["N", "oldest_days_past_due"] == 456 and r.loc["K", "oldest_days_past_due"] == 0
    assert (r.loc["K", "sales_before"], r.loc["K", "sales_since"]) == (1000.0, 400.0)
    s = pr.retention_summary(r.reset_index()).set_index("outcome")
    assert s["customers"].tolist() == [1, 1, 1, 1] and s["share"].tolist() == [25.0] * 4


def test_retention_windows_are_options():
    """With delinquent_days=40, O (45 days late) is delinquent too (since 08-11), recovered and — invoiced 06-01,
    before it became delinquent — stopped buying."""
    r = pr.retention(make(RET_INV, RET_PAY), Q, delinquent_days=40).set_index("customer_id")
    assert r.loc["O", "delinquent_since"] == pd.Timestamp("2026-08-11")
    assert r.loc["O", "outcome"] == "recovered, stopped buying"
