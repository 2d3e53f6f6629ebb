"""Reading delimited text exports: encoding, line ends, delimiter and quoting, with errors a person can act on.

One entry point, :func:`read_text_table`, used by :mod:`arkit.load` for ``.csv``, ``.tsv`` and ``.txt``
files. What it decides and how:

- **Encoding**: a byte-order mark wins (UTF-8, UTF-16 LE/BE); UTF-16 without a mark is recognised by its
  zero bytes. Otherwise the whole file is tried as UTF-8 (Python's decoder runs at about 1 GB/s, so this is
  never the slow part). If that fails and no multi-byte UTF-8 sequence occurs before the failing byte, the
  file is a single-byte encoding and charset-normalizer chooses which from the lines holding non-ASCII
  bytes (cp1252 when it cannot tell). If valid UTF-8 precedes the failing byte, the file mixes encodings:
  one sentence names the file, the line and the byte and says to set ``encoding:``. A mapping's
  ``encoding:`` is used as given (a byte it cannot decode is reported the same way).
- **Line ends**: LF, CRLF and CR-only (old Mac) files; in an LF or CRLF file a stray CR that does not end a
  line (a bare CR inside a cell) becomes a space.
- **Delimiter and quoting**: ``csv.Sniffer`` on the lines below the title block, restricted to comma,
  semicolon, tab and pipe; when the sniffer cannot decide, the delimiter that splits the most lines into
  the same number of fields (counted with the csv module, so quoted delimiters do not count). ``.tsv``
  means tab. A mapping's ``delimiter:`` is used as given.
- **Rows**: pandas' C parser reads every cell as text; quoted newlines are kept inside their cell and each
  row keeps the line number the file gives it (the line it starts on). A trailing delimiter on every row
  (one more field than the header, all empty) is dropped; a row with more non-empty fields than the header
  is one error naming the line, the counts and the option to set.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import LedgerError

DELIMITERS = ",;\t|"
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: bytes of a big file used to choose among single-byte encodings
_SAMPLE = 1 << 20


def delimiter_name(sep: str) -> str:
    return _NAMES.get(sep, repr(sep))


def _line_of(data: bytes, pos: int, nl: bytes = b"\n") -> int:
    return data.count(nl, 0, pos) + 1


def decode_bytes(data: bytes, where: str, *, encoding: str | None = None) -> tuple[str, str]:
    """``(text, encoding name)`` for the bytes of a text export (see the module docstring)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise LedgerError(f"{where}: the mapping's encoding {encoding!r} is not an encoding Python knows (try utf-8, cp1252, latin-1, utf-16).") from None
        return _decode(data, encoding, where, pinned=True), encoding
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", where), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", where), "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") * 4 >= len(head):  # UTF-16 without a byte-order mark
        odd_zero = head[1::2].count(b"\x00") > head[0::2].count(b"\x00")
        enc = "utf-16-le" if odd_zero else "utf-16-be"
        return _decode(data, enc, where), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if re.search(rb"[\xc2-\xf4][\x80-\xbf]", data[: exc.start]):
            line = _line_of(data, exc.start)
            raise LedgerError(
                f"{where}, line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 although the lines before it are UTF-8 "
                "(the file mixes encodings); re-save it as UTF-8, or set encoding: cp1252 in the mapping to read it all as Windows-1252."
            ) from None
    enc = _single_byte_encoding(data)
    return _decode(data, enc, where), enc


def _single_byte_encoding(data: bytes) -> str:
    """cp1252 / latin-1 / another single-byte code page, chosen by charset-normalizer from non-ASCII lines."""
    lines = [ln for ln in data[: _SAMPLE * 4].split(b"\n") if re.search(rb"[\x80-\xff]", ln)]
    sample = b"\n".join(lines)[:_SAMPLE]
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=["cp1252", "latin_1", "iso8859_15", "cp850", "mac_roman"]).best()
    except Exception:  # noqa: BLE001 - the detector is an aid, cp1252 is the common case
        best = None
    enc = best.encoding if best is not None else "cp1252"
    if enc in ("latin_1", "iso8859_15", "cp1252"):
        enc = "cp1252"  # Windows' Western code page: Latin-1 plus curly quotes, dashes and the euro sign
    try:
        data.decode(enc)
    except UnicodeDecodeError:
        enc = "latin-1"  # decodes any byte
    return enc


def _decode(data: bytes, enc: str, where: str, *, pinned: bool = False) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        nl = "\n".encode(enc) if enc.startswith("utf-16") or enc.startswith("utf_16") else b"\n"
        nl = nl[-2:] if len(nl) > 2 else nl
        line = _line_of(data, exc.start, nl)
        hint = "set encoding: in the mapping to the file's real encoding" if pinned else "set encoding: in the mapping (utf-8, cp1252, utf-16)"
        raise LedgerError(f"{where}, line {line}: byte 0x{data[exc.start]:02x} cannot be read as {enc}; {hint}.") from None


def normalise_newlines(text: str) -> str:
    """LF line ends: CRLF → LF; a CR-only file's CRs → LF; a stray CR in an LF file → a space."""
    if "\r" not in text:
        return text
    if "\n" not in text:
        return text.replace("\r", "\n")
    return text.replace("\r\n", "\n").replace("\r", " ")


def sniff_delimiter(lines: list[str], *, suffix: str = "") -> str:
    """The field delimiter of these (decoded, LF-split) lines: comma, semicolon, tab or pipe."""
    if suffix == ".tsv":
        return "\t"
    body = [ln for ln in lines if ln.strip()]
    if not body:
        return ","
    scores = {}
    for sep in DELIMITERS:
        counts = [len(r) for r in csv.reader(body, delimiter=sep)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode = max(set(multi), key=multi.count)
        # lines split into the modal number of fields, weighted a little by that number
        scores[sep] = multi.count(mode) + 0.01 * mode
    if not scores:
        return ","
    best = max(scores, key=scores.get)
    # the csv module's sniffer decides between close candidates on the lines below the title block
    close = [s for s, v in scores.items() if v >= 0.8 * scores[best]]
    if len(close) > 1:
        tail = body[len(body) // 3 :] or body
        try:
            sniffed = csv.Sniffer().sniff("\n".join(tail[:50]), delimiters="".join(close)).delimiter
            if sniffed in close:
                return sniffed
        except csv.Error:
            pass
    return best


def _head_lines(text: str, n: int = 80) -> list[str]:
    out, start = [], 0
    for _ in range(n):
        end = text.find("\n", start)
        if end < 0:
            if start < len(text):
                out.append(text[start:])
            break
        out.append(text[start:end])
        start = end + 1
    return out


def head_grid(text: str, sep: str, n: int = 60) -> list[list]:
    """The first ``n`` records as lists of cells (None for empty), for header detection and scoring."""
    lines = _head_lines(text, n * 2)
    grid = []
    try:
        for rec in csv.reader(lines, delimiter=sep):
            grid.append([c if c.strip() else None for c in rec])
            if len(grid) >= n:
                break
    except csv.Error:
        grid = [[c if c.strip() else None for c in ln.split(sep)] for ln in lines[:n]]
    return grid


def record_lines(text: str, sep: str, skip: int) -> np.ndarray:
    """1-based line number on which each record after the first ``skip`` records starts (quoted newlines)."""
    starts, line = [], 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    return np.asarray(starts[skip:], dtype="int64")


def prepare(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> tuple[str, str, str]:
    """``(text, encoding, delimiter)`` of a text export, newlines normalised."""
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerError(f"{where} cannot be read ({exc.strerror or exc}).") from None
    text, enc = decode_bytes(data, where, encoding=encoding)
    text = normalise_newlines(text)
    if "\x00" in text[:65536]:
        raise LedgerError(f"{where} is a binary file, not a text export or a workbook.")
    if not text.strip():
        raise LedgerError(f"{where} is empty.")
    sep = delimiter or sniff_delimiter(_head_lines(text, 80), suffix=path.suffix.lower())
    return text, enc, sep


#: bytes at the start of a file that detection and the plain-UTF-8 fast path decode in Python
HEAD_BYTES = 1 << 18


def head_text(data: bytes) -> str | None:
    """The decoded head of a plain UTF-8 (or ASCII) export: the first :data:`HEAD_BYTES` cut at the last
    line end, BOM dropped, CRLF as LF; ``None`` when the file is anything else (UTF-16, another encoding, CR
    line ends, a NUL byte) or when the head holds fewer lines than detection looks at (:func:`head_grid`
    and :func:`sniff_delimiter` read 120 and 80 lines), so the caller decodes the whole file instead."""
    skip = 3 if data.startswith(codecs.BOM_UTF8) else 0
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    head = data[skip : skip + HEAD_BYTES]
    whole = len(data) - skip <= HEAD_BYTES
    if not whole:
        head = head[: head.rfind(b"\n") + 1]
    if b"\x00" in head or (b"\r" in head and head.count(b"\r") != head.count(b"\r\n")):
        return None
    if not whole and head.count(b"\n") < 200:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n")


class PlainText:
    """A plain UTF-8 export's layout, read off its head (:func:`plain_head`): the bytes, the body after the
    header line (a view, no copy), the head grid, the header record's index and names, encoding, delimiter."""

    __slots__ = ("data", "body", "grid", "h", "header", "encoding", "sep")

    def __init__(self, data, body, grid, h, header, encoding, sep):
        self.data, self.body, self.grid, self.h, self.header, self.encoding, self.sep = data, body, grid, h, header, encoding, sep

    def rows(self, n: int) -> np.ndarray:
        """The file's line numbers of the first ``n`` body records (one line per record)."""
        return np.arange(n, dtype="int64") + self.h + 2

    def lines_in_body(self) -> int:
        """Lines below the header (the last one with or without its line end)."""
        body = self.body
        return int(np.count_nonzero(np.frombuffer(body, dtype=np.uint8) == 10)) + (0 if body[-1:] == b"\n" else 1)


def plain_head(path: Path, header_of, *, delimiter: str | None = None, encoding: str | None = None) -> PlainText | None:
    """The head of a plain UTF-8 file of one header row and one line per record, decoded in Python for the
    delimiter and the header (:func:`head_text`, :func:`sniff_delimiter`, :func:`head_grid`, ``header_of(grid)``
    → 0-based header record); ``None`` whenever the general path could read the file differently or explain it
    better: another encoding, CR or mixed line ends, a quote in the title block, a header that is not distinct
    non-empty names (2 to 200 of them), no body."""
    if encoding not in (None, "utf-8", "utf8", "utf-8-sig", "utf_8"):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    text = head_text(data)
    if text is None or not text.strip():
        return None
    skip = 3 if bom else 0
    cr = b"\r" in data
    if cr and data.count(b"\r") != data.count(b"\r\n"):
        return None  # CR-only or stray CRs: normalise_newlines decides what they are
    sep = delimiter or sniff_delimiter(_head_lines(text, 80), suffix=path.suffix.lower())
    grid = head_grid(text, sep, 60)
    h = header_of(grid)
    lines = _head_lines(text, h + 1)
    if len(lines) <= h or any('"' in ln for ln in lines[: h + 1]):
        return None
    header = next(csv.reader([lines[h]], delimiter=sep), [])
    if not 2 <= len(header) <= 200 or any(not c.strip() for c in header) or len(set(header)) != len(header):
        return None
    start = skip
    for _ in range(h + 1):  # past the header line
        start = data.find(b"\n", start) + 1
        if start == 0:
            return None  # a header and nothing below it: the general path says so
    body = memoryview(data)[start:]  # (a view: no copy of the file)
    if not body or bytes(body[:4096]).isspace() and bytes(body).isspace():
        return None
    return PlainText(data, body, grid, h, header, "utf-8-sig" if bom else "utf-8", sep)


def arrow_body(plain: PlainText, column_types: dict, *, true_values=None, false_values=None):
    """The body of a :func:`plain_head` file read by pyarrow's multi-threaded CSV reader with the given
    column types (empty cell → null), or ``None`` when pyarrow refuses it (a row of another width, bytes that
    are not UTF-8, a cell that does not convert to its column's type) or when a record does not sit on one
    line (an empty line, which pyarrow drops, or a quoted newline): the caller then reads it another way."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    body = plain.body
    opts = dict(null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True)
    if true_values is not None:
        opts.update(true_values=list(true_values), false_values=list(false_values))
    try:
        # newlines_in_values=False (a third faster): a quoted newline makes a record span lines, which the
        # row count below catches (or pyarrow refuses the split record), and the general path reads the file
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            # blocks of about a core's share of the file: each chunk costs every later column pass its overhead
            read_options=pacsv.ReadOptions(column_names=plain.header, use_threads=True, block_size=min(max(1 << 20, len(body) // (os.cpu_count() or 1) + 1), 1 << 26)),
            parse_options=pacsv.ParseOptions(delimiter=plain.sep, newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types=column_types, **opts),
        )
    except Exception:  # noqa: BLE001 - any refusal (width, encoding, a cell of another type)
        return None
    if table.num_rows != plain.lines_in_body():
        return None  # an empty line (pyarrow drops it) or a quoted newline: the general path numbers the rows
    return table


def read_plain(path: Path, header_of, *, delimiter: str | None = None, encoding: str | None = None, plain: PlainText | None = None):
    """The fast path for the common export, a plain UTF-8 file of one header row and one line per record
    (:func:`plain_head`): the body read from the bytes by pyarrow's multi-threaded CSV reader
    (:func:`arrow_body`), every cell as text (empty → NA), exactly as :func:`read_body` reads it.

    Returns ``(grid, header_index, frame, lines, encoding, delimiter)``, or ``None`` whenever the general path
    could read the file differently or explain it better (see :func:`plain_head` and :func:`arrow_body`).
    ``plain``: the file's head, when the caller has read it already."""
    plain = plain or plain_head(path, header_of, delimiter=delimiter, encoding=encoding)
    if plain is None:
        return None
    import pyarrow as pa

    table = arrow_body(plain, {c: pa.large_string() for c in plain.header})
    if table is None:
        return None
    frame = table.to_pandas(types_mapper=_arrow_text)  # (large_string: what pandas holds, so no cast)
    return plain.grid, plain.h, frame, plain.rows(len(frame)), plain.encoding, plain.sep


def _arrow_text(t):
    import pyarrow as pa

    return pd.StringDtype("pyarrow", na_value=np.nan) if t in (pa.string(), pa.large_string()) else None


def read_body(text: str, sep: str, header_index: int, where: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells below the header record ``header_index`` (0-based) as text, and each row's file line number."""
    lines_before = 0
    # the header record's own line: count records before it (they never hold quoted newlines in practice,
    # but count properly when a quote appears in the title block)
    head = _head_lines(text, header_index + 200)
    if any('"' in ln for ln in head[: header_index + 1]):
        rl = record_lines("\n".join(head), sep, 0)
        header_line = int(rl[header_index]) if header_index < len(rl) else header_index + 1
    else:
        header_line = header_index + 1
    lines_before = header_line - 1
    fast = _arrow_read(text, sep, header_line)
    if fast is not None:
        return fast
    opts = dict(sep=sep, skiprows=lines_before, dtype=str, keep_default_na=False, na_values=[""], skip_blank_lines=False, index_col=False, engine="c")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), header=0, **opts)
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            frame = _wider_rows(text, sep, lines_before, frame, opts, where)
    except pd.errors.ParserError as exc:
        raise LedgerError(_parser_message(str(exc), text, sep, lines_before, where)) from None
    except pd.errors.EmptyDataError:
        raise LedgerError(f"{where} has a header row but no rows below it.") from None
    # a trailing delimiter on every row: pandas gave an extra unnamed, empty column or dropped it already
    frame = frame.loc[:, ~(frame.columns.astype(str).str.match(r"^Unnamed: \d+$") & frame.isna().all().to_numpy())] if len(frame.columns) else frame
    # line numbers: the fast path when no record spans lines
    body_text_lines = text.count("\n") + (0 if text.endswith("\n") else 1) - header_line
    if len(frame) == body_text_lines or '"' not in text:
        rows = np.arange(len(frame), dtype="int64") + header_line + 1
    else:
        starts = record_lines(text, sep, 0)
        # records: title block + header + body (pandas keeps blank lines as rows with skip_blank_lines=False)
        first = int(np.searchsorted(starts, header_line, side="right"))
        rows = starts[first : first + len(frame)]
        if len(rows) < len(frame):  # pragma: no cover - defensive
            rows = np.concatenate([rows, np.arange(len(frame) - len(rows)) + (rows[-1] + 1 if len(rows) else header_line + 1)])
    return frame, rows


def _arrow_read(text: str, sep: str, header_line: int) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The body read by pyarrow's multi-threaded CSV reader (about 3x pandas' C parser for text columns) when
    that cannot change what is read: no empty lines (pyarrow drops them, which would shift line numbers), an
    even number of quote characters on every line (so no record spans lines), a header of distinct, non-empty names, and every row as
    wide as the header (pyarrow refuses the rest; the C parser then reads the file and explains)."""
    start = _offset_of_line(text, header_line - 1)
    body = text[start:]
    if re.search(r"\n[ \t]*\n", body.rstrip("\n")) or body.startswith("\n"):
        return None
    if '"' in body and any(ln.count('"') % 2 for ln in body.split("\n") if '"' in ln):
        return None  # an odd number of quotes on a line: a value spans lines (or a quote never closes)
    header = next(csv.reader([body[: body.find("\n")] if "\n" in body else body], delimiter=sep))
    if not header or len(header) > 200 or any(not h.strip() for h in header) or len(set(header)) != len(header):
        return None  # (pandas converts pyarrow's columns one by one: slower than the C parser past ~200)
    try:
        frame = pd.read_csv(io.BytesIO(body.encode("utf-8")), sep=sep, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow")
    except Exception:  # noqa: BLE001 - any refusal: the C parser reads it and says what is wrong
        return None
    if list(frame.columns) != header:
        return None
    return frame, np.arange(len(frame), dtype="int64") + header_line + 1


def _wider_rows(text: str, sep: str, lines_before: int, frame: pd.DataFrame, opts: dict, where: str) -> pd.DataFrame:
    """Rows with more fields than the header: all-empty extra fields (a trailing delimiter on every row) are
    dropped; a non-empty one is an error naming its line."""
    header = list(frame.columns)
    width = max(len(r) for r in csv.reader(io.StringIO(text[_offset_of_line(text, lines_before):], newline=""), delimiter=sep))
    names = header + [f"_extra_{i}" for i in range(width - len(header))]
    wide = pd.read_csv(io.StringIO(text), header=None, names=names, **{**opts, "skiprows": lines_before + 1})
    extra = wide[names[len(header):]]
    filled = extra.notna() & extra.apply(lambda c: c.str.strip().ne(""))
    if filled.to_numpy().any():
        i = int(np.flatnonzero(filled.any(axis=1).to_numpy())[0])
        line = lines_before + 2 + i  # approximate when earlier records hold quoted newlines
        name = delimiter_name(sep)
        raise LedgerError(
            f"{where}, line {line}: more fields than the header (line {lines_before + 1}) has {len(header)} when split at each {name}; "
            f"a value holding a {name} must be in double quotes, or set delimiter: in the mapping if {name} is not the delimiter."
        )
    return wide[header]


def _offset_of_line(text: str, n: int) -> int:
    pos = 0
    for _ in range(n):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return len(text)
    return pos


def _parser_message(msg: str, text: str, sep: str, lines_before: int, where: str) -> str:
    """pandas' tokenizer error as a sentence: the file's own line, what looked wrong, what to set."""
    msg = msg.strip().split("\n")[0]
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    name = delimiter_name(sep)
    if m:
        want, rel, saw = int(m.group(1)), int(m.group(2)), int(m.group(3))
        line = lines_before + rel
        return (
            f"{where}, line {line}: {saw} fields where the header (line {lines_before + 1}) has {want} when split at each {name}; "
            f"a value holding a {name} must be in double quotes, or set delimiter: in the mapping if {name} is not the delimiter."
        )
    if "EOF inside string" in msg or "EOF inside" in msg:
        m2 = re.search(r"starting at row (\d+)", msg)
        at = f", line {lines_before + int(m2.group(1)) + 1}" if m2 else ""
        return f"{where}{at}: a double quote opens a value that never closes before the end of the file; close the quote or set delimiter:/quoting in the export."
    return f"{where} could not be read as {name}-separated text ({msg}); set delimiter: and encoding: in the mapping."
