"""Incentive programs, the programs file and the yearly cost of an offer (arkit.incentives.programs)."""

from __future__ import annotations

from pathlib import Path
import numpy as np
import pytest

import arkit
from arkit.errors import ConfigError
from arkit.incentives import annualised_cost, discount_cost, load_programs
from tests.incentives_helpers import AS_OF, programs, D210, FEE, CREDIT


def test_discount_cost_hand_examples():
    """2/10 net 30: 0.02 ÷ 0.98 = 0.020408; × 365 ÷ 20 = 18.25 → 0.37245 → 37.24 %.
    1/10 net 30: 0.01 ÷ 0.99 = 0.010101; × 18.25 = 0.18434 → 18.43 %.
    Compound 2/10 net 30: 1.020408 ^ 18.25 − 1 = e^(18.25 × 0.020203) − 1 = e^0.368705 − 1 = 0.44586 → 44.59 %."""
    assert round(discount_cost(0.02, 10, 30) * 100, 2) == 37.24
    assert round(discount_cost(0.01, 10, 30) * 100, 2) == 18.43
    assert round(discount_cost(0.02, 10, 30, compound=True) * 100, 2) == 44.59
    assert arkit.discount_cost is discount_cost
    assert discount_cost(0.0, 10, 30) == 0.0


@pytest.mark.parametrize("args", [(1.0, 10, 30), (-0.01, 10, 30), (0.02, 30, 30), (0.02, 40, 30), (0.02, -1, 30)])
def test_discount_cost_rejects_impossible_terms(args):
    with pytest.raises(ValueError):
        discount_cost(*args)


def test_annualised_cost_of_programs():
    """Discount: discount_cost; credit 10 % for 10 days, net 30 default: 0.1 ÷ 0.9 × 365 ÷ 20 = 2.0278;
    late fee: no rate to quote (NaN)."""
    p = programs(D210, CREDIT, FEE)["programs"]
    assert annualised_cost(p[0]) == pytest.approx(0.372449, abs=1e-6)
    assert annualised_cost(p[1]) == pytest.approx(0.1 / 0.9 * 365 / 20)
    assert np.isnan(annualised_cost(p[2]))


# --------------------------------------------------------------------------------------------- config


def test_shipped_programs_file_is_valid():
    p = load_programs()
    types = {x["type"] for x in p["programs"]}
    assert types == {"early_pay_discount", "late_fee", "next_purchase_credit", "perk", "payment_plan"}
    assert p["assumptions"]["take_up"]["shift_probability"] == {"low": 0.10, "base": 0.25, "high": 0.40}
    assert arkit.load_programs is load_programs


def _write(tmp_path, text) -> Path:
    path = tmp_path / "programs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, key",
    [
        ("assumptions: {cost_of_capital: 1.5}\n", "assumptions.cost_of_capital"),
        ("assumptions: {take_up: {shift_probability: {low: 0.5, base: 0.2, high: 0.6}}}\n", "assumptions.take_up.shift_probability"),
        ("assumptions: {bad_debt: {by_segment: {vip: 0.1}}}\n", "assumptions.bad_debt.by_segment.vip"),
        ("assumptions: {colour: red}\n", "assumptions.colour"),
        ("programs: [{name: X, type: coupon}]\n", "programs[0].type"),
        ("programs: [{name: X, type: early_pay_discount, rate: 0.02, discount_days: 10}]\n", "programs[0].net_days"),
        ("programs: [{name: X, type: early_pay_discount, rate: 0.02, discount_days: 30, net_days: 30}]\n", "programs[0].net_days"),
        ("programs: [{name: X, type: early_pay_discount, rate: two, discount_days: 10, net_days: 30}]\n", "programs[0].rate"),
        ("programs: [{name: X, type: late_fee, rate_per_month: 0.015, grace_days: 10, cap: 0.1, collection_rate: 0.6, colour: 1}]\n", "programs[0].colour"),
        ("programs: [{name: X, type: perk, window_days: 10, cost_per_participant: 5}, {name: X, type: perk, window_days: 5, cost_per_participant: 5}]\n", "programs[1].name"),
        ("programs: [{name: X, type: payment_plan, min_days_past_due: 60, installments: 4, fee_rate: 0.03, recovery_without_plan: 0.9, recovery_with_plan: 0.5}]\n", "programs[0].recovery_with_plan"),
        ("programs: []\n", "programs"),
        ("extra: 1\n", "extra"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, key):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_programs(path)
    msg = str(e.value)
    assert str(path) in msg and f"'{key}'" in msg and "\n" not in msg


def test_config_file_problems(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_programs(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_programs(_write(tmp_path, "programs: [\n  - {name: x\n"))
    # a user file may set a few assumptions; the rest (and the shipped programs) are filled in
    p = load_programs(_write(tmp_path, "assumptions: {cost_of_capital: 0.12, take_up: {reach_days: 15}}\n"))
    assert p["assumptions"]["cost_of_capital"] == 0.12 and p["assumptions"]["take_up"]["reach_days"] == 15
    assert p["assumptions"]["take_up"]["shift_probability"]["base"] == 0.25 and len(p["programs"]) == len(load_programs()["programs"])


def test_cli_programs_option_errors(tmp_path, capsys):
    from arkit.cli import main

    led = tmp_path / "l.csv"
    led.write_text("customer_id,invoice_id,invoice_date,due_date,amount,currency\nA,1,2026-01-01,2026-01-31,10,USD\n", encoding="utf-8")
    assert main(["run", "incentives", "--ledger", str(led), "--as-of", AS_OF, "--programs", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "r")]) == 2
    assert "programs file" in capsys.readouterr().err
    progs = _write(tmp_path, "assumptions: {cost_of_capital: 0.1}\n")
    assert main(["run", "monthly-review", "--ledger", str(led), "--as-of", AS_OF, "--programs", str(progs), "--out", str(tmp_path / "r")]) == 2
    assert "no parameter programs_path" in capsys.readouterr().err
