"""The quarterly policy-review pack rendered end to end, as the meeting receives it: executed with Papermill on
a small sample ledger (customer names hostile), rendered to one offline HTML file with its Excel appendix."""

import json

import pandas as pd
import pytest

from arkit.render import check_offline, render_report
from arkit.sample import make_sample_ledger, write_workbook
from tests.test_render import visible_text

HOSTILE = '<img src=x onerror=alert(1)> O\'Neill =HYPERLINK("http://x","pay")'
SECTIONS = [
    "1. The policy as configured",
    "2. Outcomes against targets",
    "3. Escalation adherence",
    "4. Credit limits and holds",
    "5. Disputes",
    "6. Payment plans",
    "7. Retention",
    "8. Billing and payment options",
    "9. Recommendations",
    "10. Appendix: definitions",
]
#: Sentences a section shows when its data is absent: the sample must exercise every section.
ABSENT = ["no collections activity log", "No credit limits are recorded", "No credit holds", "No disputes are recorded", "No payment plans are recorded", "No customer was", "early-payment terms (such as", "No rule fired", "No invoice reached"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("policy")
    frames = make_sample_ledger(n_invoices=2500, seed=3, as_of="2026-09-30")
    names = HOSTILE + " " + frames["customers"]["customer_id"]
    frames["customers"]["customer_name"] = names
    frames["invoices"]["customer_name"] = frames["invoices"]["customer_id"].map(dict(zip(frames["customers"]["customer_id"], names)))
    ledger = write_workbook(frames, tmp / "ledger.xlsx")
    result = render_report("policy-review", ledger=ledger, quarter="2026Q3", out_dir=tmp / "reports", progress=False)
    out = tmp / "reports" / "2026Q3"
    return {"out": out, "result": result, "html": (out / "policy-review.html").read_text(encoding="utf-8")}


def test_outputs_written(report):
    d = report["out"]
    assert report["result"]["period"] == "2026Q3"
    assert sorted(p.name for p in d.iterdir()) == ["policy-review.html", "policy-review.ipynb", "policy-review.xlsx"]
    with pd.ExcelFile(d / "policy-review.xlsx", engine="calamine") as xl:
        assert {"policy", "ladder", "outcomes", "ladder adherence", "referrals", "credit utilisation", "disputes", "payment plans", "retention", "early-pay take-up", "recommendations", "definitions"} <= set(xl.sheet_names)
        rec = pd.read_excel(xl, sheet_name="recommendations")
    assert len(rec) >= 3 and rec["Evidence"].notna().all()  # human headers (arkit.columns)
    nb = json.loads((d / "policy-review.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["arkit"]["period"] == "2026Q3"
    params = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert "quarter = \"2026Q3\"" in "".join(params["source"])


def test_every_section_present_in_order_with_data(report):
    text = visible_text(report["html"])
    positions = [text.find(s) for s in SECTIONS]
    assert all(p >= 0 for p in positions), dict(zip(SECTIONS, positions))
    assert positions == sorted(positions)
    assert "Quarterly credit & collections policy review" in text and "2026 Q3" in text
    for sentence in ABSENT:
        assert sentence not in text, sentence
    assert "Traceback" not in text and "Warning" not in text


def test_offline_no_code_and_escaped(report):
    html = report["html"]
    assert check_offline(html) == []
    assert html.count('src="data:image/png;base64,') == 7  # trends (2), ladder, utilisation, disputes, retention, billing day
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "O&amp;#x27;Neill" not in html and "&amp;\\#x27;" not in html  # apostrophes are not mangled
    assert "policy_review.build" not in html and "import arkit" not in html  # no code


def test_opens_offline_in_headless_chromium(report, tmp_path):
    from tests.browser import console_errors, external_requests, open_in_chromium

    seen = open_in_chromium(report["out"] / "policy-review.html", tmp_path)
    assert console_errors(seen) == [] and external_requests(seen) == []
    assert seen["title"].startswith("Quarterly credit & collections policy review") and "2026" in seen["title"]
    assert seen["broken_images"] == 0 and seen["stddev"] > 20


def test_readable_for_people(report, tmp_path):
    """Issue 10's must-hold: labelled, formatted, nothing cut off at 1280 px, amounts whole in the PDF,
    workbooks with human headers and no number in General format."""
    from tests.readable import report_problems

    assert report_problems(report["out"], "policy-review.html", tmp_path) == []
