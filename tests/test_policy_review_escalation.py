"""The quarterly policy review, adherence to the escalation ladder (policy_review.escalation): each figure on a hand-written ledger whose answer is worked out in
the test's docstring. The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30; "the year" is 2025-10-01 to 2026-09-30."""

from __future__ import annotations

import math
import pandas as pd
import pytest

from arkit.review import policy_review as pr
from tests.policy_review_helpers import Q, POLICY, make


ADH_INV = [
    ("A", "A1", "2026-06-01", "2026-07-01", 1000.00),
    ("A", "A2", "2026-06-10", "2026-07-10", 500.00),
    ("A", "A3", "2026-06-05", "2026-07-05", 300.00),
    ("B", "B1", "2026-07-01", "2026-07-31", 200.00),
]
ADH_PAY = [("A", "A2", "2026-07-12", 500.00)]
ADH_ACT = [
    ("2026-06-28", "A", "reminder", "A1"),
    ("2026-07-03", "A", "reminder", "A1"),
    ("2026-07-25", "A", "call", "A1"),
    ("2026-08-10", "A", "credit_hold", "A1"),
    ("2026-08-31", "A", "demand_letter", "A1"),
    ("2026-07-01", "A", "dispute_opened", "A3", "pricing"),
    ("2026-08-01", "A", "dispute_resolved", "A3", "no_credit"),
    ("2026-07-15", "B", "credit_hold", None),
    ("2026-07-20", "B", "credit_release", None),
    ("2026-07-27", "B", "reminder", None),
    ("2026-08-06", "B", "reminder", "B1"),
    ("2026-08-15", "B", "call", "B1"),
]


@pytest.fixture(scope="module")
def adh_ledger():
    return make(ADH_INV, ADH_PAY, ADH_ACT)


def test_adherence_hand_computed(adh_ledger):
    """Configured ladder (no segments), tolerance 3 days. Triggers T = due + day, in Q3, invoice unpaid at T:

    A1 (due 07-01, never paid): overdue reminder T 07-02, done 07-03 (+1) on time [the 06-28 reminder is
      before due + 1, so it is the pre-due one, whose T 06-28 is outside Q3]; call T 07-16, done 07-25 (+9)
      late; letter T 07-31 never; hold T 08-15: placed 08-10, already on hold → done on T (0), on time;
      demand T 08-30, done 08-31 (+1) on time; agency T 09-29, deadline 10-02 after the quarter → pending.
    A2 (due 07-10, paid 07-12): pre-due reminder T 07-07 never (the deadline 07-10 passed unpaid); overdue
      reminder T 07-11, none, paid by the deadline 07-14 → not needed (dropped); call T 07-25 paid → no row.
    A3 (due 07-05, dispute 07-01 to 08-01): pre-due T 07-02, overdue 07-06 and call 07-20 fall in the
      dispute → left out; letter T 08-04 never; hold T 08-19, on hold since 08-10 → on time (0); demand T
      09-03 never.
    B1 (due 07-31): pre-due T 07-28, the customer-level reminder of 07-27 (−1) → on time; overdue T 08-01,
      reminder 08-06 (+5) late; call T 08-15 done that day (0) on time; letter T 08-30 never; hold T 09-14:
      the 07-15 hold was released 07-20 before T → never; demand T 09-29 → pending.
    """
    d = pr.escalation_adherence(adh_ledger, Q, policy=POLICY)
    got = {(r.invoice_id, r.step): (r.status, None if pd.isna(r.delay_days) else int(r.delay_days)) for r in d.itertuples()}
    assert got == {
        ("A1", "reminder_overdue"): ("on time", 1),
        ("A1", "call"): ("late", 9),
        ("A1", "formal_letter"): ("never", None),
        ("A1", "credit_hold"): ("on time", 0),
        ("A1", "demand_letter"): ("on time", 1),
        ("A1", "agency_review"): ("pending", None),
        ("A2", "reminder_before_due"): ("never", None),
        ("A3", "formal_letter"): ("never", None),
        ("A3", "credit_hold"): ("on time", 0),
        ("A3", "demand_letter"): ("never", None),
        ("B1", "reminder_before_due"): ("on time", -1),
        ("B1", "reminder_overdue"): ("late", 5),
        ("B1", "call"): ("on time", 0),
        ("B1", "formal_letter"): ("never", None),
        ("B1", "credit_hold"): ("never", None),
        ("B1", "demand_letter"): ("pending", None),
    }
    assert d.loc[(d["invoice_id"] == "A1") & (d["step"] == "call"), "trigger_date"].iloc[0] == pd.Timestamp("2026-07-16")


def test_adherence_summary_hand_computed(adh_ledger):
    """From the statuses above: pre-due reminder 1 on time (B1, −1), 1 never (A2) → 50 %, median −1;
    overdue reminder on time 1 (+1), late 1 (+5) → 50 %, median 3; call 1 on time (0), 1 late (+9) → 50 %,
    median 4.5; letter 3 never → 0 %; hold 2 on time, 1 never → 66.7 %, median 0; demand 1 on time, 1 never,
    1 pending → 50 %; agency 1 pending → NaN; legal none."""
    s = pr.adherence_summary(pr.escalation_adherence(adh_ledger, Q, policy=POLICY), policy=POLICY).set_index("step")
    assert list(s.index) == [x["step"] for x in POLICY["ladder"]]
    assert s[["on_time", "late", "never", "pending"]].loc["reminder_before_due"].tolist() == [1, 0, 1, 0]
    assert s.loc["reminder_before_due", "median_delay_days"] == -1.0
    assert s.loc["reminder_overdue", ["pct_on_time", "median_delay_days"]].tolist() == [50.0, 3.0]
    assert s.loc["call", ["pct_on_time", "median_delay_days"]].tolist() == [50.0, 4.5]
    assert s.loc["formal_letter", ["never", "pct_on_time", "pct_never"]].tolist() == [3, 0.0, 100.0]
    assert s.loc["credit_hold", "pct_on_time"] == pytest.approx(200 / 3)
    assert s.loc["demand_letter", ["invoices", "pending", "pct_on_time"]].tolist() == [3, 1, 50.0]
    assert s.loc["agency_review", "pending"] == 1 and math.isnan(s.loc["agency_review", "pct_on_time"])
    assert s.loc["legal_review", "invoices"] == 0


def test_adherence_gentle_path(adh_ledger):
    """A as a prompt payer: steps after day 1 come 10 days later and the credit hold is skipped. A1's call is
    due on 07-26 (due + 25): the 07-25 call is a day early → on time (−1); no hold row for A."""
    d = pr.escalation_adherence(adh_ledger, Q, policy=POLICY, segments=pd.Series({"A": "prompt"}))
    a1 = d[d["invoice_id"] == "A1"].set_index("step")
    assert a1.loc["call", "status"] == "on time" and a1.loc["call", "delay_days"] == -1
    assert a1.loc["call", "trigger_date"] == pd.Timestamp("2026-07-26")
    assert not ((d["customer_id"] == "A") & (d["step"] == "credit_hold")).any()
    assert (d.loc[d["customer_id"] == "B", "segment"] == "irregular").all()
    with pytest.raises(ValueError, match="tolerance_days"):
        pr.escalation_adherence(adh_ledger, Q, policy=POLICY, tolerance_days=-1)
