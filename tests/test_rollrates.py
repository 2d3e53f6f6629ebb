"""Roll rates (arkit.review.rollrates) against a hand-computed ledger.

Ledger below, as_of 2026-06-30 → start 2026-05-31 (previous month end). Days past due (dpd) = date − due.

  A I1 1000.00 due 05-31: start open 1000.00, dpd 0 → current; paid 400 on 06-10 → 600.00, dpd 30 → 1-30
  A I8  100.00 due 06-09: start 100.00, dpd −9 → current; overpaid 100.10 on 06-08 → remaining 0
                          (clipped), collected 100.00
  A I2  500.00 due 05-01: start 500.00, dpd 30 → 1-30; unpaid, dpd 60 → 31-60
  D I9   40.00 due 04-20: start 40.00, dpd 41 → 31-60; paid 15 on 06-30 (as_of counts) → 25.00, dpd 71 → 61-90
  B I3  800.00 due 03-31: paid 300 on 05-15 → start 500.00, dpd 61 → 61-90; paid 200 on 06-20 →
                          300.00, dpd 91 → 91+
  B I4  250.50 due 03-03: start 250.50, dpd 28 + 30 + 31 = 89 → 61-90; paid in full 06-05 → collected
  C I5  120.25 due 01-31: start 120.25, dpd 120 → 91+; dpd 150 → 91+ (the 20.00 paid 07-01 is after as_of)
  Left out: C CN1 −50.00 (credit note), C's 75.00 unapplied cash, C I7 (paid in full 05-25: open 0),
  C I6 (issued 06-15, after the start).

Matrix (rows = bucket at 05-31):
  current  1,100.00 → 1-30 600.00, collected 400 + 100 = 500.00
  1-30       500.00 → 31-60 500.00
  31-60       40.00 → 61-90 25.00, collected 15.00
  61-90      750.50 → 91+ 300.00, collected 200 + 250.50 = 450.50
  91+        120.25 → 91+ 120.25
  Σ start_total = 2,510.75 = the positive open items of arkit.aging at 05-31.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import arkit
from arkit.model import Ledger
from arkit.review.rollrates import previous_month_end, roll_rate_pct, roll_rate_trend, roll_rates, rolled_into_91
from tests.ledgers import ledger

LABELS = ["current", "1-30", "31-60", "61-90", "91+"]

INV = [
    ("A", "I1", "2026-05-01", "2026-05-31", 1000.00),
    ("A", "I8", "2026-05-10", "2026-06-09", 100.00),
    ("A", "I2", "2026-04-01", "2026-05-01", 500.00),
    ("D", "I9", "2026-04-10", "2026-04-20", 40.00),
    ("B", "I3", "2026-03-01", "2026-03-31", 800.00),
    ("B", "I4", "2026-02-01", "2026-03-03", 250.50),
    ("C", "I5", "2026-01-01", "2026-01-31", 120.25),
    ("C", "CN1", "2026-05-10", "2026-05-10", -50.00),
    ("C", "I6", "2026-06-15", "2026-07-15", 900.00),
    ("C", "I7", "2026-04-01", "2026-05-01", 60.00),
]
PAY = [
    ("A", "I1", "2026-06-10", 400.00),
    ("A", "I8", "2026-06-08", 100.10),
    ("D", "I9", "2026-06-30", 15.00),
    ("B", "I3", "2026-05-15", 300.00),
    ("B", "I3", "2026-06-20", 200.00),
    ("B", "I4", "2026-06-05", 250.50),
    ("C", "I5", "2026-07-01", 20.00),
    ("C", None, "2026-05-20", 75.00),
    ("C", "I7", "2026-05-25", 60.00),
]


@pytest.fixture(scope="module")
def led():
    return ledger(INV, PAY)


@pytest.fixture(scope="module")
def sample():
    from arkit.sample import make_sample_ledger

    return Ledger.from_frames(**make_sample_ledger(n_invoices=2000, seed=1, as_of="2026-06-30"))


def test_previous_month_end():
    assert previous_month_end("2026-06-30") == pd.Timestamp("2026-05-31")
    assert previous_month_end("2026-06-15") == pd.Timestamp("2026-05-31")
    assert previous_month_end("2026-06-01") == pd.Timestamp("2026-05-31")
    assert previous_month_end("2026-03-31") == pd.Timestamp("2026-02-28")


def test_matrix_cell_by_cell(led):
    m = roll_rates(led, "2026-06-30")
    assert list(m.index) == LABELS
    assert list(m.columns) == [*LABELS, "collected", "written_off", "start_total"]
    expected = {
        #            current  1-30   31-60  61-90   91+     collected written_off start_total
        "current": [0.0, 600.00, 0.0, 0.0, 0.0, 500.00, 0.0, 1100.00],
        "1-30": [0.0, 0.0, 500.00, 0.0, 0.0, 0.0, 0.0, 500.00],
        "31-60": [0.0, 0.0, 0.0, 25.00, 0.0, 15.00, 0.0, 40.00],
        "61-90": [0.0, 0.0, 0.0, 0.0, 300.00, 450.50, 0.0, 750.50],
        "91+": [0.0, 0.0, 0.0, 0.0, 120.25, 0.0, 0.0, 120.25],
    }
    for row, values in expected.items():
        assert m.loc[row].tolist() == values, row
    assert m.attrs["start"] == pd.Timestamp("2026-05-31")
    assert m.attrs["as_of"] == pd.Timestamp("2026-06-30")


def test_rows_sum_to_start_total_and_match_aging(led):
    m = roll_rates(led, "2026-06-30")
    flows = np.rint(m.drop(columns="start_total").to_numpy() * 100).astype("int64").sum(axis=1)
    assert flows.tolist() == np.rint(m["start_total"].to_numpy() * 100).astype("int64").tolist()
    # Σ start_total = 2,510.75 = positive open items at 05-31 (I1 1000, I8 100, I2 500, I9 40, I3 500, I4 250.50, I5 120.25)
    items = arkit.aging(led, "2026-05-31")
    assert round(m["start_total"].sum(), 2) == 2510.75 == round(items.loc[items["open_amount"] > 0, "open_amount"].sum(), 2)


def test_pct_matrix(led):
    """current: 600/1100 = 54.545 %, 500/1100 = 45.455 %; 31-60: 25/40 = 62.5 %, 15/40 = 37.5 %;
    61-90: 300/750.50 = 39.973 %, 450.50/750.50 = 60.027 %; 1-30 and 91+ all in one cell (100 %)."""
    p = roll_rate_pct(roll_rates(led, "2026-06-30"))
    assert p.loc["current", "1-30"] == pytest.approx(54.5454545)
    assert p.loc["current", "collected"] == pytest.approx(45.4545455)
    assert p.loc["1-30", "31-60"] == pytest.approx(100.0)
    assert p.loc["31-60", ["61-90", "collected"]].tolist() == pytest.approx([62.5, 37.5])
    assert p.loc["61-90", "91+"] == pytest.approx(39.9733511)
    assert p.loc["61-90", "collected"] == pytest.approx(60.0266489)
    assert p.loc["91+", "91+"] == pytest.approx(100.0)
    assert p.drop(columns="start_total").sum(axis=1).tolist() == pytest.approx([100.0] * 5)
    assert p["start_total"].tolist() == [1100.00, 500.00, 40.00, 750.50, 120.25]


def test_pct_of_an_empty_row_is_nan(led):
    # at 2026-05-31 (start 04-30) nothing was in 91+ (I5 was 89 days past due), so its row is NaN
    p = roll_rate_pct(roll_rates(led, "2026-05-31"))
    assert p.loc["91+", LABELS].isna().all()
    with pytest.raises(ValueError, match="start_total"):
        roll_rate_pct(pd.DataFrame({"a": [1.0]}))


def test_rolled_into_91(led):
    """300.00 (I3, from 61-90) of 2,510.75 open at 05-31 → 11.9486 %."""
    r = rolled_into_91(led, "2026-06-30")
    assert r["start"] == pd.Timestamp("2026-05-31")
    assert r["bucket"] == "91+"
    assert r["amount"] == 300.00
    assert r["open_at_start"] == 2510.75
    assert r["pct_of_open"] == pytest.approx(300 / 2510.75 * 100)
    assert r["by_bucket"] == {"current": 0.0, "1-30": 0.0, "31-60": 0.0, "61-90": 300.00}


def test_custom_buckets(led):
    """Edges (60,): current, 1-60, 61+. Start 05-31: I1, I8 current; I2 (30), I9 (41) 1-60; I3 (61), I4 (89),
    I5 (120) 61+. At as_of I9 is 71 days → 61+ (25.00, 15.00 collected); I2 60 → stays 1-60 (500.00).
    61+ row: I3 300.00 left + I5 120.25 = 420.25 in 61+, I3 200 + I4 250.50 = 450.50 collected, start 870.75.
    Into 61+ from earlier buckets: 25.00."""
    m = roll_rates(led, "2026-06-30", buckets=(60,))
    assert list(m.index) == ["current", "1-60", "61+"]
    assert m.loc["1-60"].tolist() == [0.0, 500.00, 25.00, 15.00, 0.0, 540.00]
    assert m.loc["61+"].tolist() == [0.0, 0.0, 420.25, 450.50, 0.0, 870.75]
    r = rolled_into_91(led, "2026-06-30", buckets=(60,))
    assert (r["bucket"], r["amount"]) == ("61+", 25.00)


def test_trend_hand_computed(led):
    """Row 2 (05-31 → 06-30): current 600/1100 = 54.545; 1-30 500/500 = 100; 31-60 25/40 = 62.5;
    61-90 300/750.50 = 39.973.
    Row 1 (04-30 → 05-31), the cohort open at 04-30 (dpd at 04-30 → at 05-31):
      current: I2 500 (−1 → 30: 1-30), I7 60 (paid 05-25)       → 500/560 = 89.286 %
      1-30:    I3 800 (30 → 61, 500 left: 61-90), I9 40 (10 → 41) → (500 + 40)/840 = 64.286 %
      31-60:   I4 250.50 (58 → 89)                                 → 100 %
      61-90:   I5 120.25 (89 → 120)                                → 100 %
    """
    t = roll_rate_trend(led, "2026-06-30", months=2)
    assert list(t.columns) == ["start", "end", "current_to_1-30", "1-30_to_31-60", "31-60_to_61-90", "61-90_to_91+"]
    assert t["start"].tolist() == [pd.Timestamp("2026-04-30"), pd.Timestamp("2026-05-31")]
    assert t["end"].tolist() == [pd.Timestamp("2026-05-31"), pd.Timestamp("2026-06-30")]
    assert t.iloc[0, 2:].tolist() == pytest.approx([500 / 560 * 100, 540 / 840 * 100, 100.0, 100.0])
    assert t.iloc[1, 2:].tolist() == pytest.approx([600 / 1100 * 100, 100.0, 62.5, 300 / 750.5 * 100])


def test_trend_mid_month_ends_at_as_of(led):
    t = roll_rate_trend(led, "2026-06-15", months=3)
    assert t["end"].tolist() == [pd.Timestamp("2026-04-30"), pd.Timestamp("2026-05-31"), pd.Timestamp("2026-06-15")]
    assert t["start"].iloc[-1] == pd.Timestamp("2026-05-31")


def test_arguments(led):
    with pytest.raises(ValueError, match="months"):
        roll_rate_trend(led, "2026-06-30", months=0)
    with pytest.raises(ValueError, match="increasing"):
        roll_rates(led, "2026-06-30", buckets=(60, 30))
    with pytest.raises(ValueError, match="as_of"):
        roll_rates(led, "not a date")


def test_inputs_not_modified(led):
    before = {n: getattr(led, n).copy() for n in ("invoices", "payments")}
    roll_rates(led, "2026-06-30")
    roll_rate_trend(led, "2026-06-30", months=3)
    for n, df in before.items():
        pd.testing.assert_frame_equal(getattr(led, n), df)


def test_sample_start_total_is_positive_open_at_previous_month_end(sample):
    m = roll_rates(sample, "2026-06-30")
    items = arkit.aging(sample, "2026-05-31")
    positive_c = np.rint(items.loc[items["open_amount"] > 0, "open_amount"].to_numpy() * 100).astype("int64").sum()
    start_c = np.rint(m["start_total"].to_numpy() * 100).astype("int64")
    assert start_c.sum() == positive_c
    # each row reconciles to the cent; nothing moves to a younger bucket
    cells_c = np.rint(m.drop(columns="start_total").to_numpy() * 100).astype("int64")
    assert (cells_c.sum(axis=1) == start_c).all()
    assert (cells_c >= 0).all()
    assert np.allclose(np.tril(m[LABELS].to_numpy(), -1), 0)
    # the start totals per bucket are aging's positive items per bucket at 05-31
    pos = items[items["open_amount"] > 0].groupby("bucket", observed=False)["open_amount"].sum()
    assert m["start_total"].tolist() == pytest.approx(pos.reindex(LABELS).fillna(0).tolist(), abs=0.005)


def test_sample_trend_last_row_matches_matrix(sample):
    t = roll_rate_trend(sample, "2026-06-30", months=12)
    assert len(t) == 12
    assert t["end"].iloc[0] == pd.Timestamp("2025-07-31")
    m = roll_rates(sample, "2026-06-30")
    for b in range(4):
        worse = m.loc[LABELS[b], LABELS[b + 1 :]].sum()
        want = worse / m.loc[LABELS[b], "start_total"] * 100
        got = t.iloc[-1, 2 + b]
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)


def test_a_write_off_is_reported_as_written_off_not_collected():
    """W1 800 due 01-31 (120 days at 05-31 → 91+), 300 paid 06-10, the remaining 500 written off 06-20:
    the 91+ row has collected 300.00 and written_off 500.00; start_total 800.00."""
    inv = pd.DataFrame([("W", "W1", "2026-01-01", "2026-01-31", 800.0)], columns=["customer_id", "invoice_id", "invoice_date", "due_date", "amount"]).assign(currency="USD")
    pay = pd.DataFrame([("W", "W1", "2026-06-10", 300.0)], columns=["customer_id", "invoice_id", "payment_date", "amount"])
    adj = pd.DataFrame([("W", "W1", "2026-06-20", 500.0, "write_off")], columns=["customer_id", "invoice_id", "date", "amount", "kind"])
    m = roll_rates(Ledger.from_frames(inv, pay, adjustments=adj), "2026-06-30")
    assert m.loc["91+", ["91+", "collected", "written_off", "start_total"]].tolist() == [0.0, 300.0, 500.0, 800.0]
