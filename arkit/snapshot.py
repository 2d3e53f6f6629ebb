"""Aging-summary snapshots: a report of open balances per customer and aging bucket, as a tidy frame.

An aging *summary* (QuickBooks' "A/R Aging Summary", an ERP's "aged trial balance" summary) has one row per
customer and one column per aging bucket, no invoices. :func:`load_snapshot` reads one as exported, checks
every subtotal and total the report carries, and returns it in long form.

Conventions
-----------
- Result columns: ``as_of`` (``datetime64[ns]``, midnight), ``customer`` (``str``), ``bucket`` (ordered
  Categorical over :data:`BUCKETS`), ``amount`` (``float64``, rounded to the cent). One row per leaf customer
  and bucket with a non-zero amount, in report order, then bucket order. Credits stay negative.
- A sub-customer (QuickBooks "job") is named ``"Parent:Job"``; group header and "Total for" rows are not
  customers. A group header row that carries amounts of its own is the parent's own balance (``"Parent"``).
- ``df.attrs``: ``file`` (the path read), ``company``, ``report_total`` (the grand total as printed),
  ``bucket_totals`` (bucket -> float, all five buckets), plus ``title``, ``sheet`` and ``source``.
- Every printed figure is checked in integer cents before anything is returned: each row's total column
  equals the sum of its buckets, each "Total for" row equals the sum of its group, and the leaf rows add up to
  the grand-total row per bucket and overall. Any difference raises :class:`~arkit.errors.LedgerError` naming
  the file, the row (1-based, as a spreadsheet or text editor shows it), the column and both figures.
- Empty amount cells are zero. Blank rows, the title block and everything after the grand-total row (the
  timestamp footer) are ignored.
- The layout knowledge (labels, bucket names, the "As of" pattern) lives in a source YAML, by default
  ``config/sources/quickbooks-aging-summary.yaml``; see :func:`load_source_config`.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import ConfigError, LedgerError
from .model import QUARANTINE_COLUMNS, cents
from .parse import parse_amounts

#: The canonical aging buckets, in order (days past due; ``current`` = not yet due).
BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "91+")
BUCKET_DTYPE = pd.CategoricalDtype(list(BUCKETS), ordered=True)

SOURCES_DIR = Path(__file__).resolve().parents[1] / "config" / "sources"
DEFAULT_SOURCE = "quickbooks-aging-summary"

_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


# --------------------------------------------------------------------------------------------------------
# source configuration


_CONFIG_DEFAULTS: dict = {
    "name": None,
    "description": None,
    "company_line": 2,
    "as_of_formats": ["%B %d, %Y", "%b %d, %Y", "%m/%d/%Y", "%Y-%m-%d"],
    "total_column": None,
    "job_separator": ":",
    "sheet": None,
    "delimiter": ",",
    "numbers": {"decimal": ".", "thousands": ",", "trailing_minus": False},
    "other_columns": [],
    "detect_title": None,
    "leading_total_label": None,
}
_ROWS_KEYS = ("name", "description", "layout_kind", "id_columns", "customer_column", "bucket_column", "item_column", "period_pattern", "period_month", "period_day", "delimiter", "sheet", "detect_title")
_CONFIG_REQUIRED = ("customer_label", "as_of_pattern", "buckets", "subtotal_prefix", "grand_total_label")
_CONFIG_KEYS = (*_CONFIG_REQUIRED, *_CONFIG_DEFAULTS)


def _norm_label(text: str) -> str:
    """A header label for matching: case, whitespace and the kind of dash do not matter."""
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", str(text))
    return re.sub(r"\s+", "", text).casefold()


def _resolve_source(source: str | Path) -> Path:
    """A preset name (``config/sources/<name>.yaml``) or a path to a YAML file."""
    if isinstance(source, Path) or str(source).lower().endswith((".yaml", ".yml")) or "/" in str(source) or "\\" in str(
        source
    ):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{path}: the source configuration file does not exist.")
        return path
    path = SOURCES_DIR / f"{source}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in SOURCES_DIR.glob("*.yaml"))
        raise ConfigError(
            f"Unknown source preset {str(source)!r}: there is no {path.name} in {SOURCES_DIR} "
            f"(presets: {', '.join(known) or 'none'}); pass a preset name or a path to a YAML file."
        )
    return path


def load_source_config(source: str | Path = DEFAULT_SOURCE) -> dict:
    """Read and validate an aging-summary source YAML; return it with defaults filled in.

    ``source`` is a preset name (a file in ``config/sources/``) or a path to a user's YAML. Keys:
    ``customer_label`` (str, required), ``as_of_pattern`` (regex with a group named ``date``, required),
    ``buckets`` (header label -> one of :data:`BUCKETS`, required), ``subtotal_prefix`` and
    ``grand_total_label`` (str, required), ``total_column`` (str or null), ``company_line`` (int >= 1 or
    null), ``as_of_formats`` (list of strftime patterns), ``job_separator`` (str), ``sheet`` (name, 0-based
    index or null), ``delimiter`` (one character), ``numbers`` (``decimal``, ``thousands``,
    ``trailing_minus``), ``name``, ``description``. Anything wrong raises :class:`ConfigError` naming the file
    and the key.
    """
    path = _resolve_source(source)
    where = str(path)
    try:
        from .mapping import _parsed_yaml

        raw = _parsed_yaml(path)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({' '.join(str(exc).split())}).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read the source configuration ({exc}).") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: the file must hold a mapping of keys, not {type(raw).__name__}.")

    if raw.get("layout_kind") == "rows":
        return _rows_config(raw, where)
    unknown = [k for k in raw if k not in _CONFIG_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(_CONFIG_KEYS)}."
        )
    missing = [k for k in _CONFIG_REQUIRED if raw.get(k) is None]
    if missing:
        raise ConfigError(f"{where}: required key {missing[0]!r} is missing or empty.")
    if raw.get("numbers") is not None and not isinstance(raw["numbers"], dict):
        raise ConfigError(
            f"{where}: key 'numbers' must be a mapping with decimal, thousands and trailing_minus, "
            f"not {raw['numbers']!r}."
        )
    nullable = ("total_column", "sheet", "company_line")
    cfg = {**_CONFIG_DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k in nullable}}
    cfg["numbers"] = {**_CONFIG_DEFAULTS["numbers"], **(raw.get("numbers") or {})}

    def bad(key: str, expected: str, value) -> ConfigError:
        return ConfigError(f"{where}: key {key!r} must be {expected}, not {value!r}.")

    for key in ("subtotal_prefix", "job_separator"):
        if not isinstance(cfg[key], str) or not cfg[key].strip():
            raise bad(key, "a non-empty string", cfg[key])
    if not isinstance(cfg["customer_label"], str):
        raise bad("customer_label", "a string ('' when the name column has no header label)", cfg["customer_label"])
    gl = cfg["grand_total_label"]
    gl = [gl] if isinstance(gl, str) else gl
    if not isinstance(gl, list) or not gl or not all(isinstance(x, str) and x.strip() for x in gl):
        raise bad("grand_total_label", "a non-empty string or a list of them", cfg["grand_total_label"])
    cfg["grand_total_labels"] = [x.strip() for x in gl]
    cfg["grand_total_label"] = cfg["grand_total_labels"][0]
    lt = cfg["leading_total_label"]
    if lt is not None and (not isinstance(lt, str) or not lt.strip()):
        raise bad("leading_total_label", "a non-empty string or null", lt)
    for key in ("name", "description"):
        if cfg[key] is not None and not isinstance(cfg[key], str):
            raise bad(key, "a string", cfg[key])
    if cfg["total_column"] is not None and (not isinstance(cfg["total_column"], str) or not cfg["total_column"].strip()):
        raise bad("total_column", "a non-empty string or null", cfg["total_column"])
    cl = cfg["company_line"]
    if cl is not None and (isinstance(cl, bool) or not isinstance(cl, int) or cl < 1):
        raise bad("company_line", "a whole number >= 1 or null", cl)
    sheet = cfg["sheet"]
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise bad("sheet", "a sheet name, a 0-based sheet index or null", sheet)
    if not isinstance(cfg["delimiter"], str) or len(cfg["delimiter"]) != 1:
        raise bad("delimiter", "a single character", cfg["delimiter"])

    pat = cfg["as_of_pattern"]
    if not isinstance(pat, str):
        raise bad("as_of_pattern", "a regular expression (string)", pat)
    try:
        rx = re.compile(pat, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: key 'as_of_pattern' is not a valid regular expression ({exc}).") from None
    if "date" not in rx.groupindex:
        raise ConfigError(f"{where}: key 'as_of_pattern' must have a group named 'date', as in (?P<date>.+).")
    cfg["as_of_regex"] = rx
    fmts = cfg["as_of_formats"]
    if isinstance(fmts, str):
        fmts = [fmts]
    if not isinstance(fmts, list) or not fmts or not all(isinstance(f, str) and "%" in f for f in fmts):
        raise bad("as_of_formats", "a list of strftime date formats such as '%B %d, %Y'", cfg["as_of_formats"])
    cfg["as_of_formats"] = fmts

    buckets = cfg["buckets"]
    if not isinstance(buckets, dict) or not buckets:
        raise bad("buckets", "a mapping of header label to bucket", buckets)
    label_map: dict[str, str] = {}
    for label, bucket in buckets.items():
        if not isinstance(label, (str, int)) or not str(label).strip():
            raise ConfigError(f"{where}: key 'buckets' has an empty or non-text label {label!r}.")
        if bucket not in BUCKETS:
            raise ConfigError(
                f"{where}: key 'buckets' maps {str(label)!r} to {bucket!r}; a bucket must be one of "
                f"{', '.join(BUCKETS)}."
            )
        key = _norm_label(label)
        if label_map.get(key, bucket) != bucket:  # one label, two buckets (two labels may share a bucket)
            raise ConfigError(
                f"{where}: key 'buckets' maps label {str(label)!r} to both {label_map[key]!r} and {bucket!r}."
            )
        label_map[key] = bucket
    if cfg["total_column"] is not None and _norm_label(cfg["total_column"]) in label_map:
        raise ConfigError(f"{where}: key 'total_column' ({cfg['total_column']!r}) is also a bucket label.")
    oc = cfg["other_columns"] or []
    if not isinstance(oc, list) or not all(isinstance(x, str) for x in oc):
        raise bad("other_columns", "a list of header labels (columns that are neither buckets nor the total)", oc)
    cfg["other_labels"] = {_norm_label(x) for x in oc}
    if cfg["detect_title"] is not None and not isinstance(cfg["detect_title"], str):
        raise bad("detect_title", "a regular expression", cfg["detect_title"])
    cfg["bucket_labels"] = label_map
    cfg["bucket_label_list"] = [str(k) for k in buckets]

    nums = cfg["numbers"]
    extra = [k for k in nums if k not in ("decimal", "thousands", "trailing_minus")]
    if extra:
        raise ConfigError(f"{where}: unknown key 'numbers.{extra[0]}'; expected decimal, thousands, trailing_minus.")
    if not isinstance(nums["decimal"], str) or len(nums["decimal"]) != 1:
        raise bad("numbers.decimal", "a single character", nums["decimal"])
    if nums["thousands"] is not None and (not isinstance(nums["thousands"], str) or len(nums["thousands"]) != 1):
        raise bad("numbers.thousands", "a single character or null", nums["thousands"])
    if not isinstance(nums["trailing_minus"], bool):
        raise bad("numbers.trailing_minus", "true or false", nums["trailing_minus"])
    cfg["path"] = where
    return cfg


# --------------------------------------------------------------------------------------------------------
# reading the grid of cells


def _read_grid(path: Path, cfg: dict) -> tuple[pd.DataFrame, str | None]:
    """All cells of the report as an object frame: index = 1-based row number, columns = 0-based column.

    Cells are strings (CSV), or floats/strings/dates (workbook); empty cells are ``""`` or NA.
    """
    if not path.exists():
        raise LedgerError(f"{path}: file not found.")
    if not path.is_file():
        raise LedgerError(f"{path}: not a file.")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise LedgerError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if not head:
        raise LedgerError(f"{path.name}: the file is empty.")
    if path.suffix.lower() in _EXCEL_SUFFIXES or head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return _read_workbook(path, cfg["sheet"])
    return _read_csv(path, cfg["delimiter"]), None


def _read_csv(path: Path, delimiter: str) -> pd.DataFrame:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text:
        raise LedgerError(f"{path.name}: the file is binary, not a CSV text file or a workbook.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, numbers = [], []
    line = 0
    try:
        for rec in reader:
            rows.append(rec)
            numbers.append(line + 1)  # the physical line the record starts on
            line = reader.line_num
    except csv.Error as exc:
        raise LedgerError(f"{path.name}: line {reader.line_num} is not valid CSV ({exc}).") from None
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], index=numbers, dtype=object)
    return grid


def _read_workbook(path: Path, sheet) -> tuple[pd.DataFrame, str]:
    """Cached cell values of one sheet (calamine; openpyxl ``data_only`` if calamine cannot read it)."""
    from .limits import check_workbook

    check_workbook(path)  # resource limits before calamine builds any grid
    try:
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        name = _pick_sheet(path, names, sheet)
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except LedgerError:
        raise
    except Exception as calamine_exc:  # noqa: BLE001 - any reader failure falls back to openpyxl
        try:
            import openpyxl

            wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
            try:
                name = _pick_sheet(path, wb.sheetnames, sheet)
                rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
            finally:
                wb.close()
        except LedgerError:
            raise
        except Exception as exc:  # noqa: BLE001
            msg = " ".join(str(exc or calamine_exc).split()) or type(exc).__name__
            raise LedgerError(f"{path.name}: the workbook is corrupt or not a spreadsheet ({msg}).") from None
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame(
        [list(r) + [None] * (width - len(r)) for r in rows], index=range(1, len(rows) + 1), dtype=object
    )
    return grid, name


def _pick_sheet(path: Path, names: list[str], sheet) -> str:
    if not names:
        raise LedgerError(f"{path.name}: the workbook has no sheets.")
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise LedgerError(f"{path.name}: the workbook has no sheet number {sheet} (it has {len(names)}).")
    if sheet in names:
        return sheet
    raise LedgerError(f"{path.name}: the workbook has no sheet {sheet!r} (sheets: {', '.join(names)}).")


def _text(col: pd.Series) -> pd.Series:
    """Cells as stripped text, ``""`` for empty; floats that are whole numbers lose ``.0``."""
    blank = col.isna()
    txt = col.astype("str").str.strip()
    return txt.where(~blank, "").str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)


def _money(x: float) -> str:
    return f"{x:,.2f}"


# --------------------------------------------------------------------------------------------------------
# the loader


def load_snapshot(path: str | Path, *, source: str | Path = "auto") -> pd.DataFrame:
    """Read an aging-summary report (customer x bucket) into a tidy, checked frame.

    ``path``: a CSV or a workbook (``.xlsx`` read with python-calamine, which returns the cached values of
    formula cells; openpyxl ``data_only=True`` when calamine cannot read the file). ``source``: a preset name
    from ``config/sources/`` or a path to a source YAML (see :func:`load_source_config`), or ``"auto"`` (the
    default): the aging-summary preset that fits the file best (:func:`arkit.detect.detect_source`).

    Returns columns ``as_of``, ``customer``, ``bucket``, ``amount`` (conventions in the module docstring) with
    ``attrs`` ``file``, ``company``, ``report_total``, ``bucket_totals``, ``title``, ``sheet``, ``source``.

    Raises :class:`~arkit.errors.LedgerError` (one sentence naming file, row and column) when the file is
    missing, empty, not a readable workbook, has no header row, no "As of" date, an unknown bucket column, an
    amount that is not a number, a broken sub-customer group, a duplicated customer, or any total that does
    not reconcile to the cent; :class:`~arkit.errors.ConfigError` when the source YAML is wrong. When several
    cells are bad, ``error.problems`` lists them all (quarantine layout).
    """
    path = Path(path)
    if isinstance(source, str) and source == "auto":
        from .detect import detect_source

        try:
            det = detect_source(path) if path.is_file() else None
        except LedgerError:
            det = None  # nothing fits: the default preset's reader says what is wrong with the file
        if det is not None and det.kind == "unknown":
            det = None
        if det is not None and det.kind != "snapshot":
            raise LedgerError(f"{path.name} is {det.reason.replace('recognised as', 'a ledger export:')}; read it with arkit.load_ledger, not load_snapshot.")
        source = det.name if det is not None else DEFAULT_SOURCE
    cfg = load_source_config(source)
    if cfg.get("layout_kind") == "rows":
        return _load_rows(path, cfg)
    fname = path.name
    grid, sheet = _read_grid(path, cfg)
    text = grid.apply(_text) if grid.shape[1] else grid
    nonblank = text.ne("")
    if grid.empty or not nonblank.to_numpy().any():
        raise LedgerError(f"{fname}: the file is empty (no cells with text or numbers).")

    # ---- header row: the first row whose first non-blank cell is the customer label
    first_col = nonblank.to_numpy().argmax(axis=1)
    first_txt = pd.Series(text.to_numpy()[np.arange(len(text)), first_col], index=text.index)
    if cfg["customer_label"].strip():
        is_header = first_txt.str.casefold().eq(cfg["customer_label"].strip().casefold()) & nonblank.any(axis=1)
        what = f"no row starting with {cfg['customer_label']!r}"
    else:  # the name column has no header label (Odoo): a row with a blank first cell and a bucket label
        labels = text.apply(lambda col: col.map(_norm_label).isin(cfg["bucket_labels"].keys()))
        is_header = pd.Series(first_col > 0, index=text.index) & labels.any(axis=1)
        what = "no row with a blank first cell and a bucket label"
    if not is_header.any():
        raise LedgerError(
            f"{fname}: no header row found ({what}), so the file is not "
            f"an aging summary in the layout of {Path(cfg['path']).name}."
        )
    hdr_row = is_header.idxmax()
    hdr_pos = text.index.get_loc(hdr_row)
    name_col = int(first_col[hdr_pos]) - (0 if cfg["customer_label"].strip() else 1)

    # ---- title block: company and "As of" date
    above = text.iloc[:hdr_pos]
    lines = above.apply(lambda r: " ".join(v for v in r if v), axis=1)
    lines = lines[lines.ne("")]
    title = lines.iloc[0] if len(lines) else None
    as_of = None
    as_of_rx = cfg["as_of_regex"]
    unparsed = None  # (row, text) of an "As of" line whose date did not parse
    for row_no, cells in above.iterrows():
        filled = [v for v in cells if v]
        row_unparsed = None
        # each cell, then the whole line: an unquoted "As of March 4, 2026" is split in two CSV cells
        for cand in [*filled, ", ".join(filled)] if filled else []:
            m = as_of_rx.match(cand)
            if m:
                as_of = _parse_as_of(m.group("date"), cfg["as_of_formats"])
                if as_of is not None:
                    break
                row_unparsed = (row_no, m.group("date"))  # the whole line's text wins over a cell's
        if as_of is not None:
            break
        unparsed = unparsed or row_unparsed
    if as_of is None and unparsed:
        raise LedgerError(
            f"{fname}: row {unparsed[0]}: the 'As of' date {unparsed[1]!r} is not a date in any of the formats "
            f"{', '.join(cfg['as_of_formats'])}."
        )
    if as_of is None:
        raise LedgerError(
            f"{fname}: no 'As of' date above the header row {hdr_row} (expected a line matching "
            f"{cfg['as_of_pattern']!r}, such as 'As of March 4, 2026')."
        )
    company = None
    if cfg["company_line"] is not None:
        rest = lines[~lines.map(lambda s: bool(as_of_rx.match(s)))]
        if len(rest) >= cfg["company_line"]:
            company = rest.iloc[cfg["company_line"] - 1]

    # ---- columns: bucket labels and the total column
    header = text.iloc[hdr_pos]
    bucket_cols: dict[int, str] = {}
    total_col = None
    unnamed: list[int] = []
    label_map = cfg["bucket_labels"]
    for j in range(name_col + 1, text.shape[1]):
        label = header.iloc[j]
        if not label:
            unnamed.append(j)
            continue
        key = _norm_label(label)
        if key in cfg["other_labels"]:
            continue
        if cfg["total_column"] is not None and key == _norm_label(cfg["total_column"]):
            if total_col is not None:
                raise LedgerError(f"{fname}: row {hdr_row}: the total column {label!r} appears twice.")
            total_col = j
        elif key in label_map:
            if label in [header.iloc[k] for k in bucket_cols]:
                raise LedgerError(f"{fname}: row {hdr_row}: column {label!r} appears twice.")
            bucket_cols[j] = label_map[key]  # two columns may feed one bucket ("3 Months" and "Older" -> 91+)
        else:
            raise LedgerError(
                f"{fname}: row {hdr_row}, column {_col_letter(j)}: unknown bucket column {label!r}; known labels "
                f"are {', '.join(repr(x) for x in cfg['bucket_label_list'])}"
                + (f" and the total column {cfg['total_column']!r}." if cfg["total_column"] else ".")
            )
    if not bucket_cols:
        raise LedgerError(f"{fname}: row {hdr_row}: the header has no aging bucket columns.")
    if cfg["total_column"] is not None and total_col is None:
        raise LedgerError(f"{fname}: row {hdr_row}: the header has no {cfg['total_column']!r} column.")
    col_label = {j: header.iloc[j] for j in [*bucket_cols, *([total_col] if total_col is not None else [])]}

    # ---- body: the rows between the header and the grand-total row
    below = text.iloc[hdr_pos + 1 :]
    # a total of all customers printed above them (Odoo's "Aged Receivable" line): checked, never a customer;
    # the grand total when no total row follows the customers
    lead_row = None
    if cfg["leading_total_label"] is not None:
        filled_rows = below.index[below.ne("").any(axis=1)]
        if len(filled_rows) and below.at[filled_rows[0], name_col] == cfg["leading_total_label"].strip():
            lead_row = filled_rows[0]
            below = below.loc[below.index > lead_row]
    names = below[name_col]
    grand_label = next((g for g in cfg["grand_total_labels"] if names.eq(g).any()), None)
    is_grand = names.eq(grand_label) if grand_label is not None else pd.Series(False, index=below.index)
    if grand_label is not None:
        grand_row = is_grand.idxmax()
        body = below.loc[: grand_row]  # includes the grand-total row (label-based, inclusive)
    elif lead_row is not None:
        grand_label = cfg["leading_total_label"].strip()
        grand_row = lead_row
        body = pd.concat([below, text.loc[[lead_row]]])  # the leading total closes the body
        is_grand = pd.Series(body.index == lead_row, index=body.index)
    else:
        raise LedgerError(
            f"{fname}: no {cfg['grand_total_label']!r} row after the header row {hdr_row}, so the report cannot "
            "be checked; was the export cut short?"
        )
    raw_body = grid.loc[body.index]

    for j in unnamed:
        filled = body[j].ne("")
        if filled.any():
            r = filled.idxmax()
            raise LedgerError(
                f"{fname}: row {r}, column {_col_letter(j)}: the cell holds {body.at[r, j]!r} but the column "
                "has no header."
            )

    # ---- amounts, parsed per column (vectorised), then as integer cents
    amount_cols = list(col_label)
    nums = cfg["numbers"]
    parsed = {}
    problems = []
    for j in amount_cols:
        vals, bad = parse_amounts(
            raw_body[j], decimal=nums["decimal"], thousands=nums["thousands"], trailing_minus=nums["trailing_minus"]
        )
        parsed[j] = vals
        for r in bad[bad].index:
            problems.append(
                (r, col_label[j], str(raw_body.at[r, j]), f"{str(raw_body.at[r, j])!r} is not an amount")
            )
    _raise_problems(fname, sheet, problems)
    present = pd.DataFrame({j: body[j].ne("") for j in amount_cols})
    has_amounts = present.any(axis=1)
    cents_df = pd.DataFrame({j: cents(parsed[j].to_numpy()) for j in amount_cols}, index=body.index)
    bcols = list(bucket_cols)

    # ---- row structure: leaves, group headers, "Total for" rows (a short loop over the report rows)
    prefix = cfg["subtotal_prefix"]
    body_names = body[name_col]
    is_subtotal = body_names.str.startswith(prefix) & ~is_grand.loc[body.index]
    sub_of = body_names.where(is_subtotal, "").str.slice(len(prefix)).str.strip()
    is_blank = body_names.eq("") & ~has_amounts
    rows_pos = {r: i for i, r in enumerate(body.index)}
    remaining = sub_of[is_subtotal].value_counts().to_dict()  # group names still to be closed further down

    customer = pd.Series("", index=body.index, dtype=object)
    is_leaf = pd.Series(False, index=body.index)
    groups: list[tuple[object, object, int, int]] = []  # (header row, subtotal row, first pos, end pos)
    stack: list[tuple[str, object]] = []  # (name, header row)
    sep = cfg["job_separator"]
    for r in body.index[:-1]:  # the last row is the grand total
        name = body_names.at[r]
        if is_blank.at[r]:
            continue
        if is_subtotal.at[r]:
            target = sub_of.at[r]
            remaining[target] -= 1
            if not stack or stack[-1][0] != target:
                open_ = f"the open group is {stack[-1][0]!r} from row {stack[-1][1]}" if stack else "no group is open"
                raise LedgerError(
                    f"{fname}: row {r}: {name!r} closes no open sub-customer group ({open_})."
                )
            gname, grow = stack.pop()
            groups.append((grow, r, rows_pos[grow], rows_pos[r]))
            continue
        if not name:
            raise LedgerError(f"{fname}: row {r}, column {_col_letter(name_col)}: the row has amounts but no customer name.")
        path_ = [s[0] for s in stack]
        if stack and name == stack[-1][0]:  # the parent's own balance, listed inside its group
            customer.at[r] = sep.join(path_)
            is_leaf.at[r] = True
            continue
        if remaining.get(name, 0) > 0 and not any(s[0] == name for s in stack):
            stack.append((name, r))
            if has_amounts.at[r]:  # the parent's own balance
                customer.at[r] = sep.join([*path_, name])
                is_leaf.at[r] = True
            continue
        customer.at[r] = sep.join([*path_, name])
        is_leaf.at[r] = True
    if stack:
        gname, grow = stack[-1]
        raise LedgerError(
            f"{fname}: row {grow}: sub-customer group {gname!r} has no {prefix + gname!r} row before the "
            f"{cfg['grand_total_label']!r} row {grand_row}."
        )

    leaves = is_leaf[is_leaf].index
    dup = customer[leaves].duplicated(keep=False)
    if dup.any():
        rows_dup = list(dup[dup].index)
        raise LedgerError(
            f"{fname}: customer {customer[rows_dup[0]]!r} appears more than once (rows "
            f"{', '.join(str(x) for x in rows_dup)})."
        )

    # ---- checks, all in integer cents
    # 1. every row's total column equals the sum of its buckets
    if total_col is not None:
        checked = has_amounts & ~is_blank
        bsum = cents_df[bcols].sum(axis=1)
        diff = checked & cents_df[total_col].ne(bsum)
        problems = [
            (
                r,
                col_label[total_col],
                _money(cents_df.at[r, total_col] / 100),
                f"{body_names.at[r]!r} shows a total of {_money(cents_df.at[r, total_col] / 100)} but its buckets "
                f"sum to {_money(bsum.at[r] / 100)}",
            )
            for r in diff[diff].index
        ]
        _raise_problems(fname, sheet, problems)

    # 2. each "Total for" row equals the sum of its group, per bucket
    leaf_cents = cents_df.where(is_leaf, 0).to_numpy()
    cum = np.vstack([np.zeros((1, leaf_cents.shape[1]), dtype="int64"), leaf_cents.cumsum(axis=0)])
    problems = []
    for grow, srow, start, end in groups:
        group_sum = cum[end] - cum[start]
        printed = cents_df.loc[srow].to_numpy()
        for k in np.flatnonzero(printed != group_sum):
            j = amount_cols[k]
            problems.append(
                (
                    srow,
                    col_label[j],
                    _money(printed[k] / 100),
                    f"{body_names.at[srow]!r} shows {_money(printed[k] / 100)} but the rows of its group "
                    f"(rows {grow}-{srow}) sum to {_money(group_sum[k] / 100)}",
                )
            )
    _raise_problems(fname, sheet, problems)

    # 3. the leaves add up to the grand-total row, per bucket and overall
    leaf_sum = leaf_cents.sum(axis=0)
    printed = cents_df.loc[grand_row].to_numpy()

    def mismatches(row, label, shown):
        """One problem per bucket where the total row ``row`` (``label``) does not equal the customer rows."""
        return [
            (
                row,
                col_label[amount_cols[k]],
                _money(shown[k] / 100),
                f"the {label} row shows {_money(shown[k] / 100)} but the customer rows sum to {_money(leaf_sum[k] / 100)}",
            )
            for k in np.flatnonzero(shown != leaf_sum)
        ]

    problems = mismatches(grand_row, grand_label, printed)
    if lead_row is not None and lead_row != grand_row:
        lead_cents = pd.DataFrame({j: cents(parse_amounts(grid.loc[[lead_row], j], decimal=nums["decimal"], thousands=nums["thousands"], trailing_minus=nums["trailing_minus"])[0].to_numpy()) for j in amount_cols}).to_numpy()[0]
        problems += mismatches(lead_row, cfg["leading_total_label"], lead_cents)
    _raise_problems(fname, sheet, problems)

    # ---- the tidy frame
    per_bucket = {}
    for j, b in bucket_cols.items():
        per_bucket[b] = per_bucket.get(b, 0) + cents_df.loc[leaves, j]
    wide = pd.DataFrame(per_bucket, index=leaves)
    wide.insert(0, "customer", customer[leaves])
    wide["_row"] = leaves.to_numpy()
    long = wide.melt(id_vars=["_row", "customer"], var_name="bucket", value_name="cents")
    long = long[long["cents"].ne(0)]
    long["bucket"] = long["bucket"].astype(BUCKET_DTYPE)
    long = long.sort_values(["_row", "bucket"], kind="stable")
    out = pd.DataFrame(
        {
            "as_of": pd.Series(as_of, index=long.index).astype("datetime64[ns]"),
            "customer": long["customer"].astype("str"),
            "bucket": long["bucket"],
            "amount": (long["cents"].to_numpy() / 100).astype("float64"),
        }
    ).reset_index(drop=True)

    bucket_totals = {b: 0.0 for b in BUCKETS}
    for j, b in bucket_cols.items():
        bucket_totals[b] += float(cents_df.at[grand_row, j]) / 100
    report_total = (
        float(cents_df.at[grand_row, total_col]) / 100
        if total_col is not None
        else float(cents_df.loc[grand_row, bcols].sum()) / 100
    )
    out.attrs = {
        "file": str(path),
        "company": company,
        "report_total": report_total,
        "bucket_totals": bucket_totals,
        "title": title,
        "sheet": sheet,
        "source": cfg["path"],
    }
    return out


def _parse_as_of(text: str, formats: list[str]) -> pd.Timestamp | None:
    text = " ".join(text.split())
    for fmt in formats:
        ts = pd.to_datetime(text, format=fmt, errors="coerce")
        if pd.notna(ts):
            return pd.Timestamp(ts).normalize()
    return None


def _col_letter(j: int) -> str:
    """0-based column index -> spreadsheet letter (0 -> A, 26 -> AA)."""
    s = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        s = chr(65 + rem) + s
    return s


def _raise_problems(fname: str, sheet: str | None, problems: list[tuple]) -> None:
    """Raise one LedgerError for the first problem; ``problems`` on the error lists them all."""
    if not problems:
        return
    row, column, value, what = problems[0]
    more = f" ({len(problems) - 1} more problem{'s' if len(problems) > 2 else ''} in error.problems)" if len(problems) > 1 else ""
    msg = f"{fname}: row {row}, column {column!r}: {what}{more}."
    frame = pd.DataFrame(
        {
            "table": "snapshot",
            "file": fname,
            "sheet": sheet,
            "row": pd.array([p[0] for p in problems], dtype="Int64"),
            "column": [p[1] for p in problems],
            "value": [p[2] for p in problems],
            "problem": [p[3] for p in problems],
        },
        columns=QUARANTINE_COLUMNS,
    )
    raise LedgerError(msg, problems=frame)


# --------------------------------------------------------------------------------------------------------
# aging tables with buckets as rows and periods as columns (a publisher's open-data table)


def _rows_config(raw: dict, where: str) -> dict:
    """Config of a rows-layout aging table (``layout_kind: rows``), e.g. the Public Accounts of Canada table:
    one row per (customer, bucket), one column per period. Keys: ``id_columns`` (header labels that are not
    periods), ``customer_column``, ``bucket_column``, ``item_column`` (label used as the bucket where the
    bucket column is empty: items such as "Consolidation adjustment" that are not aged), ``period_pattern``
    (regex whose last group is the year the period ends in, e.g. ``^(\\d{4})/(\\d{4})$``), ``period_month`` and
    ``period_day`` (the as-of day in that year, e.g. 3 and 31), ``delimiter``, ``sheet``, ``detect_title``."""
    unknown = [k for k in raw if k not in _ROWS_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(_ROWS_KEYS)}.")
    cfg = {"delimiter": ",", "sheet": None, "item_column": None, "period_month": 12, "period_day": 31, "detect_title": None, **raw}
    for key in ("customer_column", "bucket_column", "period_pattern"):
        if not isinstance(cfg.get(key), str) or not cfg[key].strip():
            raise ConfigError(f"{where}: key {key!r} must be a non-empty string.")
    ids = cfg.get("id_columns")
    if not isinstance(ids, list) or not ids or not all(isinstance(x, str) for x in ids):
        raise ConfigError(f"{where}: key 'id_columns' must be a list of header labels.")
    try:
        cfg["period_regex"] = re.compile(cfg["period_pattern"])
    except re.error as exc:
        raise ConfigError(f"{where}: key 'period_pattern' is not a valid regular expression ({exc}).") from None
    try:
        pd.Timestamp(year=2000, month=int(cfg["period_month"]), day=int(cfg["period_day"]))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: keys 'period_month' and 'period_day' must make a date such as 3 and 31.") from None
    cfg["path"] = where
    return cfg


def _load_rows(path: Path, cfg: dict) -> pd.DataFrame:
    """A rows-layout aging table in long form: as_of, customer, bucket (the publisher's labels, in order of
    first appearance), amount (rounded to the cent; empty cells are no amount, not zero). ``attrs``:
    ``report_total`` (all periods), ``totals_by_as_of`` {as_of: total}, ``file``, ``source``."""
    fname = path.name
    grid, sheet = _read_grid(path, {**cfg, "sheet": cfg["sheet"]})
    text = grid.apply(_text)
    header = text.iloc[0]
    pos = {_norm_label(v): j for j, v in header.items() if v}
    missing = [c for c in cfg["id_columns"] if _norm_label(c) not in pos]
    if missing:
        raise LedgerError(f"{fname}: row {text.index[0]}: no column {missing[0]!r} in the header, so the file is not in the layout of {Path(cfg['path']).name}.")
    periods = {}
    for j, v in header.items():
        m = cfg["period_regex"].match(v)
        if m:
            year = int(m.groups()[-1])
            periods[j] = pd.Timestamp(year=year, month=int(cfg["period_month"]), day=int(cfg["period_day"]))
        elif v and _norm_label(v) not in {_norm_label(c) for c in cfg["id_columns"]} and not v.endswith(("_fra", "_niv1_fra", "_niv2_fra")):
            raise LedgerError(f"{fname}: row {text.index[0]}: column {v!r} is neither a label column nor a period matching {cfg['period_pattern']!r}.")
    body = text.iloc[1:]
    body = body[body.ne("").any(axis=1)]
    cust = body[pos[_norm_label(cfg["customer_column"])]]
    bucket = body[pos[_norm_label(cfg["bucket_column"])]]
    if cfg["item_column"]:
        bucket = bucket.where(bucket.ne(""), body[pos[_norm_label(cfg["item_column"])]])
    parts = []
    problems = []
    for j, as_of in periods.items():
        vals, bad = parse_amounts(grid.loc[body.index, j])
        for r in bad[bad].index:
            problems.append((r, header[j], str(grid.at[r, j]), f"{str(grid.at[r, j])!r} is not an amount"))
        keep = vals.notna()
        parts.append(pd.DataFrame({"as_of": as_of, "customer": cust[keep], "bucket": bucket[keep], "amount": vals[keep], "_row": body.index[keep]}))
    _raise_problems(fname, sheet, problems)
    out = pd.concat(parts, ignore_index=True)
    order = list(dict.fromkeys(bucket.tolist()))
    out["bucket"] = pd.Categorical(out["bucket"], categories=order, ordered=True)
    out = out.sort_values(["as_of", "_row"], kind="stable").drop(columns="_row").reset_index(drop=True)
    out["as_of"] = out["as_of"].astype("datetime64[ns]")
    c = pd.Series(cents(out["amount"].to_numpy()), index=out.index)
    totals = (c.groupby(out["as_of"]).sum() / 100).to_dict()
    out.attrs = {"file": str(path), "report_total": float(c.sum()) / 100, "totals_by_as_of": totals, "bucket_totals": {}, "title": None, "sheet": sheet, "source": cfg["path"], "company": None}
    return out
