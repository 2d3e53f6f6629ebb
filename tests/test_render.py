"""Report rendering: notebook → executed audit notebook + side files + self-contained HTML, atomically.

The notebooks in tests/notebooks are small on purpose: render_ok (tables with hostile names, a chart,
warnings and stderr noise, side files), render_fail (its 2nd section raises), render_slow (a cell that
outlives a short timeout). Four kernel runs in all, ~15 s.
"""

from __future__ import annotations

import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from arkit.cli import main
from arkit.errors import LedgerError
from arkit.render import (
    REPORTS,
    ReportError,
    ReportSpec,
    _clean_for_html,
    _export_html,
    _publish,
    _start_staging,
    _parse_quarter,
    check_offline,
    render_report,
    write_index,
)
from tests.browser import console_errors, external_requests, open_in_chromium

NB = Path(__file__).resolve().parent / "notebooks"
LEDGER_NAME = "ledger <b>&.csv"  # a file name a header must escape


class _Text(HTMLParser):
    """The text a reader sees (script/style content excluded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "".join(p.parts)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """render_ok rendered once, with MPLBACKEND=Agg in the caller's environment (figures must survive)."""
    base = tmp_path_factory.mktemp("render")
    ledger = base / LEDGER_NAME
    ledger.write_text("invoice_id,customer\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")
        result = render_report(NB / "render_ok.ipynb", ledger=ledger, as_of="2026-06-30", out_dir=base / "reports", progress=False)
    result["out"] = base / "reports"
    result["text"] = Path(result["html"]).read_text(encoding="utf-8")
    return result


# ---------------------------------------------------------------------------------------------- outputs


def test_outputs_land_in_the_period_folder(rendered):
    period = rendered["out"] / "2026-06"
    assert rendered["period"] == "2026-06"
    assert rendered["html"] == period / "render-ok.html"
    assert rendered["notebook"] == period / "render-ok.ipynb"
    for name in ("render-ok.html", "render-ok.ipynb", "render-ok.xlsx", "letters/acme.txt", "kernel.txt"):
        assert (period / name).is_file(), name
    assert set(rendered["files"]) >= {period / "render-ok.xlsx", period / "letters", period / "render-ok.html"}
    leftovers = [p.name for p in rendered["out"].iterdir() if p.name.startswith(".")]
    assert leftovers == [], "staging folder left behind"
    assert rendered["seconds"] < 60


def test_executed_notebook_is_the_audit_trail(rendered):
    nb = nbformat.read(rendered["notebook"], as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "2026-06-30" in injected[0].source and LEDGER_NAME in injected[0].source
    # the notebook keeps everything (stderr included); only the HTML is cleaned
    streams = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert any(o["name"] == "stderr" and "stderr-text-must-not-appear" in o["text"] for o in streams)
    assert nb.metadata["arkit"]["python"] == sys.executable
    assert nb.metadata["papermill"]["output_path"] == str(rendered["notebook"])


def test_kernel_runs_the_current_interpreter(rendered):
    kernel_python = (rendered["out"] / "2026-06" / "kernel.txt").read_text(encoding="utf-8")
    assert os.path.realpath(kernel_python) == os.path.realpath(sys.executable)


# ---------------------------------------------------------------------------------------------- HTML


def test_html_shows_no_code_prompts_tracebacks_or_noise(rendered):
    html = rendered["text"]
    for absent in (
        "code-cell-source-must-not-appear",  # a string only in a code cell's source
        "import matplotlib",
        "write_table(",
        "In&nbsp;[",
        "Out[",
        'class="jp-InputPrompt',
        'class="jp-OutputPrompt',
        "Traceback",
        "stderr-text-must-not-appear",
        "warning-text-must-not-appear",
        "UserWarning",
        "warnings.warn",
    ):
        assert absent not in html, absent
    text = visible_text(html)
    assert "stdout is kept" in text and "after the noise" in text
    assert "Open balances per customer" in text  # markdown is rendered


def test_html_is_self_contained(rendered):
    html = rendered["text"]
    assert check_offline(html) == []
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    low = html.lower()
    assert "<script" not in low and "require" not in low and "mathjax" not in low
    assert "@import" not in low and "<link" not in low


def test_hostile_data_is_shown_as_text(rendered):
    html = rendered["text"]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = visible_text(html)
    assert "<script>alert(1)</script>" in text  # the reader sees the name, literally
    assert '=HYPERLINK("x")' in text
    assert "Acme & Sons" in text


def test_figure_is_an_inline_png(rendered):
    html = rendered["text"]
    assert '<img alt="Figure: Chart" src="data:image/png;base64,' in html or (
        'src="data:image/png;base64,' in html and 'alt="Figure: Chart"' in html
    )


def test_title_and_header_name_report_period_and_ledger_escaped(rendered):
    html = rendered["text"]
    assert "<title>Render test report — June 2026</title>" in html
    assert "ledger &lt;b&gt;&amp;.csv" in html and "<b>&" not in html
    header = html[html.index('<header class="arkit-header">') : html.index("</header>")]
    text = visible_text(header)
    assert "render-ok" in text and "June 2026" in text and "2026-06-30" in text and LEDGER_NAME in text
    assert re.search(r"Generated\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text)


def test_numbers_are_marked_for_right_alignment(rendered):
    html = rendered["text"]
    assert '<td class="num">1200.50</td>' in html
    assert "<td>Acme &amp; Sons</td>" in html
    css = html[html.index("<style") : html.index("</style>")]
    assert "td.num" in css and "nth-child(even)" in css and "@media print" in css and "max-width: 1360px" in css


def test_index_lists_the_report(rendered):
    index = rendered["index"]
    assert index == rendered["out"] / "index.html"
    html = index.read_text(encoding="utf-8")
    assert 'href="2026-06/render-ok.html"' in html
    assert "Render test report" in html and "June 2026" in html
    assert "ledger &lt;b&gt;&amp;.csv" in html
    assert check_offline(html) == []


def test_index_orders_periods_newest_first(tmp_path):
    for folder, title in (("2026-05", "May"), ("2026Q2", "Q2"), ("2026-07", "July"), ("2025-12", "Dec")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "r.html").write_text(
            f'<html><head><meta content="r" name="arkit:report"><meta name="arkit:title" content="{title} &lt;x&gt;"></head></html>'
        )
    (tmp_path / "2026-08").mkdir()
    (tmp_path / "2026-08" / "other.html").write_text("<html>not an arkit report</html>")
    html = write_index(tmp_path).read_text(encoding="utf-8")
    order = [html.index(f"{t} &lt;x&gt;") for t in ("July", "Q2", "May", "Dec")]
    assert order == sorted(order)
    assert "other.html" not in html and "<x>" not in html


# ---------------------------------------------------------------------------------------------- failures


def test_failing_cell_names_report_section_and_error(tmp_path):
    ledger = tmp_path / "l.csv"
    ledger.write_text("x\n")
    out = tmp_path / "reports"
    with pytest.raises(ReportError) as info:
        render_report(NB / "render_fail.ipynb", ledger=ledger, as_of="2026-06-30", out_dir=out, progress=False)
    msg = str(info.value)
    assert msg == "report render-fail failed in section 'Reconciliation': ValueError: totals do not reconcile: 10 != 12"
    assert isinstance(info.value, LedgerError)
    assert list(out.rglob("*.html")) == [] and list(out.rglob("*.ipynb")) == []
    assert [p for p in out.iterdir()] == [], "staging folder left behind"


def test_a_cell_over_the_time_limit_fails_in_its_section(tmp_path):
    ledger = tmp_path / "l.csv"
    ledger.write_text("x\n")
    with pytest.raises(ReportError, match=r"render-slow failed in section 'Waiting': a cell took longer than the 2 s time limit"):
        render_report(NB / "render_slow.ipynb", ledger=ledger, as_of="2026-06-30", out_dir=tmp_path / "r", timeout=2, progress=False)
    assert list((tmp_path / "r").iterdir()) == []


def test_unknown_report_lists_the_reports(tmp_path):
    with pytest.raises(LedgerError, match=r"unknown report 'nope'; available reports: "):
        render_report("nope", ledger=tmp_path, as_of="2026-06-30", out_dir=tmp_path)


def test_wrong_parameters_fail_before_any_kernel_starts(tmp_path):
    ledger = tmp_path / "l.csv"
    ledger.write_text("x\n")
    with pytest.raises(LedgerError, match=r"has no parameter colour; its parameters are ledger_path"):
        render_report(NB / "render_ok.ipynb", ledger=ledger, as_of="2026-06-30", out_dir=tmp_path / "r", params={"colour": 1})
    assert list((tmp_path / "r").iterdir()) == []
    with pytest.raises(LedgerError, match="not found"):
        render_report(NB / "render_ok.ipynb", ledger=tmp_path / "missing.xlsx", as_of="2026-06-30", out_dir=tmp_path / "r")
    for bad in ("June", "06/07/2026", "2026-02-30"):
        with pytest.raises(LedgerError, match="not a date"):
            render_report(NB / "render_ok.ipynb", ledger=ledger, as_of=bad, out_dir=tmp_path / "r")


def test_quarters():
    assert _parse_quarter("2026Q3") == _parse_quarter("2026-q3") == _parse_quarter(" 2026 Q3 ") == "2026Q3"
    for bad in ("2026Q5", "Q3", "2026-09"):
        with pytest.raises(LedgerError, match="not a quarter"):
            _parse_quarter(bad)


# ---------------------------------------------------------------------------------------------- pieces


def test_check_offline_flags_what_would_load_or_run():
    clean = '<html><head><style>td{color:red}</style></head><body><img src="data:image/png;base64,AA=="><a href="#aging">aging</a> <a href="monthly-review.xlsx">workbook</a> <a href="../2026-05/monthly-review.html">May</a></body></html>'
    assert check_offline(clean) == []
    for bad in (
        '<script src="https://cdn.example/require.js"></script>',
        "<script>alert(1)</script>",
        '<link rel="stylesheet" href="https://cdn.example/a.css">',
        '<link rel="stylesheet" href="local.css">',
        "<style>@import url(theme.css);</style>",
        "<style>body{background:url(https://x.example/a.png)}</style>",
        '<div style="background: url(//x.example/a.png)">x</div>',
        '<img src="http://x.example/a.png">',
        '<img src="data:image/png;base64,AA==" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="data:text/html,hi"></iframe>',
        '<meta http-equiv="refresh" content="0;url=https://x.example">',
        '<a href="https://example.org/policy">policy</a>',  # a link out of the report (e.g. a URL from data)
        '<a href="mailto:ar@example.org">mail</a>',
        '<a href=" HTTP://x.example">x</a>',
        '<a href="//x.example/a">x</a>',
        '<a href="/etc/passwd">x</a>',
        '<a href="file:///etc/passwd">x</a>',
        '<area href="https://x.example">',
    ):
        assert check_offline(f"<html><body>{bad}</body></html>"), bad


def _executed(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = list(cells)
    return nb


def _info():
    return {"report": "t", "title": "T", "period": "2026-06", "period_label": "June 2026", "as_of": "2026-06-30",
            "ledger": "l.csv", "generated": "2026-06-30T12:00:00+00:00", "generated_label": "2026-06-30 12:00 UTC", "notebook_dir": "."}


def test_script_from_an_unescaped_html_output_fails_the_check():
    """A notebook that shows data as raw HTML (e.g. a Styler without escape="html") cannot ship a script."""
    out = nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td><script>alert(1)</script></td></tr></table>"})
    nb = _executed(nbformat.v4.new_markdown_cell("# A"), nbformat.v4.new_code_cell("x", outputs=[out]))
    _clean_for_html(nb)
    problems = check_offline(_export_html(nb, _info()))
    assert problems == ["<script> element"]


def test_cleaning_drops_noise_and_honours_tags():
    outs = [
        nbformat.v4.new_output("stream", name="stderr", text="noise\n"),
        nbformat.v4.new_output("stream", name="stdout", text="/x/y.py:3: FutureWarning: old\n  df.foo()\nkept line\n"),
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["Traceback..."]),
    ]
    hidden = nbformat.v4.new_code_cell("y", outputs=[nbformat.v4.new_output("stream", name="stdout", text="hidden\n")])
    hidden.metadata["tags"] = ["remove-output"]
    dropped = nbformat.v4.new_markdown_cell("# dropped")
    dropped.metadata["tags"] = ["remove-cell"]
    nb = _executed(nbformat.v4.new_code_cell("x", outputs=outs), hidden, dropped)
    _clean_for_html(nb)
    assert [o.get("text") for o in nb.cells[0].outputs] == ["kept line\n"]
    assert nb.cells[1].outputs == [] and len(nb.cells) == 2


def _staged(staging, **files):
    paths = []
    for name, text in files.items():
        p = staging / name.replace("__", "/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        paths.append(staging / name.split("__")[0])
    return sorted(set(paths))


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rerun_replaces_files_and_folders_whole_and_keeps_other_reports(tmp_path):
    dest = tmp_path / "2026-06"
    (dest / "letters").mkdir(parents=True)
    (dest / "letters" / "old.txt").write_text("old")
    (dest / "r.html").write_text("old")
    (dest / "other.html").write_text("other report")
    staging = tmp_path / ".staging-r-2026-06-x"
    staging.mkdir()
    files = _staged(staging / "files", letters__new_txt="new", **{"r.html": "new"})
    written = _publish(files, dest, staging)
    assert _tree(dest) == {"letters/new_txt": "new", "r.html": "new", "other.html": "other report"}
    assert sorted(written) == [dest / "letters", dest / "r.html"]


def test_a_kill_during_publishing_leaves_the_old_set_whole(tmp_path, monkeypatch):
    """A failure at each step of publishing (after the folder is assembled, at the swap) leaves the
    previous period folder exactly as it was; the next run removes the dead run's staging folder."""
    import arkit.render as render

    dest = tmp_path / "2026-06"
    (dest / "letters").mkdir(parents=True)
    (dest / "letters" / "a.txt").write_text("old letter")
    (dest / "r.html").write_text("old html")
    (dest / "r.xlsx").write_text("old workbook")
    (dest / "other.html").write_text("another report of the period")
    before = _tree(dest)
    for step in ("_swap_in", "_link_or_copy"):
        staging = tmp_path / f".staging-r-2026-06-{step}"
        staging.mkdir()
        files = _staged(staging / "files", letters__b_txt="new letter", **{"r.html": "new html", "r.xlsx": "new wb"})

        def boom(*a, **k):
            raise OSError("killed")

        with monkeypatch.context() as m:
            m.setattr(render, step, boom)
            with pytest.raises(OSError):
                _publish(files, dest, staging)
        assert _tree(dest) == before, step
    # the swap itself: one exchange, the old folder now sits in staging and the new one is whole
    staging = tmp_path / ".staging-r-2026-06-ok"
    staging.mkdir()
    files = _staged(staging / "files", letters__b_txt="new letter", **{"r.html": "new html", "r.xlsx": "new wb"})
    _publish(files, dest, staging)
    assert _tree(dest) == {"letters/b_txt": "new letter", "r.html": "new html", "r.xlsx": "new wb", "other.html": "another report of the period"}
    assert _tree(staging / "period") == before
    # next run: every unlocked staging folder (killed runs) is removed, its own is created and locked
    mine, fd = _start_staging(tmp_path, "r", "2026-06")
    try:
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [mine.name]
    finally:
        os.close(fd)


def test_a_second_run_of_the_same_report_and_period_is_refused(tmp_path):
    """A run holds its staging folder's lock; a second run of the same report+period (here in another
    process) is refused with one line, a run of another report or period is not."""
    import subprocess

    mine, fd = _start_staging(tmp_path, "r", "2026-06")
    try:
        code = (
            "import sys; from pathlib import Path; from arkit.render import _start_staging\n"
            "from arkit.errors import LedgerError\n"
            "try:\n    _start_staging(Path(sys.argv[1]), sys.argv[2], '2026-06')\nexcept LedgerError as e:\n    print(e); sys.exit(3)\n"
        )
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        same = subprocess.run([sys.executable, "-c", code, str(tmp_path), "r"], capture_output=True, text=True, env=env)
        assert same.returncode == 3, same.stderr
        assert same.stdout.strip() == f"r for 2026-06 is already being rendered into {tmp_path} by another run; wait for it to finish"
        other = subprocess.run([sys.executable, "-c", code, str(tmp_path), "s"], capture_output=True, text=True, env=env)
        assert other.returncode == 0, other.stdout + other.stderr
        assert mine.is_dir(), "a live run's staging folder is never removed"
    finally:
        os.close(fd)
    # the other process and this "run" ended without cleaning up: their folders are stale, gone at the next start
    again, fd = _start_staging(tmp_path, "r", "2026-06")
    os.close(fd)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".staging-")] == [again.name]


def test_a_killed_process_leaves_old_or_new_never_a_mix(tmp_path):
    """A real kill (os._exit, no cleanup) at each point of publishing, in a child process."""
    import subprocess

    dest = tmp_path / "out" / "2026-06"
    dest.mkdir(parents=True)
    (dest / "r.html").write_text("old")
    (dest / "r.xlsx").write_text("old")
    code = (
        "import os, sys; from pathlib import Path; import arkit.render as r\n"
        "out = Path(sys.argv[1]); point = sys.argv[2]\n"
        "staging, fd = r._start_staging(out, 'r', '2026-06')\n"
        "(staging / 'files').mkdir()\n"
        "for n in ('r.html', 'r.xlsx'): (staging / 'files' / n).write_text('new')\n"
        "real = getattr(r, point)\n"
        "def die(*a, **k):\n    if point == '_swap_in': real(*a, **k)\n    os._exit(9)\n"
        "setattr(r, point, die)\n"
        "r._publish([staging / 'files' / 'r.html', staging / 'files' / 'r.xlsx'], out / '2026-06', staging)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for point, expect in (("_link_or_copy", "old"), ("_swap_in", "new")):
        (dest / "extra.txt").write_text("kept")  # another report's file: forces the link step
        proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out"), point], env=env, capture_output=True, text=True)
        assert proc.returncode == 9, proc.stderr
        assert {n: (dest / n).read_text() for n in ("r.html", "r.xlsx")} == {"r.html": expect, "r.xlsx": expect}, point
    assert any(p.name.startswith(".staging-") for p in (tmp_path / "out").iterdir())
    _s, fd = _start_staging(tmp_path / "out", "r", "2026-06")
    os.close(fd)
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == [_s.name]


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_run_quarterly(tmp_path, capsys, monkeypatch):
    ledger = tmp_path / "l.csv"
    ledger.write_text("x\n")
    monkeypatch.chdir(tmp_path)
    rc = main(["run", str(NB / "render_ok.ipynb"), "--ledger", str(ledger), "--quarter", "2026q3", "--out", "out"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert re.search(r"render-ok 2026Q3 rendered in \d+\.\d s", captured.out)
    for line in ("out/2026Q3/render-ok.html", "out/2026Q3/render-ok.ipynb", "out/2026Q3/render-ok.xlsx", "out/2026Q3/letters/", "out/index.html"):
        assert f"  {line}\n" in captured.out
    assert (tmp_path / "out" / "2026Q3" / "render-ok.html").is_file()


@pytest.fixture
def test_reports(monkeypatch):
    monkeypatch.setattr("arkit.render.NOTEBOOKS_DIR", NB)
    monkeypatch.setitem(REPORTS, "test-monthly", ReportSpec("render_ok.ipynb", "test-monthly.html", "month", "Test"))
    monkeypatch.setitem(REPORTS, "test-quarterly", ReportSpec("render_ok.ipynb", "test-quarterly.html", "quarter", "Test"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["test-monthly"], "no preset fits this export"),  # no date: the ledger is read for its last month (one line)
        (["test-monthly", "--quarter", "2026Q3"], "test-monthly is a monthly report: give --as-of DATE"),
        (["test-quarterly"], "no preset fits this export"),  # likewise its last quarter
        (["test-quarterly", "--as-of", "2026-09-30"], "test-quarterly is a quarterly report: give --quarter"),
        (["nope", "--as-of", "2026-06-30"], "unknown report 'nope'; available reports: "),
        (["test-monthly", "--quarter", "2026Q9"], "'2026Q9' is not a quarter such as 2026Q3"),
    ],
)
def test_cli_run_argument_errors_are_one_line_exit_2(test_reports, tmp_path, capsys, argv, message):
    ledger = tmp_path / "l.csv"
    ledger.write_text("x\n")
    try:
        rc = main(["run", *argv, "--ledger", str(ledger), "--out", str(tmp_path / "out")])
    except SystemExit as exc:  # argparse's own checks
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------------------------------------- browser


def test_report_opens_offline_in_headless_chromium(rendered, tmp_path):
    seen = open_in_chromium(rendered["html"], tmp_path)
    assert console_errors(seen) == []
    assert external_requests(seen) == []
    assert seen["title"] == "Render test report — June 2026"
    assert seen["img_width"] > 100  # the base64 PNG decoded
    assert seen["table_break"] == "auto"  # long tables break between rows (rows are kept whole, headings repeat)
    assert seen["stddev"] > 20, "screenshot is blank"


def test_publishing_never_replaces_an_input(tmp_path):
    from arkit.render import _refuse_inputs

    period = tmp_path / "reports" / "2026-06"
    period.mkdir(parents=True)
    ledger = period / "render-ok.xlsx"
    ledger.write_text("the ledger")
    with pytest.raises(ReportError, match="publishing would replace the input file .*render-ok.xlsx"):
        _refuse_inputs([period / "render-ok.html", period / "render-ok.xlsx"], [ledger, None])
    folder = period / "letters"
    folder.mkdir()
    (folder / "invoices.csv").write_text("x")
    with pytest.raises(ReportError):
        _refuse_inputs([period / "letters"], [folder])
    _refuse_inputs([period / "render-ok.html"], [ledger])  # another name: fine


def test_pdf_is_printed_and_published_with_the_report(tmp_path):
    """``pdf=True`` (``arkit run … --pdf``): headless Chromium prints the HTML into the staging folder and
    the PDF is published beside it; its text is the report's."""
    import shutil
    import subprocess

    from arkit.pdf import find_chromium
    from tests.browser import need

    if find_chromium() is None:
        need("chromium", "apt-get install -y chromium")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("invoice_id,customer\n", encoding="utf-8")
    result = render_report(NB / "render_ok.ipynb", ledger=ledger, as_of="2026-06-30", out_dir=tmp_path / "reports", progress=False, pdf=True)
    pdf = tmp_path / "reports" / "2026-06" / "render-ok.pdf"
    assert pdf in result["files"] and pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        need("pdftotext", "apt-get install -y poppler-utils")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Render test report" in text and "Open balances per customer" in text


def test_without_a_date_the_report_covers_the_ledgers_last_complete_month(tmp_path):
    import pandas as pd

    """No --as-of: the month of the ledger's last event when that is a month end, else the month before
    (a half month is not a month)."""
    from arkit.load import load_ledger
    from arkit.render import render_report
    from arkit.sample import make_sample_ledger, write_workbook

    path = write_workbook(make_sample_ledger(n_invoices=400, seed=3, as_of="2026-06-30"), tmp_path / "ledger.xlsx")
    last = pd.Timestamp(load_ledger(path).as_of_max).normalize()
    want = (last + pd.offsets.MonthEnd(0)) if last.is_month_end else (last - pd.offsets.MonthEnd(1))
    out = render_report("monthly-review", ledger=path, out_dir=tmp_path / "reports", progress=False)
    assert out["period"] == f"{want:%Y-%m}" and out["html"].exists()
