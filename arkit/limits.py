"""Resource limits checked before a workbook is read: no file can make arkit allocate without bound.

python-calamine builds a sheet as one dense grid of (last row × last column) cells: a 12 KB workbook with one
cell at XFD1048576 asks for 17 billion cells (the process aborts), and a 4 MB workbook whose sheet XML
inflates to 1 GB grows past 7 GB. So before calamine opens a sheet, :func:`check_workbook` reads the zip
directory and streams each worksheet's XML once (constant memory, a few hundred MB/s), and refuses the file
in one sentence when it passes one of the limits:

- ``max_cells`` (default 30,000,000): the grid a sheet would take — its declared ``<dimension ref>``, or
  its last row × its last column as the XML holds them. A 1M-row, 12-column ledger is 12M cells.
- ``max_unpacked_bytes`` (default 512 MiB): all entries of the zip, unpacked — as declared in the zip's
  directory, and as really inflated while streaming (a directory that under-declares is caught too).
- ``max_ratio`` (default 200): unpacked ÷ packed size of one entry above 16 MiB. Real sheet XML packs
  5–30×; a bomb packs thousands to one.

Limits are keyword options: ``load_ledger(path, limits={"max_cells": 50_000_000})`` (see docs/mappings.md).
The same scan reads the workbook's date system (``<workbookPr date1904="1">``): serial day numbers of a
workbook made on the Mac 1904 system count from 1904-01-01.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import LedgerError

DEFAULT_LIMITS = {"max_cells": 30_000_000, "max_unpacked_bytes": 512 * 2**20, "max_ratio": 200}
_RATIO_FLOOR = 16 * 2**20
_CHUNK = 1 << 20

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_WIDE_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{2,3})\d")
_ANY_WIDE = re.compile(rb"r=\"[A-Z][A-Z]")
_NARROW = re.compile(rb"\br=\"([A-Z])[0-9]")
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"", re.I)


#: The limits of the load in progress (``load_ledger(limits=...)``), for readers that do not get the mapping
#: (source detection reading a workbook's head).
active_limits: contextvars.ContextVar[dict | None] = contextvars.ContextVar("arkit_limits", default=None)


@dataclass(frozen=True)
class WorkbookInfo:
    date1904: bool = False


def limits_with(overrides: dict | None) -> dict:
    """The default limits with ``overrides`` applied; an unknown name or a value that is not a positive
    number is a :class:`LedgerError`."""
    out = dict(DEFAULT_LIMITS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_LIMITS:
            raise LedgerError(f"unknown limit '{key}' (known: {', '.join(DEFAULT_LIMITS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise LedgerError(f"limit {key} must be a positive number, not {value!r}")
        out[key] = value
    return out


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def check_workbook(path, *, limits: dict | None = None) -> WorkbookInfo:
    """Check a workbook against the limits before any sheet is read; returns what the scan learnt.

    Files that are not zip archives (``.xls``: its format caps a sheet at 65,536 × 256 cells) pass through
    to the reader. Raises :class:`LedgerError` naming the file, the sheet and the limit (and how to raise it).
    """
    p = Path(path)
    st = p.stat()
    lim = limits_with(limits if limits is not None else active_limits.get())
    return _check(str(p), st.st_mtime_ns, st.st_size, tuple(sorted(lim.items())))


@functools.lru_cache(maxsize=32)
def _check(path: str, _mtime: int, _size: int, lim_items: tuple) -> WorkbookInfo:
    lim = dict(lim_items)
    if not zipfile.is_zipfile(path):
        return WorkbookInfo()
    how = "; raise it with load_ledger(..., limits={...}) if the file is genuine"

    def refuse(what: str) -> LedgerError:
        return LedgerError(f"{path}{'' if what.startswith(',') else ' '}{what}{how}.")

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            declared = sum(i.file_size for i in infos)
            if declared > lim["max_unpacked_bytes"]:
                raise refuse(f"unpacks to {_mb(declared)}, over the limit of {_mb(lim['max_unpacked_bytes'])} (max_unpacked_bytes)")
            for i in infos:
                if i.file_size > _RATIO_FLOOR and i.file_size > lim["max_ratio"] * max(i.compress_size, 1):
                    raise refuse(f"has an entry {i.filename} packed {i.file_size / max(i.compress_size, 1):,.0f} to 1 (a zip bomb?), over the limit of {lim['max_ratio']:,} to 1 (max_ratio)")
            date1904 = False
            names = {i.filename for i in infos}
            labels: dict[str, str] = {}
            if "xl/workbook.xml" in names:
                with zf.open("xl/workbook.xml") as fh:
                    wb_xml = fh.read(4 * 2**20)
                date1904 = bool(_DATE1904.search(wb_xml))
                labels = _sheet_labels(zf, wb_xml, names)
            total = 0
            for i in infos:
                name = i.filename
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")) and name != "content.xml":
                    if not name.endswith(".xml"):
                        continue
                total = _scan_xml(zf, i, lim, total, refuse, labels.get(name))
    except LedgerError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise LedgerError(f"{path} is not a readable Excel workbook ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'corrupt'}).") from None
    return WorkbookInfo(date1904=date1904)


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"[^>]*?\br:id=\"([^\"]+)\"")
_REL = re.compile(rb"<Relationship\b[^>]*?\bId=\"([^\"]+)\"[^>]*?\bTarget=\"([^\"]+)\"|<Relationship\b[^>]*?\bTarget=\"([^\"]+)\"[^>]*?\bId=\"([^\"]+)\"")


def _sheet_labels(zf: zipfile.ZipFile, wb_xml: bytes, names: set[str]) -> dict[str, str]:
    """Worksheet part name → the sheet's name as Excel shows it ("xl/worksheets/sheet1.xml" → "invoices")."""
    import html

    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in names:
        return {}
    with zf.open(rels_name) as fh:
        rels = fh.read(4 * 2**20)
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        t = target.decode("utf-8", "replace").lstrip("/")
        targets[rid.decode("utf-8", "replace")] = t if t.startswith("xl/") else "xl/" + t
    out = {}
    for m in _SHEET.finditer(wb_xml):
        part = targets.get(m.group(2).decode("utf-8", "replace"))
        if part:
            out[part] = "'" + html.unescape(m.group(1).decode("utf-8", "replace")) + "'"
    return out


def _scan_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, lim: dict, total: int, refuse, label: str | None = None) -> int:
    """Stream one XML entry: count its real unpacked bytes and, for a worksheet, the grid it spans."""
    sheet = info.filename.startswith("xl/worksheets/")
    label = label or os.path.basename(info.filename)
    max_row = max_col = counted = cells = 0
    # a cell takes at least 4 bytes ("<c/>"): an entry no larger than 4 × max_cells cannot hold too many, and
    # zipfile never inflates past the size the directory declares (a longer stream fails its check)
    count_cells = info.file_size > 4 * lim["max_cells"]
    tail = b""
    first = True
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > lim["max_unpacked_bytes"]:
                raise refuse(f"unpacks to more than {_mb(lim['max_unpacked_bytes'])} (max_unpacked_bytes; found while reading {label})")
            if not sheet:
                continue
            buf = tail + chunk
            if first:
                first = False
                m = _DIMENSION.search(buf)
                if m and m.group(3):
                    rows = int(m.group(4)) - int(m.group(2) or 1) + 1
                    cols = _col_number(m.group(3)) - _col_number(m.group(1) or b"A") + 1
                    if rows * cols > lim["max_cells"]:
                        raise refuse(f", sheet {label}, declares {rows:,} rows × {cols:,} columns = {rows * cols:,} cells, over the limit of {lim['max_cells']:,} (max_cells)")
            # rows come in order: the last row tag of the chunk holds its highest number
            at = buf.rfind(b"<row")
            m = _ROW.match(buf, at) if at >= 0 else None
            if m is None and b":row" in buf:  # a namespace prefix: look at every row tag
                found = _ROW.findall(buf)
                m_row = max(map(int, found)) if found else 0
            else:
                m_row = int(m.group(1)) if m else 0
            max_row = max(max_row, m_row)
            n_rows = chunk.count(b"<row")  # rows without r="…" count by position (a prefixed "x:row" only
            counted += n_rows if n_rows else chunk.count(b":row ")  # when no plain one: one prefix a file)
            max_row = max(max_row, counted)
            if _ANY_WIDE.search(buf):
                wide = set(_WIDE_CELL.findall(buf))
                if wide:
                    max_col = max(max_col, max(_col_number(c) for c in wide))
            # single-letter columns: up to Z the grid is at most 26 wide, so they are only told apart (one
            # regex pass, ~15 ms a MB) once 26 columns of this many rows would pass the limit
            if max_col < 26 and max_row * 26 > lim["max_cells"]:
                narrow = set(_NARROW.findall(buf))
                if narrow:
                    max_col = max(max_col, max(_col_number(c) for c in narrow))
            elif max_col < 26 and max_row:
                max_col = max(max_col, 1)
            if count_cells:  # cells without r="…" count by position too
                cells += chunk.count(b"<c>") + chunk.count(b"<c ")
            grid = max_row * max(max_col, 1)
            if max(grid, cells) > lim["max_cells"]:
                size = f"spans {max_row:,} rows × {max_col:,} columns = {grid:,} cells" if grid >= cells else f"holds {cells:,} cells in {max_row:,} rows"
                raise refuse(f", sheet {label}, {size}, over the limit of {lim['max_cells']:,} (max_cells)")
            tail = buf[-256:]
    return total
