"""Write the workbook test files of tests/data/exports (run from anywhere; the .xlsx files are committed).

Each workbook is laid out the way the system's Excel export lays it out (title rows, group header rows,
total rows, real date cells and number formats), from the public description of the report.
"""

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
MONEY = "#,##0.00;-#,##0.00"


def netsuite_ar_aging_detail(path: Path) -> None:
    """NetSuite Reports > Customers/Receivables > A/R Aging Detail, exported to Excel."""
    wb = Workbook()
    ws = wb.active
    ws.title = "AR Aging Detail"
    ws.append(["Wolfe Electronics"])
    ws.append(["A/R Aging Detail"])
    ws.append(["As of Oct 31, 2026"])
    ws.append([])
    ws.append(["Transaction Type", "Date", "Document Number", "Due Date", "Age", "Open Balance"])
    rows = [
        ["Alpha Tech Inc."],
        ["Invoice", date(2026, 9, 10), "INV10231", date(2026, 10, 10), 21, 3200.00],
        ["Credit Memo", date(2026, 10, 2), "CM1009", date(2026, 10, 2), 29, -200.00],
        ["Total - Alpha Tech Inc.", None, None, None, None, 3000.00],
        ["Borealis Systems"],
        ["Invoice", date(2026, 10, 20), "INV10301", date(2026, 11, 19), None, 5400.25],
        ["Invoice", date(2026, 6, 15), "INV10102", date(2026, 7, 15), 108, 1150.00],
        ["Payment", date(2026, 10, 28), "PYMT5521", date(2026, 10, 28), 3, -400.00],
        ["Total - Borealis Systems", None, None, None, None, 6150.25],
        ["Total", None, None, None, None, 9150.25],
    ]
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=6):
        for c in row:
            if isinstance(c.value, date):
                c.number_format = "m/d/yyyy"
            elif isinstance(c.value, float):
                c.number_format = MONEY
        if row[0].value and str(row[0].value).startswith("Total"):
            for c in row:
                c.font = Font(bold=True)
    wb.save(path)


def business_central_customer_ledger_entries(path: Path) -> None:
    """Business Central Customer Ledger Entries page, "Open in Excel" (filtered to open entries)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Customer Ledger Entries"
    ws.append(["Posting Date", "Document Type", "Document No.", "Customer No.", "Customer Name", "Description", "Currency Code",
               "Original Amount", "Amount", "Remaining Amount", "Due Date", "Open", "Entry No."])
    rows = [
        [date(2026, 9, 5), "Invoice", "103018", "C10000", "Adatum Corporation", "Order 1018", None, 4000.00, 4000.00, 1500.00, date(2026, 10, 5), "Yes", 3121],
        [date(2026, 10, 12), "Invoice", "103025", "C10000", "Adatum Corporation", "Order 1025", None, 2750.00, 2750.00, 2750.00, date(2026, 11, 11), "Yes", 3160],
        [date(2026, 10, 20), "Credit Memo", "104004", "C20000", "Trey Research", "Return 4004", None, -300.00, -300.00, -300.00, date(2026, 10, 20), "Yes", 3177],
        [date(2026, 7, 1), "Invoice", "102990", "C20000", "Trey Research", "Order 990", None, 9870.55, 9870.55, 9870.55, date(2026, 7, 31), "Yes", 2988],
        [date(2026, 10, 28), "Payment", "2593", "C30000", "School of Fine Art", "Payment 2593", None, -1000.00, -1000.00, -1000.00, date(2026, 10, 28), "Yes", 3190],
    ]
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, date):
                c.number_format = "m/d/yyyy"
            elif isinstance(c.value, float):
                c.number_format = MONEY
    wb.save(path)


def _money_cells(ws, min_row: int) -> None:
    for row in ws.iter_rows(min_row=min_row):
        for c in row:
            if isinstance(c.value, float):
                c.number_format = MONEY


def odoo_aged_receivable(path: Path, *, version: int = 17) -> None:
    """Odoo (Enterprise) Accounting > Reporting > Aged Receivable, partners folded, "Export (XLSX)", as
    account_reports' _inject_report_into_xlsx_sheet writes it: the period header ("As of 10/31/2026") from
    the second column, an empty row, the column names with an empty first cell, an empty row, the report
    line "Aged Receivable" with the totals, one row per partner, and "Total Aged Receivable" when the
    company adds totals below sections. Version 17 names the columns Invoice Date, At Date, 1-30, ..., Older,
    Total; version 16 Due Date and Expected Date where 17 has Invoice Date, and here no totals below."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Aged Receivable"
    first = ["Invoice Date"] if version >= 17 else ["Due Date", "Expected Date"]
    cols = [*first, "At Date", "1-30", "31-60", "61-90", "91-120", "Older", "Total"]
    ws.append([None, "As of 10/31/2026"])
    ws.merge_cells(start_row=1, start_column=2, end_row=1, end_column=1 + len(cols))
    ws.append([])
    ws.append([None, *cols])
    ws.append([])
    pad = [None] * len(first)
    partners = [
        ["Azure Interior", 0.0, -150.0, 0.0, 2205.0, 0.0, 0.0, 2055.0],
        ["Deco Addict", 980.0, 1725.0, 0.0, 0.0, 0.0, 0.0, 2705.0],
        ["Gemini Furniture", 0.0, 0.0, 0.0, 0.0, 300.0, 1200.0, 1500.0],
    ]
    totals = [round(sum(p[k] for p in partners), 2) for k in range(1, 8)]
    ws.append(["Aged Receivable", *pad, *totals])
    for p in partners:
        ws.append([p[0], *pad, *p[1:]])
    if version >= 17:
        ws.append(["Total Aged Receivable", *pad, *totals])
    for c in ws[5]:
        c.font = Font(bold=True)
    _money_cells(ws, 5)
    wb.save(path)


def odoo_oca_aged_partner_balance(path: Path) -> None:
    """OCA account_financial_report "Aged Partner Balance" XLSX (report/aged_partner_balance_xlsx.py with
    abstract_report_xlsx.py), move line details off: the report name with company and currency, two empty
    rows, the filters (label in B, value in E), two empty rows, the account title, the header Partner,
    Residual, Current, Age <= 30 d., ..., Older, one row per partner, "Total" and "Percents"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Aged Partner Balance - My Compa"
    ws.append(["Aged Partner Balance - My Company (San Francisco) - USD"])
    ws.merge_cells("A1:H1")
    ws.append([])
    ws.append([])
    ws.append([None, "Date at filter", None, None, "31/10/2026"])
    ws.append([None, "Target moves filter", None, None, "All posted entries"])
    ws.append([])
    ws.append([])
    ws.append(["121000 - Account Receivable"])
    ws.merge_cells("A8:H8")
    ws.append(["Partner", "Residual", "Current", "Age \u2264 30 d.", "Age \u2264 60 d.", "Age \u2264 90 d.", "Age \u2264 120 d.", "Older"])
    partners = [
        ["Azure Interior", 2055.0, 0.0, -150.0, 0.0, 2205.0, 0.0, 0.0],
        ["Deco Addict", 2705.0, 980.0, 1725.0, 0.0, 0.0, 0.0, 0.0],
        ["Gemini Furniture", 1500.0, 0.0, 0.0, 0.0, 0.0, 300.0, 1200.0],
    ]
    for p in partners:
        ws.append(p)
    totals = [round(sum(p[k] for p in partners), 2) for k in range(1, 8)]
    ws.append(["Total", *totals])
    ws.append(["Percents", "", *[round(t / totals[0], 4) for t in totals[1:]]])
    _money_cells(ws, 10)
    wb.save(path)


if __name__ == "__main__":
    netsuite_ar_aging_detail(HERE / "netsuite-ar-aging-detail.xlsx")
    business_central_customer_ledger_entries(HERE / "business-central-customer-ledger-entries.xlsx")
    odoo_aged_receivable(HERE / "odoo-aged-partner-balance.xlsx")
    odoo_aged_receivable(HERE / "variants" / "odoo-aged-receivable-v16.xlsx", version=16)
    odoo_oca_aged_partner_balance(HERE / "odoo-oca-aged-partner-balance.xlsx")
    print("written")
