"""Turning what a clerk typed into numbers, without ever guessing.

Each parser returns the value or raises `ValueProblem` with a catalogue code; a problem is
never turned into blank or zero.
"""

from __future__ import annotations

import math
import re
from typing import Any

from app.intake.cells import ERROR_LITERALS, RawCell
from app.masterdata.text import clean_text


class ValueProblem(Exception):
    """A cell value that cannot be accepted; ``code`` is a problem-catalogue code."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# 1234 / 1,234,567.89 / 1 234 567 / 12.5 / .5 / 1e6; the grouped forms require groups of
# three so that a European decimal comma ("1,5") is refused rather than read as 15.
_NUMBER = re.compile(
    r"""^[+-]?(
        \d{1,3}(,\d{3})+(\.\d+)?     |
        \d{1,3}(\ \d{3})+(\.\d+)?    |
        \d+(\.\d*)?([eE][+-]?\d+)?   |
        \.\d+([eE][+-]?\d+)?
    )$""",
    re.VERBOSE,
)
_NON_FINITE = frozenset(
    {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity", "∞", "-∞"}
)
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-"})


def cell_text(raw: RawCell) -> str | None:
    """The cell as cleaned text (None when blank); errors and missing caches raise."""
    check_cell_usable(raw)
    if raw.kind == "empty" or raw.value is None:
        return None
    if raw.kind == "number" and isinstance(raw.value, float) and raw.value.is_integer():
        return str(int(raw.value))
    text = clean_text(str(raw.value))
    return text or None


def check_cell_usable(raw: RawCell) -> None:
    """Refuse the states that must never read as blank or zero."""
    if raw.merged:
        raise ValueProblem("value.merged")
    if raw.kind == "formula_no_cache":
        raise ValueProblem("value.formula_no_cache")
    if raw.kind == "error":
        raise ValueProblem("value.error_cell")
    literal = isinstance(raw.value, str) and clean_text(raw.value).upper() in ERROR_LITERALS
    if raw.kind == "text" and literal:
        raise ValueProblem("value.error_cell")


def _parse_text_number(text: str) -> tuple[float, bool]:
    """Parse cleaned text; returns (number, had_percent_sign)."""
    text = re.sub(r"^([+-]) +", r"\1", text.translate(_MINUS_SIGNS).replace("，", ","))
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if text.lower() in _NON_FINITE:
        raise ValueProblem("value.not_finite")
    if not _NUMBER.match(text):
        raise ValueProblem("value.not_number")
    number = float(text.replace(",", "").replace(" ", ""))
    if not math.isfinite(number):
        raise ValueProblem("value.not_finite")
    return number, percent


def parse_number(raw: RawCell, *, percent: bool) -> float | None:
    """Read a numeric field; None when blank.

    For a percentage field (stored in percentage points, 60 means 60 %):
    ``60``, ``60%``, ``"60 %"`` and 0.6 in a cell formatted as percent all mean 60; a bare
    number in (0, 1] is ambiguous (0.6 % or 60 %?) and refused with a how-to-fix message.
    A ``%`` on a field that is not a percentage is refused too.
    """
    check_cell_usable(raw)
    if raw.kind == "empty" or raw.value is None:
        return None
    if raw.kind in ("bool", "date"):
        raise ValueProblem("value.not_number")
    has_sign = False
    if isinstance(raw.value, str):
        text = clean_text(raw.value)
        if not text:
            return None
        number, has_sign = _parse_text_number(text)
    else:
        number = float(raw.value)
        if not math.isfinite(number):
            raise ValueProblem("value.not_finite")
        if raw.percent_format:
            number *= 100.0
            has_sign = True
    if not percent:
        if has_sign:
            raise ValueProblem("value.percent_sign")
        return number
    if not has_sign and 0.0 < abs(number) <= 1.0:
        raise ValueProblem("value.percent_ambiguous", low=_fmt(number), high=_fmt(number * 100))
    # Rounding removes the binary noise of 0.6 * 100 = 60.00000000000001.
    return round(number, 10)


def parse_integer(raw: RawCell) -> int | None:
    """A whole number (counts, years); 12.0 is accepted, 12.5 is not."""
    number = parse_number(raw, percent=False)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueProblem("value.not_integer")
    return int(number)


def _fmt(number: float) -> str:
    return f"{number:.10g}"
