"""The monthly review's forward look: the cash the open book should bring in over 13 weeks, the invoices
likely to slip, and the model card — each figure from :mod:`arkit.predict`, trained only on what was known
at the month end and tested out of time on this ledger against the baseline (the customer's usual
lateness). When the ledger is too short to test, or the model does not beat the baseline, the report uses
the baseline and says so.

:func:`attach` builds the outlook for a :class:`~arkit.review.monthly.MonthlyReview` and feeds the
worklist (a pre-due call for large invoices likely to be paid late; every row's expected pay date); the
``section_*`` functions return what the notebook shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..predict import forecast_collections, forecast_parts, predict_payments, quick_backtest  # noqa: F401
from ..predict.features import FEATURES
from .display import esc, table

#: A not-yet-due invoice gets a pre-due call when p_late is at least this and its open amount is in the
#: top :data:`PRE_DUE_TOP_SHARE` of the open invoices (by amount) — a documented rule, not a measured one.
PRE_DUE_P_LATE = 0.7
PRE_DUE_TOP_SHARE = 0.10
#: Calendar days before the due date within which the pre-due call is made.
PRE_DUE_WINDOW_DAYS = 14


@dataclass
class Outlook:
    as_of: pd.Timestamp
    predictions: pd.DataFrame  # predict_payments, with the figures the report uses
    forecast: pd.DataFrame  # forecast_collections, with the figures the report uses
    backtest: pd.DataFrame | None  # the light backtest on this ledger (None: too short)
    use_p: bool  # chance paid late from the model (else the baseline)
    use_dates: bool  # pay dates and the cash forecast from the model (else the baseline)
    why: str  # plain sentences: which figures come from the model, which from the baseline, and why
    currency: str = ""

    @property
    def use_model(self) -> bool:
        return self.use_p and self.use_dates


def light_backtest(ledger, as_of) -> pd.DataFrame | None:
    """The report's quick out-of-time test, :func:`arkit.predict.quick_backtest` (None when the ledger has no
    month end for it), kept on the ledger object per date, so a second build of the same review (or a
    notebook re-run) does not test again."""
    as_of = pd.Timestamp(as_of).normalize()
    from .._prep import frames_key

    key = (as_of, *frames_key(ledger, "invoices", "payments", "activities", "adjustments"))
    cache = ledger.__dict__.setdefault("_outlook_backtests", {})
    if key not in cache:
        if len(cache) > 8:
            cache.clear()
        cache[key] = quick_backtest(ledger, as_of)
    return cache[key]


def build_outlook(ledger, as_of, *, currency: str = "", parts=None) -> Outlook:
    """Predictions and the 13-week forecast at ``as_of``, a light walk-forward backtest on the ledger as known
    at as_of (:func:`light_backtest`), and the choice between
    the model and the baseline, figure by figure: the chance of paying late comes from the model when, in
    that backtest, it ranks late payers better than the baseline (AUC, higher); pay dates and the cash
    outlook when it dates payments (MAE) and forecasts weekly cash (WAPE) at least as well. Otherwise the
    baseline is shown and :attr:`Outlook.why` says so. ``parts``: the (predictions, forecast) pair of
    :func:`forecast_parts` for this ledger and date, when already computed."""
    as_of = pd.Timestamp(as_of).normalize()
    pred, fc = parts if parts is not None else forecast_parts(ledger, as_of)
    bt = light_backtest(ledger, as_of) if len(pred) else None
    base_dates = "each invoice paid at its due date plus the customer's average days late"
    base_p = "the customer's own share of invoices paid late"
    if pred.attrs.get("method") != "model":
        use_p = use_dates = False
        why = f"The model could not be trained ({pred.attrs.get('reason') or 'too little history'}), so the report shows the baseline: {base_p}, and {base_dates}."
    elif bt is None:
        use_p = use_dates = False
        why = f"The ledger is too short to test the model out of time (it needs a month end with 6 months of history before it and 13 weeks of outcomes after it), so the report shows the baseline: {base_p}, and {base_dates}."
    else:
        o = bt.attrs["overall"]
        ok = bool((bt["method"] == "model").all())
        use_p = ok and np.isfinite(o["auc"]) and np.isfinite(o["auc_baseline"]) and o["auc"] > o["auc_baseline"]
        dates_scores = [(o["mae_days"], o["mae_days_baseline"]), (o["wape"], o["wape_baseline"])]
        done = [(m, b) for m, b in dates_scores if np.isfinite(m) and np.isfinite(b)]
        use_dates = ok and bool(done) and all(m <= b for m, b in done)
        if use_p and use_dates:
            why = "In the test on this ledger the model ranked late payers better than the baseline and dated payments and forecast cash at least as well, so the report uses it."
        elif use_dates:
            why = f"In the test on this ledger the model dated payments and forecast cash better than the baseline but did not rank late payers better, so the chance of paying late shown is the baseline: {base_p}."
        elif use_p:
            why = f"In the test on this ledger the model ranked late payers better than the baseline but did not date payments and forecast cash better, so the dates and the cash outlook shown are the baseline: {base_dates}."
        else:
            why = f"In the test on this ledger the model did not beat the baseline, so the report shows the baseline: {base_p}, and {base_dates}."
    if not use_p:
        hist = pred["drivers"].str.extract(r"((?:pays |no payment history)[^;]*)")[0].fillna("")  # the customer's record only
        pred = pred.assign(p_late=pred["baseline_p_late"], drivers=hist)
    if not use_dates:
        pred = pred.assign(expected_pay_date=pred["baseline_pay_date"], pay_date_p10=pd.NaT, pay_date_p90=pd.NaT)
        attrs = dict(fc.attrs)
        fc = fc.assign(expected=fc["baseline"], low=np.nan, high=np.nan, cumulative=fc["baseline"].cumsum().round(2))
        fc.attrs.update(attrs, later=attrs["baseline_later"], not_within_year=0.0)
    return Outlook(as_of, pred, fc, bt, bool(use_p), bool(use_dates), why, currency)


def attach(review) -> Outlook:
    """Build the outlook of a monthly review, keep it as ``review.outlook`` and feed its worklist
    (:func:`feed_worklist`)."""
    from .. import _handoff

    parts, day = None, f"{review.as_of:%Y-%m-%d}"
    if _handoff.pending("forecast", review.ledger, as_of=day):
        # in a render another process fits the month-end model from the same ledger (arkit._handoff);
        # meanwhile this one runs the quick backtest, then takes the predictions and forecast
        light_backtest(review.ledger, review.as_of)
        parts = _handoff.precomputed("forecast", review.ledger, as_of=day)
    o = build_outlook(review.ledger, review.as_of, currency=review.currency, parts=parts)
    review.outlook = o
    w = feed_worklist(review.worklist, o)
    seg = review.segments.drop_duplicates("customer_id").set_index("customer_id") if len(review.segments) else None
    if seg is not None and len(w):
        for c in ("segment", "risk_score", "email"):
            if c in w and c in seg:
                w[c] = w[c].where(w[c].notna(), w["customer_id"].map(seg[c]))
    review.worklist = w
    return o


def feed_worklist(worklist: pd.DataFrame, o: Outlook) -> pd.DataFrame:
    """The worklist with the outlook joined in:

    - ``expected_pay_date``: the expected pay date of each row's reference invoice (``oldest_invoice``);
    - a **pre-due call** (step ``call_before_due``, owner collector) for each customer not already on the
      worklist with a not-yet-due invoice due within :data:`PRE_DUE_WINDOW_DAYS` days whose p_late ≥
      :data:`PRE_DUE_P_LATE` and whose open amount is in the top :data:`PRE_DUE_TOP_SHARE` of the open
      invoices; amount_at_stake = its open amount, ``p_late`` its chance of being paid late; no loss is
      claimed (probability_of_loss empty, expected_loss_avoided 0: the call is about timing). These rows
      follow the ladder's rows, largest p_late × amount first; priorities are renumbered.
    """
    p = o.predictions
    w = worklist.copy()
    if len(w):
        exp = p.drop_duplicates(["customer_id", "invoice_id"]).set_index(["customer_id", "invoice_id"])["expected_pay_date"]
        idx = pd.MultiIndex.from_arrays([w["customer_id"].astype("str"), w["oldest_invoice"].astype("str")])
        w["expected_pay_date"] = exp.reindex(idx).to_numpy()
    else:
        w["expected_pay_date"] = pd.Series(dtype="datetime64[ns]")
    cand = likely_to_slip(o)
    if len(cand):
        big = p["open_amount"].quantile(1 - PRE_DUE_TOP_SHARE) if len(p) else np.inf
        soon = cand["due_date"] <= o.as_of + pd.Timedelta(days=PRE_DUE_WINDOW_DAYS)
        cand = cand[(cand["p_late"] >= PRE_DUE_P_LATE) & (cand["open_amount"] >= big) & soon & ~cand["customer_id"].isin(set(w["customer_id"]))]
        cand = cand.sort_values("at_risk", ascending=False, kind="stable").drop_duplicates("customer_id")
    if len(cand):
        add = pd.DataFrame(
            {
                "customer_id": cand["customer_id"].to_numpy(),
                "customer_name": cand["customer_name"].to_numpy(),
                "step": "call_before_due",
                "action": "call",
                "letter": None,
                "owner": "collector",
                "trigger": "likely to be paid late",
                "oldest_invoice": cand["invoice_id"].to_numpy(),
                "oldest_days_past_due": cand["days_past_due"].to_numpy(),
                "past_due_amount": 0.0,
                "open_amount": cand["open_amount"].to_numpy(),
                "amount_to_demand": 0.0,
                "disputed_amount": 0.0,
                "amount_at_stake": cand["open_amount"].to_numpy(),
                "probability_of_loss": np.nan,  # the call is about lateness, not loss
                "expected_loss_avoided": 0.0,
                "p_late": cand["p_late"].to_numpy(),
                "expected_pay_date": cand["expected_pay_date"].to_numpy(),
                "reason": ("likely to be paid late (" + (cand["p_late"] * 100).round(0).astype("int64").astype("str") + " %): " + cand["drivers"].astype("str")).to_numpy(),
            }
        )
        for c in w.columns:
            if c not in add:
                add[c] = None
        cols = list(w.columns) + [c for c in add.columns if c not in w.columns]
        w = pd.concat([w, add[cols]], ignore_index=True) if len(w) else add
        w["priority"] = np.arange(1, len(w) + 1)
    return w


def likely_to_slip(o: Outlook) -> pd.DataFrame:
    """Invoices not yet due at as_of, by amount at risk = p_late × open amount (largest first).
    Columns: the predictions' columns and ``at_risk``."""
    p = o.predictions
    nd = p[p["days_past_due"] <= 0].copy()
    nd["at_risk"] = (nd["p_late"] * nd["open_amount"]).round(2)
    return nd.sort_values(["at_risk", "open_amount"], ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------- sections


def _money(x: float) -> str:
    return f"{x:,.2f}"


def backtest_sentence(o: Outlook) -> str:
    """The light backtest in one sentence (or why there is none)."""
    bt = o.backtest
    if bt is None:
        return "The ledger is too short to test the predictions out of time."
    a = bt.attrs["overall"]
    when = " and ".join(f"{c:%d %b %Y}" for c in bt["cutoff"])
    parts = []
    if np.isfinite(a["auc"]):
        parts.append(f"it ranked late payers with an AUC of {a['auc']:.3f} (customer's usual lateness: {a['auc_baseline']:.3f})")
    if np.isfinite(a["mae_days"]):
        parts.append(f"dated payments {a['mae_days']:.1f} days off on average ({a['mae_days_baseline']:.1f})")
    if np.isfinite(a["wape"]):
        parts.append(f"missed 13-week collections by {a['wape'] * 100:.0f} % of the cash ({a['wape_baseline'] * 100:.0f} %, WAPE), its band holding the actual in {a['band_coverage'] * 100:.0f} % of weeks")
    return f"Tested on this ledger at {when}, trained only on what was known then: " + "; ".join(parts) + "."


def outlook_chart(fc: pd.DataFrame, *, currency: str = "", band: bool = True) -> plt.Figure:
    """13 weekly bars of expected collections, with the p10–p90 band as a range on each bar."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(fc))
    ax.bar(x, fc["expected"], color="#1565c0", alpha=0.85, label="Expected")
    if band:
        lo = (fc["expected"] - fc["low"]).clip(lower=0)
        hi = (fc["high"] - fc["expected"]).clip(lower=0)
        ax.errorbar(x, fc["expected"], yerr=[lo, hi], fmt="none", ecolor="#37474f", capsize=3, lw=1, label="Likely range (10th–90th percentile)")
    ax.set_xticks(x, [f"{pd.Timestamp(d):%d %b}" for d in fc["week_start"]], fontsize=8)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title("Expected collections of today's open invoices, week by week", loc="left", fontsize=12, fontweight="bold")
    ax.set_ylabel(f"Collections{f' ({currency})' if currency else ''}")
    ax.set_xlabel("Week starting")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def section_cash_outlook(o: Outlook, book=None) -> list:
    """Cash outlook: the 13 weekly bars with the band, what is expected later or never, the backtest in a
    sentence."""
    fc, a = o.forecast, o.forecast.attrs
    cur = o.currency or "ledger currency"
    if book is not None:
        book.add("cash outlook", fc)
    total = a["open_total"]
    if total <= 0:
        return [Markdown("Nothing is open, so there is no cash to forecast.")]
    in13 = float(fc["expected"].sum())
    text = (
        f"Of the **{_money(total)}** ({esc(cur)}) open at {o.as_of:%d %B %Y}, **{_money(in13)}** ({in13 / total * 100:.0f} %) is expected in the next 13 weeks "
        f"(to {a['horizon_end']:%d %B %Y}), **{_money(a['later'])}** later within a year, and **{_money(a['not_within_year'])}** not within a year or never."
    )
    cols = ["week_start", "week_end", "expected", "low", "high", "cumulative"] if o.use_dates else ["week_start", "week_end", "expected", "cumulative"]
    shown = fc[cols].rename(
        columns={"week_start": "Week from", "week_end": "Week to", "expected": "Expected", "low": "Low (10th percentile)", "high": "High (90th percentile)", "cumulative": "Cumulative"}
    )
    return [
        Markdown(text),
        Markdown(esc(o.why) + " " + esc(backtest_sentence(o))),
        outlook_chart(fc, currency=o.currency, band=o.use_dates),
        table(shown, money=[c for c in ("Expected", "Low (10th percentile)", "High (90th percentile)", "Cumulative") if c in shown], caption="Collections expected from the invoices open today (credit notes, unapplied cash and new sales are not included)"),
    ]


def section_likely_to_slip(o: Outlook, book=None, *, n: int = 20) -> list:
    """Invoices not yet due with the highest p_late × amount, with the drivers of each prediction."""
    s = likely_to_slip(o)
    if book is not None:
        book.add("likely to slip", s)
    if s.empty:
        return [Markdown("No open invoice is still ahead of its due date.")]
    top = s.head(n)
    shown = top[["customer_id", "customer_name", "invoice_id", "due_date", "open_amount", "p_late", "expected_pay_date", "at_risk", "drivers"]].rename(
        columns={"customer_id": "Customer", "customer_name": "Name", "invoice_id": "Invoice", "due_date": "Due", "open_amount": "Open amount", "p_late": "Chance paid late", "expected_pay_date": "Expected payment", "at_risk": "Amount at risk", "drivers": "Why"}
    )
    total_risk = float(s["at_risk"].sum())
    lead = f"{len(s):,} open invoices are not yet due; weighted by the chance each is paid late, **{_money(total_risk)}** of them is at risk of arriving late."
    if not o.use_p:
        lead += " (Baseline: the chance is the customer's historical share of invoices paid late.)"
    return [Markdown(lead), table(shown, money=["Open amount", "Amount at risk"], fraction=["Chance paid late"], caption=f"The {len(top)} invoices with the most cash at risk of arriving late (chance × amount)")]


FEATURE_GROUPS = [
    ("The customer's own record", "invoices settled so far; average, median (last 10), last-5 and recency-weighted days late; the trend (last 5 against all); the spread; the share paid late; average days to pay; days since the last payment; months as a customer; the customer's usual days late net of the billing channel's and the amount's effect (estimated across customers), drawn towards the whole book's for a short record (payment date only)"),
    ("The invoice", "amount against the customer's usual invoice; open share (partly paid); terms; days to the due date (or past it); age; day of the month billed; month it falls due; billing channel (electronic or paper, when recorded) and the customer's record on that channel"),
    ("The account today", "other items past due and their amount; the oldest item's days past due; open items; credit-limit use (when limits are recorded)"),
    ("The collections log (when present)", "an open dispute on the invoice or the account; promises broken in 6 months; contacts without answer in 90 days; credit hold; a payment plan in 6 months; contacts and the furthest escalation step on this invoice"),
    ("The whole book", "average days late and share paid late of everything settled in the last 90 days (the season and the market)"),
]


def section_model_card(o: Outlook, book=None) -> list:
    """The model card: what the predictions are built on, the training window, the backtest against the
    baseline, and a plain warning when the ledger is too short or the model does not beat the baseline."""
    a = o.predictions.attrs
    parts = []
    warn = None
    if not o.use_model:
        warn = f"**Caution:** {o.why}"
    feats = "\n".join(f"- **{g}**: {esc(d)}." for g, d in FEATURE_GROUPS)
    win = a.get("training_window") or ()
    window = f"from {win[0]:%d %b %Y} to {win[1]:%d %b %Y}" if len(win) == 2 else "none (too little history)"
    from ..predict.model import SMALL_LEDGER_INVOICES

    small = (
        f" (here averaged half and half with a normal spread around the customer's usual days late, given it is not paid yet, as the training snapshots hold fewer than {SMALL_LEDGER_INVOICES:,} invoices)"
        if a.get("normal_weight")
        else ""
    )
    text = (
        "**Payment predictions (model card).** *Chance paid late*: for an invoice not yet due, the probability it is paid after its due date; "
        "for one already past due, the probability it is still unpaid 30 days after the month end — a gradient-boosted classifier (scikit-learn), calibrated on invoices held out from its training. "
        f"*Expected payment*: the middle (median) of the predicted payment date, from a discrete-time survival (hazard) model in which invoices still open are counted as not paid yet, not dropped{small}; the likely range is its 10th–90th percentiles. "
        "*Cash outlook*: the sum over open invoices of amount × chance of payment in each week; the band comes from 400 simulated futures in which one customer's invoices tend to move together (an assumed correlation of 0.6). "
        f"Training: snapshots of the invoices open at {a.get('training_cutoffs', 0)} past dates {window} ({a.get('training_examples', 0):,} of them with a known outcome used), each labelled with its outcome as known at this month end (nothing dated later is used). "
        "Baseline: the customer's own share of invoices paid late, and its due date plus the customer's average days late (the whole book's for a new customer). "
        "Inputs it uses:"
    )
    parts.append(Markdown(text + "\n\n" + feats + ("\n- **Disputed flag**: the invoices' own Disputed column, used because the log records no dispute; it is undated, so it is used only when the month end is the export's last date (the test at earlier dates leaves it out: there it would show disputes raised later)." if "disputed" in _used(o) else "")))
    if warn:
        parts.insert(0, Markdown(warn))
    bt = o.backtest
    if bt is not None and len(bt):
        rows = []
        for _, r in bt.iterrows():
            rows.append({"Tested at": r["cutoff"], "Invoices open": r["open_invoices"], "AUC": r["auc"], "AUC, baseline": r["auc_baseline"], "Accuracy": r["accuracy"], "Accuracy, baseline": r["accuracy_baseline"], "Brier score": r["brier"], "Brier, baseline": r["brier_baseline"], "Pay-date error (days)": r["mae_days"], "Pay-date error, baseline": r["mae_days_baseline"], "13-week WAPE": r["wape"], "WAPE, baseline": r["wape_baseline"], "Weeks in band": r["band_coverage"]})
        tb = pd.DataFrame(rows)
        if book is not None:
            book.add("model backtest", bt.rename(columns={"method": "model_method"}))  # not a payment method
            book.add("model reliability", bt.attrs["reliability"])
        parts.append(Markdown("AUC: how well the chance ranks the invoices paid late above those paid on time (0.5 = a coin, 1 = perfect), scored on invoices not yet due; accuracy at a 50 % threshold; Brier score: the mean squared error of the chance (lower is better); pay-date error: the mean absolute difference between the expected and the actual payment date, over invoices paid since; WAPE: the absolute weekly errors of the 13-week forecast over the cash actually received (lower is better)."))
        parts.append(table(tb, count=["Invoices open"], fraction=["Accuracy", "Accuracy, baseline", "13-week WAPE", "WAPE, baseline", "Weeks in band"], days=["Pay-date error (days)", "Pay-date error, baseline"], caption="Out-of-time test on this ledger (on a large ledger a lighter model trained on a quarter of the examples, for speed), beside the baseline"))
    else:
        parts.append(Markdown("No out-of-time test could be run on this ledger (it needs a month end with 6 months of history before it and 13 weeks of outcomes after it)."))
    return parts


def _used(o: Outlook) -> set:
    p = o.predictions
    return {"disputed"} if p.attrs.get("uses_disputed_flag") else set()


__all__ = ["Outlook", "attach", "build_outlook", "feed_worklist", "likely_to_slip", "section_cash_outlook", "section_likely_to_slip", "section_model_card", "FEATURES"]
