"""Loading and validation: every row read is accepted or quarantined with a reason."""

import hashlib
import textwrap

import pandas as pd
import pytest

import arkit
from arkit import LedgerError


def write(path, text):
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


GOOD = """
customer_id,invoice_id,invoice_date,due_date,amount,currency,customer_name
0042,INV-1,2026-01-05,2026-02-04,"1,234.56",USD,Acme
0042,INV-2,2026-01-20,2026-02-19,$250.00,USD,Acme
0077,CN-1,2026-02-01,2026-02-01,(100.00),USD,"=HYPERLINK(""http://x"",""pay"")"
"""


def test_generic_csv_types_and_leading_zeros(tmp_path):
    f = write(tmp_path / "inv.csv", GOOD)
    led = arkit.load_ledger(f)
    inv = led.invoices
    assert inv["customer_id"].tolist() == ["0042", "0042", "0077"]
    assert inv["amount"].tolist() == [1234.56, 250.00, -100.00]
    assert str(inv["invoice_date"].dtype) == "datetime64[ns]"
    assert inv.loc[2, "customer_name"] == '=HYPERLINK("http://x","pay")'  # kept as text, never evaluated
    r = led.load_report.summary.loc["invoices"]
    assert (r["rows_read"], r["rows_accepted"], r["rows_quarantined"]) == (3, 3, 0)
    assert r["amount_accepted"] == 1384.56
    assert led.payments.empty and led.load_report.ok


AMOUNTS = ["1,234.56", "$1,234.56", "(1,234.56)", "-1,234.56", "-$1,234.56", "1234.56 CR"]


@pytest.mark.parametrize("text", AMOUNTS)
def test_amount_forms(tmp_path, text):
    f = write(tmp_path / "a.csv", f'customer_id,invoice_id,invoice_date,due_date,amount\nC,1,2026-01-01,2026-01-31,"{text}"\n')
    amt = arkit.load_ledger(f).invoices["amount"].iloc[0]
    assert abs(amt) == 1234.56 and (amt < 0) == (text.startswith(("(", "-")) or "CR" in text)


def test_european_numbers_and_day_first_dates_by_mapping(tmp_path):
    f = write(
        tmp_path / "sap.csv",
        """
        Kunde;Beleg;Belegdatum;Faellig;Betrag
        000123;4711;31.01.2026;02.03.2026;1.234,56
        000123;4712;15.02.2026;17.03.2026;1.234,56-
        """,
    )
    m = write(
        tmp_path / "sap.yaml",
        """
        name: sap-fbl5n
        dates: {format: "%d.%m.%Y"}
        numbers: {decimal: ",", thousands: ".", trailing_minus: true}
        tables:
          invoices:
            columns: {Kunde: customer_id, Beleg: invoice_id, Belegdatum: invoice_date, Faellig: due_date, Betrag: amount}
            constants: {currency: EUR}
        """,
    )
    led = arkit.load_ledger(f, source=m)
    assert led.invoices["amount"].tolist() == [1234.56, -1234.56]
    assert led.invoices["invoice_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-31", "2026-02-15"]
    assert led.invoices["customer_id"].tolist() == ["000123", "000123"]
    assert set(led.invoices["currency"]) == {"EUR"}


def test_title_rows_header_detection_and_total_rows(tmp_path):
    f = write(
        tmp_path / "export.csv",
        """
        Open invoices report,,,,
        As of 2026-03-31,,,,
        ,,,,
        Customer ID,Invoice ID,Invoice Date,Due Date,Amount
        A,1,2026-01-01,2026-01-31,100.00
        A,2,2026-02-01,2026-03-03,50.00
        Total,,,,150.00
        """,
    )
    m = write(tmp_path / "m.yaml", "drop_rows_matching: ['^Total']\n")
    led = arkit.load_ledger(f, source=m)
    r = led.load_report.summary.loc["invoices"]
    assert len(led.invoices) == 2 and r["rows_skipped"] == 1 and r["rows_quarantined"] == 0


def test_quarantine_reasons_rows_and_reconciliation(tmp_path):
    f = write(
        tmp_path / "bad.csv",
        """
        customer_id,invoice_id,invoice_date,due_date,amount
        A,1,2026-01-01,2026-01-31,100.00
        A,2,2026-13-45,2026-01-31,100.00
        A,3,2026-01-01,2026-01-31,12x.00
        ,4,2026-01-01,2026-01-31,10.00
        A,5,2026-02-01,2026-01-01,10.00
        A,6,2026-01-01,2026-01-31,20.00
        A,6,2026-01-01,2026-01-31,20.00
        A,7,2026-01-01,2026-01-31,30.00
        A,7,2026-01-01,2026-01-31,31.00
        """,
    )
    before = digest(f)
    led = arkit.load_ledger(f)
    q = led.load_report.quarantine
    by_row = {int(r.row): (r.column, r.problem) for r in q.itertuples()}
    assert by_row[3] == ("invoice_date", "unparseable date '2026-13-45'")
    assert by_row[4] == ("amount", "unparseable amount '12x.00'")
    assert by_row[5] == ("customer_id", "empty customer_id")
    assert by_row[6][0] == "due_date" and "before the invoice date" in by_row[6][1]
    assert by_row[8][1] == "exact duplicate of row 7 (one copy kept)"  # a row number, never "7.0"
    assert "different content (rows 9, 10)" in by_row[9][1] and "different content (rows 9, 10)" in by_row[10][1]
    assert set(q["file"]) == {str(f)}
    r = led.load_report.summary.loc["invoices"]
    assert r["rows_read"] == 9
    assert r["rows_accepted"] + r["rows_quarantined"] + r["duplicates_dropped"] == r["rows_read"]
    assert led.invoices["invoice_id"].tolist() == ["1", "6"]
    assert r["rows_quarantined"] == 6 and r["duplicates_dropped"] == 1
    assert round(r["amount_accepted"] + r["amount_quarantined"] + r["amount_duplicates"], 2) == r["amount_read"]
    assert digest(f) == before  # the input file is never modified


def test_strict_raises_with_first_problem(tmp_path):
    f = write(tmp_path / "bad.csv", "customer_id,invoice_id,invoice_date,due_date,amount\nA,1,yesterday,2026-01-31,1\n")
    with pytest.raises(LedgerError, match=r"row 2, column invoice_date: unparseable date 'yesterday'") as e:
        arkit.load_ledger(f, strict=True)
    assert len(e.value.problems) == 1


def test_missing_required_column_names_it_and_suggests(tmp_path):
    f = write(tmp_path / "x.csv", "customer_id,invoice_no,invoice_date,due_date,amount\nA,1,2026-01-01,2026-01-31,1\n")
    with pytest.raises(LedgerError) as e:
        arkit.load_ledger(f)
    msg = str(e.value)
    assert "invoice_id" in msg and "invoice_no" in msg and str(f) in msg and "\n" not in msg
    with pytest.raises(LedgerError, match="'invoice_id' is missing.*invoice_no"):
        arkit.load_ledger(f, source="generic")


@pytest.mark.parametrize(
    "name,content,expected",
    [("missing.csv", None, "does not exist"), ("empty.csv", "", "is empty"), ("broken.xlsx", "not a zip", "not a readable Excel workbook")],
)
def test_unusable_input_is_one_sentence(tmp_path, name, content, expected):
    f = tmp_path / name
    if content is not None:
        f.write_text(content)
    with pytest.raises(LedgerError, match=expected):
        arkit.load_ledger(f)


def _frames():
    inv = pd.DataFrame(
        {
            "customer_id": ["007", "007", "008"],
            "invoice_id": ["A1", "A2", "B1"],
            "invoice_date": pd.to_datetime(["2026-01-01", "2026-01-15", "2026-02-01"]),
            "due_date": pd.to_datetime(["2026-01-31", "2026-02-14", "2026-03-03"]),
            "amount": [100.0, 200.0, 300.0],
            "currency": ["USD", "USD", "USD"],
        }
    )
    pay = pd.DataFrame(
        {
            "customer_id": ["007", "008", "008", "009"],
            "invoice_id": ["A1", None, "B1", "ZZ"],
            "payment_date": pd.to_datetime(["2026-02-01", "2026-02-10", "2026-03-01", "2026-03-01"]),
            "amount": [100.0, 50.0, 300.0, 5.0],
        }
    )
    cust = pd.DataFrame({"customer_id": ["007", "008"], "customer_name": ["Zeta", "<script>alert(1)</script>"], "credit_limit": [1000.0, 500.0]})
    return inv, pay, cust


def test_workbook_with_named_sheets_and_unknown_invoice_payment(tmp_path):
    inv, pay, cust = _frames()
    f = tmp_path / "ledger.xlsx"
    with pd.ExcelWriter(f, engine="openpyxl") as xw:
        cust.to_excel(xw, sheet_name="customers", index=False)
        inv.to_excel(xw, sheet_name="invoices", index=False)
        pay.to_excel(xw, sheet_name="payments", index=False)
    led = arkit.load_ledger(f)
    assert len(led.invoices) == 3 and len(led.customers) == 2
    assert len(led.payments) == 3  # the payment naming invoice ZZ is quarantined
    q = led.load_report.quarantine
    assert q["table"].tolist() == ["payments"] and q["row"].tolist() == [5] and q["sheet"].tolist() == ["payments"]
    assert "ZZ" in q["problem"].iloc[0]
    assert led.payments["invoice_id"].isna().sum() == 1  # unapplied cash kept


def test_folder_of_files_and_parquet(tmp_path):
    inv, pay, cust = _frames()
    inv.to_parquet(tmp_path / "invoices.parquet")
    pay.iloc[:3].to_csv(tmp_path / "payments.csv", index=False)
    cust.to_csv(tmp_path / "customers.csv", index=False)
    led = arkit.load_ledger(tmp_path)
    assert (len(led.invoices), len(led.payments), len(led.customers)) == (3, 3, 2)
    assert led.customers["customer_id"].tolist() == ["007", "008"]
    assert led.load_report.ok


def test_folder_without_invoices_is_clear(tmp_path):
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LedgerError, match="no invoices table"):
        arkit.load_ledger(tmp_path)


def test_mixed_currencies_without_rates_quarantined_with_rates_converted(tmp_path):
    body = "customer_id,invoice_id,invoice_date,due_date,amount,currency\nA,1,2026-01-01,2026-01-31,100,USD\nA,2,2026-01-01,2026-01-31,100,USD\nB,3,2026-01-01,2026-01-31,100,EUR\n"
    f = write(tmp_path / "fx.csv", body)
    led = arkit.load_ledger(f)
    q = led.load_report.quarantine
    assert q["row"].tolist() == [4] and "EUR differs from the base currency USD" in q["problem"].iloc[0]
    m = write(tmp_path / "fx.yaml", "currency: {base: USD, rates: {EUR: 1.08}}\n")
    led = arkit.load_ledger(f, source=m)
    assert led.load_report.ok and led.invoices["amount"].tolist() == [100.0, 100.0, 108.0]
    assert led.invoices.loc[2, "currency_original"] == "EUR"


def test_excel_serial_dates(tmp_path):
    f = write(tmp_path / "s.csv", "customer_id,invoice_id,invoice_date,due_date,amount\nA,1,46023,46053,10\n")
    d = arkit.load_ledger(f).invoices
    assert d["invoice_date"].iloc[0] == pd.Timestamp("2026-01-01") and d["due_date"].iloc[0] == pd.Timestamp("2026-01-31")


def test_activities_unknown_action_quarantined(tmp_path):
    inv, pay, cust = _frames()
    inv.to_csv(tmp_path / "invoices.csv", index=False)
    write(tmp_path / "activities.csv", "date,customer_id,action,note\n2026-02-01,007,Reminder,first\n2026-02-02,007,smoke signal,\n")
    led = arkit.load_ledger(tmp_path)
    assert led.activities["action"].tolist() == ["reminder"]
    q = led.load_report.quarantine
    assert q["table"].tolist() == ["activities"] and "unknown action 'smoke signal'" in q["problem"].iloc[0]


def test_bad_mapping_names_the_key(tmp_path):
    m = write(tmp_path / "m.yaml", "numbers: {decimal: ',', thousands: ','}\n")
    f = write(tmp_path / "x.csv", GOOD)
    with pytest.raises(arkit.ConfigError, match="numbers.thousands"):
        arkit.load_ledger(f, source=m)
    with pytest.raises(arkit.ConfigError, match="Unknown source 'nope'"):
        arkit.load_ledger(f, source="nope")


def test_paid_date_shortcut_derives_payments(tmp_path):
    f = write(tmp_path / "p.csv", "customer_id,invoice_id,invoice_date,due_date,amount,paid_date\nA,1,2026-01-01,2026-01-31,100,2026-02-10\nA,2,2026-01-05,2026-02-04,50,\n")
    led = arkit.load_ledger(f)
    assert led.payments[["invoice_id", "amount"]].values.tolist() == [["1", 100.0]]
    assert arkit.aging_summary(led, "2026-02-28")["total"].sum() == 50.0


def test_ibm_derived_variant_with_missing_values(real_data):
    f = real_data / "ibm-wa-accounts-receivable" / "WA_Fn-UseC_-Accounts-Receivable_with_missing.derived.csv"
    led = arkit.load_ledger(f, source="ibm-sample")
    r = led.load_report.summary.loc["invoices"]
    assert r["rows_read"] == 2586
    assert r["rows_accepted"] + r["rows_quarantined"] + r["duplicates_dropped"] == 2586


def test_highradius_open_items_reconcile(real_data):
    """Real SAP-style open items: 9,681 rows; 27 have a due date before the posting date (SAP due dates run
    from the baseline date) and are quarantined with that reason; the rest age to the cent."""
    f = real_data / "highradius-b2b-open-invoices" / "highradius_open_invoices_nulldata.csv"
    led = arkit.load_ledger(f, source="highradius-open-items")
    r = led.load_report.summary.loc["invoices"]
    assert r["rows_read"] == 9681 and r["rows_accepted"] == 9654 and r["rows_quarantined"] == 27
    q = led.load_report.quarantine
    assert (q["column"] == "due_date").all() and q["problem"].str.contains("before the invoice date").all()
    # amounts are rounded to the cent row by row, half away from zero after absorbing float noise: the file
    # holds 5791.484999999999 for 0.7 × 8273.55 = 5791.485 → 5791.49 (32 such rows). Σ of the rounded rows,
    # checked with Decimal (quantize to 6 places, then to cents, ROUND_HALF_UP): 310,427,859.34
    assert r["amount_read"] == 310_427_859.34
    assert round(r["amount_accepted"] + r["amount_quarantined"], 2) == r["amount_read"]
    assert led.invoices["invoice_id"].iloc[0] == "2960623488"  # "2960623488.0" in the file
    assert led.invoices["customer_id"].iloc[0] == "0140105686"  # leading zero kept
    s = arkit.aging_summary(led, "2020-05-31")
    assert round(s["total"].sum(), 2) == r["amount_accepted"]


def test_workbook_with_title_rows_reports_spreadsheet_rows(tmp_path):
    import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Open items"
    ws["A1"] = "Open items as of 30 June 2026"
    ws.append([])
    ws.append(["Customer ID", "Invoice ID", "Invoice Date", "Due Date", "Amount"])  # row 3
    ws.append(["007", "A1", datetime.date(2026, 1, 5), datetime.date(2026, 2, 4), 100.0])
    ws.append(["007", "A2", "2026-01-20", "2026-02-19", "1,250.50"])
    ws.append(["008", "B1", "not a date", datetime.date(2026, 2, 4), 10.0])  # row 6
    f = tmp_path / "open-items.xlsx"
    wb.save(f)
    led = arkit.load_ledger(f)
    assert led.invoices["amount"].tolist() == [100.0, 1250.5]
    assert led.invoices["invoice_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-05", "2026-01-20"]
    q = led.load_report.quarantine
    assert q[["sheet", "row", "column"]].values.tolist() == [["Open items", 6, "invoice_date"]]


def test_payment_in_another_currency_than_single_currency_invoices_is_quarantined(tmp_path):
    write(tmp_path / "invoices.csv", "customer_id,invoice_id,invoice_date,due_date,amount,currency\nA,1,2026-01-01,2026-01-31,100,USD\nA,2,2026-01-05,2026-02-04,50,USD\n")
    write(tmp_path / "payments.csv", "customer_id,invoice_id,payment_date,amount,currency\nA,1,2026-01-20,100,EUR\nA,2,2026-01-25,50,USD\n")
    led = arkit.load_ledger(tmp_path)
    q = led.load_report.quarantine
    assert q[["table", "row", "column"]].values.tolist() == [["payments", 2, "currency"]]
    assert "EUR differs from the base currency USD" in q["problem"].iloc[0]
    assert led.payments["amount"].tolist() == [50.0]


def test_three_decimal_amounts_are_ambiguous_not_rounded(tmp_path):
    """'1.234' is 1,234 in a European export and 1.234 elsewhere. With nothing else in the column to settle
    it, such amounts are quarantined with a pointer to the mapping; one amount with two decimals (or a comma
    thousands separator) shows the dot is a decimal point, and they round half away from zero."""
    f = write(tmp_path / "eu.csv", "customer_id;invoice_id;invoice_date;due_date;amount\nA;1;2026-01-01;2026-01-31;1.234\nA;2;2026-01-01;2026-01-31;12.345\nA;3;2026-01-01;2026-01-31;500\n")
    led = arkit.load_ledger(f)
    q = led.load_report.quarantine
    assert q["row"].tolist() == [2, 3] and q["problem"].iloc[0].startswith("ambiguous amount '1.234'")
    assert led.invoices["amount"].tolist() == [500.0]
    m = write(tmp_path / "eu.yaml", "numbers: {decimal: ',', thousands: '.'}\n")
    assert arkit.load_ledger(f, source=m).invoices["amount"].tolist() == [1234.0, 12345.0, 500.0]
    us = write(tmp_path / "us.csv", "customer_id,invoice_id,invoice_date,due_date,amount\nA,1,2026-01-01,2026-01-31,12.345\nA,2,2026-01-01,2026-01-31,10.50\n")
    assert arkit.load_ledger(us).invoices["amount"].tolist() == [12.35, 10.5]


def test_round_half_away_from_zero():
    from arkit.parse import round_cents

    assert round_cents(pd.Series([12.345, -12.345, 0.005, 2309.7899999999995])).tolist() == [12.35, -12.35, 0.01, 2309.79]


@pytest.mark.parametrize(
    "text,key",
    [
        ('export_date: "not a date"\n', "export_date"),
        ("export_date: 2026-13-01\n", "YAML cannot read"),
        ("dates: {format: 5}\n", "dates.format"),
        ("dates: {dayfirst: maybe}\n", "dates.dayfirst"),
        ("numbers: {trailing_minus: 'yes'}\n", "numbers.trailing_minus"),
        ("currency: {base: [1]}\n", "currency.base"),
    ],
)
def test_mapping_value_mistakes_name_file_and_key(tmp_path, text, key):
    m = write(tmp_path / "m.yaml", text)
    with pytest.raises(arkit.ConfigError) as e:
        arkit.load_ledger(write(tmp_path / "x.csv", GOOD), source=m)
    assert key in str(e.value) and "m.yaml" in str(e.value)


def test_ibm_sample_recognised_on_sight(real_data):
    """source="auto" picks the ibm-sample preset for the IBM file (camelCase headers such as customerID and
    invoiceNumber) and loads exactly what the named preset loads: 2,466 settled invoices, 877 paid late."""
    f = real_data / "ibm-wa-accounts-receivable" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    auto = arkit.load_ledger(f)
    named = arkit.load_ledger(f, source="ibm-sample")
    assert auto.load_report.sources["detection"]["preset"] == "ibm-sample"
    pd.testing.assert_frame_equal(auto.invoices, named.invoices)
    r = auto.load_report.summary.loc["invoices"]
    assert (r["rows_read"], r["rows_accepted"]) == (2466, 2466)
    late = (auto.invoices["paid_date"] > auto.invoices["due_date"]).sum()
    assert late == 877
    assert auto.load_report.sources["kind"] == "ledger" and not auto.is_open_item_export


def test_highradius_recognised_on_sight(real_data):
    f = real_data / "highradius-b2b-open-invoices" / "highradius_open_invoices_nulldata.csv"
    led = arkit.load_ledger(f)
    assert led.load_report.sources["detection"]["preset"] == "highradius-open-items"
    assert led.load_report.summary.loc["invoices", "rows_accepted"] == 9654


def test_camel_case_and_generic_names_match():
    from arkit.load import norm_name

    assert norm_name("CustomerID") == norm_name("customer_id") == norm_name("Customer ID") == "customer_id"
    assert norm_name("invoiceNumber") == "invoice_number" and norm_name("DueDate") == "due_date"
    assert norm_name("SAPCode") == "sap_code" and norm_name("Invoice Date") == "invoice_date"
