"""A tiny rubric with numbers a person can follow, and stored submissions for it.

``tiny-province``: two indicators ``a`` and ``b`` (inputs ``perf_a``, ``perf_b``, scores 0-100,
goalposts 0-100 so the normalised value equals the input), aggregated by a weighted
arithmetic mean. v1 weights a and b 0.5/0.5 and gates leading on ``perf_a >= 50``; v2 weights
them 0.8/0.2 and raises the gate to ``perf_a >= 70``. v3 is v2 plus a required indicator
``public_service`` with ``impute = "error"``: a unit that does not report it cannot be scored.
Pass scores: leading 80, supporting 60, characteristic 40; leading falls back to supporting,
supporting to characteristic; no caps.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from app.submissions.models import Submission

_INPUT = """
[[inputs]]
code = "{code}"
name_zh = "{code}"
name_en = "{code}"
unit = "score"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
min = 0
max = 100
"""

_INDICATOR = """
[[types.{type}.pillars.indicators]]
code = "{prefix}_{name}"
name_zh = "{name}"
name_en = "{name}"
field = "{field}"
weight = {weight}
impute = "{impute}"
treat_outliers = false
normalise = {{ method = "goalposts", lower = 0, upper = 100 }}
"""

_TYPE = """
[types.{type}]
name_zh = "{type}"
name_en = "{type}"
pass_score = {pass_score}
reclassify_to = {fallback}
{gate}
[[types.{type}.pillars]]
code = "{prefix}_all"
name_zh = "全部"
name_en = "All"
weight = 1
"""

_GATE = """
[[types.leading.gates]]
code = "gate_a"
name_zh = "指标a门槛"
name_en = "Indicator a threshold"
field = "perf_a"
threshold = {threshold}
"""


def tiny_rubric_toml(version: int) -> str:
    """The TOML of ``tiny-province@version`` (1, 2 or 3), as described in the module."""
    wa, wb, threshold = (0.5, 0.5, 50) if version == 1 else (0.8, 0.2, 70)
    extra = version == 3
    parts = [
        'id = "tiny-province"',
        f"version = {version}",
        'name_zh = "测试小规则"',
        'name_en = "Tiny test rubric"',
        'type_order = ["leading", "supporting", "characteristic"]',
        "[decision]\nborderline_margin = 0.5",
    ]
    parts += [_INPUT.format(code=c) for c in ("perf_a", "perf_b")]
    if extra:
        parts.append(_INPUT.format(code="public_service"))
    for type_, prefix, pass_score, fallback in (
        ("leading", "l", 80, '["supporting", "characteristic"]'),
        ("supporting", "s", 60, '["characteristic"]'),
        ("characteristic", "c", 40, "[]"),
    ):
        gate = _GATE.format(threshold=threshold) if type_ == "leading" else ""
        parts.append(
            _TYPE.format(
                type=type_, prefix=prefix, pass_score=pass_score, fallback=fallback, gate=gate
            )
        )
        for name, field, weight in (("a", "perf_a", wa), ("b", "perf_b", wb)):
            parts.append(
                _INDICATOR.format(
                    type=type_, prefix=prefix, name=name, field=field, weight=weight, impute="skip"
                )
            )
        if extra:
            parts.append(
                _INDICATOR.format(
                    type=type_,
                    prefix=prefix,
                    name="ps",
                    field="public_service",
                    weight=0.1,
                    impute="error",
                )
            )
    return "\n".join(parts) + "\n"


def record(code: str, unit_type: str, a: float, b: float, **extra: Any) -> dict[str, Any]:
    return {
        "unit_id": code,
        "unit_type": unit_type,
        "unit_stage": "pilot",
        "is_municipality": False,
        "perf_a": a,
        "perf_b": b,
        **extra,
    }


def add_submission(session: Session, rec: dict[str, Any], *, year: int) -> Submission:
    """Store ``rec`` as the current submission of its unit for ``year`` (replacing any)."""
    code = str(rec["unit_id"])
    previous = session.exec(
        select(Submission).where(
            Submission.province_code == code, Submission.year == year, col(Submission.is_current)
        )
    ).first()
    if previous is not None:
        previous.is_current = False
        session.add(previous)
        session.flush()
    content = repr(sorted(rec.items(), key=str)).encode()
    row = Submission(
        province_code=code,
        year=year,
        version_no=(previous.version_no + 1) if previous else 1,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        rubric_id="tiny-province",
        rubric_version=1,
        rubric_sha256="0" * 64,
        previous_id=previous.id if previous else None,
        content=content,
        values={"record": rec},
    )
    session.add(row)
    session.flush()
    return row


# The hand-worked cohort (see tests/batches/test_batch_rescore.py for the arithmetic).
COHORT = (
    record("110000", "leading", 90, 80),
    record("320000", "leading", 60, 100),
    record("330000", "leading", 80, 78),
    record("440000", "supporting", 50, 70),
    record("510000", "characteristic", 30, 20),
)
