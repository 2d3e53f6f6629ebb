"""The quarterly policy review, payment plans in the quarter (policy_review.plans): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations


from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, make


def test_plan_activity_hand_computed():
    """P agreed 05-01: 100 due 06-01 and 07-01, paid 05-30 and 07-02 → on track at 06-30 (paid 100),
    completed at 09-30 (paid 200): completed in Q3, 100 recovered in Q3.
    Q agreed 07-10: 3 × 100 due 08-10, 09-10, 10-10, nothing paid → two missed past 5 days' grace → broken:
    started and broken in Q3. S agreed 03-01, 2 × 50 unpaid → broken already at 06-30: not counted again."""
    inv = [("P", "P1", "2026-03-01", "2026-03-31", 200.0), ("Q", "Q1", "2026-03-01", "2026-03-31", 300.0), ("S", "S1", "2026-01-01", "2026-01-31", 100.0)]
    pay = [("P", "P1", "2026-05-30", 100.0), ("P", "P1", "2026-07-02", 100.0)]
    act = [
        ("2026-05-01", "P", "payment_plan", None, "installment 1/2", "2026-06-01", 100.0),
        ("2026-05-01", "P", "payment_plan", None, "installment 2/2", "2026-07-01", 100.0),
        ("2026-07-10", "Q", "payment_plan", None, "installment 1/3", "2026-08-10", 100.0),
        ("2026-07-10", "Q", "payment_plan", None, "installment 2/3", "2026-09-10", 100.0),
        ("2026-07-10", "Q", "payment_plan", None, "installment 3/3", "2026-10-10", 100.0),
        ("2026-03-01", "S", "payment_plan", None, "installment 1/2", "2026-04-01", 50.0),
        ("2026-03-01", "S", "payment_plan", None, "installment 2/2", "2026-05-01", 50.0),
    ]
    p = pr.plan_activity(make(inv, pay, act), Q).set_index("customer_id")
    assert p.loc[["P", "Q", "S"], "prev_status"].tolist() == ["on track", "", "broken"]
    assert p.loc[["P", "Q", "S"], "status"].tolist() == ["completed", "broken", "broken"]
    assert p.loc[["P", "Q", "S"], "started"].tolist() == [False, True, False]
    assert p.loc[["P", "Q", "S"], "completed"].tolist() == [True, False, False]
    assert p.loc[["P", "Q", "S"], "broken"].tolist() == [False, True, False]
    assert p.loc[["P", "Q", "S"], "recovered_in_quarter"].tolist() == [100.0, 0.0, 0.0]
    t = pr.plan_quarter(p.reset_index())
    assert (t["started"], t["completed"], t["broken"], t["recovered_in_quarter"], t["promised"]) == (1, 1, 1, 100.0, 600.0)
