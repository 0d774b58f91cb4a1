"""What the panel sees beside each task: evidence, missing evidence, reference-list warnings.

- A must-do task the province reports 完成 (done) with no evidence file is flagged for the
  panel (``evidence_missing``), not silently accepted.
- The self-evaluation report is flagged when the round's rubric requires it and none is
  attached.
- Claimed designations are checked against the shipped reference lists
  (``app.masterdata.references``): a demonstration city not on the list, or designated after
  the evaluation year, and a claimed protection centre with no listed centre in the
  province, are warnings located at the workbook cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.evaluations.grades import status_of
from app.evidence.models import EvidenceFile
from app.intake.spec import CITY_SHEET
from app.intake.template import BASIC_SHEET, FIRST_ROW
from app.masterdata import Prefecture, prefectures_of
from app.masterdata.references import ListName, reference_list
from scoring import Rubric
from scoring.rubric import ReviewPolicy


def _warning(code: str, zh: str, en: str, **where: Any) -> dict[str, Any]:
    return {"code": code, "detail_zh": zh, "detail_en": en, "location": where}


def _marked(province_code: str, row: dict[str, Any]) -> tuple[Prefecture, str] | None:
    """The unit a city row marks and the cell of its mark, or None (unknown unit).

    Rows carry the unit's code and the mark's cell; rows stored before they did come from
    version-1 templates, which listed the cities only, with the mark in column C.
    """
    units = prefectures_of(province_code)
    if row.get("code"):
        unit = next((u for u in units if u.code == row["code"]), None)
        return (unit, row.get("cell") or "") if unit else None
    cities = [u for u in units if u.is_city]
    index = next((i for i, c in enumerate(cities) if c.name_zh == row.get("name")), None)
    return None if index is None else (cities[index], f"C{FIRST_ROW + index}")


def city_warnings(province_code: str, year: int, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Claimed demonstration cities (any prefecture-level unit: 市, 州, 盟, 地区) the
    reference list does not bear out, located at the mark's cell."""
    listed = reference_list("demonstration_cities")
    out = []
    for row in (values.get("cities") or {}).get("rows", []):
        marked = _marked(province_code, row) if row.get("demo") else None
        if marked is None:
            continue
        city, cell = marked
        where = {"sheet": CITY_SHEET, "cell": cell}
        entry = listed.by_code(city.code)
        if entry is None:
            out.append(
                _warning(
                    "reference.not_listed",
                    f"{city.name_zh} 标记为示范城市，但不在示范城市参考名单（版本 "
                    f"{listed.sha256[:12]}）中；请核对认定文件。",
                    f"{city.name_zh} is marked a demonstration city but is not on the reference "
                    f"list (version {listed.sha256[:12]}); check the designation document.",
                    **where,
                )
            )
        elif entry.year > year:
            out.append(
                _warning(
                    "reference.designated_later",
                    f"{city.name_zh} 于 {entry.designated} 认定（{entry.source}），晚于评估年度 "
                    f"{year}。",
                    f"{city.name_zh} was designated in {entry.designated} ({entry.source}), "
                    f"after the evaluation year {year}.",
                    **where,
                )
            )
    return out


#: workbook flag -> the reference list that can bear the claim out
CLAIM_LISTS: dict[str, tuple[ListName, str, str]] = {
    "flag_protection_centre": ("protection_centres", "知识产权保护中心", "IP protection centre"),
    "flag_tisc": ("tiscs", "技术与创新支持中心（TISC）", "TISC"),
}


def claim_warnings(province_code: str, year: int, record: dict[str, Any]) -> list[dict[str, Any]]:
    """A claimed protection centre or TISC with none listed in the province by ``year``."""
    out = []
    for flag, (name, what_zh, what_en) in CLAIM_LISTS.items():
        if not record.get(flag):
            continue
        listed = reference_list(name)
        if any(e.province_code == province_code and e.year <= year for e in listed.entries):
            continue
        out.append(
            _warning(
                "reference.claim_not_listed",
                f"填报设有{what_zh}，但参考名单（版本 {listed.sha256[:12]}）中 {year} 年前无本省"
                "条目；请核对批复文件。",
                f"The province reports a {what_en}, but the reference list (version "
                f"{listed.sha256[:12]}) has none in the province by {year}; check the approval.",
                sheet=BASIC_SHEET,
                field=flag,
            )
        )
    return out


def task_rows(
    rubric: Rubric,
    unit_type: str,
    record: dict[str, Any],
    evidence: Sequence[EvidenceFile],
    tasks: Sequence[str],
) -> list[dict[str, Any]]:
    """Each task of the unit with its self-assessment, its evidence and its flags."""
    flags = [f.code for f in rubric.flags if record.get(f.code)]
    specs = {t.code: t for t in rubric.tasks_for(unit_type, flags)}
    rows = []
    for code in tasks:
        spec = specs[code]
        own = status_of(record.get(code))
        files = [e for e in evidence if e.kind == "task" and e.target == code]
        task_flags = []
        if spec.must_do and own == "done" and not files:
            task_flags.append(
                {
                    "code": "evidence_missing",
                    "detail_zh": "必做任务自评为完成，但未附佐证材料。",
                    "detail_en": "A must-do task self-assessed done has no evidence file.",
                }
            )
        rows.append(
            {
                "task": code,
                "name_zh": spec.name_zh,
                "name_en": spec.name_en,
                "must_do": spec.must_do,
                "self_assessed": own,
                "evidence": [_file(e) for e in files],
                "flags": task_flags,
            }
        )
    return rows


def _file(e: EvidenceFile) -> dict[str, Any]:
    return {
        "id": e.id,
        "filename": e.filename,
        "media_type": e.media_type,
        "size_bytes": e.size_bytes,
        "sha256": e.sha256,
        "late": e.late,
        "download": f"/api/v1/evidence/{e.id}",
    }


def self_report(
    rubric: Rubric, policy: ReviewPolicy, year: int, evidence: Sequence[EvidenceFile]
) -> dict[str, Any]:
    """The self-evaluation report: required by the round's policy or the rubric's round."""
    files = [e for e in evidence if e.kind == "self_report"]
    covering = rubric.round_for(year)
    required = policy.self_report_required or bool(covering and covering.self_report_required)
    return {
        "required": required,
        "files": [_file(e) for e in files],
        "missing": required and not files,
    }


def indicator_files(evidence: Sequence[EvidenceFile]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in evidence:
        if e.kind == "indicator":
            out.setdefault(e.target, []).append(_file(e))
    return out
