"""The regression corpus (tests/corpus, made by tests/corpus/make_corpus.py): the nastiest cases of the
hardening pass, each with its expected outcome — refused in one sentence, or loaded with named rows
quarantined and every row accounted for."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

import arkit
from arkit.cli import main
from arkit.errors import ConfigError, LedgerError

CORPUS = Path(__file__).resolve().parent / "corpus"
RANGE = "is outside 1900-01-01 … 2200-12-31"

#: file -> ("refused", text in the sentence) or ("loaded", {row: (column, problem)}, rows accepted)
EXPECTED = {
    "far_cell_xfd1048576.xlsx": ("refused", "spans 1,048,576 rows × 16,384 columns = 17,179,869,184 cells, over the limit of 30,000,000 (max_cells)"),
    "far_dimension_xfd1048576.xlsx": ("refused", "declares 1,048,576 rows × 16,384 columns"),
    "amount_1e20_cell.xlsx": ("loaded", {3: ("amount", "amount '1e+20' is outside ±1,000,000,000,000 (not a real amount)")}, 1),
    "amount_huge_text.csv": ("loaded", {3: ("amount", "amount '99999999999999999999' is outside ±1,000,000,000,000 (not a real amount)")}, 1),
    "amount_inf.parquet": ("loaded", {2: ("amount", "amount 'inf' is not a finite number"), 3: ("amount", "amount '-inf' is not a finite number")}, 1),
    "date_9999_12_31.csv": ("loaded", {3: ("invoice_date", f"date 9999-12-31 {RANGE}")}, 1),
    "date_9999_cell.xlsx": ("loaded", {3: ("invoice_date", f"date 9999-12-31 {RANGE}")}, 1),
    "date_0001_01_01.csv": ("loaded", {3: ("invoice_date", f"date 0001-01-01 {RANGE}")}, 1),
    "serial_2958465.xlsx": ("loaded", {3: ("invoice_date", f"date serial 2958465 (9999-12-31) {RANGE}")}, 1),
    "date_year_only.csv": ("loaded", {3: ("invoice_date", "'2026' is a year, not a date")}, 1),
    "date_tiny_integer.csv": ("loaded", {3: ("invoice_date", "'45' is a number, not a date (Excel date serials are read from 10,000 on)")}, 1),
    "date_trailing_junk.csv": ("loaded", {3: ("invoice_date", "text after the date in '2026-06-30 garbage'")}, 1),
    "date1904_serials.xlsx": ("loaded", {}, 1),
    "currency_case.csv": ("loaded", {}, 2),
    "two_currencies.csv": ("loaded", {3: ("currency", "currency EUR differs from the base currency USD and no rate is given (mapping currency.rates)")}, 1),
    "extra_column_differs.csv": ("loaded", {r: ("customer_id,invoice_id", "duplicate customer_id + invoice_id with different content (rows 2, 3)") for r in (2, 3)}, 0),
    "terminal_escapes.csv": ("loaded", {3: ("invoice_date", "unparseable date '\x1b[2J\x1b[H'")}, 1),
    "url_and_math_names.csv": ("loaded", {}, 3),
}
#: text-file cases of the reading layer (issue 8's import work decides how each is read): whatever the
#: reader does, the outcome is one sentence naming the file, or a load with every row accounted for
READ_OR_REFUSE = ["bare_cr_in_cell.csv", "cr_only_lines.csv", "trailing_comma.csv", "utf16_unicode_text.txt", "latin1_after_64k.csv"]


def test_the_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.suffix not in (".py", ".yaml") and not p.name.startswith("__")}
    assert files == set(EXPECTED) | set(READ_OR_REFUSE)
    assert all(p.stat().st_size < 120_000 for p in CORPUS.iterdir())


def _accounted(led):
    s = led.load_report.summary
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_quarantined"] + s["duplicates_dropped"]).all()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_case(name):
    p = CORPUS / name
    before = p.read_bytes()
    outcome = EXPECTED[name]
    if outcome[0] == "refused":
        with pytest.raises(LedgerError) as info:
            arkit.load_ledger(p)
        assert outcome[1] in str(info.value) and str(info.value).startswith(str(p)) and "\n" not in str(info.value)
    else:
        led = arkit.load_ledger(p)
        _accounted(led)
        q = led.load_report.quarantine
        assert {int(r.row): (r.column, r.problem) for r in q.itertuples()} == outcome[1]
        assert led.load_report.summary.loc["invoices", "rows_accepted"] == outcome[2]
    assert p.read_bytes() == before, "an input file was modified"


@pytest.mark.parametrize("name", READ_OR_REFUSE)
def test_text_file_case_is_read_or_refused_in_one_sentence(name):
    p = CORPUS / name
    try:
        led = arkit.load_ledger(p)
    except LedgerError as exc:
        assert str(p) in str(exc) and "\n" not in str(exc)
    else:
        _accounted(led)


def test_the_1904_corpus_workbook_reads_its_serials_from_1904():
    led = arkit.load_ledger(CORPUS / "date1904_serials.xlsx")
    assert str(led.invoices["invoice_date"].iloc[0].date()) == "2026-01-01"


def test_an_infinite_rate_is_a_mapping_error():
    with pytest.raises(ConfigError, match=r"currency\.rates\.EUR is inf; a rate must be a finite number above 0"):
        arkit.load_ledger(CORPUS / "two_currencies.csv", source=str(CORPUS / "rate_inf.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED) + READ_OR_REFUSE)
def test_validate_never_shows_a_traceback_or_a_raw_escape(name):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(CORPUS / name)])
    assert code in (0, 1, 2)
    shown = out.getvalue() + err.getvalue()
    assert "Traceback" not in shown and "unexpected error" not in shown and "\x1b" not in shown and "\x07" not in shown
    if code == 2:
        assert err.getvalue().count("\n") == 1
