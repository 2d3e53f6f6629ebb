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


def test_each_customer_has_one_past_due_in_every_workbook_sheet(review, tmp_path):
    """Read the report's appendix workbook back: every sheet with a customer column and a past-due column
    shows each customer's past due as the position does; each letter demands the worklist amount. Sheets
    carry people's headers (arkit.columns labels)."""
    from arkit.columns import label

    for f in (monthly.section_headline, monthly.section_aging, monthly.section_concentration, monthly.section_signals, monthly.section_segments):
        f(review)
    monthly.section_worklist(review, output_dir=tmp_path)
    monthly.section_letters(review, output_dir=tmp_path)
    book = monthly.save_book(review, tmp_path)
    truth = review.position.customer("past_due")
    sheets = pd.read_excel(book, sheet_name=None, engine="calamine")
    cust, past = label("customer_id"), {label(c) for c in ("past_due", "past_due_ar", "past_due_amount")}
    compared = []
    for name, df in sheets.items():
        cols = [c for c in df.columns if c in past]
        if cust not in df.columns or len(cols) != 1:
            continue
        got = df.set_index(df[cust].astype(str))[cols[0]].astype(float)
        want = truth.reindex(got.index).fillna(0.0)
        assert np.allclose(got.to_numpy(), want.to_numpy(), atol=0.005), name
        compared.append(name)
    assert {"aging by customer", "top past due", "signals", "segments", "worklist"} <= set(compared), compared
    letters = sheets["letters"].set_index(cust)[label("amount_owed")]
    w = sheets["worklist"]
    wl = w[w[label("letter")].notna()].set_index(cust)[label("amount_to_demand")]  # one dunning row per customer
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


def test_months_the_ledger_cannot_support_are_refused_in_one_line():
    from arkit.errors import LedgerError

    frames = make_sample_ledger(n_invoices=600, seed=2, as_of=AS_OF)
    led = Ledger.from_frames(**frames)
    with pytest.raises(LedgerError, match=r"ledger ends on 2026-06-\d\d .*cannot show October 2026: give 2026-06-30 or an earlier month end"):
        monthly.build(led, "2026-10-31", policy=load_policy())
    first = frames["invoices"]["invoice_date"].min()
    partial = (first + pd.offsets.MonthEnd(0)).normalize()
    if first.day != 1:
        with pytest.raises(LedgerError, match="is not a full month in it"):
            monthly.build(led, partial, policy=load_policy())
    with pytest.raises(LedgerError, match="no accepted invoice dated on or before 2023-01-31"):
        monthly.build(led, "2023-01-31", policy=load_policy())


def test_the_first_full_month_says_there_is_no_previous_month():
    from tests.ledgers import invoices, payments

    led = Ledger.from_frames(invoices([("A", "A1", "2026-03-01", "2026-03-31", 100.0), ("A", "A2", "2026-03-20", "2026-04-19", 50.0)]), payments([("A", "A1", "2026-03-25", 100.0)]))
    r = monthly.build(led, "2026-03-31", policy=load_policy())
    assert len(r.figures) == 1 and r.headline["previous"].isna().all() and r.headline["change"].isna().all()
    from arkit.review.summary import monthly_summary

    text = "".join(getattr(p, "data", "") if isinstance(getattr(p, "data", ""), str) else "" for p in monthly_summary(r))  # "What changed" at the top
    assert "no previous month" in text and " rose " not in text and " fell " not in text


def test_cli_refuses_a_month_after_the_ledger_before_running_a_notebook(tmp_path, capsys):
    from arkit.cli import main
    from arkit.sample import write_workbook

    path = write_workbook(make_sample_ledger(n_invoices=400, seed=3, as_of=AS_OF), tmp_path / "ledger.xlsx")
    rc = main(["run", "monthly-review", "--ledger", str(path), "--as-of", "2026-10-31", "--out", str(tmp_path / "reports")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "cannot show October 2026" in err
    assert not (tmp_path / "reports" / "2026-10").exists()


def test_the_workbook_headline_reads_like_the_table(review, tmp_path):
    """The headline sheet: no figure codes, the currency named, values to the cent (the open AR change is
    the difference of two cent amounts, never 40942.83999999997)."""
    monthly.section_headline(review)
    book = monthly.save_book(review, tmp_path)
    sheet = pd.read_excel(book, sheet_name="headline", engine="calamine")
    assert "Figure code" not in sheet.columns and list(sheet.columns[:3]) == ["Figure", "Unit", "Value"]
    assert "currency" not in set(sheet["Unit"]) and (review.currency or "ledger currency") in set(sheet["Unit"])
    vals = pd.to_numeric(sheet["Change"], errors="coerce").dropna()
    assert ((vals * 100).round(6) == (vals * 100).round(0)).all()
    h = review.headline.set_index("figure")
    row = sheet.set_index("Figure").loc[h.loc["open_ar", "label"]]
    assert row["Change"] == round(h.loc["open_ar", "value"] - h.loc["open_ar", "previous"], 2)


def test_segment_reasons_say_early_and_count_in_words():
    from arkit.review.segments import _invoices, _late_words

    assert _late_words(pd.Series([2.44, -4.8, 0.0, 0.04])).tolist() == ["2.4 days late", "4.8 days early", "on the due date", "on the due date"]
    assert _invoices(pd.Series([1, 12, 0])).tolist() == ["1 invoice", "12 invoices", "0 invoices"]


def test_roll_rate_heatmap_names_states_as_words():
    from arkit.review.charts import roll_rate_heatmap

    pct = pd.DataFrame([[50.0, 30.0, 20.0]], index=["1-30"], columns=["1-30", "collected", "written_off"])
    fig = roll_rate_heatmap(pct)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1-30", "Collected", "Written off"]
    plt.close(fig)


def test_a_month_after_the_invoicing_stops_is_refused_and_not_the_default():
    """Invoices every day from 01 Jan to 10 Mar 2026 (1 a day), payments to 15 Apr: at 1 a day, 21 more
    invoices would be dated by 31 Mar (≥ 5), so March is not a full month of sales — refused, and the last
    month the invoicing covers is February. A weekly biller whose last invoice is 25 Mar is not cut: 6 days
    × 1/7 a day < 1 invoice expected."""
    from arkit.errors import LedgerError
    from arkit.render import _default_period, _resolve
    from arkit.review.months import billing_gap, check_as_of, last_billed_month_end
    from tests.ledgers import ledger

    days = pd.date_range("2026-01-01", "2026-03-10", freq="D")
    led = ledger([("A", f"I{i}", d.date().isoformat(), (d + pd.Timedelta(days=30)).date().isoformat(), 100.0) for i, d in enumerate(days)], [("A", "I0", "2026-04-15", 100.0)])
    last, rate, expected = billing_gap(led, "2026-03-31")
    assert last == pd.Timestamp("2026-03-10") and rate == pytest.approx(1.0) and expected == pytest.approx(21.0)
    with pytest.raises(LedgerError, match=r"invoices end on 2026-03-10: at its usual 1.0 invoices a day about 21 more would be dated by 31 March 2026, so March 2026 is not a full month of sales in it .*give 2026-02-28"):
        check_as_of(led, "2026-03-31")
    assert last_billed_month_end(led) == pd.Timestamp("2026-02-28") and check_as_of(led, "2026-02-28") == pd.Timestamp("2026-02-28")
    assert _default_period(_resolve("monthly-review"), led) == ("2026-02-28", None)  # not March, the month before the last payment
    weeks = pd.date_range("2026-01-07", "2026-03-25", freq="7D")
    weekly = ledger([("A", f"W{i}", d.date().isoformat(), (d + pd.Timedelta(days=30)).date().isoformat(), 100.0) for i, d in enumerate(weeks)], [("A", "W0", "2026-04-02", 100.0)])
    assert billing_gap(weekly, "2026-03-31") is None and check_as_of(weekly, "2026-03-31") == pd.Timestamp("2026-03-31")


def test_the_default_quarter_stops_at_the_invoicing_too():
    """Invoices every day from 01 Apr to 15 Sep 2026, payments to 20 Jan 2027: the last event is in 2027Q1,
    so the quarter before it is 2026Q4 — a quarter without one invoice where the rate expects ~107 — and
    2026Q3 (invoices to 15 Sep, 15 expected in the rest of September) is cut too: the default is 2026Q2."""
    from arkit.review.policy_review import last_complete_quarter
    from tests.ledgers import ledger

    days = pd.date_range("2026-04-01", "2026-09-15", freq="D")
    led = ledger([("A", f"I{i}", d.date().isoformat(), (d + pd.Timedelta(days=30)).date().isoformat(), 100.0) for i, d in enumerate(days)], [("A", "I0", "2027-01-20", 100.0)])
    assert str(last_complete_quarter(led)) == "2026Q2"
