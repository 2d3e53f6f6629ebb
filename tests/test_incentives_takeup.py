"""Incentive programs, every formula of the take-up model with a hand-computed example, and the simulation on ledgers whose answer is known by construction (arkit.incentives.takeup)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arkit.model import Ledger
from arkit.incentives import annual_sales, behaviour_sample, break_even_take_up, carrying_value, classify_payments, compare_programs, dso_change, exposure_loss_change, late_fee, past_due_flow, program_figures
from tests.ledgers import invoices, payments
from tests.incentives_helpers import AS_OF, programs, D210, FEE, CREDIT, PERK, PLAN, paid_on, segs


def test_late_fee_hand_example():
    """1.5 % a month after 10 days' grace, cap 10 %:
    1,000 paid 55 days late → 1,000 × 0.015 × 45 ÷ 30 = 22.50; 400 days late → 0.015 × 390 ÷ 30 = 0.195
    > 0.10 → capped at 100.00; 10 days late → 0; paid early (−5) → 0; 500 paid 40 days late → 500 × 0.015
    × 30 ÷ 30 = 7.50."""
    fee = late_fee([1000, 1000, 1000, 1000, 500], [55, 400, 10, -5, 40], rate_per_month=0.015, grace_days=10, cap=0.10)
    np.testing.assert_allclose(fee, [22.50, 100.00, 0.0, 0.0, 7.50])


def test_classify_payments_hand_example():
    """Window 10, reach 20: 5 and 10 are early; 11 and 30 movable (1 and 20 days sooner); 31 out of reach."""
    early, movable, sooner = classify_payments([5, 10, 11, 30, 31], window=10, reach=20)
    assert early.tolist() == [True, True, False, False, False]
    assert movable.tolist() == [False, False, True, True, False]
    assert sooner.tolist() == [0, 0, 1, 20, 0]


def test_carrying_value_dso_and_loss_hand_examples():
    """500,000 amount-days × 9 % ÷ 365 = 123.29; DSO: −1,200,000 ÷ 3,650,000 = −0.3288 days;
    bad debt: −10,000 × 4 % × 20 ÷ 365 = −21.92."""
    assert carrying_value(500_000, 0.09) == pytest.approx(123.2877, abs=1e-4)
    assert float(dso_change(1_200_000, 3_650_000)) == pytest.approx(-0.328767, abs=1e-6)
    assert np.isnan(dso_change(100, 0))
    assert float(exposure_loss_change(10_000, 20, 0.04)) == pytest.approx(-21.9178, abs=1e-4)


def _totals(**kw):
    t = {c: 0.0 for c in ("base", "take_a", "take_m", "cost_a", "cost_m", "rev_a", "rev_m", "days_a", "days_m", "loss_a", "loss_m", "part_a", "part_m", "sales")}
    t.update(kw)
    return pd.Series(t)


def test_program_figures_hand_example():
    """take_a 10,000, take_m 40,000, cost 2 % of take-up, days_m 600,000, sales = base 100,000, p 0.25, 9 %:
    take-up 10,000 + 0.25 × 40,000 = 20,000 (20 %), of which 10,000 ÷ 20,000 = 50 % already early;
    cost 0.02 × 20,000 = 400; cash accelerated 150,000 amount-days; AR freed 150,000 ÷ 365 = 410.96;
    value 150,000 × 0.09 ÷ 365 = 36.99; DSO −150,000 ÷ 100,000 = −1.5 days; net −400 + 36.99 = −363.01."""
    t = _totals(base=100_000, sales=100_000, take_a=10_000, take_m=40_000, cost_a=200, cost_m=800, days_m=600_000)
    f = program_figures(t, p=0.25, cost_of_capital=0.09)
    assert float(f["take_up"]) == 20_000 and float(f["take_up_share"]) == pytest.approx(0.20)
    assert float(f["already_early_share"]) == pytest.approx(0.5)
    assert float(f["cost"]) == pytest.approx(400.0)
    assert float(f["cash_accelerated"]) == pytest.approx(150_000)
    assert float(f["ar_freed"]) == pytest.approx(410.9589, abs=1e-4)
    assert float(f["cash_value"]) == pytest.approx(36.9863, abs=1e-4)
    assert float(f["dso_change"]) == pytest.approx(-1.5)
    assert float(f["net_benefit"]) == pytest.approx(-363.0137, abs=1e-4)
    grid = program_figures(t, p=np.array([0.0, 1.0])[:, None], cost_of_capital=np.array([0.0, 0.365])[None, :])
    # p = 1, coc 36.5 %: −1,000 + 600,000 × 0.365 ÷ 365 = −400
    assert grid["net_benefit"].shape == (2, 2) and grid["net_benefit"][1, 1] == pytest.approx(-400.0)


def test_break_even_take_up_hand_example():
    """n0 = −1,000 (take_a 50,000 at 2 %); per unit p: cost −2 % × 200,000 = −4,000 plus the value of
    days_m = 8,000 × 365 ÷ 0.09 amount-days at 9 % = +8,000 → slope +4,000.
    p* = 1,000 ÷ 4,000 = 0.25; take-up (50,000 + 0.25 × 200,000) ÷ 1,000,000 = 10 %."""
    days_m = 8000 * 365 / 0.09
    t = _totals(base=1e6, sales=1e6, take_a=50_000, take_m=200_000, cost_a=1000, cost_m=4000, days_m=days_m)
    share, text = break_even_take_up(t, cost_of_capital=0.09)
    assert share == pytest.approx(0.10) and text == "pays above 10.0 % take-up"
    # pure cost, no gain: never pays; pure gain: pays at any take-up; beyond 100 %: never pays
    assert break_even_take_up(_totals(base=1e6, sales=1e6, take_a=1e5, take_m=1e5, cost_a=2000, cost_m=2000), cost_of_capital=0.09) == (pytest.approx(np.nan, nan_ok=True), "never pays")
    assert break_even_take_up(_totals(base=1e6, sales=1e6, rev_a=10.0, days_m=1e6), cost_of_capital=0.09)[1] == "pays at any take-up"
    far = _totals(base=1e6, sales=1e6, take_a=0, take_m=1e5, cost_a=5000, days_m=365 * 1000 / 0.09)
    # n0 = −5,000, slope +1,000 → p* = 5, take-up 5 × 100,000 ÷ 1e6 = 50 % (beyond the movable pool, ≤ 100 %)
    assert break_even_take_up(far, cost_of_capital=0.09)[0] == pytest.approx(0.5)
    farther = _totals(base=1e6, sales=1e6, take_a=0, take_m=1e5, cost_a=20_000, days_m=365 * 1000 / 0.09)
    assert break_even_take_up(farther, cost_of_capital=0.09) == (pytest.approx(np.nan, nan_ok=True), "never pays (would need 200 % take-up)")
    # falling: a fee whose payers move to avoid it: n0 = +300, slope −600 → pays below 50 % of the pool
    fee = _totals(base=1e5, sales=1e5, take_m=10_000, rev_a=300, rev_m=-600)
    assert break_even_take_up(fee, cost_of_capital=0.0) == (pytest.approx(0.05), "pays below 5.0 % take-up")


# --------------------------------------------------------------------------------------------- ledger


def test_annual_sales_counts_invoices_of_the_last_12_months_only():
    """1,000 on 2025-06-30 is out (not after as_of − 12 months), 2,000 on 2025-07-01 in, the −300 credit
    note left out → 2,000."""
    led = Ledger.from_frames(invoices([("A", "1", "2025-06-30", "2025-07-30", 1000.0), ("A", "2", "2025-07-01", "2025-07-31", 2000.0), ("A", "CN", "2026-01-05", "2026-01-05", -300.0)]))
    assert annual_sales(led, AS_OF) == 2000.0


def test_behaviour_sample_weights_and_next_purchase():
    """A: invoices of 1,000 (paid) and 3,000 (open) → 4,000 of sales; sample = the paid 1,000, k = 4 →
    weight 4,000; its next purchase is the 3,000 invoice. An invoice settled before the lookback is out."""
    led = Ledger.from_frames(
        invoices([("A", "1", "2026-01-05", "2026-02-04", 1000.0), ("A", "2", "2026-03-01", "2026-03-31", 3000.0), ("A", "0", "2025-01-05", "2025-02-04", 500.0)]),
        payments([("A", "1", "2026-01-15", 1000.0), ("A", "0", "2025-02-01", 500.0)]),
    )
    s = behaviour_sample(led, AS_OF, segments=pd.Series({"A": "chronic_late"}), loss_rates={"annual_loss_rate": 0.01, "by_segment": {"chronic_late": 0.04}})
    assert s["invoice_id"].tolist() == ["1"]
    row = s.iloc[0]
    assert row["weight"] == 4000.0 and row["next_amount"] == 3000.0 and row["days_to_pay"] == 10
    assert row["segment"] == "chronic_late" and row["loss_rate"] == 0.04


def test_past_due_flow_hand_example():
    """Threshold 60 days: X1 1,000 due 2026-01-31, 300 paid 02-15 → on 04-01 700 open (eligible);
    X2 500 due 2026-03-01, paid in full 04-20 (before its day 04-30) → not eligible; X3 800 due 2026-06-15:
    its day 08-14 is after as_of → not yet; Y1 200 due 2025-01-01: its day is before the 12 months → out."""
    led = Ledger.from_frames(
        invoices([("X", "X1", "2026-01-01", "2026-01-31", 1000.0), ("X", "X2", "2026-01-30", "2026-03-01", 500.0), ("X", "X3", "2026-05-16", "2026-06-15", 800.0), ("Y", "Y1", "2024-12-02", "2025-01-01", 200.0)]),
        payments([("X", "X1", "2026-02-15", 300.0), ("X", "X2", "2026-04-20", 500.0)]),
    )
    f = past_due_flow(led, AS_OF, min_days_past_due=60)
    assert f.to_dict("records") == [{"customer_id": "X", "eligible": 700.0, "invoices": 1}]


# --------------------------------------------------------------------------------------------- simulation


def test_everyone_already_early_makes_the_discount_pure_cost():
    """All 4 customers pay 1,000 on day 5 (window 10): take-up 100 %, all of it already early; cost
    2 % × 4,000 = 80; nothing is paid sooner → net benefit −80 at every take-up assumption."""
    led = paid_on([5, 5, 5, 5])
    c = compare_programs(led, AS_OF, programs=programs(D210, loss=0.05), segments=segs(led))
    r = c.summary.iloc[0]
    assert (r["take_up_low"], r["take_up_base"], r["take_up_high"]) == (1.0, 1.0, 1.0)
    assert r["already_early_share"] == 1.0
    assert r["cost"] == pytest.approx(80.0) and r["cash_accelerated"] == 0 and r["dso_change"] == 0
    assert r["net_benefit"] == pytest.approx(-80.0) and r["net_low"] == pytest.approx(-80.0) and r["net_high"] == pytest.approx(-80.0)
    assert r["break_even"] == "never pays"


def test_everyone_out_of_reach_changes_nothing():
    """All pay on day 60, window 10 + reach 20 = 30: no one is early or movable → take-up 0, benefit 0."""
    led = paid_on([60, 60, 60])
    c = compare_programs(led, AS_OF, programs=programs(D210), segments=segs(led))
    r = c.summary.iloc[0]
    assert r["take_up_base"] == 0 and r["cost"] == 0 and r["net_benefit"] == 0 and r["net_high"] == 0
    assert np.isnan(r["already_early_share"])


def test_mixed_ledger_hand_computed():
    """A pays 1,000 on day 5 (early), B 2,000 on day 25 (movable, 15 days sooner), C 1,000 on day 60 (out
    of reach); sales 4,000, k = 1; p = 0.25, cost of capital 9 %, bad debt 4 % a year for B's segment.
    take-up 1,000 + 0.25 × 2,000 = 1,500 → 37.5 % of sales; already early 1,000 ÷ 1,500 = 66.7 %;
    cost 2 % × 1,500 = 30; cash accelerated 0.25 × 2,000 × 15 = 7,500 amount-days; value 7,500 × 0.09 ÷ 365
    = 1.849; DSO −7,500 ÷ 4,000 = −1.875; bad debt −7,500 × 0.04 ÷ 365 = −0.822;
    net −30 + 1.849 + 0.822 = −27.329. Slope per unit p: −40 + 30,000 × 0.13 ÷ 365 = −29.3 < 0 and
    n0 = −20 → never pays."""
    led = Ledger.from_frames(
        invoices([("A", "A1", "2026-01-05", "2026-02-04", 1000.0), ("B", "B1", "2026-01-05", "2026-02-04", 2000.0), ("C", "C1", "2026-01-05", "2026-02-04", 1000.0)]),
        payments([("A", "A1", "2026-01-10", 1000.0), ("B", "B1", "2026-01-30", 2000.0), ("C", "C1", "2026-03-06", 1000.0)]),
    )
    sg = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["prompt", "chronic_late", "chronic_late"]})
    c = compare_programs(led, AS_OF, programs=programs(D210, by_segment={"chronic_late": 0.04}), segments=sg)
    r = c.summary.iloc[0]
    assert r["take_up_base"] == pytest.approx(0.375)
    assert r["already_early_share"] == pytest.approx(2 / 3)
    assert r["cost"] == pytest.approx(30.0)
    assert r["cash_accelerated"] == pytest.approx(7500.0)
    assert r["cash_value"] == pytest.approx(1.8493, abs=1e-4)
    assert r["dso_change"] == pytest.approx(-1.875)
    assert r["bad_debt_change"] == pytest.approx(-0.8219, abs=1e-4)
    assert r["net_benefit"] == pytest.approx(-27.3288, abs=1e-4)
    assert r["break_even"] == "never pays"
    # per segment: prompt holds the pure cost (2 % × 1,000 = 20), chronic_late the movable (−10 + 1.849 + 0.822)
    seg = c.by_segment.set_index("segment")
    assert seg.loc["prompt", "net_benefit"] == pytest.approx(-20.0)
    assert seg.loc["chronic_late", "net_benefit"] == pytest.approx(-7.3288, abs=1e-4)
    assert seg["net_benefit"].sum() == pytest.approx(r["net_benefit"])
    # grid: 11 take-up rows × 3 costs of capital; curve: 21 points from p = 0 (take-up 25 %) to 1 (75 %)
    assert len(c.sensitivity) == 33 and c.curves["take_up_share"].iloc[[0, -1]].tolist() == pytest.approx([0.25, 0.75])


def test_late_fee_hand_computed():
    """Grace 10, reach 20, 1.5 % a month, cap 10 %, 60 % collected; three invoices of 1,000 due 2026-02-04:
    X paid 55 days late → fee 22.50 (not movable: 55 > 30); Y 25 days late → fee 1,000 × 0.015 × 15 ÷ 30
    = 7.50, movable (15 days sooner); Z 5 days late → no fee.
    At p = 0.15: fees 0.6 × (22.50 + 0.85 × 7.50) = 17.325; cash 0.15 × 1,000 × 15 = 2,250 amount-days →
    2,250 × 0.09 ÷ 365 = 0.555; take-up (response) 150 ÷ 3,000 = 5 %; net 17.880.
    Two customers (X, Y) are charged a fee at p = 0."""
    led = paid_on([30 + 55, 30 + 25, 30 + 5])
    c = compare_programs(led, AS_OF, programs=programs(FEE, p=(0.05, 0.15, 0.3)), segments=segs(led))
    r = c.summary.iloc[0]
    assert r["revenue"] == pytest.approx(17.325)
    assert r["cash_accelerated"] == pytest.approx(2250.0)
    assert r["take_up_base"] == pytest.approx(0.05)
    assert r["net_benefit"] == pytest.approx(17.325 + 2250 * 0.09 / 365)
    assert r["customers_charged"] == 2 and r["customers_charged_sales_share"] == pytest.approx(2 / 3)
    assert r["good_customers_charged"] == 2


def test_next_purchase_credit_costs_the_next_purchase():
    """Customer A: 1,000 paid on day 5 (early), then a 3,000 purchase paid on day 60. Credit 10 % for paying
    within 10 days → 10 % of the next purchase 3,000 = 300 a year (sales 4,000, k = 1); the 3,000 invoice
    has no next purchase and is not early anyway."""
    inv = [("A", "1", "2026-01-05", "2026-02-04", 1000.0), ("A", "2", "2026-02-01", "2026-03-03", 3000.0)]
    pay = [("A", "1", "2026-01-10", 1000.0), ("A", "2", "2026-04-02", 3000.0)]
    led = Ledger.from_frames(invoices(inv), payments(pay))
    r = compare_programs(led, AS_OF, programs=programs(CREDIT), segments=segs(led)).summary.iloc[0]
    assert r["cost"] == pytest.approx(300.0) and r["net_benefit"] == pytest.approx(-300.0)
    assert r["take_up_base"] == pytest.approx(0.25)


def test_perk_costs_per_participant():
    """A pays both invoices within 10 days (1 participant), B one of two (half a participant), C never:
    participants 1.5 at 100 → 150 a year; nobody is movable (days 60) → net −150."""
    led = paid_on([5, 5, 5, 60, 60, 60], customers=["A", "A", "B", "B", "C", "C"])
    r = compare_programs(led, AS_OF, programs=programs(PERK), segments=segs(led)).summary.iloc[0]
    assert r["participants"] == pytest.approx(1.5) and r["cost"] == pytest.approx(150.0)
    assert r["net_benefit"] == pytest.approx(-150.0)


def test_payment_plan_recovery_against_fee():
    """One invoice of 1,000 due 2026-01-31 still unpaid on day 60 (2026-04-01): eligible 1,000 a year.
    At p = 0.25: fees 0.03 × 0.8 × 250 = 6.00; extra recovery (0.8 − 0.5) × 250 = 75 → bad debt −75;
    net 81. Take-up is 25 % of the eligible balances."""
    led = Ledger.from_frames(invoices([("P", "1", "2026-01-01", "2026-01-31", 1000.0), ("Q", "2", "2026-01-01", "2026-01-31", 500.0)]), payments([("Q", "2", "2026-01-20", 500.0)]))
    r = compare_programs(led, AS_OF, programs=programs(PLAN), segments=segs(led)).summary.iloc[0]
    assert r["take_up_base"] == pytest.approx(0.25) and r["take_up_basis"] == "eligible past-due balances"
    assert r["revenue"] == pytest.approx(6.0) and r["bad_debt_change"] == pytest.approx(-75.0)
    assert r["net_benefit"] == pytest.approx(81.0) and r["break_even"] == "pays at any take-up"
