"""Values in range: each impossible amount, rate or date is quarantined on its own row with its reason (never
a whole file refused for one value, never accepted); currency codes ignore case; extra columns count."""

from __future__ import annotations

import datetime as dt
from textwrap import dedent

import numpy as np
import openpyxl
import pandas as pd
import pytest

import arkit
from arkit import parse
from arkit.errors import ConfigError, LedgerError

HEAD = "customer_id,invoice_id,invoice_date,due_date,amount,currency\n"


def _load(tmp_path, body: str, **kw):
    p = tmp_path / "in.csv"
    p.write_text(HEAD + dedent(body).strip() + "\n", encoding="utf-8")
    return arkit.load_ledger(p, **kw)


def _accounted(led):
    s = led.load_report.summary
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_quarantined"] + s["duplicates_dropped"]).all()
    return led


def _problems(led) -> dict[int, tuple[str, str]]:
    q = led.load_report.quarantine
    return {int(r.row): (r.column, r.problem) for r in q.itertuples()}


@pytest.mark.parametrize(
    "cell,problem",
    [
        ("9999-12-31", "date 9999-12-31 is outside 1900-01-01 … 2200-12-31"),
        ("0001-01-01", "date 0001-01-01 is outside 1900-01-01 … 2200-12-31"),
        ("1899-12-31", "date 1899-12-31 is outside 1900-01-01 … 2200-12-31"),
        ("2201-01-01", "date 2201-01-01 is outside 1900-01-01 … 2200-12-31"),
        ("2958465", "date serial 2958465 (9999-12-31) is outside 1900-01-01 … 2200-12-31"),
        ("2026", "'2026' is a year, not a date"),
        ("45", "'45' is a number, not a date (Excel date serials are read from 10,000 on)"),
        ("2026-06-30 garbage", "text after the date in '2026-06-30 garbage'"),
        ("06/30/2026 x", "unparseable date '06/30/2026 x'"),
    ],
)
def test_a_bad_date_quarantines_its_row_only(tmp_path, cell, problem):
    led = _accounted(_load(tmp_path, f"A,1,2026-01-01,2026-01-31,10,USD\nA,2,{cell},2026-12-31,20,USD\nA,3,2026-02-01,2026-03-03,30,USD"))
    assert _problems(led) == {3: ("invoice_date", problem)}
    assert led.invoices["invoice_id"].tolist() == ["1", "3"]


def test_a_time_of_day_is_not_junk(tmp_path):
    led = _load(tmp_path, "A,1,2026-01-01 10:30,2026-01-31T00:00:00Z,10,USD\nA,2,01/15/2026 9:00 AM,2026-02-14 23:59:59.5,10,USD")
    assert _problems(led) == {}
    assert led.invoices["invoice_date"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-15")]


@pytest.mark.parametrize(
    "cell,problem",
    [
        ("1e20", "amount '1e20' is outside ±1,000,000,000,000 (not a real amount)"),
        ("99999999999999999999", "amount '99999999999999999999' is outside ±1,000,000,000,000 (not a real amount)"),
        ("-1000000000000.01", "amount '-1000000000000.01' is outside ±1,000,000,000,000 (not a real amount)"),
        ("inf", "amount 'inf' is not a finite number"),
        ("-inf", "amount '-inf' is not a finite number"),
    ],
)
def test_an_impossible_amount_quarantines_its_row(tmp_path, cell, problem):
    led = _accounted(_load(tmp_path, f"A,1,2026-01-01,2026-01-31,10,USD\nA,2,2026-01-01,2026-01-31,{cell},USD"))
    assert _problems(led) == {3: ("amount", problem)}
    assert led.load_report.summary.loc["invoices", "amount_accepted"] == 10.0
    assert np.isfinite(led.load_report.summary.loc["invoices", "amount_read"])


def test_the_largest_amount_is_accepted_exactly(tmp_path):
    led = _load(tmp_path, "A,1,2026-01-01,2026-01-31,999999999999.99,USD\nA,2,2026-01-01,2026-01-31,-1000000000000,USD")
    assert _problems(led) == {}
    assert led.invoices["amount"].tolist() == [999999999999.99, -1e12]


def test_parquet_infinities_and_numbers_beyond_range(tmp_path):
    df = pd.DataFrame({"customer_id": ["A"] * 4, "invoice_id": ["1", "2", "3", "4"], "invoice_date": pd.to_datetime(["2026-01-01"] * 4),
                       "due_date": pd.to_datetime(["2026-01-31"] * 4), "amount": [10.0, np.inf, -np.inf, 1e20], "currency": "USD"})
    p = tmp_path / "in.parquet"
    df.to_parquet(p)
    led = _accounted(arkit.load_ledger(p))
    assert {r: c for r, (c, _) in _problems(led).items()} == {2: "amount", 3: "amount", 4: "amount"}
    assert led.load_report.summary.loc["invoices", "amount_read"] == 10.0


def test_sums_cannot_overflow_int64_cents(tmp_path):
    """100,000 rows at the limit add up past 2**62 cents: refused in one line, not a total with its sign flipped."""
    n = 100_000
    df = pd.DataFrame({"customer_id": "A", "invoice_id": np.arange(n).astype(str), "invoice_date": pd.Timestamp("2026-01-01"),
                       "due_date": pd.Timestamp("2026-01-31"), "amount": 1e12, "currency": "USD"})
    p = tmp_path / "big.parquet"
    df.to_parquet(p)
    with pytest.raises(LedgerError, match=r"amounts add up to more than 46,116,860,184,273,880, beyond what can be summed to the cent"):
        arkit.load_ledger(p)
    ok = df.head(9_000)  # 9e15: exact in int64 cents
    ok.to_parquet(p)
    led = arkit.load_ledger(p)
    assert led.load_report.summary.loc["invoices", "amount_accepted"] == 9_000 * 1e12


def test_excel_serials_and_out_of_range_date_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["customer_id", "invoice_id", "invoice_date", "due_date", "amount"])
    ws.append(["A", "1", 46022, 46053, 10])  # 2025-12-31, 2026-01-31 as plain serials
    ws.append(["A", "2", dt.datetime(9999, 12, 31), 46053, 10])
    ws.append(["A", "3", 2958465, 46053, 10])
    ws.append(["A", "4", 2026, 46053, 10])
    ws.append(["A", "5", 1e20, 46053, 1e20])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    led = _accounted(arkit.load_ledger(p))
    assert led.invoices["invoice_date"].tolist() == [pd.Timestamp("2025-12-31")]
    probs = _problems(led)
    assert probs[3] == ("invoice_date", "date 9999-12-31 is outside 1900-01-01 … 2200-12-31")
    assert probs[4] == ("invoice_date", "date serial 2958465 (9999-12-31) is outside 1900-01-01 … 2200-12-31")
    assert probs[5] == ("invoice_date", "'2026' is a year, not a date")
    q = led.load_report.quarantine
    assert sorted(q.loc[q["row"] == 6, "column"]) == ["amount", "invoice_date"]


def test_a_1904_workbook_reads_serials_from_1904(tmp_path):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["customer_id", "invoice_id", "invoice_date", "due_date", "amount"])
    ws.append(["A", "1", dt.date(2026, 6, 30), 45000, 10])  # a date cell and a plain serial
    ws["C2"].number_format = "yyyy-mm-dd"
    p = tmp_path / "mac.xlsx"
    wb.save(p)
    led = arkit.load_ledger(p)
    # 45000 days after 1904-01-01 (in the 1900 system it would be 2023-03-15, 1,462 days earlier)
    assert led.invoices["due_date"].tolist() == [pd.Timestamp("1904-01-01") + pd.Timedelta(days=45000)] == [pd.Timestamp("2027-03-16")]
    assert led.invoices["invoice_date"].tolist() == [pd.Timestamp("2026-06-30")]


def test_currency_codes_ignore_case(tmp_path):
    led = _accounted(_load(tmp_path, "A,1,2026-01-01,2026-01-31,10,usd\nA,2,2026-01-01,2026-01-31,20,USD\nA,3,2026-01-01,2026-01-31,5, Usd "))
    assert _problems(led) == {}
    assert led.invoices["currency"].tolist() == ["USD"] * 3


@pytest.mark.parametrize("rate", [".inf", "-1", "0", "'x'", ".nan"])
def test_a_rate_that_is_not_a_finite_positive_number_is_refused(tmp_path, rate):
    m = tmp_path / "m.yaml"
    m.write_text(f"currency:\n  base: usd\n  rates: {{eur: {rate}}}\n")
    with pytest.raises(ConfigError, match=r"currency\.rates(\.eur is inf; a rate must be a finite number above 0|' must map currency codes to positive numbers)"):
        _load(tmp_path, "A,1,2026-01-01,2026-01-31,10,USD\nA,2,2026-01-01,2026-01-31,10,EUR", source=str(m))


def test_lower_case_rates_and_base_convert(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("currency:\n  base: usd\n  rates: {eur: 1.5}\n")
    led = _accounted(_load(tmp_path, "A,1,2026-01-01,2026-01-31,10,USD\nA,2,2026-01-01,2026-01-31,10,eur", source=str(m)))
    assert led.invoices["amount"].tolist() == [10.0, 15.0] and led.invoices["currency"].tolist() == ["USD", "USD"]


def test_a_conversion_past_the_limit_is_quarantined(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("currency:\n  base: USD\n  rates: {JPY: 1000000}\n")
    led = _accounted(_load(tmp_path, "A,1,2026-01-01,2026-01-31,10,USD\nA,2,2026-01-01,2026-01-31,2000000,JPY", source=str(m)))
    assert _problems(led)[3][0] == "amount" and "after conversion is outside" in _problems(led)[3][1]


def test_rows_differing_only_in_an_extra_column_are_not_copies(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text(HEAD.strip() + ",note\nA,1,2026-01-01,2026-01-31,10,USD,first\nA,1,2026-01-01,2026-01-31,10,USD,second\nA,2,2026-01-01,2026-01-31,10,USD,same\nA,2,2026-01-01,2026-01-31,10,USD,same\n")
    led = _accounted(arkit.load_ledger(p))
    s = led.load_report.summary.loc["invoices"]
    assert (s["rows_accepted"], s["rows_quarantined"], s["duplicates_dropped"]) == (1, 2, 1)
    assert _problems(led)[2] == ("customer_id,invoice_id", "duplicate customer_id + invoice_id with different content (rows 2, 3)")
    assert _problems(led)[5] == ("customer_id,invoice_id", "exact duplicate of row 4 (one copy kept)")


def test_a_wide_export_is_read_linearly(tmp_path):
    """Time grows with the cells, not their square: 10,000 columns take about 5x what 2,000 take (it was
    115 s, quadratic: 25x). A ratio, so a busy machine does not fail it; bench/bench_hostile.py measures
    the absolute figure (under 2 s on a quiet machine)."""
    import time

    def timed(width: int) -> float:
        cols = ["customer_id", "invoice_id", "invoice_date", "due_date", "amount"] + [f"x{i}" for i in range(width - 5)]
        p = tmp_path / f"wide{width}.csv"
        p.write_text(",".join(cols) + "\n" + "".join(",".join(["A", str(r), "2026-01-01", "2026-01-31", "10"] + [f"v{r}"] * (width - 5)) + "\n" for r in range(2)))
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            led = _accounted(arkit.load_ledger(p))
            best = min(best, time.perf_counter() - t)
        assert led.load_report.summary.loc["invoices", "rows_accepted"] == 2 and led.invoices.shape[1] >= width
        return best

    small, big = timed(2_000), timed(10_000)
    assert big < 30, f"{big:.1f} s for 10,000 columns"
    assert big / small < 10, f"10,000 columns {big:.2f} s vs 2,000 columns {small:.2f} s: not linear"


def test_wide_hash_tells_rows_apart():
    from arkit.load import _content_hash

    t = pd.DataFrame([[1, "1", None] * 30, [1, "1", None] * 30, ["1", 1, None] * 30])
    t.columns = [f"c{i}" for i in range(90)]
    h = _content_hash(t, list(t.columns))
    assert h[0] == h[1] and h[0] != h[2]
