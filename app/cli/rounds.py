"""`ipeval round list|show`: review rounds and their progress, as GET /review-rounds shows it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from app.auth.models import Role
from app.auth.service import Principal
from app.cli.rubrics import fail
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.panels import progress
from app.panels import service as panels_service

round_cli = typer.Typer(help="Review rounds / 评审轮次", no_args_is_help=True)
# The command line reads as the operator of the installation: it sees every province.
OPERATOR = Principal(id=0, role=Role.admin, label="cli")


@round_cli.command("list")
def list_rounds(
    year: Annotated[int | None, typer.Option(help="Only this year / 仅该年度")] = None,
) -> None:
    """Every review round with its window / 列出评审轮次."""
    engine = make_engine(get_settings())
    try:
        with unit_of_work(engine) as session:
            rows, _ = panels_service.list_rounds(session, year)
            for r in rows:
                typer.echo(
                    f"{r.id}\t{r.year}\t{r.rubric_id}@{r.rubric_version}\t"
                    f"opens {r.opens_at:%Y-%m-%d %H:%M}Z\tdeadline {r.deadline:%Y-%m-%d %H:%M}Z"
                )
    finally:
        engine.dispose()


def _line(p: dict[str, Any], state: str | None = None) -> str:
    decision = p["decision"]
    final = (
        f"{decision['final_decision']}"
        + (f" ({decision['final_target_type']})" if decision["final_target_type"] else "")
        if decision
        else "-"
    )
    members = " ".join(
        f"{m['evaluator_id']}{'*' if m['chair'] else ''}{'✓' if m['submitted'] else '…'}"
        for m in p.get("members", [])
    )
    if state is None:  # the first panel: its decision in force, or an appeal's since
        state = "confirmed" if p["in_force"] else "superseded" if p["confirmed"] else "open"
    return (
        f"{p['province_code']}\tgraded {p['graded']}/{p['panel_size']}\t[{members}]\t"
        f"disputed {','.join(p['disputed']) or '-'}\tsettled {','.join(p['settled']) or '-'}\t"
        f"{state} {final}"
    )


@round_cli.command("show")
def show(
    round_id: Annotated[int, typer.Argument(help="Round id / 轮次编号")],
    as_json: Annotated[bool, typer.Option("--json", help="The API's JSON")] = False,
) -> None:
    """Per province: who graded (* chair, ✓ submitted), disputes, confirmation (superseded:
    an appeal's outcome is in force); then each appeal's re-review panel on its own line /
    评审进度."""
    engine = make_engine(get_settings())
    try:
        with unit_of_work(engine) as session:
            view = progress.round_view(session, OPERATOR, round_id)
    except ProblemError as exc:
        raise fail(exc) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2, default=str))
        return
    typer.echo(
        f"round {view['id']}: {view['year']} {view['rubric']}, deadline "
        f"{view['deadline']:%Y-%m-%d %H:%M}Z, policy {view['policy']['aggregation']} / "
        f"panel {view['policy']['panel_size']} / dispute > {view['policy']['dispute_spread']:g}"
    )
    for p in view["provinces"]:
        typer.echo(_line(p))
        for a in p["appeals"]:
            state = a["outcome"] if a["status"] == "decided" else "open"
            state += ", in force" if a["in_force"] else ""
            typer.echo(f"  appeal {a['appeal_id']}\t" + _line(a, state))


def register(cli: typer.Typer) -> None:
    cli.add_typer(round_cli, name="round")
