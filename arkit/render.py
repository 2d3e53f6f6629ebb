"""Render a parameterised report notebook into a self-contained HTML report for controllers.

>>> from arkit.render import render_report
>>> render_report("monthly-review", ledger="exports/ledger.xlsx", as_of="2026-06-30")
{'report': 'monthly-review', 'period': '2026-06', 'html': PosixPath('reports/2026-06/monthly-review.html'), ...}

What happens, in order:

1. The notebook (``notebooks/<name>.ipynb``, or any ``.ipynb`` path given as ``report``) is executed by
   Papermill with the parameters ``ledger_path``, ``source``, ``as_of`` (monthly reports, an ISO date) or
   ``quarter`` (quarterly reports, e.g. ``"2026Q3"``), ``policy_path`` and ``output_dir`` plus ``params``.
   Only the parameters the notebook's ``parameters`` cell declares are passed; an explicit ``policy`` or a
   ``params`` key the notebook does not declare is an error (a typo would otherwise be ignored silently).
2. Everything is produced in a staging folder ``<out_dir>/.staging-<report>-<random>/``: the executed
   notebook, the HTML, and the side files the notebook writes into ``output_dir`` (its Excel workbook,
   ``letters/``...). The working directory of the kernel is the notebook's folder, as in JupyterLab.
3. The HTML is exported with nbconvert's ``HTMLExporter`` and the template ``arkit/templates/arkit_report``
   (lab cell markup, arkit's own head and stylesheet): no code, no prompts, no stderr stream (warnings,
   logging, progress bars), no warning lines in stdout, no traceback, no script, no MathJax/require.js,
   no web font; figures are inline base64 PNGs. Cells tagged ``remove-cell`` are left out, and the outputs
   of cells tagged ``remove-output``. :func:`check_offline` then inspects the HTML; any problem fails the run.
4. Publishing is one unit. The new period folder ``<out_dir>/<YYYY-MM>/`` (monthly) or ``<out_dir>/<YYYYQn>/``
   (quarterly) is assembled complete inside the staging folder — the files of the period's other reports
   as hard links, this run's side files, executed notebook (the audit trail) and HTML — and swapped in with
   one atomic exchange of the two folders (Linux ``renameat2``; elsewhere two renames, so a reader may for
   an instant find no folder, never a mix of two runs); ``<out_dir>/index.html`` is then rewritten (write
   and rename). A re-run replaces the previous files (a side folder such as ``letters/`` is replaced whole).
   A failure, or a kill at any moment, leaves the previous period folder as it was or the new one whole.
5. Locks (``flock``, released by the OS when a process dies): each run's staging folder is locked while it
   runs, so a second run of the same report and period into the same folder is refused with one line; the
   output folder is locked while a run publishes (swap + index), so runs of different reports of one period
   wait for each other instead of losing each other's files. Staging folders whose lock nobody holds were
   left by killed runs (they may hold customer data) and are removed when the next run starts.

Work beside the kernel (a registered report): the ledger is loaded once, by a process of its own started
with the render, and handed to the kernel's ``load_ledger`` (:mod:`arkit._handoff`); the monthly review's
month-end model is fitted by another process meanwhile (job ``forecast``); the Excel appendix is written by
a separate process while the HTML is exported (:mod:`arkit._deferred`), and the render waits for it before
publishing. A failure in any of them is one line, or (a job) the kernel computes the figures itself.

The kernel: an explicitly named kernelspec, ``arkit-report``, written into the staging folder and found
through a kernel manager whose kernelspec search path is only that folder (no global ``JUPYTER_PATH``
change, so concurrent renders and a JupyterLab in the same process are unaffected). Its ``argv[0]`` is
``sys.executable``: the notebook runs on the interpreter that runs arkit — in CI the venv, the only one
with arkit installed — whatever ``python3`` kernels are installed for the user or the system. Its env sets
``MPLBACKEND`` to the inline backend, so a ``MPLBACKEND=Agg`` in the caller's environment cannot suppress
the figures.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

from . import _deferred
from .errors import LedgerError

# nbformat validates notebooks with jsonschema, whose format checkers import rfc3987_syntax when it is installed
# (jupyter_events pulls it in); that import compiles ~40 lark grammars, ~2.8 s of every render, for an "iri"
# format no notebook schema uses. Marking the module absent makes jsonschema skip that one checker.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "arkit_report"
KERNEL_NAME = "arkit-report"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@dataclass(frozen=True)
class ReportSpec:
    """A registered report: its notebook (in ``notebooks/``), the HTML file name, and its period kind."""

    notebook: str
    html: str
    period: str  # "month" or "quarter"
    title: str = ""


REPORTS: dict[str, ReportSpec] = {
    "monthly-review": ReportSpec(notebook="monthly_review.ipynb", html="monthly-review.html", period="month", title="Monthly DSO & delinquency review"),
    "incentives": ReportSpec(notebook="incentive_comparison.ipynb", html="incentives.html", period="month", title="Incentive-program comparison"),
    "policy-review": ReportSpec(notebook="policy_review.ipynb", html="policy-review.html", period="quarter", title="Quarterly credit & collections policy review"),
}


class ReportError(LedgerError):
    """A report could not be rendered: the message names the report, the section and the error."""


# --------------------------------------------------------------------------------------------------------
# Report, period, parameters


@dataclass(frozen=True)
class _Resolved:
    name: str
    title: str
    notebook: Path
    stem: str  # file stem of the HTML, the executed notebook
    period_kind: str | None  # None: decided by as_of / quarter (notebook given as a path)


def _available() -> str:
    names = [n for n, s in REPORTS.items() if (NOTEBOOKS_DIR / s.notebook).is_file()]
    return ", ".join(names) if names else "none yet"


def _resolve(report) -> _Resolved:
    text = os.fspath(report) if isinstance(report, os.PathLike) else str(report)
    if isinstance(report, os.PathLike) or text.endswith(".ipynb"):
        path = Path(text).expanduser().resolve()
        if not path.is_file():
            raise LedgerError(f"notebook {text} not found; available reports: {_available()}")
        stem = re.sub(r"[^A-Za-z0-9.-]+", "-", path.stem).strip("-") or "report"
        return _Resolved(stem, _notebook_title(path) or stem.replace("-", " ").capitalize(), path, stem, None)
    spec = REPORTS.get(text)
    if spec is None:
        raise LedgerError(f"unknown report '{text}'; available reports: {_available()}")
    path = NOTEBOOKS_DIR / spec.notebook
    if not path.is_file():
        raise LedgerError(f"report '{text}' has no notebook yet (notebooks/{spec.notebook} is missing); available reports: {_available()}")
    return _Resolved(text, spec.title or text, path, Path(spec.html).stem, spec.period)


def _notebook_title(path: Path) -> str | None:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 — unreadable notebooks fail later with a proper message
        return None
    if nb.metadata.get("title"):
        return str(nb.metadata["title"])
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+?)\s*#*\s*$", cell.source, re.M)
            if m:
                return m.group(1)
    return None


@dataclass(frozen=True)
class _Period:
    kind: str  # "month" | "quarter"
    key: str  # folder name: 2026-06 | 2026Q3
    label: str  # June 2026 | 2026 Q3
    as_of: str | None  # ISO date for monthly reports


def _parse_quarter(quarter) -> str:
    m = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*", str(quarter))
    if not m:
        raise LedgerError(f"'{quarter}' is not a quarter such as 2026Q3")
    return f"{m.group(1)}Q{m.group(2)}"


def _parse_date(value) -> dt.date:
    """A date, datetime, Timestamp or ISO string ``YYYY-MM-DD`` (nothing ambiguous such as "06/07/2026")."""
    import pandas as pd

    if isinstance(value, str) and not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        raise LedgerError(f"'{value}' is not a date such as 2026-06-30")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise LedgerError(f"'{value}' is not a date such as 2026-06-30")
    return ts.date()


def _period(res: _Resolved, as_of, quarter) -> _Period:
    kind = res.period_kind
    if kind is None:
        if as_of is not None and quarter is not None:
            raise LedgerError(f"{res.name}: give either as_of (a monthly report) or quarter (a quarterly report), not both")
        if as_of is None and quarter is None:
            raise LedgerError(f"{res.name} needs as_of (a date such as 2026-06-30) or quarter (such as 2026Q3)")
        kind = "month" if as_of is not None else "quarter"
    if kind == "month":
        if quarter is not None:
            raise LedgerError(f"{res.name} is a monthly report: give --as-of DATE (such as 2026-06-30), not a quarter")
        if as_of is None:
            raise LedgerError(f"{res.name} is a monthly report and needs --as-of DATE (such as 2026-06-30)")
        d = _parse_date(as_of)
        return _Period("month", f"{d:%Y-%m}", f"{d:%B %Y}", d.isoformat())
    if as_of is not None:
        raise LedgerError(f"{res.name} is a quarterly report: give --quarter (such as 2026Q3), not an as-of date")
    if quarter is None:
        raise LedgerError(f"{res.name} is a quarterly report and needs --quarter (such as 2026Q3)")
    q = _parse_quarter(quarter)
    return _Period("quarter", q, f"{q[:4]} {q[4:]}", None)


def _parameters(res: _Resolved, period: _Period, *, ledger: Path, source: str, policy: Path | None, output_dir: Path, params: dict | None) -> dict:
    import papermill as pm

    try:
        declared = pm.inspect_notebook(str(res.notebook))
    except Exception as exc:  # noqa: BLE001
        raise LedgerError(f"notebook {res.notebook} cannot be read: {_first_line(exc)}") from None
    if not declared:
        raise LedgerError(f"notebook {res.notebook} has no cell tagged 'parameters'; a report notebook needs one")
    standard = {
        "ledger_path": str(ledger),
        "source": source,
        "as_of": period.as_of,
        "quarter": period.key if period.kind == "quarter" else None,
        "policy_path": str(policy) if policy is not None else None,
        "output_dir": str(output_dir),
    }
    if policy is not None and "policy_path" not in declared:
        raise LedgerError(f"report {res.name} takes no policy file (its notebook declares no policy_path parameter)")
    unknown = sorted(set(params or {}) - set(declared))
    if unknown:
        raise LedgerError(f"report {res.name} has no parameter {', '.join(unknown)}; its parameters are {', '.join(declared)}")
    values = {k: v for k, v in standard.items() if k in declared}
    values.update(params or {})
    return values


# --------------------------------------------------------------------------------------------------------
# Kernel


def _write_kernelspec(kernels_dir: Path, *, env: dict[str, str] | None = None) -> None:
    """``<kernels_dir>/arkit-report/kernel.json``: ipykernel on ``sys.executable``, inline figures, and
    ``env`` added to the kernel's environment."""
    import json

    from ipykernel.kernelspec import get_kernel_dict

    spec_dir = kernels_dir / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    # ipykernel's own spec (its metadata declares CurveZMQ support, so the channels are encrypted), with
    # argv[0] pinned to this interpreter, an in-memory IPython history, and the inline matplotlib backend.
    spec = get_kernel_dict(extra_arguments=["--HistoryManager.hist_file=:memory:"], python_arguments=["-Xfrozen_modules=off"])
    spec["argv"][0] = sys.executable
    spec["display_name"] = "arkit report (current interpreter)"
    spec["env"] = {"MPLBACKEND": INLINE_BACKEND, "PYDEVD_DISABLE_FILE_VALIDATION": "1", **(env or {})}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


def _kernel_manager_class(kernels_dir: Path, log):
    """An ``AsyncKernelManager`` (nbclient's default) whose kernelspecs come from ``kernels_dir`` only.

    The kernel process's own stdout/stderr (ipykernel's log lines, e.g. "KeyboardInterrupt caught in
    kernel" when it is interrupted at shutdown, C-level prints) go to ``log``, not to the caller's terminal;
    what cells print travels over the kernel's channels into the notebook as usual.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            super().__init__(**kw)
            # Encrypt the kernel's loopback channels (CurveZMQ) where jupyter_client and libzmq can:
            # safer on a shared machine, and ipykernel >= 7 then does not warn about plain TCP.
            if self.has_trait("transport_encryption"):
                import zmq

                if zmq.has("curve"):
                    self.transport_encryption = "auto"

        async def start_kernel(self, **kw):
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            return await super().start_kernel(**kw)

        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return KernelSpecManager(kernel_dirs=[str(kernels_dir)], ensure_native_kernel=False)

    return ReportKernelManager


# --------------------------------------------------------------------------------------------------------
# Failures


def _first_line(exc_or_text) -> str:
    text = str(exc_or_text).strip()
    return text.splitlines()[0].strip() if text else ""


def _last_line(path: Path | None) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except (OSError, AttributeError):
        return ""
    return lines[-1][:200] if lines else ""


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _heading(source: str) -> str | None:
    """The last ATX heading (``# …``) of a markdown cell, outside code fences."""
    last, fenced = None, False
    for line in source.splitlines():
        if re.match(r"^\s{0,3}(```|~~~)", line):
            fenced = not fenced
            continue
        m = None if fenced else re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and m.group(1):
            last = m.group(1)
    return last


def _section(cells, index: int) -> str | None:
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            h = _heading(cell.get("source", ""))
            if h:
                return h
    return None


def _failed_cell(nb) -> int | None:
    """Index of the cell that failed or was running when execution stopped (timeout, dead kernel)."""
    for i, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    for i, cell in enumerate(nb.cells):
        pm_meta = cell.get("metadata", {}).get("papermill", {})
        if pm_meta.get("exception") or pm_meta.get("status") in ("running", "failed"):
            return i
    return None


def _failure(res: _Resolved, executed: Path, exc: BaseException, timeout: float, kernel_log: Path | None = None) -> ReportError:
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    section = None
    try:
        nb = nbformat.read(executed, as_version=4)
        idx = _failed_cell(nb)
        section = _section(nb.cells, idx) if idx is not None else None
    except Exception:  # noqa: BLE001 — nothing written yet (e.g. the kernel never started)
        pass
    if isinstance(exc, PapermillExecutionError):
        error = f"{exc.ename}: {_first_line(_ANSI.sub('', str(exc.evalue)))}" if exc.evalue else exc.ename
    elif isinstance(exc, CellTimeoutError):
        error = f"a cell took longer than the {timeout:g} s time limit"
    elif isinstance(exc, DeadKernelError):
        error = "the Python kernel died (out of memory?)"
    else:  # the kernel did not start, or papermill/nbclient failed outside a cell
        error = f"{type(exc).__name__}: {_first_line(exc)}"
        last = _last_line(kernel_log)
        if last:
            error += f" (kernel: {last})"
    where = f" in section '{section}'" if section else ""
    return ReportError(f"report {res.name} failed{where}: {error}")


# --------------------------------------------------------------------------------------------------------
# HTML


_WARNING_LINE = re.compile(r"^\S.*:\d+: \w*Warning: ")
_TD = re.compile(r"<td(?P<attrs>(?:\s[^<>]*)?)>(?P<body>[^<]*)</td>", re.I)
_NUMBER = re.compile(r"^\s*(?:[-+−(]?\s*[$€£¥]?\s*(?:\d[\d,.\u202f\u00a0 ]*|nan|NaN|inf)\s*%?\)?|[-–—])\s*$")  # a lone dash: n/a in a number column


def _strip_warning_lines(text: str) -> str:
    """Drop ``file.py:12: SomeWarning: message`` lines and the source line Python prints below them."""
    out, skip_indented = [], False
    for line in text.splitlines(keepends=True):
        if _WARNING_LINE.match(line):
            skip_indented = True
            continue
        if skip_indented and line.startswith("  "):
            skip_indented = False
            continue
        skip_indented = False
        out.append(line)
    return "".join(out)


def _mark_numbers(html: str) -> str:
    """Add ``class="num"`` to table cells holding a number, so the stylesheet right-aligns them."""

    def repl(m: re.Match) -> str:
        attrs, body = m.group("attrs") or "", m.group("body")
        if not body.strip() or not _NUMBER.match(body):
            return m.group(0)
        cls = re.search(r'\bclass\s*=\s*"([^"]*)"', attrs)
        if cls and re.search(r"\barkit-(?:text|nowrap)\b", cls.group(1)):
            return m.group(0)  # a report table already classed by its column's kind (arkit.columns)
        if cls:
            attrs = attrs[: cls.start(1)] + "num " + attrs[cls.start(1) :]
        else:
            attrs += ' class="num"'
        return f"<td{attrs}>{body}</td>"

    return _TD.sub(repl, html)


def _clean_for_html(nb) -> None:
    """In place: the notebook a controller sees — no stderr, no warnings, no errors, no papermill markers."""
    keep = []
    section = None
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown":
            section = _heading(cell.source) or section
        if tags & {"papermill-error-cell-tag", "injected-parameters", "parameters", "remove-cell", "remove_cell"}:
            continue
        if cell.cell_type == "code":
            if tags & {"remove-output", "remove_output"}:
                cell.outputs = []
            outputs = []
            for out in cell.get("outputs", []):
                kind = out.get("output_type")
                if kind == "error" or (kind == "stream" and out.get("name") != "stdout"):
                    continue
                if kind == "stream":
                    out["text"] = _strip_warning_lines(out.get("text", ""))
                    if not out["text"].strip():
                        continue
                data = out.get("data")
                if data is not None:
                    data.pop("application/vnd.jupyter.stderr", None)
                    if "text/html" in data:
                        html = data["text/html"]
                        data["text/html"] = _mark_numbers("".join(html) if isinstance(html, list) else html)
                    if not data:
                        continue
                    if "image/png" in data or "image/jpeg" in data or "image/svg+xml" in data:
                        out.setdefault("metadata", {})["arkit_alt"] = f"Figure: {section}" if section else "Figure"
                outputs.append(out)
            cell.outputs = outputs
        keep.append(cell)
    nb.cells = keep


def _export_html(nb, info: dict) -> str:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True  # markdown images as data: URIs
    c.HTMLExporter.anchor_link_text = ""
    c.CSSHTMLHeaderPreprocessor.enabled = False
    exporter = HTMLExporter(config=c, template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)])
    html, _ = exporter.from_notebook_node(nb, resources={"arkit": info, "metadata": {"path": info["notebook_dir"]}})
    return html


class _OfflineChecker(HTMLParser):
    _FORBIDDEN = {"script", "iframe", "frame", "object", "embed", "applet", "base", "portal"}
    _URL_ATTRS = {"src", "srcset", "poster", "background", "data", "action", "formaction", "xlink:href", "lowsrc", "dynsrc", "ping", "manifest", "longdesc"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def _add(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    @staticmethod
    def _local(url: str) -> bool:
        u = url.strip().lower()
        return u.startswith("data:") or u.startswith("#") or u == ""

    @staticmethod
    def _same_report_or_relative(url: str) -> bool:
        """A link within the page (``#…``) or to a file beside it (a relative path: no scheme, no ``//`` host)."""
        u = url.strip()
        return not re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*:|[\\/]{2})", u) and not u.startswith(("/", "\\"))

    def _css(self, css: str, where: str) -> None:
        if re.search(r"@import", css, re.I):
            self._add(f"CSS @import in {where}")
        for m in re.finditer(r"url\(\s*['\"]?([^'\")]*)", css, re.I):
            if not self._local(m.group(1)):
                self._add(f"CSS url({m.group(1)[:80]}) in {where}")
        if re.search(r"expression\s*\(|javascript:", css, re.I):
            self._add(f"active CSS in {where}")

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in self._FORBIDDEN:
            src = dict(attrs).get("src")
            self._add(f"<{tag} src={src[:80]}>" if (tag == "script" and src) else f"<{tag}> element")
        if tag == "style":
            self._in_style = True
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self._add("<meta http-equiv=refresh>")
        for name, value in attrs:
            name, value = name.lower(), value or ""
            if name.startswith("on"):
                self._add(f"event handler attribute {name} on <{tag}>")
            elif name == "style":
                self._css(value, f"<{tag} style>")
            elif re.match(r"\s*(javascript|vbscript):", value, re.I) and name in self._URL_ATTRS | {"href"}:
                self._add(f"{name}={value[:40]} on <{tag}>")
            elif name == "srcset":
                for part in value.split(","):
                    if part.strip() and not self._local(part.strip().split()[0]):
                        self._add(f"external resource in <{tag} srcset>: {part.strip()[:80]}")
            elif name in self._URL_ATTRS or (name == "href" and tag not in ("a", "area")):
                if not self._local(value):
                    self._add(f"external resource in <{tag} {name}>: {value[:80]}")
            elif name == "href" and not self._same_report_or_relative(value):
                self._add(f"external link <{tag} href={value[:80]}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag.lower() == "style":
            self._in_style = False

    def handle_endtag(self, tag):
        if tag.lower() == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data, "<style>")


def check_offline(html: str) -> list[str]:
    """Problems that keep ``html`` from being a self-contained page that opens offline, safely.

    Flags any ``<script>`` (arkit's template has none, so one can only come from a notebook output),
    ``<iframe>``/``<object>``/``<embed>``/``<base>``, event-handler attributes, ``javascript:`` URLs, and
    any resource that is not a ``data:`` URL: ``src``/``srcset``/``<link href>`` and CSS ``@import``/``url()``.
    A link (``<a href>``, ``<area href>``) may only point into the page (``#…``) or to a file beside it (a
    relative path): any scheme (``http:``, ``mailto:``, ``file:``…), ``//host`` or absolute path is refused —
    a report's links never leave it, so a URL that slipped in from data cannot become one. An empty list
    means the page is fine.
    """
    checker = _OfflineChecker()
    checker.feed(html)
    checker.close()
    problems = list(checker.problems)
    for name, pattern in (("require.js", r"require(\.min)?\.js"), ("MathJax", r"<[^>]*mathjax|MathJax\.")):
        if re.search(pattern, html, re.I):
            problems.append(f"{name} reference")
    return problems


# --------------------------------------------------------------------------------------------------------
# Index


_PERIOD_DIR = re.compile(r"^(\d{4})(?:-(\d{2})|Q([1-4]))$")


def _period_order(key: str) -> tuple:
    m = _PERIOD_DIR.match(key)
    year = int(m.group(1))
    end_month = int(m.group(2)) if m.group(2) else int(m.group(3)) * 3
    return (year, end_month, 1 if m.group(3) else 0)


def _period_label(key: str) -> str:
    m = _PERIOD_DIR.match(key)
    if m.group(2):
        return dt.date(int(m.group(1)), int(m.group(2)), 1).strftime("%B %Y")
    return f"{m.group(1)} Q{m.group(3)}"


class _MetaReader(HTMLParser):
    """``<meta name="arkit:KEY" content="…">`` tags of a report's head (attribute order is free)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("name") or "").startswith("arkit:"):
            self.meta[a["name"][len("arkit:") :]] = a.get("content") or ""


def _read_meta(path: Path) -> dict | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            head = f.read(16384)
    except OSError:
        return None
    reader = _MetaReader()
    reader.feed(head.split("</head>")[0])
    return reader.meta if "report" in reader.meta else None


def write_index(out_dir) -> Path:
    """Write ``<out_dir>/index.html``: every rendered report by period, newest first, relative links."""
    import jinja2

    out = Path(out_dir)
    periods = []
    for folder in sorted((p for p in out.iterdir() if p.is_dir() and _PERIOD_DIR.match(p.name)), key=lambda p: _period_order(p.name), reverse=True) if out.is_dir() else []:
        reports = []
        for html in sorted(folder.glob("*.html")):
            meta = _read_meta(html)
            if meta is None:
                continue
            files = [p for p in (html.with_suffix(".xlsx"), html.with_suffix(".ipynb")) if p.is_file()]
            reports.append(
                {
                    "title": meta.get("title") or meta["report"],
                    "href": f"{quote(folder.name)}/{quote(html.name)}",
                    "ledger": meta.get("ledger", ""),
                    "generated": meta.get("generated-label") or meta.get("generated", ""),
                    "files": [{"name": "workbook" if p.suffix == ".xlsx" else "notebook", "href": f"{quote(folder.name)}/{quote(p.name)}"} for p in files],
                }
            )
        if reports:
            periods.append({"label": _period_label(folder.name), "reports": sorted(reports, key=lambda r: r["title"].lower())})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, keep_trailing_newline=True)
    css = (TEMPLATES_DIR / TEMPLATE_NAME / "static" / "report.css").read_text(encoding="utf-8")
    page = env.get_template("index.html.j2").render(periods=periods, css=css, folder=out.resolve().name, updated=_now_label())
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".index-{uuid.uuid4().hex[:8]}.html"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out / "index.html")
    return out / "index.html"


# --------------------------------------------------------------------------------------------------------
# Render


def _now_label(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now().astimezone()
    return now.strftime("%Y-%m-%d %H:%M %Z").strip()


def _link_or_copy(src: Path, dest: Path) -> None:
    """``dest`` as a hard link of ``src`` (a folder: a tree of links); a copy where links are impossible."""
    def one(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dest, symlinks=True, copy_function=one)
    elif src.is_symlink():
        os.symlink(os.readlink(src), dest)
    else:
        one(src, dest)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD = -100
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    import errno

    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(new: Path, dest: Path, spare: Path) -> None:
    """Make the complete folder ``new`` the folder ``dest`` in one step a reader cannot see half-done.

    ``dest`` absent: one ``rename``. Present: one atomic exchange of the two folders (the old one ends up at
    ``new``'s path, inside the staging folder, and goes with it); where the file system cannot exchange,
    ``dest`` is renamed to ``spare`` and ``new`` to ``dest`` — for that instant a reader finds no folder,
    never a mix of two runs.
    """
    if not dest.exists() and not dest.is_symlink():
        os.rename(new, dest)
        return
    if _exchange(new, dest):
        return
    os.rename(dest, spare)
    os.rename(new, dest)


def _publish(files: list[Path], dest: Path, staging: Path) -> list[Path]:
    """Publish ``files`` (staged files and folders) into the period folder ``dest`` as one unit.

    The whole new period folder is assembled in ``staging``: what ``dest`` holds now (other reports of the
    period, earlier side files) as hard links, minus the names being replaced, plus ``files``; then it is
    swapped in with :func:`_swap_in`. A side folder such as ``letters/`` is thus replaced whole. The caller
    holds the output folder's publishing lock. Returns the published paths (under ``dest``).
    """
    new = staging / "period"
    new.mkdir()
    names = {f.name for f in files}
    if dest.is_dir():
        for item in sorted(dest.iterdir()):
            if item.name not in names:
                _link_or_copy(item, new / item.name)
    for f in files:
        os.replace(f, new / f.name)
    _swap_in(new, dest, staging / "replaced")
    return [dest / f.name for f in files]


def _refuse_inputs(targets: list[Path], inputs: list) -> None:
    """A published path that is (or holds) an input file — the ledger, the policy — is refused: publishing
    never replaces what the report read."""
    files = []
    for inp in inputs:
        if inp is None or not Path(inp).exists():
            continue
        inp = Path(inp).resolve()
        files += [p for p in inp.rglob("*") if p.is_file()] if inp.is_dir() else [inp]
    for t in targets:
        t = Path(t).resolve()
        for f in files:
            if f == t or t in f.parents or (t.is_file() and os.path.samefile(t, f)):
                raise ReportError(f"publishing would replace the input file {f} with {t}; put the ledger outside the reports folder")


class _Busy(LedgerError):
    pass


def _lock_dir(path: Path, *, wait: bool) -> int | None:
    """An exclusive ``flock`` on a folder (its fd, to be closed to release it); None if busy and not waiting."""
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


_STAGING = re.compile(r"^\.staging-")


def _start_staging(out: Path, stem: str, period_key: str) -> tuple[Path, int]:
    """Create this run's staging folder, locked for the run's lifetime; remove stale ones of killed runs.

    Under the output folder's lock: every ``.staging-*`` folder whose lock nobody holds belongs to a run that
    died (killed, power cut) and is removed — it may hold customer data; one of the same report and period
    that is still locked means that run is alive, and this one is refused with one line.
    """
    out_fd = _lock_dir(out, wait=True)
    try:
        for old in out.iterdir():
            if not (_STAGING.match(old.name) or old.name.startswith(".index-")):
                continue
            if old.name.startswith(".index-"):
                if time.time() - old.stat().st_mtime > 3600:
                    old.unlink(missing_ok=True)
                continue
            fd = _lock_dir(old, wait=False) if old.is_dir() else None
            if fd is None:
                if old.is_dir() and old.name.startswith(f".staging-{stem}-{period_key}-"):
                    raise _Busy(f"{stem} for {period_key} is already being rendered into {out} by another run; wait for it to finish")
                continue
            try:
                shutil.rmtree(old, ignore_errors=True)
            finally:
                os.close(fd)
        staging = out / f".staging-{stem}-{period_key}-{uuid.uuid4().hex[:10]}"
        staging.mkdir()
        fd = _lock_dir(staging, wait=False)
        return staging, fd
    finally:
        os.close(out_fd)


def render_report(
    report,
    *,
    ledger,
    as_of=None,
    quarter=None,
    out_dir="reports",
    source: str = "auto",
    policy=None,
    params: dict | None = None,
    timeout: float = 900,
    progress: bool | None = None,
    pdf: bool = False,
) -> dict:
    """Execute a report notebook and publish its HTML, executed notebook and side files.

    ``report`` is a name from :data:`REPORTS` or a path to an ``.ipynb``. Monthly reports take ``as_of``
    and go to ``<out_dir>/<YYYY-MM>/``; quarterly ones take ``quarter`` (``"2026Q3"``) and go to
    ``<out_dir>/<YYYYQn>/``. Without either, a registered report covers the ledger's last complete month
    (or quarter): the month of its last event when that is the month's last day, else the month before.
    ``timeout`` is per cell, in seconds. ``progress`` shows Papermill's progress
    bar (default: only when stderr is a terminal). ``pdf`` also prints the HTML to ``<stem>.pdf`` beside
    it with headless Chromium (:func:`arkit.pdf.write_pdf`), staged and published with the other files.

    Returns ``{"report", "title", "period", "html", "notebook", "files", "index", "seconds"}`` (paths
    absolute; ``files`` every path written into the period folder). Raises :class:`ReportError` when the
    notebook fails (the message names the section and the error) or the HTML is not self-contained, and
    :class:`~arkit.errors.LedgerError` for a wrong argument.
    """
    started = time.perf_counter()
    res = _resolve(report)
    ledger_path = Path(ledger).expanduser()
    if not ledger_path.exists():
        raise LedgerError(f"ledger {ledger} not found")
    ledger_path = ledger_path.resolve()
    preloaded = None
    if as_of is None and quarter is None and res.name in REPORTS:
        # no period given: the ledger's last complete month (quarter), so it is loaded first, once
        from .load import load_ledger

        preloaded = load_ledger(ledger_path, source=source)
        as_of, quarter = _default_period(res, preloaded)
    period = _period(res, as_of, quarter)
    policy_path = None
    if policy is not None:
        policy_path = Path(policy).expanduser()
        if not policy_path.is_file():
            raise LedgerError(f"policy file {policy} not found")
        policy_path = policy_path.resolve()

    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    staging, staging_fd = _start_staging(out, res.stem, period.key)
    preparer = None
    try:
        files_dir = staging / "files"
        files_dir.mkdir()
        kernels_dir = staging / "kernels"
        deferred = staging / "deferred"  # the Excel appendix is written by a separate process (arkit._deferred)
        deferred.mkdir()
        if res.name in REPORTS:  # their notebooks take ledger_path and source
            # the ledger is loaded by a process of its own from the start (while Papermill is imported and
            # the kernel starts) and handed to the kernel, whose load_ledger waits for it: one load per
            # render (arkit._handoff). A month the ledger cannot support is refused in one line before any
            # cell computes.
            from . import _handoff

            month = period.as_of if res.name == "monthly-review" else None
            jobs = {"forecast": {"as_of": month}} if month is not None else None  # the model fitted beside the kernel
            # the kernel imports what its sections need (tables; the monthly review's quick backtest: scikit-learn)
            # while the ledger is parsed
            warm = ("great_tables", "sklearn.ensemble", "sklearn.calibration") if month is not None else ("great_tables",)
            preparer = _handoff.Preparer(ledger_path, folder=staging, source=source, as_of=month, ledger=preloaded, jobs=jobs, deferred=deferred, warm=warm)
            preparer.start()
            if preparer.error is not None:  # an already loaded ledger refused at once: no kernel started
                raise preparer.error
        values = _parameters(res, period, ledger=ledger_path, source=source, policy=policy_path, output_dir=files_dir, params=params)
        _write_kernelspec(kernels_dir, env={_deferred.ENV: str(deferred), **(preparer.env() if preparer is not None else {})})

        executed = staging / f"{res.stem}.ipynb"
        with open(staging / "kernel.log", "wb") as log:
            try:
                _execute(res, executed, values, kernels_dir=kernels_dir, log=log, timeout=timeout, progress=progress)
            except ReportError:
                if preparer is None:
                    raise
                preparer.join()
                if preparer.error is None:
                    raise
                raise preparer.error from None  # the kernel stopped because the load or the check failed
            if preparer is not None:
                preparer.join()
                if preparer.error is not None:
                    raise preparer.error

        import nbformat

        dest = out / period.key
        nb = nbformat.read(executed, as_version=4)
        generated = dt.datetime.now().astimezone()
        # the audit trail says where it and its report were published, and which interpreter ran it
        nb.metadata.setdefault("papermill", {})["output_path"] = str(dest / executed.name)
        nb.metadata["arkit"] = {"report": res.name, "period": period.key, "html": f"{res.stem}.html", "python": sys.executable, "rendered": generated.isoformat(timespec="seconds")}
        nbformat.write(nb, executed)
        _clean_for_html(nb)
        info = {
            "report": res.name,
            "title": res.title,
            "period": period.key,
            "period_label": period.label,
            "as_of": period.as_of,
            "ledger": ledger_path.name,
            "generated": generated.isoformat(timespec="seconds"),
            "generated_label": _now_label(generated),
            "notebook_dir": str(res.notebook.parent),
        }
        html = _export_html(nb, info)
        from .report_layout import add_contents

        html = add_contents(html)  # the table of contents: same-file links to each section
        problems = check_offline(html)
        if problems:
            raise ReportError(f"report {res.name}: the HTML is not self-contained ({'; '.join(problems[:3])})")
        staged_html = staging / f"{res.stem}.html"
        staged_html.write_text(html, encoding="utf-8")
        if pdf:  # printed from the staged HTML into the side files, so it is published with them
            from .pdf import write_pdf

            write_pdf(staged_html, files_dir / f"{res.stem}.pdf")

        late = _deferred.wait_all(deferred, timeout=timeout)
        if late:
            raise ReportError(f"report {res.name}: the Excel appendix could not be written ({'; '.join(late[:3])})")
        publish = [item for item in sorted(files_dir.iterdir()) if item.name not in (staged_html.name, executed.name)]
        publish += [executed, staged_html]  # the notebook cannot overwrite the report itself
        _refuse_inputs([dest / f.name for f in publish] + [out / "index.html"], [ledger_path, policy_path, *(Path(v) for k, v in (params or {}).items() if k.endswith("_path") and isinstance(v, str))])
        out_fd = _lock_dir(out, wait=True)  # one publisher at a time per output folder: period swap + index
        try:
            written = _publish(publish, dest, staging)
            index = write_index(out)
        finally:
            os.close(out_fd)
    finally:
        if preparer is not None:
            preparer.stop()  # a job the notebook never asked for (it failed before) still running
        shutil.rmtree(staging, ignore_errors=True)
        os.close(staging_fd)

    return {
        "report": res.name,
        "title": res.title,
        "period": period.key,
        "html": dest / staged_html.name,
        "notebook": dest / executed.name,
        "files": written,
        "index": index,
        "seconds": time.perf_counter() - started,
    }


def _default_period(res: _Resolved, ledger) -> tuple[str | None, str | None]:
    """(as_of, quarter) when the caller gave neither: the last complete month of the ledger — the month
    of its last event when that is the month's last day, else the month before, and no later than the last
    month its invoicing covers (:func:`arkit.review.months.last_billed_month_end`) — or its last complete
    quarter (:func:`arkit.review.policy_review.last_complete_quarter`). An open-item export shows what is
    open at its own date (the as-of of its title, else its latest invoice): the month of that date."""
    import pandas as pd

    if res.period_kind == "quarter":
        from .review.policy_review import last_complete_quarter

        return None, str(last_complete_quarter(ledger))
    if ledger.is_open_item_export:  # what is open at the export's date: the month it was taken in
        from .review.months import export_date

        return (export_date(ledger) + pd.offsets.MonthEnd(0)).date().isoformat(), None
    from .review.months import last_billed_month_end

    last = pd.Timestamp(ledger.as_of_max).normalize()
    end = last + pd.offsets.MonthEnd(0)
    month = end if last == end else last - pd.offsets.MonthEnd(1)
    if len(ledger.invoices):  # no later than the last month its invoicing covers in full
        month = min(month, last_billed_month_end(ledger))
    return month.date().isoformat(), None


def _execute(res: _Resolved, executed: Path, values: dict, *, kernels_dir: Path, log, timeout: float, progress: bool | None) -> None:
    import papermill as pm

    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    try:
        pm.execute_notebook(
            str(res.notebook),
            str(executed),
            parameters=values,
            engine_name=_engine(),
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=progress,
            log_output=False,
            cwd=str(res.notebook.parent),
            execution_timeout=timeout,
            kernel_manager_class=_kernel_manager_class(kernels_dir, log),
            shutdown_kernel="immediate",  # the kernel holds nothing to save; a graceful stop cost ~0.5 s
        )
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 — every failure of the notebook becomes one ReportError
        log.flush()
        raise _failure(res, executed, exc, timeout, Path(log.name)) from exc


_ENGINE = "arkit-final-save"


def _engine() -> str:
    """Papermill's nbclient engine, saving the executed notebook once, when execution ends (normally, on
    an error or on a timeout), instead of before and after every cell: those ~60 rewrites of a notebook
    holding every figure cost ~0.8 s of a monthly review and nobody reads the intermediate files (the
    staging folder is private to the run)."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    if _ENGINE in papermill_engines._engines:
        return _ENGINE

    class _FinalSaveManager(NotebookExecutionManager):
        _final = False
        _current = None

        def cell_start(self, cell, cell_index=None, **kwargs):
            self._current = cell
            super().cell_start(cell, cell_index=cell_index, **kwargs)

        def stopped_in_current_cell(self):
            """Mark the cell running when execution stopped without an error of its own (a timeout, a dead
            kernel), which Papermill records as completed: the failure message names its section."""
            cell = self._current
            if cell is not None and not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                cell.metadata.papermill["exception"] = True
                cell.metadata.papermill["status"] = self.FAILED

        def save(self, **kwargs):
            if self._final:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs):
            self._final = True
            super().notebook_complete(**kwargs)

    class _FinalSaveEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False, autosave_cell_every=30, **kwargs):
            nb_man = _FinalSaveManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output, autosave_cell_every=0)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            except BaseException:
                nb_man.stopped_in_current_cell()
                raise
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(_ENGINE, _FinalSaveEngine)
    return _ENGINE
