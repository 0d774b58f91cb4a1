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
