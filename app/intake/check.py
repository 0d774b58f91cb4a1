"""Check an uploaded workbook: the intake entry point the CLI and the web service call."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from app.intake.cells import RawWorkbook
from app.intake.isolate import read_isolated
from app.intake.limits import IntakeLimits
from app.intake.parts import cfb_has_macros
from app.intake.problems import IntakeRefused, problem
from app.intake.report import IntakeReport
from app.intake.rules import Checker
from app.intake.sections import check_sections
from app.intake.sniff import FileKind, sniff
from app.intake.spec import (
    CITY_SHEET,
    KIND_LABELS,
    META_NAMES,
    READABLE_VERSIONS,
    TEMPLATE_VERSION,
    TemplateSpec,
    build_spec,
    kinds_en,
)
from app.intake.values import ValueProblem, cell_text
from app.intake.zipguard import check_zip
from app.masterdata import Prefecture, Province, get_province, prefectures_of
from scoring.rubric import Rubric, RubricError, load_shipped, shipped_path

_REFUSED_KINDS = {
    FileKind.EMPTY: "file.empty",
    FileKind.ENCRYPTED: "file.encrypted",
    FileKind.CSV: "file.csv",
    FileKind.HTML: "file.html",
    FileKind.SPREADSHEETML: "file.spreadsheetml",
}


def read_workbook(
    data: bytes, limits: IntakeLimits, owner: str | None = None
) -> tuple[FileKind, RawWorkbook]:
    """Size check, sniffing, container checks, then the isolated reader.

    Raises
    ------
    IntakeRefused
        With the problem that makes the file unreadable.
    """
    if len(data) > limits.max_file_bytes:
        raise IntakeRefused(problem("file.too_large", size=len(data), limit=limits.max_file_bytes))
    kind = sniff(data)
    if kind in _REFUSED_KINDS:
        raise IntakeRefused(problem(_REFUSED_KINDS[kind]))
    if kind is FileKind.BROKEN_ZIP:
        raise IntakeRefused(problem("file.corrupt", detail="truncated or damaged zip"))
    if not kind.is_workbook:
        raise IntakeRefused(problem("file.not_workbook", detected=kind.value))
    if kind in (FileKind.XLSX, FileKind.ODS):
        check_zip(data, limits, kind.value)
    elif cfb_has_macros(data):
        raise IntakeRefused(problem("file.macro", entry="_VBA_PROJECT_CUR", what="VBA"))
    book = read_isolated(kind, data, limits, owner)
    if len(book.names) > limits.max_defined_names:
        raise IntakeRefused(
            problem("sheet.too_many_rows", what="defined names", limit=limits.max_defined_names)
        )
    return kind, book


def _meta(book: RawWorkbook) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in META_NAMES:
        raw = book.names.get(name)
        try:
            text = cell_text(raw) if raw is not None else None
        except ValueProblem:
            text = None
        if text:
            values[name] = text
    missing = [n for n in META_NAMES if n not in values]
    if missing:
        raise IntakeRefused(problem("template.not_ours", missing=", ".join(missing)))
    return values


@lru_cache(maxsize=32)
def _load_cached(ref: str, root: Path, mtime_ns: int) -> Rubric:
    # mtime in the key: a rubric file replaced on disk is loaded afresh (published rubrics
    # are immutable, but a development checkout is not)
    return load_shipped(ref, root=root)


def _rubric(meta: dict[str, str], rubric_root: Path) -> Rubric:
    ref = f"{meta['meta_rubric_id']}@{meta['meta_rubric_version']}"
    try:
        mtime = shipped_path(ref, root=rubric_root).stat().st_mtime_ns
        return _load_cached(ref, rubric_root, mtime)
    except (RubricError, OSError, ValueError) as exc:
        raise IntakeRefused(problem("template.unknown_rubric", rubric=ref[:80])) from exc


def _old_version(found: str) -> IntakeRefused:
    return IntakeRefused(problem("template.version", found=found[:20], expected=TEMPLATE_VERSION))


def _units_not_listed(province: Province, version: str) -> list[Prefecture]:
    """The province's prefecture-level units a template of ``version`` has no row for:
    version 1 listed the prefecture-level cities only."""
    if version != "1":
        return []
    return [u for u in prefectures_of(province.code) if not u.is_city]


def _old_city_list(checker: Checker, spec: TemplateSpec, missing: list[Prefecture]) -> None:
    """A warning below the last row of an old city list: its other units cannot be marked."""
    kinds = list(dict.fromkeys(u.kind for u in missing))
    checker.problems.append(
        problem(
            "template.old_city_list",
            sheet=CITY_SHEET,
            cell=f"B{4 + len(spec.cities)}",
            field="prefecture_cities",
            found=spec.version,
            expected=TEMPLATE_VERSION,
            units=(
                "、".join(KIND_LABELS[k][0] for k in kinds),
                kinds_en(kinds),
            ),
        )
    )


def check_workbook(
    data: bytes,
    *,
    rubric_root: Path,
    limits: IntakeLimits | None = None,
    owner: str | None = None,
) -> IntakeReport:
    """Check one uploaded workbook and report every problem at once.

    ``owner`` (the uploader's province, or its token) shares the reader slots fairly.

    Never raises for anything in ``data``: an unreadable or hostile file yields a report with
    ``status == "unreadable"`` and the one problem that explains why.
    """
    limits = limits or IntakeLimits()
    digest = hashlib.sha256(data).hexdigest()
    kind = FileKind.UNKNOWN
    try:
        kind, book = read_workbook(data, limits, owner)
        meta = _meta(book)
        version = meta["meta_template_version"]
        if version not in READABLE_VERSIONS:
            raise _old_version(version)
        rubric = _rubric(meta, rubric_root)
        province = get_province(meta["meta_province_code"])
        year = int(meta["meta_report_year"])
        missing = _units_not_listed(province, version)
        if any(u.kind in rubric.spec.prefecture_kinds for u in missing):
            # the rubric counts units this template never listed: its counts would be wrong
            raise _old_version(version)
    except IntakeRefused as refused:
        return IntakeReport(
            status="unreadable",
            file_sha256=digest,
            file_kind=str(kind),
            file_bytes=len(data),
            problems=[refused.problem],
        )
    except (LookupError, ValueError):
        # metadata present but not ours to trust (edited province code or year)
        refusal = problem("template.not_ours", missing="meta_province_code / meta_report_year")
        return IntakeReport(
            status="unreadable",
            file_sha256=digest,
            file_kind=str(kind),
            file_bytes=len(data),
            problems=[refusal],
        )
    spec = build_spec(rubric, province=province, year=year, version=version)
    checker = Checker(spec, book)
    if missing:
        _old_city_list(checker, spec, missing)
    if meta["meta_rubric_sha256"] != rubric.sha256:
        raw = book.names["meta_rubric_sha256"]
        checker.problems.append(
            problem(
                "template.rubric_changed",
                sheet=raw.sheet,
                cell=raw.cell,
                field="meta_rubric_sha256",
                rubric=rubric.ref,
            )
        )
    submission = check_sections(checker)
    status = "invalid" if any(p.severity == "error" for p in checker.problems) else "valid"
    return IntakeReport(
        status=status,
        file_sha256=digest,
        file_kind=str(kind),
        file_bytes=len(data),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        template_version=meta["meta_template_version"],
        problems=checker.problems,
        submission=submission,
    )
