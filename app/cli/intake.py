"""`ipeval template` and `ipeval check`: the workbook template and its intake check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.intake import annotate_workbook, check_workbook, write_template
from app.intake.report import IntakeReport
from app.masterdata import UnknownProvinceError, resolve_province
from app.submissions import service as submissions_service
from scoring.rubric import RubricError, load_shipped

RubricsDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--rubrics-dir", help="Folder of shipped rubrics (default: settings) / 评价方案目录"
    ),
]


def _template_from_database(year: int, province: str, output: Path) -> None:
    """The template the API serves: the year's assigned rubric, else the current one."""
    settings = get_settings()
    try:
        with unit_of_work(make_engine(settings)) as session:
            data, name = submissions_service.template(
                session, settings, year=year, province=province
            )
    except ProblemError as exc:
        typer.echo(f"{exc.detail_zh} / {exc.detail_en}", err=True)
        raise typer.Exit(2) from exc
    output.write_bytes(data)
    typer.echo(f"{output}: {name}")


def template(
    year: Annotated[int, typer.Option(help="Reporting year / 填报年度")],
    province: Annotated[str, typer.Option(help="Province code or any name / 省份代码或名称")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the .xlsx / 输出文件")
    ],
    rubric: Annotated[
        str | None,
        typer.Option(
            help="Shipped rubric file as id@version (default: the year's rubric in the "
            "database, as the API does) / 评价方案，默认为数据库中该年度的方案"
        ),
    ] = None,
    unit_type: Annotated[
        str | None,
        typer.Option("--type", help="Keep only this type's pilot tasks / 只列该类型的试点任务"),
    ] = None,
    rubrics_dir: RubricsDirOpt = None,
) -> None:
    """Write a province's workbook template for one year / 生成填报模板."""
    if rubric is None:
        _template_from_database(year, province, output)
        return
    root = rubrics_dir or get_settings().rubrics_dir
    try:
        loaded = load_shipped(rubric, root=root)
        target = resolve_province(province)
    except (RubricError, OSError, ValueError, UnknownProvinceError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    types = (*loaded.type_order, "none")
    if unit_type is not None and unit_type not in types:
        typer.echo(
            f"未知类型 / unknown type {unit_type!r}; choose one of {', '.join(types)}", err=True
        )
        raise typer.Exit(2)
    output.write_bytes(write_template(loaded, year=year, province=target, unit_type=unit_type))
    typer.echo(f"{output}: {loaded.ref} {target.name_zh} {year}")


def _print_report(report: IntakeReport) -> None:
    typer.echo(f"file sha256 {report.file_sha256} ({report.file_kind}, {report.file_bytes} bytes)")
    if report.rubric_id is not None:
        digest = (report.rubric_sha256 or "")[:12]
        typer.echo(
            f"rubric {report.rubric_id}@{report.rubric_version} ({digest}),"
            f" template {report.template_version}"
        )
    labels = {"valid": "有效 valid", "invalid": "有误 invalid", "unreadable": "无法读取 unreadable"}
    typer.echo(
        f"{labels[report.status]}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    for p in report.problems:
        where = f"{p.sheet}!{p.cell}" if p.sheet and p.cell else (p.field or "-")
        shown = f" [{p.value}]" if p.value not in (None, "") else ""
        typer.echo(f"  {p.severity.upper():7} {where} {p.field or ''} {p.code}{shown}")
        typer.echo(f"          {p.message_zh}")
        typer.echo(f"          {p.message_en}")


def check(
    file: Annotated[
        Path, typer.Argument(help="Workbook to check (.xlsx, .xls, .ods) / 待检查文件")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    annotated: Annotated[
        Path | None,
        typer.Option("--annotate", help="Also write the annotated copy here / 输出标注副本"),
    ] = None,
    rubrics_dir: RubricsDirOpt = None,
) -> None:
    """Check a filled-in workbook: exit 0 valid, 1 invalid, 2 unreadable / 检查填报文件."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"无法打开文件 / cannot open {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from exc
    report = check_workbook(data, rubric_root=rubrics_dir or get_settings().rubrics_dir)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    if annotated is not None:
        annotated.write_bytes(annotate_workbook(data, report))
    raise typer.Exit(report.exit_code())


def register(cli: typer.Typer) -> None:
    """Add `template` and `check` to the root command."""
    cli.command("template")(template)
    cli.command("check")(check)
