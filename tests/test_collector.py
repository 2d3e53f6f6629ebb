"""The collectors' worklist sheet: contacts, open promise, open disputes, last action, fill-in columns."""

from __future__ import annotations

import openpyxl
import pandas as pd

from arkit.model import Ledger
from arkit.review.collector import collector_sheet, write_worklist
from tests.ledgers import invoices, payments

AS_OF = "2026-06-30"


def _ledger() -> Ledger:
    inv = invoices([("A", "I1", "2026-04-01", "2026-05-01", 1000.0), ("A", "I2", "2026-05-01", "2026-05-31", 400.0), ("B", "I3", "2026-04-15", "2026-05-15", 250.0)])
    pay = payments([("A", "I1", "2026-06-10", 100.0)])
    cust = pd.DataFrame({"customer_id": ["A", "B"], "customer_name": ["Acme", "Bolt"], "contact_name": ["Ann Lee", None], "phone": ["+1 555 1", None], "email": ["ap@acme.test", None]})
    act = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-06-01", "2026-06-05", "2026-06-20", "2026-06-25", "2026-07-02", "2026-06-10", "2026-06-12"]),
            "customer_id": ["A", "A", "A", "A", "A", "B", "B"],
            "action": ["call", "promise_to_pay", "promise_to_pay", "dispute_opened", "call", "promise_to_pay", "reminder"],
            "invoice_id": [None, "I1", "I1", "I2", None, "I3", "I3"],
            "promised_date": pd.to_datetime([None, "2026-06-15", "2026-07-10", None, None, "2026-06-20", None]),
            "promised_amount": [None, 500.0, 900.0, None, None, 250.0, None],
        }
    )
    return Ledger.from_frames(inv, pay, customers=cust, activities=act)


def test_collector_sheet_by_hand():
    led = _ledger()
    wl = pd.DataFrame({"priority": [1, 2], "customer_id": ["A", "B"], "step": ["demand_letter", "call"], "owner": ["credit_manager", "collector"], "reason": ["x", "y"], "past_due_amount": [1300.0, 250.0]})
    s = collector_sheet(wl, led, AS_OF).set_index("customer_id")
    assert s.loc["A", "contact_name"] == "Ann Lee" and s.loc["A", "phone"] == "+1 555 1" and s.loc["A", "customer_name"] == "Acme"
    assert pd.isna(s.loc["B", "contact_name"])
    # A: the latest promise logged by 30 June not yet due is the one of 20 June for 10 July (900.00);
    # B's promise (for 20 June) is past, so none is open
    assert s.loc["A", "open_promise_date"] == pd.Timestamp("2026-07-10") and s.loc["A", "open_promise_amount"] == 900.0
    assert pd.isna(s.loc["B", "open_promise_date"])
    # A's dispute on I2 is open: one dispute, I2's open amount 400.00
    assert s.loc["A", "open_disputes"] == 1 and s.loc["A", "open_dispute_amount"] == 400.0
    assert s.loc["B", "open_disputes"] == 0
    # the last action on or before the as-of date (the call of 2 July is after it)
    assert s.loc["A", "last_action"] == "dispute_opened" and s.loc["A", "last_action_date"] == pd.Timestamp("2026-06-25")
    assert s.loc["B", "last_action"] == "reminder"
    assert s[["status", "notes"]].isna().all().all() and s["next_date"].isna().all()
    assert wl.columns.tolist() == ["priority", "customer_id", "step", "owner", "reason", "past_due_amount"]  # input untouched


def test_worklist_workbook_is_for_people(tmp_path):
    led = _ledger()
    wl = pd.DataFrame({"priority": [1], "customer_id": ["A"], "step": ["demand_letter"], "owner": ["credit_manager"], "reason": ["x"], "past_due_amount": [1300.0]})
    ws = openpyxl.load_workbook(write_worklist(tmp_path / "worklist.xlsx", collector_sheet(wl, led, AS_OF)))["worklist"]
    head = [c.value for c in ws[1]]
    for want in ("Customer", "Contact", "Phone", "Owner", "Step", "Why", "Past due", "Promised for", "Promised amount", "Open disputes", "Last activity on the account", "Last activity on", "Last activity for invoice", "Status", "Next date", "Notes"):
        assert want in head, want
    row = dict(zip(head, ws[2]))
    assert row["Step"].value == "Demand letter" and row["Owner"].value == "Credit manager" and row["Last activity on the account"].value == "Dispute opened"
    assert row["Past due"].number_format.startswith("#,##0.00") and row["Promised for"].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
