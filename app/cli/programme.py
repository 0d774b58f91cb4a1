"""`ipeval programme …`: the programme register - a year's standing, a province's history,
seeding the published first batch, and an audited correction with a reason."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.rubrics import fail
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.programme import service as programme_service
from app.programme.models import RegisterCorrection

programme_cli = typer.Typer(
    help="Programme register: type and stage per year / 试点名录（类型与阶段）",
    no_args_is_help=True,
)
ProvinceArg = Annotated[str, typer.Argument(help="Province: code or any name form, e.g. 江苏")]


@programme_cli.command("show")
def show(year: Annotated[int, typer.Option(help="Year / 年度")]) -> None:
    """Every submitter's type and stage in a year / 当年名录."""
    with unit_of_work(make_engine(get_settings())) as session:
        for s in programme_service.list_year(session, year):
            since = f"since {s.since_year}" if s.since_year else ""
            mark = " (synthetic)" if s.synthetic else ""
            typer.echo(
                f"{s.province_code:<7} {s.province_name:<12} {s.unit_type:<15} {s.stage:<14} "
                f"{since:<11} {s.source or '-'}{mark}"
            )


@programme_cli.command("history")
def history(province: ProvinceArg) -> None:
    """One province's register rows, oldest first / 某省名录沿革."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            for r in programme_service.history(session, province):
                typer.echo(
                    f"{r.year}  {r.unit_type:<15} {r.stage:<14} since {r.since_year}  "
                    f"{r.source}{' (synthetic)' if r.synthetic else ''}  {r.reason}"
                )
    except ProblemError as problem:
        raise fail(problem) from None


@programme_cli.command("seed")
def seed() -> None:
    """Designate the published first batch (2016) where not designated yet / 录入首批试点."""
    with unit_of_work(make_engine(get_settings())) as session:
        rows = programme_service.seed_first_batch(session)
        typer.echo(f"{len(rows)} row(s) added / 新增 {len(rows)} 条")


@programme_cli.command("set")
def set_entry(
    province: ProvinceArg,
    year: Annotated[int, typer.Option(help="From this year on / 自该年度起")],
    unit_type: Annotated[
        str, typer.Option("--type", help="leading/supporting/characteristic/none")
    ],
    stage: Annotated[str, typer.Option(help="pilot/demonstration/strong/none")],
    reason: Annotated[str, typer.Option(help="Why (kept and audited) / 理由")],
) -> None:
    """Correct a province's type and stage from a year on, with a reason / 更正名录."""
    try:
        body = RegisterCorrection.model_validate(
            {"unit_type": unit_type, "stage": stage, "reason": reason}
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            row = programme_service.correct_as_cli(session, province, year, body)
            typer.echo(f"{row.province_code} {row.year}: {row.unit_type} / {row.stage}")
    except ProblemError as problem:
        raise fail(problem) from None


def register(cli: typer.Typer) -> None:
    cli.add_typer(programme_cli, name="programme")
