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
