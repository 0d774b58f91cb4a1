"""`ipeval rescore`: re-score past years under a rubric version, with a progress bar."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.batches import runner
from app.batches import service as batches_service
from app.batches.models import Batch
from app.batches.recovery import recover_at_startup
from app.cli.rubrics import fail
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings


def parse_years(text: str) -> list[int]:
    """``2019-2021`` → [2019, 2020, 2021]; ``2019,2021`` → [2019, 2021]; mixed is fine."""
    years: set[int] = set()
    try:
        for part in text.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            first, sep, last = part.partition("-")
            start, end = int(first), int(last) if sep else int(first)
            if end < start or end - start > 100:
                raise ValueError(part)
            years.update(range(start, end + 1))
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a list of years; write e.g. 2019-2021 or 2019,2021 / "
            "年度格式应为 2019-2021 或 2019,2021"
        ) from None
    if not years:
        raise typer.BadParameter("no year given / 未给出年度")
    return sorted(years)


def rescore(
    rubric: Annotated[
        str, typer.Option(help="Published rubric version, id@version / 评价规则版本")
    ],
    years: Annotated[str, typer.Option(help="Years, e.g. 2019-2021 or 2019,2021 / 年度")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compare only; never promotable / 试运行")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the batch and its diff summary as JSON")
    ] = False,
) -> None:
    """Re-score past years into staged results and show what changes / 批量重新评分.

    Nothing becomes current: promote with `ipeval batch promote ID` (or the API).
    """
    wanted = parse_years(years)
    engine = make_engine(get_settings())
    recovered = recover_at_startup(engine)
    err = Console(stderr=True)
    if recovered:
        err.print(f"marked failed (interrupted earlier): batches {recovered}")
    try:
        with unit_of_work(engine) as session:
            batch = batches_service.create(session, rubric=rubric, years=wanted, dry_run=dry_run)
    except ProblemError as exc:
        raise fail(exc) from None
    assert batch.id is not None
    with Progress(
        TextColumn("[bold]batch {task.fields[batch]}[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
    ) as progress:
        task = progress.add_task("starting", total=batch.units_total or None, batch=batch.id)

        def show(current: Batch) -> None:
            progress.update(
                task,
                completed=current.units_done,
                description=f"{current.status}: year {current.years_done}/{len(current.years)}",
            )

        batch = runner.run_batch(engine, batch.id, on_progress=show)
    with unit_of_work(engine) as session:
        shown = batches_service.get_view(session, batch.id or 0)
    if as_json:
        typer.echo(json.dumps(shown.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        _print_summary(shown)
    if batch.status != "succeeded":
        raise typer.Exit(code=1)


def _print_summary(view: batches_service.BatchView) -> None:
    typer.echo(
        f"batch {view.id} {view.status}: {view.rubric}, years {view.years}, "
        f"{view.progress.units_done}/{view.progress.units_total} units, "
        f"{view.elapsed_seconds}s{' (dry run)' if view.dry_run else ''}"
    )
    if view.error:
        typer.echo(f"error: {view.error}")
    diff = view.diff_summary or {}
    if diff:
        typer.echo(
            f"decisions changed / 结论变化: {diff.get('decisions_changed', 0)} of "
            f"{diff.get('units', 0)}; ranks changed: {diff.get('ranks_changed', 0)}"
        )
        for transition, count in (diff.get("transitions") or {}).items():
            typer.echo(f"  {transition}: {count}")
        for gate, count in (diff.get("gates_newly_failed") or {}).items():
            typer.echo(f"  gate newly failed / 新未达门槛 {gate}: {count}")
        stability = diff.get("stability") or {}
        if stability.get("compared"):
            typer.echo(
                f"stability / 稳健性: {stability['fragile_after']} fragile after; became "
                f"fragile {stability['became_fragile'] or '-'}; no longer fragile "
                f"{stability['no_longer_fragile'] or '-'}"
            )
    for unit, why in sorted(view.unit_problems.items()):
        missing = ", ".join(why.get("missing") or []) if isinstance(why, dict) else ""
        typer.echo(f"  not scored / 无法评分 {unit}: {missing or why}")
    if view.status == "succeeded" and not view.dry_run:
        typer.echo(
            f"read `ipeval batch diff {view.id}`, then `ipeval batch promote {view.id}` "
            f"(or POST /api/v1/batches/{view.id}/promote) / 查看差异后发布"
        )


def register(cli: typer.Typer) -> None:
    cli.command("rescore")(rescore)
