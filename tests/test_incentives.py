"""Incentive programs (arkit.incentives): every formula with a hand-computed example, the behavioural
simulation on ledgers whose answer is known by construction, pilots with and without a real difference,
and the programs file's errors."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import arkit
from arkit.errors import ConfigError
from arkit.incentives import (
    annual_sales,
    annualised_cost,
    behaviour_sample,
    bootstrap_difference,
    break_even_take_up,
    carrying_value,
    classify_payments,
    compare_programs,
    discount_cost,
    dso_change,
    exposure_loss_change,
    late_fee,
    load_programs,
    past_due_flow,
    pilot_evaluation,
    pilot_flags,
    program_figures,
    validate_programs,
)
from arkit.model import Ledger
from tests.ledgers import invoices, payments

AS_OF = "2026-06-30"


def programs(*progs, coc=0.09, reach=20, p=(0.10, 0.25, 0.40), loss=0.0, by_segment=None, grid=(0.05, 0.09, 0.13)):
    """A validated programs dict with the given programs and assumptions."""
    data = {
        "assumptions": {
            "lookback_months": 12,
            "cost_of_capital": coc,
            "cost_of_capital_grid": list(grid),
            "bad_debt": {"annual_loss_rate": loss, "by_segment": dict(by_segment or {})},
            "take_up": {"reach_days": reach, "shift_probability": {"low": p[0], "base": p[1], "high": p[2]}},
        },
        "programs": [copy.deepcopy(x) for x in progs],
    }
    return validate_programs(data, "<test>")


D210 = {"name": "2/10 net 30", "type": "early_pay_discount", "rate": 0.02, "discount_days": 10, "net_days": 30}
FEE = {"name": "Late fee", "type": "late_fee", "rate_per_month": 0.015, "grace_days": 10, "cap": 0.10, "collection_rate": 0.6}
CREDIT = {"name": "Credit", "type": "next_purchase_credit", "credit_rate": 0.10, "window_days": 10}
PERK = {"name": "Perk", "type": "perk", "window_days": 10, "cost_per_participant": 100.0}
PLAN = {"name": "Plan", "type": "payment_plan", "min_days_past_due": 60, "installments": 4, "fee_rate": 0.03, "recovery_without_plan": 0.5, "recovery_with_plan": 0.8}


def paid_on(days_list, *, start="2026-01-05", amount=1000.0, terms=30, customers=None):
    """A ledger: invoice i of customer customers[i] (default C0, C1, …) dated ``start``, paid in full
    ``days_list[i]`` days later."""
    d0 = pd.Timestamp(start)
    inv, pay = [], []
    for i, d in enumerate(days_list):
        c = customers[i] if customers else f"C{i}"
        inv.append((c, f"I{i}", d0, d0 + pd.Timedelta(days=terms), amount))
        if d is not None:
            pay.append((c, f"I{i}", d0 + pd.Timedelta(days=d), amount))
    return Ledger.from_frames(invoices(inv), payments(pay) if pay else None)


def segs(ledger, seg="prompt"):
    ids = ledger.invoices["customer_id"].unique()
    return pd.DataFrame({"customer_id": ids, "segment": seg})


# --------------------------------------------------------------------------------------------- formulas


def test_discount_cost_hand_examples():
    """2/10 net 30: 0.02 ÷ 0.98 = 0.020408; × 365 ÷ 20 = 18.25 → 0.37245 → 37.24 %.
    1/10 net 30: 0.01 ÷ 0.99 = 0.010101; × 18.25 = 0.18434 → 18.43 %.
    Compound 2/10 net 30: 1.020408 ^ 18.25 − 1 = e^(18.25 × 0.020203) − 1 = e^0.368705 − 1 = 0.44586 → 44.59 %."""
    assert round(discount_cost(0.02, 10, 30) * 100, 2) == 37.24
    assert round(discount_cost(0.01, 10, 30) * 100, 2) == 18.43
    assert round(discount_cost(0.02, 10, 30, compound=True) * 100, 2) == 44.59
    assert arkit.discount_cost is discount_cost
    assert discount_cost(0.0, 10, 30) == 0.0


@pytest.mark.parametrize("args", [(1.0, 10, 30), (-0.01, 10, 30), (0.02, 30, 30), (0.02, 40, 30), (0.02, -1, 30)])
def test_discount_cost_rejects_impossible_terms(args):
    with pytest.raises(ValueError):
        discount_cost(*args)


def test_annualised_cost_of_programs():
    """Discount: discount_cost; credit 10 % for 10 days, net 30 default: 0.1 ÷ 0.9 × 365 ÷ 20 = 2.0278;
    late fee: no rate to quote (NaN)."""
    p = programs(D210, CREDIT, FEE)["programs"]
    assert annualised_cost(p[0]) == pytest.approx(0.372449, abs=1e-6)
    assert annualised_cost(p[1]) == pytest.approx(0.1 / 0.9 * 365 / 20)
    assert np.isnan(annualised_cost(p[2]))


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


# --------------------------------------------------------------------------------------------- config


def test_shipped_programs_file_is_valid():
    p = load_programs()
    types = {x["type"] for x in p["programs"]}
    assert types == {"early_pay_discount", "late_fee", "next_purchase_credit", "perk", "payment_plan"}
    assert p["assumptions"]["take_up"]["shift_probability"] == {"low": 0.10, "base": 0.25, "high": 0.40}
    assert arkit.load_programs is load_programs


def _write(tmp_path, text) -> Path:
    path = tmp_path / "programs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, key",
    [
        ("assumptions: {cost_of_capital: 1.5}\n", "assumptions.cost_of_capital"),
        ("assumptions: {take_up: {shift_probability: {low: 0.5, base: 0.2, high: 0.6}}}\n", "assumptions.take_up.shift_probability"),
        ("assumptions: {bad_debt: {by_segment: {vip: 0.1}}}\n", "assumptions.bad_debt.by_segment.vip"),
        ("assumptions: {colour: red}\n", "assumptions.colour"),
        ("programs: [{name: X, type: coupon}]\n", "programs[0].type"),
        ("programs: [{name: X, type: early_pay_discount, rate: 0.02, discount_days: 10}]\n", "programs[0].net_days"),
        ("programs: [{name: X, type: early_pay_discount, rate: 0.02, discount_days: 30, net_days: 30}]\n", "programs[0].net_days"),
        ("programs: [{name: X, type: early_pay_discount, rate: two, discount_days: 10, net_days: 30}]\n", "programs[0].rate"),
        ("programs: [{name: X, type: late_fee, rate_per_month: 0.015, grace_days: 10, cap: 0.1, collection_rate: 0.6, colour: 1}]\n", "programs[0].colour"),
        ("programs: [{name: X, type: perk, window_days: 10, cost_per_participant: 5}, {name: X, type: perk, window_days: 5, cost_per_participant: 5}]\n", "programs[1].name"),
        ("programs: [{name: X, type: payment_plan, min_days_past_due: 60, installments: 4, fee_rate: 0.03, recovery_without_plan: 0.9, recovery_with_plan: 0.5}]\n", "programs[0].recovery_with_plan"),
        ("programs: []\n", "programs"),
        ("extra: 1\n", "extra"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_programs(path)
    msg = str(e.value)
    assert str(path) in msg and f"'{key}'" in msg and "\n" not in msg


def test_config_file_problems(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_programs(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_programs(_write(tmp_path, "programs: [\n  - {name: x\n"))
    # a user file may set a few assumptions; the rest (and the shipped programs) are filled in
    p = load_programs(_write(tmp_path, "assumptions: {cost_of_capital: 0.12, take_up: {reach_days: 15}}\n"))
    assert p["assumptions"]["cost_of_capital"] == 0.12 and p["assumptions"]["take_up"]["reach_days"] == 15
    assert p["assumptions"]["take_up"]["shift_probability"]["base"] == 0.25 and len(p["programs"]) == len(load_programs()["programs"])


def test_cli_programs_option_errors(tmp_path, capsys):
    from arkit.cli import main

    led = tmp_path / "l.csv"
    led.write_text("customer_id,invoice_id,invoice_date,due_date,amount,currency\nA,1,2026-01-01,2026-01-31,10,USD\n", encoding="utf-8")
    assert main(["run", "incentives", "--ledger", str(led), "--as-of", AS_OF, "--programs", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "r")]) == 2
    assert "programs file" in capsys.readouterr().err
    progs = _write(tmp_path, "assumptions: {cost_of_capital: 0.1}\n")
    assert main(["run", "monthly-review", "--ledger", str(led), "--as-of", AS_OF, "--programs", str(progs), "--out", str(tmp_path / "r")]) == 2
    assert "no parameter programs_path" in capsys.readouterr().err


def test_bootstrap_with_too_few_customers_is_never_significant():
    """One customer per group: every resample is the same, the CI has zero width — no verdict of
    significance may come from that."""
    pilot = pd.DataFrame({"cluster": ["a", "a"], "days_to_pay": [29, 31], "amount": [100.0, 100.0], "cost": [1.0, 1.0]})
    control = pd.DataFrame({"cluster": ["k", "k"], "days_to_pay": [30, 31], "amount": [100.0, 100.0], "cost": [1.0, 1.0]})
    t = bootstrap_difference(pilot, control)
    assert not t["significant"].any()
    assert t["verdict"].str.startswith("too few customers to judge").all()
    assert t.loc[0, "difference"] == -0.5  # the point estimate is still shown
