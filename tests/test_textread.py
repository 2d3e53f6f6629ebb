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


# ------------------------------------------------------------------ the plain UTF-8 fast path and the Arrow parsers


def _general_read(path, mapping):
    from arkit import _textread
    from arkit.load import _find_header

    text, enc, sep = _textread.prepare(path)
    grid = _textread.head_grid(text, sep, 60)
    h = _find_header(grid, mapping, str(path))
    frame, lines = _textread.read_body(text, sep, h, str(path))
    return frame, lines, enc, sep


@pytest.mark.parametrize("eol,bom", [("\n", b""), ("\r\n", b""), ("\r\n", codecs.BOM_UTF8)])
def test_fast_read_equals_the_general_read(tmp_path, eol, bom):
    """read_plain (bytes → pyarrow) gives the same cells, line numbers, encoding and delimiter as the
    decode-everything path, title block and quoted delimiters included."""
    from arkit import _textread
    from arkit.load import _find_header
    from arkit.mapping import load_mapping

    m = load_mapping("generic")
    body = ["Open items report", "", "customer_id;invoice_id;invoice_date;due_date;amount;note"]
    body += [f'C{i % 7};INV-{i:05d};2026-01-{1 + i % 28:02d};2026-02-{1 + i % 28:02d};{i * 1.25:.2f};"a; b {i}"' for i in range(400)]
    body += ["C1;INV-99999;2026-01-05;;  ;"]
    p = tmp_path / "x.csv"
    p.write_bytes(bom + eol.join(body).encode("utf-8") + eol.encode())
    fast = _textread.read_plain(p, lambda g: _find_header(g, m, str(p)))
    assert fast is not None
    grid, h, frame, lines, enc, sep = fast
    g_frame, g_lines, g_enc, g_sep = _general_read(p, m)
    pd.testing.assert_frame_equal(frame, g_frame)
    assert list(lines) == list(g_lines) and lines[0] == 4
    assert (enc, sep) == (g_enc, g_sep)


@pytest.mark.parametrize(
    "content",
    [
        'a,b\n1,"two\nlines"\n3,4\n',  # a quoted newline: line numbers need the csv module
        "a,b\n1,2\n\n3,4\n",  # an empty line: kept as a blank row by the general path
        "a,b\r1,2\r3,4\r",  # CR-only line ends
        "a,b\n1,x\ry\n3,4\n",  # a stray CR inside a cell (the general path makes it a space)
        "a,b\n1,2,3\n",  # a row wider than the header
        "a,a\n1,2\n",  # duplicate header names
    ],
)
def test_fast_read_leaves_the_rest_to_the_general_path(tmp_path, content):
    from arkit import _textread

    p = tmp_path / "x.csv"
    p.write_bytes(content.encode("utf-8"))
    assert _textread.read_plain(p, lambda g: 0) is None


def test_fast_read_refuses_a_non_utf8_file(tmp_path):
    from arkit import _textread

    p = tmp_path / "x.csv"
    p.write_bytes(("a,b\n" + "x,1\n" * 300 + "Café,2\n").encode("cp1252"))
    assert _textread.read_plain(p, lambda g: 0) is None


@pytest.mark.parametrize(
    "fn,values,kw",
    [
        ("parse_amounts", ["530.0", " 12 ", "+5", "-3.5", ".5", "5.", "1e5", "1_000", "inf", "nan", "", None, "  ", "NA", "$1,234.56", "(1.00)", "1.234", "12.345-", "abc", "0007", "99999999999999999999", "\u22125", "\u00a05"], {}),
        ("parse_dates", ["2024-01-05", " 2024-01-05 ", "2024-02-30", "2024-01-00", "2024-1-5", "1899-01-01", "9999-12-31", "45000", "2026", "01/02/2024", "2024-01-05 10:00", "2024-01-05x", "", None, "NA", "2024-13-01"], {}),
        ("parse_dates", ["2024-01-05", "31/12/2024", "2024-02-30", ""], {"date_format": "%d/%m/%Y"}),
        ("parse_ids", ["A1", " 12.0 ", "12.0", "x.0", "", None, "NA", "None", " b "], {}),
        ("parse_text", ["A1", " 12.0 ", "", None, "n/a", " b "], {}),
        ("parse_bools", ["Yes", "no", "1.0", "0", "x", "", None, "maybe", " TRUE "], {}),
        ("parse_ints", ["Net 30", "30", "30.0", " 45 days", "10 net 30", "abc", "", None, "-5", "Net 30 days "], {}),
        ("ambiguous_amounts", ["1.234", "12.345", "(1.000)"], {}),
        ("ambiguous_amounts", ["1.234", "12.34"], {}),
    ],
)
def test_arrow_parsers_equal_the_general_parsers(fn, values, kw):
    """Arrow-backed text (what the CSV readers return) is parsed in pyarrow; the result must be the one the
    general path gives for the same cells held as Python strings."""
    import numpy as np

    from arkit import parse

    f = getattr(parse, fn)
    fast = f(pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), **kw)
    slow = f(pd.Series(values, dtype=pd.StringDtype("python", na_value=np.nan)), **kw)
    for a, b in zip(fast if isinstance(fast, tuple) else (fast,), slow if isinstance(slow, tuple) else (slow,)):
        assert str(a.dtype) == str(b.dtype)
        assert a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist()
