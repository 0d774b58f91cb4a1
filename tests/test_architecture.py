"""Import direction, checked from the source rather than remembered.

import-linter (run by .ci/run, contracts in pyproject.toml) checks the package-level rules;
this test adds the per-domain rule import-linter cannot express: a domain's routes never
import another domain's table models directly (they go through that domain's service).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_routes_do_not_import_other_domains_models():
    offenders = []
    for routes in sorted((ROOT / "app").glob("*/routes.py")):
        domain = routes.parent.name
        for name in _imports(routes):
            parts = name.split(".")
            if (
                len(parts) == 3
                and parts[0] == "app"
                and parts[2] == "models"
                and parts[1] != domain
            ):
                offenders.append(f"{routes.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_scoring_imports_no_service_layer():
    forbidden = ("app", "fastapi", "sqlmodel", "sqlalchemy", "openpyxl", "starlette")
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "scoring").rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in forbidden
    ]
    assert offenders == []


def test_the_check_can_fail(tmp_path):
    bad = tmp_path / "routes.py"
    bad.write_text("from app.other.models import Thing\n", encoding="utf-8")
    assert "app.other.models" in _imports(bad)
