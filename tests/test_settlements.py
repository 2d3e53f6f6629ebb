"""Settlements against hand-computed days to pay and days late."""

import arkit
from tests.ledgers import example, ledger


def test_settlements_hand_computed():
    s = arkit.settlements(example()).set_index("invoice_id")
    # INV1: 1,000 due 02-09, paid 400 on 02-20 and 600 on 04-05 → settled 04-05; 85 days from 01-10; 55 late
    assert str(s.loc["INV1", "settled_date"].date()) == "2026-04-05"
    assert s.loc["INV1", "days_to_pay"] == 85 and s.loc["INV1", "days_late"] == 55
    # INV3: 250.50 due 03-03, overpaid 300 on 03-10 → 37 days, 7 late
    assert s.loc["INV3", "days_to_pay"] == 37 and s.loc["INV3", "days_late"] == 7
    # open invoices and credit notes are not settlements
    assert set(s.index) == {"INV1", "INV3"}


def test_early_payment_is_negative_days_late_and_same_day_parts_count_together():
    led = ledger(
        [("A", "E1", "2026-01-01", "2026-01-31", 100.0), ("A", "E2", "2026-01-01", "2026-01-31", 100.0)],
        [("A", "E1", "2026-01-21", 100.0), ("A", "E2", "2026-02-05", 60.0), ("A", "E2", "2026-02-05", 40.0)],
    )
    s = arkit.settlements(led).set_index("invoice_id")
    assert s.loc["E1", "days_late"] == -10 and s.loc["E1", "days_to_pay"] == 20
    assert s.loc["E2", "days_late"] == 5


def test_partial_payment_short_by_a_cent_is_not_settled():
    led = ledger([("A", "P1", "2026-01-01", "2026-01-31", 100.0)], [("A", "P1", "2026-01-10", 99.99)])
    assert arkit.settlements(led).empty


def test_ibm_oracle(real_data):
    """IBM sample: days_to_pay = DaysToSettle and max(0, days_late) = DaysLate on all 2,466 rows."""
    led = arkit.load_ledger(real_data / "ibm-wa-accounts-receivable" / "WA_Fn-UseC_-Accounts-Receivable.csv", source="ibm-sample")
    assert len(led.invoices) == 2466 and led.load_report.ok
    s = arkit.settlements(led)
    assert len(s) == 2466
    m = s.merge(led.invoices[["customer_id", "invoice_id", "DaysToSettle", "DaysLate"]], on=["customer_id", "invoice_id"], validate="1:1")
    assert (m["days_to_pay"] == m["DaysToSettle"].astype(int)).all()
    assert (m["days_late"].clip(lower=0) == m["DaysLate"].astype(int)).all()
    assert (s["days_late"] > 0).sum() == 877  # 35.56 % paid late, as the data's README states
