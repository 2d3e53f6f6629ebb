"""Tables written for people: formatted workbooks and CSV files that are safe to open with untrusted text.

Conventions
-----------
- Every writer is atomic: it writes a temporary file in the destination folder and moves it into place with
  :func:`os.replace`, so a failure leaves the previous file (or no file), never a partial one. A new file gets
  the usual permissions (``0o666`` less the umask); a replaced file keeps its permissions.
- Text is never interpreted. In workbooks every string is a text cell (xlsxwriter's ``strings_to_formulas``,
  ``strings_to_urls`` and ``strings_to_numbers`` are off), so a customer named ``=HYPERLINK(...)`` stays text.
  In CSV files, where the reader decides, text cells that start with a formula trigger are defused with a
  leading ``'`` (see :func:`write_csv`).
- The index is written only when it carries information: a MultiIndex, a named index, or an index of
  non-integers (dates, names) is reset into leading columns; an unnamed integer index (a default RangeIndex or
  what is left of one after filtering) is dropped.
- Categorical columns (ordered aging buckets included) are written as their labels, as text.
- Money columns: when ``money_columns`` is given, exactly those columns (any numeric dtype); otherwise every
  float column whose name, split into words at ``_``, spaces, ``-`` and ``.``, contains a money word
  (:data:`MONEY_WORDS`: amount, balance, total, paid, outstanding, credit, …) or is an aging bucket label
  (``current``, ``1-30``, ``31-60``, ``61-90``, ``91+``), unless the name also contains a non-money word
  (:data:`NOT_MONEY_WORDS`: days, pct, rate, ratio, count, dso, …). Money is shown ``#,##0.00`` with
  negatives in red.
- Percent columns (``0.0%``) only when named in ``percent_columns``; values are fractions (0.355 -> 35.5%).
- ``kinds`` (sheet -> column -> kind, the kinds of :mod:`arkit.columns`) states a column's format: money,
  percent/fraction (``0.0%``, values fractions), days (``#,##0.0``), count (``#,##0``), number
  (``#,##0.00``), score (``0.0``), date, text. Any other numeric column still gets a number format, never
  General: a float column ``#,##0.00`` (``#,##0`` when every value is whole), an integer column ``#,##0``.
- Date columns are shown ``yyyy-mm-dd`` (``yyyy-mm-dd hh:mm`` when some value has a time of day); time
  zones are dropped (wall-clock time kept).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import LedgerError

MONEY_WORDS = frozenset(
    {
        "amount", "amounts", "amt", "balance", "balances", "total", "totals", "subtotal", "paid", "unpaid",
        "outstanding", "overdue", "credit", "credits", "debit", "debits", "limit", "price", "cost", "revenue",
        "sales", "fee", "fees", "payment", "payments", "invoiced", "billed", "collected", "exposure",
        "receivable", "receivables", "ar", "cash", "writeoff", "write", "open", "due", "money",
    }
)  # fmt: skip
NOT_MONEY_WORDS = frozenset(
    {
        "day", "days", "pct", "percent", "percentage", "share", "rate", "ratio", "count", "n", "num", "number",
        "dso", "bpdso", "cei", "score", "rank", "id", "weight", "age",
    }
)  # fmt: skip
AGING_BUCKET_NAMES = frozenset({"current", "1-30", "31-60", "61-90", "91+"})

MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
NUMBER_FORMATS = {"days": "#,##0.0", "count": "#,##0", "number": "#,##0.00", "score": "0.0", "whole": "#,##0"}
MAX_WIDTH = 50

_XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
#: First characters that make a spreadsheet treat a CSV cell as a formula (OWASP CSV injection), plus the
#: full-width forms some spreadsheet locales also accept.
CSV_TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"


# --------------------------------------------------------------------------------------------------------
# helpers


def _atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary file next to ``path``, then move it into place."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LedgerError(f"{path}: cannot write the file because the folder {folder} does not exist.")
    if path.is_dir():
        raise LedgerError(f"{path}: cannot write the file because a folder has that name.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            write(tmp)
        except OSError as exc:  # disk full, permissions, quota: one sentence naming the file
            raise LedgerError(f"{path}: cannot write the file ({exc.strerror or exc}).") from None
        except Exception as exc:  # xlsxwriter wraps the OSError of its final zip write (FileCreateError)
            if type(exc).__module__.startswith("xlsxwriter"):
                inner = exc.args[0] if exc.args else exc
                reason = getattr(inner, "strerror", None) or str(inner)
                raise LedgerError(f"{path}: cannot write the workbook ({reason}).") from None
            raise
        if path.exists():
            mode = path.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _meaningful_index(index: pd.Index) -> bool:
    if isinstance(index, pd.MultiIndex):
        return True
    if any(n is not None for n in index.names):
        return True
    return not pd.api.types.is_integer_dtype(index.dtype)


def _flat_name(col) -> str:
    if isinstance(col, tuple):
        return " ".join(str(c) for c in col if c is not None and str(c) != "")
    return str(col)


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """A copy ready to write: meaningful index reset into columns, flat string column names, categoricals
    as their labels (object), time zones dropped, timedeltas as float days."""
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise LedgerError(f"cannot write a {type(df).__name__}: expected a pandas DataFrame.")
    out = df.reset_index() if _meaningful_index(df.index) else df.reset_index(drop=True)
    out = out.copy()
    out.columns = [_flat_name(c) for c in out.columns]
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            vals = s.astype(object)
            out.isetitem(i, vals.where(vals.isna(), vals.astype("str")).astype(object))
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            out.isetitem(i, s.dt.tz_localize(None))
        elif pd.api.types.is_timedelta64_dtype(s.dtype):
            out.isetitem(i, s.dt.total_seconds() / 86400.0)
    return out


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[_\s\-.]+", name.strip().lower()) if w}


def is_money_name(name: str) -> bool:
    """The automatic money rule on a column name (see the module docstring)."""
    low = name.strip().lower()
    if low in AGING_BUCKET_NAMES:
        return True
    words = _words(low)
    return bool(words & MONEY_WORDS) and not (words & NOT_MONEY_WORDS)


def _name_set(columns: Iterable[str] | str | None) -> set[str] | None:
    if columns is None:
        return None
    return {str(c) for c in ([columns] if isinstance(columns, str) else columns)}


def _column_kinds(df: pd.DataFrame, wanted: set[str] | None, percent: set[str]) -> list[str]:
    """Per column (by position): "percent", "money", "date", "datetime" or "" (no number format).

    ``wanted``: the explicit money columns, or None for the automatic rule.
    """
    kinds = []
    for j, col in enumerate(df.columns):
        dtype = df.iloc[:, j].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        if numeric and col in percent:
            kinds.append("percent")
        elif numeric and (col in wanted if wanted is not None else pd.api.types.is_float_dtype(dtype) and is_money_name(col)):
            kinds.append("money")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds.append("datetime" if _has_time(df.iloc[:, j]) else "date")
        elif numeric and pd.api.types.is_integer_dtype(dtype):
            kinds.append("count")
        elif numeric:  # never General: whole numbers with separators, anything else two decimals
            vals = df.iloc[:, j].dropna().to_numpy(dtype=float)
            vals = vals[np.isfinite(vals)]
            kinds.append("whole" if len(vals) == 0 or np.all(vals == np.round(vals)) else "number")
        else:
            kinds.append("")
    return kinds


_KIND_ALIASES = {"pct": "percent", "fraction": "percent", "money": "money", "days": "days", "count": "count", "number": "number", "score": "score", "date": "date"}


def _stated_kinds(df: pd.DataFrame, auto: list[str], stated: Mapping[str, str] | None) -> list[str]:
    """``auto`` with the kinds a caller stated (by column name) for numeric and date columns."""
    if not stated:
        return auto
    out = list(auto)
    for j, col in enumerate(df.columns):
        k = _KIND_ALIASES.get(stated.get(col, ""))
        dtype = df.iloc[:, j].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        if k and k != "date" and numeric:
            whole = k == "days" and pd.api.types.is_integer_dtype(dtype)
            out[j] = "count" if whole else k  # whole days (days past due) without a decimal
        elif k == "date" and pd.api.types.is_datetime64_any_dtype(dtype):
            out[j] = "datetime" if _has_time(df.iloc[:, j]) else "date"
    return out


def _sheet_names(names: Iterable) -> list[str]:
    """Valid, unique Excel sheet names (31 characters, none of ``[]:*?/\\``, not 'History')."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = _SHEET_BAD.sub("_", str(raw)).strip().strip("'")[:31] or "Sheet"
        if name.lower() == "history":
            name = "History_"
        base, n = name, 1
        while name.lower() in seen:
            n += 1
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
        seen.add(name.lower())
        out.append(name)
    return out


def _text_width(s: pd.Series) -> int:
    if s.empty:
        return 0
    txt = s.dropna().astype("str")
    if txt.empty:
        return 0
    multi = txt.str.contains("\n", regex=False)
    lens = txt.str.len()
    if multi.any():  # the longest line of a multi-line cell
        lens[multi] = txt[multi].str.split("\n").map(lambda parts: max(map(len, parts)))
    return int(lens.max())


def _column_width(name: str, s: pd.Series, kind: str) -> float:
    header = len(name) + 4  # bold header and the autofilter arrow
    vals = s.dropna()
    if vals.empty:
        body = 0
    elif kind == "money":
        body = len(f"{float(vals.abs().max()):,.2f}") + 1
    elif kind == "percent":
        body = len(f"{float(vals.abs().max()):.1%}") + 1
    elif kind in ("date", "datetime"):
        body = 10 if kind == "date" else 16
    elif kind in NUMBER_FORMATS:
        big = float(pd.to_numeric(vals, errors="coerce").abs().max())
        body = len(f"{big:,.{2 if kind == 'number' else 1 if kind in ('days', 'score') else 0}f}") + 1
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        body = max(len(str(vals.max())), len(str(vals.min())))
    else:
        body = _text_width(vals)
    return float(min(MAX_WIDTH, max(6, header, body + 2)))


def _has_time(s: pd.Series) -> bool:
    vals = s.dropna()
    return bool(len(vals)) and bool((vals != vals.dt.normalize()).any())


# --------------------------------------------------------------------------------------------------------
# writers


def write_excel(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    money_columns: Iterable[str] | None = None,
    percent_columns: Iterable[str] | None = None,
    title: str | None = None,
    kinds: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write ``sheets`` (sheet name -> frame) to one formatted ``.xlsx`` workbook, atomically.

    Each sheet: a bold header with a fill and a bottom border, frozen; an autofilter over the data; column
    widths fitted to the content (at most 50 characters); money, percent and date formats per the module
    docstring. ``title``, when given, is written in bold above the header (header on row 2, frozen below it)
    and set as the workbook's title property. Sheet names are made valid for Excel (31 characters, no
    ``[]:*?/\\``, unique). Every string is stored as a text cell, never a formula or link. Text over Excel's
    32,767 characters per cell is cut with a visible ``… [cut: N characters in all]`` and a cell note.

    Returns the path written. Raises :class:`~arkit.errors.LedgerError` when there is nothing to write or the
    folder does not exist.
    """
    if not isinstance(sheets, Mapping) or not sheets:
        raise LedgerError(f"{Path(path).name}: no sheets to write (pass a dict of sheet name to DataFrame).")
    pct_wanted = _name_set(percent_columns) or set()
    money_wanted = _name_set(money_columns)
    frames = [_prepare(df) for df in sheets.values()]
    stated = [(kinds or {}).get(k) for k in sheets.keys()]
    names = _sheet_names(sheets.keys())

    def write(tmp: Path) -> None:
        import xlsxwriter

        with xlsxwriter.Workbook(str(tmp), dict(_XLSX_OPTIONS)) as book:
            if title:
                book.set_properties({"title": str(title)})
            header_fmt = book.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "valign": "top", "font_color": "#000000"}
            )
            title_fmt = book.add_format({"bold": True, "font_size": 14})
            formats = {
                "money": book.add_format({"num_format": MONEY_FORMAT}),
                "percent": book.add_format({"num_format": PERCENT_FORMAT}),
                "date": book.add_format({"num_format": DATE_FORMAT}),
                "datetime": book.add_format({"num_format": DATETIME_FORMAT}),
                **{k: book.add_format({"num_format": f}) for k, f in NUMBER_FORMATS.items()},
            }
            hdr = 1 if title else 0
            for name, df, told in zip(names, frames, stated):
                col_kinds = _stated_kinds(df, _column_kinds(df, money_wanted, pct_wanted), told)
                df, cut = _cut_long_text(df)
                ws = book.add_worksheet(name)
                if title:
                    ws.write_string(0, 0, str(title), title_fmt)
                for j, (col, kind) in enumerate(zip(df.columns, col_kinds)):
                    s = df.iloc[:, j]
                    ws.write_string(hdr, j, col, header_fmt)
                    ws.set_column(j, j, _column_width(col, s, kind), formats.get(kind))
                    write_cells(ws, hdr + 1, j, s, formats["datetime"] if kind == "datetime" else formats["date"])
                for i, j, n in cut:
                    ws.write_comment(hdr + 1 + i, j, f"This text has {n:,} characters; Excel cells hold at most {XLSX_MAX_TEXT:,}, so it is cut here. The full text is in the source.")
                ws.freeze_panes(hdr + 1, 0)
                if df.shape[1]:
                    ws.autofilter(hdr, 0, hdr + len(df), df.shape[1] - 1)

    return _atomic_write(path, write)


_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def _store(ws, col: int, rows: list, values: list, kind: str, fmt=None) -> bool:
    """Store typed cells straight into xlsxwriter's cell table — exactly what ``write_number`` /
    ``write_boolean`` / ``write_string`` store (a number, a boolean, a shared-string index, with the
    format), without their per-cell argument and bounds checks, done here once for the column (rows in
    order, within the sheet): ~3x faster on a 250,000-cell appendix. False, nothing stored, when this
    xlsxwriter keeps its cells another way or a value needs the checks (a text over half Excel's limit):
    the caller then uses the public calls."""
    try:
        from xlsxwriter.worksheet import CellBooleanTuple, CellNumberTuple, CellStringTuple
    except ImportError:
        return False
    table = getattr(ws, "table", None)
    if getattr(ws, "constant_memory", True) or not isinstance(table, dict) or not rows or not hasattr(ws, "_check_dimensions"):
        return False
    if rows[0] < 0 or rows[-1] >= ws.xls_rowmax or not 0 <= col < ws.xls_colmax:
        return False
    if kind == "number":
        for r, v in zip(rows, values):
            table[r][col] = CellNumberTuple(v, fmt)
    elif kind == "boolean":
        for r, v in zip(rows, values):
            table[r][col] = CellBooleanTuple(1 if v else 0, fmt)  # as write_boolean stores it
    else:
        half = ws.xls_strmax // 2
        if max(map(len, values)) > half:
            return False
        index = getattr(getattr(ws, "str_table", None), "_get_shared_string_index", None)
        if index is None:
            return False
        for r, v in zip(rows, values):
            table[r][col] = CellStringTuple(index(v), fmt)
    ws._check_dimensions(rows[0], col)
    ws._check_dimensions(rows[-1], col)
    return True


def _put(ws, col: int, rows: list, values: list, kind: str, fmt=None) -> None:
    """Cells of one ``kind`` ("number", "boolean", "string") down column ``col``: stored at once
    (:func:`_store`), else with xlsxwriter's public call for that kind, cell by cell."""
    if _store(ws, col, rows, values, kind, fmt):
        return
    write = {"number": ws.write_number, "boolean": ws.write_boolean, "string": ws.write_string}[kind]
    for r, v in zip(rows, values):
        write(r, col, v, fmt)


def write_cells(ws, row0: int, col: int, s: pd.Series, date_format) -> None:
    """Write the values of ``s`` down column ``col`` of xlsxwriter sheet ``ws`` from row ``row0``, with
    xlsxwriter's typed calls (about 3x faster than ``DataFrame.to_excel``, which formats every cell
    through pandas' generic layer first).

    - numbers as numbers (``inf``/``-inf`` as the text ``inf``/``-inf``, as pandas writes them); booleans as
      booleans; dates (datetime64, ``Timestamp``, ``datetime``/``date`` objects) as Excel date serials
      (days since 1899-12-30, time of day as the fraction) in ``date_format`` (time zones already dropped
      by :func:`_prepare`);
    - everything else as a text cell, ``str(value)`` — never a formula, link or number, whatever it holds;
    - missing values (NaN, NaT, None, ``pd.NA``) and empty strings leave the cell empty.

    Rows are written in order, so the column needs no format of its own: numbers take the column's format
    (``set_column``), dates the one given here.
    """
    n = len(s)
    if n == 0:
        return
    dtype = s.dtype
    rows = np.arange(row0, row0 + n)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if isinstance(dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)  # wall-clock time
        vals = s.to_numpy()  # datetime64 in the column's own unit: dates past 2262 stay dates
        ok = ~np.isnat(vals)
        serial = (vals[ok] - _EXCEL_EPOCH) / np.timedelta64(1, "D")
        _put(ws, col, rows[ok].tolist(), serial.tolist(), "number", date_format)
        return
    if pd.api.types.is_bool_dtype(dtype):
        ok = s.notna().to_numpy()
        _put(ws, col, rows[ok].tolist(), s[ok].astype(bool).tolist(), "boolean")
        return
    if pd.api.types.is_numeric_dtype(dtype):
        vals = s.to_numpy(dtype="float64", na_value=np.nan)
        fin = np.isfinite(vals)
        _put(ws, col, rows[fin].tolist(), vals[fin].tolist(), "number")
        for r, v in zip(rows[np.isinf(vals)].tolist(), vals[np.isinf(vals)].tolist()):
            ws.write_string(r, col, "inf" if v > 0 else "-inf")
        return
    ok = s.notna().to_numpy()
    if ok.any() and pd.api.types.infer_dtype(s[ok], skipna=False) == "string":  # text only: stored at once
        texts = s[ok].tolist()
        filled = [i for i, v in enumerate(texts) if v]  # an empty string leaves the cell empty
        r_all = rows[ok].tolist()
        if filled:
            _put(ws, col, [r_all[i] for i in filled], [texts[i] for i in filled], "string")
        return
    write_str, write_num = ws.write_string, ws.write_number
    for r, v in zip(rows[ok].tolist(), s[ok].tolist()):
        if isinstance(v, str):
            if v:
                write_str(r, col, v)
        elif isinstance(v, (bool, np.bool_)):
            ws.write_boolean(r, col, bool(v))
        elif isinstance(v, (int, float, np.integer, np.floating)):
            v = float(v)
            if np.isfinite(v):
                write_num(r, col, v)
            elif not np.isnan(v):
                write_str(r, col, "inf" if v > 0 else "-inf")
        elif isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
            ts = pd.Timestamp(v)
            ts = ts.tz_localize(None) if ts.tzinfo is not None else ts
            write_num(r, col, (ts - pd.Timestamp(_EXCEL_EPOCH)) / pd.Timedelta(days=1), date_format)
        else:
            text = str(v)
            if text:
                write_str(r, col, text)


#: A formula start after a delimiter a spreadsheet may split the cell on (``x;=1+1`` with ``;`` lists).
_DELIMITED_TRIGGER = re.compile("[,;\t|][\\s]*[" + re.escape(CSV_TRIGGERS) + "]")


#: Excel's limit on the characters of one cell.
XLSX_MAX_TEXT = 32767


def _cut_long_text(df: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, int, int]]]:
    """Text cells over Excel's 32,767-character limit cut visibly: the end of the cell says
    ``… [cut: N characters in all]``, and ``(row, column, length)`` of each is returned for a cell note.
    Never silently (xlsxwriter would drop the rest without a word)."""
    cut = []
    out = df
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        if not _text_like(s):
            continue
        try:
            lens = s.str.len().fillna(0)
        except AttributeError:  # no text in the column
            continue
        long = np.flatnonzero(lens.to_numpy() > XLSX_MAX_TEXT)
        if not len(long):
            continue
        if out is df:
            out = df.copy()
        col = out.iloc[:, j].astype(object).copy()
        for i in long:
            n = int(lens.iloc[i])
            marker = f" … [cut: {n:,} characters in all]"
            col.iloc[i] = col.iloc[i][: XLSX_MAX_TEXT - len(marker)] + marker
            cut.append((int(i), j, n))
        out.isetitem(j, col)
    return out, cut


def _defuse(s: pd.Series) -> tuple[pd.Series, bool]:
    """Prefix ``'`` to text cells that start with a formula trigger, or hold one right after a delimiter
    (``,`` ``;`` tab ``|``: a spreadsheet that splits on it would start a new cell there); non-strings are left
    alone. Returns the column and whether any cell had a trigger after a delimiter (such a file is written
    with every text cell quoted, so the cell stays one cell whatever the reader's list separator)."""
    as_str = s.astype(object)
    try:
        first = as_str.str.slice(0, 1)  # NaN for non-strings
    except AttributeError:  # no strings at all
        return s, False
    inner = as_str.str.contains(_DELIMITED_TRIGGER, regex=True, na=False).astype(bool)
    hit = first.isin(list(CSV_TRIGGERS)) | inner
    if not hit.any():
        return s, False
    out = as_str.copy()
    out[hit] = "'" + as_str[hit].astype("str")
    return out, bool(inner.any())


def _text_like(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype) or pd.api.types.is_string_dtype(s.dtype)


def write_csv(path: str | Path, df: pd.DataFrame, *, encoding: str = "utf-8") -> Path:
    """Write ``df`` to a CSV file safe to open in a spreadsheet, atomically; UTF-8 by default.

    Formula injection (OWASP "CSV Injection"): in text columns (object, string and categorical), a cell that
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or a full-width ``＝ ＋ － ＠``) gets a
    leading single quote, so ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``; so does a cell holding a
    trigger right after a delimiter (``x;=1+1``: Excel with ``;`` lists would split it there), and then every
    text cell of the file is quoted. Column names are treated the same way. Numbers in numeric columns (negative amounts included) are written as numbers, untouched.
    Date columns whose values are all at midnight are written ``YYYY-MM-DD``. The index follows the module's
    index rule. Lines end CRLF (RFC 4180), so a carriage return inside a cell is quoted. Pass
    ``encoding="utf-8-sig"`` for a byte-order mark (older Excel needs it to read UTF-8).
    """
    out = _prepare(df)
    quote_all = False
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if _text_like(s):
            col, inner = _defuse(s)
            out.isetitem(i, col)
            quote_all |= inner
        elif pd.api.types.is_datetime64_any_dtype(s.dtype) and not _has_time(s):
            out.isetitem(i, s.dt.strftime("%Y-%m-%d"))
    names, inner = _defuse(pd.Series(list(out.columns), dtype=object))
    out.columns = list(names)
    quoting = csv.QUOTE_NONNUMERIC if quote_all or inner else csv.QUOTE_MINIMAL

    def write(tmp: Path) -> None:
        # RFC 4180 line ends: a lone CR gets quoted
        out.to_csv(tmp, index=False, encoding=encoding, lineterminator="\r\n", quoting=quoting)

    return _atomic_write(path, write)


def write_parquet(path: str | Path, df: pd.DataFrame, **kwargs) -> Path:
    """Write ``df`` to Parquet (pyarrow), atomically; ``attrs`` that are not JSON are stored as text."""
    if not isinstance(df, pd.DataFrame):
        raise LedgerError(f"{Path(path).name}: cannot write a {type(df).__name__}: expected a pandas DataFrame.")
    out = df.copy(deep=False)
    out.attrs = json.loads(json.dumps(df.attrs, default=str)) if df.attrs else {}

    def write(tmp: Path) -> None:
        out.to_parquet(tmp, **kwargs)

    return _atomic_write(path, write)


_WRITERS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}


def write_table(path: str | Path, df: pd.DataFrame, **kw) -> Path:
    """Write one table, choosing the format by suffix: ``.csv`` (:func:`write_csv`), ``.xlsx``
    (:func:`write_excel`, one sheet named ``sheet_name`` or after the file) or ``.parquet``
    (:func:`write_parquet`). Keyword arguments go to that writer. Atomic.

    An unknown suffix raises :class:`~arkit.errors.LedgerError`.
    """
    path = Path(path)
    kind = _WRITERS.get(path.suffix.lower())
    if kind == "csv":
        return write_csv(path, df, **kw)
    if kind == "xlsx":
        sheet = kw.pop("sheet_name", None) or path.stem
        return write_excel(path, {sheet: df}, **kw)
    if kind == "parquet":
        return write_parquet(path, df, **kw)
    raise LedgerError(
        f"{path.name}: cannot write a {path.suffix or 'suffix-less'} file; name it .csv, .xlsx or .parquet."
    )
