"""arkit: receivables-operations toolkit.

Load → validate → ledger → figures:

>>> import arkit
>>> ledger = arkit.load_ledger("ledger.xlsx")          # every row accepted or quarantined
>>> arkit.aging_summary(ledger, "2026-06-30")           # buckets sum to the open balance
>>> arkit.kpis(ledger, "2025-07", "2026-06")            # DSO, countback DSO, BPDSO, ADD, CEI
>>> arkit.position(ledger, "2026-06-30").customers      # one position per date: debits, credits, past due
"""

from .aging import aging, aging_summary, bucket_labels
from .errors import ConfigError, LedgerError
from .incentives import compare_programs, discount_cost, load_programs, pilot_evaluation
from .kpis import cei, countback_dso, kpis, period_dso
from .load import load_ledger
from .model import Ledger, LoadReport
from .position import Position, position
from .predict import backtest_predictions, forecast_collections, predict_payments
from .review.plans import payment_plan
from .settlements import settlements

__version__ = "0.1.0"


def load_snapshot(path, *, source: str = "auto"):
    """Read an aging-summary report (customer × bucket) into a tidy frame; see :mod:`arkit.snapshot`."""
    from .snapshot import load_snapshot as _load

    return _load(path, source=source)


__all__ = [
    "ConfigError",
    "Ledger",
    "LedgerError",
    "LoadReport",
    "Position",
    "aging",
    "aging_summary",
    "backtest_predictions",
    "bucket_labels",
    "cei",
    "compare_programs",
    "countback_dso",
    "discount_cost",
    "forecast_collections",
    "kpis",
    "load_ledger",
    "load_programs",
    "load_snapshot",
    "payment_plan",
    "period_dso",
    "pilot_evaluation",
    "position",
    "predict_payments",
    "settlements",
]
