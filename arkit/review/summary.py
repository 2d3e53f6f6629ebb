"""The one-screen summary at the top of a report: headline figures as tiles, what changed, what to do,
and a warning when letters would go out with the shipped example company details.

The parts are generic (:func:`figure_tiles`, :func:`notice`) so every report can open with them;
:func:`monthly_summary` composes them for the monthly review from figures computed elsewhere (the
headline table, the change sentences, the worklist and the letters) — nothing is computed here.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from .. import columns as coldict
from ..company import placeholder_warning

#: The headline figures shown as tiles, in order (codes of the headline table's ``figure`` column).
MONTHLY_TILES = ("open_ar", "pct_past_due", "dso_countback", "add", "cei", "pct_91_plus")


def _fmt(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    u = str(unit or "").strip().lower()
    if u in ("%", "pct", "percent"):
        text = f"{float(value):,.1f} %"
    elif u in ("days", "day", "d"):
        text = f"{float(value):,.1f} days"
    else:
        text = f"{float(value):,.2f}"
    return text.replace("-", "−")


def _short_reason(why: str) -> str:
    """A reason short enough for a tile: up to its first parenthesis or colon ("not computable from an
    open-item export"); the full reason is in the headline table's note."""
    return why.split(" (")[0].split(": ")[0].strip()


def figure_tiles(rows: pd.DataFrame, *, previous: str = "last month") -> HTML:
    """Headline figures as tiles: ``rows`` with label, unit, value and optionally change, target and
    on_target. The change reads "−4.5 on last month" (``previous`` names the period); the target "target 45.0 · met" or "· missed".
    A row with a ``not_computable`` reason shows "not computable" and the reason instead of a value."""
    tiles = []
    for r in rows.to_dict("records"):
        unit = r.get("unit", "")
        why = r.get("not_computable")
        if isinstance(why, str) and why:
            tiles.append(
                f'<div class="arkit-tile"><div class="arkit-tile-value">not computable</div>'
                f'<div class="arkit-tile-label">{html.escape(str(r.get("label", "")))}</div>'
                f'<div class="arkit-tile-sub arkit-wrap">{html.escape(_short_reason(why))}</div></div>'
            )
            continue
        sub = []
        ch = r.get("change")
        if ch is not None and not pd.isna(ch):
            sign = "−" if ch < 0 else "+"
            pct = str(unit or "").strip().lower() in ("%", "pct", "percent")
            step = f"{abs(float(ch)):,.1f} points" if pct else _fmt(abs(ch), unit)  # a share moves in points
            sub.append(f"{sign}{step} on {previous}")
        tgt = r.get("target")
        if tgt is not None and not pd.isna(tgt):
            ok = r.get("on_target")
            verdict = "" if ok is None or pd.isna(ok) else (" · met" if bool(ok) else " · missed")
            sub.append(f"target {_fmt(tgt, unit)}{verdict}")
        state = "" if r.get("on_target") is None or pd.isna(r.get("on_target")) else (" arkit-ok" if bool(r["on_target"]) else " arkit-off")
        tiles.append(
            f'<div class="arkit-tile{state}"><div class="arkit-tile-value">{html.escape(_fmt(r.get("value"), unit))}</div>'
            f'<div class="arkit-tile-label">{html.escape(str(r.get("label", "")))}</div>'
            + "".join(f'<div class="arkit-tile-sub">{html.escape(s)}</div>' for s in sub)
            + "</div>"
        )
    return HTML(f'<div class="arkit-tiles">{"".join(tiles)}</div>')


def notice(text: str | None) -> list:
    """A warning box (escaped text), or nothing."""
    return [HTML(f'<div class="arkit-warning" role="note"><strong>Check before sending:</strong> {html.escape(text)}</div>')] if text else []


def todo_lines(worklist: pd.DataFrame, *, policy: dict | None = None, letters: int | None = None) -> list[str]:
    """"What to do" in words: customers and amount at stake (past due without that column) per next step
    of the worklist, in ladder order."""
    if worklist is None or worklist.empty:
        return ["No customer needs a collections action this month."]
    order = {s["step"]: i for i, s in enumerate((policy or {}).get("ladder", []) or [])}
    # the worklist's own figure for what each step is about (amount at stake) when it has one, else past due
    col, words = ("amount_at_stake", "at stake") if "amount_at_stake" in worklist.columns else ("past_due_amount", "past due")
    g = worklist.groupby("step", sort=False).agg(n=("customer_id", "size"), due=(col, "sum")).reset_index()
    g = g.assign(_o=g["step"].map(order).fillna(len(order))).sort_values("_o", kind="stable")
    out = []
    for step, n, due in zip(g["step"], g["n"], g["due"]):
        out.append(f"{coldict.code_label(step, policy)}: {n:,} customer{'s' if n != 1 else ''}, {due:,.2f} {words}")
    if letters:
        out.append(f"{letters:,} draft letter{'s' if letters != 1 else ''} to review in the letters folder (none has been sent)")
    return out


def monthly_summary(r) -> list:
    """The monthly review's summary: the company-details warning, the headline tiles, what changed, and
    what to do (the worklist by next step; the full list is in worklist.xlsx)."""
    from .headline import summary_sentences

    head = r.headline.set_index("figure")
    tiles = head.reindex([f for f in MONTHLY_TILES if f in head.index]).reset_index()
    if len(r.figures) > 1:
        changed = summary_sentences(r.headline, r.drivers)
    elif r.ledger.is_open_item_export:
        from .monthly import OPEN_ITEM_EARLIER

        changed = [*summary_sentences(r.headline, r.drivers.iloc[0:0]), f"Changes on last month are {OPEN_ITEM_EARLIER}."]
    else:  # the ledger's first full month: nothing to compare with
        changed = [*summary_sentences(r.headline, r.drivers.iloc[0:0]), f"{r.as_of:%B %Y} is the ledger's first full month: there is no previous month to compare with."]
    wl = r.worklist
    n_letters = int(wl["letter"].notna().sum()) if len(wl) and "letter" in wl.columns else 0
    todo = todo_lines(wl, policy=r.policy, letters=n_letters)
    esc = lambda s: html.escape(str(s), quote=False)  # noqa: E731
    body = (
        '<div class="arkit-summary"><div><h3>What changed</h3><ul>'
        + "".join(f"<li>{esc(s)}</li>" for s in changed)
        + '</ul></div><div><h3>What to do</h3><ul>'
        + "".join(f"<li>{esc(s)}</li>" for s in todo)
        + "</ul><p class=\"arkit-muted\">The collectors' list with contacts is in <code>worklist.xlsx</code>.</p></div></div>"
    )
    return [*notice(placeholder_warning(r.policy.get("company"))), figure_tiles(tiles), HTML(body)]



#: The policy-review figures shown as tiles (codes of the outcomes table's ``figure`` column).
POLICY_TILES = ("dso", "dso_countback", "add", "cei", "pct_current", "pct_91_plus")


def _lists(changed_title: str, changed: list[str], todo_title: str, todo: list[str], note: str = "") -> HTML:
    esc = lambda s: html.escape(str(s), quote=False)  # noqa: E731
    return HTML(
        f'<div class="arkit-summary"><div><h3>{esc(changed_title)}</h3><ul>'
        + "".join(f"<li>{esc(s)}</li>" for s in changed)
        + f"</ul></div><div><h3>{esc(todo_title)}</h3><ul>"
        + "".join(f"<li>{esc(s)}</li>" for s in todo)
        + "</ul>"
        + (f'<p class="arkit-muted">{esc(note)}</p>' if note else "")
        + "</div></div>"
    )


def policy_summary(r) -> list:
    """The policy-review pack's summary: the quarter's figures against target (change on the previous
    quarter), what moved most, and the recommendations (headlines; evidence in section 9)."""
    o = r.outcomes.set_index("figure")
    rows = o.reindex([f for f in POLICY_TILES if f in o.index]).reset_index()
    rows["change"] = rows["value"] - rows["previous"]
    rows["unit"] = rows["unit"].replace({"currency": ""})
    moved = []
    for x in rows.itertuples():
        if pd.notna(x.target) and pd.notna(x.on_target):
            moved.append(f"{x.label}: {_fmt(x.value, x.unit)} against a target of {_fmt(x.target, x.unit)} ({'met' if x.on_target else 'missed'}); {x.quarters_on_target} quarters on target.")
    rec = r.recommendations
    todo = [f"{row.area}: {row.recommendation}" for row in rec.itertuples()] if rec is not None and len(rec) else ["No rule fired: every figure the rules watch is within its threshold."]
    tiles = figure_tiles(rows[["label", "unit", "value", "change", "target", "on_target"]], previous="the previous quarter")
    return [tiles, _lists("Against the targets", moved, "Recommendations", todo, "Each recommendation's evidence is in section 9; the thresholds are listed there.")]


def incentives_summary(r) -> list:
    """The incentive comparison's summary: one card per program with the net benefit per year its verdict
    rests on (measured on the ledger where it can be, else at the base take-up; the label says which), green
    when the verdict recommends it; the low-to-high range of the assumed figures; and the verdicts —
    :func:`arkit.review.incentives_report.program_verdicts`, the same the Recommendation section gives."""
    from .incentives_report import program_verdicts, recommendation_sentences

    s = r.comparison.summary
    cur = r.currency or ""
    v = program_verdicts(s, programs=r.programs, calibration=r.comparison.calibration, policy=r.policy, currency=cur)
    basis = v["basis"].map({"measured": "measured on the ledger", "assumed": "assumed, base take-up"})
    rows = pd.DataFrame(
        {
            "label": v["program"].astype("str") + " · " + basis + v["in_force"].map({True: " · in force", False: ""}),
            "unit": "",
            "value": v["net"],
            "on_target": v["recommended"],
        }
    )
    tiles = figure_tiles(rows)
    money = lambda x: f"{'−' if x < 0 else ''}{abs(x):,.0f}"  # noqa: E731
    ranges = [
        f"{p}: between {money(lo)} and {money(hi)}{' ' + cur if cur else ''} a year over the low to high take-up (assumed figures)"
        for p, lo, hi in zip(s["program"].astype("str"), s[["net_low", "net_high"]].min(axis=1), s[["net_low", "net_high"]].max(axis=1))
    ]
    recs = recommendation_sentences(s, programs=r.programs, currency=r.currency, calibration=r.comparison.calibration, policy=r.policy)
    # each program's verdict, and the closing sentence naming the best program recommended; the reasons
    # are in the Recommendation section
    short = [f"{x}." for x in v["verdict"]] + recs[-1:]
    note = (
        "Net benefit per year" + (f" ({html.escape(cur)})" if cur else "") + " on the figures each verdict rests on: measured on the ledger where it measures what the program rests on, "
        "else at the base take-up of the programs file's assumptions. Green: recommended; red: not recommended."
    )
    return [HTML(f'<p class="arkit-muted">{note}</p>'), tiles, _lists("Net benefit range", ranges, "Recommendation", short, "The reasons and every assumption behind these figures are under Recommendation.")]
