"""`ipeval letter` and `ipeval results`: the decision letter and the results workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.auth.models import Role
from app.auth.service import Principal
from app.cli.rubrics import fail
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.reports import service as reports_service
from app.reports.letter import letter_filename, render_letter
from app.reports.workbook import cohort_filename, render_cohort_workbook

#: The command line reads as the operator of the installation: every province is visible.
OPERATOR = Principal(id=0, role=Role.admin, label="cli")
YearOpt = Annotated[int, typer.Option(help="Evaluated year / 评估年度")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Where to write (default: a name in this folder) / 输出文件"
    ),
]


def letter(
    year: YearOpt,
    province: Annotated[str, typer.Option(help="Province code or any name / 省份代码或名称")],
    output: OutputOpt = None,
) -> None:
    """Write a province's decision letter (.docx) for a year / 生成评估决定通知书."""
    engine = make_engine(get_settings())
    try:
        with unit_of_work(engine) as session:
            view = reports_service.province_view(session, OPERATOR, year, province)
    except ProblemError as exc:
        raise fail(exc) from exc
    finally:
        engine.dispose()
    target = output or Path(letter_filename(view))
    target.write_bytes(render_letter(view))
    final = view.final_label or view.decision_label
    typer.echo(f"{target}: {view.name_zh} {year} {final[0]} / {view.name_en} {year} {final[1]}")


def results(year: YearOpt, output: OutputOpt = None) -> None:
    """Write a year's cohort results workbook (.xlsx) / 生成年度评估结果工作簿."""
    engine = make_engine(get_settings())
    try:
        with unit_of_work(engine) as session:
            view = reports_service.cohort_view(session, OPERATOR, year)
    except ProblemError as exc:
        raise fail(exc) from exc
    finally:
        engine.dispose()
    target = output or Path(cohort_filename(year))
    target.write_bytes(render_cohort_workbook(view))
    typer.echo(f"{target}: {year}, {len(view.rows)} units / {len(view.rows)} 个单位")


def register(cli: typer.Typer) -> None:
    cli.command("letter")(letter)
    cli.command("results")(results)
