"""Report tables (great_tables through the column dictionary), the contents, and literal Markdown text."""

import re

import pandas as pd

from arkit.report_layout import add_contents, sections
from arkit.review.display import fit_columns, literal, table


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r"<td class=\"gt_row[^\"]*\">(.*?)</td>", html, re.S)]


def test_formats_labels_alignment_and_escaping():
    df = pd.DataFrame(
        {
            "customer_id": ["C<1>"],
            "segment": ["good_slipping"],
            "past_due_ar": [-1234567.5],
            "utilisation": [0.355],
            "pct_on_time": [87.4693],
            "days_late_trend": [-3.04],
            "oldest_days_past_due": [226],
            "deadline": pd.to_datetime(["2026-06-29"]),
            "oldest_dispute_days": [float("nan")],
        }
    )
    t = table(df, caption="Signals <x>")
    html = t.html
    heads = re.findall(r"<th [^>]*>(.*?)</th>", html)
    assert heads == ["Customer", "Segment", "Past due", "Credit used", "On time (%)", "Days-late trend", "Oldest (days past due)", "Pay by", "Oldest dispute (days)"]
    assert _cells(html) == ["C&lt;1&gt;", "Good customer slipping", "−1,234,567.50", "35.5 %", "87.5 %", "−3.0", "226", "2026-06-29", "–"]
    assert "00:00:00" not in html and "<style" not in html and "Signals &lt;x&gt;" in html
    assert re.search(r'class="gt_col_heading[^"]*gt_left"[^>]*>Customer<', html)  # text header left over left text
    assert re.search(r'class="gt_row gt_right arkit-nowrap">−1,234,567.50<', html)  # numbers right, unbroken
    assert re.search(r'class="gt_row gt_left arkit-text">Good customer', html)
    assert ' id="' not in html  # no duplicate element ids across the page's tables
    assert t.data.shape == df.shape


def test_long_and_wide_tables_say_where_the_rest_is():
    long = pd.DataFrame({"customer_id": [f"C{i}" for i in range(80)], "past_due_ar": range(80)})
    assert "First 60 of 80 rows; all rows in the Excel appendix." in table(long).html
    wide = pd.DataFrame({f"amount_{i}": [123456789.25] for i in range(20)})
    html = table(wide).html
    assert "Not shown to fit the page:" in html and "the Excel appendix has every column" in html
    people = pd.DataFrame({f"Amount {i}": [123456789.25] for i in range(20)})
    kept = fit_columns(people, {c: "money" for c in people.columns})
    assert 2 <= len(kept) < 20
    chosen = table(wide, columns=["amount_0", "amount_1"]).html
    assert "Not shown here: Amount 2, Amount 3," in chosen


def test_links_are_relative_and_escaped():
    df = pd.DataFrame({"Draft": ["letters/demand_letter_C1_<b>.html", "https://evil.test/x"]})
    html = table(df, links=["Draft"]).html
    # a file name may break at its separators (<wbr>, added to the text only, never to the address)
    assert '<a href="letters/demand_<wbr>' not in html and "demand_<wbr>letter_<wbr>C1_&lt;b&gt;.<wbr>html</a>" in html
    assert '<a href="letters/demand_letter_C1_%3Cb%3E.html">demand_letter_C1_&lt;b&gt;.html</a>' in html.replace("<wbr>", "")
    assert 'href="https' not in html


def test_names_wrap_between_words_and_file_names_at_their_separators():
    df = pd.DataFrame({"Name": ["Cascade Packaging Inc.", "Evergreen Industrial Supply LLC"], "Draft": ["reminder_before_due_C00035_Cascade.html", "x.html"]})
    html = table(df).html
    assert re.findall(r'class="gt_row [^"]*(arkit-\w+)"', html) == ["arkit-text", "arkit-token"] * 2
    assert "Cascade Packaging Inc." in html and "reminder_<wbr>before_<wbr>due_<wbr>C00035_<wbr>Cascade.<wbr>html" in html


def test_contents_link_each_section_in_the_same_file():
    page = '<main>\n<h2 id="Headline">Headline<a class="anchor-link" href="#Headline"></a></h2><h2 id="Aging">Aging</h2><h2 id="Roll-rates">Roll &amp; rates</h2></main>'
    assert sections(page) == [("Headline", "Headline"), ("Aging", "Aging"), ("Roll-rates", "Roll & rates")]
    out = add_contents(page)
    assert out.index('<nav class="arkit-toc"') < out.index("<h2")
    assert re.findall(r'<li><a href="([^"]+)">', out) == ["#Headline", "#Aging", "#Roll-rates"]
    assert add_contents("<main><h2 id='a'>A</h2></main>") == "<main><h2 id='a'>A</h2></main>"  # too few sections


def test_literal_text_in_markdown():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    out = markdown2html_mistune("ledger " + literal("WA_Fn-UseC_-Telco <b>*x*.csv"))
    assert "WA_Fn-UseC_-Telco &lt;b&gt;*x*.csv" in out and "\\_" not in out and "<em>" not in out


def test_numbered_headings_are_not_numbered_twice():
    page = "<main>" + "".join(f'<h2 id="s{i}">{i}. Part {i}</h2>' for i in range(1, 4)) + "</main>"
    out = add_contents(page)
    assert '<ul class="arkit-plain"><li><a href="#s1">1. Part 1</a>' in out and "<ol>" not in out
