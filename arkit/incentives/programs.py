"""The programs file (``config/programs.yaml``): program types, validation, and what each offer costs in words and as a yearly rate (:func:`discount_cost`)."""

from __future__ import annotations

import copy
from pathlib import Path
import numpy as np

from ..errors import ConfigError
from ..mapping import CONFIG_DIR, read_yaml_mapping

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


def late_fee_in_force(prog: dict, policy: dict | None) -> bool:
    """Whether a late-fee program is the fee the policy already charges: ``policy.late_fee`` has a rate
    above 0 (the formal and demand letters then tell customers overdue invoices are subject to it) and the
    program has the same rate per month and grace days. Such a program is evaluated as in force (keep it
    or review it), never as a new program to start."""
    lf = (policy or {}).get("late_fee") or {}
    rate = float(lf.get("rate_per_month", 0) or 0)
    return prog.get("type") == "late_fee" and rate > 0 and abs(float(prog.get("rate_per_month", 0)) - rate) < 1e-12 and int(prog.get("grace_days", 0)) == int(lf.get("grace_days", 0) or 0)


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
