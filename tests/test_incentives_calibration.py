"""Incentive programs, what the ledger measures of the assumptions (arkit.incentives.calibration): recovery of
balances past due with and without a plan, take-up of the ledger's own early-pay terms, and the customers
already offered a discount — each on a hand-written ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arkit.incentives import assumption_table, calibrate, compare_programs, measured_recovery, offered_customers, early_pay_history
from arkit.model import Ledger
from tests.incentives_helpers import D210, PLAN, programs, segs
from tests.ledgers import invoices, payments
from tests.policy_review_helpers import acts


def _recovery_ledger():
    inv = [
        ("P", "P1", "2025-06-01", "2025-07-01", 1000.0),
        ("Q", "Q1", "2025-06-01", "2025-07-01", 500.0),
        ("R", "R1", "2026-01-02", "2026-02-01", 400.0),
    ]
    pay = [("P", "P1", "2025-10-01", 600.0), ("P", "P1", "2026-04-15", 400.0), ("Q", "Q1", "2025-08-01", 200.0), ("Q", "Q1", "2025-12-01", 300.0)]
    plan = [
        ("2025-09-01", "P", "payment_plan", None, "installment 1/2", "2025-10-01", 500.0),
        ("2025-09-01", "P", "payment_plan", None, "installment 2/2", "2025-11-01", 500.0),
    ]
    return Ledger.from_frames(invoices(inv), payments(pay), None, acts(plan))


def test_measured_recovery_hand_computed():
    """As of 2026-06-30, 6 months' horizon, 12 months of crossings: balances crossing 60 days past due in
    (2024-12-30, 2025-12-30] are followed. P1 crosses on 2025-08-30 with 1,000 open; P agreed a plan on
    2025-09-01 (running to 2025-11-01) → with a plan; 600 paid by 2026-02-28 (the 400 of 2026-04-15 is
    too late) → 60 %. Q1: 200 paid before crossing → 300 open, all paid 2025-12-01 → 100 %, without a plan.
    R1 crosses 2026-04-02, after the window (its 6 months are not over): not followed."""
    rec = measured_recovery(_recovery_ledger(), "2026-06-30").set_index("group")
    assert rec.loc["with a plan", ["invoices", "balance", "recovered", "pct_recovered"]].tolist() == [1, 1000.0, 600.0, 60.0]
    assert rec.loc["without a plan", ["invoices", "balance", "recovered", "pct_recovered"]].tolist() == [1, 300.0, 300.0, 100.0]
    assert rec.loc["all", ["invoices", "balance", "recovered"]].tolist() == [2, 1300.0, 900.0]
    assert rec.loc["all", "pct_recovered"] == pytest.approx(900 / 1300 * 100)


def test_too_few_balances_keep_the_assumption_and_say_so():
    """With 1 balance per group (fewer than 20) the programs file's 50 % / 80 % stand, labelled assumed."""
    led = _recovery_ledger()
    progs = programs(PLAN)
    cal = calibrate(led, "2026-06-30", programs=progs)
    rr = cal.recovery_rates(progs["programs"][0])
    assert (rr["recovery_without_plan"], rr["recovery_with_plan"]) == (0.5, 0.8)
    assert rr["recovery_without_plan_source"].startswith("assumed: config/programs.yaml (1 balances without a plan followed")
    t = assumption_table(cal, progs).set_index("assumption")
    assert t.loc["Recovery without a plan", "measured"] == "not measured" and t.loc["Cost of capital", "source"] == "assumed: config/programs.yaml"


def _terms_ledger(n_takers=12, n_decliners=10):
    """Customers T0…: on 2/10 Net 30, each invoice of 1,000 dated 2026-01-05 paid 980 on day 8 (discount
    taken, short payment) — they take it; D0…: on 2/10 Net 30 paying 1,000 on day 25 — they decline it;
    N0…N4: Net 30, paying on day 25 (movable by a new 2/10 offer)."""
    inv, pay, terms = [], [], []
    d0 = pd.Timestamp("2026-01-05")
    for i in range(n_takers):
        inv.append((f"T{i}", f"T{i}", d0, d0 + pd.Timedelta(days=30), 1000.0)); pay.append((f"T{i}", f"T{i}", d0 + pd.Timedelta(days=8), 980.0)); terms.append("2/10 Net 30")  # noqa: E702
    for i in range(n_decliners):
        inv.append((f"D{i}", f"D{i}", d0, d0 + pd.Timedelta(days=30), 1000.0)); pay.append((f"D{i}", f"D{i}", d0 + pd.Timedelta(days=25), 1000.0)); terms.append("2/10 Net 30")  # noqa: E702
    for i in range(5):
        inv.append((f"N{i}", f"N{i}", d0, d0 + pd.Timedelta(days=30), 1000.0)); pay.append((f"N{i}", f"N{i}", d0 + pd.Timedelta(days=25), 1000.0)); terms.append("Net 30")  # noqa: E702
    i_ = invoices(inv)
    i_["terms"] = terms
    return Ledger.from_frames(i_, payments(pay))


def test_early_pay_take_up_and_customers_already_offered():
    """22 invoices on 2/10 Net 30, 12 taken: take-up by amount 12,000 ÷ 22,000 = 54.5 %; 12 customers take
    it, 10 decline it. In the 2/10 net 30 program the decliners (paid on day 25: movable by the model) are
    not movable — their take_m is 0 — while the Net 30 payers on day 25 are; the measured scenario prices
    the program at 54.5 % take-up: shift = (0.545 × base − take_a) ÷ take_m, clipped to 0–1."""
    led = _terms_ledger()
    h = early_pay_history(led, "2026-06-30")
    assert len(h) == 22 and int(h["taken"].sum()) == 12
    off = offered_customers(h).set_index("customer_id")
    assert (off["status"] == "takes it").sum() == 12 and (off["status"] == "declines it").sum() == 10
    progs = programs(D210)
    c = compare_programs(led, "2026-06-30", programs=progs, segments=segs(led))
    assert c.calibration.take_up_share == pytest.approx(12 / 22)
    comp = c.components.set_index("customer_id")
    assert (comp.loc[[f"D{i}" for i in range(10)], "take_m"] == 0).all()
    assert (comp.loc[[f"N{i}" for i in range(5)], "take_m"] > 0).all()
    row = c.summary.iloc[0]
    assert row["customers_already_offered"] == 10  # the takers paid short, so they are not settled in full
    base, take_a, take_m = c.sales, comp["take_a"].sum(), comp["take_m"].sum()
    assert row["shift_measured"] == pytest.approx(np.clip((12 / 22 * base - take_a) / take_m, 0, 1))
    assert row["basis_measured"] == "measured"
    t = assumption_table(c.calibration, progs)
    assert t["source"].str.contains("54.5 % of the eligible amount").any()
    # annual sales are invoiced: 27 invoices of 1,000; a customer's is its own invoiced 1,000 (never settled × factor)
    assert c.sales == 27_000.0 and (comp["sales"] == 1000.0).all() and len(comp) == 15
