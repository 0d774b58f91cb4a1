"""The neutral form in which the isolated reader hands cells back to the checker."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

CellKind = Literal["empty", "number", "text", "bool", "date", "error", "formula_no_cache"]

ERROR_LITERALS = frozenset(
    {
        "#DIV/0!",
        "#REF!",
        "#N/A",
        "#VALUE!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "ERR:502",
        "ERR:504",
        "ERR:522",
        "ERR:532",
        "#DIV/0",
    }
)


@dataclass(frozen=True, slots=True)
class RawCell:
    """One named cell as found in the file, before any interpretation.

    ``percent_format`` is true when the cell's number format shows the value as a
    percentage (an unquoted ``%``), so 0.6 is displayed and meant as 60 %.
    """

    sheet: str
    cell: str
    kind: CellKind
    value: float | str | bool | None = None
    merged: bool = False
    percent_format: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawCell:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RawWorkbook:
    """Every defined name of a workbook with the cell it points to.

    ``bad_refs`` lists names that exist but do not point to one cell of an existing sheet.
    """

    names: dict[str, RawCell]
    bad_refs: tuple[str, ...] = ()
    sheets: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "names": {k: v.to_json() for k, v in self.names.items()},
            "bad_refs": list(self.bad_refs),
            "sheets": list(self.sheets),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawWorkbook:
        return cls(
            names={k: RawCell.from_json(v) for k, v in data["names"].items()},
            bad_refs=tuple(data["bad_refs"]),
            sheets=tuple(data["sheets"]),
        )


def is_percent_format(number_format: str | None) -> bool:
    """True if an Excel/ODF number format displays values as percentages.

    A ``%`` inside quotes or escaped with a backslash is a literal character, not scaling.
    """
    if not number_format:
        return False
    unquoted: list[str] = []
    quoted = escaped = False
    for ch in number_format:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted:
            unquoted.append(ch)
    return "%" in unquoted
