"""The quarterly policy review, disputes and the late payment they explain (policy_review.disputes): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import math
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, make


DISP_INV = [
    ("D", "D1", "2026-06-01", "2026-07-01", 1000.00),
    ("D", "D2", "2026-06-15", "2026-07-15", 500.00),
    ("D", "D3", "2026-07-01", "2026-07-31", 800.00),
]
DISP_PAY = [("D", "D1", "2026-08-20", 1000.00), ("D", "D3", "2026-08-10", 800.00)]
DISP_ACT = [
    ("2026-07-05", "D", "dispute_opened", "D1", "pricing"),
    ("2026-08-04", "D", "dispute_resolved", "D1", "credit_issued"),
    ("2026-09-10", "D", "dispute_opened", "D2", "quantity"),
]


def test_disputes_hand_computed():
    """D1 opened 07-05, resolved 08-04 → 30 days; D2 opened 09-10, open at 09-30. In Q3: 2 opened on
    1,000 + 500 = 1,500; 1 resolved, median 30 days; 1 open at the end."""
    led = make(DISP_INV, DISP_PAY, DISP_ACT)
    d = pr.dispute_episodes(led, "2026-09-30")
    assert d["invoice_id"].tolist() == ["D1", "D2"]
    assert d["days_to_resolve"].iloc[0] == 30.0 and math.isnan(d["days_to_resolve"].iloc[1])
    assert d["reason"].tolist() == ["pricing", "quantity"] and d["resolution"].iloc[0] == "credit_issued"
    assert pr.dispute_quarter(d, Q) == {"opened": 2, "opened_amount": 1500.0, "resolved": 1, "median_days_to_resolve": 30.0, "mean_days_to_resolve": 30.0, "open_at_end": 1}


def test_past_due_amount_days_and_dispute_share():
    """Amount-days over Q3 (07-01 … 09-30):
    D1 due 07-01: past due 07-02 … 09-30 = 91 days; 1,000 paid 08-20 counts 09-30 − 08-20 + 1 = 42 days →
      1,000 × 91 − 1,000 × 42 = 49,000 (= 1,000 × the 49 days 07-02 … 08-19);
    D2 due 07-15, unpaid: 07-16 … 09-30 = 77 days × 500 = 38,500;
    D3 due 07-31, paid 08-10: 08-01 … 08-09 = 9 days × 800 = 7,200.
    Total 94,700; disputed (D1, D2) 87,500 → 92.40 %."""
    led = make(DISP_INV, DISP_PAY, DISP_ACT)
    a = pr.past_due_amount_days(led, "2026-07-01", "2026-09-30") / 100
    assert a.tolist() == pytest.approx([49_000.0, 38_500.0, 7_200.0])
    s = pr.dispute_lateness(led, Q)
    assert (s["amount_days"], s["disputed_amount_days"], s["disputed_invoices"]) == (94_700.0, 87_500.0, 2)
    assert s["share_pct"] == pytest.approx(87_500 / 94_700 * 100)


def test_dispute_history_is_replayed_from_the_log_not_the_export_flag():
    """D4 (200, due 04-30, unpaid) is flagged disputed in the export, but its dispute was opened on 08-01.
    Q2 (04-01 … 06-30): D4 is past due 05-01 … 06-30 = 61 days × 200 = 12,200 amount-days, all the quarter
    has. Replayed from the log, D4 was not in dispute in Q2 → share 0 %; in Q3 it is (opened 08-01) and
    counts. Without a log, only the flag can say → 100 % in Q2, and the source says so."""
    from arkit.model import Ledger
    from tests.ledgers import invoices
    from tests.policy_review_helpers import acts

    inv = invoices([("D", "D4", "2026-03-31", "2026-04-30", 200.0)])
    inv["disputed"] = [True]
    with_log = Ledger.from_frames(inv, None, None, acts([("2026-08-01", "D", "dispute_opened", "D4", "pricing")]))
    s2 = pr.dispute_lateness(with_log, "2026Q2")
    assert (s2["amount_days"], s2["disputed_amount_days"], s2["share_pct"], s2["source"]) == (12_200.0, 0.0, 0.0, "log")
    assert pr.dispute_lateness(with_log, Q)["share_pct"] == 100.0
    no_log = Ledger.from_frames(inv)
    s2f = pr.dispute_lateness(no_log, "2026Q2")
    assert (s2f["share_pct"], s2f["source"]) == (100.0, "flag")
