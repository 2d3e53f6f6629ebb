"""Incentive programs — early-pay discounts, late fees, next-purchase credits, perks, payment plans — priced
on the ledger's own payment behaviour.

Whether a 2 % early-pay discount pays for itself depends on who would take it: customers who already pay
within the window take it and give nothing back; slower payers might change. Every program is priced from
the invoices settled over a lookback (default 12 months) before ``as_of``, scaled to a year of sales.

The behavioural model (one documented assumption, with a range)
----------------------------------------------------------------
For a program with a *window* (discount, next-purchase credit, perk: ``window`` days from the invoice date;
late fee: ``grace_days`` after the due date), each settled invoice of the lookback, paid ``d`` days after the
invoice date (late fee: ``d`` = days late), falls in one of three groups:

- **already early** — ``d ≤ window``: the payer takes the offer with no change in behaviour. For an
  offer this is pure cost; for a late fee it is simply not charged.
- **movable** — ``window < d ≤ window + reach_days``: with probability ``p`` (the *shift probability*,
  low / base / high from the config) the payer moves this invoice to the window's last day: it pays
  ``d − window`` days sooner and takes the offer (late fee: avoids the fee). With probability ``1 − p`` it
  behaves as before (late fee: pays the fee).
- **out of reach** — ``d > window + reach_days``: no change.

Per customer this gives an *already-early share* and a *movable share* of its sales, read from its own
days-to-pay history; the expected take-up is ``already + p × movable`` (amounts). Every figure is therefore
linear in ``p``: each program is summarised by components ``x_a`` (at ``p = 0``) and ``x_m`` (added per unit
of ``p``), per customer; see :func:`program_components` and :func:`program_figures`. The payment plan uses
``p`` as the share of eligible past-due balances that accept a plan.

Annualisation: the lookback's settled invoices (paid in full with a settled date in
``(as_of − lookback_months, as_of]``, credit notes excluded) are taken as representative of a year of sales:
each invoice's amount is scaled by ``k = S ÷ Σ amount settled in the lookback``, where ``S`` is the gross
invoiced sales of the 12 months to ``as_of`` (:func:`annual_sales`). Customers with no settled invoice in
the lookback are represented by everyone else's behaviour through ``k``.

Money is in the ledger's currency per year; shares are fractions (0.25 = 25 %); days are calendar days.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError
from .mapping import CONFIG_DIR, read_yaml_mapping
from .model import Ledger
from .settlements import settlements

DEFAULT_PROGRAMS = CONFIG_DIR / "programs.yaml"
DAYS_PER_MONTH = 30  # late fees accrue per 30 days

#: Program types and their keys: required → (lo, hi, whole number); optional keys with defaults.
PROGRAM_TYPES: dict[str, dict] = {
    "early_pay_discount": {
        "required": {"rate": (0, 1, False), "discount_days": (0, None, True), "net_days": (1, None, True)},
        "optional": {},
        "what": "a discount for paying within discount_days of the invoice date",
    },
    "late_fee": {
        "required": {"rate_per_month": (0, 1, False), "grace_days": (0, None, True), "cap": (0, 10, False), "collection_rate": (0, 1, False)},
        "optional": {},
        "what": "a fee per month paid late beyond a grace period, capped",
    },
    "next_purchase_credit": {
        "required": {"credit_rate": (0, 1, False), "window_days": (0, None, True)},
        "optional": {"net_days": ((1, None, True), 30)},
        "what": "a credit off the next purchase for paying within window_days of the invoice date",
    },
    "perk": {
        "required": {"window_days": (0, None, True), "cost_per_participant": (0, None, False)},
        "optional": {},
        "what": "a non-monetary perk (e.g. early access) for paying within window_days",
    },
    "payment_plan": {
        "required": {
            "min_days_past_due": (1, None, True),
            "installments": (1, 120, True),
            "fee_rate": (0, 1, False),
            "recovery_without_plan": (0, 1, False),
            "recovery_with_plan": (0, 1, False),
        },
        "optional": {},
        "what": "installments for balances past due, for a fee",
    },
}
_ASSUMPTION_KEYS = {"lookback_months", "cost_of_capital", "cost_of_capital_grid", "bad_debt", "take_up"}
_SEGMENT_KEYS = ("prompt", "good_slipping", "chronic_late", "new", "at_risk", "irregular")
_LEVELS = ("low", "base", "high")

#: Components of a program, per customer (see :func:`program_components`).
COMPONENTS = ("base", "take_a", "take_m", "cost_a", "cost_m", "rev_a", "rev_m", "days_a", "days_m", "loss_a", "loss_m", "part_a", "part_m")


# --------------------------------------------------------------------------------------------- formulas


def discount_cost(rate: float, discount_days: float, net_days: float, *, compound: bool = False) -> float:
    """Annualised cost to the seller of a "``rate`` / ``discount_days`` net ``net_days``" offer, as a fraction.

    The buyer who takes the discount pays ``1 − rate`` now instead of ``1`` after ``net_days − discount_days``
    more days: the seller pays ``rate ÷ (1 − rate)`` for that many days of credit.

    - simple: ``rate ÷ (1 − rate) × 365 ÷ (net_days − discount_days)``;
    - compound (``compound=True``): ``(1 + rate ÷ (1 − rate)) ^ (365 ÷ (net_days − discount_days)) − 1``.

    Examples: 2/10 net 30 → 0.02 ÷ 0.98 × 365 ÷ 20 = 0.3724 (37.24 %), compound 0.4459 (44.59 %);
    1/10 net 30 → 0.01 ÷ 0.99 × 365 ÷ 20 = 0.1843 (18.43 %).
    Raises ValueError unless 0 ≤ rate < 1 and net_days > discount_days ≥ 0.
    """
    if not (0 <= rate < 1):
        raise ValueError(f"rate must be a fraction in [0, 1), such as 0.02, not {rate!r}")
    if discount_days < 0 or net_days <= discount_days:
        raise ValueError(f"net_days ({net_days!r}) must be later than discount_days ({discount_days!r}) ≥ 0")
    per_period = rate / (1 - rate)
    periods = 365 / (net_days - discount_days)
    if compound:
        return float((1 + per_period) ** periods - 1)
    return float(per_period * periods)


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


# --------------------------------------------------------------------------------------------- the ledger


def annual_sales(ledger: Ledger, as_of) -> float:
    """Gross invoiced sales of the 12 months to ``as_of``: Σ amount of invoices (amount > 0) dated in
    ``(as_of − 12 months, as_of]``. Credit notes are left out: discounts and fees apply to invoices.
    Example: invoices of 1,000 on 2025-06-30 (out), 2,000 on 2025-07-01 and −300 (a credit) on 2026-01-05
    with as_of 2026-06-30 → 2,000.
    """
    as_of = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    m = (inv["amount"] > 0) & (inv["invoice_date"] <= as_of) & (inv["invoice_date"] > as_of - pd.DateOffset(months=12))
    return float(inv.loc[m, "amount"].sum())


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
    from ._prep import day_number, prepared

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


# --------------------------------------------------------------------------------------------- programs


def _take_up_params(program: dict, assumptions: dict) -> dict:
    t = dict(assumptions["take_up"])
    t.update({k: v for k, v in (program.get("take_up") or {}).items()})
    return t


def program_window(program: dict) -> float | None:
    """The window a program's behaviour is judged against, in days: from the invoice date for offers
    (discount_days / window_days), after the due date for a late fee (grace_days); None for a payment plan."""
    t = program["type"]
    if t == "early_pay_discount":
        return program["discount_days"]
    if t in ("next_purchase_credit", "perk"):
        return program["window_days"]
    if t == "late_fee":
        return program["grace_days"]
    return None


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


def describe_program(program: dict) -> str:
    """One line saying what a program offers, e.g. "2 % off if paid within 10 days, else net 30"."""
    t = program["type"]
    if t == "early_pay_discount":
        return f"{_pct(program['rate'])} off if paid within {program['discount_days']} days, else net {program['net_days']}"
    if t == "late_fee":
        return f"{_pct(program['rate_per_month'])} a month after {program['grace_days']} days' grace (cap {_pct(program['cap'])}; {_pct(program['collection_rate'])} of fees collected)"
    if t == "next_purchase_credit":
        return f"{_pct(program['credit_rate'])} off the next purchase for paying within {program['window_days']} days"
    if t == "perk":
        return f"a perk costing {program['cost_per_participant']:,.2f} a year per participant for paying within {program['window_days']} days"
    return f"{program['installments']} monthly installments for balances {program['min_days_past_due']}+ days past due, fee {_pct(program['fee_rate'])}"


def _pct(x: float) -> str:
    return f"{x * 100:.4g} %"


def annualised_cost(program: dict, *, compound: bool = False) -> float:
    """The annualised cost of an offer, as a fraction: :func:`discount_cost` for an early-pay discount; for a
    next-purchase credit the same formula with credit_rate, window_days and net_days (a credit worth the
    same share of an equal next purchase); NaN for fees, perks and plans (no rate to quote)."""
    t = program["type"]
    if t == "early_pay_discount":
        return discount_cost(program["rate"], program["discount_days"], program["net_days"], compound=compound)
    if t == "next_purchase_credit" and program.get("net_days", 30) > program["window_days"]:
        return discount_cost(program["credit_rate"], program["window_days"], program.get("net_days", 30), compound=compound)
    return float("nan")


@dataclass
class IncentiveComparison:
    """Everything the comparison computed. Frames (money per year in ledger currency, shares as fractions):

    - ``summary``: one row per program (see :func:`compare_programs`);
    - ``curves``: program × shift probability (0, 0.05, …, 1): take-up share and net benefit;
    - ``sensitivity``: program × take-up (shift probability 0, 0.1, …, 1) × cost of capital: net benefit;
    - ``by_segment``: program × segment at the base take-up (and net at low / high);
    - ``components``: program × customer components; ``sample``: the settled invoices used.
    """

    as_of: pd.Timestamp
    sales: float
    programs: dict
    summary: pd.DataFrame
    curves: pd.DataFrame
    sensitivity: pd.DataFrame
    by_segment: pd.DataFrame
    components: pd.DataFrame
    sample: pd.DataFrame
    notes: dict = field(default_factory=dict)

    @property
    def assumptions(self) -> dict:
        return self.programs["assumptions"]


def _levels(program: dict, assumptions: dict) -> dict:
    return _take_up_params(program, assumptions)["shift_probability"]


def compare_programs(ledger: Ledger, as_of, *, programs: dict | None = None, policy: dict | None = None, segments: pd.DataFrame | None = None) -> IncentiveComparison:
    """Price every program of ``programs`` (:func:`load_programs`; default ``config/programs.yaml``) on the
    ledger's behaviour over the lookback before ``as_of``.

    Segments are :func:`arkit.review.segments.segment_customers` with ``policy`` (default
    ``config/policy.yaml``) unless a segments frame (customer_id, segment) is given.

    ``summary`` columns: program, type, offer (in words), take_up_basis, annualised_cost (simple and
    ``annualised_cost_compound``), cost_of_capital, shift_low / _base / _high, take_up_low / _base / _high
    (shares), already_early_share (of the base take-up; NaN for late fees and payment plans), then at the
    base take-up: take_up, participants, cost, revenue, cash_accelerated (amount-days), ar_freed, cash_value,
    dso_change, bad_debt_change, net_benefit; net_low, net_high; break_even_take_up, break_even (text);
    late fees: customers_charged (at least once), their share of sales
    (customers_charged_sales_share) and how many are prompt payers or good customers slipping
    (good_customers_charged) — the attrition exposure, which is not priced.
    """
    as_of = pd.Timestamp(as_of).normalize()
    programs = programs if programs is not None else load_programs()
    a = programs["assumptions"]
    coc = a["cost_of_capital"]
    if segments is None:
        from .policy import load_policy
        from .review.segments import segment_customers

        segments = segment_customers(ledger, as_of, policy=policy if policy is not None else load_policy())
    seg = segments.set_index("customer_id")["segment"] if len(segments) else pd.Series(dtype="str")
    sample = behaviour_sample(ledger, as_of, lookback_months=a["lookback_months"], segments=seg, loss_rates=a["bad_debt"])
    sales = annual_sales(ledger, as_of)
    comps, rows, curves, grid, by_seg = [], [], [], [], []
    p_curve = np.round(np.linspace(0, 1, 21), 4)
    p_grid = np.round(np.linspace(0, 1, 11), 4)
    coc_grid = np.asarray(a["cost_of_capital_grid"], dtype="float64")
    for prog in programs["programs"]:
        eligible = past_due_flow(ledger, as_of, min_days_past_due=prog["min_days_past_due"]) if prog["type"] == "payment_plan" else None
        c = program_components(sample, prog, assumptions=a, eligible=eligible)
        comps.append(c.assign(program=prog["name"]))
        tot = c[["sales", *COMPONENTS]].sum()
        if prog["type"] != "payment_plan":
            tot["sales"] = tot["base"] = sales if len(sample) else 0.0
        else:
            tot["sales"] = sales
        lv = _levels(prog, a)
        f = {lev: program_figures(tot, p=lv[lev], cost_of_capital=coc) for lev in _LEVELS}
        be_share, be_text = break_even_take_up(tot, cost_of_capital=coc)
        b = f["base"]
        charged = c[(c["rev_a"] > 0)] if prog["type"] == "late_fee" else c.iloc[0:0]
        good = charged[charged["segment"].isin(["prompt", "good_slipping"])]
        rows.append(
            {
                "program": prog["name"],
                "type": prog["type"],
                "offer": describe_program(prog),
                "take_up_basis": "eligible past-due balances" if prog["type"] == "payment_plan" else "sales",
                "annualised_cost": annualised_cost(prog),
                "annualised_cost_compound": annualised_cost(prog, compound=True),
                "cost_of_capital": coc,
                "shift_low": lv["low"],
                "shift_base": lv["base"],
                "shift_high": lv["high"],
                "take_up_low": float(f["low"]["take_up_share"]),
                "take_up_base": float(b["take_up_share"]),
                "take_up_high": float(f["high"]["take_up_share"]),
                "already_early_share": float(b["already_early_share"]) if prog["type"] not in _NO_WINDOW_OFFER else float("nan"),
                "take_up": float(b["take_up"]),
                "participants": float(b["participants"]),
                "cost": float(b["cost"]),
                "revenue": float(b["revenue"]),
                "cash_accelerated": float(b["cash_accelerated"]),
                "ar_freed": float(b["ar_freed"]),
                "cash_value": float(b["cash_value"]),
                "dso_change": float(b["dso_change"]),
                "bad_debt_change": float(b["bad_debt_change"]),
                "net_benefit": float(b["net_benefit"]),
                "net_low": float(f["low"]["net_benefit"]),
                "net_high": float(f["high"]["net_benefit"]),
                "break_even_take_up": be_share,
                "break_even": be_text,
                "customers_charged": int(len(charged)),
                "customers_charged_sales_share": float(charged["sales"].sum() / sales) if sales > 0 and len(charged) else 0.0,
                "good_customers_charged": int(len(good)),
            }
        )
        fc = program_figures(tot, p=p_curve, cost_of_capital=coc)
        curves.append(pd.DataFrame({"program": prog["name"], "shift_probability": p_curve, "take_up_share": fc["take_up_share"], "net_benefit": fc["net_benefit"]}))
        fg = program_figures(tot, p=p_grid[:, None], cost_of_capital=coc_grid[None, :])
        share = np.broadcast_to(fg["take_up_share"], (len(p_grid), len(coc_grid)))
        grid.append(
            pd.DataFrame(
                {
                    "program": prog["name"],
                    "shift_probability": np.repeat(p_grid, len(coc_grid)),
                    "take_up_share": share.ravel(),
                    "cost_of_capital": np.tile(coc_grid, len(p_grid)),
                    "net_benefit": np.broadcast_to(fg["net_benefit"], share.shape).ravel(),
                }
            )
        )
        by_seg.append(_by_segment(c, prog, lv, coc))
    summary = pd.DataFrame(rows)
    notes = {
        "invoices_in_sample": int(len(sample)),
        "customers_in_sample": int(sample["customer_id"].nunique()),
        "sample_amount": float(sample["amount"].sum()),
        "lookback_start": (as_of - pd.DateOffset(months=a["lookback_months"])).normalize(),
    }
    return IncentiveComparison(
        as_of=as_of,
        sales=sales,
        programs=programs,
        summary=summary,
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
        sensitivity=pd.concat(grid, ignore_index=True) if grid else pd.DataFrame(),
        by_segment=pd.concat(by_seg, ignore_index=True) if by_seg else pd.DataFrame(),
        components=pd.concat(comps, ignore_index=True) if comps else pd.DataFrame(),
        sample=sample,
        notes=notes,
    )


#: Programs whose take-up has no "already early" part (a fee, a plan): that share is shown as NaN.
_NO_WINDOW_OFFER = ("late_fee", "payment_plan")


def _by_segment(c: pd.DataFrame, prog: dict, lv: dict, coc: float) -> pd.DataFrame:
    g = c.groupby("segment", sort=True)[["sales", *COMPONENTS]].sum()
    g["customers"] = c.groupby("segment").size()
    fb = program_figures(g, p=lv["base"], cost_of_capital=coc)
    fl = program_figures(g, p=lv["low"], cost_of_capital=coc)
    fh = program_figures(g, p=lv["high"], cost_of_capital=coc)
    return pd.DataFrame(
        {
            "program": prog["name"],
            "segment": g.index.to_numpy(),
            "customers": g["customers"].to_numpy(),
            "sales": g["sales"].to_numpy(),
            "take_up_share": fb["take_up_share"],
            "already_early_share": fb["already_early_share"] if prog["type"] not in _NO_WINDOW_OFFER else np.nan,
            "cost": fb["cost"],
            "revenue": fb["revenue"],
            "cash_value": fb["cash_value"],
            "dso_change": fb["dso_change"],
            "bad_debt_change": fb["bad_debt_change"],
            "net_benefit": fb["net_benefit"],
            "net_low": fl["net_benefit"],
            "net_high": fh["net_benefit"],
        }
    )


# --------------------------------------------------------------------------------------------- pilots


def pilot_flags(ledger: Ledger, *, pilot_customers=None) -> tuple[pd.Series | None, str]:
    """Which invoices are in the pilot, and how that is known. In order of precedence:

    1. ``pilot_customers`` (a list of customer ids): every invoice of those customers;
    2. an invoices column ``pilot`` with at least one truthy value (yes, y, true, 1, x): those invoices;
    3. a customers column ``pilot`` with a truthy value: every invoice of those customers.
    Returns ``(flags, how)`` — a boolean Series aligned with ``ledger.invoices`` and a phrase — or
    ``(None, "")`` when no pilot is marked.
    """
    from .parse import parse_bools

    inv = ledger.invoices
    if pilot_customers is not None:
        ids = {str(x) for x in pilot_customers}
        if ids:
            return inv["customer_id"].isin(ids), f"{len(ids)} customer id(s) passed in"
    if "pilot" in inv.columns:
        flags = parse_bools(inv["pilot"])[0].fillna(False).astype(bool)
        if flags.any():
            return flags, "the invoices' pilot column"
    cus = ledger.customers
    if "pilot" in cus.columns and len(cus):
        cflags = parse_bools(cus["pilot"])[0].fillna(False).astype(bool)
        ids = set(cus.loc[cflags.to_numpy(), "customer_id"])
        if ids:
            return inv["customer_id"].isin(ids), "the customers' pilot column"
    return None, ""


def _cluster_counts(codes_n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """draws × clusters: how many times each cluster is drawn when ``codes_n`` clusters are resampled with
    replacement (vectorised bincount over flattened draw offsets)."""
    idx = rng.integers(0, codes_n, size=(draws, codes_n))
    flat = (idx + np.arange(draws)[:, None] * codes_n).ravel()
    return np.bincount(flat, minlength=draws * codes_n).reshape(draws, codes_n)


def _lower_median(sorted_vals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted lower median of sorted values for each row of ``weights`` (rows × len(values)): the
    smallest value whose cumulative weight reaches half the total."""
    cum = np.cumsum(weights, axis=-1)
    total = cum[..., -1:]
    pos = np.argmax(cum * 2 >= total, axis=-1)
    return sorted_vals[pos]


def _group_stats(df: pd.DataFrame, draws: int, rng: np.random.Generator, chunk: int = 250):
    """Point estimates and bootstrap draws of mean days, lower-median days and cost per 100 of sales for
    one group, resampling its clusters (customers) with replacement."""
    codes, uniq = pd.factorize(df["cluster"], sort=True)
    n_c = len(uniq)
    d = df["days_to_pay"].to_numpy(dtype="float64")
    amt = df["amount"].to_numpy(dtype="float64")
    cost = df["cost"].to_numpy(dtype="float64")
    n_k = np.bincount(codes, minlength=n_c).astype("float64")
    d_k = np.bincount(codes, weights=d, minlength=n_c)
    a_k = np.bincount(codes, weights=amt, minlength=n_c)
    c_k = np.bincount(codes, weights=cost, minlength=n_c)
    order = np.argsort(d, kind="stable")
    d_sorted, codes_sorted = d[order], codes[order]
    point = (d.mean(), float(_lower_median(d_sorted, np.ones(len(d)))), c_k.sum() / a_k.sum() * 100 if a_k.sum() else np.nan)
    counts = _cluster_counts(n_c, draws, rng).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_b = counts @ d_k / (counts @ n_k)
        cost_b = counts @ c_k / (counts @ a_k) * 100
    med_b = np.empty(draws)
    for s in range(0, draws, chunk):
        w = counts[s : s + chunk][:, codes_sorted]
        med_b[s : s + chunk] = _lower_median(d_sorted, w)
    return point, (mean_b, med_b, cost_b)


def bootstrap_difference(pilot: pd.DataFrame, control: pd.DataFrame, *, draws: int = 2000, seed: int = 0, confidence: float = 0.95, min_customers: int = 5) -> pd.DataFrame:
    """Pilot − control differences with cluster-bootstrap percentile confidence intervals.

    ``pilot`` and ``control``: one row per invoice with ``cluster`` (the customer), ``days_to_pay``,
    ``amount`` and ``cost``. Statistics: mean days to pay (per invoice), median days to pay (the lower
    median: the smallest value with at least half the invoices at or below it), and cost per 100 of sales
    (Σ cost ÷ Σ amount × 100). Each draw resamples each group's customers with replacement (all their
    invoices come along — invoices of one customer are not independent), with a fixed ``seed``; the CI is
    the (1 − confidence) ÷ 2 and (1 + confidence) ÷ 2 percentiles of the draws' differences. A difference
    is significant when the CI excludes 0.
    Columns: metric, pilot, control, difference, ci_low, ci_high, significant, verdict.
    """
    rng = np.random.default_rng(seed)
    few = min(pilot["cluster"].nunique(), control["cluster"].nunique()) < min_customers
    pp, pb = _group_stats(pilot, draws, rng)
    cp, cb = _group_stats(control, draws, rng)
    lo_q, hi_q = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100
    rows = []
    names = [("mean days to pay", "days"), ("median days to pay", "days"), ("cost per 100 of sales", "")]
    for i, (name, unit) in enumerate(names):
        diff_b = pb[i] - cb[i]
        diff_b = diff_b[np.isfinite(diff_b)]
        lo, hi = (np.percentile(diff_b, [lo_q, hi_q]) if len(diff_b) else (np.nan, np.nan))
        diff = pp[i] - cp[i]
        sig = bool(np.isfinite(lo) and (lo > 0 or hi < 0)) and not few
        ci = f"{confidence * 100:.0f} % CI {lo:+.2f} to {hi:+.2f}{' ' + unit if unit else ''}"
        verdict = (f"too few customers to judge: pilot {pilot['cluster'].nunique()}, control {control['cluster'].nunique()} (at least {min_customers} each are needed)" if few else None) or (f"significant: the pilot is {abs(diff):.2f}{' ' + unit if unit else ''} {'lower' if diff < 0 else 'higher'} ({ci})" if sig else f"not significant: the {ci} includes 0")
        rows.append({"metric": name, "pilot": pp[i], "control": cp[i], "difference": diff, "ci_low": float(lo), "ci_high": float(hi), "significant": sig, "verdict": verdict})
    return pd.DataFrame(rows)


@dataclass
class PilotEvaluation:
    """A pilot against its control: ``table`` (:func:`bootstrap_difference`) and what was compared."""

    table: pd.DataFrame
    marked_by: str
    start: pd.Timestamp
    as_of: pd.Timestamp
    pilot_invoices: int
    control_invoices: int
    pilot_customers: int
    control_customers: int
    cost_basis: str
    draws: int


def pilot_evaluation(
    ledger: Ledger,
    as_of,
    *,
    pilot_customers=None,
    program: dict | None = None,
    cost_of_capital: float = 0.09,
    start=None,
    lookback_months: int = 12,
    draws: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> PilotEvaluation | None:
    """Compare the invoices in a pilot (:func:`pilot_flags`) against the others, or None when no pilot is
    marked.

    Invoices compared: dated in ``[start, as_of]`` and settled in full by ``as_of`` (credit notes excluded).
    ``start`` defaults to the first pilot invoice's date when the pilot is marked on invoices, else
    ``as_of − lookback_months`` (exclusive). Cost per invoice = discount + carrying cost, where carrying cost
    = amount × days_to_pay × cost_of_capital ÷ 365 and the discount is the invoices' ``discount`` column
    when there is one, else — for pilot invoices paid within the ``program``'s window — ``rate`` × amount
    (the control got no offer: 0). Differences and CIs: :func:`bootstrap_difference` (by customer, fixed
    seed). Unsettled invoices are not seen: a pilot that makes slow payers slower is under-counted.
    """
    flags, how = pilot_flags(ledger, pilot_customers=pilot_customers)
    if flags is None:
        return None
    as_of = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    if start is not None:
        start = pd.Timestamp(start).normalize()
    elif how == "the invoices' pilot column":
        start = inv.loc[flags.to_numpy(), "invoice_date"].min()
    else:
        start = as_of - pd.DateOffset(months=lookback_months) + pd.Timedelta(days=1)
    s = settlements(ledger)
    key = inv[["customer_id", "invoice_id"]].assign(_pilot=flags.to_numpy())
    if "discount" in inv.columns:
        key["_discount"] = pd.to_numeric(inv["discount"], errors="coerce").fillna(0.0).to_numpy()
    s = s.merge(key, on=["customer_id", "invoice_id"], how="left")
    s = s[(s["invoice_date"] >= start) & (s["invoice_date"] <= as_of) & (s["settled_date"] <= as_of) & (s["amount"] > 0)]
    s["_pilot"] = s["_pilot"].fillna(False).astype(bool)
    if "_discount" in s.columns:
        disc = s["_discount"].to_numpy(dtype="float64")
        basis = "the invoices' discount column"
    elif program is not None and program.get("type") in ("early_pay_discount",):
        within = s["days_to_pay"].to_numpy() <= program["discount_days"]
        disc = np.where(s["_pilot"].to_numpy() & within, program["rate"] * s["amount"].to_numpy(), 0.0)
        basis = f"the {program['name']} discount ({_pct(program['rate'])}) on pilot invoices paid within {program['discount_days']} days"
    else:
        disc = np.zeros(len(s))
        basis = "no discount (carrying cost only)"
    carry = s["amount"].to_numpy(dtype="float64") * s["days_to_pay"].to_numpy(dtype="float64") * cost_of_capital / 365.0
    frame = pd.DataFrame(
        {
            "cluster": s["customer_id"].astype("str").to_numpy() + np.where(s["_pilot"].to_numpy(), "|pilot", "|control"),
            "days_to_pay": s["days_to_pay"].to_numpy(),
            "amount": s["amount"].to_numpy(),
            "cost": disc + carry,
            "pilot": s["_pilot"].to_numpy(),
            "customer_id": s["customer_id"].to_numpy(),
        }
    )
    p, c = frame[frame["pilot"]], frame[~frame["pilot"]]
    if p.empty or c.empty:
        table = pd.DataFrame(columns=["metric", "pilot", "control", "difference", "ci_low", "ci_high", "significant", "verdict"])
    else:
        table = bootstrap_difference(p, c, draws=draws, seed=seed, confidence=confidence)
    return PilotEvaluation(
        table=table,
        marked_by=how,
        start=pd.Timestamp(start),
        as_of=as_of,
        pilot_invoices=int(len(p)),
        control_invoices=int(len(c)),
        pilot_customers=int(p["customer_id"].nunique()),
        control_customers=int(c["customer_id"].nunique()),
        cost_basis=basis,
        draws=draws,
    )


# --------------------------------------------------------------------------------------------- config


def _read(path: Path) -> dict:
    return read_yaml_mapping(path, "Programs file", "a mapping with keys assumptions and programs")


def load_programs(path=None) -> dict:
    """The incentive programs and assumptions at ``path`` (default ``config/programs.yaml``), validated.

    A user's file may leave out ``assumptions`` keys (the shipped ones fill them, section by section) and
    ``programs`` (the shipped list is used); a ``programs`` list it gives replaces the shipped one.
    Every mistake raises :class:`arkit.ConfigError` naming the file and the key.
    """
    default = _read(DEFAULT_PROGRAMS)
    if path is None:
        return validate_programs(copy.deepcopy(default), str(DEFAULT_PROGRAMS))
    path = Path(path)
    user = _read(path)
    merged = copy.deepcopy(default)
    unknown = set(user) - {"assumptions", "programs"}
    if unknown:
        raise ConfigError(f"{path}: key '{sorted(unknown)[0]}' is not a programs-file key (keys: assumptions, programs).")
    ua = user.get("assumptions")
    if ua is not None:
        if not isinstance(ua, dict):
            raise ConfigError(f"{path}: key 'assumptions' must be a mapping.")
        for k, v in ua.items():
            d = merged["assumptions"].get(k)
            merged["assumptions"][k] = {**d, **v} if isinstance(v, dict) and isinstance(d, dict) else v
    if "programs" in user:
        merged["programs"] = user["programs"]
    return validate_programs(merged, str(path))


def _num(where, key, v, *, lo=None, hi=None, integer=False, lo_open=False):
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and (not integer or float(v).is_integer())
    if ok and lo is not None and (v < lo or (lo_open and v == lo)):
        ok = False
    if ok and hi is not None and v > hi:
        ok = False
    if not ok:
        if lo is not None and hi is not None:
            rng = f" between {lo} and {hi}"
        elif lo is not None:
            rng = f" {'>' if lo_open else '≥'} {lo}"
        else:
            rng = ""
        raise ConfigError(f"{where}: key '{key}' must be a {'whole number' if integer else 'number'}{rng}, not {v!r}.")
    return int(v) if integer else float(v)


def _take_up(where: str, key: str, t, *, partial: bool) -> dict:
    if not isinstance(t, dict):
        raise ConfigError(f"{where}: key '{key}' must be a mapping with reach_days and shift_probability.")
    bad = set(t) - {"reach_days", "shift_probability"}
    if bad:
        raise ConfigError(f"{where}: key '{key}.{sorted(bad)[0]}' is not a take-up key (reach_days, shift_probability).")
    out = {}
    if "reach_days" in t or not partial:
        out["reach_days"] = _num(where, f"{key}.reach_days", t.get("reach_days"), lo=0, integer=True)
    if "shift_probability" in t or not partial:
        sp = t.get("shift_probability")
        if not isinstance(sp, dict) or set(sp) != set(_LEVELS):
            raise ConfigError(f"{where}: key '{key}.shift_probability' must be a mapping with low, base and high (fractions 0-1), not {sp!r}.")
        vals = {lev: _num(where, f"{key}.shift_probability.{lev}", sp[lev], lo=0, hi=1) for lev in _LEVELS}
        if not vals["low"] <= vals["base"] <= vals["high"]:
            raise ConfigError(f"{where}: key '{key}.shift_probability' must have low ≤ base ≤ high, not {vals['low']}, {vals['base']}, {vals['high']}.")
        out["shift_probability"] = vals
    return out


def validate_programs(data: dict, where: str = "<programs>") -> dict:
    """Check every key of a programs dict; returns a validated copy (numbers normalised, ``_file`` set)."""
    data = copy.deepcopy(data)
    unknown = set(data) - {"assumptions", "programs"}
    if unknown:
        raise ConfigError(f"{where}: key '{sorted(unknown)[0]}' is not a programs-file key (keys: assumptions, programs).")
    a = data.get("assumptions")
    if not isinstance(a, dict):
        raise ConfigError(f"{where}: key 'assumptions' is missing or not a mapping.")
    bad = set(a) - _ASSUMPTION_KEYS
    if bad:
        raise ConfigError(f"{where}: key 'assumptions.{sorted(bad)[0]}' is not an assumption (keys: {', '.join(sorted(_ASSUMPTION_KEYS))}).")
    for req in sorted(_ASSUMPTION_KEYS):
        if req not in a:
            raise ConfigError(f"{where}: key 'assumptions.{req}' is missing.")
    a["lookback_months"] = _num(where, "assumptions.lookback_months", a["lookback_months"], lo=1, hi=60, integer=True)
    a["cost_of_capital"] = _num(where, "assumptions.cost_of_capital", a["cost_of_capital"], lo=0, hi=1)
    g = a["cost_of_capital_grid"]
    if not isinstance(g, list) or not g:
        raise ConfigError(f"{where}: key 'assumptions.cost_of_capital_grid' must be a list of rates such as [0.05, 0.09, 0.13], not {g!r}.")
    a["cost_of_capital_grid"] = sorted({_num(where, f"assumptions.cost_of_capital_grid[{i}]", v, lo=0, hi=1) for i, v in enumerate(g)})
    bd = a["bad_debt"]
    if not isinstance(bd, dict):
        raise ConfigError(f"{where}: key 'assumptions.bad_debt' must be a mapping with annual_loss_rate and by_segment.")
    bad = set(bd) - {"annual_loss_rate", "by_segment"}
    if bad:
        raise ConfigError(f"{where}: key 'assumptions.bad_debt.{sorted(bad)[0]}' is not a bad-debt key (annual_loss_rate, by_segment).")
    bd["annual_loss_rate"] = _num(where, "assumptions.bad_debt.annual_loss_rate", bd.get("annual_loss_rate"), lo=0, hi=1)
    bs = bd.get("by_segment") or {}
    if not isinstance(bs, dict):
        raise ConfigError(f"{where}: key 'assumptions.bad_debt.by_segment' must be a mapping of segment to rate.")
    for s, v in bs.items():
        if s not in _SEGMENT_KEYS:
            raise ConfigError(f"{where}: key 'assumptions.bad_debt.by_segment.{s}' is not a segment ({', '.join(_SEGMENT_KEYS)}).")
        bs[s] = _num(where, f"assumptions.bad_debt.by_segment.{s}", v, lo=0, hi=1)
    bd["by_segment"] = bs
    a["take_up"] = _take_up(where, "assumptions.take_up", a["take_up"], partial=False)

    progs = data.get("programs")
    if not isinstance(progs, list) or not progs:
        raise ConfigError(f"{where}: key 'programs' must be a list of programs, each with name and type.")
    names = set()
    for i, pr in enumerate(progs):
        key = f"programs[{i}]"
        if not isinstance(pr, dict):
            raise ConfigError(f"{where}: key '{key}' must be a mapping with name, type and the type's keys.")
        for req in ("name", "type"):
            if req not in pr:
                raise ConfigError(f"{where}: key '{key}.{req}' is missing.")
        if not isinstance(pr["name"], str) or not pr["name"].strip():
            raise ConfigError(f"{where}: key '{key}.name' must be a non-empty text.")
        if pr["name"] in names:
            raise ConfigError(f"{where}: key '{key}.name' repeats the program name '{pr['name']}'.")
        names.add(pr["name"])
        spec = PROGRAM_TYPES.get(pr["type"])
        if spec is None:
            raise ConfigError(f"{where}: key '{key}.type' is '{pr['type']}', expected one of: {', '.join(PROGRAM_TYPES)}.")
        allowed = {"name", "type", "take_up", "description", *spec["required"], *spec["optional"]}
        bad = set(pr) - allowed
        if bad:
            raise ConfigError(f"{where}: key '{key}.{sorted(bad)[0]}' is not a {pr['type']} key ({', '.join(sorted(allowed))}).")
        for k, (lo, hi, integer) in spec["required"].items():
            if k not in pr:
                raise ConfigError(f"{where}: key '{key}.{k}' is missing ({pr['type']} needs {', '.join(spec['required'])}).")
            pr[k] = _num(where, f"{key}.{k}", pr[k], lo=lo, hi=hi, integer=integer)
        for k, ((lo, hi, integer), dflt) in spec["optional"].items():
            pr[k] = _num(where, f"{key}.{k}", pr.get(k, dflt), lo=lo, hi=hi, integer=integer)
        if pr["type"] == "early_pay_discount":
            if pr["rate"] >= 1 or pr["rate"] <= 0:
                raise ConfigError(f"{where}: key '{key}.rate' must be a fraction above 0 and below 1, such as 0.02, not {pr['rate']!r}.")
            if pr["net_days"] <= pr["discount_days"]:
                raise ConfigError(f"{where}: key '{key}.net_days' ({pr['net_days']}) must be later than discount_days ({pr['discount_days']}).")
        if pr["type"] == "next_purchase_credit" and pr["net_days"] <= pr["window_days"]:
            raise ConfigError(f"{where}: key '{key}.net_days' ({pr['net_days']}) must be later than window_days ({pr['window_days']}).")
        if pr["type"] == "payment_plan" and pr["recovery_with_plan"] < pr["recovery_without_plan"]:
            raise ConfigError(f"{where}: key '{key}.recovery_with_plan' ({pr['recovery_with_plan']}) is below recovery_without_plan ({pr['recovery_without_plan']}); a plan that recovers less is not an incentive.")
        if "take_up" in pr:
            pr["take_up"] = _take_up(where, f"{key}.take_up", pr["take_up"], partial=True)
    data["_file"] = where
    return data
