r"""Import mappings: how one export's columns and conventions map onto arkit's canonical model.

A mapping is a YAML file. Presets live in ``config/sources/<name>.yaml``; a user passes the name
(``source="ibm-sample"``) or a path to their own file (``source="my-erp.yaml"``). See
``docs/mappings.md`` for a step-by-step guide. Every key is optional:

.. code-block:: yaml

    name: my-erp
    description: Open items from My ERP
    header_row: auto          # or the 1-based row number of the header row
    skip_rows: 0              # rows to skip before looking for the header (titles)
    drop_rows_matching:       # rows whose first non-empty cell matches one of these regexes are not data
      - "^Total"
    dates: {format: "%d.%m.%Y", dayfirst: true, excel_serial: true}
    numbers: {decimal: ",", thousands: ".", trailing_minus: true}
    currency: {base: EUR, rates: {USD: 0.92}}   # rates: units of base per unit of the foreign currency
    tables:
      invoices:
        columns: {Belegnr: invoice_id, Kunde: customer_id}   # export column -> canonical column
        constants: {currency: EUR}                           # canonical column -> fixed value
        values: {disputed: {"J": true, "N": false}}          # canonical column -> raw -> value
        sheet: Offene Posten                                 # workbook sheet or file stem to read
    delimiter: ";"            # text files: null = detected; encoding likewise (utf-8, cp1252, utf-16)
    kind: open_items          # or ledger; null = inferred
    as_of: {pattern: 'Stichtag:? (?P<date>\S+)', formats: ["%d.%m.%Y"]}   # the title's as-of date
    layout:                   # report layouts: arkit/_layout.py
      group_header: {column: customer_name}
      sign: {column: S/H, credit: [H]}
    detect: {title: "OPOS", headers: [Saldo]}               # how source="auto" recognises the export

Every key, with its default: docs/mappings.md.
"""

from __future__ import annotations

import codecs
import datetime
import re
from pathlib import Path

import pandas as pd
import yaml

from .errors import ConfigError
from .model import TABLE_NAMES, columns

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
SOURCES_DIR = CONFIG_DIR / "sources"

_TOP_KEYS = {
    "name",
    "description",
    "header_row",
    "skip_rows",
    "drop_rows_matching",
    "dates",
    "numbers",
    "currency",
    "tables",
    "export_date",
    "delimiter",
    "encoding",
    "kind",
    "as_of",
    "layout",
    "detect",
}
_TABLE_KEYS = {"columns", "constants", "values", "sheet", "keep_extra"}
_LAYOUT_KEYS = {"group_header", "subtotal_rows", "total_rows", "check_totals", "separator_rows", "sign", "debit_credit", "exclude"}
_AS_OF_KEYS = {"pattern", "formats"}
_DETECT_KEYS = {"title", "headers", "extension"}
#: the as-of date in a report's title lines: "As of Oct 31, 2026", "as at 31 October 2026", "Stichtag 31.10.2026"
AS_OF_PATTERN = r"(?i)\b(?:as\s+(?:of|at)|as\s+on|key\s+date|stichtag|stand\s+(?:am|per|zum)|stand|per|at|date\s+du|au)\b[:\s]*(?P<date>\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4})"
AS_OF_FORMATS = ["%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y", "%d.%m.%Y", "%d.%m.%y", "%m/%d/%Y", "%m/%d/%y", "%d/%m/%Y", "%d-%m-%Y"]
#: the first non-empty cell of a subtotal row ("Total Acme Ltd", "Total for Current", "*") and of a grand-total row
SUBTOTAL_ROWS = r"^(?:Total\s+for\s+\S.*|Total\s+\S.*|Summe\s+\S.*|Subtotal\b.*|\*)$"
TOTAL_ROWS = r"^(?:TOTAL|Total|Totals?:?|Grand\s+Total|Report\s+Total|Gesamtsumme|Summe(?:\s+gesamt)?|Gesamt(?:summe)?|\*\*+)$"
SEPARATOR_ROWS = r"^[-=_|+\s]{3,}$"
_DATE_KEYS = {"format", "dayfirst", "excel_serial"}
_NUMBER_KEYS = {"decimal", "thousands", "trailing_minus"}

DEFAULTS = {
    "name": "generic",
    "header_row": "auto",
    "skip_rows": 0,
    "drop_rows_matching": [],
    "dates": {"format": None, "dayfirst": False, "excel_serial": True},
    "numbers": {"decimal": ".", "thousands": ",", "trailing_minus": False},
    "currency": {"base": None, "rates": {}},
    "export_date": None,
    "delimiter": None,
    "encoding": None,
    "kind": None,
    "as_of": {"pattern": AS_OF_PATTERN, "formats": AS_OF_FORMATS},
    "layout": {
        "group_header": None,
        "subtotal_rows": SUBTOTAL_ROWS,
        "total_rows": TOTAL_ROWS,
        "check_totals": True,
        "separator_rows": SEPARATOR_ROWS,
        "sign": None,
        "debit_credit": None,
        "exclude": None,
    },
    "detect": {"title": None, "headers": [], "extension": []},
    "tables": {},
}


def read_yaml_mapping(path: Path, what: str, shape: str = "a mapping of keys to values") -> dict:
    """A YAML config file as a dict, or a :class:`ConfigError` naming the file: missing, not YAML (with the
    line), a value YAML cannot build (a date such as 2026-13-01), or not ``shape`` at the top level.
    ``what`` names the kind of file in messages ("Policy file")."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist.")
    try:
        data = _parsed_yaml(path) or {}
    except ValueError as exc:
        raise ConfigError(f"{what} {path} holds a value YAML cannot read ({exc}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{what} {path} is not valid YAML{f' at line {mark.line + 1}' if mark else ''}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the {what.lower().replace(' file', '')} must be {shape}.")
    return data


_YAML_CACHE: dict = {}


def _parsed_yaml(path: Path):
    """The YAML document in ``path`` (libyaml's C loader when installed), parsed once per file version;
    a deep copy each time, so callers may change what they get."""
    import copy

    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _YAML_CACHE:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _YAML_CACHE[key] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    return copy.deepcopy(_YAML_CACHE[key])


def available_sources() -> list[str]:
    """Names of the preset mappings shipped in ``config/sources``."""
    return sorted(p.stem for p in SOURCES_DIR.glob("*.yaml"))


def load_mapping(source: str | Path | dict = "generic") -> dict:
    """Resolve ``source`` (preset name, YAML path or dict) to a validated mapping with defaults filled in.

    Raises :class:`arkit.errors.ConfigError` naming the file and key for any mistake.
    """
    if isinstance(source, dict):
        raw, where = source, "<mapping>"
    else:
        path = Path(source)
        if path.suffix.lower() not in {".yaml", ".yml"}:
            path = SOURCES_DIR / f"{source}.yaml"
            if not path.exists():
                raise ConfigError(
                    f"Unknown source '{source}': no preset config/sources/{source}.yaml and no such YAML file "
                    f"(presets: {', '.join(available_sources())})."
                )
        where = str(path)
        raw = read_yaml_mapping(path, "Mapping file")
    return _validate(raw, where)


def _expect(cond: bool, where: str, key: str, what: str) -> None:
    if not cond:
        raise ConfigError(f"{where}: key '{key}' {what}.")


def _validate(raw, where: str) -> dict:
    _expect(isinstance(raw, dict), where, "(top level)", "must be a mapping of keys to values")
    if "customer_label" in raw or "buckets" in raw:
        raise ConfigError(f"{where} describes an aging-summary report, not a ledger: read it with arkit.load_snapshot.")
    unknown = set(raw) - _TOP_KEYS
    _expect(not unknown, where, ", ".join(sorted(unknown)), f"is not a known key (known: {', '.join(sorted(_TOP_KEYS))})")
    m = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for key in ("name", "description"):
        if key in raw:
            m[key] = raw[key]
    if raw.get("export_date") is not None:
        try:
            ts = pd.Timestamp(raw["export_date"])
        except (TypeError, ValueError):
            ts = pd.NaT
        _expect(not pd.isna(ts), where, "export_date", f"must be a date such as 2026-06-30, not {raw['export_date']!r}")
        m["export_date"] = ts.normalize()
    hr = raw.get("header_row", "auto")
    _expect(hr == "auto" or (isinstance(hr, int) and hr >= 1), where, "header_row", "must be 'auto' or a row number ≥ 1")
    m["header_row"] = hr
    sr = raw.get("skip_rows", 0)
    _expect(isinstance(sr, int) and sr >= 0, where, "skip_rows", "must be a whole number ≥ 0")
    m["skip_rows"] = sr
    drm = raw.get("drop_rows_matching", []) or []
    _expect(isinstance(drm, list) and all(isinstance(x, str) for x in drm), where, "drop_rows_matching", "must be a list of regular expressions")
    import re

    for pat in drm:
        try:
            re.compile(pat)
        except re.error as exc:
            raise ConfigError(f"{where}: key 'drop_rows_matching' has an invalid regular expression {pat!r} ({exc}).") from None
    m["drop_rows_matching"] = drm
    for key, allowed in (("dates", _DATE_KEYS), ("numbers", _NUMBER_KEYS)):
        sub = raw.get(key, {}) or {}
        _expect(isinstance(sub, dict), where, key, "must be a mapping")
        bad = set(sub) - allowed
        _expect(not bad, where, f"{key}.{', '.join(sorted(bad))}", f"is not a known key (known: {', '.join(sorted(allowed))})")
        m[key] = {**DEFAULTS[key], **sub}
    nums = m["numbers"]
    _expect(isinstance(nums["decimal"], str) and len(nums["decimal"]) == 1, where, "numbers.decimal", "must be one character such as '.' or ','")
    _expect(nums["thousands"] in (None, "", ",", ".", " ", "'"), where, "numbers.thousands", "must be one of ',', '.', ' ', \"'\" or empty")
    _expect(nums["thousands"] != nums["decimal"], where, "numbers.thousands", "must differ from numbers.decimal")
    _expect(isinstance(nums["trailing_minus"], bool), where, "numbers.trailing_minus", "must be true or false")
    dts = m["dates"]
    _expect(dts["format"] is None or (isinstance(dts["format"], str) and "%" in dts["format"]), where, "dates.format", "must be a strftime pattern such as '%d.%m.%Y'")
    if dts["format"]:
        _check_strftime(dts["format"], where, "dates.format")
    _expect(isinstance(dts["dayfirst"], bool), where, "dates.dayfirst", "must be true or false")
    _expect(isinstance(dts["excel_serial"], bool), where, "dates.excel_serial", "must be true or false")
    _validate_reading(raw, m, where)
    cur = raw.get("currency", {}) or {}
    _expect(isinstance(cur, dict), where, "currency", "must be a mapping with 'base' and 'rates'")
    rates = cur.get("rates", {}) or {}
    _expect(isinstance(rates, dict) and all(isinstance(v, (int, float)) and v > 0 for v in rates.values()), where, "currency.rates", "must map currency codes to positive numbers")
    _expect(cur.get("base") is None or isinstance(cur.get("base"), str), where, "currency.base", "must be a currency code such as EUR")
    m["currency"] = {"base": cur.get("base"), "rates": {str(k): float(v) for k, v in rates.items()}}
    tables = raw.get("tables", {}) or {}
    _expect(isinstance(tables, dict), where, "tables", "must be a mapping of table names")
    out_tables = {}
    for t, spec in tables.items():
        _expect(t in TABLE_NAMES, where, f"tables.{t}", f"is not a table (tables: {', '.join(TABLE_NAMES)})")
        spec = spec or {}
        _expect(isinstance(spec, dict), where, f"tables.{t}", "must be a mapping")
        bad = set(spec) - _TABLE_KEYS
        _expect(not bad, where, f"tables.{t}.{', '.join(sorted(bad))}", f"is not a known key (known: {', '.join(sorted(_TABLE_KEYS))})")
        canon = set(columns(t))
        cols = spec.get("columns", {}) or {}
        _expect(isinstance(cols, dict), where, f"tables.{t}.columns", "must map export column names to canonical names")
        for src, dst in cols.items():
            _expect(dst in canon or str(dst).startswith("x_"), where, f"tables.{t}.columns.{src}", f"maps to '{dst}', which is not a {t} column (columns: {', '.join(columns(t))})")
        consts = spec.get("constants", {}) or {}
        _expect(isinstance(consts, dict) and set(consts) <= canon, where, f"tables.{t}.constants", f"must map {t} columns to fixed values")
        for c, v in consts.items():
            _expect(v is None or isinstance(v, (str, int, float, bool, datetime.date)), where, f"tables.{t}.constants.{c}", f"must be one value (text, number, date or true/false), not {v!r}")
        _expect(spec.get("sheet") is None or isinstance(spec.get("sheet"), (str, int)), where, f"tables.{t}.sheet", "must be a sheet name or file stem")
        _expect(isinstance(spec.get("keep_extra", True), bool), where, f"tables.{t}.keep_extra", "must be true or false")
        vals = spec.get("values", {}) or {}
        _expect(isinstance(vals, dict) and set(vals) <= canon and all(isinstance(v, dict) for v in vals.values()), where, f"tables.{t}.values", "must map a column to a {raw value: value} mapping")
        out_tables[t] = {
            "columns": {str(k): v for k, v in cols.items()},
            "constants": consts,
            "values": {c: {str(k): v for k, v in mp.items()} for c, mp in vals.items()},
            "sheet": spec.get("sheet"),
            "keep_extra": bool(spec.get("keep_extra", True)),
        }
    m["tables"] = out_tables
    m["_file"] = where
    return m


_STRFTIME = set("aAwdbBmyYHIpMSfzZjUWcxXGuVe%")


def _check_strftime(fmt: str, where: str, key: str) -> None:
    """A date pattern with only directives Python's strptime knows (``%Q`` is a mistake, found on load)."""
    for d in re.findall(r"%(.)", fmt.replace("%%", "")):
        _expect(d in _STRFTIME, where, key, f"has '%{d}', which is not a date directive (use %d, %m, %Y, %y, %b, %B)")


def _is_regex(pat) -> bool:
    try:
        re.compile(pat)
    except (re.error, TypeError):
        return False
    return True


def _validate_reading(raw: dict, m: dict, where: str) -> None:
    """Top-level reading keys: delimiter, encoding, kind, as_of, layout, detect (see docs/mappings.md)."""
    d = raw.get("delimiter")
    _expect(d is None or (isinstance(d, str) and len(d) == 1 and d not in "\"\n\r"), where, "delimiter", "must be one character such as ',', ';', '|' or a tab (\"\\t\")")
    m["delimiter"] = d
    enc = raw.get("encoding")
    if enc is not None:
        ok = isinstance(enc, str)
        if ok:
            try:
                codecs.lookup(enc)
            except LookupError:
                ok = False
        _expect(ok, where, "encoding", f"must be an encoding such as utf-8, cp1252, latin-1 or utf-16, not {enc!r}")
    m["encoding"] = enc
    kind = raw.get("kind")
    _expect(kind in (None, "ledger", "open_items"), where, "kind", "must be 'ledger' (history: payments or paid dates) or 'open_items' (a balance per open invoice)")
    m["kind"] = kind
    a = raw.get("as_of", {}) or {}
    _expect(isinstance(a, dict) and set(a) <= _AS_OF_KEYS, where, "as_of", f"must be a mapping with keys {', '.join(sorted(_AS_OF_KEYS))}")
    asof = {**DEFAULTS["as_of"], **a}
    _expect(isinstance(asof["pattern"], str) and _is_regex(asof["pattern"]) and "(?P<date>" in asof["pattern"], where, "as_of.pattern", "must be a regular expression with a group named date, as in 'As of (?P<date>.+)'")
    fm = asof["formats"]
    _expect(isinstance(fm, list) and fm and all(isinstance(f, str) and "%" in f for f in fm), where, "as_of.formats", "must be a list of strftime patterns such as '%d %B %Y'")
    for f in fm:
        _check_strftime(f, where, "as_of.formats")
    m["as_of"] = asof
    lay = raw.get("layout", {}) or {}
    _expect(isinstance(lay, dict), where, "layout", "must be a mapping")
    bad = set(lay) - _LAYOUT_KEYS
    _expect(not bad, where, f"layout.{', '.join(sorted(bad))}", f"is not a known key (known: {', '.join(sorted(_LAYOUT_KEYS))})")
    out = {**DEFAULTS["layout"], **lay}
    for key in ("subtotal_rows", "total_rows", "separator_rows"):
        _expect(out[key] is None or (isinstance(out[key], str) and _is_regex(out[key])), where, f"layout.{key}", "must be a regular expression or null")
    _expect(isinstance(out["check_totals"], bool), where, "layout.check_totals", "must be true or false")
    gh = out["group_header"]
    if gh is not None:
        if isinstance(gh, str):
            gh = {"column": gh}
        _expect(isinstance(gh, dict) and (isinstance(gh.get("column"), str) or (isinstance(gh.get("column"), list) and gh["column"] and all(isinstance(c, str) for c in gh["column"]))) and set(gh) <= {"column", "pattern"}, where, "layout.group_header", "must name the column(s) a group header row sets, e.g. {column: customer_name} or {column: [customer_id, customer_name]}")
        _expect(gh.get("pattern") is None or _is_regex(gh["pattern"]), where, "layout.group_header.pattern", "must be a regular expression")
        out["group_header"] = gh
    sg = out["sign"]
    if sg is not None:
        _expect(isinstance(sg, dict) and isinstance(sg.get("column"), str) and set(sg) <= {"column", "credit", "debit"}, where, "layout.sign", "must be {column: <indicator column>, credit: [H, C, Cr], debit: [S, D, Dr]}")
        sg = {"credit": ["H", "C", "CR", "Credit", "Haben"], "debit": ["S", "D", "DR", "Debit", "Soll"], **sg}
        _expect(all(isinstance(x, list) and all(isinstance(v, str) for v in x) for x in (sg["credit"], sg["debit"])), where, "layout.sign.credit", "must be lists of indicator values")
        out["sign"] = sg
    dc = out["debit_credit"]
    if dc is not None:
        _expect(isinstance(dc, dict) and isinstance(dc.get("debit"), str) and isinstance(dc.get("credit"), str) and set(dc) <= {"debit", "credit", "into"}, where, "layout.debit_credit", "must be {debit: <column>, credit: <column>} (amount = debit - credit)")
        dc = {"into": "amount", **dc}
        _expect(dc["into"] in ("amount", "open_amount"), where, "layout.debit_credit.into", "must be amount or open_amount")
        out["debit_credit"] = dc
    ex = out["exclude"]
    if ex is not None:
        _expect(isinstance(ex, dict) and isinstance(ex.get("column"), str) and isinstance(ex.get("values"), list) and set(ex) <= {"column", "values", "when_filled"} and isinstance(ex.get("when_filled", ""), str), where, "layout.exclude", "must be {column: <export column>, values: [<value>, ...], when_filled: <export column> (optional)} (rows not read as items, still counted in the report's totals)")
        out["exclude"] = {"column": ex["column"], "values": [str(v) for v in ex["values"]], "when_filled": ex.get("when_filled")}
    m["layout"] = out
    det = raw.get("detect", {}) or {}
    _expect(isinstance(det, dict) and set(det) <= _DETECT_KEYS, where, "detect", f"must be a mapping with keys {', '.join(sorted(_DETECT_KEYS))}")
    det = {**DEFAULTS["detect"], **det}
    _expect(det["title"] is None or (isinstance(det["title"], str) and _is_regex(det["title"])), where, "detect.title", "must be a regular expression")
    _expect(isinstance(det["headers"], list) and all(isinstance(h, str) for h in det["headers"]), where, "detect.headers", "must be a list of header names")
    ext = det["extension"] if isinstance(det["extension"], list) else [det["extension"]]
    det["extension"] = [str(e).lower() for e in ext]
    m["detect"] = det
