"""The quarterly policy review, lateness by billing day, method and terms (policy_review.billing): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import settled_frame


@pytest.fixture(scope="module")
def settled():
    return settled_frame()


def test_billing_day_hand_computed(settled):
    """Days late (settled − due): E1 +2, E2 0, E3 +16, E4 +20, F1 −5, F2 0.
    start of month (days 1-10): E1 (5th, +2, 100), F1 (10th, −5, 500) → mean −1.5; amount-weighted
      (200 − 2,500) ÷ 600 = −3.833; 1 of 2 late (50 %);
    mid-month (11-20): E2 (15th, 0) → 0.0, none late;
    end of month (21-31): E3 (25th, +16, 300), E4 (28th, +20, 400), F2 (22nd, 0, 100) → mean 12.0;
      weighted (4,800 + 8,000) ÷ 800 = 16.0; 2 of 3 late (66.7 %)."""
    assert settled["band"].tolist() == ["start of month (1-10)", "mid-month (11-20)", "end of month (21-31)", "end of month (21-31)", "start of month (1-10)", "end of month (21-31)"]
    b = pr.lateness_by(settled, "band").set_index("band")
    assert b.loc["start of month (1-10)", ["invoices", "amount", "avg_days_late", "pct_late"]].tolist() == [2, 600.0, -1.5, 50.0]
    assert b.loc["start of month (1-10)", "weighted_days_late"] == pytest.approx(-2300 / 600)
    assert b.loc["mid-month (11-20)", ["avg_days_late", "pct_late"]].tolist() == [0.0, 0.0]
    assert b.loc["end of month (21-31)", ["invoices", "avg_days_late", "weighted_days_late"]].tolist() == [3, 12.0, 16.0]
    assert b.loc["end of month (21-31)", "pct_late"] == pytest.approx(200 / 3)
    assert pr.billing_band([1, 10, 11, 20, 21, 31]).tolist() == ["start of month (1-10)"] * 2 + ["mid-month (11-20)"] * 2 + ["end of month (21-31)"] * 2


def test_billing_by_customer_method_and_terms(settled):
    """E: month-end E3 +16, E4 +20 → 18.0 against E1 +2, E2 0 → 1.0: gap 17.0. F: 0 against −5 → gap 5.0.
    Method of the settling payment: check E1-E3 (+2, 0, +16 → 6.0), ach E4 (+20), wire F1, F2 (−5, 0 → −2.5).
    Terms: E's "Net 30" from the invoices; F's from nothing → "not recorded"."""
    c = pr.billing_by_customer(settled).set_index("customer_id")
    assert c.loc["E", ["eom_invoices", "eom_avg_days_late", "other_invoices", "other_avg_days_late", "gap_days"]].tolist() == [2, 18.0, 2, 1.0, 17.0]
    assert c.loc["F", "gap_days"] == 5.0
    m = pr.lateness_by(settled, "method").set_index("method")["avg_days_late"].to_dict()
    assert m == {"ach": 20.0, "check": 6.0, "wire": -2.5}
    t = pr.lateness_by(settled, "terms").set_index("terms")["invoices"].to_dict()
    assert t == {"Net 30": 4, "not recorded": 2}


def test_fdr_adjusted_hand_computed_and_the_rule_allows_for_every_customer_tested():
    """q-values: p = 0.01, 0.04, 0.03 (m = 3) → sorted 0.01, 0.03, 0.04 scaled ×3/1, ×3/2, ×3/3 = 0.03,
    0.045, 0.04 → running minimum from the top: 0.03, 0.04, 0.04. A customer at p = 0.03 alone is listed;
    the same customer among 20 others with p = 0.5 is not (q = 0.03 × 21 = 0.63)."""
    import numpy as np
    import pandas as pd

    from arkit.review.policy_review.billing import fdr_adjusted
    from arkit.review.policy_review.recommendations import rule_month_end_billing

    assert np.allclose(fdr_adjusted([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04])
    assert np.isnan(fdr_adjusted([np.nan, 0.2])[0]) and fdr_adjusted([np.nan, 0.2])[1] == 0.2

    def rows(ps):
        return pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(ps))], "eom_invoices": 5, "eom_avg_days_late": 25.0, "other_invoices": 5, "other_avg_days_late": 5.0, "gap_days": 20.0, "p_value": ps})

    alone = rule_month_end_billing(rows([0.03]))
    assert len(alone) == 1 and "significant after allowing for the 1 customer tested (Benjamini–Hochberg, false-discovery rate ≤ 5 %)" in alone[0]["evidence"]
    assert rule_month_end_billing(rows([0.03] + [0.5] * 20)) == []
