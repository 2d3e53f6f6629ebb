"""The command line for imports: presets listed, the preset chosen said, totals printed as money, help text
with formats and defaults, figures an open-item export cannot support marked."""

import re
from pathlib import Path

import pytest

from arkit.cli import build_parser, main

DATA = Path(__file__).parent / "data" / "exports"


def test_sources_lists_every_preset(capsys):
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    for name in ("xero-aged-receivables-detail", "sap-fbl5n", "datev-opos", "netsuite-ar-aging-detail", "quickbooks-aging-summary"):
        assert name in out
    assert "aging summary" in out and "ledger" in out


def test_sources_scores_a_file(capsys):
    assert main(["sources", str(DATA / "datev-opos.csv")]) == 0
    out = capsys.readouterr().out
    assert "recognised as datev-opos" in out and "fits" in out


def test_validate_says_which_preset_and_prints_money(capsys):
    assert main(["validate", str(DATA / "netsuite-ar-aging-detail.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "recognised as netsuite-ar-aging-detail" in out
    assert "9,150.25" in out and "open-item export" in out and "as of 2026-10-31" in out
    assert "the export's own total row 15 ('Total'): 9,150.25" in out
    assert not re.search(r"\de[+-]\d", out)  # never 3.100419e+08


def test_validate_an_aging_summary(capsys):
    assert main(["validate", str(DATA / "sage-aged-debtors.csv")]) == 0
    out = capsys.readouterr().out
    assert "recognised as sage-aged-debtors" in out and "7,948.72" in out


def test_aging_prints_item_count_and_grand_total(capsys):
    assert main(["aging", str(DATA / "quickbooks-ar-aging-detail.csv"), "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert "6 open items, 5 customers, total open 2,991.07 at 2026-10-31" in out


def test_kpis_on_an_open_item_export_marks_history_figures(capsys):
    assert main(["kpis", str(DATA / "xero-aged-receivables-detail.csv"), "--start", "2026-10", "--end", "2026-10"]) == 0
    out = capsys.readouterr().out
    assert "cei: not computable from an open-item export" in out
    assert "dso_countback: not computable from an open-item export" in out


def test_auto_on_a_summary_with_load_ledger_is_one_sentence():
    import arkit
    from arkit import LedgerError

    with pytest.raises(LedgerError, match="an aging summary .* read it with arkit.load_snapshot"):
        arkit.load_ledger(DATA / "odoo-aged-partner-balance.xlsx")


def test_every_option_has_help_with_its_default_or_format():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        for a in p._actions:
            if a.dest in ("help",):
                continue
            assert a.help, f"{name} {a.dest} has no help"
            if a.option_strings and not a.required:
                assert "default" in a.help, f"{name} {a.option_strings[0]}: no default in help"
            if a.option_strings and any(o in a.option_strings for o in ("--as-of", "--start", "--end", "--quarter")):
                assert re.search(r"YYYY", a.help), f"{name} {a.option_strings[0]}: no format in help"
