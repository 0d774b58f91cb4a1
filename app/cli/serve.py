"""`ipeval serve` and `ipeval run`: the HTTP service."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from app.batches.recovery import recover_at_startup
from app.core import migrate
from app.core.database import make_engine
from app.core.settings import get_settings

HostOpt = Annotated[str, typer.Option(help="Interface to listen on / 监听地址")]
PortOpt = Annotated[int, typer.Option(help="TCP port / 端口")]


def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Run the HTTP service (migrate first with `ipeval db upgrade`) / 启动服务."""
    settings = get_settings()
    recover_at_startup(make_engine(settings))  # fail batches a dead process left running
    uvicorn.run(
        "app.main:create_app", factory=True, host=host, port=port, log_level=settings.log_level
    )


def run(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Migrate the database, prepare it on first start, and serve / 一键迁移并启动服务."""
    settings = get_settings()
    engine = make_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    typer.echo(f"ipeval: database ready ({settings.resolved_database_url})")
    typer.echo(f"ipeval: open http://{host}:{port}/docs  (API under /api/v1)")
    serve(host=host, port=port)


def register(cli: typer.Typer) -> None:
    cli.command("serve")(serve)
    cli.command("run")(run)
