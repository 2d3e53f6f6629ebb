"""Resource limits before a workbook is read: refused in one sentence, in seconds, without building a grid."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import arkit
from arkit.errors import LedgerError
from arkit.limits import DEFAULT_LIMITS, check_workbook, limits_with
from tests.hostile_files import HEADER, bomb, far_cell, rows_xml, write_workbook

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("dimension", [True, False])
def test_a_cell_at_xfd1048576_is_refused_not_a_crash(tmp_path, dimension):
    p = far_cell(tmp_path / "far.xlsx", dimension=dimension)
    assert p.stat().st_size < 12_000
    with pytest.raises(LedgerError) as info:
        arkit.load_ledger(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}, sheet 'invoices', ") and "1,048,576 rows × 16,384 columns" in msg and "(max_cells)" in msg
    assert "limits={...}" in msg and "\n" not in msg


def test_the_cli_survives_it_too(tmp_path):
    """In a child process, so a regression (calamine's abort) fails this test instead of killing pytest."""
    p = far_cell(tmp_path / "far.xlsx", dimension=False)
    r = subprocess.run([sys.executable, "-m", "arkit.cli", "validate", str(p)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("arkit: ") and r.stderr.count("\n") == 1, r.stderr[-500:]


def test_a_zip_bomb_is_refused_in_seconds_and_little_memory(tmp_path):
    """~3.5 MB packed, ~1.1 GB of sheet XML (10M rows): refused while streaming, memory flat."""
    p = bomb(tmp_path / "bomb.xlsx", rows=10_000_000)
    assert p.stat().st_size < 8e6
    code = (
        "import resource, sys, time\n"
        "import arkit\n"
        "t = time.perf_counter()\n"
        "try:\n    arkit.load_ledger(sys.argv[1])\nexcept arkit.LedgerError as e:\n    print(e)\n"
        "print(time.perf_counter() - t)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    msg, seconds, rss_kb = r.stdout.strip().splitlines()
    assert "(max_cells)" in msg or "(max_unpacked_bytes" in msg, msg
    assert float(seconds) < 30, seconds  # a few seconds on a quiet machine
    assert int(rss_kb) < 1_000_000, rss_kb  # under 1 GB


def test_rows_without_numbers_count_by_position_while_streaming(tmp_path):
    p = bomb(tmp_path / "b.xlsx", rows=300_000)
    with pytest.raises(LedgerError, match=r"sheet 'invoices', holds [0-9,]+ cells in [0-9,]+ rows, over the limit of 1,000,000 \(max_cells\)"):
        check_workbook(p, limits={"max_cells": 1_000_000, "max_ratio": 10_000})


def test_declared_sizes_and_ratios_are_checked_from_the_directory(tmp_path):
    p = bomb(tmp_path / "b.xlsx", rows=200_000)
    with pytest.raises(LedgerError, match=r"unpacks to .* MB, over the limit of 1 MB \(max_unpacked_bytes\)"):
        check_workbook(p, limits={"max_unpacked_bytes": 2**20})
    with pytest.raises(LedgerError, match=r"packed .* to 1 \(a zip bomb\?\), over the limit of 2 to 1 \(max_ratio\)"):
        check_workbook(p, limits={"max_ratio": 2})


def test_a_normal_workbook_passes_and_limits_can_be_raised(tmp_path):
    rows = [HEADER] + [["A", str(i), 46022, 46053, 10] for i in range(1, 1001)]
    p = write_workbook(tmp_path / "ok.xlsx", rows_xml(rows), dimension="A1:E1001")
    assert not check_workbook(p).date1904
    with pytest.raises(LedgerError, match=r"declares 1,001 rows × 5 columns = 5,005 cells, over the limit of 5,000"):
        arkit.load_ledger(p, limits={"max_cells": 5000})
    led = arkit.load_ledger(p, limits={"max_cells": 6000})
    assert led.load_report.summary.loc["invoices", "rows_accepted"] == 1000


def test_the_1904_flag_is_read(tmp_path):
    # 2026-01-01 is serial 46023 in the 1900 system; the 1904 system starts 1,462 days later: 44561
    p = write_workbook(tmp_path / "mac.xlsx", rows_xml([HEADER, ["A", "1", 44561, 44592, 10]]), date1904=True)
    assert check_workbook(p).date1904
    led = arkit.load_ledger(p)
    assert led.invoices["invoice_date"].tolist() == [pd.Timestamp("2026-01-01")]


def test_limit_options_are_checked():
    assert limits_with(None) == DEFAULT_LIMITS
    with pytest.raises(LedgerError, match="unknown limit 'max_rows'"):
        limits_with({"max_rows": 5})
    with pytest.raises(LedgerError, match="limit max_cells must be a positive number"):
        limits_with({"max_cells": -1})


def test_a_broken_zip_is_one_sentence(tmp_path):
    p = tmp_path / "broken.xlsx"
    good = write_workbook(tmp_path / "g.xlsx", rows_xml([HEADER]))
    data = good.read_bytes()
    p.write_bytes(data[: len(data) // 2] + b"\0" * 100 + data[len(data) // 2 + 100 :])
    with pytest.raises(LedgerError, match=r"is not a readable Excel workbook"):
        arkit.load_ledger(p)
