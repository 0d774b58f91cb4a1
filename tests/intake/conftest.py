"""Intake fixtures: LibreOffice for the round-trip tests.

Outside CI a missing `soffice` skips those tests; in CI (`CI=true`) it fails them, because
`.ci/run` installs LibreOffice (`apt-get install -y --no-install-recommends libreoffice-calc`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.needs import missing

Convert = Callable[[bytes, str], bytes]


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    binary = find_soffice()
    if binary is None:
        message = (
            "LibreOffice (soffice) not found: "
            "apt-get install -y --no-install-recommends libreoffice-calc"
        )
        missing(message)
    return binary


@pytest.fixture(scope="session")
def convert(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> Convert:
    """Re-save bytes with LibreOffice as ``target`` (xlsx, xls or ods) and return the result."""
    profile = tmp_path_factory.mktemp("lo-profile")

    def run(data: bytes, target: str) -> bytes:
        work = tmp_path_factory.mktemp("lo")
        source = work / "in.xlsx"
        source.write_bytes(data)
        out_dir = work / "out"
        filters = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods"}
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                filters[target],
                "--outdir",
                str(out_dir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (out_dir / f"in.{target}").read_bytes()

    return run


@pytest.fixture()
def rubrics_root() -> Path:
    return Path(__file__).resolve().parents[2] / "rubrics"
