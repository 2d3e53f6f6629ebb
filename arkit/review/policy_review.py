"""The quarterly credit & collections policy review: the evidence for the meeting that adapts the policy.

:func:`build` computes every table once for a quarter such as ``"2026Q3"``; each ``section_*`` function
returns what its section shows — Markdown, formatted tables and figures — so ``notebooks/policy_review.ipynb``
stays a thin list of calls. Every figure is computed by one function below whose docstring states its
formula; :data:`DEFINITIONS` (the report's appendix) repeats them in words, and every recommendation is one
small ``rule_*`` function with its threshold in its docstring.

Conventions
-----------
- A quarter is judged as known at its last day, ``end``: only invoices, payments and activities dated on or
  before ``end`` count, so a past quarter replays as it was. "The year" is the 12 months ending at ``end``
  (``lookback_months``), used where one quarter holds too few events to judge (billing days, retention,
  referrals, the effect of credit holds).
- Balances are taken at the end of a day: an invoice's balance on day d = amount − Σ payments applied to
  it dated ≤ d (as in :func:`arkit.aging`); a customer's open AR on day d = Σ its invoices dated ≤ d
  (credit notes netted) − Σ its payments dated ≤ d.
- Money is in the ledger's currency, summed in integer cents; days are calendar days; shares are
  percentages 0–100. Functions never modify their inputs; options are keyword-only.
- A section whose data the ledger lacks (no activity log, no credit limits, no early-pay terms…) says so in
  one sentence.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from .._prep import invoice_positions, prepared
from ..aging import aging, bucket_labels, customer_names
from ..kpis import cei, kpis
from ..model import Ledger
from ..settlements import settlements
from . import charts
from .charts import _style
from .display import ReportBook, esc, load_report_parts, table
from .plans import plans_in_force
from .segments import segment_customers
from .signals import open_disputes
from .worklist import ladder_for

__all__ = [
    "BILLING_BANDS",
    "DEFINITIONS",
    "QUARTER_FIGURES",
    "RETENTION_OUTCOMES",
    "RULES",
    "STATUSES",
    "UTILISATION_BANDS",
    "PolicyReview",
    "adherence_summary",
    "billing_band",
    "billing_by_customer",
    "build",
    "chart_adherence",
    "chart_billing_day",
    "chart_days_trend",
    "chart_disputes",
    "chart_pct_trend",
    "chart_retention",
    "chart_utilisation",
    "credit_utilisation_history",
    "discount_annual_cost",
    "dispute_episodes",
    "dispute_lateness",
    "dispute_quarter",
    "early_pay_summary",
    "early_pay_take_up",
    "early_pay_terms",
    "esc",
    "escalation_adherence",
    "hold_effect_totals",
    "hold_effects",
    "hold_episodes",
    "ladder_table",
    "last_complete_quarter",
    "lateness_by",
    "outcomes_vs_targets",
    "parse_quarter",
    "past_due_amount_days",
    "plan_activity",
    "plan_quarter",
    "policy_settings",
    "quarter_bounds",
    "quarterly_figures",
    "recommendations",
    "referrals",
    "retention",
    "retention_summary",
    "rule_agency_recovery",
    "rule_credit_holds",
    "rule_credit_limit_review",
    "rule_disputes",
    "rule_early_pay",
    "rule_ladder_step",
    "rule_lost_customers",
    "rule_month_end_billing",
    "rule_payment_method",
    "rule_targets_missed",
    "rule_terms",
    "rule_thresholds",
    "save_book",
    "section_appendix",
    "section_billing",
    "section_credit",
    "section_disputes",
    "section_escalation",
    "section_header",
    "section_outcomes",
    "section_plans",
    "section_policy",
    "section_recommendations",
    "section_retention",
    "settled_invoices",
    "targets_table",
    "terms_in_use",
    "utilisation_bands",
    "write_offs",
]

_EPOCH = np.datetime64("1970-01-01", "D")


_NEVER = np.int64(1 << 40)  # "no such day" in day-number arithmetic (never converted to a date)


# ============================================================================================ quarters, days


def parse_quarter(quarter) -> pd.Period:
    """``"2026Q3"``, ``"2026-Q3"``, ``"2026q3"`` or a quarterly :class:`pandas.Period` → ``Period("2026Q3")``."""
    if isinstance(quarter, pd.Period) and quarter.freqstr.upper().startswith("Q"):
        return pd.Period(f"{quarter.qyear}Q{quarter.quarter}", freq="Q")
    m = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*", str(quarter))
    if not m:
        raise ValueError(f"quarter must be a quarter such as 2026Q3, not {quarter!r}")
    return pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q")


def quarter_bounds(quarter) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the quarter: 2026Q3 → (2026-07-01, 2026-09-30)."""
    q = parse_quarter(quarter)
    return q.start_time.normalize(), q.end_time.normalize()


def _label(q: pd.Period) -> str:
    return f"{q.qyear} Q{q.quarter}"


def last_complete_quarter(ledger: Ledger) -> pd.Period:
    """The quarter of the ledger's latest date (:attr:`arkit.Ledger.as_of_max`) when that date is the quarter's
    last day, else the quarter before it: 2026-09-30 → 2026Q3; 2026-10-05 → 2026Q3."""
    last = pd.Timestamp(ledger.as_of_max).normalize()
    q = last.to_period("Q")
    return q if last == q.end_time.normalize() else q - 1


def _day(ts) -> int:
    return int((np.datetime64(pd.Timestamp(ts).normalize().date(), "D") - _EPOCH).astype("int64"))


def _day_numbers(values) -> np.ndarray:
    """Dates as int64 day numbers; NaT → :data:`_NEVER`."""
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    out = np.full(len(s), _NEVER, dtype="int64")
    ok = s.notna().to_numpy()
    if ok.any():
        out[ok] = (s[ok].to_numpy(dtype="datetime64[D]") - _EPOCH).astype("int64")
    return out


def _dates(day_numbers) -> np.ndarray:
    """int64 day numbers → datetime64[ns]; :data:`_NEVER` (or beyond) → NaT."""
    d = np.asarray(day_numbers, dtype="int64")
    bad = np.abs(d) >= _NEVER
    out = (np.where(bad, 0, d).astype("timedelta64[D]") + _EPOCH).astype("datetime64[ns]")
    out[bad] = np.datetime64("NaT")
    return out


def _year_start(end: pd.Timestamp, months: int) -> pd.Timestamp:
    """First day of the ``months`` months ending at ``end``: 2026-09-30, 12 → 2025-10-01."""
    return (end - pd.DateOffset(months=months) + pd.Timedelta(days=1)).normalize()


# ============================================================================================ running sums


class _Running:
    """Σ amounts (integer cents) of a group dated on or before a day, for many (group, day) queries at once.

    Keys ``group · SPAN + (day − origin)`` are sorted once; each query is two binary searches. Groups are
    integers ≥ 0; rows with group −1 are left out and queries with group −1 give 0.
    """

    SPAN = np.int64(1 << 24)

    def __init__(self, groups, days, amounts):
        g = np.asarray(groups, dtype="int64")
        d = np.asarray(days, dtype="int64")
        a = np.asarray(amounts, dtype="int64")
        ok = (g >= 0) & (np.abs(d) < _NEVER)
        self.origin = int(d[ok].min()) - 1 if ok.any() else 0
        key = g[ok] * self.SPAN + np.clip(d[ok] - self.origin, 0, self.SPAN - 1)
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.csum = np.concatenate([[0], np.cumsum(a[ok][order])]).astype("int64")

    def upto(self, groups, days) -> np.ndarray:
        """Σ amounts of each group dated ≤ the day."""
        g = np.asarray(groups, dtype="int64")
        d = np.clip(np.asarray(days, dtype="int64") - self.origin, 0, self.SPAN - 1)
        gg = np.maximum(g, 0)
        hi = np.searchsorted(self.key, gg * self.SPAN + d, side="right")
        lo = np.searchsorted(self.key, gg * self.SPAN, side="left")
        return np.where(g >= 0, self.csum[hi] - self.csum[lo], 0).astype("int64")

    def between(self, groups, first, last) -> np.ndarray:
        """Σ amounts of each group dated in [first, last] (0 when last < first)."""
        first = np.asarray(first, dtype="int64")
        last = np.asarray(last, dtype="int64")
        out = self.upto(groups, last) - self.upto(groups, first - 1)
        return np.where(last >= first, out, 0).astype("int64")


@dataclass(frozen=True)
class _Book:
    """Per-ledger arrays behind the review (cached on the ledger, like :func:`arkit._prep.prepared`)."""

    customers: pd.Index  # every customer id seen
    inv_cc: np.ndarray  # customer code of each invoice
    pay_cc: np.ndarray  # customer code of each payment line
    applied: _Running  # payments applied to each invoice (group = invoice position)
    cust_paid: _Running  # payments of each customer (applied or not)
    cust_billed: _Running  # invoices of each customer (credit notes netted)


def _book(ledger: Ledger) -> _Book:
    inv, pay = ledger.invoices, ledger.payments
    key = (id(inv), len(inv), id(pay), len(pay))
    cached = ledger.__dict__.get("_policy_review_book")
    if cached is not None and cached[0] == key:
        return cached[1]
    p = prepared(ledger)
    ids = [inv["customer_id"], pay["customer_id"], ledger.customers["customer_id"], ledger.activities["customer_id"]]
    cust = pd.Index(pd.unique(pd.concat([s.astype("str") for s in ids], ignore_index=True).dropna()))
    inv_cc = cust.get_indexer(inv["customer_id"].astype("str")).astype("int64")
    pay_cc = cust.get_indexer(pay["customer_id"].astype("str")).astype("int64")
    b = _Book(
        customers=cust,
        inv_cc=inv_cc,
        pay_cc=pay_cc,
        applied=_Running(p.pay_inv, p.pay_date, p.pay_cents),
        cust_paid=_Running(pay_cc, p.pay_date, p.pay_cents),
        cust_billed=_Running(inv_cc, p.inv_date, p.inv_cents),
    )
    object.__setattr__(ledger, "_policy_review_book", (key, b))
    return b


def _balance(ledger: Ledger, pos, day) -> np.ndarray:
    """Balance in cents of the invoices at positions ``pos`` at the end of ``day`` (day numbers)."""
    p = prepared(ledger)
    pos = np.asarray(pos, dtype="int64")
    return p.inv_cents[pos] - _book(ledger).applied.upto(pos, day)


def _customer_codes(ledger: Ledger, ids) -> np.ndarray:
    return _book(ledger).customers.get_indexer(pd.Series(ids).astype("str")).astype("int64")


def _activities(ledger: Ledger, end: pd.Timestamp, actions) -> pd.DataFrame:
    """Activities of the given actions dated ≤ end (a copy; invoice_id empty for customer-level rows)."""
    a = ledger.activities
    if a.empty:
        return a.iloc[0:0].copy()
    return a[a["action"].isin(list(actions)) & (a["date"] <= end)].copy()


# ============================================================================================ 1. the policy

#: figure → (label, unit, better direction); the quarter's outcomes, in the order the report shows them.
QUARTER_FIGURES = {
    "dso": ("DSO, quarter (period method)", "days", "lower"),
    "dso_countback": ("DSO, countback", "days", "lower"),
    "bpdso": ("Best possible DSO", "days", "lower"),
    "add": ("Average days delinquent", "days", "lower"),
    "cei": ("Collection effectiveness index, quarter", "%", "higher"),
    "pct_current": ("Current share of AR", "%", "higher"),
    "pct_91_plus": ("Share of AR in the oldest bucket", "%", "lower"),
    "collections": ("Collections in the quarter", "currency", "higher"),
    "sales": ("Sales in the quarter", "currency", None),
    "write_offs": ("Written off in the quarter", "currency", "lower"),
    "write_off_pct": ("Write-offs ÷ sales", "%", "lower"),
    "open_ar": ("Open AR at quarter end", "currency", None),
}


def ladder_table(policy: dict) -> pd.DataFrame:
    """The escalation ladder as configured: one row per step — step, action, day (relative to the due date of
    the customer's oldest past-due invoice; negative = before due), owner, letter, channel — and
    ``gentle_day``, the step's day on the gentler path of good customers
    (:func:`~arkit.review.worklist.ladder_for` of a prompt payer; <NA> = skipped on that path)."""
    steps = pd.DataFrame([{k: s.get(k) for k in ("step", "action", "day", "owner", "letter", "channel")} for s in policy["ladder"]])
    gentle = {s["step"]: s["day"] for s in ladder_for(policy, "prompt")}
    steps["gentle_day"] = steps["step"].map(gentle).astype("Int64")
    return steps


def targets_table(policy: dict) -> pd.DataFrame:
    """The targets of ``policy.targets``: figure, label, unit, target, better ("lower"/"higher")."""
    labels = {**QUARTER_FIGURES, "dso": ("DSO, 3-month period", "days", "lower")}
    rows = []
    for k, v in policy.get("targets", {}).items():
        label, unit, better = labels.get(k, (k, "", None))
        if k == "pct_91_plus":
            label = f"Share of AR {bucket_labels(policy['buckets'])[-1]} days past due"
        rows.append({"figure": k, "label": label, "unit": unit, "target": float(v), "better": better})
    return pd.DataFrame(rows, columns=["figure", "label", "unit", "target", "better"])


def policy_settings(policy: dict) -> pd.DataFrame:
    """The rules of the policy in words, one row each: area, setting. Read from the policy dict only."""
    ch, lf, g = policy["credit_hold"], policy["late_fee"], policy["gentle"]
    gc, cl, wl = policy["good_customer"], policy["chronic_late"], policy["worklist"]
    rows = [
        ("Payment terms", "Not set in the policy file; the terms in use on the ledger are shown below."),
        ("Credit-limit rule", f"Credit hold when the oldest item is {ch['days_past_due']} days past due, or when open AR exceeds {ch['utilisation'] * 100:g} % of the credit limit."),
        ("Late fee", f"{lf['rate_per_month'] * 100:g} % a month past due, after {lf['grace_days']} days' grace (shown in letters; not charged by arkit)."),
        ("Gentle path", f"Prompt payers and good customers who slip: every step after the first overdue reminder {g['delay_days']} days later; skipped: {', '.join(g['skip']) or 'none'}."),
        ("Good customer", f"At least {gc['min_invoices']} invoices paid in {gc['lookback_months']} months, {gc['max_avg_days_late']:g} days late on average at most; slipping when an item is more than {gc['grace_days']} days past due."),
        ("Chronic late payer", f"At least {cl['min_share_late'] * 100:g} % of the invoices paid in {cl['lookback_months']} months more than {cl['late_days']} days late."),
        ("New customer", f"First invoice within {policy['new_customer_months']} months."),
        ("Worklist", f"Customers with less than {wl['min_past_due']:,.2f} past due are listed only for a pre-due reminder; letters give {wl['deadline_days']} days to pay."),
        ("Aging buckets", ", ".join(bucket_labels(policy["buckets"])) + " days past due."),
    ]
    return pd.DataFrame(rows, columns=["area", "setting"])


def _terms_labels(ledger: Ledger) -> pd.Series:
    """Each invoice's terms: its ``terms`` text (trimmed); else ``Net <terms_days>`` of its customer; else
    ``not recorded``."""
    inv = ledger.invoices
    t = inv["terms"].astype("str").str.strip() if "terms" in inv else pd.Series(pd.NA, index=inv.index, dtype="str")
    t = t.where(t.notna() & (t != ""))
    c = ledger.customers
    if len(c) and "terms_days" in c and c["terms_days"].notna().any():
        days = c.dropna(subset=["terms_days"]).drop_duplicates("customer_id", keep="last").set_index("customer_id")["terms_days"]
        net = "Net " + days.astype("int64").astype("str")
        t = t.fillna(inv["customer_id"].map(net))
    return t.fillna("not recorded").astype("str")


def terms_in_use(ledger: Ledger, start, end) -> pd.DataFrame:
    """Payment terms on the invoices (amount > 0) dated in [start, end]: one row per terms text (see
    :func:`_terms_labels`) with customers, invoices, sales (Σ amounts) and share_of_sales = sales ÷ Σ sales
    × 100; largest first."""
    inv = ledger.invoices
    m = (inv["amount"] > 0) & (inv["invoice_date"] >= pd.Timestamp(start)) & (inv["invoice_date"] <= pd.Timestamp(end))
    df = pd.DataFrame({"terms": _terms_labels(ledger)[m], "customer_id": inv.loc[m, "customer_id"], "cents": prepared(ledger).inv_cents[m.to_numpy()]})
    g = df.groupby("terms").agg(customers=("customer_id", "nunique"), invoices=("cents", "size"), cents=("cents", "sum"))
    total = g["cents"].sum()
    g["sales"] = g["cents"] / 100.0
    g["share_of_sales"] = g["cents"] / total * 100.0 if total else np.nan
    g = g.sort_values("cents", ascending=False, kind="stable").drop(columns="cents")
    return g.reset_index()


# ============================================================================================ 2. outcomes


def write_offs(ledger: Ledger, end) -> pd.DataFrame:
    """Amounts written off, from the ``write_off`` activities dated ≤ ``end``.

    amount = the balance of the invoice named, at the end of the write-off day, floored at 0 (the log
    records the decision; the amount is what was still open); for a ``write_off`` naming no invoice, the
    customer's open AR that day, floored at 0; 0 for an invoice not found. A second write-off of the same
    invoice (or customer-level write-off of the same customer) is not counted again.
    Example: invoice of 1,000.00 paid 400.00, written off → 600.00.
    Columns: customer_id, customer_name, invoice_id, date, amount.
    """
    end = pd.Timestamp(end).normalize()
    w = _activities(ledger, end, ["write_off"]).sort_values("date", kind="stable")
    cols = ["customer_id", "customer_name", "invoice_id", "date", "amount"]
    if w.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else "float64" if c == "amount" else "str") for c in cols})
    w = w.assign(_k=w["invoice_id"].fillna("")).drop_duplicates(["customer_id", "_k"], keep="first")
    day = _day_numbers(w["date"])
    pos = invoice_positions(ledger.invoices, w[["customer_id", "invoice_id"]])
    named = w["invoice_id"].notna().to_numpy()
    bal = np.where(pos >= 0, _balance(ledger, np.maximum(pos, 0), day), 0) if len(ledger.invoices) else np.zeros(len(w), dtype="int64")
    b = _book(ledger)
    cc = _customer_codes(ledger, w["customer_id"])
    cust_open = b.cust_billed.upto(cc, day) - b.cust_paid.upto(cc, day)
    amount_c = np.maximum(np.where(named, bal, cust_open), 0)
    out = pd.DataFrame({"customer_id": w["customer_id"].to_numpy(), "invoice_id": w["invoice_id"].to_numpy(), "date": w["date"].to_numpy(), "amount": amount_c / 100.0})
    out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    return out[cols].reset_index(drop=True)


def quarterly_figures(ledger: Ledger, quarter, *, quarters: int = 8, buckets=(30, 60, 90)) -> pd.DataFrame:
    """The quarter-end figures for the ``quarters`` quarters ending with ``quarter``, one row each (oldest first).

    At each quarter end E, from :func:`arkit.kpis` at E's month end (its 3-month DSO window is the quarter):
    open_ar, current_ar, dso (period method over the quarter's sales and days), dso_countback, bpdso, add
    (dso − bpdso), pct_current (current_ar ÷ open_ar × 100). Further:
    - sales, collections: Σ invoices (credit notes netted) and Σ payments dated in the quarter;
    - cei, the quarter-level CEI: :func:`arkit.kpis.cei` with opening AR = open AR at the previous quarter
      end, the quarter's sales, closing AR and closing current AR: (opening + sales − closing) ÷ (opening +
      sales − closing current) × 100;
    - pct_91_plus: the part of open AR in the oldest aging bucket (``91+`` with the default edges) ÷
      open_ar × 100 (:func:`arkit.aging` at E);
    - write_offs: Σ :func:`write_offs` dated in the quarter; write_off_pct = write_offs ÷ sales × 100 (NaN
      when sales ≤ 0).
    Index: ``quarter`` (e.g. "2026Q3"); column ``quarter_end`` holds E.
    """
    if isinstance(quarters, bool) or not isinstance(quarters, (int, np.integer)) or quarters < 1:
        raise ValueError(f"quarters must be a whole number ≥ 1, not {quarters!r}")
    q = parse_quarter(quarter)
    qs = pd.period_range(q - (quarters - 1), q, freq="Q")
    ends = [p.end_time.normalize() for p in qs]
    first_month = (qs[0].start_time - pd.offsets.MonthEnd(1)).strftime("%Y-%m")
    k = kpis(ledger, first_month, ends[-1].strftime("%Y-%m"), dso_window=3)
    kq = k.index.to_period("Q")
    sales_q = k["sales"].groupby(kq).sum()
    coll_q = k["collections"].groupby(kq).sum()
    wo = write_offs(ledger, ends[-1])
    wo_q = wo.groupby(wo["date"].dt.to_period("Q"))["amount"].sum() if len(wo) else pd.Series(dtype="float64")
    last = bucket_labels(buckets)[-1]
    rows = []
    for p, e in zip(qs, ends):  # one row per quarter (8 by default), not per ledger row
        r = k.loc[e]
        prev_open = float(k.loc[(p - 1).end_time.normalize(), "open_ar"])
        sales = round(float(sales_q.get(p, 0.0)), 2)
        items = aging(ledger, e, buckets=buckets)
        old = items.loc[items["bucket"] == last, "open_amount"].sum()
        w = round(float(wo_q.get(p, 0.0)), 2)
        rows.append(
            {
                "quarter": str(p),
                "quarter_end": e,
                "sales": sales,
                "collections": round(float(coll_q.get(p, 0.0)), 2),
                "open_ar": r["open_ar"],
                "current_ar": r["current_ar"],
                "dso": r["dso"],
                "dso_countback": r["dso_countback"],
                "bpdso": r["bpdso"],
                "add": r["add"],
                "cei": cei(prev_open, sales, r["open_ar"], r["current_ar"]),
                "pct_current": r["pct_current"],
                "pct_91_plus": old / r["open_ar"] * 100.0 if r["open_ar"] else np.nan,
                "write_offs": w,
                "write_off_pct": w / sales * 100.0 if sales > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("quarter")


def outcomes_vs_targets(figures: pd.DataFrame, *, policy: dict) -> pd.DataFrame:
    """This quarter's figures (last row of :func:`quarterly_figures`) against the targets and the trend.

    One row per figure of :data:`QUARTER_FIGURES`: label, unit, value, previous (the quarter before),
    year_ago (four quarters before), target (``policy.targets``; none for collections, sales, write-offs),
    gap = value − target, on_target (value on the good side of the target, or equal), quarters_on_target
    ("k of n": the quarters shown whose value was on target), better.
    """
    t = policy.get("targets", {})
    cur = figures.iloc[-1]
    prev = figures.iloc[-2] if len(figures) > 1 else None
    ago = figures.iloc[-5] if len(figures) > 4 else None
    rows = []
    for key, (label, unit, better) in QUARTER_FIGURES.items():
        if key == "pct_91_plus":
            label = f"Share of AR {bucket_labels(policy['buckets'])[-1]} days past due"
        v = float(cur[key])
        target = t.get(key)
        on, hits = None, ""
        if target is not None and better:
            ok = figures[key] <= target if better == "lower" else figures[key] >= target
            on = None if np.isnan(v) else bool(ok.iloc[-1])
            hits = f"{int(ok.sum())} of {int(figures[key].notna().sum())}"
        rows.append(
            {
                "figure": key,
                "label": label,
                "unit": unit,
                "value": v,
                "previous": float(prev[key]) if prev is not None else np.nan,
                "year_ago": float(ago[key]) if ago is not None else np.nan,
                "target": float(target) if target is not None else np.nan,
                "gap": v - float(target) if target is not None else np.nan,
                "on_target": on,
                "quarters_on_target": hits,
                "better": better,
            }
        )
    return pd.DataFrame(rows)


# ============================================================================================ 3. escalation

STATUSES = ("on time", "late", "never", "pending")


def _dispute_open_on(episodes: pd.DataFrame, customer_id: pd.Series, invoice_id: pd.Series, day: np.ndarray) -> np.ndarray:
    """True where the invoice had a dispute open on ``day`` (opened ≤ day < resolved, or unresolved)."""
    if episodes.empty or len(day) == 0:
        return np.zeros(len(day), dtype=bool)
    q = pd.DataFrame({"customer_id": customer_id.to_numpy(), "invoice_id": invoice_id.to_numpy(), "_d": day, "_row": np.arange(len(day))})
    e = episodes.dropna(subset=["invoice_id"])[["customer_id", "invoice_id", "opened", "resolved"]]
    m = q.merge(e, on=["customer_id", "invoice_id"])
    hit = (_day_numbers(m["opened"]) <= m["_d"].to_numpy()) & (m["_d"].to_numpy() < _day_numbers(m["resolved"]))
    out = np.zeros(len(day), dtype=bool)
    out[m.loc[hit, "_row"].to_numpy()] = True
    return out


def _plan_on(plans: pd.DataFrame, customer_id: pd.Series, day: np.ndarray) -> np.ndarray:
    """True where the customer had a payment plan running on ``day`` (agreed ≤ day ≤ last installment due)."""
    if plans is None or plans.empty or len(day) == 0:
        return np.zeros(len(day), dtype=bool)
    q = pd.DataFrame({"customer_id": customer_id.to_numpy(), "_d": day, "_row": np.arange(len(day))})
    m = q.merge(plans[["customer_id", "agreed_date", "last_due"]], on="customer_id")
    hit = (_day_numbers(m["agreed_date"]) <= m["_d"].to_numpy()) & (m["_d"].to_numpy() <= _day_numbers(m["last_due"]))
    out = np.zeros(len(day), dtype=bool)
    out[m.loc[hit, "_row"].to_numpy()] = True
    return out


def _step_table(policy: dict, segments_present) -> pd.DataFrame:
    """Ladder steps per segment (:func:`ladder_for`), with the window bounds of each step's matching:
    ``first`` (no earlier step of the same action) and ``next_day`` (day of the next step of the same
    action, else NaN)."""
    rows = []
    for seg in segments_present:
        steps = ladder_for(policy, seg)
        for k, s in enumerate(steps):
            same_before = any(t["action"] == s["action"] for t in steps[:k])
            later = [t["day"] for t in steps[k + 1 :] if t["action"] == s["action"]]
            rows.append({"segment": seg, "order": k, "step": s["step"], "action": s["action"], "owner": s.get("owner"), "day": int(s["day"]), "first": not same_before, "next_day": later[0] if later else np.nan})
    return pd.DataFrame(rows)


def escalation_adherence(
    ledger: Ledger,
    quarter,
    *,
    policy: dict,
    segments: pd.Series | None = None,
    tolerance_days: int = 3,
    plans: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each ladder step, the invoices that reached it in the quarter and whether they got it.

    Population: invoices (amount > 0) whose trigger date T = due_date + the step's day lies in the quarter
    and whose balance at the end of T is positive — the step was due. The ladder is the one of the
    customer's segment (``segments``: customer_id → segment; :func:`~arkit.review.worklist.ladder_for`, so
    good customers are judged on the gentle path and skipped steps are not expected); customers without a
    segment get the ladder as configured. Left out: invoices with a dispute open on T (dunning pauses) and
    customers with a payment plan running on T (agreed ≤ T ≤ last installment due).

    Matching activity: the step's action, by the same customer, dated ≤ the quarter end, naming the invoice
    or no invoice (customer-level), in the step's window: from the invoice date (the first step of its
    action in the ladder) or from T (a later step of the same action, e.g. the overdue reminder after the
    pre-due one) up to the next step of the same action (exclusive). A credit hold counts whatever invoice
    it names — it holds the customer — when placed after the customer's last release on or before T; a
    customer already on hold at T got the step on T. done = the first matching date;
    delay_days = done − T (negative = ahead of time).

    status: ``on time`` when delay ≤ ``tolerance_days``; ``late`` when later; otherwise — nothing matched —
    the invoice is dropped when paid in full by the deadline T + tolerance_days (the step was no longer
    needed), ``pending`` when the deadline is after the quarter end, else ``never``.
    Columns: customer_id, invoice_id, segment, step, action, owner, day, trigger_date, done_date,
    delay_days, status. Sorted by step order, trigger date.
    """
    if isinstance(tolerance_days, bool) or not isinstance(tolerance_days, (int, np.integer)) or tolerance_days < 0:
        raise ValueError(f"tolerance_days must be a whole number of days ≥ 0, not {tolerance_days!r}")
    start, end = quarter_bounds(quarter)
    s_day, e_day = _day(start), _day(end)
    cols = ["customer_id", "invoice_id", "segment", "step", "action", "owner", "day", "trigger_date", "done_date", "delay_days", "status"]
    inv = ledger.invoices
    p = prepared(ledger)
    if inv.empty:
        return _empty_adherence(cols)
    seg_of = inv["customer_id"].map(segments) if segments is not None else pd.Series(pd.NA, index=inv.index, dtype="str")
    seg_of = seg_of.astype("str").fillna("irregular")
    days_all = [int(s["day"]) for s in policy["ladder"]] + [int(s["day"]) for s in ladder_for(policy, "prompt")]
    lo_d, hi_d = min(days_all), max(days_all)
    keep = (p.inv_cents > 0) & (p.inv_due + hi_d >= s_day) & (p.inv_due + lo_d <= e_day) & (p.inv_date <= e_day)
    pos = np.flatnonzero(keep)
    if len(pos) == 0:
        return _empty_adherence(cols)
    cand = pd.DataFrame(
        {
            "pos": pos,
            "customer_id": inv["customer_id"].to_numpy()[pos],
            "invoice_id": inv["invoice_id"].to_numpy()[pos],
            "segment": seg_of.to_numpy()[pos],
            "inv_day": p.inv_date[pos],
            "due_day": p.inv_due[pos],
        }
    )
    steps = _step_table(policy, sorted(cand["segment"].unique()))
    c = cand.merge(steps, on="segment")
    c["T"] = c["due_day"] + c["day"]
    c = c[(c["T"] >= s_day) & (c["T"] <= e_day)]
    c = c[_balance(ledger, c["pos"].to_numpy(), c["T"].to_numpy()) > 0]
    episodes = dispute_episodes(ledger, end)
    if plans is None:
        plans = plans_in_force(ledger, end) if len(ledger.activities) else None
    T = c["T"].to_numpy()
    c = c[~_dispute_open_on(episodes, c["customer_id"], c["invoice_id"], T) & ~_plan_on(plans, c["customer_id"], T)]
    c = c.reset_index(drop=True)
    c["_row"] = np.arange(len(c))

    # matching activities
    acts = _activities(ledger, end, steps["action"].unique())[["customer_id", "invoice_id", "action", "date"]]
    acts["adate"] = _day_numbers(acts["date"])
    hold = c["action"] == "credit_hold"
    per_inv = acts[acts["invoice_id"].notna() & (acts["action"] != "credit_hold")]
    per_cust = acts[acts["invoice_id"].isna() & (acts["action"] != "credit_hold")]
    holds = acts[acts["action"] == "credit_hold"]
    m = pd.concat(
        [
            c.loc[~hold, ["_row", "customer_id", "invoice_id", "action"]].merge(per_inv[["customer_id", "invoice_id", "action", "adate"]], on=["customer_id", "invoice_id", "action"]),
            c.loc[~hold, ["_row", "customer_id", "action"]].merge(per_cust[["customer_id", "action", "adate"]], on=["customer_id", "action"]),
            c.loc[hold, ["_row", "customer_id", "action"]].merge(holds[["customer_id", "action", "adate"]], on=["customer_id", "action"]),
        ],
        ignore_index=True,
    )
    # window: [lo, hi)
    lo = np.where(c["first"].to_numpy(dtype=bool), c["inv_day"].to_numpy(), c["T"].to_numpy())
    if hold.any():
        rel = _activities(ledger, end, ["credit_release"])
        last_rel = np.full(len(c), -_NEVER)
        if len(rel):
            r = pd.DataFrame({"customer_id": rel["customer_id"].astype("str").to_numpy(), "rday": _day_numbers(rel["date"])}).sort_values("rday", kind="stable")
            q = pd.DataFrame({"customer_id": c.loc[hold, "customer_id"].astype("str").to_numpy(), "T": c.loc[hold, "T"].to_numpy(), "_row": c.loc[hold, "_row"].to_numpy()}).sort_values("T", kind="stable")
            j = pd.merge_asof(q, r, left_on="T", right_on="rday", by="customer_id", direction="backward")
            last_rel[j["_row"].to_numpy()] = j["rday"].fillna(-_NEVER).to_numpy(dtype="int64")
        lo = np.where(hold.to_numpy(), last_rel, lo)
    hi = np.where(c["next_day"].notna(), c["due_day"] + c["next_day"].fillna(0).astype("int64"), _NEVER).astype("int64")
    rows = m["_row"].to_numpy()
    ok = (m["adate"].to_numpy() >= lo[rows]) & (m["adate"].to_numpy() < hi[rows]) & (m["adate"].to_numpy() <= e_day)
    first = m[ok].groupby("_row")["adate"].min()
    done = np.full(len(c), _NEVER)
    done[first.index.to_numpy()] = first.to_numpy()
    T = c["T"].to_numpy()
    # a customer already on hold at T got the hold step on T (not weeks "early")
    done = np.where(hold.to_numpy() & (done < T), T, done)
    is_done = done < _NEVER
    delay = np.where(is_done, done - T, 0)
    deadline = T + tolerance_days
    paid_by = _balance(ledger, c["pos"].to_numpy(), np.minimum(deadline, e_day)) <= 0
    status = np.select(
        [is_done & (delay <= tolerance_days), is_done, paid_by, deadline > e_day],
        ["on time", "late", "not needed", "pending"],
        default="never",
    )
    out = pd.DataFrame(
        {
            "customer_id": c["customer_id"].to_numpy(),
            "invoice_id": c["invoice_id"].to_numpy(),
            "segment": c["segment"].to_numpy(),
            "step": c["step"].to_numpy(),
            "action": c["action"].to_numpy(),
            "owner": c["owner"].to_numpy(),
            "day": c["day"].to_numpy(dtype="int64"),
            "trigger_date": _dates(T),
            "done_date": _dates(done),
            "delay_days": pd.array(np.where(is_done, delay, 0), dtype="Int64"),
            "status": status,
            "_order": c["order"].to_numpy(),
        }
    )
    out.loc[~is_done, "delay_days"] = pd.NA
    out = out[out["status"] != "not needed"]
    order = {s["step"]: i for i, s in enumerate(policy["ladder"])}
    out["_order"] = out["step"].map(order)
    out = out.sort_values(["_order", "trigger_date", "customer_id", "invoice_id"], kind="stable").drop(columns="_order")
    for col in ("customer_id", "invoice_id", "segment", "step", "action", "owner", "status"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)[cols]


def _empty_adherence(cols) -> pd.DataFrame:
    dt = {"day": "int64", "trigger_date": "datetime64[ns]", "done_date": "datetime64[ns]", "delay_days": "Int64"}
    return pd.DataFrame({c: pd.Series(dtype=dt.get(c, "str")) for c in cols})


def adherence_summary(detail: pd.DataFrame, *, policy: dict) -> pd.DataFrame:
    """Per ladder step (in ladder order) from :func:`escalation_adherence`: invoices (that reached it),
    on_time, late, never, pending, pct_on_time = on_time ÷ (on_time + late + never) × 100 (the decided
    ones; NaN when none), pct_never likewise, median_delay_days = the median of done − trigger over the
    invoices that got the step (NaN when none). Columns also: step, action, owner, day (as configured)."""
    steps = pd.DataFrame([{"step": s["step"], "action": s["action"], "owner": s.get("owner"), "day": int(s["day"])} for s in policy["ladder"]])
    counts = detail.pivot_table(index="step", columns="status", values="customer_id", aggfunc="size", fill_value=0) if len(detail) else pd.DataFrame()
    out = steps.copy()
    for s in STATUSES:
        col = s.replace(" ", "_")
        out[col] = out["step"].map(counts[s]).fillna(0).astype("int64") if s in counts else 0
    out["invoices"] = out[["on_time", "late", "never", "pending"]].sum(axis=1)
    decided = out["on_time"] + out["late"] + out["never"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_on_time"] = np.where(decided > 0, out["on_time"] / decided.where(decided > 0) * 100.0, np.nan)
        out["pct_never"] = np.where(decided > 0, out["never"] / decided.where(decided > 0) * 100.0, np.nan)
    med = detail.dropna(subset=["delay_days"]).groupby("step")["delay_days"].median() if len(detail) else pd.Series(dtype="float64")
    out["median_delay_days"] = out["step"].map(med).astype("float64")
    return out[["step", "action", "owner", "day", "invoices", "on_time", "late", "never", "pending", "pct_on_time", "pct_never", "median_delay_days"]]


def referrals(ledger: Ledger, quarter, *, lookback_months: int = 12) -> pd.DataFrame:
    """Customers referred to a collection agency or to legal in the year, and what was recovered since.

    A customer is listed when it has an ``agency`` or ``legal`` activity dated in the ``lookback_months``
    months ending at the quarter end; ``referred`` = the first such date (agency_date, legal_date: the first
    of each). owed = Σ the positive balances, at the end of the referral day, of its invoices issued by then;
    recovered = Σ over those invoices of (balance at referral − max(balance at quarter end, 0)) — the
    payments applied to them after the referral, at most what was owed (unapplied cash is not counted);
    pct_recovered = recovered ÷ owed × 100; open_now = owed − recovered; written_off = Σ
    :func:`write_offs` of the customer dated on or after the referral. in_quarter: referred in the quarter.
    Example: owed 1,000.00 on two invoices (600 + 400); 600 paid after the referral → recovered 600.00, 60 %.
    Columns: customer_id, customer_name, referred, stage, agency_date, legal_date, in_quarter, owed,
    recovered, pct_recovered, open_now, written_off. Largest owed first.
    """
    start, end = quarter_bounds(quarter)
    lo = _year_start(end, lookback_months)
    a = _activities(ledger, end, ["agency", "legal"])
    a = a[a["date"] >= lo]
    cols = ["customer_id", "customer_name", "referred", "stage", "agency_date", "legal_date", "in_quarter", "owed", "recovered", "pct_recovered", "open_now", "written_off"]
    if a.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("referred", "agency_date", "legal_date") else "bool" if c == "in_quarter" else "float64" if c in ("owed", "recovered", "pct_recovered", "open_now", "written_off") else "str") for c in cols})
    first = a.pivot_table(index="customer_id", columns="action", values="date", aggfunc="min")
    r = pd.DataFrame(index=first.index)
    r["agency_date"] = first["agency"] if "agency" in first else pd.NaT
    r["legal_date"] = first["legal"] if "legal" in first else pd.NaT
    r["referred"] = r[["agency_date", "legal_date"]].min(axis=1)
    r["stage"] = np.select([r["agency_date"].notna() & r["legal_date"].notna(), r["legal_date"].notna()], ["agency and legal", "legal"], default="agency")
    r = r.reset_index()
    p = prepared(ledger)
    b = _book(ledger)
    cc = _customer_codes(ledger, r["customer_id"])
    ref_day = _day_numbers(r["referred"])
    # every invoice of a referred customer, issued by the referral day
    inv_of = pd.DataFrame({"cc": b.inv_cc, "pos": np.arange(len(b.inv_cc))})
    inv_of = inv_of[p.inv_cents > 0]
    j = pd.DataFrame({"cc": cc, "_r": np.arange(len(r)), "ref": ref_day}).merge(inv_of, on="cc")
    j = j[p.inv_date[j["pos"].to_numpy()] <= j["ref"].to_numpy()]
    at_ref = np.maximum(_balance(ledger, j["pos"].to_numpy(), j["ref"].to_numpy()), 0)
    now = np.maximum(_balance(ledger, j["pos"].to_numpy(), np.full(len(j), _day(end))), 0)
    rec = np.maximum(at_ref - np.minimum(now, at_ref), 0)
    owed_c = np.bincount(j["_r"].to_numpy(), weights=at_ref, minlength=len(r)).round().astype("int64")
    rec_c = np.bincount(j["_r"].to_numpy(), weights=rec, minlength=len(r)).round().astype("int64")
    r["owed"] = owed_c / 100.0
    r["recovered"] = rec_c / 100.0
    r["pct_recovered"] = np.where(owed_c > 0, rec_c / np.where(owed_c > 0, owed_c, 1) * 100.0, np.nan)
    r["open_now"] = (owed_c - rec_c) / 100.0
    wo = write_offs(ledger, end)
    if len(wo):
        wj = wo.merge(r[["customer_id", "referred"]], on="customer_id")
        wsum = wj[wj["date"] >= wj["referred"]].groupby("customer_id")["amount"].sum()
        r["written_off"] = r["customer_id"].map(wsum).fillna(0.0).round(2)
    else:
        r["written_off"] = 0.0
    r["in_quarter"] = (r["referred"] >= start).to_numpy()
    r["customer_name"] = customer_names(ledger, r["customer_id"]).to_numpy()
    r["customer_id"] = r["customer_id"].astype("str")
    return r.sort_values(["owed", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)[cols]


# ============================================================================================ 4. credit


def credit_utilisation_history(ledger: Ledger, quarter, *, months: int = 3, threshold: float = 1.0) -> pd.DataFrame:
    """Credit-limit utilisation of every customer with a limit > 0 at the last ``months`` month ends of the
    quarter (the quarter end last).

    utilisation at a month end = the customer's open AR there (Σ invoices − Σ payments dated ≤ it, as
    :func:`~arkit.review.signals.credit_utilisation`) ÷ credit_limit × 100. A breach is utilisation >
    ``threshold`` × 100 (``policy.credit_hold.utilisation``, 1.0 = above the limit). months_over = the
    month ends in breach; over_all = in breach at every one of them; util_<YYYY-MM> one column per month end.
    Columns: customer_id, customer_name, credit_limit, open_ar (quarter end), utilisation (quarter end),
    util_<month>…, months_over, over_all. Highest utilisation first.
    """
    c = ledger.customers
    base = ["customer_id", "customer_name", "credit_limit", "open_ar", "utilisation", "months_over", "over_all"]
    if c.empty or "credit_limit" not in c or not (c["credit_limit"] > 0).any():
        return pd.DataFrame({k: pd.Series(dtype="str" if k in ("customer_id", "customer_name") else "bool" if k == "over_all" else "int64" if k == "months_over" else "float64") for k in base})
    _, end = quarter_bounds(quarter)
    ends = pd.date_range(end - pd.offsets.MonthEnd(months - 1), end, freq="ME")
    lim = c.dropna(subset=["credit_limit"]).drop_duplicates("customer_id", keep="last")
    lim = lim[lim["credit_limit"] > 0]
    ids = lim["customer_id"].astype("str").to_numpy()
    cc = _customer_codes(ledger, ids)
    b = _book(ledger)
    out = pd.DataFrame({"customer_id": ids, "credit_limit": lim["credit_limit"].to_numpy(dtype="float64")})
    util_cols = []
    for e in ends:  # one vectorised pass per month end (3 by default)
        d = np.full(len(cc), _day(e))
        open_c = b.cust_billed.upto(cc, d) - b.cust_paid.upto(cc, d)
        col = f"util_{e:%Y-%m}"
        out[col] = open_c / 100.0 / out["credit_limit"] * 100.0
        util_cols.append(col)
        last_open = open_c
    out["open_ar"] = last_open / 100.0
    out["utilisation"] = out[util_cols[-1]]
    over = out[util_cols].to_numpy() > threshold * 100.0
    out["months_over"] = over.sum(axis=1).astype("int64")
    out["over_all"] = over.all(axis=1)
    out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    out = out.sort_values(["utilisation", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out[["customer_id", "customer_name", "credit_limit", "open_ar", "utilisation", *util_cols, "months_over", "over_all"]]


UTILISATION_BANDS = ((-np.inf, 50.0, "under 50 %"), (50.0, 80.0, "50-80 %"), (80.0, 100.0, "80-100 %"), (100.0, np.inf, "over 100 %"))


def utilisation_bands(util: pd.DataFrame) -> pd.DataFrame:
    """Customers by utilisation at the quarter end (bands of :data:`UTILISATION_BANDS`: lower edge
    exclusive, upper inclusive — 100 % exactly is "80-100 %"): band, customers, credit_limit (Σ),
    open_ar (Σ)."""
    labels = [b[2] for b in UTILISATION_BANDS]
    edges = [UTILISATION_BANDS[0][0]] + [b[1] for b in UTILISATION_BANDS]
    band = pd.cut(util["utilisation"], bins=edges, labels=labels, right=True)
    g = util.assign(band=band).groupby("band", observed=False).agg(customers=("customer_id", "size"), credit_limit=("credit_limit", "sum"), open_ar=("open_ar", "sum"))
    return g.reindex(labels).fillna(0).astype({"customers": "int64"}).rename_axis("band").reset_index()


def _episodes(events: pd.DataFrame, keys: list[str], start: str, stop: str) -> pd.DataFrame:
    """Episodes from a log of ``start`` and ``stop`` actions per key, in date order (start first on a tie).

    A start opens an episode unless one is open (repeats are ignored); the first stop after it closes it (a
    stop with nothing open is ignored). Returns one row per episode: the keys, ``started`` (date),
    ``ended`` (date or NaT), and the ``outcome`` of the start and stop rows (``start_outcome``,
    ``stop_outcome``).
    """
    e = events[events["action"].isin([start, stop])].copy()
    for k in keys:
        e[k] = e[k].fillna("").astype("str")
    e["_o"] = (e["action"] == stop).astype("int64")
    e = e.sort_values([*keys, "date", "_o"], kind="stable")
    prev = e.groupby(keys, sort=False)["action"].shift()
    opening = (e["action"] == start) & (prev != start)
    closing = (e["action"] == stop) & (prev == start)
    o = e[opening].copy()
    s = e[closing].copy()
    o["_n"] = o.groupby(keys, sort=False).cumcount()
    s["_n"] = s.groupby(keys, sort=False).cumcount()
    out = o[[*keys, "_n", "date", "outcome"]].rename(columns={"date": "started", "outcome": "start_outcome"}).merge(
        s[[*keys, "_n", "date", "outcome"]].rename(columns={"date": "ended", "outcome": "stop_outcome"}), on=[*keys, "_n"], how="left"
    )
    return out.drop(columns="_n")


def hold_episodes(ledger: Ledger, end) -> pd.DataFrame:
    """Credit holds from the activity log up to ``end``: a ``credit_hold`` starts a hold (another one while on
    hold is ignored), the next ``credit_release`` of the customer ends it (:func:`_episodes`).
    days_on_hold = released − placed, or end − placed for a hold still in force (open = True).
    Columns: customer_id, customer_name, placed, released, days_on_hold, open."""
    end = pd.Timestamp(end).normalize()
    a = _activities(ledger, end, ["credit_hold", "credit_release"])
    cols = ["customer_id", "customer_name", "placed", "released", "days_on_hold", "open"]
    if a.empty or not (a["action"] == "credit_hold").any():
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("placed", "released") else "int64" if c == "days_on_hold" else "bool" if c == "open" else "str") for c in cols})
    ep = _episodes(a, ["customer_id"], "credit_hold", "credit_release").rename(columns={"started": "placed", "ended": "released"})
    ep["open"] = ep["released"].isna()
    ep["days_on_hold"] = (ep["released"].fillna(end) - ep["placed"]).dt.days.astype("int64")
    ep["customer_name"] = customer_names(ledger, ep["customer_id"]).to_numpy()
    return ep.sort_values(["placed", "customer_id"], kind="stable").reset_index(drop=True)[cols]


def hold_effects(ledger: Ledger, holds: pd.DataFrame, *, end, window_days: int = 90, lookback_months: int = 12) -> pd.DataFrame:
    """What happened to held customers' sales and payments: ``window_days`` before against after each hold.

    Holds placed in the ``lookback_months`` months ending ``window_days`` before ``end`` (so the window
    after every hold is complete by ``end``). For a hold placed on day P: before = [P − window_days, P − 1],
    after = [P, P + window_days − 1]; sales_* = Σ the customer's invoices dated in the window (credit notes
    netted), payments_* = Σ its payments dated in it. bought_after = an invoice (amount > 0) dated in the
    after window. Example: sales 30,000 before and 12,000 after → sales fell 60 %.
    Columns: customer_id, customer_name, placed, released, sales_before, sales_after, payments_before,
    payments_after, bought_after.
    """
    end = pd.Timestamp(end).normalize()
    last = end - pd.Timedelta(days=window_days)
    first = _year_start(last, lookback_months)
    h = holds[(holds["placed"] >= first) & (holds["placed"] <= last)]
    cols = ["customer_id", "customer_name", "placed", "released", "sales_before", "sales_after", "payments_before", "payments_after", "bought_after"]
    if h.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("placed", "released") else "bool" if c == "bought_after" else "float64" if c not in ("customer_id", "customer_name") else "str") for c in cols})
    b = _book(ledger)
    cc = _customer_codes(ledger, h["customer_id"])
    P = _day_numbers(h["placed"])
    w = int(window_days)
    out = h[["customer_id", "customer_name", "placed", "released"]].reset_index(drop=True)
    out["sales_before"] = b.cust_billed.between(cc, P - w, P - 1) / 100.0
    out["sales_after"] = b.cust_billed.between(cc, P, P + w - 1) / 100.0
    out["payments_before"] = b.cust_paid.between(cc, P - w, P - 1) / 100.0
    out["payments_after"] = b.cust_paid.between(cc, P, P + w - 1) / 100.0
    p = prepared(ledger)
    pos_inv = _Running(np.where(p.inv_cents > 0, b.inv_cc, -1), p.inv_date, np.ones(len(p.inv_date), dtype="int64"))
    out["bought_after"] = pos_inv.between(cc, P, P + w - 1) > 0
    return out[cols]


def hold_effect_totals(effects: pd.DataFrame) -> dict:
    """Totals over :func:`hold_effects`: holds, sales_before, sales_after, sales_change_pct = (after −
    before) ÷ before × 100, payments_before, payments_after, payments_change_pct likewise (NaN when the
    base is ≤ 0), bought_after (count)."""
    sb, sa = float(effects["sales_before"].sum()), float(effects["sales_after"].sum())
    pb, pa = float(effects["payments_before"].sum()), float(effects["payments_after"].sum())
    return {
        "holds": int(len(effects)),
        "sales_before": round(sb, 2),
        "sales_after": round(sa, 2),
        "sales_change_pct": (sa - sb) / sb * 100.0 if sb > 0 else np.nan,
        "payments_before": round(pb, 2),
        "payments_after": round(pa, 2),
        "payments_change_pct": (pa - pb) / pb * 100.0 if pb > 0 else np.nan,
        "bought_after": int(effects["bought_after"].sum()),
    }


# ============================================================================================ 5. disputes


def dispute_episodes(ledger: Ledger, end) -> pd.DataFrame:
    """Disputes from the activity log up to ``end``, per customer and invoice (customer-level when no invoice
    is named): a ``dispute_opened`` opens one (repeats while open are ignored), the next
    ``dispute_resolved`` for the same invoice closes it (:func:`_episodes`).
    days_to_resolve = resolved − opened (NaN while open); reason = the outcome logged when it was opened;
    resolution = the outcome logged when resolved; amount = the invoice's amount (NaN when no invoice is
    named or found). Columns: customer_id, customer_name, invoice_id, opened, resolved, days_to_resolve,
    reason, resolution, amount.
    """
    end = pd.Timestamp(end).normalize()
    a = _activities(ledger, end, ["dispute_opened", "dispute_resolved"])
    cols = ["customer_id", "customer_name", "invoice_id", "opened", "resolved", "days_to_resolve", "reason", "resolution", "amount"]
    if a.empty or not (a["action"] == "dispute_opened").any():
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("opened", "resolved") else "float64" if c in ("days_to_resolve", "amount") else "str") for c in cols})
    ep = _episodes(a, ["customer_id", "invoice_id"], "dispute_opened", "dispute_resolved")
    ep = ep.rename(columns={"started": "opened", "ended": "resolved", "start_outcome": "reason", "stop_outcome": "resolution"})
    ep["invoice_id"] = ep["invoice_id"].replace("", pd.NA)
    ep["days_to_resolve"] = (ep["resolved"] - ep["opened"]).dt.days.astype("float64")
    pos = invoice_positions(ledger.invoices, ep[["customer_id", "invoice_id"]])
    amt = ledger.invoices["amount"].to_numpy(dtype="float64")
    ep["amount"] = np.where(pos >= 0, amt[np.maximum(pos, 0)] if len(amt) else np.nan, np.nan)
    ep["customer_name"] = customer_names(ledger, ep["customer_id"]).to_numpy()
    return ep.sort_values(["opened", "customer_id"], kind="stable").reset_index(drop=True)[cols]


def dispute_quarter(episodes: pd.DataFrame, quarter) -> dict:
    """Dispute figures of the quarter from :func:`dispute_episodes`: opened (count) and opened_amount (Σ
    amount) — opened in the quarter; resolved (count), median_days_to_resolve and mean_days_to_resolve —
    resolved in the quarter; open_at_end — episodes opened by the quarter end and not resolved by it."""
    start, end = quarter_bounds(quarter)
    o = episodes[(episodes["opened"] >= start) & (episodes["opened"] <= end)]
    r = episodes[(episodes["resolved"] >= start) & (episodes["resolved"] <= end)]
    still = episodes[(episodes["opened"] <= end) & ~(episodes["resolved"] <= end)]
    return {
        "opened": int(len(o)),
        "opened_amount": round(float(o["amount"].sum()), 2),
        "resolved": int(len(r)),
        "median_days_to_resolve": float(r["days_to_resolve"].median()) if len(r) else np.nan,
        "mean_days_to_resolve": float(r["days_to_resolve"].mean()) if len(r) else np.nan,
        "open_at_end": int(len(still)),
    }


def past_due_amount_days(ledger: Ledger, start, end) -> np.ndarray:
    """Past-due amount-days of every invoice over [start, end], in cent-days (one value per invoice row).

    For an invoice (amount > 0, issued ≤ end) let D = the days of [start, end] after its due date. Its
    amount-days = Σ over d in D of its balance at the end of d = amount × |D| − Σ over the payments p applied
    to it dated ≤ end of p × |{d in D : d ≥ p's date}|, floored at 0. Credit notes give 0. An invoice of
    1,000.00 due 06-30 and unpaid over July gives 1,000 × 31 = 31,000 amount-days; paying 600 of it on 07-21
    leaves 1,000 × 20 + 400 × 11 = 24,400.
    """
    p = prepared(ledger)
    s, e = _day(start), _day(end)
    first = np.maximum(p.inv_due + 1, s)
    n = np.where((p.inv_cents > 0) & (p.inv_date <= e), np.maximum(e - first + 1, 0), 0)
    area = p.inv_cents.astype("float64") * n
    m = (p.pay_inv >= 0) & (p.pay_date <= e)
    if m.any():
        inv = p.pay_inv[m]
        span = np.maximum(e - np.maximum(p.pay_date[m], first[inv]) + 1, 0) * (n[inv] > 0)
        area -= np.bincount(inv, weights=p.pay_cents[m] * span.astype("float64"), minlength=len(area))
    return np.maximum(area, 0.0)


def _disputed_invoices(ledger: Ledger, episodes: pd.DataFrame) -> np.ndarray:
    """Mask of invoices that were disputed: named by a dispute episode, or flagged ``disputed``."""
    flag = ledger.invoices["disputed"].fillna(False).to_numpy(dtype=bool) if "disputed" in ledger.invoices else np.zeros(len(ledger.invoices), dtype=bool)
    if len(episodes):
        pos = invoice_positions(ledger.invoices, episodes.dropna(subset=["invoice_id"])[["customer_id", "invoice_id"]])
        flag = flag.copy()
        flag[pos[pos >= 0]] = True
    return flag


def dispute_lateness(ledger: Ledger, quarter, *, episodes: pd.DataFrame | None = None) -> dict:
    """The share of the quarter's late payment explained by disputes.

    share_pct = Σ :func:`past_due_amount_days` over the quarter of the disputed invoices (named in a
    dispute episode opened by the quarter end, or flagged ``disputed``) ÷ Σ over all invoices × 100 — of
    every currency unit left unpaid past its due date for a day in the quarter, the part sitting on a
    disputed invoice. Returns ``{"amount_days", "disputed_amount_days", "share_pct", "disputed_invoices"}``
    (amount-days in currency-days; disputed_invoices = the disputed invoices past due in the quarter).
    """
    start, end = quarter_bounds(quarter)
    if episodes is None:
        episodes = dispute_episodes(ledger, end)
    area = past_due_amount_days(ledger, start, end)
    disp = _disputed_invoices(ledger, episodes)
    total, dsum = float(area.sum()), float(area[disp].sum())
    return {
        "amount_days": total / 100.0,
        "disputed_amount_days": dsum / 100.0,
        "share_pct": dsum / total * 100.0 if total > 0 else np.nan,
        "disputed_invoices": int((disp & (area > 0)).sum()),
    }


# ============================================================================================ 6. payment plans


def plan_activity(ledger: Ledger, quarter, *, grace_days: int = 5, broken_after: int = 2) -> pd.DataFrame:
    """Payment plans and what happened to them in the quarter.

    :func:`~arkit.review.plans.plans_in_force` at the quarter end and at the previous quarter end (same
    ``grace_days`` and ``broken_after``); per plan (customer, agreed_date): prev_status ("" when agreed in
    the quarter), status now, started = agreed in the quarter, completed = completed now but not at the
    previous quarter end, broken = broken now but neither broken nor completed then, recovered_in_quarter =
    paid_to_date now − paid_to_date then (0 for a new plan's "then").
    Columns: the plans_in_force columns, prev_status, started, completed, broken, recovered_in_quarter.
    """
    start, end = quarter_bounds(quarter)
    now = plans_in_force(ledger, end, grace_days=grace_days, broken_after=broken_after)
    prev = plans_in_force(ledger, start - pd.Timedelta(days=1), grace_days=grace_days, broken_after=broken_after)
    p = prev[["customer_id", "agreed_date", "status", "paid_to_date"]].rename(columns={"status": "prev_status", "paid_to_date": "_prev_paid"})
    out = now.merge(p, on=["customer_id", "agreed_date"], how="left")
    out["prev_status"] = out["prev_status"].fillna("").astype("str")
    out["started"] = (out["agreed_date"] >= start).to_numpy()
    out["completed"] = ((out["status"] == "completed") & (out["prev_status"] != "completed")).to_numpy()
    out["broken"] = ((out["status"] == "broken") & ~out["prev_status"].isin(["broken", "completed"])).to_numpy()
    out["recovered_in_quarter"] = (out["paid_to_date"] - out["_prev_paid"].fillna(0.0)).round(2)
    return out.drop(columns="_prev_paid")


def plan_quarter(activity: pd.DataFrame) -> dict:
    """Totals over :func:`plan_activity`: started, completed, broken (in the quarter), in_force (plans not
    completed), and by status now; recovered_in_quarter = Σ recovered_in_quarter; promised = Σ amount;
    paid_to_date = Σ paid_to_date (money summed in cents)."""
    from ..model import cents

    out = {
        "plans": int(len(activity)),
        "started": int(activity["started"].sum()),
        "completed": int(activity["completed"].sum()),
        "broken": int(activity["broken"].sum()),
        "promised": int(cents(activity["amount"]).sum()) / 100.0,
        "paid_to_date": int(cents(activity["paid_to_date"]).sum()) / 100.0,
        "recovered_in_quarter": int(cents(activity["recovered_in_quarter"]).sum()) / 100.0,
    }
    for s in ("on track", "behind", "broken", "completed"):
        out[f"now_{s.replace(' ', '_')}"] = int((activity["status"] == s).sum())
    return out


# ============================================================================================ 7. retention

RETENTION_OUTCOMES = (
    "recovered, still buying",
    "recovered, stopped buying",
    "still delinquent, still buying",
    "still delinquent, stopped buying",
)


def retention(
    ledger: Ledger,
    quarter,
    *,
    lookback_months: int = 12,
    delinquent_days: int = 60,
    recovered_days: int = 30,
    active_days: int = 90,
) -> pd.DataFrame:
    """What became of the customers who were delinquent in the year: recovered and kept, or lost.

    - **delinquent**: on some day of the ``lookback_months`` months ending at the quarter end E, the
      customer had an invoice more than ``delinquent_days`` days past due with a positive balance. For an
      invoice, t = max(due + delinquent_days + 1, first day of the year); it counts when t ≤ E and its
      balance at the end of t is positive. delinquent_since = the earliest such t of the customer.
    - **recovered**: at E, no invoice more than ``recovered_days`` days past due has a positive balance.
    - **still buying**: its last invoice (amount > 0) is dated after delinquent_since and within the
      ``active_days`` days ending at E; otherwise it **stopped buying** (lost).
    outcome = one of :data:`RETENTION_OUTCOMES` (recovered / still delinquent × still buying / stopped).
    Also: past_due_now (Σ positive balances more than recovered_days past due at E), oldest_days_past_due
    at E (0 when none), last_invoice, sales_before (Σ invoices in the 12 months before delinquent_since) and
    sales_since (Σ invoices from delinquent_since to E), escalated (an agency, legal or write_off activity
    from delinquent_since to E).
    Columns: customer_id, customer_name, delinquent_since, outcome, recovered, still_buying, past_due_now,
    oldest_days_past_due, last_invoice, sales_before, sales_since, escalated.
    """
    start, end = quarter_bounds(quarter)
    e_day = _day(end)
    y_day = _day(_year_start(end, lookback_months))
    p = prepared(ledger)
    b = _book(ledger)
    pos_inv = np.flatnonzero((p.inv_cents > 0) & (p.inv_date <= e_day))
    t = np.maximum(p.inv_due[pos_inv] + delinquent_days + 1, y_day)
    ok = t <= e_day
    pos_d, t_d = pos_inv[ok], t[ok]
    late = _balance(ledger, pos_d, t_d) > 0
    pos_d, t_d = pos_d[late], t_d[late]
    cols = ["customer_id", "customer_name", "delinquent_since", "outcome", "recovered", "still_buying", "past_due_now", "oldest_days_past_due", "last_invoice", "sales_before", "sales_since", "escalated"]
    if len(pos_d) == 0:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("delinquent_since", "last_invoice") else "bool" if c in ("recovered", "still_buying", "escalated") else "float64" if c in ("past_due_now", "sales_before", "sales_since") else "int64" if c == "oldest_days_past_due" else "str") for c in cols})
    since = pd.Series(t_d).groupby(b.inv_cc[pos_d]).min()
    cc = since.index.to_numpy(dtype="int64")
    since_d = since.to_numpy(dtype="int64")
    # at the quarter end: positive balances more than recovered_days past due
    bal_e = _balance(ledger, pos_inv, np.full(len(pos_inv), e_day))
    old = (bal_e > 0) & (e_day - p.inv_due[pos_inv] > recovered_days)
    pd_now = pd.Series(np.where(old, bal_e, 0)).groupby(b.inv_cc[pos_inv]).sum().reindex(cc, fill_value=0).to_numpy()
    dpd = pd.Series(np.where(bal_e > 0, e_day - p.inv_due[pos_inv], 0)).groupby(b.inv_cc[pos_inv]).max().reindex(cc, fill_value=0).clip(lower=0).to_numpy()
    last_inv = pd.Series(p.inv_date[pos_inv]).groupby(b.inv_cc[pos_inv]).max().reindex(cc).to_numpy(dtype="int64")
    recovered = pd_now <= 0
    buying = (last_inv > since_d) & (last_inv > e_day - active_days)
    outcome = np.select(
        [recovered & buying, recovered & ~buying, ~recovered & buying],
        list(RETENTION_OUTCOMES[:3]),
        default=RETENTION_OUTCOMES[3],
    )
    y_before = _day_numbers(pd.DatetimeIndex(_dates(since_d)) - pd.DateOffset(months=12))
    ids = b.customers[cc]
    esc_acts = _activities(ledger, end, ["agency", "legal", "write_off"])
    escalated = np.zeros(len(cc), dtype=bool)
    if len(esc_acts):
        ea = pd.DataFrame({"cc": _customer_codes(ledger, esc_acts["customer_id"]), "d": _day_numbers(esc_acts["date"])})
        j = pd.DataFrame({"cc": cc, "_r": np.arange(len(cc)), "since": since_d}).merge(ea, on="cc")
        escalated[j.loc[j["d"] >= j["since"], "_r"].to_numpy()] = True
    out = pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype="str").to_numpy(),
            "delinquent_since": _dates(since_d),
            "outcome": outcome,
            "recovered": recovered,
            "still_buying": buying,
            "past_due_now": pd_now / 100.0,
            "oldest_days_past_due": dpd.astype("int64"),
            "last_invoice": _dates(last_inv),
            "sales_before": b.cust_billed.between(cc, y_before, since_d - 1) / 100.0,
            "sales_since": b.cust_billed.between(cc, since_d, np.full(len(cc), e_day)) / 100.0,
            "escalated": escalated,
        }
    )
    out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    order = {o: i for i, o in enumerate(RETENTION_OUTCOMES)}
    out = out.assign(_o=out["outcome"].map(order)).sort_values(["_o", "past_due_now", "customer_id"], ascending=[True, False, True], kind="stable")
    out["outcome"] = out["outcome"].astype("str")
    return out.drop(columns="_o").reset_index(drop=True)[cols]


def retention_summary(ret: pd.DataFrame) -> pd.DataFrame:
    """Customers per outcome of :func:`retention` (every outcome listed, zeros included): outcome,
    customers, share (of the delinquent customers, %), sales_since (Σ), past_due_now (Σ)."""
    g = ret.groupby("outcome").agg(customers=("customer_id", "size"), sales_since=("sales_since", "sum"), past_due_now=("past_due_now", "sum"))
    g = g.reindex(list(RETENTION_OUTCOMES)).fillna(0).astype({"customers": "int64"})
    n = int(g["customers"].sum())
    g.insert(1, "share", g["customers"] / n * 100.0 if n else np.nan)
    return g.rename_axis("outcome").reset_index()


# ============================================================================================ 8. billing & payment

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
    either is missing). Columns: customer_id, those five, gap_days."""
    eom = settled["band"] == BILLING_BANDS[-1][2]
    a = settled[eom].groupby("customer_id")["days_late"].agg(["size", "mean"])
    b = settled[~eom].groupby("customer_id")["days_late"].agg(["size", "mean"])
    out = a.add_suffix("_e").join(b.add_suffix("_o"), how="outer")
    out = pd.DataFrame(
        {
            "eom_invoices": out["size_e"].fillna(0).astype("int64"),
            "eom_avg_days_late": out["mean_e"],
            "other_invoices": out["size_o"].fillna(0).astype("int64"),
            "other_avg_days_late": out["mean_o"],
        }
    )
    out["gap_days"] = out["eom_avg_days_late"] - out["other_avg_days_late"]
    return out.rename_axis("customer_id").reset_index()


_EARLY_PAY = re.compile(r"(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+)\s*,?\s*(?:net|n)\s*/?\s*(\d+)", re.I)


def early_pay_terms(terms: pd.Series) -> pd.DataFrame:
    """Early-payment terms read from terms texts: "2/10 Net 30", "2/10 n/30", "1.5% / 15, net 45"… →
    rate (fraction: 0.02), discount_days (10), net_days (30); NaN for any other text."""
    x = terms.astype("str").str.extract(_EARLY_PAY)
    return pd.DataFrame(
        {
            "rate": pd.to_numeric(x[0], errors="coerce") / 100.0,
            "discount_days": pd.to_numeric(x[1], errors="coerce"),
            "net_days": pd.to_numeric(x[2], errors="coerce"),
        },
        index=terms.index,
    )


def discount_annual_cost(rate: float, discount_days: float, net_days: float) -> float:
    """Annualised cost of an early-pay discount, in %: rate ÷ (1 − rate) × 365 ÷ (net_days − discount_days)
    × 100. 2/10 net 30 → 0.02 ÷ 0.98 × 365 ÷ 20 × 100 = 37.24 %. NaN when net_days ≤ discount_days."""
    if not net_days > discount_days or not 0 <= rate < 1:
        return float("nan")
    return rate / (1 - rate) * 365.0 / (net_days - discount_days) * 100.0


def early_pay_take_up(ledger: Ledger, start, end) -> pd.DataFrame:
    """Take-up of early-payment discounts on invoices dated in [start, end].

    Eligible: invoices (amount > 0) whose terms (:func:`_terms_labels`) are early-pay terms
    (:func:`early_pay_terms`) and whose discount window has closed by ``end`` (invoice_date +
    discount_days ≤ end). taken: the payments applied to the invoice dated ≤ invoice_date + discount_days add
    up to at least amount × (1 − rate) (to the cent) — the customer paid in the window, net of the discount
    (whether the discount is recorded as a credit note or left as a short payment). discount = rate ×
    amount for those taken (the terms' nominal discount). days_to_pay from :func:`arkit.settlements` (NaN
    when not settled). Columns: customer_id, invoice_id, invoice_date, amount, terms, rate, discount_days,
    net_days, taken, discount, days_to_pay.
    """
    inv = ledger.invoices
    terms = _terms_labels(ledger)
    ep = early_pay_terms(terms)
    p = prepared(ledger)
    s_day, e_day = _day(start), _day(end)
    dd = ep["discount_days"].fillna(-1).to_numpy(dtype="int64")
    m = ep["rate"].notna().to_numpy() & (p.inv_cents > 0) & (p.inv_date >= s_day) & (p.inv_date <= e_day) & (p.inv_date + dd <= e_day)
    pos = np.flatnonzero(m)
    out = inv.iloc[pos][["customer_id", "invoice_id", "invoice_date", "amount"]].reset_index(drop=True)
    out["terms"] = terms.to_numpy()[pos]
    out["rate"] = ep["rate"].to_numpy()[pos]
    out["discount_days"] = dd[pos]
    out["net_days"] = ep["net_days"].to_numpy()[pos]
    amt = p.inv_cents[pos]
    paid = _book(ledger).applied.upto(pos, p.inv_date[pos] + dd[pos])
    need = amt - np.rint(amt * out["rate"].to_numpy()).astype("int64")
    out["taken"] = paid >= need
    out["discount"] = np.where(out["taken"], np.rint(amt * out["rate"].to_numpy()) / 100.0, 0.0)
    st = settlements(ledger)[["customer_id", "invoice_id", "days_to_pay"]]
    out = out.merge(st, on=["customer_id", "invoice_id"], how="left")
    out["days_to_pay"] = out["days_to_pay"].astype("float64")
    return out


def early_pay_summary(take: pd.DataFrame) -> pd.DataFrame:
    """Per early-pay terms text, from :func:`early_pay_take_up`: customers, eligible (invoices), taken,
    pct_taken (of the invoices, %), pct_amount_taken (of the amount, %), discount (Σ), annual_cost_pct
    (:func:`discount_annual_cost`), days_to_pay_taken and days_to_pay_not_taken (means over settled ones)."""
    rows = []
    for t, g in take.groupby("terms", sort=True):
        tk = g["taken"]
        amt = g["amount"].sum()
        rows.append(
            {
                "terms": t,
                "customers": int(g["customer_id"].nunique()),
                "eligible": int(len(g)),
                "taken": int(tk.sum()),
                "pct_taken": tk.mean() * 100.0,
                "pct_amount_taken": g.loc[tk, "amount"].sum() / amt * 100.0 if amt else np.nan,
                "discount": round(float(g["discount"].sum()), 2),
                "annual_cost_pct": discount_annual_cost(float(g["rate"].iloc[0]), float(g["discount_days"].iloc[0]), float(g["net_days"].iloc[0])),
                "days_to_pay_taken": g.loc[tk, "days_to_pay"].mean(),
                "days_to_pay_not_taken": g.loc[~tk, "days_to_pay"].mean(),
            }
        )
    cols = ["terms", "customers", "eligible", "taken", "pct_taken", "pct_amount_taken", "discount", "annual_cost_pct", "days_to_pay_taken", "days_to_pay_not_taken"]
    return pd.DataFrame(rows, columns=cols)


# ============================================================================================ 9. recommendations


def _rec(rule: str, area: str, text: str, evidence: str, customers: int | None = None) -> dict:
    return {"rule": rule, "area": area, "recommendation": text, "evidence": evidence, "customers": customers}


def _who(names: pd.Series, n: int = 5) -> str:
    names = [str(x) for x in names.tolist()]
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def rule_targets_missed(figures: pd.DataFrame, *, policy: dict, quarters: int = 2) -> list[dict]:
    """Figures with a target (``policy.targets``) missed in each of the last ``quarters`` quarters (default 2:
    a miss two quarters running is a trend, not noise). One recommendation naming them all, with their
    values. Example: DSO 50.1 and 52.3 days against 45 → fires; 50.1 then 44.0 → does not."""
    t = policy.get("targets", {})
    if len(figures) < quarters:
        return []
    tail = figures.tail(quarters)
    missed = []
    for key, (label, unit, better) in QUARTER_FIGURES.items():
        if key not in t or better is None or key not in tail:
            continue
        v = tail[key]
        bad = (v > t[key]) if better == "lower" else (v < t[key])
        if v.notna().all() and bad.all():
            u = " days" if unit == "days" else " %" if unit == "%" else ""
            missed.append(f"{label} ({', '.join(f'{x:.1f}' for x in v)}{u} against {t[key]:g}{u})")
    if not missed:
        return []
    return [_rec("targets_missed", "Outcomes", f"Review the terms, the escalation timing or the targets: {len(missed)} figure(s) missed their target {quarters} quarters running.", "; ".join(missed) + ".")]


def rule_ladder_step(summary: pd.DataFrame, *, min_on_time_pct: float = 75.0, min_invoices: int = 20) -> list[dict]:
    """Ladder steps done on time for fewer than ``min_on_time_pct`` % (default 75 %) of the invoices that
    reached them, among steps with at least ``min_invoices`` (default 20) decided invoices (on time + late +
    never). One recommendation naming the steps, worst first, each with its counts. Example: a call on time
    for 40 of 80 (50 %) → fires; 70 of 80 (87.5 %) → not."""
    s = summary.assign(decided=summary["on_time"] + summary["late"] + summary["never"])
    s = s[(s["decided"] >= min_invoices) & (s["pct_on_time"] < min_on_time_pct)].sort_values("pct_on_time", kind="stable")
    if s.empty:
        return []
    parts = []
    for r in s.itertuples():
        med = f", median delay {r.median_delay_days:.0f} days" if pd.notna(r.median_delay_days) else ""
        parts.append(f"{r.step} ({r.owner}, day {r.day}): {r.on_time} of {r.decided} on time, {r.late} late, {r.never} never{med}")
    names = ", ".join(f"{r.step} ({r.pct_on_time:.0f} %)" for r in s.itertuples())
    return [_rec("ladder_step", "Escalation", f"Enforce the escalation steps done on time for fewer than {min_on_time_pct:g} % of the invoices that reached them — {names}: automate them, or change their owner or day.", "; ".join(parts) + ".")]


def rule_agency_recovery(refs: pd.DataFrame, *, min_customers: int = 3, min_recovered_pct: float = 25.0) -> list[dict]:
    """Agency and legal referrals of the year recovering less than ``min_recovered_pct`` % (default 25 %) of
    what was owed at referral (Σ recovered ÷ Σ owed), when at least ``min_customers`` (default 3) customers
    were referred. Example: 3 customers owing 10,000 with 1,500 recovered (15 %) → fires."""
    if len(refs) < min_customers:
        return []
    owed, rec = float(refs["owed"].sum()), float(refs["recovered"].sum())
    if owed <= 0 or rec / owed * 100.0 >= min_recovered_pct:
        return []
    return [_rec("agency_recovery", "Escalation", f"Review the agency and legal referrals: only {rec / owed * 100:.0f} % of what referred customers owed has been recovered; refer earlier, change agency, or write off sooner.", f"{len(refs)} customers referred in the year owed {owed:,.2f} at referral; {rec:,.2f} recovered since.", len(refs))]


def rule_credit_limit_review(util: pd.DataFrame, *, months: int = 2, threshold_pct: float = 100.0) -> list[dict]:
    """Customers above ``threshold_pct`` % (default 100 %) of their credit limit at each of the last
    ``months`` (default 2) month ends of the quarter: review their limits (raise them for good payers, hold
    the others). Uses the ``util_<month>`` columns of :func:`credit_utilisation_history`. Example: 120 %
    and 130 % → listed; 120 % and 90 % → not."""
    ucols = [c for c in util.columns if c.startswith("util_")][-months:]
    if len(ucols) < months or util.empty:
        return []
    hit = util[(util[ucols] > threshold_pct).all(axis=1)]
    if hit.empty:
        return []
    top = hit.sort_values("utilisation", ascending=False).iloc[0]
    return [
        _rec(
            "credit_limit_review",
            "Credit limits",
            f"Review the credit limit of {len(hit)} customers above {threshold_pct:g} % utilisation for {months} months.",
            f"Open AR {hit['open_ar'].sum():,.2f} against limits of {hit['credit_limit'].sum():,.2f}; highest {top['customer_name']} at {top['utilisation']:.0f} %. Customers: {_who(hit['customer_name'])}.",
            len(hit),
        )
    ]


def rule_credit_holds(totals: dict, *, min_holds: int = 3, max_sales_drop_pct: float = 30.0) -> list[dict]:
    """Credit holds that cost sales: at least ``min_holds`` (default 3) holds measured and held customers'
    sales in the 90 days after the hold fell by more than ``max_sales_drop_pct`` % (default 30 %) against
    the 90 days before (:func:`hold_effect_totals`). Example: sales 100,000 before, 60,000 after (−40 %)
    → fires."""
    if totals["holds"] < min_holds or not totals["sales_change_pct"] < -max_sales_drop_pct:
        return []
    pay = f"; their payments changed {totals['payments_change_pct']:+.0f} %" if pd.notna(totals["payments_change_pct"]) else ""
    return [_rec("credit_holds", "Credit limits", "Release holds as soon as the overdue balance is paid, or hold only above a larger overdue amount: holds are costing sales.", f"Over {totals['holds']} holds, held customers' sales fell {-totals['sales_change_pct']:.0f} % in the 90 days after the hold{pay}.")]


def rule_disputes(lateness: dict, quarter_stats: dict, *, max_share_pct: float = 15.0, max_median_days: float = 30.0) -> list[dict]:
    """Disputes that drive lateness: they hold at least ``max_share_pct`` % (default 15 %) of the quarter's
    past-due amount-days (:func:`dispute_lateness`), or the disputes resolved in the quarter took a median
    of more than ``max_median_days`` (default 30) days. Example: share 20 % → fires; share 5 % and median 12
    days → not."""
    share, med = lateness["share_pct"], quarter_stats["median_days_to_resolve"]
    if not (share >= max_share_pct or med > max_median_days):
        return []
    return [
        _rec(
            "disputes",
            "Disputes",
            f"Speed up dispute resolution (target: a median of {max_median_days:g} days or less) and fix the billing errors behind the most frequent reasons.",
            f"Disputed invoices hold {share:.1f} % of the quarter's past-due amount-days; the {quarter_stats['resolved']} disputes resolved in the quarter took a median of {med:.0f} days.",
        )
    ]


def rule_lost_customers(ret: pd.DataFrame, *, max_lost_pct: float = 20.0, min_customers: int = 5) -> list[dict]:
    """Collections losing customers: of at least ``min_customers`` (default 5) customers delinquent in the
    year, more than ``max_lost_pct`` % (default 20 %) stopped buying (:func:`retention`). The evidence
    separates those who paid up and still left (the ones collections should have kept). Example: 10
    delinquent, 3 stopped buying (30 %) → fires."""
    if len(ret) < min_customers:
        return []
    lost = ret[~ret["still_buying"]]
    pct = len(lost) / len(ret) * 100.0
    if pct <= max_lost_pct:
        return []
    paid_up = lost[lost["recovered"]]
    return [
        _rec(
            "lost_customers",
            "Retention",
            f"Win back good customers and soften the path for them: {len(lost)} of the {len(ret)} customers delinquent in the year ({pct:.0f} %) stopped buying.",
            f"{len(paid_up)} of them paid up before leaving ({_who(paid_up['customer_name']) or 'none'}); {len(lost) - len(paid_up)} still owe {lost['past_due_now'].sum():,.2f}.",
            len(lost),
        )
    ]


def rule_month_end_billing(by_customer: pd.DataFrame, names: pd.Series | None = None, *, min_gap_days: float = 10.0, min_invoices: int = 3) -> list[dict]:
    """Customers who pay month-end invoices much later than their others: at least ``min_invoices`` (default
    3) settled invoices billed at month end and as many others, and month-end invoices paid at least
    ``min_gap_days`` (default 10) days later on average (:func:`billing_by_customer`). Moving their billing
    to mid-month puts the invoice in their payment run. Example: month-end invoices 18 days late, others 2 →
    gap 16 → listed."""
    b = by_customer[(by_customer["eom_invoices"] >= min_invoices) & (by_customer["other_invoices"] >= min_invoices) & (by_customer["gap_days"] >= min_gap_days)]
    if b.empty:
        return []
    eom = (b["eom_avg_days_late"] * b["eom_invoices"]).sum() / b["eom_invoices"].sum()
    oth = (b["other_avg_days_late"] * b["other_invoices"]).sum() / b["other_invoices"].sum()
    who = b["customer_id"].map(names) if names is not None else b["customer_id"]
    return [
        _rec(
            "month_end_billing",
            "Billing",
            f"Move {len(b)} customers billed at month end, who pay those invoices {eom:.0f} days late on average, to mid-month billing.",
            f"Their {int(b['eom_invoices'].sum())} month-end invoices were paid {eom:.1f} days late on average against {oth:.1f} for their {int(b['other_invoices'].sum())} other invoices. Customers: {_who(who.fillna(b['customer_id']))}.",
            len(b),
        )
    ]


def rule_payment_method(by_method: pd.DataFrame, *, min_extra_days: float = 3.0, min_invoices: int = 50) -> list[dict]:
    """Payment methods that arrive later: a method with at least ``min_invoices`` (default 50) settled
    invoices whose average days late exceeds the all-method average by ``min_extra_days`` (default 3) days or
    more (:func:`lateness_by` on method). Example: checks 9.0 days late, all methods 4.5 → fires."""
    if by_method.empty:
        return []
    overall = (by_method["avg_days_late"] * by_method["invoices"]).sum() / by_method["invoices"].sum()
    out = []
    for r in by_method[(by_method["invoices"] >= min_invoices) & (by_method["avg_days_late"] - overall >= min_extra_days)].itertuples():
        out.append(_rec("payment_method", "Payment options", f"Move customers paying by {r.method} to ACH or card (direct debit where possible): {r.method} payments arrive {r.avg_days_late - overall:.1f} days later than average.", f"{r.invoices} invoices paid by {r.method} were {r.avg_days_late:.1f} days late on average against {overall:.1f} for all methods."))
    return out


def rule_terms(by_terms: pd.DataFrame, *, max_avg_days_late: float = 15.0, min_invoices: int = 30) -> list[dict]:
    """Terms customers do not keep: terms with at least ``min_invoices`` (default 30) settled invoices paid
    more than ``max_avg_days_late`` (default 15) days late on average (:func:`lateness_by` on terms). One
    recommendation naming them, latest first. Example: Net 60 paid 18.2 days late → fires."""
    t = by_terms[(by_terms["invoices"] >= min_invoices) & (by_terms["avg_days_late"] > max_avg_days_late)].sort_values("avg_days_late", ascending=False, kind="stable")
    if t.empty:
        return []
    names = ", ".join(f"{r.terms} ({r.avg_days_late:.0f} days)" for r in t.itertuples())
    ev = "; ".join(f"'{r.terms}': {r.invoices} invoices settled in the year, {r.pct_late:.0f} % late, {r.avg_days_late:.1f} days late and {r.avg_days_to_pay:.0f} days to pay on average" for r in t.itertuples())
    return [_rec("terms", "Payment options", f"Review the terms customers pay more than {max_avg_days_late:g} days after the due date on average — {names}: shorten them, or pair them with a late fee or an early-pay offer.", ev + ".")]


def rule_early_pay(summary: pd.DataFrame, *, min_take_up_pct: float = 25.0, min_invoices: int = 20) -> list[dict]:
    """An early-pay discount few customers take: terms with at least ``min_invoices`` (default 20) eligible
    invoices of which fewer than ``min_take_up_pct`` % (default 25 %) took the discount
    (:func:`early_pay_summary`). Example: 2/10 Net 30 taken on 30 of 300 invoices (10 %) → fires."""
    out = []
    for r in summary[(summary["eligible"] >= min_invoices) & (summary["pct_taken"] < min_take_up_pct)].itertuples():
        out.append(_rec("early_pay", "Payment options", f"Rethink the '{r.terms}' discount: it is taken on only {r.pct_taken:.0f} % of eligible invoices; drop it, or offer it to slow payers it could move (see the incentive comparison).", f"{r.taken} of {r.eligible} eligible invoices of {r.customers} customers took it, costing {r.discount:,.2f} (an annualised {r.annual_cost_pct:.1f} %); takers paid in {r.days_to_pay_taken:.0f} days, the others in {r.days_to_pay_not_taken:.0f}."))
    return out


#: The rules in the order the meeting reads them: name → (function, what fires it). The text's ``{…}`` are
#: the function's keyword defaults (see :func:`rule_thresholds`), so the table shown cannot drift from them.
RULES = {
    "targets_missed": (rule_targets_missed, "A figure with a target missed in each of the last {quarters} quarters."),
    "ladder_step": (rule_ladder_step, "A ladder step done on time for fewer than {min_on_time_pct:g} % of the invoices that reached it (at least {min_invoices} decided)."),
    "agency_recovery": (rule_agency_recovery, "Agency and legal referrals of the year recovering less than {min_recovered_pct:g} % of what was owed (at least {min_customers} customers)."),
    "credit_limit_review": (rule_credit_limit_review, "Customers above the policy's credit-hold utilisation (100 %) at each of the last {months} month ends."),
    "credit_holds": (rule_credit_holds, "Held customers' sales down more than {max_sales_drop_pct:g} % in the 90 days from a hold against the 90 days before (at least {min_holds} holds)."),
    "disputes": (rule_disputes, "Disputes holding {max_share_pct:g} % or more of the quarter's past-due amount-days, or a median of more than {max_median_days:g} days to resolve."),
    "lost_customers": (rule_lost_customers, "More than {max_lost_pct:g} % of the customers delinquent in the year stopped buying (at least {min_customers} delinquent)."),
    "month_end_billing": (rule_month_end_billing, "Customers paying month-end invoices {min_gap_days:g} days or more later than their others (at least {min_invoices} of each)."),
    "payment_method": (rule_payment_method, "A payment method {min_extra_days:g} days or more later than the average of all methods (at least {min_invoices} invoices)."),
    "terms": (rule_terms, "Terms paid more than {max_avg_days_late:g} days late on average (at least {min_invoices} invoices)."),
    "early_pay": (rule_early_pay, "An early-pay discount taken on fewer than {min_take_up_pct:g} % of the eligible invoices (at least {min_invoices})."),
}


def rule_thresholds() -> pd.DataFrame:
    """Every rule of :data:`RULES` with its threshold in words, filled from the rule function's keyword
    defaults. Columns: rule, fires_when."""
    rows = []
    for name, (fn, text) in RULES.items():
        defaults = {k: v.default for k, v in inspect.signature(fn).parameters.items() if v.default is not inspect.Parameter.empty}
        rows.append({"rule": name.replace("_", " "), "fires_when": text.format(**defaults)})
    return pd.DataFrame(rows)


def recommendations(r: PolicyReview) -> pd.DataFrame:
    """Every rule of :data:`RULES` applied to the review's evidence, in order. Columns: no (1…), area,
    recommendation, evidence, rule, customers. Empty when no rule fires."""
    names = pd.Series(customer_names(r.ledger, r.billing_customers["customer_id"]).to_numpy(), index=r.billing_customers["customer_id"].to_numpy())
    recs = [
        *rule_targets_missed(r.figures, policy=r.policy),
        *rule_ladder_step(r.adherence_summary),
        *rule_agency_recovery(r.referrals),
        *rule_credit_limit_review(r.utilisation, threshold_pct=r.policy["credit_hold"]["utilisation"] * 100.0),
        *(rule_credit_holds(hold_effect_totals(r.hold_effects)) if len(r.hold_effects) else []),
        *(rule_disputes(r.dispute_lateness, dispute_quarter(r.disputes, r.quarter)) if len(r.disputes) else []),
        *rule_lost_customers(r.retention),
        *rule_month_end_billing(r.billing_customers, names),
        *rule_payment_method(lateness_by(r.settled, "method")),
        *rule_terms(lateness_by(r.settled, "terms")),
        *rule_early_pay(r.early_pay_summary),
    ]
    cols = ["no", "area", "recommendation", "evidence", "rule", "customers"]
    if not recs:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "no" else "str") for c in cols})
    out = pd.DataFrame(recs)
    out.insert(0, "no", np.arange(1, len(out) + 1))
    out["customers"] = out["customers"].astype("Int64")
    return out[cols]


# ============================================================================================ 10. definitions

#: Every metric of the pack, in words (the report's appendix). Term → definition.
DEFINITIONS = {
    "Quarter, year": "The quarter is judged as known on its last day: only what is dated on or before it counts. 'The year' is the 12 months ending that day.",
    "Open AR": "Invoices dated up to the day less payments received up to it; credit notes and unapplied cash reduce it.",
    "DSO, quarter": "Open AR at the quarter end ÷ the quarter's sales × the quarter's calendar days (period method, 3-month window).",
    "DSO, countback": "Open AR at the quarter end exhausted against monthly sales going back; whole months count their calendar days.",
    "BPDSO": "Best possible DSO: the DSO formula applied to the part of AR not yet due.",
    "ADD": "Average days delinquent: DSO − BPDSO.",
    "CEI, quarter": "(Open AR at the previous quarter end + the quarter's sales − open AR at the quarter end) ÷ (open AR at the previous quarter end + the quarter's sales − current AR at the quarter end) × 100.",
    "% current, % 91+": "The part of open AR not yet due, and the part in the oldest aging bucket (91+ days past due), at the quarter end, as a share of open AR (unapplied cash received more than 90 days earlier counts negative there, as in the aging).",
    "Collections, sales": "Payments received, and invoices issued (credit notes netted), dated in the quarter.",
    "Write-off": "A write_off in the activity log; its amount is the invoice's balance on the write-off day (the customer's open AR when no invoice is named). Write-offs ÷ sales uses the quarter's sales.",
    "Ladder step on time, late, never": "A step is due on its trigger day (the invoice's due date + the step's day, on the customer's segment path) when the invoice is still unpaid. On time: the step's action was logged by the trigger day + 3 days (earlier counts); late: afterwards; never: not by the quarter end. Invoices paid before the deadline, under dispute or under a payment plan are left out; pending: deadline after the quarter end.",
    "Median delay": "The median of (date the step was logged − trigger day) over the invoices that got the step.",
    "Referral recovery": "For customers referred to an agency or legal in the year: what they owed at referral (positive invoice balances) and the part of it paid since.",
    "Credit-limit utilisation": "A customer's open AR ÷ its credit limit; a breach is utilisation above the policy's credit-hold share (100 %).",
    "Credit hold effect": "For holds placed in the year before the last 90 days: the customer's sales and payments in the 90 days before the hold against the 90 days from it.",
    "Time to resolve a dispute": "From dispute_opened to the next dispute_resolved of the same invoice, in days.",
    "Share of late payment explained by disputes": "Past-due amount-days on disputed invoices ÷ past-due amount-days on all invoices in the quarter; an invoice's amount-days add its unpaid past-due balance for every day of the quarter (1,000 unpaid for 20 days = 20,000).",
    "Payment plan started, completed, broken": "Agreed in the quarter; completed (paid in full) or broken (two installments missed past 5 days' grace) during the quarter, i.e. not so at the previous quarter end.",
    "Delinquent customer": "A customer with an invoice more than 60 days past due and unpaid on some day of the year.",
    "Recovered": "At the quarter end, nothing more than 30 days past due.",
    "Still buying / lost": "Still buying: invoiced after becoming delinquent and within the last 90 days; otherwise stopped buying (lost).",
    "Billing day": "The invoice date's day of the month: start (1-10), mid (11-20), end (21-31).",
    "Days late": "Settled date − due date of an invoice paid in full (negative when paid early); invoices settled in the year.",
    "Payment method": "The method of the payment that completed the invoice's settlement.",
    "Early-pay take-up": "An invoice on terms such as 2/10 Net 30 took the discount when payments in its first 10 days reached its amount less the discount; take-up = invoices that took it ÷ invoices eligible (window closed). Annualised cost = rate ÷ (1 − rate) × 365 ÷ (net days − discount days).",
    "Recommendation": "A rule with a documented threshold fired on the evidence shown; each lists that evidence.",
}


# ============================================================================================ the review


@dataclass
class PolicyReview:
    ledger: Ledger
    quarter: pd.Period
    start: pd.Timestamp
    end: pd.Timestamp
    policy: dict
    lookback_months: int
    figures: pd.DataFrame
    outcomes: pd.DataFrame
    write_off_items: pd.DataFrame
    segments: pd.Series
    adherence: pd.DataFrame
    adherence_summary: pd.DataFrame
    referrals: pd.DataFrame
    utilisation: pd.DataFrame
    holds: pd.DataFrame
    hold_effects: pd.DataFrame
    disputes: pd.DataFrame
    dispute_lateness: dict
    open_disputes: pd.DataFrame
    plans: pd.DataFrame
    retention: pd.DataFrame
    settled: pd.DataFrame
    billing_customers: pd.DataFrame
    early_pay: pd.DataFrame
    early_pay_summary: pd.DataFrame
    recommendations: pd.DataFrame | None = None
    tolerance_days: int = 3
    book: ReportBook = field(default_factory=ReportBook)

    @property
    def currency(self) -> str:
        return self.ledger.currency

    @property
    def year_start(self) -> pd.Timestamp:
        return _year_start(self.end, self.lookback_months)

    @property
    def has_activities(self) -> bool:
        return len(self.ledger.activities) > 0

    @property
    def label(self) -> str:
        return _label(self.quarter)


def build(ledger: Ledger, quarter, *, policy: dict, quarters: int = 8, lookback_months: int = 12, tolerance_days: int = 3) -> PolicyReview:
    """Compute every table of the review of ``quarter`` (``"2026Q3"``): the figures of the ``quarters``
    quarters ending with it, and the evidence of the quarter (and of the ``lookback_months`` months ending
    at its last day where one quarter holds too little)."""
    q = parse_quarter(quarter)
    start, end = quarter_bounds(q)
    buckets = tuple(policy["buckets"])
    figures = quarterly_figures(ledger, q, quarters=quarters, buckets=buckets)
    outcomes = outcomes_vs_targets(figures, policy=policy)
    has_log = len(ledger.activities) > 0
    seg_date = start - pd.Timedelta(days=1)
    segs = segment_customers(ledger, seg_date, policy=policy).set_index("customer_id")["segment"] if len(ledger.invoices) and (ledger.invoices["invoice_date"] <= seg_date).any() else pd.Series(dtype="str")
    plans_now = plans_in_force(ledger, end) if has_log else None
    adh = escalation_adherence(ledger, q, policy=policy, segments=segs, tolerance_days=tolerance_days, plans=plans_now) if has_log else _empty_adherence(["customer_id", "invoice_id", "segment", "step", "action", "owner", "day", "trigger_date", "done_date", "delay_days", "status"])
    y0 = _year_start(end, lookback_months)
    holds = hold_episodes(ledger, end)
    disputes = dispute_episodes(ledger, end)
    settled = settled_invoices(ledger, y0, end)
    take = early_pay_take_up(ledger, y0, end)
    r = PolicyReview(
        ledger=ledger,
        quarter=q,
        start=start,
        end=end,
        policy=policy,
        lookback_months=lookback_months,
        figures=figures,
        outcomes=outcomes,
        write_off_items=write_offs(ledger, end),
        segments=segs,
        adherence=adh,
        adherence_summary=adherence_summary(adh, policy=policy),
        referrals=referrals(ledger, q, lookback_months=lookback_months),
        utilisation=credit_utilisation_history(ledger, q, threshold=policy["credit_hold"]["utilisation"]),
        holds=holds,
        hold_effects=hold_effects(ledger, holds, end=end, lookback_months=lookback_months),
        disputes=disputes,
        dispute_lateness=dispute_lateness(ledger, q, episodes=disputes),
        open_disputes=open_disputes(ledger, end) if has_log else pd.DataFrame(columns=["customer_id", "invoice_id", "opened", "age_days", "amount"]),
        plans=plan_activity(ledger, q),
        retention=retention(ledger, q, lookback_months=lookback_months),
        settled=settled,
        billing_customers=billing_by_customer(settled),
        early_pay=take,
        early_pay_summary=early_pay_summary(take),
        tolerance_days=tolerance_days,
    )
    r.recommendations = recommendations(r)
    return r


# ============================================================================================ charts


def chart_days_trend(figures: pd.DataFrame, *, policy: dict) -> plt.Figure:
    """DSO (period and countback), best possible DSO and average days delinquent at each quarter end, with the
    DSO target (:func:`arkit.review.charts.dso_trend_chart` with quarter ticks)."""
    return charts.dso_trend_chart(
        figures,
        target=policy.get("targets", {}).get("dso"),
        dso_label="DSO (quarter)",
        title="Days sales outstanding at each quarter end",
        tick_labels=[_label(pd.Period(q, "Q")) for q in figures.index],
    )


def chart_pct_trend(figures: pd.DataFrame, *, policy: dict) -> plt.Figure:
    """CEI, current share and 91+ share of AR, and write-offs ÷ sales, by quarter, with their targets."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(figures))
    t = policy.get("targets", {})
    for key, label, color in (("cei", "CEI (quarter)", "#00838f"), ("pct_current", "Current share of AR", "#2e7d32"), ("pct_91_plus", "Share of AR 91+ days past due", "#c62828"), ("write_off_pct", "Write-offs ÷ sales", "#6d4c41")):
        ax.plot(x, figures[key], marker="o", color=color, label=label)
        if key in t:
            ax.axhline(t[key], ls=":", color=color, lw=1)
    ax.set_xticks(x, [_label(pd.Period(q, "Q")) for q in figures.index], fontsize=8)
    ax.set_ylim(0, max(105.0, float(np.nanmax(figures[["cei", "pct_current"]].to_numpy(dtype="float64"), initial=0)) + 5))
    ax.legend(fontsize=8, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.12))
    _style(ax, "Collection effectiveness and AR quality by quarter (dotted: targets)", "Percent (%)")
    fig.tight_layout()
    return fig


def chart_adherence(summary: pd.DataFrame) -> plt.Figure:
    """Share of the invoices reaching each ladder step that got it on time, late or never (horizontal bars)."""
    s = summary[summary["on_time"] + summary["late"] + summary["never"] > 0].iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(s), 3) + 1.4))
    decided = (s["on_time"] + s["late"] + s["never"]).to_numpy(dtype="float64")
    left = np.zeros(len(s))
    for col, label, color in (("on_time", "On time", "#2e7d32"), ("late", "Late", "#fbc02d"), ("never", "Never", "#c62828")):
        v = s[col].to_numpy(dtype="float64") / decided * 100.0
        ax.barh(np.arange(len(s)), v, left=left, color=color, label=label)
        left += v
    ax.set_yticks(np.arange(len(s)), s["step"].astype(str), fontsize=8)
    ax.set_xlim(0, 100)
    ax.legend(fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.18))
    ax.set_title("Escalation ladder: steps done on time, late or never", loc="left", fontsize=12, fontweight="bold")
    ax.set_xlabel("Share of the invoices that reached the step (%)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def chart_utilisation(util: pd.DataFrame) -> plt.Figure:
    """Customers by credit-limit utilisation at the quarter end (histogram, 10-point bins, 100 % marked)."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    v = util["utilisation"].clip(-10, 200).to_numpy(dtype="float64")
    ax.hist(v, bins=np.arange(-10, 211, 10), color="#1565c0")
    ax.axvline(100, ls="--", color="#c62828", lw=1, label="Credit limit (100 %)")
    ax.legend(fontsize=8)
    _style(ax, "Credit-limit utilisation at the quarter end (200 % and above in the last bar)", "Customers", "Open AR ÷ credit limit (%)")
    fig.tight_layout()
    return fig


def chart_disputes(episodes: pd.DataFrame, quarters: pd.PeriodIndex) -> plt.Figure:
    """Disputes opened and resolved per quarter (bars) and the median days to resolve (line, right axis)."""
    o = episodes["opened"].dt.to_period("Q").value_counts().reindex(quarters, fill_value=0)
    res = episodes.dropna(subset=["resolved"])
    rq = res["resolved"].dt.to_period("Q")
    r = rq.value_counts().reindex(quarters, fill_value=0)
    med = res.groupby(rq)["days_to_resolve"].median().reindex(quarters)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    x = np.arange(len(quarters))
    ax.bar(x - 0.2, o.to_numpy(), width=0.4, color="#fb8c00", label="Opened")
    ax.bar(x + 0.2, r.to_numpy(), width=0.4, color="#2e7d32", label="Resolved")
    ax2 = ax.twinx()
    ax2.plot(x, med.to_numpy(dtype="float64"), color="#37474f", marker="o", label="Median days to resolve")
    ax2.set_ylabel("Median days to resolve")
    ax2.set_ylim(0, max(10.0, float(np.nanmax(med.to_numpy(dtype="float64"), initial=0)) * 1.2))
    ax2.spines[["top"]].set_visible(False)
    ax.set_xticks(x, [_label(q) for q in quarters], fontsize=8)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.12))
    _style(ax, "Disputes opened and resolved per quarter", "Disputes")
    fig.tight_layout()
    return fig


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


def chart_retention(summary: pd.DataFrame) -> plt.Figure:
    """Customers delinquent in the year by what became of them (horizontal bars)."""
    fig, ax = plt.subplots(figsize=(8, 2.8))
    s = summary.iloc[::-1]
    ax.barh(np.arange(len(s)), s["customers"], color=["#c62828", "#fb8c00", "#fbc02d", "#2e7d32"][: len(s)])
    ax.set_yticks(np.arange(len(s)), s["outcome"], fontsize=8)
    ax.set_title("Customers delinquent in the year: what became of them", loc="left", fontsize=12, fontweight="bold")
    ax.set_xlabel("Customers")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# ============================================================================================ sections


def section_header(r: PolicyReview, *, ledger_name: str = "") -> list:
    """The line under the title: the quarter, the ledger and its size, and a warning when the ledger ends
    before the quarter does."""
    L = r.ledger
    name = f" · ledger `{esc(ledger_name)}`" if ledger_name else ""
    out = [Markdown(f"**{esc(r.label)}** ({r.start:%d %B} – {r.end:%d %B %Y}){name} · {len(L.invoices):,} invoices, {len(L.payments):,} payments, {len(L.activities):,} collection activities")]
    last = pd.Timestamp(L.as_of_max).normalize() if len(L.invoices) else None
    if last is not None and last < r.end - pd.Timedelta(days=7):
        out.append(Markdown(f"**Note:** the ledger's latest entry is dated {last:%d %B %Y}, before the quarter ends: what happened after it is missing from every figure."))
    return out


def section_policy(r: PolicyReview) -> list:
    """The policy as configured: rules in words, targets, the escalation ladder, and the terms in use."""
    settings = policy_settings(r.policy)
    targets = targets_table(r.policy)
    ladder = ladder_table(r.policy)
    terms = terms_in_use(r.ledger, r.start, r.end)
    r.book.add("policy", settings)
    r.book.add("targets", targets)
    r.book.add("ladder", ladder)
    r.book.add("terms in use", terms)
    src = Path(str(r.policy.get("_file", "config/policy.yaml"))).name
    out = [
        Markdown(f"Read from `{esc(src)}`."),
        table(settings.rename(columns={"area": "Area", "setting": "Rule"})),
        table(targets[["label", "unit", "target", "better"]].rename(columns={"label": "Figure", "unit": "Unit", "target": "Target", "better": "Better"}), days=["Target"], caption="Targets"),
        table(ladder.rename(columns={"step": "Step", "action": "Action", "day": "Day vs due date", "owner": "Owner", "letter": "Letter", "channel": "Channel", "gentle_day": "Day on the gentle path"}), caption="Escalation ladder (gentle path: prompt payers and good customers who slip; – = skipped)"),
    ]
    if terms.empty:
        out.append(Markdown("No invoice was issued in the quarter, so no terms are in use."))
    else:
        out.append(table(terms.rename(columns={"terms": "Terms", "customers": "Customers", "invoices": "Invoices", "sales": "Sales", "share_of_sales": "Share of sales"}), money=["Sales"], pct=["Share of sales"], caption=f"Payment terms on the invoices issued in {r.label}"))
    return out


def section_outcomes(r: PolicyReview) -> list:
    """Outcomes of the quarter against the targets, and the trend over the quarters shown."""
    o = r.outcomes.copy()
    o["status"] = o["on_target"].map({True: "on target", False: "off target"}).fillna("")
    o["unit"] = o["unit"].replace("currency", r.currency or "currency")
    shown = o[["label", "unit", "value", "previous", "year_ago", "target", "gap", "status", "quarters_on_target"]].rename(
        columns={"label": "Figure", "unit": "Unit", "value": r.label, "previous": "Previous quarter", "year_ago": "A year earlier", "target": "Target", "gap": "Gap to target", "status": "Status", "quarters_on_target": "Quarters on target"}
    )
    r.book.add("outcomes", r.outcomes)
    r.book.add("quarterly figures", r.figures.reset_index())
    r.book.add("write-offs", r.write_off_items)
    numeric = [r.label, "Previous quarter", "A year earlier", "Target", "Gap to target"]
    st = table(shown, money=numeric, caption=f"Quarter ending {r.end:%d %B %Y}; money in {r.currency or 'ledger currency'}, days in calendar days, shares in %; quarters on target of the {len(r.figures)} shown")
    ratios = r.figures[["dso", "dso_countback", "bpdso", "add", "cei", "pct_current", "pct_91_plus", "write_off_pct"]].reset_index()
    ratios = ratios.rename(columns={"quarter": "Quarter", "dso": "DSO", "dso_countback": "DSO countback", "bpdso": "BPDSO", "add": "ADD", "cei": "CEI", "pct_current": "% current", "pct_91_plus": "% 91+", "write_off_pct": "Write-offs ÷ sales"})
    money = r.figures[["sales", "collections", "open_ar", "write_offs"]].reset_index()
    money = money.rename(columns={"quarter": "Quarter", "sales": "Sales", "collections": "Collections", "open_ar": "Open AR at quarter end", "write_offs": "Written off"})
    wo_q = r.write_off_items[(r.write_off_items["date"] >= r.start) & (r.write_off_items["date"] <= r.end)]
    text = f"{len(wo_q)} write-off(s) in the quarter, {wo_q['amount'].sum():,.2f} in all." if len(wo_q) else "Nothing was written off in the quarter."
    return [
        st,
        chart_days_trend(r.figures, policy=r.policy),
        chart_pct_trend(r.figures, policy=r.policy),
        table(ratios, days=["DSO", "DSO countback", "BPDSO", "ADD"], pct=["CEI", "% current", "% 91+", "Write-offs ÷ sales"], caption="Quarter-end figures, in days and % (CEI for the whole quarter)"),
        table(money, money=["Sales", "Collections", "Open AR at quarter end", "Written off"], caption=f"Sales, collections and write-offs of each quarter ({r.currency or 'ledger currency'})"),
        Markdown(text),
    ]


def section_escalation(r: PolicyReview) -> list:
    """Adherence to the escalation ladder, and the customers referred to an agency or legal."""
    if not r.has_activities:
        return [Markdown("This ledger has no collections activity log, so adherence to the escalation ladder and referrals cannot be assessed.")]
    s = r.adherence_summary
    r.book.add("ladder adherence", s)
    r.book.add("ladder steps by invoice", r.adherence)
    out = []
    if s["invoices"].sum() == 0:
        out.append(Markdown("No invoice reached a step of the escalation ladder in the quarter."))
    else:
        out.append(chart_adherence(s))
        out.append(
            table(
                s.drop(columns=["action", "pct_never"]).rename(columns={"step": "Step", "owner": "Owner", "day": "Day", "invoices": "Invoices", "on_time": "On time", "late": "Late", "never": "Never", "pending": "Pending", "pct_on_time": "On time (%)", "median_delay_days": "Median delay (days)"}),
                pct=["On time (%)"],
                days=["Median delay (days)"],
                caption=f"Invoices whose step fell due in {r.label}; on time = within {r.tolerance_days} days of the trigger day",
            )
        )
    refs = r.referrals
    r.book.add("referrals", refs)
    if refs.empty:
        out.append(Markdown("No customer was referred to an agency or to legal in the year."))
        return out
    owed, rec = refs["owed"].sum(), refs["recovered"].sum()
    q = refs[refs["in_quarter"]]
    out.append(Markdown(f"**{len(refs)} customers** were referred to an agency or to legal in the year ({len(q)} in {esc(r.label)}). They owed **{owed:,.2f}** at referral; **{rec:,.2f} ({(rec / owed * 100) if owed else 0:.1f} %)** has been recovered since, and {refs['written_off'].sum():,.2f} written off."))
    shown = refs[["customer_id", "customer_name", "stage", "referred", "owed", "recovered", "pct_recovered", "open_now", "written_off"]].copy()
    shown["referred"] = shown["referred"].dt.strftime("%Y-%m-%d")
    out.append(table(shown.rename(columns={"customer_id": "Customer", "customer_name": "Name", "stage": "Referred to", "referred": "Referred", "owed": "Owed at referral", "recovered": "Recovered since", "pct_recovered": "Recovered (%)", "open_now": "Still open", "written_off": "Written off"}), money=["Owed at referral", "Recovered since", "Still open", "Written off"], pct=["Recovered (%)"], max_rows=30))
    return out


def section_credit(r: PolicyReview) -> list:
    """Credit-limit utilisation and breaches; holds placed and lifted, and what happened after a hold."""
    out = []
    u = r.utilisation
    if u.empty:
        out.append(Markdown("No credit limits are recorded, so utilisation and breaches cannot be shown."))
    else:
        r.book.add("credit utilisation", u)
        bands = utilisation_bands(u)
        thr = r.policy["credit_hold"]["utilisation"] * 100
        over_q = int((u["months_over"] > 0).sum())
        over_all = int(u["over_all"].sum())
        out.append(Markdown(f"{len(u)} customers have a credit limit; at the quarter end open AR uses **{u['open_ar'].sum() / u['credit_limit'].sum() * 100:.1f} %** of the limits in all. **{over_q}** customers were above {thr:g} % of their limit at one of the quarter's month ends at least, **{over_all}** at all three."))
        out.append(chart_utilisation(u))
        out.append(table(bands.rename(columns={"band": "Utilisation", "customers": "Customers", "credit_limit": "Credit limits", "open_ar": "Open AR"}), money=["Credit limits", "Open AR"], caption="Customers by utilisation at the quarter end"))
        br = u[u["months_over"] > 0]
        if len(br):
            ucols = [c for c in br.columns if c.startswith("util_")]
            shown = br[["customer_id", "customer_name", "credit_limit", "open_ar", *ucols, "months_over"]].rename(columns={"customer_id": "Customer", "customer_name": "Name", "credit_limit": "Credit limit", "open_ar": "Open AR", "months_over": "Month ends over", **{c: f"Used {c[5:]} (%)" for c in ucols}})
            out.append(table(shown, money=["Credit limit", "Open AR"], pct=[f"Used {c[5:]} (%)" for c in ucols], caption="Breaches: customers above their limit at a month end of the quarter", max_rows=20))
    h = r.holds
    if h.empty:
        out.append(Markdown("No credit holds are recorded in the activity log."))
        return out
    r.book.add("credit holds", h)
    placed = h[(h["placed"] >= r.start) & (h["placed"] <= r.end)]
    lifted = h[(h["released"] >= r.start) & (h["released"] <= r.end)]
    in_force = h[h["open"]]
    med = lifted["days_on_hold"].median() if len(lifted) else np.nan
    out.append(Markdown(f"In {esc(r.label)}: **{len(placed)} holds placed, {len(lifted)} lifted** (median {med:.0f} days on hold for those lifted); {len(in_force)} customers on hold at the quarter end." if len(lifted) else f"In {esc(r.label)}: **{len(placed)} holds placed, none lifted**; {len(in_force)} customers on hold at the quarter end."))
    e = r.hold_effects
    if e.empty:
        out.append(Markdown("No hold was placed early enough in the year to compare the 90 days before and after it."))
        return out
    r.book.add("hold effects", e)
    t = hold_effect_totals(e)
    tot = pd.DataFrame(
        {
            "Measure": ["Sales to held customers", "Payments from held customers"],
            "90 days before the hold": [t["sales_before"], t["payments_before"]],
            "90 days from the hold": [t["sales_after"], t["payments_after"]],
            "Change (%)": [t["sales_change_pct"], t["payments_change_pct"]],
        }
    )
    out.append(table(tot, money=["90 days before the hold", "90 days from the hold"], pct=["Change (%)"], caption=f"{t['holds']} holds placed from {r.year_start - pd.Timedelta(days=90):%d %b %Y} to {r.end - pd.Timedelta(days=90):%d %b %Y}; after {t['bought_after']} of them the customer bought again within 90 days"))
    return out


def section_disputes(r: PolicyReview) -> list:
    """Disputes: how many, how much, how long to resolve, and how much of the late payment they explain."""
    d = r.disputes
    if d.empty:
        return [Markdown("No disputes are recorded in the activity log.")]
    r.book.add("disputes", d)
    qs = dispute_quarter(d, r.quarter)
    lat = r.dispute_lateness
    od = r.open_disputes
    r.book.add("open disputes", od)
    od_amount = float(od["amount"].sum()) if len(od) else 0.0
    med = f"a median of **{qs['median_days_to_resolve']:.0f} days** (mean {qs['mean_days_to_resolve']:.0f})" if qs["resolved"] else "none resolved"
    text = (
        f"In {esc(r.label)}: **{qs['opened']} disputes opened** on invoices of {qs['opened_amount']:,.2f}; **{qs['resolved']} resolved** in {med}; "
        f"{len(od)} open at the quarter end, on {od_amount:,.2f} still unpaid. "
        f"Disputed invoices hold **{lat['share_pct']:.1f} %** of the quarter's past-due amount-days ({lat['disputed_amount_days']:,.0f} of {lat['amount_days']:,.0f} currency-days, on {lat['disputed_invoices']} invoices)."
    )
    quarters = pd.PeriodIndex([pd.Period(q, "Q") for q in r.figures.index])
    opened_q = d[(d["opened"] >= r.start) & (d["opened"] <= r.end)]
    reasons = opened_q.groupby(opened_q["reason"].fillna("not given")).agg(disputes=("opened", "size"), amount=("amount", "sum")).sort_values("disputes", ascending=False).reset_index()
    res_q = d[(d["resolved"] >= r.start) & (d["resolved"] <= r.end)]
    outcomes = res_q.groupby(res_q["resolution"].fillna("not given")).agg(disputes=("opened", "size"), median_days=("days_to_resolve", "median")).sort_values("disputes", ascending=False).reset_index()
    out = [Markdown(text), chart_disputes(d, quarters)]
    if len(reasons):
        out.append(table(reasons.rename(columns={"reason": "Reason (as logged)", "disputes": "Disputes", "amount": "Invoice amounts"}), money=["Invoice amounts"], caption=f"Disputes opened in {r.label} by reason"))
    if len(outcomes):
        out.append(table(outcomes.rename(columns={"resolution": "Resolution (as logged)", "disputes": "Disputes", "median_days": "Median days to resolve"}), days=["Median days to resolve"], caption=f"Disputes resolved in {r.label}"))
    return out


def section_plans(r: PolicyReview) -> list:
    """Payment plans started, completed and broken in the quarter, and what they recovered."""
    p = r.plans
    if p is None or p.empty:
        return [Markdown("No payment plans are recorded in the activity log.")]
    r.book.add("payment plans", p)
    t = plan_quarter(p)
    text = (
        f"In {esc(r.label)}: **{t['started']} started, {t['completed']} completed, {t['broken']} broken**; plans recovered **{t['recovered_in_quarter']:,.2f}** in the quarter. "
        f"Of the {t['plans']} plans on record, {t['now_on_track']} are on track, {t['now_behind']} behind, {t['now_broken']} broken and {t['now_completed']} completed; {t['paid_to_date']:,.2f} of {t['promised']:,.2f} promised has been paid."
    )
    active = p[p["started"] | p["completed"] | p["broken"] | ~p["status"].isin(["completed", "broken"]) | (p["recovered_in_quarter"] != 0)].copy()
    if active.empty:
        return [Markdown(text)]
    active["agreed_date"] = active["agreed_date"].dt.strftime("%Y-%m-%d")
    shown = active[["customer_id", "customer_name", "agreed_date", "installments", "amount", "paid_to_date", "recovered_in_quarter", "prev_status", "status"]].rename(columns={"customer_id": "Customer", "customer_name": "Name", "agreed_date": "Agreed", "installments": "Installments", "amount": "Amount", "paid_to_date": "Paid to date", "recovered_in_quarter": "Paid in the quarter", "prev_status": "Status at the previous quarter end", "status": "Status now"})
    return [Markdown(text), table(shown, money=["Amount", "Paid to date", "Paid in the quarter"], caption="Plans with activity in the quarter or still running", max_rows=40)]


def section_retention(r: PolicyReview) -> list:
    """Of the customers delinquent in the year: recovered and still buying, or lost."""
    ret = r.retention
    if ret.empty:
        return [Markdown("No customer was more than 60 days past due in the year, so there is no retention to assess.")]
    r.book.add("retention", ret)
    s = retention_summary(ret)
    kept = int(((ret["recovered"]) & ret["still_buying"]).sum())
    lost = int((~ret["still_buying"]).sum())
    text = f"**{len(ret)} customers** were delinquent (more than 60 days past due) at some point in the year: **{kept} recovered and are still buying**; **{lost} stopped buying** ({int((~ret['still_buying'] & ret['recovered']).sum())} of them after paying up)."
    out = [
        Markdown(text),
        chart_retention(s),
        table(s.rename(columns={"outcome": "Outcome", "customers": "Customers", "share": "Share", "sales_since": "Sales since delinquent", "past_due_now": "Over 30 days past due now"}), money=["Sales since delinquent", "Over 30 days past due now"], pct=["Share"]),
    ]
    watch = ret[ret["outcome"] != RETENTION_OUTCOMES[0]]
    if watch.empty:
        out.append(Markdown("Every customer delinquent in the year has recovered and is still buying."))
        return out
    shown = watch[["customer_id", "customer_name", "delinquent_since", "outcome", "past_due_now", "oldest_days_past_due", "last_invoice", "sales_since", "escalated"]].copy()
    for c in ("delinquent_since", "last_invoice"):
        shown[c] = shown[c].dt.strftime("%Y-%m-%d")
    shown["escalated"] = shown["escalated"].map({True: "yes", False: ""})
    shown = shown.rename(columns={"customer_id": "Customer", "customer_name": "Name", "delinquent_since": "Delinquent since", "outcome": "Outcome", "past_due_now": "Past due > 30 days", "oldest_days_past_due": "Oldest (days)", "last_invoice": "Last invoice", "sales_since": "Sales since", "escalated": "Escalated"})
    out.append(table(shown, money=["Past due > 30 days", "Sales since"], caption="Customers not recovered, or lost (the others are in the Excel appendix); escalated = agency, legal or write-off", max_rows=30))
    return out


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
        out.append(Markdown(f"Invoices billed at month end (the 21st or later) were paid **{eom:.1f} days late** on average, against **{mid:.1f}** for mid-month billing ({len(s):,} invoices paid in full from {r.year_start:%d %b %Y} to {r.end:%d %b %Y})."))
        out.append(chart_billing_day(day))
        out.append(table(band.rename(columns={"band": "Billing day", **ren}), **fmt, caption="By the invoice's day of the month"))
        out.append(table(method.rename(columns={"method": "Payment method", **ren}), **fmt, caption="By the method of the payment that settled the invoice"))
        out.append(table(terms.rename(columns={"terms": "Terms", **ren}), **fmt, caption="By payment terms"))
    ep = r.early_pay_summary
    if ep.empty:
        out.append(Markdown("No invoice of the year carries early-payment terms (such as 2/10 Net 30), so there is no early-pay take-up to show."))
        return out
    r.book.add("early-pay invoices", r.early_pay)
    r.book.add("early-pay take-up", ep)
    out.append(table(ep.drop(columns="customers").rename(columns={"terms": "Terms", "eligible": "Eligible", "taken": "Taken", "pct_taken": "Take-up", "pct_amount_taken": "By amount", "discount": "Discounts", "annual_cost_pct": "Annual cost", "days_to_pay_taken": "Days to pay (takers)", "days_to_pay_not_taken": "Days to pay (others)"}), money=["Discounts"], pct=["Take-up", "By amount", "Annual cost"], days=["Days to pay (takers)", "Days to pay (others)"], caption="Early-pay program: invoices of the year whose discount window has closed; annual cost = the discount as a yearly rate"))
    return out


def section_recommendations(r: PolicyReview) -> list:
    """The rule-based recommendations, each with its evidence."""
    rec = r.recommendations
    r.book.add("recommendations", rec)
    rules = rule_thresholds()
    r.book.add("rules", rules)
    rules_t = table(rules.rename(columns={"rule": "Rule", "fires_when": "Fires when"}), caption="The rules and their thresholds", max_rows=len(rules))
    if rec is None or rec.empty:
        return [Markdown("No rule fired: every figure the rules watch is within its threshold."), rules_t]
    items = "\n".join(f"{row.no}. **{esc(row.recommendation)}** — {esc(row.evidence)}" for row in rec.itertuples())
    return [Markdown(items), rules_t]


def section_appendix(r: PolicyReview) -> list:
    """The definition of every metric used, and what was loaded."""
    d = pd.DataFrame({"Term": list(DEFINITIONS), "Definition": list(DEFINITIONS.values())})
    r.book.add("definitions", d)
    out = [table(d, max_rows=len(d))]
    return out + load_report_parts(r.ledger, r.book, caption="What was loaded")


def save_book(r: PolicyReview, output_dir, name: str = "policy-review.xlsx"):
    """Write the Excel appendix of every table shown to ``output_dir/name``."""
    return r.book.save(Path(output_dir) / name)
