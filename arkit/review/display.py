"""Showing tables to people: formatted, escaped HTML tables in notebooks, and the report's Excel appendix."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..excel import write_excel

MONEY_HINTS = ("amount", "ar", "total", "past_due", "current", "recovery", "paid", "limit", "sales", "collections", "previous", "change", "value", "promised")

#: Kinds shown right-aligned and never broken inside a cell (numbers, dates); ids are kept whole too.
_NOWRAP = frozenset({"money", "pct", "fraction", "days", "count", "number", "score", "date", "id", "figure"})
_RIGHT = frozenset({"money", "pct", "fraction", "days", "count", "number", "score", "date", "figure"})


class Table:
    """A table ready for the page: its HTML (``_repr_html_``/``to_html``) and the full frame it shows
    (``data``)."""

    def __init__(self, html_text: str, data: pd.DataFrame):
        self.html = html_text
        self.data = data

    def _repr_html_(self) -> str:
        return self.html

    def to_html(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<Table {self.data.shape[0]} rows × {self.data.shape[1]} columns>"


def table(
    df: pd.DataFrame,
    *,
    money=(),
    pct=(),
    days=(),
    caption: str | None = None,
    index: bool = False,
    max_rows: int = 60,
    fraction=(),
    count=(),
    columns=None,
    note: str | None = None,
    policy: dict | None = None,
    links=(),
    fit: bool = True,
    muted_rows=None,
    right=(),
) -> Table:
    """A table for people, rendered with great_tables.

    Column names go through the dictionary of columns (:mod:`arkit.columns`): a snake_case name gets its
    label, and each column its kind and format — money with thousands separators and 2 decimals,
    percentages (``pct``: held 0–100; ``fraction``: held 0–1) with one decimal and a % sign, days with one
    decimal, counts with separators, dates as ``2026-06-30`` (never a time of day), flags as Yes/No,
    internal codes (segments, ladder steps, actions, owners) by their label (``policy`` ladder labels
    win). ``money``/``pct``/``days``/``fraction``/``count`` name columns whose kind the caller states
    (by the frame's column name). Text is HTML-escaped (names are untrusted) and left-aligned under a
    left-aligned header; numbers, dates and ids never break inside a cell. Long tables are cut at
    ``max_rows`` and ``columns`` (when given) chooses the columns for the page; without it, a table too
    wide for the page (:data:`PAGE_WIDTH_PX`, estimated from the formatted values, text wrapping) keeps
    its leading columns (``fit``) — either way a source note says so and where the full table is (the
    Excel appendix). ``links`` names columns of relative file paths, shown as links to them. ``note``
    adds a source note. ``muted_rows`` (one bool per row of ``df``, in order) greys those rows — periods
    shown for context but not judged, such as a partial quarter. ``right`` names columns of numbers
    already formatted as text (:func:`by_unit`: one unit per row), aligned and kept whole like numbers.
    """
    from .. import columns as coldict

    full = df.reset_index() if index else df.reset_index(drop=True)
    full.columns = [str(c) for c in full.columns]
    shown = full.head(max_rows)
    notes = []
    if columns is not None:
        keep = [str(c) for c in columns if str(c) in shown.columns]
        gone = [c for c in shown.columns if c not in keep]
        shown = shown[keep]
        if gone:
            notes.append(f"Not shown here: {', '.join(coldict.label(c) for c in gone)}; the Excel appendix has every column.")
    if len(full) > max_rows:
        notes.insert(0, f"First {max_rows} of {len(full):,} rows; all rows in the Excel appendix.")
    if note:
        notes.append(str(note))
    overrides = _overrides(money=money, pct=pct, days=days, fraction=fraction, count=count)
    link_cols = {str(c) for c in ([links] if isinstance(links, str) else links)}
    for c in link_cols:
        overrides[c] = "link"
    for c in [right] if isinstance(right, str) else right:
        overrides[str(c)] = "figure"
    people, kinds = coldict.for_people(shown, policy=policy, kinds=overrides)
    for c, k in list(kinds.items()):  # numbers a section already wrote as text ("0.232", "60.0 %"): shown as numbers
        if k == "text" and _numeric_text(people[c]):
            kinds[c] = "figure"
    if fit and columns is None:
        keep = fit_columns(people, kinds)
        if len(keep) < people.shape[1]:
            gone = [c for c in people.columns if c not in keep]
            people = people[keep]
            kinds = {c: kinds[c] for c in keep}
            notes.append(f"Not shown to fit the page: {', '.join(gone)}; the Excel appendix has every column.")
    muted = [i for i, m in enumerate(list(muted_rows)[: len(people)]) if m] if muted_rows is not None else []
    return Table(_gt_html(people, kinds, caption=caption, notes=notes, muted=muted), full)


#: The width a table may take on the page: a 1280 px window less the page's padding, with a margin.
PAGE_WIDTH_PX = 1180
_CHAR_PX = 7.4  # an average character of the 13.5 px table font
_CELL_PAD_PX = 21


def _formatted_len(s: pd.Series, kind: str) -> int:
    vals = pd.to_numeric(s, errors="coerce").dropna() if kind not in ("date", "text", "id", "link", "figure") else s.dropna()
    if len(vals) == 0:
        return 1
    if kind == "date":
        return 10
    if kind in ("text", "id", "link", "figure"):
        return int(vals.astype("str").str.len().max())
    big = float(vals.abs().max())
    decimals = {"money": 2, "number": 2, "days": 1, "score": 1, "pct": 1, "fraction": 1}.get(kind, 0)
    if kind == "fraction":
        big *= 100
    return len(f"{big:,.{decimals}f}") + 1 + (2 if kind in ("pct", "fraction") else 0)


def _min_width_px(name: str, s: pd.Series, kind: str) -> float:
    """The narrowest a column can be: its longest header word, and its longest value when that cannot
    wrap (numbers, dates, ids) or about 10 characters of wrapping text."""
    header = max((len(w) for w in str(name).split()), default=1)
    body = _formatted_len(s, kind)
    if kind in ("text", "link"):
        longest_word = int(s.dropna().astype("str").str.split().map(lambda ws: max((len(w) for w in ws), default=0)).max()) if s.notna().any() else 0
        body = max(min(body, 10), min(longest_word, 24))
    return max(header, body) * _CHAR_PX + _CELL_PAD_PX


def fit_columns(people: pd.DataFrame, kinds: dict[str, str], *, width_px: float = PAGE_WIDTH_PX) -> list[str]:
    """The leading columns of ``people`` that fit ``width_px`` at their narrowest (at least two)."""
    keep, used = [], 0.0
    for c in people.columns:
        w = _min_width_px(c, people[c], kinds.get(c, "text"))
        if keep and len(keep) >= 2 and used + w > width_px:
            break
        keep.append(c)
        used += w
    return keep


_NUMERIC_TEXT = re.compile(r"^\s*[<>≤≥]?\s?[−+-]?[$€£]?\s?\d[\d,]*(?:\.\d+)?\s?(?:%|pts|days|d)?\s*$|^\s*[–-]\s*$")


def _numeric_text(s: pd.Series) -> bool:
    """Every value of a text column is a number written as text (or a dash for none), at least one a number."""
    vals = s.dropna().astype("str")
    if vals.empty:
        return False
    ok = vals.str.match(_NUMERIC_TEXT)
    return bool(ok.all()) and bool(vals.str.contains(r"\d").any())


def by_unit(values: pd.Series, units: pd.Series, *, signed: bool = False) -> pd.Series:
    """Numbers of mixed units (one figure per row: money, %, days) as text, each by its row's unit:
    money ``1,234.50``, % ``35.8 %``, days ``49.7``; ``signed`` (a change, a gap): a leading + or −, and
    shares in points (``−4.2 pts``); missing ``–``.
    Show them with ``table(..., right=[column])``."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    u = units.astype("str").str.strip().str.lower().to_numpy()
    out = []
    for x, unit in zip(v, u):
        if not np.isfinite(x):
            out.append("–")
            continue
        pct, days = unit in ("%", "pct", "percent"), unit in ("days", "day", "d")
        text = f"{abs(x) if signed else x:,.{1 if (pct or days) else 2}f}" + ((" pts" if signed else " %") if pct else "")  # a share moves in points
        if signed:
            text = ("−" if x < 0 and text.strip("0.,% ") else "+" if x > 0 else "") + text
        out.append(text.replace("-", "−"))
    return pd.Series(out, index=values.index, dtype=object)


def _whole(s: pd.Series) -> bool:
    v = pd.to_numeric(s, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(len(v)) and bool(np.all(v == np.round(v)))


def _link(value) -> str:
    """A relative file path as a link to it (the path URL-quoted, the text HTML-escaped)."""
    from urllib.parse import quote

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    text = str(value)
    if re.match(r"^\s*[a-z][a-z0-9+.-]*:", text, re.I) or text.startswith(("/", "\\")):
        return html.escape(text)  # not a relative path: shown, not linked
    return f'<a href="{html.escape(quote(text.replace(chr(92), "/")))}">{html.escape(text.rsplit("/", 1)[-1])}</a>'


def _gt_html(people: pd.DataFrame, kinds: dict[str, str], *, caption: str | None, notes: list[str], muted=()) -> str:
    """great_tables HTML for a frame already relabelled, without GT's own stylesheet: its ``<style>`` block
    sets global rules (``tr``, ``td``, ``th`` outside the table) and a 16 px font that would fight the
    report's one stylesheet (``report.css`` styles GT's classes instead)."""
    import re

    import great_tables as gt

    frame = people.reset_index(drop=True)
    for c, k in kinds.items():  # great_tables wants plain values: text columns as object, dates as datetimes
        if k in ("text", "id", "code", "flag", "link", "figure"):
            s = frame[c]
            frame[c] = s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))
        elif k == "date":
            frame[c] = pd.to_datetime(frame[c], errors="coerce").dt.tz_localize(None) if getattr(frame[c].dt, "tz", None) else pd.to_datetime(frame[c], errors="coerce")
    t = gt.GT(frame)
    by: dict[str, list[str]] = {}
    for c, k in kinds.items():
        by.setdefault(k, []).append(c)
    if by.get("money"):
        t = t.fmt_number(by["money"], decimals=2, use_seps=True)
    if by.get("number"):
        t = t.fmt_number(by["number"], decimals=2, use_seps=True)
    whole_days = [c for c in by.get("days", []) if _whole(frame[c])]
    if by.get("days"):  # days with one decimal; a column of whole days (days past due) without
        t = t.fmt_number([c for c in by["days"] if c not in whole_days] or [], decimals=1, use_seps=True) if len(whole_days) < len(by["days"]) else t
    if whole_days:
        t = t.fmt_integer(whole_days, use_seps=True)
    if by.get("link"):
        t = t.fmt(_link, columns=by["link"])
    if by.get("score"):
        t = t.fmt_number(by["score"], decimals=1, use_seps=True)
    if by.get("pct"):
        t = t.fmt_number(by["pct"], decimals=1, use_seps=True, pattern="{x} %")
    if by.get("fraction"):
        t = t.fmt_number(by["fraction"], decimals=1, use_seps=True, scale_by=100, pattern="{x} %")
    if by.get("count"):
        t = t.fmt_integer(by["count"], use_seps=True)
    if by.get("date"):
        t = t.fmt_date(by["date"], date_style="iso")
    right = [c for c, k in kinds.items() if k in _RIGHT]
    left = [c for c in frame.columns if c not in right]
    if right:
        t = t.cols_align("right", columns=right)
    if left:
        t = t.cols_align("left", columns=left)
    t = t.sub_missing(missing_text="–").opt_row_striping()
    if muted:
        t = t.tab_style(style=gt.style.text(color="#6b7480", style="italic"), locations=gt.loc.body(rows=list(muted)))
    if caption:
        t = t.tab_header(title=str(caption))
    for n in notes:
        t = t.tab_source_note(str(n))
    raw = t.as_raw_html()
    raw = re.sub(r"<style>.*?</style>", "", raw, count=1, flags=re.S)
    raw = re.sub(r'^\s*<div id="[^"]*" style="[^"]*">', '<div class="arkit-table">', raw, count=1)
    # GT's element ids ("title", each column's label) repeat in every table of a page and could shadow a
    # section heading's anchor: drop them (the headings are scope="col" already)
    raw = re.sub(r'\s(?:id|headers|aria-labelledby)="[^"]*"', "", raw)
    # class hooks for the stylesheet, by column position (every body row has one cell per column):
    # numbers, dates and ids never break inside a cell; text cells wrap
    # text holding long unbroken tokens (file names, e-mail addresses) is "arkit-token": it may break at its
    # separators (a <wbr> after each _ / @ . -) or anywhere; other text wraps between words only, so a name
    # or a word ("Automatic") is never cut in two
    flags = [" arkit-nowrap" if kinds.get(c) in _NOWRAP else (" arkit-token" if _long_tokens(frame[c]) else " arkit-text") for c in frame.columns]
    counter = iter(range(10**9))

    def mark(m: re.Match) -> str:
        opening, rest, body = m.group(1), m.group(2), m.group(3)
        flag = flags[next(counter) % len(flags)]
        if flag == " arkit-token":
            body = "".join(part if part.startswith("<") else _SOFT_BREAK.sub(r"\1<wbr>", part) for part in re.split(r"(<[^>]*>)", body))
        return f'{opening[:-1]}{flag}"{rest}{body}</td>'

    return re.sub(r'(<td class="gt_row [^"]*")([^>]*>)(.*?)</td>', mark, raw, flags=re.S)


#: Text longer than this without a space is a token (a file name, an e-mail address, a URL).
LONG_TOKEN = 24
_SOFT_BREAK = re.compile(r"([_/@.\-])(?=\w)")


def _long_tokens(col: pd.Series) -> bool:
    """Whether a text column holds a value with a run of more than :data:`LONG_TOKEN` characters without
    a space."""
    v = col.dropna().astype("str")
    if v.empty:
        return False
    return bool(v.str.split().explode().str.len().max() > LONG_TOKEN)


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


def literal(text) -> str:
    """Untrusted text (a file name, a setting) for a Markdown cell, shown exactly as written: HTML-escaped,
    and Markdown's markup characters as numeric entities, which Markdown decodes back to the characters.
    Unlike :func:`esc`, nothing can show a backslash — use it where text would otherwise sit in a code
    span (```name```), which shows backslash escapes literally (``WA\\_Fn-UseC\\_-…csv``). Inline HTML such as
    ``<code>`` is not an option: nbconvert's image-embedding Markdown renderer empties such elements."""
    s = html.escape(str(text), quote=False)
    return "".join(f"&#{ord(ch)};" if ch in "\\`*_[]#|~" else ch for ch in s)


def _escape(text: str) -> str:
    return html.escape(str(text))


class ReportBook:
    """Collects a report's tables for its Excel appendix (one sheet each, formatted for reading).

    Every sheet goes through the dictionary of columns (:mod:`arkit.columns`): human headers, codes as
    their labels, flags Yes/No, and each numeric column its format (money, percent, days, counts);
    percentages held 0–100 are written as fractions with a % format, so every workbook holds shares the
    same way. ``add`` may state kinds the dictionary does not know (``pct=``, ``fraction=``, ...).
    """

    def __init__(self, policy: dict | None = None):
        self.sheets: dict[str, pd.DataFrame] = {}
        self.kinds: dict[str, dict[str, str]] = {}
        self.policy = policy

    def add(self, name: str, df: pd.DataFrame, *, money=(), pct=(), fraction=(), days=(), count=()) -> pd.DataFrame:
        """Add ``df`` as sheet ``name``; returns ``df`` unchanged so it can be shown in the same line."""
        self.sheets[name] = df
        self.kinds[name] = _overrides(money=money, pct=pct, fraction=fraction, days=days, count=count)
        return df

    def save(self, path) -> Path | None:
        if not self.sheets:
            return None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frames, kinds = {}, {}
        for name, df in self.sheets.items():
            frames[name], kinds[name] = workbook_frame(df, policy=self.policy, kinds=self.kinds.get(name))
        from .._deferred import write_excel_later

        if write_excel_later(path, frames, kinds):  # in a render: written by another process (arkit._deferred)
            return path
        return write_excel(path, frames, kinds=kinds)


def _overrides(**groups) -> dict[str, str]:
    out = {}
    for kind, names in groups.items():
        for n in [names] if isinstance(names, str) else names:
            out[str(n)] = kind
    return out


def workbook_frame(df: pd.DataFrame, *, policy: dict | None = None, kinds: dict | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """A frame ready for a workbook sheet and the kind of each of its columns: the index reset when it
    carries information, headers and codes from the dictionary, percentages (0–100) as fractions."""
    from .. import columns as coldict
    from ..excel import _prepare

    flat = _prepare(df)
    people, out_kinds = coldict.for_people(flat, policy=policy, kinds=kinds)
    for c, k in list(out_kinds.items()):
        if k == "pct":
            people[c] = pd.to_numeric(people[c], errors="coerce") / 100.0
            out_kinds[c] = "fraction"
    return people, out_kinds


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
