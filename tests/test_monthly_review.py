"""The monthly review assembled from its sections, on the sample ledger and on hostile text."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

from arkit.model import Ledger
from arkit.policy import load_policy
from arkit.review import monthly
from arkit.sample import make_sample_ledger

AS_OF = "2026-06-30"
HOSTILE = "<script>alert(1)</script> & =HYPERLINK(\"http://x\",\"pay\") *bold* [link](http://x)"


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    frames = make_sample_ledger(n_invoices=3000, seed=5, as_of=AS_OF)
    # every customer gets a hostile name
    frames["customers"]["customer_name"] = HOSTILE + " " + frames["customers"]["customer_id"]
    frames["invoices"]["customer_name"] = HOSTILE + " " + frames["invoices"]["customer_id"]
    led = Ledger.from_frames(**frames)
    return monthly.build(led, AS_OF, policy=load_policy())


def _render(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, Markdown):
            out.append(p.data)
        elif isinstance(p, plt.Figure):
            assert p.axes and p.axes[0].get_title(loc="left")  # every figure has a title
            plt.close(p)
        else:
            out.append(p.to_html())
    return "\n".join(out)


def test_every_section_renders(review, tmp_path):
    sections = [
        monthly.section_headline(review),
        monthly.section_aging(review),
        monthly.section_roll_rates(review),
        monthly.section_concentration(review),
        monthly.section_signals(review),
        monthly.section_segments(review),
        monthly.section_plans(review),
        monthly.section_worklist(review, output_dir=tmp_path),
        monthly.section_letters(review, output_dir=tmp_path),
        monthly.section_data(review),
    ]
    html = "\n".join(_render(s) for s in sections)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    book = monthly.save_book(review, tmp_path)
    assert book.exists() and (tmp_path / "worklist.xlsx").exists()
    xl = pd.ExcelFile(book, engine="calamine")
    assert {"headline", "aging by customer", "worklist", "segments", "signals"} <= set(xl.sheet_names)


def test_headline_reconciles_with_aging(review):
    h = review.headline.set_index("figure")
    assert round(h.loc["open_ar", "value"], 2) == round(review.summary["open_ar"].sum(), 2)
    assert round(review.trend["total"].iloc[-1], 2) == round(h.loc["open_ar", "value"], 2)


def test_escape_neutralises_markdown_and_html():
    assert monthly.esc("<b>x</b> *y*") == "&lt;b&gt;x&lt;/b&gt; \\*y\\*"
    assert monthly.esc("O'Neill & Sons #1") == "O'Neill &amp; Sons \\#1"


def test_section_without_activity_log_says_so():
    frames = make_sample_ledger(n_invoices=800, seed=6, as_of=AS_OF)
    led = Ledger.from_frames(frames["invoices"], frames["payments"], frames["customers"])
    r = monthly.build(led, AS_OF, policy=load_policy())
    parts = monthly.section_signals(r)
    assert isinstance(parts[0], Markdown) and "no collections activity log" in parts[0].data
    assert "No payment plans" in monthly.section_plans(r)[0].data


def test_no_accepted_invoice_is_one_clear_error():
    from arkit.errors import LedgerError
    from tests.ledgers import ledger

    led = ledger([("A", "1", "2026-07-01", "2026-07-31", 10.0)])
    with pytest.raises(LedgerError, match="no accepted invoice dated on or before 2026-06-30"):
        monthly.build(led, AS_OF, policy=load_policy())


def test_mid_month_as_of_is_refused_with_the_month_ends_to_use():
    from arkit.errors import LedgerError
    from tests.ledgers import example

    with pytest.raises(LedgerError, match="such as 2026-03-31 or 2026-02-28, not 2026-03-15"):
        monthly.build(example(), "2026-03-15", policy=load_policy())


PAST_DUE_COLUMNS = ("past_due", "past_due_ar", "past_due_amount")


def test_each_customer_has_one_past_due_in_every_workbook_sheet(review, tmp_path):
    """Read the report's appendix workbook back: every sheet with a customer id and a past-due column
    shows each customer's past due as the position does; each letter demands the worklist amount."""
    for f in (monthly.section_headline, monthly.section_aging, monthly.section_concentration, monthly.section_signals, monthly.section_segments):
        f(review)
    monthly.section_worklist(review, output_dir=tmp_path)
    monthly.section_letters(review, output_dir=tmp_path)
    book = monthly.save_book(review, tmp_path)
    truth = review.position.customer("past_due")
    from arkit.columns import label

    # the workbook shows people's headers (arkit.columns): read it back under the frames' own names
    names = {label(c): c for c in ("customer_id", "amount_owed", "amount_to_demand", *PAST_DUE_COLUMNS)}
    sheets = {k: v.rename(columns=names) for k, v in pd.read_excel(book, sheet_name=None, engine="calamine").items()}
    compared = []
    for name, df in sheets.items():
        cols = [c for c in PAST_DUE_COLUMNS if c in df.columns]
        if "customer_id" not in df.columns or not cols:
            continue
        got = df.set_index(df["customer_id"].astype(str))[cols[0]].astype(float)
        want = truth.reindex(got.index).fillna(0.0)
        assert np.allclose(got.to_numpy(), want.to_numpy(), atol=0.005), name
        compared.append(name)
    assert {"aging by customer", "top past due", "signals", "segments", "worklist"} <= set(compared)
    letters = sheets["letters"].set_index("customer_id")["amount_owed"]
    wl = sheets["worklist"].set_index("customer_id")["amount_to_demand"]
    assert len(letters) > 0
    assert np.allclose(letters.to_numpy(), wl.reindex(letters.index).to_numpy(), atol=0.005)
    # no letter names an invoice in open dispute or written off
    bad = review.position.items
    bad = set(bad.loc[bad["disputed"] | bad["written_off"], "invoice_id"].dropna())
    for p in (tmp_path / "letters").glob("*.html"):
        text = p.read_text(encoding="utf-8")
        assert not any(f">{i}<" in text for i in bad), p.name


def test_every_per_customer_sheet_has_a_customer_id_column(review, tmp_path):
    for f in (monthly.section_headline, monthly.section_aging, monthly.section_concentration, monthly.section_signals, monthly.section_segments, monthly.section_plans):
        f(review)
    monthly.section_worklist(review, output_dir=tmp_path)
    sheets = pd.read_excel(monthly.save_book(review, tmp_path), sheet_name=None, engine="calamine")
    for name in ("aging by customer", "top past due", "signals", "segments", "worklist", "payment plans"):
        if name in sheets:
            assert "Customer" in sheets[name].columns, name  # customer_id under its label (arkit.columns)
