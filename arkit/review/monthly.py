"""The monthly DSO & delinquency review as a composition of sections.

:func:`build` computes every table once; each ``section_*`` function returns what that section shows —
Markdown, formatted tables and figures — so ``notebooks/monthly_review.ipynb`` stays a thin list of calls.
A section whose data the ledger lacks (no activity log, no credit limits, no payment plans) says so in one
sentence instead of showing an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from ..aging import bucket_labels
from ..errors import LedgerError
from ..model import Ledger
from ..position import Position, position
from . import charts
from .display import ReportBook, by_unit, esc, load_report_parts, table
from .headline import aging_trend, change_drivers, concentration, headline, monthly_figures, no_change_drivers, summary_sentences
from .segments import RISK_DRIVERS, SEGMENT_LABELS, segment_customers
from .signals import customer_signals
from .months import OPEN_ITEM_EARLIER, check_as_of, export_date, first_full_month_end  # noqa: F401 (the review's periods)
from .worklist import worklist as build_worklist


#: The worklist's reference invoice is the invoice its step is about, not always the customer's oldest:
#: shown under that name.
STEP_INVOICE = {"oldest_invoice": "step_invoice", "oldest_days_past_due": "step_invoice_days_past_due"}


@dataclass
class MonthlyReview:
    ledger: Ledger
    as_of: pd.Timestamp
    policy: dict
    figures: pd.DataFrame
    headline: pd.DataFrame
    drivers: pd.DataFrame
    summary: pd.DataFrame
    items: pd.DataFrame
    trend: pd.DataFrame
    signals: pd.DataFrame
    segments: pd.DataFrame
    plans: pd.DataFrame | None
    worklist: pd.DataFrame
    roll: pd.DataFrame | None
    rolled_91: dict | None
    book: ReportBook = field(default_factory=ReportBook)
    letters: pd.DataFrame | None = None
    position: Position | None = None  # the one position at as_of every section reads

    @property
    def currency(self) -> str:
        return self.ledger.currency

    @property
    def has_activities(self) -> bool:
        return len(self.ledger.activities) > 0


def build(ledger: Ledger, as_of, *, policy: dict, months: int = 13) -> MonthlyReview:
    """Compute every table of the review for the month ending ``as_of`` (checked by :func:`check_as_of`).

    The trends start at the ledger's first full month when it is younger than ``months``; a review of
    that first month shows no change on a previous month."""
    from .plans import plans_in_force
    from .rollrates import roll_rates, rolled_into_91

    as_of = check_as_of(ledger, as_of)
    full = first_full_month_end(ledger)
    months = max(1, min(months, (as_of.year - full.year) * 12 + as_of.month - full.month + 1))
    if ledger.is_open_item_export:
        # what is open at one date: the invoices paid before it are not in the export, so no earlier month
        # end (trend, last month, roll rates, change drivers) can be rebuilt from it
        months = 1
    buckets = tuple(policy["buckets"])
    pos = position(ledger, as_of, buckets=buckets)
    trend = aging_trend(ledger, as_of, months=months, buckets=buckets)
    figures = monthly_figures(ledger, as_of, months=months, buckets=buckets, trend=trend)
    head = headline(figures, policy=policy)
    drivers = change_drivers(ledger, as_of, buckets=buckets) if not ledger.is_open_item_export else no_change_drivers()
    summary = pos.customers
    items = pos.items
    sig = customer_signals(ledger, as_of, position=pos)
    seg = segment_customers(ledger, as_of, policy=policy, signals=sig)
    plans = plans_in_force(ledger, as_of) if len(ledger.activities) else None
    wl = build_worklist(ledger, as_of, policy=policy, segments=seg, plans=plans, position=pos)
    roll = roll_rates(ledger, as_of, buckets=buckets) if not ledger.is_open_item_export else None
    r91 = rolled_into_91(ledger, as_of, buckets=buckets) if roll is not None else None
    return MonthlyReview(ledger, as_of, policy, figures, head, drivers, summary, items, trend, sig, seg, plans, wl, roll, r91, position=pos)


# --------------------------------------------------------------------------------------------- sections


def section_headline(r: MonthlyReview) -> list:
    """Headline figures with change on last month and gap to target, and the plain-language summary."""
    h = r.headline.copy()
    h["status"] = h["on_target"].map({True: "on target", False: "off target"}).fillna("")
    shown = h[["label", "unit", "value", "previous", "change", "target", "gap", "status"]].rename(
        columns={"label": "Figure", "unit": "Unit", "value": "This month", "previous": "Last month", "change": "Change", "target": "Target", "gap": "Gap to target", "status": "Status"}
    )
    # one figure per row: each value in its row's unit (money, %, days); the unit named as the reader knows it
    for col, signed in (("This month", False), ("Last month", False), ("Change", True), ("Target", False), ("Gap to target", True)):
        shown[col] = by_unit(shown[col], shown["Unit"], signed=signed)
    shown["Unit"] = shown["Unit"].replace({"currency": r.currency or "ledger currency"})
    why = h["not_computable"] if "not_computable" in h.columns else pd.Series(None, index=h.index)
    nc = why.notna().to_numpy()
    if nc.any():  # figures an open-item export cannot give: said so, never 0.0 % or a dash
        shown.loc[nc, "This month"] = "not computable from an open-item export"
        shown.loc[nc, ["Last month", "Change", "Gap to target", "Status"]] = ""
    # the workbook's headline: the same figures, each unit named as in the table above, values to the
    # cent or hundredth (a difference of two money figures is not left as 40942.83999999997)
    wb = h[["label", "unit", "value", "previous", "change", "target", "gap", "on_target"]].copy()
    for c in ("value", "previous", "change", "target", "gap"):
        wb[c] = pd.to_numeric(wb[c], errors="coerce").round(2)
    wb["unit"] = wb["unit"].replace({"currency": r.currency or "ledger currency"})
    r.book.add("headline", wb)
    r.book.add("monthly figures", r.figures.reset_index())
    # the change sentences are in the summary at the top ("At a glance"), not repeated here
    out = [
        table(shown, right=["This month", "Last month", "Change", "Target", "Gap to target"], caption=f"Month ending {r.as_of:%d %B %Y}; money in {r.currency or 'ledger currency'}, days in calendar days, shares in %; changes of shares in percentage points (pts)"),
    ]
    if nc.any():
        names = "; ".join(h.loc[nc, "label"])
        out.append(Markdown(f"{names}: {why[nc].iloc[0]}. The ledger was loaded from an open-item export: what each invoice still owes at one date, without the sales and payments of past months."))
    return out


def section_aging(r: MonthlyReview) -> list:
    """Open AR by bucket (chart and table), the 13-month aging trend, and the DSO/BPDSO/ADD and CEI trends."""
    labels = bucket_labels(r.policy["buckets"])
    pos = r.position if r.position is not None else position(r.ledger, r.as_of, buckets=r.policy["buckets"])
    tbl = aging_table(pos)
    totals = pos.totals[[*labels, "credits"]]
    r.book.add("aging by customer", r.summary)
    r.book.add("open items", r.items)
    r.book.add("aging trend", r.trend.reset_index())
    t = r.policy["targets"]
    out = [
        charts.aging_bars(totals, as_of=r.as_of, currency=r.currency),
        table(tbl, money=["open_amount"], pct=["share_of_gross_ar"], caption="Buckets hold open invoices (debit items); credit notes, overpayments and unapplied cash are their own line. Shares are of the open invoices (gross AR)."),
    ]
    if r.ledger.is_open_item_export:
        return [*out, Markdown(f"The aging trend is {OPEN_ITEM_EARLIER}; the DSO and CEI trends need payment history, which it does not have either.")]
    out += [
        charts.aging_trend_chart(r.trend, currency=r.currency),
        charts.dso_trend_chart(r.figures, target=t.get("dso")),
        charts.cei_trend_chart(r.figures, target=t.get("cei")),
    ]
    return out


def aging_table(pos: Position) -> pd.DataFrame:
    """The aging table of a position: one row per bucket (debit items), a ``credits`` row (credit notes,
    overpayments, unapplied cash), a ``total`` row (= open AR = Σ buckets + credits). share_of_gross_ar =
    bucket ÷ gross AR × 100 (never negative; blank for credits and total, whose base differs); items = the
    number of lines. Columns: bucket, open_amount, share_of_gross_ar, items."""
    t, shares, counts = pos.totals, pos.shares, pos.item_counts
    rows = [{"bucket": lab, "open_amount": t[lab], "share_of_gross_ar": shares[lab], "items": int(counts[lab])} for lab in pos.labels]
    rows.append({"bucket": "credits", "open_amount": t["credits"], "share_of_gross_ar": float("nan"), "items": int(counts["credits"])})
    rows.append({"bucket": "total", "open_amount": t["open_ar"], "share_of_gross_ar": float("nan"), "items": int(counts.sum())})
    return pd.DataFrame(rows)


def section_roll_rates(r: MonthlyReview) -> list:
    """Where last month's open AR went: the flow matrix between buckets and the share that rolled into 91+."""
    from .rollrates import roll_rate_pct

    if r.ledger.is_open_item_export:
        return [Markdown(f"Roll rates are {OPEN_ITEM_EARLIER}.")]
    if r.roll is None or r.roll["start_total"].sum() == 0:
        return [Markdown("Nothing was open at the previous month end, so there is no flow to show.")]
    pct = roll_rate_pct(r.roll)
    r.book.add("roll rates", r.roll.reset_index())
    x = r.rolled_91
    text = (
        f"Of the {x['open_at_start']:,.2f} of open invoices (gross AR, before credits) at {pd.Timestamp(x['start']):%d %b %Y}, **{x['amount']:,.2f} "
        f"({x['pct_of_open']:.1f} %) rolled into {x['bucket']}** by {pd.Timestamp(x['as_of']):%d %b %Y}."
    )
    cols = [c for c in pct.columns if c != "start_total"]
    return [
        Markdown(text),
        charts.roll_rate_heatmap(pct[cols]),
        table(r.roll.reset_index().rename(columns={"from_bucket": "From bucket", "collected": "Collected", "start_total": "Start total"}), money=[*[c for c in r.roll.columns if c not in ("start_total",)], "Collected", "Start total"], caption="Amounts: each row's open AR a month earlier, split by where it is now"),
    ]


def section_concentration(r: MonthlyReview) -> list:
    """Top 10 customers by past-due amount and the share of AR the 10 largest customers hold."""
    top, stats = concentration(r.summary, n=10)
    r.book.add("top past due", top)
    text = (
        f"The 10 largest customers hold **{stats['top_share_of_ar']:.1f} %** of open AR "
        f"({stats['customers_with_ar']} customers have a balance); the 10 largest past-due balances are "
        f"**{stats['top_share_of_past_due']:.1f} %** of all past-due AR."
    )
    if top.empty:
        return [Markdown(text), Markdown("No customer has a past-due balance.")]
    return [Markdown(text), table(top, money=["open_ar", "past_due"], pct=["share_of_past_due"])]


def section_signals(r: MonthlyReview) -> list:
    """Per customer: worsening days-late trend, broken promises, contacts without response, open disputes
    and their age, credit-limit utilisation and breaches."""
    s = r.signals
    r.book.add("signals", s)
    notes = []
    if not r.has_activities:
        notes.append(Markdown("This ledger has no collections activity log: promises, contacts and disputes cannot be assessed; only payment trends and credit limits are shown."))
    if s["credit_limit"].isna().all():
        notes.append(Markdown("No credit limits are recorded, so utilisation is not shown."))
    flagged = s[s["signals"] > 0].sort_values(["signals", "past_due_ar"], ascending=False)
    counts = pd.DataFrame(
        {
            "Signal": ["Paying > 5 days later than before", "Broken promise (6 months)", "2+ contacts without response (90 days)", "Open dispute", "Over credit limit", "Item > 60 days past due"],
            "Customers": [int((s["days_late_trend"] > 5).sum()), int((s["promises_broken"] > 0).sum()), int((s["unanswered_contacts"] >= 2).sum()), int((s["open_disputes"] > 0).sum()), int(s["over_limit"].sum()), int((s["oldest_days_past_due"] > 60).sum())],
        }
    )
    shown = flagged[["customer_id", "customer_name", "past_due_ar", "oldest_days_past_due", "days_late_trend", "promises_broken", "unanswered_contacts", "open_disputes", "oldest_dispute_days", "utilisation", "signals"]].copy()
    shown["utilisation"] = shown["utilisation"] * 100
    shown = shown.rename(columns={"customer_id": "Customer", "customer_name": "Name", "past_due_ar": "Past due", "oldest_days_past_due": "Oldest (days)", "days_late_trend": "Days-late trend", "promises_broken": "Broken promises", "unanswered_contacts": "Unanswered", "open_disputes": "Open disputes", "oldest_dispute_days": "Oldest dispute (days)", "utilisation": "Credit used", "signals": "Signals"})
    return [*notes, table(counts), table(shown, money=["Past due"], pct=["Credit used"], days=["Days-late trend"], caption="Customers with at least one signal, most signals first", max_rows=40)]


def section_segments(r: MonthlyReview) -> list:
    """Segments (prompt, good customer slipping, chronic late, new, at risk, irregular) with the explainable
    risk score and its drivers."""
    s = r.segments
    r.book.add("segments", s.drop(columns=[c for c in s.columns if c.startswith("pts_")]))
    g = s.groupby("segment").agg(customers=("customer_id", "size"), open_ar=("open_ar", "sum"), past_due=("past_due_ar", "sum"), avg_risk=("risk_score", "mean"))
    order = [k for k in SEGMENT_LABELS if k in g.index]
    g = g.reindex(order)
    g.index = [SEGMENT_LABELS[k] for k in g.index]
    g = g.rename_axis("Segment").reset_index().rename(columns={"customers": "Customers", "open_ar": "Open AR", "past_due": "Past due", "avg_risk": "Average risk score"})
    watch = s[s["segment"].isin(["at_risk", "good_slipping"])].sort_values("risk_score", ascending=False)
    shown = watch[["customer_id", "customer_name", "segment_label", "risk_score", "risk_drivers", "reason", "past_due_ar"]].rename(columns={"customer_id": "Customer", "customer_name": "Name", "segment_label": "Segment", "risk_score": "Risk score (0-100)", "risk_drivers": "Drivers (points)", "reason": "Why", "past_due_ar": "Past due"})
    legend = "; ".join(f"{d} up to {p}" for p, d in RISK_DRIVERS.values())
    return [
        table(g, money=["Open AR", "Past due"], days=["Average risk score"]),
        Markdown(f"The risk score adds points for: {esc(legend)}."),
        table(shown, money=["Past due"], days=["Risk score (0-100)"], caption="Customers at risk of default and good customers slipping", max_rows=40),
    ]


def section_plans(r: MonthlyReview) -> list:
    """Payment plans in force and their compliance (installments kept or missed)."""
    from .plans import plan_compliance

    if r.plans is None or len(r.plans) == 0:
        return [Markdown("No payment plans are recorded in the activity log.")]
    r.book.add("payment plans", r.plans)
    comp = plan_compliance(r.plans)
    comp_df = comp if isinstance(comp, pd.DataFrame) else pd.DataFrame([comp])
    active = r.plans[r.plans["status"] != "completed"]
    money = [c for c in r.plans.columns if c in ("amount", "paid_to_date", "amount_promised", "amount_collected", "due_amount")]
    return [table(comp_df, money=[c for c in comp_df.columns if "amount" in c or "collected" in c or "promised" in c], pct=[c for c in comp_df.columns if "pct" in c]), table(active, money=money, caption="Plans not yet completed", max_rows=40)]


def section_worklist(r: MonthlyReview, *, output_dir=None) -> list:
    """The collections worklist: next ladder step per customer, prioritised by expected recovery."""
    w = r.worklist
    r.book.add("worklist", w)
    if output_dir is not None and len(w):
        from .collector import collector_sheet, write_worklist

        write_worklist(Path(output_dir) / "worklist.xlsx", collector_sheet(w, r.ledger, r.as_of), policy=r.policy)
    notes = []
    if not r.has_activities:
        notes.append(Markdown("This ledger has no collections activity log, so no step can be known to be done: every overdue invoice starts at the first step of its ladder (the overdue reminder), never at a later one."))
    if w.empty:
        return [*notes, Markdown("No customer needs a collections action this month.")]
    by_step = w.groupby("step", sort=False).agg(rows=("customer_id", "size"), amount_at_stake=("amount_at_stake", "sum")).reset_index()
    paydate = ["expected_pay_date"] if "expected_pay_date" in w else []  # joined in by arkit.review.outlook
    shown = w[["priority", "customer_id", "customer_name", "segment", "step", "owner", "oldest_invoice", "oldest_days_past_due", "past_due_amount", "amount_to_demand", "disputed_amount", "probability_of_loss", "expected_loss_avoided", *paydate, "reason"]].assign(probability_of_loss=lambda x: x["probability_of_loss"] * 100)
    shown = shown.rename(columns=STEP_INVOICE)
    formula = Markdown(
        "Priority: **expected loss avoided = amount at stake × probability of loss**, largest first (ties: the oldest item first). "
        "The amount at stake is what the step asks the customer to pay, the same amount as its letter: the past due that can be dunned (not in dispute, not written off) less credits on account; "
        "for a step before the due date (*reminder before due*, *call before due*) the invoices falling due, which are not past due yet; the disputed amount on a *resolve dispute* line. "
        "*Invoice of the step* is the invoice the step is about (its days past due), not always the customer's oldest. "
        "The probability of loss is the customer's risk score ÷ 100 (an assumption: the score is explainable, not a fitted probability)."
    )
    from .worklist import not_on_worklist

    left = not_on_worklist(r.ledger, r.as_of, policy=r.policy, segments=r.segments, worklist=w, plans=r.plans, position=r.position)
    r.book.add("not on the worklist", left)
    left_out = [Markdown(f"**Not on the worklist this month, and why:** {len(left)} customer{'s' if len(left) != 1 else ''} with past due or over the credit limit have no dunning line."),
                table(left, money=["past_due_amount"], fraction=["utilisation"], max_rows=50, policy=r.policy)] if len(left) else []
    return [
        *notes,
        formula,
        table(by_step, money=["amount_at_stake"], policy=r.policy),
        # the columns a controller reads on the page, the reason ("Why") always among them; worklist.xlsx and
        # the appendix hold every column
        table(shown, money=["past_due_amount", "amount_to_demand", "disputed_amount", "expected_loss_avoided"], pct=["probability_of_loss"], max_rows=50, policy=r.policy,
              columns=[c for c in ("priority", "customer_id", "customer_name", "segment", "step", "owner", "step_invoice_days_past_due", "amount_to_demand", "probability_of_loss", "expected_loss_avoided", "reason") if c in shown.columns]),
        *left_out,
    ]


def section_letters(r: MonthlyReview, *, output_dir) -> list:
    """Draft letters for every worklist action that needs one (never sent)."""
    from ..letters import draft_letters

    need = r.worklist[r.worklist["letter"].notna()] if len(r.worklist) else r.worklist
    if need.empty:
        return [Markdown("No worklist action needs a letter this month.")]
    it = r.items
    dunnable = it["dunnable"] | (it["disputed"] & ~it["written_off"]) if r.policy.get("disputes", "pause") == "ignore" else it["dunnable"]
    items = it[dunnable | (it["line"] != "debit")]  # never an invoice in dispute (disputes: pause) or written off
    items = items.assign(currency=r.currency) if r.currency else items
    disputed = it[it["disputed"] & ~it["written_off"] & (it["line"] == "debit")] if r.policy.get("disputes", "pause") == "pause" else it.iloc[0:0]
    r.letters = draft_letters(need, items, policy=r.policy, as_of=r.as_of, out_dir=output_dir, customers=r.ledger.customers, disputed=disputed)
    r.book.add("letters", r.letters)
    shown = r.letters[["customer_id", "customer_name", "letter", "amount_owed", "invoices", "deadline", "html_path"]].rename(columns={"customer_id": "Customer", "customer_name": "Name", "letter": "Letter", "amount_owed": "Amount owed", "invoices": "Invoices", "deadline": "Deadline", "html_path": "Draft"})
    return [Markdown(f"{len(r.letters)} draft letters were written to the `letters/` folder beside this report (HTML to print, .eml to send after review). None has been sent."), table(shown, money=["Amount owed"], links=["Draft"])]


#: Columns of the review's tables whose meaning the figure definitions (in the notebook) do not give;
#: their definitions come from the dictionary of columns (:func:`arkit.columns.describe`).
TABLE_TERMS = ("segment", "risk_score", "days_late_trend", "utilisation", "expected_recovery", "days_to_pay")


def section_data(r: MonthlyReview) -> list:
    """What was loaded (rows read, accepted, quarantined) and the definitions of the table columns
    (from the dictionary of columns, so the page, the workbook and the appendix say the same)."""
    from ..columns import describe

    terms = describe(TABLE_TERMS)
    r.book.add("definitions", terms)
    return [table(terms, max_rows=len(terms), caption="Columns of the tables above"), *load_report_parts(r.ledger, r.book)]


def save_book(r: MonthlyReview, output_dir, name: str = "monthly-review.xlsx"):
    """Write the Excel appendix of every table shown (steps and owners by the policy's labels)."""
    r.book.policy = r.policy
    return r.book.save(Path(output_dir) / name)


def close_figures() -> None:
    plt.close("all")
