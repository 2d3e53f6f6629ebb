"""The Arrow shortcuts of arkit.parse (arkit._fastparse) give exactly what the general parsers give."""

import numpy as np
import pandas as pd
import pytest

from arkit import parse

ARROW = pd.StringDtype("pyarrow", na_value=np.nan)
N = 6000  # past by_value's 4096-row threshold


def _col(values, n=N):
    """``n`` cells cycling through ``values`` (None = empty), as the CSV reader returns them and as object."""
    cells = [values[i % len(values)] for i in range(n)]
    return pd.Series(pd.array(cells, dtype=ARROW)), pd.Series(cells, dtype=object)


def _same(fast, slow):
    (fv, fb), (sv, sb) = fast, slow
    pd.testing.assert_series_equal(fv.reset_index(drop=True), sv.reset_index(drop=True), check_dtype=False)
    assert fb.tolist() == sb.tolist()


@pytest.mark.parametrize("values", [
    ["2024-12-01", "2025-01-15", None],
    ["2024-02-30", "31/12/2024", "9999-12-31", " 2024-03-01 ", "45000", "2024-12-01 10:30", "NA", "", None, "2026"],
])
def test_dates_by_value(values):
    arrow, obj = _col(values)
    _same(parse.parse_dates(arrow), parse.parse_dates(obj))


@pytest.mark.parametrize("values", [["False", "True"], ["yes", "maybe", " N ", "1.0", None, "NA"]])
def test_bools_by_value(values):
    arrow, obj = _col(values)
    fv, fb = parse.parse_bools(arrow)
    sv, sb = parse.parse_bools(obj)
    assert fv.astype(object).where(fv.notna(), None).tolist() == sv.astype(object).where(sv.notna(), None).tolist()
    assert fb.tolist() == sb.tolist()


@pytest.mark.parametrize("values", [
    ["C00065", "INV-1", "Acme, Inc.", None],
    [" padded", "NA", "n/a", "—", "12345.0", "Café", "", None, "null", "Nancy"],
])
def test_strings_need_no_change_or_take_the_general_path(values):
    arrow, obj = _col(values)
    for fn in (parse.parse_ids, parse.parse_text):
        fv, fb = fn(arrow)
        sv, sb = fn(obj)
        assert fv.where(fv.notna(), None).tolist() == sv.where(sv.notna(), None).tolist()
        assert fb.tolist() == sb.tolist() == [False] * N


@pytest.mark.parametrize("values", [["530.0", "12.5", None, "-3", "1e3"], ["530.0", "nan", "inf", "1,234.50", "abc", "(5.00)", None]])
def test_amounts_cast(values):
    arrow, obj = _col(values)
    _same(parse.parse_amounts(arrow), parse.parse_amounts(obj))


def test_workbook_date_cells_convert_at_once_with_the_same_checks():
    """A column of Python dates/datetimes (calamine's date cells, blanks as NaN) converts in one step: time of
    day dropped, a date outside the supported range flagged, blanks not flagged; a text cell among them
    takes the cell-by-cell path and parses as before."""
    import datetime as dt

    import numpy as np

    from arkit import parse

    raw = pd.Series([dt.date(2026, 1, 2), np.nan, dt.datetime(2026, 3, 4, 13, 5), dt.date(1899, 12, 31)], dtype=object)
    v, bad = parse._parse_dates(raw, date_format=None, dayfirst=False, excel_serial=True, date1904=False)
    assert v.tolist()[0] == pd.Timestamp("2026-01-02") and pd.isna(v[1]) and v[2] == pd.Timestamp("2026-03-04") and pd.isna(v[3])
    assert bad.tolist() == [False, False, False, True]
    mixed = pd.Series([dt.date(2026, 1, 2), "2026-02-03"], dtype=object)
    v2, bad2 = parse._parse_dates(mixed, date_format=None, dayfirst=False, excel_serial=True, date1904=False)
    assert v2.tolist() == [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-02-03")] and not bad2.any()
