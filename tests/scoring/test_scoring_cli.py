"""`ipeval score`: offline CLI over a synthetic CSV; JSON validated against the schema file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import typer
from typer.testing import CliRunner

from app.cli.score import register
from scoring.result import json_schema
from tests.scoring.scoring_builders import ROOT, v1_records, v1_rubric, write_csv

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "score-output.schema.json"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Keep `score` as a named sub-command."""

    return app


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["score", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_output_matches_the_schema_and_is_deterministic(tmp_path: Path) -> None:
    data = write_csv(v1_records(v1_rubric(), 12, seed=3), tmp_path / "cohort.csv")
    args = ["--rubric", "strong-province@1", "--rubrics-dir", str(ROOT), "--data", str(data)]
    code, out, err = _run(*args, "--year", "2020", "--json")
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert doc["rubric"]["id"] == "strong-province" and doc["rubric"]["version"] == 1
    assert len(doc["units"]) == 12
    first = doc["units"][0]
    assert {"unit", "evaluations", "decision"} <= set(first)
    assert {"type", "scores", "gates", "total"} <= set(first["evaluations"][0])
    assert _run(*args, "--year", "2020", "--json")[1] == out


def test_schema_file_is_the_generated_schema() -> None:
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == json_schema()


def test_text_output_and_xlsx_report(tmp_path: Path) -> None:
    data = write_csv(v1_records(v1_rubric(), 5, seed=1), tmp_path / "cohort.csv")
    report = tmp_path / "report.xlsx"
    code, out, err = _run(
        "--rubric",
        str(ROOT / "strong-province" / "v1.toml"),
        "--data",
        str(data),
        "--year",
        "2020",
        "--out",
        str(report),
    )
    assert code == 0, err
    assert "rubric strong-province@1" in out and "→" in out
    assert report.stat().st_size > 0


def test_bad_data_is_reported_bilingually(tmp_path: Path) -> None:
    rows = v1_records(v1_rubric(), 2)
    rows[1]["pct_applications"] = "lots"
    data = write_csv(rows, tmp_path / "bad.csv")
    code, _, err = _run(
        "--rubric",
        "strong-province@1",
        "--rubrics-dir",
        str(ROOT),
        "--data",
        str(data),
        "--year",
        "2020",
    )
    assert code == 1
    assert "row 2, column pct_applications" in err and "不是数字" in err


def test_year_is_required_without_a_year_column(tmp_path: Path) -> None:
    data = write_csv(v1_records(v1_rubric(), 2), tmp_path / "c.csv")
    code, _, err = _run(
        "--rubric", "strong-province@1", "--rubrics-dir", str(ROOT), "--data", str(data)
    )
    assert code == 1 and "--year" in err


def test_unknown_rubric_reference(tmp_path: Path) -> None:
    data = write_csv(v1_records(v1_rubric(), 2), tmp_path / "c.csv")
    code, _, err = _run(
        "--rubric",
        "strong-province@9",
        "--rubrics-dir",
        str(ROOT),
        "--data",
        str(data),
        "--year",
        "2020",
    )
    assert code == 1 and "cannot read" in err


EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "strong-province-cohort.csv"


def test_the_shipped_example_csv_scores(tmp_path: Path) -> None:
    code, out, err = _run(
        "--rubric",
        "strong-province@1",
        "--rubrics-dir",
        str(ROOT),
        "--data",
        str(EXAMPLE),
        "--year",
        "2020",
        "--json",
    )
    assert code == 0, err
    assert len(json.loads(out)["units"]) == 12  # the file's 12 rows


def test_max_problems_caps_the_list(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    # every value after the first three columns made unreadable: far more than 5 problems
    broken = [",".join(r.split(",")[:3] + ["x"] * (len(r.split(",")) - 3)) for r in rows]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([header, *broken]) + "\n", encoding="utf-8")
    base = ["--rubric", "strong-province@1", "--rubrics-dir", str(ROOT), "--data", str(bad)]
    code, _, err = _run(*base, "--year", "2020", "--max-problems", "5")
    assert code == 1
    listed = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(listed) == 5 and "more (--max-problems 0 lists all)" in err
    _, _, every = _run(*base, "--year", "2020", "--max-problems", "0")
    total = int(every.rsplit("error: ", 1)[1].split(" ")[0])
    assert len([line for line in every.splitlines() if line.startswith("  - ")]) == total > 5
