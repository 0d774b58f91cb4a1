"""The `ipeval` command line (see :mod:`app.cli.main`).

Typer's rich help prints an option's type in its own column (``<int>``, ``<path>``,
``<province|evaluator|admin>``), but unlike its plain help it also prints ``<bool>`` beside
a flag (``--json``, ``--help``), which takes no value. Flags and counters show no type here,
as in Typer's plain help; every other option keeps Typer's label.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_typer_display_type_rich = TyperOption.display_type_rich


def _display_type_rich(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    return _typer_display_type_rich(self, ctx)


TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]
