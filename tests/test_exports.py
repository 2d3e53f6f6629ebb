"""Every preset's test file, written from the system's public description of the export, loads to the cent.

Each file under tests/data/exports/ is read twice, with ``source="auto"`` (the preset must be recognised)
and with the preset's name; the open items at the report's as-of date must match the hand-computed figures
in tests/data/exports/expected.yaml: item count, total, each customer, each bucket, and the row accounting
(rows read = accepted + quarantined + duplicates + skipped)."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

import arkit
from arkit.aging import aging, aging_summary
from arkit.detect import detect_source, preset_kinds

DATA = Path(__file__).parent / "data" / "exports"
EXPECTED = yaml.safe_load((DATA / "expected.yaml").read_text(encoding="utf-8"))


def test_every_preset_has_a_test_file():
    kinds = preset_kinds()
    untested = sorted(set(kinds) - set(EXPECTED) - {"generic", "ibm-sample", "highradius-open-items", "quickbooks-aging-summary", "canada-public-accounts-aging"})
    assert not untested, f"presets without a test file: {untested}"


LEDGER = [n for n, e in EXPECTED.items() if "customers" in e and not e.get("snapshot")]
SNAPSHOT = [n for n, e in EXPECTED.items() if e.get("snapshot")]


@pytest.mark.parametrize("name", LEDGER)
@pytest.mark.parametrize("how", ["auto", "preset"])
def test_ledger_export_to_the_cent(name, how):
    exp = EXPECTED[name]
    path = DATA / exp["file"]
    preset = exp.get("preset", name)  # a second file of a preset: a real variant of the export
    if how == "auto":
        det = detect_source(path)
        assert det.name == preset, det.reason
        led = arkit.load_ledger(path)
        assert led.load_report.sources["detection"]["preset"] == preset
    else:
        led = arkit.load_ledger(path, source=preset)
    rep = led.load_report
    assert rep.quarantine.empty, rep.quarantine.to_string()
    as_of = pd.Timestamp(exp["as_of"])
    if exp.get("as_of_from_title", True):
        assert rep.sources["as_of"] == as_of
    items = aging(led, as_of)
    assert len(items) == exp["count"]
    assert round(items["open_amount"].sum(), 2) == pytest.approx(exp["total"], abs=0.001)
    summ = aging_summary(led, as_of)
    key = exp.get("customer_key", "customer_id")
    got = {str(k): round(v, 2) for k, v in summ.groupby(key)["total"].sum().items()}
    assert got == pytest.approx({str(k): float(v) for k, v in exp["customers"].items()}, abs=0.001)
    # debit items by age bucket, credits (credit notes, unapplied cash) in their own column (arkit.position):
    # an export that nets a credit note inside its age bucket is compared bucket by bucket on gross debits
    buckets = {b: round(summ[b].sum(), 2) for b in ["current", "1-30", "31-60", "61-90", "91+", "credits"]}
    want = {b: float(exp["buckets"].get(b, 0.0)) for b in buckets}
    assert buckets == pytest.approx(want, abs=0.001)
    s = rep.summary
    read = int(s["rows_read"].sum())
    assert read == int((s["rows_accepted"] + s["rows_quarantined"] + s["duplicates_dropped"] + s["rows_skipped"]).sum())
    r = exp["rows"]
    assert (read, int(s["rows_accepted"].sum()), int(s["rows_skipped"].sum())) == (r["read"], r["accepted"], r["skipped"])
    if "kind" in exp:
        assert rep.sources["kind"] == exp["kind"]
        assert led.is_open_item_export == (exp["kind"] == "open_items")


@pytest.mark.parametrize("name", SNAPSHOT)
@pytest.mark.parametrize("how", ["auto", "preset"])
def test_snapshot_export_to_the_cent(name, how):
    exp = EXPECTED[name]
    path = DATA / exp["file"]
    preset = exp.get("preset", name)  # a second file of a preset: a real variant of the export
    snap = arkit.load_snapshot(path, source="auto" if how == "auto" else preset)
    if how == "auto":
        assert Path(snap.attrs["source"]).stem == preset
    assert snap["as_of"].iloc[0] == pd.Timestamp(exp["as_of"])
    assert round(snap.attrs["report_total"], 2) == pytest.approx(exp["total"], abs=0.001)
    assert round(snap["amount"].sum(), 2) == pytest.approx(exp["total"], abs=0.001)
    got = {str(k): round(v, 2) for k, v in snap.groupby("customer")["amount"].sum().items()}
    assert got == pytest.approx({str(k): float(v) for k, v in exp["customers"].items()}, abs=0.001)
    bt = {b: round(v, 2) for b, v in snap.groupby("bucket", observed=False)["amount"].sum().items()}
    assert bt == pytest.approx({b: float(exp["buckets"].get(b, 0.0)) for b in bt}, abs=0.001)


def test_canada_public_accounts_aging_by_its_own_totals(real_data):
    """The Government of Canada aging table, read by its snapshot preset (recognised on sight), against the
    figures its PROVENANCE.md states: 2016/17 taxes receivable = 124,766,683,433 (Public Accounts 2017,
    Vol. I, Table 7.3, to the dollar), the yearly totals in billions, and the share aged over 5 years."""
    path = real_data / "canada-public-accounts-ar-aging" / "chronoimpots-agingtaxes.csv"
    before = path.read_bytes()
    snap = arkit.load_snapshot(path)
    assert Path(snap.attrs["source"]).stem == "canada-public-accounts-aging"
    taxes = snap[snap["customer"] == "Taxes receivable"]
    by_year = taxes.groupby("as_of")["amount"].sum()
    assert by_year[pd.Timestamp("2017-03-31")] == 124_766_683_433
    for end, bn in ((2009, 81.4), (2013, 104.5), (2017, 124.8), (2021, 160.9), (2025, 244.8)):
        assert round(by_year[pd.Timestamp(f"{end}-03-31")] / 1e9, 1) == bn
    over5 = taxes[taxes["bucket"] == "Over 5 years"].set_index("as_of")["amount"]
    for end, pct in ((2009, 11.5), (2016, 17.5), (2024, 20.8), (2025, 17.9)):
        ts = pd.Timestamp(f"{end}-03-31")
        assert round(100 * over5[ts] / by_year[ts], 1) == pct
    # empty cells are no amount: 2022/23 has no "Other accounts receivable" aging at all
    other = snap[(snap["customer"] == "Other accounts receivable") & (snap["as_of"] == pd.Timestamp("2023-03-31"))]
    assert other.empty
    assert len(snap) == 16 * 17 - (4 * 7 + 3 + 2 * 6 + 10 * 3)  # cells minus the empty ones PROVENANCE counts
    assert path.read_bytes() == before
