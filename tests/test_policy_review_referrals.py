"""The quarterly policy review, agency and legal referrals (policy_review.referrals): recovery measured on the
invoices referred, on hand-written ledgers whose answer is worked out in the test's docstring. The quarter is
2026Q3: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, make

INV = [
    ("R", "R1", "2026-03-01", "2026-03-31", 1000.00),
    ("R", "R2", "2026-04-01", "2026-05-01", 400.00),
    ("R", "R3", "2026-08-01", "2026-08-31", 250.00),
    ("R", "R4", "2026-07-01", "2026-07-31", 500.00),
    ("S", "S1", "2026-05-31", "2026-06-30", 600.00),
    ("S", "S2", "2026-07-16", "2026-08-15", 900.00),
    ("T", "T1", "2025-05-01", "2025-05-31", 100.00),
]
PAY = [
    ("R", "R2", "2026-06-10", 100.00),
    ("R", "R4", "2026-07-30", 500.00),
    ("R", "R1", "2026-08-10", 600.00),
    ("R", "R1", "2026-09-05", 100.00),
    ("S", "S1", "2026-07-10", 200.00),
    ("S", "S2", "2026-08-20", 900.00),
    ("S", "S1", "2026-09-01", 300.00),
]
ACT = [
    ("2026-07-15", "R", "agency", "R1"),
    ("2026-08-20", "R", "legal", "R1"),
    ("2026-09-20", "R", "write_off", "R1"),
    ("2026-09-15", "R", "write_off", "R2"),
    ("2026-08-01", "S", "agency", None),
    ("2025-09-01", "T", "agency", "T1"),
]


def test_referral_recovery_counts_the_referred_invoices_only():
    """R: the agency row of 07-15 names R1 (1,000 unpaid, due 03-31) → owed 1,000. R2 (past due, not named),
    R4 (not yet due on 07-15; paid 500 on 07-30 as usual) and R3 (issued later) do not count. Paid to R1
    after the referral: 600 (08-10) + 100 (09-05) = 700; R1 written off on 09-20 at its balance 300.
    Legal on 08-20 names R1 again: owed then 400, 100 recovered after, 300 written off, 0 open.
    S: the agency row of 08-01 names no invoice → the invoices past due that day: S1 (600 − 200 = 400 open);
    S2 (due 08-15) is not yet due and its payment of 900 on 08-20 is not a recovery; 300 paid to S1 on
    09-01 → recovered 300, open 100. T (referred 2025-09-01, before the year) is not listed.
    Agency stage: owed 1,000 + 400 = 1,400, recovered 700 + 300 = 1,000 → 71.43 %; all referrals the same
    (R1 counted once, from 07-15)."""
    led = make(INV, PAY, ACT)
    ref = pr.referred_invoices(led, Q)
    assert list(zip(ref["stage"], ref["invoice_id"])) == [("agency", "R1"), ("agency", "S1"), ("legal", "R1")]
    by = ref.set_index(["stage", "invoice_id"])
    assert by.loc[("agency", "R1"), ["owed", "recovered", "written_off", "open_now"]].tolist() == [1000.0, 700.0, 300.0, 0.0]
    assert by.loc[("agency", "S1"), ["owed", "recovered", "written_off", "open_now"]].tolist() == [400.0, 300.0, 0.0, 100.0]
    assert by.loc[("legal", "R1"), ["owed", "recovered", "written_off", "open_now"]].tolist() == [400.0, 100.0, 300.0, 0.0]
    assert bool(by.loc[("agency", "R1"), "named"]) and not bool(by.loc[("agency", "S1"), "named"])
    st = pr.referral_recovery(ref).set_index("stage")
    assert st.loc["agency", ["invoices", "customers", "owed", "recovered"]].tolist() == [2, 2, 1400.0, 1000.0]
    assert st.loc["agency", "pct_recovered"] == pytest.approx(1000 / 1400 * 100)
    assert st.loc["legal", ["owed", "recovered", "pct_recovered"]].tolist() == [400.0, 100.0, 25.0]
    assert st.loc["All referrals", ["invoices", "owed", "recovered", "written_off", "open_now"]].tolist() == [2, 1400.0, 1000.0, 300.0, 100.0]
    c = pr.referrals(led, Q).set_index("customer_id")
    assert c.index.tolist() == ["R", "S"]
    assert c.loc["R", ["owed", "recovered", "written_off", "open_now"]].tolist() == [1000.0, 700.0, 300.0, 0.0]
    assert c.loc["R", "stage"] == "agency and legal" and (c.loc["R", "referred"], c.loc["R", "legal_date"]) == (pd.Timestamp("2026-07-15"), pd.Timestamp("2026-08-20"))
    assert c.loc["S", "stage"] == "agency" and c.loc["S", "pct_recovered"] == 75.0


def test_a_referral_naming_an_invoice_not_yet_due_does_not_count_it():
    """An agency row naming R4 on 07-15 (due 07-31): R4 is not past due that day → no referral at all."""
    led = make(INV[:4], PAY[:4], [("2026-07-15", "R", "agency", "R4")])
    assert pr.referred_invoices(led, Q).empty and pr.referrals(led, Q).empty


def test_recovery_is_net_of_fees_when_an_adjustments_table_gives_them():
    """The same ledger with adjustments on S1 after its referral: a fee of 50 (09-02) and a discount taken of
    20 (09-03) → recovered 300 + 20 − 50 = 270, open 400 − 270 = 130; a fee before the referral (07-20, 10)
    adds to what was owed: 400 + 10 = 410, open 140. Read through getattr(ledger, "adjustments")."""
    led = make(INV, PAY, ACT)
    adj = pd.DataFrame(
        {
            "customer_id": ["S", "S", "S"],
            "invoice_id": ["S1", "S1", "S1"],
            "date": pd.to_datetime(["2026-09-02", "2026-09-03", "2026-07-20"]),
            "amount": [50.0, 20.0, 10.0],
            "kind": ["fee", "discount_taken", "fee"],
        }
    )
    object.__setattr__(led, "adjustments", adj)
    by = pr.referred_invoices(led, Q).set_index(["stage", "invoice_id"])
    assert by.loc[("agency", "S1"), ["owed", "payments", "credits", "charges", "recovered", "open_now"]].tolist() == [410.0, 300.0, 20.0, 50.0, 270.0, 140.0]


def test_rule_agency_recovery_on_the_referred_invoices():
    """Owed 1,400, recovered 1,000 (71 %) with 2 customers → below min_customers 3: no rule; with
    min_customers=2 and a 75 % threshold → fires, quoting 71.4 %."""
    refs = pr.referrals(make(INV, PAY, ACT), Q)
    assert pr.rule_agency_recovery(refs) == []
    rec = pr.rule_agency_recovery(refs, min_customers=2, min_recovered_pct=75.0)
    assert len(rec) == 1 and "71.4 %" in rec[0]["recommendation"] and "on 2 invoices" in rec[0]["evidence"]
