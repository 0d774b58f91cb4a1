"""`ipeval db …`: apply and inspect migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from app.core import migrate
from app.core.database import make_engine
from app.core.settings import get_settings

db_cli = typer.Typer(
    help="Database schema (Alembic migrations) / 数据库结构迁移", no_args_is_help=True
)


@db_cli.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest) / 升级数据库结构."""
    engine = make_engine(get_settings())
    migrate.upgrade(engine, revision)
    typer.echo(f"database at {migrate.current_revision(engine)} (head {migrate.head_revision()})")


@db_cli.command("downgrade")
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1")]) -> None:
    """Revert migrations down to REVISION / 回退数据库结构."""
    engine = make_engine(get_settings())
    migrate.downgrade(engine, revision)
    typer.echo(f"database at {migrate.current_revision(engine)}")


@db_cli.command("current")
def current() -> None:
    """Print the database's revision and the newest one / 显示当前版本."""
    engine = make_engine(get_settings())
    rev, head = migrate.current_revision(engine), migrate.head_revision()
    typer.echo(f"current {rev} head {head} ({'at head' if rev == head else 'NOT at head'})")
