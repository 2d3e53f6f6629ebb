"""Report layouts (arkit/_layout.py): group headers, checked subtotals and totals, debit/credit columns,
sign indicators, excluded rows; each figure hand-computed."""

import textwrap

import pytest

import arkit
from arkit import LedgerError

REPORT = """
    Open items by customer
    As of Oct 31, 2026

    Date,Number,Due,Amount
    Acme Ltd
    2026-10-01,1,2026-10-31,100.00
    2026-10-02,2,2026-11-01,"(25.50)"
    Total Acme Ltd,,,74.50
    Beta plc
    2026-09-01,3,2026-10-01,$1000.00
    Total Beta plc,,,"1,000.00"
    Total,,,"1,074.50"
"""
MAP = """
    layout: {group_header: {column: [customer_id, customer_name]}}
    tables: {invoices: {columns: {Date: invoice_date, Number: invoice_id, Due: due_date, Amount: amount}}}
"""


def files(tmp_path, report=REPORT, mapping=MAP):
    f = tmp_path / "r.csv"
    f.write_text(textwrap.dedent(report).lstrip("\n"))
    m = tmp_path / "m.yaml"
    m.write_text(textwrap.dedent(mapping))
    return f, m


def test_group_headers_fill_the_customer_and_totals_are_checked(tmp_path):
    f, m = files(tmp_path)
    led = arkit.load_ledger(f, source=m)
    inv = led.invoices
    assert inv["customer_id"].tolist() == ["Acme Ltd", "Acme Ltd", "Beta plc"]
    assert inv["amount"].tolist() == [100.0, -25.5, 1000.0]
    r = led.load_report.summary.loc["invoices"]
    assert (r["rows_read"], r["rows_accepted"], r["rows_skipped"]) == (8, 3, 5)
    totals = led.load_report.sources["invoices"]["totals"]
    assert [(t["row"], t["printed"], t["kind"]) for t in totals] == [(8, 74.5, "subtotal"), (11, 1000.0, "subtotal"), (12, 1074.5, "total")]
    assert led.load_report.sources["as_of"].strftime("%Y-%m-%d") == "2026-10-31"


def test_subtotal_mismatch_is_one_line_naming_the_row(tmp_path):
    f, m = files(tmp_path, REPORT.replace("Total Acme Ltd,,,74.50", "Total Acme Ltd,,,75.50"))
    with pytest.raises(LedgerError, match=r"r\.csv, row 8: the total row 'Total Acme Ltd' shows 75\.50 in column amount but the 2 data rows of its group \(from row 5\) sum to 74\.50") as e:
        arkit.load_ledger(f, source=m)
    assert "\n" not in str(e.value)


def test_grand_total_mismatch_after_a_lost_row(tmp_path):
    f, m = files(tmp_path, REPORT.replace("Total,,,\"1,074.50\"", "Total,,,\"1,174.50\""))
    with pytest.raises(LedgerError, match=r"row 12: the total row 'Total' shows 1,174\.50 .* every data row above it sum to 1,074\.50"):
        arkit.load_ledger(f, source=m)
    m.write_text(textwrap.dedent(MAP).replace("layout: {", "layout: {check_totals: false, "))
    assert len(arkit.load_ledger(f, source=m).invoices) == 3


def test_debit_and_credit_columns(tmp_path):
    report = """
        Customer,Doc,Date,Due,Debit,Credit
        A,1,2026-10-01,2026-10-31,"1,000.00",
        A,2,2026-10-05,2026-10-05,,200.00
        A,3,2026-10-06,2026-10-06,50.00,10.00
    """
    mapping = """
        layout: {debit_credit: {debit: Debit, credit: Credit}}
        tables: {invoices: {columns: {Customer: customer_id, Doc: invoice_id, Date: invoice_date, Due: due_date}}}
    """
    f, m = files(tmp_path, report, mapping)
    assert arkit.load_ledger(f, source=m).invoices["amount"].tolist() == [1000.0, -200.0, 40.0]


def test_sign_indicator_and_excluded_rows(tmp_path):
    report = """
        Konto;Beleg;Datum;Faellig;Betrag;SH;Art
        100;1;01.10.2026;31.10.2026;1.000,00;S;RE
        100;2;05.10.2026;05.10.2026;200,00;H;GS
        100;3;06.10.2026;06.10.2026;300,00;H;ZA
        Summe;;;;500,00;S;
    """
    mapping = """
        dates: {format: "%d.%m.%Y"}
        numbers: {decimal: ",", thousands: "."}
        layout: {sign: {column: SH}, exclude: {column: Art, values: [ZA]}}
        tables: {invoices: {columns: {Konto: customer_id, Beleg: invoice_id, Datum: invoice_date, Faellig: due_date, Betrag: amount}}}
    """
    f, m = files(tmp_path, report, mapping)
    led = arkit.load_ledger(f, source=m)
    assert led.invoices["amount"].tolist() == [1000.0, -200.0]  # the ZA row is excluded but in the printed total
    r = led.load_report.summary.loc["invoices"]
    assert (r["rows_read"], r["rows_accepted"], r["rows_skipped"]) == (4, 2, 2)


def test_open_balance_alone_is_the_amount(tmp_path):
    report = """
        customer_id,invoice_id,invoice_date,due_date,Open Balance
        A,1,2026-10-01,2026-10-31,80.00
    """
    mapping = "tables: {invoices: {columns: {Open Balance: open_amount}}}\n"
    f, m = files(tmp_path, report, mapping)
    led = arkit.load_ledger(f, source=m)
    assert led.invoices[["amount", "open_amount"]].values.tolist() == [[80.0, 80.0]]
    assert led.is_open_item_export
