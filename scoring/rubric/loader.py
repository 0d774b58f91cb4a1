"""Reading rubric files: TOML text or a path in, a validated :class:`Rubric` out."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from scoring.rubric.checks import check
from scoring.rubric.errors import RubricError, RubricProblem, from_pydantic
from scoring.rubric.model import Rubric
from scoring.rubric.schema import RubricSpec

_REF = re.compile(r"^(?P<id>[a-z][a-z0-9-]*)@(?P<version>[1-9][0-9]*)$")


def load_rubric(source: str | Path) -> Rubric:
    """Parse and validate a rubric.

    Parameters
    ----------
    source : str or Path
        A path to a ``.toml`` file, or the TOML text itself (a ``str`` containing a newline or
        an ``=`` is taken as text).

    Raises
    ------
    RubricError
        Listing every problem with its key path, in Chinese and English.
    """
    text = _read(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(
            [RubricProblem("(file)", f"TOML 语法错误：{exc}；请修正该行", f"TOML syntax: {exc}")]
        ) from exc
    try:
        spec = RubricSpec.model_validate(data)
    except ValidationError as exc:
        raise RubricError(from_pydantic(exc.errors())) from exc
    problems = check(spec)
    if problems:
        raise RubricError(problems)
    return Rubric(spec)


def _read(source: str | Path) -> str:
    if isinstance(source, str) and ("\n" in source or "=" in source):
        return source
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(
            [
                RubricProblem(
                    str(path),
                    f"无法读取评价规则文件：{exc.strerror}；请检查路径",
                    f"cannot read the rubric file: {exc.strerror}; check the path",
                )
            ]
        ) from exc


def shipped_path(ref: str, *, root: Path) -> Path:
    """Path of the shipped rubric ``"id@version"`` under ``root`` (``<root>/<id>/v<N>.toml``)."""
    match = _REF.match(ref)
    if match is None:
        raise RubricError(
            [
                RubricProblem(
                    ref,
                    "评价规则引用格式应为 '编号@版本'，例如 strong-province@1",
                    "a rubric reference looks like 'id@version', e.g. strong-province@1",
                )
            ]
        )
    return root / match["id"] / f"v{match['version']}.toml"


def load_shipped(ref: str, *, root: Path) -> Rubric:
    """Load a shipped rubric by ``"id@version"`` from the rubrics folder ``root``.

    The file's own ``id`` and ``version`` must match the reference and its location.
    """
    path = shipped_path(ref, root=root)
    rubric = load_rubric(path)
    if rubric.ref != ref:
        raise RubricError(
            [
                RubricProblem(
                    f"{path}: id/version",
                    f"文件声明的是 {rubric.ref}，与位置 {ref} 不符；请改正 id 或 version",
                    f"the file declares {rubric.ref}, not {ref} as its location says; fix "
                    "id or version",
                )
            ]
        )
    return rubric


def list_shipped(*, root: Path) -> list[str]:
    """Every ``"id@version"`` found under ``root``, sorted by id then version."""
    refs = []
    for path in root.glob("*/v*.toml"):
        version = path.stem[1:]
        if version.isdigit():
            refs.append((path.parent.name, int(version)))
    return [f"{i}@{v}" for i, v in sorted(refs)]
