"""Rubric problems, reported in Chinese and English with the exact key path and a fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RubricProblem:
    """One problem in a rubric file.

    Attributes
    ----------
    path : str
        Key path in the file, e.g. ``types.leading.pillars[2].indicators[0].weight``.
    message_zh, message_en : str
        What is wrong and how to fix it.
    """

    path: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message_en} / {self.message_zh}"


class RubricError(ValueError):
    """A rubric failed to load; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Sequence[RubricProblem]) -> None:
        self.problems: tuple[RubricProblem, ...] = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"rubric has {len(self.problems)} problem(s) / 评价规则有误:\n{lines}")


def key_path(loc: Sequence[str | int]) -> str:
    """Render a location tuple as ``a.b[2].c``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _pydantic_messages(kind: str, ctx: dict[str, Any], msg: str) -> tuple[str, str]:
    """Chinese and English text for one pydantic error type, with a fix."""
    bound = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), None)
    table: dict[str, tuple[str, str]] = {
        "extra_forbidden": (
            "未知的键；请删除或检查拼写（键名区分大小写）",
            "unknown key; remove it or check its spelling (keys are case-sensitive)",
        ),
        "missing": ("缺少必填的键；请补上", "required key is missing; add it"),
        "greater_than": (f"必须 > {bound}", f"must be > {bound}; use a larger number"),
        "greater_than_equal": (f"必须 ≥ {bound}", f"must be ≥ {bound}; use a larger number"),
        "less_than": (f"必须 < {bound}", f"must be < {bound}; use a smaller number"),
        "less_than_equal": (f"必须 ≤ {bound}", f"must be ≤ {bound}; use a smaller number"),
        "string_pattern_mismatch": (
            f"格式不符（须匹配 {ctx.get('pattern')}）：只用小写字母、数字和下划线，字段代码还须"
            "含至少一个下划线（以免与 Excel 单元格如 L1 混淆），例如 pct_applications",
            f"does not match {ctx.get('pattern')}: use lower-case letters, digits and '_'; field "
            "codes also need at least one '_' so they never look like an Excel cell such as L1 "
            "(e.g. pct_applications)",
        ),
        "literal_error": (
            f"取值无效，允许的值：{ctx.get('expected')}",
            f"invalid value; allowed: {ctx.get('expected')}",
        ),
        "union_tag_invalid": (
            f"类别无效，允许的值：{ctx.get('expected_tags')}",
            f"invalid kind; allowed: {ctx.get('expected_tags')}",
        ),
        "union_tag_not_found": (
            f"缺少类别键 '{ctx.get('discriminator')}'",
            f"missing the '{ctx.get('discriminator')}' key that says which kind this is",
        ),
        "too_short": ("至少需要一项；请补上", "needs at least one entry; add one"),
        "string_too_short": ("不能为空；请填写", "must not be empty; fill it in"),
        "nul_character": (
            "含有 NUL 字符（\\u0000）；请删除",
            "holds the NUL character (\\u0000); remove it",
        ),
    }
    if kind in table:
        return table[kind]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return (f"类型错误：{msg}；请改为正确类型", f"wrong type: {msg}; use the right type")
    return (f"取值无效：{msg}", f"invalid value: {msg}")


def from_pydantic(errors: Sequence[Any]) -> list[RubricProblem]:
    """Translate ``ValidationError.errors()`` entries into bilingual problems."""
    problems = []
    for err in errors:
        loc = _drop_union_tags(err["loc"])
        zh, en = _pydantic_messages(err["type"], dict(err.get("ctx") or {}), err["msg"])
        problems.append(RubricProblem(key_path(loc), zh, en))
    return problems


def _drop_union_tags(loc: Sequence[str | int]) -> list[str | int]:
    # pydantic inserts the discriminator value ('goalposts', 'ratio', ...) into the location of
    # errors inside a tagged union; it is not a key of the file, so drop it from the path.
    out: list[str | int] = []
    for i, part in enumerate(loc):
        after_normalise = i >= 1 and loc[i - 1] == "normalise"
        after_derived = i >= 2 and loc[i - 2] == "derived" and isinstance(loc[i - 1], int)
        if isinstance(part, str) and (after_normalise or after_derived):
            continue
        out.append(part)
    return out
