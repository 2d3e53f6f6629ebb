"""Payment plans: draft an installment schedule, and follow the plans recorded in the collections log.

A plan in the activities table is one ``payment_plan`` row per installment (see docs/data-model.md):
``date`` = the day the plan was agreed, ``promised_date`` = the installment's due date, ``promised_amount``
= its amount, ``outcome`` = ``installment k/n``. A plan is judged on the invoices it covers: those its rows
name, else the customer's invoices open and past due on the agreement day; its money is the payments
applied to them from the agreement day on, plus the customer's unapplied cash in that time (not applied to
another invoice). A payment to an invoice the plan does not cover is not plan money.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._prep import cents_between, day_number, days, invoice_positions, prepared
from ..aging import _as_of, customer_names, open_cents_at
from ..model import Ledger, cents

__all__ = ["payment_plan", "plans_in_force", "plan_compliance", "PLAN_COLUMNS", "STATUSES"]

_STEP_DAYS = {"weekly": 7, "biweekly": 14}

STATUSES = ("on track", "behind", "broken", "completed")

PLAN_COLUMNS = [
    "customer_id",
    "customer_name",
    "agreed_date",
    "installments",
    "amount",
    "first_due",
    "last_due",
    "due_to_date",
    "amount_due_to_date",
    "kept",
    "missed",
    "pending",
    "paid_to_date",
    "status",
    "invoices_covered",
    "invoices_open",
]


# --------------------------------------------------------------------------------------------- schedule


def payment_plan(balance, installments, start, *, fee=0.0, interval: str = "monthly") -> pd.DataFrame:
    """Draft a schedule paying ``balance`` + ``fee`` in ``installments`` equal installments.

    amount: total = balance + fee in cents; each installment = ⌊total ÷ n⌋ cents and the last one gets the
    remainder as well, so Σ amounts = balance + fee exactly and no installment is larger than the last.
    due_date: installment k (1..n) is due ``start + DateOffset(months=k−1)`` for ``"monthly"`` (month-end
    aware: 2026-01-31 → 2026-02-28 → 2026-03-31, always counted from ``start`` so a short month does not
    shift later dates), or ``start + 7·(k−1)`` / ``14·(k−1)`` days for ``"weekly"`` / ``"biweekly"``.
    cumulative: Σ amounts up to and including the installment.

    Example: 1,000.00 in 3 monthly from 2026-01-31 → 333.33 (01-31), 333.33 (02-28), 333.34 (03-31).
    Columns: installment (1..n), due_date, amount, cumulative (currency units).
    """
    b, n_, f = _number(balance), _number(installments), _number(fee)
    if b is None or b <= 0:
        raise ValueError(f"balance must be a positive amount, not {balance!r}")
    if n_ is None or n_ < 1 or n_ != int(n_):
        raise ValueError(f"installments must be a whole number ≥ 1, not {installments!r}")
    if f is None or f < 0:
        raise ValueError(f"fee must be an amount ≥ 0, not {fee!r}")
    if interval not in ("monthly", *_STEP_DAYS):
        raise ValueError(f"interval must be 'monthly', 'weekly' or 'biweekly', not {interval!r}")
    try:
        start = _as_of(start)
    except ValueError:
        raise ValueError(f"start must be a date such as 2026-01-31, not {start!r}") from None
    n = int(n_)
    balance, fee = b, f
    total = int(cents([balance])[0] + cents([fee])[0])
    if total < n:
        raise ValueError(f"balance + fee of {total / 100:,.2f} is too small for {n} installments of at least 0.01")
    each = total // n
    amt = np.full(n, each, dtype="int64")
    amt[-1] = total - each * (n - 1)
    if interval == "monthly":
        due = pd.DatetimeIndex([start + pd.DateOffset(months=k) for k in range(n)])
    else:
        due = start + pd.to_timedelta(np.arange(n) * _STEP_DAYS[interval], unit="D")
    return pd.DataFrame(
        {
            "installment": np.arange(1, n + 1, dtype="int64"),
            "due_date": pd.DatetimeIndex(due).astype("datetime64[ns]"),
            "amount": amt / 100.0,
            "cumulative": np.cumsum(amt) / 100.0,
        }
    )


def _number(x) -> float | None:
    """``x`` as a finite float (ints, floats, numpy numbers, Decimal), else None (text and bools are refused)."""
    if isinstance(x, (bool, np.bool_, str, bytes)):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


# --------------------------------------------------------------------------------------------- plans in the log


def _installments(ledger: Ledger, as_of_day: int) -> pd.DataFrame:
    """One row per plan installment agreed on or before as_of, in plan order, with cents and day numbers.

    Plan = (customer_id, date). Order within a plan: k of ``installment k/n`` where given, then
    promised_date. Rows without a promised_date or promised_amount cannot be followed and are left out.
    """
    act = ledger.activities
    cols = ["customer_id", "date", "outcome", "promised_date", "promised_amount", "invoice_id"]
    if act.empty or "promised_date" not in act or "promised_amount" not in act:
        return pd.DataFrame(columns=[*cols, "plan", "k", "agreed", "due", "cents", "cum_cents"])
    a = act.loc[act["action"] == "payment_plan", [c for c in cols if c in act]].copy()
    if "outcome" not in a:
        a["outcome"] = pd.Series(np.nan, index=a.index, dtype="str")
    a = a[a["date"].notna() & a["promised_date"].notna() & a["promised_amount"].notna()]
    a["agreed"] = days(a["date"]) if len(a) else np.array([], dtype="int64")
    a = a[a["agreed"] <= as_of_day]
    k = a["outcome"].astype("str").str.extract(r"(?i)installment\s*(\d+)\s*/\s*\d+", expand=False)
    a["k"] = pd.to_numeric(k, errors="coerce")
    a["due"] = days(a["promised_date"]) if len(a) else np.array([], dtype="int64")
    a["cents"] = cents(a["promised_amount"])
    a["customer_id"] = a["customer_id"].astype("str")
    a = a.sort_values(["customer_id", "agreed", "k", "due"], na_position="last", kind="stable")
    a["plan"] = a.groupby(["customer_id", "agreed"], sort=False).ngroup()
    a["cum_cents"] = a.groupby("plan", sort=False)["cents"].cumsum()
    return a.reset_index(drop=True)


def _paid_between(pay: pd.DataFrame, customer_ids: pd.Series, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Σ payment lines of ``pay`` (signed, in cents) of each customer dated in [lo, hi] (day numbers); 0 if
    hi < lo. Negative lines (credit-note deductions) net against the remittance (:func:`arkit._prep.cents_between`
    over the lines, grouped by customer)."""
    if pay.empty or len(customer_ids) == 0:
        return np.zeros(len(customer_ids), dtype="int64")
    cust = pd.Index(pd.unique(pay["customer_id"].astype("str")))
    codes = cust.get_indexer(pay["customer_id"].astype("str")).astype("int64")
    q = cust.get_indexer(customer_ids.astype("str")).astype("int64")
    return cents_between(codes, days(pay["payment_date"]), cents(pay["amount"]), q, lo, hi)


def _covered(ledger: Ledger, plans: pd.DataFrame, named: pd.DataFrame) -> pd.DataFrame:
    """(plan, inv) pairs: the invoices each plan covers — the invoices its rows name (``named``: plan,
    invoice_id), else the customer's invoices with a positive balance past due on the agreement day."""
    inv = ledger.invoices
    p = prepared(ledger)
    parts = []
    if len(named):
        pos = invoice_positions(inv, named.merge(plans[["plan", "customer_id"]], on="plan"))
        nm = named.merge(plans[["plan", "customer_id"]], on="plan").assign(inv=pos)
        parts.append(nm.loc[nm["inv"] >= 0, ["plan", "inv"]])
    rest = plans[~plans["plan"].isin(named["plan"])] if len(named) else plans
    cust_codes = pd.Index(pd.unique(inv["customer_id"].astype("str")))
    inv_cust = cust_codes.get_indexer(inv["customer_id"].astype("str"))
    for d, grp in rest.groupby("agreed", sort=True):  # one balance pass per distinct agreement day
        oc, issued = open_cents_at(ledger, pd.Timestamp(np.datetime64(int(d), "D")))
        open_past = np.flatnonzero(issued & (oc > 0) & (p.inv_due < int(d)))
        cand = pd.DataFrame({"c": inv_cust[open_past], "inv": open_past})
        g = pd.DataFrame({"plan": grp["plan"].to_numpy(), "c": cust_codes.get_indexer(grp["customer_id"].astype("str"))})
        parts.append(g.merge(cand, on="c")[["plan", "inv"]])
    if not parts:
        return pd.DataFrame({"plan": pd.Series(dtype="int64"), "inv": pd.Series(dtype="int64")})
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def _plan_paid(ledger: Ledger, covered: pd.DataFrame, plan_cust: pd.Series, q_plan: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Plan money of plan ``q_plan[i]`` dated in [lo[i], hi[i]]: payments applied to its covered invoices
    plus the customer's unapplied cash (cents)."""
    from .signals import _invoice_paid_between

    n = len(q_plan)
    out = np.zeros(n, dtype="int64")
    if n == 0:
        return out
    q = pd.DataFrame({"plan": q_plan, "_q": np.arange(n)}).merge(covered, on="plan")
    if len(q):
        qi = q["_q"].to_numpy()
        got = _invoice_paid_between(ledger, q["inv"].to_numpy(dtype="int64"), lo[qi], hi[qi])
        out += np.rint(np.bincount(qi, weights=got, minlength=n)).astype("int64")
    pay = ledger.payments
    loose = pay[pay["invoice_id"].isna()]
    if len(loose):
        out += _paid_between(loose, plan_cust.reindex(q_plan).reset_index(drop=True), lo, hi)
    return out


def plans_in_force(ledger: Ledger, as_of, *, grace_days: int = 5, broken_after: int = 2) -> pd.DataFrame:
    """One row per payment plan agreed on or before ``as_of``, with how its installments went.

    A plan is a customer's ``payment_plan`` rows sharing one ``date`` (the agreement day); its installments
    are ordered by k of ``installment k/n`` where given, else by promised_date (rows lacking a
    promised_date or promised_amount are left out). installments = the rows logged; amount = Σ
    promised_amount; D_j = Σ amounts of installments 1..j.

    Covered invoices: those the plan's rows name, else the customer's invoices with a positive balance past
    due on the agreement day (``invoices_covered``; ``invoices_open`` = how many still have a positive
    balance at as_of). paid(t) = Σ payment lines applied to the covered invoices, plus the customer's
    unapplied cash, dated from the agreement day to min(t, as_of) (negative lines net); a payment to an
    invoice the plan does not cover is not plan money.
    - installment j is **kept** when it is due (promised_date_j ≤ as_of) and paid(promised_date_j +
      grace_days) ≥ D_j: the payments made by its grace deadline cover it and every earlier installment (a
      late payment thus catches up later ones); so kept ≤ due_to_date always;
    - **missed** when not kept and promised_date_j + grace_days ≤ as_of (the deadline has passed);
    - **pending** otherwise: due after as_of (even if already paid ahead), or within its grace days.
    kept + missed + pending = installments. due_to_date counts installments with promised_date ≤ as_of and
    amount_due_to_date is their Σ amount. paid_to_date = paid(as_of) clipped to [0, amount] (payments
    beyond the plan's amount are not plan money).

    status: ``completed`` when paid_to_date = amount **and** every covered invoice is paid (balance ≤ 0 at
    as_of); else ``broken`` when missed ≥ ``broken_after``; ``behind`` when 1 ≤ missed < broken_after;
    else ``on track``.

    Caveat: two plans of one customer covering the same invoices are each measured against the same
    payments.
    Columns: see :data:`PLAN_COLUMNS`; sorted by agreed_date, customer_id. Money in currency units.
    """
    if isinstance(grace_days, bool) or not isinstance(grace_days, (int, np.integer)) or grace_days < 0:
        raise ValueError(f"grace_days must be a whole number of days ≥ 0, not {grace_days!r}")
    if isinstance(broken_after, bool) or not isinstance(broken_after, (int, np.integer)) or broken_after < 1:
        raise ValueError(f"broken_after must be a whole number ≥ 1, not {broken_after!r}")
    as_of = _as_of(as_of)
    today = day_number(as_of)
    inst = _installments(ledger, today)
    if inst.empty:
        return _empty_plans()

    agreed = inst["agreed"].to_numpy(dtype="int64")
    due = inst["due"].to_numpy(dtype="int64")
    deadline = due + int(grace_days)
    heads = inst.drop_duplicates("plan")[["plan", "customer_id", "agreed"]]
    named = inst.loc[inst["invoice_id"].notna(), ["plan", "invoice_id"]].drop_duplicates() if "invoice_id" in inst else inst.iloc[0:0][["plan"]]
    covered = _covered(ledger, heads, named)
    plan_cust = heads.set_index("plan")["customer_id"]
    plan_ids = inst["plan"].to_numpy(dtype="int64")
    paid_by_deadline = _plan_paid(ledger, covered, plan_cust, plan_ids, agreed, np.minimum(deadline, today))
    is_due = due <= today
    kept = is_due & (paid_by_deadline >= inst["cum_cents"].to_numpy())
    missed = ~kept & (deadline <= today)
    pending = ~kept & ~missed
    inst = inst.assign(
        kept=kept.astype("int64"),
        missed=missed.astype("int64"),
        pending=pending.astype("int64"),
        is_due=is_due.astype("int64"),
        due_cents=np.where(is_due, inst["cents"].to_numpy(), 0),
    )
    g = inst.groupby("plan", sort=True)
    plans = pd.DataFrame(
        {
            "customer_id": g["customer_id"].first(),
            "agreed": g["agreed"].first(),
            "installments": g.size(),
            "amount_c": g["cents"].sum(),
            "first_due": g["due"].min(),
            "last_due": g["due"].max(),
            "due_to_date": g["is_due"].sum(),
            "due_c": g["due_cents"].sum(),
            "kept": g["kept"].sum(),
            "missed": g["missed"].sum(),
            "pending": g["pending"].sum(),
        }
    )
    agreed_p = plans["agreed"].to_numpy(dtype="int64")
    pid = plans.index.to_numpy(dtype="int64")
    paid = _plan_paid(ledger, covered, plan_cust, pid, agreed_p, np.full(len(plans), today, dtype="int64"))
    paid = np.clip(paid, 0, plans["amount_c"].to_numpy())
    oc_now, _ = open_cents_at(ledger, as_of)
    cov = covered.assign(open=oc_now[covered["inv"].to_numpy(dtype="int64")] > 0) if len(covered) else covered.assign(open=pd.Series(dtype=bool))
    n_cov = cov.groupby("plan").size().reindex(pid, fill_value=0).to_numpy()
    n_open = cov.groupby("plan")["open"].sum().reindex(pid, fill_value=0).to_numpy()
    missed_n = plans["missed"].to_numpy()
    status = np.select(
        [(paid >= plans["amount_c"].to_numpy()) & (n_open == 0), missed_n >= broken_after, missed_n >= 1],
        ["completed", "broken", "behind"],
        default="on track",
    )

    def dates(d):
        return pd.to_datetime(np.asarray(d, dtype="int64"), unit="D").astype("datetime64[ns]")

    out = pd.DataFrame(
        {
            "customer_id": plans["customer_id"].astype("str").to_numpy(),
            "agreed_date": dates(agreed_p),
            "installments": plans["installments"].to_numpy(dtype="int64"),
            "amount": plans["amount_c"].to_numpy() / 100.0,
            "first_due": dates(plans["first_due"]),
            "last_due": dates(plans["last_due"]),
            "due_to_date": plans["due_to_date"].to_numpy(dtype="int64"),
            "amount_due_to_date": plans["due_c"].to_numpy() / 100.0,
            "kept": plans["kept"].to_numpy(dtype="int64"),
            "missed": missed_n.astype("int64"),
            "pending": plans["pending"].to_numpy(dtype="int64"),
            "paid_to_date": paid / 100.0,
            "status": pd.Series(status, dtype="str").to_numpy(),
            "invoices_covered": n_cov.astype("int64"),
            "invoices_open": n_open.astype("int64"),
        }
    )
    out.insert(1, "customer_name", customer_names(ledger, out["customer_id"]).to_numpy())
    out = out.sort_values(["agreed_date", "customer_id"], kind="stable").reset_index(drop=True)
    out["status"] = out["status"].astype("str")
    return out[PLAN_COLUMNS]


def _empty_plans() -> pd.DataFrame:
    dtypes = {
        "customer_id": "str",
        "customer_name": "str",
        "agreed_date": "datetime64[ns]",
        "installments": "int64",
        "amount": "float64",
        "first_due": "datetime64[ns]",
        "last_due": "datetime64[ns]",
        "due_to_date": "int64",
        "amount_due_to_date": "float64",
        "kept": "int64",
        "missed": "int64",
        "pending": "int64",
        "paid_to_date": "float64",
        "status": "str",
        "invoices_covered": "int64",
        "invoices_open": "int64",
    }
    return pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in PLAN_COLUMNS})


def plan_compliance(plans: pd.DataFrame) -> dict:
    """Totals over a :func:`plans_in_force` frame (or any subset of its rows).

    plans = rows; installments, installments_due (= Σ due_to_date), kept, missed, pending = column sums;
    pct_kept = kept ÷ (kept + missed) × 100 — of the installments already decided (NaN when none);
    amount_promised = Σ amount; amount_due_to_date = Σ amount_due_to_date; collected = Σ paid_to_date
    (each plan's payments, at most its amount); pct_collected = collected ÷ amount_due_to_date × 100 (above
    100 when customers pay ahead; NaN when nothing is due yet); one count per status (``on_track``,
    ``behind``, ``broken``, ``completed``). Money in currency units, summed in cents.
    """
    missing = [c for c in PLAN_COLUMNS if c not in plans.columns]
    if missing:
        raise ValueError(f"plans must be a plans_in_force() result; missing columns: {', '.join(missing)}")
    kept, missed = int(plans["kept"].sum()), int(plans["missed"].sum())
    promised_c = int(cents(plans["amount"]).sum())
    due_c = int(cents(plans["amount_due_to_date"]).sum())
    coll_c = int(cents(plans["paid_to_date"]).sum())
    out = {
        "plans": int(len(plans)),
        "installments": int(plans["installments"].sum()),
        "installments_due": int(plans["due_to_date"].sum()),
        "kept": kept,
        "missed": missed,
        "pending": int(plans["pending"].sum()),
        "pct_kept": kept / (kept + missed) * 100.0 if kept + missed else float("nan"),
        "amount_promised": promised_c / 100.0,
        "amount_due_to_date": due_c / 100.0,
        "collected": coll_c / 100.0,
        "pct_collected": coll_c / due_c * 100.0 if due_c else float("nan"),
    }
    counts = plans["status"].value_counts()
    for s in STATUSES:
        out[s.replace(" ", "_")] = int(counts.get(s, 0))
    return out
