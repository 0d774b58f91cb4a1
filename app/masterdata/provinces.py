"""The 32 submitters and resolution of the many ways their names are written."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from app.masterdata.text import squeeze

ProvinceKind = Literal["province", "municipality", "autonomous_region", "corps"]

# English suffixes people append to a province's name; removed before comparing.
_EN_SUFFIXES = ("province", "municipality", "autonomousregion", "sheng", "shi")


@dataclass(frozen=True, slots=True)
class Province:
    """One submitter: a GB/T 2260 province-level unit, or the XPCC (code ``XPCC``)."""

    code: str
    name_zh: str
    name_zh_hant: str
    short_zh: str
    short_zh_hant: str
    name_en: str
    kind: ProvinceKind
    prefecture_units: int | None
    prefecture_cities: int | None
    aliases: tuple[str, ...]

    @property
    def is_municipality(self) -> bool:
        return self.kind == "municipality"

    def names(self) -> tuple[str, ...]:
        """Every spelling this province is known by (for resolution)."""
        return (
            self.code,
            self.name_zh,
            self.name_zh_hant,
            self.short_zh,
            self.short_zh_hant,
            self.name_en,
            *self.aliases,
        )


class UnknownProvinceError(LookupError):
    """A name that resolves to no submitter."""

    def __init__(self, raw: str) -> None:
        super().__init__(
            f"无法识别的省份名称 “{raw}”：请使用省份全称、简称、英文名或行政区划代码。 / "
            f"Unknown province “{raw}”: use the full or short Chinese name, the English "
            "name or the GB/T 2260 code."
        )
        self.raw = raw


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


@cache
def all_provinces() -> tuple[Province, ...]:
    """The 32 submitters in GB/T 2260 order, XPCC last."""
    source = resources.files("app.masterdata").joinpath("data/provinces.csv")
    with io.StringIO(source.read_text(encoding="utf-8"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Province(
            code=row["code"],
            name_zh=row["name_zh"],
            name_zh_hant=row["name_zh_hant"],
            short_zh=row["short_zh"],
            short_zh_hant=row["short_zh_hant"],
            name_en=row["name_en"],
            kind=row["kind"],  # type: ignore[arg-type]  # checked by the master-data tests
            prefecture_units=_int_or_none(row["prefecture_units"]),
            prefecture_cities=_int_or_none(row["prefecture_cities"]),
            aliases=tuple(a for a in row["aliases"].split("|") if a),
        )
        for row in rows
    )


def _english_key(key: str) -> str:
    for suffix in _EN_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@cache
def _index() -> dict[str, Province]:
    index: dict[str, Province] = {}
    for province in all_provinces():
        for name in province.names():
            for key in {squeeze(name), _english_key(squeeze(name))}:
                other = index.setdefault(key, province)
                if other is not province:  # pragma: no cover - guarded by tests
                    raise ValueError(f"ambiguous province name {name!r}")
        if province.code.isdigit():
            # "11" and "110000" both name Beijing; leading digits are how people shorten.
            index.setdefault(province.code[:2], province)
    return index


def find_province(raw: str) -> Province | None:
    """Resolve any known spelling to a province, or None.

    The text is NFKC-normalised, stripped of spaces, NBSP and zero-width characters and
    case-folded; English suffixes such as "Province" are ignored.
    """
    key = squeeze(raw)
    if not key:
        return None
    index = _index()
    return index.get(key) or index.get(_english_key(key))


def resolve_province(raw: str) -> Province:
    """Like `find_province`, but raise `UnknownProvinceError` when nothing matches."""
    province = find_province(raw)
    if province is None:
        raise UnknownProvinceError(raw)
    return province


def get_province(code: str) -> Province:
    """The province with exactly this code (no fuzzy matching)."""
    for province in all_provinces():
        if province.code == code:
            return province
    raise UnknownProvinceError(code)
