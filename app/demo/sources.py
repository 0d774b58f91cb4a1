"""Published figures the demo cohort starts from, read from the copies under ``data/published``.

The files are verbatim copies of ``shared/data`` (see ``docs/demo.md`` for the sources); a
province missing from a file is missing here too, never filled in silently.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from app.masterdata import resolve_province
from app.programme import service as programme_service

PCT_SOURCE = "CNIPA statistical annual report 2023, table 6-4"
PER10K_SOURCE = "CNIPA monthly statistics, December 2016, table 8"
MASTERDATA_SOURCE = "administrative divisions (app/masterdata)"
FIRST_BATCH_SOURCE = "first pilot batch, 2016"

#: The first pilot batch (2016) and its types: the only published memberships (the same
#: designations the programme register is seeded with).
FIRST_BATCH: dict[str, str] = dict(programme_service.FIRST_BATCH)
FIRST_BATCH_YEAR = programme_service.FIRST_BATCH_YEAR

#: Years of the published PCT series.
PCT_YEARS = (2018, 2022, 2023)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("app.demo").joinpath(f"data/published/{name}").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def pct_applications() -> dict[str, dict[int, int]]:
    """PCT applications by province code and year (2018, 2022, 2023)."""
    out: dict[str, dict[int, int]] = {}
    for row in _rows("pct-applications-by-province.csv"):
        code = resolve_province(row["province_zh"]).code
        out[code] = {year: int(row[f"y{year}"]) for year in PCT_YEARS}
    return out


@cache
def invention_per_10k_2016() -> dict[str, float]:
    """Valid invention patents per 10k population in December 2016, by province code."""
    return {
        resolve_province(row["province_zh"]).code: float(row["per_10k"])
        for row in _rows("invention-patents-per-10k-2016.csv")
    }
