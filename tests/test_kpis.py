"""KPI formulas and the monthly KPI table against hand-computed figures.

Ledger: one invoice a month — April 70,000 (due 05-31), May 80,000 (due 05-31), June 100,000 (due 07-01) —
and one payment of 38,000 on 2026-05-20 against April's. At 30 June open AR = 250,000 − 38,000 = 212,000.
"""

import math

import pytest

import arkit
from tests.ledgers import ledger

Q2 = ledger(
    [
        ("A", "APR", "2026-04-01", "2026-05-31", 70_000.0),
        ("A", "MAY", "2026-05-01", "2026-05-31", 80_000.0),
        ("A", "JUN", "2026-06-01", "2026-07-01", 100_000.0),
    ],
    [("A", "APR", "2026-05-20", 38_000.0)],
)


def test_period_dso_formula():
    assert arkit.period_dso(212_000, 250_000, 91) == pytest.approx(77.168, abs=1e-3)
    assert math.isnan(arkit.period_dso(100, 0, 30))


def test_countback_formula_issue_example():
    # 30 + 31 + 32/70 × 30 = 74.714
    assert arkit.countback_dso(212_000, [100_000, 80_000, 70_000], [30, 31, 30]) == pytest.approx(74.714, abs=1e-3)
    assert arkit.countback_dso(50_000, [100_000], [30]) == pytest.approx(15.0)
    assert arkit.countback_dso(0, [100_000], [30]) == 0.0
    assert math.isnan(arkit.countback_dso(500, [100], [30]))


def test_cei_formula():
    # (100,000 + 50,000 − 90,000) / (100,000 + 50,000 − 40,000) × 100 = 54.545
    assert arkit.cei(100_000, 50_000, 90_000, 40_000) == pytest.approx(54.545, abs=1e-3)


def test_kpis_hand_computed_june():
    k = arkit.kpis(Q2, "2026-04", "2026-06")
    jun = k.loc["2026-06-30"]
    assert jun["sales"] == 100_000
    assert jun["collections"] == 0
    assert jun["open_ar"] == 212_000
    assert jun["current_ar"] == 100_000  # June's invoice, due 07-01
    assert jun["past_due_ar"] == 112_000
    assert jun["dso"] == pytest.approx(212_000 / 250_000 * 91)  # 77.168
    assert jun["dso_countback"] == pytest.approx(74.714, abs=1e-3)
    assert jun["bpdso"] == pytest.approx(100_000 / 250_000 * 91)  # 36.4
    assert jun["add"] == pytest.approx(jun["dso"] - jun["bpdso"])
    assert jun["cei"] == pytest.approx(0.0)  # nothing collected in June
    assert jun["pct_current"] == pytest.approx(100_000 / 212_000 * 100)


def test_kpis_hand_computed_may_and_april():
    k = arkit.kpis(Q2, "2026-04", "2026-06")
    may, apr = k.loc["2026-05-31"], k.loc["2026-04-30"]
    assert may["collections"] == 38_000 and may["open_ar"] == 112_000
    assert may["current_ar"] == 112_000  # both invoices fall due on 05-31 itself
    assert may["cei"] == pytest.approx(100.0)  # (70,000 + 80,000 − 112,000) / (70,000 + 80,000 − 112,000)
    # window Mar–May, but the ledger starts in April: April + May = 30 + 31 days
    assert may["dso"] == pytest.approx(112_000 / 150_000 * 61)
    # April: previous open AR (March) is 0; CEI = (0 + 70,000 − 70,000) / (0 + 70,000 − 70,000) → undefined
    assert apr["open_ar"] == 70_000 and math.isnan(apr["cei"])


def test_kpis_window_uses_calendar_days():
    k = arkit.kpis(Q2, "2026-06", "2026-06", dso_window=1)
    assert k.loc["2026-06-30", "dso"] == pytest.approx(212_000 / 100_000 * 30)


def test_kpis_cei_takes_previous_month_from_before_start():
    only_june = arkit.kpis(Q2, "2026-06", "2026-06")
    assert only_june.loc["2026-06-30", "cei"] == pytest.approx(0.0)
    may = arkit.kpis(Q2, "2026-05", "2026-05")
    assert may.loc["2026-05-31", "cei"] == pytest.approx(100.0)


def test_month_ends_bounds():
    k = arkit.kpis(Q2, "2026-04-15", "2026-06-15")
    assert [d.strftime("%Y-%m-%d") for d in k.index] == ["2026-04-30", "2026-05-31"]
    with pytest.raises(ValueError):
        arkit.kpis(Q2, "2026-06", "2026-04")


def test_dso_window_starts_at_the_first_invoice_month():
    """One month of history: 2,000 open from June invoices, June sales 2,000 → DSO = 2,000 ÷ 2,000 × 30
    = 30 days (not × 91 as if April and May had been months without sales)."""
    led = ledger([("A", "1", "2026-06-01", "2026-07-01", 1000.0), ("A", "2", "2026-06-20", "2026-07-20", 1000.0)])
    jun = arkit.kpis(led, "2026-06", "2026-06").loc["2026-06-30"]
    assert jun["dso"] == pytest.approx(30.0) and jun["bpdso"] == pytest.approx(30.0) and jun["dso_countback"] == pytest.approx(30.0)
