"""Incentive programs, the comparison of every program on a ledger (arkit.incentives.compare)."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.model import Ledger
from arkit.incentives import compare_programs
from tests.incentives_helpers import AS_OF, programs, D210, FEE, CREDIT, PERK, PLAN, paid_on


def test_compare_programs_does_not_touch_the_ledger_and_uses_policy_segments():
    # D's unpaid invoice gives the risk score something to count (segment_customers fails on a ledger
    # where no customer has a single risk point: arkit/review/segments.py risk_score, reported)
    led = paid_on([5, 25, 60, 40, None], customers=["A", "A", "B", "C", "D"])
    before = {k: getattr(led, k).copy() for k in ("invoices", "payments", "customers")}
    c = compare_programs(led, AS_OF, programs=programs(D210, FEE, CREDIT, PERK, PLAN))
    for k, v in before.items():
        pd.testing.assert_frame_equal(getattr(led, k), v)
    assert c.summary["program"].tolist() == ["2/10 net 30", "Late fee", "Credit", "Perk", "Plan"]
    assert set(c.by_segment["segment"]) <= {"prompt", "good_slipping", "chronic_late", "new", "at_risk", "irregular"}
    # per-customer components add up to the summary
    comp = c.components[c.components["program"] == "2/10 net 30"]
    assert comp["cost_a"].sum() + 0.25 * comp["cost_m"].sum() == pytest.approx(c.summary.iloc[0]["cost"])


def test_default_programs_on_a_sample_ledger():
    """The shipped programs file on a sample ledger: a 2/10 discount is dearer than a 1/10 and neither pays
    against a 9 % cost of capital (the discount costs 37 % / 18 % a year)."""
    from arkit.sample import make_sample_ledger

    f = make_sample_ledger(n_invoices=1500, seed=3, as_of=AS_OF)
    led = Ledger.from_frames(f["invoices"], f["payments"], f["customers"], f["activities"])
    c = compare_programs(led, AS_OF)
    s = c.summary.set_index("program")
    assert s.loc["2/10 net 30", "net_benefit"] < s.loc["1/10 net 30", "net_benefit"] < 0
    assert s.loc["2/10 net 30", "take_up_low"] <= s.loc["2/10 net 30", "take_up_base"] <= s.loc["2/10 net 30", "take_up_high"]
    assert (c.summary["annualised_cost"].dropna() > 0.09).all()


def test_a_late_fee_in_force_is_measured_on_the_lateness_the_ledger_shows():
    """With the policy charging the same fee (1.5 % a month after 10 days), the ledger's payments were made
    with it in force: the measured figure is the fees on the lateness seen (Σ rev_a, collection rate
    included) and nothing else — no payer counted again as moving sooner. Without a fee in the policy the
    same program is a new one, priced on the assumed response."""
    from arkit.policy import load_policy

    led = paid_on([5, 25, 60, 40, None], customers=["A", "A", "B", "C", "D"])
    pol = load_policy()
    charging = {**pol, "late_fee": {**(pol.get("late_fee") or {}), "rate_per_month": 0.015, "grace_days": 10}}
    c = compare_programs(led, AS_OF, programs=programs(FEE), policy=charging)
    row = c.summary.set_index("program").loc["Late fee"]
    fees = c.components.loc[c.components["program"] == "Late fee", "rev_a"].sum()
    assert row["basis_measured"] == "measured" and fees > 0
    assert row["revenue_measured"] == pytest.approx(fees) and row["net_measured"] == pytest.approx(fees)
    none = {**pol, "late_fee": {**(pol.get("late_fee") or {}), "rate_per_month": 0.0}}
    new = compare_programs(led, AS_OF, programs=programs(FEE), policy=none).summary.set_index("program").loc["Late fee"]
    assert new["basis_measured"] == "assumed"
