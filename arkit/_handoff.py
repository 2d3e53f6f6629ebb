"""Hand a ledger loaded by ``render_report`` to the report's kernel, so a render loads it once.

``render_report`` loads the ledger itself to check the as-of date (a month the ledger cannot support is
refused in one line, and no cell of the notebook computes anything). Loading a 100k-invoice workbook takes
seconds; the notebook's ``arkit.load_ledger(ledger_path, source=source)`` would do it all again. Instead
the parent loads it in a thread (:class:`Preparer`) while the kernel starts and imports, writes the loaded
:class:`~arkit.model.Ledger` (with its load report) into the run's private, locked staging folder, and
names that file in the kernel's environment (:data:`ENV`); the kernel waits for it (or for the marker
saying the load or the check failed, after which the parent reports its own one-line error). In the kernel,
:func:`arkit.load_ledger` returns the handed-over ledger only when the call asks for exactly what was
loaded: the same file (resolved path, size and modification time), the same ``source``, ``strict`` and
``limits``. Any other call — another file, an edited file, another mapping — loads as usual.

The file is a pickle written by this process a moment earlier into a folder only this run uses; nothing
else is ever unpickled (the variable names a file, and the key inside must match the call).
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
FAILED = ".failed"


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


class Preparer(threading.Thread):
    """Load (and check) the ledger in a thread of the rendering process and hand it over (:func:`put`).

    ``prepare()`` returns the loaded ledger or raises (a :class:`~arkit.errors.LedgerError` such as an
    as-of the ledger cannot support); the exception is kept in :attr:`error` and a failure marker is
    written for the kernel. :meth:`env` is what the kernel's environment needs to find the file."""

    def __init__(self, prepare, path, *, folder: Path, source: str):
        super().__init__(name="arkit-ledger-handoff", daemon=True)
        self._prepare, self._path, self._source = prepare, path, source
        self.target = Path(folder) / "ledger.pickle"
        self.key = _key(path, source=source, strict=False, limits=None)
        self.error: BaseException | None = None

    def env(self) -> dict[str, str]:
        """The kernel's environment entries (none when the load cannot be identified)."""
        if self.key is None:
            return {}
        return {ENV: str(self.target), ENV_PID: str(os.getpid()), ENV_KEY: self.key}

    def run(self) -> None:
        try:
            put(self._prepare(), self._path, folder=self.target.parent, source=self._source)
        except BaseException as exc:  # noqa: BLE001 — reported by the caller after the kernel stops
            self.error = exc
            self.target.with_name(self.target.name + FAILED).touch()


def _wait(target: Path) -> bool:
    """Wait for the handed-over file; False when the parent said the load failed or is gone."""
    failed = target.with_name(target.name + FAILED)
    try:
        parent = int(os.environ.get(ENV_PID, "0"))
    except ValueError:
        parent = 0
    delay = 0.005
    while not target.exists():
        if failed.exists():
            return False
        if parent:
            try:
                os.kill(parent, 0)
            except OSError:
                return False
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
    return True


def take(path, *, source, strict: bool = False, limits=None):
    """The ledger handed over for exactly this load, or None. Waits while the rendering process is still
    loading it; raises :class:`~arkit.errors.LedgerError` when that load failed (the render then stops with
    the loader's own message)."""
    target = os.environ.get(ENV)
    if not target:
        return None
    key = _key(path, source=source, strict=strict, limits=limits)
    if key is None or key != os.environ.get(ENV_KEY):
        return None  # another file or other options than the render's: an ordinary load
    if not _wait(Path(target)):
        from .errors import LedgerError

        raise LedgerError("the report's ledger could not be loaded (the render stops with the reason)")
    try:
        with open(target, "rb") as fh:
            stored_key, ledger = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return ledger if stored_key == key else None
