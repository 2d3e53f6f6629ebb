"""The one-screen summary parts: headline tiles, what to do from the worklist, the company-details notice."""

import pandas as pd

from arkit.policy import load_policy
from arkit.review.summary import figure_tiles, notice, todo_lines


def test_tiles_format_each_unit_and_say_met_or_missed():
    rows = pd.DataFrame(
        {
            "label": ["Open AR", "DSO, countback", "Past due share <b>"],
            "unit": ["currency", "days", "%"],
            "value": [1033447.664, 43.67, 35.22],
            "change": [-66530.01, -4.47, -7.2],
            "target": [None, 45.0, None],
            "on_target": [None, True, None],
        }
    )
    html = figure_tiles(rows).data
    assert ">1,033,447.66<" in html and "−66,530.01 on last month" in html
    assert ">43.7 days<" in html and "−4.5 days on last month" in html and "target 45.0 days · met" in html
    assert ">35.2 %<" in html and "−7.2 points on last month" in html  # a share moves in points
    assert "arkit-ok" in html and "Past due share &lt;b&gt;" in html
    assert "on the previous quarter" in figure_tiles(rows, previous="the previous quarter").data


def test_todo_lines_follow_the_ladder_with_labels():
    wl = pd.DataFrame({"customer_id": ["A", "B", "C"], "step": ["demand_letter", "call", "call"], "past_due_amount": [100.0, 20.5, 30.0]})
    lines = todo_lines(wl, policy=load_policy(), letters=1)
    assert lines == ["Call: 2 customers, 50.50 past due", "Demand letter: 1 customer, 100.00 past due", "1 draft letter to review in the letters folder (none has been sent)"]
    assert todo_lines(wl.iloc[:0]) == ["No customer needs a collections action this month."]


def test_notice_is_escaped_or_absent():
    assert notice(None) == []
    assert "&lt;x&gt;" in notice("<x>")[0].data


def test_todo_lines_use_the_amount_at_stake_when_the_worklist_has_it():
    wl = pd.DataFrame({"customer_id": ["A"], "step": ["call"], "past_due_amount": [10.0], "amount_at_stake": [7.5]})
    assert todo_lines(wl) == ["Call: 1 customer, 7.50 at stake"]
