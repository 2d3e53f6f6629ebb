"""Incentive programs, pilots with and without a real difference (arkit.incentives.pilot)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arkit.model import Ledger
from arkit.incentives import bootstrap_difference, pilot_evaluation, pilot_flags
from tests.ledgers import invoices, payments
from tests.incentives_helpers import AS_OF, D210


# --------------------------------------------------------------------------------------------- pilots


def _pilot_ledger(pilot_days, control_days, *, mark="invoices", n_customers=12, per_customer=6, seed=1):
    """Pilot customers P0.. pay around ``pilot_days``, controls K0.. around ``control_days`` (± 3 days)."""
    rng = np.random.default_rng(seed)
    inv, pay, flags = [], [], []
    d0 = pd.Timestamp("2026-01-05")
    for grp, base in (("P", pilot_days), ("K", control_days)):
        for c in range(n_customers):
            for j in range(per_customer):
                date = d0 + pd.Timedelta(days=7 * j)
                iid = f"{grp}{c}-{j}"
                inv.append((f"{grp}{c}", iid, date, date + pd.Timedelta(days=30), 1000.0))
                pay.append((f"{grp}{c}", iid, date + pd.Timedelta(days=int(base + rng.integers(-3, 4))), 1000.0))
                flags.append("yes" if grp == "P" else "no")
    i = invoices(inv)
    customers = None
    if mark == "invoices":
        i["pilot"] = flags
    elif mark == "customers":
        ids = sorted({r[0] for r in inv})
        customers = pd.DataFrame({"customer_id": ids, "pilot": ["x" if s.startswith("P") else "" for s in ids]})
    return Ledger.from_frames(i, payments(pay), customers)


def test_pilot_with_a_large_difference_is_significant():
    """Pilot pays on day 6 ± 3, control on day 40 ± 3: about −34 days, CI far from 0. Cost per 100 of
    sales: pilot 2 (the 2 % discount: every pilot invoice is paid within 10 days) + 6 × 9 % ÷ 365 × 100
    = 0.148 → ≈ 2.15; control 40 × 0.09 ÷ 365 × 100 ≈ 0.99 (± 3 days ≈ ± 0.07)."""
    led = _pilot_ledger(6, 40)
    pe = pilot_evaluation(led, AS_OF, program=D210)
    t = pe.table.set_index("metric")
    assert pe.marked_by == "the invoices' pilot column" and pe.pilot_customers == 12 and pe.control_customers == 12
    assert t.loc["mean days to pay", "difference"] == pytest.approx(-34, abs=1.5)
    assert t.loc["mean days to pay", "ci_high"] < 0 and t.loc["mean days to pay", "significant"]
    assert t.loc["median days to pay", "significant"] and t.loc["median days to pay", "ci_high"] < 0
    assert t.loc["cost per 100 of sales", "pilot"] == pytest.approx(2 + 6 * 0.09 / 365 * 100, abs=0.03)
    assert t.loc["cost per 100 of sales", "control"] == pytest.approx(40 * 0.09 / 365 * 100, abs=0.03)
    assert t.loc["cost per 100 of sales", "significant"]
    assert t.loc["mean days to pay", "verdict"].startswith("significant: the pilot is")
    # same seed, same answer
    pd.testing.assert_frame_equal(pilot_evaluation(led, AS_OF, program=D210).table, pe.table)


def test_pilot_without_a_difference_is_not_significant():
    """Both groups pay on day 30 ± 3 (customers marked in the customers table): the CI includes 0."""
    led = _pilot_ledger(30, 30, mark="customers")
    pe = pilot_evaluation(led, AS_OF)
    t = pe.table.set_index("metric")
    assert pe.marked_by == "the customers' pilot column"
    for m in ("mean days to pay", "median days to pay"):
        assert t.loc[m, "ci_low"] <= 0 <= t.loc[m, "ci_high"] and not t.loc[m, "significant"]
        assert t.loc[m, "verdict"].startswith("not significant")


def test_pilot_marks_and_none():
    led = _pilot_ledger(8, 40, mark=None)
    assert pilot_flags(led)[0] is None and pilot_evaluation(led, AS_OF) is None
    flags, how = pilot_flags(led, pilot_customers=["P0", "P1"])
    assert int(flags.sum()) == 12 and "passed in" in how
    pe = pilot_evaluation(led, AS_OF, pilot_customers=["P0", "P1"])
    assert pe.pilot_customers == 2 and pe.control_customers == 22


def test_bootstrap_difference_hand_example():
    """Two pilot customers with days (10, 10) and (20); one control customer with (30, 30, 30): every
    resample of the control is 30; pilot means over draws take the values 10, 40/3 (one customer of each,
    (10+10+20)/3) or 20 → the CI lies within [10 − 30, 20 − 30] = [−20, −10], point −16.67."""
    p = pd.DataFrame({"cluster": ["a", "a", "b"], "days_to_pay": [10, 10, 20], "amount": 1.0, "cost": 0.0})
    c = pd.DataFrame({"cluster": ["k", "k", "k"], "days_to_pay": [30, 30, 30], "amount": 1.0, "cost": 0.0})
    t = bootstrap_difference(p, c, draws=500, seed=0).set_index("metric")
    assert t.loc["mean days to pay", "difference"] == pytest.approx(40 / 3 - 30)
    assert -20 <= t.loc["mean days to pay", "ci_low"] <= t.loc["mean days to pay", "ci_high"] <= -10
    assert t.loc["median days to pay", "pilot"] == 10  # lower median of 10, 10, 20


def test_bootstrap_with_too_few_customers_is_never_significant():
    """One customer per group: every resample is the same, the CI has zero width — no verdict of
    significance may come from that."""
    pilot = pd.DataFrame({"cluster": ["a", "a"], "days_to_pay": [29, 31], "amount": [100.0, 100.0], "cost": [1.0, 1.0]})
    control = pd.DataFrame({"cluster": ["k", "k"], "days_to_pay": [30, 31], "amount": [100.0, 100.0], "cost": [1.0, 1.0]})
    t = bootstrap_difference(pilot, control)
    assert not t["significant"].any()
    assert t["verdict"].str.startswith("too few customers to judge").all()
    assert t.loc[0, "difference"] == -0.5  # the point estimate is still shown
