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
