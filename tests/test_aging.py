"""Aging and aging summary against a hand-computed example.

Example ledger (tests/ledgers.py), as of 2026-03-31:
  A INV1 1000.00 due 02-09, paid 400 on 02-20 → open 600.00, 50 days past due → 31-60
  A INV2  500.00 due 03-31                     → open 500.00,  0 days         → current
  A CN1  -100.00 due 03-15 (credit note)       → open -100.00, 16 days        → 1-30
  B INV3  250.50 due 03-03, paid 300 on 03-10  → open -49.50 (overpaid), 28   → 1-30
  B unapplied cash 75.00 received 03-20        → open -75.00, 11 days         → 1-30
  B INV4 dated 04-10 is not yet issued; A's 600 on 04-05 not yet received.
  Totals: A 1,000.00; B -124.50; all 875.50 = invoices 1,650.50 − payments 775.00.
"""

import pandas as pd
import pytest

import arkit
from arkit.aging import assign_buckets, bucket_labels
from tests.ledgers import example, ledger


def test_bucket_labels_default_and_custom():
    assert bucket_labels() == ["current", "1-30", "31-60", "61-90", "91+"]
    assert bucket_labels((15, 45)) == ["current", "1-15", "16-45", "46+"]
    with pytest.raises(ValueError, match="increasing"):
        bucket_labels((60, 30))


def test_assign_buckets_edges():
    cats = assign_buckets([-5, 0, 1, 30, 31, 60, 61, 90, 91, 400])
    assert list(cats) == ["current", "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "91+", "91+"]


def test_aging_items_hand_computed():
    items = arkit.aging(example(), "2026-03-31")
    got = {(r.customer_id, r.invoice_id if isinstance(r.invoice_id, str) else None): (r.open_amount, r.days_past_due, r.bucket) for r in items.itertuples()}
    assert got == {
        ("A", "INV1"): (600.00, 50, "31-60"),
        ("A", "INV2"): (500.00, 0, "current"),
        ("A", "CN1"): (-100.00, 16, "1-30"),
        ("B", "INV3"): (-49.50, 28, "1-30"),
        ("B", None): (-75.00, 11, "1-30"),
    }
    assert list(items.columns) == ["customer_id", "customer_name", "invoice_id", "invoice_date", "due_date", "amount", "open_amount", "days_past_due", "bucket"]
    assert items["bucket"].cat.ordered


def test_aging_summary_hand_computed():
    # credits in their own column (the default): the buckets hold debit items only
    s = arkit.aging_summary(example(), "2026-03-31").set_index("customer_id")
    assert s.loc["A", ["current", "1-30", "31-60", "61-90", "91+", "credits", "total"]].tolist() == [500.0, 0.0, 600.0, 0.0, 0.0, -100.0, 1000.0]
    assert s.loc["B", ["current", "1-30", "31-60", "61-90", "91+", "credits", "total"]].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, -124.5, -124.5]
    assert round(s["total"].sum(), 2) == 875.50
    # credits netted into their age bucket
    n = arkit.aging_summary(example(), "2026-03-31", credits="net").set_index("customer_id")
    assert n.loc["A", ["current", "1-30", "31-60", "61-90", "91+", "total"]].tolist() == [500.0, -100.0, 600.0, 0.0, 0.0, 1000.0]
    assert n.loc["B", ["current", "1-30", "31-60", "61-90", "91+", "total"]].tolist() == [0.0, -124.5, 0.0, 0.0, 0.0, -124.5]
    assert "credits" not in n.columns


def test_aging_replays_a_later_date():
    s = arkit.aging_summary(example(), "2026-04-30").set_index("customer_id")
    # INV1 fully paid on 04-05; INV2 30 days past due; INV4 issued 04-10, due 05-10 → current
    assert s.loc["A", ["current", "1-30", "31-60", "credits", "total"]].tolist() == [0.0, 500.0, 0.0, -100.0, 400.0]
    assert s.loc["B", ["current", "1-30", "31-60", "credits", "total"]].tolist() == [250.0, 0.0, 0.0, -124.5, 125.5]


def test_aging_before_any_invoice_is_empty():
    assert arkit.aging(example(), "2025-12-31").empty
    assert arkit.aging_summary(example(), "2025-12-31").empty


def test_invoice_basis_ages_from_invoice_date():
    items = arkit.aging(example(), "2026-03-31", basis="invoice").set_index("invoice_id")
    assert items.loc["INV1", "days_past_due"] == 80  # 2026-01-10 → 2026-03-31
    assert items.loc["INV1", "bucket"] == "61-90"


def test_custom_buckets():
    s = arkit.aging_summary(example(), "2026-03-31", buckets=(15, 45))
    assert list(s.columns) == ["customer_id", "customer_name", "current", "1-15", "16-45", "46+", "credits", "total"]
    a = s.set_index("customer_id").loc["A"]
    assert (a["current"], a["1-15"], a["16-45"], a["46+"], a["credits"]) == (500.0, 0.0, 0.0, 600.0, -100.0)


def test_prepayment_of_a_later_invoice_is_a_negative_item():
    led = ledger([("C", "X1", "2026-05-01", "2026-05-31", 100.0)], [("C", "X1", "2026-04-20", 100.0)])
    items = arkit.aging(led, "2026-04-30")
    assert items["open_amount"].tolist() == [-100.0]
    assert items["days_past_due"].tolist() == [10]
    assert arkit.aging(led, "2026-05-01").empty  # once issued, the invoice and its payment net to zero


def test_aging_does_not_modify_the_ledger():
    led = example()
    before = led.invoices.copy(), led.payments.copy()
    arkit.aging(led, "2026-03-31")
    arkit.aging_summary(led, "2026-03-31")
    pd.testing.assert_frame_equal(led.invoices, before[0])
    pd.testing.assert_frame_equal(led.payments, before[1])


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="basis"):
        arkit.aging(example(), "2026-03-31", basis="posting")
    with pytest.raises(ValueError, match="as_of"):
        arkit.aging(example(), "not a date")


def test_open_cents_on_equals_open_cents_at_pair_by_pair():
    """Many (invoice, date) balances in one pass equal the one-date-at-a-time balance, including dates
    before any payment, on a payment's own day and after the last one; hand check: invoice 1 of the
    example ledger."""
    import numpy as np

    from arkit._prep import day_number
    from arkit.aging import open_cents_at, open_cents_on
    from arkit.sample import make_sample_ledger

    led = arkit.Ledger.from_frames(**make_sample_ledger(n_invoices=400, seed=3, as_of="2026-06-30"))
    rng = np.random.default_rng(0)
    days = np.concatenate([rng.integers(day_number("2024-06-01"), day_number("2026-08-31"), 300), led.payments["payment_date"].sample(100, random_state=1).map(day_number).to_numpy()])
    pos = rng.integers(0, len(led.invoices), len(days))
    got = open_cents_on(led, pos, days)
    want = np.array([open_cents_at(led, np.datetime64(int(d), "D"))[0][i] for i, d in zip(pos, days)])
    assert (got == want).all()
    small = example()
    first = small.invoices.index[0]
    amount = int(round(small.invoices.loc[first, "amount"] * 100))
    assert open_cents_on(small, np.array([0]), np.array([day_number("1990-01-01")]))[0] == amount


def test_cents_between_hand_computed():
    """Lines (group 0, day 5, 100), (0, 9, 50), (1, 5, 7), and one with no group (-1, day 6, 1000): each query
    sums its own group's lines in its own window; a query without a group, or with hi < lo, is 0."""
    import numpy as np

    from arkit._prep import cents_between

    group, day, amount = np.array([0, 0, 1, -1]), np.array([5, 9, 5, 6]), np.array([100, 50, 7, 1000])
    got = cents_between(group, day, amount, q=[0, 0, 1, -1, 0], lo=[5, 0, 6, 0, 9], hi=[8, 9, 9, 9, 5])
    assert got.tolist() == [100, 150, 0, 0, 0]
