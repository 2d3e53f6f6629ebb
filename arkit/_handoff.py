"""Hand a ledger loaded by ``render_report`` to the report's kernel, so a render loads it once.

``render_report`` has the ledger loaded (and, for the monthly review, the as-of date checked: a month the
ledger cannot support is refused in one line, and no cell of the notebook computes anything) by a process of
its own (:class:`Preparer`), started with the render, while Papermill imports and the kernel starts. That
process writes the loaded :class:`~arkit.model.Ledger` (with its load report) into the run's private,
locked staging folder; the kernel's environment names the file (:data:`ENV`), and the kernel waits for it
(or for the marker saying the load or the check failed, after which the render reports that one-line
error). In the kernel, :func:`arkit.load_ledger` returns the handed-over ledger only when the call asks for
exactly what was loaded: the same file (resolved path, size and modification time), the same ``source``,
``strict`` and ``limits``. Any other call — another file, an edited file, another mapping — loads as usual.

The file is a pickle written by the render's own process a moment earlier into a folder only this run
uses; nothing else is ever unpickled (the variable names a file, and the key inside must match the call).

**Work ahead of the notebook** (``jobs``): the preparer also starts one Python process per job
(``python -m arkit._handoff <job> ...``, on the machine's other core) that waits for the ledger and computes
from it what a later section needs — the monthly review's predictions and forecast (seconds of model
fitting) — while the kernel computes the sections before it. The section asks :func:`precomputed` and gets
the result when it was computed for exactly its ledger and arguments (waiting for the job if it is still
running), or None, and then computes it itself: a failed job costs time, never a figure.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
import time
from pathlib import Path

ENV = "ARKIT_LEDGER_HANDOFF"
ENV_PID = "ARKIT_LEDGER_HANDOFF_PID"
ENV_KEY = "ARKIT_LEDGER_HANDOFF_KEY"
ENV_WARM = "ARKIT_LEDGER_HANDOFF_WARM"
FAILED = ".failed"
READ = ".read"  # beside the ledger file: the loading process has read the files (now parsing them)


def _key(path, *, source, strict: bool, limits) -> str | None:
    """What identifies a load: the file (resolved path, size, mtime), source, strict and limits; None when
    the path is not a plain file or folder (nothing to hand over)."""
    if not isinstance(source, str):
        return None
    try:
        p = Path(path).expanduser().resolve()
        st = p.stat()
    except (OSError, TypeError, ValueError):
        return None
    if p.is_dir():  # a folder of tables: every file in it counts
        try:
            stamp = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in p.iterdir() if f.is_file())
        except OSError:
            return None
    else:
        stamp = [st.st_size, st.st_mtime_ns]
    return json.dumps([str(p), stamp, source, bool(strict), limits], sort_keys=True, default=str)


def put(ledger, path, *, folder: Path, source: str, strict: bool = False, limits=None) -> Path:
    """Write ``ledger`` (loaded from ``path`` with these options) into ``folder`` (write, then rename, so
    the kernel never reads half a file); returns the file written."""
    key = _key(path, source=source, strict=strict, limits=limits)
    target = Path(folder) / "ledger.pickle"
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as fh:
        pickle.dump((key, ledger), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)
    return target


class Preparer:
    """Load (and check) the ledger for a render and hand it over (:func:`put`), beside the kernel.

    The load runs in a separate Python process (``python -m arkit._handoff prepare ...``), not in a thread
    of the rendering process: a thread importing the loader's modules while the main thread imports
    Papermill's can meet a half-initialised module (an ImportError seen in practice), and a process
    parses on the other core without sharing the GIL. With ``ledger`` (already loaded, e.g. to find the
    default month) it is checked and written at once instead. ``as_of``: the monthly review's month, checked
    with :func:`arkit.review.months.check_as_of`. After :meth:`join`, :attr:`error` is the load's or the
    check's :class:`~arkit.errors.LedgerError` (one line), or None; a failure marker tells the kernel to stop
    waiting. ``jobs`` start at once and wait for the ledger (:data:`JOBS`). :meth:`env` is what the kernel's
    environment needs to find the files."""

    def __init__(self, path, *, folder: Path, source: str, as_of: str | None = None, ledger=None, jobs: dict[str, dict] | None = None, deferred: Path | None = None, warm=()):
        self._path, self._source, self._as_of, self._ledger = Path(path), source, as_of, ledger
        self._deferred = deferred
        self._warm = tuple(warm)
        self.target = Path(folder) / "ledger.pickle"
        self.key = _key(path, source=source, strict=False, limits=None)
        self.jobs = {name: dict(args) for name, args in (jobs or {}).items() if name in JOBS}
        self.error: BaseException | None = None
        self._procs: list = []
        self._loader = None
        self._lock = threading.Lock()
        self._stopped = False

    def _job_file(self, name: str) -> Path:
        return self.target.with_name(f"{name}.pickle")

    def env(self) -> dict[str, str]:
        """The kernel's environment entries (none when the load cannot be identified)."""
        if self.key is None:
            return {}
        env = {ENV: str(self.target), ENV_PID: str(os.getpid()), ENV_KEY: self.key}
        if self._warm:
            env[ENV_WARM] = ",".join(self._warm)
        for name, args in self.jobs.items():
            env[f"{ENV}_{name.upper()}"] = json.dumps({"file": str(self._job_file(name)), "args": args}, sort_keys=True)
        return env

    def start(self) -> None:
        self._start_jobs()  # they wait for the ledger
        if self._ledger is not None:
            try:
                if self._as_of is not None:
                    from .review.months import check_as_of

                    check_as_of(self._ledger, self._as_of)
                put(self._ledger, self._path, folder=self.target.parent, source=self._source)
            except BaseException as exc:  # noqa: BLE001 — reported by join()
                self.error = exc
                _fail(self.target, exc)
            return
        spec = json.dumps({"path": str(self._path), "source": self._source, "as_of": self._as_of})
        self._loader = self._spawn(["prepare", str(self.target), spec], self.target, threads=None)

    def join(self) -> None:
        """Wait for the load; then :attr:`error` says whether it failed."""
        if self._loader is None:
            return
        self._loader.wait()
        if self.error is None and not self.target.exists():
            self.error = _failure_of(self.target)

    def _spawn(self, args: list[str], out: Path, *, threads: str | None = "1", deferred: Path | None = None):
        import subprocess
        import sys

        from . import _deferred

        env = {**os.environ, ENV_PID: str(os.getpid())}
        env.pop(ENV, None)  # the load itself never waits for a handed-over ledger
        env.pop(_deferred.ENV, None)
        if deferred is not None:  # a job done serves the render's Excel writes (arkit._deferred.serve)
            env[_deferred.ENV] = str(deferred)
        if threads:
            env["OMP_NUM_THREADS"] = threads  # beside the kernel: one core each
        with self._lock:  # stop() may come first: then nothing starts
            if self._stopped:
                return None
            try:
                proc = subprocess.Popen([sys.executable, "-m", "arkit._handoff", *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            except OSError as exc:
                _fail(out, exc)
                return None
            self._procs.append(proc)
        # a process that dies without a word (killed, out of memory) must not leave the kernel waiting
        threading.Thread(target=_mark_if_silent, args=(proc, out), daemon=True).start()
        return proc

    def _start_jobs(self) -> None:
        for name, args in self.jobs.items():
            out = self._job_file(name)
            self._spawn([name, str(self.target), out.name, json.dumps(args)], out, deferred=self._deferred)

    def stop(self) -> None:
        """Stop the jobs still running (the notebook did not ask for their results), and any not started."""
        with self._lock:
            self._stopped = True
            procs = list(self._procs)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


#: The jobs a preparer can run ahead of the notebook: name -> "module:function" called as
#: ``function(ledger, **args)``.
JOBS = {"forecast": "arkit.predict:forecast_parts"}
#: Modules a job imports while the ledger is parsed (:func:`warm_up`).
WARM = {"forecast": ("sklearn.ensemble", "sklearn.calibration")}

_handed = None  # the ledger take() handed to this process: precomputed results belong to it only


def _job_file(name: str, ledger, args: dict) -> Path | None:
    """Where job ``name``'s result for this very ``ledger`` (the one handed over) and exactly ``args``
    is (or will be) written; None when no such job was started."""
    spec = os.environ.get(f"{ENV}_{name.upper()}")
    if not spec or ledger is None or ledger is not _handed:
        return None
    try:
        spec = json.loads(spec)
    except ValueError:
        return None
    if json.loads(json.dumps(args, default=str, sort_keys=True)) != spec.get("args"):
        return None
    return Path(spec["file"])


def pending(name: str, ledger, **args) -> bool:
    """Whether job ``name`` was started for this ledger and ``args`` (its result may still be coming)."""
    return _job_file(name, ledger, args) is not None


def precomputed(name: str, ledger, **args):
    """The result of job ``name`` computed ahead for this very ``ledger`` (the one handed over) with exactly
    ``args``, waiting for it if the job is still running; None otherwise (the caller computes it)."""
    target = _job_file(name, ledger, args)
    if target is None or not _wait(target):
        return None
    try:
        with open(target, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def _fail(out: Path, exc: BaseException | None) -> None:
    """The failure marker beside ``out``: JSON with the error's kind and one-line message (empty: none)."""
    from .errors import LedgerError

    body = "" if exc is None else json.dumps({"ledger_error": isinstance(exc, LedgerError), "kind": type(exc).__name__, "message": str(exc).strip().splitlines()[0] if str(exc).strip() else ""})
    try:
        out.with_name(out.name + FAILED).write_text(body, encoding="utf-8")
    except OSError:  # the render is over and its staging folder gone
        pass


def _failure_of(out: Path) -> BaseException:
    """The error a failure marker records (a LedgerError for a refused load or month)."""
    from .errors import LedgerError

    try:
        info = json.loads(out.with_name(out.name + FAILED).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if info.get("ledger_error"):
        return LedgerError(info.get("message", ""))
    if info:
        return RuntimeError(f"loading the ledger failed ({info.get('kind')}: {info.get('message')})")
    return LedgerError("the ledger could not be loaded: the loading process stopped without a word (out of memory?)")


def _prepare(target: Path, spec: dict) -> int:
    """The loading process: load (and check) the ledger and write it for the kernel."""
    try:
        from .load import _load

        ledger = _load(spec["path"], source=spec["source"], strict=False, limits=None, after_read=lambda: _touch(target.with_name(target.name + READ)))
        if spec.get("as_of"):
            from .review.months import check_as_of

            check_as_of(ledger, spec["as_of"])
        put(ledger, spec["path"], folder=target.parent, source=spec["source"])
    except BaseException as exc:  # noqa: BLE001 — reported by the render as one line
        _fail(target, exc)
        return 1
    return 0


def _mark_if_silent(proc, out: Path) -> None:
    proc.wait()
    if not out.exists() and not out.with_name(out.name + FAILED).exists():
        _fail(out, None)


def _run_job(name: str, ledger_file: Path, out_name: str, args: dict) -> int:
    out = ledger_file.with_name(out_name)
    try:
        import importlib

        module, func = JOBS[name].split(":")
        function = getattr(importlib.import_module(module), func)
        warm_up(ledger_file, WARM.get(name, ()))
        if not _wait(ledger_file):  # the load failed, or the render is gone
            _fail(out, None)
            return 1
        with open(ledger_file, "rb") as fh:
            _, ledger = pickle.load(fh)
        result = function(ledger, **args)
        part = out.with_name(out.name + ".part")
        with open(part, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, out)
    except BaseException as exc:  # noqa: BLE001 — the kernel then computes it itself
        _fail(out, exc)
        return 1
    from . import _deferred

    folder = os.environ.get(_deferred.ENV)
    if folder:
        del result, ledger
        _deferred.serve(Path(folder))  # its modules loaded, the process now writes the appendix (until the render ends)
    return 0


def _touch(path: Path) -> None:
    try:
        path.touch()
    except OSError:  # the render is over
        pass


def warm_up(ledger_file: Path, modules) -> None:
    """Import ``modules`` (what the work after the load needs: scikit-learn takes 0.7 s) once the loading
    process has read the files (its marker, or the ledger itself, or its failure): while it parses and
    validates on one core, the other is free; imported earlier, while the sheets parse on both cores,
    they slowed the load everything waits for (measured). A module that fails to import is left to the
    code that needs it."""
    if not modules:
        return
    import importlib

    read = ledger_file.with_name(ledger_file.name + READ)
    failed = ledger_file.with_name(ledger_file.name + FAILED)
    if not _until(lambda: read.exists() or ledger_file.exists() or failed.exists(), ledger_file.parent):
        return  # the render is over or gone
    for m in modules:
        try:
            importlib.import_module(m)
        except Exception:  # noqa: BLE001 — the section that needs it reports it
            pass


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs. ``os.kill(pid, 0)`` asks on POSIX; on Windows signal 0 would
    send Ctrl-C to it, so there the answer is always yes (waits then end with the render's own timeout)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _render_pid() -> int:
    """The rendering process's pid (:data:`ENV_PID`), 0 when not known."""
    try:
        return int(os.environ.get(ENV_PID, "0"))
    except ValueError:
        return 0


def render_gone(folder: Path, parent: int) -> bool:
    """Whether the render is over (its staging ``folder`` removed) or its process ``parent`` is gone."""
    return not folder.is_dir() or bool(parent and not _process_alive(parent))


def _until(ready, folder: Path) -> bool:
    """Poll ``ready()`` (5 ms, growing to 50 ms) until it is true (True) or the render is over or gone
    (:func:`render_gone`; False)."""
    parent = _render_pid()
    delay = 0.005
    while not ready():
        if render_gone(folder, parent):
            return False
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    return True


def _wait(target: Path) -> bool:
    """Wait for the handed-over file; False when the parent said the load failed or is gone."""
    failed = target.with_name(target.name + FAILED)
    return _until(lambda: target.exists() or failed.exists(), target.parent) and target.exists()


def take(path, *, source, strict: bool = False, limits=None):
    """The ledger handed over for exactly this load, or None. Waits while the rendering process is still
    loading it; raises :class:`~arkit.errors.LedgerError` when that load failed (the render then stops with
    the loader's own message)."""
    target = os.environ.get(ENV)
    if not target:
        return None  # no render
    key = _key(path, source=source, strict=strict, limits=limits)
    if key is None or key != os.environ.get(ENV_KEY):
        return None  # another file or other options than the render's: an ordinary load
    warm = os.environ.get(ENV_WARM)
    warm_up(Path(target), [m for m in (warm or "").split(",") if m])  # the kernel's sections' modules
    if not _wait(Path(target)):
        from .errors import LedgerError

        raise LedgerError("the report's ledger could not be loaded (the render stops with the reason)")
    try:
        with open(target, "rb") as fh:
            stored_key, ledger = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if stored_key != key:
        return None
    global _handed
    _handed = ledger
    return ledger


if __name__ == "__main__":
    import sys

    if sys.argv[1] == "prepare":
        sys.exit(_prepare(Path(sys.argv[2]), json.loads(sys.argv[3])))
    sys.exit(_run_job(sys.argv[1], Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])))
