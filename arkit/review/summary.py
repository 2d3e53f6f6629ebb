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
        return f"{float(value):,.1f} %"
    if u in ("days", "day", "d"):
        return f"{float(value):,.1f} days"
    return f"{float(value):,.2f}"


def figure_tiles(rows: pd.DataFrame) -> HTML:
    """Headline figures as tiles: ``rows`` with label, unit, value and optionally change, target and
    on_target. The change reads "−4.5 on last month"; the target "target 45.0 · met" or "· missed"."""
    tiles = []
    for r in rows.to_dict("records"):
        unit = r.get("unit", "")
        sub = []
        ch = r.get("change")
        if ch is not None and not pd.isna(ch):
            sign = "−" if ch < 0 else "+"
            pct = str(unit or "").strip().lower() in ("%", "pct", "percent")
            step = f"{abs(float(ch)):,.1f} points" if pct else _fmt(abs(ch), unit)  # a share moves in points
            sub.append(f"{sign}{step} on last month")
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
    """"What to do" in words: customers and past-due amount per next step of the worklist, in ladder order."""
    if worklist is None or worklist.empty:
        return ["No customer needs a collections action this month."]
    order = {s["step"]: i for i, s in enumerate((policy or {}).get("ladder", []) or [])}
    g = worklist.groupby("step", sort=False).agg(n=("customer_id", "size"), due=("past_due_amount", "sum")).reset_index()
    g = g.assign(_o=g["step"].map(order).fillna(len(order))).sort_values("_o", kind="stable")
    out = []
    for step, n, due in zip(g["step"], g["n"], g["due"]):
        out.append(f"{coldict.code_label(step, policy)}: {n:,} customer{'s' if n != 1 else ''}, {due:,.2f} past due")
    if letters:
        out.append(f"{letters:,} draft letter{'s' if letters != 1 else ''} to review in the letters folder (none has been sent)")
    return out


def monthly_summary(r) -> list:
    """The monthly review's summary: the company-details warning, the headline tiles, what changed, and
    what to do (the worklist by next step; the full list is in worklist.xlsx)."""
    from .headline import summary_sentences

    head = r.headline.set_index("figure")
    tiles = head.reindex([f for f in MONTHLY_TILES if f in head.index]).reset_index()
    changed = summary_sentences(r.headline, r.drivers)
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

