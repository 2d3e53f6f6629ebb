"""The incentive-program comparison report: section functions, the generated recommendation, and the
notebook rendered end to end (Papermill → offline HTML + Excel appendix) on a small sample ledger whose
customer names are hostile and some of whose customers are marked as a pilot."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml

from arkit.incentives import DEFAULT_PROGRAMS, load_programs
from arkit.render import check_offline, render_report
from arkit.review import incentives_report as rep
from arkit.sample import make_sample_ledger, write_workbook
from tests.test_render import visible_text

HOSTILE = '<img src=x onerror=alert(1)> =HYPERLINK("http://x","pay")'
SECTIONS = ["Programs side by side", "Net benefit against take-up", "Sensitivity", "Days to pay", "Results by segment", "Pilot evaluation", "Recommendation", "Data and definitions"]


def _summary_row(**kw):
    row = {
        "program": "2/10 net 30", "type": "early_pay_discount", "annualised_cost": 0.3724, "already_early_share": 0.41,
        "net_low": -10_000.0, "net_benefit": -18_400.0, "net_high": -25_000.0, "break_even": "never pays",
        "revenue": 0.0, "take_up": 0.0, "take_up_base": 0.1, "participants": 0.0, "bad_debt_change": 0.0,
        "customers_charged": 0, "customers_charged_sales_share": 0.0, "good_customers_charged": 0,
    }  # fmt: skip
    row.update(kw)
    return row


D210 = {"name": "2/10 net 30", "type": "early_pay_discount", "rate": 0.02, "discount_days": 10, "net_days": 30}


def _programs(*progs):
    p = load_programs()
    p["programs"] = list(progs)
    return p


def test_recommendation_of_the_issue():
    """The issue's example: 41 % already early, 37.24 % a year against 9 %, −18,400 at the base take-up."""
    s = pd.DataFrame([_summary_row()])
    out = rep.recommendation_sentences(s, programs=_programs(D210))
    assert out[0] == (
        "Do not offer 2/10 net 30: 41.0 % of the take-up would come from customers who already pay within 10 days; "
        "it costs 37.2 % a year against a 9 % cost of capital and loses 18,400.00 a year at the base take-up."
    )
    assert out[-1] == "No program is recommended: none pays for itself on the figures its verdict rests on."


def test_recommendation_verdicts_follow_low_base_high():
    """low > 0 → offer; base > 0 only → pilot; high > 0 only → not yet (with its break-even)."""
    rows = [
        _summary_row(program="A", net_low=100.0, net_benefit=500.0, net_high=900.0),
        _summary_row(program="B", net_low=-100.0, net_benefit=200.0, net_high=900.0),
        _summary_row(program="C", net_low=-900.0, net_benefit=-200.0, net_high=300.0, break_even="pays above 20.0 % take-up"),
    ]
    progs = _programs(*[{**D210, "name": n} for n in "ABC"])
    out = rep.recommendation_sentences(pd.DataFrame(rows), programs=progs, currency="USD")
    assert out[0].startswith("Offer A: it gains 500.00 USD a year at the base take-up and still 100.00 USD at the low take-up; 41.0 %")
    assert out[1].startswith("Pilot B before offering it: it gains 200.00 USD a year at the base take-up but loses 100.00 USD at the low take-up")
    assert out[2].startswith("Do not offer C yet: it loses 200.00 USD a year at the base take-up and pays only at the high take-up (pays above 20.0 % take-up)")
    assert out[3].startswith("Priced on the assumptions of the programs file only (nothing on the ledger measures them): A never pays")
    assert out[4] == "Of the programs recommended, the best is A (500.00 USD a year, on assumed figures)."


def test_a_ledger_whose_overdue_balances_are_all_recovered_gives_the_plan_no_recovery_win():
    """25 customers, one invoice each of 1,000 due 2025-07-01, paid in full on 2025-09-15: every balance that
    reached 60 days past due (on 2025-08-30) was recovered within 6 months → measured recovery without a plan
    100 %; the config's 55 % is not used. The plan then recovers nothing more: bad debt change 0 in the
    measured scenario, only its fee is left, and the recommendation says it is not offered to recover more
    (the assumed figures alone would have called it a winner)."""
    from arkit.incentives import compare_programs
    from arkit.model import Ledger
    from tests.incentives_helpers import PLAN, programs, segs
    from tests.ledgers import invoices, payments

    inv = [(f"C{i}", f"I{i}", "2025-06-01", "2025-07-01", 1000.0) for i in range(25)]
    pay = [(f"C{i}", f"I{i}", "2025-09-15", 1000.0) for i in range(25)]
    led = Ledger.from_frames(invoices(inv), payments(pay))
    progs = programs(PLAN)
    c = compare_programs(led, "2026-06-30", programs=progs, segments=segs(led))
    rec = c.calibration.recovery["Plan"].set_index("group")
    assert rec.loc["without a plan", ["invoices", "balance", "recovered", "pct_recovered"]].tolist() == [25, 25_000.0, 25_000.0, 100.0]
    rr = c.calibration.recovery_rates(progs["programs"][0])
    assert rr["recovery_without_plan"] == 1.0 and rr["recovery_without_plan_measured"] and not rr["recovery_with_plan_measured"] and rr["extra"] == 0.0
    row = c.summary.iloc[0]
    assert row["basis_measured"] == "measured" and row["bad_debt_change_measured"] == 0.0
    assert row["bad_debt_change"] < 0  # the assumed 55 % → 80 % would have "recovered" more
    out = rep.recommendation_sentences(c.summary, programs=progs, calibration=c.calibration)
    assert out[0].startswith("Do not offer Plan to recover more: balances 60+ days past due are recovered 100.0 % without a plan (measured on the ledger) and 80.0 % with one (assumed in the programs file)")
    assert out[1] == "On the figures measured on this ledger, no program pays (Plan)."
    assert out[-1] == "No program is recommended: none pays for itself on the figures its verdict rests on."


def test_esc_keeps_quotes_and_neutralises_markup():
    assert rep.esc("O'Brien <b>*x*</b> & #1") == "O'Brien &lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\#1"


def test_charts_have_titles_and_units():
    from arkit.incentives import compare_programs
    from tests.incentives_helpers import paid_on, segs

    led = paid_on([5, 25, 60, 15, 35, None], customers=list("AABCCD"))
    c = compare_programs(led, "2026-06-30", programs=load_programs(), segments=segs(led))
    figs = [
        rep.take_up_chart(c.curves, c.summary, currency="USD"),
        rep.sensitivity_heatmaps(c.sensitivity, currency="USD"),
        rep.days_to_pay_chart(c.sample, c.programs["programs"], reach_days=20),
    ]
    for f in figs:
        titles = [ax.get_title(loc="left") for ax in f.axes] + [f._suptitle.get_text() if f._suptitle else ""]
        assert any(titles)
        labels = " ".join(ax.get_ylabel() + ax.get_xlabel() for ax in f.axes)
        assert "(" in labels or "%" in labels
        plt.close(f)
    assert "(USD)" in figs[0].axes[0].get_ylabel()


def test_pilot_section_without_a_pilot_says_how_to_mark_one():
    r = rep.IncentiveReport(ledger=None, as_of=pd.Timestamp("2026-06-30"), programs={}, policy={}, comparison=None, segments=None, pilot=None)
    (md,) = rep.section_pilot(r)
    assert "No pilot is marked" in md.data and "`pilot`" in md.data


# --------------------------------------------------------------------------------------------- rendered


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incentives")
    frames = make_sample_ledger(n_invoices=1500, seed=7, as_of="2026-06-30")
    names = HOSTILE + " " + frames["customers"]["customer_id"]
    frames["customers"]["customer_name"] = names
    frames["customers"]["pilot"] = np.where(np.arange(len(names)) % 3 == 0, "yes", "")
    frames["invoices"]["customer_name"] = frames["invoices"]["customer_id"].map(dict(zip(frames["customers"]["customer_id"], names)))
    ledger = write_workbook(frames, tmp / "ledger.xlsx")
    cfg = yaml.safe_load(DEFAULT_PROGRAMS.read_text(encoding="utf-8"))
    cfg["programs"].append({"name": "<b>VIP</b> perk", "type": "perk", "window_days": 25, "cost_per_participant": 40.0})
    programs = tmp / "programs.yaml"
    programs.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    out = render_report("incentives", ledger=ledger, as_of="2026-06-30", out_dir=tmp / "reports", params={"programs_path": str(programs)}, progress=False)
    html = tmp / "reports" / "2026-06" / "incentives.html"
    return {"out": tmp / "reports" / "2026-06", "result": out, "html": html, "text": html.read_text(encoding="utf-8")}


def test_outputs_exist(report):
    d = report["out"]
    assert (d / "incentives.html").exists() and (d / "incentives.ipynb").exists()
    xl = pd.ExcelFile(d / "incentives.xlsx", engine="calamine")
    assert {"programs", "take-up curves", "sensitivity", "by segment", "pilot", "recommendation", "assumptions", "customers"} <= set(xl.sheet_names)
    progs = pd.read_excel(d / "incentives.xlsx", sheet_name="programs", engine="calamine")
    assert "<b>VIP</b> perk" in set(progs["Program"]) and len(progs) == 7  # human headers (arkit.columns)
    nb = json.loads((d / "incentives.ipynb").read_text(encoding="utf-8"))
    assert not [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error" or o.get("name") == "stderr"]


def test_sections_present_in_order(report):
    text = visible_text(report["text"])
    pos = [text.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in pos), dict(zip(SECTIONS, pos))
    assert pos == sorted(pos)
    assert "Traceback" not in text and "Warning" not in text
    assert "Do not offer 2/10 net 30" in text and "already pay within 10 days" in text
    assert "bootstrap draws" in text and ("not significant" in text or "significant:" in text)
    assert "Assumptions" in text and "Cost of capital 9.0 %" in text


def test_offline_escaped_and_figures_inline(report):
    html = report["text"]
    assert check_offline(html) == []
    assert html.count('src="data:image/png;base64,') >= 3
    assert "<img src=x" not in html and "<b>VIP</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;b&gt;VIP&lt;/b&gt; perk" in html
    assert "&amp;#x27;" not in html


def test_opens_offline_in_headless_chromium(report, tmp_path):
    from tests.browser import console_errors, external_requests, open_in_chromium

    seen = open_in_chromium(report["html"], tmp_path)
    assert console_errors(seen) == [] and external_requests(seen) == []
    assert seen["title"].startswith("Incentive-program comparison") and seen["broken_images"] == 0
    assert seen["stddev"] > 20, "screenshot is blank"


def test_readable_for_people(report, tmp_path):
    """Issue 10's must-hold: labelled, formatted, nothing cut off at 1280 px, amounts whole in the PDF,
    workbooks with human headers and no number in General format."""
    from tests.readable import report_problems

    assert report_problems(report["out"], "incentives.html", tmp_path) == []


def test_behaviour_by_customer_hand_computed():
    """A: invoices of 100 and 300 paid in 10 and 30 days (5 and −5 days late) → 2 invoices, 400.00, mean 20.0
    days to pay, median 20.0, mean days late 0.0; B: one of 50 paid in 40 days, 10 late."""
    s = pd.DataFrame({"customer_id": ["A", "A", "B"], "segment": ["prompt", "prompt", "irregular"], "amount": [100.0, 300.0, 50.0], "days_to_pay": [10, 30, 40], "days_late": [5, -5, 10]})
    b = rep.behaviour_by_customer(s).set_index("customer_id")
    assert b.loc["A", ["invoices", "amount", "avg_days_to_pay", "median_days_to_pay", "avg_days_late"]].tolist() == [2, 400.0, 20.0, 20.0, 0.0]
    assert b.loc["B", ["segment", "invoices", "avg_days_late"]].tolist() == ["irregular", 1, 10.0]


# --------------------------------------------------------------------------------------------- one verdict

LATE = {"name": "Late fee", "type": "late_fee", "rate_per_month": 0.015, "grace_days": 10, "cap": 0.10, "collection_rate": 0.60}
POLICY_FEE = {"late_fee": {"rate_per_month": 0.015, "grace_days": 10}}


def _summary_view(s, progs, policy=None, calibration=None):
    """What incentives_summary reads of a report."""
    from types import SimpleNamespace

    return SimpleNamespace(comparison=SimpleNamespace(summary=s, calibration=calibration), programs=progs, policy=policy or {}, currency="USD")


def test_cards_and_recommendation_take_one_verdict_and_the_figure_it_rests_on():
    """A discount measured at −10,066.06 (assumed base −6,135.73) and a fee-only plan measured at +1,644.81
    (assumed base +18,778.23): both are 'do not offer'; the cards show −10,066.06 and 1,644.81 labelled
    measured, both red; the recommendation lines start with the same verdicts."""
    from arkit.review import summary as sm

    plan = {"name": "Plan", "type": "payment_plan", "min_days_past_due": 60, "installments": 4, "fee_rate": 0.03, "recovery_without_plan": 0.55, "recovery_with_plan": 0.80}
    rows = [
        _summary_row(net_low=-8_579.0, net_benefit=-6_135.73, net_high=-3_692.0, basis_measured="measured", net_measured=-10_066.06, take_up_measured=0.136),
        _summary_row(program="Plan", type="payment_plan", net_low=9_389.0, net_benefit=18_778.23, net_high=31_297.0, basis_measured="measured", net_measured=1_644.81, revenue_measured=1_644.81, bad_debt_change_measured=0.0, take_up=0.3, take_up_base=0.3),
    ]
    s = pd.DataFrame(rows)

    class Cal:  # recovery measured 100 % without a plan; with a plan the programs file's 80 % (8 balances followed)
        recovery = {"Plan": pd.DataFrame({"group": ["without a plan", "with a plan"], "invoices": [32, 8]})}

        def recovery_rates(self, prog):
            return {"recovery_without_plan": 1.0, "recovery_without_plan_measured": True, "recovery_with_plan": 0.8, "recovery_with_plan_measured": False, "extra": 0.0}

    progs = _programs(D210, plan)
    v = rep.program_verdicts(s, programs=progs, calibration=Cal())
    assert v["verdict"].tolist() == ["Do not offer 2/10 net 30", "Do not offer Plan to recover more"]
    assert v["net"].tolist() == [-10_066.06, 1_644.81] and v["basis"].tolist() == ["measured", "measured"] and not v["recommended"].any()
    recs = rep.recommendation_sentences(s, programs=progs, calibration=Cal())
    assert [x.split(":", 1)[0] for x in recs[:2]] == v["verdict"].tolist()
    assert "recovered 100.0 % without a plan (measured on the ledger) and 80.0 % with one (assumed in the programs file; the 8 balances followed with a plan are too few to measure and are not used)" in recs[1]
    assert recs[-1] == "No program is recommended: none pays for itself on the figures its verdict rests on."
    tiles, lists = sm.incentives_summary(_summary_view(s, progs, calibration=Cal()))[1:]
    assert "−10,066.06" in tiles.data and "1,644.81" in tiles.data and "18,778.23" not in tiles.data
    assert tiles.data.count("arkit-off") == 2 and "arkit-ok" not in tiles.data
    assert "2/10 net 30 · measured on the ledger" in tiles.data
    assert "<li>Do not offer Plan to recover more.</li>" in lists.data and "<li>Offer" not in lists.data
    # no fragment: every line of the summary's recommendation is a sentence with a verb
    assert "Under the figures measured on this ledger.</li>" not in lists.data and "Resting on the assumptions" not in lists.data


def test_the_policys_late_fee_is_in_force_not_a_new_program():
    """The policy charges 1.5 % a month after 10 days (the letters cite it): the same program is 'in force'
    — kept (its net 7,743.94 > 0), never 'Charge …'; measured, the fees on the lateness seen; a 2 % fee is a
    different fee, priced as new; no policy fee → new."""
    assert rep.late_fee_in_force(LATE, POLICY_FEE)
    assert not rep.late_fee_in_force({**LATE, "rate_per_month": 0.02}, POLICY_FEE)
    assert not rep.late_fee_in_force(LATE, {"late_fee": {"rate_per_month": 0, "grace_days": 10}})
    s = pd.DataFrame([_summary_row(program="Late fee", type="late_fee", net_low=7_690.55, net_benefit=7_743.94, net_high=7_824.0, revenue=7_505.56, customers_charged=44, customers_charged_sales_share=0.855, good_customers_charged=12, break_even="pays at any take-up")])
    progs = _programs(LATE)
    out = rep.recommendation_sentences(s, programs=progs, currency="USD", policy=POLICY_FEE)
    assert out[0].startswith("Keep charging Late fee: it is in force under the policy (1.5 % a month after 10 days' grace; the formal and demand letters cite it) and brings 7,743.94 USD a year at the base take-up; it should collect 7,505.56 USD")
    # as compare_programs measures it (the fees on the lateness seen): that figure, said so
    meas = rep.recommendation_sentences(s.assign(basis_measured="measured", net_measured=7_505.56, revenue_measured=7_505.56), programs=progs, currency="USD", policy=POLICY_FEE)
    assert meas[0].startswith("Keep charging Late fee: it is in force under the policy (1.5 % a month after 10 days' grace; the formal and demand letters cite it) and brings 7,505.56 USD a year in fees on the lateness the ledger shows (its payments were made with the fee in force, so no further response is counted)")
    assert "are charged at least once a year" in out[0]
    assert out[-1] == "Of the programs recommended, the best is Late fee (7,743.94 USD a year, on assumed figures)."
    assert rep.recommendation_sentences(s, programs=progs, currency="USD")[0].startswith("Charge Late fee: it gains 7,743.94 USD")
    losing = s.assign(net_low=-300.0, net_benefit=-100.0, net_high=50.0)
    assert rep.program_verdicts(losing, programs=progs, policy=POLICY_FEE)["verdict"].iloc[0] == "Review Late fee"
    from arkit.review import summary as sm

    tiles = sm.incentives_summary(_summary_view(s, progs, policy=POLICY_FEE))[1]
    assert "Late fee · assumed, base take-up · in force" in tiles.data and "arkit-ok" in tiles.data


def test_measured_take_up_is_named_as_a_share_of_the_eligible_amount():
    s = pd.DataFrame([_summary_row(basis_measured="measured", net_measured=-100.0, take_up_measured=0.136)])
    out = rep.recommendation_sentences(s, programs=_programs(D210))
    assert "at the measured take-up (13.6 % of sales: the share of the eligible amount on which the ledger's own early-pay terms were taken)" in out[0]
