"""The clean lane: a plain CSV invoices export read with its columns' own types, checked in a few passes.

Most exports are clean: ISO dates, plain decimal amounts, one currency, every required cell filled, every
invoice once. For such a file the general path (every cell read as text, each column parsed, each rule turned
into quarantine entries) does work whose every answer is "nothing to report". The lane reads the file with
pyarrow, converting each column to its type during the multi-threaded read, and then only asks whether
anything would need reporting. It either returns exactly what :func:`arkit.load._validate` returns for the
file — the same typed frame, no problems, no duplicates, no layout rows — or ``None``, and the file is read
again as text and takes the general path, which explains what it found.

How a column's type is chosen, from the rows below the header that the head of the file shows (up to 59;
:func:`column_types`):

- a **date** column is read as a date (pyarrow accepts ``YYYY-MM-DD`` only) when every filled head cell is
  one; else as text, parsed by :func:`arkit.parse.parse_dates`;
- an **amount** column is read as a number when every filled head cell is a plain decimal number and one of
  them has one, two or four or more decimals: that settles the dot as a decimal point for the whole column
  (the rule of :func:`arkit.parse.ambiguous_amounts`), so a number read later needs no text to tell;
  else as text, parsed by :func:`arkit.parse.parse_amounts`;
- a **yes/no** column is read as one when every filled head cell is a flag arkit knows (in lower, upper or
  title case); else as text;
- ids, text and columns the mapping does not name are read as text and go through the general parsers
  (which return the column itself when no cell needs trimming or is a null marker).

A cell the type refuses (``n/a`` in a date column, ``$5`` in an amount column) makes pyarrow refuse the read:
the general path then reads the file. So does anything the lane would have to report: an empty required
cell, an unparseable or out-of-range value, a NaN or infinite amount, a due date before the invoice date,
an open amount above the invoice amount, a key twice, a row with every cell empty, a first cell that reads
as a total, subtotal or separator row or matches ``drop_rows_matching``. (Currencies are checked after the
lane, as for every file.)

The lane applies to a mapping without group headers, debit/credit columns, a sign column, excluded rows,
constants or value maps, with ``.`` as the decimal point and ISO (or unset) date format.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import _fastparse, _layout, parse
from .mapping import SEPARATOR_ROWS, SUBTOTAL_ROWS, TOTAL_ROWS
from .model import NULLABLE_REQUIRED, TABLES, empty_table

#: Switch for tests that compare the lane with the general path on the same file.
ENABLED = True

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN = re.compile(r"-?\d+(?:\.\d+)?")
_SETTLES = re.compile(r"\.\d{1,2}$|\.\d{4,}$")
#: yes/no flags pyarrow reads as booleans: arkit's own (:data:`arkit.parse._TRUE` / ``_FALSE``), in lower,
#: upper and title case; any other spelling makes pyarrow refuse the read and the general parser reads it
_TRUE = sorted({v for t in parse._TRUE for v in (t, t.upper(), t.title())})
_FALSE = sorted({v for t in parse._FALSE if t for v in (t, t.upper(), t.title())})
_FLAGS = {*parse._TRUE, *parse._FALSE} - {""}
#: the dates parse.MIN_DATE … parse.MAX_DATE as days since 1970-01-01 (what a date32 column holds)
_DAY_RANGE = ((parse.MIN_DATE - pd.Timestamp("1970-01-01")).days, (parse.MAX_DATE - pd.Timestamp("1970-01-01")).days)
#: arkit's own layout patterns: none matches a date or a number
_DEFAULT_LAYOUT = {SEPARATOR_ROWS, SUBTOTAL_ROWS, TOTAL_ROWS}


def qualifies(mapping: dict) -> bool:
    """Whether a mapping leaves nothing for the lane to do that it does not do (module docstring)."""
    lay = mapping["layout"]
    if lay["group_header"] or lay["sign"] or lay["debit_credit"] or lay.get("exclude"):
        return False
    spec = mapping["tables"].get("invoices", {})
    if spec.get("constants") or spec.get("values"):
        return False
    nums, dates = mapping["numbers"], mapping["dates"]
    if nums["decimal"] != "." or nums["thousands"] not in (",", None, ""):
        return False
    return dates["format"] in (None, "%Y-%m-%d")


def _sample(grid: list[list], h: int, j: int) -> list[str]:
    """The filled cells of column ``j`` in the head rows below the header."""
    out = []
    for row in grid[h + 1 :]:
        if j < len(row) and row[j] is not None:
            v = str(row[j])
            if v != "":
                out.append(v)
    return out


def column_types(header: list[str], canon: list[str], grid: list[list], h: int) -> tuple[dict, bool] | None:
    """Arrow types by export column (``canon[j]`` is column ``j``'s canonical name, or ``None`` for a column
    the mapping does not read) and whether any column is read as yes/no (module docstring)."""
    import pyarrow as pa

    kinds = {**TABLES["invoices"]["required"], **TABLES["invoices"]["optional"]}
    types, flags = {}, False
    for j, (name, c) in enumerate(zip(header, canon)):
        kind = kinds.get(c)
        cells = _sample(grid, h, j) if kind in ("date", "money", "bool") else []
        if kind == "date" and cells and all(_ISO.fullmatch(v) for v in cells):
            types[name] = pa.date32()
        elif kind == "money" and cells and all(_PLAIN.fullmatch(v) for v in cells) and any(_SETTLES.search(v) for v in cells):
            types[name] = pa.float64()
        elif kind == "bool" and cells and all(v.lower() in _FLAGS and v in (v.lower(), v.upper(), v.title()) for v in cells):
            types[name] = pa.bool_()
            flags = True
        else:
            types[name] = pa.large_string()
    return types, flags


def _text(arr) -> pd.Series:
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


def validate(table, names: dict[str, str], extras: list[tuple[str, str]], rows: pd.Series, mapping: dict, drop_patterns: list[str]):
    """``(typed, problems, duplicates, rows, skipped, blank)`` as :func:`arkit.load._validate` returns them for
    a clean file, from the arrow ``table`` read with :func:`column_types` (``names``: export column →
    canonical name); ``None`` when anything would need reporting (module docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    if not n:
        return None
    cols = table.column_names
    # a row with every cell empty is spacing the general path skips and counts
    if all(table.column(c).null_count for c in cols):
        empty = pc.is_null(table.column(cols[0]))
        for c in cols[1:]:
            empty = pc.and_(empty, pc.is_null(table.column(c)))
        if pc.any(empty).as_py():
            return None
    # layout rows: the first cell of a row that reads as a total, subtotal or separator, or a dropped row
    lay = mapping["layout"]
    pats = [p for p in (lay["separator_rows"], lay["total_rows"], lay["subtotal_rows"], *drop_patterns) if p]
    if pats:
        first = table.column(cols[0])
        if first.null_count:
            return None  # (a row's first filled cell is then further right)
        if pa.types.is_large_string(first.type):
            distinct = pc.unique(first)  # (each distinct first cell tested once)
            if _fastparse.padded(distinct):
                return None
            if _layout._contains(_text(distinct), "|".join(f"(?:{p})" for p in pats)).any():
                return None
        elif drop_patterns or any(p not in _DEFAULT_LAYOUT for p in pats):
            return None  # a date or a number first: arkit's own patterns never match one, a user's might
    kinds = {**TABLES["invoices"]["required"], **TABLES["invoices"]["optional"]}
    required = TABLES["invoices"]["required"]
    by_canon = {c: e for e, c in names.items()}
    out: dict[str, pd.Series] = {}
    index = pd.RangeIndex(n)
    for col, kind in kinds.items():
        if col not in by_canon:
            continue
        arr = table.column(by_canon[col])
        if arr.null_count == n:  # an empty column (paid date, open amount of a ledger): nothing to parse
            if col in required and ("invoices", col) not in NULLABLE_REQUIRED:
                return None
            continue
        if kind in ("id", "str"):
            val, _bad = (parse.parse_ids if kind == "id" else parse.parse_text)(_text(arr))
            if col == "currency":
                val = val.str.upper()
        elif kind == "date":
            if pa.types.is_date32(arr.type):
                days = pc.cast(arr, pa.int32()).to_numpy(zero_copy_only=False)  # (a null cell: NaN)
                good = ~np.isnan(days) if arr.null_count else np.ones(n, dtype=bool)
                lo, hi = _DAY_RANGE
                if ((days[good] < lo) | (days[good] > hi)).any():
                    return None
                ns = np.full(n, np.iinfo("int64").min, dtype="int64")
                ns[good] = days[good].astype("int64") * 86_400_000_000_000
                val = pd.Series(ns.view("datetime64[ns]"), index=index)
            else:
                val, bad = parse.parse_dates(_text(arr), date_format=mapping["dates"]["format"], dayfirst=mapping["dates"]["dayfirst"], excel_serial=mapping["dates"]["excel_serial"])
                if bad.any():
                    return None
        elif kind == "money":
            if pa.types.is_float64(arr.type):
                v = arr.to_numpy(zero_copy_only=False) if arr.num_chunks != 1 else arr.chunk(0).to_numpy(zero_copy_only=False)
                if int(np.count_nonzero(np.isnan(v))) != arr.null_count:
                    return None  # a NaN cell (text "nan" is a null marker to the general path)
                val = parse.round_cents(pd.Series(v, index=index))
                if parse.amount_out_of_range(val).any():
                    return None
            else:
                nums = mapping["numbers"]
                raw_col = _text(arr)
                val, bad = parse.parse_amounts(raw_col, **nums)
                if bad.any() or parse.ambiguous_amounts(raw_col, decimal=nums["decimal"], thousands=nums["thousands"]).any() or parse.amount_out_of_range(val).any():
                    return None
        elif kind == "bool":
            if pa.types.is_boolean(arr.type):
                values = pc.fill_null(arr, False).to_numpy(zero_copy_only=False)
                val = pd.Series(pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), dtype=bool)), index=index)
            else:
                val, bad = parse.parse_bools(_text(arr))
                if bad.any():
                    return None
        else:
            val, bad = parse.PARSERS[kind](_text(arr))
            if bad.any():
                return None
        if col in required and (("invoices", col) not in NULLABLE_REQUIRED) and val.isna().any():
            return None  # an empty required cell: quarantined (or, for a credit, filled) by the general path
        out[col] = val
    typed = empty_table("invoices")
    typed = pd.DataFrame({c: out[c] if c in out else pd.Series(index=index, dtype=typed[c].dtype) for c in typed.columns}, index=index)
    from .load import KEYS, _keys_repeat, _rule_checks

    if any(len(p) for p in _rule_checks("invoices", typed, rows)):
        return None  # a due date before the invoice date, an open amount above the amount
    # every key once (the general path's first, exact test; a repeat sends the file there)
    if _keys_repeat(typed[KEYS["invoices"]], KEYS["invoices"]):
        return None
    if extras:  # (export name, name in the ledger) of the columns kept as they are
        typed = pd.concat([typed, pd.DataFrame({name: _text(table.column(e)) for e, name in extras}, index=index)], axis=1)
    none = pd.Series(False, index=index)
    return typed, [], none, rows, none, none
