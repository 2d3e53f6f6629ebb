"""PDF copies of rendered reports, printed by headless Chromium (``arkit run … --pdf``).

Why Chromium's own print and not WeasyPrint: the PDF is then exactly what a controller gets from the
browser's Print → Save as PDF, with the same engine the browser tests check the report in (the report's
``@media print`` rules, repeated table headings, numbers kept whole); WeasyPrint lays out CSS on its own
(no ``:has()``, different table breaking) and would be a second renderer to keep in step, plus a native
dependency (Pango). Chromium is driven through its command line (``--headless --print-to-pdf``), so no
Python package is needed at run time; it is found as ``$ARKIT_CHROMIUM``, ``chromium``,
``chromium-browser`` or ``google-chrome`` on the PATH (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import LedgerError

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium executable to print with, or None."""
    env = os.environ.get("ARKIT_CHROMIUM")
    if env:
        return env if Path(env).is_file() else shutil.which(env)
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def write_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 180) -> Path:
    """Print the report ``html`` to ``pdf`` (A4 or Letter as the report's ``@page`` and the printer
    default say; backgrounds kept, no browser header or footer). Raises :class:`LedgerError` with one line
    when Chromium is missing, fails or times out."""
    html, pdf = Path(html).resolve(), Path(pdf)
    exe = find_chromium()
    if exe is None:
        raise LedgerError("--pdf needs Chromium to print the report: install it (Debian: apt-get install chromium) or set ARKIT_CHROMIUM to its path")
    with tempfile.TemporaryDirectory(prefix="arkit-pdf-") as profile:
        out = Path(profile) / "report.pdf"
        cmd = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
            "--no-pdf-header-footer", "--print-to-pdf-no-header", f"--print-to-pdf={out}", html.as_uri(),
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LedgerError(f"Chromium did not finish printing {html.name} to PDF within {timeout:g} s") from None
        except OSError as exc:
            raise LedgerError(f"Chromium ({exe}) could not be started to print the PDF: {exc}") from None
        if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            last = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()][-1:] or ["no output"]
            raise LedgerError(f"Chromium could not print {html.name} to PDF (exit {proc.returncode}: {last[0][:200]})")
        shutil.move(str(out), str(pdf))
    return pdf
