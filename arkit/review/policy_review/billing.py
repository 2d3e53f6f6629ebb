"""Section 8 — lateness by billing day, payment method and terms."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ...model import Ledger
from ...settlements import settlements
from ..charts import _style
from ..display import table
from ._common import _terms_labels
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

#: Billing-day bands: (first day, last day, label). End of month = invoices dated on the 21st or later.
BILLING_BANDS = ((1, 10, "start of month (1-10)"), (11, 20, "mid-month (11-20)"), (21, 31, "end of month (21-31)"))


def billing_band(day_of_month) -> np.ndarray:
    """The :data:`BILLING_BANDS` label of each invoice day of month (1–31)."""
    d = np.asarray(day_of_month, dtype="int64")
    return np.select([d <= b[1] for b in BILLING_BANDS], [b[2] for b in BILLING_BANDS], default=BILLING_BANDS[-1][2]).astype(object)


def settled_invoices(ledger: Ledger, start, end) -> pd.DataFrame:
    """Invoices settled in [start, end] (:func:`arkit.settlements`: paid in full, settled_date in the
    window), with what they are analysed by: day (invoice day of month), band (:func:`billing_band`),
    terms (:func:`_terms_labels`), method (the ``method`` of the payment applied to the invoice on its
    settled date — the first such line; "not recorded" when none is given).
    Columns: the settlements columns, day, band, terms, method."""
    s = settlements(ledger)
    s = s[(s["settled_date"] >= pd.Timestamp(start)) & (s["settled_date"] <= pd.Timestamp(end))].reset_index(drop=True)
    terms = _terms_labels(ledger)
    key = ledger.invoices["customer_id"].astype("str") + "\x1f" + ledger.invoices["invoice_id"].astype("str")
    s["day"] = s["invoice_date"].dt.day.astype("int64")
    s["band"] = billing_band(s["day"].to_numpy())
    s["terms"] = (s["customer_id"].astype("str") + "\x1f" + s["invoice_id"].astype("str")).map(pd.Series(terms.to_numpy(), index=key.to_numpy())).fillna("not recorded").astype("str")
    pay = ledger.payments
    if len(pay) and "method" in pay and pay["method"].notna().any():
        pm = pay.dropna(subset=["invoice_id"])[["customer_id", "invoice_id", "payment_date", "method"]].drop_duplicates(["customer_id", "invoice_id", "payment_date"], keep="first")
        pm = pm.rename(columns={"payment_date": "settled_date"})
        s = s.merge(pm, on=["customer_id", "invoice_id", "settled_date"], how="left")
        s["method"] = s["method"].fillna("not recorded").astype("str")
    else:
        s["method"] = "not recorded"
    s["band"] = s["band"].astype("str")
    return s


def lateness_by(settled: pd.DataFrame, by: str) -> pd.DataFrame:
    """Lateness of settled invoices grouped by ``by`` (band, day, method, terms…): invoices, amount (Σ),
    avg_days_late (mean of the signed days late: settled − due), weighted_days_late (Σ amount × days_late
    ÷ Σ amount), pct_late (share of the invoices settled after their due date, %), avg_days_to_pay.
    Example: invoices of 100 paid 10 days late and 300 paid 2 days early → avg 4.0, weighted
    (1,000 − 600) ÷ 400 = 1.0, 50 % late."""
    s = settled.assign(_w=settled["amount"] * settled["days_late"], _late=settled["days_late"] > 0)
    g = s.groupby(by, sort=True).agg(
        invoices=("days_late", "size"),
        amount=("amount", "sum"),
        avg_days_late=("days_late", "mean"),
        _w=("_w", "sum"),
        pct_late=("_late", "mean"),
        avg_days_to_pay=("days_to_pay", "mean"),
    )
    g["weighted_days_late"] = g["_w"] / g["amount"].where(g["amount"] != 0)
    g["pct_late"] = g["pct_late"] * 100.0
    g["amount"] = g["amount"].round(2)
    return g.drop(columns="_w")[["invoices", "amount", "avg_days_late", "weighted_days_late", "pct_late", "avg_days_to_pay"]].reset_index()


def billing_by_customer(settled: pd.DataFrame) -> pd.DataFrame:
    """Per customer, the invoices billed at month end (band "end of month") against its other invoices:
    eom_invoices, eom_avg_days_late, other_invoices, other_avg_days_late, gap_days = eom − other (NaN when
    either is missing), p_value: Welch's two-sample t-test of the two groups' days late within the customer
    (two-sided; NaN with fewer than 2 invoices in a group, or no spread in either). Example: month-end
    invoices 18, 20, 22 days late and others 1, 2, 3 → gap 18.0, p < 0.001.
    Columns: customer_id, those five, gap_days, p_value."""
    from scipy.special import stdtr

    eom = settled["band"] == BILLING_BANDS[-1][2]
    a = settled[eom].groupby("customer_id")["days_late"].agg(["size", "mean", "var"])
    b = settled[~eom].groupby("customer_id")["days_late"].agg(["size", "mean", "var"])
    out = a.add_suffix("_e").join(b.add_suffix("_o"), how="outer")
    res = pd.DataFrame(
        {
            "eom_invoices": out["size_e"].fillna(0).astype("int64"),
            "eom_avg_days_late": out["mean_e"],
            "other_invoices": out["size_o"].fillna(0).astype("int64"),
            "other_avg_days_late": out["mean_o"],
        }
    )
    res["gap_days"] = res["eom_avg_days_late"] - res["other_avg_days_late"]
    ve, vo = out["var_e"].to_numpy(dtype="float64") / out["size_e"].to_numpy(dtype="float64"), out["var_o"].to_numpy(dtype="float64") / out["size_o"].to_numpy(dtype="float64")
    se2 = ve + vo
    with np.errstate(divide="ignore", invalid="ignore"):
        t = res["gap_days"].to_numpy(dtype="float64") / np.sqrt(se2)
        dof = se2**2 / (ve**2 / (out["size_e"].to_numpy(dtype="float64") - 1) + vo**2 / (out["size_o"].to_numpy(dtype="float64") - 1))
        pv = 2 * stdtr(dof, -np.abs(t))  # two-sided: 2 · P(T_dof ≤ −|t|)
    ok = (res["eom_invoices"].to_numpy() >= 2) & (res["other_invoices"].to_numpy() >= 2) & np.isfinite(pv) & (se2 > 0)
    res["p_value"] = np.where(ok, pv, np.nan)
    return res.rename_axis("customer_id").reset_index()


def fdr_adjusted(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of a family of tests: q_(i) = min over j ≥ i of
    p_(j) × m ÷ j on the p-values sorted ascending, capped at 1; NaN stays NaN and is not counted in m.
    Listing the tests with q ≤ α keeps the expected share of false findings among them at most α, where
    listing those with p ≤ α would, across 50 customers, list about 2.5 by chance alone. Example: p = 0.01,
    0.04, 0.03 → q = 0.03, 0.04, 0.04."""
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(p[ok], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out[order] = np.minimum(q, 1.0)
    return out


#: The comparison each factor is judged against: (the reference level, or None for the largest group).
REFERENCES = {"method": "ach", "band": BILLING_BANDS[1][2], "terms": None}


def within_customer_effects(settled: pd.DataFrame, by: str, *, reference: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """How much later each level of ``by`` (method, band, terms…) is paid than the reference level **within
    the same customers**: a fixed-effects regression of days late on the levels, with a fixed effect per
    customer and standard errors clustered by customer.

    Model: days_late_ic = α_c + Σ_L β_L · [level_ic = L] + ε_ic over the settled invoices (one row per
    invoice), reference level left out. Estimated by the within transformation (days late and the level
    dummies demeaned per customer, then OLS without a constant — numerically the same β as customer
    dummies), cluster-robust covariance by customer (t with G − 1 degrees of freedom): :func:`cluster_ols`,
    the same estimator and small-sample correction as statsmodels' ``OLS(...).fit(cov_type="cluster",
    use_t=True)`` (held to it in the tests). β_L is identified only by customers who have invoices at L and at another level
    (``switchers``); a level with none gets NaN. A chronic late payer who pays by wire raises the raw wire
    average but not β_wire.
    Reference: ``reference`` if given and present, else :data:`REFERENCES` for ``by``, else the level with
    the most invoices.
    Columns: level, reference, invoices, customers, switchers, avg_days_late (raw mean of the level),
    raw_gap (avg_days_late − the reference's), effect (β_L, days), ci_low, ci_high (``confidence``
    interval), p_value, clusters (customers in the regression). The reference's own row has effect 0.
    Example: customer A pays wire 20 and ACH 20 days late, customer B wire 0 and ACH 0, A mostly by wire
    and B mostly by ACH → raw gap +10, effect 0.
    """
    cols = ["level", "reference", "invoices", "customers", "switchers", "avg_days_late", "raw_gap", "effect", "ci_low", "ci_high", "p_value", "clusters"]
    d = settled[["customer_id", by, "days_late"]].dropna()
    if d.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("level", "reference") else "float64") for c in cols})
    lev = d[by].astype("str")
    counts = lev.value_counts()
    ref = reference if reference is not None else REFERENCES.get(by)
    if ref is None or ref not in counts.index:
        ref = str(counts.index[0])
    levels = [str(x) for x in counts.index if x != ref]
    cust = pd.factorize(d["customer_id"].astype("str"))[0]
    y = d["days_late"].to_numpy(dtype="float64")
    raw = d.groupby(lev)["days_late"].mean()
    n_lev_cust = pd.DataFrame({"c": cust, "l": lev.to_numpy()}).drop_duplicates().groupby("c").size()
    multi = set(n_lev_cust[n_lev_cust > 1].index)
    per_level_cust = pd.DataFrame({"c": cust, "l": lev.to_numpy()}).drop_duplicates().groupby("l")["c"].agg(lambda x: (len(x), sum(1 for v in x if v in multi)))
    G = int(cust.max()) + 1
    cnt = np.bincount(cust, minlength=G).astype("float64")

    def demean(v):
        return v - (np.bincount(cust, weights=v, minlength=G) / cnt)[cust]

    X = np.column_stack([demean((lev.to_numpy() == L).astype("float64")) for L in levels]) if levels else np.zeros((len(d), 0))
    usable = [i for i, L in enumerate(levels) if per_level_cust[L][1] > 0 and np.abs(X[:, i]).max() > 1e-12]
    est = {}
    if usable and G >= 2:
        beta, ci_lo, ci_hi, pv = cluster_ols(demean(y), X[:, usable], cust, confidence=confidence)
        for k, i in enumerate(usable):
            est[levels[i]] = (float(beta[k]), float(ci_lo[k]), float(ci_hi[k]), float(pv[k]))
    rows = []
    for L in [ref, *levels]:
        n_c, n_sw = per_level_cust[L]
        e = (0.0, 0.0, 0.0, np.nan) if L == ref else est.get(L, (np.nan, np.nan, np.nan, np.nan))
        rows.append(
            {
                "level": L,
                "reference": ref,
                "invoices": int(counts[L]),
                "customers": int(n_c),
                "switchers": int(n_sw),
                "avg_days_late": float(raw[L]),
                "raw_gap": float(raw[L] - raw[ref]),
                "effect": e[0],
                "ci_low": e[1],
                "ci_high": e[2],
                "p_value": e[3],
                "clusters": G,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def cluster_ols(y: np.ndarray, X: np.ndarray, groups: np.ndarray, *, confidence: float = 0.95):
    """OLS of ``y`` on ``X`` (no constant added) with standard errors clustered by ``groups`` (integer codes
    0..G−1). Returns (β, CI low, CI high, two-sided p) per column of ``X``.

    β = (X'X)⁻¹X'y; residuals u = y − Xβ; V = c · (X'X)⁻¹ [Σ_g (X_g'u_g)(X_g'u_g)'] (X'X)⁻¹ with the
    small-sample factor c = G/(G − 1) · (N − 1)/(N − K); t = β/√diag(V) with G − 1 degrees of freedom;
    CI = β ± t_(1+confidence)/2, G−1 · se. This is statsmodels' ``cov_type="cluster"`` with its default
    correction and ``use_t=True``; written with numpy because importing statsmodels (which imports
    scipy.stats) costs ~1.5 s of every policy-review render, for this one regression.
    """
    from scipy.special import stdtr, stdtrit

    y = np.asarray(y, dtype="float64")
    X = np.asarray(X, dtype="float64")
    g = np.asarray(groups)
    n, k = X.shape
    G = int(g.max()) + 1
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    u = y - X @ beta
    scores = np.zeros((G, k))
    np.add.at(scores, g, X * u[:, None])  # Σ over each cluster's rows of x_i · u_i
    meat = scores.T @ scores
    c = (G / (G - 1)) * ((n - 1) / (n - k)) if n > k and G > 1 else np.nan
    cov = c * (xtx_inv @ meat @ xtx_inv)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    dof = G - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
        p = 2 * stdtr(dof, -np.abs(t))
    q = stdtrit(dof, 0.5 + confidence / 2)
    return beta, beta - q * se, beta + q * se, p


def chart_billing_day(by_day: pd.DataFrame) -> plt.Figure:
    """Average days late of the invoices settled in the year, by the invoice's day of the month, coloured by
    billing band."""
    fig, ax = plt.subplots(figsize=(9, 3.4))
    colors = {b[2]: c for b, c in zip(BILLING_BANDS, ("#2e7d32", "#1565c0", "#c62828"))}
    band = billing_band(by_day["day"].to_numpy())
    ax.bar(by_day["day"], by_day["avg_days_late"], color=[colors[b] for b in band])
    from matplotlib.patches import Patch

    ax.axhline(0, color="#555", lw=0.8)
    ax.legend(handles=[Patch(color=c, label=lab) for lab, c in colors.items()], fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.2))
    ax.set_xticks(range(1, 32, 2))
    _style(ax, "Days late by the invoice's day of the month", "Average days late (days)", "Invoice day of month")
    fig.tight_layout()
    return fig



def within_customer_table(effects: pd.DataFrame, factor: str) -> pd.DataFrame:
    """The rows of :func:`within_customer_effects` other than the reference, labelled for the report."""
    e = effects[effects["level"] != effects["reference"]]
    return pd.DataFrame(
        {
            "Compared": factor,
            "Level": e["level"].to_numpy(),
            "Against": e["reference"].to_numpy(),
            "Invoices": e["invoices"].to_numpy(),
            "Customers": e["customers"].to_numpy(),
            "Customers with both": e["switchers"].to_numpy(),
            "Raw gap (days)": e["raw_gap"].to_numpy(),
            "Within-customer gap (days)": e["effect"].to_numpy(),
            "95 % CI low": e["ci_low"].to_numpy(),
            "95 % CI high": e["ci_high"].to_numpy(),
            "p-value": e["p_value"].to_numpy(),
        }
    )


def within_customer_parts(r: PolicyReview) -> list:
    """The comparisons that hold the customer constant: method, billing day and terms against their
    reference, raw and within customer, with 95 % confidence intervals."""
    parts = [within_customer_table(e, f) for e, f in ((r.method_effects, "Payment method"), (r.band_effects, "Billing day"), (r.terms_effects, "Terms")) if e is not None and len(e)]
    if not parts:
        return []
    t = pd.concat(parts, ignore_index=True)
    r.book.add("within-customer comparisons", t)
    days = ["Raw gap (days)", "Within-customer gap (days)", "95 % CI low", "95 % CI high"]
    shown = t.assign(**{"p-value": t["p-value"].map(lambda v: "–" if not np.isfinite(v) else "< 0.001" if v < 0.001 else f"{v:.3f}")})
    st = table(shown, days=days, count=["Invoices", "Customers", "Customers with both"], caption="Days late against the reference, raw and within the same customers (fixed effect per customer, standard errors clustered by customer); a gap with no customer billed both ways cannot be estimated (–)", max_rows=len(t))
    text = (
        "A raw gap mixes the method, day or terms with who uses them: a chronic late payer paying by wire makes wire look slow. "
        "The within-customer gap compares each customer's invoices with its own others, so it rests only on the customers who used both; "
        "a recommendation needs that gap to be material and its 95 % interval to exclude zero."
    )
    return [Markdown(text), st]


def section_billing(r: PolicyReview) -> list:
    """Lateness by billing day, payment method and terms; take-up of the early-pay program."""
    s = r.settled
    out = []
    if s.empty:
        out.append(Markdown("No invoice was paid in full in the year, so lateness by billing day, method and terms cannot be shown."))
    else:
        band = lateness_by(s, "band")
        band["_o"] = band["band"].map({b[2]: i for i, b in enumerate(BILLING_BANDS)})
        band = band.sort_values("_o").drop(columns="_o")
        day = lateness_by(s, "day")
        method = lateness_by(s, "method").sort_values("invoices", ascending=False)
        terms = lateness_by(s, "terms").sort_values("invoices", ascending=False)
        for name, df in (("lateness by billing day", band), ("lateness by day of month", day), ("lateness by method", method), ("lateness by terms", terms), ("billing day by customer", r.billing_customers)):
            r.book.add(name, df)
        ren = {"invoices": "Invoices", "amount": "Amount", "avg_days_late": "Avg days late", "weighted_days_late": "Amount-weighted days late", "pct_late": "Paid late (%)", "avg_days_to_pay": "Avg days to pay"}
        fmt = {"money": ["Amount"], "days": ["Avg days late", "Amount-weighted days late", "Avg days to pay"], "pct": ["Paid late (%)"]}
        eom, mid = band.set_index("band")["avg_days_late"].get(BILLING_BANDS[-1][2], np.nan), band.set_index("band")["avg_days_late"].get(BILLING_BANDS[1][2], np.nan)
        within = ""
        be = r.band_effects.set_index("level") if r.band_effects is not None and len(r.band_effects) else None
        if be is not None and BILLING_BANDS[-1][2] in be.index and np.isfinite(be.loc[BILLING_BANDS[-1][2], "effect"]):
            e = be.loc[BILLING_BANDS[-1][2]]
            within = f" Within the same customers the gap is **{e['effect']:+.1f} days** (95 % CI {e['ci_low']:+.1f} to {e['ci_high']:+.1f}, {int(e['switchers'])} customers billed on both)."
        out.append(Markdown(f"Invoices billed at month end (the 21st or later) were paid **{eom:.1f} days late** on average, against **{mid:.1f}** for mid-month billing ({len(s):,} invoices paid in full from {r.year_start:%d %b %Y} to {r.end:%d %b %Y}).{within}"))
        out.append(chart_billing_day(day))
        out.append(table(band.rename(columns={"band": "Billing day", **ren}), **fmt, caption="By the invoice's day of the month"))
        out.append(table(method.rename(columns={"method": "Payment method", **ren}), **fmt, caption="By the method of the payment that settled the invoice"))
        out.append(table(terms.rename(columns={"terms": "Terms", **ren}), **fmt, caption="By payment terms"))
        out += within_customer_parts(r)
    return out
