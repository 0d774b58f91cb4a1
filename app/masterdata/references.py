"""Reference lists of designations a province may claim: demonstration cities, IP protection
centres, TISCs. Versioned by the sha256 of their file; see ``data/README.md`` for provenance.

Every entry names the public CNIPA announcement it comes from. A list holds only what can be
attributed that way, so "not on the list" means "not verifiable against the list", and the
reviewer reads it as a warning, never as a refusal.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

ListName = Literal["demonstration_cities", "protection_centres", "tiscs"]
LISTS: tuple[ListName, ...] = ("demonstration_cities", "protection_centres", "tiscs")


@dataclass(frozen=True, slots=True)
class Designation:
    """One designated place: its GB/T 2260 code (prefecture, 州, 盟 or district)."""

    code: str
    name_zh: str
    province_code: str
    designated: str  # YYYY-MM
    designation: str
    source: str
    source_url: str

    @property
    def year(self) -> int:
        return int(self.designated[:4])


@dataclass(frozen=True, slots=True)
class ReferenceList:
    name: ListName
    sha256: str  # the version: the sha256 of the shipped file
    entries: tuple[Designation, ...]

    def by_code(self, code: str) -> Designation | None:
        return next((e for e in self.entries if e.code == code), None)


def parse(name: ListName, text: str) -> ReferenceList:
    """A reference list from its CSV text (header: the fields of :class:`Designation`)."""
    with io.StringIO(text, newline="") as handle:
        entries = tuple(Designation(**row) for row in csv.DictReader(handle))
    return ReferenceList(name, hashlib.sha256(text.encode("utf-8")).hexdigest(), entries)


@cache
def reference_list(name: ListName) -> ReferenceList:
    """The shipped list ``name``."""
    source = resources.files("app.masterdata").joinpath(f"data/{name}.csv")
    return parse(name, source.read_text(encoding="utf-8"))
