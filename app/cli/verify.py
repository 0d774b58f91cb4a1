"""`ipeval verify`: replay every stored evaluation and report any byte difference."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlmodel import Session

from app.core.database import make_engine, read_only
from app.core.settings import get_settings
from app.evaluations import verify as verify_service


def verify(
    year: Annotated[int | None, typer.Option(help="Only this year / 仅此年度")] = None,
    current: Annotated[
        bool, typer.Option("--current", help="Only the current runs / 仅当前结果")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Re-score every stored evaluation from its stored inputs and rubric hash; exit 1 on
    any byte difference / 复核：重放评分并逐字节比对."""
    engine = make_engine(get_settings())
    with Session(read_only(engine)) as session:
        report = verify_service.verify(session, year=year, current_only=current)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(
            f"replayed {report.runs} runs, {report.evaluations} evaluations: "
            f"{len(report.differences)} differences / 差异"
        )
        if report.not_replayable:
            typer.echo(
                f"  not replayable (stored before run inputs were kept) / 无法重放: "
                f"runs {report.not_replayable}"
            )
        for d in report.differences:
            where = f" {d.province_code} (evaluation {d.evaluation_id})" if d.province_code else ""
            typer.echo(f"  run {d.run_id} {d.year}{where}: {d.kind}: {d.detail}")
    if not report.ok:
        raise typer.Exit(code=1)


def register(cli: typer.Typer) -> None:
    cli.command("verify")(verify)
