"""Prefecture-level units (地级市, 地区, 自治州, 盟) of each province."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

PrefectureKind = Literal["city", "prefecture", "autonomous_prefecture", "league"]


@dataclass(frozen=True, slots=True)
class Prefecture:
    """One prefecture-level unit; only ``kind == "city"`` is a prefecture-level city."""

    code: str
    name_zh: str
    province_code: str
    kind: PrefectureKind

    @property
    def is_city(self) -> bool:
        return self.kind == "city"


@cache
def all_prefectures() -> tuple[Prefecture, ...]:
    """All 333 units, in GB/T 2260 order."""
    source = resources.files("app.masterdata").joinpath("data/prefectures.csv")
    with io.StringIO(source.read_text(encoding="utf-8"), newline="") as handle:
        return tuple(
            Prefecture(
                code=row["code"],
                name_zh=row["name_zh"],
                province_code=row["province_code"],
                kind=row["kind"],  # type: ignore[arg-type]  # checked by the tests
            )
            for row in csv.DictReader(handle)
        )


def prefectures_of(province_code: str) -> tuple[Prefecture, ...]:
    """The prefecture-level units of one province (empty for municipalities and XPCC)."""
    return tuple(p for p in all_prefectures() if p.province_code == province_code)


def cities_of(province_code: str) -> tuple[Prefecture, ...]:
    """The prefecture-level cities (地级市) of one province."""
    return tuple(p for p in prefectures_of(province_code) if p.is_city)
