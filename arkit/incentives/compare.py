"""Every program of the programs file priced on the ledger: :func:`compare_programs`."""

from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np
import pandas as pd

from ..model import Ledger
from .programs import _LEVELS, _take_up_params, describe_program, annualised_cost, late_fee_in_force, load_programs
from .calibration import Calibration, calibrate
from .takeup import COMPONENTS, annual_sales, annual_sales_by_customer, behaviour_sample, break_even_take_up, past_due_flow, program_components, program_figures

@dataclass
class IncentiveComparison:
    """Everything the comparison computed. Frames (money per year in ledger currency, shares as fractions):

    - ``summary``: one row per program (see :func:`compare_programs`);
    - ``curves``: program × shift probability (0, 0.05, …, 1): take-up share and net benefit;
    - ``sensitivity``: program × take-up (shift probability 0, 0.1, …, 1) × cost of capital: net benefit;
    - ``by_segment``: program × segment at the base take-up (and net at low / high);
    - ``components``: program × customer components; ``sample``: the settled invoices used;
    - ``calibration``: what the ledger measured of the assumptions (:func:`~.calibration.calibrate`).
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
    calibration: Calibration | None = None

    @property
    def assumptions(self) -> dict:
        return self.programs["assumptions"]


def _levels(program: dict, assumptions: dict) -> dict:
    return _take_up_params(program, assumptions)["shift_probability"]


def compare_programs(ledger: Ledger, as_of, *, programs: dict | None = None, policy: dict | None = None, segments: pd.DataFrame | None = None, calibration: Calibration | None = None) -> IncentiveComparison:
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

    A late-fee program the policy already charges (:func:`~.programs.late_fee_in_force`) is measured as the
    fees on the lateness the ledger shows, with no payer moving sooner (the ledger's payments were made with
    it in force).

    Measured from the ledger (``calibration``, default :func:`~.calibration.calibrate`):
    - customers already offered an early-pay discount (on early-pay terms in the lookback, taking it or
      declining it) are not movable by an early-pay discount program: their ``*_m`` components are 0
      (customers_already_offered counts them);
    - the measured scenario — basis "measured" when the ledger measured something the program rests on,
      else "assumed": an early-pay discount at the take-up of the ledger's own early-pay terms (by amount;
      shift_measured = the shift probability giving it, clipped to 0–1); a payment plan at the base share
      accepting with the measured recovery with and without a plan (the extra recovery floored at 0);
      other programs as assumed. Columns basis_measured, shift_measured, take_up_measured,
      bad_debt_change_measured, revenue_measured, net_measured.
    Per-customer and per-segment ``sales`` are invoiced sales (:func:`~.takeup.annual_sales_by_customer`).
    """
    as_of = pd.Timestamp(as_of).normalize()
    programs = programs if programs is not None else load_programs()
    a = programs["assumptions"]
    coc = a["cost_of_capital"]
    if policy is None:  # the shipped policy: its segments, and the late fee it already charges
        from ..policy import load_policy

        policy = load_policy()
    if segments is None:
        from ..review.segments import segment_customers

        segments = segment_customers(ledger, as_of, policy=policy)
    seg = segments.set_index("customer_id")["segment"] if len(segments) else pd.Series(dtype="str")
    sample = behaviour_sample(ledger, as_of, lookback_months=a["lookback_months"], segments=seg, loss_rates=a["bad_debt"])
    sales = annual_sales(ledger, as_of)
    by_cust_sales = annual_sales_by_customer(ledger, as_of)
    cal = calibration if calibration is not None else calibrate(ledger, as_of, programs=programs)
    offered = set(cal.offered["customer_id"].astype("str")) if len(cal.offered) else set()
    comps, rows, curves, grid, by_seg = [], [], [], [], []
    p_curve = np.round(np.linspace(0, 1, 21), 4)
    p_grid = np.round(np.linspace(0, 1, 11), 4)
    coc_grid = np.asarray(a["cost_of_capital_grid"], dtype="float64")
    for prog in programs["programs"]:
        eligible = past_due_flow(ledger, as_of, min_days_past_due=prog["min_days_past_due"]) if prog["type"] == "payment_plan" else None
        c = program_components(sample, prog, assumptions=a, eligible=eligible)
        n_offered = 0
        if prog["type"] == "early_pay_discount" and offered:
            hit = c["customer_id"].astype("str").isin(offered).to_numpy()
            n_offered = int(hit.sum())
            for col in ("take_m", "cost_m", "rev_m", "days_m", "loss_m", "part_m"):
                c.loc[hit, col] = 0.0
        c["weighted_sales"] = c["sales"]  # settled amounts × k: the base of the behavioural shares
        c["sales"] = c["customer_id"].astype("str").map(by_cust_sales).fillna(0.0).to_numpy(dtype="float64")
        comps.append(c.assign(program=prog["name"]))
        tot = c[["sales", *COMPONENTS]].sum()  # totals' sales/base are set to the annual invoiced sales below
        if prog["type"] != "payment_plan":
            tot["sales"] = tot["base"] = sales if len(sample) else 0.0
        else:
            tot["sales"] = sales
        lv = _levels(prog, a)
        f = {lev: program_figures(tot, p=lv[lev], cost_of_capital=coc) for lev in _LEVELS}
        be_share, be_text = break_even_take_up(tot, cost_of_capital=coc)
        b = f["base"]
        meas = _measured(prog, tot, lv, cal, coc, in_force=late_fee_in_force(prog, policy))
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
                "customers_already_offered": n_offered,
                **meas,
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
        "customers_offered": int(len(cal.offered)),
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
        calibration=cal,
    )


def _measured(prog: dict, tot: pd.Series, lv: dict, cal: Calibration, coc: float, *, in_force: bool = False) -> dict:
    """The measured scenario of one program (see :func:`compare_programs`). A late fee already in force
    (:func:`~.programs.late_fee_in_force`) is measured as the fees on the lateness the ledger shows: its
    payments were made with the fee in force, so the response to it is in them already, and no payer is
    counted again as moving sooner to avoid it (the movable components are 0)."""
    t = prog["type"]
    basis, p = "assumed", lv["base"]
    tot = tot.copy()
    if t == "late_fee" and in_force:
        basis = "measured"
        for col in ("take_m", "cost_m", "rev_m", "days_m", "loss_m"):
            tot[col] = 0.0
    elif t == "early_pay_discount" and np.isfinite(cal.take_up_share):
        basis = "measured"
        tm = float(tot["take_m"])
        p = float(np.clip((cal.take_up_share * float(tot["base"]) - float(tot["take_a"])) / tm, 0.0, 1.0)) if tm > 0 else 0.0
    elif t == "payment_plan":
        rr = cal.recovery_rates(prog)
        if rr["recovery_without_plan_measured"] or rr["recovery_with_plan_measured"]:
            basis = "measured"
        E = float(tot["take_m"])
        tot["rev_m"] = prog["fee_rate"] * rr["recovery_with_plan"] * E
        tot["loss_m"] = -rr["extra"] * E
    f = program_figures(tot, p=p, cost_of_capital=coc)
    return {
        "basis_measured": basis,
        "shift_measured": float(p),
        "take_up_measured": float(f["take_up_share"]),
        "revenue_measured": float(f["revenue"]),
        "bad_debt_change_measured": float(f["bad_debt_change"]),
        "net_measured": float(f["net_benefit"]),
    }


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
