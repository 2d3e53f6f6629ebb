"""The 13-week cash forecast of the open book: what the invoices open at ``as_of`` should bring in, week
by week, with a p10–p90 band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import N_BINS, baseline_day, run

#: Correlation of the timing of one customer's invoices in the band simulation (an assumption: a customer
#: tends to pay its invoices together; the backtest's band coverage measures whether the band holds).
CUSTOMER_CORRELATION = 0.6
N_SIMULATIONS = 400
SEED = 0


def weekly_probabilities(cdf: np.ndarray, weeks: int) -> np.ndarray:
    """(n, weeks) probability of settlement in each week after as_of (week k = days 7k−6 … 7k)."""
    from .model import cdf_at

    cols = [cdf_at(cdf, 7 * k) for k in range(weeks + 1)]
    F = np.column_stack(cols) if len(cdf) else np.zeros((0, weeks + 1))
    return np.diff(F, axis=1)


def _bands(cdf: np.ndarray, amount: np.ndarray, cust: np.ndarray, weeks: int, n_sim: int = N_SIMULATIONS) -> tuple[np.ndarray, np.ndarray]:
    """p10 and p90 of each week's collections by simulation: each invoice's settlement bin drawn from its
    distribution, with one customer's invoices correlated (Gaussian copula, :data:`CUSTOMER_CORRELATION`)."""
    from scipy.special import ndtr

    n = len(cdf)
    if n == 0:
        return np.zeros(weeks), np.zeros(weeks)
    rng = np.random.default_rng(SEED)
    codes = pd.factorize(cust)[0]
    # week edges inside the bins: days 7k for k ≤ 13 are bin edges; beyond the horizon nothing is counted
    F = np.column_stack([_cdf_days(cdf, 7 * k) for k in range(1, weeks + 1)])  # (n, weeks)
    rho = CUSTOMER_CORRELATION
    sims = np.zeros((n_sim, weeks))
    for s in range(n_sim):  # one pass per simulated future, each over all invoices at once
        z = np.sqrt(rho) * rng.standard_normal(codes.max() + 1)[codes] + np.sqrt(1 - rho) * rng.standard_normal(n)
        u = ndtr(z)
        wk = (u[:, None] > F).sum(axis=1)  # 0-based week of settlement; == weeks: later
        inside = wk < weeks
        sims[s] = np.bincount(wk[inside], weights=amount[inside], minlength=weeks)
    return np.percentile(sims, 10, axis=0), np.percentile(sims, 90, axis=0)


def _cdf_days(cdf, t):
    from .model import cdf_at

    return cdf_at(cdf, t)


def forecast_collections(ledger, as_of, *, weeks: int = 13, light: bool = False) -> pd.DataFrame:
    """Expected weekly collections of the invoices open (positive balance) at ``as_of``.

    One row per week k = 1 … ``weeks`` after as_of: week_start = as_of + 7(k − 1) + 1 day, week_end = as_of
    + 7k days; ``expected`` = Σ open_amount × P(settled in that week) over the open invoices (the
    predicted distributions of :func:`~arkit.predict.model.predict_payments`, only what is dated ≤ as_of);
    ``low`` / ``high`` = the 10th / 90th percentile of the week's total over 400 simulated futures (a
    customer's invoices move together, correlation :data:`CUSTOMER_CORRELATION`); ``cumulative`` and
    ``baseline`` (each invoice collected in full at due date + the customer's mean days late, at least
    as_of + 1). Credit notes and unapplied cash are not forecast.

    What is not expected within the horizon is in ``attrs``: ``open_total`` (the open amount forecast),
    ``later`` (expected after the horizon but within a year), ``not_within_year`` (expected later than a
    year, or never), ``method`` and ``reason`` (as in predict_payments). Σ expected + later +
    not_within_year = open_total. ``light``: see :func:`~arkit.predict.model.run` (quick backtests; also
    a quarter of the simulations).
    """
    weeks = int(weeks)
    if not 1 <= weeks <= 13:
        raise ValueError(f"weeks must be between 1 and 13 (the model's weekly horizon), not {weeks}")
    r = run(ledger, as_of, light=light)
    amount = r.frame["open_amount"].to_numpy()
    P = weekly_probabilities(r.cdf, weeks)
    expected = (P * amount[:, None]).sum(axis=0) if len(amount) else np.zeros(weeks)
    if r.fitted.method == "model":
        low, high = _bands(r.cdf, amount, r.frame["customer_id"].to_numpy(), weeks, N_SIMULATIONS // 4 if light else N_SIMULATIONS)
    else:
        low = high = expected
    bday = baseline_day(r.X) if len(r.X) else np.array([], "int64")
    bw = (bday - 1) // 7
    inside = bw < weeks
    base = np.bincount(bw[inside], weights=amount[inside], minlength=weeks) if len(bday) else np.zeros(weeks)
    start = r.as_of + pd.to_timedelta(7 * np.arange(weeks) + 1, unit="D")
    out = pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1),
            "week_start": start,
            "week_end": start + pd.Timedelta(days=6),
            "expected": np.round(expected, 2),
            "low": np.round(np.minimum(low, expected), 2),
            "high": np.round(np.maximum(high, expected), 2),
            "cumulative": np.round(np.cumsum(expected), 2),
            "baseline": np.round(base, 2),
        }
    )
    total = float(amount.sum())
    F_h = _cdf_days(r.cdf, 7 * weeks) if len(amount) else np.array([])
    F_y = r.cdf[:, N_BINS] if len(amount) else np.array([])
    out.attrs.update(
        as_of=r.as_of,
        open_total=round(total, 2),
        later=round(float((amount * (F_y - F_h)).sum()), 2),
        not_within_year=round(float((amount * (1 - F_y)).sum()), 2),
        baseline_later=round(float(amount[~inside].sum()), 2) if len(bday) else 0.0,
        method=r.fitted.method,
        reason=r.fitted.reason,
        horizon_end=r.as_of + pd.Timedelta(days=7 * weeks),
    )
    return out
