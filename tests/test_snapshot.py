"""load_snapshot: QuickBooks A/R Aging Summary exports (real files) and tampered or synthetic copies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from arkit.errors import ConfigError, LedgerError
from arkit.model import cents
from arkit.snapshot import BUCKETS, load_snapshot

QB = "quickbooks-online-sandbox-exports"
US1 = "Sandbox_Company_US_1_ar_Aging_Summary_Report"
US2 = "Sandbox_Company_US_2_ar_Aging_Summary_Report"
# md5 of the inputs as recorded in PROVENANCE.md: the tests must never change them
MD5 = {
    f"{US1}.csv": "baad6c8c32a599522eef7202cc38d89f",
    f"{US1}.xlsx": "ee8c2513f08e64a23d159d67ac0f72b1",
    f"{US2}.csv": "f39c1e93fda62af14631235111605eed",
    f"{US2}.xlsx": "ab51e49bf3bfa768a292aef5191833f3",
}


@pytest.fixture
def qb(real_data: Path) -> Path:
    folder = real_data / QB
    if not folder.is_dir():
        pytest.skip(f"QuickBooks sandbox exports not found in {folder}")
    return folder


def _cents_total(df: pd.DataFrame) -> int:
    return int(cents(df["amount"]).sum())


def _by_bucket(df: pd.DataFrame) -> dict[str, int]:
    c = pd.Series(cents(df["amount"]), index=df.index)
    return c.groupby(df["bucket"], observed=False).sum().astype(int).to_dict()


def _copy_text(qb: Path, name: str, tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """A tampered copy of a real CSV in tmp_path (byte-exact apart from the replacement)."""
    raw = (qb / name).read_bytes()
    assert raw.count(old.encode()) >= 1, old
    out = tmp_path / name
    out.write_bytes(raw.replace(old.encode(), new.encode(), count))
    return out


# ---------------------------------------------------------------------------------------------- real files


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_us1_positive_ar(qb, suffix):
    df = load_snapshot(qb / f"{US1}.{suffix}")
    assert list(df.columns) == ["as_of", "customer", "bucket", "amount"]
    assert df["as_of"].dtype == "datetime64[ns]"
    assert (df["as_of"] == pd.Timestamp("2025-12-21")).all()
    assert pd.api.types.is_string_dtype(df["customer"].dtype)
    assert isinstance(df["bucket"].dtype, pd.CategoricalDtype)
    assert df["bucket"].cat.ordered and list(df["bucket"].cat.categories) == list(BUCKETS)
    assert df["amount"].dtype == "float64"

    assert df["customer"].nunique() == 17 and len(df) == 17
    assert _cents_total(df) == 528152
    assert _by_bucket(df) == {"current": 0, "1-30": 0, "31-60": 0, "61-90": 0, "91+": 528152}
    amounts = df.set_index("customer")["amount"]
    assert amounts["Freeman Sporting Goods:0969 Ocean View Road"] == 477.50
    assert amounts["Freeman Sporting Goods:55 Twin Lane"] == 85.00
    assert amounts["Shara Barnett:Barnett Design"] == 274.50
    assert amounts["Amy's Bird Sanctuary"] == 239.00
    assert (df["amount"] > 0).all()

    assert df.attrs["file"] == str(qb / f"{US1}.{suffix}")
    assert df.attrs["company"] == "Sandbox Company_US_1"
    assert df.attrs["report_total"] == 5281.52
    assert df.attrs["bucket_totals"] == {"current": 0.0, "1-30": 0.0, "31-60": 0.0, "61-90": 0.0, "91+": 5281.52}


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_us2_credit_heavy_ar(qb, suffix):
    df = load_snapshot(qb / f"{US2}.{suffix}")
    assert (df["as_of"] == pd.Timestamp("2026-03-04")).all()
    assert df["customer"].nunique() == 67
    assert len(df) == 82  # customer x bucket cells with a balance
    assert _cents_total(df) == -17580425
    assert _by_bucket(df) == {"current": 0, "1-30": 0, "31-60": 488452, "61-90": -515099, "91+": -17553778}
    per_customer = df.groupby("customer")["amount"].sum()
    assert (per_customer < 0).sum() == 50 and (per_customer > 0).sum() == 17

    red_rock = df[df["customer"] == "Red Rock Diner"]
    assert red_rock[["bucket", "amount"]].astype({"bucket": str}).values.tolist() == [["31-60", 70.0], ["91+", 156.0]]
    twin = df[df["customer"] == "Freeman Sporting Goods:55 Twin Lane"]
    assert twin["amount"].tolist() == [4.00, 81.00]
    auer = df[df["customer"] == "Auer, Keeling and Steuber"]
    assert dict(zip(auer["bucket"].astype(str), auer["amount"])) == {"61-90": -255.00, "91+": -4028.76}

    assert df.attrs["company"] == "Sandbox Company_US_2"
    assert df.attrs["report_total"] == -175804.25
    assert df.attrs["bucket_totals"] == {
        "current": 0.0,
        "1-30": 0.0,
        "31-60": 4884.52,
        "61-90": -5150.99,
        "91+": -175537.78,
    }


@pytest.mark.parametrize("stem", [US1, US2])
def test_csv_and_xlsx_identical(qb, stem):
    a = load_snapshot(qb / f"{stem}.csv")
    b = load_snapshot(qb / f"{stem}.xlsx")
    pd.testing.assert_frame_equal(a, b)
    for key in ("company", "report_total", "bucket_totals"):
        assert a.attrs[key] == b.attrs[key]


@pytest.mark.parametrize("stem", [US1, US2])
def test_sub_customers_and_total_rows_not_counted(qb, stem):
    df = load_snapshot(qb / f"{stem}.csv")
    names = set(df["customer"])
    assert {n for n in names if ":" in n} == {
        "Freeman Sporting Goods:0969 Ocean View Road",
        "Freeman Sporting Goods:55 Twin Lane",
        "Shara Barnett:Barnett Design",
    }
    assert not {"Freeman Sporting Goods", "Shara Barnett", "TOTAL"} & names
    assert not any(n.startswith("Total for") or "GMTZ" in n for n in names)
    assert not df.duplicated(["customer", "bucket"]).any()
    assert (df["amount"] != 0).all()


def test_openpyxl_fallback_when_calamine_fails(qb, monkeypatch):
    import python_calamine

    expected = load_snapshot(qb / f"{US2}.xlsx")

    def broken(*args, **kwargs):
        raise python_calamine.CalamineError("simulated calamine failure")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", broken)
    got = load_snapshot(qb / f"{US2}.xlsx")
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["report_total"] == -175804.25


def test_inputs_untouched(qb):
    for name, md5 in MD5.items():
        assert hashlib.md5((qb / name).read_bytes()).hexdigest() == md5, name


# ------------------------------------------------------------------------------------------ tampered copies


def test_changed_leaf_amount_breaks_total(qb, tmp_path):
    # Amy's row changed consistently (bucket and row total): only the TOTAL row can catch it
    path = _copy_text(qb, f"{US1}.csv", tmp_path, "Amy's Bird Sanctuary,,,,,239.00,239.00", "Amy's Bird Sanctuary,,,,,249.00,249.00")
    with pytest.raises(LedgerError) as exc:
        load_snapshot(path)
    msg = str(exc.value)
    assert f"{US1}.csv" in msg and "row 27" in msg and "'91 AND OVER'" in msg
    assert "TOTAL" in msg and "5,281.52" in msg and "5,291.52" in msg
    problems = exc.value.problems
    assert list(problems["column"]) == ["91 AND OVER", "Total"]
    assert list(problems["row"]) == [27, 27]


def test_changed_leaf_amount_in_xlsx(qb, tmp_path):
    wb = openpyxl.load_workbook(qb / f"{US1}.xlsx", data_only=True)
    ws = wb.active
    assert ws["A6"].value == "Amy's Bird Sanctuary" and ws["F6"].value == 239
    ws["F6"] = 239.01
    ws["G6"] = 239.01
    path = tmp_path / f"{US1}.xlsx"
    wb.save(path)
    with pytest.raises(LedgerError, match=r"row 27, column '91 AND OVER': the TOTAL row shows 5,281\.52 but the customer rows sum to 5,281\.53"):
        load_snapshot(path)


def test_row_total_mismatch(qb, tmp_path):
    path = _copy_text(qb, f"{US2}.csv", tmp_path, "Becker-Adams,,,,-625.00,\"-2,985.75\",\"-3,610.75\"", "Becker-Adams,,,,-625.00,\"-2,985.75\",\"-3,610.57\"")
    with pytest.raises(LedgerError) as exc:
        load_snapshot(path)
    msg = str(exc.value)
    assert msg == (
        f"{US2}.csv: row 10, column 'Total': 'Becker-Adams' shows a total of -3,610.57 but its buckets sum to "
        "-3,610.75."
    )


def test_subtotal_mismatch(qb, tmp_path):
    path = _copy_text(qb, f"{US2}.csv", tmp_path, "55 Twin Lane,,,4.00,81.00,,85.00", "55 Twin Lane,,,5.00,81.00,,86.00")
    with pytest.raises(LedgerError) as exc:
        load_snapshot(path)
    msg = str(exc.value)
    assert "row 20, column '31 - 60'" in msg and "Total for Freeman Sporting Goods" in msg
    assert "481.50" in msg and "482.50" in msg


def test_missing_header(qb, tmp_path):
    path = _copy_text(qb, f"{US1}.csv", tmp_path, "Customer,CURRENT", "Name,CURRENT")
    with pytest.raises(LedgerError, match=r"no row starting with 'Customer'") as exc:
        load_snapshot(path)
    assert f"{US1}.csv" in str(exc.value)


def test_bad_amount_names_row_and_column(qb, tmp_path):
    path = _copy_text(qb, f"{US1}.csv", tmp_path, "Bill's Windsurf Shop,,,,,85.00", 'Bill\'s Windsurf Shop,,,,,"12,3x4.00"')
    with pytest.raises(LedgerError) as exc:
        load_snapshot(path)
    assert str(exc.value) == f"{US1}.csv: row 7, column '91 AND OVER': '12,3x4.00' is not an amount."
    assert exc.value.problems[["row", "column", "value"]].values.tolist() == [[7, "91 AND OVER", "12,3x4.00"]]


def test_missing_as_of(qb, tmp_path):
    path = _copy_text(qb, f"{US2}.csv", tmp_path, '"As of March 4, 2026"', "Report period")
    with pytest.raises(LedgerError, match=r"no 'As of' date"):
        load_snapshot(path)


def test_unknown_bucket_column(qb, tmp_path):
    path = _copy_text(qb, f"{US2}.csv", tmp_path, "Customer,CURRENT,1 - 30", "Customer,CURRENT,1 - 15")
    with pytest.raises(LedgerError) as exc:
        load_snapshot(path)
    msg = str(exc.value)
    assert "row 5" in msg and "unknown bucket column '1 - 15'" in msg and "'91 AND OVER'" in msg


def test_missing_total_row(qb, tmp_path):
    path = _copy_text(qb, f"{US1}.csv", tmp_path, 'TOTAL,,,,,"5,281.52","$5,281.52"', "")
    with pytest.raises(LedgerError, match=r"no 'TOTAL' row"):
        load_snapshot(path)


def test_dangling_subtotal(qb, tmp_path):
    path = _copy_text(qb, f"{US1}.csv", tmp_path, "Shara Barnett,,,,,,\r\n", "")
    with pytest.raises(LedgerError, match=r"row 21: 'Total for Shara Barnett' closes no open sub-customer group"):
        load_snapshot(path)


def test_corrupt_workbook(qb, tmp_path):
    raw = (qb / f"{US1}.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(LedgerError, match=r"cut\.xlsx: the workbook is corrupt"):
        load_snapshot(path)


# ------------------------------------------------------------------------------ synthetic, no real data needed


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(LedgerError, match="file not found"):
        load_snapshot(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(LedgerError, match=r"empty\.csv: the file is empty"):
        load_snapshot(tmp_path / "empty.csv")
    (tmp_path / "blank.csv").write_text(",,,\n\n,,\n")
    with pytest.raises(LedgerError, match=r"blank\.csv: the file is empty"):
        load_snapshot(tmp_path / "blank.csv")
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    with pytest.raises(LedgerError, match=r"junk\.xlsx: the workbook is corrupt or not a spreadsheet"):
        load_snapshot(tmp_path / "junk.xlsx")


NESTED = """Aging
Acme Holdings
As of Jan 31 2026

Customer,Current,1-30,31-60,61-90,Over 90,Total
A,,,,,,
B,,,,,,
C,10.00,,,,,10.00
Total for B,10.00,,,,,$10.00
D,,5.00,,,,5.00
Total for A,10.00,5.00,,,,$15.00
E,(2.50),,,,1.25,(1.25)
Zero Ltd,0.00,,,,,0.00

TOTAL,7.50,5.00,0.00,0.00,1.25,$13.75
Accrual basis
"""


def test_nested_groups_and_variant_labels(tmp_path):
    path = tmp_path / "nested.csv"
    path.write_text(NESTED)
    df = load_snapshot(path)
    got = df.assign(bucket=df["bucket"].astype(str))[["customer", "bucket", "amount"]].values.tolist()
    assert got == [["A:B:C", "current", 10.0], ["A:D", "1-30", 5.0], ["E", "current", -2.5], ["E", "91+", 1.25]]
    assert (df["as_of"] == pd.Timestamp("2026-01-31")).all()
    assert df.attrs["company"] == "Acme Holdings"
    assert df.attrs["report_total"] == 13.75
    assert df.index.equals(pd.RangeIndex(4))


def test_parent_with_own_balance(tmp_path):
    text = NESTED.replace("A,,,,,,", "A,1.00,,,,,1.00").replace(
        "Total for A,10.00,5.00,,,,$15.00", "Total for A,11.00,5.00,,,,$16.00"
    ).replace("TOTAL,7.50,5.00,0.00,0.00,1.25,$13.75", "TOTAL,8.50,5.00,,,1.25,$14.75")
    path = tmp_path / "own.csv"
    path.write_text(text)
    df = load_snapshot(path)
    assert df.loc[df["customer"] == "A", "amount"].tolist() == [1.0]
    assert _cents_total(df) == 1475


def test_user_yaml_source(tmp_path):
    cfg = tmp_path / "my-erp.yaml"
    cfg.write_text(
        "customer_label: Debtor\n"
        "as_of_pattern: '^Balance at (?P<date>.+)$'\n"
        "as_of_formats: ['%d/%m/%Y']\n"
        "buckets: {Not due: current, '0-30': 1-30, '31-60': 31-60, '61-90': 61-90, '>90': 91+}\n"
        "total_column: Balance\n"
        "subtotal_prefix: 'Subtotal '\n"
        "grand_total_label: Grand total\n"
        "delimiter: ';'\n"
        "numbers: {decimal: ',', thousands: '.', trailing_minus: false}\n"
    )
    data = tmp_path / "erp.csv"
    data.write_text(
        "Balance at 31/01/2026\n"
        "Debtor;Not due;0-30;31-60;61-90;>90;Balance\n"
        "Müller GmbH;1.234,50;;;;;1.234,50\n"
        "Grand total;1.234,50;;;;;1.234,50\n",
        encoding="utf-8",
    )
    df = load_snapshot(data, source=cfg)
    assert df[["customer", "amount"]].values.tolist() == [["Müller GmbH", 1234.5]]
    assert df["as_of"].iloc[0] == pd.Timestamp("2026-01-31")
    assert df.attrs["company"] is None


@pytest.mark.parametrize(
    "body, match",
    [
        ("customer_label: Customer\n", r"required key 'as_of_pattern' is missing"),
        ("customer_labl: Customer\n", r"unknown key 'customer_labl'"),
        ("- a\n- b\n", r"must hold a mapping"),
        ("key: [unclosed\n", r"not valid YAML"),
    ],
)
def test_bad_yaml_structure(tmp_path, body, match):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(body)
    with pytest.raises(ConfigError, match=match) as exc:
        load_snapshot(tmp_path / "whatever.csv", source=cfg)
    assert str(cfg) in str(exc.value)


def _preset_with(tmp_path, **changes) -> Path:
    import yaml

    from arkit.snapshot import SOURCES_DIR

    data = yaml.safe_load((SOURCES_DIR / "quickbooks-aging-summary.yaml").read_text())
    data.update(changes)
    cfg = tmp_path / "variant.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    return cfg


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"buckets": {"CURRENT": "current", "91 AND OVER": "92+"}}, r"key 'buckets' maps '91 AND OVER' to '92\+'"),
        ({"buckets": {"1-30": "1-30", "1 - 30": "31-60"}}, r"key 'buckets' maps label '1 - 30' to both"),
        ({"as_of_pattern": "As of (.+)"}, r"key 'as_of_pattern' must have a group named 'date'"),
        ({"as_of_pattern": "As of (?P<date>.+"}, r"key 'as_of_pattern' is not a valid regular expression"),
        ({"company_line": 0}, r"key 'company_line' must be a whole number"),
        ({"customer_label": 5}, r"key 'customer_label' must be a string"),  # '' is allowed: a name column without a label (Odoo)
        ({"numbers": {"decimal": ",", "thousand": "."}}, r"unknown key 'numbers.thousand'"),
        ({"total_column": "CURRENT"}, r"key 'total_column' \('CURRENT'\) is also a bucket label"),
    ],
)
def test_bad_yaml_values(tmp_path, changes, match):
    cfg = _preset_with(tmp_path, **changes)
    with pytest.raises(ConfigError, match=match) as exc:
        load_snapshot(tmp_path / "whatever.csv", source=cfg)
    assert str(cfg) in str(exc.value)


def test_unknown_preset():
    with pytest.raises(ConfigError, match=r"Unknown source preset 'sage-aging'.*quickbooks-aging-summary"):
        load_snapshot("whatever.csv", source="sage-aging")


def test_preset_file_is_valid():
    from arkit.snapshot import load_source_config

    cfg = load_source_config()
    assert cfg["customer_label"] == "Customer"
    assert cfg["total_column"] == "Total"
    assert cfg["subtotal_prefix"] == "Total for "
    assert cfg["grand_total_label"] == "TOTAL"
    labels = cfg["bucket_labels"]
    for label, bucket in {
        "CURRENT": "current",
        "Current": "current",
        "1 - 30": "1-30",
        "1-30": "1-30",
        "31 - 60": "31-60",
        "61 - 90": "61-90",
        "91 AND OVER": "91+",
        "91 and over": "91+",
        "Over 90": "91+",
    }.items():
        from arkit.snapshot import _norm_label

        assert labels[_norm_label(label)] == bucket, label
    assert np.isin(list(labels.values()), BUCKETS).all()


def test_merged_title_cells_in_synthetic_workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "A/R Aging Summary Report"
    ws.merge_cells("A1:G1")
    ws["A2"] = "Shop Ltd"
    ws.merge_cells("A2:G2")
    ws["A3"] = "As of February 28, 2026"
    ws.merge_cells("A3:G3")
    ws.append([])
    rows = [
        ["Customer", "CURRENT", "1 - 30", "31 - 60", "61 - 90", "91 AND OVER", "Total"],
        ["Shop A", 100.1, None, None, None, None, "=B6+C6+D6+E6+F6"],
    ]
    for i, r in enumerate(rows, start=5):
        for j, v in enumerate(r, start=1):
            ws.cell(i, j, v)
    ws["A7"] = "TOTAL"
    ws["B7"] = 100.1
    ws["G7"] = 100.1
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    # openpyxl saves formulas without cached values: the Total cell of row 6 reads as empty, which is 0,
    # and the check catches it rather than trusting an unknown figure
    with pytest.raises(LedgerError, match=r"row 6, column 'Total': 'Shop A' shows a total of 0\.00 but its buckets sum to 100\.10"):
        load_snapshot(path)
    ws["G6"] = 100.1
    wb.save(path)
    df = load_snapshot(path)
    assert df[["customer", "amount"]].values.tolist() == [["Shop A", 100.1]]
    assert df.attrs["company"] == "Shop Ltd" and df.attrs["sheet"] == "Sheet"


def test_unquoted_as_of_line_and_bad_as_of_date(tmp_path):
    path = tmp_path / "unquoted.csv"
    path.write_text("A/R Aging Summary\nShop\nAs of March 4, 2026\nCustomer,CURRENT,Total\nA,1.00,1.00\nTOTAL,1.00,$1.00\n")
    df = load_snapshot(path)
    assert df["as_of"].iloc[0] == pd.Timestamp("2026-03-04") and df.attrs["company"] == "Shop"
    path.write_text(path.read_text().replace("March", "Marhc"))
    with pytest.raises(LedgerError, match=r"row 3: the 'As of' date 'Marhc 4, 2026' is not a date"):
        load_snapshot(path)


def _odoo_csv(tmp_path: Path, lead: str, trailing: str | None) -> Path:
    """Odoo's Aged Receivable layout (blank first header cell, the leading "Aged Receivable" total) as CSV."""
    rows = [
        ",As of 10/31/2026",
        "",
        ",At Date,1-30,31-60,61-90,91-120,Older,Total",
        "",
        f"Aged Receivable,{lead}",
        "Azure Interior,0.00,-150.00,0.00,2205.00,0.00,0.00,2055.00",
        "Deco Addict,980.00,1725.00,0.00,0.00,0.00,0.00,2705.00",
    ]
    if trailing is not None:
        rows.append(f"Total Aged Receivable,{trailing}")
    out = tmp_path / "aged_receivable.csv"
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def test_odoo_leading_total_is_checked_and_can_be_the_only_total(tmp_path):
    ok = "980.00,1575.00,0.00,2205.00,0.00,0.00,4760.00"
    snap = load_snapshot(_odoo_csv(tmp_path, ok, None), source="odoo-aged-partner-balance")
    assert snap.attrs["report_total"] == 4760.00
    assert sorted(snap["customer"].unique()) == ["Azure Interior", "Deco Addict"]  # the total line is no customer
    snap = load_snapshot(_odoo_csv(tmp_path, ok, ok), source="odoo-aged-partner-balance")
    assert round(snap["amount"].sum(), 2) == 4760.00
    bad = "980.00,1575.00,0.00,2205.00,0.00,0.00,4760.00".replace("1575.00", "1575.10").replace("4760.00", "4760.10")
    with pytest.raises(LedgerError, match=r"Aged Receivable row shows 1,575.10 but the customer rows sum to 1,575.00"):
        load_snapshot(_odoo_csv(tmp_path, bad, ok), source="odoo-aged-partner-balance")
