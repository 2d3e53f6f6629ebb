"""Untrusted text stays text everywhere: Markdown/HTML (esc), charts (no mathtext), the offline check (no
link out of a report), CSV (no formula after a delimiter), .xlsx (long text cut visibly, never silently)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from arkit.excel import XLSX_MAX_TEXT, write_csv, write_excel
from arkit.render import check_offline
from arkit.review.display import esc

HOSTILE = [
    "see http://evil.example/pay now",
    "https://x.example",
    "<https://x.example>",
    "write to ar@evil.example",
    "mailto:ar@evil.example",
    "www.evil.example",
    "Acme\n===",
    "Acme\n---",
    "---",
    "***",
    "- item",
    "1. first",
    "+ plus",
    "    indented code",
    "$\\undefinedmacro$",
    "[click](https://x.example)",
    "![img](https://x.example/a.png)",
    "<b>bold</b> & <script>alert(1)</script>",
    "`code` *em* _em_ ~~del~~ # not a heading | cell",
    "a\x1b[2Jb\u202ec",
]


def _visible(html: str) -> str:
    from html.parser import HTMLParser

    class T(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts = []

        def handle_data(self, d):
            self.parts.append(d)

    t = T()
    t.feed(html)
    return "".join(t.parts)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("where", ["{}", "- customer {} slipped", "**Top debtor:** {}."])
def test_esc_text_renders_as_itself_and_nothing_else(text, where):
    md = where.format(esc(text))
    html = markdown2html_mistune(md)
    for tag in ("<a ", "<h1", "<h2", "<hr", "<img", "<pre", "<code", "<em", "<strong>" if "**" not in where else "<x", "<del", "<script", "<b>", "<ol", "<table"):
        assert tag not in html, (text, tag, html)
    if where == "{}":
        assert "<ul" not in html and "<li" not in html, html
    assert check_offline(html) == []
    expected = " ".join("".join(ch for ch in text if ch not in "\x1b\u202e").split())
    assert expected in " ".join(_visible(html).split()), (text, html)


def test_esc_examples():
    assert esc("O'Neill & Sons #1") == "O'Neill &amp; Sons \\#1"
    assert esc("a@b.com http://x") == "a&#64;b.com http&#58;//x"
    assert esc("cost $5") == "cost &#36;5"
    assert esc("A\n===") == "A ==="


def test_a_link_that_slipped_into_a_report_fails_the_offline_check():
    assert check_offline('<p><a href="http://evil.example/pay">http://evil.example/pay</a></p>') == [
        "external link <a href=http://evil.example/pay>"
    ]


def test_chart_text_is_never_mathtext():
    from arkit.review import charts

    totals = pd.Series([100.0, 50.0], index=["$\\undefinedmacro$", "a $x^2$ b"])
    fig = charts.aging_bars(totals, as_of=pd.Timestamp("2026-06-30"), currency="$\\undefinedmacro$")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # raises ValueError ("Unknown symbol") with mathtext on
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "$\\undefinedmacro$" in labels
    import matplotlib

    assert matplotlib.rcParams["text.parse_math"] is False and matplotlib.rcParams["text.usetex"] is False


@pytest.mark.parametrize("cell", ["x;=1+1", "x,=1+1", "x\t=1+1", "a | @SUM(A1)", "ok; -2+3", "=1+1", "+1", "@x"])
def test_csv_formula_after_any_delimiter_is_quoted_and_prefixed(tmp_path, cell):
    p = write_csv(tmp_path / "o.csv", pd.DataFrame({"name": [cell, "plain"], "amount": [1.5, -2.0]}))
    text = p.read_text(encoding="utf-8")
    for sep in (",", ";", "\t", "|"):  # however a spreadsheet splits the line, no field starts a formula
        for row in csv.reader(io.StringIO(text), delimiter=sep):
            for field in row:
                assert not field.lstrip()[:1] in ("=", "+", "@") or field.startswith("'"), (sep, field, text)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'" + cell and rows[2] == ["plain", "-2.0"]
    if cell[0] not in "=+@":
        assert f"\"'{cell}\"" in text  # quoted as one cell


def test_csv_plain_file_keeps_minimal_quoting(tmp_path):
    p = write_csv(tmp_path / "o.csv", pd.DataFrame({"name": ["a", "b, c"], "amount": [1.5, -2.0]}))
    assert p.read_bytes().decode("utf-8") == 'name,amount\r\na,1.5\r\n"b, c",-2.0\r\n'


def test_xlsx_text_over_the_cell_limit_is_cut_visibly_with_a_note(tmp_path):
    long = "x" * 40000
    p = write_excel(tmp_path / "o.xlsx", {"s": pd.DataFrame({"note": [long, "short"], "n": [1, 2]})})
    wb = openpyxl.load_workbook(p)
    ws = wb["s"]
    cell = ws.cell(row=2, column=1)
    assert len(cell.value) == XLSX_MAX_TEXT
    assert cell.value.endswith(" … [cut: 40,000 characters in all]") and cell.value.startswith("xxxx")
    assert "40,000 characters" in cell.comment.text
    assert ws.cell(row=3, column=1).value == "short" and ws.cell(row=3, column=1).comment is None
