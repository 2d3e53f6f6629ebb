"""write_excel / write_csv / write_table: formats read back with openpyxl, injection safety, atomic writes."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from arkit.errors import LedgerError
from arkit.excel import MONEY_FORMAT, is_money_name, write_csv, write_excel, write_table
from arkit.snapshot import BUCKET_DTYPE

EVIL = '=HYPERLINK("http://x","pay")'


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": [EVIL, "Acme Ltd", "Zoë Café"],
            "invoice_date": pd.to_datetime(["2026-01-15", "2026-02-28", None]).astype("datetime64[ns]"),
            "open_amount": [1234.5, -175804.25, 0.0],
            "days_late": [3.0, 0.0, 12.0],
            "bucket": pd.Categorical(["1-30", "current", "91+"], dtype=BUCKET_DTYPE),
            "count": [1, 2, 3],
        }
    )


def _sheet(path: Path, name: str | None = None):
    wb = openpyxl.load_workbook(path)
    return wb[name] if name else wb.worksheets[0]


def _header_map(ws, row: int = 1) -> dict[str, int]:
    return {c.value: c.column for c in ws[row] if c.value is not None}


def test_formats_read_back(tmp_path):
    path = write_excel(tmp_path / "out.xlsx", {"Open items": _frame()})
    assert path == tmp_path / "out.xlsx" and path.is_file()
    ws = _sheet(path, "Open items")
    cols = _header_map(ws)
    assert list(cols) == ["customer", "invoice_date", "open_amount", "days_late", "bucket", "count"]

    head = ws["A1"]
    assert head.font.b is True
    assert head.fill.fgColor.rgb.endswith("DDEBF7")
    assert head.border.bottom.style == "thin"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F4"

    money = ws.cell(2, cols["open_amount"])
    assert money.value == 1234.5 and money.number_format == MONEY_FORMAT == "#,##0.00;[Red]-#,##0.00"
    assert ws.cell(3, cols["open_amount"]).value == -175804.25
    assert ws.cell(3, cols["open_amount"]).number_format == MONEY_FORMAT

    date = ws.cell(2, cols["invoice_date"])
    assert date.is_date and date.value == dt.datetime(2026, 1, 15)
    assert date.number_format == "yyyy-mm-dd"
    assert ws.cell(4, cols["invoice_date"]).value is None

    # days_late is a float but not money; an int column is never money by the automatic rule; neither is
    # left General: whole numbers get separators and no decimals
    assert ws.cell(2, cols["days_late"]).number_format == "#,##0"
    assert ws.cell(2, cols["count"]).number_format == "#,##0"
    # the ordered categorical arrives as text
    bucket = ws.cell(2, cols["bucket"])
    assert bucket.value == "1-30" and bucket.data_type == "s"
    assert ws.cell(4, cols["bucket"]).value == "91+"
    assert ws.cell(4, cols["customer"]).value == "Zoë Café"


def test_formula_text_stays_text(tmp_path):
    df = _frame()
    df[EVIL] = ["=1+1", "+SUM(A1)", "http://example.com"]
    path = write_excel(tmp_path / "evil.xlsx", {"s": df})
    ws = _sheet(path)
    cell = ws["A2"]
    assert cell.value == EVIL and cell.data_type == "s"
    header = ws.cell(1, 7)
    assert header.value == EVIL and header.data_type == "s"
    assert [ws.cell(r, 7).data_type for r in (2, 3, 4)] == ["s", "s", "s"]
    assert ws.cell(4, 7).hyperlink is None
    # and the reader arkit uses agrees
    back = pd.read_excel(path, engine="calamine")
    assert back.loc[0, "customer"] == EVIL


def test_column_widths_fit_and_cap(tmp_path):
    df = pd.DataFrame({"customer": ["x" * 200, "short"], "amount": [1.0, 2.0], "n": [1, 2]})
    ws = _sheet(write_excel(tmp_path / "w.xlsx", {"s": df}))
    assert 49 <= ws.column_dimensions["A"].width <= 51
    assert 8 <= ws.column_dimensions["B"].width <= 15


def test_index_written_only_when_meaningful(tmp_path):
    df = _frame()
    by_customer = df.set_index("customer")
    filtered = df[df["open_amount"] != 0]  # unnamed integer index left over from filtering
    pivot = (
        df.pivot_table(index="customer", columns="bucket", values="open_amount", aggfunc="sum", observed=False)
        .fillna(0.0)
    )
    path = write_excel(tmp_path / "i.xlsx", {"by_customer": by_customer, "filtered": filtered, "pivot": pivot})
    wb = openpyxl.load_workbook(path)
    assert wb["by_customer"]["A1"].value == "customer" and wb["by_customer"]["B1"].value == "invoice_date"
    assert wb["filtered"]["A1"].value == "customer" and wb["filtered"].max_row == 3
    piv = wb["pivot"]
    assert [c.value for c in piv[1]] == ["customer", "current", "1-30", "31-60", "61-90", "91+"]
    # aging bucket columns are money by the automatic rule
    assert piv["B2"].number_format == MONEY_FORMAT


def test_explicit_money_and_percent_columns(tmp_path):
    df = pd.DataFrame({"customer": ["a"], "exposure": [10.0], "late_share": [0.355], "weird": [5]})
    ws = _sheet(write_excel(tmp_path / "p.xlsx", {"s": df}, money_columns=["weird"], percent_columns=["late_share"]))
    assert ws["D2"].number_format == MONEY_FORMAT  # explicit list: exactly these, ints too
    assert ws["B2"].number_format == "#,##0"  # not money (the automatic rule is off when a list is given), not General
    assert ws["C2"].number_format == "0.0%" and ws["C2"].value == 0.355
    # without percent_columns a ratio is a plain number (two decimals), never General
    ws2 = _sheet(write_excel(tmp_path / "q.xlsx", {"s": df}))
    assert ws2["C2"].number_format == "#,##0.00" and ws2["B2"].number_format == MONEY_FORMAT


@pytest.mark.parametrize(
    "name, money",
    [
        ("amount", True),
        ("open_amount", True),
        ("total", True),
        ("Balance", True),
        ("credit_limit", True),
        ("91+", True),
        ("days_late", False),
        ("late_pct", False),
        ("dso", False),
        ("customer_name", False),
        ("invoice_count", False),
    ],
)
def test_money_name_rule(name, money):
    assert is_money_name(name) is money


def test_title_row(tmp_path):
    path = write_excel(tmp_path / "t.xlsx", {"s": _frame()}, title="A/R aging as of 2026-03-04")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "A/R aging as of 2026-03-04" and ws["A1"].font.b
    assert ws["A2"].value == "customer" and ws["A2"].font.b
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:F5"
    assert wb.properties.title == "A/R aging as of 2026-03-04"


def test_sheet_names_made_valid(tmp_path):
    path = write_excel(tmp_path / "n.xlsx", {"a/b:c*?": _frame(), "x" * 40: _frame(), "A/B:C*?": _frame()})
    assert openpyxl.load_workbook(path).sheetnames == ["a_b_c__", "x" * 31, "A_B_C__ (2)"]


def test_empty_frame_and_no_sheets(tmp_path):
    ws = _sheet(write_excel(tmp_path / "e.xlsx", {"s": _frame().iloc[0:0]}))
    assert ws["A1"].value == "customer" and ws.auto_filter.ref == "A1:F1" and ws.freeze_panes == "A2"
    with pytest.raises(LedgerError, match="no sheets to write"):
        write_excel(tmp_path / "none.xlsx", {})


def test_excel_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "keep.xlsx"
    write_excel(target, {"s": _frame()})
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    import arkit.excel

    monkeypatch.setattr(arkit.excel, "write_cells", boom)  # fails half-way through writing the cells
    with pytest.raises(RuntimeError, match="disk full"):
        write_excel(target, {"s": _frame()})
    with pytest.raises(RuntimeError, match="disk full"):
        write_excel(tmp_path / "new.xlsx", {"s": _frame()})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.xlsx"]


def test_missing_folder(tmp_path):
    with pytest.raises(LedgerError, match="does not exist"):
        write_excel(tmp_path / "no" / "x.xlsx", {"s": _frame()})


# -------------------------------------------------------------------------------------------------- CSV


def test_csv_defuses_formulas_but_not_numbers(tmp_path):
    df = pd.DataFrame(
        {
            "customer": [EVIL, "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "Acme", None, "Zoë"],
            "amount": [-175804.25, -1.5, 2.0, 3.0, 4.0, 5.0, -6.0, 7.0, 8.0],
            "mixed": ["=1", -4.0, None, "ok", 1, "-x", "a-b", "", " =x"],
        }
    )
    path = write_csv(tmp_path / "o.csv", df)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["customer", "amount", "mixed"]
    body = rows[1:]
    assert [r[0] for r in body] == ["'" + EVIL, "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "Acme", "", "Zoë"]
    assert [r[1] for r in body] == ["-175804.25", "-1.5", "2.0", "3.0", "4.0", "5.0", "-6.0", "7.0", "8.0"]
    assert [r[2] for r in body] == ["'=1", "-4.0", "", "ok", "1", "'-x", "a-b", "", " =x"]
    # the input frame is not modified
    assert df.loc[0, "customer"] == EVIL


def test_csv_header_index_dates_and_categoricals(tmp_path):
    df = _frame().set_index("customer")
    df["=bad header"] = 1
    path = write_csv(tmp_path / "h.csv", df)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "customer,invoice_date,open_amount,days_late,bucket,count,'=bad header"
    assert lines[1].startswith(f"\"'{EVIL.replace(chr(34), chr(34) * 2)}\",2026-01-15,1234.5,3.0,1-30,1,1")
    assert lines[3].startswith("Zoë Café,,0.0,12.0,91+,3")
    assert not text.startswith("\ufeff")


def test_csv_atomic(tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(LedgerError, match=r"x\.csv: cannot write the file \(disk full\)\.$"):
        write_csv(tmp_path / "x.csv", _frame())
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------------------------------------- write_table


def test_write_table_dispatch(tmp_path):
    df = _frame()
    csv_path = write_table(tmp_path / "t.csv", df)
    assert pd.read_csv(csv_path)["open_amount"].tolist() == [1234.5, -175804.25, 0.0]
    xlsx_path = write_table(tmp_path / "t.xlsx", df, sheet_name="Aging", money_columns=["open_amount"])
    assert openpyxl.load_workbook(xlsx_path).sheetnames == ["Aging"]
    pq = write_table(tmp_path / "t.parquet", df)
    back = pd.read_parquet(pq)
    assert back["open_amount"].tolist() == [1234.5, -175804.25, 0.0]
    assert back["bucket"].cat.ordered
    assert back.loc[0, "customer"] == EVIL  # parquet keeps data as data
    with pytest.raises(LedgerError, match=r"t\.txt: cannot write a \.txt file; name it \.csv, \.xlsx or \.parquet"):
        write_table(tmp_path / "t.txt", df)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet", "t.xlsx"]


def test_new_file_permissions_follow_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_csv(tmp_path / "perm.csv", _frame())
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------------------------------- real data


def test_real_snapshot_to_excel(real_data, tmp_path):
    from arkit.snapshot import load_snapshot

    src = real_data / "quickbooks-online-sandbox-exports" / "Sandbox_Company_US_2_ar_Aging_Summary_Report.csv"
    if not src.is_file():
        pytest.skip(f"{src} not found")
    snap = load_snapshot(src)
    path = write_excel(tmp_path / "snap.xlsx", {"snapshot": snap}, title=snap.attrs["company"])
    back = pd.read_excel(path, header=1, engine="calamine")
    assert list(back.columns) == ["as_of", "customer", "bucket", "amount"]
    assert round(back["amount"].sum(), 2) == -175804.25
    assert back["bucket"].tolist() == snap["bucket"].astype(str).tolist()
    ws = _sheet(path)
    assert ws["D3"].number_format == MONEY_FORMAT and ws["A3"].is_date


def test_no_number_is_left_in_general_format(tmp_path):
    """A float column nobody named still gets a number format (two decimals unless every value is whole),
    and stated kinds (arkit.columns) win: days one decimal, percent as a % of a fraction."""
    df = pd.DataFrame({"dso": [51.6607308097366, 40.0], "whole": [3.0, 4.0], "n": [1, 2], "share": [0.355, 0.5], "days": [2, 3]})
    path = write_excel(tmp_path / "k.xlsx", {"s": df}, kinds={"s": {"dso": "days", "share": "fraction", "days": "days"}})
    ws = _sheet(path)
    cols = _header_map(ws)
    fmt = {name: ws.cell(2, j).number_format for name, j in cols.items()}
    assert fmt == {"dso": "#,##0.0", "whole": "#,##0", "n": "#,##0", "share": "0.0%", "days": "#,##0"}
    assert ws.cell(2, cols["dso"]).value == pytest.approx(51.6607308097366)  # the value is kept, only shown rounded


def test_dates_of_any_unit_and_zone_are_excel_dates(tmp_path):
    """Seconds-unit dates past 2262 (an open-ended date), times of day, and a time zone (wall clock kept)."""
    import openpyxl

    df = pd.DataFrame(
        {
            "d": pd.Series(np.array(["2026-06-30", "2999-12-31", "NaT"], dtype="datetime64[s]")),
            "t": pd.to_datetime(["2026-06-30 12:30", None, "2026-01-01 00:00"]),
            "z": pd.to_datetime(["2026-06-30 12:00"] * 3).tz_localize("Europe/Berlin"),
        }
    )
    ws = openpyxl.load_workbook(write_excel(tmp_path / "d.xlsx", {"s": df}))["s"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [dt.datetime(2026, 6, 30), dt.datetime(2999, 12, 31), None]
    assert rows[0][1] == dt.datetime(2026, 6, 30, 12, 30) and rows[1][1] is None
    assert rows[2][2] == dt.datetime(2026, 6, 30, 12, 0)
    assert [c.number_format for c in ws[2]] == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm", "yyyy-mm-dd hh:mm"]


def test_cells_stored_directly_equal_the_public_calls(tmp_path, monkeypatch):
    """The direct store of typed cells writes the same workbook, part for part, as xlsxwriter's
    write_number / write_string / write_boolean (numbers, dates, flags, text with blanks and a long
    text, inf, a mixed column)."""
    import zipfile

    import numpy as np
    import pandas as pd

    from arkit import excel

    df = pd.DataFrame(
        {
            "amount": [1.5, np.nan, np.inf, -2.25],
            "due": pd.to_datetime(["2026-01-31", None, "2262-06-01", "2026-03-01"]),
            "flag": [True, False, None, True],
            "name": ["Ann", "", None, "x" * 20_000],
            "mixed": ["a", 2, pd.Timestamp("2026-01-01"), None],
        }
    )
    df["flag"] = df["flag"].astype("boolean")
    excel.write_excel(tmp_path / "fast.xlsx", {"s": df})
    monkeypatch.setattr(excel, "_store", lambda *a, **k: False)
    excel.write_excel(tmp_path / "public.xlsx", {"s": df})
    a, b = zipfile.ZipFile(tmp_path / "fast.xlsx"), zipfile.ZipFile(tmp_path / "public.xlsx")
    assert a.namelist() == b.namelist()
    assert [n for n in a.namelist() if n != "docProps/core.xml" and a.read(n) != b.read(n)] == []
