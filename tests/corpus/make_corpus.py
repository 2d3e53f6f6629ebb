"""Regenerate the regression corpus (small hostile files; expected outcomes in tests/test_corpus.py).

    python -m tests.corpus.make_corpus
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from tests.hostile_files import HEADER, far_cell, rows_xml, write_workbook

HERE = Path(__file__).resolve().parent
H = "customer_id,invoice_id,invoice_date,due_date,amount,currency\n"
OK = "A,1,2026-01-01,2026-01-31,10.00,USD\n"


def main() -> None:
    far_cell(HERE / "far_cell_xfd1048576.xlsx", dimension=False)
    far_cell(HERE / "far_dimension_xfd1048576.xlsx", dimension=True)
    write_workbook(HERE / "date1904_serials.xlsx", rows_xml([HEADER, ["A", "1", 44561, 44592, 10]]), date1904=True)
    write_workbook(HERE / "serial_2958465.xlsx", rows_xml([HEADER, ["A", "1", 46023, 46054, 10], ["A", "2", 2958465, 46054, 10]]))
    write_workbook(HERE / "amount_1e20_cell.xlsx", rows_xml([HEADER, ["A", "1", 46023, 46054, 10], ["A", "2", 46023, 46054, 1e20]]))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["A", "1", dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 31), 10])
    ws.append(["A", "2", dt.datetime(9999, 12, 31), dt.datetime(2026, 1, 31), 10])
    wb.save(HERE / "date_9999_cell.xlsx")
    texts = {
        "date_9999_12_31.csv": H + OK + "A,2,9999-12-31,2026-01-31,10.00,USD\n",
        "date_0001_01_01.csv": H + OK + "A,2,0001-01-01,2026-01-31,10.00,USD\n",
        "date_year_only.csv": H + OK + "A,2,2026,2026-01-31,10.00,USD\n",
        "date_tiny_integer.csv": H + OK + "A,2,45,2026-01-31,10.00,USD\n",
        "date_trailing_junk.csv": H + OK + "A,2,2026-06-30 garbage,2026-07-30,10.00,USD\n",
        "amount_huge_text.csv": H + OK + "A,2,2026-01-01,2026-01-31,99999999999999999999,USD\n",
        "currency_case.csv": H + OK + "A,2,2026-01-01,2026-01-31,10.00,usd\n",
        "extra_column_differs.csv": H.strip() + ",note\n" + OK.strip() + ",first\n" + OK.strip() + ",second\n",
        "terminal_escapes.csv": H.strip() + ",\x1b]0;pwned\x07note\n" + OK.strip() + ",x\nA,2,\x1b[2J\x1b[H,2026-01-31,10,USD,y\n",
        "url_and_math_names.csv": "customer_id,invoice_id,invoice_date,due_date,amount,currency,customer_name\n"
        "A,1,2026-01-01,2026-01-31,10,USD,http://evil.example/pay\nB,2,2026-01-01,2026-01-31,10,USD,\"Acme\n===\"\nC,3,2026-01-01,2026-01-31,10,USD,$\\undefinedmacro$\n",
        "bare_cr_in_cell.csv": H + OK + "A,2,2026-01-01,2026-01-31,10.00,US\rD\n",
        "cr_only_lines.csv": (H + OK + "A,2,2026-01-01,2026-01-31,10.00,USD\n").replace("\n", "\r"),
        "trailing_comma.csv": "".join(line + ",\n" for line in (H + OK + "A,2,2026-01-01,2026-01-31,10.00,USD\n").splitlines()),
    }
    for name, text in texts.items():
        (HERE / name).write_bytes(text.encode("utf-8"))
    (HERE / "utf16_unicode_text.txt").write_bytes((H + OK).replace(",", "\t").encode("utf-16"))
    (HERE / "latin1_after_64k.csv").write_bytes((H.strip() + ",customer_name\n").encode() + "".join(f"A,{i},2026-01-01,2026-01-31,10.00,USD,x\n" for i in range(2500)).encode() + "B,9,2026-01-01,2026-01-31,10.00,USD,Caf\xe9\n".encode("latin-1"))
    df = pd.DataFrame({"customer_id": ["A"] * 3, "invoice_id": ["1", "2", "3"], "invoice_date": pd.to_datetime(["2026-01-01"] * 3),
                       "due_date": pd.to_datetime(["2026-01-31"] * 3), "amount": [10.0, np.inf, -np.inf], "currency": "USD"})
    df.to_parquet(HERE / "amount_inf.parquet")
    (HERE / "rate_inf.yaml").write_text("currency:\n  base: USD\n  rates: {EUR: .inf}\n")
    (HERE / "two_currencies.csv").write_bytes((H + OK + "A,2,2026-01-01,2026-01-31,10.00,EUR\n").encode())


if __name__ == "__main__":
    main()
