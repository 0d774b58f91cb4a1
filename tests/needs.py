"""What the tests need from the machine: outside CI a missing tool skips, in CI it fails.

CI (``CI=true``, set by ``.ci/run``) installs every tool the tests drive — PostgreSQL,
LibreOffice, Chromium, wrk — so a missing one there is a broken gate, never a skip.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(message: str) -> NoReturn:
    """Skip the test for want of ``message``'s tool, or fail it in CI."""
    if IN_CI:
        pytest.fail(f"{message} (CI runs every test: install it)")
    pytest.skip(message)
