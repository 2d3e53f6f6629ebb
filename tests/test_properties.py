"""Invariants on random ledgers (hypothesis): partial payments, credit notes, overpayments, unapplied cash.

- at every as_of, each customer's buckets sum to its total, and Σ total = Σ invoices dated ≤ as_of −
  Σ payments dated ≤ as_of (to the cent);
- kpis' open_ar and current_ar equal the aging summary's total and current bucket at each month end;
- settlements: days_to_pay = days_late + terms, and an invoice is settled iff its payments cover it.
"""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arkit
from arkit.model import Ledger

START = pd.Timestamp("2025-01-01")


@st.composite
def ledgers(draw):
    n_inv = draw(st.integers(1, 25))
    inv_rows, pay_rows = [], []
    for i in range(n_inv):
        cust = draw(st.sampled_from(["A", "B", "C"]))
        d = START + pd.Timedelta(days=draw(st.integers(0, 200)))
        terms = draw(st.sampled_from([0, 15, 30, 60]))
        cents = draw(st.integers(-50_000, 500_000))  # negatives are credit notes
        amt = cents / 100
        inv_rows.append((cust, f"I{i:03d}", d, d + pd.Timedelta(days=terms), amt))
        for _ in range(draw(st.integers(0, 3))):  # partial, full and over payments
            pd_ = d + pd.Timedelta(days=draw(st.integers(-5, 150)))
            pay_rows.append((cust, f"I{i:03d}", pd_, draw(st.integers(1, 300_000)) / 100))
    for _ in range(draw(st.integers(0, 3))):  # unapplied cash
        pay_rows.append((draw(st.sampled_from(["A", "B", "C"])), None, START + pd.Timedelta(days=draw(st.integers(0, 250))), draw(st.integers(1, 100_000)) / 100))
    inv = pd.DataFrame(inv_rows, columns=["customer_id", "invoice_id", "invoice_date", "due_date", "amount"]).assign(currency="USD")
    pay = pd.DataFrame(pay_rows, columns=["customer_id", "invoice_id", "payment_date", "amount"])
    return Ledger.from_frames(inv, pay if len(pay) else None)


def _cents(x) -> int:
    return int(round(float(x) * 100))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers(), st.integers(-10, 400), st.sampled_from([(30, 60, 90), (15, 45), (7,)]))
def test_buckets_sum_to_total_and_total_reconciles(led, offset, buckets):
    as_of = START + pd.Timedelta(days=offset)
    s = arkit.aging_summary(led, as_of, buckets=buckets)
    labels = arkit.bucket_labels(buckets)
    for r in s.to_dict("records"):
        assert sum(_cents(r[lab]) for lab in labels) + _cents(r["credits"]) == _cents(r["total"])
        assert all(r[lab] >= 0 for lab in labels) and r["credits"] <= 0
    pos = arkit.position(led, as_of, buckets=buckets)
    t = pos.totals
    assert sum(_cents(t[lab]) for lab in labels) + _cents(t["credits"]) == _cents(t["open_ar"]) == sum(_cents(x) for x in s["total"])
    assert (pos.shares.dropna() >= 0).all() and (pos.shares.isna().all() or abs(pos.shares.sum() - 100) < 1e-6)
    c = pos.customers
    assert [_cents(x) for x in c["past_due"]] == [sum(_cents(r[lab]) for lab in labels[1:]) for r in c.to_dict("records")]
    inv_c = sum(_cents(a) for a, d in zip(led.invoices["amount"], led.invoices["invoice_date"]) if d <= as_of)
    pay_c = sum(_cents(a) for a, d in zip(led.payments["amount"], led.payments["payment_date"]) if d <= as_of)
    assert sum(_cents(t) for t in s["total"]) == inv_c - pay_c
    items = arkit.aging(led, as_of, buckets=buckets)
    assert sum(_cents(t) for t in items["open_amount"]) == inv_c - pay_c
    assert (items["open_amount"] != 0).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_kpis_agree_with_aging_at_every_month_end(led):
    k = arkit.kpis(led, "2025-01", "2025-12")
    for end, row in k.iterrows():
        s = arkit.aging_summary(led, end, credits="net")
        assert _cents(row["open_ar"]) == sum(_cents(t) for t in s["total"])
        current = sum(_cents(t) for t in s["current"]) if len(s) else 0
        assert _cents(row["current_ar"]) == current
        assert _cents(row["past_due_ar"]) == _cents(row["open_ar"]) - _cents(row["current_ar"])
    months = pd.period_range("2025-01", "2025-12", freq="M")
    sales = led.invoices.groupby(led.invoices["invoice_date"].dt.to_period("M"))["amount"].sum().reindex(months, fill_value=0)
    assert np.allclose(k["sales"].to_numpy(), sales.to_numpy(), atol=0.005)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledgers())
def test_settlements_invariants(led):
    s = arkit.settlements(led)
    terms = (s["due_date"] - s["invoice_date"]).dt.days
    assert (s["days_to_pay"] == s["days_late"] + terms).all()
    assert (s["amount"] > 0).all()
    # settled iff Σ payments to the invoice (all dates) covers the amount
    paid = led.payments.dropna(subset=["invoice_id"]).groupby(["customer_id", "invoice_id"])["amount"].sum()
    inv = led.invoices.set_index(["customer_id", "invoice_id"])["amount"]
    covered = {k for k, a in inv.items() if a > 0 and round(paid.get(k, 0) * 100) >= round(a * 100)}
    assert set(zip(s["customer_id"], s["invoice_id"])) == covered


LADDER_ACTIONS = ["reminder", "call", "letter", "credit_hold", "credit_release", "demand_letter", "agency", "legal"]


@st.composite
def logged_ledgers(draw):
    led = draw(ledgers())
    inv = led.invoices
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        k = draw(st.integers(0, len(inv) - 1))
        named = draw(st.integers(0, 4)) > 0  # mostly naming the invoice, sometimes the customer only
        when = inv["due_date"].iloc[k] + pd.Timedelta(days=draw(st.integers(-10, 200)))
        rows.append({"date": when, "customer_id": inv["customer_id"].iloc[k], "action": draw(st.sampled_from(LADDER_ACTIONS)), "invoice_id": inv["invoice_id"].iloc[k] if named else None})
    for _ in range(draw(st.integers(0, 2))):  # disputes
        k = draw(st.integers(0, len(inv) - 1))
        rows.append({"date": inv["invoice_date"].iloc[k], "customer_id": inv["customer_id"].iloc[k], "action": "dispute_opened", "invoice_id": inv["invoice_id"].iloc[k]})
    acts = pd.DataFrame(rows, columns=["date", "customer_id", "action", "invoice_id"])
    return Ledger.from_frames(inv, led.payments if len(led.payments) else None, None, acts if len(acts) else None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logged_ledgers(), st.integers(0, 400), st.sampled_from(["irregular", "prompt"]))
def test_ladder_steps_never_skip(led, offset, segment):
    """On any ledger: every item's next step is at most one beyond the last step done on its path; the
    vectorised ladder agrees with the scalar next_step; the worklist's steps are items' due next steps and
    never name an invoice in open dispute."""
    from arkit.policy import load_policy
    from arkit.review.worklist import ladder_for, ladder_state, next_step, path_for, worklist

    policy = load_policy()
    as_of = START + pd.Timedelta(days=offset)
    seg = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": segment, "risk_score": 10.0, "utilisation": np.nan})
    st_ = ladder_state(led, as_of, policy=policy, segments=seg)
    assert (st_["next_index"] <= st_["last_done_index"] + 1).all()
    act = led.activities[led.activities["date"] <= as_of]
    held = set()
    h = act[act["action"].isin(["credit_hold", "credit_release"])].sort_values("date", kind="stable")
    if len(h):
        last = h.groupby("customer_id")["action"].last()
        held = set(last[last == "credit_hold"].index)
    steps = ladder_for(policy, segment)
    for r in st_.itertuples(index=False):
        due = led.invoices.set_index(["customer_id", "invoice_id"]).loc[(r.customer_id, r.invoice_id), "due_date"]
        mine = act[(act["customer_id"] == r.customer_id) & ((act["invoice_id"] == r.invoice_id) | act["invoice_id"].isna())]
        logged = mine.assign(rel=(mine["date"] - due).dt.days).groupby("action")["rel"].max().to_dict()
        since = (as_of - r.last_done_date).days if pd.notna(r.last_done_date) else None
        want = next_step(int(r.days_past_due), logged, steps, days_since_last_step=since, min_gap=policy["min_days_between_steps"], on_hold=r.customer_id in held)
        assert (want["step"] if want else None) == (r.next if r.due else None), r
        path = [s["step"] for s in path_for(steps, int(r.days_past_due))]
        if r.due:
            assert path.index(r.next) == r.last_done_index + 1
    w = worklist(led, as_of, policy=policy, segments=seg)
    disputed = set(arkit.position(led, as_of).disputes["invoice_id"].dropna())
    dun = w[w["trigger"] == "ladder"]
    due = st_[st_["due"]]
    assert set(zip(dun["customer_id"], dun["step"])) <= set(zip(due["customer_id"], due["next"]))
    assert not set(dun["oldest_invoice"]) & disputed
