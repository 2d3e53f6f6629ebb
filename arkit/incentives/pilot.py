"""Pilot evaluation: invoices marked as a pilot against the others, with cluster-bootstrap confidence intervals."""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import pandas as pd

from ..model import Ledger
from ..settlements import settlements
from .programs import _pct

def pilot_flags(ledger: Ledger, *, pilot_customers=None) -> tuple[pd.Series | None, str]:
    """Which invoices are in the pilot, and how that is known. In order of precedence:

    1. ``pilot_customers`` (a list of customer ids): every invoice of those customers;
    2. an invoices column ``pilot`` with at least one truthy value (yes, y, true, 1, x): those invoices;
    3. a customers column ``pilot`` with a truthy value: every invoice of those customers.
    Returns ``(flags, how)`` — a boolean Series aligned with ``ledger.invoices`` and a phrase — or
    ``(None, "")`` when no pilot is marked.
    """
    from ..parse import parse_bools

    inv = ledger.invoices
    if pilot_customers is not None:
        ids = {str(x) for x in pilot_customers}
        if ids:
            return inv["customer_id"].isin(ids), f"{len(ids)} customer id(s) passed in"
    if "pilot" in inv.columns:
        flags = parse_bools(inv["pilot"])[0].fillna(False).astype(bool)
        if flags.any():
            return flags, "the invoices' pilot column"
    cus = ledger.customers
    if "pilot" in cus.columns and len(cus):
        cflags = parse_bools(cus["pilot"])[0].fillna(False).astype(bool)
        ids = set(cus.loc[cflags.to_numpy(), "customer_id"])
        if ids:
            return inv["customer_id"].isin(ids), "the customers' pilot column"
    return None, ""


def _cluster_counts(codes_n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """draws × clusters: how many times each cluster is drawn when ``codes_n`` clusters are resampled with
    replacement (vectorised bincount over flattened draw offsets)."""
    idx = rng.integers(0, codes_n, size=(draws, codes_n))
    flat = (idx + np.arange(draws)[:, None] * codes_n).ravel()
    return np.bincount(flat, minlength=draws * codes_n).reshape(draws, codes_n)


def _lower_median(sorted_vals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted lower median of sorted values for each row of ``weights`` (rows × len(values)): the
    smallest value whose cumulative weight reaches half the total."""
    cum = np.cumsum(weights, axis=-1)
    total = cum[..., -1:]
    pos = np.argmax(cum * 2 >= total, axis=-1)
    return sorted_vals[pos]


def _group_stats(df: pd.DataFrame, draws: int, rng: np.random.Generator, chunk: int = 250):
    """Point estimates and bootstrap draws of mean days, lower-median days and cost per 100 of sales for
    one group, resampling its clusters (customers) with replacement."""
    codes, uniq = pd.factorize(df["cluster"], sort=True)
    n_c = len(uniq)
    d = df["days_to_pay"].to_numpy(dtype="float64")
    amt = df["amount"].to_numpy(dtype="float64")
    cost = df["cost"].to_numpy(dtype="float64")
    n_k = np.bincount(codes, minlength=n_c).astype("float64")
    d_k = np.bincount(codes, weights=d, minlength=n_c)
    a_k = np.bincount(codes, weights=amt, minlength=n_c)
    c_k = np.bincount(codes, weights=cost, minlength=n_c)
    order = np.argsort(d, kind="stable")
    d_sorted, codes_sorted = d[order], codes[order]
    point = (d.mean(), float(_lower_median(d_sorted, np.ones(len(d)))), c_k.sum() / a_k.sum() * 100 if a_k.sum() else np.nan)
    counts = _cluster_counts(n_c, draws, rng).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_b = counts @ d_k / (counts @ n_k)
        cost_b = counts @ c_k / (counts @ a_k) * 100
    med_b = np.empty(draws)
    for s in range(0, draws, chunk):
        w = counts[s : s + chunk][:, codes_sorted]
        med_b[s : s + chunk] = _lower_median(d_sorted, w)
    return point, (mean_b, med_b, cost_b)


def bootstrap_difference(pilot: pd.DataFrame, control: pd.DataFrame, *, draws: int = 2000, seed: int = 0, confidence: float = 0.95, min_customers: int = 5) -> pd.DataFrame:
    """Pilot − control differences with cluster-bootstrap percentile confidence intervals.

    ``pilot`` and ``control``: one row per invoice with ``cluster`` (the customer), ``days_to_pay``,
    ``amount`` and ``cost``. Statistics: mean days to pay (per invoice), median days to pay (the lower
    median: the smallest value with at least half the invoices at or below it), and cost per 100 of sales
    (Σ cost ÷ Σ amount × 100). Each draw resamples each group's customers with replacement (all their
    invoices come along — invoices of one customer are not independent), with a fixed ``seed``; the CI is
    the (1 − confidence) ÷ 2 and (1 + confidence) ÷ 2 percentiles of the draws' differences. A difference
    is significant when the CI excludes 0.
    Columns: metric, pilot, control, difference, ci_low, ci_high, significant, verdict.
    """
    rng = np.random.default_rng(seed)
    few = min(pilot["cluster"].nunique(), control["cluster"].nunique()) < min_customers
    pp, pb = _group_stats(pilot, draws, rng)
    cp, cb = _group_stats(control, draws, rng)
    lo_q, hi_q = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100
    rows = []
    names = [("mean days to pay", "days"), ("median days to pay", "days"), ("cost per 100 of sales", "")]
    for i, (name, unit) in enumerate(names):
        diff_b = pb[i] - cb[i]
        diff_b = diff_b[np.isfinite(diff_b)]
        lo, hi = (np.percentile(diff_b, [lo_q, hi_q]) if len(diff_b) else (np.nan, np.nan))
        diff = pp[i] - cp[i]
        sig = bool(np.isfinite(lo) and (lo > 0 or hi < 0)) and not few
        ci = f"{confidence * 100:.0f} % CI {lo:+.2f} to {hi:+.2f}{' ' + unit if unit else ''}"
        verdict = (f"too few customers to judge: pilot {pilot['cluster'].nunique()}, control {control['cluster'].nunique()} (at least {min_customers} each are needed)" if few else None) or (f"significant: the pilot is {abs(diff):.2f}{' ' + unit if unit else ''} {'lower' if diff < 0 else 'higher'} ({ci})" if sig else f"not significant: the {ci} includes 0")
        rows.append({"metric": name, "pilot": pp[i], "control": cp[i], "difference": diff, "ci_low": float(lo), "ci_high": float(hi), "significant": sig, "verdict": verdict})
    return pd.DataFrame(rows)


@dataclass
class PilotEvaluation:
    """A pilot against its control: ``table`` (:func:`bootstrap_difference`) and what was compared."""

    table: pd.DataFrame
    marked_by: str
    start: pd.Timestamp
    as_of: pd.Timestamp
    pilot_invoices: int
    control_invoices: int
    pilot_customers: int
    control_customers: int
    cost_basis: str
    draws: int


def pilot_evaluation(
    ledger: Ledger,
    as_of,
    *,
    pilot_customers=None,
    program: dict | None = None,
    cost_of_capital: float = 0.09,
    start=None,
    lookback_months: int = 12,
    draws: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PilotEvaluation | None:
    """Compare the invoices in a pilot (:func:`pilot_flags`) against the others, or None when no pilot is
    marked.

    Invoices compared: dated in ``[start, as_of]`` and settled in full by ``as_of`` (credit notes excluded).
    ``start`` defaults to the first pilot invoice's date when the pilot is marked on invoices, else
    ``as_of − lookback_months`` (exclusive). Cost per invoice = discount + carrying cost, where carrying cost
    = amount × days_to_pay × cost_of_capital ÷ 365 and the discount is the invoices' ``discount`` column
    when there is one, else — for pilot invoices paid within the ``program``'s window — ``rate`` × amount
    (the control got no offer: 0). Differences and CIs: :func:`bootstrap_difference` (by customer, fixed
    seed). Unsettled invoices are not seen: a pilot that makes slow payers slower is under-counted.
    """
    flags, how = pilot_flags(ledger, pilot_customers=pilot_customers)
    if flags is None:
        return None
    as_of = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    if start is not None:
        start = pd.Timestamp(start).normalize()
    elif how == "the invoices' pilot column":
        start = inv.loc[flags.to_numpy(), "invoice_date"].min()
    else:
        start = as_of - pd.DateOffset(months=lookback_months) + pd.Timedelta(days=1)
    s = settlements(ledger)
    key = inv[["customer_id", "invoice_id"]].assign(_pilot=flags.to_numpy())
    if "discount" in inv.columns:
        key["_discount"] = pd.to_numeric(inv["discount"], errors="coerce").fillna(0.0).to_numpy()
    s = s.merge(key, on=["customer_id", "invoice_id"], how="left")
    s = s[(s["invoice_date"] >= start) & (s["invoice_date"] <= as_of) & (s["settled_date"] <= as_of) & (s["amount"] > 0)]
    s["_pilot"] = s["_pilot"].fillna(False).astype(bool)
    if "_discount" in s.columns:
        disc = s["_discount"].to_numpy(dtype="float64")
        basis = "the invoices' discount column"
    elif program is not None and program.get("type") in ("early_pay_discount",):
        within = s["days_to_pay"].to_numpy() <= program["discount_days"]
        disc = np.where(s["_pilot"].to_numpy() & within, program["rate"] * s["amount"].to_numpy(), 0.0)
        basis = f"the {program['name']} discount ({_pct(program['rate'])}) on pilot invoices paid within {program['discount_days']} days"
    else:
        disc = np.zeros(len(s))
        basis = "no discount (carrying cost only)"
    carry = s["amount"].to_numpy(dtype="float64") * s["days_to_pay"].to_numpy(dtype="float64") * cost_of_capital / 365.0
    frame = pd.DataFrame(
        {
            "cluster": s["customer_id"].astype("str").to_numpy() + np.where(s["_pilot"].to_numpy(), "|pilot", "|control"),
            "days_to_pay": s["days_to_pay"].to_numpy(),
            "amount": s["amount"].to_numpy(),
            "cost": disc + carry,
            "pilot": s["_pilot"].to_numpy(),
            "customer_id": s["customer_id"].to_numpy(),
        }
    )
    p, c = frame[frame["pilot"]], frame[~frame["pilot"]]
    if p.empty or c.empty:
        table = pd.DataFrame(columns=["metric", "pilot", "control", "difference", "ci_low", "ci_high", "significant", "verdict"])
    else:
        table = bootstrap_difference(p, c, draws=draws, seed=seed, confidence=confidence)
    return PilotEvaluation(
        table=table,
        marked_by=how,
        start=pd.Timestamp(start),
        as_of=as_of,
        pilot_invoices=int(len(p)),
        control_invoices=int(len(c)),
        pilot_customers=int(p["customer_id"].nunique()),
        control_customers=int(c["customer_id"].nunique()),
        cost_basis=basis,
        draws=draws,
    )
