"""Loading and validating ledgers: every row read is accepted or quarantined with a reason.

Data flow: read raw tables (CSV / XLSX / Parquet, a file or a folder) → find the header row → apply the
mapping (renames, constants, value maps) → parse each canonical column → validate → a :class:`Ledger` with
a :class:`LoadReport`. Input files are only ever opened for reading.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import _cleanlane, _layout, _textread, parse
from .errors import LedgerError
from .limits import active_limits, check_workbook, limits_with
from .mapping import load_mapping
from .model import (
    ACTIONS,
    ADJUSTMENT_KINDS,
    NULLABLE_REQUIRED,
    QUARANTINE_COLUMNS,
    TABLE_NAMES,
    TABLES,
    Ledger,
    LoadReport,
    columns,
    empty_quarantine,
    empty_table,
)

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab"}
TABLE_SUFFIXES = {*TEXT_SUFFIXES, ".parquet", ".pq", *EXCEL_SUFFIXES}

#: Keys that identify one row: rows sharing a key but differing in content are quarantined. One remittance
#: (payment_id) may be applied to several invoices, so a payment line is keyed by payment_id + invoice_id.
KEYS = {
    "invoices": ["customer_id", "invoice_id"],
    "customers": ["customer_id"],
    "payments": ["payment_id", "invoice_id"],
    "adjustments": ["adjustment_id", "invoice_id"],
}


@dataclass
class RawTable:
    """One table as read: raw cells under the export's own headers, with source positions."""

    frame: pd.DataFrame  # columns = export headers, values raw
    rows: pd.Series  # 1-based row number as a spreadsheet shows it, aligned with frame
    file: str
    sheet: str | None = None
    title: list | None = None  # non-empty lines above the header row, as text
    meta: dict | None = None  # how it was read: encoding, delimiter, header line
    date1904: bool = False  # a workbook on the 1904 date system: serial day numbers count from 1904-01-01
    #: a clean CSV read with its columns' types (:mod:`arkit._cleanlane`): the arrow table, export → ledger
    #: column names, the columns kept as they are, and how to read the file as text if the lane declines it
    #: (``frame`` is then an empty frame of the export's headers until :func:`_validate` reads it)
    lane: dict | None = None


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@functools.lru_cache(maxsize=1 << 16)
def _norm_text(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", _CAMEL.sub("_", text.strip()).lower()).strip("_")


def norm_name(name) -> str:
    """Column-name key: camel case split, lower case, runs of non-alphanumerics as one underscore
    ("Invoice Date", "invoice_date", "InvoiceDate" and "invoiceDate" → invoice_date; "CustomerID" → customer_id)."""
    return _norm_text(str(name))


# --------------------------------------------------------------------------------------------- reading


def _known_headers(mapping: dict) -> set[str]:
    known = {norm_name(c) for t in TABLE_NAMES for c in columns(t)}
    for spec in mapping["tables"].values():
        known |= {norm_name(c) for c in spec["columns"]}
    return known


def _find_header(grid: list[list], mapping: dict, where: str) -> int:
    """0-based index of the header row in the first rows of a grid (``header_row: auto``)."""
    if mapping["header_row"] != "auto":
        h = mapping["header_row"] - 1
        if h >= len(grid) or not any(c is not None and str(c).strip() for c in grid[h]):
            n = len(grid)
            raise LedgerError(
                f"{where}: header_row: {mapping['header_row']} of the mapping is "
                + (f"past the rows arkit looks at for a header (the first {n})" if h >= n else "an empty row")
                + "; set header_row to the row of the column names, or header_row: auto."
            )
        return h
    known = _known_headers(mapping)
    skip = mapping["skip_rows"]
    best, best_hits = None, 0
    for i, row in enumerate(grid):
        if i < skip:
            continue
        hits = sum(1 for c in row if c is not None and str(c).strip() and norm_name(c) in known)
        if hits >= 2 and hits > best_hits:
            best, best_hits = i, hits
            if hits >= 4:
                break
    if best is None:
        # no recognisable header: the first non-empty row after skip_rows is the header
        for i, row in enumerate(grid):
            if i >= skip and any(c is not None and str(c).strip() for c in row):
                return i
        raise LedgerError(f"{where} has no header row: every row is empty.")
    return best


def _title_lines(grid: list[list], h: int) -> list[str]:
    """Non-empty lines above the header row, cells joined by a space."""
    out = []
    for row in grid[:h]:
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        if cells:
            out.append(" ".join(cells))
    return out


_TEXT_CACHE: dict = {}


def _file_key(path: Path, *extra):
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, *extra)


def _prepared_text(path: Path, encoding, delimiter) -> tuple[str, str, str]:
    """Decoded, newline-normalised text with its encoding and delimiter; the last file is kept so that
    detection and the read that follows decode it once."""
    key = _file_key(path, encoding, delimiter)
    hit = _TEXT_CACHE.get("key") == key
    if not hit:
        _TEXT_CACHE.clear()
        _TEXT_CACHE["value"] = _textread.prepare(path, encoding=encoding, delimiter=delimiter)
        _TEXT_CACHE["key"] = key
    return _TEXT_CACHE["value"]


def _read_csv(path: Path, mapping: dict) -> RawTable:
    where = str(path)
    plain = None
    if _cleanlane.ENABLED and _cleanlane.qualifies(mapping):
        plain = _textread.plain_head(path, lambda g: _find_header(g, mapping, where), delimiter=mapping.get("delimiter"), encoding=mapping.get("encoding"))
        if plain is not None:
            got = _read_clean(path, plain, mapping)
            if got is not None:
                _TEXT_CACHE.clear()
                return got
    return _read_csv_text(path, mapping, plain)


def _read_clean(path: Path, plain, mapping: dict) -> RawTable | None:
    """A plain UTF-8 invoices file read with its columns' types for :mod:`arkit._cleanlane`; ``None`` when the
    columns do not resolve (the general path then says why) or pyarrow refuses a cell's type."""
    where = str(path)
    probe = RawTable(pd.DataFrame(columns=plain.header), pd.Series([], dtype="int64"), where)
    try:
        frame, extras = _apply_columns(probe, "invoices", mapping)
        _missing_required("invoices", frame, probe, mapping)
    except LedgerError:
        return None
    canon = [str(c) for c in frame.columns]
    if "amount" not in canon:
        return None  # (an open-item list with the open balance alone: the general path copies it)
    types, flags = _cleanlane.column_types(plain.header, canon, plain.grid, plain.h)
    bools = dict(true_values=_cleanlane._TRUE, false_values=_cleanlane._FALSE) if flags else {}
    table = _textread.arrow_body(plain, types, **bools)
    if table is None:
        return None
    meta = {"encoding": plain.encoding, "delimiter": _textread.delimiter_name(plain.sep), "header_row": plain.h + 1}
    rows = pd.Series(plain.rows(table.num_rows))
    lane = {
        "table": table,
        "names": dict(zip(plain.header, canon)),
        "extras": [(e, c) for e, c in zip(plain.header, canon) if c in extras],
        "reread": lambda: _read_csv_text(path, mapping, plain),
    }
    return RawTable(probe.frame, rows, where, title=_title_lines(plain.grid, plain.h), meta=meta, lane=lane)


def _read_csv_text(path: Path, mapping: dict, plain=None) -> RawTable:
    """A delimited text file with every cell as text (``plain``: its head, when :func:`_read_csv` read it)."""
    where = str(path)
    enc_pin, sep_pin = mapping.get("encoding"), mapping.get("delimiter")
    fast = _textread.read_plain(path, lambda g: _find_header(g, mapping, where), delimiter=sep_pin, encoding=enc_pin, plain=plain)
    if fast is not None:  # plain UTF-8, one line per record: read from the bytes, never decoded whole
        _TEXT_CACHE.clear()
        grid, h, frame, lines, enc, sep = fast
        meta = {"encoding": enc, "delimiter": _textread.delimiter_name(sep), "header_row": h + 1}
        return RawTable(frame, pd.Series(lines, index=frame.index), where, title=_title_lines(grid, h), meta=meta)
    if _TEXT_CACHE.get("key", (None,))[:3] == _file_key(path)[:3] and (enc_pin, sep_pin) == (None, None):
        text, enc, sep = _prepared_text(path, None, None)
    else:
        text, enc, sep = _textread.prepare(path, encoding=enc_pin, delimiter=sep_pin)
    _TEXT_CACHE.clear()
    grid = _textread.head_grid(text, sep, 60)
    h = _find_header(grid, mapping, where)
    frame, lines = _textread.read_body(text, sep, h, where)
    rows = pd.Series(lines, index=frame.index)
    meta = {"encoding": enc, "delimiter": _textread.delimiter_name(sep), "header_row": int(lines[0] - 1) if len(lines) else h + 1}
    return RawTable(frame, rows, where, title=_title_lines(grid, h), meta=meta)


_GRID_CACHE: dict = {}
_READ_AHEAD: dict = {}  # _file_key(path, sheet) -> Future of that sheet's grid (see _read_ahead)


def _parse_sheet(path: Path, sheet) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    ws = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
    return ws.to_python(skip_empty_area=False)


def _read_ahead(path, limits: dict | None):
    """Start parsing a workbook's sheets that a load reads — the sheets named like a table (or like a
    preset's invoices sheet) and the first visible one — in threads, before source detection; returns the
    pool (None for anything but a workbook file). Calamine parses outside the GIL, so the sheet detection
    looks at and the sheets read after it parse side by side instead of one after the other (a 100k-invoice
    sample workbook: 0.5 s less). :func:`_excel_grid` takes a grid from here when its file version and
    sheet match. The resource limits are checked first, as before any parse; any failure here is left to
    the ordinary read, which reports it."""
    try:
        path = Path(path)
        if path.suffix.lower() not in EXCEL_SUFFIXES or not path.is_file() or path.stat().st_size == 0:
            return None
        check_workbook(path, limits=limits)
        names = _sheet_names(path)
        hidden = _hidden_sheets(path)
        from .detect import _invoice_sheets

        tables = {*TABLE_NAMES, *_invoice_sheets()}
        first = [n for n in names if n not in hidden] or names
        sheets = list(dict.fromkeys([n for n in names if n.strip().lower() in tables] + first[:1]))
        if not sheets:
            return None
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=min(len(sheets), os.cpu_count() or 1))
        for n in sheets:
            _READ_AHEAD[_file_key(path, n)] = pool.submit(_parse_sheet, path, n)
        return pool
    except Exception:  # noqa: BLE001 — the ordinary read says what is wrong
        return None


def _excel_head(path: Path, sheet, n: int = 60, *, limits: dict | None = None) -> list[list]:
    """The first ``n`` rows of a sheet; the whole grid is kept for the read that follows (detection)."""
    grid = _excel_grid(path, sheet, limits=limits)
    _GRID_CACHE.clear()
    _GRID_CACHE.update(key=_file_key(path, sheet), value=grid)
    return grid[:n]


def _excel_grid(path: Path, sheet, limits: dict | None = None) -> list[list]:
    """All cells of one sheet as rows of Python values, from A1 (so list positions are spreadsheet rows).

    python-calamine directly: pandas' ``read_excel(engine="calamine")`` converts every cell again in Python,
    which costs more than the read itself. openpyxl is the fallback for what calamine cannot open. The
    workbook is checked against the resource limits first (:func:`arkit.limits.check_workbook`).
    """
    key = _file_key(path, sheet)
    if _GRID_CACHE.get("key") == key:
        grid = _GRID_CACHE.pop("value")
        _GRID_CACHE.clear()
        return grid
    check_workbook(path, limits=limits)  # before calamine builds any grid
    ahead = _READ_AHEAD.pop(key, None)
    if ahead is not None:
        try:
            return ahead.result()
        except Exception:  # noqa: BLE001 — read again below, which reports it
            pass
    try:
        return _parse_sheet(path, sheet)
    except Exception as exc:  # calamine could not read it: try openpyxl before giving up
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = pd.read_excel(path, sheet_name=sheet, header=None, engine="openpyxl")
        except Exception:
            raise LedgerError(f"{path} is not a readable Excel workbook ({type(exc).__name__}: {exc}).") from None
        return frame.astype(object).where(frame.notna(), "").values.tolist()


def _read_excel_sheet(path: Path, sheet, mapping: dict) -> RawTable:
    where = str(path)
    info = check_workbook(path, limits=mapping.get("limits"))  # before calamine builds any grid
    grid = _excel_grid(path, sheet, mapping.get("limits"))
    if not grid:
        raise LedgerError(f"{where}, sheet '{sheet}', is empty.")
    top = [[None if c == "" else c for c in row] for row in grid[:60]]
    h = _find_header(top, mapping, f"{where}, sheet '{sheet}',")
    width = max(len(r) for r in grid)
    header = [str(c).strip() if c is not None and str(c).strip() else f"column_{j + 1}" for j, c in enumerate(top[h] + [None] * (width - len(top[h])))]
    body = pd.DataFrame(grid[h + 1 :], columns=_dedupe(header))
    body = body.replace("", np.nan)  # calamine's empty cell
    rows = pd.Series(np.arange(len(body)) + h + 2, index=body.index)
    meta = {"header_row": h + 1}
    hidden = _hidden_sheets(path)
    name = sheet if isinstance(sheet, str) else (_sheet_names(path)[sheet] if isinstance(sheet, int) else str(sheet))
    if name in hidden:
        meta["hidden_sheet"] = name
    return RawTable(body, rows, where, str(sheet), title=_title_lines(top, h), meta=meta, date1904=info.date1904)


def _hidden_sheets(path: Path) -> set[str]:
    """Names of the workbook's hidden (or very hidden) sheets."""
    return set(_sheet_metadata(*_file_key(Path(path)))[1])


@functools.lru_cache(maxsize=8)
def _sheet_metadata(path: str, _size: int, _mtime: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sheet names, hidden sheet names) of a workbook, read once per file version: opening a workbook reads
    its shared strings (~0.05 s for a 100k-invoice file), and a load asked for these a dozen times."""
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(path)
        meta = wb.sheets_metadata
        return tuple(wb.sheet_names), tuple(m.name for m in meta if not str(m.visible).endswith(".Visible"))
    except Exception:  # noqa: BLE001 — the caller falls back (names) or assumes none hidden
        return (), ()


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise LedgerError(f"{path} is not a readable Parquet file ({type(exc).__name__}).") from None
    rows = pd.Series(np.arange(len(frame)) + 1, index=frame.index)
    return RawTable(frame.reset_index(drop=True), rows.reset_index(drop=True), str(path))


def _sheet_names(path: Path) -> list[str]:
    names = _sheet_metadata(*_file_key(Path(path)))[0]
    if names:
        return list(names)
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:
        try:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            names = wb.sheetnames
            wb.close()
            return names
        except Exception as exc:
            raise LedgerError(f"{path} is not a readable Excel workbook ({type(exc).__name__}).") from None


def _read_file(path: Path, mapping: dict, sheet=0) -> RawTable:
    suf = path.suffix.lower()
    if path.stat().st_size == 0:
        raise LedgerError(f"{path} is empty.")
    if suf in EXCEL_SUFFIXES:
        return _read_excel_sheet(path, sheet, mapping)
    if suf in {".parquet", ".pq"}:
        return _read_parquet(path)
    return _read_csv(path, mapping)


def read_raw_tables(path, mapping: dict) -> dict[str, RawTable]:
    """Raw tables found at ``path``: a folder of files named by table, a workbook of sheets named by table,
    or a single-table file (the invoices table)."""
    path = Path(path)
    if not path.exists():
        raise LedgerError(f"{path} does not exist.")
    wanted = {t: (mapping["tables"].get(t, {}).get("sheet") or t) for t in TABLE_NAMES}
    if path.is_dir():
        files = {p.stem.lower(): p for p in sorted(path.iterdir()) if p.suffix.lower() in TABLE_SUFFIXES and p.is_file()}
        found = {t: files[str(stem).lower()] for t, stem in wanted.items() if str(stem).lower() in files}
        if "invoices" not in found:
            listed = ", ".join(sorted(p.name for p in files.values())) or "no CSV, Excel or Parquet files"
            raise LedgerError(f"{path} holds no invoices table (expected a file named invoices.csv, .xlsx or .parquet; found: {listed}).")
        out = {}
        for t, p in found.items():
            if p.suffix.lower() in EXCEL_SUFFIXES:
                out[t] = _read_file(p, mapping, sheet=0)
            else:
                out[t] = _read_file(p, mapping)
        return out
    suf = path.suffix.lower()
    if suf not in TABLE_SUFFIXES:
        raise LedgerError(f"{path} is not a CSV, Excel or Parquet file (suffix '{path.suffix}').")
    if path.stat().st_size == 0:
        raise LedgerError(f"{path} is empty.")
    if suf in EXCEL_SUFFIXES:
        check_workbook(path, limits=mapping.get("limits"))
        names = _sheet_names(path)
        lower = {n.strip().lower(): n for n in names}
        found = {t: lower[str(s).lower()] for t, s in wanted.items() if str(s).lower() in lower}
        if not found:
            hidden = _hidden_sheets(path)
            visible = [n for n in names if n not in hidden]
            found = {"invoices": (visible or names)[0]}  # the first sheet a person sees
        if "invoices" not in found:
            raise LedgerError(f"{path} has no sheet named 'invoices' (sheets: {', '.join(names)}).")
        if len(found) == 1:
            return {t: _read_excel_sheet(path, s, mapping) for t, s in found.items()}
        from concurrent.futures import ThreadPoolExecutor

        # calamine parses outside the GIL: sheets read side by side
        with ThreadPoolExecutor(max_workers=min(len(found), os.cpu_count() or 1)) as pool:
            tables = dict(zip(found, pool.map(lambda s: _read_excel_sheet(path, s, mapping), found.values())))
        return tables
    return {"invoices": _read_file(path, mapping)}


# --------------------------------------------------------------------------------------------- mapping


def _apply_columns(raw: RawTable, table: str, mapping: dict) -> tuple[pd.DataFrame, list[str]]:
    """Rename export columns to canonical names; returns the frame and the extra (kept) column names."""
    spec = mapping["tables"].get(table, {})
    user = spec.get("columns", {})
    user_norm = {norm_name(k): v for k, v in user.items()}
    canon = columns(table)
    canon_norm = {norm_name(c): c for c in canon}
    ren: dict[str, str] = {}
    taken: set[str] = set()
    # several export names may map to one column (the labels differ by release, language or layout): the
    # first name listed in the mapping that the export has wins, the others are kept as extra columns
    order = {norm_name(k): i for i, k in reversed(list(enumerate(user)))}
    named = [(order.get(norm_name(col), len(order)) if col not in user else list(user).index(col), j, col) for j, col in enumerate(raw.frame.columns)]
    for _, _, col in sorted(named):
        target = user.get(col) or user_norm.get(norm_name(col))
        if target and target not in taken:
            ren[col] = target
            taken.add(target)
    where = raw.file + (f", sheet '{raw.sheet}'" if raw.sheet else "")
    by_target: dict[str, list] = {}
    for col in raw.frame.columns:
        if col in ren:
            continue
        target = canon_norm.get(norm_name(_undupe(col, raw.frame.columns)))
        if target:
            by_target.setdefault(target, []).append(col)
    for target, cols in by_target.items():
        if target in taken:
            # an explicit mapping names another column for this one: the export's own column of that name is
            # kept under its name plus " (not mapped)", never read as the canonical column
            for col in cols:
                ren[col] = f"{col} (not mapped)"
            continue
        if len(cols) > 1 and target in TABLES[table]["required"]:
            raise LedgerError(
                f"{where}: columns {', '.join(repr(_undupe(c, raw.frame.columns)) for c in cols)} all read as {table} column '{target}'; "
                f"name the one to use in the mapping (tables: {{{table}: {{columns: {{<name>: {target}}}}}}}) or rename the others in the export."
            )
        ren[cols[0]] = target
        taken.add(target)
    frame = raw.frame.rename(columns=ren)
    extras = [c for c in frame.columns if c not in canon]
    return frame, extras


def _undupe(col, cols) -> str:
    """An export header without the ``.1`` pandas adds to the second of two equal names."""
    m = re.fullmatch(r"(.*)\.(\d+)", str(col))
    return m.group(1) if m and m.group(1) in {str(c) for c in cols} else str(col)


def _missing_required(table: str, frame: pd.DataFrame, raw: RawTable, mapping: dict) -> None:
    spec = mapping["tables"].get(table, {})
    consts = spec.get("constants", {})
    gh = (mapping.get("layout") or {}).get("group_header") or {}
    from_groups = set(gh.get("column") if isinstance(gh.get("column"), list) else [gh["column"]]) if gh else set()
    for col in TABLES[table]["required"]:
        if col in frame.columns or col in consts or (table == "invoices" and col in from_groups):
            continue
        if (table, col) in NULLABLE_REQUIRED:
            continue
        found = [str(c) for c in raw.frame.columns]
        near = difflib.get_close_matches(col, found, n=3, cutoff=0.5) or difflib.get_close_matches(
            col.replace("_", " "), [c.lower() for c in found], n=3, cutoff=0.5
        )
        hint = f" Did you mean {', '.join(repr(n) for n in near)}? Map it in a source YAML (docs/mappings.md)." if near else " Map the right column in a source YAML (docs/mappings.md)."
        where = raw.file + (f", sheet '{raw.sheet}'" if raw.sheet else "")
        raise LedgerError(
            f"{where}: required {table} column '{col}' is missing (columns found: {', '.join(found)}).{hint}"
        )


# --------------------------------------------------------------------------------------------- validation


_NO_PROBLEMS = pd.DataFrame({"row": pd.Series([], dtype="Int64"), "column": pd.Series([], dtype="str"), "value": pd.Series([], dtype="str"), "problem": pd.Series([], dtype="str"), "_idx": pd.Series([], dtype="int64")})


def _bad_index(probs: list[pd.DataFrame]) -> np.ndarray:
    """Positions (frame index labels) of rows with at least one problem."""
    if not probs:
        return np.array([], dtype="int64")
    return np.unique(np.concatenate([p["_idx"].to_numpy(dtype="int64") for p in probs]))


def _problems(mask: pd.Series, rows: pd.Series, column: str, values: pd.Series | None, problem) -> pd.DataFrame:
    """Quarantine entries for the rows where ``mask`` is true (vectorised)."""
    if not mask.any():
        return _NO_PROBLEMS
    idx = mask[mask].index
    vals = values.loc[idx].astype("str") if values is not None else pd.Series("", index=idx)
    prob = problem(vals) if callable(problem) else problem
    return pd.DataFrame({"row": rows.loc[idx].astype("Int64"), "column": column, "value": vals.fillna(""), "problem": prob, "_idx": idx}, index=idx)


def _bad_index_mask(probs: list[pd.DataFrame], index: pd.Index, column: str) -> pd.Series:
    """Rows already quarantined for ``column`` (so an emptied value is not reported a second time as empty)."""
    hit = [p["_idx"] for p in probs if len(p) and (p["column"] == column).any()]
    if not hit:
        return pd.Series(False, index=index)
    return pd.Series(index.isin(np.concatenate([h.to_numpy() for h in hit])), index=index)


def _amount_range(val: pd.Series, bad: pd.Series, rows: pd.Series, col: str, raw_col: pd.Series):
    """Amounts beyond ±parse.MAX_AMOUNT or not finite are quarantined with their reason (never summed)."""
    oor = parse.amount_out_of_range(val)
    if not oor.any():
        return val, bad, []
    shown = val[oor]
    reasons = np.where(np.isfinite(shown.to_numpy()), "is outside ±" + f"{parse.MAX_AMOUNT:,.0f}" + " (not a real amount)", "is not a finite number")
    prob = _problems(oor, rows, col, raw_col, lambda v, r=reasons: "amount '" + v + "' " + pd.Series(r, index=v.index))
    return val.where(~oor), bad & ~oor, [prob]


def _map_values(raw_col: pd.Series, mp: dict) -> pd.Series:
    if not mp:
        return raw_col
    lower = {str(k).strip().lower(): v for k, v in mp.items()}
    key = raw_col.astype("str").str.strip().str.lower()
    mapped = key.map(lower)
    return mapped.where(mapped.notna(), raw_col).astype(object) if raw_col.dtype == object or pd.api.types.is_string_dtype(raw_col.dtype) else mapped.where(mapped.notna(), raw_col)


def _parse_table(table: str, frame: pd.DataFrame, rows: pd.Series, mapping: dict, *, date1904: bool = False) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Parse the canonical columns of one table; returns the typed frame and quarantine entries."""
    spec = mapping["tables"].get(table, {})
    consts, vmaps = spec.get("constants", {}), spec.get("values", {})
    dates, nums = mapping["dates"], mapping["numbers"]
    kinds = {**TABLES[table]["required"], **TABLES[table]["optional"]}
    out: dict[str, pd.Series] = {}
    probs: list[pd.DataFrame] = []
    empties: dict[str, pd.Series] = {}
    n = len(frame)
    for col, kind in kinds.items():
        if col in frame.columns:
            raw_col = frame[col]
            if isinstance(raw_col, pd.DataFrame):  # duplicated header: first one wins
                raw_col = raw_col.iloc[:, 0]
            raw_col = _map_values(raw_col, vmaps.get(col, {}))
            if col in consts:
                raw_col = raw_col.where(~parse.blank_mask(raw_col), consts[col])
        elif col in consts:
            raw_col = pd.Series([consts[col]] * n, index=frame.index, dtype=object)
        else:
            continue
        amb = False
        if kind == "money":
            val, bad = parse.parse_amounts(raw_col, **nums)
            amb = parse.ambiguous_amounts(raw_col, decimal=nums["decimal"], thousands=nums["thousands"])
            if amb.any():
                val = val.where(~amb)
                bad = bad & ~amb
                probs.append(_problems(amb, rows, col, raw_col, lambda v: "ambiguous amount '" + v + "': a thousands separator or three decimals? Set numbers.decimal and numbers.thousands in the mapping (docs/mappings.md)"))
            val, bad, range_probs = _amount_range(val, bad, rows, col, raw_col)
            probs += range_probs
        elif kind == "date":
            val, bad = parse.parse_dates(raw_col, date_format=dates["format"], dayfirst=dates["dayfirst"], excel_serial=dates["excel_serial"], date1904=date1904)
            if bad.any():  # each bad date with its reason (out of range, a year, text after it...)
                probs.append(_problems(bad, rows, col, raw_col, lambda v, raw=raw_col[bad]: [parse.date_problem(x, excel_serial=dates["excel_serial"], date1904=date1904) for x in raw]))
                bad = pd.Series(False, index=bad.index)
        else:
            val, bad = parse.PARSERS[kind](raw_col)
            if col == "currency":
                val = val.str.upper()  # usd and USD are one currency
        out[col] = val
        if bad.any():
            label = {"money": "amount", "date": "date", "bool": "yes/no value", "int": "whole number"}.get(kind, kind)
            probs.append(_problems(bad, rows, col, raw_col, lambda v, label=label: "unparseable " + label + " '" + v + "'"))
        if col in TABLES[table]["required"] and (table, col) not in NULLABLE_REQUIRED:
            empty = val.isna() & ~bad & ~amb & ~_bad_index_mask(probs, val.index, col)
            if table == "invoices" and col in ("due_date", "invoice_id"):
                empties[col] = empty  # checked below: a credit without a due date is due when issued
            elif empty.any():
                probs.append(_problems(empty, rows, col, None, f"empty {col}"))
    if empties:
        credit = _credit_rows(out)
        if "due_date" in empties and "invoice_date" in out:  # a credit note has no due date: due when issued
            fill = empties["due_date"] & credit & out["invoice_date"].notna()
            out["due_date"] = out["due_date"].where(~fill, out["invoice_date"])
            empties["due_date"] &= ~fill
        if "invoice_id" in empties:  # unapplied cash often has no document number: named by its row
            fill = empties["invoice_id"] & credit
            if fill.any():
                out["invoice_id"] = out["invoice_id"].astype(object).where(~fill, "row " + rows.astype("str"))
            empties["invoice_id"] &= ~fill
        for col, empty in empties.items():
            if empty.any():
                probs.append(_problems(empty, rows, col, None, f"empty {col}"))
    typed = empty_table(table)
    typed = pd.DataFrame({c: out[c] if c in out else pd.Series(index=frame.index, dtype=typed[c].dtype) for c in typed.columns}, index=frame.index)
    return typed, probs


def _credit_rows(out: dict) -> pd.Series:
    """Credit items (amount or open amount below 0): credit notes, overpayments, unapplied cash. Most exports
    (Xero, QuickBooks, Zoho) print them without a due date, and unapplied cash without a document number, so
    :func:`_parse_table` gives such a credit its invoice date as due date (it is available from the day it was
    issued) and ``row <n>`` (its row in the file) as its id, instead of quarantining it."""
    ref = out.get("amount", out.get("open_amount"))
    credit = pd.Series(False, index=ref.index) if ref is not None else None
    for c in ("amount", "open_amount"):
        if c in out:
            credit |= (out[c] < 0).fillna(False).astype(bool)
    return credit


def _rule_checks(table: str, t: pd.DataFrame, rows: pd.Series) -> list[pd.DataFrame]:
    probs = []
    if table == "invoices":
        bad = (t["due_date"] < t["invoice_date"]).fillna(False)
        if bad.any():  # (the dates shown are formatted for the rows that need them only)
            probs.append(_problems(bad, rows, "due_date", t["due_date"].where(bad).dt.strftime("%Y-%m-%d"), lambda v: "due date " + v + " is before the invoice date"))
        if t["open_amount"].notna().any():
            amt, opn = t["amount"], t["open_amount"]
            wrong = (opn.abs() > amt.abs() + 0.005) | ((np.sign(opn) * np.sign(amt)) < 0)
            probs.append(_problems(wrong.fillna(False), rows, "open_amount", opn, lambda v: "open amount " + v + " exceeds the invoice amount or has the other sign"))
    if table == "activities":
        act = _norm_code(t["action"], strip=False)
        bad = act.notna() & ~act.isin(ACTIONS)
        probs.append(_problems(bad, rows, "action", t["action"], lambda v: "unknown action '" + v + "' (expected one of: " + ", ".join(ACTIONS) + ")"))
    if table == "adjustments":
        knd = _norm_code(t["kind"])
        bad = knd.notna() & ~knd.isin(list(ADJUSTMENT_KINDS))
        probs.append(_problems(bad, rows, "kind", t["kind"], lambda v: "unknown adjustment kind '" + v + "' (expected one of: " + ", ".join(ADJUSTMENT_KINDS) + "; map yours under tables.adjustments.values.kind)"))
        signed = knd.notna() & knd.isin(list(ADJUSTMENT_KINDS)) & (knd != "other") & (t["amount"] <= 0)
        probs.append(_problems(signed.fillna(False), rows, "amount", t["amount"], lambda v: "adjustment amount " + v + " must be positive: the kind sets the direction (use kind 'other' for a signed amount)"))
    return probs


def _norm_code(s: pd.Series, *, strip: bool = True) -> pd.Series:
    """An action or adjustment kind as a code: lower case, spaces and dashes as ``_`` (``Write-off`` → write_off).
    Worked out once per distinct value (a log of 160,000 activities holds a dozen actions; pandas runs this
    regular expression cell by cell)."""

    def code(v: pd.Series) -> pd.Series:
        v = v.str.strip() if strip else v
        return v.str.lower().str.replace(r"[\s\-]+", "_", regex=True)

    codes, uniq = pd.factorize(s)
    if len(uniq) * 4 > len(s):
        return code(s)
    from pandas.api.extensions import take

    done = code(pd.Series(uniq, dtype=s.dtype))
    return pd.Series(take(done.array, codes, allow_fill=True), index=s.index, name=s.name)


#: Past this many columns a table is handled as one block of cells, not column by column (see _layout._WIDE).
_WIDE = _layout._WIDE


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """True for rows whose every cell is blank (:func:`_layout.empty_cells`: a null marker is a value).
    Linear in cells, wide or long."""
    return _layout.empty_frame(frame).all(axis=1)


def _content_hash(t: pd.DataFrame, cols: list[str]) -> pd.Series:
    """One 64-bit hash of each row's content (equal rows, equal hashes). Wide tables hash as one block."""
    if len(cols) <= _WIDE:
        return pd.util.hash_pandas_object(t[cols], index=False)
    arr = t[cols].to_numpy(dtype=object)
    # a cell's text plus its type, so 1 and "1" differ as hash_pandas_object keeps them apart
    cells = pd.Series(arr.ravel()).map(lambda v: "\x00" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else f"{type(v).__name__}:{v}")
    h = pd.util.hash_array(cells.to_numpy(dtype=object)).reshape(arr.shape)
    weights = pd.util.hash_array(np.arange(arr.shape[1], dtype="int64")) | np.uint64(1)
    with np.errstate(over="ignore"):
        return pd.Series((h * weights).sum(axis=1, dtype="uint64"), index=t.index)


def _keys_repeat(sub: pd.DataFrame, key: list[str]) -> bool:
    """Whether any key occurs twice among ``sub``'s rows (exact; a cheap test that usually ends the search).
    Arrow text keys are joined with a unit separator and counted distinct by pyarrow; a separator inside an
    id can only make two keys look equal, which sends the table to the full check."""
    arrs = [parse.arrow_text(sub[k]) for k in key]
    if all(a is not None for a in arrs) and len({a.type for a in arrs}) == 1:
        import pyarrow as pa
        import pyarrow.compute as pc

        if len(pc.unique(arrs[-1])) == len(sub):  # (unique: about half the time of count_distinct)
            return False  # the last key column (the invoice or payment number) alone is unique
        arrs = [a.combine_chunks() if hasattr(a, "combine_chunks") else a for a in arrs]
        sep = pa.scalar("\x1f", arrs[0].type)
        joined = pc.binary_join_element_wise(*arrs, sep) if len(arrs) > 1 else arrs[0]
        return pc.count_distinct(joined).as_py() < len(sub)
    return bool(sub[key].duplicated().any())


def _duplicates(table: str, t: pd.DataFrame, rows: pd.Series, ok: pd.Series) -> tuple[pd.Series, list[pd.DataFrame]]:
    """Exact duplicate rows (kept once) and conflicting keys (all quarantined). Returns (dup_mask, problems)."""
    key = KEYS.get(table)
    dup = pd.Series(False, index=t.index)
    if not key or any(t[k].isna().all() for k in key):
        return dup, []
    live = ok & t[key].notna().all(axis=1)
    if not live.any() or not _keys_repeat(t.loc[live, key], key):
        return dup, []  # every key once: no copies and no conflicts
    sub = t[live]
    h = _content_hash(sub, list(sub.columns))
    exact = pd.DataFrame({"h": h}).assign(**{k: sub[k] for k in key}).duplicated(keep="first")
    first_row = rows.loc[sub.index].groupby(h.values).transform("min")
    dup.loc[exact[exact].index] = True
    probs = [_problems(dup, rows, ",".join(key), first_row.reindex(t.index).astype("Int64"), lambda v: "exact duplicate of row " + v + " (one copy kept)")]
    rest = sub.loc[~exact]
    keydup = rest[key].duplicated(keep=False)  # only the key columns (a wide table has thousands)
    if keydup.any():
        conflict_rows = rows.loc[rest.index[keydup]]
        groups = conflict_rows.groupby([rest.loc[keydup, k] for k in key]).transform(lambda s: ", ".join(map(str, s)))
        msg = pd.Series(pd.NA, index=t.index, dtype="str")
        msg.loc[groups.index] = groups.astype(str)
        mask = pd.Series(False, index=t.index)
        mask.loc[groups.index] = True
        label = " + ".join(key)
        probs.append(_problems(mask, rows, ",".join(key), msg, lambda v: f"duplicate {label} with different content (rows " + v + ")"))
    return dup, probs


def _finish_problems(parts: list[pd.DataFrame], table: str, file: str, sheet) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_quarantine().assign(_idx=pd.Series([], dtype="int64"))
    q = pd.concat(parts, ignore_index=True)
    q.insert(0, "sheet", sheet or "")
    q.insert(0, "file", file)
    q.insert(0, "table", table)
    return q.sort_values(["row", "column"], kind="stable").reset_index(drop=True)


def _validate(table: str, raw: RawTable, mapping: dict, *, drop_patterns: list[str]):
    """Parse and check one table: typed frame (non-blank rows), problems, duplicate mask, row numbers, skipped, blank.
    A clean CSV read with its types takes :mod:`arkit._cleanlane`; when the lane declines, the file is read again
    as text (``raw`` is updated in place) and checked here."""
    if raw.lane is not None:
        lane = raw.lane
        got = _cleanlane.validate(lane["table"], lane["names"], lane["extras"], raw.rows, mapping, drop_patterns)
        if got is not None:
            raw.meta = {**(raw.meta or {}), "layout": {}, "totals": []}
            return got
        text = lane["reread"]()
        raw.frame, raw.rows, raw.meta, raw.title, raw.lane = text.frame, text.rows, text.meta, text.title, None
    frame, extras = _apply_columns(raw, table, mapping)
    where = raw.file + (f", sheet '{raw.sheet}'" if raw.sheet else "")
    if table == "invoices":
        frame = _layout.apply_debit_credit(frame, mapping, where)
        if "amount" not in frame.columns and "open_amount" in frame.columns:
            frame = frame.assign(amount=frame["open_amount"])  # an open-item list with the open balance alone
    extras = [c for c in frame.columns if c not in columns(table)]
    _missing_required(table, frame, raw, mapping)
    if frame.shape[1] > _WIDE:  # one block of cells: row selections then cost one copy, not one per column
        frame = pd.DataFrame(frame.to_numpy(dtype=object), index=frame.index, columns=frame.columns, dtype=object)
    rows = raw.rows
    # fully empty rows are spacing, not data (a row of null markers such as NA or "-" is data: quarantined)
    blank_row = _layout.blank_rows(frame)
    frame, lay = _layout.apply_layout(frame, rows, blank_row, mapping, file=raw.file, sheet=raw.sheet, drop_patterns=drop_patterns)
    skipped = lay.skipped & ~blank_row
    keep = ~(blank_row | skipped)
    credit = _layout.credit_mask(frame, mapping, where) if table == "invoices" else None
    if not keep.all():  # (every row kept: no copy)
        frame, rows = frame[keep], rows[keep]
    rows_k = rows
    typed, probs = _parse_table(table, frame, rows_k, mapping, date1904=raw.date1904)
    if credit is not None:
        typed = _layout.apply_sign(typed, credit[keep])
    raw.meta = {**(raw.meta or {}), "layout": lay.reasons, "totals": lay.totals}
    probs += _rule_checks(table, typed, rows_k)
    ok = pd.Series(True, index=typed.index)
    ok.loc[_bad_index(probs)] = False
    if extras:  # extra columns are kept, so they are part of a row: rows differing there are not copies
        # one concat, not one insert per column (each insert copies the column index: quadratic when wide)
        typed = pd.concat([typed, frame[extras]], axis=1)
    dup, dprobs = _duplicates(table, typed, rows_k, ok)
    probs += dprobs
    return typed, probs, dup, rows_k, skipped, blank_row


def _currency(typed: dict[str, pd.DataFrame], masks: dict, rows: dict, mapping: dict, problems: dict) -> None:
    """Mixed currencies: convert with the mapping's rates, else quarantine rows not in the base currency.

    The base currency is the mapping's ``currency.base``, else the most common invoice currency; invoices and
    payments in any other currency are converted (a rate is given) or quarantined (none is)."""
    inv = typed["invoices"]
    cur = inv["currency"]
    base, rates = _currency_settings(mapping)
    present = cur[masks["invoices"]].dropna()
    if "payments" in typed:
        paid_in = typed["payments"]["currency"][masks["payments"]].dropna()
    else:
        paid_in = pd.Series([], dtype="str")
    if base is None:
        # the base is the invoices' (most common) currency; payments in another one are checked too
        if pd.concat([present, paid_in]).nunique() <= 1:
            return
        base = (present if len(present) else paid_in).value_counts().idxmax()
    for t in ("invoices", "payments"):
        if t not in typed or "currency" not in typed[t]:
            continue
        df = typed[t]
        c = df["currency"]
        foreign = c.notna() & (c != base) & masks[t]
        if not foreign.any():
            continue
        rate = c.map(rates)
        convertible = foreign & rate.notna()
        if convertible.any():
            for col in ("amount", "open_amount"):
                if col in df:
                    df.loc[convertible, col] = parse.round_cents(df.loc[convertible, col] * rate[convertible])
            big = convertible & parse.amount_out_of_range(df["amount"])
            if big.any():
                problems[t].append(_problems(big, rows[t], "amount", df["amount"], lambda v: "amount " + v + f" in {base} after conversion is outside ±{parse.MAX_AMOUNT:,.0f}"))
                masks[t] &= ~big
            df.loc[convertible, "currency_original"] = c[convertible]
            df.loc[convertible, "currency"] = base
        lost = foreign & rate.isna()
        if lost.any():
            problems[t].append(
                _problems(lost, rows[t], "currency", c, lambda v: "currency " + v + f" differs from the base currency {base} and no rate is given (mapping currency.rates)")
            )
            masks[t] &= ~lost


def _currency_settings(mapping: dict) -> tuple[str | None, dict]:
    """The mapping's base currency and rates, codes in upper case; a rate that is not a finite number
    above zero is a :class:`ConfigError` naming it."""
    from .errors import ConfigError

    cur = mapping["currency"]
    base = cur["base"].strip().upper() if isinstance(cur.get("base"), str) else cur.get("base")
    rates = {}
    for code, rate in (cur.get("rates") or {}).items():
        ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and np.isfinite(rate) and rate > 0
        if not ok:
            raise ConfigError(f"the mapping's currency.rates.{code} is {rate!r}; a rate must be a finite number above 0 (docs/mappings.md)")
        rates[str(code).strip().upper()] = float(rate)
    return base, rates


def _check_sums(summary: list[dict]) -> None:
    """Every money total must be exact in int64 cents: with amounts within ±parse.MAX_AMOUNT that holds up
    to 92,000 rows at the limit; a table whose absolute amounts add up past 2**62 cents is refused."""
    for row in summary:
        if abs(row["amount_read"]) > _MAX_TOTAL or row.get("_abs_total", 0) > _MAX_TOTAL:
            raise LedgerError(f"{row['file']}: the {row['table']} amounts add up to more than {_MAX_TOTAL:,.0f}, beyond what can be summed to the cent; check the amount column")


#: The largest absolute total of a table's amounts: 2**62 cents, so sums in int64 cents cannot overflow.
_MAX_TOTAL = 2**62 / 100


def ledger_from_raw(raw_tables: dict[str, RawTable], mapping: dict, *, strict: bool = False) -> Ledger:
    """Validate raw tables into a :class:`Ledger` (see :func:`load_ledger`)."""
    drop = mapping["drop_rows_matching"]
    as_of, as_of_line = None, None
    if "invoices" in raw_tables:
        as_of, as_of_line = report_as_of(raw_tables["invoices"].title or [], mapping)
    if mapping.get("export_date") is None and as_of is not None:
        mapping = {**mapping, "export_date": as_of}
    typed, probs, dups, rows, okm, skipped = {}, {}, {}, {}, {}, {}
    for t in TABLE_NAMES:
        if t not in raw_tables:
            continue
        tf, p, d, r, sk, _blank = _validate(t, raw_tables[t], mapping, drop_patterns=drop)
        typed[t], probs[t], dups[t], rows[t] = tf, p, d, r
        skipped[t] = (sk,)
        m = pd.Series(True, index=tf.index)
        m.loc[_bad_index(p)] = False
        okm[t] = m & ~d
    _currency(typed, okm, rows, mapping, probs)
    # payments must name a known invoice of the same customer
    if "payments" in typed:
        pay, inv = typed["payments"], typed["invoices"][okm["invoices"]]
        named = pay["invoice_id"].notna() & okm["payments"]
        if named.any():
            known = pd.MultiIndex.from_frame(inv[["customer_id", "invoice_id"]])
            keys = pd.MultiIndex.from_frame(pay.loc[named, ["customer_id", "invoice_id"]])
            unknown = pd.Series(~keys.isin(known), index=pay.index[named])
            unknown = unknown.reindex(pay.index, fill_value=False)
            if unknown.any():
                label = pay["invoice_id"] + " of customer " + pay["customer_id"]
                probs["payments"].append(_problems(unknown, rows["payments"], "invoice_id", label, lambda v: "payment names invoice " + v + ", which is not an accepted invoice"))
                okm["payments"] &= ~unknown
    # adjustments must name a known invoice of the same customer, on or after its date
    if "adjustments" in typed:
        _check_adjustments(typed, okm, rows, probs)

    frames, qparts, summary = {}, [], []
    sources = {}
    for t in TABLE_NAMES:
        if t not in typed:
            frames[t] = empty_table(t)
            continue
        rt = raw_tables[t]
        sources[t] = {"file": rt.file, "sheet": rt.sheet, **(rt.meta or {})}
        q = _finish_problems(probs[t], t, rt.file, rt.sheet)
        qparts.append(q)
        tf = typed[t]
        accepted = tf[okm[t]].reset_index(drop=True)
        frames[t] = accepted
        quarantined = ~okm[t] & ~dups[t]
        amt = tf["amount"] if "amount" in tf else pd.Series(0.0, index=tf.index)
        sk = skipped[t][0]
        summary.append(
            {
                "table": t,
                "rows_read": int(len(tf) + skipped[t][0].sum()),
                "rows_accepted": int(okm[t].sum()),
                "rows_quarantined": int(quarantined.sum()),
                "duplicates_dropped": int(dups[t].sum()),
                "rows_skipped": int(sk.sum()),
                "amount_read": round(float(amt.sum()), 2),
                "amount_accepted": round(float(amt[okm[t]].sum()), 2),
                "amount_quarantined": round(float(amt[quarantined].sum()), 2),
                "amount_duplicates": round(float(amt[dups[t]].sum()), 2),
                "file": rt.file,
                "sheet": rt.sheet or "",
                "_abs_total": float(amt.abs().sum()),
            }
        )
    _check_sums(summary)
    for row in summary:
        row.pop("_abs_total", None)
    quarantine = pd.concat(qparts, ignore_index=True) if qparts else empty_quarantine()
    quarantine = quarantine.drop(columns=["_idx"], errors="ignore")[QUARANTINE_COLUMNS]
    if "payments" not in raw_tables:
        frames["payments"] = derive_payments(frames["invoices"], export_date=mapping.get("export_date"))
        if len(frames["payments"]):
            sources["payments"] = {"derived_from": "invoices.paid_date / invoices.open_amount"}
    frames["activities"] = _normalise_actions(frames["activities"])
    if len(frames["adjustments"]):
        frames["adjustments"] = frames["adjustments"].assign(kind=_norm_code(frames["adjustments"]["kind"]))
    inv_cols = set(typed["invoices"].columns[typed["invoices"].notna().any()]) if "invoices" in typed else set()
    kind = mapping.get("kind") or ("open_items" if ("payments" not in raw_tables and "open_amount" in inv_cols and "paid_date" not in inv_cols) else "ledger")
    sources["kind"] = kind
    sources["source"] = mapping.get("name")
    if mapping.get("_detection"):
        sources["detection"] = mapping["_detection"]
    if as_of is not None:
        sources["as_of"] = as_of
        sources["as_of_text"] = as_of_line
    elif mapping.get("export_date") is not None:
        sources["as_of"] = mapping["export_date"]
    report = LoadReport(summary=pd.DataFrame(summary).set_index("table"), quarantine=quarantine, sources=sources)
    if strict and len(quarantine):
        first = quarantine.iloc[0]
        raise LedgerError(
            f"{len(quarantine)} problem(s) in {first['file']}: first at {first['table']} row {first['row']}, "
            f"column {first['column']}: {first['problem']}.",
            problems=quarantine,
        )
    return Ledger(frames["invoices"], frames["payments"], frames["customers"], frames["activities"], report, adjustments=frames["adjustments"])


def _check_adjustments(typed: dict, okm: dict, rows: dict, probs: dict) -> None:
    """Quarantine adjustments naming no accepted invoice of the same customer, or dated before it."""
    adj, inv = typed["adjustments"], typed["invoices"][okm["invoices"]]
    named = adj["invoice_id"].notna() & okm["adjustments"]
    if not named.any():
        return
    dates = inv.drop_duplicates(["customer_id", "invoice_id"]).set_index(["customer_id", "invoice_id"])["invoice_date"]
    keys = pd.MultiIndex.from_frame(adj.loc[named, ["customer_id", "invoice_id"]])
    inv_date = pd.Series(dates.reindex(keys).to_numpy(), index=adj.index[named])
    unknown = inv_date.isna().reindex(adj.index, fill_value=False)
    if unknown.any():
        label = adj["invoice_id"] + " of customer " + adj["customer_id"]
        probs["adjustments"].append(_problems(unknown, rows["adjustments"], "invoice_id", label, lambda v: "adjustment names invoice " + v + ", which is not an accepted invoice"))
    early = (adj.loc[named, "date"] < inv_date).reindex(adj.index, fill_value=False).fillna(False).astype(bool)
    if early.any():
        probs["adjustments"].append(_problems(early, rows["adjustments"], "date", adj["date"].dt.strftime("%Y-%m-%d"), lambda v: "adjustment dated " + v + ", before its invoice's date"))
    okm["adjustments"] &= ~(unknown | early)


def _normalise_actions(act: pd.DataFrame) -> pd.DataFrame:
    if act.empty:
        return act
    return act.assign(action=_norm_code(act["action"], strip=False))


def derive_payments(invoices: pd.DataFrame, *, export_date=None) -> pd.DataFrame:
    """Payments implied by an invoices table that has no payments table of its own.

    - ``paid_date`` set: one payment of the full amount on that day (method ``derived:paid_date``).
    - else ``open_amount`` set and different from amount: one payment of ``amount − open_amount`` dated at
      the export date (``export_date`` of the mapping, else the latest invoice date), method
      ``derived:open_amount`` — the day it was really paid is not in the export, so aging before the export
      date shows such invoices as fully open.
    """
    pays = empty_table("payments")
    if invoices.empty:
        return pays
    parts = []
    paid = invoices["paid_date"].notna()
    if paid.any():
        p = invoices.loc[paid]
        parts.append(pd.DataFrame({"customer_id": p["customer_id"], "invoice_id": p["invoice_id"], "payment_date": p["paid_date"], "amount": p["amount"], "method": "derived:paid_date", "currency": p["currency"]}))
    part = ~paid & invoices["open_amount"].notna() & ((invoices["amount"] - invoices["open_amount"]).abs() >= 0.005)
    if part.any():
        p = invoices.loc[part]
        when = pd.Timestamp(export_date) if export_date else invoices["invoice_date"].max()
        parts.append(pd.DataFrame({"customer_id": p["customer_id"], "invoice_id": p["invoice_id"], "payment_date": when, "amount": (p["amount"] - p["open_amount"]).round(2), "method": "derived:open_amount", "currency": p["currency"]}))
    if not parts:
        return pays
    out = pd.concat(parts, ignore_index=True)
    out["payment_date"] = out["payment_date"].astype("datetime64[ns]")
    return pd.DataFrame({c: out[c] if c in out else pd.Series(index=out.index, dtype=pays[c].dtype) for c in pays.columns})


def _read_at_the_edge(path, read):
    """``read()`` (source detection, :func:`read_raw_tables`), with any failure a reader did not anticipate
    (a decoder, csv, pyarrow or calamine error) turned into one sentence naming the file: a user's file never
    causes a traceback. A file-system error (an ``OSError`` with an errno: permissions, a vanished file)
    stays what it is."""
    try:
        return read()
    except (LedgerError, MemoryError, KeyboardInterrupt):
        raise
    except OSError as exc:
        if exc.errno is not None:
            raise
        text = str(exc).strip().splitlines()
        raise LedgerError(f"{path} could not be read ({type(exc).__name__}: {text[0][:200] if text else 'no detail'}).") from None
    except Exception as exc:  # noqa: BLE001 — the last line of defence of the reading layer
        text = str(exc).strip().splitlines()
        raise LedgerError(f"{path} could not be read ({type(exc).__name__}: {text[0][:200] if text else 'no detail'}).") from None


def report_as_of(title: list[str], mapping: dict) -> tuple[pd.Timestamp | None, str | None]:
    """The as-of date a report prints above its header ("As of Oct 31, 2026", "as at 31 October 2026",
    "Stichtag: 31.10.2026"): the first title line matching ``as_of.pattern`` whose date parses with one of
    ``as_of.formats``. ``(None, None)`` when the title has none."""
    cfg = mapping.get("as_of") or {}
    pat = cfg.get("pattern")
    if not pat:
        return None, None
    rx = re.compile(pat)
    for line in title:
        for m in rx.finditer(line):
            text = " ".join(m.group("date").replace(",", ", ").split()).replace(" ,", ",").replace(",,", ",")
            text = re.sub(r"(?<=[A-Za-z])\.", "", text)
            for fmt in cfg.get("formats", []):
                ts = pd.to_datetime(text, format=fmt, errors="coerce")
                if pd.notna(ts):
                    return pd.Timestamp(ts).normalize(), line
    return None, None




def load_ledger(path, *, source: str = "auto", strict: bool = False, limits: dict | None = None) -> Ledger:
    """Load a receivables ledger from a CSV, XLSX or Parquet file, or a folder of them.

    A folder or workbook holds tables named invoices, payments, customers, activities (files with those
    stems, or sheets with those names); a single-table file is the invoices table. ``source`` is a preset
    name from ``config/sources`` or a path to a mapping YAML (see docs/mappings.md).

    Every row read is accepted or quarantined with a reason; ``ledger.load_report`` accounts for all of
    them. With ``strict=True`` any quarantined row raises :class:`LedgerError`. Unusable input (missing or
    empty file, corrupt workbook, missing required column) always raises :class:`LedgerError` with one
    sentence naming the file.

    ``limits`` raises or lowers the resource limits checked before a workbook is read (names and defaults
    in :mod:`arkit.limits`: ``max_cells``, ``max_unpacked_bytes``, ``max_ratio``).
    """
    from . import _handoff

    handed = _handoff.take(path, source=source, strict=strict, limits=limits)  # a report's kernel: loaded once
    if handed is not None:
        return handed
    return _load(path, source=source, strict=strict, limits=limits)


def _load(path, *, source, strict: bool, limits: dict | None, after_read=None) -> Ledger:
    """:func:`load_ledger` without the hand-over; ``after_read()`` is called once the files are read, before
    they are parsed and validated (a render's loading process says so: :mod:`arkit._handoff`)."""
    token = active_limits.set(limits_with(limits) if limits is not None else None)
    pool = _read_ahead(path, limits_with(limits) if limits is not None else None)
    try:
        mapping = _read_at_the_edge(path, lambda: resolve_source(path, source))
        if limits is not None:
            mapping = {**mapping, "limits": limits_with(limits)}
        raw = _read_at_the_edge(path, lambda: read_raw_tables(path, mapping))
    finally:
        active_limits.reset(token)
        if pool is not None:
            _READ_AHEAD.clear()  # grids no read asked for (another mapping's sheets) are dropped
            pool.shutdown(wait=False, cancel_futures=True)
    if after_read is not None:
        after_read()
    return ledger_from_raw(raw, mapping, strict=strict)


def resolve_source(path, source) -> dict:
    """The mapping for ``source``; ``"auto"`` scores the file against every preset (:mod:`arkit.detect`)."""
    if isinstance(source, str) and source == "auto":
        from .detect import detect_source

        det = detect_source(path)
        if det.kind == "snapshot":
            raise LedgerError(
                f"{path}: {det.reason}, an aging summary (balances per customer and bucket, no invoices); "
                "read it with arkit.load_snapshot, or 'arkit validate' to check its totals."
            )
        return det.mapping
    if isinstance(source, dict) and "_file" in source:  # already resolved and validated
        return source
    return load_mapping(source)


def ledger_from_frames(*, invoices, payments=None, customers=None, activities=None, adjustments=None, strict=True, source="generic") -> Ledger:
    """Validate in-memory frames (canonical column names) into a :class:`Ledger`."""
    mapping = load_mapping(source)
    raw = {}
    for name, df in (("invoices", invoices), ("payments", payments), ("customers", customers), ("activities", activities), ("adjustments", adjustments)):
        if df is None:
            continue
        df = df.reset_index(drop=True)
        raw[name] = RawTable(df, pd.Series(np.arange(len(df)) + 1, index=df.index), f"<{name} frame>")
    return ledger_from_raw(raw, mapping, strict=strict)
