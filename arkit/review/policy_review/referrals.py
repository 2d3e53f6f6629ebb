"""Section 3 (continued) — agency and legal referrals and what they recovered, on the invoices referred.

Conventions
-----------
- A referral is an ``agency`` or ``legal`` row of the activity log dated in the ``lookback_months`` months
  ending at the quarter end. The invoices referred are those the row names; a row naming no invoice refers
  the customer's invoices past due that day (due date before it, positive balance at its end). An invoice
  not yet due on the referral day is never counted, even when a row names it.
- owed = the invoice's balance at the end of its first referral day of the stage (positive only);
  recovered = the payments applied to it dated after that day up to the quarter end, plus the credits
  of an adjustments table (``discount_taken``, ``small_balance``, ``other`` reductions) in that span, less
  the fees and interest charged to it in that span (``fee``, ``interest``, ``other`` increases) — never
  more than owed, never below 0. Unapplied cash of the customer is not counted (it names no invoice).
- written_off = write-offs of the invoice after the referral: the ``write_off`` adjustments when the ledger
  has an adjustments table with any, else the ``write_off`` rows of the activity log naming the invoice
  (:func:`~.outcomes.write_offs`), at most what was owed less what was recovered; open_now = owed −
  recovered − written_off.
- Stages: ``agency`` and ``legal`` are measured separately (an invoice sent to both counts in each, from
  each stage's own date); "all referrals" counts each invoice once, from its first referral.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from IPython.display import Markdown

from ..._prep import invoice_positions, prepared
from ...aging import customer_names
from ...model import Ledger, cents
from ..display import esc, table
from ._common import _activities, _balance, _book, _customer_codes, _dates, _day, _day_numbers, _Running, _year_start, quarter_bounds
from .outcomes import write_offs

if TYPE_CHECKING:
    from .pack import PolicyReview

STAGES = ("agency", "legal")
#: The stage label of the totals over every referred invoice (each once, from its first referral).
ALL = "All referrals"
#: Adjustment kinds that credit an invoice (count as recovered), and those that charge it (netted out).
CREDIT_KINDS = ("discount_taken", "small_balance")
CHARGE_KINDS = ("fee", "interest")

_REF_COLS = ["customer_id", "invoice_id", "stage", "referred", "named", "due_date", "owed", "payments", "credits", "charges", "recovered", "written_off", "open_now", "in_quarter"]


class _Adjustments:
    """Running sums per invoice position of an adjustments table's credits, charges and write-offs (all
    zero when the ledger has none; ``getattr(ledger, "adjustments", None)`` so a ledger without the
    table works)."""

    def __init__(self, ledger: Ledger):
        adj = getattr(ledger, "adjustments", None)
        n = 0 if adj is None else len(adj)
        self.present = n > 0
        if not n:
            empty = np.zeros(0, dtype="int64")
            self.credits = self.charges = self.write_offs = _Running(empty, empty, empty)
            self.has_write_offs = False
            return
        pos = invoice_positions(ledger.invoices, adj[["customer_id", "invoice_id"]])
        day = _day_numbers(adj["date"])
        amt = cents(adj["amount"])
        kind = adj["kind"].astype("str").str.strip().str.lower().to_numpy()
        other = kind == "other"
        credit = np.isin(kind, CREDIT_KINDS) | (other & (amt > 0))
        charge = np.isin(kind, CHARGE_KINDS) | (other & (amt < 0))
        wo = kind == "write_off"
        self.credits = _Running(np.where(credit, pos, -1), day, np.abs(amt))
        self.charges = _Running(np.where(charge, pos, -1), day, np.abs(amt))
        self.write_offs = _Running(np.where(wo, pos, -1), day, np.abs(amt))
        self.has_write_offs = bool(wo.any())


def referred_invoices(ledger: Ledger, quarter, *, lookback_months: int = 12) -> pd.DataFrame:
    """The invoices referred to an agency or to legal in the year, one row per invoice and stage, with what
    was owed at referral and recovered since (see the module's conventions).

    Example: an agency row on 07-15 names R1 (1,000, due 03-31, unpaid); R4 (due 08-14) is not yet due and
    does not count even though the customer owes it; 600 paid to R1 on 08-10 → owed 1,000, recovered 600
    (60 %), open 400.
    Columns: customer_id, invoice_id, stage, referred, named (the row named the invoice), due_date, owed,
    payments, credits, charges (after the referral), recovered, written_off, open_now, in_quarter
    (referred in the quarter). Sorted by stage, referral date.
    """
    start, end = quarter_bounds(quarter)
    e_day = _day(end)
    lo = _year_start(end, lookback_months)
    a = _activities(ledger, end, list(STAGES))
    a = a[a["date"] >= lo]
    inv = ledger.invoices
    if a.empty or inv.empty:
        return _empty_referred()
    p = prepared(ledger)
    b = _book(ledger)
    adj = _Adjustments(ledger)
    day_a = _day_numbers(a["date"])
    named = a["invoice_id"].notna().to_numpy()
    pos_n = invoice_positions(inv, a.loc[named, ["customer_id", "invoice_id"]]) if named.any() else np.zeros(0, dtype="int64")
    rows = [pd.DataFrame({"pos": pos_n, "stage": a.loc[named, "action"].to_numpy(), "day": day_a[named], "named": True})]
    if (~named).any():
        # a row naming no invoice refers the customer's invoices past due that day (balance checked below)
        q = pd.DataFrame({"cc": _customer_codes(ledger, a.loc[~named, "customer_id"]), "stage": a.loc[~named, "action"].to_numpy(), "day": day_a[~named]})
        invs = pd.DataFrame({"cc": b.inv_cc, "pos": np.arange(len(inv))})[p.inv_cents > 0]
        j = q.merge(invs, on="cc")
        j = j[(p.inv_date[j["pos"].to_numpy()] <= j["day"].to_numpy()) & (p.inv_due[j["pos"].to_numpy()] < j["day"].to_numpy())]
        rows.append(pd.DataFrame({"pos": j["pos"].to_numpy(), "stage": j["stage"].to_numpy(), "day": j["day"].to_numpy(), "named": False}))
    r = pd.concat(rows, ignore_index=True)
    r = r[r["pos"] >= 0]
    # the first referral of each invoice at each stage (a named row wins a tie)
    r = r.sort_values(["pos", "stage", "day", "named"], ascending=[True, True, True, False], kind="stable").drop_duplicates(["pos", "stage"], keep="first")
    pos, day = r["pos"].to_numpy(dtype="int64"), r["day"].to_numpy(dtype="int64")
    past_due = (p.inv_cents[pos] > 0) & (p.inv_due[pos] < day) & (p.inv_date[pos] <= day)
    bal = _balance(ledger, pos, day) - adj.credits.upto(pos, day) + adj.charges.upto(pos, day) - adj.write_offs.upto(pos, day)
    keep = past_due & (bal > 0)
    r, pos, day, owed = r[keep], pos[keep], day[keep], bal[keep]
    if not len(r):
        return _empty_referred()
    ends = np.full(len(pos), e_day)
    paid = b.applied.between(pos, day + 1, ends)
    credits = adj.credits.between(pos, day + 1, ends)
    charges = adj.charges.between(pos, day + 1, ends)
    recovered = np.clip(paid + credits - charges, 0, owed)
    if adj.has_write_offs:
        wo = adj.write_offs.between(pos, day + 1, ends)
    else:
        w = write_offs(ledger, end)
        w = w[w["invoice_id"].notna()]
        wo = np.zeros(len(pos), dtype="int64")
        if len(w):
            wpos = invoice_positions(inv, w[["customer_id", "invoice_id"]])
            wk = pd.DataFrame({"pos": wpos, "wday": _day_numbers(w["date"]), "wc": cents(w["amount"])})
            m = pd.DataFrame({"pos": pos, "_r": np.arange(len(pos)), "day": day}).merge(wk, on="pos")
            m = m[m["wday"] >= m["day"]]
            wo = np.bincount(m["_r"].to_numpy(), weights=m["wc"].to_numpy(dtype="float64"), minlength=len(pos)).round().astype("int64")
    wo = np.minimum(wo, owed - recovered)
    out = pd.DataFrame(
        {
            "customer_id": inv["customer_id"].astype("str").to_numpy()[pos],
            "invoice_id": inv["invoice_id"].astype("str").to_numpy()[pos],
            "stage": r["stage"].astype("str").to_numpy(),
            "referred": _dates(day),
            "named": r["named"].to_numpy(dtype=bool),
            "due_date": _dates(p.inv_due[pos]),
            "owed": owed / 100.0,
            "payments": paid / 100.0,
            "credits": credits / 100.0,
            "charges": charges / 100.0,
            "recovered": recovered / 100.0,
            "written_off": wo / 100.0,
            "open_now": (owed - recovered - wo) / 100.0,
            "in_quarter": day >= _day(start),
        }
    )
    order = {s: i for i, s in enumerate(STAGES)}
    out = out.assign(_o=out["stage"].map(order)).sort_values(["_o", "referred", "customer_id", "invoice_id"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)[_REF_COLS]


def _empty_referred() -> pd.DataFrame:
    dt = {"referred": "datetime64[ns]", "due_date": "datetime64[ns]", "named": "bool", "in_quarter": "bool"}
    return pd.DataFrame({c: pd.Series(dtype=dt.get(c, "float64" if c in ("owed", "payments", "credits", "charges", "recovered", "written_off", "open_now") else "str")) for c in _REF_COLS})


def first_referrals(referred: pd.DataFrame) -> pd.DataFrame:
    """Each invoice of :func:`referred_invoices` once, at its first referral (agency before legal on the same
    day) — what "all referrals" totals are taken over."""
    order = {s: i for i, s in enumerate(STAGES)}
    r = referred.assign(_o=referred["stage"].map(order)).sort_values(["customer_id", "invoice_id", "referred", "_o"], kind="stable")
    return r.drop_duplicates(["customer_id", "invoice_id"], keep="first").drop(columns="_o").reset_index(drop=True)


def referral_recovery(referred: pd.DataFrame) -> pd.DataFrame:
    """Recovery per stage from :func:`referred_invoices`: one row for ``agency``, one for ``legal`` (when
    referred there) and ``All referrals`` (:data:`ALL`: each invoice once, :func:`first_referrals`): customers,
    invoices, owed, recovered, pct_recovered = Σ recovered ÷ Σ owed × 100 (money summed in cents),
    written_off, open_now, in_quarter (invoices referred in the quarter).
    Example: agency owed 1,300 recovered 600 → 46.2 %."""
    cols = ["stage", "customers", "invoices", "owed", "recovered", "pct_recovered", "written_off", "open_now", "in_quarter"]
    rows = []
    groups = [(s, referred[referred["stage"] == s]) for s in STAGES] + [(ALL, first_referrals(referred))]
    for name, g in groups:
        if not len(g):
            continue
        owed, rec = int(cents(g["owed"]).sum()), int(cents(g["recovered"]).sum())
        rows.append(
            {
                "stage": name,
                "customers": int(g["customer_id"].nunique()),
                "invoices": int(len(g)),
                "owed": owed / 100.0,
                "recovered": rec / 100.0,
                "pct_recovered": rec / owed * 100.0 if owed > 0 else np.nan,
                "written_off": int(cents(g["written_off"]).sum()) / 100.0,
                "open_now": int(cents(g["open_now"]).sum()) / 100.0,
                "in_quarter": int(g["in_quarter"].sum()),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def referrals(ledger: Ledger, quarter, *, lookback_months: int = 12, referred: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers referred to a collection agency or to legal in the year, and what was recovered since, on
    the invoices referred (:func:`referred_invoices`, each invoice once from its first referral).

    referred = the customer's first referral date; agency_date, legal_date: its first of each stage
    (among the referrals that named or covered an invoice past due); stage = "agency", "legal" or "agency
    and legal"; invoices, owed, recovered, written_off, open_now = sums over its referred invoices;
    pct_recovered = recovered ÷ owed × 100; in_quarter: first referred in the quarter.
    Example: owed 1,300 on R1 (1,000) and R2 (300) at the agency referral; 600 paid to R1 after it →
    recovered 600.00, 46.15 %.
    Columns: customer_id, customer_name, referred, stage, agency_date, legal_date, in_quarter, invoices,
    owed, recovered, pct_recovered, open_now, written_off. Largest owed first.
    """
    start, _ = quarter_bounds(quarter)
    ref = referred if referred is not None else referred_invoices(ledger, quarter, lookback_months=lookback_months)
    cols = ["customer_id", "customer_name", "referred", "stage", "agency_date", "legal_date", "in_quarter", "invoices", "owed", "recovered", "pct_recovered", "open_now", "written_off"]
    if ref.empty:
        dt = {"referred": "datetime64[ns]", "agency_date": "datetime64[ns]", "legal_date": "datetime64[ns]", "in_quarter": "bool", "invoices": "int64"}
        return pd.DataFrame({c: pd.Series(dtype=dt.get(c, "float64" if c in ("owed", "recovered", "pct_recovered", "open_now", "written_off") else "str")) for c in cols})
    dates = ref.pivot_table(index="customer_id", columns="stage", values="referred", aggfunc="min")
    first = first_referrals(ref)
    c = first.assign(_owed=cents(first["owed"]), _rec=cents(first["recovered"]), _wo=cents(first["written_off"]), _open=cents(first["open_now"]))
    g = c.groupby("customer_id").agg(referred=("referred", "min"), invoices=("invoice_id", "size"), _owed=("_owed", "sum"), _rec=("_rec", "sum"), _wo=("_wo", "sum"), _open=("_open", "sum"))
    g["agency_date"] = dates["agency"] if "agency" in dates else pd.NaT
    g["legal_date"] = dates["legal"] if "legal" in dates else pd.NaT
    g["stage"] = np.select([g["agency_date"].notna() & g["legal_date"].notna(), g["legal_date"].notna()], ["agency and legal", "legal"], default="agency")
    g["owed"] = g["_owed"] / 100.0
    g["recovered"] = g["_rec"] / 100.0
    g["pct_recovered"] = np.where(g["_owed"] > 0, g["_rec"] / g["_owed"].where(g["_owed"] > 0, 1) * 100.0, np.nan)
    g["written_off"] = g["_wo"] / 100.0
    g["open_now"] = g["_open"] / 100.0
    g["in_quarter"] = (g["referred"] >= start).to_numpy()
    g = g.reset_index()
    g["customer_id"] = g["customer_id"].astype("str")
    g["customer_name"] = customer_names(ledger, g["customer_id"]).to_numpy()
    g["invoices"] = g["invoices"].astype("int64")
    return g.sort_values(["owed", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)[cols]


def section_referrals(r: PolicyReview) -> list:
    """The invoices referred to an agency or to legal in the year, and what was recovered on them since,
    per stage and per customer."""
    out = []
    refs = r.referrals
    r.book.add("referrals", refs)
    if refs.empty:
        out.append(Markdown("No invoice past due was referred to an agency or to legal in the year."))
        return out
    stages = r.referral_recovery
    r.book.add("referral recovery", stages)
    r.book.add("referred invoices", r.referred_invoices)
    tot = stages[stages["stage"] == ALL].iloc[0]
    q = refs[refs["in_quarter"]]
    out.append(
        Markdown(
            f"**{int(tot['invoices'])} past-due invoices of {int(tot['customers'])} customers** were referred to an agency or to legal in the year ({len(q)} customers first in {esc(r.label)}). "
            f"They owed **{tot['owed']:,.2f}** at referral; **{tot['recovered']:,.2f} ({tot['pct_recovered']:.1f} %)** has been recovered on them since, and {tot['written_off']:,.2f} written off. "
            "Only the invoices the referral named (or, for a referral naming none, the customer's invoices then past due) count; invoices not yet due and the customer's later purchases do not."
        )
    )
    shown_s = stages.rename(columns={"stage": "Stage", "customers": "Customers", "invoices": "Invoices", "owed": "Owed at referral", "recovered": "Recovered since", "pct_recovered": "Recovered (%)", "written_off": "Written off", "open_now": "Still open", "in_quarter": "Referred in the quarter"})
    out.append(table(shown_s, money=["Owed at referral", "Recovered since", "Written off", "Still open"], pct=["Recovered (%)"], caption="Recovery by stage, on the invoices referred (an invoice sent to the agency and then to legal counts in each stage from its own date, once in all referrals)"))
    shown = refs[["customer_id", "customer_name", "stage", "referred", "invoices", "owed", "recovered", "pct_recovered", "open_now", "written_off"]].copy()
    shown["referred"] = shown["referred"].dt.strftime("%Y-%m-%d")
    out.append(table(shown.rename(columns={"customer_id": "Customer", "customer_name": "Name", "stage": "Referred to", "referred": "Referred", "invoices": "Invoices referred", "owed": "Owed at referral", "recovered": "Recovered since", "pct_recovered": "Recovered (%)", "open_now": "Still open", "written_off": "Written off"}), money=["Owed at referral", "Recovered since", "Still open", "Written off"], pct=["Recovered (%)"], max_rows=30))
    return out
