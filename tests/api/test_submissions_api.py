"""Uploading workbooks over HTTP: versions, idempotency, refusals, files and reports."""

import io

import openpyxl
import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.submissions.models import Submission
from app.submissions.upload import safe_filename
from tests.submissions.workbooks import template, workbook

from .conftest import PROVINCE_A, PROVINCE_B, bearer

YEAR = 2020
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, token, data, *, name="江苏 2020.xlsx", dry_run=False):
    return client.post(
        "/api/v1/submissions" + ("?dry_run=true" if dry_run else ""),
        headers=bearer(token),
        files={"file": (name, data, XLSX)},
    )


def _rows(session, code=PROVINCE_A):
    return session.exec(select(Submission).where(Submission.province_code == code)).all()


@pytest.fixture(scope="module")
def jiangsu():
    return workbook("江苏", YEAR, patents=30.0)


@pytest.fixture(scope="module")
def jiangsu_corrected():
    return workbook("江苏", YEAR, patents=31.5)


def test_upload_versions_and_idempotency(client, session, tokens, jiangsu, jiangsu_corrected):
    first = upload(client, tokens["province_a"], jiangsu)
    assert first.status_code == 201, first.text
    body = first.json()
    v1 = body["submission"]
    assert (v1["province_code"], v1["year"], v1["version_no"], v1["is_current"]) == (
        PROVINCE_A,
        YEAR,
        1,
        True,
    )
    assert body["created"] is True and body["evaluation"]["run_id"] == body["run_id"]
    assert v1["filename"] == "江苏 2020.xlsx"

    again = upload(client, tokens["province_a"], jiangsu)
    assert again.status_code == 200
    assert again.json()["submission"]["id"] == v1["id"] and again.json()["created"] is False

    corrected = upload(client, tokens["province_a"], jiangsu_corrected)
    assert corrected.status_code == 201
    v2 = corrected.json()["submission"]
    assert (v2["version_no"], v2["previous_id"], v2["is_current"]) == (2, v1["id"], True)
    old = client.get(f"/api/v1/submissions/{v1['id']}", headers=bearer(tokens["province_a"]))
    assert old.status_code == 200 and old.json()["is_current"] is False
    assert [r.is_current for r in sorted(_rows(session), key=lambda r: r.version_no)] == [
        False,
        True,
    ]

    # the first file again makes that version current again; no third version is made
    restored = upload(client, tokens["province_a"], jiangsu)
    assert restored.status_code == 200 and restored.json()["restored"] is True
    assert {r.version_no: r.is_current for r in _rows(session)} == {1: True, 2: False}

    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.object_type == "submission")
    ).all()
    assert sorted(actions) == ["submission.create", "submission.create", "submission.restore"]


def test_each_upload_rescores_the_year(client, session, tokens, jiangsu):
    response = upload(client, tokens["province_a"], jiangsu)
    evaluation_id = response.json()["evaluation"]["id"]
    zhejiang = upload(client, tokens["province_b"], workbook("浙江", YEAR))
    assert zhejiang.status_code == 201
    rows = client.get(f"/api/v1/evaluations?year={YEAR}", headers=bearer(tokens["evaluator"]))
    assert sorted(r["province_code"] for r in rows.json()["items"]) == [PROVINCE_A, PROVINCE_B]
    # Jiangsu's first evaluation belongs to a superseded run now: still readable
    old = client.get(f"/api/v1/evaluations/{evaluation_id}", headers=bearer(tokens["evaluator"]))
    assert old.json()["run_status"] == "superseded"


def test_invalid_workbook_is_422_with_report_and_annotated_copy(client, session, tokens):
    data = workbook("江苏", YEAR, invention_patents_per_10k=None, pct_applications="很多")
    response = upload(client, tokens["province_a"], data)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "workbook_invalid" and body["report"]["status"] == "invalid"
    problems = {p["field"]: p for p in body["report"]["problems"] if p["severity"] == "error"}
    assert problems["invention_patents_per_10k"]["code"] == "value.missing"
    assert problems["pct_applications"]["code"] == "value.not_number"
    assert problems["pct_applications"]["sheet"] and problems["pct_applications"]["cell"]
    assert _rows(session) == []
    link = body["annotated_workbook"]
    copy = client.get(link, headers=bearer(tokens["province_a"]))
    assert copy.status_code == 200 and copy.headers["content-type"] == XLSX
    assert "问题汇总 Problems" in openpyxl.load_workbook(io.BytesIO(copy.content)).sheetnames
    assert client.get(link, headers=bearer(tokens["province_b"])).status_code == 404
    assert client.get(link, headers=bearer(tokens["evaluator"])).status_code == 200


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 415),
        (b"province,year\n320000,2020\n", 415),
        (b"PK\x03\x04 not really a zip", 422),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(client, session, tokens, data, status):
    response = upload(client, tokens["province_a"], data)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == "workbook_unreadable" and body["report"]["status"] == "unreadable"
    assert body["detail_zh"] and body["detail_en"]
    assert _rows(session) == []


def test_over_the_size_cap_is_413(settings, engine, session, tokens):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.api.bound import bind

    small = settings.model_copy(update={"max_upload_bytes": 1000})
    app = bind(create_app(small, engine), engine, session)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = upload(client, tokens["province_a"], b"x" * 100_000)
    assert response.status_code == 413 and response.json()["limit_bytes"] == 1000


def test_a_province_cannot_upload_for_another(client, session, tokens):
    response = upload(client, tokens["province_b"], workbook("江苏", YEAR))
    assert response.status_code == 403
    assert response.json()["code"] == "submission_other_province"
    assert _rows(session) == []
    denial = session.exec(select(AuditEvent).where(AuditEvent.outcome == "denied")).one()
    assert denial.detail["code"] == "submission_other_province"


def test_dry_run_checks_and_stores_nothing(client, session, tokens, jiangsu):
    response = upload(client, tokens["province_a"], jiangsu, dry_run=True)
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["report"]["status"] == "valid"
    assert _rows(session) == []


def test_missing_or_malformed_multipart_is_422(client, tokens):
    headers = bearer(tokens["province_a"])
    assert client.post("/api/v1/submissions", headers=headers).status_code == 422
    other_field = client.post(
        "/api/v1/submissions", headers=headers, files={"upload": ("a.xlsx", b"x", XLSX)}
    )
    assert other_field.status_code == 422


@pytest.mark.parametrize("name", ["../../etc/呈报.xlsx", "C:\\Users\\li\\呈报.xlsx"])
def test_client_file_name_is_metadata_only(client, session, tokens, jiangsu, name):
    response = upload(client, tokens["province_a"], jiangsu, name=name)
    assert response.json()["submission"]["filename"] == "呈报.xlsx"


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("a/b\\c.xlsx", "c.xlsx"), ("呈\x00报\x1f.xlsx", "呈报.xlsx"), ("..", ""), (None, "")],
)
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


def test_file_report_and_annotated_report(client, tokens, jiangsu):
    sid = upload(client, tokens["province_a"], jiangsu).json()["submission"]["id"]
    headers = bearer(tokens["province_a"])
    original = client.get(f"/api/v1/submissions/{sid}/file", headers=headers)
    assert original.content == jiangsu and original.headers["content-type"] == XLSX
    assert "attachment" in original.headers["content-disposition"]
    report = client.get(f"/api/v1/submissions/{sid}/report", headers=headers).json()
    assert report["status"] == "valid" and report["file_sha256"]
    xlsx = client.get(f"/api/v1/submissions/{sid}/report.xlsx", headers=headers)
    assert xlsx.status_code == 200
    openpyxl.load_workbook(io.BytesIO(xlsx.content))
    detail = client.get(f"/api/v1/submissions/{sid}", headers=headers).json()
    assert detail["values"]["record"]["unit_id"] == PROVINCE_A


def test_listing_is_limited_to_the_own_province(client, tokens, jiangsu):
    upload(client, tokens["province_a"], jiangsu)
    upload(client, tokens["province_b"], workbook("浙江", YEAR))
    seen = {
        who: sorted(
            s["province_code"]
            for s in client.get("/api/v1/submissions", headers=bearer(tokens[who])).json()["items"]
        )
        for who in ("province_a", "province_b", "evaluator")
    }
    assert seen == {
        "province_a": [PROVINCE_A],
        "province_b": [PROVINCE_B],
        "evaluator": [PROVINCE_A, PROVINCE_B],
    }
    asked = client.get(
        f"/api/v1/submissions?province={PROVINCE_B}", headers=bearer(tokens["province_a"])
    )
    assert asked.json()["items"] == []


def test_template_download(client, tokens):
    own = client.get(f"/api/v1/templates/{YEAR}.xlsx", headers=bearer(tokens["province_a"]))
    assert own.status_code == 200 and own.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(own.content))
    sheet, ref = next(iter(book.defined_names["meta_province_code"].destinations))
    assert book[sheet][ref.replace("$", "")].value == PROVINCE_A
    assert own.content[:2] == template("江苏", YEAR)[:2]
    named = client.get(
        f"/api/v1/templates/{YEAR}.xlsx?province=Zhejiang", headers=bearer(tokens["evaluator"])
    )
    assert named.status_code == 200
    unknown = client.get(
        f"/api/v1/templates/{YEAR}.xlsx?province=Atlantis", headers=bearer(tokens["evaluator"])
    )
    assert unknown.status_code == 422 and unknown.json()["location"] == {"field": "province"}
