"""The quarterly policy review, early-pay terms in use and their take-up (policy_review.incentives_in_use): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import math
import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import make


def test_early_pay_terms_parsing_and_cost():
    """2/10 net 30: 0.02 ÷ 0.98 × 365 ÷ 20 = 37.24 % a year."""
    t = pr.early_pay_terms(pd.Series(["2/10 Net 30", "1.5% / 15, net 45", "2/10 n/30", "Net 30", None]))
    assert t.iloc[0].tolist() == [0.02, 10, 30] and t.iloc[1].tolist() == pytest.approx([0.015, 15, 45])
    assert t.iloc[2].tolist() == [0.02, 10, 30] and t.iloc[3:].isna().all().all()
    assert pr.discount_annual_cost(0.02, 10, 30) == pytest.approx(0.02 / 0.98 * 365 / 20 * 100)
    assert math.isnan(pr.discount_annual_cost(0.02, 30, 30))


def test_early_pay_take_up_hand_computed():
    """2/10 Net 30 invoices, window = invoice date + 10 days:
    G1 1,000 (08-01) paid 980 on 08-09 → ≥ 1,000 − 20 → taken (a short payment), discount 20;
    G2 500 (08-05) paid in full 08-20, after 08-15 → not taken;
    G3 300 (09-25): window closes 10-05, after the year → not eligible;
    G4 250 (08-10) paid 245 on 08-20, the last day → taken, discount 5;
    G5 1,000 (07-01) paid in full 07-08 (the discount as a credit note) → taken, discount 20.
    Take-up 3 of 4 = 75 %; by amount 2,250 ÷ 2,750 = 81.8 %; discounts 45. Days to pay: takers settled in
    full — G5 7; the other, G2, 15."""
    inv = [
        ("G", "G1", "2026-08-01", "2026-08-31", 1000.0),
        ("G", "G2", "2026-08-05", "2026-09-04", 500.0),
        ("G", "G3", "2026-09-25", "2026-10-25", 300.0),
        ("G", "G4", "2026-08-10", "2026-09-09", 250.0),
        ("G", "G5", "2026-07-01", "2026-07-31", 1000.0),
        ("G", "CN5", "2026-07-08", "2026-07-08", -20.0),
    ]
    pay = [("G", "G1", "2026-08-09", 980.0), ("G", "G2", "2026-08-20", 500.0), ("G", "G4", "2026-08-20", 245.0), ("G", "G5", "2026-07-08", 1000.0), ("G", "CN5", "2026-07-08", -20.0)]
    led = make(inv, pay, terms=["2/10 Net 30"] * 5 + ["Early-payment discount"])
    t = pr.early_pay_take_up(led, "2025-10-01", "2026-09-30").set_index("invoice_id")
    assert sorted(t.index) == ["G1", "G2", "G4", "G5"]
    assert t.loc[["G1", "G2", "G4", "G5"], "taken"].tolist() == [True, False, True, True]
    assert t.loc[["G1", "G2", "G4", "G5"], "discount"].tolist() == [20.0, 0.0, 5.0, 20.0]
    s = pr.early_pay_summary(t.reset_index()).iloc[0]
    assert (s["terms"], s["eligible"], s["taken"], s["pct_taken"], s["discount"]) == ("2/10 Net 30", 4, 3, 75.0, 45.0)
    assert s["pct_amount_taken"] == pytest.approx(2250 / 2750 * 100)
    assert (s["days_to_pay_taken"], s["days_to_pay_not_taken"]) == (7.0, 15.0)


def test_late_fee_setting_says_in_force_when_the_letters_cite_it():
    """policy.late_fee rate > 0 → the letters cite it (arkit.letters: applies = rate > 0) → 'In force'."""
    from arkit.review.policy_review.policy import late_fee_setting

    assert late_fee_setting({"rate_per_month": 0.015, "grace_days": 10}) == (
        "In force: 1.5 % a month on balances past due, after 10 days' grace; the formal and demand letters tell customers overdue invoices are subject to it under the terms of trade."
    )
    assert late_fee_setting({"rate_per_month": 0, "grace_days": 10}).startswith("None:")
    assert "not charged" not in late_fee_setting({"rate_per_month": 0.015, "grace_days": 10})


def test_take_up_columns_name_their_base_and_the_caption_the_population():
    """Two take-up figures, each labelled by what it is a share of; the caption dates the invoices counted
    and says the incentive comparison prices on the share of amount over its own lookback."""
    from types import SimpleNamespace

    from arkit.review.display import ReportBook
    from arkit.review.policy_review.incentives_in_use import early_pay_summary, section_incentives_in_use

    take = pd.DataFrame({"customer_id": ["A", "A", "B", "B"], "invoice_id": list("1234"), "invoice_date": pd.to_datetime(["2026-01-05"] * 4), "amount": [100.0, 300.0, 100.0, 500.0], "terms": "2/10 Net 30", "rate": 0.02, "discount_days": 10, "net_days": 30, "taken": [True, False, True, False], "discount": [2.0, 0.0, 2.0, 0.0], "days_to_pay": [8.0, 40.0, 9.0, 41.0]})
    ep = early_pay_summary(take)
    assert ep[["pct_taken", "pct_amount_taken"]].iloc[0].tolist() == [50.0, 200 / 1000 * 100]  # 2 of 4 invoices; 200 of 1,000
    r = SimpleNamespace(early_pay=take, early_pay_summary=ep, book=ReportBook(), year_start=pd.Timestamp("2025-10-01"), end=pd.Timestamp("2026-09-30"))
    (t,) = section_incentives_in_use(r)
    h = t._repr_html_() if hasattr(t, "_repr_html_") else str(t)
    assert "Take-up (share of invoices)" in h and "Take-up (share of amount)" in h
    assert "01 Oct 2025 – 30 Sep 2026" in h and "the incentive comparison prices programs on the share of amount" in h
