"""The README tells the truth: its route table and its configuration table."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.settings import REPO_ROOT, Settings
from app.main import create_app
from app.openapi import route_table
from tests.conftest import TEST_SECRET

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _rows(header: str) -> list[list[str]]:
    start = README.index(header)
    block = README[start:].split("\n\n", 1)[0].splitlines()[2:]
    return [[c.strip().strip("`") for c in line.strip("|").split("|")] for line in block]


def test_route_table_matches_the_routes(tmp_path):
    app = create_app(Settings(env="test", secret_key=TEST_SECRET, data_dir=tmp_path))  # type: ignore[arg-type]
    real = {(m, p, who) for m, p, _, who in route_table(app)}
    documented = {(m, p, who) for m, p, _, who in _rows("| method | path | what | who |")}
    assert documented == real


def test_configuration_table_matches_the_defaults(monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("IPEVAL_"):
            monkeypatch.delenv(name)
    defaults = Settings()
    rows = {r[0]: r[1] for r in _rows("| variable | default | meaning |")}
    fields = {f"IPEVAL_{name.upper()}" for name in Settings.model_fields}
    assert fields <= set(rows), fields - set(rows)
    for variable in fields:
        value = getattr(defaults, variable.removeprefix("IPEVAL_").lower())
        written = rows[variable]
        if isinstance(value, Path):
            assert Path(written.replace("<home>", str(REPO_ROOT))) == value, variable
        elif variable in ("IPEVAL_SECRET_KEY", "IPEVAL_DATABASE_URL"):
            continue  # described in words: a development-only value; the SQLite file
        else:
            assert written == str(value), variable
    assert re.search(r"\| `IPEVAL_DATABASE_URL` \| SQLite file in the data directory", README)
