"""The payment models: who pays late (a calibrated classifier) and when each invoice is paid (a
discrete-time hazard model in which invoices still open are censored, not dropped).

Training data are snapshots of the invoices open at past cut-offs (see :mod:`arkit.predict.features`),
each labelled only with what was known at the prediction date ``as_of``:

- **p_late** — :class:`~sklearn.ensemble.HistGradientBoostingClassifier` wrapped in
  :class:`~sklearn.calibration.CalibratedClassifierCV` (isotonic; sigmoid below 1,000 examples; folds
  grouped by invoice so one invoice's snapshots never sit on both sides). Target: settled after the
  *limit date* — the due date for an item not yet due at the cut-off, cut-off + 30 days for an item
  already past due. Only snapshots whose limit date is on or before ``as_of`` are used, so every label is
  known and no example is chosen by its outcome.
- **pay date** — a discrete-time hazard: the days after a cut-off are cut into :data:`EDGES` bins (13
  weeks, then 4, 9 and 26-week bins up to a year). Each snapshot contributes one row per bin it was
  observed through: label 1 in the bin it was settled in, 0 before; bins not fully observed by ``as_of``
  are left out (censoring). A second HistGradientBoostingClassifier learns the hazard from the features
  plus the bin's position relative to the due date and to the customer's usual lateness. The predicted
  distribution of settlement is ``P(bin b) = h_b × Π_{j<b}(1 − h_j)``, uniform within a bin; what
  survives the last bin is "not within a year". On a small ledger (:data:`SMALL_LEDGER_INVOICES`) the CDF is
  averaged with :func:`normal_cdf` (weight :data:`SMALL_NORMAL_WEIGHT`): settlement Normal around the
  customer's expected lateness (``expected_late``), given not settled by the cut-off.

Fixed seeds everywhere: the same ledger and date give the same predictions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .features import FEATURES

#: Bin edges in days after the cut-off: 13 weekly bins, then to 17, 26 and 52 weeks.
EDGES = np.array([0, 3, 7, 10, 14, 17, 21, 24, 28, 31, 35, 38, 42, 45, 49, 52, 56, 63, 70, 77, 84, 91, 119, 182, 365], dtype="int64")
#: Column of the CDF at 13 weeks (91 days).
H13 = int(np.flatnonzero(EDGES == 91)[0])
N_BINS = len(EDGES) - 1
HAZARD_EXTRA = ["bin", "bin_lo", "bin_hi", "rel_due_lo", "rel_due_hi", "gap_mean", "gap_ewm", "gap_median", "gap_chan", "gap_expected", "normal_hazard"]
SEED = 0
#: Features only the hazard model reads (the classifier's AUC on IBM cut-offs before the test ones fell with them).
HAZARD_ONLY = ("expected_late",)
MAX_CLF_EXAMPLES = 16_000
MAX_HAZARD_EXAMPLES = 6_000
P_FLOOR = 0.005
#: Share of the training-example caps a light run (a quick backtest inside a report) uses; a small ledger
#: (:data:`SMALL_LEDGER_INVOICES`) is cheap to fit and runs in full.
LIGHT_SCALE = 0.25
#: Boosting iterations and learning rate of both models. Small ledgers (:data:`SMALL_LEDGER_INVOICES`): 100 at
#: 0.05 (8 leaves). Large: :data:`LARGE_MAX_ITER` at :data:`LARGE_LEARNING_RATE` (15 leaves; 70 at 0.14 saved
#: 0.2 s of the 100k outlook but moved the 20k sample's walk-forward MAE from 0.884 to 0.889 × the baseline's,
#: too near the 0.9 × must-hold); in a light run :data:`LIGHT_MAX_ITER` at 0.1 (bench/bench_backtest_light.py).
MAX_ITER = 100
LARGE_MAX_ITER = 100
LARGE_LEARNING_RATE = 0.1
LIGHT_MAX_ITER = 40
#: Training snapshots drawn from fewer distinct invoices than this: both boosters learn slowly (see :func:`_hgb`).
#: Snapshots of one invoice at successive cut-offs are near copies, so the invoices, not the snapshots (or the
#: hazard's person-period rows), measure how much there is to learn from (IBM file: 700–2,000; the 20k sample: 13,000+).
SMALL_LEDGER_INVOICES = 2_500
#: Small ledgers: weight of the normal model around the customer's expected lateness (:func:`normal_cdf`) in the
#: settlement distribution, the hazard's being 1 − it; large ledgers: the hazard alone. Chosen on cut-offs before
#: the test ones: IBM file (7 month ends 2012-06-30 … 12-31, known at 2013-04-01), pay-date MAE 0.935 (hazard
#: alone) / 0.921 (half each) / 0.926 (normal alone) × the baseline's, WAPE 0.68 / 0.65 / 0.63 ×; the 20k
#: sample (2025-08-31 … 10-31) MAE 0.896 → 0.903 × with half each, hence the hazard alone on large ledgers.
SMALL_NORMAL_WEIGHT = 0.5
#: Fewer labelled snapshots than this (or no late and no on-time example): the baseline is used instead.
MIN_EXAMPLES = 150


#: p_late can only rise with these (a customer who pays later, more past due, disputes, broken promises).
MONOTONE_UP = ("hist_mean_late", "hist_median_late", "hist_recent_late", "hist_ewm_late", "hist_share_late", "chan_mean_late", "expected_late", "other_past_due", "dispute_open", "broken_promises", "unanswered", "disputed")


def _hgb(small: bool, feats: list | None = None, *, light: bool = False):
    """The booster of both models; ``small`` (a ledger with fewer than :data:`SMALL_LEDGER_INVOICES`
    invoices in its training snapshots): a slower learner (:data:`MAX_ITER` iterations at learning rate 0.05,
    8 leaves); else :data:`LARGE_MAX_ITER` at :data:`LARGE_LEARNING_RATE` (``light``: :data:`LIGHT_MAX_ITER` at
    0.1), 15 leaves."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    mono = {c: 1 for c in MONOTONE_UP if feats is not None and c in feats} or None
    it, rate = (MAX_ITER, 0.05) if small else (LIGHT_MAX_ITER, 0.1) if light else (LARGE_MAX_ITER, LARGE_LEARNING_RATE)
    return HistGradientBoostingClassifier(
        max_iter=it,
        learning_rate=rate,
        max_leaf_nodes=8 if small else 15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        monotonic_cst=mono,
        early_stopping=False,
        random_state=SEED,
    )


@dataclass
class Fitted:
    """A fitted pair of models (or the reason there is none and the baseline is used)."""

    method: str  # "model" or "baseline"
    reason: str = ""
    clf: object = None
    hazard: object = None
    neutral: dict = field(default_factory=dict)
    n_clf: int = 0
    n_hazard: int = 0
    n_rows_hazard: int = 0
    cutoffs: tuple = ()
    late_share: float = float("nan")
    features: list = field(default_factory=list)  # the classifier's: those that vary in the training data
    hazard_features: list = field(default_factory=list)  # the hazard's (with :data:`HAZARD_ONLY`)
    normal_weight: float = 0.0  # weight of :func:`normal_cdf` in the settlement distribution


def hazard_rows(X: pd.DataFrame, as_of: int | None, feats: list) -> tuple[np.ndarray, np.ndarray | None]:
    """Person-period rows: each snapshot × each bin. With ``as_of`` (training), only the bins observed:
    up to the bin of settlement, and only bins that end on or before as_of; label 1 in the settlement bin.
    Without (prediction), every bin, no label.

    Returned as one float64 array, columns ``feats`` + :data:`HAZARD_EXTRA` (the models are fitted and
    applied on arrays: the features are taken out of the frame once per snapshot, not once per bin)."""
    n = len(X)
    cut = X["cut"].to_numpy()
    if as_of is None:
        rep = np.repeat(np.arange(n), N_BINS)
        b = np.tile(np.arange(N_BINS), n)
        y = None
    else:
        t = X["settle"].to_numpy() - cut  # days to settlement (huge when not settled by as_of)
        c = as_of - cut  # days observed
        ev_bin = np.searchsorted(EDGES, t, "left") - 1  # bin b holds EDGES[b] < t ≤ EDGES[b+1]
        ev_bin = np.where(t <= EDGES[-1], ev_bin, N_BINS)  # after the last bin: survived them all
        obs_bins = np.searchsorted(EDGES, c, "right") - 1  # bins fully observed: EDGES[b+1] ≤ c
        last = np.minimum(ev_bin, obs_bins - 1)  # last bin contributed
        cnt = np.clip(last + 1, 0, N_BINS)
        rep = np.repeat(np.arange(n), cnt)
        start = np.cumsum(cnt) - cnt
        b = np.arange(cnt.sum()) - np.repeat(start, cnt)
        y = (b == ev_bin[rep]).astype("int8")
    k = len(feats)
    # column-major, filled column by column (each write contiguous), as a frame's values would be
    R = np.empty((len(rep), k + len(HAZARD_EXTRA)), dtype="float64", order="F")
    F = X[feats].to_numpy(dtype="float64", na_value=np.nan).T  # (features, snapshots), one row per feature
    for j in range(k):  # one gather per feature column (a few dozen), not per row
        R[:, j] = F[j][rep]
    lo, hi = EDGES[b].astype("float64"), EDGES[b + 1].astype("float64")
    dtd = X["days_to_due"].to_numpy(dtype="float64")[rep]
    hi_dtd = hi - dtd
    # the customer's mean days late on this invoice's billing channel, else its (or the portfolio's) mean
    chan = X["chan_mean_late"].to_numpy(dtype="float64", na_value=np.nan)
    chan = np.where(np.isfinite(chan), chan, X["base_mean_late"].to_numpy(dtype="float64", na_value=np.nan))
    extra = {
        "bin": b, "bin_lo": lo, "bin_hi": hi, "rel_due_lo": lo - dtd, "rel_due_hi": hi_dtd,
        "gap_mean": hi_dtd - X["base_mean_late"].to_numpy(dtype="float64", na_value=np.nan)[rep],
        "gap_ewm": hi_dtd - X["hist_ewm_late"].to_numpy(dtype="float64", na_value=np.nan)[rep],
        "gap_median": hi_dtd - X["hist_median_late"].to_numpy(dtype="float64", na_value=np.nan)[rep],
        "gap_chan": hi_dtd - chan[rep],
        "gap_expected": hi_dtd - X["expected_late"].to_numpy(dtype="float64", na_value=np.nan)[rep],
        "normal_hazard": normal_hazard(lo, hi, (X["days_to_due"] + X["expected_late"]).to_numpy(dtype="float64")[rep], X["expected_sigma"].to_numpy(dtype="float64")[rep]),
    }  # fmt: skip
    for j, c in enumerate(HAZARD_EXTRA):
        R[:, k + j] = extra[c]
    return R, y


def normal_hazard(lo: np.ndarray, hi: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Hazard of the bin (lo, hi] days after the cut-off when settlement is Normal(mu, sigma) days after
    it, on whole days (day t holds t − 0.5 … t + 0.5): (F(hi) − F(lo)) ÷ (1 − F(lo)), F the normal CDF;
    1 when nothing is left beyond lo."""
    from scipy.special import ndtr

    sigma = np.maximum(sigma, 1e-6)  # no spread (a customer always exactly as late): a step, never 0 ÷ 0
    f_lo, f_hi = ndtr((lo + 0.5 - mu) / sigma), ndtr((hi + 0.5 - mu) / sigma)
    left = 1 - f_lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(left > 1e-12, (f_hi - f_lo) / left, 1.0)


def clf_labels(X: pd.DataFrame, as_of: int) -> tuple[np.ndarray, np.ndarray]:
    """(known, late) for the p_late classifier: limit = due date if not yet due at the cut-off, else
    cut-off + 30; late = settled after the limit; known = limit ≤ as_of."""
    cut, due, settle = X["cut"].to_numpy(), X["due"].to_numpy(), X["settle"].to_numpy()
    limit = np.where(due > cut, due, cut + 30)
    return limit <= as_of, settle > limit


def _held_out(groups: np.ndarray, share: float) -> np.ndarray:
    """A deterministic share of the groups (invoices) held out, by a fixed hash of the group id."""
    u, inv = np.unique(groups, return_inverse=True)
    pick = np.random.default_rng(SEED).random(len(u)) < share
    return pick[inv]


def fit(train: pd.DataFrame, as_of: int, *, light: bool = False) -> Fitted:
    """Fit both models on the snapshot rows ``train`` (from :func:`~arkit.predict.features.snapshot_features`);
    ``light`` on a large ledger: :data:`LIGHT_SCALE` of the example caps (:data:`MAX_CLF_EXAMPLES`,
    :data:`MAX_HAZARD_EXAMPLES`) and fewer iterations (see :func:`_hgb`); a small ledger is fitted in full."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    known, late = clf_labels(train, as_of)
    C = train[known]
    yc = late[known]
    cuts = tuple(sorted(set(train["cut"].tolist())))
    if len(C) < MIN_EXAMPLES or yc.all() or not yc.any():
        why = f"only {len(C)} past snapshots with a known outcome" if len(C) < MIN_EXAMPLES else "the history holds only late or only on-time payments"
        return Fitted("baseline", reason=why, n_clf=int(len(C)), cutoffs=cuts)
    small = int(train["pos"].nunique()) < SMALL_LEDGER_INVOICES
    light = light and not small  # light runs lighten only large ledgers
    scale = LIGHT_SCALE if light else 1.0
    rng = np.random.default_rng(SEED)
    cap_c, cap_h = int(MAX_CLF_EXAMPLES * scale), int(MAX_HAZARD_EXAMPLES * scale)
    if len(C) > cap_c:
        pick = np.sort(rng.choice(len(C), cap_c, replace=False))
        C, yc = C.iloc[pick], yc[pick]
    varying = [c for c in FEATURES if C[c].nunique() > 1]  # all-missing or constant columns say nothing
    feats = [c for c in varying if c not in HAZARD_ONLY]
    # calibration on invoices held out from the fit (grouped by invoice: one invoice's snapshots never sit
    # on both sides): one boosted fit, then an isotonic (sigmoid below 1,000 examples) map of its scores
    groups = C["pos"].to_numpy()
    held = _held_out(groups, 0.25)
    if yc[~held].all() or not yc[~held].any() or yc[held].all() or not yc[held].any():
        return Fitted("baseline", reason="too few late (or on-time) payments to learn from", n_clf=int(len(C)), cutoffs=cuts)
    base = _hgb(small, feats, light=light).fit(C.loc[~held, feats], yc[~held])
    method = "isotonic" if held.sum() >= 1000 else "sigmoid"
    clf = CalibratedClassifierCV(FrozenEstimator(base), method=method).fit(C.loc[held, feats], yc[held])

    H = train
    if len(H) > cap_h:
        pick = np.sort(rng.choice(len(H), cap_h, replace=False))
        H = H.iloc[pick]
    R, y = hazard_rows(H, as_of, varying)
    if len(R) < MIN_EXAMPLES or y.all() or not y.any():
        return Fitted("baseline", reason="too few observed settlements after past cut-offs", n_clf=int(len(C)), cutoffs=cuts)
    haz = _hgb(small, light=light)
    haz.fit(R, y)
    neutral = {c: float(np.nanmedian(C[c])) if C[c].notna().any() else np.nan for c in FEATURES}
    return Fitted("model", clf=clf, hazard=haz, neutral=neutral, n_clf=int(len(C)), n_hazard=int(len(H)), n_rows_hazard=int(len(R)), cutoffs=cuts, late_share=float(yc.mean()), features=feats, hazard_features=varying, normal_weight=SMALL_NORMAL_WEIGHT if small else 0.0)


# --------------------------------------------------------------------------------------------- predict


def settle_cdf(fitted: Fitted, X: pd.DataFrame) -> np.ndarray:
    """CDF of the settlement day at the bin edges: array (n, N_BINS + 1), column b = P(settled within
    EDGES[b] days of the snapshot's date): the hazard's, mixed with :func:`normal_cdf` by
    ``fitted.normal_weight`` (small ledgers). Baseline: all mass on due + the customer's mean days late
    (at least 1 day out), as a step at that day."""
    n = len(X)
    if fitted.method == "model" and n:
        R, _ = hazard_rows(X, None, fitted.hazard_features)
        h = fitted.hazard.predict_proba(R)[:, 1].reshape(n, N_BINS)
        surv = np.cumprod(1 - h, axis=1)
        cdf = np.hstack([np.zeros((n, 1)), 1 - surv])
        w = fitted.normal_weight
        return cdf if w == 0 else (1 - w) * cdf + w * normal_cdf(X)
    day = baseline_day(X)  # all mass in the bin holding that day (quantiles are taken from the day itself)
    return (EDGES[None, :] >= day[:, None]).astype("float64") if n else np.zeros((0, N_BINS + 1))


def normal_cdf(X: pd.DataFrame) -> np.ndarray:
    """CDF at the bin edges (as :func:`settle_cdf`) of settlement Normal(days_to_due + expected_late,
    expected_sigma) days after the snapshot date on whole days, given not settled by it (day ≥ 1)."""
    from scipy.special import ndtr

    mu = (X["days_to_due"] + X["expected_late"]).to_numpy(dtype="float64")[:, None]
    sd = np.maximum(X["expected_sigma"].to_numpy(dtype="float64")[:, None], 1e-6)  # no spread: a step, never 0 ÷ 0
    F = ndtr((EDGES[None, :] + 0.5 - mu) / sd)
    left = 1 - F[:, :1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(left > 1e-12, (F - F[:, :1]) / left, (EDGES[None, :] >= 1).astype("float64"))


def baseline_day(X: pd.DataFrame) -> np.ndarray:
    """Baseline settlement: due date + the customer's mean signed days late (the portfolio's for a customer
    with no history), as days after the snapshot date, at least 1."""
    d = X["days_to_due"].to_numpy() + np.round(X["base_mean_late"].to_numpy())
    return np.maximum(d, 1).astype("int64")


def quantile_days(cdf: np.ndarray, q: float) -> np.ndarray:
    """Day (after the snapshot) by which the settlement probability reaches ``q``, interpolating linearly
    within a bin, rounded up to a whole day ≥ 1; NaN when q is not reached within the last edge."""
    n = len(cdf)
    if n == 0:
        return np.array([], dtype="float64")
    reach = cdf[:, 1:] >= q
    b = reach.argmax(axis=1)
    ok = reach.any(axis=1)
    lo_p, hi_p = cdf[np.arange(n), b], cdf[np.arange(n), b + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(hi_p > lo_p, (q - lo_p) / (hi_p - lo_p), 1.0)
    d = EDGES[b] + np.clip(frac, 0, 1) * (EDGES[b + 1] - EDGES[b])
    d = np.maximum(np.ceil(d - 1e-9), 1)  # day t holds (t − 1, t]: the first whole day reaching q
    return np.where(ok, d, np.nan)


def cdf_at(cdf: np.ndarray, t) -> np.ndarray:
    """P(settled within ``t`` days), linear within bins; ``t`` a scalar or one value per row."""
    t = np.broadcast_to(np.asarray(t, dtype="float64"), (len(cdf),))
    b = np.clip(np.searchsorted(EDGES, t, "right") - 1, 0, N_BINS - 1)
    r = np.arange(len(cdf))
    lo, hi = EDGES[b], EDGES[b + 1]
    frac = np.clip((t - lo) / (hi - lo), 0, 1)
    return cdf[r, b] + frac * (cdf[r, b + 1] - cdf[r, b])


def p_late(fitted: Fitted, X: pd.DataFrame) -> np.ndarray:
    """Probability settled after the limit date (see :func:`clf_labels`), kept within [P_FLOOR, 1 − P_FLOOR]
    (0.5 % – 99.5 %). Baseline: the customer's historical share of invoices settled after due (the
    portfolio's when it has none)."""
    if fitted.method == "model" and len(X):
        # isotonic calibration can reach exactly 0 or 1; no history makes anything certain
        return np.clip(fitted.clf.predict_proba(X[fitted.features])[:, 1], P_FLOOR, 1 - P_FLOOR)
    return X["base_share_late"].to_numpy(dtype="float64")


# --------------------------------------------------------------------------------------------- drivers

STAGE_NAMES = {1: "reminders", 2: "calls", 3: "a formal letter", 4: "credit hold", 5: "a demand letter", 6: "an agency", 7: "legal", 8: "write-off"}

#: Driver groups: the features each stands for.
DRIVER_GROUPS = {
    "history": ["hist_n", "chan_mean_late", "chan_n", "hist_mean_late", "hist_median_late", "hist_recent_late", "hist_ewm_late", "hist_std_late", "hist_share_late", "hist_mean_dtp", "days_since_settle", "tenure_days"],
    "trend": ["hist_trend"],
    "past_due": ["other_past_due", "past_due_amount", "oldest_dpd", "open_items"],
    "timing": ["days_to_due", "age_days"],
    "amount": ["amount_ratio", "log_amount", "open_share"],
    "dispute": ["dispute_open", "cust_disputes", "disputed"],
    "promises": ["broken_promises"],
    "contacts": ["unanswered", "contacts_inv", "stage_inv"],
    "credit": ["credit_hold", "utilisation", "plan_recent"],
    "billing": ["bill_dom", "terms_days", "due_month", "e_invoice"],
    "portfolio": ["port_mean_late", "port_share_late"],
}


def _fmt_days(x: pd.Series) -> pd.Series:
    return x.abs().round(0).astype("Int64").astype("str")


def driver_phrases(X: pd.DataFrame) -> dict[str, pd.Series]:
    """The words for each driver group, per row (built column-wise)."""
    f = {c: X[c] for c in FEATURES}
    m = f["hist_mean_late"]
    n = f["hist_n"].fillna(0)
    share = (f["hist_share_late"] * 100).round(0).astype("Int64").astype("str")
    hist = pd.Series(
        np.select([n == 0, m > 0.5, m < -0.5], ["no payment history yet (judged on portfolio behaviour)", "pays " + _fmt_days(m) + " days late on average", "pays " + _fmt_days(m) + " days early on average"], "pays on the due date on average"),
        index=X.index,
    )
    hist = hist.where(n == 0, hist + " (" + share + " % of " + n.astype("int64").astype("str") + np.where(n == 1, " invoice late)", " invoices late)"))
    t = f["hist_trend"]
    trend = pd.Series(np.select([t > 0.5, t < -0.5], ["lately " + _fmt_days(t) + " days later than usual", "lately " + _fmt_days(t) + " days earlier than usual"], "paying as usual lately"), index=X.index)
    op = f["other_past_due"].fillna(0).astype("int64")
    oldest = f["oldest_dpd"]
    past = pd.Series(np.where(op > 0, op.astype("str") + np.where(op == 1, " other item", " other items") + " past due (oldest " + _fmt_days(oldest) + " days)", "nothing else past due"), index=X.index)
    d = f["days_to_due"]
    timing = pd.Series(np.select([d > 0, d == 0], ["due in " + _fmt_days(d) + np.where(d == 1, " day", " days"), "due today"], "already " + _fmt_days(d) + " days past due"), index=X.index)
    r = f["amount_ratio"]
    amount = pd.Series(np.where(r.notna(), "amount " + r.round(1).astype("str") + "× the customer's usual", "first invoice of this size"), index=X.index)
    amount = amount.where(f["open_share"] >= 0.999, amount + ", partly paid")
    disp = pd.Series(np.select([f["dispute_open"] > 0, f["disputed"] > 0, f["cust_disputes"] > 0], ["open dispute on this invoice", "marked disputed", f["cust_disputes"].fillna(0).astype("int64").astype("str") + " open dispute(s) on the account"], "no open dispute"), index=X.index)
    bp = f["broken_promises"].fillna(0).astype("int64")
    prom = pd.Series(np.where(bp > 0, bp.astype("str") + np.where(bp == 1, " broken promise", " broken promises") + " in 6 months", "no broken promise"), index=X.index)
    un = f["unanswered"].fillna(0).astype("int64")
    stage = f["stage_inv"].fillna(0).astype("int64")
    cont = pd.Series(np.where(un > 0, un.astype("str") + " contact(s) without answer in 90 days", "no unanswered contact"), index=X.index)
    cont = cont.where(stage < 3, cont + "; escalated to " + stage.map(STAGE_NAMES).fillna(""))
    u = f["utilisation"]
    credit = pd.Series(np.select([f["credit_hold"] > 0, f["plan_recent"] > 0, u.notna()], ["on credit hold", "payment plan in the last 6 months", "credit limit " + (u * 100).round(0).astype("Int64").astype("str") + " % used"], "no credit limit recorded"), index=X.index)
    billing = "billed on day " + f["bill_dom"].astype("Int64").astype("str") + ", " + f["terms_days"].astype("Int64").astype("str") + "-day terms"
    billing = billing + np.select([f["e_invoice"] == 1, f["e_invoice"] == 0], [", sent electronically", ", sent on paper"], "")
    pm = f["port_mean_late"]
    port = pd.Series(np.where(pm.notna(), "the whole book pays " + _fmt_days(pm) + np.where(pm >= 0, " days late", " days early") + " lately", "little recent portfolio history"), index=X.index)
    return {"history": hist, "trend": trend, "past_due": past, "timing": timing, "amount": amount, "dispute": disp, "promises": prom, "contacts": cont, "credit": credit, "billing": billing, "portfolio": port}


def drivers(fitted: Fitted, X: pd.DataFrame, p: np.ndarray, *, top: int = 3, min_effect: float = 0.03) -> pd.Series:
    """The top drivers of each p_late in words, largest effect first.

    Effect of a group = p_late − p_late with the group's features set to a typical (median) training value:
    how much that part of the account moves this prediction. The groups that push it to its side (towards
    late when p_late ≥ 0.5, towards on time below) are ranked; up to ``top`` of them with an effect ≥
    ``min_effect`` are named, then the customer's payment record when it is not among them; the baseline
    names the customer's record only.
    """
    words = driver_phrases(X)
    if fitted.method != "model" or len(X) == 0:
        return words["history"].reset_index(drop=True)
    names = list(DRIVER_GROUPS)
    eff = np.zeros((len(X), len(names)))
    base = X[fitted.features]
    for j, g in enumerate(names):  # one prediction per driver group (a dozen), not per row
        Z = base.copy()
        for c in DRIVER_GROUPS[g]:
            if c in Z:
                Z[c] = fitted.neutral.get(c, np.nan)
        eff[:, j] = p - fitted.clf.predict_proba(Z)[:, 1]
    # the drivers that push the prediction to its side: towards late when p_late ≥ 0.5, else towards on time
    side = np.where(p >= 0.5, 1.0, -1.0)[:, None]
    signed = eff * side
    order = np.argsort(-signed, axis=1, kind="stable")
    rows = np.arange(len(X))
    phrase = np.column_stack([words[g].to_numpy(dtype=object) for g in names])
    out = pd.Series([""] * len(X), dtype="str")
    named_history = np.zeros(len(X), dtype=bool)
    for r in range(top):
        col = order[:, r]
        big = signed[rows, col] >= min_effect
        named_history |= big & (col == names.index("history"))
        txt = pd.Series(phrase[rows, col], dtype="str").where(big, "")
        out = pd.Series(np.where((out != "") & (txt != ""), out + "; " + txt, out + txt), dtype="str")
    # the customer's own record is always said, after the drivers when it is not one of them
    hist = words["history"].reset_index(drop=True)
    return pd.Series(np.where(named_history, out, np.where(out != "", out + "; " + hist, hist)), dtype="str")


# --------------------------------------------------------------------------------------------- pipeline


@dataclass
class Run:
    """Everything predicted at one date: the open items' features, the models, the distributions."""

    as_of: pd.Timestamp
    X: pd.DataFrame  # features of the invoices open at as_of
    fitted: Fitted
    cdf: np.ndarray
    frame: pd.DataFrame  # what predict_payments returns
    train_window: tuple = ()


def training_cutoffs(ctx, n_open: int, *, lookback_days: int = 730, target_rows: int = 60_000) -> np.ndarray:
    """Past cut-off days for the training snapshots: every ``step`` days back from as_of − 7, no earlier
    than 60 days after the first invoice and ``lookback_days`` before as_of; ``step`` (≥ 7 days) is chosen
    so that the snapshots hold about ``target_rows`` open invoices in all."""
    if len(ctx.inv_day) == 0:
        return np.array([], dtype="int64")
    latest = ctx.as_of - 7
    earliest = max(int(ctx.inv_day.min()) + 60, ctx.as_of - lookback_days)
    if latest < earliest:
        return np.array([], dtype="int64")
    window = latest - earliest
    n_cut = int(np.clip(target_rows / max(n_open, 1), 8, 104))
    step = max(7, int(np.ceil(window / n_cut)))
    return latest - step * np.arange(window // step + 1)


def run(ledger, as_of, *, light: bool = False) -> Run:
    """Train on the past of ``as_of`` and predict the invoices open at it (cached on the ledger).

    ``light`` (for quick backtests inside a report): on a large ledger :data:`LIGHT_SCALE` of the training
    examples and :data:`LIGHT_MAX_ITER` boosting iterations (see :func:`fit`); no drivers.

    Model fitting runs on one OpenMP thread: on a shared 2-core machine gradient boosting's threads
    otherwise wait on each other far longer than the work takes."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP first, so that the limit below reaches it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return _run(ledger, as_of, light)


def _run(ledger, as_of, light: bool) -> Run:
    from .._prep import day_number, frames_key
    from ..aging import customer_names
    from .features import context, known_at, snapshot_features

    as_of = pd.Timestamp(as_of).normalize()
    key = (as_of, *frames_key(ledger, "invoices", "payments", "activities", "adjustments"), light)
    cache = ledger.__dict__.setdefault("_predict_runs", {})
    if key in cache:
        return cache[key]
    known = known_at(ledger, as_of)
    ctx = context(known, as_of)
    day = day_number(as_of)
    X = snapshot_features(ctx, [day])
    cuts = training_cutoffs(ctx, len(X))
    train = snapshot_features(ctx, cuts) if len(cuts) else X.iloc[:0]
    if len(X) == 0:
        fitted = Fitted("baseline", reason="nothing is open")
    elif len(cuts) == 0:
        fitted = Fitted("baseline", reason="the ledger holds less than about 2 months of history before this date")
    else:
        fitted = fit(train, day, light=light)
    cdf = settle_cdf(fitted, X)
    p = p_late(fitted, X)
    base_day = baseline_day(X)
    if fitted.method == "model":
        q10, q50, q90 = (quantile_days(cdf, q) for q in (0.1, 0.5, 0.9))
    else:
        q10 = q50 = q90 = base_day.astype("float64")
    inv = known.invoices.iloc[X["pos"].to_numpy()]

    def date(d):
        return pd.Series(as_of + pd.to_timedelta(d, unit="D"), dtype="datetime64[ns]").reset_index(drop=True)

    frame = pd.DataFrame(
        {
            "customer_id": inv["customer_id"].to_numpy(),
            "invoice_id": inv["invoice_id"].to_numpy(),
            "invoice_date": inv["invoice_date"].to_numpy(),
            "due_date": inv["due_date"].to_numpy(),
            "open_amount": X["open_c"].to_numpy() / 100.0,
            "days_past_due": -X["days_to_due"].to_numpy().astype("int64"),
            "p_late": np.round(p, 4),
            "expected_pay_date": date(q50),
            "pay_date_p10": date(q10),
            "pay_date_p90": date(q90),
            "p_paid_13_weeks": np.round(cdf[:, H13], 4) if len(X) else np.array([]),
            "drivers": drivers(fitted, X, p) if not light else pd.Series([""] * len(X), dtype="str"),
            "baseline_p_late": np.round(X["base_share_late"].to_numpy(), 4),
            "baseline_pay_date": date(base_day),
        }
    )
    frame.insert(1, "customer_name", customer_names(known, frame["customer_id"]).to_numpy())
    window = (pd.Timestamp(np.datetime64(int(cuts.min()), "D")), pd.Timestamp(np.datetime64(int(cuts.max()), "D"))) if len(cuts) else ()
    frame.attrs.update(
        method=fitted.method, reason=fitted.reason, as_of=as_of, training_examples=fitted.n_clf, training_cutoffs=len(cuts), training_window=window,
        uses_disputed_flag=bool(ctx.disputed is not None and "disputed" in fitted.features), normal_weight=fitted.normal_weight,
    )  # fmt: skip
    r = Run(as_of, X, fitted, cdf, frame, window)
    if len(cache) > 8:
        cache.clear()
    cache[key] = r
    return r


def predict_payments(ledger, as_of) -> pd.DataFrame:
    """Payment predictions for every invoice with a positive balance at ``as_of``.

    Uses only what is dated on or before ``as_of`` (:func:`~arkit.predict.features.known_at`). One row per
    open invoice: customer_id, customer_name, invoice_id, invoice_date, due_date, open_amount,
    days_past_due, and

    - ``p_late``: for an item not yet due, the probability it is settled after its due date; for an item
      already past due, the probability it is still unpaid 30 days after ``as_of`` (calibrated classifier);
    - ``expected_pay_date``: the median of the predicted settlement date (hazard model), never before
      as_of + 1 day; NaT when the item is more likely than not to stay unpaid for a year;
    - ``pay_date_p10`` / ``pay_date_p90``: the 10th / 90th percentiles (NaT: beyond a year);
    - ``p_paid_13_weeks``: probability of settlement within 13 weeks;
    - ``drivers``: the largest drivers of p_late in words (see :func:`drivers`);
    - ``baseline_p_late`` (the customer's historical share settled late) and ``baseline_pay_date`` (due
      date + the customer's mean signed days late, at least as_of + 1): what the model is judged against.

    ``attrs``: method ("model", or "baseline" with ``reason`` when the history is too short to train),
    training_examples, training_cutoffs, training_window, uses_disputed_flag (the undated Disputed column
    was used, see :mod:`arkit.predict.features`). When the method is "baseline", p_late and the
    dates are the baseline's.
    """
    return run(ledger, as_of).frame.copy()
