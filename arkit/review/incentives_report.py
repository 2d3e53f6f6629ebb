"""The incentive-program comparison as a composition of sections.

:func:`build` prices every program once (:func:`arkit.incentives.compare_programs`) and evaluates a pilot
when one is marked; each ``section_*`` function returns what that section shows — Markdown, formatted
tables and figures — so ``notebooks/incentive_comparison.ipynb`` stays a thin list of calls. Every table
shown is also added to the Excel appendix (:func:`save_book`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown
from matplotlib.colors import Normalize

from ..aging import customer_names
from ..incentives import IncentiveComparison, PilotEvaluation, compare_programs, pilot_evaluation, program_window
from ..incentives.programs import late_fee_in_force  # noqa: F401 (used below; kept importable from here)
from ..model import Ledger
from . import charts
from .display import ReportBook, esc, load_report_parts, table
from .segments import SEGMENT_LABELS, segment_customers

TYPE_LABELS = {
    "early_pay_discount": "Early-pay discount",
    "late_fee": "Late fee",
    "next_purchase_credit": "Next-purchase credit",
    "perk": "Perk",
    "payment_plan": "Payment plan",
}


@dataclass
class IncentiveReport:
    ledger: Ledger
    as_of: pd.Timestamp
    programs: dict
    policy: dict
    comparison: IncentiveComparison
    segments: pd.DataFrame
    pilot: PilotEvaluation | None
    book: ReportBook = field(default_factory=ReportBook)

    @property
    def currency(self) -> str:
        return self.ledger.currency

    @property
    def money_unit(self) -> str:
        return self.currency or "ledger currency"


def build(ledger: Ledger, as_of, *, programs: dict, policy: dict, pilot_customers=None) -> IncentiveReport:
    """Price every program and evaluate the pilot (if one is marked) for the report as of ``as_of``."""
    as_of = pd.Timestamp(as_of).normalize()
    seg = segment_customers(ledger, as_of, policy=policy)
    comp = compare_programs(ledger, as_of, programs=programs, policy=policy, segments=seg)
    a = programs["assumptions"]
    discount = next((p for p in programs["programs"] if p["type"] == "early_pay_discount"), None)
    pilot = pilot_evaluation(ledger, as_of, pilot_customers=pilot_customers, program=discount, cost_of_capital=a["cost_of_capital"], lookback_months=a["lookback_months"])
    return IncentiveReport(ledger, as_of, programs, policy, comp, seg, pilot)


# --------------------------------------------------------------------------------------------- words


def _money(x: float, cur: str = "") -> str:
    """Money in text as in the tables: thousands separators, 2 decimals, a minus sign: −18,400.00 USD."""
    s = f"{abs(x):,.2f}"
    return f"{'−' if x < -0.005 else ''}{s}{' ' + cur if cur else ''}"


def _pct(x: float, digits: int = 1) -> str:
    """A fraction as a percentage in text, one decimal as in the tables: 0.324 → "32.4 %"."""
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x * 100:.{digits}f} %"


def program_verdicts(summary: pd.DataFrame, *, programs: dict, calibration=None, policy: dict | None = None, currency: str = "") -> pd.DataFrame:
    """The one verdict per program that every section shows (At a glance cards, Recommendation).

    Columns: program, type, verdict (words: "Offer X", "Do not offer X", "Keep charging X"…), recommended
    (bool: offer, charge or keep it), basis ("measured" / "assumed"), net (the net benefit per year the
    verdict rests on: ``net_measured`` when the ledger measured what the program rests on, else
    ``net_benefit`` at the base take-up), in_force (a late fee the policy already charges,
    :func:`late_fee_in_force`), reason (the clause that justifies the verdict, or None).

    Rules, when nothing is measured (from net at the low / base / high take-up): low > 0 → offer (late fee:
    charge; in force: keep charging); base > 0 only → pilot it (in force: keep it under review); high > 0
    only → do not offer it yet (in force: review it); otherwise → do not offer it (in force: review it).
    When measured: ``net_measured`` > 0 → offer, else do not; a payment plan that recovers nothing more than
    balances recover without one is never recommended ("pays only through its fee") whatever its fee brings.
    """
    by_name = {p["name"]: p for p in programs["programs"]}
    rows = []

    def m(x):
        return _money(x, currency)

    for _, r in summary.iterrows():
        prog, name, t = by_name[r["program"]], r["program"], r["type"]
        low, base, high = r["net_low"], r["net_benefit"], r["net_high"]
        measured = r.get("basis_measured", "assumed") == "measured"
        in_force = late_fee_in_force(prog, policy)
        act = "charge" if t == "late_fee" else "offer"
        loss = f"loses {m(-base)} a year at the base take-up" if base < 0 else "gains nothing at the base take-up"
        rr = calibration.recovery_rates(prog) if (calibration is not None and t == "payment_plan") else None
        net = r["net_measured"] if measured else base
        if in_force:  # measured on the ledger (compare_programs): the fees on the lateness it shows
            nm = r["net_measured"] if measured else base
            fee = f"in force under the policy ({prog['rate_per_month'] * 100:g} % a month after {prog['grace_days']} days' grace; the formal and demand letters cite it)"
            ok = bool(nm > 0)
            on = "in fees on the lateness the ledger shows (its payments were made with the fee in force, so no further response is counted)" if measured else "at the base take-up"
            if ok:
                verdict, main = f"Keep charging {name}", f"it is {fee} and brings {m(nm)} a year {on}"
            else:
                verdict, main = f"Review {name}", f"it is {fee} and {'loses ' + m(-nm) if nm < 0 else 'brings nothing'} a year {on}"
        elif measured and t == "payment_plan" and rr is not None and rr["extra"] <= 0:
            verdict, ok, main = f"Do not offer {name} to recover more", False, f"{plan_recovery_words(rr, calibration, prog)}, so a plan recovers nothing more; it pays only through its fee ({m(r['revenue_measured'])} a year at the base acceptance)"
        elif measured:
            nm = r["net_measured"]
            what = f"at the measured take-up ({_pct(r['take_up_measured'], 1)} of sales: the share of the eligible amount on which the ledger's own early-pay terms were taken)" if t == "early_pay_discount" else "on the measured recovery"
            ok = bool(nm > 0)
            if ok:
                verdict, main = f"{act.capitalize()} {name}", f"it gains {m(nm)} a year {what}"
            else:
                verdict, main = f"Do not {act} {name}", f"it {'loses ' + m(-nm) if nm < 0 else 'gains nothing'} a year {what}"
            main += f" (assumed figures: {m(base)} at the base take-up, {r['break_even']})"
        elif low > 0:
            verdict, ok, main = f"{act.capitalize()} {name}", True, f"it gains {m(base)} a year at the base take-up and still {m(low)} at the low take-up"
        elif base > 0:
            verdict, ok, main = f"Pilot {name} before offering it", False, f"it gains {m(base)} a year at the base take-up but {'loses ' + m(-low) if low < 0 else 'nothing'} at the low take-up"
        elif high > 0:
            need = f" ({r['break_even']})" if str(r["break_even"]).startswith("pays above") else ""
            verdict, ok, main = f"Do not {act} {name} yet", False, f"it {loss} and pays only at the high take-up{need}"
        else:
            verdict, ok, main = f"Do not {act} {name}", False, None
        rows.append({"program": name, "type": t, "verdict": verdict, "recommended": ok, "basis": "measured" if measured else "assumed", "net": float(net), "in_force": in_force, "reason": main})
    return pd.DataFrame(rows, columns=["program", "type", "verdict", "recommended", "basis", "net", "in_force", "reason"])


def plan_recovery_words(rr: dict, calibration, prog: dict) -> str:
    """The recovery of balances past due without and with a plan, as one figure each — the figure used —
    with its basis; when the figure with a plan is the programs file's because too few balances with a plan
    were followed, the few measured are named as not used (so the page never shows two rates for one thing)."""
    d = prog["min_days_past_due"]
    src = lambda k: "measured on the ledger" if rr[k + "_measured"] else "assumed in the programs file"  # noqa: E731
    out = f"balances {d}+ days past due are recovered {_pct(rr['recovery_without_plan'], 1)} without a plan ({src('recovery_without_plan')}) and {_pct(rr['recovery_with_plan'], 1)} with one ({src('recovery_with_plan')}"
    rec = calibration.recovery.get(prog["name"]) if calibration is not None else None
    if not rr["recovery_with_plan_measured"] and rec is not None and len(rec):
        row = rec[rec["group"] == "with a plan"]
        if len(row) and int(row["invoices"].iloc[0]) > 0:
            out += f"; the {int(row['invoices'].iloc[0])} balances followed with a plan are too few to measure and are not used"
    return out + ")"


def recommendation_sentences(summary: pd.DataFrame, *, programs: dict, currency: str = "", calibration=None, policy: dict | None = None) -> list[str]:
    """One plain-language recommendation per program — its verdict from :func:`program_verdicts` (the one
    the At a glance cards show) with the reasons — then which programs pay under the figures measured on
    the ledger, where the others break even under the assumed ones, and the best program recommended.

    Offers add the share of the take-up that comes from customers who already pay within the window and the
    annualised cost against the cost of capital; late fees name the customers exposed (attrition is not
    priced); payment plans give the recovery with and without a plan and their source. Money is rounded to
    the cent and shares to one decimal, as in the tables.
    """
    coc = programs["assumptions"]["cost_of_capital"]
    by_name = {p["name"]: p for p in programs["programs"]}
    out = []
    verdicts = program_verdicts(summary, programs=programs, calibration=calibration, policy=policy, currency=currency).set_index("program")

    def m(x):
        return _money(x, currency)

    for _, r in summary.iterrows():
        prog, name, t = by_name[r["program"]], r["program"], r["type"]
        base = r["net_benefit"]
        measured = r.get("basis_measured", "assumed") == "measured"
        loss = f"loses {m(-base)} a year at the base take-up" if base < 0 else "gains nothing at the base take-up"
        rr = calibration.recovery_rates(prog) if (calibration is not None and t == "payment_plan") else None
        v = verdicts.loc[name]
        verdict, main = v["verdict"], (v["reason"] if isinstance(v["reason"], str) else None)
        details = []
        if t in ("early_pay_discount", "next_purchase_credit", "perk"):
            if np.isfinite(r["already_early_share"]):
                details.append(f"{_pct(r['already_early_share'])} of the take-up would come from customers who already pay within {program_window(prog):.0f} days")
            if t == "early_pay_discount" and r.get("customers_already_offered", 0):
                details.append(f"{int(r['customers_already_offered'])} customers already on early-pay terms (taking or declining the discount) are not counted as movable")
            if np.isfinite(r["annualised_cost"]):
                details.append(f"it costs {r['annualised_cost'] * 100:.1f} % a year against a {coc * 100:.4g} % cost of capital" + (f" and {loss}" if main is None else ""))
            elif main is None:
                details.append(f"it {loss}")
            if t == "perk":
                details.append(f"about {r['participants']:.0f} participants at {prog['cost_per_participant']:,.2f} each")
        elif t == "late_fee":
            if main is None:
                details.append(f"it {loss}")
            if v["in_force"] and v["basis"] == "measured":  # the figure above is the fees collected: the rate it assumes
                details.append(f"that assumes {_pct(prog['collection_rate'])} of the fees charged are collected")
            else:
                details.append(f"it {'should collect' if v['in_force'] else 'would collect'} {m(r['revenue'])} a year in fees ({_pct(prog['collection_rate'])} of those charged)")
            if r["customers_charged"]:
                details.append(
                    f"{r['customers_charged']} customers ({_pct(r['customers_charged_sales_share'])} of sales), {r.get('good_customers_charged', 0)} of them prompt or good customers, "
                    + ("are charged at least once a year" if v["in_force"] else "would be charged at least once")
                    + " — the risk of losing customers over fees is not priced"
                )
        elif t == "payment_plan":
            if main is None:
                details.append(f"it {loss}")
            eligible = r["take_up"] / r["take_up_base"] if r["take_up_base"] else 0.0
            if rr is not None and measured:
                details.append(f"of {m(eligible)} a year reaching {prog['min_days_past_due']} days past due, {_pct(r['take_up_base'])} accepting (assumed) would recover {m(-r['bad_debt_change_measured'])} more and pay {m(r['revenue_measured'])} in fees")
            else:
                details.append(
                    f"of {m(eligible)} a year reaching {prog['min_days_past_due']} days past due, {_pct(r['take_up_base'])} accepting would recover "
                    f"{m(-r['bad_debt_change'])} more and pay {m(r['revenue'])} in fees; this rests on the recovery assumptions "
                    f"({_pct(prog['recovery_with_plan'])} with a plan against {_pct(prog['recovery_without_plan'])} without)"
                )
        out.append(f"{verdict}: {'; '.join(([main] if main else []) + details)}.")
    if len(summary):
        meas = verdicts[verdicts["basis"] == "measured"]
        ass = summary[summary["program"].map(verdicts["basis"]).ne("measured").to_numpy()]
        if len(meas):
            named = [f"{p} ({_money(v.net, currency)} a year)" for p, v in meas[meas["recommended"]].iterrows()]
            rest = list(meas.index[~meas["recommended"].to_numpy()])
            out.append(
                "On the figures measured on this ledger, "
                + (("these programs pay: " + "; ".join(named)) if named else f"no program pays ({', '.join(rest)})")
                + (f"; these do not: {', '.join(rest)}" if rest and named else "")
                + "."
            )
        if len(ass):
            out.append("Priced on the assumptions of the programs file only (nothing on the ledger measures them): " + "; ".join(f"{row['program']} {row['break_even']} ({_money(row['net_benefit'], currency)} a year at the base take-up)" for _, row in ass.iterrows()) + ".")
        rec = verdicts[verdicts["recommended"]]
        if len(rec):
            best = rec["net"].idxmax()
            out.append(f"Of the programs recommended, the best is {best} ({_money(rec.loc[best, 'net'], currency)} a year, on {rec.loc[best, 'basis']} figures).")
        else:
            out.append("No program is recommended: none pays for itself on the figures its verdict rests on.")
    return out


def assumption_lines(c: IncentiveComparison, *, currency: str = "") -> list[str]:
    """Every assumption behind the figures, in words (the list printed under the recommendation)."""
    a = c.assumptions
    tu = a["take_up"]
    sp = tu["shift_probability"]
    bd = a["bad_debt"]
    lines = [
        f"Behaviour is read from the {c.notes['invoices_in_sample']:,} invoices of {c.notes['customers_in_sample']:,} customers paid in full between "
        f"{c.notes['lookback_start'] + pd.Timedelta(days=1):%d %b %Y} and {c.as_of:%d %b %Y} ({a['lookback_months']} months), scaled to the "
        f"{_money(c.sales, currency)} invoiced in the 12 months to {c.as_of:%d %b %Y} (credit notes excluded).",
        f"Take-up: an invoice paid within a program's window takes the offer with no change (pure cost); one paid within {tu['reach_days']} days after "
        f"the window is movable and its payer moves it to the window's last day with probability {_pct(sp['low'])} (low), {_pct(sp['base'])} (base) "
        f"or {_pct(sp['high'])} (high); slower invoices do not change. Customers keep their own terms.",
    ]
    for p in c.programs["programs"]:
        if p.get("take_up"):
            o = p["take_up"]
            bits = []
            if "reach_days" in o:
                bits.append(f"reach {o['reach_days']} days")
            if "shift_probability" in o:
                s = o["shift_probability"]
                bits.append(f"probability {_pct(s['low'])} / {_pct(s['base'])} / {_pct(s['high'])}")
            lines.append(f"{p['name']}: {', '.join(bits)}.")
    seg = ", ".join(f"{SEGMENT_LABELS.get(k, k).lower()} {_pct(v, 1)}" for k, v in bd["by_segment"].items())
    lines += [
        f"Cost of capital {_pct(a['cost_of_capital'], 1)} a year (sensitivity from {_pct(min(a['cost_of_capital_grid']), 1)} to {_pct(max(a['cost_of_capital_grid']), 1)}): "
        "cash received sooner is worth amount × days sooner × cost of capital ÷ 365.",
        f"Bad debt accrues at {_pct(bd['annual_loss_rate'], 1)} a year of receivables outstanding{' (' + seg + ')' if seg else ''}: paying sooner cuts it by amount × rate × days sooner ÷ 365.",
    ]
    for p in c.programs["programs"]:
        t = p["type"]
        if t == "late_fee":
            lines.append(f"{p['name']}: fees accrue per 30 days after {p['grace_days']} days' grace, capped at {_pct(p['cap'])} of the invoice; {_pct(p['collection_rate'])} of fees charged are collected. Customers lost over fees are not priced.")
        elif t == "next_purchase_credit":
            lines.append(f"{p['name']}: the credit is redeemed on the customer's next invoice (none if it has not bought again); the repeat business it may bring is not priced.")
        elif t == "perk":
            lines.append(f"{p['name']}: {p['cost_per_participant']:,.2f} a year per participant; a customer paying part of its sales within {p['window_days']} days counts as that part of a participant.")
        elif t == "payment_plan":
            lines.append(
                f"{p['name']}: offered on balances reaching {p['min_days_past_due']} days past due; assumed in the programs file: {_pct(p['recovery_without_plan'])} of them are recovered without a plan and "
                f"{_pct(p['recovery_with_plan'])} with one; the {_pct(p['fee_rate'], 1)} fee is paid with the installments; the wait for {p['installments']} installments is not priced."
            )
            if c.calibration is not None:
                rr = c.calibration.recovery_rates(p)
                lines.append(f"{p['name']} on the ledger — {rr['recovery_without_plan_source']}; {rr['recovery_with_plan_source']}.")
    cal = c.calibration
    if cal is not None and np.isfinite(cal.take_up_share):
        k = int((cal.offered["status"] == "takes it").sum()) if len(cal.offered) else 0
        lines.append(
            f"Measured: the ledger's own '{cal.terms}' terms were taken on {_pct(cal.take_up_share, 1)} of the eligible amount ({cal.eligible_invoices:,} invoices dated "
            f"{c.as_of - pd.DateOffset(months=a['lookback_months']) + pd.Timedelta(days=1):%d %b %Y} – {c.as_of:%d %b %Y} whose discount window had closed; the policy review shows this share of amount, "
            "and the share of invoices, for the invoices of its own year, so its figures differ by that population); "
            f"{len(cal.offered)} customers are on early-pay terms ({k} take the discount, {len(cal.offered) - k} decline it) and are not counted as movable by an early-pay discount."
        )
    lines.append("Not priced: administration, the margin on sales lost or won, and taxes. Figures are per year, in " + (currency or "the ledger currency") + ".")
    return lines


# --------------------------------------------------------------------------------------------- charts


def take_up_chart(curves: pd.DataFrame, summary: pd.DataFrame, *, currency: str = "") -> plt.Figure:
    """Net benefit per year against take-up, one line per program (from no behaviour change to every
    movable payer moving), with the low / base / high take-up marked and a zero line. Payment plans, whose
    take-up is a share of eligible past-due balances rather than of sales, get a panel of their own."""
    plan = set(summary.loc[summary["type"] == "payment_plan", "program"])
    panels = [("sales", [n for n in dict.fromkeys(curves["program"]) if n not in plan])]
    if plan:
        panels.append(("plan", [n for n in dict.fromkeys(curves["program"]) if n in plan]))
    panels = [(k, names) for k, names in panels if names]
    ratios = [3 if k == "sales" else 1.4 for k, _ in panels]
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 4.4), squeeze=False, gridspec_kw={"width_ratios": ratios})
    colors = plt.get_cmap("tab10").colors
    order = list(dict.fromkeys(curves["program"]))
    unit = f"Net benefit per year{f' ({currency})' if currency else ''}"
    for ax, (kind, names) in zip(axes[0], panels):
        for name in names:
            col = colors[order.index(name) % len(colors)]
            g = curves[curves["program"] == name]
            ax.plot(g["take_up_share"] * 100, g["net_benefit"], color=col, lw=2, label=name)
            r = summary[summary["program"] == name].iloc[0]
            ax.scatter([r["take_up_low"] * 100, r["take_up_base"] * 100, r["take_up_high"] * 100], [r["net_low"], r["net_benefit"], r["net_high"]], color=col, s=[18, 46, 18], zorder=3)
        ax.axhline(0, color="#555", lw=1)
        ax.yaxis.set_major_formatter(charts._money)
        ax.legend(fontsize=8, ncols=2 if kind == "sales" else 1, loc="upper left", bbox_to_anchor=(0, -0.16))
        if kind == "sales":
            charts._style(ax, "Net benefit against take-up", unit, "Take-up (% of sales)")
        else:
            charts._style(ax, "Payment plan", unit, "Take-up (% of eligible balances)")
    fig.tight_layout()
    return fig


def sensitivity_heatmaps(grid: pd.DataFrame, *, currency: str = "") -> plt.Figure:
    """Net benefit per year over take-up (rows: shift probability 0 → 100 %, labelled with the take-up it
    gives) × cost of capital (columns), one small heat map per program; green gains, red losses, values in
    thousands."""
    names = list(dict.fromkeys(grid["program"]))
    n = len(names)
    cols = 2 if n > 1 else 1
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(9.5, 3.3 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        g = grid[grid["program"] == name]
        piv = g.pivot(index="shift_probability", columns="cost_of_capital", values="net_benefit").sort_index(ascending=False)
        share = g.groupby("shift_probability")["take_up_share"].first().reindex(piv.index)
        vals = piv.to_numpy(dtype="float64")
        vmax = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
        ax.imshow(vals, cmap="RdYlGn", norm=Normalize(-vmax or -1, vmax or 1), aspect="auto")
        ax.set_xticks(range(vals.shape[1]), [f"{c * 100:.0f} %" for c in piv.columns], fontsize=7)
        ax.set_yticks(range(vals.shape[0]), [f"{s * 100:.0f} %" if np.isfinite(s) else "–" for s in share], fontsize=7)
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                ax.text(j, i, f"{vals[i, j] / 1000:,.1f}", ha="center", va="center", fontsize=6.5)
        ax.set_title(name, loc="left", fontsize=9, fontweight="bold")
        ax.set_xlabel("Cost of capital (a year)", fontsize=8)
        ax.set_ylabel("Take-up (%)", fontsize=8)
    fig.suptitle(f"Sensitivity: net benefit per year (thousands{' of ' + currency if currency else ''}) by take-up and cost of capital", x=0.01, ha="left", fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig


def days_to_pay_chart(sample: pd.DataFrame, programs: list[dict], *, reach_days: int, max_days: int = 120) -> plt.Figure:
    """Share of settled sales by days to pay (from the invoice date), bars of 5 days, with each offer's
    window marked (and, shaded, the reach of the movable beyond the first discount's window)."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    d = np.minimum(sample["days_to_pay"].to_numpy(dtype="float64"), max_days + 1)
    w = sample["amount"].to_numpy(dtype="float64")
    # bars of 5 whole days (0-5, 6-10, 11-15, …): a window of 10 days ends exactly between two bars
    edges = np.r_[-0.5, np.arange(5.5, max_days + 6, 5)]
    hist, _ = np.histogram(d, bins=edges, weights=w)
    total = w.sum()
    share = hist / total * 100 if total > 0 else hist
    ax.bar((edges[:-1] + edges[1:]) / 2, share, width=np.diff(edges) * 0.92, color="#90a4ae", label="Invoices paid in full (share of amount)")
    offers = [p for p in programs if p["type"] in ("early_pay_discount", "next_purchase_credit", "perk")]
    seen = {}
    for p in offers:
        seen.setdefault(program_window(p), []).append(p["name"])
    colors = plt.get_cmap("tab10").colors
    for i, (win, names) in enumerate(sorted(seen.items())):
        ax.axvline(win + 0.5, color=colors[i % 10], lw=2, ls="--", label=f"Window {win:.0f} days: {', '.join(names)}")
    first = next((p for p in offers if p["type"] == "early_pay_discount"), None)
    if first is not None:
        win = program_window(first)
        ax.axvspan(win + 0.5, win + reach_days + 0.5, color="#fbc02d", alpha=0.15, label=f"Movable: paid within {reach_days} days after the {win:.0f}-day window")
    ax.set_xlim(-0.5, max_days + 5.5)
    ax.legend(fontsize=7.5, loc="upper right")
    charts._style(ax, "Days to pay over the lookback, with the offers' windows", "Share of amount paid (%)", f"Days from invoice date to payment in full (last bar: {max_days}+)")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------- sections


def section_programs(r: IncentiveReport) -> list:
    """The programs side by side: what each costs and who would take it, then what it brings per year."""
    s = r.comparison.summary
    a = r.comparison.assumptions
    by_name = {p["name"]: p for p in r.programs["programs"]}
    r.book.add("programs", s)
    first = pd.DataFrame(
        {
            "Program": s["program"],
            "Kind": s["type"].map(TYPE_LABELS) + s["program"].map(lambda n: " (in force)" if late_fee_in_force(by_name[n], r.policy) else ""),
            "Offer": s["offer"],
            "Annualised cost": s["annualised_cost"] * 100,
            "Cost of capital": s["cost_of_capital"] * 100,
            "Take-up low": s["take_up_low"] * 100,
            "Take-up base": s["take_up_base"] * 100,
            "Take-up high": s["take_up_high"] * 100,
            "From payers already early": s["already_early_share"] * 100,
        }
    )
    second = pd.DataFrame(
        {
            "Program": s["program"],
            "Cost": s["cost"],
            "Fees": s["revenue"],
            "AR freed (average)": s["ar_freed"],
            "Value of cash sooner": s["cash_value"],
            "DSO change (days)": s["dso_change"],
            "Bad debt change": s["bad_debt_change"],
            "Net benefit (base)": s["net_benefit"],
            "Net (low)": s["net_low"],
            "Net (high)": s["net_high"],
            "Break-even take-up": s["break_even_take_up"] * 100,
            "Break-even": s["break_even"],
        }
    )
    third = pd.DataFrame(
        {
            "Program": s["program"],
            "Figures": s["basis_measured"].map({"measured": "measured on the ledger", "assumed": "assumed only (nothing to measure)"}),
            "Take-up": s["take_up_measured"] * 100,
            "Fees": s["revenue_measured"],
            "Bad debt change": s["bad_debt_change_measured"],
            "Net benefit": s["net_measured"],
            "Net benefit (assumed, base)": s["net_benefit"],
        }
    )
    text = (
        f"{len(s)} programs priced on the payments of the {a['lookback_months']} months to {r.as_of:%d %B %Y}, "
        f"annualised on {_money(r.comparison.sales, r.currency)} of sales. Take-up is the share of sales that would use the offer "
        "(late fee: the share paid sooner to avoid the fee; payment plan: the share of eligible past-due balances accepting a plan)."
    )
    return [
        Markdown(esc(text)),
        table(first, pct=["Annualised cost", "Cost of capital", "Take-up low", "Take-up base", "Take-up high", "From payers already early"], caption="What each program costs and who would take it"),
        table(
            second,
            money=["Cost", "Fees", "AR freed (average)", "Value of cash sooner", "Bad debt change", "Net benefit (base)", "Net (low)", "Net (high)"],
            days=["DSO change (days)"],
            pct=["Break-even take-up"],
            caption=f"What each program brings per year at the base take-up ({r.money_unit}); bad debt change: negative = less lost",
        ),
        table(
            third,
            money=["Fees", "Bad debt change", "Net benefit", "Net benefit (assumed, base)"],
            pct=["Take-up"],
            caption=f"Measured on the ledger where it can be ({r.money_unit} a year): early-pay discounts at the take-up of the ledger's own early-pay terms, payment plans at the recovery measured with and without a plan; the rest as assumed (see What the ledger measures)",
        ),
    ]


def section_take_up(r: IncentiveReport) -> list:
    """Net benefit against take-up for each program (lines)."""
    r.book.add("take-up curves", r.comparison.curves)
    note = (
        "Each line runs from no change in behaviour (only payers already within the window take the offer) to every movable payer "
        "moving; the large dot is the base take-up, the small ones low and high. Above the zero line the program pays for itself."
    )
    return [Markdown(note), take_up_chart(r.comparison.curves, r.comparison.summary, currency=r.currency)]


def section_sensitivity(r: IncentiveReport) -> list:
    """Net benefit over take-up × cost of capital, one heat map per program."""
    g = r.comparison.sensitivity
    r.book.add("sensitivity", g)
    return [sensitivity_heatmaps(g, currency=r.currency)]


def section_days_to_pay(r: IncentiveReport) -> list:
    """The days-to-pay distribution with the offers' windows marked, and the shares in each group."""
    c = r.comparison
    if c.sample.empty:
        return [Markdown("No invoice was paid in full during the lookback, so there is no payment behaviour to show.")]
    d = c.sample["days_to_pay"].to_numpy()
    w = c.sample["amount"].to_numpy(dtype="float64")
    reach = c.assumptions["take_up"]["reach_days"]
    rows = []
    for p in c.programs["programs"]:
        if p["type"] not in ("early_pay_discount", "next_purchase_credit", "perk"):
            continue
        win = program_window(p)
        rch = (p.get("take_up") or {}).get("reach_days", reach)
        rows.append({"Program": p["name"], "Window (days)": win, "Already within": w[d <= win].sum() / w.sum() * 100, "Movable": w[(d > win) & (d <= win + rch)].sum() / w.sum() * 100, "Out of reach": w[d > win + rch].sum() / w.sum() * 100})
    med = float(np.median(d))
    text = f"Half of the invoices paid in the lookback were paid within **{med:.0f} days** of the invoice date (amount-weighted mean {np.average(d, weights=w):.1f} days)."
    return [
        Markdown(text),
        days_to_pay_chart(c.sample, c.programs["programs"], reach_days=reach),
        table(pd.DataFrame(rows), pct=["Already within", "Movable", "Out of reach"], caption="Share of the amount paid in each behavioural group"),
    ]


def section_segments(r: IncentiveReport) -> list:
    """Results per customer segment (base take-up) and the customers who would take the first discount
    without paying any sooner."""
    b = r.comparison.by_segment
    r.book.add("by segment", b)
    order = [k for k in SEGMENT_LABELS if k in set(b["segment"])]
    lab = {k: SEGMENT_LABELS[k] for k in order}
    net = b.pivot(index="program", columns="segment", values="net_benefit").reindex(columns=order).reindex(list(dict.fromkeys(b["program"]))).rename(columns=lab)
    take = b.pivot(index="program", columns="segment", values="take_up_share").reindex(columns=order).reindex(net.index).rename(columns=lab) * 100
    comp = r.comparison.components
    one = comp[comp["program"] == comp["program"].iloc[0]] if len(comp) else comp
    one = one[one["weighted_sales"] > 0] if "weighted_sales" in one else one
    cust = one.groupby("segment").agg(customers=("customer_id", "nunique"), sales=("sales", "sum")).reindex(order).fillna(0)
    head = pd.DataFrame({"Segment": [lab[k] for k in order], "Customers": cust["customers"].astype(int).to_numpy(), "Annual sales": cust["sales"].to_numpy()})
    out = [
        table(head, money=["Annual sales"], caption=f"Segments (policy rules, as in the monthly review): customers with invoices paid in the lookback; annual sales = invoiced in the 12 months to {r.as_of:%d %b %Y}"),
        table(net.rename_axis("Program").reset_index(), money=list(net.columns), caption=f"Net benefit per year at the base take-up, by segment ({r.money_unit})"),
        table(take.rename_axis("Program").reset_index(), pct=list(take.columns), caption="Take-up at the base assumption, share of each segment's sales (payment plan: of eligible balances)"),
    ]
    first = next((p for p in r.programs["programs"] if p["type"] == "early_pay_discount"), None)
    if first is not None:
        comp = r.comparison.components
        c = comp[comp["program"] == first["name"]]
        free = c[c["cost_a"] > 0].sort_values("cost_a", ascending=False)
        if len(free):
            shown = pd.DataFrame(
                {
                    "Customer": free["customer_id"].to_numpy(),
                    "Name": customer_names(r.ledger, free["customer_id"]).to_numpy(),
                    "Segment": free["segment"].map(SEGMENT_LABELS).fillna(free["segment"]).to_numpy(),
                    "Annual sales": free["sales"].to_numpy(),
                    "Already within the window": (free["take_a"] / free["weighted_sales"] * 100).to_numpy(),
                    "Discount given for nothing": free["cost_a"].to_numpy(),
                }
            )
            r.book.add("already early", shown)
            total = free["cost_a"].sum()
            out += [
                Markdown(esc(f"{len(free)} customers already pay some invoices within {first['discount_days']} days: offering {first['name']} would give them {_money(total, r.currency)} a year for nothing. The largest:")),
                table(shown, money=["Annual sales", "Discount given for nothing"], pct=["Already within the window"], max_rows=10),
            ]
    return out


def section_pilot(r: IncentiveReport) -> list:
    """The pilot against its control, or one sentence saying how to mark one."""
    pe = r.pilot
    if pe is None:
        return [Markdown("No pilot is marked in this ledger. To evaluate one, add a column `pilot` (yes/no) to the invoices sheet — or to the customers sheet — marking the invoices or customers that received the offer, and run the report again.")]
    if pe.table.empty:
        return [Markdown(esc(f"A pilot is marked ({pe.marked_by}), but between {pe.start:%d %b %Y} and {pe.as_of:%d %b %Y} there are {pe.pilot_invoices} paid pilot invoices and {pe.control_invoices} paid control invoices: nothing to compare yet."))]
    t = pe.table
    r.book.add("pilot", t)
    intro = (
        f"Pilot marked by {pe.marked_by}: {pe.pilot_invoices:,} invoices of {pe.pilot_customers:,} customers against {pe.control_invoices:,} invoices of "
        f"{pe.control_customers:,} customers (control), dated {pe.start:%d %b %Y} to {pe.as_of:%d %b %Y} and paid in full by then. Confidence intervals: "
        f"{pe.draws:,} bootstrap draws of customers (fixed seed), 95 % percentile interval of the difference. Cost = {pe.cost_basis} plus the carrying cost at the cost of capital."
    )
    bullets = "\n".join(f"- **{esc(row.metric.capitalize())}** — {esc(row.verdict)}." for row in t.itertuples())
    shown = t.rename(columns={"metric": "Measure", "pilot": "Pilot", "control": "Control", "difference": "Difference", "ci_low": "CI low", "ci_high": "CI high", "significant": "Significant"}).drop(columns="verdict")
    shown["Significant"] = shown["Significant"].map({True: "yes", False: "no — CI includes 0"})
    return [Markdown(esc(intro)), table(shown, money=["Pilot", "Control", "Difference", "CI low", "CI high"], caption="Days to pay in days; cost per 100 of sales in ledger currency"), Markdown(bullets)]


def section_calibration(r: IncentiveReport) -> list:
    """What the ledger measures of the assumptions: every assumption with its assumed value, the measured
    one and the source used; the recovery of balances past due with and without a plan; the ledger's own
    early-pay terms and who is already on them."""
    from ..incentives import assumption_table
    from ..incentives.calibration import MIN_BALANCES

    cal = r.comparison.calibration
    if cal is None:
        return [Markdown("Nothing was measured on this ledger: every figure rests on the programs file.")]
    t = assumption_table(cal, r.programs)
    r.book.add("assumptions and sources", t)
    out = [table(t.rename(columns={"assumption": "Assumption", "program": "Program", "assumed": "Assumed (programs file)", "measured": "Measured on the ledger", "source": "Source of the figure used"}), caption="Every assumption, measured where the ledger holds the evidence", max_rows=len(t))]
    for name, rec in cal.recovery.items():
        if rec.empty:
            out.append(Markdown(esc(f"{name}: no balance reached the plan's threshold early enough to be followed for {cal.horizon_months} months, so recovery is assumed.")))
            continue
        r.book.add("measured recovery", rec)
        shown = rec.drop(columns=["first_crossing", "last_crossing"]).rename(columns={"group": "Balances", "invoices": "Invoices", "customers": "Customers", "balance": "Open when they crossed", "recovered": f"Recovered within {cal.horizon_months} months", "pct_recovered": "Recovered (%)"})
        first, last = rec["first_crossing"].iloc[0], rec["last_crossing"].iloc[0]
        out.append(table(shown, money=["Open when they crossed", f"Recovered within {cal.horizon_months} months"], pct=["Recovered (%)"], caption=f"{name}: balances that crossed the threshold from {first:%d %b %Y} to {last:%d %b %Y}, followed for {cal.horizon_months} months ({r.money_unit}); a group of fewer than {MIN_BALANCES} balances is too few to measure: the programs file's rate is used instead (see the table above)"))
    if len(cal.offered):
        r.book.add("customers already offered", cal.offered)
        k = int((cal.offered["status"] == "takes it").sum())
        share = f"{cal.take_up_share * 100:.1f} %" if np.isfinite(cal.take_up_share) else "–"
        out.append(Markdown(esc(f"{len(cal.offered)} customers are already on early-pay terms ({cal.terms or 'early-pay terms'}): {k} take the discount at least sometimes, {len(cal.offered) - k} never do; together the discount was taken on {share} of the eligible amount. None of them is counted as movable by a new early-pay discount.")))
    return out


def section_recommendation(r: IncentiveReport) -> list:
    """The recommendation in plain words, then every assumption behind it."""
    recs = recommendation_sentences(r.comparison.summary, programs=r.programs, currency=r.currency, calibration=r.comparison.calibration, policy=r.policy)
    assumptions = assumption_lines(r.comparison, currency=r.currency)
    r.book.add("assumptions", pd.DataFrame({"assumption": assumptions}))
    r.book.add("recommendation", pd.DataFrame({"recommendation": recs}))
    return [
        Markdown("\n".join(f"- {esc(s)}" for s in recs)),
        Markdown("**Assumptions**\n\n" + "\n".join(f"- {esc(s)}" for s in assumptions)),
    ]


def behaviour_by_customer(sample: pd.DataFrame) -> pd.DataFrame:
    """The behaviour the programs were priced on, per customer, from the settled invoices of the lookback
    (:func:`arkit.incentives.behaviour_sample`): segment, invoices, amount (Σ), mean and median days to
    pay, mean days late. The invoices themselves are the ledger's invoices paid in full in the lookback, so
    the appendix lists the customers, not every invoice (a 100k-invoice ledger would add ~50,000 rows)."""
    cols = ["customer_id", "segment", "invoices", "amount", "avg_days_to_pay", "median_days_to_pay", "avg_days_late"]
    if sample.empty:
        return pd.DataFrame(columns=cols)
    g = sample.groupby(["customer_id", "segment"], sort=True).agg(
        invoices=("amount", "size"), amount=("amount", "sum"), avg_days_to_pay=("days_to_pay", "mean"), median_days_to_pay=("days_to_pay", "median"), avg_days_late=("days_late", "mean")
    )
    g["amount"] = g["amount"].round(2)
    return g.reset_index()[cols]


def section_data(r: IncentiveReport) -> list:
    """What was loaded, and the invoices the behaviour was read from (in the Excel appendix)."""
    r.book.add("customers", r.comparison.components)
    r.book.add("behaviour by customer", behaviour_by_customer(r.comparison.sample))
    return load_report_parts(r.ledger, r.book)


def save_book(r: IncentiveReport, output_dir, name: str = "incentives.xlsx"):
    """Write the Excel appendix of every table shown."""
    return r.book.save(Path(output_dir) / name)
