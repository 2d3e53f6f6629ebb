"""One dictionary of columns: the label, unit and format of every column a report table or workbook shows.

The data is ``arkit/columns.yaml``: column name → ``label``, ``kind`` and an optional ``description``,
name patterns (``util_2026-06`` → "Credit used 2026-06"), and the display labels of internal codes
(segments, ladder steps, actions, owners, program types). Ladder steps may carry their own ``label:`` in
the policy, which wins. Every HTML table (:func:`arkit.review.display.table`), every workbook
(:class:`arkit.review.display.ReportBook`) and the definitions appendix read it, so a column is named and
formatted the same everywhere.

Kinds and how they are shown
----------------------------
========  ===========================  =====================  ==========================
kind      held as                      on the page            in a workbook
========  ===========================  =====================  ==========================
money     ledger currency              ``1,234.50``           ``#,##0.00`` (red negative)
pct       a percentage 0–100           ``35.5 %``             the fraction, ``0.0%``
fraction  a share 0–1                  ``35.5 %``             ``0.0%``
days      calendar days                ``12.3``               ``#,##0.0``
count     a whole number               ``1,234``              ``#,##0``
number    a decimal                    ``1,234.50``           ``#,##0.00``
score     a decimal                    ``12.3``               ``0.0``
date      a date                       ``2026-06-30``         ``yyyy-mm-dd``
flag      True/False                   Yes / No               Yes / No
code      an internal code             its label              its label
text, id  text                         as is (ids unbroken)   text
========  ===========================  =====================  ==========================

A column the dictionary does not know keeps its name when it is already words ("Past due") and is
turned into words when it is snake_case (``late_fee_rate`` → "Late fee rate"); its kind is inferred from
its dtype and name (see :func:`kind_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

DICTIONARY = Path(__file__).resolve().parent / "columns.yaml"
KINDS = ("money", "pct", "fraction", "days", "count", "number", "score", "date", "flag", "code", "text", "id")
NUMERIC_KINDS = frozenset({"money", "pct", "fraction", "days", "count", "number", "score"})
#: Words written in capitals when a snake_case name is turned into a label.
ACRONYMS = {"ar": "AR", "dso": "DSO", "bpdso": "BPDSO", "cei": "CEI", "add": "ADD", "id": "ID", "ci": "CI", "eom": "month-end", "pct": "%", "avg": "average", "util": "credit used"}
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str
    description: str = ""


@lru_cache(maxsize=1)
def _data() -> dict:
    import yaml

    with DICTIONARY.open(encoding="utf-8") as f:  # libyaml's safe loader when installed (10x faster)
        raw = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    cols = {}
    for name, spec in (raw.get("columns") or {}).items():
        extra = set(spec) - {"label", "kind", "description"}
        if extra:  # an unquoted comma in a flow mapping ({label: A, B}) makes a key of the text after it
            raise ValueError(f"{DICTIONARY.name}: column '{name}' has unknown key(s) {', '.join(map(repr, sorted(map(str, extra))))}; quote a label or description that holds a comma")
        kind = spec.get("kind", "text")
        if kind not in KINDS:
            raise ValueError(f"{DICTIONARY.name}: column '{name}' has kind '{kind}', expected one of {', '.join(KINDS)}")
        cols[str(name)] = Column(str(name), str(spec["label"]), kind, str(spec.get("description", "") or ""))
    patterns = [(re.compile(p["match"] + r"\Z"), p["label"], p["kind"]) for p in raw.get("patterns") or []]
    codes = {str(k): str(v) for k, v in (raw.get("codes") or {}).items()}
    return {"columns": cols, "patterns": patterns, "codes": codes}


@lru_cache(maxsize=1)
def _by_label() -> dict[str, Column]:
    """Label (lower case) → entry, for labels that name one kind only."""
    seen: dict[str, list[Column]] = {}
    for c in _data()["columns"].values():
        seen.setdefault(c.label.lower(), []).append(c)
    out = {}
    for k, v in seen.items():
        kinds = {c.kind for c in v}
        if len(kinds) == 1:
            out[k] = v[0]
        elif kinds == {"code", "text"}:  # "Segment": the code column and its label column — map codes
            out[k] = next(c for c in v if c.kind == "code")
    return out


def humanize(name: str) -> str:
    """``days_late_trend`` → "Days late trend", ``open_ar`` → "Open AR"; words are left as they are."""
    s = str(name)
    if "_" not in s and (not s.islower() or " " in s):
        return s
    words = [w for w in re.split(r"_+", s.strip("_")) if w]
    if not words:
        return s
    out = [ACRONYMS.get(w, w) for w in words]
    first = out[0]
    out[0] = first[:1].upper() + first[1:] if first == words[0] else first
    return " ".join(out)


def column(name) -> Column:
    """The dictionary entry for ``name`` (by exact name, then by pattern); an unknown name gets a
    humanized label and kind ``""`` (to be inferred from the data)."""
    d = _data()
    key = str(name)
    if key in d["columns"]:
        return d["columns"][key]
    by_label = _by_label()
    if key.strip().lower() in by_label:  # a column already named for people: "Open AR", "Customers"
        found = by_label[key.strip().lower()]
        return Column(key, key, found.kind, found.description)
    for pat, label, kind in d["patterns"]:
        m = pat.match(key)
        if m:
            groups = [humanize(g) if _SNAKE.match(g) or g.islower() else g for g in m.groups()]
            text = label.format(*groups)
            return Column(key, text[:1].upper() + text[1:], kind)
    return Column(key, humanize(key), "")


def label(name) -> str:
    """The label a reader sees for column ``name``."""
    return column(name).label


def code_labels(policy: dict | None = None) -> dict[str, str]:
    """Internal code → display label: the dictionary's ``codes``, then the policy's ladder ``label:``s."""
    out = dict(_data()["codes"])
    for step in (policy or {}).get("ladder", []) or []:
        if isinstance(step, dict) and step.get("label") and step.get("step"):
            out[str(step["step"])] = str(step["label"])
    return out


def code_label(value, policy: dict | None = None) -> str:
    """The label of one code; an unknown snake_case code is turned into words, anything else is kept."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    labels = code_labels(policy)
    s = str(value)
    if s in labels:
        return labels[s]
    return humanize(s) if _CODE.match(s) else s


def label_codes(s: pd.Series, policy: dict | None = None) -> pd.Series:
    """A code column with every value replaced by its label (missing values stay missing)."""
    labels = code_labels(policy)
    vals = s.astype(object)
    uniq = pd.unique(vals[vals.notna()])
    mapping = {u: (labels.get(str(u)) or (humanize(str(u)) if _CODE.match(str(u)) else u)) for u in uniq}
    return vals.map(mapping).where(vals.notna(), None)


def kind_of(name, s: pd.Series | None = None) -> str:
    """The kind of column ``name``: the dictionary's, else inferred — datetimes are dates, booleans flags,
    integers counts, floats money when the name is a money name (:func:`arkit.excel.is_money_name`),
    days when it mentions days, a percentage when it says % or pct, else numbers (whole numbers when
    every value is whole); anything else is text."""
    kind = column(name).kind
    if s is not None and pd.api.types.is_bool_dtype(s.dtype) and kind not in ("flag", "text"):
        return "flag"  # a yes/no column whatever its name says elsewhere ("written_off": money in roll rates)
    if kind or s is None:
        return kind or "text"
    dtype = s.dtype
    low = str(name).lower()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype):
        return "flag"
    if not pd.api.types.is_numeric_dtype(dtype):
        if dtype == object and len(s.dropna()) and s.dropna().map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64))).all():
            return "date"
        return "text"
    if "%" in low or re.search(r"\bpct\b|percent", low):
        return "pct"
    if re.search(r"\bdays?\b", low):
        return "days"
    if pd.api.types.is_integer_dtype(dtype):
        return "count"
    from .excel import is_money_name

    if is_money_name(str(name).replace("(", " ").replace(")", " ")):
        return "money"
    vals = s.dropna().to_numpy(dtype=float)
    vals = vals[np.isfinite(vals)]
    if len(vals) == 0 or np.all(vals == np.round(vals)):
        return "count"
    return "number"


def describe(names) -> pd.DataFrame:
    """The definitions appendix for ``names``: Term and Definition of each column that has a description."""
    rows = [(column(n).label, column(n).description) for n in names if column(n).description]
    return pd.DataFrame(rows, columns=["Term", "Definition"]).drop_duplicates("Term")


def for_people(df: pd.DataFrame, *, policy: dict | None = None, kinds: dict | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """``df`` ready for a reader: codes replaced by labels, flags as Yes/No, columns renamed to their labels
    (made unique), and the kind of each new column. ``kinds`` overrides the dictionary by original name.
    Values are not rounded or rescaled (formats do that)."""
    out = {}
    out_kinds: dict[str, str] = {}
    used: set[str] = set()
    for name in df.columns:
        s = df[name]
        kind = (kinds or {}).get(name) or kind_of(name, s)
        if kind == "code":
            s = label_codes(s, policy)
            kind = "text"
        elif kind == "text" and not pd.api.types.is_numeric_dtype(s.dtype):
            vals = s.astype(object)
            codes = vals.map(lambda v: isinstance(v, str) and bool(_CODE.match(v)))
            if codes.any():  # a whole-cell internal code in a text column ("demand_letter"): its label
                s = vals.where(~codes, label_codes(vals[codes], policy)).where(vals.notna(), None)
        elif kind == "flag":
            vals = s.astype(object)
            s = vals.map({True: "Yes", False: "No", 1: "Yes", 0: "No"}).where(vals.notna(), None)
            kind = "text"
        elif kind == "date" and not pd.api.types.is_datetime64_any_dtype(s.dtype):
            conv = pd.to_datetime(s, errors="coerce")
            if conv.notna().sum() == s.notna().sum():
                s = conv
            else:
                kind = "text"
        new = label(name) if isinstance(name, str) else str(name)
        if new in out and out[new].astype(object).equals(s.astype(object)):
            continue  # the same column twice (a code and its label column): shown once
        base, n = new, 2
        while new in used:
            new = f"{base} ({n})"
            n += 1
        used.add(new)
        out[new] = s
        out_kinds[new] = kind
    return pd.DataFrame(out, index=df.index), out_kinds
