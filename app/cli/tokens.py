"""`ipeval token create|list|revoke`: API tokens (the plaintext is shown once, at creation)."""

from __future__ import annotations

from typing import Annotated

import typer

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import Role
from app.core.database import make_engine, unit_of_work
from app.core.errors import ProblemError
from app.core.settings import get_settings
from app.masterdata import UnknownProvinceError, resolve_province

token_cli = typer.Typer(help="API tokens / 访问令牌", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


@token_cli.command("create")
def create(
    role: Annotated[Role, typer.Option(help="province | evaluator | admin / 角色")],
    province: Annotated[
        str | None,
        typer.Option(help="Province code or name, for --role province / 省份代码或名称"),
    ] = None,
    label: Annotated[str, typer.Option(help="Who holds it / 持有人说明")] = "",
    affiliation: Annotated[
        str | None,
        typer.Option(
            help="An evaluator's own province: never on its panel / 评审人员所属省份（回避）"
        ),
    ] = None,
) -> None:
    """Create a token and print it once; only its keyed hash is stored / 创建令牌（仅显示一次）."""
    province_code = None
    if province:
        try:
            province_code = resolve_province(province).code
        except UnknownProvinceError as exc:
            raise _fail(str(exc)) from None
    affiliation_code = None
    if affiliation:
        try:
            affiliation_code = resolve_province(affiliation).code
        except UnknownProvinceError as exc:
            raise _fail(str(exc)) from None
    settings = get_settings()
    engine = make_engine(settings)
    try:
        with unit_of_work(engine) as session:
            token, plaintext = auth_service.create_token(
                session,
                settings,
                role=role,
                province_code=province_code,
                label=label,
                affiliation=affiliation_code,
            )
            audit_service.record(
                session,
                None,
                "token.create",
                "api_token",
                token.id,
                detail={
                    "role": token.role,
                    "province_code": token.province_code,
                    "affiliation": token.affiliation,
                },
                system_actor="cli",
            )
            token_id = token.id
    except ProblemError as exc:
        raise _fail(f"{exc.detail_zh} / {exc.detail_en}") from None
    finally:
        engine.dispose()
    where = f" province {province_code}" if province_code else ""
    typer.echo(f"token {token_id}: role {role.value}{where} (shown once / 仅显示一次)", err=True)
    typer.echo(plaintext)


@token_cli.command("list")
def list_tokens(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked / 包括已撤销")] = False,
) -> None:
    """List tokens (never their values) / 列出令牌."""
    engine = make_engine(get_settings())
    try:
        with unit_of_work(engine) as session:
            for t in auth_service.list_tokens(session, include_revoked=all_):
                state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
                typer.echo(f"{t.id}\t{t.role}\t{t.province_code or '-'}\t{state}\t{t.label}")
    finally:
        engine.dispose()


@token_cli.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(help="Token id / 令牌编号")]) -> None:
    """Revoke a token; requests with it get 401 from now on / 撤销令牌."""
    engine = make_engine(get_settings())
    try:
        with unit_of_work(engine) as session:
            token = auth_service.revoke(session, token_id)
            audit_service.record(
                session, None, "token.revoke", "api_token", token.id, system_actor="cli"
            )
    except ProblemError as exc:
        raise _fail(f"{exc.detail_zh} / {exc.detail_en}") from None
    finally:
        engine.dispose()
    typer.echo(f"token {token_id} revoked / 已撤销")


def register(cli: typer.Typer) -> None:
    cli.add_typer(token_cli, name="token")
