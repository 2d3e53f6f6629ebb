"""One position per date (arkit.position): lines, buckets + credits = open AR, gross shares, past due,
disputes, write-offs and the amount a letter demands — hand-computed on a small ledger."""

import numpy as np
import pandas as pd
import pytest

import arkit
from arkit.model import Ledger
from tests.ledgers import invoices, payments

AS_OF = pd.Timestamp("2026-06-30")


def _acts(rows):
    cols = ["date", "customer_id", "action", "invoice_id", "outcome"]
    df = pd.DataFrame(rows, columns=cols)
    df["date"] = pd.to_datetime(df["date"])
    return df


def hand_ledger() -> Ledger:
    """At 2026-06-30:
    A: A1 1,000 due 04-30 (61 days → 61-90); A2 300 due 06-15 (15 → 1-30), disputed 06-20 (open);
       A3 200 due 07-15 (current); credit note CN1 −150 (credit); unapplied cash 50 on 06-25 (unapplied).
       gross 1,500; credits −200; open 1,300; past due 1,300; disputed past due 300; dunnable past due 1,000;
       demand 1,000 − 200 = 800.
    B: B1 800 due 02-28, written off 500 on 06-01 (adjustment) → open 300 (122 days → 91+);
       B2 400 due 05-31 (30 → 1-30), its dispute opened 05-01 and resolved 05-20 (closed).
       gross 700; past due 700; B1 written off → dunnable past due 400; demand 400.
    C: C1 100 fully paid; overpaid by 20 → credit −20 only: gross 0, open −20, nothing past due.
    """
    inv = invoices(
        [
            ("A", "A1", "2026-03-31", "2026-04-30", 1000.0),
            ("A", "A2", "2026-05-16", "2026-06-15", 300.0),
            ("A", "A3", "2026-06-15", "2026-07-15", 200.0),
            ("A", "CN1", "2026-06-01", "2026-06-01", -150.0),
            ("B", "B1", "2026-01-29", "2026-02-28", 800.0),
            ("B", "B2", "2026-05-01", "2026-05-31", 400.0),
            ("C", "C1", "2026-05-01", "2026-05-31", 100.0),
        ]
    )
    pay = payments([("A", None, "2026-06-25", 50.0), ("C", "C1", "2026-05-30", 120.0)])
    adj = pd.DataFrame([("B", "B1", "2026-06-01", 500.0, "write_off")], columns=["customer_id", "invoice_id", "date", "amount", "kind"])
    acts = _acts(
        [
            ("2026-06-20", "A", "dispute_opened", "A2", "pricing"),
            ("2026-05-01", "B", "dispute_opened", "B2", "damaged"),
            ("2026-05-20", "B", "dispute_resolved", "B2", "no_credit"),
        ]
    )
    return Ledger.from_frames(inv, pay, None, acts, adj)


def test_totals_buckets_plus_credits_is_open_ar():
    p = arkit.position(hand_ledger(), AS_OF)
    t = p.totals
    assert t[["current", "1-30", "31-60", "61-90", "91+", "credits"]].tolist() == [200.0, 700.0, 0.0, 1000.0, 300.0, -220.0]
    assert (t["open_ar"], t["gross_ar"], t["past_due"]) == (1980.0, 2200.0, 2000.0)
    assert p.open_ar == 1980.0 and p.credits_total == -220.0
    assert p.shares.tolist() == pytest.approx([200 / 22, 700 / 22, 0.0, 1000 / 22, 300 / 22])
    assert (p.shares >= 0).all()
    assert p.item_counts.to_dict() == {"current": 1, "1-30": 2, "31-60": 0, "61-90": 1, "91+": 1, "credits": 3}


def test_lines_disputes_write_offs():
    p = arkit.position(hand_ledger(), AS_OF)
    it = p.items.set_index("invoice_id")
    assert it.loc["CN1", "line"] == "credit" and it.loc["C1", "line"] == "credit"
    assert p.items.loc[p.items["invoice_id"].isna(), "line"].tolist() == ["unapplied"]
    assert it.loc["A2", "disputed"] and not it.loc["B2", "disputed"]  # B2's dispute was resolved
    assert it.loc["B1", "written_off"] and not it.loc["B1", "dunnable"]
    assert it["dunnable"].dropna().loc[lambda s: s.index.notna()].to_dict() == {"A1": True, "A2": False, "A3": True, "CN1": False, "B1": False, "B2": True, "C1": False}
    d = p.disputes
    assert d[["customer_id", "invoice_id", "age_days", "amount", "source"]].values.tolist() == [["A", "A2", 10, 300.0, "activity log"]]
    assert p.written_off[["invoice_id", "amount"]].values.tolist() == [["B1", 500.0]]


def test_customers_hand_computed():
    c = arkit.position(hand_ledger(), AS_OF).customers.set_index("customer_id")
    a, b, cc = c.loc["A"], c.loc["B"], c.loc["C"]
    assert (a["gross_ar"], a["credits"], a["open_ar"], a["past_due"]) == (1500.0, -200.0, 1300.0, 1300.0)
    assert (a["disputed_past_due"], a["dunnable_past_due"], a["amount_to_demand"]) == (300.0, 1000.0, 800.0)
    assert (a["oldest_days_past_due"], a["oldest_invoice"], a["open_disputes"], a["disputed_amount"]) == (61, "A1", 1, 300.0)
    assert (b["past_due"], b["dunnable_past_due"], b["amount_to_demand"], b["written_off"]) == (700.0, 400.0, 400.0, 500.0)
    assert (b["91+"], b["oldest_days_past_due"]) == (300.0, 122)
    assert (cc["gross_ar"], cc["open_ar"], cc["past_due"], cc["amount_to_demand"]) == (0.0, -20.0, 0.0, 0.0)
    labels = ["current", "1-30", "31-60", "61-90", "91+"]
    assert np.allclose(c[labels].sum(axis=1) + c["credits"], c["open_ar"])
    assert np.allclose(c[labels[1:]].sum(axis=1), c["past_due"])


def test_position_is_cached_and_agrees_with_aging_summary():
    led = hand_ledger()
    p = arkit.position(led, "2026-06-30")
    assert arkit.position(led, pd.Timestamp("2026-06-30")) is p
    assert arkit.position(led, "2026-06-30", buckets=(15, 45)) is not p
    s = arkit.aging_summary(led, "2026-06-30").set_index("customer_id")
    c = p.customers.set_index("customer_id")
    assert s["total"].to_dict() == c["open_ar"].to_dict() and s["credits"].to_dict() == c["credits"].to_dict()


def test_disputed_flag_is_used_when_the_log_has_no_dispute():
    inv = invoices([("A", "A1", "2026-05-01", "2026-05-31", 100.0), ("A", "A2", "2026-05-01", "2026-05-31", 50.0), ("A", "A3", "2026-04-01", "2026-04-30", 70.0)])
    inv["disputed"] = [True, False, True]
    led = Ledger.from_frames(inv, payments([("A", "A3", "2026-05-15", 70.0)]))
    p = arkit.position(led, AS_OF)
    d = p.disputes
    assert d["invoice_id"].tolist() == ["A1"] and d["source"].tolist() == ["disputed flag"]  # A3 is settled
    assert d["age_days"].isna().all()
    assert p.customers.set_index("customer_id").loc["A", "dunnable_past_due"] == 50.0


def test_write_off_activity_without_adjustment_stops_dunning_but_stays_in_ar():
    inv = invoices([("A", "A1", "2026-01-01", "2026-01-31", 100.0)])
    led = Ledger.from_frames(inv, None, None, _acts([("2026-06-01", "A", "write_off", "A1", "written_off")]))
    p = arkit.position(led, AS_OF)
    assert p.open_ar == 100.0
    assert p.items["written_off"].tolist() == [True] and p.customers["amount_to_demand"].tolist() == [0.0]


def test_sample_position_invariants():
    from arkit.sample import make_sample_ledger

    led = Ledger.from_frames(**make_sample_ledger(n_invoices=3000, seed=3, as_of="2026-06-30"))
    for d in pd.date_range("2025-07-31", "2026-06-30", freq="ME"):
        p = arkit.position(led, d)
        t = p.totals
        cents = np.rint(t.to_numpy() * 100).astype("int64")
        k = len(p.labels)
        assert cents[: k + 1].sum() == cents[k + 1]  # Σ buckets + credits = open AR
        assert (t[p.labels] >= 0).all() and t["credits"] <= 0 and (p.shares.dropna() >= 0).all()
        kp = arkit.kpis(led, d.strftime("%Y-%m"), d.strftime("%Y-%m"))
        assert round(kp["open_ar"].iloc[0], 2) == round(t["open_ar"], 2)
    wo = p.written_off
    assert len(wo) and not set(zip(wo["customer_id"], wo["invoice_id"])) & set(zip(p.items["customer_id"], p.items["invoice_id"]))
