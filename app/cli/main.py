"""The `ipeval` command line: thin shells over the services and the scoring library."""

from __future__ import annotations

import typer

from app.cli import (
    batch,
    demo,
    documents,
    intake,
    programme,
    rescore,
    robustness,
    rounds,
    rubrics,
    score,
    serve,
    tokens,
    verify,
)
from app.cli.db import db_cli

cli = typer.Typer(
    name="ipeval",
    help="ipeval — evaluation engine for the IP-strong-province pilots / "
    "知识产权强省建设试点评估引擎",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
cli.add_typer(db_cli, name="db")
for module in (
    serve,
    tokens,
    rubrics,
    rescore,
    batch,
    verify,
    robustness,
    score,
    intake,
    demo,
    documents,
    rounds,
    programme,
):
    module.register(cli)


def main() -> None:
    cli()
