"""Section 4 — credit limits and holds: utilisation, breaches, holds and what happened after them."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import prepared
from ...aging import customer_names
from ...model import Ledger
from ..charts import _style
from ..display import esc, table
from ._common import quarter_bounds, _day, _day_numbers, _year_start, _Running, _book, _customer_codes, _activities, _episodes
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

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



def section_credit(r: PolicyReview) -> list:
    """Credit-limit utilisation and breaches; holds placed and lifted, and what happened after a hold."""
    out = []
    u = r.utilisation
    if u.empty:
        out.append(Markdown("No credit limits are recorded, so utilisation and breaches cannot be shown."))
    else:
        r.book.add("credit utilisation", u, pct=["utilisation"])  # held 0-100 here; the workbook holds a fraction with a % format
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
    out.append(Markdown(f"In {esc(r.label)}: **{len(placed)} holds placed, {len(lifted)} lifted** (median {med:.1f} days on hold for those lifted); {len(in_force)} customers on hold at the quarter end." if len(lifted) else f"In {esc(r.label)}: **{len(placed)} holds placed, none lifted**; {len(in_force)} customers on hold at the quarter end."))
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
