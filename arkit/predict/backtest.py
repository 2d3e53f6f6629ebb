"""Walk-forward evaluation: at each cut-off, train on what was known then, predict, and score against what
happened afterwards in the ledger — beside the baseline (the customer's own lateness)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._prep import day_number, prepared
from ..model import Ledger
from .features import _NOT_SETTLED
from .forecast import forecast_collections
from .model import run

RELIABILITY_BINS = 10


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(y) < 2 or y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, p))


def reliability_table(y: np.ndarray, p: np.ndarray, *, bins: int = RELIABILITY_BINS) -> pd.DataFrame:
    """Calibration by predicted-probability decile bins [0, 0.1), …, [0.9, 1.0]: invoices, mean predicted
    p_late, observed share late. Columns: bin, invoices, predicted, observed."""
    b = np.clip((np.asarray(p) * bins).astype("int64"), 0, bins - 1)
    n = np.bincount(b, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.bincount(b, weights=p, minlength=bins) / n
        obs = np.bincount(b, weights=y.astype("float64"), minlength=bins) / n
    labels = [f"{i / bins:.1f}–{(i + 1) / bins:.1f}" for i in range(bins)]
    return pd.DataFrame({"bin": labels, "invoices": n, "predicted": pred, "observed": obs})


def actual_weekly(ledger: Ledger, as_of, pos: np.ndarray, open_c: np.ndarray, weeks: int = 13) -> np.ndarray:
    """Cash received in each week after ``as_of`` on the invoices at positions ``pos`` (open ``open_c``
    cents at as_of): payments applied to them, counted up to their open amount at as_of."""
    p = prepared(ledger)
    day = day_number(as_of)
    slot = np.full(len(ledger.invoices), -1, dtype="int64")
    slot[pos] = np.arange(len(pos))
    s = np.where(p.pay_inv >= 0, slot[np.maximum(p.pay_inv, 0)], -1)
    cum = []
    for k in range(weeks + 1):  # one pass per week edge
        m = (s >= 0) & (p.pay_date > day) & (p.pay_date <= day + 7 * k)
        paid = np.bincount(s[m], weights=p.pay_cents[m], minlength=len(pos))
        cum.append(np.minimum(paid, open_c).clip(0, None).sum() / 100.0)
    return np.diff(np.array(cum))


def backtest_predictions(ledger: Ledger, cutoffs, *, weeks: int = 13, light: bool = False) -> pd.DataFrame:
    """Walk-forward scores of the predictions at each cut-off, beside the baseline.

    For each cut-off c, :func:`~arkit.predict.predict_payments` and :func:`~arkit.predict.forecast_collections`
    run on the ledger as known at c (nothing later is seen); their output is scored against the full ledger:

    - ``auc`` / ``accuracy`` (threshold 0.5) / ``brier`` of p_late on the invoices **not yet due** at c whose
      outcome is known (settled, or still open at the ledger's last date after their due date); late =
      settled after the due date. Baseline: the customer's historical share of invoices settled late.
    - ``mae_days``: mean |expected_pay_date − actual settlement| in days over the open invoices settled by
      the ledger's end (an item predicted beyond a year counts at c + 365). Baseline: due date + the
      customer's mean signed days late, at least c + 1.
    - ``wape``: Σ_weeks |actual − expected| ÷ Σ_weeks actual over the ``weeks`` weeks after c, where actual
      = cash received on the invoices open at c (up to their open amount); NaN when the ledger does not
      reach c + 7 × weeks days. Baseline: each invoice in full at its baseline date.
    - ``band_coverage``: share of those weeks whose actual lies within [low, high] (the p10–p90 band).
    Columns: cutoff, method, open_invoices, scored_not_due, auc, auc_baseline, accuracy,
    accuracy_baseline, brier, brier_baseline, settled_scored, mae_days, mae_days_baseline, wape,
    wape_baseline, band_coverage. ``attrs["reliability"]``: the reliability table of each cut-off
    (cutoff, bin, invoices, predicted, observed); ``attrs["weekly"]``: per cut-off and week, actual,
    expected, low, high, baseline; ``attrs["overall"]``: the same scores pooled over the cut-offs (WAPE as
    Σ|error| ÷ Σ actual over every scored week; the others as means of the cut-offs). ``light``: train on
    a quarter of the examples with fewer boosting iterations on a large ledger (quick backtests inside a report; see
    :func:`~arkit.predict.model.run`).
    """
    cuts = sorted(pd.Timestamp(c).normalize() for c in cutoffs)
    end = ledger.as_of_max
    end_day = day_number(end)
    p = prepared(ledger)
    from .features import known_at  # noqa: F401  (documented entry point of the cut)
    from ..settlements import settlements
    from .._prep import days, invoice_positions

    s = settlements(ledger)
    settle_full = np.full(len(ledger.invoices), _NOT_SETTLED, dtype="int64")
    if len(s):
        sp = invoice_positions(ledger.invoices, s)
        ok = sp >= 0
        settle_full[sp[ok]] = days(s["settled_date"])[ok]
    # map rows of the known ledger to the full ledger by (customer, invoice) key
    key_full = pd.MultiIndex.from_arrays([ledger.invoices["customer_id"].astype("str"), ledger.invoices["invoice_id"].astype("str")])
    rows, rel, weekly = [], [], []
    for c in cuts:  # one walk-forward step per cut-off
        if c < ledger.invoices["invoice_date"].min() or c >= end:
            raise ValueError(f"cut-off {c:%Y-%m-%d} is outside the ledger ({ledger.invoices['invoice_date'].min():%Y-%m-%d} to {end:%Y-%m-%d}): a backtest needs history before it and outcomes after it")
        r = run(ledger, c, light=light)
        f = r.frame
        cday = day_number(c)
        pos = key_full.get_indexer(pd.MultiIndex.from_arrays([f["customer_id"].astype("str"), f["invoice_id"].astype("str")]))
        st = np.where(pos >= 0, settle_full[np.maximum(pos, 0)], _NOT_SETTLED)
        due = day_number_series(f["due_date"])
        not_due = due > cday
        known = (st < _NOT_SETTLED) | (due < end_day)
        m = not_due & known
        y = st[m] > due[m]
        pl, pb = f["p_late"].to_numpy()[m], f["baseline_p_late"].to_numpy()[m]
        settled = st < _NOT_SETTLED
        pred = day_number_series(f["expected_pay_date"]).astype("float64")
        pred = np.where(np.isnan(pred), cday + 365, pred)
        base = day_number_series(f["baseline_pay_date"]).astype("float64")
        fc = forecast_collections(ledger, c, weeks=weeks, light=light)
        if cday + 7 * weeks <= end_day:
            act = actual_weekly(ledger, c, pos[pos >= 0], np.rint(f["open_amount"].to_numpy()[pos >= 0] * 100))
            tot = act.sum()
            wape = float(np.abs(act - fc["expected"]).sum() / tot) if tot > 0 else float("nan")
            wape_b = float(np.abs(act - fc["baseline"]).sum() / tot) if tot > 0 else float("nan")
            cover = float(((act >= fc["low"] - 0.005) & (act <= fc["high"] + 0.005)).mean())
        else:
            act = np.full(weeks, np.nan)
            wape = wape_b = cover = float("nan")
        weekly.append(fc.assign(cutoff=c, actual=np.round(act, 2))[["cutoff", "week", "week_start", "week_end", "actual", "expected", "low", "high", "baseline"]])
        rows.append(
            {
                "cutoff": c,
                "method": r.fitted.method,
                "open_invoices": len(f),
                "scored_not_due": int(m.sum()),
                "late_share": float(y.mean()) if len(y) else float("nan"),
                "auc": _auc(y, pl),
                "auc_baseline": _auc(y, pb),
                "accuracy": float(((pl >= 0.5) == y).mean()) if len(y) else float("nan"),
                "accuracy_baseline": float(((pb >= 0.5) == y).mean()) if len(y) else float("nan"),
                "brier": float(((pl - y) ** 2).mean()) if len(y) else float("nan"),
                "brier_baseline": float(((pb - y) ** 2).mean()) if len(y) else float("nan"),
                "settled_scored": int(settled.sum()),
                "mae_days": float(np.abs(pred - st)[settled].mean()) if settled.any() else float("nan"),
                "mae_days_baseline": float(np.abs(base - st)[settled].mean()) if settled.any() else float("nan"),
                "wape": wape,
                "wape_baseline": wape_b,
                "band_coverage": cover,
            }
        )
        rel.append(reliability_table(y, pl).assign(cutoff=c))
    out = pd.DataFrame(rows)
    out.attrs["reliability"] = pd.concat(rel, ignore_index=True)[["cutoff", "bin", "invoices", "predicted", "observed"]] if rel else pd.DataFrame()
    out.attrs["weekly"] = wk = pd.concat(weekly, ignore_index=True) if weekly else pd.DataFrame()
    out.attrs["overall"] = overall(out, wk)
    del p
    return out


def overall(bt: pd.DataFrame, weekly: pd.DataFrame) -> dict:
    """Scores pooled over the cut-offs of a backtest: means of the per-cut-off figures, WAPE and band
    coverage over every scored week together."""
    out = {k: float(bt[k].mean()) for k in ("auc", "auc_baseline", "accuracy", "accuracy_baseline", "brier", "brier_baseline", "mae_days", "mae_days_baseline")} if len(bt) else {}
    w = weekly.dropna(subset=["actual"]) if len(weekly) else weekly
    tot = float(w["actual"].sum()) if len(w) else 0.0
    out["wape"] = float((w["actual"] - w["expected"]).abs().sum() / tot) if tot > 0 else float("nan")
    out["wape_baseline"] = float((w["actual"] - w["baseline"]).abs().sum() / tot) if tot > 0 else float("nan")
    out["band_coverage"] = float(((w["actual"] >= w["low"] - 0.005) & (w["actual"] <= w["high"] + 0.005)).mean()) if len(w) else float("nan")
    out["cutoffs"] = int(len(bt))
    return out


def day_number_series(s: pd.Series) -> np.ndarray:
    """Dates as day numbers (NaT → NaN)."""
    v = pd.to_datetime(s)
    out = ((v - pd.Timestamp("1970-01-01")).dt.days).to_numpy(dtype="float64", na_value=np.nan)
    return out


#: Cut-offs of the monthly review's quick backtest: one month end (3 months before as_of, else 6 or 9)
#: keeps the outlook within the review's time budget; :func:`backtest_predictions` runs more.
BACKTEST_CUTOFFS = 1


def report_cutoffs(known, as_of, *, n: int = BACKTEST_CUTOFFS) -> list:
    """Up to ``n`` month ends whose 13 weeks of outcomes are known by as_of (cut-off + 91 days ≤ the
    ledger's last date), the nearest of 3, 6, 9 months before as_of, each with at least 6 months of history
    before it."""
    import pandas as pd

    as_of = pd.Timestamp(as_of).normalize()
    if known.invoices.empty:
        return []
    end = known.as_of_max
    first = known.invoices["invoice_date"].min()
    out = []
    for k in (3, 6, 9)[: n + 1]:
        c = (as_of - pd.DateOffset(months=k)) + pd.offsets.MonthEnd(0)
        if c + pd.Timedelta(days=91) <= end and c >= first + pd.DateOffset(months=6):
            out.append(c)
        if len(out) == n:
            break
    return sorted(out)


def quick_backtest(ledger, as_of):
    """The monthly review's quick out-of-time test: :func:`backtest_predictions` with ``light=True`` on the
    ledger as known at ``as_of``, at the month end of :func:`report_cutoffs` (None when there is none).
    Light: on a large ledger a quarter of the training examples and 40 boosting iterations
    (:data:`arkit.predict.model.LIGHT_SCALE`, ``LIGHT_MAX_ITER``)."""
    from .features import known_at

    known = known_at(ledger, as_of)
    cuts = report_cutoffs(known, as_of)
    return backtest_predictions(known, cuts, light=True) if cuts else None
