"""`ipeval demo`: load the demo cohort (32 submitters x 3 years) through the upload path."""

from __future__ import annotations

from typing import Annotated

import typer

from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.demo import service as demo_service

YearsOpt = Annotated[str, typer.Option(help="Years to load, e.g. 2019-2021 or 2020 / 加载的年份")]
ResetOpt = Annotated[
    bool,
    typer.Option(
        help="First delete the submissions, runs, evaluations and reviews of those years "
        "(not in production) / 先删除这些年份的填报与评估结果"
    ),
]
WorkersOpt = Annotated[int, typer.Option(help="Uploads checked at once / 并行上传数", min=1)]


def demo(
    years: YearsOpt = "2019-2021",
    reset: ResetOpt = False,
    workers: WorkersOpt = demo_service.DEFAULT_WORKERS,
) -> None:
    """Load the demo cohort through the upload path (idempotent) / 加载演示数据."""
    settings = get_settings()
    try:
        chosen = demo_service.parse_years(years)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    if reset and settings.env == "production":
        typer.echo(
            "生产环境不允许 --reset / --reset is refused when IPEVAL_ENV=production", err=True
        )
        raise typer.Exit(code=2)
    engine = make_engine(settings)
    try:
        if reset:
            with unit_of_work(engine) as session:
                removed = demo_service.reset(session, chosen)
            typer.echo(f"reset: {removed} submissions of {list(chosen)} deleted / 已删除")
        report = demo_service.load(
            engine, settings, years=chosen, workers=workers, progress=typer.echo
        )
    except ProblemError as exc:
        typer.echo(f"{exc.detail_zh} / {exc.detail_en}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(
        f"demo cohort loaded / 演示数据已加载: {report.created} new, {report.unchanged} unchanged, "
        f"{report.seconds:.1f} s; cohort runs {report.runs}"
    )


def register(cli: typer.Typer) -> None:
    cli.command("demo")(demo)
