"""Write a report's Excel appendix in a separate process while the render goes on.

A report's appendix (every table shown, one sheet each) is the last thing its notebook does, and writing
~250,000 cells with xlsxwriter takes 1.5 s of CPU that nothing else in the render needs: the HTML export
that follows reads the notebook, not the workbook. When ``render_report`` runs a notebook it sets
:data:`ENV` in the kernel's environment to a folder of its private staging area; :meth:`ReportBook.save
<arkit.review.display.ReportBook.save>` then hands the prepared sheets to another Python process on the
machine's other core — the render's job process once its own job is done (:func:`serve`: its imports already
loaded), else a new one (``python -m arkit._deferred <job>``) — and returns at once, and
``render_report`` waits for every such job (:func:`wait_all`) before it publishes anything. A job that
fails stops the render with its one-line reason; a job never leaves half a workbook (the writer is atomic).

Outside a render (JupyterLab, scripts) :data:`ENV` is not set and workbooks are written at once, in the
calling process, as before.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
import uuid
from pathlib import Path

ENV = "ARKIT_DEFERRED_DIR"


def write_excel_later(path: Path, frames: dict, kinds: dict) -> bool:
    """Queue ``arkit.excel.write_excel(path, frames, kinds=kinds)`` in a separate process; False (nothing
    queued) outside a render."""
    folder = os.environ.get(ENV)
    if not folder or not Path(folder).is_dir():
        return False
    job = Path(folder) / f"{uuid.uuid4().hex}.job"
    part = job.with_name(job.name + ".part")
    with open(part, "wb") as fh:
        pickle.dump({"path": str(path), "frames": frames, "kinds": kinds}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    worker = _worker(Path(folder))
    if worker is not None:  # a process of the render with the modules loaded is waiting for work: it writes it
        job.with_suffix(".pid").write_text(str(worker))  # before the job appears, so it is never seen unowned
        os.replace(part, job)
        return True
    os.replace(part, job)
    with open(job.with_suffix(".log"), "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arkit._deferred", str(job)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not stopped with the kernel when the notebook ends
        )
    job.with_suffix(".pid").write_text(str(proc.pid))
    return True


WORKER = "worker.pid"


def _worker(folder: Path) -> int | None:
    """The pid of the render's process serving this folder (:func:`serve`), when it is running."""
    try:
        pid = int((folder / WORKER).read_text())
    except (OSError, ValueError):
        return None
    from ._handoff import _process_alive

    return pid if _process_alive(pid) else None


def serve(folder: Path, *, poll: float = 0.01) -> None:
    """Write the jobs queued in ``folder`` for this process, until the render is over.

    A render's job process (:mod:`arkit._handoff`) calls this when its own job is done: its Python,
    pandas and arkit are loaded, so an appendix queued after that starts writing at once instead of
    after a new interpreter's imports (~0.5 s). It announces itself in ``worker.pid``;
    :func:`write_excel_later` then names it as the job's process (the ``.pid`` file, written before the
    job), and :func:`wait_all` watches it as it watches a spawned writer. It never stops on its own while
    the render runs (a job given to it is always written or reported failed); it ends when the staging
    folder is removed or the rendering process is gone, and the render stops it at the end."""
    import gc

    from . import excel  # noqa: F401 — loaded now, not when the job comes

    gc.collect()
    gc.freeze()  # what the finished job left is never scanned again while a workbook is written (~0.1 s)
    from ._handoff import _render_pid, render_gone

    me = str(os.getpid())
    part = folder / (WORKER + ".part")
    part.write_text(me)
    os.replace(part, folder / WORKER)
    parent = _render_pid()
    seen: set[str] = set()
    while not render_gone(folder, parent):
        for job in sorted(folder.glob("*.job")):
            if job.name in seen:
                continue
            try:
                owner = job.with_suffix(".pid").read_text().strip()
            except OSError:
                continue  # a spawned writer's pid is being written: not ours
            seen.add(job.name)
            if owner == me:
                _run(job)
        time.sleep(poll)


def _run(job: Path) -> int:
    try:
        with open(job, "rb") as fh:
            spec = pickle.load(fh)
        from .excel import write_excel

        write_excel(spec["path"], spec["frames"], kinds=spec["kinds"])
    except BaseException as exc:  # noqa: BLE001 — reported by the render as one line
        job.with_suffix(".failed").write_text(f"{Path(spec['path']).name if 'spec' in locals() else job.name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return 1
    job.with_suffix(".done").touch()
    return 0


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return True  # the pid is being written: the job has just started
    from ._handoff import _process_alive

    if not _process_alive(pid):
        return False
    if os.name == "nt":
        return True
    try:  # a finished child of this process is a zombie until reaped
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True  # not our child: alive as far as kill() says


def wait_all(folder: Path, *, timeout: float) -> list[str]:
    """Wait for every job queued in ``folder``; the one-line reasons of those that failed (or stopped
    without a word, or ran past ``timeout`` seconds)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    problems = []
    deadline = time.monotonic() + timeout
    for job in sorted(folder.glob("*.job")):
        delay = 0.005
        while True:
            if job.with_suffix(".done").exists():
                break
            failed = job.with_suffix(".failed")
            if failed.exists():
                problems.append(failed.read_text(errors="replace").strip())
                break
            if not _alive(job.with_suffix(".pid")) and not job.with_suffix(".done").exists():
                log = job.with_suffix(".log")
                last = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
                problems.append(f"the Excel writer stopped without finishing{': ' + last[0] if last else ''}")
                break
            if time.monotonic() > deadline:
                problems.append(f"the Excel writer took longer than {timeout:g} s")
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
    return problems


if __name__ == "__main__":
    sys.exit(_run(Path(sys.argv[1])))
