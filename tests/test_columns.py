"""The dictionary of columns: labels, kinds, code labels (policy ladder labels win), frames for people."""

import pandas as pd

from arkit import columns as c


def test_known_pattern_and_unknown_names():
    assert (c.label("open_ar"), c.kind_of("open_ar")) == ("Open AR", "money")
    assert (c.label("pct_on_time"), c.kind_of("pct_on_time")) == ("On time (%)", "pct")
    assert (c.label("utilisation"), c.kind_of("utilisation")) == ("Credit used", "fraction")
    assert c.label("util_2026-05") == "Credit used 2026-05" and c.kind_of("util_2026-05") == "pct"
    assert c.label("late_fee_rate") == "Late fee rate"  # unknown snake_case: words
    assert c.label("Past due") == "Past due" and c.kind_of("Past due") == "money"  # already words: kept
    assert c.humanize("dso_change_days") == "DSO change days"


def test_kinds_inferred_from_data_when_unknown():
    assert c.kind_of("x_total", pd.Series([1.5])) == "money"
    assert c.kind_of("Oldest (days)", pd.Series([29.0, None])) == "days"
    assert c.kind_of("something", pd.Series([3, 4])) == "count"
    assert c.kind_of("ratio_x", pd.Series([0.1234567])) == "number"
    assert c.kind_of("when", pd.Series(pd.to_datetime(["2026-06-29"]))) == "date"
    assert c.kind_of("ok", pd.Series([True])) == "flag"


def test_code_labels_and_policy_overrides():
    assert c.code_label("demand_letter") == "Demand letter" and c.code_label("credit_manager") == "Credit manager"
    assert c.code_label("chronic_late") == "Chronic late payer" and c.code_label("good_slipping") == "Good customer slipping"
    assert c.code_label("some_new_step") == "Some new step" and c.code_label("C0001") == "C0001"
    policy = {"ladder": [{"step": "demand_letter", "label": "Letter before action"}]}
    assert c.code_label("demand_letter", policy) == "Letter before action"


def test_for_people_relabels_maps_codes_and_flags():
    df = pd.DataFrame({"customer_id": ["C1", "C2"], "step": ["demand_letter", None], "over_limit": [True, False], "reason": ["credit_hold", "open AR at 107%"], "dup": [1, 2]})
    df = df.rename(columns={"dup": "customer_id2"})
    people, kinds = c.for_people(df)
    assert list(people.columns) == ["Customer", "Step", "Over credit limit", "Why", "Customer id2"]
    assert people["Step"].iloc[0] == "Demand letter" and pd.isna(people["Step"].iloc[1])
    assert people["Over credit limit"].tolist() == ["Yes", "No"]
    assert people["Why"].tolist() == ["Credit hold", "open AR at 107%"]  # a whole-cell code in text: its label
    assert kinds["Customer"] == "id" and kinds["Step"] == "text"
    assert df["step"].iloc[0] == "demand_letter"  # input untouched


def test_describe_gives_the_definitions_appendix():
    d = c.describe(["dso", "bpdso", "customer_name"])
    assert d["Term"].tolist() == ["DSO", "BPDSO"] and d["Definition"].str.len().gt(10).all()


def test_policy_ladder_label_is_validated_and_used(tmp_path):
    import pytest

    from arkit.errors import ConfigError
    from arkit.policy import load_policy

    pol = tmp_path / "p.yaml"
    base = load_policy()
    ladder = [{k: v for k, v in s.items() if v is not None} for s in base["ladder"]]
    ladder[5]["label"] = "Letter before action"
    import yaml

    pol.write_text(yaml.safe_dump({"ladder": ladder}), encoding="utf-8")
    p = load_policy(pol)
    assert c.code_label(p["ladder"][5]["step"], p) == "Letter before action"
    ladder[5]["label"] = 5
    pol.write_text(yaml.safe_dump({"ladder": ladder}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ladder\[5\]\.label"):
        load_policy(pol)


def test_a_boolean_column_is_a_yes_no_flag_even_under_a_money_name():
    """written_off is money in the roll rates (the amount written off) and a flag on an open item."""
    import pandas as pd

    from arkit.columns import for_people

    people, kinds = for_people(pd.DataFrame({"written_off": [True, False], "amount": [1.0, 2.0]}))
    assert people["Written off"].tolist() == ["Yes", "No"] and kinds["Written off"] == "text"


def test_a_label_cut_by_an_unquoted_comma_is_refused(tmp_path, monkeypatch):
    """{label: Pay date (early, p10)} in YAML's flow style is the label "Pay date (early" plus a key "p10)":
    the dictionary refuses it, naming the column, instead of showing a cut label."""
    import pytest

    from arkit import columns

    bad = tmp_path / "columns.yaml"
    bad.write_text("columns:\n  pay_date_p10: {label: Pay date (early, p10), kind: date}\n", encoding="utf-8")
    monkeypatch.setattr(columns, "DICTIONARY", bad)
    columns._data.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"column 'pay_date_p10' has unknown key\(s\) 'p10\)'; quote a label"):
            columns._data()
    finally:
        monkeypatch.undo()
        columns._data.cache_clear()
    assert columns.label("pay_date_p10") == "Pay date (early, p10)"  # the shipped dictionary, quoted
