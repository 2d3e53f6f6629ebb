"""Invariants of the sample ledger generator (arkit.sample), each checkable by hand."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import openpyxl
import pandas as pd
import pytest

from arkit.model import ACTIONS, TABLE_NAMES, Ledger, columns, kind
from arkit.sample import (
    DISCOUNT_NOTE_TERMS,
    EARLY_PAY_DAYS,
    EARLY_PAY_RATE,
    EARLY_PAY_TERMS,
    OVERPAY_MAX_FRACTION,
    OVERPAY_SHARE,
    SEGMENTS,
    make_sample_ledger,
    write_sample,
    write_workbook,
)

AS_OF = pd.Timestamp("2025-06-30")
N = 4000


@pytest.fixture(scope="module")
def ledger():
    return make_sample_ledger(n_invoices=N, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def default_ledger():
    return make_sample_ledger(seed=0, as_of=AS_OF)


def applied_per_invoice(led):
    """Invoices with the sum of the payments applied to them (unapplied cash left out)."""
    pay = led["payments"].dropna(subset=["invoice_id"])
    paid = pay.groupby("invoice_id")["amount"].sum()
    inv = led["invoices"].set_index("invoice_id")
    return inv.assign(paid=paid.reindex(inv.index).fillna(0.0).round(2))


# ------------------------------------------------------------------------------------------ shape


def test_same_seed_same_ledger_and_other_seed_differs(ledger):
    again = make_sample_ledger(n_invoices=N, seed=7, as_of=AS_OF)
    for t in TABLE_NAMES:
        pd.testing.assert_frame_equal(ledger[t], again[t])
    other = make_sample_ledger(n_invoices=N, seed=8, as_of=AS_OF)
    assert not other["invoices"].equals(ledger["invoices"])
    assert not other["payments"].equals(ledger["payments"])


def test_canonical_columns_and_dtypes(ledger):
    assert list(ledger) == list(TABLE_NAMES)
    for t, df in ledger.items():
        assert list(df.columns) == columns(t), t
        for c in df.columns:
            k, s = kind(t, c), df[c]
            if k in ("id", "str"):
                assert s.dtype == "str", (t, c, s.dtype)
            elif k == "date":
                assert s.dtype == "datetime64[ns]", (t, c, s.dtype)
                assert (s.dropna() == s.dropna().dt.normalize()).all(), (t, c)
            elif k == "money":
                assert s.dtype == "float64", (t, c, s.dtype)
                assert (s.dropna() == s.dropna().round(2)).all(), (t, c)
            elif k == "bool":
                assert s.dtype == "bool", (t, c, s.dtype)
            elif k == "int":
                assert s.dtype == "int64", (t, c, s.dtype)
    inv = ledger["invoices"]
    assert inv["paid_date"].isna().all() and inv["open_amount"].isna().all()
    assert (inv["currency"] == "USD").all() and inv["customer_name"].notna().all()


def test_n_invoices_roughly_respected(default_ledger):
    for n in (500, 3000):
        assert abs(len(make_sample_ledger(n_invoices=n, seed=1, as_of=AS_OF)["invoices"]) - n) <= 0.1 * n
    assert abs(len(default_ledger["invoices"]) - 20000) <= 2000
    assert 140 <= len(default_ledger["customers"]) <= 160
    assert len(make_sample_ledger(n_invoices=50, as_of=AS_OF)["customers"]) == 10  # the minimum


def test_ids(ledger):
    inv, pay, cus = ledger["invoices"], ledger["payments"], ledger["customers"]
    assert cus["customer_id"].str.fullmatch(r"C\d{5}").all() and cus["customer_id"].is_unique
    assert cus["customer_id"].str.startswith("C0").any()  # leading zeros kept
    assert inv["invoice_id"].is_unique
    assert inv["invoice_id"].str.fullmatch(r"INV-\d{7}|CN-\d{6}").all()
    assert pay["payment_id"].str.fullmatch(r"PMT-\d{7}").all()
    assert not pay.duplicated(["payment_id", "invoice_id"]).any()
    assert inv["customer_id"].isin(cus["customer_id"]).all()
    assert pay["customer_id"].isin(cus["customer_id"]).all()


# ------------------------------------------------------------------------------------------ dates


def test_nothing_happens_after_as_of(ledger):
    inv, pay, cus, act = (ledger[t] for t in ("invoices", "payments", "customers", "activities"))
    for s in (inv["invoice_date"], pay["payment_date"], cus["since"], act["date"], act["promised_date"], ledger["adjustments"]["date"]):
        assert s.max() <= AS_OF
    # only recent invoices are due after as_of (a due date is a term, not an event)
    later = inv[inv["due_date"] > AS_OF]
    assert len(later) and (later["invoice_date"] > AS_OF - pd.Timedelta(days=61)).all()


def test_as_of_accepts_str_date_timestamp_and_defaults_to_last_month_end():
    a = make_sample_ledger(n_invoices=300, seed=2, as_of="2024-02-29")
    b = make_sample_ledger(n_invoices=300, seed=2, as_of=dt.date(2024, 2, 29))
    c = make_sample_ledger(n_invoices=300, seed=2, as_of=pd.Timestamp("2024-02-29 17:45"))
    for t in TABLE_NAMES:
        pd.testing.assert_frame_equal(a[t], b[t])
        pd.testing.assert_frame_equal(a[t], c[t])
    assert a["invoices"]["invoice_date"].min() >= pd.Timestamp("2022-03-01")  # 24 months
    month_end = pd.Timestamp.today().normalize() - pd.offsets.MonthEnd(1)
    d = make_sample_ledger(n_invoices=300, seed=2)
    assert d["invoices"]["invoice_date"].max() <= month_end
    assert d["activities"]["date"].max() <= month_end
    assert d["invoices"]["invoice_date"].max() > month_end - pd.Timedelta(days=31)


def test_payments_on_or_after_invoice_date(ledger):
    pay = ledger["payments"].dropna(subset=["invoice_id"])
    m = pay.merge(ledger["invoices"][["invoice_id", "invoice_date", "customer_id"]], on="invoice_id", how="left")
    assert m["invoice_date"].notna().all()  # every applied payment names a real invoice
    assert (m["payment_date"] >= m["invoice_date"]).all()
    assert (m["customer_id_x"] == m["customer_id_y"]).all()
    assert (ledger["payments"]["payment_date"].dt.day_of_week < 5).all()  # cash arrives on business days


# ------------------------------------------------------------------------------------------ money


def test_applied_payments_never_exceed_amount_except_deliberate_overpayments(ledger):
    a = applied_per_invoice(ledger)
    cn = a[a["amount"] < 0]
    assert ((cn["paid"] >= cn["amount"]) & (cn["paid"] <= 0)).all()  # a credit note is used at most once
    a = a[a["amount"] > 0]
    assert (a["paid"] >= 0).all()
    over = a[a["paid"] > a["amount"] + 0.001]
    # documented rule: at most OVERPAY_SHARE of the invoices, each by at most OVERPAY_MAX_FRACTION (≤ 250.00)
    assert 0 < len(over) <= OVERPAY_SHARE * len(ledger["invoices"])
    excess = over["paid"] - over["amount"]
    assert (excess <= OVERPAY_MAX_FRACTION * over["amount"] + 0.01).all() and (excess <= 250).all()


def test_credit_notes(ledger):
    inv, pay = ledger["invoices"], ledger["payments"]
    cn = inv[inv["amount"] < 0]
    assert 0.02 * len(inv) <= len(cn) <= 0.04 * len(inv)
    assert cn["invoice_id"].str.startswith("CN-").all()
    assert (inv.loc[inv["amount"] > 0, "invoice_id"].str.startswith("INV-")).all()
    assert (cn["due_date"] == cn["invoice_date"]).all() and not cn["disputed"].any()
    # negative payment lines are credit notes taken as a deduction: exactly their amount, and the
    # remittance they belong to still brings in cash
    neg = pay[pay["amount"] < 0]
    assert len(neg) and neg["invoice_id"].str.startswith("CN-").all()
    cn_amount = cn.set_index("invoice_id")["amount"]
    assert (neg["amount"].to_numpy() == cn_amount.reindex(neg["invoice_id"]).to_numpy()).all()
    assert (pay.groupby("payment_id")["amount"].sum() > 0).all()
    a = applied_per_invoice(ledger)
    still_open = a[(a["amount"] < 0) & (a["paid"] == 0)]
    assert 0 < len(still_open) < len(cn)  # some credit notes stay open as negative items


def test_early_pay_discounts(default_ledger):
    """A discount taken is a credit note (terms "Early-payment discount") of 2 % of an early-pay invoice,
    netted in the remittance that pays that invoice in full within 10 days of its date: per remittance,
    Σ discount notes = −Σ round(2 % × amount) of the early-pay invoices it pays in full within 10 days."""
    inv, pay = default_ledger["invoices"], default_ledger["payments"]
    disc = inv[inv["terms"] == DISCOUNT_NOTE_TERMS]
    assert len(disc) and (disc["amount"] < 0).all() and (disc["due_date"] == disc["invoice_date"]).all()
    assert len(disc) <= 0.02 * len(inv)
    lines = pay.merge(inv[["invoice_id", "invoice_date", "amount", "terms"]], on="invoice_id", suffixes=("", "_inv"))
    d = lines[lines["terms"] == DISCOUNT_NOTE_TERMS]
    assert len(d) == len(disc) and (d["amount"] == d["amount_inv"]).all()  # each netted once, in full
    assert (d["payment_date"] == d["invoice_date"]).all()
    full_early = lines[
        (lines["terms"] == EARLY_PAY_TERMS)
        & (lines["amount"] == lines["amount_inv"])
        & ((lines["payment_date"] - lines["invoice_date"]).dt.days <= EARLY_PAY_DAYS)
        & lines["payment_id"].isin(d["payment_id"])
    ]
    expected = -(np.round(full_early["amount_inv"] * 100 * EARLY_PAY_RATE) / 100).groupby(full_early["payment_id"]).sum()
    got = d.groupby("payment_id")["amount"].sum()
    assert np.allclose(got.sort_index().to_numpy(), expected.reindex(got.index).sort_index().to_numpy(), atol=0.001)


def test_month_end_billing_is_paid_later(default_ledger):
    """Customers whose payables run closes before month end pay invoices dated on day 21 or later later."""
    from arkit.settlements import settlements

    s = settlements(Ledger.from_frames(**default_ledger))
    late_end = s.loc[s["invoice_date"].dt.day >= 21, "days_late"].mean()
    late_mid = s.loc[s["invoice_date"].dt.day.between(11, 20), "days_late"].mean()
    assert late_end - late_mid >= 2, (late_end, late_mid)


def test_unapplied_cash(ledger):
    pay = ledger["payments"]
    un = pay[pay["invoice_id"].isna()]
    assert 1 <= len(un) <= 0.01 * len(pay)
    assert (un["amount"] > 0).all()


def test_partial_payments_and_open_receivables(default_ledger):
    led = default_ledger
    lines = led["payments"].dropna(subset=["invoice_id"]).groupby("invoice_id").size()
    paid_invoices = lines.index.str.startswith("INV-").sum()
    multi = (lines[lines.index.str.startswith("INV-")] >= 2).sum()
    assert 0.04 <= multi / paid_invoices <= 0.15
    a = applied_per_invoice(led)
    open_ = a["amount"] - a["paid"]
    assert ((open_ > 0) & (a["paid"] > 0) & (a["amount"] > 0)).any()  # partly paid at as_of
    # DSO over the last 90 days of sales, cash on account deducted
    un = led["payments"].loc[led["payments"]["invoice_id"].isna(), "amount"].sum()
    inv = led["invoices"]
    sales90 = inv.loc[inv["invoice_date"] > AS_OF - pd.Timedelta(days=90), "amount"].sum()
    dso = (open_.sum() - un) / sales90 * 90
    assert 35 <= dso <= 60, dso


def test_payment_methods(ledger):
    assert set(ledger["payments"]["method"]) <= {"ach", "wire", "check", "card"}


# ------------------------------------------------------------------------------------------ customers


def test_segments_and_customers(ledger):
    cus, inv = ledger["customers"], ledger["invoices"]
    assert set(cus["segment"]) == set(SEGMENTS)
    assert set(cus["terms_days"]) <= {15, 30, 45, 60} and cus["terms_days"].mode()[0] == 30
    assert cus["customer_name"].is_unique and cus["email"].str.contains("@").all()
    assert (cus["credit_limit"] >= 5000).all() and (cus["credit_limit"] % 5000 == 0).all()
    new = cus[cus["segment"] == "new"]
    assert (new["since"] >= AS_OF - pd.Timedelta(days=186)).all()
    first = inv.groupby("customer_id")["invoice_date"].min()
    assert (first >= cus.set_index("customer_id")["since"].reindex(first.index)).all()
    # due date = invoice date + the customer's terms
    reg = inv[inv["amount"] > 0].merge(cus[["customer_id", "terms_days"]], on="customer_id")
    assert ((reg["due_date"] - reg["invoice_date"]).dt.days == reg["terms_days"]).all()
    # "Net <days>", or the early-pay terms "2/10 Net 30" for the customers offered the discount
    net = reg["terms"] == "Net " + reg["terms_days"].astype("str")
    early = (reg["terms"] == EARLY_PAY_TERMS) & (reg["terms_days"] == 30)
    assert (net | early).all() and early.any()
    assert reg.groupby("customer_id")["terms"].nunique().max() == 1  # one set of terms per customer


def test_defaulters_stop_paying(ledger):
    cus, pay, inv = ledger["customers"], ledger["payments"], ledger["invoices"]
    for cid in cus.loc[cus["segment"] == "defaulter", "customer_id"]:
        last_pay = pay.loc[(pay["customer_id"] == cid) & pay["invoice_id"].notna(), "payment_date"].max()
        assert last_pay <= AS_OF - pd.Timedelta(days=110)
        assert inv.loc[inv["customer_id"] == cid, "invoice_date"].max() > last_pay - pd.Timedelta(days=60)


# ------------------------------------------------------------------------------------------ activities


def test_activity_actions_and_ladder(ledger):
    act, inv, cus = ledger["activities"], ledger["invoices"], ledger["customers"]
    assert act["action"].isin(ACTIONS).all()
    assert {
        "reminder",
        "call",
        "letter",
        "promise_to_pay",
        "credit_hold",
        "credit_release",
        "dispute_opened",
        "dispute_resolved",
        "demand_letter",
    } <= set(act["action"])
    m = act.merge(inv[["invoice_id", "invoice_date", "due_date"]], on="invoice_id", how="left")
    m = m[m["invoice_id"].notna()]
    assert (m["date"] >= m["invoice_date"]).all()
    days = (m["date"] - m["due_date"]).dt.days
    for action, earliest in {
        "call": 15,
        "letter": 30,
        "credit_hold": 45,
        "demand_letter": 60,
        "agency": 90,
        "legal": 120,
        "write_off": 150,
    }.items():
        assert (days[m["action"] == action] >= earliest).all(), action
    assert (days[m["action"] == "reminder"] >= -9).all()
    assert set(act.loc[act["action"] == "call", "outcome"]) <= {"reached", "no_answer", "left_voicemail"}
    wo = act.loc[act["action"] == "write_off", "customer_id"]
    assert wo.isin(cus.loc[cus["segment"] == "defaulter", "customer_id"]).all()
    # holds and releases alternate per customer, starting with a hold
    h = act[act["action"].isin(["credit_hold", "credit_release"])].sort_values(["customer_id", "date"], kind="stable")
    for _, g in h.groupby("customer_id"):
        seq = g["action"].tolist()
        assert seq[0] == "credit_hold" and all(x != y for x, y in zip(seq[:-1], seq[1:], strict=True))


def test_write_offs_are_adjustments_of_the_balance_open_that_day(default_ledger):
    """Every write_off activity is booked in adjustments on its day for the invoice's open balance, and the
    invoice is closed from then on (no later payment)."""
    led = default_ledger
    adj, act, pay, inv = led["adjustments"], led["activities"], led["payments"], led["invoices"]
    wo = act[act["action"] == "write_off"]
    assert len(adj) > 0 and set(adj["kind"]) == {"write_off"}
    key = ["customer_id", "invoice_id", "date"]
    assert sorted(map(tuple, adj[key].values.tolist())) == sorted(map(tuple, wo[key].values.tolist()))
    m = adj.merge(inv[["customer_id", "invoice_id", "amount"]], on=["customer_id", "invoice_id"], suffixes=("", "_inv"))
    paid = pay.merge(adj[["customer_id", "invoice_id", "date"]], on=["customer_id", "invoice_id"])
    assert (paid["payment_date"] <= paid["date"]).all()
    paid_c = paid.groupby(["customer_id", "invoice_id"])["amount"].sum()
    before = paid_c.reindex(pd.MultiIndex.from_frame(m[["customer_id", "invoice_id"]])).fillna(0.0).to_numpy()
    assert np.allclose(m["amount"].to_numpy(), (m["amount_inv"].to_numpy() - before), atol=0.005)
    assert adj["adjustment_id"].is_unique


def test_promises_kept_means_paid_by_promised_date(ledger):
    act, pay = ledger["activities"], ledger["payments"]
    pr = act[act["action"] == "promise_to_pay"].reset_index(drop=True)
    assert len(pr) and set(pr["outcome"]) == {"kept", "broken"}
    assert (pr["promised_date"] > pr["date"]).all() and (pr["promised_amount"] > 0).all()
    m = pr.merge(pay[["invoice_id", "payment_date"]], on="invoice_id", how="left")
    m["hit"] = (m["payment_date"] > m["date"]) & (m["payment_date"] <= m["promised_date"])
    hit = m.groupby(["invoice_id", "date"])["hit"].any()
    expected = np.where(hit.reindex(pd.MultiIndex.from_frame(pr[["invoice_id", "date"]])).to_numpy(), "kept", "broken")
    assert (pr["outcome"].to_numpy() == expected).all()


def test_disputes(ledger):
    inv, act = ledger["invoices"], ledger["activities"]
    share = inv["disputed"].mean()
    assert 0.015 <= share <= 0.035
    disputed = set(inv.loc[inv["disputed"], "invoice_id"])
    opened = act.loc[act["action"] == "dispute_opened", "invoice_id"]
    resolved = act.loc[act["action"] == "dispute_resolved", "invoice_id"]
    assert set(opened) == disputed and opened.is_unique
    assert set(resolved) < disputed  # all resolved ones were opened; some are still open at as_of
    o = act[act["action"] == "dispute_opened"].set_index("invoice_id")["date"]
    r = act[act["action"] == "dispute_resolved"].set_index("invoice_id")["date"]
    assert (r > o.reindex(r.index)).all()


def test_payment_plans(default_ledger):
    act = default_ledger["activities"]
    pp = act[act["action"] == "payment_plan"]
    assert len(pp)
    segs = default_ledger["customers"].set_index("customer_id")["segment"]
    assert pp["customer_id"].map(segs).isin(["chronic_late", "defaulter"]).all()
    for _, plan in pp.groupby(["customer_id", "date"]):
        n = len(plan)
        assert plan["outcome"].tolist() == [f"installment {k}/{n}" for k in range(1, n + 1)]
        assert plan["promised_date"].is_monotonic_increasing and (plan["promised_date"] > plan["date"]).all()
        each = plan["promised_amount"].iloc[0]
        assert (plan["note"] == f"Payment plan: {n} monthly installments of {each:,.2f}").all()
        assert abs(plan["promised_amount"].iloc[-1] - each) < 0.01 * n + 1e-9
    # a plan agreed in the last three months, completed by as_of (a quarterly review sees one)
    assert (pp["date"] > AS_OF - pd.Timedelta(days=90)).any()


# ------------------------------------------------------------------------------------------ writing


def test_workbook_round_trip(tmp_path):
    path = write_sample(tmp_path / "sample.xlsx", n_invoices=1500, seed=3, as_of=AS_OF)
    assert path == tmp_path / "sample.xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.xlsx"]  # no temporary file left
    frames = make_sample_ledger(n_invoices=1500, seed=3, as_of=AS_OF)
    back = pd.read_excel(path, sheet_name=None, engine="calamine")
    assert list(back) == list(TABLE_NAMES)
    for t in TABLE_NAMES:
        assert back[t].shape == frames[t].shape, t
        assert list(back[t].columns) == columns(t)
    assert back["customers"]["customer_id"].tolist() == frames["customers"]["customer_id"].tolist()
    assert (back["invoices"]["amount"].round(2) == frames["invoices"]["amount"]).all()
    wb = openpyxl.load_workbook(path, read_only=False)
    assert wb.sheetnames == list(TABLE_NAMES)
    ws = wb["invoices"]
    assert ws.freeze_panes == "A2"
    cell = ws["C2"]  # invoice_date
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"
    assert cell.value == frames["invoices"]["invoice_date"].iloc[0].to_pydatetime()
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("C")


def test_formula_like_text_stays_text(tmp_path):
    names = ['=HYPERLINK("http://evil.example","click")', "=1+2", "+SUM(A1:A3)", "@cmd", "http://example.com"]
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(5)], "customer_name": names}).astype("str")
    path = write_workbook({"customers": frame}, tmp_path / "names.xlsx")
    ws = openpyxl.load_workbook(path)["customers"]
    for i, name in enumerate(names, start=2):
        assert ws.cell(i, 2).data_type == "s", name
        assert ws.cell(i, 2).value == name
        assert ws.cell(i, 2).hyperlink is None
    assert ws.cell(2, 1).value == "C00000"


def test_csv_folder(tmp_path):
    out = write_sample(tmp_path / "sample", n_invoices=600, seed=4, as_of=AS_OF)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLE_NAMES)
    frames = make_sample_ledger(n_invoices=600, seed=4, as_of=AS_OF)
    for t in TABLE_NAMES:
        back = pd.read_csv(out / f"{t}.csv", dtype="str")
        assert back.shape == frames[t].shape and list(back.columns) == columns(t)
    inv = pd.read_csv(out / "invoices.csv", dtype="str")
    assert inv["invoice_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_unsupported_path_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_sample(tmp_path / "sample.parquet", n_invoices=50)
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError):
        make_sample_ledger(n_invoices=0)


def test_generation_is_fast():
    t = time.perf_counter()
    led = make_sample_ledger(n_invoices=100_000, seed=5, as_of=AS_OF)
    assert time.perf_counter() - t < 10
    assert abs(len(led["invoices"]) - 100_000) <= 10_000


def test_sample_passes_the_strict_loader(ledger):
    led = Ledger.from_frames(ledger["invoices"], ledger["payments"], ledger["customers"], ledger["activities"], ledger["adjustments"])
    assert len(led.invoices) == len(ledger["invoices"]) and len(led.payments) == len(ledger["payments"])
    assert len(led.adjustments) == len(ledger["adjustments"])
    assert Ledger.from_frames(ledger["invoices"], ledger["payments"]).adjustments.empty  # without adjustments: an empty table
