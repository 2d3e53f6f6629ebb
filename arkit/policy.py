"""The credit & collections policy (``config/policy.yaml``), validated on load.

Every mistake raises :class:`arkit.errors.ConfigError` naming the file, the key and what was expected.
:func:`load_policy` returns a plain dict with every key present (defaults from the shipped policy fill
what a user's file leaves out, section by section).
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .errors import ConfigError
from .mapping import CONFIG_DIR, read_yaml_mapping
from .model import ACTIONS

DEFAULT_POLICY = CONFIG_DIR / "policy.yaml"

_TARGETS = {"dso", "dso_countback", "bpdso", "add", "cei", "pct_current", "pct_91_plus"}
_STEP_KEYS = {"step", "action", "day", "owner", "letter", "channel", "label"}  # label: what reports show (arkit.columns)
_SECTIONS = {
    "buckets", "targets", "ladder", "gentle", "good_customer", "chronic_late", "new_customer_months",
    "credit_hold", "late_fee", "worklist", "company", "disputes", "min_days_between_steps",
}  # fmt: skip
#: The keys each mapping section accepts (a typo is an error naming the nearest known key).
_SECTION_KEYS = {
    "gentle": {"delay_days", "skip"},
    "good_customer": {"lookback_months", "min_invoices", "max_avg_days_late", "grace_days"},
    "chronic_late": {"lookback_months", "late_days", "min_share_late"},
    "credit_hold": {"days_past_due", "utilisation"},
    "late_fee": {"rate_per_month", "grace_days"},
    "worklist": {"min_past_due", "deadline_days", "dispute_owner"},
    "company": {"name", "address", "email", "phone", "payment_instructions"},
}
_DISPUTE_HANDLING = ("pause", "ignore")


def _unknown(where: str, keys, known, prefix: str = "", what: str = "a policy key") -> None:
    """A :class:`ConfigError` for the first key not in ``known``, naming the nearest known key."""
    bad = sorted(str(k) for k in set(keys) - set(known))
    if not bad:
        return
    k = bad[0]
    near = difflib.get_close_matches(k, sorted(known), n=1, cutoff=0.6)
    hint = f" Did you mean '{prefix}{near[0]}'?" if near else ""
    raise ConfigError(f"{where}: key '{prefix}{k}' is not {what}.{hint} Known keys: {', '.join(sorted(known))}.")


def _read(path: Path) -> dict:
    return read_yaml_mapping(path, "Policy file")


def load_policy(path=None) -> dict:
    """The policy at ``path`` (default ``config/policy.yaml``), validated, with defaults filled in."""
    default = _read(DEFAULT_POLICY)
    if path is None:
        return validate_policy(default, str(DEFAULT_POLICY))
    path = Path(path)
    user = _read(path)
    merged = dict(default)
    for k, v in user.items():
        if isinstance(v, dict) and isinstance(default.get(k), dict):
            merged[k] = {**default[k], **v}
        else:
            merged[k] = v
    return validate_policy(merged, str(path), user_keys=set(user))


def _num(where, key, v, *, lo=None, hi=None, integer=False):
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (not integer or float(v).is_integer())
    if ok and lo is not None and v < lo:
        ok = False
    if ok and hi is not None and v > hi:
        ok = False
    if not ok:
        rng = f" between {lo} and {hi}" if lo is not None and hi is not None else (f" ≥ {lo}" if lo is not None else "")
        raise ConfigError(f"{where}: key '{key}' must be a {'whole number' if integer else 'number'}{rng}, not {v!r}.")
    return int(v) if integer else float(v)


def validate_policy(p: dict, where: str = "<policy>", *, user_keys=None) -> dict:
    """Check every key of a policy dict; returns it (numbers normalised)."""
    _unknown(where, p, _SECTIONS - {"_file"})
    for sec, known in _SECTION_KEYS.items():
        v = p.get(sec)
        if v is not None and not isinstance(v, dict):
            raise ConfigError(f"{where}: key '{sec}' must be a mapping of keys to values ({', '.join(sorted(known))}).")
        _unknown(where, v or {}, known, prefix=f"{sec}.", what=f"a key of '{sec}'")
    b = p.get("buckets")
    if not isinstance(b, list) or not b or any(not isinstance(x, int) or x < 1 for x in b) or any(y <= x for x, y in zip(b, b[1:])):
        raise ConfigError(f"{where}: key 'buckets' must be a list of increasing whole days ≥ 1, such as [30, 60, 90], not {b!r}.")
    t = p.get("targets", {})
    if not isinstance(t, dict):
        raise ConfigError(f"{where}: key 'targets' must be a mapping of figure to target.")
    for k, v in t.items():
        if k not in _TARGETS:
            near = difflib.get_close_matches(str(k), sorted(_TARGETS), n=1, cutoff=0.6)
            hint = f" Did you mean 'targets.{near[0]}'?" if near else ""
            raise ConfigError(f"{where}: key 'targets.{k}' is not a figure with a target{hint} ({', '.join(sorted(_TARGETS))}).")
        t[k] = _num(where, f"targets.{k}", v, lo=0)
    ladder = p.get("ladder")
    if not isinstance(ladder, list) or not ladder:
        raise ConfigError(f"{where}: key 'ladder' must be a list of steps, each with step, action and day.")
    names, last_day = set(), None
    for i, s in enumerate(ladder):
        key = f"ladder[{i}]"
        if not isinstance(s, dict):
            raise ConfigError(f"{where}: key '{key}' must be a mapping with step, action and day.")
        _unknown(where, s, _STEP_KEYS, prefix=f"{key}.", what="a ladder key")
        for req in ("step", "action", "day"):
            if req not in s:
                raise ConfigError(f"{where}: key '{key}.{req}' is missing.")
        if s["action"] not in ACTIONS:
            raise ConfigError(f"{where}: key '{key}.action' is '{s['action']}', expected one of: {', '.join(ACTIONS)}.")
        s["day"] = _num(where, f"{key}.day", s["day"], integer=True)
        if last_day is not None and s["day"] < last_day:
            raise ConfigError(f"{where}: key '{key}.day' ({s['day']}) is earlier than the step before it ({last_day}); list steps in order.")
        last_day = s["day"]
        if s["step"] in names:
            raise ConfigError(f"{where}: key '{key}.step' repeats the step name '{s['step']}'.")
        names.add(s["step"])
        s.setdefault("owner", "collector")
        s.setdefault("letter", None)
        s.setdefault("channel", "email" if s.get("letter") else None)
        if "label" in s and (not isinstance(s["label"], str) or not s["label"].strip()):
            raise ConfigError(f"{where}: key '{key}.label' must be a text such as 'Demand letter', not {s['label']!r}.")
        if s["letter"] is not None and not (CONFIG_DIR / "templates" / f"{s['letter']}.html.j2").exists():
            raise ConfigError(f"{where}: key '{key}.letter' names template '{s['letter']}', but config/templates/{s['letter']}.html.j2 does not exist.")
    g = p.get("gentle", {}) or {}
    g["delay_days"] = _num(where, "gentle.delay_days", g.get("delay_days", 0), lo=0, integer=True)
    g["skip"] = list(g.get("skip", []) or [])
    for s in g["skip"]:
        if s not in names:
            raise ConfigError(f"{where}: key 'gentle.skip' names step '{s}', which is not in the ladder ({', '.join(sorted(names))}).")
    p["gentle"] = g
    gc = p.get("good_customer", {})
    gc["lookback_months"] = _num(where, "good_customer.lookback_months", gc.get("lookback_months"), lo=1, integer=True)
    gc["min_invoices"] = _num(where, "good_customer.min_invoices", gc.get("min_invoices"), lo=1, integer=True)
    gc["max_avg_days_late"] = _num(where, "good_customer.max_avg_days_late", gc.get("max_avg_days_late"), lo=0)
    gc["grace_days"] = _num(where, "good_customer.grace_days", gc.get("grace_days"), lo=0, integer=True)
    cl = p.get("chronic_late", {})
    cl["lookback_months"] = _num(where, "chronic_late.lookback_months", cl.get("lookback_months"), lo=1, integer=True)
    cl["late_days"] = _num(where, "chronic_late.late_days", cl.get("late_days"), lo=0, integer=True)
    cl["min_share_late"] = _num(where, "chronic_late.min_share_late", cl.get("min_share_late"), lo=0, hi=1)
    p["new_customer_months"] = _num(where, "new_customer_months", p.get("new_customer_months"), lo=0, integer=True)
    ch = p.get("credit_hold", {})
    ch["days_past_due"] = _num(where, "credit_hold.days_past_due", ch.get("days_past_due"), lo=0, integer=True)
    ch["utilisation"] = _num(where, "credit_hold.utilisation", ch.get("utilisation"), lo=0)
    lf = p.get("late_fee", {})
    lf["rate_per_month"] = _num(where, "late_fee.rate_per_month", lf.get("rate_per_month"), lo=0, hi=1)
    lf["grace_days"] = _num(where, "late_fee.grace_days", lf.get("grace_days"), lo=0, integer=True)
    wl = p.get("worklist", {})
    wl["min_past_due"] = _num(where, "worklist.min_past_due", wl.get("min_past_due"), lo=0)
    wl["deadline_days"] = _num(where, "worklist.deadline_days", wl.get("deadline_days"), lo=1, integer=True)
    wl["dispute_owner"] = str(wl.get("dispute_owner") or "collector")
    if p.get("disputes", "pause") not in _DISPUTE_HANDLING:
        raise ConfigError(f"{where}: key 'disputes' is {p.get('disputes')!r}, expected one of: {', '.join(_DISPUTE_HANDLING)} (pause: an invoice in open dispute is not dunned).")
    p["disputes"] = p.get("disputes", "pause")
    p["min_days_between_steps"] = _num(where, "min_days_between_steps", p.get("min_days_between_steps", 0), lo=0, integer=True)
    co = p.get("company", {})
    if not isinstance(co, dict) or not co.get("name"):
        raise ConfigError(f"{where}: key 'company.name' is missing (letters are signed with it).")
    p["_file"] = where
    return p
