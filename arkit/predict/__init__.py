"""Payment prediction: who will pay late, when each open invoice will be paid, and the cash the open book
brings in over 13 weeks — trained only on what was known at the date, scored against a baseline.

- :func:`predict_payments` — per open invoice: p_late, expected pay date with a p10–p90 range, drivers;
- :func:`forecast_collections` — weekly expected collections with a p10–p90 band;
- :func:`backtest_predictions` — walk-forward evaluation against the baseline (the customer's own
  lateness).

Modules: :mod:`.features` (snapshots and features, :func:`known_at`), :mod:`.model` (the classifier, the
hazard model, drivers), :mod:`.forecast`, :mod:`.backtest`.
"""

from .backtest import backtest_predictions, quick_backtest
from .features import known_at
from .forecast import forecast_collections
from .model import predict_payments

__all__ = ["backtest_predictions", "forecast_collections", "forecast_parts", "known_at", "predict_payments", "quick_backtest"]


def forecast_parts(ledger, as_of):
    """The month-end predictions (:func:`predict_payments`) and 13-week forecast
    (:func:`forecast_collections`) at ``as_of``: the model fitted on everything known then. A render of
    the monthly review computes them ahead of the notebook, beside the kernel (:mod:`arkit._handoff` job
    ``forecast``); :func:`arkit.review.outlook.build_outlook` takes them from there."""
    import pandas as pd

    as_of = pd.Timestamp(as_of).normalize()
    return predict_payments(ledger, as_of), forecast_collections(ledger, as_of)
