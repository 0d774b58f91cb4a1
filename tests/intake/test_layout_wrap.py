"""How many lines a wrapped header or instruction needs, worked out by hand.

Widths are Excel column units; a CJK character counts two, a Latin one one; the usable width
is the column width less 1.5, divided by 1.1 for bold text.
"""

from __future__ import annotations

import pytest

from app.intake.layout import lines_needed


@pytest.mark.parametrize(
    ("text", "width", "bold", "lines"),
    [
        # usable 8.5: "abc" 3 + space 1 + "def" 3 = 7, one line
        ("abc def", 10, False, 1),
        # usable 8: "aaaa" 4 + space = 5; "bbbbbb" (6) does not fit the 3 left, fits a line
        ("aaaa bbbbbb", 9.5, False, 2),
        # usable 8: "aaaaaa" 6, space 7; "bbbbbbb" (7) -> line 2 at 7, space 8; "cc" would
        # make 10 > 8 -> line 3
        ("aaaaaa bbbbbbb cc", 9.5, False, 3),
        # the city sheet's header in its 16-wide column, bold: usable 14.5 / 1.1 = 13.18;
        # "示范城市" 8, space 9; "Demonstration" 13 fits a line alone -> line 2 at 13;
        # space 14, "city" 4 -> 18 > 13.18 -> line 3 (LibreOffice draws three lines)
        ("示范城市 Demonstration city", 16, True, 3),
        # 30 CJK characters (60 wide) in usable 10: ceil(60 / 10) = 6 lines
        ("地级市" * 10, 11.5, False, 6),
        # an explicit line break: each part wraps on its own
        ("a\nb", 10, False, 2),
    ],
)
def test_lines_needed(text, width, bold, lines):
    assert lines_needed(text, width, bold=bold) == lines
