"""`ipeval template` and `ipeval check` through Typer's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from app.cli.intake import register

from .intake_builders import RUBRICS, guangdong_filled

runner = CliRunner()


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def run(cli: typer.Typer, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, [*args, "--rubrics-dir", str(RUBRICS)])
    return result.exit_code, result.output


def test_template_command_writes_the_workbook(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    code, text = run(
        cli,
        "template",
        "--rubric",
        "strong-province@1",
        "--year",
        "2021",
        "--province",
        "廣東",
        "-o",
        str(out),
    )
    assert code == 0, text
    wb = openpyxl.load_workbook(out)
    sheet, ref = next(iter(wb.defined_names["meta_report_year"].destinations))
    assert wb[sheet][ref.replace("$", "")].value == "2021"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--rubric", "strong-province@9", "--province", "广东"), "strong-province"),
        (("--rubric", "strong-province@1", "--province", "Atlantis"), "Unknown province"),
    ],
)
def test_template_command_refuses_bad_arguments(
    cli: typer.Typer, tmp_path: Path, args: tuple[str, ...], fragment: str
) -> None:
    code, text = run(cli, "template", *args, "--year", "2020", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2
    assert fragment in text


def test_check_exit_codes(cli: typer.Typer, tmp_path: Path) -> None:
    valid = tmp_path / "valid.xlsx"
    valid.write_bytes(guangdong_filled())
    invalid = tmp_path / "invalid.xlsx"
    invalid.write_bytes(guangdong_filled(pct_applications="很多"))
    unreadable = tmp_path / "renamed.xlsx"
    unreadable.write_bytes(b"a,b\n1,2\n")
    assert run(cli, "check", str(valid))[0] == 0
    code, text = run(cli, "check", str(invalid))
    assert code == 1
    assert "指标数据 Indicators!E6" in text and "value.not_number" in text
    code, text = run(cli, "check", str(unreadable))
    assert code == 2
    assert "file.csv" in text
    assert run(cli, "check", str(tmp_path / "missing.xlsx"))[0] == 2


def test_check_json_and_annotated_copy(cli: typer.Typer, tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    source.write_bytes(guangdong_filled(gdp_100m_yuan="#DIV/0!"))
    annotated = tmp_path / "annotated.xlsx"
    code, text = run(cli, "check", str(source), "--json", "--annotate", str(annotated))
    assert code == 1
    report = json.loads(text)
    assert re.fullmatch(r"[0-9a-f]{64}", report["file_sha256"])
    assert report["rubric_id"] == "strong-province"
    (p,) = report["problems"]
    assert (p["sheet"], p["cell"], p["field"], p["code"], p["value"]) == (
        "指标数据 Indicators",
        "E7",
        "gdp_100m_yuan",
        "value.error_cell",
        "#DIV/0!",
    )
    wb = openpyxl.load_workbook(annotated)
    assert wb.sheetnames[0] == "问题汇总 Problems"
    cell = wb["指标数据 Indicators"]["E7"]
    assert "错误值" in cell.comment.text and "holds the error" in cell.comment.text
    assert cell.fill.start_color.rgb.endswith("FFC7CE")
    assert wb["问题汇总 Problems"]["E4"].value == "value.error_cell"


def test_template_defaults_to_the_current_rubric_like_the_api(
    cli, fresh_engine, monkeypatch, tmp_path
):
    from app.cli import intake as intake_cli
    from app.core.database import unit_of_work
    from app.rubrics import service as rubrics_service

    engine, settings = fresh_engine
    with unit_of_work(engine) as session:
        rubrics_service.publish_shipped(session, settings)  # v1 becomes current
        rubrics_service.set_current(session, "strong-province", 2)
    monkeypatch.setattr(intake_cli, "get_settings", lambda: settings)
    out = tmp_path / "t.xlsx"
    result = runner.invoke(
        cli, ["template", "--year", "2021", "--province", "广东", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "strong-province-v2" in result.output  # the current version, not the first
    wb = openpyxl.load_workbook(out)
    sheet, ref = next(iter(wb.defined_names["meta_report_year"].destinations))
    assert wb[sheet][ref.replace("$", "")].value == "2021"
