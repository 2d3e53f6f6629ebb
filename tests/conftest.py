"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT_REAL_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real third-party data (``$ARKIT_REAL_DATA``, default ``<repo>/../shared/data/real``).

    Missing: the test is skipped with the reason shown, or fails when ``ARKIT_REQUIRE_REAL_DATA=1``.
    """
    env = os.environ.get("ARKIT_REAL_DATA")
    path = Path(env).expanduser() if env else _DEFAULT_REAL_DATA
    path = path.resolve()
    if not path.is_dir():
        reason = (
            f"real data folder not found at {path} "
            f"({'from ARKIT_REAL_DATA' if env else 'default; set ARKIT_REAL_DATA to its location'})"
        )
        if os.environ.get("ARKIT_REQUIRE_REAL_DATA") == "1":
            pytest.fail(f"{reason}, and ARKIT_REQUIRE_REAL_DATA=1 requires it")
        pytest.skip(reason)
    return path
