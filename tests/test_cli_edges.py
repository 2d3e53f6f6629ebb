"""The command line at its edges: outputs never replace inputs, every anticipated failure is one line and
exit 2, untrusted text reaches the terminal as text."""

from __future__ import annotations

import errno
import os

import pandas as pd
import pytest

from arkit.cli import main, terminal_text
from tests.ledgers import EXAMPLE_INVOICES, invoices


@pytest.fixture
def ledger_csv(tmp_path):
    p = tmp_path / "in.csv"
    invoices(EXAMPLE_INVOICES).to_csv(p, index=False)
    return p


def _one_line_exit_2(capsys, argv) -> str:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("arkit: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "{in}", "--quarantine", "{in}"],
        ["aging", "{in}", "--as-of", "2026-06-30", "--out", "{in}"],
        ["kpis", "{in}", "--start", "2026-01", "--end", "2026-06", "--out", "{in}"],
        ["aging", "{in}", "--as-of", "2026-06-30", "--out", "{dir}/../{dirname}/in.csv"],  # another spelling
        ["aging", "{in}", "--as-of", "2026-06-30", "--out", "{dir}/link.csv"],  # a symlink to the input
        ["aging", "{in}", "--as-of", "2026-06-30", "--out", "{dir}/hard.csv"],  # a hard link of it
    ],
)
def test_an_output_that_is_an_input_is_refused_and_the_input_is_untouched(ledger_csv, capsys, argv):
    d = ledger_csv.parent
    (d / "link.csv").symlink_to(ledger_csv)
    os.link(ledger_csv, d / "hard.csv")
    before = ledger_csv.read_bytes()
    argv = [a.format(**{"in": ledger_csv, "dir": d, "dirname": d.name}) for a in argv]
    err = _one_line_exit_2(capsys, argv)
    assert "is the input file" in err and "write the output to another file" in err
    assert ledger_csv.read_bytes() == before


def test_an_output_over_a_table_of_a_ledger_folder_is_refused(tmp_path, capsys):
    d = tmp_path / "ledger"
    d.mkdir()
    invoices(EXAMPLE_INVOICES).to_csv(d / "invoices.csv", index=False)
    before = (d / "invoices.csv").read_bytes()
    _one_line_exit_2(capsys, ["validate", str(d), "--quarantine", str(d / "invoices.csv")])
    assert (d / "invoices.csv").read_bytes() == before


def test_a_mapping_yaml_is_an_input_too(ledger_csv, tmp_path, capsys):
    y = tmp_path / "m.yaml"
    y.write_text("tables: {}\n")
    _one_line_exit_2(capsys, ["aging", str(ledger_csv), "--source", str(y), "--as-of", "2026-06-30", "--out", str(y)])
    assert y.read_text() == "tables: {}\n"


@pytest.mark.parametrize("window", ["100000", "0", "-3", "x"])
def test_dso_window_out_of_range_is_one_line(ledger_csv, capsys, window):
    err = _one_line_exit_2(capsys, ["kpis", str(ledger_csv), "--start", "2026-01", "--end", "2026-03", "--dso-window", window])
    assert "--dso-window" in err


def test_disk_full_while_writing_a_workbook_is_one_line(ledger_csv, tmp_path, capsys, monkeypatch):
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    def full(self):
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(xlsxwriter.Workbook, "close", full)
    out = tmp_path / "aging.xlsx"
    err = _one_line_exit_2(capsys, ["aging", str(ledger_csv), "--as-of", "2026-06-30", "--out", str(out)])
    assert "No space left on device" in err and str(out) in err
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_disk_full_while_writing_a_csv_is_one_line(ledger_csv, tmp_path, capsys, monkeypatch):
    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "q.csv"
    with open(ledger_csv, "a") as fh:
        fh.write("C,BAD,2026-02-30,2026-03-01,10,USD\n")
    err = _one_line_exit_2(capsys, ["validate", str(ledger_csv), "--quarantine", str(out)])
    assert "No space left on device" in err


def test_a_missing_output_folder_and_an_unreadable_file_are_one_line(ledger_csv, tmp_path, capsys, monkeypatch):
    _one_line_exit_2(capsys, ["aging", str(ledger_csv), "--as-of", "2026-06-30", "--out", str(tmp_path / "no" / "a.csv")])

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(ledger_csv))

    monkeypatch.setattr("arkit.load.read_raw_tables", denied)
    err = _one_line_exit_2(capsys, ["validate", str(ledger_csv)])
    assert err.strip() == f"arkit: {ledger_csv}: Permission denied"


def test_an_unexpected_error_is_still_one_line_and_called_a_bug(ledger_csv, capsys, monkeypatch):
    def bug(*a, **k):
        raise KeyError("x\ny")

    monkeypatch.setattr("arkit.load.ledger_from_raw", bug)
    err = _one_line_exit_2(capsys, ["validate", str(ledger_csv)])
    assert "unexpected error in 'validate' (KeyError" in err and "this is a bug" in err


def test_terminal_escapes_in_cells_and_headers_are_shown_as_escapes(tmp_path, capsys):
    p = tmp_path / "in.csv"
    p.write_text(
        "customer_id,invoice_id,invoice_date,due_date,amount,currency,\x1b]0;pwned\x07note\n"
        "A,I1,2026-01-01,2026-01-31,10,USD,x\n"
        "A,I2,\x1b[2J\x1b[H,2026-01-31,10,USD,y\n",
        encoding="utf-8",
    )
    assert main(["validate", str(p)]) == 1
    out = capsys.readouterr()
    shown = out.out + out.err
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b[2J\\x1b[H" in shown


def test_terminal_text():
    assert terminal_text("a\x1b[31mred\x07\nb\u202e") == "a\\x1b[31mred\\x07\\nb\\u202e"
    assert terminal_text("Müller & Co, 東京") == "Müller & Co, 東京"


def test_a_header_no_preset_fits_is_named_with_escapes_shown(tmp_path, capsys):
    p = tmp_path / "odd.csv"
    p.write_text("\x1b]0;pwned\x07Kunde,Beleg\x1b[2J,Betrag\nA,1,10\n", encoding="utf-8")
    for argv in (["validate", str(p)], ["sources", str(p)]):
        try:
            main(argv)
        except SystemExit:
            pass
        out = capsys.readouterr()
        shown = out.out + out.err
        assert "\x1b" not in shown and "\x07" not in shown, shown
        assert "\\x1b" in shown, shown
