"""The arkit command line: exit codes, one-line errors, outputs formatted and safe."""

import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from arkit.cli import main
from tests.ledgers import EXAMPLE_INVOICES, EXAMPLE_PAYMENTS, invoices, payments


@pytest.fixture
def ledger_dir(tmp_path):
    d = tmp_path / "ledger"
    d.mkdir()
    inv = invoices(EXAMPLE_INVOICES)
    inv["customer_name"] = inv["customer_id"].map({"A": '=HYPERLINK("http://x","pay")', "B": "<b>Bold</b> Ltd"})
    inv.to_csv(d / "invoices.csv", index=False)
    payments(EXAMPLE_PAYMENTS).to_csv(d / "payments.csv", index=False)
    return d


def test_validate_ok_is_exit_0(ledger_dir, capsys):
    assert main(["validate", str(ledger_dir)]) == 0
    assert "accepted" in capsys.readouterr().out


def test_validate_quarantine_is_exit_1_and_writes_file(ledger_dir, tmp_path, capsys):
    with open(ledger_dir / "invoices.csv", "a") as fh:
        fh.write("C,BAD,2026-02-30,2026-03-01,10,USD,C Ltd\n")
    q = tmp_path / "q.csv"
    assert main(["validate", str(ledger_dir), "--quarantine", str(q)]) == 1
    df = pd.read_csv(q)
    assert df["row"].tolist() == [7] and df["column"].tolist() == ["invoice_date"]


def test_unusable_input_is_exit_2_one_line_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "arkit.cli", "validate", str(tmp_path / "nope.xlsx")], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "does not exist" in r.stderr and "Traceback" not in r.stderr


def test_bad_argument_is_exit_2(ledger_dir, capsys):
    with pytest.raises(SystemExit) as e:
        main(["aging", str(ledger_dir), "--as-of", "someday"])
    assert e.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_aging_by_customer_to_xlsx_is_formatted_and_text_stays_text(ledger_dir, tmp_path):
    out = tmp_path / "aging.xlsx"
    assert main(["aging", str(ledger_dir), "--as-of", "2026-03-31", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header == ["customer_id", "customer_name", "current", "1-30", "31-60", "61-90", "91+", "credits", "total"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert ws["B2"].value == '=HYPERLINK("http://x","pay")' and ws["B2"].data_type == "s"
    assert ws["I2"].value == 1000.0 and "#,##0.00" in ws["I2"].number_format
    assert ws["H3"].value == -124.5


def test_aging_by_invoice_csv_defuses_formulas(ledger_dir, tmp_path):
    out = tmp_path / "items.csv"
    assert main(["aging", str(ledger_dir), "--as-of", "2026-03-31", "--by", "invoice", "--buckets", "15,45", "--out", str(out)]) == 0
    text = out.read_text()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    df = pd.read_csv(out)
    assert set(df["bucket"]) <= {"current", "1-15", "16-45", "46+"}
    assert round(df["open_amount"].sum(), 2) == 875.50


def test_kpis_parquet(ledger_dir, tmp_path):
    out = tmp_path / "k.parquet"
    assert main(["kpis", str(ledger_dir), "--start", "2026-01", "--end", "2026-04", "--out", str(out)]) == 0
    k = pd.read_parquet(out).set_index("period_end")
    assert k.loc["2026-03-31", "open_ar"] == 875.50


def test_sample_and_validate_round_trip(tmp_path):
    out = tmp_path / "s.xlsx"
    assert main(["sample", str(out), "--invoices", "600", "--seed", "3", "--as-of", "2026-06-30"]) == 0
    assert main(["validate", str(out)]) == 0


def test_demo_writes_tables_and_renders_reports(tmp_path):
    from arkit.demo import run_demo

    files = run_demo(tmp_path / "demo", n_invoices=800, as_of="2026-06-30", quiet=True)
    assert {"ledger", "aging", "kpis", "load_report"} <= set(files)
    k = pd.read_csv(files["kpis_csv"])
    assert len(k) == 24 and k["period_end"].iloc[-1] == "2026-06-30"
    assert (tmp_path / "2026-06" / "monthly-review.html").exists()
    assert (tmp_path / "2026Q2" / "policy-review.html").exists()
    assert "monthly-review.html" in (tmp_path / "index.html").read_text()


def test_last_complete_quarter():
    from arkit.demo import last_complete_quarter

    assert [last_complete_quarter(d) for d in ("2026-09-30", "2026-10-31", "2026-01-15")] == ["2026Q3", "2026Q3", "2025Q4"]
