"""One list convention: every collection endpoint pages the same way and validates filters."""

import typing

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import select

from app.audit import service as audit_service
from app.core.listing import Page, Pager, Window
from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.intake.check import check_workbook
from app.intake.spec import TYPE_LABELS
from app.main import create_app
from scoring import load_shipped
from tests.evaluations.builders import add_submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

from .conftest import PROVINCE_A, bearer

YEAR = 2020
COLLECTIONS = (
    "/api/v1/submissions",
    "/api/v1/evaluations",
    "/api/v1/rubrics",
    "/api/v1/batches",
    "/api/v1/audit",
    "/api/v1/review-rounds",
    "/api/v1/notices",
    "/api/v1/appeals",
)


@pytest.fixture
def evaluation(session, settings) -> Evaluation:
    report = check_workbook(workbook("江苏", YEAR), rubric_root=RUBRICS)
    rubric = load_shipped("strong-province@1", root=RUBRICS)
    add_submission(session, rubric, report.submission["record"], year=YEAR)
    run = evaluations_service.rescore_year(session, settings, YEAR)
    row = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).one()
    session.commit()
    return row


def test_no_route_answers_a_bare_list(settings):
    """A new collection endpoint must use Page (app/core/listing.py), not list[...]."""
    routes = [
        context
        for context in iter_route_contexts(create_app(settings).routes)
        if isinstance(context.original_route, APIRoute) and "GET" in (context.methods or ())
    ]
    assert len(routes) > 20  # the check sees the included routers' routes
    bare = [c.path_format for c in routes if typing.get_origin(c.response_model) is list]
    assert bare == []


@pytest.mark.parametrize(
    "path", [*COLLECTIONS, "/api/v1/evaluations/{id}/reviews", "/api/v1/submissions/{sub}/evidence"]
)
def test_every_collection_has_the_envelope_and_links(client, tokens, evaluation, path):
    url = path.replace("{id}", str(evaluation.id)).replace("{sub}", str(evaluation.submission_id))
    response = client.get(url, params={"limit": 1}, headers=bearer(tokens["admin"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["limit"], body["offset"]) == (1, 0)
    assert len(body["items"]) == min(1, body["total"])
    assert 'rel="first"' in response.headers["link"]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        refused = client.get(url, params=bad, headers=bearer(tokens["admin"]))
        assert refused.status_code == 422, (url, bad)


def test_link_header_names_the_neighbouring_pages(client, session, tokens):
    for _ in range(5):
        audit_service.record(session, None, "test.paging", system_actor="cli")
    session.commit()
    response = client.get(
        "/api/v1/audit",
        params={"action": "test.paging", "limit": 2, "offset": 2},
        headers=bearer(tokens["admin"]),
    )
    body = response.json()
    assert (body["total"], len(body["items"])) == (5, 2)
    # 5 rows in pages of 2 starting at 2: prev starts at 2-2 = 0, next at 2+2 = 4,
    # and the last page at (5-1)//2*2 = 4.
    links = dict(
        (part.split("; ")[1], part.split("; ")[0]) for part in response.headers["link"].split(", ")
    )
    assert set(links) == {'rel="first"', 'rel="prev"', 'rel="next"', 'rel="last"'}
    assert "offset=0" in links['rel="first"'] and "offset=0" in links['rel="prev"']
    assert "offset=4" in links['rel="next"'] and "offset=4" in links['rel="last"']
    assert all("action=test.paging" in u and "limit=2" in u for u in links.values())


def test_link_header_is_percent_encoded(client, tokens, evaluation):
    response = client.get(
        "/api/v1/evaluations", params={"province": "江苏"}, headers=bearer(tokens["admin"])
    )
    assert response.status_code == 200
    assert "province=%E6%B1%9F%E8%8B%8F" in response.headers["link"]


class _Url:
    def include_query_params(self, **params: int) -> str:
        return "?" + "&".join(f"{k}={v}" for k, v in params.items())


class _Request:
    url = _Url()


class _Response:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


@pytest.mark.parametrize(
    ("total", "limit", "offset", "rels"),
    [
        # (total, limit, offset) -> the offsets each link points at, worked out by hand
        (0, 10, 0, {"first": 0, "last": 0}),  # empty: first and last both the first page
        (10, 10, 0, {"first": 0, "last": 0}),  # exactly one full page: no next
        (11, 10, 0, {"first": 0, "next": 10, "last": 10}),
        (25, 10, 20, {"first": 0, "prev": 10, "last": 20}),
        (25, 10, 5, {"first": 0, "prev": 0, "next": 15, "last": 20}),  # prev never below 0
    ],
)
def test_pager_link_table(total, limit, offset, rels):
    response = _Response()
    pager = Pager(_Request(), response, limit=limit, offset=offset)  # type: ignore[arg-type]
    page = pager.page([], total)
    assert isinstance(page, Page) and (page.total, page.limit, page.offset) == (
        total,
        limit,
        offset,
    )
    found = {
        part.split('rel="')[1].rstrip('"'): int(part.split("offset=")[1].split(">")[0])
        for part in response.headers["Link"].split(", ")
    }
    assert found == rels
    assert pager.window == Window(limit=limit, offset=offset)


def test_filters_validate_their_values(client, tokens, evaluation):
    ev = bearer(tokens["evaluator"])
    decision = client.get("/api/v1/evaluations", params={"decision": "foo"}, headers=ev)
    assert decision.status_code == 422
    assert decision.json()["errors"][0]["location"] == {"field": "query.decision"}
    unknown_type = client.get("/api/v1/evaluations", params={"type": "最强型"}, headers=ev)
    assert unknown_type.status_code == 422
    assert unknown_type.json()["errors"][0]["location"] == {"field": "query.type"}
    province = client.get("/api/v1/submissions", params={"province": "Atlantis"}, headers=ev)
    assert province.status_code == 422 and province.json()["code"] == "province_unknown"
    outcome = client.get(
        "/api/v1/audit", params={"outcome": "maybe"}, headers=bearer(tokens["admin"])
    )
    assert outcome.status_code == 422


def test_type_and_province_resolve_in_any_language(client, tokens, evaluation):
    ev = bearer(tokens["evaluator"])

    def ids(path, **params):
        response = client.get(path, params=params, headers=ev)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    stored = evaluation.unit_type
    assert ids("/api/v1/evaluations", type=TYPE_LABELS[stored]) == [evaluation.id]
    assert ids("/api/v1/evaluations", type=stored) == [evaluation.id]
    other = next(t for t in ("leading", "supporting", "characteristic") if t != stored)
    assert ids("/api/v1/evaluations", type=TYPE_LABELS[other]) == []
    by_code = ids("/api/v1/submissions", province=PROVINCE_A)
    assert by_code and ids("/api/v1/submissions", province="江苏") == by_code
    assert ids("/api/v1/submissions", province="Jiangsu Province") == by_code


def test_rows_carry_province_names(client, tokens, evaluation):
    ev = bearer(tokens["evaluator"])
    for path in ("/api/v1/evaluations", "/api/v1/submissions"):
        row = client.get(path, headers=ev).json()["items"][0]
        assert (row["province_code"], row["province_name_zh"], row["province_name_en"]) == (
            PROVINCE_A,
            "江苏省",
            "Jiangsu",
        )
    client.post(
        f"/api/v1/evaluations/{evaluation.id}/review", headers=ev, json={"action": "confirm"}
    )
    review = client.get(f"/api/v1/evaluations/{evaluation.id}/reviews", headers=ev).json()
    assert review["items"][0]["province_name_en"] == "Jiangsu"
