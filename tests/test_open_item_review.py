"""The monthly review of an open-item export (a balance per open invoice, no payment history) says which
figures it cannot give and why, instead of 0.0 % or a dash (issue #8, item 5)."""

import re

import pandas as pd

import arkit
from arkit.kpis import OPEN_ITEM_REASON
from arkit.policy import load_policy
from arkit.review import monthly
from arkit.review.headline import HISTORY_FIGURES
from arkit.review.summary import monthly_summary

EXPORT = """customer_id,invoice_id,invoice_date,due_date,amount,open_amount
A,A1,2026-03-10,2026-04-09,1000.00,600.00
A,A2,2026-05-20,2026-06-19,250.00,250.00
B,B1,2026-06-05,2026-07-05,800.00,800.00
B,CN1,2026-06-12,2026-06-12,-50.00,-50.00
"""
MAPPING = "name: hand-open-items\nkind: open_items\nexport_date: 2026-06-30\n"


def _text(parts) -> str:
    return "\n".join(p._repr_html_() if hasattr(p, "_repr_html_") else str(getattr(p, "data", p)) for p in parts)


def test_review_of_an_open_item_export_marks_history_figures(tmp_path):
    (tmp_path / "open.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    led = arkit.load_ledger(tmp_path / "open.csv", source=str(tmp_path / "m.yaml"))
    assert led.is_open_item_export
    r = monthly.build(led, "2026-06-30", policy=load_policy())
    head = r.headline.set_index("figure")
    # open AR is the export's own figure: 600 + 250 + 800 − 50
    assert head.at["open_ar", "value"] == 1600.00
    assert pd.isna(head.at["open_ar", "not_computable"])
    for fig in ("dso_countback", "cei", "add", "collections"):
        assert head.at[fig, "not_computable"] == OPEN_ITEM_REASON
        assert pd.isna(head.at[fig, "value"])

    section = _text(monthly.section_headline(r))
    rows = {lab: row for lab, row in re.findall(r"<tr>\s*<t[dh][^>]*>([^<]*)</t[dh]>(.*?)</tr>", section, flags=re.S)}
    for fig in ("dso_countback", "cei", "add"):
        row = rows[head.at[fig, "label"]]
        assert "not computable from an open-item export" in row
        cells = re.findall(r">([^<]*)</td>", row)
        assert not {"0.0 %", "0.0", "–", "-"} & set(cells), cells  # (the policy's target may still be shown)
    assert OPEN_ITEM_REASON in section
    # a figure of the position is still shown as a number
    assert "1,600.00" in rows[head.at["open_ar", "label"]]

    tiles = _text(monthly_summary(r))
    for fig in ("dso_countback", "cei", "add"):
        tile = re.search(r'<div class="arkit-tile[^"]*"><div class="arkit-tile-value">([^<]*)</div><div class="arkit-tile-label">' + re.escape(head.at[fig, "label"]) + r"</div>(.*?)</div></div>", tiles, flags=re.S)
        assert tile and tile.group(1) == "not computable", fig
        assert "open-item export" in tile.group(2)


def test_history_figures_of_a_ledger_with_payments_are_computed():
    from tests.ledgers import invoices, payments
    from arkit.model import Ledger

    led = Ledger.from_frames(invoices([("A", "A1", "2026-04-01", "2026-05-01", 1000.0)]), payments([("A", "A1", "2026-06-05", 400.0)]))
    r = monthly.build(led, "2026-06-30", policy=load_policy())
    assert r.headline["not_computable"].isna().all()
    assert "not computable" not in _text(monthly.section_headline(r))
    assert set(HISTORY_FIGURES) >= {"dso_countback", "cei"}


def test_an_open_item_export_has_no_earlier_month(tmp_path):
    """The invoices paid before the export are not in it, so last month, the trend and the roll rates
    cannot be rebuilt: no 'last month' figure, no change, and the reason instead of a flow."""
    (tmp_path / "open.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    led = arkit.load_ledger(tmp_path / "open.csv", source=str(tmp_path / "m.yaml"))
    r = monthly.build(led, "2026-06-30", policy=load_policy())
    assert len(r.figures) == 1 and len(r.trend) == 1 and r.roll is None and r.drivers.empty
    from arkit.review.headline import change_drivers
    assert r.drivers.columns.tolist() == change_drivers(r.ledger, r.as_of).columns.tolist()  # the same table, no customer
    head = r.headline.set_index("figure")
    assert pd.isna(head.at["open_ar", "previous"]) and pd.isna(head.at["open_ar", "change"])
    assert "not computable from an open-item export" in _text(monthly.section_roll_rates(r))
    assert "Changes on last month are not computable from an open-item export" in _text(monthly_summary(r))
    aging = _text([p for p in monthly.section_aging(r) if isinstance(getattr(p, "data", None), str)])  # its sentences
    assert "The aging trend is not computable from an open-item export" in aging


def test_an_open_item_export_cannot_show_a_month_before_its_own(tmp_path):
    import pytest

    from arkit.errors import LedgerError

    (tmp_path / "open.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    led = arkit.load_ledger(tmp_path / "open.csv", source=str(tmp_path / "m.yaml"))
    with pytest.raises(LedgerError, match="shows what is open on 2026-06-30.*cannot show May 2026: give 2026-06-30"):
        monthly.build(led, "2026-05-31", policy=load_policy())
