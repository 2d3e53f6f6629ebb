"""Fuzzing the reading layer: random bytes, random cells, random layouts and encodings, as CSV, XLSX and
Parquet, through ``load_ledger`` and ``arkit validate`` (in-process).

What must hold for every file: no exception but :class:`LedgerError` (one line), and when the file loads,
every row read is accounted for (accepted + quarantined + duplicates dropped), every quarantine entry names
a row of the file, and nothing accepted is out of range. Bounded examples and no deadline: ~30 s in all.
"""

from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arkit
from arkit import parse
from arkit.cli import main
from arkit.errors import LedgerError

import os

#: examples per test: 40 in CI (~20 s in all); ARKIT_FUZZ_EXAMPLES=2000 for a long hunt (random seed then)
EXAMPLES = int(os.environ.get("ARKIT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize="ARKIT_FUZZ_EXAMPLES" not in os.environ)

CANON = ["customer_id", "invoice_id", "invoice_date", "due_date", "amount", "currency", "open_amount", "paid_date", "customer_name", "disputed", "terms"]

NASTY_TEXT = [
    "", " ", "NA", "null", "-", "n/a", "None", "—", "nan", "NaT", "=1+1", "x;=1+1", "+1", "@SUM(A1)", "\t", "\r", "\n", '"', '""', "'",
    "9999-12-31", "0001-01-01", "2026-06-30 garbage", "2026", "45", "2958465", "1e20", "99999999999999999999", "inf", "-inf",
    "(1,234.56)", "1.234", "1.234,56", "1,234.56 CR", "$-5", "2026-02-30", "13/13/2026", "06/30/2026", "30.06.2026",
    "\x1b[2J", "\u202e", "\ufeff", "\x00", "http://evil.example", "a@b.c", "$\\undefinedmacro$", "Müller", "東京", "😀",
    "x" * 300, "usd", "USD", "EUR", "yes", "No",
]
cell_text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12), st.from_regex(r"-?\d{1,13}(\.\d{1,3})?", fullmatch=True))


def _assert_accounted(led, path=None, max_row=None):
    s = led.load_report.summary
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_quarantined"] + s["duplicates_dropped"]).all(), s
    q = led.load_report.quarantine
    if max_row is not None and len(q):
        assert q["row"].dropna().astype(int).between(1, max_row).all(), q
    inv = led.invoices
    if len(inv):
        assert inv["amount"].abs().le(parse.MAX_AMOUNT).all()
        assert inv["invoice_date"].between(parse.MIN_DATE, parse.MAX_DATE).all()


def _load(path, **kw):
    """load_ledger; the only acceptable failure is a LedgerError with a one-line message naming something."""
    try:
        led = arkit.load_ledger(path, **kw)
    except LedgerError as exc:
        msg = str(exc)
        assert msg and "Traceback" not in msg
        return None
    return led


# ---------------------------------------------------------------------------------------- random bytes


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".parquet", ".xls", ".ods"]))
def test_random_bytes_never_crash(tmp_path_factory, data, suffix):
    p = tmp_path_factory.mktemp("bytes") / f"f{suffix}"
    p.write_bytes(data)
    led = _load(p)
    if led is not None:
        _assert_accounted(led)


@FUZZ
@given(prefix=st.sampled_from([b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0"]), data=st.binary(max_size=400))
def test_random_bytes_behind_real_magic_numbers(tmp_path_factory, prefix, data):
    for suffix in (".xlsx", ".parquet", ".xls"):
        p = tmp_path_factory.mktemp("magic") / f"f{suffix}"
        p.write_bytes(prefix + data)
        _load(p)


# ---------------------------------------------------------------------------------------- random text tables


layouts = st.fixed_dictionaries(
    {
        "columns": st.lists(st.sampled_from(CANON + ["note", "Extra Col", "", "amount"]), min_size=1, max_size=9),
        "rows": st.lists(st.lists(cell_text, min_size=0, max_size=10), min_size=0, max_size=12),
        "sep": st.sampled_from([",", ";", "\t", "|"]),
        "newline": st.sampled_from(["\n", "\r\n", "\r"]),
        "encoding": st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
        "title_rows": st.integers(0, 2),
        "trailing_sep": st.booleans(),
        "quote_all": st.booleans(),
    }
)


def _csv_bytes(lay) -> tuple[bytes, int]:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=lay["sep"], lineterminator=lay["newline"], quoting=csv.QUOTE_ALL if lay["quote_all"] else csv.QUOTE_MINIMAL)
    for i in range(lay["title_rows"]):
        w.writerow([f"Report title {i}"])
    tail = [""] if lay["trailing_sep"] else []
    w.writerow(lay["columns"] + tail)
    for row in lay["rows"]:
        w.writerow(row + tail)
    text = buf.getvalue()
    lines = lay["title_rows"] + 1 + len(lay["rows"])
    return text.encode(lay["encoding"], errors="replace"), lines + text.count("\n") + text.count("\r") + 5


@FUZZ
@given(lay=layouts)
def test_random_csv_tables_load_or_refuse_in_one_line(tmp_path_factory, lay):
    data, max_row = _csv_bytes(lay)
    p = tmp_path_factory.mktemp("csv") / "ledger.csv"
    p.write_bytes(data)
    led = _load(p)
    if led is not None:
        _assert_accounted(led, max_row=max_row)


@FUZZ
@given(
    columns=st.lists(st.sampled_from(CANON + ["note"]), min_size=2, max_size=8, unique=True),
    cells=st.lists(
        st.lists(
            st.one_of(
                cell_text,
                st.integers(-(10**15), 10**15),
                st.floats(allow_nan=False, allow_infinity=False, width=64),
                st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
                st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)),
                st.booleans(),
                st.none(),
            ),
            max_size=8,
        ),
        max_size=10,
    ),
    start_row=st.integers(1, 4),
)
def test_random_workbooks(tmp_path_factory, columns, cells, start_row):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "invoices"
    for j, c in enumerate(columns, 1):
        ws.cell(row=start_row, column=j, value=c)
    for i, row in enumerate(cells, start_row + 1):
        for j, v in enumerate(row, 1):
            if isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)
            try:
                ws.cell(row=i, column=j, value=v)
            except (ValueError, TypeError):
                ws.cell(row=i, column=j, value=str(v))
    p = tmp_path_factory.mktemp("xlsx") / "ledger.xlsx"
    wb.save(p)
    led = _load(p)
    if led is not None:
        _assert_accounted(led, max_row=start_row + len(cells) + 1)


@FUZZ
@given(
    amounts=st.lists(st.one_of(st.floats(width=64), st.integers(-(2**62), 2**62).map(float)), min_size=1, max_size=12),
    dates=st.lists(st.one_of(st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31)), st.none()), min_size=1, max_size=12),
    currency=st.lists(st.sampled_from(["USD", "usd", "EUR", None, "", " USD "]), min_size=1, max_size=12),
)
def test_random_parquet_values(tmp_path_factory, amounts, dates, currency):
    n = min(len(amounts), len(dates), len(currency))
    df = pd.DataFrame(
        {
            "customer_id": ["A"] * n,
            "invoice_id": [str(i) for i in range(n)],
            "invoice_date": pd.Series(dates[:n], dtype="datetime64[ns]"),
            "due_date": pd.Series(dates[:n], dtype="datetime64[ns]"),
            "amount": amounts[:n],
            "currency": currency[:n],
        }
    )
    p = tmp_path_factory.mktemp("pq") / "ledger.parquet"
    df.to_parquet(p)
    led = _load(p)
    if led is not None:
        _assert_accounted(led, max_row=n)
        acc = led.load_report.summary.loc["invoices", "amount_accepted"]
        assert math.isfinite(acc)
        fine = [a for a, d in zip(amounts[:n], dates[:n]) if d is not None and math.isfinite(a) and abs(a) <= parse.MAX_AMOUNT]
        assert led.load_report.summary.loc["invoices", "rows_accepted"] <= len(fine)


# ---------------------------------------------------------------------------------------- the CLI


@settings(max_examples=max(EXAMPLES // 2, 10), deadline=None, suppress_health_check=list(HealthCheck), derandomize="ARKIT_FUZZ_EXAMPLES" not in os.environ)
@given(lay=layouts)
def test_validate_in_process_is_exit_0_1_or_2_with_one_line(tmp_path_factory, lay):
    data, _ = _csv_bytes(lay)
    d = tmp_path_factory.mktemp("cli")
    p = d / "ledger.csv"
    p.write_bytes(data)
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(p), "--quarantine", str(d / "q.csv")])
    assert code in (0, 1, 2)
    e = err.getvalue()
    assert "unexpected error" not in e and "Traceback" not in e, e
    if code == 2:
        assert e.startswith("arkit: ") and e.count("\n") == 1, e
    shown = out.getvalue() + e
    assert "\x1b" not in shown and "\x00" not in shown
    if code == 1:
        q = pd.read_csv(d / "q.csv", dtype=str, keep_default_na=False)
        assert len(q) >= 1
