"""Shortcuts for :mod:`arkit.parse` on Arrow text columns (what the CSV readers return).

Each one either returns exactly what the general parser would return, or ``None`` (the parser then takes
its own path). They rest on two facts:

- The parsers are elementwise: a cell's result depends on that cell alone. A column of few distinct values
  (dates, flags, currency codes) is parsed once per distinct value (:func:`by_value`) and the results are
  spread back by index.
- Most cells need no change: no surrounding whitespace, no null marker, no ``.0`` to drop. Whether any cell
  might is read off the first and last bytes of each cell (:func:`edges`, numpy over Arrow's buffers), a
  conservative test: a cell it flags goes the general way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: bytes a null marker (parse._BLANK: nan, nat, none, null, n/a, na, -, —) can start with
_MARKER_START = np.zeros(256, dtype=bool)
_MARKER_START[[ord("n"), ord("N"), ord("-"), 0xE2]] = True
#: bytes that may start or end whitespace (ASCII controls, space, and any byte of a multi-byte character)
_MAY_SPACE = np.zeros(256, dtype=bool)
_MAY_SPACE[:0x21] = True
_MAY_SPACE[0x80:] = True


def _chunks(arr) -> list:
    return arr.chunks if hasattr(arr, "chunks") else [arr]


def edges(arr):
    """``(first byte, last byte, byte before last, length in bytes, valid)`` of each cell of an Arrow
    string array (or chunked array), as numpy arrays (an empty or null cell has length 0 and edge bytes 0);
    ``None`` for another type."""
    import pyarrow as pa

    if arr.type not in (pa.string(), pa.large_string()):
        return None
    parts = [_edges(c) for c in _chunks(arr) if len(c)]
    if not parts:
        return tuple(np.zeros(0, dtype=t) for t in (np.uint8, np.uint8, np.uint8, np.int64, bool))
    return tuple(np.concatenate(x) for x in zip(*parts))


def _edges(a):
    import pyarrow as pa

    n = len(a)
    bufs = a.buffers()
    off = np.frombuffer(bufs[1], dtype="int64" if a.type == pa.large_string() else "int32")[a.offset : a.offset + n + 1].astype("int64")
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None and bufs[2].size else np.zeros(1, dtype=np.uint8)
    length = np.diff(off)
    has = length > 0
    first = np.where(has, data[np.minimum(off[:-1], len(data) - 1)], 0)
    last = np.where(has, data[np.clip(off[1:] - 1, 0, len(data) - 1)], 0)
    before = np.where(length > 1, data[np.clip(off[1:] - 2, 0, len(data) - 1)], 0)
    valid = np.ones(n, dtype=bool) if a.null_count == 0 else np.asarray(a.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return first, last, before, length, valid


def padded(arr) -> bool:
    """Whether any cell of an Arrow string array may have whitespace at either end (conservative: any
    cell starting or ending with a control character, a space or a non-ASCII character)."""
    e = edges(arr)
    if e is None:
        return True
    first, last, _before, length, valid = e
    return bool((valid & (_MAY_SPACE[first] | _MAY_SPACE[last]) & (length > 0)).any())


def plain_strings(raw: pd.Series, arr, *, drop_point_zero: bool):
    """:func:`arkit.parse.parse_ids` / ``parse_text`` of a column that needs no change (no cell with edge
    whitespace, no null marker, no ``.0`` id): the column itself. ``None`` when a cell may need one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .parse import _BLANK

    e = edges(arr)
    if e is None:
        return None
    first, last, before, length, valid = e
    if (valid & (_MAY_SPACE[first] | _MAY_SPACE[last]) & (length > 0)).any():
        return None  # (a cell might be padded: the general path trims)
    if drop_point_zero and (valid & (last == ord("0")) & (before == ord("."))).any():
        return None
    cand = np.flatnonzero(valid & ((length == 0) | ((length <= 4) & _MARKER_START[first])))
    if len(cand):
        hit = pc.is_in(pc.utf8_lower(arr.take(pa.array(cand))), value_set=pa.array(sorted(_BLANK)))
        if pc.any(hit).as_py():
            return None
    return pd.Series(pd.array(arr, dtype=raw.dtype), index=raw.index), pd.Series(False, index=raw.index)


def by_value(raw: pd.Series, arr, parse_one, *, min_rows: int = 4096):
    """``(indices, parsed distinct values)`` when a big column has at most half as many distinct values as
    rows: ``parse_one`` (a parser) runs on the distinct values only; index ``len(values)`` stands for a
    null cell. ``None`` otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(raw) < min_rows:
        return None
    if arr.type not in (pa.string(), pa.large_string()):
        return None
    if pc.count_distinct(arr.slice(0, 4096)).as_py() > 2048:
        return None  # (the head already shows too many distinct values: no dictionary built in vain)
    enc = _chunks(pc.dictionary_encode(arr))  # the chunks of a chunked array share one dictionary
    d = enc[0].dictionary
    if 2 * len(d) > len(arr) or any(len(c.dictionary) != len(d) for c in enc):
        return None
    idx = np.concatenate([np.asarray(pc.fill_null(c.indices, len(d)).to_numpy(zero_copy_only=False), dtype=np.intp) for c in enc])
    return idx, parse_one(pd.Series(pd.array(d, dtype=raw.dtype)))


def dates_by_value(raw: pd.Series, arr, parse_one):
    """:func:`arkit.parse.parse_dates` of a column of few distinct values, each parsed once."""
    got = by_value(raw, arr, parse_one)
    if got is None:
        return None
    idx, (vals, bad) = got
    ns = np.append(vals.to_numpy(dtype="datetime64[ns]").view("int64"), np.iinfo("int64").min)
    b = np.append(bad.to_numpy(dtype=bool), False)  # a null cell: NaT, not bad
    return pd.Series(ns[idx].view("datetime64[ns]"), index=raw.index), pd.Series(b[idx], index=raw.index)


def bools_by_value(raw: pd.Series, arr, parse_one):
    """:func:`arkit.parse.parse_bools` of a column of few distinct values, each parsed once."""
    got = by_value(raw, arr, parse_one)
    if got is None:
        return None
    idx, (vals, bad) = got
    v = vals.to_numpy(dtype=object, na_value=None)
    yes = np.append(np.array([x is True for x in v], dtype=bool), False)
    no = np.append(np.array([x is False for x in v], dtype=bool), False)
    b = np.append(bad.to_numpy(dtype=bool), False)
    out = pd.array(yes[idx], dtype="boolean")
    out[~(yes[idx] | no[idx])] = pd.NA
    return pd.Series(out, index=raw.index), pd.Series(b[idx], index=raw.index)


def amounts_cast(raw: pd.Series, arr):
    """:func:`arkit.parse.parse_amounts` (``.`` decimal) of a column whose every cell is a plain number or
    empty: pyarrow's cast reads it in one pass (the cast refuses anything else, and a NaN or infinity it
    accepts from text sends the column the general way). Values are not yet rounded to the cent."""
    import pyarrow as pa

    try:
        vals = arr.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    v = vals.to_numpy(zero_copy_only=False)  # (a null cell as NaN)
    if int(np.count_nonzero(~np.isfinite(v))) != arr.null_count:
        return None
    return v
