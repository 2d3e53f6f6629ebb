"""Payment plans (arkit.review.plans): the schedule drafter and plans followed from the activity log.

Plans ledger, as_of 2026-06-03, grace 5 days (deadline = due + 5), broken after 2 missed:

P, agreed 2026-01-15: 333.33 due 02-15, 333.33 due 03-15, 333.34 due 04-15 (rows logged out of order).
  P paid 333.33 on 02-13, 333.33 on 03-19, 333.34 on 04-15, and 50.00 on 06-01 for a later invoice.
  #1 deadline 02-20: paid 333.33 ≥ 333.33 → kept
  #2 deadline 03-20: paid 666.66 ≥ 666.66 → kept (03-19 is late but within grace)
  #3 deadline 04-20: paid 1,000.00 ≥ 1,000.00 → kept
  paid_to_date = min(1,050.00, 1,000.00) = 1,000.00 → completed.

Q, agreed 2026-02-01: 4 × 250.00 due 03-01, 04-01, 05-01, 06-01.
  Q paid 500.00 on 01-20 (before the agreement: not counted), 250 on 03-04, 250 on 04-15 (late),
  250 unapplied cash on 05-20 (counts: plans are per customer), 250 on 06-05 (after as_of).
  #1 deadline 03-06: paid 250 ≥ 250 → kept
  #2 deadline 04-06: paid 250 < 500 → missed (the 04-15 payment is late)
  #3 deadline 05-06: paid 500 < 750 → missed
  #4 due 06-01 ≤ as_of, deadline 06-06 > as_of: paid by as_of 750 < 1,000 → pending (within grace)
  kept 1, missed 2, pending 1, due_to_date 4 (1,000.00), paid_to_date 750.00 → broken.

R, agreed 2026-05-01, no "installment k/n" outcome: 100.00 due 06-15 and 100.00 due 05-20 (logged in that
  order; ordered by due date). No payments.
  #1 (05-20) deadline 05-25 ≤ as_of, paid 0 < 100 → missed; #2 (06-15) pending.
  kept 0, missed 1, pending 1, due_to_date 1 (100.00), paid 0 → behind.

S, agreed 2026-06-10 (after as_of) → not in force.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from arkit.model import Ledger
from arkit.review.plans import PLAN_COLUMNS, STATUSES, payment_plan, plan_compliance, plans_in_force
from tests.ledgers import invoices, payments

AS_OF = "2026-06-03"

INV = [
    ("P", "P1", "2025-11-01", "2025-12-01", 1000.00),
    ("P", "P2", "2026-05-01", "2026-05-31", 50.00),
    ("Q", "Q1", "2025-12-01", "2025-12-31", 2000.00),
    ("R", "R1", "2026-03-01", "2026-03-31", 500.00),
    ("S", "S1", "2026-03-01", "2026-03-31", 300.00),
]
PAY = [
    ("P", "P1", "2026-02-13", 333.33),
    ("P", "P1", "2026-03-19", 333.33),
    ("P", "P1", "2026-04-15", 333.34),
    ("P", "P2", "2026-06-01", 50.00),
    ("Q", "Q1", "2026-01-20", 500.00),
    ("Q", "Q1", "2026-03-04", 250.00),
    ("Q", "Q1", "2026-04-15", 250.00),
    ("Q", None, "2026-05-20", 250.00),
    ("Q", "Q1", "2026-06-05", 250.00),
]
_PLAN = "payment_plan"
ACT = [
    # date, customer_id, action, outcome, promised_date, promised_amount
    ("2026-01-15", "P", _PLAN, "installment 3/3", "2026-04-15", 333.34),
    ("2026-01-15", "P", _PLAN, "installment 1/3", "2026-02-15", 333.33),
    ("2026-01-15", "P", _PLAN, "installment 2/3", "2026-03-15", 333.33),
    ("2026-01-20", "Q", "call", "reached", None, None),
    ("2026-01-25", "Q", "promise_to_pay", "broken", "2026-01-30", 900.00),
    ("2026-02-01", "Q", _PLAN, "installment 1/4", "2026-03-01", 250.00),
    ("2026-02-01", "Q", _PLAN, "installment 2/4", "2026-04-01", 250.00),
    ("2026-02-01", "Q", _PLAN, "installment 3/4", "2026-05-01", 250.00),
    ("2026-02-01", "Q", _PLAN, "installment 4/4", "2026-06-01", 250.00),
    ("2026-05-01", "R", _PLAN, None, "2026-06-15", 100.00),
    ("2026-05-01", "R", _PLAN, None, "2026-05-20", 100.00),
    ("2026-06-10", "S", _PLAN, "installment 1/2", "2026-07-10", 150.00),
    ("2026-06-10", "S", _PLAN, "installment 2/2", "2026-08-10", 150.00),
]


def activities(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["date", "customer_id", "action", "outcome", "promised_date", "promised_amount"])
    df["invoice_id"] = None
    df["note"] = np.where(df["action"] == _PLAN, "Payment plan", None)
    return df


@pytest.fixture(scope="module")
def led():
    return Ledger.from_frames(invoices(INV), payments(PAY), activities=activities(ACT))


@pytest.fixture(scope="module")
def sample():
    from arkit.sample import make_sample_ledger

    return Ledger.from_frames(**make_sample_ledger(n_invoices=2000, seed=1, as_of="2026-06-30"))


# --------------------------------------------------------------------------------------------- schedule


def test_schedule_example():
    """1,000.00 / 3 = 333.33 rounded down; the last gets the 0.01 left: 333.34. Dates from 01-31 by
    DateOffset(months=k): 01-31, 02-28, 03-31."""
    s = payment_plan(1000.00, 3, "2026-01-31")
    assert list(s.columns) == ["installment", "due_date", "amount", "cumulative"]
    assert s["installment"].tolist() == [1, 2, 3]
    assert s["amount"].tolist() == [333.33, 333.33, 333.34]
    assert s["cumulative"].tolist() == [333.33, 666.66, 1000.00]
    assert s["due_date"].tolist() == [pd.Timestamp(d) for d in ("2026-01-31", "2026-02-28", "2026-03-31")]
    assert s["due_date"].dtype == "datetime64[ns]"


def test_schedule_month_ends_count_from_start():
    """Each date is start + k months, not the previous date + 1 month: 04-30 (not 03-28 + 1 month);
    a leap year gives 02-29."""
    s = payment_plan(400.00, 4, "2026-01-31")
    assert s["due_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
    assert payment_plan(10.00, 2, "2028-01-31")["due_date"].iloc[-1] == pd.Timestamp("2028-02-29")


def test_schedule_fee_and_weekly_intervals():
    """100.00 + fee 0.01 = 10,001 cents; ⌊10,001 / 3⌋ = 3,333 → 33.33, 33.33, 33.35 (3,333 + 2 left).
    Biweekly from 02-20: 02-20, 03-06, 03-20; weekly: 02-20, 02-27, 03-06."""
    s = payment_plan(100.00, 3, "2026-02-20", fee=0.01, interval="biweekly")
    assert s["amount"].tolist() == [33.33, 33.33, 33.35]
    assert s["cumulative"].iloc[-1] == 100.01
    assert s["due_date"].dt.strftime("%m-%d").tolist() == ["02-20", "03-06", "03-20"]
    w = payment_plan(100.00, 3, "2026-02-20", interval="weekly")
    assert w["due_date"].dt.strftime("%m-%d").tolist() == ["02-20", "02-27", "03-06"]
    one = payment_plan(250.50, 1, "2026-05-05")
    assert one["amount"].tolist() == [250.50] and one["due_date"].tolist() == [pd.Timestamp("2026-05-05")]
    assert payment_plan(90, 3.0, "2026-01-01")["amount"].tolist() == [30.0, 30.0, 30.0]
    assert payment_plan(Decimal("90.00"), np.int64(3), "2026-01-01")["amount"].tolist() == [30.0, 30.0, 30.0]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 3, "2026-01-31"), {}, "balance"),
        ((-10.0, 3, "2026-01-31"), {}, "balance"),
        (("100", 3, "2026-01-31"), {}, "balance"),
        ((float("nan"), 3, "2026-01-31"), {}, "balance"),
        ((100.0, 0, "2026-01-31"), {}, "installments"),
        ((100.0, 2.5, "2026-01-31"), {}, "installments"),
        ((100.0, True, "2026-01-31"), {}, "installments"),
        ((100.0, 3, "2026-01-31"), {"fee": -1.0}, "fee"),
        ((100.0, 3, "2026-01-31"), {"interval": "daily"}, "interval"),
        ((100.0, 3, "someday"), {}, "start"),
        ((0.02, 3, "2026-01-31"), {}, "too small"),
    ],
)
def test_schedule_argument_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        payment_plan(*args, **kwargs)


# --------------------------------------------------------------------------------------------- plans in force


def test_plans_in_force_hand_computed(led):
    p = plans_in_force(led, AS_OF)
    assert list(p.columns) == PLAN_COLUMNS
    assert p["customer_id"].tolist() == ["P", "Q", "R"]  # S agreed after as_of
    assert p["agreed_date"].tolist() == [pd.Timestamp(d) for d in ("2026-01-15", "2026-02-01", "2026-05-01")]
    assert p["installments"].tolist() == [3, 4, 2]
    assert p["amount"].tolist() == [1000.00, 1000.00, 200.00]
    assert p["first_due"].tolist() == [pd.Timestamp(d) for d in ("2026-02-15", "2026-03-01", "2026-05-20")]
    assert p["last_due"].tolist() == [pd.Timestamp(d) for d in ("2026-04-15", "2026-06-01", "2026-06-15")]
    assert p["due_to_date"].tolist() == [3, 4, 1]
    assert p["amount_due_to_date"].tolist() == [1000.00, 1000.00, 100.00]
    assert p["kept"].tolist() == [3, 1, 0]
    assert p["missed"].tolist() == [0, 2, 1]
    assert p["pending"].tolist() == [0, 1, 1]
    assert p["paid_to_date"].tolist() == [1000.00, 750.00, 0.00]
    assert p["status"].tolist() == ["completed", "broken", "behind"]


def test_broken_after_and_grace(led):
    """broken_after=3: Q's 2 missed → behind. grace_days=0: P's #2 deadline is 03-15, paid by then 333.33 <
    666.66 → missed; #3 by 04-15 1,000.00 → kept; P still completed (paid in full)."""
    p = plans_in_force(led, AS_OF, broken_after=3).set_index("customer_id")
    assert p.loc["Q", "status"] == "behind"
    p0 = plans_in_force(led, AS_OF, grace_days=0).set_index("customer_id")
    assert p0.loc["P", ["kept", "missed", "pending", "status"]].tolist() == [2, 1, 0, "completed"]


def test_late_catch_up_completes_the_plan(led):
    """as_of 06-10: Q's #4 deadline 06-06 has passed; paid by 06-06 = 250 + 250 + 250 + 250 (06-05) = 1,000 ≥
    1,000 → kept (the catch-up covers it). kept 2, missed 2 (#2, #3 stay missed), paid 1,000 — but the plan
    covers Q1, still open by 2,000 − 500 − 750 = 750 (the unapplied 250 is plan money, not applied to Q1),
    so it is not completed: 2 missed → broken.
    R: #1 missed, #2 due 06-15 pending. S agreed 06-10 is now in force, both installments pending → on track."""
    p = plans_in_force(led, "2026-06-10").set_index("customer_id")
    assert p.loc["Q", ["kept", "missed", "pending", "paid_to_date", "status"]].tolist() == [2, 2, 0, 1000.00, "broken"]
    assert p.loc["Q", ["invoices_covered", "invoices_open"]].tolist() == [1, 1]
    assert p.loc["P", ["invoices_covered", "invoices_open", "status"]].tolist() == [1, 0, "completed"]
    assert p.loc["S", ["installments", "due_to_date", "kept", "missed", "pending", "status"]].tolist() == [2, 0, 0, 0, 2, "on track"]


def test_before_any_plan_and_without_activities(led):
    empty = plans_in_force(led, "2026-01-01")
    assert empty.empty and list(empty.columns) == PLAN_COLUMNS
    no_log = Ledger.from_frames(invoices(INV), payments(PAY))
    assert plans_in_force(no_log, AS_OF).empty
    c = plan_compliance(empty)
    assert c["plans"] == 0 and np.isnan(c["pct_kept"]) and np.isnan(c["pct_collected"])


def test_plan_compliance_hand_computed(led):
    """Over P, Q, R at 06-03: installments 3 + 4 + 2 = 9; due 3 + 4 + 1 = 8; kept 3 + 1 + 0 = 4;
    missed 0 + 2 + 1 = 3; pending 0 + 1 + 1 = 2; % kept = 4 / 7 × 100 = 57.143; promised 2,200.00;
    due to date 2,100.00; collected 1,000 + 750 + 0 = 1,750.00 = 83.333 % of what is due."""
    c = plan_compliance(plans_in_force(led, AS_OF))
    assert {k: c[k] for k in ("plans", "installments", "installments_due", "kept", "missed", "pending")} == {
        "plans": 3,
        "installments": 9,
        "installments_due": 8,
        "kept": 4,
        "missed": 3,
        "pending": 2,
    }
    assert c["pct_kept"] == pytest.approx(400 / 7)
    assert (c["amount_promised"], c["amount_due_to_date"], c["collected"]) == (2200.00, 2100.00, 1750.00)
    assert c["pct_collected"] == pytest.approx(1750 / 2100 * 100)
    assert (c["on_track"], c["behind"], c["broken"], c["completed"]) == (0, 1, 1, 1)


def test_arguments_and_inputs_untouched(led):
    before = led.activities.copy()
    plans_in_force(led, AS_OF)
    pd.testing.assert_frame_equal(led.activities, before)
    with pytest.raises(ValueError, match="grace_days"):
        plans_in_force(led, AS_OF, grace_days=-1)
    with pytest.raises(ValueError, match="broken_after"):
        plans_in_force(led, AS_OF, broken_after=0)
    with pytest.raises(ValueError, match="plans_in_force"):
        plan_compliance(pd.DataFrame({"kept": [1]}))


@pytest.mark.parametrize("as_of", ["2025-01-31", "2025-03-01", "2026-03-03", "2026-06-30"])
def test_sample_invariants(sample, as_of):
    p = plans_in_force(sample, as_of)
    assert (p["kept"] + p["missed"] + p["pending"] == p["installments"]).all()
    assert (p["kept"] <= p["due_to_date"]).all()
    assert (p.loc[p["status"] == "completed", "invoices_open"] == 0).all()
    assert p["status"].isin(STATUSES).all()
    assert (p["agreed_date"] <= pd.Timestamp(as_of)).all()
    assert (p["paid_to_date"] <= p["amount"]).all() and (p["paid_to_date"] >= 0).all()
    a = sample.activities
    logged = a[(a["action"] == "payment_plan") & (a["date"] <= pd.Timestamp(as_of))]
    assert p["installments"].sum() == len(logged)
    assert round(p["amount"].sum(), 2) == round(logged["promised_amount"].sum(), 2)
    assert len(p) == len(logged.drop_duplicates(["customer_id", "date"]))


def test_plans_are_judged_on_the_invoices_they_cover():
    """T owes T1 600 (due 01-31) when it agrees, on 02-10, 2 × 300 due 03-01 and 04-01; T2 (issued 03-01) is
    not covered. T pays 300 to T2 on 02-25 and 300 to T1 on 03-30.
    At 04-15: #1 (deadline 03-06): plan money by then 0 < 300 → missed (a payment to T2 is not plan money);
    #2 (deadline 04-06): 300 < 600 → missed; kept 0 ≤ due 2; paid 300 → broken.
    At 02-28 nothing is due: a plan paid ahead keeps nothing yet (kept ≤ due)."""
    inv = invoices([("T", "T1", "2026-01-01", "2026-01-31", 600.0), ("T", "T2", "2026-02-20", "2026-03-01", 300.0)])
    pay = payments([("T", "T2", "2026-02-25", 300.0), ("T", "T1", "2026-03-30", 300.0)])
    act = activities([("2026-02-10", "T", _PLAN, "installment 1/2", "2026-03-01", 300.0), ("2026-02-10", "T", _PLAN, "installment 2/2", "2026-04-01", 300.0)])
    led = Ledger.from_frames(inv, pay, activities=act)
    p = plans_in_force(led, "2026-04-15").iloc[0]
    assert (p["kept"], p["missed"], p["pending"], p["due_to_date"], p["paid_to_date"], p["status"]) == (0, 2, 0, 2, 300.0, "broken")
    # paid ahead: T pays T1 in full on 02-15; at 02-28 nothing is due yet → kept 0, pending 2, and the plan
    # is completed (paid and its invoice closed)
    led2 = Ledger.from_frames(inv, payments([("T", "T1", "2026-02-15", 600.0)]), activities=act)
    q = plans_in_force(led2, "2026-02-28").iloc[0]
    assert (q["kept"], q["pending"], q["due_to_date"], q["status"]) == (0, 2, 0, "completed")
    assert (q["kept"] <= q["due_to_date"])
