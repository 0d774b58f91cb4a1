"""Properties: no input bytes make intake raise, and a report always explains itself."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.intake import check_workbook
from app.intake.problems import known_codes

from .intake_builders import RUBRICS, replace_part, template


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_refused_with_one_reason(data: bytes) -> None:
    report = check_workbook(data, rubric_root=RUBRICS)
    assert report.status == "unreadable"
    (refusal,) = report.problems
    assert refusal.code in known_codes()
    assert refusal.message_zh and refusal.message_en


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_damaged_templates_never_raise(flips: list[tuple[float, int]]) -> None:
    data = bytearray(template())
    for where, value in flips:
        data[int(where * len(data))] = value
    report = check_workbook(bytes(data), rubric_root=RUBRICS)
    assert report.status in ("valid", "invalid", "unreadable")
    assert all(p.code in known_codes() for p in report.problems)
    if report.status == "unreadable":
        assert len(report.problems) == 1


PARTS = ("xl/workbook.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml", "xl/styles.xml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PARTS),
    st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=3)),
        min_size=1,
        max_size=4,
    ),
)
def test_damaged_xml_inside_a_sound_zip_never_raises(
    part: str, edits: list[tuple[float, bytes]]
) -> None:
    def damage(body: bytes) -> bytes:
        out = bytearray(body)
        for where, chunk in edits:
            at = int(where * len(out))
            out[at : at + len(chunk)] = chunk
        return bytes(out)

    report = check_workbook(replace_part(template(), part, damage), rubric_root=RUBRICS)
    assert report.status in ("valid", "invalid", "unreadable")
    assert all(p.code in known_codes() and p.message_zh and p.message_en for p in report.problems)
