"""`--help` of every command: a flag shows no type (it takes no value); a valued option does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from app.cli.main import cli

# wide enough that no option name, type or first help word wraps onto a second line
WIDE = {"COLUMNS": "240", "TERMINAL_WIDTH": "240"}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _command(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(cli)
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    return command


COMMANDS = list(_commands(typer.main.get_command(cli)))


def _type_column(help_text: str, name: str, help_first_word: str) -> str:
    """What the help row of option ``name`` shows between its names and its help text."""
    row = re.compile(rf"^│\s*(?:\*\s+)?{re.escape(name)}(?![\w-])(.*)$", re.MULTILINE)
    found = row.search(help_text)
    assert found, f"no help row for {name}"
    rest = found.group(1)
    start = re.search(rf"\s{re.escape(help_first_word)}(\s|$)", rest)
    assert start, f"{name}: help text {help_first_word!r} not on its row"
    return rest[: start.start()]


def test_every_command_and_group_is_walked() -> None:
    # the root, its commands, its groups (db, token...) and the commands in each group
    assert () in COMMANDS
    assert ("score",) in COMMANDS and ("db", "upgrade") in COMMANDS
    assert ("token", "create") in COMMANDS and ("programme", "set") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "ipeval")
def test_flags_show_no_type_and_valued_options_show_theirs(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    where = " ".join(path) or "ipeval"
    options = [p for p in _command(path).params if isinstance(p, TyperOption) and not p.hidden]
    for option in options:
        name = max(option.opts, key=len)
        column = _type_column(result.output, name, (option.help or "").split()[0])
        if option.is_flag or option.count:
            assert "<" not in column, f"{where} {name}: a flag shows {column.strip()!r}"
        else:
            assert re.search(r"<[^<>]+>", column), f"{where} {name}: no type shown"
    # --help is added by the framework, not declared: a flag like the others
    assert "<" not in _type_column(result.output, "--help", "Show"), where


def test_score_help_reads_as_a_person_expects() -> None:
    out = CliRunner().invoke(cli, ["score", "--help"], env=WIDE).output
    assert re.search(r"--json\s+Print the result as JSON", out)
    assert re.search(r"--help\s+Show this message and exit", out)
    assert re.search(r"--year\s+<int>\s+Evaluation year", out)
    assert re.search(r"--data\s+<file>\s+Wide CSV", out)
    assert re.search(r"--out\s+<path>\s+Also write", out)
