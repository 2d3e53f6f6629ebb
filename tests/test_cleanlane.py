"""The clean lane (arkit/_cleanlane.py) gives exactly what the general path gives, or declines.

Each file is loaded twice, with the lane and without it; the ledgers, load reports and quarantines must be
equal. The files are clean (the lane takes them) or hold one thing the lane must decline."""

import pandas as pd
import pytest

import arkit
from arkit import _cleanlane

HEAD = "customer_id,invoice_id,invoice_date,due_date,amount,currency,customer_name,paid_date,open_amount,disputed,terms,region"
CLEAN = [
    "C1,INV-1,2026-01-05,2026-02-04,100.50,USD,Acme Corp,,,no,Net 30,East",
    "C1,INV-2,2026-01-06,2026-02-05,-20.00,USD,Acme Corp,,,yes,Net 30,East",
    "C2,00017,2026-02-01,2026-03-03,7.25,usd,Beta,2026-02-20,,No,Net 30,",
    "C3,INV-4,2026-02-02,2026-03-04,1000,USD,Gamma,,,,Net 30,West",
]

CASES = {
    "clean": CLEAN,
    "open amounts": [r.replace(",,,no,", ",,50.25,no,") for r in CLEAN[:1]] + CLEAN[1:],
    "padded id": [CLEAN[0].replace("INV-1", " INV-1 ")] + CLEAN[1:],
    "null marker in a name": [CLEAN[0].replace("Acme Corp", "n/a")] + CLEAN[1:],
    "empty required cell": [CLEAN[0].replace("C1,INV-1", ",INV-1")] + CLEAN[1:],
    "empty due date on a credit": [CLEAN[1].replace("2026-02-05", "")] + CLEAN[:1] + CLEAN[2:],
    "a date the type refuses": [CLEAN[0].replace("2026-02-04", "04/02/2026")] + CLEAN[1:],
    "a date out of range": CLEAN + ["C4,INV-9,2026-02-02,9999-12-31,5.00,USD,Delta,,,no,Net 30,"],
    "due before invoice": [CLEAN[0].replace("2026-02-04", "2025-12-01")] + CLEAN[1:],
    "amount with a symbol": CLEAN + ["C4,INV-9,2026-02-02,2026-03-04,$5.00,USD,Delta,,,no,Net 30,"],
    "nan amount": CLEAN + ["C4,INV-9,2026-02-02,2026-03-04,nan,USD,Delta,,,no,Net 30,"],
    "huge amount": CLEAN + ["C4,INV-9,2026-02-02,2026-03-04,1e20,USD,Delta,,,no,Net 30,"],
    "three decimals unsettled": [r.replace("100.50", "1.234").replace("-20.00", "-2.000").replace("7.25", "7.125") for r in CLEAN],
    "exact duplicate": CLEAN + [CLEAN[0]],
    "conflicting key": CLEAN + [CLEAN[0].replace("100.50", "99.00")],
    "a total row": CLEAN + ["Total,,,,1087.75,,,,,,,"],
    "a blank row": CLEAN[:2] + [",,,,,,,,,,,"] + CLEAN[2:],
    "two currencies": CLEAN + ["C4,INV-9,2026-02-02,2026-03-04,5.00,EUR,Delta,,,no,Net 30,"],
    "an odd flag": CLEAN + ["C4,INV-9,2026-02-02,2026-03-04,5.00,USD,Delta,,,maybe,Net 30,"],
    "open above amount": [CLEAN[0].replace(",,,no,", ",,500.00,no,")] + CLEAN[1:],
}


def _load(path, monkeypatch, lane: bool):
    monkeypatch.setattr(_cleanlane, "ENABLED", lane)
    return arkit.load_ledger(path, source="generic")


@pytest.mark.parametrize("name", list(CASES))
def test_lane_equals_general_path(tmp_path, monkeypatch, name):
    f = tmp_path / "inv.csv"
    f.write_text("\n".join([HEAD, *CASES[name]]) + "\n")
    fast, slow = _load(f, monkeypatch, True), _load(f, monkeypatch, False)
    for t in ("invoices", "payments", "customers", "activities", "adjustments"):
        pd.testing.assert_frame_equal(getattr(fast, t), getattr(slow, t), check_dtype=True)
    pd.testing.assert_frame_equal(fast.load_report.summary, slow.load_report.summary)
    pd.testing.assert_frame_equal(fast.load_report.quarantine, slow.load_report.quarantine)
    assert fast.load_report.sources == slow.load_report.sources


def test_lane_takes_the_clean_file(tmp_path, monkeypatch):
    """The clean file goes through the lane (a declined lane would hide a lane that never runs)."""
    f = tmp_path / "inv.csv"
    f.write_text("\n".join([HEAD, *CLEAN]) + "\n")
    taken = []
    real = _cleanlane.validate
    monkeypatch.setattr(_cleanlane, "validate", lambda *a, **k: taken.append(real(*a, **k) is not None) or real(*a, **k))
    led = arkit.load_ledger(f, source="generic")
    assert taken and taken[0]
    assert led.invoices["amount"].tolist() == [100.5, -20.0, 7.25, 1000.0]
    assert led.invoices["invoice_id"].tolist() == ["INV-1", "INV-2", "00017", "INV-4"]  # leading zeros kept
    assert led.invoices["currency"].tolist() == ["USD"] * 4
    assert led.invoices["disputed"].tolist() == [False, True, False, pd.NA]
