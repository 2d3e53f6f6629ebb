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


if __name__ == "__main__":
    netsuite_ar_aging_detail(HERE / "netsuite-ar-aging-detail.xlsx")
    business_central_customer_ledger_entries(HERE / "business-central-customer-ledger-entries.xlsx")
    print("written")
