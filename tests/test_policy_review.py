"""The quarterly policy review as a whole (arkit.review.policy_review): the sections on the sample ledger (hostile
names, missing data). Each section's figures are tested beside its module, in tests/test_policy_review_<module>.py.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

from arkit.kpis import kpis
from arkit.model import Ledger
from arkit.review import policy_review as pr
from arkit.sample import make_sample_ledger
from tests.policy_review_helpers import POLICY, Q


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


SECTIONS = ("section_policy", "section_outcomes", "section_escalation", "section_credit", "section_disputes", "section_plans", "section_retention", "section_billing", "section_incentives_in_use", "section_recommendations", "section_appendix")


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
    """The quarter-end DSO and BPDSO are arkit.kpis' at the quarter's last month end, the shares of AR the
    position's (of gross AR, never negative); sales and collections add up its three months."""
    k = kpis(review.ledger, "2026-07", "2026-09")
    f = review.figures.loc["2026Q3"]
    assert f["dso"] == pytest.approx(k["dso"].iloc[-1]) and f["bpdso"] == pytest.approx(k["bpdso"].iloc[-1])
    from arkit.position import position

    shares = position(review.ledger, "2026-09-30", buckets=tuple(POLICY["buckets"])).shares  # as in the monthly review
    assert f["pct_current"] == pytest.approx(shares["current"]) and f["pct_91_plus"] == pytest.approx(shares.iloc[-1])
    assert 0 <= f["pct_91_plus"] <= 100
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


def test_sample_cei_conventions_and_quarters_on_target(review):
    """2026Q3 on the sample: the CEI judged against the target is the mean of arkit.kpis' three monthly CEIs
    (the monthly review's figure); the multi-month CEI divides the quarter's sales by 3; "quarters on
    target" never counts more quarters than the ledger covers in full."""
    k = kpis(review.ledger, "2026-06", "2026-09")
    f = review.figures
    assert f.loc["2026Q3", "cei"] == pytest.approx(k["cei"].iloc[1:].mean())
    q3 = f.loc["2026Q3"]
    prev_open = k["open_ar"].iloc[0]
    expect = (prev_open + q3["sales"] / 3 - q3["open_ar"]) / (prev_open + q3["sales"] / 3 - q3["current_ar"]) * 100
    assert q3["cei_multi_month"] == pytest.approx(expect)
    n_complete = int(f["complete"].sum())
    for s in review.outcomes["quarters_on_target"]:
        if s:
            k_on, n = (int(x) for x in s.split(" of "))
            assert k_on <= n <= n_complete


def test_sample_referral_recovery_equals_a_plain_recomputation(review):
    """2026Q3 on the sample: recompute referral recovery with plain pandas on the invoices the agency/legal
    rows of the year name — balance at the end of the first referral day (past due, positive), payments
    applied to them after it up to the quarter end, capped at the balance — and compare within 0.1 points."""
    L = review.ledger
    a = L.activities
    a = a[a["action"].isin(["agency", "legal"]) & (a["date"] >= pd.Timestamp("2025-10-01")) & (a["date"] <= pd.Timestamp("2026-09-30")) & a["invoice_id"].notna()]
    first = a.groupby(["customer_id", "invoice_id"], as_index=False)["date"].min().rename(columns={"date": "ref"})
    inv = L.invoices[["customer_id", "invoice_id", "due_date", "amount"]]
    j = first.merge(inv, on=["customer_id", "invoice_id"])
    pay = L.payments.dropna(subset=["invoice_id"])[["customer_id", "invoice_id", "payment_date", "amount"]].rename(columns={"amount": "paid"})
    m = j.merge(pay, on=["customer_id", "invoice_id"], how="left")
    before = m[m["payment_date"] <= m["ref"]].groupby(["customer_id", "invoice_id"])["paid"].sum()
    after = m[(m["payment_date"] > m["ref"]) & (m["payment_date"] <= pd.Timestamp("2026-09-30"))].groupby(["customer_id", "invoice_id"])["paid"].sum()
    j = j.set_index(["customer_id", "invoice_id"])
    j["owed"] = j["amount"] - before.reindex(j.index, fill_value=0.0)
    j = j[(j["owed"] > 0.005) & (j["due_date"] < j["ref"])]
    j["rec"] = np.minimum(after.reindex(j.index, fill_value=0.0), j["owed"])
    plain = j["rec"].sum() / j["owed"].sum() * 100
    tot = review.referral_recovery.set_index("stage").loc["All referrals"]
    assert int(tot["invoices"]) == len(j)
    assert tot["pct_recovered"] == pytest.approx(plain, abs=0.1)
    assert tot["owed"] == pytest.approx(j["owed"].sum(), abs=0.01)
