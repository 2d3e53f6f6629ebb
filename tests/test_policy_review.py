"""The quarterly policy review (arkit.review.policy_review): every figure on a hand-written ledger whose answer
is worked out in the test's docstring, every recommendation rule on hand-made evidence, and the sections on
the sample ledger (hostile names, missing data).

The quarter is 2026Q3 throughout: 2026-07-01 to 2026-09-30 (92 days); "the year" is 2025-10-01 to 2026-09-30.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from IPython.display import Markdown

from arkit.kpis import kpis
from arkit.model import Ledger
from arkit.policy import load_policy
from arkit.review import policy_review as pr
from arkit.review.signals import credit_utilisation
from arkit.sample import make_sample_ledger
from tests.ledgers import invoices, payments

Q = "2026Q3"
POLICY = load_policy()


def acts(rows) -> pd.DataFrame:
    """rows: (date, customer_id, action, invoice_id or None[, outcome[, promised_date, promised_amount]])."""
    full = [tuple(r) + (None,) * (7 - len(r)) for r in rows]
    return pd.DataFrame(full, columns=["date", "customer_id", "action", "invoice_id", "outcome", "promised_date", "promised_amount"])


def make(inv_rows, pay_rows=(), act_rows=(), customers=None, pay_methods=None, terms=None) -> Ledger:
    inv = invoices(inv_rows)
    if terms is not None:
        inv["terms"] = terms
    pay = payments(list(pay_rows)) if pay_rows else None
    if pay is not None and pay_methods is not None:
        pay["method"] = pay_methods
    return Ledger.from_frames(inv, pay, customers, acts(act_rows) if act_rows else None)


# --------------------------------------------------------------------------------------------- quarters


def test_quarters():
    assert pr.parse_quarter("2026Q3") == pd.Period("2026Q3", "Q")
    assert pr.parse_quarter(" 2026-q3 ") == pd.Period("2026Q3", "Q")
    assert pr.parse_quarter(pd.Period("2026Q1", "Q")) == pd.Period("2026Q1", "Q")
    assert pr.quarter_bounds("2026Q3") == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30"))
    assert pr.quarter_bounds("2024Q1") == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"))
    with pytest.raises(ValueError, match="2026Q3"):
        pr.parse_quarter("2026-07")


def test_last_complete_quarter():
    """Latest date 2026-09-30 (a quarter end) → 2026Q3; 2026-10-05 → 2026Q3 as well; 2026-09-29 → 2026Q2."""
    for last, q in (("2026-09-30", "2026Q3"), ("2026-10-05", "2026Q3"), ("2026-09-29", "2026Q2")):
        led = make([("A", "I1", last, last, 10.0)])
        assert pr.last_complete_quarter(led) == pd.Period(q, "Q")


# --------------------------------------------------------------------------------------------- outcomes

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
    CEI = (1,300 + 2,400 − 1,100) ÷ (1,300 + 2,400 − 500) = 2,600 ÷ 3,200 = 81.25 %;
    DSO = 1,100 ÷ 2,400 × 92 = 42.1667; BPDSO = 500 ÷ 2,400 × 92 = 19.1667; ADD = 23.0;
    % current = 500 ÷ 1,100 = 45.45 %; 91+: X1 400 (113 days) + X5 300 (152 days) = 700 ÷ 1,100 = 63.64 %;
    write-off of X5 on 08-15 = its balance 300 (the second write-off is not counted again) → 300 ÷ 2,400 = 12.5 %."""
    led = make(OUT_INV, OUT_PAY, OUT_ACT)
    f = pr.quarterly_figures(led, Q, quarters=2)
    assert list(f.index) == ["2026Q2", "2026Q3"]
    q2, q3 = f.loc["2026Q2"], f.loc["2026Q3"]
    assert (q2["sales"], q2["collections"], q2["open_ar"], q2["cei"]) == (1300.0, 0.0, 1300.0, 0.0)
    assert (q3["sales"], q3["collections"], q3["open_ar"], q3["current_ar"]) == (2400.0, 2600.0, 1100.0, 500.0)
    assert q3["cei"] == pytest.approx(81.25)
    assert q3["dso"] == pytest.approx(1100 / 2400 * 92)
    assert q3["bpdso"] == pytest.approx(500 / 2400 * 92)
    assert q3["add"] == pytest.approx(23.0)
    assert q3["pct_current"] == pytest.approx(500 / 1100 * 100)
    assert q3["pct_91_plus"] == pytest.approx(700 / 1100 * 100)
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
    """DSO 42.17 against 45 (lower is better) → on target; CEI 81.25 against 80 → on target, and 0 % in Q2 →
    on target in 1 of 2 quarters; current share 45.45 against 75 → off target, gap −29.55."""
    led = make(OUT_INV, OUT_PAY, OUT_ACT)
    o = pr.outcomes_vs_targets(pr.quarterly_figures(led, Q, quarters=2), policy=POLICY).set_index("figure")
    assert o.loc["dso", "on_target"] is True and o.loc["dso", "gap"] == pytest.approx(1100 / 2400 * 92 - 45)
    assert o.loc["cei", "on_target"] is True and o.loc["cei", "quarters_on_target"] == "1 of 2"
    assert o.loc["pct_current", "on_target"] is False and o.loc["pct_current", "gap"] == pytest.approx(500 / 1100 * 100 - 75)
    assert o.loc["sales", "on_target"] is None and math.isnan(o.loc["sales", "target"])
    assert o.loc["cei", "previous"] == 0.0 and math.isnan(o.loc["cei", "year_ago"])


# --------------------------------------------------------------------------------------------- escalation

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


def test_referrals_hand_computed():
    """R: R1 1,000 and R2 400 (100 paid 06-10) open at the agency referral on 07-15 → owed 1,000 + 300 =
    1,300; 600 paid to R1 on 08-10 → recovered 600 (46.15 %), still open 700; R3 (issued after the referral)
    does not count. Legal on 08-20 → stage "agency and legal". R2 written off 09-15 at its balance 300.
    T, referred 2025-09-01 (before the year), is not listed."""
    inv = [
        ("R", "R1", "2026-03-01", "2026-03-31", 1000.00),
        ("R", "R2", "2026-04-01", "2026-05-01", 400.00),
        ("R", "R3", "2026-08-01", "2026-08-31", 250.00),
        ("T", "T1", "2025-05-01", "2025-05-31", 100.00),
    ]
    pay = [("R", "R2", "2026-06-10", 100.00), ("R", "R1", "2026-08-10", 600.00)]
    act = [("2026-07-15", "R", "agency", "R1"), ("2026-08-20", "R", "legal", "R1"), ("2026-09-15", "R", "write_off", "R2"), ("2025-09-01", "T", "agency", "T1")]
    r = pr.referrals(make(inv, pay, act), Q)
    assert r["customer_id"].tolist() == ["R"]
    row = r.iloc[0]
    assert (row["owed"], row["recovered"], row["open_now"], row["written_off"]) == (1300.00, 600.00, 700.00, 300.00)
    assert row["pct_recovered"] == pytest.approx(600 / 1300 * 100)
    assert row["stage"] == "agency and legal" and row["in_quarter"]
    assert (row["referred"], row["legal_date"]) == (pd.Timestamp("2026-07-15"), pd.Timestamp("2026-08-20"))


# --------------------------------------------------------------------------------------------- credit


def test_credit_utilisation_hand_computed():
    """U1 (limit 1,000): 800 on 06-15, +400 on 08-10, −300 paid 09-05 → 80 % (07-31), 120 % (08-31), 90 %
    (09-30): one month end over. U2 (limit 500): 600 on 07-01 paid 07-20, 100 on 09-01 → 0 %, 0 %, 20 %.
    U3 has no limit. Bands at 09-30: U1 "80-100 %", U2 "under 50 %"."""
    inv = [("U1", "a", "2026-06-15", "2026-07-15", 800.00), ("U1", "b", "2026-08-10", "2026-09-09", 400.00), ("U2", "c", "2026-07-01", "2026-07-31", 600.00), ("U2", "d", "2026-09-01", "2026-10-01", 100.00), ("U3", "e", "2026-09-01", "2026-10-01", 50.00)]
    pay = [("U1", "a", "2026-09-05", 300.00), ("U2", "c", "2026-07-20", 600.00)]
    cust = pd.DataFrame({"customer_id": ["U1", "U2", "U3"], "credit_limit": [1000.0, 500.0, None]})
    led = make(inv, pay, customers=cust)
    u = pr.credit_utilisation_history(led, Q).set_index("customer_id")
    assert list(u.index) == ["U1", "U2"]
    assert u.loc["U1", ["util_2026-07", "util_2026-08", "util_2026-09"]].tolist() == pytest.approx([80.0, 120.0, 90.0])
    assert u.loc["U2", ["util_2026-07", "util_2026-08", "util_2026-09"]].tolist() == pytest.approx([0.0, 0.0, 20.0])
    assert u.loc["U1", "months_over"] == 1 and not u.loc["U1", "over_all"] and u.loc["U1", "open_ar"] == 900.0
    b = pr.utilisation_bands(u.reset_index()).set_index("band")
    assert b["customers"].tolist() == [1, 0, 1, 0] and b.loc["80-100 %", "open_ar"] == 900.0
    # the quarter-end utilisation is the monthly review's
    cu = credit_utilisation(led, "2026-09-30").set_index("customer_id")
    assert u["utilisation"].to_numpy() / 100 == pytest.approx(cu.loc[u.index, "utilisation"].to_numpy())


HOLD_ACT = [
    ("2026-03-01", "H", "credit_hold", "H1"),
    ("2026-03-05", "H", "credit_hold", "H1"),
    ("2026-03-20", "H", "credit_release", None),
    ("2026-03-25", "H", "credit_release", None),
    ("2026-09-01", "H", "credit_hold", "H3"),
]
HOLD_INV = [
    ("H", "H1", "2026-01-15", "2026-02-14", 1000.00),
    ("H", "CN1", "2026-03-10", "2026-03-10", -50.00),
    ("H", "H2", "2026-04-10", "2026-05-10", 200.00),
    ("H", "H3", "2026-06-01", "2026-07-01", 10.00),
]
HOLD_PAY = [("H", "H1", "2026-02-20", 1000.00), ("H", "H2", "2026-05-01", 150.00)]


def test_hold_episodes_and_effects_hand_computed():
    """Holds: 03-01 (the 03-05 hold repeats it) released 03-20 → 19 days; the 03-25 release has nothing to
    release; 09-01 still in force at 09-30 → 29 days, open. Effects (holds placed 2025-07-03 … 2026-07-02):
    the 03-01 hold: before = 2025-12-01 … 2026-02-28: sales 1,000 (H1), payments 1,000; after = 03-01 …
    05-29: sales −50 + 200 = 150, payments 150, bought again. Sales change (150 − 1,000) ÷ 1,000 = −85 %."""
    led = make(HOLD_INV, HOLD_PAY, HOLD_ACT)
    h = pr.hold_episodes(led, "2026-09-30")
    assert h["placed"].tolist() == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-09-01")]
    assert h["released"].iloc[0] == pd.Timestamp("2026-03-20") and pd.isna(h["released"].iloc[1])
    assert h["days_on_hold"].tolist() == [19, 29] and h["open"].tolist() == [False, True]
    e = pr.hold_effects(led, h, end="2026-09-30")
    assert len(e) == 1
    assert e.iloc[0][["sales_before", "sales_after", "payments_before", "payments_after"]].tolist() == [1000.0, 150.0, 1000.0, 150.0]
    assert bool(e.iloc[0]["bought_after"])
    t = pr.hold_effect_totals(e)
    assert t["sales_change_pct"] == pytest.approx(-85.0) and t["payments_change_pct"] == pytest.approx(-85.0)


# --------------------------------------------------------------------------------------------- disputes

DISP_INV = [
    ("D", "D1", "2026-06-01", "2026-07-01", 1000.00),
    ("D", "D2", "2026-06-15", "2026-07-15", 500.00),
    ("D", "D3", "2026-07-01", "2026-07-31", 800.00),
]
DISP_PAY = [("D", "D1", "2026-08-20", 1000.00), ("D", "D3", "2026-08-10", 800.00)]
DISP_ACT = [
    ("2026-07-05", "D", "dispute_opened", "D1", "pricing"),
    ("2026-08-04", "D", "dispute_resolved", "D1", "credit_issued"),
    ("2026-09-10", "D", "dispute_opened", "D2", "quantity"),
]


def test_disputes_hand_computed():
    """D1 opened 07-05, resolved 08-04 → 30 days; D2 opened 09-10, open at 09-30. In Q3: 2 opened on
    1,000 + 500 = 1,500; 1 resolved, median 30 days; 1 open at the end."""
    led = make(DISP_INV, DISP_PAY, DISP_ACT)
    d = pr.dispute_episodes(led, "2026-09-30")
    assert d["invoice_id"].tolist() == ["D1", "D2"]
    assert d["days_to_resolve"].iloc[0] == 30.0 and math.isnan(d["days_to_resolve"].iloc[1])
    assert d["reason"].tolist() == ["pricing", "quantity"] and d["resolution"].iloc[0] == "credit_issued"
    assert pr.dispute_quarter(d, Q) == {"opened": 2, "opened_amount": 1500.0, "resolved": 1, "median_days_to_resolve": 30.0, "mean_days_to_resolve": 30.0, "open_at_end": 1}


def test_past_due_amount_days_and_dispute_share():
    """Amount-days over Q3 (07-01 … 09-30):
    D1 due 07-01: past due 07-02 … 09-30 = 91 days; 1,000 paid 08-20 counts 09-30 − 08-20 + 1 = 42 days →
      1,000 × 91 − 1,000 × 42 = 49,000 (= 1,000 × the 49 days 07-02 … 08-19);
    D2 due 07-15, unpaid: 07-16 … 09-30 = 77 days × 500 = 38,500;
    D3 due 07-31, paid 08-10: 08-01 … 08-09 = 9 days × 800 = 7,200.
    Total 94,700; disputed (D1, D2) 87,500 → 92.40 %."""
    led = make(DISP_INV, DISP_PAY, DISP_ACT)
    a = pr.past_due_amount_days(led, "2026-07-01", "2026-09-30") / 100
    assert a.tolist() == pytest.approx([49_000.0, 38_500.0, 7_200.0])
    s = pr.dispute_lateness(led, Q)
    assert (s["amount_days"], s["disputed_amount_days"], s["disputed_invoices"]) == (94_700.0, 87_500.0, 2)
    assert s["share_pct"] == pytest.approx(87_500 / 94_700 * 100)


# --------------------------------------------------------------------------------------------- plans


def test_plan_activity_hand_computed():
    """P agreed 05-01: 100 due 06-01 and 07-01, paid 05-30 and 07-02 → on track at 06-30 (paid 100),
    completed at 09-30 (paid 200): completed in Q3, 100 recovered in Q3.
    Q agreed 07-10: 3 × 100 due 08-10, 09-10, 10-10, nothing paid → two missed past 5 days' grace → broken:
    started and broken in Q3. S agreed 03-01, 2 × 50 unpaid → broken already at 06-30: not counted again."""
    inv = [("P", "P1", "2026-03-01", "2026-03-31", 200.0), ("Q", "Q1", "2026-03-01", "2026-03-31", 300.0), ("S", "S1", "2026-01-01", "2026-01-31", 100.0)]
    pay = [("P", "P1", "2026-05-30", 100.0), ("P", "P1", "2026-07-02", 100.0)]
    act = [
        ("2026-05-01", "P", "payment_plan", None, "installment 1/2", "2026-06-01", 100.0),
        ("2026-05-01", "P", "payment_plan", None, "installment 2/2", "2026-07-01", 100.0),
        ("2026-07-10", "Q", "payment_plan", None, "installment 1/3", "2026-08-10", 100.0),
        ("2026-07-10", "Q", "payment_plan", None, "installment 2/3", "2026-09-10", 100.0),
        ("2026-07-10", "Q", "payment_plan", None, "installment 3/3", "2026-10-10", 100.0),
        ("2026-03-01", "S", "payment_plan", None, "installment 1/2", "2026-04-01", 50.0),
        ("2026-03-01", "S", "payment_plan", None, "installment 2/2", "2026-05-01", 50.0),
    ]
    p = pr.plan_activity(make(inv, pay, act), Q).set_index("customer_id")
    assert p.loc[["P", "Q", "S"], "prev_status"].tolist() == ["on track", "", "broken"]
    assert p.loc[["P", "Q", "S"], "status"].tolist() == ["completed", "broken", "broken"]
    assert p.loc[["P", "Q", "S"], "started"].tolist() == [False, True, False]
    assert p.loc[["P", "Q", "S"], "completed"].tolist() == [True, False, False]
    assert p.loc[["P", "Q", "S"], "broken"].tolist() == [False, True, False]
    assert p.loc[["P", "Q", "S"], "recovered_in_quarter"].tolist() == [100.0, 0.0, 0.0]
    t = pr.plan_quarter(p.reset_index())
    assert (t["started"], t["completed"], t["broken"], t["recovered_in_quarter"], t["promised"]) == (1, 1, 1, 100.0, 600.0)


# --------------------------------------------------------------------------------------------- retention

RET_INV = [
    ("K", "K1", "2025-11-01", "2025-12-01", 1000.0),
    ("K", "K2", "2026-09-01", "2026-10-01", 400.0),
    ("L", "L1", "2025-12-01", "2025-12-31", 700.0),
    ("M", "M1", "2026-05-01", "2026-05-31", 300.0),
    ("M", "M2", "2026-08-15", "2026-09-14", 200.0),
    ("N", "N1", "2025-06-01", "2025-07-01", 900.0),
    ("O", "O1", "2026-06-01", "2026-07-01", 100.0),
    ("P", "P1", "2026-05-02", "2026-06-01", 100.0),
]
RET_PAY = [("K", "K1", "2026-02-15", 1000.0), ("L", "L1", "2026-04-01", 700.0), ("O", "O1", "2026-08-15", 100.0), ("P", "P1", "2026-07-31", 100.0)]


def test_retention_hand_computed():
    """Delinquent = an invoice more than 60 days past due and unpaid on a day of the year (2025-10-01 …):
    K: K1 due 12-01, still unpaid on 2026-01-31 (day 61) → delinquent since 01-31; paid 02-15; nothing past
       due at 09-30, invoiced 09-01 → recovered, still buying.
    L: L1 due 12-31 unpaid on 03-02 → since 2026-03-02; paid 04-01; last invoice 2025-12-01 → recovered,
       stopped buying.
    M: M1 due 05-31 unpaid on 07-31 → since 07-31; 122 days past due at 09-30 (300 over 30 days); invoiced
       08-15 → still delinquent, still buying.
    N: N1 due 2025-07-01, unpaid since → delinquent from the year's first day 2025-10-01; last invoice
       2025-06-01 → still delinquent, stopped buying (oldest 456 days).
    O paid 45 days late, P exactly 60 days late (paid on day 60): neither is delinquent."""
    r = pr.retention(make(RET_INV, RET_PAY), Q).set_index("customer_id")
    assert sorted(r.index) == ["K", "L", "M", "N"]
    assert r.loc[["K", "L", "M", "N"], "outcome"].tolist() == list(pr.RETENTION_OUTCOMES)
    assert r.loc[["K", "L", "M", "N"], "delinquent_since"].tolist() == [pd.Timestamp(d) for d in ("2026-01-31", "2026-03-02", "2026-07-31", "2025-10-01")]
    assert r.loc[["K", "L", "M", "N"], "past_due_now"].tolist() == [0.0, 0.0, 300.0, 900.0]
    assert r.loc["N", "oldest_days_past_due"] == 456 and r.loc["K", "oldest_days_past_due"] == 0
    assert (r.loc["K", "sales_before"], r.loc["K", "sales_since"]) == (1000.0, 400.0)
    s = pr.retention_summary(r.reset_index()).set_index("outcome")
    assert s["customers"].tolist() == [1, 1, 1, 1] and s["share"].tolist() == [25.0] * 4


def test_retention_windows_are_options():
    """With delinquent_days=40, O (45 days late) is delinquent too (since 08-11), recovered and — invoiced 06-01,
    before it became delinquent — stopped buying."""
    r = pr.retention(make(RET_INV, RET_PAY), Q, delinquent_days=40).set_index("customer_id")
    assert r.loc["O", "delinquent_since"] == pd.Timestamp("2026-08-11")
    assert r.loc["O", "outcome"] == "recovered, stopped buying"


# --------------------------------------------------------------------------------------------- billing

BILL_INV = [
    ("E", "E1", "2026-03-05", "2026-04-04", 100.0),
    ("E", "E2", "2026-03-15", "2026-04-14", 200.0),
    ("E", "E3", "2026-03-25", "2026-04-24", 300.0),
    ("E", "E4", "2026-04-28", "2026-05-28", 400.0),
    ("F", "F1", "2026-05-10", "2026-06-09", 500.0),
    ("F", "F2", "2026-05-22", "2026-06-21", 100.0),
]
BILL_PAY = [
    ("E", "E1", "2026-04-06", 100.0),
    ("E", "E2", "2026-04-14", 200.0),
    ("E", "E3", "2026-05-10", 300.0),
    ("E", "E4", "2026-06-17", 400.0),
    ("F", "F1", "2026-06-04", 500.0),
    ("F", "F2", "2026-06-21", 100.0),
]
BILL_METHODS = ["check", "check", "check", "ach", "wire", "wire"]


@pytest.fixture(scope="module")
def settled():
    led = make(BILL_INV, BILL_PAY, pay_methods=BILL_METHODS, terms=["Net 30"] * 4 + [None, None])
    return pr.settled_invoices(led, "2025-10-01", "2026-09-30")


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


def test_early_pay_terms_parsing_and_cost():
    """2/10 net 30: 0.02 ÷ 0.98 × 365 ÷ 20 = 37.24 % a year."""
    t = pr.early_pay_terms(pd.Series(["2/10 Net 30", "1.5% / 15, net 45", "2/10 n/30", "Net 30", None]))
    assert t.iloc[0].tolist() == [0.02, 10, 30] and t.iloc[1].tolist() == pytest.approx([0.015, 15, 45])
    assert t.iloc[2].tolist() == [0.02, 10, 30] and t.iloc[3:].isna().all().all()
    assert pr.discount_annual_cost(0.02, 10, 30) == pytest.approx(0.02 / 0.98 * 365 / 20 * 100)
    assert math.isnan(pr.discount_annual_cost(0.02, 30, 30))


def test_early_pay_take_up_hand_computed():
    """2/10 Net 30 invoices, window = invoice date + 10 days:
    G1 1,000 (08-01) paid 980 on 08-09 → ≥ 1,000 − 20 → taken (a short payment), discount 20;
    G2 500 (08-05) paid in full 08-20, after 08-15 → not taken;
    G3 300 (09-25): window closes 10-05, after the year → not eligible;
    G4 250 (08-10) paid 245 on 08-20, the last day → taken, discount 5;
    G5 1,000 (07-01) paid in full 07-08 (the discount as a credit note) → taken, discount 20.
    Take-up 3 of 4 = 75 %; by amount 2,250 ÷ 2,750 = 81.8 %; discounts 45. Days to pay: takers settled in
    full — G5 7; the other, G2, 15."""
    inv = [
        ("G", "G1", "2026-08-01", "2026-08-31", 1000.0),
        ("G", "G2", "2026-08-05", "2026-09-04", 500.0),
        ("G", "G3", "2026-09-25", "2026-10-25", 300.0),
        ("G", "G4", "2026-08-10", "2026-09-09", 250.0),
        ("G", "G5", "2026-07-01", "2026-07-31", 1000.0),
        ("G", "CN5", "2026-07-08", "2026-07-08", -20.0),
    ]
    pay = [("G", "G1", "2026-08-09", 980.0), ("G", "G2", "2026-08-20", 500.0), ("G", "G4", "2026-08-20", 245.0), ("G", "G5", "2026-07-08", 1000.0), ("G", "CN5", "2026-07-08", -20.0)]
    led = make(inv, pay, terms=["2/10 Net 30"] * 5 + ["Early-payment discount"])
    t = pr.early_pay_take_up(led, "2025-10-01", "2026-09-30").set_index("invoice_id")
    assert sorted(t.index) == ["G1", "G2", "G4", "G5"]
    assert t.loc[["G1", "G2", "G4", "G5"], "taken"].tolist() == [True, False, True, True]
    assert t.loc[["G1", "G2", "G4", "G5"], "discount"].tolist() == [20.0, 0.0, 5.0, 20.0]
    s = pr.early_pay_summary(t.reset_index()).iloc[0]
    assert (s["terms"], s["eligible"], s["taken"], s["pct_taken"], s["discount"]) == ("2/10 Net 30", 4, 3, 75.0, 45.0)
    assert s["pct_amount_taken"] == pytest.approx(2250 / 2750 * 100)
    assert (s["days_to_pay_taken"], s["days_to_pay_not_taken"]) == (7.0, 15.0)


# --------------------------------------------------------------------------------------------- rules


def test_rule_targets_missed():
    """DSO 50.1 and 52.3 against 45 → missed twice → fires; CEI 85 then 79 against 80 → missed once → not
    named. DSO 50.1 then 44.0 → nothing fires."""
    f = pd.DataFrame({"dso": [50.1, 52.3], "cei": [85.0, 79.0]}, index=["2026Q2", "2026Q3"])
    r = pr.rule_targets_missed(f, policy=POLICY)
    assert len(r) == 1 and "DSO, quarter" in r[0]["evidence"] and "50.1, 52.3 days against 45 days" in r[0]["evidence"]
    assert "Collection" not in r[0]["evidence"]
    assert pr.rule_targets_missed(pd.DataFrame({"dso": [50.1, 44.0], "cei": [85.0, 79.0]}), policy=POLICY) == []


def test_rule_ladder_step():
    """call: 40 of 80 on time (50 %) → named; letter 70 of 80 (87.5 %) → not; legal 5 of 10 decided (< 20)
    → not."""
    s = pd.DataFrame(
        {
            "step": ["call", "formal_letter", "legal_review"], "owner": ["collector", "collector", "controller"], "day": [15, 30, 120],
            "on_time": [40, 70, 5], "late": [30, 5, 0], "never": [10, 5, 5], "pct_on_time": [50.0, 87.5, 50.0], "median_delay_days": [4.0, 0.0, 0.0],
        }
    )  # fmt: skip
    r = pr.rule_ladder_step(s)
    assert len(r) == 1 and "call (50 %)" in r[0]["recommendation"] and "formal_letter" not in r[0]["recommendation"]
    assert "40 of 80 on time, 30 late, 10 never, median delay 4 days" in r[0]["evidence"]
    assert pr.rule_ladder_step(s, min_on_time_pct=40) == []


def test_rule_agency_recovery():
    """3 customers owing 10,000, 1,500 recovered = 15 % < 25 % → fires; 2 customers → not; 3,000 recovered
    (30 %) → not."""
    refs = pd.DataFrame({"owed": [5000.0, 3000.0, 2000.0], "recovered": [1000.0, 500.0, 0.0]})
    r = pr.rule_agency_recovery(refs)
    assert len(r) == 1 and "only 15 %" in r[0]["recommendation"] and r[0]["customers"] == 3
    assert pr.rule_agency_recovery(refs.head(2)) == []
    assert pr.rule_agency_recovery(refs.assign(recovered=[2000.0, 1000.0, 0.0])) == []


def test_rule_credit_limit_review():
    """A 120 % then 130 % → listed; B 120 % then 90 % → not; C 101 % then exactly 100 % → not (above 100 %
    is required)."""
    u = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "customer_name": ["Alpha", "Beta", "Gamma"], "credit_limit": [1000.0, 1000.0, 1000.0], "open_ar": [1300.0, 900.0, 1000.0],
         "utilisation": [130.0, 90.0, 100.0], "util_2026-07": [50.0, 50.0, 50.0], "util_2026-08": [120.0, 120.0, 101.0], "util_2026-09": [130.0, 90.0, 100.0]}
    )  # fmt: skip
    r = pr.rule_credit_limit_review(u)
    assert len(r) == 1 and r[0]["customers"] == 1
    assert r[0]["recommendation"] == "Review the credit limit of 1 customers above 100 % utilisation for 2 months."
    assert "Alpha at 130 %" in r[0]["evidence"]
    assert len(pr.rule_credit_limit_review(u, months=3)) == 0


def test_rule_credit_holds():
    """Sales 100,000 before, 60,000 after = −40 % (more than 30 %) over 3 holds → fires; −20 % → not; 2 holds →
    not."""
    t = {"holds": 3, "sales_before": 100_000.0, "sales_after": 60_000.0, "sales_change_pct": -40.0, "payments_change_pct": 10.0}
    r = pr.rule_credit_holds(t)
    assert len(r) == 1 and "sales fell 40 %" in r[0]["evidence"] and "+10 %" in r[0]["evidence"]
    assert pr.rule_credit_holds({**t, "sales_change_pct": -20.0}) == []
    assert pr.rule_credit_holds({**t, "holds": 2}) == []


def test_rule_disputes():
    """Share 20 % ≥ 15 % → fires; share 5 % and median 12 days → not; share 5 % and median 31 days → fires."""
    q = {"resolved": 10, "median_days_to_resolve": 12.0}
    assert len(pr.rule_disputes({"share_pct": 20.0}, q)) == 1
    assert pr.rule_disputes({"share_pct": 5.0}, q) == []
    r = pr.rule_disputes({"share_pct": 5.0}, {**q, "median_days_to_resolve": 31.0})
    assert len(r) == 1 and "median of 31 days" in r[0]["evidence"]


def test_rule_lost_customers():
    """10 delinquent, 3 stopped buying (30 % > 20 %) → fires, one of them paid up; 2 stopped (20 %) → not."""
    ret = pd.DataFrame({"customer_name": list("ABCDEFGHIJ"), "still_buying": [False] * 3 + [True] * 7, "recovered": [True, False, False] + [True] * 7, "past_due_now": [0.0, 100.0, 50.0] + [0.0] * 7})
    r = pr.rule_lost_customers(ret)
    assert len(r) == 1 and "3 of the 10" in r[0]["recommendation"] and r[0]["customers"] == 3
    assert r[0]["evidence"] == "1 of them paid up before leaving (A); 2 still owe 150.00."
    assert pr.rule_lost_customers(ret.assign(still_buying=[False] * 2 + [True] * 8)) == []


def test_rule_month_end_billing(settled):
    """From the billing example with at least 2 invoices of each kind: E (month-end 18.0 days late against
    1.0, gap 17 ≥ 10) is listed; F has one month-end invoice → not. With the default of 3, nobody."""
    c = pr.billing_by_customer(settled)
    r = pr.rule_month_end_billing(c, pd.Series({"E": "Echo & Co", "F": "Fox"}), min_invoices=2)
    assert len(r) == 1 and r[0]["customers"] == 1
    assert r[0]["recommendation"] == "Move 1 customers billed at month end, who pay those invoices 18 days late on average, to mid-month billing."
    assert "18.0 days late on average against 1.0" in r[0]["evidence"] and "Echo & Co" in r[0]["evidence"]
    assert pr.rule_month_end_billing(c) == []


def test_rule_payment_method():
    """ach 100 invoices 3.0 days late, check 100 at 9.0: average 6.0; check is 3.0 days later → fires (≥ 3).
    Adding card (10 invoices at 30.0) moves the average to 7.14: check +1.86 → not; card has too few invoices."""
    m = pd.DataFrame({"method": ["ach", "check"], "invoices": [100, 100], "avg_days_late": [3.0, 9.0]})
    r = pr.rule_payment_method(m)
    assert len(r) == 1 and "by check" in r[0]["recommendation"] and "against 6.0" in r[0]["evidence"]
    m2 = pd.concat([m, pd.DataFrame({"method": ["card"], "invoices": [10], "avg_days_late": [30.0]})])
    assert pr.rule_payment_method(m2) == []


def test_rule_terms():
    """Net 60 at 18.2 days late (40 invoices) → named; Net 30 at 10.0 → not; Net 15 at 20.0 but 10 invoices → not."""
    t = pd.DataFrame({"terms": ["Net 60", "Net 30", "Net 15"], "invoices": [40, 100, 10], "avg_days_late": [18.2, 10.0, 20.0], "pct_late": [70.0, 50.0, 80.0], "avg_days_to_pay": [78.2, 40.0, 35.0]})
    r = pr.rule_terms(t)
    assert len(r) == 1 and "Net 60 (18 days)" in r[0]["recommendation"] and "Net 15" not in r[0]["recommendation"]


def test_rule_early_pay():
    """Taken on 30 of 300 eligible (10 % < 25 %) → fires; on 100 of 300 (33 %) → not."""
    s = pd.DataFrame({"terms": ["2/10 Net 30"], "customers": [5], "eligible": [300], "taken": [30], "pct_taken": [10.0], "discount": [600.0], "annual_cost_pct": [37.24], "days_to_pay_taken": [8.0], "days_to_pay_not_taken": [48.0]})
    r = pr.rule_early_pay(s)
    assert len(r) == 1 and "only 10 %" in r[0]["recommendation"] and "30 of 300" in r[0]["evidence"]
    assert pr.rule_early_pay(s.assign(taken=[100], pct_taken=[100 / 3])) == []


def test_rule_thresholds_table_follows_the_defaults():
    t = pr.rule_thresholds().set_index("rule")["fires_when"]
    assert len(t) == len(pr.RULES)
    assert "fewer than 75 %" in t["ladder step"] and "at least 20 decided" in t["ladder step"]
    assert "10 days or more" in t["month end billing"]


# --------------------------------------------------------------------------------------------- on the sample

HOSTILE = "<script>alert(1)</script> O'Neill & =HYPERLINK(\"http://x\") *b* [l](http://x)"


@pytest.fixture(scope="module")
def sample_frames():
    return make_sample_ledger(n_invoices=2500, seed=3, as_of="2026-09-30")


@pytest.fixture(scope="module")
def review(sample_frames):
    frames = {k: v.copy() for k, v in sample_frames.items()}
    names = HOSTILE + " " + frames["customers"]["customer_id"]
    frames["customers"]["customer_name"] = names
    frames["invoices"]["customer_name"] = frames["invoices"]["customer_id"].map(dict(zip(frames["customers"]["customer_id"], names)))
    return pr.build(Ledger.from_frames(**frames), Q, policy=POLICY)


SECTIONS = ("section_policy", "section_outcomes", "section_escalation", "section_credit", "section_disputes", "section_plans", "section_retention", "section_billing", "section_recommendations", "section_appendix")


def _html(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, Markdown):
            out.append(p.data)
        elif isinstance(p, plt.Figure):
            assert p.axes and p.axes[0].get_title(loc="left"), "every figure has a title"
            assert p.axes[0].get_ylabel() or p.axes[0].get_xlabel(), "every figure has an axis label"
            plt.close(p)
        else:
            out.append(p.to_html())
    return "\n".join(out)


def test_every_section_renders_with_data_and_escapes(review, tmp_path):
    html = "\n".join(_html(getattr(pr, name)(review)) for name in SECTIONS)
    assert "<script>" not in html and "&lt;script&gt;" in html
    for absent in ("no collections activity log", "No credit limits", "No credit holds", "No disputes", "No payment plans", "No customer was", "early-payment terms", "No rule fired"):
        assert absent not in html, absent
    book = pr.save_book(review, tmp_path)
    with pd.ExcelFile(book, engine="calamine") as xl:
        sheets = set(xl.sheet_names)
    assert {"outcomes", "quarterly figures", "ladder adherence", "referrals", "credit utilisation", "credit holds", "hold effects", "disputes", "payment plans", "retention", "lateness by billing day", "early-pay take-up", "recommendations", "definitions"} <= sheets


def test_sample_exercises_every_section(review):
    """The sample ledger's activity log gives each section something to show in 2026Q3."""
    r = review
    assert r.figures.loc["2026Q3", "write_offs"] > 0
    s = r.adherence_summary
    assert (s["on_time"] > 0).all() and s["late"].sum() > 0 and s["never"].sum() > 0
    assert len(r.referrals) and r.referrals["recovered"].sum() > 0
    assert r.utilisation["months_over"].max() >= 2
    q_holds = r.holds[(r.holds["placed"] >= r.start) & (r.holds["placed"] <= r.end)]
    q_rel = r.holds[(r.holds["released"] >= r.start) & (r.holds["released"] <= r.end)]
    assert len(q_holds) and len(q_rel) and len(r.hold_effects)
    assert pr.dispute_quarter(r.disputes, Q)["resolved"] > 0 and r.dispute_lateness["share_pct"] > 0
    t = pr.plan_quarter(r.plans)
    assert t["started"] >= 1 and t["completed"] >= 1
    assert r.retention["recovered"].any() and (~r.retention["still_buying"]).any()
    assert len(r.early_pay_summary) and r.early_pay_summary["taken"].sum() > 0
    assert len(r.recommendations) >= 3


def test_build_does_not_modify_the_ledger(sample_frames):
    led = Ledger.from_frames(**sample_frames)
    before = {t: getattr(led, t).copy() for t in ("invoices", "payments", "customers", "activities")}
    pr.build(led, Q, policy=POLICY)
    for t, df in before.items():
        pd.testing.assert_frame_equal(getattr(led, t), df)


def test_quarter_figures_agree_with_kpis(review):
    """The quarter-end DSO, BPDSO and % current are arkit.kpis' at the quarter's last month end; sales and
    collections add up its three months."""
    k = kpis(review.ledger, "2026-07", "2026-09")
    f = review.figures.loc["2026Q3"]
    assert f["dso"] == pytest.approx(k["dso"].iloc[-1]) and f["bpdso"] == pytest.approx(k["bpdso"].iloc[-1])
    assert f["pct_current"] == pytest.approx(k["pct_current"].iloc[-1])
    assert f["sales"] == pytest.approx(k["sales"].sum()) and f["collections"] == pytest.approx(k["collections"].sum())


def test_sections_without_data_say_so(sample_frames):
    """No activity log and no customers table (so no credit limits): each section says so in a sentence."""
    led = Ledger.from_frames(sample_frames["invoices"], sample_frames["payments"])
    r = pr.build(led, Q, policy=POLICY)
    text = lambda parts: " ".join(p.data for p in parts if isinstance(p, Markdown))  # noqa: E731
    assert "no collections activity log" in text(pr.section_escalation(r))
    credit = text(pr.section_credit(r))
    assert "No credit limits are recorded" in credit and "No credit holds" in credit
    assert "No disputes are recorded" in text(pr.section_disputes(r))
    assert "No payment plans are recorded" in text(pr.section_plans(r))
    for parts in (pr.section_retention(r), pr.section_billing(r), pr.section_recommendations(r), pr.section_outcomes(r), pr.section_policy(r)):
        _html(parts)


def test_a_ledger_ending_before_the_quarter_is_flagged(sample_frames):
    led = Ledger.from_frames(**sample_frames)
    r = pr.build(led, "2026Q4", policy=POLICY, quarters=2)
    assert "latest entry is dated 30 September 2026" in " ".join(p.data for p in pr.section_header(r))
