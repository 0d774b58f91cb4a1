"""`ipeval serve` and `ipeval run`: the HTTP service."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from app.batches.recovery import recover_at_startup
from app.core import migrate
from app.core.database import make_engine
from app.core.settings import get_settings
from app.demo import first_start

HostOpt = Annotated[str, typer.Option(help="Interface to listen on / 监听地址")]
PortOpt = Annotated[int, typer.Option(help="TCP port / 端口")]


def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Run the HTTP service (migrate first with `ipeval db upgrade`) / 启动服务."""
    settings = get_settings()
    recover_at_startup(make_engine(settings))  # fail batches a dead process left running
    uvicorn.run(
        "app.main:create_app", factory=True, host=host, port=port, log_level=settings.log_level
    )


def run(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the demo cohort on first start / 首次启动加载演示数据")
    ] = True,
) -> None:
    """Migrate; on first start load the demo and print tokens; serve / 一键准备并启动服务."""
    # First start: publish the shipped rubrics, load the demo cohort, issue one token per
    # role (printed once and written to data/demo-tokens.txt, mode 0600). Later starts
    # change nothing and print that file (app/demo/first_start.py).
    settings = get_settings()
    engine = make_engine(settings)
    base_url = f"http://{host}:{port}"
    try:
        migrate.upgrade(engine)
        typer.echo(f"ipeval: database ready ({settings.resolved_database_url})")
        report = first_start.prepare(
            engine,
            settings,
            demo=demo,
            base_url=base_url,
            progress=lambda line: typer.echo(f"ipeval: demo {line}"),
        )
    finally:
        engine.dispose()
    typer.echo(first_start.describe(report, base_url))
    serve(host=host, port=port)


def register(cli: typer.Typer) -> None:
    cli.command("serve")(serve)
    cli.command("run")(run)
