"""Section 3 (continued) — agency and legal referrals and what they recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import prepared
from ...aging import customer_names
from ...model import Ledger
from ..display import esc, table
from ._common import quarter_bounds, _day, _day_numbers, _year_start, _book, _balance, _customer_codes, _activities
from .outcomes import write_offs
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pack import PolicyReview

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



def section_referrals(r: PolicyReview) -> list:
    """The customers referred to an agency or to legal in the year, and what was recovered since."""
    out = []
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
