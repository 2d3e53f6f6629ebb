"""The take-up model: which settled invoices are already early, movable or out of reach of a program, and every program figure as a linear function of the shift probability (see the package docstring)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import Ledger
from ..settlements import settlements
from .programs import DAYS_PER_MONTH, _take_up_params, program_window

#: Components of a program, per customer (see :func:`program_components`).
COMPONENTS = ("base", "take_a", "take_m", "cost_a", "cost_m", "rev_a", "rev_m", "days_a", "days_m", "loss_a", "loss_m", "part_a", "part_m")


def late_fee(amount, days_late, *, rate_per_month: float, grace_days: int, cap: float) -> np.ndarray:
    """The late fee charged on each invoice (vectorised).

    ``fee = amount × min(cap, rate_per_month × max(days_late − grace_days, 0) ÷ 30)``: the fee accrues per
    30 days (pro rata by the day) from the end of the grace period and never exceeds ``cap`` × amount.
    Example: 1,000 paid 55 days late, 1.5 % a month after 10 days' grace, cap 10 % → 1,000 × 0.015 × 45 ÷ 30
    = 22.50; paid 400 days late → capped at 100.00; paid 10 days late → 0.
    """
    a = np.asarray(amount, dtype="float64")
    d = np.asarray(days_late, dtype="float64")
    months = np.maximum(d - grace_days, 0.0) / DAYS_PER_MONTH
    return a * np.minimum(cap, rate_per_month * months)


def classify_payments(days, *, window: float, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The behavioural groups of each invoice paid ``days`` after the reference date (vectorised).

    Returns ``(early, movable, days_sooner)``: ``early`` = days ≤ window (already within the window);
    ``movable`` = window < days ≤ window + reach; ``days_sooner`` = days − window for movable invoices (how
    much sooner they are paid if their payer moves them to the window's last day), else 0.
    Example: window 10, reach 20, days (5, 10, 11, 30, 31) → early (T, T, F, F, F), movable
    (F, F, T, T, F), days sooner (0, 0, 1, 20, 0).
    """
    d = np.asarray(days, dtype="float64")
    early = d <= window
    movable = (d > window) & (d <= window + reach)
    return early, movable, np.where(movable, d - window, 0.0)


def carrying_value(amount_days, cost_of_capital):
    """Value of paying sooner at the cost of capital: ``amount_days × cost_of_capital ÷ 365``.

    ``amount_days`` = Σ amount × days sooner (per year). Example: 500,000 amount-days at 9 % → 123.29.
    Broadcasts over arrays.
    """
    return np.asarray(amount_days, dtype="float64") * np.asarray(cost_of_capital, dtype="float64") / 365.0


def dso_change(amount_days, annual_sales):
    """DSO change from paying sooner, in days: ``−amount_days ÷ annual_sales``.

    Average receivables fall by ``amount_days ÷ 365`` and DSO = AR ÷ (sales ÷ 365), so DSO falls by the
    sales-weighted average number of days sooner. Example: 1,200,000 amount-days on 3,650,000 of sales →
    −0.33 days. NaN when sales ≤ 0.
    """
    s = np.asarray(annual_sales, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s > 0, (0.0 - np.asarray(amount_days, dtype="float64")) / np.where(s > 0, s, 1.0), np.nan)


def exposure_loss_change(amount, days_sooner, loss_rate) -> np.ndarray:
    """Change in expected bad debt from paying sooner (negative = less loss), per invoice (vectorised).

    Rule: expected loss accrues on receivables outstanding at an annual rate (the ``bad_debt`` assumption,
    by segment), so paying ``days_sooner`` sooner changes it by ``−amount × loss_rate × days_sooner ÷ 365``.
    Slow payers in riskier segments gain most per day. Example: 10,000 paid 20 days sooner at 4 % → −21.92.
    """
    return -np.asarray(amount, dtype="float64") * np.asarray(loss_rate, dtype="float64") * np.asarray(days_sooner, dtype="float64") / 365.0


def program_figures(totals, *, p, cost_of_capital) -> dict:
    """A program's figures at shift probability ``p`` and a cost of capital, from its components.

    ``totals`` holds the components of :func:`program_components` (summed over customers, or one row each;
    a Series, a mapping, or a frame whose columns are the components) plus ``sales`` (annual sales of those
    customers). With ``x(p) = x_a + p × x_m``:

    - take_up = take(p) (amount), take_up_share = take(p) ÷ base (base = sales; payment plan: eligible
      past-due balances);
    - already_early_share = take_a ÷ take(p) (the share of the take-up that would have paid early anyway);
    - cost = cost(p) (discounts, credits, perks), revenue = rev(p) (fees);
    - cash_accelerated = days(p) (Σ amount × days sooner), ar_freed = days(p) ÷ 365 (average receivables
      released), cash_value = :func:`carrying_value` (days(p), cost_of_capital);
    - dso_change = :func:`dso_change` (days(p), sales); bad_debt_change = loss(p) (negative = less loss);
    - net_benefit = revenue − cost + cash_value − bad_debt_change, per year.

    ``p`` and ``cost_of_capital`` broadcast (``p[:, None]`` and ``coc[None, :]`` give a grid).
    Example: take_a 10,000, take_m 40,000, cost 2 % of take-up, days_m 600,000, p = 0.25, 9 % → take-up
    20,000, cost 400.00, cash value 600,000 × 0.25 × 0.09 ÷ 365 = 36.99, net −363.01.
    """
    t = {k: np.asarray(totals[k], dtype="float64") for k in (*COMPONENTS, "sales")}
    p = np.asarray(p, dtype="float64")
    coc = np.asarray(cost_of_capital, dtype="float64")
    take = t["take_a"] + p * t["take_m"]
    cost = t["cost_a"] + p * t["cost_m"]
    rev = t["rev_a"] + p * t["rev_m"]
    days = t["days_a"] + p * t["days_m"]
    loss = t["loss_a"] + p * t["loss_m"]
    value = carrying_value(days, coc)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(t["base"] > 0, take / np.where(t["base"] > 0, t["base"], 1.0), np.nan)
        early = np.where(take > 0, t["take_a"] / np.where(take > 0, take, 1.0), np.nan)
    return {
        "take_up": take,
        "take_up_share": share,
        "already_early_share": early,
        "participants": t["part_a"] + p * t["part_m"],
        "cost": cost,
        "revenue": rev,
        "cash_accelerated": days,
        "ar_freed": days / 365.0,
        "cash_value": value,
        "dso_change": dso_change(days, t["sales"]),
        "bad_debt_change": loss,
        "net_benefit": rev - cost + value - loss,
    }


def break_even_take_up(totals, *, cost_of_capital: float) -> tuple[float, str]:
    """The take-up share at which a program's net benefit is 0, and what that means in words.

    Net benefit is linear in the shift probability: ``net(p) = n0 + s × p``. Holding the behaviour of the
    movable fixed (each further taker brings the same days sooner, cost and fees per unit as the movable
    do), the break-even is ``p* = −n0 ÷ s`` and the take-up there ``(take_a + p* × take_m) ÷ base``.
    ``p* > 1`` means more take-up than the movable pool gives (still shown while ≤ 100 %).
    Returns ``(share, text)``; share is NaN when there is no break-even:

    - ``s > 0``: pays above the break-even; n0 ≥ 0 → "pays at any take-up";
    - ``s < 0``: pays below it (e.g. a late fee whose payers stop paying the fee); n0 ≤ 0 → "never pays";
    - ``s = 0``: "pays at any take-up" if n0 ≥ 0 else "never pays"; a break-even above 100 % → "never pays
      (would need x % take-up)".
    Example: n0 = −1,000 (already-early cost), s = +4,000 per unit p, take_a 50,000, take_m 200,000, base
    1,000,000 → p* = 0.25, take-up (50,000 + 50,000) ÷ 1,000,000 = 10 %.
    """
    f0 = program_figures(totals, p=0.0, cost_of_capital=cost_of_capital)
    f1 = program_figures(totals, p=1.0, cost_of_capital=cost_of_capital)
    n0, slope = float(f0["net_benefit"]), float(f1["net_benefit"] - f0["net_benefit"])
    base = float(np.asarray(totals["base"], dtype="float64"))
    tol = 1e-9 * max(1.0, abs(n0), abs(slope))
    if abs(slope) <= tol:
        return float("nan"), ("pays at any take-up" if n0 >= 0 else "never pays")
    if slope > 0 and n0 >= 0:
        return float("nan"), "pays at any take-up"
    if slope < 0 and n0 <= 0:
        return float("nan"), "never pays"
    p_star = -n0 / slope
    take = float(totals["take_a"]) + p_star * float(totals["take_m"])
    share = take / base if base > 0 else float("nan")
    if not np.isfinite(share):
        return float("nan"), "never pays"
    if share > 1 + 1e-9:
        return float("nan"), f"never pays (would need {share * 100:.0f} % take-up)"
    return share, (f"pays above {share * 100:.1f} % take-up" if slope > 0 else f"pays below {share * 100:.1f} % take-up")


def annual_sales_by_customer(ledger: Ledger, as_of) -> pd.Series:
    """Gross invoiced sales of each customer in the 12 months to ``as_of``: Σ amount of its invoices (amount
    > 0) dated in ``(as_of − 12 months, as_of]`` — what "annual sales" means everywhere in the comparison
    (never settled amounts scaled up). Index: customer_id."""
    as_of = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    m = (inv["amount"] > 0) & (inv["invoice_date"] <= as_of) & (inv["invoice_date"] > as_of - pd.DateOffset(months=12))
    return inv.loc[m].groupby(inv.loc[m, "customer_id"].astype("str"))["amount"].sum()


def annual_sales(ledger: Ledger, as_of) -> float:
    """Gross invoiced sales of the 12 months to ``as_of``: Σ :func:`annual_sales_by_customer`. Credit notes
    are left out: discounts and fees apply to invoices.
    Example: invoices of 1,000 on 2025-06-30 (out), 2,000 on 2025-07-01 and −300 (a credit) on 2026-01-05
    with as_of 2026-06-30 → 2,000.
    """
    return float(annual_sales_by_customer(ledger, as_of).sum())


def behaviour_sample(ledger: Ledger, as_of, *, lookback_months: int = 12, segments: pd.Series | None = None, loss_rates: dict | None = None) -> pd.DataFrame:
    """The invoices the behaviour is read from: settled in full with ``settled_date`` in
    ``(as_of − lookback_months, as_of]`` (see :func:`arkit.settlements`), credit notes excluded.

    Columns: the settlement columns plus ``next_amount`` (the amount of the customer's next invoice by
    date — the purchase a next-purchase credit would be redeemed on; 0 when there is none up to as_of),
    ``weight`` (amount × k, the invoice's share of a year of sales: ``k = annual_sales ÷ Σ amount``),
    ``segment`` (from ``segments``, a customer_id → segment Series; ``irregular`` when missing) and
    ``loss_rate`` (the annual bad-debt rate of that segment from ``loss_rates``: ``{"annual_loss_rate": r,
    "by_segment": {...}}``).
    """
    as_of = pd.Timestamp(as_of).normalize()
    s = settlements(ledger)
    s = s[(s["settled_date"] <= as_of) & (s["settled_date"] > as_of - pd.DateOffset(months=lookback_months)) & (s["amount"] > 0)].reset_index(drop=True)
    inv = ledger.invoices
    pos = inv[(inv["amount"] > 0) & (inv["invoice_date"] <= as_of)][["customer_id", "invoice_id", "invoice_date", "amount"]]
    pos = pos.sort_values(["customer_id", "invoice_date", "invoice_id"], kind="stable")
    nxt = pos.assign(next_amount=pos.groupby("customer_id")["amount"].shift(-1).fillna(0.0))[["customer_id", "invoice_id", "next_amount"]]
    s = s.merge(nxt, on=["customer_id", "invoice_id"], how="left")
    s["next_amount"] = s["next_amount"].fillna(0.0)
    total = float(s["amount"].sum())
    k = annual_sales(ledger, as_of) / total if total > 0 else 0.0
    s["weight"] = s["amount"] * k
    seg = segments if segments is not None else pd.Series(dtype="str")
    s["segment"] = s["customer_id"].map(seg).fillna("irregular").astype("str")
    rates = loss_rates or {"annual_loss_rate": 0.0, "by_segment": {}}
    by = rates.get("by_segment") or {}
    s["loss_rate"] = s["segment"].map(pd.Series(by, dtype="float64")).fillna(float(rates["annual_loss_rate"])).astype("float64")
    return s


def past_due_flow(ledger: Ledger, as_of, *, min_days_past_due: int, months: int = 12) -> pd.DataFrame:
    """Balances that reached ``min_days_past_due`` days past due during the ``months`` to ``as_of``: what a
    payment-plan offer made at that age would be offered on, per year.

    For each invoice (amount > 0) whose day ``due_date + min_days_past_due`` falls in
    ``(as_of − months, as_of]``: the amount still open that day (amount − payments applied to it dated on or
    before it). Per customer: ``customer_id``, ``eligible`` (Σ open amounts > 0), ``invoices``.
    Example: an invoice of 1,000 due 2026-01-31, 300 paid on 2026-02-15, threshold 60 days → on 2026-04-01
    700 is open and eligible (if that day is within the months to as_of).
    """
    from .._prep import day_number, prepared

    as_of = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    p = prepared(ledger)
    cross = p.inv_due + int(min_days_past_due)
    lo, hi = day_number(as_of - pd.DateOffset(months=months)), day_number(as_of)
    applied = p.pay_inv >= 0
    pi = p.pay_inv[applied]
    paid = np.zeros(len(inv), dtype="int64")
    ok = p.pay_date[applied] <= cross[pi] if len(pi) else np.zeros(0, bool)
    np.add.at(paid, pi[ok], p.pay_cents[applied][ok])
    open_c = p.inv_cents - paid
    m = (p.inv_cents > 0) & (cross > lo) & (cross <= hi) & (open_c > 0)
    df = pd.DataFrame({"customer_id": inv["customer_id"].to_numpy()[m], "eligible": open_c[m] / 100.0})
    return df.groupby("customer_id", sort=True).agg(eligible=("eligible", "sum"), invoices=("eligible", "size")).reset_index()


def program_components(sample: pd.DataFrame, program: dict, *, assumptions: dict, eligible: pd.DataFrame | None = None) -> pd.DataFrame:
    """A program's components per customer: the ``x_a`` part (at shift probability 0) and the ``x_m`` part
    (per unit of shift probability) of every figure, so that ``x(p) = x_a + p × x_m``.

    ``sample`` is :func:`behaviour_sample`; money is annualised through its ``weight`` (w). With
    ``early``/``movable``/``days_sooner`` from :func:`classify_payments` (window, reach) on days to pay
    (late fee: days late):

    - early_pay_discount (rate r): take_a = Σ w·early, take_m = Σ w·movable; cost = r × take;
      days_m = Σ w·days_sooner; loss_m = Σ :func:`exposure_loss_change`.
    - next_purchase_credit (credit c): as the discount, but cost = c × the taker's next purchase
      (Σ c·next_amount·k over early / movable invoices; nothing when the customer has not bought again).
    - perk (cost per participant q): as the discount, but cost = q × participants, a customer counting as
      the share of its sales paid within the window (part_a = Σ_c take_a,c ÷ sales_c; part_m likewise).
    - late_fee: fee_i = :func:`late_fee` on w; revenue rev_a = collection_rate × Σ fee (everyone late pays it
      at p = 0), rev_m = −collection_rate × Σ fee·movable (payers who move avoid it); take_m = Σ w·movable
      (take-up = response: sales paid sooner to avoid the fee), days/loss as above from the grace day.
    - payment_plan: ``eligible`` (:func:`past_due_flow`) per customer E; base = E; take_m = E (p = share
      accepting); rev_m = fee_rate × recovery_with_plan × E (the fee is paid with the installments);
      loss_m = −(recovery_with_plan − recovery_without_plan) × E (the extra recovery is bad debt avoided).
      The timing of the installments is not priced.

    Columns: customer_id, segment, sales (Σ w), customers-level ``base`` (sales; payment plan: E) and the
    :data:`COMPONENTS`.
    """
    kind = program["type"]
    tu = _take_up_params(program, assumptions)
    reach = tu["reach_days"]
    w = sample["weight"].to_numpy(dtype="float64")
    cid = sample["customer_id"]
    cols = {c: np.zeros(len(sample)) for c in COMPONENTS}
    if kind == "payment_plan":
        return _plan_components(sample, program, eligible)
    window = program_window(program)
    basis = sample["days_late"] if kind == "late_fee" else sample["days_to_pay"]
    early, movable, sooner = classify_payments(basis.to_numpy(), window=window, reach=reach)
    loss = exposure_loss_change(w, sooner, sample["loss_rate"].to_numpy(dtype="float64"))
    cols["days_m"] = w * sooner
    cols["loss_m"] = loss
    if kind == "late_fee":
        fee = late_fee(w, sample["days_late"].to_numpy(), rate_per_month=program["rate_per_month"], grace_days=program["grace_days"], cap=program["cap"])
        c = program["collection_rate"]
        cols["rev_a"] = c * fee
        cols["rev_m"] = -c * fee * movable
        cols["take_m"] = w * movable
    else:
        cols["take_a"] = w * early
        cols["take_m"] = w * movable
        if kind == "early_pay_discount":
            cols["cost_a"] = program["rate"] * cols["take_a"]
            cols["cost_m"] = program["rate"] * cols["take_m"]
        elif kind == "next_purchase_credit":
            k = np.divide(w, sample["amount"].to_numpy(dtype="float64"), out=np.zeros(len(w)), where=sample["amount"].to_numpy() != 0)
            nxt = program["credit_rate"] * sample["next_amount"].to_numpy(dtype="float64") * k
            cols["cost_a"] = nxt * early
            cols["cost_m"] = nxt * movable
    df = pd.DataFrame({"customer_id": cid.to_numpy(), "segment": sample["segment"].to_numpy(), "sales": w, **cols})
    out = df.groupby(["customer_id", "segment"], sort=True).sum().reset_index()
    out["base"] = out["sales"]
    if kind == "perk":
        with np.errstate(divide="ignore", invalid="ignore"):
            out["part_a"] = np.where(out["sales"] > 0, out["take_a"] / out["sales"].where(out["sales"] > 0, 1.0), 0.0)
            out["part_m"] = np.where(out["sales"] > 0, out["take_m"] / out["sales"].where(out["sales"] > 0, 1.0), 0.0)
        out["cost_a"] = program["cost_per_participant"] * out["part_a"]
        out["cost_m"] = program["cost_per_participant"] * out["part_m"]
    return out[["customer_id", "segment", "sales", *COMPONENTS]]


def _plan_components(sample: pd.DataFrame, program: dict, eligible: pd.DataFrame | None) -> pd.DataFrame:
    sales = sample.groupby(["customer_id", "segment"], sort=True)["weight"].sum().rename("sales").reset_index()
    seg = dict(zip(sample["customer_id"], sample["segment"]))
    e = eligible if eligible is not None else pd.DataFrame({"customer_id": pd.Series(dtype="str"), "eligible": pd.Series(dtype="float64")})
    e = e[["customer_id", "eligible"]].copy()
    e["segment"] = e["customer_id"].map(seg)
    out = sales.merge(e, on="customer_id", how="outer", suffixes=("", "_e"))
    out["segment"] = out["segment"].fillna(out["segment_e"]).fillna("irregular")
    out = out.drop(columns="segment_e")
    out["sales"] = out["sales"].fillna(0.0)
    E = out["eligible"].fillna(0.0).to_numpy()
    for c in COMPONENTS:
        out[c] = 0.0
    out["base"] = E
    out["take_m"] = E
    out["rev_m"] = program["fee_rate"] * program["recovery_with_plan"] * E
    out["loss_m"] = -(program["recovery_with_plan"] - program["recovery_without_plan"]) * E
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)[["customer_id", "segment", "sales", *COMPONENTS]]
