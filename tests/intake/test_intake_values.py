"""Value parsing: what clerks type, and what must never be read as blank or zero."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.intake.cells import RawCell, is_percent_format
from app.intake.values import ValueProblem, parse_integer, parse_number


def text(value: str) -> RawCell:
    return RawCell("s", "A1", "text", value)


def number(value: float, *, percent_format: bool = False) -> RawCell:
    return RawCell("s", "A1", "number", value, percent_format=percent_format)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234", 1234.0),
        ("１２３４", 1234.0),  # full-width digits
        ("1,234,567.5", 1234567.5),
        ("1，234", 1234.0),  # full-width comma as thousands separator
        ("1 234 567", 1234567.0),
        ("\u00a0 42\u200b ", 42.0),  # NBSP, zero-width space
        ("\u2212 5", -5.0),  # minus sign U+2212 after NFKC cleaning
        ("1e3", 1000.0),
        (".5", 0.5),
        ("", None),
        ("\u3000", None),  # ideographic space only: blank
    ],
)
def test_text_numbers(raw: str, expected: float | None) -> None:
    assert parse_number(text(raw), percent=False) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1,5", "value.not_number"),  # decimal comma: refused, not read as 15
        ("12,34", "value.not_number"),
        ("约100", "value.not_number"),
        ("100件", "value.not_number"),
        ("NaN", "value.not_finite"),
        ("inf", "value.not_finite"),
        ("#DIV/0!", "value.error_cell"),
        ("#REF!", "value.error_cell"),
        ("60%", "value.percent_sign"),  # % on a field that is not a percentage
    ],
)
def test_text_refused(raw: str, code: str) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_number(text(raw), percent=False)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (text("60 %"), 60.0),
        (text("60%"), 60.0),
        (text("６０％"), 60.0),  # full-width digits and percent sign
        (text("0.6%"), 0.6),  # explicit sign: unambiguous even below 1
        (number(60.0), 60.0),
        (number(0.6, percent_format=True), 60.0),  # Excel's 60 % is 0.6 formatted as %
        (number(0.0), 0.0),
        (number(100.0), 100.0),
    ],
)
def test_percent_forms(cell: RawCell, expected: float) -> None:
    assert parse_number(cell, percent=True) == expected


@pytest.mark.parametrize("cell", [number(0.6), text("0.6"), number(1.0)])
def test_bare_fraction_is_ambiguous_for_percent(cell: RawCell) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_number(cell, percent=True)
    assert info.value.code == "value.percent_ambiguous"


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        (RawCell("s", "A1", "error", "#DIV/0!"), "value.error_cell"),
        (RawCell("s", "A1", "formula_no_cache", "=A2*2"), "value.formula_no_cache"),
        (RawCell("s", "A1", "number", 5.0, merged=True), "value.merged"),
        (RawCell("s", "A1", "number", float("nan")), "value.not_finite"),
        (RawCell("s", "A1", "number", float("inf")), "value.not_finite"),
        (RawCell("s", "A1", "bool", True), "value.not_number"),
    ],
)
def test_cells_never_read_as_blank_or_zero(cell: RawCell, code: str) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_number(cell, percent=False)
    assert info.value.code == code


def test_integers() -> None:
    assert parse_integer(number(12.0)) == 12
    assert parse_integer(text("1,200")) == 1200
    with pytest.raises(ValueProblem) as info:
        parse_integer(number(12.5))
    assert info.value.code == "value.not_integer"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("0%", True),
        ("0.00%", True),
        ('0.00"%"', False),
        ("0.0\\%", False),
        ("General", False),
        (None, False),
    ],
)
def test_percent_format_detection(fmt: str | None, expected: bool) -> None:
    assert is_percent_format(fmt) is expected


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_and_full_width_integers_round_trip(n: int) -> None:
    grouped = f"{n:,}"
    full_width = grouped.translate(str.maketrans("0123456789,", "０１２３４５６７８９，"))
    assert parse_number(text(grouped), percent=False) == n
    assert parse_number(text(full_width), percent=False) == n


@given(st.floats(min_value=1.0001, max_value=1e6, allow_nan=False))
def test_percent_points_and_percent_format_agree(points: float) -> None:
    as_points = parse_number(number(points), percent=True)
    as_fraction = parse_number(number(points / 100, percent_format=True), percent=True)
    assert as_points == pytest.approx(as_fraction, rel=1e-9)
