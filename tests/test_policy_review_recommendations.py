"""The quarterly policy review, every recommendation rule on hand-made evidence (policy_review.recommendations): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import POLICY, settled_frame


@pytest.fixture(scope="module")
def settled():
    return settled_frame()


def test_rule_targets_missed():
    """DSO 50.1 and 52.3 against 45 → missed twice → fires; CEI 85 then 79 against 80 → missed once → not
    named. DSO 50.1 then 44.0 → nothing fires."""
    f = pd.DataFrame({"dso": [50.1, 52.3], "cei": [85.0, 79.0]}, index=["2026Q2", "2026Q3"])
    r = pr.rule_targets_missed(f, policy=POLICY)
    assert len(r) == 1 and "DSO, quarter" in r[0]["evidence"] and "50.1, 52.3 days against 45 days" in r[0]["evidence"]
    assert "Collection" not in r[0]["evidence"]
    assert pr.rule_targets_missed(pd.DataFrame({"dso": [50.1, 44.0], "cei": [85.0, 79.0]}), policy=POLICY) == []


def test_rule_ladder_step():
    """call: 40 of 80 on time (50 %) → named; letter 70 of 80 (87.5 %) → not; legal 5 of 10 decided (< 20)
    → not."""
    s = pd.DataFrame(
        {
            "step": ["call", "formal_letter", "legal_review"], "owner": ["collector", "collector", "controller"], "day": [15, 30, 120],
            "on_time": [40, 70, 5], "late": [30, 5, 0], "never": [10, 5, 5], "pct_on_time": [50.0, 87.5, 50.0], "median_delay_days": [4.0, 0.0, 0.0],
        }
    )  # fmt: skip
    r = pr.rule_ladder_step(s)
    assert len(r) == 1 and "call (50 %)" in r[0]["recommendation"] and "formal_letter" not in r[0]["recommendation"]
    assert "40 of 80 on time, 30 late, 10 never, median delay 4 days" in r[0]["evidence"]
    assert pr.rule_ladder_step(s, min_on_time_pct=40) == []


def test_rule_agency_recovery():
    """3 customers owing 10,000, 1,500 recovered = 15 % < 25 % → fires; 2 customers → not; 3,000 recovered
    (30 %) → not."""
    refs = pd.DataFrame({"owed": [5000.0, 3000.0, 2000.0], "recovered": [1000.0, 500.0, 0.0]})
    r = pr.rule_agency_recovery(refs)
    assert len(r) == 1 and "only 15.0 %" in r[0]["recommendation"] and r[0]["customers"] == 3
    assert pr.rule_agency_recovery(refs.head(2)) == []
    assert pr.rule_agency_recovery(refs.assign(recovered=[2000.0, 1000.0, 0.0])) == []


def test_rule_credit_limit_review():
    """A 120 % then 130 % → listed; B 120 % then 90 % → not; C 101 % then exactly 100 % → not (above 100 %
    is required)."""
    u = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "customer_name": ["Alpha", "Beta", "Gamma"], "credit_limit": [1000.0, 1000.0, 1000.0], "open_ar": [1300.0, 900.0, 1000.0],
         "utilisation": [130.0, 90.0, 100.0], "util_2026-07": [50.0, 50.0, 50.0], "util_2026-08": [120.0, 120.0, 101.0], "util_2026-09": [130.0, 90.0, 100.0]}
    )  # fmt: skip
    r = pr.rule_credit_limit_review(u)
    assert len(r) == 1 and r[0]["customers"] == 1
    assert r[0]["recommendation"] == "Review the credit limit of 1 customers above 100 % utilisation for 2 months."
    assert "Alpha at 130 %" in r[0]["evidence"]
    assert len(pr.rule_credit_limit_review(u, months=3)) == 0


def test_rule_credit_holds():
    """Sales 100,000 before, 60,000 after = −40 % (more than 30 %) over 3 holds → fires; −20 % → not; 2 holds →
    not."""
    t = {"holds": 3, "sales_before": 100_000.0, "sales_after": 60_000.0, "sales_change_pct": -40.0, "payments_change_pct": 10.0}
    r = pr.rule_credit_holds(t)
    assert len(r) == 1 and "sales fell 40 %" in r[0]["evidence"] and "+10 %" in r[0]["evidence"]
    assert pr.rule_credit_holds({**t, "sales_change_pct": -20.0}) == []
    assert pr.rule_credit_holds({**t, "holds": 2}) == []


def test_rule_disputes():
    """Share 20 % ≥ 15 % → fires; share 5 % and median 12 days → not; share 5 % and median 31 days → fires."""
    q = {"resolved": 10, "median_days_to_resolve": 12.0}
    assert len(pr.rule_disputes({"share_pct": 20.0}, q)) == 1
    assert pr.rule_disputes({"share_pct": 5.0}, q) == []
    r = pr.rule_disputes({"share_pct": 5.0}, {**q, "median_days_to_resolve": 31.0})
    assert len(r) == 1 and "median of 31 days" in r[0]["evidence"]


def test_rule_lost_customers():
    """10 delinquent, 3 stopped buying (30 % > 20 %) → fires, one of them paid up; 2 stopped (20 %) → not."""
    ret = pd.DataFrame({"customer_name": list("ABCDEFGHIJ"), "still_buying": [False] * 3 + [True] * 7, "recovered": [True, False, False] + [True] * 7, "past_due_now": [0.0, 100.0, 50.0] + [0.0] * 7})
    r = pr.rule_lost_customers(ret)
    assert len(r) == 1 and "3 of the 10" in r[0]["recommendation"] and r[0]["customers"] == 3
    assert r[0]["evidence"] == "1 of them paid up before leaving (A); 2 still owe 150.00."
    assert pr.rule_lost_customers(ret.assign(still_buying=[False] * 2 + [True] * 8)) == []


def test_rule_month_end_billing(settled):
    """From the billing example with at least 2 invoices of each kind: E (month-end 18.0 days late against
    1.0, gap 17 ≥ 10) is listed; F has one month-end invoice → not. With the default of 3, nobody."""
    c = pr.billing_by_customer(settled)
    r = pr.rule_month_end_billing(c, pd.Series({"E": "Echo & Co", "F": "Fox"}), min_invoices=2)
    assert len(r) == 1 and r[0]["customers"] == 1
    assert r[0]["recommendation"] == "Move 1 customers billed at month end, who pay those invoices 18 days late on average, to mid-month billing."
    assert "18.0 days late on average against 1.0" in r[0]["evidence"] and "Echo & Co" in r[0]["evidence"]
    assert pr.rule_month_end_billing(c) == []


def test_rule_payment_method():
    """ach 100 invoices 3.0 days late, check 100 at 9.0: average 6.0; check is 3.0 days later → fires (≥ 3).
    Adding card (10 invoices at 30.0) moves the average to 7.14: check +1.86 → not; card has too few invoices."""
    m = pd.DataFrame({"method": ["ach", "check"], "invoices": [100, 100], "avg_days_late": [3.0, 9.0]})
    r = pr.rule_payment_method(m)
    assert len(r) == 1 and "by check" in r[0]["recommendation"] and "against 6.0" in r[0]["evidence"]
    m2 = pd.concat([m, pd.DataFrame({"method": ["card"], "invoices": [10], "avg_days_late": [30.0]})])
    assert pr.rule_payment_method(m2) == []


def test_rule_terms():
    """Net 60 at 18.2 days late (40 invoices) → named; Net 30 at 10.0 → not; Net 15 at 20.0 but 10 invoices → not."""
    t = pd.DataFrame({"terms": ["Net 60", "Net 30", "Net 15"], "invoices": [40, 100, 10], "avg_days_late": [18.2, 10.0, 20.0], "pct_late": [70.0, 50.0, 80.0], "avg_days_to_pay": [78.2, 40.0, 35.0]})
    r = pr.rule_terms(t)
    assert len(r) == 1 and "Net 60 (18 days)" in r[0]["recommendation"] and "Net 15" not in r[0]["recommendation"]


def test_rule_early_pay():
    """Taken on 30 of 300 eligible (10 % < 25 %) → fires; on 100 of 300 (33 %) → not."""
    s = pd.DataFrame({"terms": ["2/10 Net 30"], "customers": [5], "eligible": [300], "taken": [30], "pct_taken": [10.0], "discount": [600.0], "annual_cost_pct": [37.24], "days_to_pay_taken": [8.0], "days_to_pay_not_taken": [48.0]})
    r = pr.rule_early_pay(s)
    assert len(r) == 1 and "only 10 %" in r[0]["recommendation"] and "30 of 300" in r[0]["evidence"]
    assert pr.rule_early_pay(s.assign(taken=[100], pct_taken=[100 / 3])) == []


def test_rule_thresholds_table_follows_the_defaults():
    t = pr.rule_thresholds().set_index("rule")["fires_when"]
    assert len(t) == len(pr.RULES)
    assert "fewer than 75 %" in t["ladder step"] and "at least 20 decided" in t["ladder step"]
    assert "10 days or more" in t["month end billing"]
