"""The quarterly policy review, the quarter-end figures, write-offs and outcomes against targets (policy_review.outcomes): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import math
import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, POLICY, make


OUT_INV = [
    ("X", "X1", "2026-05-10", "2026-06-09", 1000.00),
    ("X", "X2", "2026-08-01", "2026-08-31", 2000.00),
    ("X", "X3", "2026-09-20", "2026-10-20", 500.00),
    ("X", "X4", "2026-09-25", "2026-09-25", -100.00),
    ("X", "X5", "2026-04-01", "2026-05-01", 300.00),
]
OUT_PAY = [("X", "X1", "2026-07-15", 600.00), ("X", "X2", "2026-09-10", 2000.00)]
OUT_ACT = [("2026-08-15", "X", "write_off", "X5"), ("2026-09-01", "X", "write_off", "X5")]


def test_quarterly_figures_hand_computed():
    """Q2: sales 1,000 + 300 = 1,300, collections 0, open AR 06-30 = 1,300, all past due (current 0); opening
    AR 0 → CEI (0 + 1,300 − 1,300) ÷ (0 + 1,300 − 0) = 0 %.
    Q3: sales 2,000 + 500 − 100 = 2,400; collections 600 + 2,000 = 2,600; open AR 09-30 = 1,300 + 2,400 −
    2,600 = 1,100 (X1 400, X3 500, X4 −100, X5 300); current = X3 500 (the credit note is due 09-25);
    monthly CEIs (arkit.kpis): July (1,300 + 0 − 700) ÷ (1,300 − 0) = 46.154 %, August (700 + 2,000 − 2,700) ÷
    (700 + 2,000 − 2,000) = 0 %, September (2,700 + 400 − 1,100) ÷ (2,700 + 400 − 500) = 76.923 % → CEI, mean
    of months = 41.026 %; multi-month CEI = (1,300 + 2,400 ÷ 3 − 1,100) ÷ (1,300 + 800 − 500) = 62.5 %;
    Q2: April's CEI has a zero denominator (all current), May and June 0 % → mean 0 %;
    DSO = 1,100 ÷ 2,400 × 92 = 42.1667; BPDSO = 500 ÷ 2,400 × 92 = 19.1667; ADD = 23.0;
    shares of gross AR (debit items X1 400 + X3 500 + X5 300 = 1,200; the credit note X4 in its own column):
    % current = 500 ÷ 1,200 = 41.67 %; 91+: X1 400 (113 days) + X5 300 (152 days) = 700 ÷ 1,200 = 58.33 %;
    write-off of X5 on 08-15 = its balance 300 (the second write-off is not counted again) → 300 ÷ 2,400 = 12.5 %."""
    led = make(OUT_INV, OUT_PAY, OUT_ACT)
    f = pr.quarterly_figures(led, Q, quarters=2)
    assert list(f.index) == ["2026Q2", "2026Q3"]
    q2, q3 = f.loc["2026Q2"], f.loc["2026Q3"]
    assert (q2["sales"], q2["collections"], q2["open_ar"], q2["cei"]) == (1300.0, 0.0, 1300.0, 0.0)
    assert (q3["sales"], q3["collections"], q3["open_ar"], q3["current_ar"]) == (2400.0, 2600.0, 1100.0, 500.0)
    assert q3["cei"] == pytest.approx((600 / 1300 + 0 + 2000 / 2600) / 3 * 100)
    assert q3["cei_multi_month"] == pytest.approx(62.5)
    # the first entry is 04-01: Q2 has no history before it (a start-up quarter); Q3's last entry 09-25 is
    # within the 7 days' grace of its end
    assert not q2["complete"] and q2["coverage"] == "partial: ledger starts 01 Apr 2026, no history before it"
    assert q3["complete"]
    assert q3["dso"] == pytest.approx(1100 / 2400 * 92)
    assert q3["bpdso"] == pytest.approx(500 / 2400 * 92)
    assert q3["add"] == pytest.approx(23.0)
    assert q3["pct_current"] == pytest.approx(500 / 1200 * 100)
    assert q3["pct_91_plus"] == pytest.approx(700 / 1200 * 100)
    assert (q3["write_offs"], q3["write_off_pct"]) == (300.0, 12.5)
    assert q3["quarter_end"] == pd.Timestamp("2026-09-30")


def test_write_offs_hand_computed():
    """X5 (300, unpaid) written off twice → one row of 300.00. W: invoice 200, unapplied cash 50, a
    customer-level write-off → its open AR 150.00. V: invoice 100 paid 100, written off → 0.00."""
    inv = [*OUT_INV, ("W", "W1", "2026-01-10", "2026-02-09", 200.00), ("V", "V1", "2026-01-10", "2026-02-09", 100.00)]
    pay = [*OUT_PAY, ("W", None, "2026-03-01", 50.00), ("V", "V1", "2026-02-01", 100.00)]
    led = make(inv, pay, [*OUT_ACT, ("2026-09-20", "W", "write_off", None), ("2026-09-21", "V", "write_off", "V1")])
    w = pr.write_offs(led, "2026-09-30").set_index("customer_id")
    assert w["amount"].to_dict() == {"X": 300.00, "W": 150.00, "V": 0.00}
    assert w.loc["X", "date"] == pd.Timestamp("2026-08-15")
    assert pr.write_offs(led, "2026-08-14").empty


def test_outcomes_vs_targets():
    """DSO 42.17 against 45 (lower is better) → on target; CEI 41.03 against 80 → off target; Q2 is the
    ledger's start-up quarter (partial), so quarters on target count Q3 only: "0 of 1"; current share 41.67 (of gross AR 1,200) against 75 → off target, gap −33.33."""
    led = make(OUT_INV, OUT_PAY, OUT_ACT)
    o = pr.outcomes_vs_targets(pr.quarterly_figures(led, Q, quarters=2), policy=POLICY).set_index("figure")
    assert o.loc["dso", "on_target"] is True and o.loc["dso", "gap"] == pytest.approx(1100 / 2400 * 92 - 45)
    assert o.loc["cei", "on_target"] is False and o.loc["cei", "quarters_on_target"] == "0 of 1"
    assert "cei_multi_month" not in POLICY["targets"] and math.isnan(o.loc["cei_multi_month", "target"])
    assert o.loc["pct_current", "on_target"] is False and o.loc["pct_current", "gap"] == pytest.approx(500 / 1200 * 100 - 75)
    assert o.loc["sales", "on_target"] is None and math.isnan(o.loc["sales", "target"])
    assert o.loc["cei", "previous"] == 0.0 and math.isnan(o.loc["cei", "year_ago"])


def test_a_ledger_starting_mid_quarter_marks_that_quarter_and_never_judges_it():
    """The ledger starts 2026-05-20 (Y1): 2026Q2 has 42 days of history → partial ("ledger starts 20 May
    2026"); 2026Q1 has none. Q2's DSO (open 1,000 ÷ sales 1,000 × 91 = 91 days) would miss the 45-day target
    but is not counted: quarters on target are "k of 1" (Q3 only); Q3: sales 1,000, open AR 1,000 − 1,000
    paid + 1,000 = 1,000, DSO 1,000 ÷ 1,000 × 92 = 92 → off target, "0 of 1". With Q2 made the quarter
    reviewed, on_target is None for every figure (a partial quarter is not judged), and no rule fires."""
    inv = [("Y", "Y1", "2026-05-20", "2026-06-19", 1000.0), ("Y", "Y2", "2026-09-01", "2026-10-01", 1000.0)]
    pay = [("Y", "Y1", "2026-09-30", 1000.0)]
    led = make(inv, pay)
    f = pr.quarterly_figures(led, Q, quarters=3)
    assert f["complete"].tolist() == [False, False, True]
    assert f.loc["2026Q2", "coverage"] == "partial: ledger starts 20 May 2026"
    assert f.loc["2026Q1", "coverage"] == "no ledger history"
    o = pr.outcomes_vs_targets(f, policy=POLICY).set_index("figure")
    assert o.loc["dso", "quarters_on_target"] == "0 of 1"
    assert f.loc["2026Q3", "dso"] == pytest.approx(92.0)
    for key in ("dso", "cei", "pct_current"):
        n = int(o.loc[key, "quarters_on_target"].split(" of ")[1])
        assert n <= int(f["complete"].sum())
    f2 = pr.quarterly_figures(led, "2026Q2", quarters=2)
    o2 = pr.outcomes_vs_targets(f2, policy=POLICY)
    assert o2["on_target"].isna().all() and set(o2.loc[o2["target"].notna(), "quarters_on_target"]) == {"0 of 0"}
    assert pr.rule_targets_missed(f2, policy=POLICY) == []
    r = pr.build(led, "2026Q2", policy=POLICY, quarters=2)
    assert r.recommendations.empty
