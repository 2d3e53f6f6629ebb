"""arkit._deferred: a render's Excel appendix written by another process, waited for before publishing."""

import pandas as pd

from arkit import _deferred


def test_a_queued_workbook_is_written_by_another_process(tmp_path, monkeypatch):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    monkeypatch.setenv(_deferred.ENV, str(jobs))
    df = pd.DataFrame({"customer_id": ["=1+1", "B"], "amount": [1.5, 2.25]})
    target = tmp_path / "book.xlsx"
    assert _deferred.write_excel_later(target, {"s": df}, {"s": {"amount": "money"}})
    assert _deferred.wait_all(jobs, timeout=120) == []
    back = pd.read_excel(target, engine="calamine")
    assert back["customer_id"].tolist() == ["=1+1", "B"] and back["amount"].tolist() == [1.5, 2.25]


def test_a_failed_job_is_one_line_and_leaves_no_workbook(tmp_path, monkeypatch):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    monkeypatch.setenv(_deferred.ENV, str(jobs))
    target = tmp_path / "book.xlsx"
    assert _deferred.write_excel_later(target, {}, {})  # no sheets: write_excel refuses
    problems = _deferred.wait_all(jobs, timeout=120)
    assert len(problems) == 1 and "book.xlsx" in problems[0] and "no sheets to write" in problems[0]
    assert not target.exists()


def test_outside_a_render_nothing_is_queued(tmp_path, monkeypatch):
    monkeypatch.delenv(_deferred.ENV, raising=False)
    assert not _deferred.write_excel_later(tmp_path / "b.xlsx", {"s": pd.DataFrame({"a": [1]})}, {})


def test_a_serving_process_writes_the_jobs_and_stops_with_the_render(tmp_path, monkeypatch):
    """A render's job process, once done, serves the folder: jobs are handed to it (its pid named before
    the job appears), written or reported failed in one line, and it ends when the folder is removed."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    from arkit._handoff import ENV_PID

    jobs = tmp_path / "jobs"
    jobs.mkdir()
    env = {**os.environ, ENV_PID: str(os.getpid())}
    code = f"from pathlib import Path; from arkit._deferred import serve; serve(Path({str(jobs)!r}))"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while _deferred._worker(jobs) is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert _deferred._worker(jobs) == proc.pid
        monkeypatch.setenv(_deferred.ENV, str(jobs))
        target = tmp_path / "book.xlsx"
        assert _deferred.write_excel_later(target, {"s": pd.DataFrame({"a": [1.0, 2.0]})}, {})
        assert _deferred.write_excel_later(tmp_path / "empty.xlsx", {}, {})  # refused by write_excel
        assert {p.read_text() for p in jobs.glob("*.pid")} == {str(proc.pid)}  # nothing spawned
        problems = _deferred.wait_all(jobs, timeout=120)
        assert len(problems) == 1 and "empty.xlsx" in problems[0] and "no sheets to write" in problems[0]
        assert pd.read_excel(target, engine="calamine")["a"].tolist() == [1.0, 2.0]
        shutil.rmtree(jobs)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
