"""`ipeval rubric …`: list, show, publish and choose the current rubric version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.evaluations import service as evaluations_service
from app.rubrics import service as rubrics_service

rubric_cli = typer.Typer(
    help="Rubric versions: list, show, publish, current / 评价规则版本", no_args_is_help=True
)

RefArg = Annotated[str, typer.Argument(help="Rubric as id@version, e.g. strong-province@1")]


def fail(problem: ProblemError) -> typer.Exit:
    """Print a problem in both languages, with every listed sub-problem, and exit 1."""
    typer.echo(f"error [{problem.code}]: {problem.detail_zh}", err=True)
    typer.echo(f"                {problem.detail_en}", err=True)
    for item in problem.extra.get("errors", []):
        typer.echo(f"  - {item['message_zh']}", err=True)
        typer.echo(f"    {item['message_en']}", err=True)
    return typer.Exit(code=1)


@rubric_cli.command("list")
def list_versions(
    rubric_id: Annotated[str | None, typer.Argument(help="Only this rubric id")] = None,
) -> None:
    """List published versions; * marks the current one / 列出已发布版本."""
    with unit_of_work(make_engine(get_settings())) as session:
        rows = rubrics_service.list_versions(session, rubric_id).rows
        for row in rows:
            mark = "*" if row.is_current else " "
            typer.echo(
                f"{mark} {row.rubric_id}@{row.version}  {row.sha256[:12]}  "
                f"{row.published_at:%Y-%m-%d %H:%M}  {row.title_zh}"
            )
        if not rows:
            typer.echo("no rubric published yet; run `ipeval rubric publish --shipped`")


@rubric_cli.command("show")
def show(
    ref: RefArg,
    toml: Annotated[bool, typer.Option("--toml", help="Print the original TOML")] = False,
) -> None:
    """Show one published version as JSON, or its original TOML / 显示某一版本."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            row = rubrics_service.get_by_ref(session, ref)
            if toml:
                typer.echo(row.source_toml, nl=False)
                return
            spec = rubrics_service.rubric_of(row).spec.model_dump(mode="json")
            info = {
                "rubric_id": row.rubric_id,
                "version": row.version,
                "sha256": row.sha256,
                "is_current": row.is_current,
                "published_at": row.published_at.isoformat(),
                "spec": spec,
            }
            typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
    except ProblemError as exc:
        raise fail(exc) from None


@rubric_cli.command("publish")
def publish(
    file: Annotated[Path | None, typer.Argument(help="A rubric TOML file", exists=True)] = None,
    shipped: Annotated[
        bool, typer.Option("--shipped", help="Publish every file under the rubrics folder")
    ] = False,
) -> None:
    """Validate and publish a rubric file, or all shipped ones / 校验并发布评价规则."""
    if (file is None) == (not shipped):
        typer.echo("give a FILE or --shipped (not both) / 请指定文件或 --shipped", err=True)
        raise typer.Exit(code=2)
    settings = get_settings()
    try:
        with unit_of_work(make_engine(settings)) as session:
            if file is not None:
                text = file.read_text(encoding="utf-8-sig")
                results = [rubrics_service.publish(session, text)]
            else:
                results = rubrics_service.publish_shipped(session, settings)
            for row, created in results:
                what = "published" if created else "already published"
                typer.echo(f"{what}: {row.rubric_id}@{row.version} sha256 {row.sha256}")
    except ProblemError as exc:
        raise fail(exc) from None


@rubric_cli.command("current")
def current(
    rubric_id: Annotated[str, typer.Argument(help="Rubric id, e.g. strong-province")],
    version: Annotated[int | None, typer.Argument(help="Make this version current")] = None,
) -> None:
    """Print the current version, or make VERSION current (audited) / 当前版本."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            if version is None:
                row = rubrics_service.get_current(session, rubric_id)
            else:
                row = rubrics_service.set_current(session, rubric_id, version)
            typer.echo(f"{row.rubric_id}@{row.version} sha256 {row.sha256}")
    except ProblemError as exc:
        raise fail(exc) from None


@rubric_cli.command("years")
def years() -> None:
    """Which rubric version scores each year, and how it was assigned / 各年度评价规则."""
    with unit_of_work(make_engine(get_settings())) as session:
        rows = evaluations_service.year_rubrics(session)
        for row in rows:
            batch = f" (batch {row.batch_id})" if row.batch_id else ""
            typer.echo(
                f"{row.year}  {row.rubric}  {row.source}{batch}  "
                f"{row.assigned_at:%Y-%m-%d %H:%M}  {row.reason}"
            )
        if not rows:
            typer.echo("no year scored yet / 尚无年度评分")


@rubric_cli.command("assign")
def assign(
    year: Annotated[int, typer.Argument(help="Year, e.g. 2020")],
    ref: RefArg,
    reason: Annotated[str, typer.Option(help="Why the year changes rubric (audited) / 理由")],
) -> None:
    """Assign a published version to a year and re-score it under it (audited) / 指定年度规则.

    To read what changes first, run `ipeval rescore` and `ipeval batch promote` instead.
    """
    settings = get_settings()
    if not reason.strip():
        typer.echo("--reason must not be empty / 必须填写理由", err=True)
        raise typer.Exit(code=2)
    try:
        with unit_of_work(make_engine(settings)) as session:
            out = evaluations_service.assign_rubric(session, settings, year, ref, reason=reason)
    except ProblemError as exc:
        raise fail(exc) from None
    if not out.changed:
        typer.echo(f"{year} already under {out.assignment.rubric}; nothing changed / 未变化")
        return
    typer.echo(
        f"{year}: {out.previous or '(none)'} -> {out.assignment.rubric}; "
        f"run {out.run_id if out.run_id else '(no submissions yet)'}; "
        f"stale reviews {out.stale_reviews}"
    )


def register(cli: typer.Typer) -> None:
    cli.add_typer(rubric_cli, name="rubric")
