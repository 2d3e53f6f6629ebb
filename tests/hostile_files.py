"""Builders of hostile workbooks (kept as code: a zip bomb is small as a recipe, not as a file)."""

from __future__ import annotations

import zipfile
from pathlib import Path

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _wb(date1904: bool) -> str:
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS}>{pr}<sheets><sheet name="invoices" sheetId="1" r:id="rId1"/></sheets></workbook>'


def _cell(ref: str, v) -> str:
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
    return f'<c r="{ref}"><v>{v}</v></c>'


HEADER = ["customer_id", "invoice_id", "invoice_date", "due_date", "amount"]


def write_workbook(path: Path, sheet_xml_parts, *, dimension: str | None = None, date1904: bool = False) -> Path:
    """A minimal .xlsx whose sheet XML is the concatenation of ``sheet_xml_parts`` (an iterable of str, so a
    huge sheet streams into the zip without being held in memory)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _wb(date1904))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}>{dim}<sheetData>'.encode())
            for part in sheet_xml_parts:
                fh.write(part.encode())
            fh.write(b"</sheetData></worksheet>")
    return path


def rows_xml(rows, start: int = 1):
    for i, row in enumerate(rows, start):
        yield f'<row r="{i}">' + "".join(_cell(f"{chr(65 + j)}{i}", v) for j, v in enumerate(row)) + "</row>"


def far_cell(path: Path, *, dimension: bool) -> Path:
    """A valid small ledger plus one cell at XFD1048576 (calamine would allocate 17 billion cells)."""
    parts = list(rows_xml([HEADER, ["A", "1", 46022, 46053, 10]]))
    parts.append('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    return write_workbook(path, parts, dimension="A1:XFD1048576" if dimension else None)


def bomb(path: Path, rows: int) -> Path:
    """A ledger sheet of ``rows`` identical rows without row numbers (allowed: they count by position),
    ~110 bytes of XML each: deflates several hundred to one. No dimension element."""
    row = '<row><c t="inlineStr"><is><t>A</t></is></c><c><v>1</v></c><c><v>46022</v></c><c><v>46053</v></c><c><v>10</v></c></row>'
    block = row * 10_000

    def gen():
        yield from rows_xml([HEADER])
        for _ in range(rows // 10_000):
            yield block

    return write_workbook(path, gen())
