"""Adjustments (write-offs, discounts taken, small balances, fees, interest, recoveries): loaded and
validated like the other tables, and seen by aging, KPIs and settlements on their date."""

import numpy as np
import pandas as pd
import pytest

import arkit
from arkit.errors import LedgerError
from arkit.model import Ledger
from tests.ledgers import invoices, payments


def adjustments(rows) -> pd.DataFrame:
    """rows: (customer_id, invoice_id, date, amount, kind)."""
    return pd.DataFrame(rows, columns=["customer_id", "invoice_id", "date", "amount", "kind"])


INV = [
    ("A", "A1", "2026-01-01", "2026-01-31", 1000.00),
    ("A", "A2", "2026-03-01", "2026-03-31", 500.00),
    ("A", "A3", "2026-02-01", "2026-03-03", 500.00),
]
PAY = [("A", "A1", "2026-02-15", 300.00), ("A", "A3", "2026-02-20", 490.00), ("A", "A2", "2026-04-25", 200.00)]
ADJ = [
    ("A", "A1", "2026-04-10", 700.00, "write_off"),
    ("A", "A2", "2026-04-20", 15.00, "Fee"),
    ("A", "A3", "2026-02-20", 10.00, "discount taken"),
]


def example() -> Ledger:
    return Ledger.from_frames(invoices(INV), payments(PAY), adjustments=adjustments(ADJ))


def test_kinds_are_normalised_and_the_table_is_kept():
    led = example()
    assert led.adjustments["kind"].tolist() == ["write_off", "fee", "discount_taken"]
    assert led.load_report.summary.loc["adjustments", "rows_accepted"] == 3


def test_positional_ledger_without_adjustments_still_works():
    base = Ledger.from_frames(invoices(INV), payments(PAY))
    led = Ledger(base.invoices, base.payments, base.customers, base.activities)
    assert led.adjustments.empty and list(led.adjustments.columns) == ["customer_id", "invoice_id", "date", "amount", "kind", "note", "adjustment_id"]
    assert arkit.aging_summary(led, "2026-03-31")["total"].sum() == 1210.00  # A1 700 + A2 500 + A3 10 (no discount booked)


def test_aging_before_and_after_the_write_off():
    led = example()
    mar = arkit.aging(led, "2026-03-31").set_index("invoice_id")
    # A1 1000 − 300 = 700, 59 days past due; A2 500 due that day (current); A3 closed by cash + discount
    assert mar["open_amount"].to_dict() == {"A1": 700.0, "A2": 500.0}
    assert str(mar.loc["A1", "bucket"]) == "31-60"
    apr = arkit.aging(led, "2026-04-30").set_index("invoice_id")
    # A1 written off on 04-10: gone; A2 500 + fee 15 − 200 = 315, 30 days past due
    assert apr["open_amount"].to_dict() == {"A2": 315.0}
    apr9 = arkit.aging(led, "2026-04-09").set_index("invoice_id")
    assert apr9.loc["A1", "open_amount"] == 700.0  # still open the day before


def test_kpis_report_write_offs_apart_from_collections_and_cei_leaves_them_out():
    k = arkit.kpis(example(), "2026-03", "2026-04")
    apr = k.loc["2026-04-30"]
    assert (apr["collections"], apr["write_offs"], apr["adjustments"]) == (200.0, 700.0, -685.0)
    assert (k.loc["2026-03-31", "open_ar"], apr["open_ar"], apr["current_ar"]) == (1200.0, 315.0, 0.0)
    # CEI = (1200 + 0 − 685 − 315) ÷ (1200 + 0 − 685 − 0) = 200 ÷ 515
    assert apr["cei"] == pytest.approx(200 / 515 * 100)
    assert arkit.cei(100_000, 50_000, 80_000, 40_000, -10_000) == pytest.approx(60.0)


def test_kpis_open_ar_matches_aging_with_adjustments_at_every_month_end():
    led = example()
    k = arkit.kpis(led, "2026-01", "2026-05")
    for d, row in k.iterrows():
        s = arkit.aging_summary(led, d)
        assert round(s["total"].sum(), 2) == row["open_ar"], d
        assert round(s["current"].sum(), 2) == row["current_ar"], d


def test_settlements_count_a_discount_taken_but_never_a_write_off():
    s = arkit.settlements(example()).set_index("invoice_id")
    assert list(s.index) == ["A3"]
    assert (s.loc["A3", "settled_date"], s.loc["A3", "days_to_pay"]) == (pd.Timestamp("2026-02-20"), 19)


def test_bad_adjustments_are_quarantined_with_a_reason():
    bad = adjustments(
        [
            ("A", "A1", "2026-04-10", 700.00, "writeoff please"),  # unknown kind
            ("A", "A1", "2026-04-11", -5.00, "fee"),  # a negative fee: the kind sets the direction
            ("A", "ZZ", "2026-04-12", 5.00, "fee"),  # unknown invoice
            ("B", "A1", "2026-04-12", 5.00, "fee"),  # another customer's invoice
            ("A", "A2", "2026-02-01", 5.00, "interest"),  # before the invoice date
            ("A", "A2", "2026-04-01", -12.50, "other"),  # other: signed, accepted
        ]
    )
    led = arkit.load.ledger_from_frames(invoices=invoices(INV), payments=payments(PAY), adjustments=bad, strict=False)
    q = led.load_report.quarantine
    q = q[q["table"] == "adjustments"].sort_values("row")
    assert q["row"].tolist() == [1, 2, 3, 4, 5]
    assert "unknown adjustment kind 'writeoff please'" in q["problem"].iloc[0]
    assert "must be positive" in q["problem"].iloc[1]
    assert "not an accepted invoice" in q["problem"].iloc[2] and "not an accepted invoice" in q["problem"].iloc[3]
    assert "before its invoice's date" in q["problem"].iloc[4]
    s = led.load_report.summary.loc["adjustments"]
    assert (s["rows_read"], s["rows_accepted"], s["rows_quarantined"]) == (6, 1, 5)
    # other −12.50 increases A2's balance: 500 + 12.50 at 04-01
    assert arkit.aging(led, "2026-04-01").set_index("invoice_id").loc["A2", "open_amount"] == 512.50
    with pytest.raises(LedgerError):
        Ledger.from_frames(invoices(INV), payments(PAY), adjustments=bad)


def test_adjustments_sheet_is_read_from_a_workbook(tmp_path):
    from arkit.sample import make_sample_ledger, write_workbook

    frames = make_sample_ledger(n_invoices=3000, seed=1, as_of="2026-06-30")
    path = write_workbook(frames, tmp_path / "ledger.xlsx")
    led = arkit.load_ledger(path)
    assert len(led.adjustments) == len(frames["adjustments"]) > 0
    assert led.load_report.summary.loc["adjustments", "rows_quarantined"] == 0
    # a written-off invoice is not open at the as-of date
    items = arkit.aging(led, "2026-06-30")
    wo = set(zip(led.adjustments["customer_id"], led.adjustments["invoice_id"]))
    assert not wo & set(zip(items["customer_id"], items["invoice_id"]))
    # buckets reconcile: Σ open = invoices − payments + effects, to the cent
    inv = led.invoices.loc[led.invoices["invoice_date"] <= "2026-06-30", "amount"].sum()
    pay = led.payments.loc[led.payments["payment_date"] <= "2026-06-30", "amount"].sum()
    adj = led.adjustments.loc[led.adjustments["date"] <= "2026-06-30", "amount"].sum()
    assert np.isclose(items["open_amount"].sum(), inv - pay - adj, atol=0.005)
