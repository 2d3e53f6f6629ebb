"""The quarterly policy review, credit utilisation and holds (policy_review.credit): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.review import policy_review as pr
from arkit.review.signals import credit_utilisation
from tests.policy_review_helpers import Q, make


def test_credit_utilisation_hand_computed():
    """U1 (limit 1,000): 800 on 06-15, +400 on 08-10, −300 paid 09-05 → 80 % (07-31), 120 % (08-31), 90 %
    (09-30): one month end over. U2 (limit 500): 600 on 07-01 paid 07-20, 100 on 09-01 → 0 %, 0 %, 20 %.
    U3 has no limit. Bands at 09-30: U1 "80-100 %", U2 "under 50 %"."""
    inv = [("U1", "a", "2026-06-15", "2026-07-15", 800.00), ("U1", "b", "2026-08-10", "2026-09-09", 400.00), ("U2", "c", "2026-07-01", "2026-07-31", 600.00), ("U2", "d", "2026-09-01", "2026-10-01", 100.00), ("U3", "e", "2026-09-01", "2026-10-01", 50.00)]
    pay = [("U1", "a", "2026-09-05", 300.00), ("U2", "c", "2026-07-20", 600.00)]
    cust = pd.DataFrame({"customer_id": ["U1", "U2", "U3"], "credit_limit": [1000.0, 500.0, None]})
    led = make(inv, pay, customers=cust)
    u = pr.credit_utilisation_history(led, Q).set_index("customer_id")
    assert list(u.index) == ["U1", "U2"]
    assert u.loc["U1", ["util_2026-07", "util_2026-08", "util_2026-09"]].tolist() == pytest.approx([80.0, 120.0, 90.0])
    assert u.loc["U2", ["util_2026-07", "util_2026-08", "util_2026-09"]].tolist() == pytest.approx([0.0, 0.0, 20.0])
    assert u.loc["U1", "months_over"] == 1 and not u.loc["U1", "over_all"] and u.loc["U1", "open_ar"] == 900.0
    b = pr.utilisation_bands(u.reset_index()).set_index("band")
    assert b["customers"].tolist() == [1, 0, 1, 0] and b.loc["80-100 %", "open_ar"] == 900.0
    # the quarter-end utilisation is the monthly review's
    cu = credit_utilisation(led, "2026-09-30").set_index("customer_id")
    assert u["utilisation"].to_numpy() / 100 == pytest.approx(cu.loc[u.index, "utilisation"].to_numpy())


HOLD_ACT = [
    ("2026-03-01", "H", "credit_hold", "H1"),
    ("2026-03-05", "H", "credit_hold", "H1"),
    ("2026-03-20", "H", "credit_release", None),
    ("2026-03-25", "H", "credit_release", None),
    ("2026-09-01", "H", "credit_hold", "H3"),
]
HOLD_INV = [
    ("H", "H1", "2026-01-15", "2026-02-14", 1000.00),
    ("H", "CN1", "2026-03-10", "2026-03-10", -50.00),
    ("H", "H2", "2026-04-10", "2026-05-10", 200.00),
    ("H", "H3", "2026-06-01", "2026-07-01", 10.00),
]
HOLD_PAY = [("H", "H1", "2026-02-20", 1000.00), ("H", "H2", "2026-05-01", 150.00)]


def test_hold_episodes_and_effects_hand_computed():
    """Holds: 03-01 (the 03-05 hold repeats it) released 03-20 → 19 days; the 03-25 release has nothing to
    release; 09-01 still in force at 09-30 → 29 days, open. Effects (holds placed 2025-07-03 … 2026-07-02):
    the 03-01 hold: before = 2025-12-01 … 2026-02-28: sales 1,000 (H1), payments 1,000; after = 03-01 …
    05-29: sales −50 + 200 = 150, payments 150, bought again. Sales change (150 − 1,000) ÷ 1,000 = −85 %."""
    led = make(HOLD_INV, HOLD_PAY, HOLD_ACT)
    h = pr.hold_episodes(led, "2026-09-30")
    assert h["placed"].tolist() == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-09-01")]
    assert h["released"].iloc[0] == pd.Timestamp("2026-03-20") and pd.isna(h["released"].iloc[1])
    assert h["days_on_hold"].tolist() == [19, 29] and h["open"].tolist() == [False, True]
    e = pr.hold_effects(led, h, end="2026-09-30")
    assert len(e) == 1
    assert e.iloc[0][["sales_before", "sales_after", "payments_before", "payments_after"]].tolist() == [1000.0, 150.0, 1000.0, 150.0]
    assert bool(e.iloc[0]["bought_after"])
    t = pr.hold_effect_totals(e)
    assert t["sales_change_pct"] == pytest.approx(-85.0) and t["payments_change_pct"] == pytest.approx(-85.0)
