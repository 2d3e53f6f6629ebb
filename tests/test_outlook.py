"""The monthly review's outlook: the model/baseline choice, the worklist feed, the sections."""

from __future__ import annotations

import pandas as pd
import pytest

from arkit.review import outlook
from arkit.review.display import Table
from tests.ledgers import ledger


def _preds(rows):
    """rows: (customer_id, invoice_id, due_date, open_amount, days_past_due, p_late, expected_pay_date)."""
    df = pd.DataFrame(rows, columns=["customer_id", "invoice_id", "due_date", "open_amount", "days_past_due", "p_late", "expected_pay_date"])
    df["due_date"] = pd.to_datetime(df["due_date"])
    df["expected_pay_date"] = pd.to_datetime(df["expected_pay_date"])
    df["customer_name"] = "Name " + df["customer_id"]
    df["drivers"] = "pays 20 days late on average"
    return df


def _outlook(preds):
    return outlook.Outlook(pd.Timestamp("2026-06-30"), preds, pd.DataFrame(), None, True, True, "")


def test_feed_worklist_adds_a_pre_due_call_and_each_rows_expected_pay_date():
    rows = [("A", "A1", "2026-07-05", 50_000.0, -5, 0.9, "2026-07-25")]  # large, likely late, due in 5 days
    rows += [("B", "B1", "2026-05-31", 100.0, 30, 0.6, "2026-07-03")]  # on the worklist already
    rows += [("C", "C1", "2026-07-06", 40_000.0, -6, 0.4, "2026-07-06")]  # large but likely on time
    rows += [("D", "D1", "2026-09-30", 60_000.0, -92, 0.95, "2026-10-20")]  # likely late, but due in 3 months
    rows += [(f"S{i}", f"S{i}", "2026-07-10", 10.0, -10, 0.99, "2026-08-01") for i in range(20)]  # small
    wl = pd.DataFrame({"priority": [1], "customer_id": ["B"], "customer_name": ["Name B"], "step": ["call"], "action": ["call"], "letter": [None], "owner": ["collector"], "oldest_invoice": ["B1"], "oldest_days_past_due": [30], "past_due_amount": [100.0], "open_amount": [100.0], "amount_at_stake": [100.0], "probability_of_loss": [0.2], "expected_loss_avoided": [20.0], "reason": ["oldest invoice B1 30 days past due"]})
    w = outlook.feed_worklist(wl, _outlook(_preds(rows)))
    assert list(w["customer_id"]) == ["B", "A"]
    assert w.loc[0, "expected_pay_date"] == pd.Timestamp("2026-07-03")
    a = w.loc[1]
    assert a["step"] == "call_before_due" and a["owner"] == "collector" and a["oldest_invoice"] == "A1"
    assert a["amount_at_stake"] == 50_000.0 and a["p_late"] == 0.9 and a["expected_loss_avoided"] == 0.0
    assert a["expected_pay_date"] == pd.Timestamp("2026-07-25")
    assert a["reason"].startswith("likely to be paid late (90 %)")
    assert list(w["priority"]) == [1, 2]


def test_likely_to_slip_ranks_by_amount_at_risk():
    rows = [("A", "A1", "2026-07-05", 1000.0, -5, 0.5, "2026-07-10"), ("B", "B1", "2026-07-05", 600.0, -5, 0.9, "2026-07-20"), ("C", "C1", "2026-06-01", 9000.0, 29, 0.9, "2026-07-20")]
    s = outlook.likely_to_slip(_outlook(_preds(rows)))
    assert list(s["invoice_id"]) == ["B1", "A1"]  # 540 then 500; C1 is past due
    assert list(s["at_risk"]) == [540.0, 500.0]


def test_a_short_ledger_uses_the_baseline_and_the_model_card_warns():
    led = ledger(
        [("A", "1", "2026-04-05", "2026-05-05", 100.0), ("A", "2", "2026-05-20", "2026-06-19", 50.0), ("A", "3", "2026-06-20", "2026-07-20", 70.0)],
        [("A", "1", "2026-05-11", 100.0)],
    )
    o = outlook.build_outlook(led, "2026-06-30")
    assert not o.use_model and o.backtest is None
    assert "baseline" in o.why
    # invoice 2 was due 19 June; the customer pays 6 days late → baseline 25 June, moved to 1 July (as_of + 1)
    p = o.predictions.set_index("invoice_id")
    assert p.loc["2", "expected_pay_date"] == pd.Timestamp("2026-07-01")
    assert p.loc["3", "expected_pay_date"] == pd.Timestamp("2026-07-26")
    assert o.forecast["expected"].sum() + o.forecast.attrs["later"] == pytest.approx(120.0)
    card = outlook.section_model_card(o)
    assert "Caution" in card[0].data
    parts = outlook.section_cash_outlook(o)
    assert any(isinstance(x, Table) for x in parts)
    assert "Low (10th percentile)" not in next(x for x in parts if isinstance(x, Table)).data.columns  # no band for the baseline


def test_the_report_backtest_runs_once_per_ledger_and_date_and_a_small_ledger_is_tested_in_full():
    from arkit.predict import backtest_predictions, known_at
    from tests.test_predict import _habit_ledger

    led = _habit_ledger()  # 4 customers, 192 invoices: a small ledger
    bt = outlook.light_backtest(led, "2025-10-31")
    assert bt is not None and len(bt) == 1 and (bt["method"] == "model").all()
    assert outlook.light_backtest(led, "2025-10-31") is bt  # kept on the ledger
    full = backtest_predictions(known_at(led, "2025-10-31"), list(bt["cutoff"]))
    cols = ["auc", "auc_baseline", "brier", "mae_days", "mae_days_baseline", "wape", "wape_baseline"]
    pd.testing.assert_frame_equal(bt[cols], full[cols])  # light lightens only large ledgers (fewer simulations for the band)
