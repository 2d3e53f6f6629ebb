"""What the ledger itself says about the assumptions of the programs file: measured where the ledger holds the
evidence, labelled as assumed where it does not.

- **Recovery of balances past due**, with and without a payment plan (:func:`measured_recovery`): of the
  balances that reached a plan's ``min_days_past_due`` days past due early enough to be followed for
  ``horizon_months``, the share paid within that time. It replaces the payment plan's
  ``recovery_without_plan`` and ``recovery_with_plan`` when enough balances were followed.
- **Take-up of the ledger's own early-pay terms** (such as 2/10 Net 30; :func:`early_pay_history`): the
  share of the eligible amount that took the discount. It sets the take-up of an early-pay discount program
  in the measured scenario.
- **Customers already offered a discount** (:func:`offered_customers`): customers whose invoices carry
  early-pay terms either take it already or decline it; neither is "movable" by a new discount.

:func:`calibrate` gathers them; :func:`assumption_table` lists every assumption with its value and source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import Ledger

#: Fewer followed balances than this in a group: the recovery is not measured and the assumption stands.
MIN_BALANCES = 20
#: Fewer eligible early-pay invoices than this: take-up is not measured.
MIN_ELIGIBLE = 20


def measured_recovery(ledger: Ledger, as_of, *, min_days_past_due: int = 60, horizon_months: int = 6, months: int = 12) -> pd.DataFrame:
    """How much of the balances that went ``min_days_past_due`` days past due was recovered within
    ``horizon_months``, with and without a payment plan.

    Followed balances: each invoice (amount > 0) whose crossing day X = due_date + min_days_past_due falls
    in the ``months`` months ending ``horizon_months`` before ``as_of`` (so every one has its full horizon
    observed), with a positive balance at the end of X (amount − payments applied dated ≤ X).
    recovered = the payments applied to it dated in (X, X + horizon_months], at most the balance.
    With a plan: the customer had a payment plan (:func:`arkit.review.plans.plans_in_force` at as_of)
    running during (X, X + horizon] — agreed on or before X + horizon, last installment due on or after X.
    One row per group — "without a plan", "with a plan", "all" — with invoices, customers, balance,
    recovered and pct_recovered = Σ recovered ÷ Σ balance × 100 (money summed in cents); first_crossing,
    last_crossing bound the crossing days. Example: 1,000 open on its 60th day past due, 800 paid within 6
    months → 80 %.
    """
    from .._prep import day_number, prepared
    from ..review.plans import plans_in_force

    as_of = pd.Timestamp(as_of).normalize()
    p = prepared(ledger)
    hi_ts = (as_of - pd.DateOffset(months=horizon_months)).normalize()
    lo_ts = (hi_ts - pd.DateOffset(months=months)).normalize()
    X = p.inv_due + int(min_days_past_due)
    cand = np.flatnonzero((p.inv_cents > 0) & (X > day_number(lo_ts)) & (X <= day_number(hi_ts)))
    cols = ["group", "invoices", "customers", "balance", "recovered", "pct_recovered", "first_crossing", "last_crossing"]
    if len(cand) == 0:
        return pd.DataFrame({c: pd.Series(dtype="str" if c == "group" else "datetime64[ns]" if "crossing" in c else "float64") for c in cols})
    Xc = X[cand]
    Xc_ts = pd.to_datetime(Xc, unit="D")
    H = np.asarray(((Xc_ts + pd.DateOffset(months=horizon_months)) - pd.Timestamp("1970-01-01")).days, dtype="int64")
    # payments applied to the candidates: Σ dated ≤ X and Σ dated ≤ X + horizon
    applied = p.pay_inv >= 0
    pi, pdts, pc = p.pay_inv[applied], p.pay_date[applied], p.pay_cents[applied]
    slot = np.full(len(p.inv_cents), -1, dtype="int64")
    slot[cand] = np.arange(len(cand))
    s = slot[pi]
    m = s >= 0
    s, pdts, pc = s[m], pdts[m], pc[m]
    before = np.bincount(s[pdts <= Xc[s]], weights=pc[pdts <= Xc[s]], minlength=len(cand))
    within = (pdts > Xc[s]) & (pdts <= H[s])
    after = np.bincount(s[within], weights=pc[within], minlength=len(cand))
    bal = p.inv_cents[cand] - np.rint(before).astype("int64")
    ok = bal > 0
    cand, Xc, H, bal, after = cand[ok], Xc[ok], H[ok], bal[ok], np.rint(after[ok]).astype("int64")
    rec = np.minimum(np.maximum(after, 0), bal)
    cust = ledger.invoices["customer_id"].astype("str").to_numpy()[cand]
    with_plan = np.zeros(len(cand), dtype=bool)
    if len(cand) and len(ledger.activities) and (ledger.activities["action"] == "payment_plan").any():
        plans = plans_in_force(ledger, as_of)
        if len(plans):
            q = pd.DataFrame({"customer_id": cust, "_r": np.arange(len(cand)), "X": Xc, "H": H})
            pl = pd.DataFrame({"customer_id": plans["customer_id"].astype("str").to_numpy(), "agreed": day_number_series(plans["agreed_date"]), "last": day_number_series(plans["last_due"])})
            j = q.merge(pl, on="customer_id")
            hit = (j["agreed"] <= j["H"]) & (j["last"] >= j["X"])
            with_plan[j.loc[hit, "_r"].to_numpy()] = True
    rows = []
    for name, mask in (("without a plan", ~with_plan), ("with a plan", with_plan), ("all", np.ones(len(cand), dtype=bool))):
        b, r_ = int(bal[mask].sum()), int(rec[mask].sum())
        rows.append(
            {
                "group": name,
                "invoices": int(mask.sum()),
                "customers": int(len(set(cust[mask]))),
                "balance": b / 100.0,
                "recovered": r_ / 100.0,
                "pct_recovered": r_ / b * 100.0 if b > 0 else np.nan,
                "first_crossing": pd.Timestamp(lo_ts + pd.Timedelta(days=1)),
                "last_crossing": pd.Timestamp(hi_ts),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def day_number_series(values) -> np.ndarray:
    s = pd.to_datetime(pd.Series(values), errors="coerce")
    return ((s - pd.Timestamp("1970-01-01")).dt.days).fillna(-(1 << 40)).to_numpy(dtype="int64")


def early_pay_history(ledger: Ledger, as_of, *, lookback_months: int = 12) -> pd.DataFrame:
    """The early-pay invoices of the lookback — dated in (as_of − lookback_months, as_of], discount window
    closed — with whether they took the discount: :func:`arkit.review.policy_review.early_pay_take_up`
    (one definition of take-up for both reports)."""
    from ..review.policy_review.incentives_in_use import early_pay_take_up

    as_of = pd.Timestamp(as_of).normalize()
    start = (as_of - pd.DateOffset(months=lookback_months)).normalize() + pd.Timedelta(days=1)
    return early_pay_take_up(ledger, start, as_of)


def offered_customers(history: pd.DataFrame) -> pd.DataFrame:
    """Customers already offered an early-pay discount (from :func:`early_pay_history`): status "takes it"
    when they took it on at least one eligible invoice, else "declines it"; with eligible invoices, taken
    and the share of their eligible amount taken (%). Neither group is movable by a new discount: one
    already has it, the other has turned it down."""
    cols = ["customer_id", "status", "eligible", "taken", "pct_amount_taken"]
    if history.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("eligible", "taken") else "float64" if c == "pct_amount_taken" else "str") for c in cols})
    h = history.assign(_ta=np.where(history["taken"], history["amount"], 0.0))
    g = h.groupby("customer_id").agg(eligible=("taken", "size"), taken=("taken", "sum"), amt=("amount", "sum"), ta=("_ta", "sum"))
    g["pct_amount_taken"] = np.where(g["amt"] > 0, g["ta"] / g["amt"].where(g["amt"] > 0, 1.0) * 100.0, np.nan)
    g["status"] = np.where(g["taken"] > 0, "takes it", "declines it")
    g["taken"] = g["taken"].astype("int64")
    return g.reset_index()[cols]


@dataclass
class Calibration:
    """What :func:`calibrate` measured. ``recovery`` per payment-plan program name (a
    :func:`measured_recovery` frame); ``early_pay`` the early-pay history and its take-up by amount
    (``take_up_share``, a fraction, NaN when not measured) on ``terms``; ``offered`` the customers already
    offered a discount; ``horizon_months`` of the recovery."""

    as_of: pd.Timestamp
    recovery: dict = field(default_factory=dict)
    early_pay: pd.DataFrame = field(default_factory=pd.DataFrame)
    take_up_share: float = float("nan")
    terms: str = ""
    eligible_invoices: int = 0
    offered: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizon_months: int = 6

    def recovery_rates(self, program: dict) -> dict:
        """The payment plan's recovery without and with a plan: measured (fractions) where at least
        :data:`MIN_BALANCES` balances were followed in the group, else the programs file's; with the source
        of each. ``extra`` = max(with − without, 0): a plan is never credited with recovering less (customers
        who take plans are worse risks, so a lower rate with plans is not evidence that plans hurt)."""
        rec = self.recovery.get(program["name"])
        out = {}
        for key, group in (("recovery_without_plan", "without a plan"), ("recovery_with_plan", "with a plan")):
            row = rec[rec["group"] == group] if rec is not None and len(rec) else pd.DataFrame()
            if len(row) and int(row["invoices"].iloc[0]) >= MIN_BALANCES and np.isfinite(row["pct_recovered"].iloc[0]):
                r = row.iloc[0]
                out[key] = float(r["pct_recovered"]) / 100.0
                out[key + "_source"] = (
                    f"measured: {r['pct_recovered']:.1f} % of {int(r['invoices']):,} balances {program['min_days_past_due']}+ days past due {group} "
                    f"(crossing {r['first_crossing']:%d %b %Y} – {r['last_crossing']:%d %b %Y}) were recovered within {self.horizon_months} months"
                )
                out[key + "_measured"] = True
            else:
                n = int(row["invoices"].iloc[0]) if len(row) else 0
                out[key] = float(program[key])
                out[key + "_source"] = f"assumed: config/programs.yaml ({n} balances {group} followed on the ledger, fewer than {MIN_BALANCES})"
                out[key + "_measured"] = False
        out["extra"] = max(out["recovery_with_plan"] - out["recovery_without_plan"], 0.0)
        return out


def calibrate(ledger: Ledger, as_of, *, programs: dict, horizon_months: int = 6) -> Calibration:
    """Measure on the ledger every assumption of ``programs`` it can: recovery with and without a plan for
    each payment-plan program (:func:`measured_recovery` at its ``min_days_past_due``), the take-up of the
    ledger's own early-pay terms by amount (:func:`early_pay_history`, most used terms first; measured with
    at least :data:`MIN_ELIGIBLE` eligible invoices) and the customers already offered a discount
    (:func:`offered_customers`)."""
    as_of = pd.Timestamp(as_of).normalize()
    lb = programs["assumptions"]["lookback_months"]
    rec = {}
    for prog in programs["programs"]:
        if prog["type"] == "payment_plan":
            rec[prog["name"]] = measured_recovery(ledger, as_of, min_days_past_due=prog["min_days_past_due"], horizon_months=horizon_months, months=lb)
    hist = early_pay_history(ledger, as_of, lookback_months=lb)
    share, terms, n = float("nan"), "", len(hist)
    if len(hist) >= MIN_ELIGIBLE:
        top = hist["terms"].value_counts().index[0]
        h = hist[hist["terms"] == top]
        amt = float(h["amount"].sum())
        share = float(h.loc[h["taken"], "amount"].sum()) / amt if amt > 0 else float("nan")
        terms = str(top)
        n = len(h)  # the invoices the share is measured on
    return Calibration(as_of=as_of, recovery=rec, early_pay=hist, take_up_share=share, terms=terms, eligible_invoices=int(n), offered=offered_customers(hist), horizon_months=horizon_months)


def assumption_table(cal: Calibration, programs: dict, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every assumption the programs rest on, with the value assumed in the programs file, the value measured
    on the ledger (when it can be) and the source of the value used. Columns: assumption, program, assumed,
    measured, source (text: "measured: …" or "assumed: config/programs.yaml …"); values carry their unit in
    words ("55.0 % of balances", "9.0 % a year") so the table reads as text."""
    a = programs["assumptions"]
    sp = a["take_up"]["shift_probability"]
    rows = []
    off = cal.offered
    for prog in programs["programs"]:
        t = prog["type"]
        if t == "payment_plan":
            rr = cal.recovery_rates(prog)
            for key, label in (("recovery_without_plan", "Recovery without a plan"), ("recovery_with_plan", "Recovery with a plan")):
                rows.append({"assumption": label, "program": prog["name"], "assumed": f"{prog[key] * 100:.1f} % of balances", "measured": f"{rr[key] * 100:.1f} % of balances" if rr[key + "_measured"] else "not measured", "source": rr[key + "_source"]})
            lv = (prog.get("take_up") or {}).get("shift_probability", sp)
            rows.append({"assumption": "Share of eligible balances accepting a plan", "program": prog["name"], "assumed": f"{lv['low'] * 100:.1f} / {lv['base'] * 100:.1f} / {lv['high'] * 100:.1f} %", "measured": "not measured", "source": "assumed: config/programs.yaml (the ledger records plans agreed, not plans offered)"})
        elif t == "early_pay_discount":
            lv = (prog.get("take_up") or {}).get("shift_probability", sp)
            meas = f"{cal.take_up_share * 100:.1f} % of the eligible amount" if np.isfinite(cal.take_up_share) else "not measured"
            src = (
                f"measured: the ledger's own '{cal.terms}' terms were taken on {cal.take_up_share * 100:.1f} % of the eligible amount ({cal.eligible_invoices:,} invoices in the lookback); the measured scenario prices the program at that take-up"
                if np.isfinite(cal.take_up_share)
                else f"assumed: config/programs.yaml (fewer than {MIN_ELIGIBLE} invoices on early-pay terms to measure)"
            )
            rows.append({"assumption": "Take-up (shift probability low / base / high)", "program": prog["name"], "assumed": f"{lv['low'] * 100:.1f} / {lv['base'] * 100:.1f} / {lv['high'] * 100:.1f} %", "measured": meas, "source": src})
            if len(off):
                k, d = int((off["status"] == "takes it").sum()), int((off["status"] == "declines it").sum())
                rows.append({"assumption": "Customers already offered a discount", "program": prog["name"], "assumed": "none", "measured": f"{k} take it, {d} decline it", "source": "measured: customers on early-pay terms in the lookback; not counted as movable"})
        else:
            lv = (prog.get("take_up") or {}).get("shift_probability", sp)
            rows.append({"assumption": "Take-up (shift probability low / base / high)", "program": prog["name"], "assumed": f"{lv['low'] * 100:.1f} / {lv['base'] * 100:.1f} / {lv['high'] * 100:.1f} %", "measured": "not measured", "source": "assumed: config/programs.yaml (the ledger has no such program to measure)"})
        if t == "late_fee":
            rows.append({"assumption": "Share of fees collected", "program": prog["name"], "assumed": f"{prog['collection_rate'] * 100:.1f} % of fees charged", "measured": "not measured", "source": "assumed: config/programs.yaml"})
    rows.append({"assumption": "Cost of capital", "program": "all", "assumed": f"{a['cost_of_capital'] * 100:.1f} % a year", "measured": "not measured", "source": "assumed: config/programs.yaml"})
    rows.append({"assumption": "Bad debt a year of receivables outstanding", "program": "all", "assumed": f"{a['bad_debt']['annual_loss_rate'] * 100:.1f} % a year", "measured": "not measured", "source": "assumed: config/programs.yaml"})
    rows.append({"assumption": "Reach beyond the window (movable payers)", "program": "all", "assumed": f"{a['take_up']['reach_days']} days", "measured": "not measured", "source": "assumed: config/programs.yaml"})
    return pd.DataFrame(rows, columns=["assumption", "program", "assumed", "measured", "source"])
