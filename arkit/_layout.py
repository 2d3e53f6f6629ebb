"""Report layouts: what turns a printed report back into one row per item.

Applied by :mod:`arkit.load` to each table after its columns are named and before values are parsed. The
options live under ``layout:`` in a mapping (docs/mappings.md, "Report layouts"):

- ``separator_rows`` (regex on the first non-empty cell): ``-----`` and ``|----|`` lines; skipped.
- ``group_header: {column: customer_name}``: a row whose only non-empty cell is text (the customer in Xero's
  and NetSuite's detail reports, the aging period in QuickBooks' A/R Aging Detail) sets ``column`` for the
  rows below it, up to the next group header. Where the column already has a value on a row, that value is
  kept. The header row itself is skipped.
- ``subtotal_rows`` / ``total_rows`` (regexes on the first non-empty cell, defaults recognise ``Total
  <name>``, ``Total for <name>``, ``*`` and ``TOTAL``, ``Total``, ``Grand Total``, ``**``): never data,
  counted as skipped. With ``check_totals`` (default true) each money column the total row fills is
  checked in integer cents: a subtotal against the data rows since the group header (or since the previous
  subtotal when the report has no group headers), a grand total against every data row above it. A
  difference is one :class:`~arkit.errors.LedgerError` naming the file, the row, the column and both
  figures. Rows with an unparseable amount are left out of a check (they are quarantined anyway) and the
  check says so only if it then fails.
- ``exclude: {column: Type, values: [DZ], when_filled: Clearing}``: rows whose column holds one of the values
  (and, with ``when_filled``, whose named column is not empty) are not items: SAP payment documents that
  cleared invoices in an open-and-cleared list, whose invoices carry the clearing date. An open payment
  document (no clearing date: cash on account) stays an item, a credit. Skipped, but still part of the
  report's printed totals.
- ``debit_credit: {debit: Debit, credit: Credit}``: the amount is debit − credit (empty = 0), computed before
  anything else; ``into`` names the column to fill (``amount`` by default, or ``open_amount``).
- ``sign: {column: S/H, credit: [H, C, Cr], debit: [S, D, Dr]}``: an unsigned amount takes its sign from an
  indicator column; credit rows become negative (amount and open_amount), matched ignoring case. Applied to
  the parsed values and, for the checks, to total rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _fastparse, parse
from .errors import LedgerError

MONEY = ("amount", "open_amount")


@dataclass
class Layout:
    """What the layout pass found in one table."""

    skipped: pd.Series  # bool, rows that are layout (group headers, totals, separators)
    reasons: dict = field(default_factory=dict)  # kind -> count
    totals: list = field(default_factory=list)  # [{row, label, column, printed, kind}] of checked total rows


def _norm(name) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())


def find_column(frame: pd.DataFrame, name: str, mapping: dict | None = None) -> str | None:
    """The frame column called ``name`` (an export header, or the canonical name the mapping gave it),
    matched exactly, then ignoring case, spaces and punctuation."""
    if name in frame.columns:
        return name
    key = _norm(name)
    for c in frame.columns:
        if _norm(c) == key:
            return c
    if mapping:
        cols = mapping["tables"].get("invoices", {}).get("columns", {})
        for src, dst in cols.items():
            if (src == name or _norm(src) == key) and dst in frame.columns:
                return dst
    return None


def empty_cells(col: pd.Series) -> pd.Series:
    """True where a cell holds nothing at all: NA or only whitespace (a null marker such as ``NA`` is a value)."""
    arr = parse.arrow_text(col)
    if arr is not None:
        import pyarrow.compute as pc

        return pd.Series(~parse._np_bool(pc.is_valid(arr)) | parse._np_bool(pc.equal(parse._arrow_trimmed(arr), "")), index=col.index)
    isna = col.isna()
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        txt = col.where(~isna)
        is_str = txt.map(type).eq(str) if col.dtype == object else ~isna
        if is_str.any():
            ws = txt[is_str].astype("str").str.strip().eq("")
            return isna | ws.reindex(col.index, fill_value=False)
    return isna


#: Past this many columns the cells are checked as one block, not column by column: the per-column overhead
#: (~1 ms a column) would otherwise make a 10,000-column export take many seconds.
_WIDE = 64


def empty_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`empty_cells` of every cell of ``frame`` (columns by position). Linear in cells, wide or long."""
    if frame.shape[1] <= _WIDE:
        return pd.DataFrame({j: empty_cells(frame.iloc[:, j]) for j in range(frame.shape[1])}, index=frame.index)
    cells = pd.Series(frame.to_numpy(dtype=object).ravel())
    block = empty_cells(cells).to_numpy().reshape(frame.shape)
    return pd.DataFrame(block, index=frame.index, columns=range(frame.shape[1]))


def blank_rows(frame: pd.DataFrame) -> pd.Series:
    """``empty_frame(frame).all(axis=1)``: rows whose every cell is empty, without testing every cell. The
    column with the fewest missing values is tested first; the others only on the rows still blank."""
    if frame.shape[1] > _WIDE or not frame.shape[1]:
        return empty_frame(frame).all(axis=1) if frame.shape[1] else pd.Series(True, index=frame.index)
    order = sorted(range(frame.shape[1]), key=lambda j: _missing(frame.iloc[:, j]))
    blank = np.array(empty_cells(frame.iloc[:, order[0]]).to_numpy(), dtype=bool)
    for j in order[1:]:
        pos = np.flatnonzero(blank)
        if not len(pos):
            break
        blank[pos] = empty_cells(frame.iloc[pos, j]).to_numpy()
    return pd.Series(blank, index=frame.index)


def _missing(col: pd.Series) -> int:
    arr = parse.arrow_text(col)
    return arr.null_count if arr is not None else int(col.isna().sum())


def _where(raw_file: str, sheet) -> str:
    return raw_file + (f", sheet '{sheet}'" if sheet else "")


def apply_debit_credit(frame: pd.DataFrame, mapping: dict, where: str) -> pd.DataFrame:
    dc = mapping["layout"]["debit_credit"]
    if not dc:
        return frame
    nums = mapping["numbers"]
    cols = {}
    for side in ("debit", "credit"):
        c = find_column(frame, dc[side], mapping)
        if c is None:
            raise LedgerError(f"{where}: layout.debit_credit names the {side} column {dc[side]!r}, which is not in the export (columns: {', '.join(map(str, frame.columns))}).")
        cols[side] = c
    vals = {}
    for side, c in cols.items():
        v, bad = parse.parse_amounts(frame[c], decimal=nums["decimal"], thousands=nums["thousands"], trailing_minus=nums["trailing_minus"])
        vals[side] = (v, bad)
    d, c = vals["debit"][0], vals["credit"][0]
    both_empty = d.isna() & c.isna()
    net = d.fillna(0.0) - c.fillna(0.0)
    out = net.where(~both_empty).astype(object)
    bad = vals["debit"][1] | vals["credit"][1]
    # an unparseable side keeps its raw text so the row is quarantined with the value it held
    raw_bad = frame[cols["debit"]].where(vals["debit"][1], frame[cols["credit"]])
    out = out.where(~bad, raw_bad)
    frame = frame.copy()
    frame[dc["into"]] = out
    return frame


def credit_mask(frame: pd.DataFrame, mapping: dict, where: str) -> pd.Series | None:
    """Rows whose debit/credit indicator says credit (None when the mapping has no ``layout.sign``)."""
    sg = mapping["layout"]["sign"]
    if not sg:
        return None
    c = find_column(frame, sg["column"], mapping)
    if c is None:
        raise LedgerError(f"{where}: layout.sign names the indicator column {sg['column']!r}, which is not in the export (columns: {', '.join(map(str, frame.columns))}).")
    key = frame[c].astype("str").str.strip().str.lower()
    return key.isin({v.strip().lower() for v in sg["credit"]}) & frame[c].notna()


def apply_sign(typed: pd.DataFrame, credit: pd.Series | None) -> pd.DataFrame:
    if credit is None:
        return typed
    typed = typed.copy()
    cr = credit.reindex(typed.index, fill_value=False).to_numpy()
    for c in MONEY:
        if c in typed:
            v = typed[c].to_numpy(dtype="float64").copy()
            v[cr] = -np.abs(v[cr])
            typed[c] = v
    return typed


def _contains(text: pd.Series, pattern: str) -> pd.Series:
    r"""``text.str.contains(pattern)`` (NA → False); one RE2 pass when the column is ASCII Arrow text (RE2 and
    Python's re then agree on ``\s``, ``\d`` and ``\w``), Python's re otherwise or for a pattern RE2 lacks."""
    arr = parse.arrow_text(text)
    if arr is not None:
        import pyarrow.compute as pc

        got = _fastparse.by_value(text, arr, lambda d: _contains(d, pattern))  # each distinct text once
        if got is not None:
            idx, hits = got
            return pd.Series(np.append(hits.to_numpy(dtype=bool), False)[idx], index=text.index)
        try:
            if pc.all(pc.string_is_ascii(arr)).as_py() is not False:
                return pd.Series(parse._np_bool(pc.match_substring_regex(arr, pattern)), index=text.index)
        except Exception:  # noqa: BLE001 - a pattern RE2 does not support (a lookahead, a backreference)
            pass
    return text.str.contains(pattern, regex=True, na=False).astype(bool)


def _first_cells(frame: pd.DataFrame, empty: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Text of each row's first non-empty cell and the number of non-empty cells."""
    filled = ~empty.to_numpy()
    count = filled.sum(axis=1)
    first = frame.iloc[:, 0].astype("str").str.strip() if frame.shape[1] else pd.Series("", index=frame.index, dtype="str")
    later = ~filled[:, 0] & (count > 0) if frame.shape[1] else np.zeros(len(frame), dtype=bool)
    if later.any():  # rows whose first cell is empty: the first non-empty cell further right
        pos = filled[later].argmax(axis=1)
        cols = frame.to_numpy(dtype=object)[later]
        first.iloc[np.flatnonzero(later)] = pd.Series(cols[np.arange(len(pos)), pos]).astype("str").str.strip().to_numpy()
    first = first.where(count > 0, "")
    return first, pd.Series(count, index=frame.index)


def apply_layout(frame: pd.DataFrame, rows: pd.Series, blank: pd.Series, mapping: dict, *, file: str, sheet, drop_patterns: list[str], empty: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Layout]:
    """Group headers filled down, layout rows marked skipped, printed totals checked (module docstring).
    ``empty`` is :func:`empty_frame` of ``frame`` when the caller has it already."""
    lay = mapping["layout"]
    gh = lay["group_header"]
    where = _where(file, sheet)
    skipped = pd.Series(False, index=frame.index)
    info = Layout(skipped)
    if not len(frame):
        return frame, info
    needs = bool(drop_patterns) or lay["group_header"] or lay["subtotal_rows"] or lay["total_rows"] or lay["separator_rows"]
    if not needs:
        return frame, info
    first = count = None
    if empty is None and not gh and frame.shape[1]:
        # no group headers: the count of filled cells is not needed, and when the first column is never
        # empty its cell is each row's first non-empty cell (no cell-by-cell pass over the frame)
        col0 = frame.iloc[:, 0]
        if not empty_cells(col0).any():
            arr = parse.arrow_text(col0)
            first = col0 if arr is not None and not _fastparse.padded(arr) else col0.astype("str").str.strip()
    if first is None:
        if empty is None:
            empty = empty_frame(frame)
        first, count = _first_cells(frame, empty)
    live = ~blank

    # layout rows are few: one pass of every pattern together, then each pattern on the rows that matched any
    pats = [p for p in (lay["separator_rows"], lay["total_rows"], lay["subtotal_rows"], *drop_patterns) if p]
    anyhit = _contains(first, "|".join(f"(?:{p})" for p in pats)) & live if pats else pd.Series(False, index=frame.index)
    cand = first[anyhit]

    def match(pat):
        out = pd.Series(False, index=frame.index)
        if pat and len(cand):
            out.loc[cand.index] = cand.str.contains(pat, regex=True, na=False).to_numpy()
        return out

    sep = match(lay["separator_rows"])
    dropped = match("|".join(f"(?:{p})" for p in drop_patterns)) if drop_patterns else pd.Series(False, index=frame.index)
    grand = match(lay["total_rows"]) & ~sep
    sub = match(lay["subtotal_rows"]) & ~sep & ~grand
    group = pd.Series(False, index=frame.index)
    if gh:
        group = live & (count == 1) & ~sep & ~grand & ~sub & ~dropped
        # a group header is text, never a lone number or date
        group &= ~first.str.fullmatch(r"[-+$€£(]*[\d.,\s]+\)?[-A-Z]*").fillna(False).astype(bool)
        if gh.get("pattern"):
            group &= first.str.contains(gh["pattern"], regex=True, na=False)
    excluded = pd.Series(False, index=frame.index)
    if lay.get("exclude"):
        ec = find_column(frame, lay["exclude"]["column"], mapping)
        if ec is None:
            raise LedgerError(f"{where}: layout.exclude names the column {lay['exclude']['column']!r}, which is not in the export (columns: {', '.join(map(str, frame.columns))}).")
        vals = {v.strip().lower() for v in lay["exclude"]["values"]}
        excluded = frame[ec].astype("str").str.strip().str.lower().isin(vals) & frame[ec].notna() & live & ~(sep | dropped | grand | sub | group)
        if lay["exclude"].get("when_filled"):  # only rows that also fill this column (a cleared payment document)
            wc = find_column(frame, lay["exclude"]["when_filled"], mapping)
            excluded &= ~empty_cells(frame[wc]) if wc is not None else False
    layout_rows = sep | dropped | grand | sub | group | excluded
    data = live & ~layout_rows
    info.reasons = {k: int(v.sum()) for k, v in (("separator", sep), ("dropped", dropped), ("excluded", excluded), ("total", grand), ("subtotal", sub), ("group_header", group)) if v.any()}
    if gh:
        frame = frame.copy()
        label = first.where(group)
        filled = label.ffill()
        targets = gh["column"] if isinstance(gh["column"], list) else [gh["column"]]
        for target in targets:
            if target in frame.columns:
                cur = frame[target]
                frame[target] = cur.where(~empty_cells(cur) | ~data, filled)
            else:
                frame[target] = filled.where(data)
    info.skipped = layout_rows
    if mapping["layout"]["check_totals"] and (grand.any() or sub.any()):
        info.totals = _check_totals(frame, rows, data | excluded, sub, grand, group if gh else None, first, mapping, where)
    return frame, info


def _check_totals(frame, rows, data, sub, grand, group, first, mapping, where) -> list[dict]:
    nums = mapping["numbers"]
    credit = credit_mask(frame, mapping, where)
    checked = []
    for col in MONEY:
        if col not in frame.columns:
            continue
        vals, bad = parse.parse_amounts(frame[col], decimal=nums["decimal"], thousands=nums["thousands"], trailing_minus=nums["trailing_minus"])
        if credit is not None:
            vals = vals.where(~credit, -vals.abs())
        c = pd.Series(np.where(data & ~bad, np.nan_to_num(vals.to_numpy()), 0.0), index=frame.index)
        cents = pd.Series(np.rint(c.to_numpy() * 100).astype("int64"), index=frame.index)
        cum = cents.cumsum()
        nbad = (data & bad).cumsum()
        ndata = data.cumsum()
        pos = {r: i for i, r in enumerate(frame.index)}
        labels = list(frame.index[sub | grand | (group if group is not None else False)])
        start_cum, start_bad, start_n, start_row = 0, 0, 0, None
        for r in labels:
            i = pos[r]
            if group is not None and group.at[r]:  # a group header starts a new group
                start_cum, start_bad, start_n, start_row = int(cum.iloc[i]), int(nbad.iloc[i]), int(ndata.iloc[i]), r
                continue
            printed_raw = frame.at[r, col]
            if printed_raw is None or (isinstance(printed_raw, float) and np.isnan(printed_raw)) or str(printed_raw).strip() == "":
                if sub.at[r] and group is None:
                    start_cum, start_bad, start_n, start_row = int(cum.iloc[i]), int(nbad.iloc[i]), int(ndata.iloc[i]), r
                continue
            pv = vals.at[r]
            if pd.isna(pv):
                raise LedgerError(f"{where}, row {rows.at[r]}: the total row {first.at[r]!r} holds {str(printed_raw)!r} in column {col}, which is not an amount.")
            printed = int(np.rint(pv * 100))
            if grand.at[r]:
                total, nb, n, lo = int(cum.iloc[i]), int(nbad.iloc[i]), int(ndata.iloc[i]), None
                what = "every data row above it"
            else:
                total, nb, n, lo = int(cum.iloc[i]) - start_cum, int(nbad.iloc[i]) - start_bad, int(ndata.iloc[i]) - start_n, start_row
                what = f"the {n} data row{'s' if n != 1 else ''} of its group" + (f" (from row {rows.at[lo]})" if lo is not None else "")
            if printed != total:
                note = f"; {nb} row(s) in it have an unparseable amount" if nb else ""
                raise LedgerError(
                    f"{where}, row {rows.at[r]}: the total row {first.at[r]!r} shows {printed / 100:,.2f} in column {col} "
                    f"but {what} sum to {total / 100:,.2f}{note}; a row is missing or changed, or set layout.check_totals: false."
                )
            checked.append({"row": int(rows.at[r]), "label": first.at[r], "column": col, "printed": printed / 100, "kind": "total" if grand.at[r] else "subtotal"})
            if sub.at[r] and group is None:
                start_cum, start_bad, start_n, start_row = int(cum.iloc[i]), int(nbad.iloc[i]), int(ndata.iloc[i]), r
    return checked
