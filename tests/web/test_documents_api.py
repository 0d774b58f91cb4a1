"""The letter and results workbook over the API: roles, route order, content."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import load_workbook

from tests.web.conftest import GANSU, JIANGSU, YEAR


def _get(client, web_db, who: str, path: str):
    return client.get(path, headers={"Authorization": f"Bearer {web_db.tokens[who]}"})


def test_letter_roles_and_content(web_client, web_db):
    path = f"/api/v1/evaluations/{YEAR}/{GANSU}/letter.docx"
    assert _get(web_client, web_db, "jiangsu", path).status_code == 404
    assert web_client.get(path).status_code == 401
    own = _get(web_client, web_db, "gansu", path)
    assert own.status_code == 200
    assert own.headers["content-type"].startswith("application/vnd.openxmlformats")
    by_name = _get(web_client, web_db, "evaluator", f"/api/v1/evaluations/{YEAR}/甘肃/letter.docx")
    assert by_name.status_code == 200
    api = _get(web_client, web_db, "gansu", f"/api/v1/evaluations?year={YEAR}").json()["items"][0]
    text = "\n".join(p.text for p in Document(io.BytesIO(own.content)).paragraphs)
    assert text.index("甘肃省") < text.index("Gansu")  # Chinese first, English after
    assert f"{api['total']:.2f}" in text and f"第 {api['rank']} 名" in text
    assert api["input_sha256"] in text and api["rubric_sha256"] in text


def test_workbook_roles_route_order_and_rows(web_client, web_db):
    path = f"/api/v1/evaluations/{YEAR}.xlsx"
    assert _get(web_client, web_db, "gansu", path).status_code == 403
    response = _get(web_client, web_db, "evaluator", path)
    assert response.status_code == 200
    detail = _get(web_client, web_db, "evaluator", "/api/v1/evaluations?year=2020").json()["items"]
    assert (
        _get(web_client, web_db, "evaluator", f"/api/v1/evaluations/{detail[0]['id']}").status_code
        == 200
    )
    book = load_workbook(io.BytesIO(response.content))
    ws = book["全部 All"]
    codes = [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1)]
    assert sorted(codes) == sorted(r["province_code"] for r in detail)
    row = codes.index(JIANGSU) + 4
    api = next(r for r in detail if r["province_code"] == JIANGSU)
    assert ws.cell(row=row, column=6).value == round(api["total"], 2)
    assert ws.cell(row=row, column=7).value == api["rank"]
    assert {"引领型 leading", "支撑型 supporting", "特色型 characteristic", "名额 Caps"} <= set(
        book.sheetnames
    )


def test_cli_letter_and_results_write_the_same_documents(web_db, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli.main import cli
    from app.core.settings import get_settings

    url = web_db.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("IPEVAL_DATABASE_URL", url)
    monkeypatch.setenv("IPEVAL_SECRET_KEY", web_db.settings.secret_key.get_secret_value())
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = runner.invoke(
            cli,
            ["letter", "--year", str(YEAR), "--province", "甘肃", "-o", str(tmp_path / "l.docx")],
        )
        assert out.exit_code == 0, out.output
        assert "甘肃省 2020" in out.output
        text = "\n".join(p.text for p in Document(str(tmp_path / "l.docx")).paragraphs)
        assert "致：甘肃省知识产权局" in text
        missing = runner.invoke(cli, ["letter", "--year", "1999", "--province", "甘肃"])
        assert missing.exit_code == 1 and "not_found" in missing.output
        out = runner.invoke(cli, ["results", "--year", str(YEAR), "-o", str(tmp_path / "r.xlsx")])
        assert out.exit_code == 0 and "32 units" in out.output
        assert load_workbook(tmp_path / "r.xlsx")["全部 All"].max_row == 3 + 32
    finally:
        get_settings.cache_clear()
