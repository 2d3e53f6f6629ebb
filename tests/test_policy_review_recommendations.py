"""The quarterly policy review, every recommendation rule on hand-made evidence (policy_review.recommendations): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import numpy as np
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
    assert len(r) == 1 and "Call (50.0 %)" in r[0]["recommendation"] and "Formal letter" not in r[0]["recommendation"] and "formal_letter" not in r[0]["recommendation"]
    assert "40 of 80 on time, 30 late, 10 never, median delay 4.0 days" in r[0]["evidence"]
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
    assert "Alpha at 130.0 %" in r[0]["evidence"]
    assert len(pr.rule_credit_limit_review(u, months=3)) == 0


def test_rule_credit_holds():
    """Sales 100,000 before, 60,000 after = −40 % (more than 30 %) over 3 holds → fires; −20 % → not; 2 holds →
    not."""
    t = {"holds": 3, "sales_before": 100_000.0, "sales_after": 60_000.0, "sales_change_pct": -40.0, "payments_change_pct": 10.0}
    r = pr.rule_credit_holds(t)
    assert len(r) == 1 and "sales fell 40.0 %" in r[0]["evidence"] and "+10.0 %" in r[0]["evidence"]
    assert pr.rule_credit_holds({**t, "sales_change_pct": -20.0}) == []
    assert pr.rule_credit_holds({**t, "holds": 2}) == []


def test_rule_disputes():
    """Share 20 % ≥ 15 % → fires; share 5 % and median 12 days → not; share 5 % and median 31 days → fires."""
    q = {"resolved": 10, "median_days_to_resolve": 12.0}
    assert len(pr.rule_disputes({"share_pct": 20.0}, q)) == 1
    assert pr.rule_disputes({"share_pct": 5.0}, q) == []
    r = pr.rule_disputes({"share_pct": 5.0}, {**q, "median_days_to_resolve": 31.0})
    assert len(r) == 1 and "median of 31.0 days" in r[0]["evidence"]


def test_rule_lost_customers():
    """10 delinquent, 3 stopped buying (30 % > 20 %) → fires, one of them paid up; 2 stopped (20 %) → not."""
    ret = pd.DataFrame({"customer_name": list("ABCDEFGHIJ"), "still_buying": [False] * 3 + [True] * 7, "recovered": [True, False, False] + [True] * 7, "past_due_now": [0.0, 100.0, 50.0] + [0.0] * 7})
    r = pr.rule_lost_customers(ret)
    assert len(r) == 1 and "3 of the 10" in r[0]["recommendation"] and r[0]["customers"] == 3
    assert r[0]["evidence"] == "1 of them paid up before leaving (A); 2 still owe 150.00."
    assert pr.rule_lost_customers(ret.assign(still_buying=[False] * 2 + [True] * 8)) == []


def test_rule_month_end_billing(settled):
    """From the billing example with at least 2 invoices of each kind: E (month-end 16, 20 days late against
    2, 0: gap 17 ≥ 10; Welch t = 17 ÷ √(8/2 + 2/2) = 7.60 on 1.47 degrees of freedom, p = 0.037 ≤ 0.05) is
    listed; F has one month-end invoice → not. With the default of 3, nobody; with p ≤ 0.01, nobody."""
    c = pr.billing_by_customer(settled)
    assert c.set_index("customer_id").loc["E", "p_value"] == pytest.approx(0.03718, abs=1e-4)
    r = pr.rule_month_end_billing(c, pd.Series({"E": "Echo & Co", "F": "Fox"}), min_invoices=2)
    assert len(r) == 1 and r[0]["customers"] == 1
    assert r[0]["recommendation"] == "Move 1 customers billed at month end, who pay those invoices 18.0 days late on average, to mid-month billing."
    assert "18.0 days late on average against 1.0" in r[0]["evidence"] and "Echo & Co" in r[0]["evidence"]
    assert pr.rule_month_end_billing(c) == []
    assert pr.rule_month_end_billing(c, min_invoices=2, max_p_value=0.01) == []


def _by_method(per_customer: int, wire_extra: float, *, confounded: bool, noise: bool = False) -> pd.DataFrame:
    """10 customers; customer k is 3k days late at baseline (0, 3, …, 27) with a ±1 wobble alternating
    within each method (or, with ``noise``, normal noise of 2 days, seeded); wire adds ``wire_extra`` days
    within every customer. Confounded: the late half (k ≥ 5) pays 10 of 12 invoices by wire, the prompt
    half 2 of 12; otherwise 6 and 6."""
    rows = []
    for k in range(10):
        n_wire = (10 if k >= 5 else 2) if confounded else 6
        eps = np.random.default_rng(100 + k).normal(0.0, 2.0, per_customer)
        for i in range(per_customer):
            m = "wire" if i < n_wire else "ach"
            wobble = eps[i] if noise else (1.0 if i % 2 else -1.0)
            rows.append({"customer_id": f"C{k}", "method": m, "days_late": 3.0 * k + wobble + (wire_extra if m == "wire" else 0.0)})
    return pd.DataFrame(rows)


def test_a_method_effect_that_vanishes_within_customer_gives_no_recommendation():
    """Confounded, no wire effect: the late customers pay by wire, so wire's raw average is far above ACH's
    (raw gap above 8 days), but within each customer wire and ACH invoices
    are paid alike up to the noise: the effect is within a day of 0 and its CI includes 0 → no
    recommendation."""
    e = pr.within_customer_effects(_by_method(12, 0.0, confounded=True, noise=True), "method").set_index("level")
    assert e.loc["wire", "reference"] == "ach" and e.loc["wire", "raw_gap"] > 8
    assert abs(e.loc["wire", "effect"]) < 0.5 and e.loc["wire", "ci_low"] < 0 < e.loc["wire", "ci_high"]
    assert e.loc["wire", "switchers"] == 10
    assert pr.rule_payment_method(e.reset_index()) == []


def test_a_method_effect_within_customer_fires_and_says_how_many_customers():
    """Wire paid exactly 5 days later within every customer (the ±1 wobble alternates within each method):
    effect 5.0, CI tight around it, 10 customers paid both ways, 60 wire invoices → fires."""
    e = pr.within_customer_effects(_by_method(12, 5.0, confounded=False), "method")
    w = e.set_index("level").loc["wire"]
    assert w["effect"] == pytest.approx(5.0, abs=1e-9) and w["ci_low"] > 3
    r = pr.rule_payment_method(e)
    assert len(r) == 1 and "by wire to ach" in r[0]["recommendation"] and "5.0 days later" in r[0]["recommendation"]
    assert "on 10 customers who paid both ways" in r[0]["recommendation"] and r[0]["customers"] == 10
    assert pr.rule_payment_method(e, min_customers=11) == []


def test_within_customer_effects_hand_example():
    """A pays wire 19, 21, 20 and ACH 20; B pays wire 0 and ACH 1, −1, 0. Raw: wire (60 + 0) ÷ 4 = 15, ACH
    (20 + 0) ÷ 4 = 5 → raw gap +10; within A wire and ACH average 20, within B 0 → effect 0."""
    s = pd.DataFrame({"customer_id": list("AAAABBBB"), "method": ["wire", "wire", "wire", "ach", "wire", "ach", "ach", "ach"], "days_late": [19, 21, 20, 20, 0, 1, -1, 0]})
    e = pr.within_customer_effects(s, "method").set_index("level")
    assert e.loc["wire", ["invoices", "customers", "switchers", "avg_days_late", "raw_gap"]].tolist() == [4, 2, 2, 15.0, 10.0]
    assert e.loc["wire", "effect"] == pytest.approx(0.0, abs=1e-9)
    assert e.loc["ach", "effect"] == 0.0 and e.loc["ach", "reference"] == "ach"


def test_rule_terms():
    """Net 60 (40 invoices, 18.2 days late) +6.0 within customer, CI +2.1 to +9.9, 8 customers on both →
    named; Net 45 at 16.0 days late but no customer on both (effect NaN) → not; Net 15 at 20 days, 10
    invoices → not."""
    t = pd.DataFrame(
        {
            "level": ["Net 30", "Net 60", "Net 45", "Net 15"],
            "reference": "Net 30",
            "invoices": [100, 40, 50, 10],
            "customers": [30, 12, 6, 3],
            "switchers": [20, 8, 0, 3],
            "avg_days_late": [10.0, 18.2, 16.0, 20.0],
            "raw_gap": [0.0, 8.2, 6.0, 10.0],
            "effect": [0.0, 6.0, np.nan, 9.0],
            "ci_low": [0.0, 2.1, np.nan, 4.0],
            "ci_high": [0.0, 9.9, np.nan, 14.0],
            "p_value": [np.nan, 0.004, np.nan, 0.01],
        }
    )
    r = pr.rule_terms(t)
    assert len(r) == 1 and "Net 60 (18.2 days late)" in r[0]["recommendation"] and "Net 45" not in r[0]["recommendation"] and "Net 15" not in r[0]["recommendation"]
    assert "on 8 customers billed on both" in r[0]["evidence"]
    assert r[0]["recommendation"].endswith("shorten them, or pair them with a late fee or an early-pay offer.")
    # the policy already charges a late fee (the letters cite it): not suggested again
    (f,) = pr.rule_terms(t, late_fee_in_force=True)
    assert f["recommendation"].endswith("shorten them, or pair them with an early-pay offer (the late fee is already in force).")


def test_rule_early_pay():
    """Taken on 30 of 300 eligible (10 % < 25 %) → fires; on 100 of 300 (33 %) → not."""
    s = pd.DataFrame({"terms": ["2/10 Net 30"], "customers": [5], "eligible": [300], "taken": [30], "pct_taken": [10.0], "discount": [600.0], "annual_cost_pct": [37.24], "days_to_pay_taken": [8.0], "days_to_pay_not_taken": [48.0]})
    r = pr.rule_early_pay(s)
    assert len(r) == 1 and "only 10.0 %" in r[0]["recommendation"] and "30 of 300" in r[0]["evidence"]
    assert pr.rule_early_pay(s.assign(taken=[100], pct_taken=[100 / 3])) == []


def test_rule_thresholds_table_follows_the_defaults():
    t = pr.rule_thresholds().set_index("rule")["fires_when"]
    assert len(t) == len(pr.RULES)
    assert "fewer than 75 %" in t["ladder step"] and "at least 20 decided" in t["ladder step"]
    assert "10 days or more" in t["month end billing"]


def test_numbers_in_text_are_rounded_as_in_the_tables():
    """A median delay of 1.5 days reads "1.5 days" (the tables show one decimal), never "2 days"."""
    s = pd.DataFrame({"step": ["call"], "owner": ["collector"], "day": [15], "on_time": [10], "late": [30], "never": [0], "pct_on_time": [25.0], "median_delay_days": [1.5]})
    r = pr.rule_ladder_step(s)
    assert "median delay 1.5 days" in r[0]["evidence"] and "2 days" not in r[0]["evidence"]


def test_cluster_ols_matches_statsmodels():
    """The within-customer regression's numbers are statsmodels' OLS with cluster-robust covariance
    (default small-sample correction, t with G − 1 df), to 1e-9."""
    import statsmodels.api as sm

    from arkit.review.policy_review.billing import cluster_ols

    rng = np.random.default_rng(5)
    n, G = 400, 23
    g = rng.integers(0, G, n)
    X = np.column_stack([rng.normal(size=n), (rng.random(n) < 0.3).astype(float)])
    y = 0.7 * X[:, 0] - 2.0 * X[:, 1] + rng.normal(size=G)[g] + rng.normal(size=n)
    beta, lo, hi, p = cluster_ols(y, X, g, confidence=0.9)
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)
    ci = np.asarray(fit.conf_int(alpha=0.1))
    assert np.allclose(beta, fit.params, atol=1e-9) and np.allclose(p, fit.pvalues, atol=1e-9)
    assert np.allclose(lo, ci[:, 0], atol=1e-9) and np.allclose(hi, ci[:, 1], atol=1e-9)
