"""Hand a ledger already loaded by ``render_report`` to the report's kernel, so a render loads it once.

``render_report`` loads the ledger itself before any notebook runs (a month the ledger cannot support is
refused in one line without starting a kernel). Loading a 100k-invoice workbook takes seconds; the
notebook's ``arkit.load_ledger(ledger_path, source=source)`` would do it all again. Instead the parent
writes the loaded :class:`~arkit.model.Ledger` (with its load report) into the run's private, locked
staging folder and names that file in the kernel's environment (:data:`ENV`). In the kernel,
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
from pathlib import Path

ENV = "ARKIT_LEDGER_HANDOFF"


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


def put(ledger, path, *, folder: Path, source: str, strict: bool = False, limits=None) -> dict[str, str]:
    """Write ``ledger`` (loaded from ``path`` with these options) into ``folder``; return the kernel
    environment entries that point at it (empty when the load cannot be identified)."""
    key = _key(path, source=source, strict=strict, limits=limits)
    if key is None:
        return {}
    target = Path(folder) / "ledger.pickle"
    with open(target, "wb") as fh:
        pickle.dump((key, ledger), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {ENV: str(target)}


def take(path, *, source, strict: bool = False, limits=None):
    """The ledger handed over for exactly this load, or None."""
    target = os.environ.get(ENV)
    if not target:
        return None
    key = _key(path, source=source, strict=strict, limits=limits)
    if key is None:
        return None
    try:
        with open(target, "rb") as fh:
            stored_key, ledger = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return ledger if stored_key == key else None
