"""Showing tables to people: formatted, escaped HTML tables in notebooks, and the report's Excel appendix."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from ..excel import write_excel

MONEY_HINTS = ("amount", "ar", "total", "past_due", "current", "recovery", "paid", "limit", "sales", "collections", "previous", "change", "value", "promised")


def table(df: pd.DataFrame, *, money=(), pct=(), days=(), caption: str | None = None, index: bool = False, max_rows: int = 60):
    """A pandas Styler for display: money with thousands separators and 2 decimals, percentages with one
    decimal and a % sign, days with one decimal; every text cell HTML-escaped (customer names are
    untrusted); long tables cut at ``max_rows`` with a note in the caption."""
    shown = df.head(max_rows)
    if not index:
        shown = shown.reset_index(drop=True)
    fmt = {}
    for c in shown.columns:
        if c in money:
            fmt[c] = "{:,.2f}"
        elif c in pct:
            fmt[c] = "{:.1f} %"
        elif c in days:
            fmt[c] = "{:.1f}"
    st = shown.style.format(fmt, na_rep="–", escape="html").format_index(escape="html", axis=1)
    if index:
        st = st.format_index(escape="html", axis=0)
    else:
        st = st.hide(axis="index")
    cap = caption or ""
    if len(df) > max_rows:
        cap = (cap + " " if cap else "") + f"(first {max_rows} of {len(df):,} rows; all rows in the Excel appendix)"
    if cap:
        st = st.set_caption(_escape(cap))
    return st


_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")
_WWW = re.compile(r"(?i)\b(www)\.")


def esc(text) -> str:
    """Untrusted text (customer names, notes, config text) for a Markdown cell, shown as exactly that text.

    - ``&``, ``<`` and ``>`` become HTML entities: no HTML can be injected.
    - Markdown's inline markup characters are backslash-escaped (``\\ ` * _ [ ] # | ~``): no emphasis, code,
      link or table cell is formed.
    - Every run of whitespace, line breaks included, becomes one space, control characters and
      bidirectional overrides are dropped: a newline followed by ``===`` or ``---`` cannot make a heading or
      a rule, an indent cannot make a code block. A leading ``-``, ``+``, ``=`` or ``1.`` is escaped so the
      text cannot start a list or a rule where it begins a line.
    - Autolinks are broken with entities that render as the same characters: ``:`` as ``&#58;``, ``@`` as
      ``&#64;``, ``www.`` as ``www&#46;`` — a URL or an e-mail address in a name shows as text, never
      becomes an ``<a href>``.
    - ``$`` becomes ``&#36;``: ``$…$`` is never typeset as math.

    Quotes are left as they are: harmless in text, and an entity's ``#`` would otherwise be escaped into view
    (``O'Neill`` stays ``O'Neill``)."""
    s = " ".join(_CONTROLS.sub("", str(text)).split())
    for ch in "\\`*_[]#|~":  # the backslash first, so the escapes added after it stay single
        s = s.replace(ch, "\\" + ch)
    s = _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(3), s)
    s = html.escape(s, quote=False)
    s = s.replace(":", "&#58;").replace("@", "&#64;").replace("$", "&#36;")
    return _WWW.sub(r"\1&#46;", s)


def _escape(text: str) -> str:
    return html.escape(str(text))


class ReportBook:
    """Collects a report's tables for its Excel appendix (one sheet each, formatted for reading)."""

    def __init__(self):
        self.sheets: dict[str, pd.DataFrame] = {}

    def add(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """Add ``df`` as sheet ``name``; returns ``df`` unchanged so it can be shown in the same line."""
        self.sheets[name] = df
        return df

    def save(self, path) -> Path | None:
        if not self.sheets:
            return None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_excel(path, self.sheets)


def show(*parts) -> None:
    """Display section parts in order (Markdown, tables, figures); figures are closed once shown so the
    inline backend does not show them twice."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    for part in parts:
        if isinstance(part, (list, tuple)):
            show(*part)
            continue
        display(part)
        if isinstance(part, plt.Figure):
            plt.close(part)


def load_report_parts(ledger, book: ReportBook, *, caption: str | None = None) -> list:
    """The "what was loaded" part every report ends with: rows read / accepted / quarantined per table
    and, when rows were kept out, one sentence pointing to the quarantine sheet added to ``book``."""
    from IPython.display import Markdown

    rep = ledger.load_report
    if rep is None:
        return []
    cols = ["table", "rows_read", "rows_accepted", "rows_quarantined", "duplicates_dropped", "amount_accepted", "amount_quarantined"]
    out = [table(rep.summary.reset_index()[cols], money=["amount_accepted", "amount_quarantined"], caption=caption)]
    if len(rep.quarantine):
        book.add("quarantine", rep.quarantine)
        out.append(Markdown(f"{len(rep.quarantine):,} problem(s) kept rows out of the figures; they are listed in the Excel appendix (sheet *quarantine*)."))
    return out
