"""Monthly-review sections against hand-computed figures: signals, segments, risk score, ladder,
worklist, headline, concentration and the generated summary."""

import math

import numpy as np
import pandas as pd
import pytest

from arkit.model import Ledger
from arkit.policy import load_policy
from arkit.review.headline import aging_trend, change_drivers, concentration, headline, monthly_figures, summary_sentences
from arkit.review.segments import risk_score, segment_customers
from arkit.review.signals import customer_signals, open_disputes, promises, unanswered_contacts
from arkit.review.worklist import ladder_for, next_step, worklist
from tests.ledgers import invoices, payments

POLICY = load_policy()
AS_OF = pd.Timestamp("2026-06-30")


def _acts(rows):
    """An activity log from (date, customer_id, action, invoice_id, outcome, promised_date, promised_amount,
    note) rows, its dates as datetimes."""
    cols = ["date", "customer_id", "action", "invoice_id", "outcome", "promised_date", "promised_amount", "note"]
    acts = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    for c in ("date", "promised_date"):
        acts[c] = pd.to_datetime(acts[c])
    return acts


def small_ledger():
    """A: 1,000 due 05-01 unpaid (60 days past due at 06-30); promised 400 by 06-10, paid 400 on 06-05
    (kept); promised 600 by 06-20, nothing paid after (broken). Two unanswered calls in June.
    B: 500 due 06-15 (15 days past due), disputed on 06-20, still open."""
    inv = invoices(
        [
            ("A", "A1", "2026-04-01", "2026-05-01", 1000.0),
            ("A", "A0", "2026-03-01", "2026-03-31", 400.0),
            ("B", "B1", "2026-05-16", "2026-06-15", 500.0),
        ]
    )
    pay = payments([("A", "A0", "2026-06-05", 400.0)])
    acts = _acts(
        [
            ("2026-06-01", "A", "promise_to_pay", None, None, "2026-06-10", 400.0, None),
            ("2026-06-11", "A", "promise_to_pay", None, None, "2026-06-20", 600.0, None),
            ("2026-06-12", "A", "call", "A1", "no_answer", None, None, None),
            ("2026-06-22", "A", "call", "A1", "left_voicemail", None, None, None),
            ("2026-06-20", "B", "dispute_opened", "B1", None, None, None, "price"),
        ]
    )
    cust = pd.DataFrame({"customer_id": ["A", "B"], "customer_name": ["Alpha", "Beta"], "credit_limit": [800.0, 1000.0]})
    return Ledger.from_frames(inv, pay, cust, acts)


def test_promises_kept_and_broken():
    p = promises(small_ledger(), AS_OF)
    assert p["status"].tolist() == ["kept", "broken"]
    assert p["paid_in_window"].tolist() == [400.0, 0.0]


def test_open_dispute_age_and_amount():
    d = open_disputes(small_ledger(), AS_OF)
    assert d[["customer_id", "invoice_id", "age_days", "amount"]].values.tolist() == [["B", "B1", 10, 500.0]]


def test_unanswered_contacts_since_last_payment():
    u = unanswered_contacts(small_ledger(), AS_OF).set_index("customer_id")
    assert u.loc["A", "unanswered_contacts"] == 2


def test_customer_signals_row():
    s = customer_signals(small_ledger(), AS_OF).set_index("customer_id")
    a = s.loc["A"]
    assert (a["open_ar"], a["past_due_ar"], a["oldest_days_past_due"]) == (1000.0, 1000.0, 60)
    assert (a["promises_broken"], a["promises_kept"], a["unanswered_contacts"]) == (1, 1, 2)
    assert a["utilisation"] == pytest.approx(1.25) and a["over_limit"]
    # signals: broken promise, ≥ 2 unanswered, over limit (oldest 60 is not > 60)
    assert a["signals"] == 3
    assert s.loc["B", "open_disputes"] == 1 and s.loc["B", "signals"] == 1


def test_risk_score_hand_computed():
    s = risk_score(customer_signals(small_ledger(), AS_OF)).set_index("customer_id")
    # A: oldest 30×60/120 = 15; share 15×1 = 15; trend 0; broken 15×1/3 = 5; unanswered 10×2/4 = 5;
    #    over limit 10×(1.25−1)/0.5 = 5 → 45.0
    assert s.loc["A", "risk_score"] == 45.0
    assert s.loc["A", "risk_drivers"].startswith("oldest item past due 15.0, share of open AR past due 15.0")
    # B: oldest 30×15/120 = 3.75; share 15 → 18.75 → 18.8
    assert s.loc["B", "risk_score"] == pytest.approx(18.8)


def test_risk_score_when_nobody_has_a_point():
    led = Ledger.from_frames(invoices([("A", "1", "2026-06-01", "2026-07-01", 100.0)]))
    s = risk_score(customer_signals(led, AS_OF))
    assert s["risk_score"].tolist() == [0.0] and s["risk_drivers"].tolist() == [""]


def test_ladder_and_next_step():
    steps = ladder_for(POLICY, "chronic_late")
    assert next_step(-3, {}, steps)["step"] == "reminder_before_due"
    # nothing logged: the first step its age allows, never the step its age would reach
    assert next_step(20, {}, steps)["step"] == "reminder_overdue"
    assert next_step(200, {}, steps)["step"] == "reminder_overdue"
    assert next_step(20, {"reminder": 1}, steps)["step"] == "call"
    assert next_step(20, {"reminder": 1, "call": 16}, steps) is None  # the formal letter's day (30) has not come
    assert next_step(20, {"reminder": 1, "call": 2}, steps)["step"] == "call"  # logged before the call's window (15 − 3)
    # one step after the furthest step done: a call on day 16 → the formal letter, not the demand letter
    assert next_step(70, {"call": 16}, steps)["step"] == "formal_letter"
    assert next_step(50, {"demand_letter": 61}, steps) is None  # agency review (day 90) not yet
    # the pre-due reminder (day −3) does not count as the overdue reminder (day 1, window from day −2)
    assert next_step(5, {"reminder": -3}, steps)["step"] == "reminder_overdue"
    assert next_step(5, {"reminder": 1}, steps) is None
    # minimum gap after the last step done
    done = {"reminder": 1, "call": 35}
    assert next_step(40, done, steps, days_since_last_step=2, min_gap=7) is None
    assert next_step(40, done, steps, days_since_last_step=8, min_gap=7)["step"] == "formal_letter"
    # a customer already on credit hold has that step done
    done = {"reminder": 1, "call": 16, "letter": 31}
    assert next_step(50, done, steps)["step"] == "credit_hold"
    assert next_step(50, done, steps, on_hold=True) is None
    assert next_step(60, done, steps, on_hold=True)["step"] == "demand_letter"
    gentle = ladder_for(POLICY, "good_slipping")
    assert "credit_hold" not in [s["step"] for s in gentle]
    assert next_step(20, {}, gentle)["step"] == "reminder_overdue"
    assert next_step(20, {"reminder": 1}, gentle) is None  # the call moves from day 15 to 25
    assert next_step(25, {"reminder": 1}, gentle)["step"] == "call"


def test_segments_rules():
    inv_rows, pay_rows = [], []
    # P: 8 invoices paid 2 days early → prompt; L: 8 invoices paid 30 days late → chronic_late
    for i in range(8):
        d = pd.Timestamp("2025-09-01") + pd.DateOffset(months=i)
        due = d + pd.Timedelta(days=30)
        inv_rows += [("P", f"P{i}", d, due, 100.0), ("L", f"L{i}", d, due, 100.0)]
        pay_rows += [("P", f"P{i}", due - pd.Timedelta(days=2), 100.0), ("L", f"L{i}", due + pd.Timedelta(days=30), 100.0)]
    inv_rows.append(("N", "N1", pd.Timestamp("2026-05-01"), pd.Timestamp("2026-05-31"), 100.0))
    led = Ledger.from_frames(invoices(inv_rows), payments(pay_rows))
    s = segment_customers(led, AS_OF, policy=POLICY).set_index("customer_id")
    assert s.loc["P", "segment"] == "prompt"
    assert s.loc["L", "segment"] == "chronic_late" and s.loc["L", "share_late"] == 1.0
    assert s.loc["N", "segment"] == "new"


def test_worklist_on_small_ledger():
    led = small_ledger()
    seg = segment_customers(led, AS_OF, policy=POLICY)
    w = worklist(led, AS_OF, policy=POLICY, segments=seg).set_index("customer_id")
    # A: 60 days past due, calls logged on 06-12 and 06-22 (days 42 and 52): the call step is the furthest
    # done, so the next is the formal letter (day 30) — not the demand letter its age reaches; 8 days
    # since the last call ≥ the 7-day minimum gap
    assert w.loc["A", "step"] == "formal_letter" and w.loc["A", "letter"] == "formal_letter"
    assert w.loc["A", "past_due_amount"] == 1000.0
    # B: its only invoice (15 days past due) is in open dispute since 06-20 → not dunned, one
    # "resolve dispute" line with its age and amount
    assert w.loc["B", "step"] == "resolve_dispute" and pd.isna(w.loc["B", "letter"])
    assert (w.loc["B", "dispute_age_days"], w.loc["B", "disputed_amount"], w.loc["B", "owner"]) == (10, 500.0, "collector")
    assert w.loc["A", "amount_to_demand"] == 1000.0
    risks = seg.set_index("customer_id")["risk_score"]
    # expected loss avoided = amount at stake × risk ÷ 100: A 1,000 × 0.45, B 500 × 0.188
    assert w.loc["A", "expected_loss_avoided"] == pytest.approx(round(1000 * risks["A"] / 100, 2))
    assert w.loc["B", "expected_loss_avoided"] == pytest.approx(round(500 * risks["B"] / 100, 2))
    assert list(w["priority"]) == [1, 2] and w.index.tolist() == ["A", "B"]
    # with disputes: ignore, B's invoice is dunned like any other and no resolve line is added
    ignore = {**POLICY, "disputes": "ignore"}
    wi = worklist(led, AS_OF, policy=ignore, segments=seg).set_index("customer_id")
    assert wi.loc["B", "step"] == "reminder_overdue" and wi.loc["B", "amount_to_demand"] == 500.0


def test_worklist_overdue_reminder_after_a_pre_due_reminder():
    """Invoice due 06-20, as of 06-25 (5 days past due), a reminder logged on 06-17 (day −3): the
    overdue reminder (day 1) is still due; once logged on 06-21 it is not."""
    inv = invoices([("A", "I1", "2026-05-21", "2026-06-20", 500.0)])
    acts = _acts([("2026-06-17", "A", "reminder", "I1", "sent", None, None, None)])
    led = Ledger.from_frames(inv, None, None, acts)
    seg = segment_customers(led, "2026-06-25", policy=POLICY)
    w = worklist(led, "2026-06-25", policy=POLICY, segments=seg)
    assert w["step"].tolist() == ["reminder_overdue"]
    acts2 = _acts([("2026-06-17", "A", "reminder", "I1", "sent", None, None, None), ("2026-06-21", "A", "reminder", "I1", "sent", None, None, None)])
    led2 = Ledger.from_frames(inv, None, None, acts2)
    assert worklist(led2, "2026-06-25", policy=POLICY, segments=segment_customers(led2, "2026-06-25", policy=POLICY)).empty


def test_a_pre_due_reminder_reason_says_when_the_invoice_is_due():
    """A reminder before the due date names the invoice as due in N days (never "-2 days past due"), and
    one day is singular."""
    from arkit.review.worklist import due_phrase

    assert [due_phrase(d) for d in (12, 1, 0, -1, -2)] == ["12 days past due", "1 day past due", "due today", "due in 1 day", "due in 2 days"]
    inv = invoices([("A", "I1", "2026-05-29", "2026-06-28", 500.0)])  # as of 06-25: due in 3 days
    led = Ledger.from_frames(inv, None, None, None)
    w = worklist(led, "2026-06-25", policy=POLICY, segments=segment_customers(led, "2026-06-25", policy=POLICY))
    assert w["step"].tolist() == ["reminder_before_due"] and w["reason"].iloc[0].startswith("invoice I1 due in 3 days; ")


def test_signals_with_activities_but_no_payments():
    inv = invoices([("A", "I1", "2026-05-21", "2026-06-20", 500.0)])
    acts = _acts([("2026-06-22", "A", "call", "I1", "no_answer", None, None, None), ("2026-06-25", "A", "call", "I1", "no_answer", None, None, None)])
    led = Ledger.from_frames(inv, None, None, acts)
    s = customer_signals(led, AS_OF).set_index("customer_id")
    assert s.loc["A", "unanswered_contacts"] == 2


def test_headline_targets_and_changes():
    figs = pd.DataFrame(
        {
            "open_ar": [100.0, 110.0], "pct_past_due": [20.0, 25.0], "pct_91_plus": [2.0, 6.0], "dso_countback": [40.0, 47.0],
            "dso": [41.0, 44.0], "bpdso": [30.0, 31.0], "add": [11.0, 13.0], "cei": [85.0, 78.0], "pct_current": [80.0, 75.0],
            "collections": [90.0, 95.0], "sales": [100.0, 100.0], "collections_to_sales": [90.0, 95.0],
        },
        index=pd.to_datetime(["2026-05-31", "2026-06-30"]),
    )  # fmt: skip
    h = headline(figs, policy=POLICY).set_index("figure")
    assert h.loc["dso_countback", "change"] == 7.0 and h.loc["dso_countback", "gap"] == 2.0
    assert h.loc["dso_countback", "on_target"] is False or not h.loc["dso_countback", "on_target"]
    assert h.loc["dso", "on_target"] and h.loc["pct_current", "on_target"]
    assert not h.loc["cei", "on_target"] and not h.loc["pct_91_plus", "on_target"]
    drivers = pd.DataFrame({"customer_id": ["X", "Y", "Z"], "customer_name": ["Xeno", "Yak", "Zed"], "change": [60.0, 30.0, 10.0], "share_of_rise": [60.0, 30.0, 10.0]})
    text = summary_sentences(h.reset_index(), drivers)
    assert text[0] == "DSO, countback rose 7.0 days to 47.0 days (target 45.0 days, missed)."
    assert "One customer accounts for most of the rise in past-due AR: Xeno (60 %)." in text
    nameless = drivers.assign(customer_name=pd.Series([None, None, None], dtype="str"))  # an export without names (IBM)
    assert "One customer accounts for most of the rise in past-due AR: X (60 %)." in summary_sentences(h.reset_index(), nameless)


def test_concentration_hand_computed():
    summary = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "customer_name": ["a", "b", "c"], "current": [100.0, 0.0, 50.0], "1-30": [0.0, 300.0, 0.0],
         "31-60": [0.0, 0.0, 0.0], "61-90": [0.0, 0.0, 0.0], "91+": [100.0, 0.0, 0.0], "total": [200.0, 300.0, 50.0]}
    )  # fmt: skip
    top, stats = concentration(summary, n=2)
    assert top["customer_id"].tolist() == ["B", "A"]
    assert top["share_of_past_due"].tolist() == pytest.approx([75.0, 25.0])
    assert top["oldest_bucket"].tolist() == ["1-30", "91+"]
    assert stats["top_share_of_ar"] == pytest.approx(500 / 550 * 100)


def test_trend_agrees_with_kpis_on_sample():
    from arkit.sample import make_sample_ledger

    led = Ledger.from_frames(**make_sample_ledger(n_invoices=1500, seed=4, as_of="2026-06-30"))
    figs = monthly_figures(led, "2026-06-30", months=6)
    trend = aging_trend(led, "2026-06-30", months=6)
    assert np.allclose(trend["total"].to_numpy(), figs["open_ar"].to_numpy(), atol=0.005)
    assert np.allclose(trend["current"].to_numpy(), figs["current_ar"].to_numpy(), atol=0.005)
    assert np.allclose(trend.drop(columns="total").sum(axis=1), trend["total"], atol=0.005)
    d = change_drivers(led, "2026-06-30")
    assert d["share_of_rise"].sum() == pytest.approx(100.0) or (d["change"] <= 0).all()
    assert not math.isnan(figs["pct_91_plus"].iloc[-1])


def test_worklist_priority_ties_broken_by_age():
    inv = invoices([("A", "A1", "2026-04-01", "2026-05-01", 100.0), ("B", "B1", "2026-05-01", "2026-06-01", 100.0)])
    led = Ledger.from_frames(inv)
    seg = pd.DataFrame({"customer_id": ["B", "A"], "segment": ["irregular", "irregular"], "risk_score": [20.0, 20.0], "utilisation": [np.nan, np.nan]})
    w = worklist(led, AS_OF, policy=POLICY, segments=seg)
    assert w["customer_id"].tolist() == ["A", "B"]  # same expected loss (100 × 0.20): 60 days before 29 days
    assert w["expected_loss_avoided"].tolist() == [20.0, 20.0] and w["step"].tolist() == ["reminder_overdue"] * 2


def test_written_off_and_disputed_invoices_are_never_dunned():
    inv = invoices([("A", "A1", "2026-01-01", "2026-01-31", 300.0), ("A", "A2", "2026-03-01", "2026-03-31", 200.0), ("A", "A3", "2026-04-01", "2026-04-30", 100.0)])
    adj = pd.DataFrame([("A", "A1", "2026-06-01", 300.0, "write_off")], columns=["customer_id", "invoice_id", "date", "amount", "kind"])
    acts = _acts([("2026-06-01", "A", "dispute_opened", "A3", None, None, None, None), ("2026-05-02", "A", "write_off", "A2", None, None, None, None)])
    led = Ledger.from_frames(inv, None, None, acts, adj)
    seg = segment_customers(led, AS_OF, policy=POLICY)
    w = worklist(led, AS_OF, policy=POLICY, segments=seg)
    # A1 written off (adjustment), A2 written off (activity only), A3 in dispute: nothing to dun, one dispute line
    assert w["step"].tolist() == ["resolve_dispute"] and w["oldest_invoice"].tolist() == ["A3"]


def test_without_a_log_every_item_starts_at_the_first_step():
    inv = invoices([(c, f"{c}1", "2025-12-01", d, 100.0) for c, d in (("A", "2025-12-31"), ("B", "2026-06-20"), ("C", "2026-07-02"))])
    led = Ledger.from_frames(inv)
    seg = segment_customers(led, AS_OF, policy=POLICY)
    w = worklist(led, AS_OF, policy=POLICY, segments=seg).set_index("customer_id")
    # A 181 days past due and B 10 days: the overdue reminder; C due in 2 days: the pre-due reminder
    assert w["step"].to_dict() == {"A": "reminder_overdue", "B": "reminder_overdue", "C": "reminder_before_due"}


def _invoice_level_ledger():
    """A0 400 due 03-31, A1 1,000 due 05-01; the only payment is 400 to A0 on 06-05."""
    inv = invoices([("A", "A0", "2026-03-01", "2026-03-31", 400.0), ("A", "A1", "2026-04-01", "2026-05-01", 1000.0)])
    pay = payments([("A", "A0", "2026-06-05", 400.0)])
    acts = _acts(
        [
            ("2026-06-01", "A", "promise_to_pay", "A1", None, "2026-06-10", 400.0, None),  # A1: nothing paid to it → broken
            ("2026-06-01", "A", "promise_to_pay", "A0", None, "2026-06-10", 400.0, None),  # A0: paid 06-05 → kept
            ("2026-06-02", "A", "call", "A1", "no_answer", None, None, None),  # a payment to A0 does not answer it
            ("2026-06-02", "A", "call", "A0", "no_answer", None, None, None),  # answered by the payment on A0
        ]
    )
    return Ledger.from_frames(inv, pay, None, acts)


def test_promises_are_judged_on_the_invoice_they_name():
    p = promises(_invoice_level_ledger(), AS_OF).set_index("invoice_id")
    assert p.loc["A1", "status"] == "broken" and p.loc["A1", "paid_in_window"] == 0.0
    assert p.loc["A0", "status"] == "kept" and p.loc["A0", "paid_in_window"] == 400.0
    assert promises(_invoice_level_ledger(), "2026-06-08").set_index("invoice_id").loc["A1", "status"] == "pending"


def test_contacts_are_answered_by_a_response_on_that_invoice():
    u = unanswered_contacts(_invoice_level_ledger(), AS_OF).set_index("customer_id")
    assert u.loc["A", "unanswered_contacts"] == 1 and u.loc["A", "last_contact"] == pd.Timestamp("2026-06-02")
    # a reply logged for the customer afterwards answers both
    led = _invoice_level_ledger()
    extra = _acts([("2026-06-20", "A", "call", "A1", "reached", None, None, None)])
    acts = pd.concat([led.activities, extra], ignore_index=True)
    led2 = Ledger.from_frames(led.invoices, led.payments, None, acts)
    assert unanswered_contacts(led2, AS_OF).empty


def test_days_late_trend_counts_open_overdue_items():
    """B paid 4 invoices on their due dates in the prior window, then stopped: two invoices due 05-01 and
    06-01 are open at 06-30 (60 and 29 days late so far) → recent 44.5, prior 0, trend +44.5."""
    from arkit.review.signals import days_late_trend

    rows, pays = [], []
    for i, due in enumerate(["2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28"]):
        d = pd.Timestamp(due) - pd.Timedelta(days=30)
        rows.append(("B", f"P{i}", d, pd.Timestamp(due), 100.0))
        pays.append(("B", f"P{i}", pd.Timestamp(due), 100.0))
    rows += [("B", "O1", pd.Timestamp("2026-04-01"), pd.Timestamp("2026-05-01"), 100.0), ("B", "O2", pd.Timestamp("2026-05-02"), pd.Timestamp("2026-06-01"), 100.0)]
    led = Ledger.from_frames(invoices(rows), payments(pays))
    t = days_late_trend(led, AS_OF).set_index("customer_id").loc["B"]
    assert (t["avg_days_late_recent"], t["avg_days_late_prior"], t["trend"]) == (44.5, 0.0, 44.5)
    assert (t["settled_recent"], t["open_late_recent"], t["settled_prior"]) == (0, 2, 4)


def test_irregular_reason_matches_the_rule_that_fired():
    """G: 12 monthly invoices, each paid 10 days late; 11 paid by 06-30 (the last is not yet due): enough history (11 ≥ 6)
    but 10 > 5 days late on average and 0 % paid more than 15 days late (< 50 %) → irregular, "late but not
    chronically" — never "too little history". H: 2 invoices paid → irregular for too little history."""
    inv, pay = [], []
    for i in range(12):
        d = pd.Timestamp("2025-07-05") + pd.DateOffset(months=i)
        inv.append(("G", f"G{i}", d, d + pd.Timedelta(days=30), 100.0))
        pay.append(("G", f"G{i}", d + pd.Timedelta(days=40), 100.0))
    for i in range(2):
        d = pd.Timestamp("2025-07-05") + pd.DateOffset(months=i)
        inv.append(("H", f"H{i}", d, d + pd.Timedelta(days=30), 100.0))
        pay.append(("H", f"H{i}", d + pd.Timedelta(days=30), 100.0))
    seg = segment_customers(Ledger.from_frames(invoices(inv), payments(pay)), AS_OF, policy=POLICY).set_index("customer_id")
    assert seg.loc["G", "segment"] == "irregular" and seg.loc["H", "segment"] == "irregular"
    assert "too little history" not in seg.loc["G", "reason"]
    assert seg.loc["G", "reason"].startswith("11 invoices paid, 10.0 days late on average (a good customer 5 at most); 0 % more than 15 days late")
    assert seg.loc["H", "reason"] == "too little history: 2 invoices paid in 12 months (a good customer needs 6)"


def test_credits_that_cover_what_is_due_are_not_dunned():
    """A: 100 past due and a credit note of 150 → nothing to demand, no dunning row; B: 100 past due, a
    credit of 30 → a reminder demanding 70."""
    inv = invoices([("A", "A1", "2026-05-01", "2026-05-31", 100.0), ("A", "CN1", "2026-06-01", "2026-06-01", -150.0), ("B", "B1", "2026-05-01", "2026-05-31", 100.0), ("B", "CN2", "2026-06-01", "2026-06-01", -30.0)])
    led = Ledger.from_frames(inv)
    w = worklist(led, AS_OF, policy=POLICY, segments=segment_customers(led, AS_OF, policy=POLICY)).set_index("customer_id")
    assert list(w.index) == ["B"] and w.loc["B", "amount_to_demand"] == 70.0 and w.loc["B", "past_due_amount"] == 100.0


def test_an_overdue_step_comes_before_a_pre_due_reminder():
    """A: A1 20 days past due with its overdue reminder sent on day 1 (the call is due at day 15 → due now)
    and A2 due in 2 days: the row is the call, not the pre-due reminder."""
    inv = invoices([("A", "A1", "2026-05-11", "2026-06-10", 100.0), ("A", "A2", "2026-06-02", "2026-07-02", 100.0)])
    acts = _acts([("2026-06-11", "A", "reminder", "A1", "sent", None, None, None)])
    led = Ledger.from_frames(inv, None, None, acts)
    w = worklist(led, AS_OF, policy=POLICY, segments=segment_customers(led, AS_OF, policy=POLICY))
    assert w["step"].tolist() == ["call"] and w["oldest_invoice"].tolist() == ["A1"]


def test_worklist_reason_names_a_before_due_reminder_instead_of_no_step_logged():
    """Invoice due 06-20, as of 06-25; a reminder logged 06-17 (day −3) is the before-due one: the
    overdue reminder is due and the reason says what was logged, never "no step logged yet"."""
    inv = invoices([("A", "I1", "2026-05-21", "2026-06-20", 500.0)])
    acts = _acts([("2026-06-17", "A", "reminder", "I1", "sent", None, None, None)])
    led = Ledger.from_frames(inv, None, None, acts)
    w = worklist(led, "2026-06-25", policy=POLICY, segments=segment_customers(led, "2026-06-25", policy=POLICY))
    assert "no overdue step done yet (reminder logged for it on 2026-06-17" in w["reason"].iloc[0]
    assert w["amount_at_stake"].iloc[0] == 500.0 == w["amount_to_demand"].iloc[0]


def test_not_on_worklist_says_when_the_next_step_falls_due():
    """I1 due 06-20, 5 days past due at 06-25, overdue reminder logged 06-21 (done): next step the call,
    day 15 → 06-25 + (15 − 5) = 2026-07-05 (the 7-day gap ends 06-28, earlier). Not on the worklist,
    and the table says why."""
    from arkit.review.worklist import not_on_worklist

    inv = invoices([("A", "I1", "2026-05-21", "2026-06-20", 500.0)])
    acts = _acts([("2026-06-21", "A", "reminder", "I1", "sent", None, None, None)])
    led = Ledger.from_frames(inv, None, None, acts)
    seg = segment_customers(led, "2026-06-25", policy=POLICY)
    w = worklist(led, "2026-06-25", policy=POLICY, segments=seg)
    assert w.empty
    n = not_on_worklist(led, "2026-06-25", policy=POLICY, segments=seg, worklist=w)
    assert n["customer_id"].tolist() == ["A"] and n["past_due_amount"].tolist() == [500.0]
    assert n["reason"].iloc[0] == "next step call for I1 (5 days past due) on 2026-07-05"
