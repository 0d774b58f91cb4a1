"""`ipeval serve` and `ipeval run`: the HTTP service."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import MutableMapping
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from app.batches.recovery import recover_at_startup
from app.core import migrate
from app.core.database import make_engine
from app.core.observability import log_config
from app.core.settings import get_settings
from app.demo import first_start

HostOpt = Annotated[str, typer.Option(help="Interface to listen on / 监听地址")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="TCP port / 端口")]
WorkersOpt = Annotated[
    int,
    typer.Option(
        min=1,
        max=64,
        help="Worker processes; the intake readers and the metrics are shared among them "
        "/ 工作进程数",
    ),
]
ForwardedOpt = Annotated[
    str,
    typer.Option(
        help="Proxies whose X-Forwarded-For/-Proto are trusted (comma-separated IPs, or '*') "
        "/ 可信反向代理",
    ),
]


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration, with a listening socket that says it is TCP.

    With ``--workers N`` uvicorn binds the socket itself and hands it to the workers, but
    creates it with ``proto`` 0; accepted connections inherit that, and asyncio sets
    ``TCP_NODELAY`` only on sockets whose ``proto`` is ``IPPROTO_TCP``. Nagle's algorithm
    then holds each response's body until the client's delayed ACK, some 40 ms per request
    on Linux (uvicorn issue #3149). The same descriptor is re-wrapped with the protocol
    named, which is all asyncio looks at.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
            sock.set_inheritable(True)
        return sock


def prepare_workers(workers: int, environ: MutableMapping[str, str] | None = None) -> None:
    """Share the machine-wide limits among ``workers`` processes (set in their environment).

    Each worker bounds its isolated workbook readers on its own, so the cores are divided
    among them (``IPEVAL_INTAKE_READERS``, at least 1 each); the Prometheus samples of every
    worker go to one fresh directory (``PROMETHEUS_MULTIPROC_DIR``) that ``/metrics`` adds
    up. Values already set by the operator are kept.
    """
    env = os.environ if environ is None else environ
    if workers <= 1:
        return
    env.setdefault("IPEVAL_INTAKE_READERS", str(max(1, (os.cpu_count() or 1) // workers)))
    if "PROMETHEUS_MULTIPROC_DIR" not in env:
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ipeval-metrics-")


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 1,
    forwarded_allow_ips: ForwardedOpt = "127.0.0.1",
) -> None:
    """Run the HTTP service (migrate first with `ipeval db upgrade`) / 启动服务."""
    settings = get_settings()
    # Once, before any worker starts: fail batches whose process is gone. A batch runs in
    # the worker that accepted it; a live worker's batch is never touched (pid check).
    recover_at_startup(make_engine(settings))
    prepare_workers(workers)
    config = TcpConfig(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if workers == 1 and not server.started:
        raise typer.Exit(3)  # uvicorn's own startup-failure status


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
