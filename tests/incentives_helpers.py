"""Helpers for the incentive tests: programs dicts, the standard programs, and ledgers of invoices paid a given
number of days after their date."""

from __future__ import annotations

import copy

import pandas as pd

from arkit.incentives import validate_programs
from arkit.model import Ledger
from tests.ledgers import invoices, payments

AS_OF = "2026-06-30"


def programs(*progs, coc=0.09, reach=20, p=(0.10, 0.25, 0.40), loss=0.0, by_segment=None, grid=(0.05, 0.09, 0.13)):
    """A validated programs dict with the given programs and assumptions."""
    data = {
        "assumptions": {
            "lookback_months": 12,
            "cost_of_capital": coc,
            "cost_of_capital_grid": list(grid),
            "bad_debt": {"annual_loss_rate": loss, "by_segment": dict(by_segment or {})},
            "take_up": {"reach_days": reach, "shift_probability": {"low": p[0], "base": p[1], "high": p[2]}},
        },
        "programs": [copy.deepcopy(x) for x in progs],
    }
    return validate_programs(data, "<test>")


D210 = {"name": "2/10 net 30", "type": "early_pay_discount", "rate": 0.02, "discount_days": 10, "net_days": 30}
FEE = {"name": "Late fee", "type": "late_fee", "rate_per_month": 0.015, "grace_days": 10, "cap": 0.10, "collection_rate": 0.6}
CREDIT = {"name": "Credit", "type": "next_purchase_credit", "credit_rate": 0.10, "window_days": 10}
PERK = {"name": "Perk", "type": "perk", "window_days": 10, "cost_per_participant": 100.0}
PLAN = {"name": "Plan", "type": "payment_plan", "min_days_past_due": 60, "installments": 4, "fee_rate": 0.03, "recovery_without_plan": 0.5, "recovery_with_plan": 0.8}


def paid_on(days_list, *, start="2026-01-05", amount=1000.0, terms=30, customers=None):
    """A ledger: invoice i of customer customers[i] (default C0, C1, …) dated ``start``, paid in full
    ``days_list[i]`` days later."""
    d0 = pd.Timestamp(start)
    inv, pay = [], []
    for i, d in enumerate(days_list):
        c = customers[i] if customers else f"C{i}"
        inv.append((c, f"I{i}", d0, d0 + pd.Timedelta(days=terms), amount))
        if d is not None:
            pay.append((c, f"I{i}", d0 + pd.Timedelta(days=d), amount))
    return Ledger.from_frames(invoices(inv), payments(pay) if pay else None)


def segs(ledger, seg="prompt"):
    ids = ledger.invoices["customer_id"].unique()
    return pd.DataFrame({"customer_id": ids, "segment": seg})
