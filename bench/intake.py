"""Benchmark workbook intake: median time to check one workbook, and the readers compared.

One filled Guangdong template (21 cities, 31 tasks) is checked end to end, and the same
bytes are read by each candidate reader in this process, all in the same run:

- ``check``: ``check_workbook`` — sniff, zip guard, isolated child (fork + read), checks;
- ``streaming`` (chosen for .xlsx, ``app.intake.readers_xlsx``): the named cells' parts
  only, each sheet up to its last named row; the same cells as the openpyxl reading;
- ``openpyxl (before)``: the reading it replaced (two loads: formulas, then cached values),
  kept as the test oracle in ``tests/intake/openpyxl_oracle.py``;
- ``streaming, merges``: the same on a copy with a merged header on every sheet, whose
  ``mergeCells`` (after the rows) make the reader parse each sheet to its end;
- ``openpyxl read_only``: streaming values only (no merged ranges, no formula/cached pair);
- ``calamine``: python-calamine values of every sheet; no defined names, and error cells
  and formulas without a cached value come back as "" — fast but unsound for intake;
- for .xls: ``xlrd`` (chosen) vs ``calamine``; for .ods: our content.xml reader (chosen) vs
  ``calamine``. The .xls/.ods files are made by LibreOffice when ``soffice`` is installed.

The figure this benchmark is judged by is the median ``check`` time for the .xlsx, and its
ratio to the chosen reader alone (the price of isolation and checking). Run:

    .venv/bin/python bench/intake.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "intake"))

import openpyxl  # noqa: E402
import python_calamine  # noqa: E402

from app.intake import check_workbook  # noqa: E402
from app.intake.readers import read_xls  # noqa: E402
from app.intake.readers_ods import read_ods  # noqa: E402
from app.intake.readers_xlsx import read_xlsx  # noqa: E402
from tests.intake.intake_builders import RUBRICS, guangdong_filled  # noqa: E402
from tests.intake.openpyxl_oracle import read_xlsx as read_xlsx_openpyxl  # noqa: E402


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm-up: imports and caches are not what we measure
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def calamine_all(data: bytes) -> None:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()


def openpyxl_read_only(data: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for ws in book.worksheets:
        for _ in ws.iter_rows(values_only=True):
            pass
    book.close()


def with_merges(data: bytes) -> bytes:
    """``data`` with A1:B1 merged on every sheet."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        sheet.merge_cells("A1:B1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def convert(data: bytes, target: str) -> bytes | None:
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.xlsx"
        source.write_bytes(data)
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                tmp,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (Path(tmp) / f"in.{target}").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    xlsx = guangdong_filled()
    merged = with_merges(xlsx)
    files: dict[str, bytes | None] = {
        "xlsx": xlsx,
        "xls": convert(xlsx, "xls"),
        "ods": convert(xlsx, "ods"),
    }
    readers: dict[str, dict[str, Callable[[bytes], Any]]] = {
        "xlsx": {
            "streaming (chosen)": read_xlsx,
            "streaming, merges": lambda _data: read_xlsx(merged),
            "openpyxl (before)": read_xlsx_openpyxl,
            "openpyxl read_only": openpyxl_read_only,
            "calamine": calamine_all,
        },
        "xls": {"xlrd (chosen)": read_xls, "calamine": calamine_all},
        "ods": {"content.xml (chosen)": read_ods, "calamine": calamine_all},
    }
    print(f"intake benchmark — median of {args.repeat} runs, milliseconds")
    print(f"{'format':6} {'what':24} {'ms':>9}")
    figures: dict[tuple[str, str], float] = {}
    for kind, data in files.items():
        if data is None:
            print(f"{kind:6} {'(soffice not installed)':24}")
            continue
        check_ms = median_ms(partial(check_workbook, data, rubric_root=RUBRICS), args.repeat)
        figures[(kind, "check")] = check_ms
        print(f"{kind:6} {'check_workbook':24} {check_ms:9.1f}   ({len(data):,} bytes)")
        for label, reader in readers[kind].items():
            ms = median_ms(partial(reader, data), args.repeat)
            figures[(kind, label)] = ms
            print(f"{kind:6} {label:24} {ms:9.1f}")
    chosen = figures[("xlsx", "streaming (chosen)")]
    check = figures[("xlsx", "check")]
    print()
    print(
        f"judged: median check of one .xlsx = {check:.0f} ms; "
        f"check / chosen reader alone = {check / chosen:.1f}x"
    )


def print_peak_rss() -> None:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    import resource

    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
    print_peak_rss()
