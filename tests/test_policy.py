"""config/policy.yaml: loaded, filled with defaults, and every mistake named by key."""

import pytest

from arkit.errors import ConfigError
from arkit.policy import load_policy


def write(tmp_path, text):
    p = tmp_path / "policy.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_policy_is_valid():
    p = load_policy()
    assert p["buckets"] == [30, 60, 90]
    assert [s["day"] for s in p["ladder"]] == sorted(s["day"] for s in p["ladder"])
    assert p["targets"]["dso"] == 45.0
    assert p["disputes"] == "pause" and p["min_days_between_steps"] == 7 and p["worklist"]["dispute_owner"] == "collector"


def test_user_policy_overrides_section_by_section(tmp_path):
    p = load_policy(write(tmp_path, "targets: {dso: 40}\n"))
    assert p["targets"]["dso"] == 40.0 and p["targets"]["cei"] == 80.0  # the rest of targets kept
    assert p["_file"].endswith("policy.yaml")


@pytest.mark.parametrize(
    "text,message",
    [
        ("buckets: [60, 30]\n", "key 'buckets' must be a list of increasing whole days"),
        ("targets: {dso: fast}\n", "key 'targets.dso' must be a number"),
        ("targets: {speed: 3}\n", "key 'targets.speed' is not a figure with a target"),
        ("ladder: [{step: x, action: shout, day: 3}]\n", "key 'ladder[0].action' is 'shout', expected one of"),
        ("ladder: [{step: a, action: call, day: 20}, {step: b, action: letter, day: 10}]\n", "key 'ladder[1].day' (10) is earlier"),
        ("ladder: [{step: a, action: letter, day: 20, letter: nope}]\n", "names template 'nope'"),
        ("ladder: [{step: a, action: call}]\n", "key 'ladder[0].day' is missing"),
        ("gentle: {skip: [nothing]}\n", "key 'gentle.skip' names step 'nothing'"),
        ("late_fee: {rate_per_month: 2}\n", "key 'late_fee.rate_per_month' must be a number between 0 and 1"),
        ("colour: blue\n", "key 'colour' is not a policy key"),
        ("targets: [1, 2\n", "is not valid YAML at line"),
        ("worklist: {deadline_day: 10}\n", "key 'worklist.deadline_day' is not a key of 'worklist'. Did you mean 'worklist.deadline_days'?"),
        ("min_day_between_steps: 3\n", "key 'min_day_between_steps' is not a policy key. Did you mean 'min_days_between_steps'?"),
        ("ladder: [{step: a, action: call, day: 20, ownr: me}]\n", "key 'ladder[0].ownr' is not a ladder key. Did you mean 'ladder[0].owner'?"),
        ("targets: {dso_countbak: 3}\n", "Did you mean 'targets.dso_countback'?"),
        ("company: {name: X, adress: Y}\n", "Did you mean 'company.address'?"),
        ("gentle: {delay: 3}\n", "Did you mean 'gentle.delay_days'?"),
        ("disputes: stop\n", "key 'disputes' is 'stop', expected one of: pause, ignore"),
        ("min_days_between_steps: -1\n", "key 'min_days_between_steps' must be a whole number ≥ 0"),
    ],
)
def test_mistakes_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as e:
        load_policy(write(tmp_path, text))
    assert message in str(e.value) and "policy.yaml" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "nope.yaml")
