"""Checks that a rendered report and its workbooks are finished work for people (issue 10's "must hold"):

- in the visible text: no ``00:00:00`` timestamps, no float with five or more decimals, no snake_case
  column heading, no internal code (``demand_letter``, ``good_slipping``…) as a table cell or a word;
- at a 1280 px window no table container, output area or the page scrolls sideways (scrollWidth ≤
  clientWidth: nothing cut off);
- printed: every number/date/id cell computes ``white-space: nowrap``, and in the PDF Chromium prints
  (text extracted with pdftotext) every amount of the tables appears whole on one line;
- in every workbook sheet: no snake_case header, no number in General format.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import openpyxl

from arkit.columns import code_labels
from tests.browser import FLAGS, need

SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
#: Internal codes with an underscore (the dictionary's codes): never a word a reader sees.
CODES = sorted(k for k in code_labels() if "_" in k)
_CODE_WORD = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w/-]|\.\w)")
AMOUNT = re.compile(r"^[−-]?\d{1,3}(?:,\d{3})+\.\d\d$")  # amounts with a thousands separator


class _Cells(HTMLParser):
    """Visible text, table headings and body cells (style/script content excluded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.th, self.td = [], [], []
        self._skip = 0
        self._cell: list[str] | None = None
        self._kind = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in ("th", "td"):
            self._cell, self._kind = [], tag

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self._skip:
            self._skip -= 1
        elif tag in ("th", "td") and self._cell is not None:
            (self.th if self._kind == "th" else self.td).append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def text_problems(html: str) -> list[str]:
    """What a reader would see that is raw: timestamps, long floats, snake_case headings, codes."""
    p = _Cells()
    p.feed(html)
    text = " ".join(" ".join(p.text).split())
    problems = []
    for m in re.finditer(r"\d{2}:\d{2}:\d{2}", text):
        problems.append(f"timestamp: …{text[max(0, m.start() - 30):m.end() + 10]}…")
    for m in re.finditer(r"(?<![\w.])\d+\.\d{5,}", text):
        problems.append(f"raw float: …{text[max(0, m.start() - 30):m.end() + 10]}…")
    problems += [f"snake_case heading: {h}" for h in p.th if SNAKE.match(h)]
    problems += [f"code in a cell: {c}" for c in p.td if SNAKE.match(c)]
    for m in _CODE_WORD.finditer(text):
        problems.append(f"internal code: …{text[max(0, m.start() - 40):m.end() + 20]}…")
    return problems[:20]


def browser_problems(html_path: Path, workdir: Path, *, width: int = 1280, pdf: bool = True) -> list[str]:
    """Open ``html_path`` at ``width`` px in headless Chromium; report what is cut off or scrolls sideways,
    numeric cells that may wrap in print, and amounts the printed PDF splits across lines."""
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if chromium is None:
        need("chromium", "apt-get install -y chromium (.ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright", "pip install -e '.[test]'")
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(Path(html_path).as_uri(), wait_until="load")
            over = page.evaluate(
                """() => [...document.querySelectorAll('.arkit-table, .jp-OutputArea-output, main, body, html')]
                     .filter(e => e.scrollWidth > e.clientWidth + 1)
                     .map(e => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}>${e.clientWidth}: ${(e.innerText || '').slice(0, 60)}`)"""
            )
            problems += [f"scrolls sideways at {width} px: {o}" for o in over]
            if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
                problems.append(f"the page is wider than a {width} px window")
            page.emulate_media(media="print")
            wraps = page.evaluate(
                """() => [...document.querySelectorAll('td.num, td.arkit-nowrap')]
                     .filter(td => /[0-9]/.test(td.innerText) && getComputedStyle(td).whiteSpace !== 'nowrap').map(td => td.innerText).slice(0, 5)"""
            )
            problems += [f"numeric cell may wrap in print: {w}" for w in wraps]
            amounts = page.evaluate(
                """() => [...new Set([...document.querySelectorAll('td.arkit-nowrap, td.num')].map(td => td.innerText.trim()))]"""
            )
            if pdf:
                out = Path(workdir) / "printed.pdf"
                page.pdf(path=str(out), print_background=True, format="A4")
        finally:
            browser.close()
    if pdf:
        if shutil.which("pdftotext") is None:
            need("pdftotext", "apt-get install -y poppler-utils")
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
        lines = text.replace("\u2212", "-")
        whole = [a for a in amounts if AMOUNT.match(a)]
        split = [a for a in whole if a.replace("\u2212", "-") not in lines]
        problems += [f"amount split or missing in the PDF: {a}" for a in split[:10]]
        if not whole:
            problems.append("no amount found in the tables (the check saw nothing)")
    return problems


def workbook_problems(path: Path) -> list[str]:
    """snake_case headers and numbers left in General format, per sheet, in an .xlsx file."""
    problems = []
    wb = openpyxl.load_workbook(path, read_only=False)
    for ws in wb.worksheets:
        header_row = 2 if ws.freeze_panes == "A3" else 1
        for c in ws[header_row]:
            if isinstance(c.value, str) and SNAKE.match(c.value):
                problems.append(f"{path.name}/{ws.title}: snake_case header {c.value}")
        for row in ws.iter_rows(min_row=header_row + 1):
            for c in row:
                v = c.value
                if isinstance(v, (int, float)) and not isinstance(v, bool) and c.number_format == "General":
                    problems.append(f"{path.name}/{ws.title}!{c.coordinate}: {v!r} in General format")
                    break
            if len(problems) > 20:
                return problems
    return problems


def report_problems(out_dir, html_name: str, tmp_path) -> list[str]:
    """Everything issue 10's must-hold finds wrong in one rendered report folder: the HTML's text
    (:func:`text_problems`), the page in Chromium at 1280 px and in print (:func:`browser_problems`), and
    every workbook beside it (:func:`workbook_problems`, named by file). No workbook at all is a problem."""
    out_dir = Path(out_dir)
    html_path = out_dir / html_name
    problems = text_problems(html_path.read_text(encoding="utf-8")) + browser_problems(html_path, tmp_path)
    books = sorted(out_dir.glob("*.xlsx"))
    if not books:
        problems.append(f"no workbook beside {html_name}")
    for book in books:
        problems += [f"{book.name}: {p}" for p in workbook_problems(book)]
    return problems
