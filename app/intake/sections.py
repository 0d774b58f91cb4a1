"""The sections of a template, checked in turn; builds the submission for scoring."""

from __future__ import annotations

from typing import Any

from app.intake.rules import JUMP_FACTOR, Checker, resolve_unit_name
from app.intake.spec import (
    KIND_LABELS,
    STAGE_LABELS,
    TASK_STATUS_LABELS,
    TYPE_LABELS,
    CityRow,
    FieldSpec,
    city_column,
)
from app.intake.values import ValueProblem, cell_text, parse_integer, parse_number
from app.masterdata import squeeze

#: The count of the city list each ``city_column`` stands for.
CITY_COUNTS = {"city": "total", "demonstration": "demo", "public_service": "service"}


def check_sections(checker: Checker) -> dict[str, Any]:
    """Run every section's checks; return the submission (values that could be read)."""
    spec = checker.spec
    cols = spec.rubric.spec.columns
    basic: dict[str, Any] = {}
    for f in spec.basic:
        basic[f.code] = (
            resolve_unit_name(checker, f) if f.code == cols.unit_name else checker.read(f)
        )
    year = basic.get("report_year")
    if year is not None and year != spec.year:
        checker.add("year.mismatch", "report_year", checker.cell("report_year"), expected=spec.year)
    application = _application(checker, basic)
    _consistency(checker, basic)
    flags = {f.code: bool(basic.get(f.code)) for f in spec.rubric.spec.flags}
    cities = _cities(checker)
    inputs, history = _indicators(checker, cities)
    unit_type = basic.get(cols.type)
    tasks = _tasks(checker, unit_type, flags)
    record: dict[str, Any] = {
        cols.unit_id: spec.province.code,
        cols.unit_name: spec.province.name_zh,
        cols.type: unit_type,
        cols.stage: basic.get(cols.stage),
        cols.application: application,
        cols.municipality: spec.province.is_municipality,
        cols.corps: spec.province.kind == "corps",
        **(
            {cols.baseline_year: basic.get(cols.baseline_year)}
            if spec.rubric.needs_baseline_year()
            else {}
        ),
        **flags,
        **inputs,
        **history,
        **{code: t["status"] for code, t in tasks.items()},
    }
    return {
        "province_code": spec.province.code,
        "province_name": spec.province.name_zh,
        "year": spec.year,
        "type": unit_type,
        "stage": basic.get(cols.stage),
        "application": application,
        "baseline_year": basic.get(cols.baseline_year),
        "flags": flags,
        "inputs": inputs,
        "history": history,
        "tasks": tasks,
        "cities": cities,
        "contact": {k: basic.get(k) for k in ("contact_name", "contact_phone", "contact_email")},
        "record": record,
    }


def _consistency(checker: Checker, basic: dict[str, Any]) -> None:
    """Programme rules between the basic fields (work plan 三: entering, changing type)."""
    cols = checker.spec.rubric.spec.columns
    unit_type, stage = basic.get(cols.type), basic.get(cols.stage)
    if unit_type and stage and (unit_type == "none") != (stage == "none"):
        checker.add(
            "basic.type_stage",
            cols.stage,
            checker.cell(cols.stage),
            type=(TYPE_LABELS[unit_type], unit_type),
            stage=(STAGE_LABELS[stage], stage),
        )
    kind, target = basic.get(cols.application), basic.get(f"{cols.application}_type")
    if unit_type and kind:
        wrong = (kind == "enter") != (unit_type == "none") or (
            kind == "change" and target == unit_type
        )
        if wrong:
            checker.add("basic.application", cols.application, checker.cell(cols.application))
    baseline = basic.get(cols.baseline_year)
    if baseline is not None and baseline > checker.spec.year:
        raw = checker.cell(cols.baseline_year)
        checker.add("basic.baseline_late", cols.baseline_year, raw, year=checker.spec.year)


def _application(checker: Checker, basic: dict[str, Any]) -> str:
    """``""``, ``"change:<type>"`` or ``"enter:<type>"`` as scoring expects."""
    cols = checker.spec.rubric.spec.columns
    kind = basic.get(cols.application) or ""
    target = basic.get(f"{cols.application}_type")
    if not kind:
        return ""
    if not target:
        code = f"{cols.application}_type"
        checker.add("value.missing", code, checker.cell(code))
        return ""
    return f"{kind}:{target}"


def _cities(checker: Checker) -> dict[str, Any]:
    """Count cities and demonstration cities from the city rows: computed, never claimed.

    Every row (地级市, 地区, 自治州, 盟) is read and checked and kept with its code and kind;
    only rows of the kinds the rubric counts enter ``total``, ``demo`` and ``service``.
    """
    rows: list[dict[str, Any]] = []
    for city in checker.spec.cities:
        name_cell = checker.cell(city.name_code)
        try:
            name = cell_text(name_cell) if name_cell else None
        except ValueProblem:
            name = None
        demo = _yes_no(
            checker, city.demo_code, _city_label(city, ("示范城市", "demonstration city"))
        )
        service = (
            _yes_no(
                checker,
                city.service_code,
                _city_label(city, ("公共服务机构", "public-service institution")),
            )
            if checker.spec.public_service
            else False
        )
        designated = _designation_year(checker, city, demo)
        if name:
            demo_cell = checker.book.names.get(city.demo_code)
            rows.append(
                {
                    "name": name,
                    "code": city.code,
                    "kind": city.kind,
                    "counted": city.counted,
                    "demo": demo,
                    "designation_year": designated,
                    "service": service,
                    **({"cell": demo_cell.cell} if demo_cell else {}),
                }
            )
    expected = len(checker.spec.cities)
    if len(rows) != expected:
        checker.add(
            "check.unit_count",
            "prefecture_cities",
            None,
            value=len(rows),
            found=len(rows),
            expected=expected,
        )
    counted = [r for r in rows if r["counted"]]
    return {
        "total": len(counted),
        "demo": sum(1 for r in counted if r["demo"]),
        "service": sum(1 for r in counted if r["service"]),
        "rows": rows,
    }


def _designation_year(checker: Checker, city: CityRow, demo: bool) -> int | None:
    """The row's designation year; missing when marked, or after the reporting year, is
    reported at its cell."""
    year_cell = checker.cell(city.year_code)
    designated = None
    if year_cell is not None:
        try:
            designated = parse_integer(year_cell)
            if designated is not None and not 1900 <= designated <= 2100:
                raise ValueProblem("value.bad_year")
        except ValueProblem:
            label = _city_label(city, ("认定年份", "designation year"))
            checker.add("value.bad_year", city.year_code, year_cell, label=label)
            designated = None
    if demo and designated is None and year_cell is not None and year_cell.kind == "empty":
        checker.add("city.year_missing", city.year_code, year_cell, label=_city_label(city))
    if demo and designated is not None and designated > checker.spec.year:
        checker.add(
            "city.year_late",
            city.year_code,
            year_cell,
            label=_city_label(city),
            year=checker.spec.year,
        )
    return designated


def _city_label(city: CityRow, column: tuple[str, str] | None = None) -> tuple[str, str]:
    """The row as a problem names it: its name, its kind when it is not a city, and the
    ``column`` (Chinese, English) when given."""
    zh, en = city.name_zh, city.name_zh
    if city.kind != "city":
        kind_zh, kind_en = KIND_LABELS[city.kind]
        zh, en = f"{zh}（{kind_zh}）", f"{en} ({kind_en.lower()})"
    if column:
        zh, en = f"{zh} {column[0]}", f"{en}, {column[1]}"
    return (zh, en)


def _yes_no(checker: Checker, code: str, label: tuple[str, str]) -> bool:
    """A 是/否 mark of the city list (blank: no); a bad value is reported at its cell."""
    cell = checker.cell(code)
    if cell is None:
        return False
    try:
        text = cell_text(cell)
        lookup = {squeeze("是"): True, squeeze("否"): False, "yes": True, "no": False}
        if text is not None and squeeze(text) not in lookup:
            raise ValueProblem("value.bad_choice", choices="是 / 否")
        return text is not None and lookup[squeeze(text)]
    except ValueProblem as exc:
        checker.add(exc.code, code, cell, label=label, **exc.details)
        return False


def _indicators(checker: Checker, cities: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs: dict[str, Any] = {}
    history: dict[str, Any] = {}
    for f in checker.spec.indicators:
        if f.formula is not None:
            inputs[f.code] = _computed(checker, f, cities)
        elif f.history_of:
            history[f.code] = checker.read(f)
        else:
            inputs[f.code] = checker.read(f)
    for code, prev in history.items():
        of = code.rsplit("_", 1)[0]
        value = inputs.get(of)
        if code.endswith("_prev") and value is not None and prev:
            change = value / prev - 1.0
            if abs(change) > JUMP_FACTOR:
                raw = checker.cell(of, expected=False)
                checker.add(
                    "check.jump",
                    of,
                    raw,
                    value=f"{value:g}",
                    prev=f"{prev:g}",
                    change=f"{change:+.0%}",
                )
    return inputs, history


def _computed(checker: Checker, f: FieldSpec, cities: dict[str, Any]) -> int:
    """A count computed from the city table; a differing cached value is a warning."""
    computed = 0
    if not checker.spec.province.is_municipality:
        field = next(i for i in checker.spec.rubric.spec.inputs if i.code == f.code)
        computed = cities[CITY_COUNTS[city_column(field)]]
    raw = checker.cell(f.code, expected=False)
    if raw is None or raw.kind != "number":
        return computed  # no cached value (a template filled by code): nothing claimed
    try:
        claimed = parse_number(raw, percent=False)
    except ValueProblem:
        return computed
    if claimed is not None and claimed != computed:
        if f.code == "prefecture_cities":
            checker.add("check.city_count", f.code, raw, found=f"{claimed:g}", expected=computed)
        else:
            total = max(cities["total"], 1)
            checker.add(
                "check.share_mismatch",
                f.code,
                raw,
                claimed=f"{100 * claimed / total:.1f}%",
                computed=f"{100 * computed / total:.1f}%",
            )
    return computed


def _tasks(
    checker: Checker, unit_type: str | None, flags: dict[str, bool]
) -> dict[str, dict[str, Any]]:
    rubric = checker.spec.rubric
    flagged = [k for k, v in flags.items() if v]
    # Without a declared type only the tasks every unit must do are known to be must-do.
    must = {t.code: t.must_do for t in rubric.tasks_for(unit_type or "none", flagged)}
    names = {t.code: (f"{t.code} {t.name_zh}", f"{t.code} {t.name_en}") for t in rubric.spec.tasks}
    out: dict[str, dict[str, Any]] = {}
    for code in checker.spec.tasks:
        required = must.get(code, False)
        raw = checker.cell(code, expected=False)
        if raw is None:
            if required:
                # a template generated for another type lacks this type's pilot tasks
                checker.add("task.not_in_template", code, None, label=names[code])
            continue
        status_spec = FieldSpec(code, *names[code], "choice", False)
        status = checker.read(status_spec)
        evidence_raw = checker.cell(f"{code}_evidence", expected=False)
        try:
            evidence = cell_text(evidence_raw) if evidence_raw else None
        except ValueProblem as exc:
            checker.add(exc.code, f"{code}_evidence", evidence_raw)
            evidence = None
        if status is None and required and raw.kind == "empty":
            checker.add("task.not_reported", code, raw, label=names[code])
        if status == "not_applicable" and required:
            checker.add("task.not_applicable_must_do", code, raw, label=names[code])
        if status in ("done", "partial") and not evidence:
            where = evidence_raw or raw
            checker.add(
                "task.no_evidence",
                f"{code}_evidence",
                where,
                label=names[code],
                status=(TASK_STATUS_LABELS[status], status),
            )
        out[code] = {"status": status, "evidence": evidence, "must_do": required}
    return out
