"""The fast paths of arkit.predict give the same figures as the plain definitions they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from arkit.predict import model as M


def test_hazard_rows_array_matches_the_frame_definition():
    """Row r = snapshot rep[r] at bin b: the snapshot's features, then bin, its edges, the edges relative to
    the due date and the gaps to the customer's usual lateness — on the invoice's billing channel when known,
    else overall — then the gap to the expected lateness and the normal hazard around it (hand-built frame)."""
    rng = np.random.default_rng(1)
    n = 7
    X = pd.DataFrame({"a": rng.normal(size=n), "b": pd.array([1, None, 3, 4, 5, 6, 7], dtype="Int64"), "days_to_due": rng.integers(-40, 40, n).astype("float64"),
                      "base_mean_late": rng.normal(5, 3, n), "hist_ewm_late": rng.normal(5, 3, n), "hist_median_late": [np.nan] + list(rng.normal(5, 3, n - 1)),
                      "chan_mean_late": [4.0, np.nan, 1.0, np.nan, -3.0, 2.0, np.nan], "expected_late": rng.normal(3, 4, n), "expected_sigma": rng.uniform(2, 9, n),
                      "cut": np.full(n, 20000), "settle": 20000 + np.array([2, 5, 30, 400, 90, 1, 10**9])})  # fmt: skip
    for as_of in (None, 20000 + 100):
        R, y = M.hazard_rows(X, as_of, ["a", "b"])
        assert R.shape[1] == 2 + len(M.HAZARD_EXTRA)
        if as_of is None:
            rep, b = np.repeat(np.arange(n), M.N_BINS), np.tile(np.arange(M.N_BINS), n)
        else:
            # settlement after 2 days: bin 0 only (event); after 400 days or never: the bins ending by day 100
            full = int(np.searchsorted(M.EDGES, 100, "right") - 1)
            cnt = [1, 2, 9, full, 21, 1, full]
            assert y.sum() == 5 and y.dtype == np.int8  # settled within 100 days: 2, 5, 30, 90, 1 days
            rep = np.repeat(np.arange(n), cnt)
            b = np.concatenate([np.arange(c) for c in cnt])
        lo, hi, d = M.EDGES[b], M.EDGES[b + 1], X["days_to_due"].to_numpy()[rep]
        want = np.column_stack([X["a"].to_numpy()[rep], X["b"].to_numpy("float64", na_value=np.nan)[rep], b, lo, hi, lo - d, hi - d,
                                hi - d - X["base_mean_late"].to_numpy()[rep], hi - d - X["hist_ewm_late"].to_numpy()[rep], hi - d - X["hist_median_late"].to_numpy()[rep],
                                hi - d - X["chan_mean_late"].fillna(X["base_mean_late"]).to_numpy()[rep], hi - d - X["expected_late"].to_numpy()[rep]])  # fmt: skip
        # the normal hazard of the bin: P(lo < T ≤ hi | T > lo), T ~ Normal(days to due + expected late, sigma) on whole days
        from scipy.stats import norm

        mu, sd = (d + X["expected_late"].to_numpy()[rep]), X["expected_sigma"].to_numpy()[rep]
        f_lo, f_hi = norm.cdf(lo + 0.5, mu, sd), norm.cdf(hi + 0.5, mu, sd)
        with np.errstate(invalid="ignore", divide="ignore"):
            want = np.column_stack([want, np.where(1 - f_lo > 1e-12, (f_hi - f_lo) / (1 - f_lo), 1.0)])  # nothing left beyond lo: 1
        np.testing.assert_allclose(R, want, rtol=1e-9, atol=1e-12)
