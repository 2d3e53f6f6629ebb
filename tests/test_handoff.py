"""arkit._handoff: the ledger render_report loads is the one the report's kernel uses, and only for the
exact same load; jobs computed ahead give what the kernel would compute."""

import os
import signal
import time

import pytest

from arkit import _handoff
from arkit.errors import LedgerError
from arkit.load import load_ledger
from arkit.sample import make_sample_ledger, write_workbook


@pytest.fixture
def book(tmp_path):
    return write_workbook(make_sample_ledger(n_invoices=200, seed=4, as_of="2026-06-30"), tmp_path / "ledger.xlsx")


def _prepared(book, tmp_path, monkeypatch, **kw):
    p = _handoff.Preparer(book, folder=tmp_path, source="auto", **kw)
    for k, v in p.env().items():
        monkeypatch.setenv(k, v)
    p.start()
    return p


def test_the_kernel_gets_the_ledger_loaded_by_the_render(book, tmp_path, monkeypatch):
    loaded = load_ledger(book)
    loaded.invoices.attrs["marker"] = "handed over"  # only the handed-over object carries it
    p = _prepared(book, tmp_path, monkeypatch, ledger=loaded)
    p.join()
    got = load_ledger(book)
    assert p.error is None and got.invoices.attrs.get("marker") == "handed over"
    assert got.invoices.equals(loaded.invoices) and len(got.load_report.quarantine) == len(loaded.load_report.quarantine)


def test_the_loading_process_hands_over_the_same_ledger(book, tmp_path, monkeypatch):
    p = _prepared(book, tmp_path, monkeypatch, as_of="2026-05-31")
    got = load_ledger(book)  # waits for the loading process
    p.join()
    assert p.error is None
    want = load_ledger(book, source="generic")  # another mapping: read from the file
    assert got is _handoff._handed and got.invoices.equals(want.invoices) and got.payments.equals(want.payments)


def test_any_other_load_reads_the_file(book, tmp_path, monkeypatch):
    loaded = load_ledger(book)
    loaded.invoices.attrs["marker"] = "handed over"
    _prepared(book, tmp_path, monkeypatch, ledger=loaded).join()
    assert "marker" not in load_ledger(book, source="generic").invoices.attrs  # another mapping
    assert "marker" not in load_ledger(book, strict=True).invoices.attrs  # other options
    os.utime(book, ns=(os.stat(book).st_atime_ns, os.stat(book).st_mtime_ns + 10**9))  # the file changed since
    assert "marker" not in load_ledger(book).invoices.attrs


def test_a_refused_month_stops_the_kernel_and_is_the_renders_one_line(book, tmp_path, monkeypatch):
    p = _prepared(book, tmp_path, monkeypatch, as_of="2026-10-31")  # months after the ledger ends
    with pytest.raises(LedgerError, match="could not be loaded"):
        load_ledger(book)  # the kernel's load stops at once
    p.join()
    assert isinstance(p.error, LedgerError) and "cannot show October 2026" in str(p.error) and "\n" not in str(p.error)


def test_without_a_render_nothing_is_handed_over(book, monkeypatch):
    monkeypatch.delenv(_handoff.ENV, raising=False)
    assert _handoff.take(book, source="auto") is None


def test_the_forecast_computed_ahead_is_the_one_the_section_would_compute(book, tmp_path, monkeypatch):
    """A job run ahead of the notebook (the monthly review's predictions and forecast) gives the kernel
    exactly what forecast_parts gives on the handed-over ledger; asked for another date or another
    ledger, nothing."""
    from arkit.predict import forecast_parts

    p = _prepared(book, tmp_path, monkeypatch, jobs={"forecast": {"as_of": "2026-06-30"}})
    handed = load_ledger(book)
    assert _handoff.pending("forecast", handed, as_of="2026-06-30")
    got = _handoff.precomputed("forecast", handed, as_of="2026-06-30")
    p.stop()
    assert got is not None
    want = forecast_parts(handed, "2026-06-30")
    assert got[0].equals(want[0]) and got[1].equals(want[1])
    assert _handoff.precomputed("forecast", handed, as_of="2026-05-31") is None
    assert _handoff.precomputed("forecast", load_ledger(book, source="generic"), as_of="2026-06-30") is None


def test_a_job_that_dies_does_not_leave_the_kernel_waiting(book, tmp_path, monkeypatch):
    loaded = load_ledger(book)
    p = _handoff.Preparer(book, folder=tmp_path, source="auto", ledger=loaded, jobs={"forecast": {"as_of": "2026-06-30"}})
    for k, v in p.env().items():
        monkeypatch.setenv(k, v)
    p.start()
    p._procs[0].send_signal(signal.SIGKILL)  # the job, killed while it imports
    handed = load_ledger(book)
    t = time.monotonic()
    assert _handoff.precomputed("forecast", handed, as_of="2026-06-30") is None  # the kernel computes it then
    assert time.monotonic() - t < 30
    p.stop()


def test_the_loading_process_says_when_the_files_are_read(book, tmp_path, monkeypatch):
    """The read marker appears once the files are read (before parsing), and the kernel's and the jobs'
    warm-up imports wait for it; an unknown module is left to the code that needs it."""
    import sys

    from arkit.load import _load

    seen = []
    led = _load(book, source="auto", strict=False, limits=None, after_read=lambda: seen.append("read"))
    assert seen == ["read"] and len(led.invoices) == 200
    target = tmp_path / "ledger.pickle"
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    (tmp_path / ("ledger.pickle" + _handoff.READ)).touch()
    _handoff.warm_up(target, ["colorsys", "no_such_module_arkit"])  # returns at once: the marker is there
    assert "colorsys" in sys.modules
    (tmp_path / "run").mkdir()
    p = _prepared(book, tmp_path / "run", monkeypatch, warm=("colorsys",))
    assert os.environ[_handoff.ENV_WARM] == "colorsys"
    p.join()
    assert (tmp_path / "run" / ("ledger.pickle" + _handoff.READ)).exists() and p.error is None
    gone = tmp_path / "gone" / "ledger.pickle"
    start = time.monotonic()
    _handoff.warm_up(gone, ["colorsys"])  # the render's folder is gone: no wait
    assert time.monotonic() - start < 1
