"""The monthly review rendered end to end, as a controller receives it: executed with Papermill on a small
sample ledger whose customer names are hostile, rendered offline, opened in headless Chromium."""

import pandas as pd
import pytest

from arkit.render import render_report
from arkit.sample import make_sample_ledger, write_workbook
from tests.browser import console_errors, external_requests, open_in_chromium
from tests.test_render import visible_text

HOSTILE = '<img src=x onerror=alert(1)> =HYPERLINK("http://x","pay")'
SECTIONS = ["At a glance", "Headline", "Aging", "Roll rates", "Concentration", "Delinquency signals", "Segments", "Payment plans", "Worklist", "Letters", "Data and definitions"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("monthly")
    frames = make_sample_ledger(n_invoices=2500, seed=11, as_of="2026-06-30")
    names = HOSTILE + " " + frames["customers"]["customer_id"]
    frames["customers"]["customer_name"] = names
    frames["invoices"]["customer_name"] = frames["invoices"]["customer_id"].map(dict(zip(frames["customers"]["customer_id"], names)))
    ledger = write_workbook(frames, tmp / "ledger.xlsx")
    out = render_report("monthly-review", ledger=ledger, as_of="2026-06-30", out_dir=tmp / "reports", progress=False)
    return {"out": tmp / "reports" / "2026-06", "result": out, "html": (tmp / "reports" / "2026-06" / "monthly-review.html")}


def test_all_outputs_written(report):
    d = report["out"]
    assert (d / "monthly-review.html").exists() and (d / "monthly-review.ipynb").exists()
    xl = pd.ExcelFile(d / "monthly-review.xlsx", engine="calamine")
    assert {"headline", "aging by customer", "open items", "roll rates", "signals", "segments", "worklist"} <= set(xl.sheet_names)
    wl = pd.read_excel(d / "worklist.xlsx", engine="calamine")  # the collectors' sheet, human headers
    assert len(wl) > 0 and wl["#"].tolist() == list(range(1, len(wl) + 1))
    assert {"Customer", "Contact", "Phone", "Step", "Why", "Past due", "Status", "Next date", "Notes"} <= set(wl.columns)
    full = pd.read_excel(d / "monthly-review.xlsx", sheet_name="worklist", engine="calamine")
    wanted = int(full["Letter"].notna().sum())
    letters = list((d / "letters").glob("*.html")) if (d / "letters").exists() else []
    assert len(letters) == wanted
    assert len(list(d.rglob("*.html"))) == 1 + wanted  # nothing written outside the period folder's letters/


def test_every_section_is_present_in_order(report):
    text = visible_text(report["html"].read_text(encoding="utf-8"))
    positions = [text.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), dict(zip(SECTIONS, positions))
    assert positions == sorted(positions)
    assert "DSO" in text and "Traceback" not in text and "Warning" not in text


def test_hostile_names_are_text(report):
    html = report["html"].read_text(encoding="utf-8")
    assert "<img src=x" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_figures_are_inline_and_titled(report):
    html = report["html"].read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') >= 5
    from arkit.render import check_offline

    assert check_offline(html) == []


def test_opens_offline_in_headless_chromium(report, tmp_path):
    seen = open_in_chromium(report["html"], tmp_path)
    assert console_errors(seen) == []  # no console error, page error or alert (hostile names stay text)
    assert external_requests(seen) == []
    assert seen["title"].startswith("Monthly DSO & delinquency review") and "June 2026" in seen["title"]
    assert seen["broken_images"] == 0
    assert seen["stddev"] > 20, "screenshot is blank"


def test_readable_for_people(report, tmp_path):
    """Issue 10's must-hold: labelled, formatted, nothing cut off at 1280 px, amounts whole in the PDF,
    workbooks with human headers and no number in General format."""
    from tests.readable import report_problems

    assert report_problems(report["out"], "monthly-review.html", tmp_path) == []
