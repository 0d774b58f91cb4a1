"""The authorisation matrix: every endpoint x anonymous, province A, province B, evaluator, admin.

One database per backend is seeded through the real upload path (province A = Jiangsu,
province B = Zhejiang, 2020); each row names the request and the status each caller gets.
401: no valid token; 403: the role lacks the right; 404: another province's object (no
existence leak). ``OK`` marks an allowed call to an endpoint owned by the rubric or batch
work, whose exact success status is theirs to define (anything but 401/403/5xx).
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.database import unit_of_work
from app.main import create_app
from tests.submissions.workbooks import workbook

from .conftest import bearer

CALLERS = ("anonymous", "province_a", "province_b", "evaluator", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OK = "ok"


@dataclass
class World:
    client: TestClient
    engine: Any
    tokens: dict[str, str | None]
    ids: dict[str, Any]
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def world(db_factory):
    engine, settings = db_factory.create()
    tokens: dict[str, str | None] = {"anonymous": None}
    with unit_of_work(engine) as session:
        for name, role, province in (
            ("province_a", "province", "320000"),
            ("province_b", "province", "330000"),
            ("evaluator", "evaluator", None),
            ("admin", "admin", None),
        ):
            _, tokens[name] = auth_service.create_token(
                session, settings, role=role, province_code=province
            )
    files = {
        "a": workbook("江苏", 2020),
        "b": workbook("浙江", 2020),
        "a_invalid": workbook("江苏", 2020, pct_applications="很多"),
    }
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:

        def up(token: str | None, data: bytes) -> Any:
            return client.post(
                "/api/v1/submissions",
                headers=bearer(token),
                files={"file": ("w.xlsx", data, XLSX)},
            )

        a = up(tokens["province_a"], files["a"]).json()
        b = up(tokens["province_b"], files["b"]).json()
        invalid = up(tokens["province_a"], files["a_invalid"]).json()
        # B's upload re-scored the year: A's evaluation in the current run is a new one
        listed = client.get("/api/v1/evaluations", headers=bearer(tokens["province_a"]))
        current = listed.json()["items"]
        ids = {
            "a_sub": a["submission"]["id"],
            "b_sub": b["submission"]["id"],
            "a_eval": current[0]["id"],
            "key": invalid["annotated_workbook"].rsplit("/checks/", 1)[1].split("/")[0],
        }
        ids.update(_review_world(client, engine, settings, tokens, ids))
        yield World(client, engine, tokens, ids, files)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _review_world(client, engine, settings, tokens, ids) -> dict[str, Any]:
    """Rounds, panels, a notice, an appeal and an evidence file for the review rows.

    2020 round: Zhejiang's panel is the matrix evaluator (chair) and two others, who have
    graded; Jiangsu is confirmed by a plain review and published (notice 1), then appeals,
    with a re-review panel chaired by the matrix evaluator, whose two others have graded. A
    2019 round takes a new panel.
    """
    with unit_of_work(engine) as session:
        extra = [
            auth_service.create_token(session, settings, role="evaluator", label=f"x{i}")
            for i in range(4)
        ]
    x = [(t.id, plaintext) for t, plaintext in extra]
    admin = bearer(tokens["admin"])
    me = client.get("/api/v1/me", headers=bearer(tokens["evaluator"])).json()["token_id"]
    rubric = next(
        r for r in client.get("/api/v1/rubrics", headers=admin).json()["items"] if r["is_current"]
    )
    ref = f"{rubric['rubric_id']}@{rubric['version']}"
    rounds = {}
    for year in (2020, 2019):
        body = {"year": year, "rubric": ref, "opens_at": "2020-01-01T00:00:00Z"}
        body["deadline"] = "2099-12-31T00:00:00Z"
        made = client.post("/api/v1/review-rounds", headers=admin, json=body)
        assert made.status_code == 201, made.text
        rounds[year] = made.json()["id"]
    r = client.post(
        f"/api/v1/evaluations/{ids['a_eval']}/review", headers=admin, json={"action": "confirm"}
    )
    assert r.status_code == 201, r.text
    notice = client.post("/api/v1/notices", headers=admin, json={"year": 2020}).json()
    panel = {"province": "330000", "evaluators": [me, x[0][0], x[1][0]], "chair": me}
    r = client.post(f"/api/v1/review-rounds/{rounds[2020]}/panels", headers=admin, json=panel)
    assert r.status_code == 201, r.text
    view = client.get(
        f"/api/v1/review-rounds/{rounds[2020]}/provinces/330000", headers=bearer(x[0][1])
    ).json()
    grades = {t["task"]: "done" for t in view["tasks"]}
    for _, token in x[:2]:
        r = client.post(
            f"/api/v1/review-rounds/{rounds[2020]}/provinces/330000/grades",
            headers=bearer(token),
            json={"grades": grades},
        )
        assert r.status_code == 201, r.text
    appeal = client.post(
        "/api/v1/appeals",
        headers=bearer(tokens["province_a"]),
        json={"notice_id": notice["id"], "reason": "复核"},
    ).json()
    panel = {"province": "320000", "evaluators": [me, x[2][0], x[3][0]], "chair": me}
    r = client.post(
        f"/api/v1/review-rounds/{rounds[2020]}/panels",
        headers=admin,
        json={**panel, "appeal_id": appeal["id"]},
    )
    assert r.status_code == 201, r.text
    view = client.get(
        f"/api/v1/review-rounds/{rounds[2020]}/provinces/320000?appeal_id={appeal['id']}",
        headers=bearer(x[2][1]),
    ).json()
    grades_a = {t["task"]: "done" for t in view["tasks"]}
    for _, token in x[2:]:
        r = client.post(
            f"/api/v1/review-rounds/{rounds[2020]}/provinces/320000/grades",
            headers=bearer(token),
            json={"grades": grades_a, "appeal_id": appeal["id"]},
        )
        assert r.status_code == 201, r.text
    evidence = client.post(
        f"/api/v1/submissions/{ids['a_sub']}/evidence?kind=self_report",
        headers=bearer(tokens["province_a"]),
        files={"file": ("自评估报告.pdf", PDF, "application/pdf")},
    )
    assert evidence.status_code == 201, evidence.text
    return {
        "round": rounds[2020],
        "round2019": rounds[2019],
        "notice": notice["id"],
        "appeal_a": appeal["id"],
        "a_evid": evidence.json()["id"],
        "grades": grades,
        "grades_a": grades_a,
        "extra": [i for i, _ in x],
    }


def _confirm(_: World) -> dict[str, Any]:
    return {"json": {"action": "confirm", "comments": "ok"}}


def _upload(which: str, dry: bool = False):
    def build(w: World) -> dict[str, Any]:
        return {"files": {"file": ("w.xlsx", w.files[which], XLSX)}}

    return build


def _json(body: Any):
    def build(w: World) -> dict[str, Any]:
        return {"json": body(w) if callable(body) else body}

    return build


def _pdf(query: str = ""):
    def build(_: World) -> dict[str, Any]:
        return {"files": {"file": ("材料.pdf", PDF, "application/pdf")}}

    return build


NEW_ROUND = {
    "year": 2021,
    "rubric": "strong-province@2",
    "opens_at": "2021-01-01T00:00:00Z",
    "deadline": "2099-12-31T00:00:00Z",
}
PANEL_2019 = _json(
    lambda w: {"province": "360000", "evaluators": w.ids["extra"][:3], "chair": w.ids["extra"][0]}
)
REVIEW_ROWS: list[tuple[str, str, Any, tuple[Any, ...]]] = [
    ("GET", "/review-rounds", None, (401, 200, 200, 200, 200)),
    ("POST", "/review-rounds", _json(NEW_ROUND), (401, 403, 403, 403, 201)),
    ("GET", "/review-rounds/{round}", None, (401, 200, 200, 200, 200)),
    ("POST", "/review-rounds/{round2019}/panels", PANEL_2019, (401, 403, 403, 403, 201)),
    ("GET", "/review-rounds/{round}/provinces/330000", None, (401, 403, 403, 200, 200)),
    # the matrix evaluator is Zhejiang's chair; the admin sits on no panel
    (
        "POST",
        "/review-rounds/{round}/provinces/330000/grades",
        _json(lambda w: {"grades": w.ids["grades"]}),
        (401, 403, 403, 201, 403),
    ),
    (
        "POST",
        "/review-rounds/{round}/provinces/330000/settlements",
        _json({"task": "task_l1", "status": "done", "reason": "r"}),
        (401, 403, 403, 409, 403),  # 409: nothing is disputed
    ),
    (
        "POST",
        "/review-rounds/{round}/provinces/330000/dissents",
        _json({"text": "保留意见"}),
        (401, 403, 403, 201, 403),
    ),
    (
        "POST",
        "/review-rounds/{round}/provinces/330000/decision",
        _json({"action": "confirm"}),
        (401, 403, 403, 201, 403),
    ),
    # Jiangsu has an open appeal; Zhejiang is not in notice 1
    (
        "POST",
        "/appeals",
        _json(lambda w: {"notice_id": w.ids["notice"], "reason": "复核"}),
        (401, 409, 409, 403, 403),
    ),
    ("POST", "/notices", _json({"year": 2020}), (401, 403, 403, 403, 201)),
    ("GET", "/notices", None, (401, 200, 200, 200, 200)),
    ("GET", "/notices/{notice}", None, (401, 200, 200, 200, 200)),
    ("GET", "/notices/{notice}.json", None, (401, 200, 200, 200, 200)),
    ("GET", "/notices/987654", None, (401, 404, 404, 404, 404)),
    ("GET", "/appeals", None, (401, 200, 200, 200, 200)),
    ("GET", "/appeals/{appeal_a}", None, (401, 200, 404, 200, 200)),
    ("POST", "/appeals/{appeal_a}/evidence", _pdf(), (401, 201, 404, 403, 403)),
    # the matrix evaluator chairs Jiangsu's re-review: it grades for the appeal, then decides
    (
        "POST",
        "/review-rounds/{round}/provinces/320000/grades",
        _json(lambda w: {"grades": w.ids["grades_a"], "appeal_id": w.ids["appeal_a"]}),
        (401, 403, 403, 201, 403),
    ),
    (
        "POST",
        "/appeals/{appeal_a}/decision",
        _json({"outcome": "upheld", "reason": "维持"}),
        (401, 403, 403, 200, 403),
    ),
    ("POST", "/submissions/{a_sub}/evidence?kind=self_report", _pdf(), (401, 201, 404, 403, 201)),
    ("GET", "/submissions/{a_sub}/evidence", None, (401, 200, 404, 200, 200)),
    ("GET", "/evidence/{a_evid}", None, (401, 200, 404, 200, 200)),
    ("GET", "/evidence/987654", None, (401, 404, 404, 404, 404)),
]

# (method, path, request builder, statuses for CALLERS)
MATRIX: list[tuple[str, str, Any, tuple[Any, ...]]] = [
    ("GET", "/me", None, (401, 200, 200, 200, 200)),
    ("GET", "/audit", None, (401, 403, 403, 403, 200)),
    ("GET", "/submissions", None, (401, 200, 200, 200, 200)),
    ("GET", "/submissions/{a_sub}", None, (401, 200, 404, 200, 200)),
    ("GET", "/submissions/{b_sub}", None, (401, 404, 200, 200, 200)),
    ("GET", "/submissions/{a_sub}/file", None, (401, 200, 404, 200, 200)),
    ("GET", "/submissions/{a_sub}/report", None, (401, 200, 404, 200, 200)),
    ("GET", "/submissions/{a_sub}/report.xlsx", None, (401, 200, 404, 200, 200)),
    ("GET", "/submissions/checks/{key}/annotated.xlsx", None, (401, 200, 404, 200, 200)),
    ("GET", "/submissions/987654", None, (401, 404, 404, 404, 404)),
    # the identical file again: 200 with the stored version
    ("POST", "/submissions", _upload("a"), (401, 200, 403, 403, 200)),
    ("POST", "/submissions?dry_run=true", _upload("b"), (401, 403, 200, 403, 200)),
    ("GET", "/templates/2020.xlsx?province=320000", None, (401, 200, 200, 200, 200)),
    ("GET", "/evaluations", None, (401, 200, 200, 200, 200)),
    ("GET", "/evaluations?year=2020&sort=-total", None, (401, 200, 200, 200, 200)),
    ("GET", "/evaluations/{a_eval}", None, (401, 200, 404, 200, 200)),
    ("GET", "/evaluations/987654", None, (401, 404, 404, 404, 404)),
    ("GET", "/evaluations/2020/320000", None, (401, 200, 404, 200, 200)),
    ("GET", "/evaluations/2020/江苏", None, (401, 200, 404, 200, 200)),
    ("GET", "/evaluations/2019/320000", None, (401, 404, 404, 404, 404)),
    ("GET", "/evaluations/2020/320000/letter.docx", None, (401, 200, 404, 200, 200)),
    ("GET", "/evaluations/2019/320000/letter.docx", None, (401, 404, 404, 404, 404)),
    ("GET", "/evaluations/2020.xlsx", None, (401, 403, 403, 200, 200)),
    ("GET", "/years", None, (401, 200, 200, 200, 200)),
    ("GET", "/years/2020/rubric", None, (401, 200, 200, 200, 200)),
    ("PUT", "/years/2020/rubric", None, (401, 403, 403, 403, OK)),
    # the programme register is the programme's public record: every role reads it
    ("GET", "/programme?year=2020", None, (401, 200, 200, 200, 200)),
    ("GET", "/programme/320000", None, (401, 200, 200, 200, 200)),
    (
        "PUT",
        "/programme/330000/2021",
        _json({"unit_type": "leading", "stage": "pilot", "reason": "更正"}),
        (401, 403, 403, 403, 201),
    ),
    # Jiangsu's appeal has a re-review panel (see _review_world): the panel decides, a plain
    # review is refused (tests/api/test_reviews_api.py covers plain reviews)
    ("POST", "/evaluations/{a_eval}/review", _confirm, (401, 403, 403, 409, 409)),
    ("GET", "/evaluations/{a_eval}/reviews", None, (401, 200, 404, 200, 200)),
    # rubric and batch endpoints: role checks only
    ("GET", "/rubrics", None, (401, OK, OK, OK, OK)),
    ("POST", "/rubrics", None, (401, 403, 403, 403, OK)),
    ("PUT", "/rubrics/strong-province/current", None, (401, 403, 403, 403, OK)),
    ("GET", "/batches", None, (401, 403, 403, OK, OK)),
    ("POST", "/batches", None, (401, 403, 403, 403, OK)),
    ("GET", "/batches/987654", None, (401, 403, 403, OK, OK)),
    ("POST", "/batches/987654/promote", None, (401, 403, 403, 403, OK)),
    ("GET", "/batches/987654/diff", None, (401, 403, 403, OK, OK)),
    ("GET", "/batches/987654/promotion", None, (401, 403, 403, OK, OK)),
    *REVIEW_ROWS,
]

CASES = [
    pytest.param(method, path, build, caller, expected, id=f"{method} {path} {caller}")
    for method, path, build, statuses in MATRIX
    for caller, expected in zip(CALLERS, statuses, strict=True)
]


@pytest.mark.parametrize(("method", "path", "build", "caller", "expected"), CASES)
def test_matrix(world, method, path, build, caller, expected):
    url = "/api/v1" + path.format(**world.ids)
    kwargs = build(world) if build else {}
    response = world.client.request(method, url, headers=bearer(world.tokens[caller]), **kwargs)
    if expected == OK:
        assert response.status_code not in (401, 403) and response.status_code < 500, response.text
    else:
        assert response.status_code == expected, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


# Endpoints of the rubric and batch work not in the table (their tests cover them); every
# other endpoint must have a row.
NOT_IN_TABLE = {
    ("GET", "/api/v1/rubrics/{rubric_id}/{version}"),
    ("GET", "/api/v1/rubrics/{rubric_id}/{version}.toml"),
    ("GET", "/api/v1/batches/{batch_id}/diff.xlsx"),
}


def _template_of(path: str, templates: list[str]) -> str | None:
    for template in templates:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


def test_the_matrix_covers_every_endpoint(world):
    paths = world.client.get("/openapi.json").json()["paths"]
    # most specific first (fewest parameters, then most literal text), so /report.xlsx is
    # not taken for /{submission_id}, nor /{year}.xlsx for /{evaluation_id}
    templates = sorted(paths, key=lambda t: (t.count("{"), -len(re.sub(r"\{[^}]+\}", "", t))))
    covered = {
        (m, _template_of("/api/v1" + p.split("?")[0].format(**world.ids), templates))
        for m, p, _, _ in MATRIX
    }
    every = {(m.upper(), t) for t, methods in paths.items() for m in methods}
    every.discard(("GET", "/api/v1/health"))
    every.discard(("GET", "/api/v1/health/live"))  # public liveness probe, no data
    assert every - covered - NOT_IN_TABLE == set()


def test_every_api_route_refuses_anonymous_callers(world):
    for path, methods in world.client.get("/openapi.json").json()["paths"].items():
        if path in ("/api/v1/health", "/api/v1/health/live"):  # public by design
            continue
        url = path.replace("{year}", "2020").replace("{", "").replace("}", "")
        for method in methods:
            response = world.client.request(method.upper(), url)
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"


def test_denials_are_in_the_audit_log(world):
    world.client.get(
        f"/api/v1/submissions/{world.ids['a_sub']}", headers=bearer(world.tokens["province_b"])
    )
    with Session(world.engine) as session:
        hidden = session.exec(
            select(AuditEvent).where(
                AuditEvent.outcome == "denied",
                AuditEvent.object_type == "submission",
                AuditEvent.object_id == str(world.ids["a_sub"]),
            )
        ).all()
    assert hidden and all(e.actor_province == "330000" for e in hidden)
    assert all(e.detail["status"] == 404 for e in hidden)
