"""Reading text exports: encodings, line ends, delimiters, quoting, and bad input as one clear line or a
quarantine entry, never a traceback (arkit/_textread.py, the reading part of load.py, mapping checks)."""

import codecs

import openpyxl
import pandas as pd
import pytest

import arkit
from arkit import ConfigError, LedgerError

HEAD = "customer_id,invoice_id,invoice_date,due_date,amount"
ROWS = ["A,1,2026-01-01,2026-01-31,100.00", "A,2,2026-02-01,2026-03-03,50.50", "B,3,2026-02-10,2026-03-12,7.25"]


def rows_accounted(led):
    s = led.load_report.summary
    return bool((s["rows_read"] == s["rows_accepted"] + s["rows_quarantined"] + s["duplicates_dropped"] + s["rows_skipped"]).all())


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR-only"])
def test_line_ends(tmp_path, eol):
    f = tmp_path / "x.csv"
    f.write_bytes(eol.join([HEAD, *ROWS]).encode() + eol.encode())
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["amount"].tolist() == [100.0, 50.5, 7.25] and rows_accounted(led)


def test_stray_cr_inside_an_unquoted_cell(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"customer_id,invoice_id,invoice_date,due_date,amount,customer_name\nA,1,2026-01-01,2026-01-31,10,Acme\rCorp\nB,2,2026-01-01,2026-01-31,5,Beta\n")
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["customer_name"].tolist() == ["Acme Corp", "Beta"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_sniffed(tmp_path, sep):
    f = tmp_path / ("x.tsv" if sep == "\t" else "x.txt")
    f.write_text("\n".join(l.replace(",", sep) for l in [HEAD, *ROWS]) + "\n")
    led = arkit.load_ledger(f, source="generic")
    assert len(led.invoices) == 3 and led.load_report.sources["invoices"]["delimiter"] in ("comma", "semicolon", "tab", "pipe")


def test_utf16_unicode_text_from_excel(tmp_path):
    """Excel's "Unicode Text": UTF-16 LE with a byte-order mark, tab-separated."""
    f = tmp_path / "x.txt"
    text = "\r\n".join(l.replace(",", "\t") for l in [HEAD + ",customer_name", *[r + ",Müller" for r in ROWS]]) + "\r\n"
    f.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["customer_name"].tolist() == ["Müller"] * 3
    assert led.load_report.sources["invoices"]["encoding"] == "utf-16"


def test_cp1252_and_utf8_bom(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes((HEAD + ",customer_name\n" + ROWS[0] + ",Café – Ltd\n").encode("cp1252"))
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["customer_name"].iloc[0] == "Café – Ltd"
    f.write_bytes(codecs.BOM_UTF8 + (HEAD + "\n" + ROWS[0] + "\n").encode())
    assert len(arkit.load_ledger(f, source="generic").invoices) == 1


def test_latin1_byte_after_64kb(tmp_path):
    """A single-byte file whose first non-ASCII byte comes late is read as Windows-1252; a file that mixes
    UTF-8 and a Latin-1 byte is refused naming the line."""
    body = [f"C{i},{i},2026-01-01,2026-01-31,1.00" for i in range(4000)]
    f = tmp_path / "late.csv"
    f.write_bytes(("\n".join([HEAD + ",customer_name", *[b + ",x" for b in body]]) + "\n").encode() + b"Z,9999,2026-01-01,2026-01-31,1.00,Caf\xe9\n")
    assert f.stat().st_size > 65536
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["customer_name"].iloc[-1] == "Café" and len(led.invoices) == 4001
    f.write_bytes(("\n".join([HEAD + ",customer_name", "A,1,2026-01-01,2026-01-31,1.00,Zürich", *[b + ",x" for b in body]]) + "\n").encode() + b"Z,9999,2026-01-01,2026-01-31,1.00,Caf\xe9\n")
    with pytest.raises(LedgerError, match=r"late\.csv, line 4003: byte 0xe9 is not UTF-8.*encoding: cp1252"):
        arkit.load_ledger(f, source="generic")


def test_quoted_newlines_keep_file_line_numbers(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text(HEAD + ',customer_name\nA,1,2026-01-01,2026-01-31,10,"two\nlines"\nA,2,2026-01-01,2026-01-31,bad,x\n')
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["customer_name"].iloc[0] == "two\nlines"
    q = led.load_report.quarantine
    assert q["row"].tolist() == [4] and "unparseable amount" in q["problem"].iloc[0]


@pytest.mark.parametrize("first", ["A", "U"], ids=["repeated-first-column", "unique-first-column"])
def test_trailing_delimiter_on_every_row(tmp_path, first):
    f = tmp_path / "x.csv"
    rows = [r if first == "A" else f"{k}{r[1:]}" for k, r in zip("UVW", ROWS)]
    f.write_text(HEAD + "\n" + "\n".join(r + "," for r in rows) + "\n")
    led = arkit.load_ledger(f, source="generic")
    assert led.invoices["amount"].tolist() == [100.0, 50.5, 7.25]
    f.write_text(HEAD + ",\n" + "\n".join(r + "," for r in rows) + "\n")
    assert len(arkit.load_ledger(f, source="generic").invoices) == 3


def test_extra_field_is_one_line_naming_the_line(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text(HEAD + "\n" + ROWS[0] + "\n" + "A,9,2026-01-01,2026-01-31,1,234.00\n")
    with pytest.raises(LedgerError, match=r"x\.csv, line 3: (6 fields|more fields than the header).*header \(line 1\) has 5.*comma.*double quotes.*delimiter:") as e:
        arkit.load_ledger(f, source="generic")
    assert "\n" not in str(e.value) and "C error" not in str(e.value)


def test_wrong_pinned_delimiter_says_what_to_set(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("\n".join(l.replace(",", "\t") for l in [HEAD, *ROWS]) + "\n")
    m = tmp_path / "m.yaml"
    m.write_text("delimiter: ';'\n")
    with pytest.raises(LedgerError, match="required invoices column"):
        arkit.load_ledger(f, source=m)


def test_null_marker_rows_are_quarantined_not_dropped(tmp_path):
    f = tmp_path / "x.csv"
    nulls = ["NA,NA,NA,NA,NA", "null,null,null,null,null", "-,-,-,-,-", "n/a,n/a,n/a,n/a,n/a", "None,None,None,None,None"]
    f.write_text("\n".join([HEAD, *ROWS, *nulls]) + "\n\n")
    led = arkit.load_ledger(f, source="generic")
    r = led.load_report.summary.loc["invoices"]
    assert (r["rows_read"], r["rows_accepted"], r["rows_quarantined"]) == (8, 3, 5)
    assert sorted(led.load_report.quarantine["row"].unique().tolist()) == [5, 6, 7, 8, 9]


def test_duplicate_column_names(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("customer_id,invoice_id,invoice_date,due_date,amount,amount\nA,1,2026-01-01,2026-01-31,1,2\n")
    with pytest.raises(LedgerError, match=r"columns 'amount', 'amount' all read as invoices column 'amount'"):
        arkit.load_ledger(f, source="generic")
    f.write_text("customer_id,invoice_id,invoice_date,due_date,amount,note,note\nA,1,2026-01-01,2026-01-31,1,x,y\n")
    assert len(arkit.load_ledger(f, source="generic").invoices) == 1  # non-canonical duplicates are kept


def test_explicit_mapping_wins_over_a_canonical_named_column(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("customer_id,invoice_id,invoice_date,due_date,amount,Gross\nA,1,2026-01-01,2026-01-31,1,119.00\n")
    m = tmp_path / "m.yaml"
    m.write_text("tables: {invoices: {columns: {Gross: amount}}}\n")
    led = arkit.load_ledger(f, source=m)
    assert led.invoices["amount"].tolist() == [119.0] and led.invoices["amount (not mapped)"].tolist() == ["1"]


def test_hidden_sheet_is_named(tmp_path):
    f = tmp_path / "x.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "old"
    ws.append(HEAD.split(","))
    ws.append(["Z", "9", "2026-01-01", "2026-01-31", 999])
    ws.sheet_state = "hidden"
    ws2 = wb.create_sheet("current")
    ws2.append(HEAD.split(","))
    for r in ROWS:
        ws2.append(r.split(","))
    wb.save(f)
    led = arkit.load_ledger(f, source="generic")
    assert len(led.invoices) == 3 and led.load_report.sources["invoices"]["sheet"] == "current"
    wb = openpyxl.load_workbook(f)
    wb["old"].title = "invoices"
    wb.save(f)
    led = arkit.load_ledger(f, source="generic")
    assert led.load_report.sources["invoices"]["hidden_sheet"] == "invoices"


@pytest.mark.parametrize(
    "text, key",
    [
        ('dates: {format: "%Q.%m.%Y"}', "dates.format"),
        ("tables: {invoices: {constants: {currency: [1, 2]}}}", "tables.invoices.constants.currency"),
        ("encoding: klingon-8", "encoding"),
        ("delimiter: ';;'", "delimiter"),
        ("layout: {group_header: {column: 3}}", "layout.group_header"),
        ("layout: {subtotal_rows: '(('}", "layout.subtotal_rows"),
        ("layout: {sign: {column: SH, credit: H}}", "layout.sign.credit"),
        ("as_of: {pattern: 'As of (.+)'}", "as_of.pattern"),
        ("kind: history", "kind"),
    ],
)
def test_mapping_files_are_validated_completely_on_load(tmp_path, text, key):
    m = tmp_path / "m.yaml"
    m.write_text(text + "\n")
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        arkit.load_ledger(tmp_path / "nothing.csv", source=m)


def test_header_row_past_the_file_is_named(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text(HEAD + "\n" + ROWS[0] + "\n")
    m = tmp_path / "m.yaml"
    m.write_text("header_row: 999\n")
    with pytest.raises(LedgerError, match=r"header_row: 999 of the mapping is past the rows"):
        arkit.load_ledger(f, source=m)


def test_no_preset_fits_names_the_closest_and_what_did_not_map(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("Kunde,Beleg,Datum,Betrag\n1,2,2026-01-01,5\n")
    with pytest.raises(LedgerError, match=r"no preset fits this export; the closest are .*not mapped: .*header holds 'Kunde'") as e:
        arkit.load_ledger(f)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("content", [b"", b"\n\n\n", b"\x00\x01\x02binary\x00" * 50])
def test_empty_or_binary_text_file(tmp_path, content):
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    with pytest.raises(LedgerError):
        arkit.load_ledger(f)


def test_amount_forms_in_any_combination():
    from arkit.parse import parse_amounts

    us = ["$(1,234.56)", "($1,234.56)", "USD 1,234.56", "(USD 1,234.56)", "1,234.56 USD", "-$1,234.56", "1,234.56-", "1,234.56 CR"]
    v, bad = parse_amounts(pd.Series(us, dtype=object))
    assert v.tolist() == [-1234.56, -1234.56, 1234.56, -1234.56, 1234.56, -1234.56, -1234.56, -1234.56] and not bad.any()
    eu = ["1 234,56 €", "1.234,56-", "EUR 1.234,56", "(1.234,56 €)", "-1.234,56"]
    v, bad = parse_amounts(pd.Series(eu, dtype=object), decimal=",", thousands=".")
    assert v.tolist() == [1234.56, -1234.56, 1234.56, -1234.56, -1234.56] and not bad.any()


def test_trailing_delimiters_with_one_real_extra_field(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text(HEAD + "\n" + ROWS[0] + ",\n" + ROWS[1] + ",\n" + ROWS[2] + ",oops\n")
    with pytest.raises(LedgerError, match=r"x\.csv, line 4: more fields than the header \(line 1\) has 5"):
        arkit.load_ledger(f, source="generic")
