"""`ipeval batch list|show|diff|preview|promote`: the batch endpoints of the API, on the
command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.batches import preview as batch_preview
from app.batches import service as batches_service
from app.cli.rubrics import fail
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings

batch_cli = typer.Typer(
    help="Re-scoring batches: list, show, diff, preview, promote / 批量重新评分",
    no_args_is_help=True,
)

IdArg = Annotated[int, typer.Argument(help="Batch id / 批次编号", min=1)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON, as the API answers")]


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _line(view: batches_service.BatchView) -> str:
    alive = (
        ""
        if view.runner_alive is None
        else (" runner alive" if view.runner_alive else " runner gone")
    )
    return (
        f"{view.id:>5}  {view.status:<9} {view.rubric:<22} years {view.years}  "
        f"{view.progress.units_done}/{view.progress.units_total} units"
        f"{' dry run' if view.dry_run else ''}{alive}"
    )


@batch_cli.command("list")
def list_batches(as_json: JsonOpt = False) -> None:
    """List batches, newest first / 列出批次."""
    with unit_of_work(make_engine(get_settings())) as session:
        rows, _ = batches_service.list_batches(session)
        views = [batches_service.view(session, b) for b in rows]
    if as_json:
        _echo_json([v.model_dump(mode="json") for v in views])
        return
    for view in views:
        typer.echo(_line(view))
    if not views:
        typer.echo("no batch yet; start one with `ipeval rescore` / 尚无批次")


@batch_cli.command("show")
def show(batch_id: IdArg, as_json: JsonOpt = False) -> None:
    """A batch's status, progress, heartbeat and diff summary / 查看批次."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            view = batches_service.get_view(session, batch_id)
    except ProblemError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_json(view.model_dump(mode="json"))
        return
    typer.echo(_line(view))
    if view.heartbeat_age_seconds is not None:
        typer.echo(f"  last heartbeat {view.heartbeat_age_seconds:.0f} s ago")
    if view.error:
        typer.echo(f"  error: {view.error}")
    for year, assigned in sorted(view.assigned_years.items()):
        typer.echo(f"  {year} now scored under {assigned['rubric']} (was {assigned['previous']})")


@batch_cli.command("diff")
def diff(
    batch_id: IdArg,
    as_json: JsonOpt = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the diff workbook here")
    ] = None,
) -> None:
    """What the batch changes and why (per unit, per indicator and pillar) / 查看变化."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            data = batches_service.diff_json(session, batch_id)
            if xlsx is not None:
                xlsx.write_bytes(batches_service.diff_xlsx(session, batch_id))
    except ProblemError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_json(data)
        return
    _print_diff(data["summary"])


def _print_diff(summary: dict[str, Any]) -> None:
    typer.echo(
        f"units {summary['units']}: {summary['changed']} changed, "
        f"{summary['decisions_changed']} decisions changed / 结论变化"
    )
    for transition, count in summary.get("transitions", {}).items():
        typer.echo(f"  {transition}: {count}")
    for gate, count in summary.get("gates_newly_failed", {}).items():
        typer.echo(f"  newly failed / 新未达 {gate}: {count}")
    for gate, count in summary.get("gates_newly_passed", {}).items():
        typer.echo(f"  newly passed / 新达到 {gate}: {count}")
    for code, entry in (summary.get("input_not_collected") or {}).items():
        typer.echo(
            f"  not collected / 未采集 {code}: {entry['units']} units "
            f"(templates {', '.join(entry['templates'])}; rules {entry['rules']})"
        )
    moves = summary.get("contribution_changes") or {}
    for level in ("pillars", "indicators"):
        for code, change in list(moves.get(level, {}).items())[:8]:
            typer.echo(f"  mean contribution {level[:-1]} {code}: {change:+.3f}")


def _proposal(p: tuple[str | None, str | None] | None) -> str:
    if p is None:
        return "not scored / 无法评价"
    return f"{p[0]}:{p[1]}" if p[0] in ("reclassify", "admit") and p[1] else str(p[0])


@batch_cli.command("preview")
def preview(batch_id: IdArg, as_json: JsonOpt = False) -> None:
    """What promoting would change: each year's rubric, the reviews made stale, and whether
    promote would be refused / 发布前查看影响."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            seen = batch_preview.preview(session, batch_id)
    except ProblemError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_json(seen.model_dump(mode="json"))
        return
    for y in seen.years:
        change = "" if y.changes_rubric else " (unchanged / 不变)"
        typer.echo(f"{y.year}: {y.rubric_now or 'unassigned'} -> {y.rubric_after}{change}")
        if y.outdated:
            typer.echo("  current results changed since the batch ran / 批次运行后当前结果已变化")
        for r in y.becomes_stale:
            typer.echo(
                f"  review {r.review_id} {r.province_code} {r.name_en}: decided "
                f"{r.final_decision}, now proposed {_proposal(r.proposed_after)} "
                "-> stale / 需重新审核"
            )
        for r in y.no_longer_stale:
            typer.echo(f"  review {r.review_id} {r.province_code} {r.name_en}: no longer stale")
    if seen.refusal is not None:
        typer.echo(f"cannot promote / 不能发布 ({seen.refusal.code}): {seen.refusal.detail_en}")
    else:
        typer.echo(f"promote with `ipeval batch promote {seen.batch_id}`")


@batch_cli.command("promote")
def promote(batch_id: IdArg, as_json: JsonOpt = False) -> None:
    """Make every staged result of the batch current and assign its rubric to its years
    (audited) / 发布批次结果."""
    try:
        with unit_of_work(make_engine(get_settings())) as session:
            batch = batches_service.promote(session, batch_id)
            view = batches_service.view(session, batch)
    except ProblemError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_json(view.model_dump(mode="json"))
        return
    typer.echo(f"batch {view.id} promoted / 已发布: years {view.years} under {view.rubric}")
    for year, assigned in sorted(view.assigned_years.items()):
        typer.echo(f"  {year}: {assigned['previous']} -> {assigned['rubric']}")
    if view.stale_reviews:
        typer.echo(f"  reviews to look at again / 需重新审核: {view.stale_reviews}")


def register(cli: typer.Typer) -> None:
    cli.add_typer(batch_cli, name="batch")
