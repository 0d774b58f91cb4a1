"""Bearer authentication, role checks and the audit of denied requests, over HTTP."""

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.auth import service as auth_service

from .conftest import PROVINCE_A, bearer


def _denials(session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.outcome == "denied")).all())


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer ipe_not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "ipe_without_scheme"},
    ],
)
def test_missing_or_wrong_token_is_401_problem_with_challenge(client, session, tokens, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unauthenticated" and body["detail_zh"] and body["detail_en"]
    [denial] = _denials(session)
    assert (denial.actor_role, denial.action, denial.detail["status"]) == (
        "anonymous",
        "request.denied",
        401,
    )
    assert denial.detail["path"] == "/api/v1/me"


def test_revoked_token_is_401(client, session, settings):
    token, plaintext = auth_service.create_token(session, settings, role="admin")
    auth_service.revoke(session, token.id)
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 401


def test_me_reports_role_and_province(client, tokens):
    body = client.get("/api/v1/me", headers=bearer(tokens["province_a"])).json()
    assert (body["role"], body["province_code"]) == ("province", PROVINCE_A)
    body = client.get("/api/v1/me", headers=bearer(tokens["evaluator"])).json()
    assert (body["role"], body["province_code"]) == ("evaluator", None)


@pytest.mark.parametrize("caller", ["province_a", "evaluator"])
def test_role_lacking_the_right_is_403_and_audited(client, session, tokens, caller):
    response = client.get("/api/v1/audit", headers=bearer(tokens[caller]))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden" and body["required_roles"] == ["admin"]
    [denial] = _denials(session)
    assert denial.actor_role == caller.split("_")[0] and denial.detail["status"] == 403


def test_admin_reads_the_audit_log_newest_first_with_filters(client, session, tokens):
    client.get("/api/v1/me")  # one anonymous denial
    client.get("/api/v1/audit", headers=bearer(tokens["evaluator"]))  # one 403
    response = client.get("/api/v1/audit?outcome=denied", headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 2
    assert [e["detail"]["status"] for e in page["items"]] == [403, 401]
    paged = client.get(
        "/api/v1/audit?outcome=denied&limit=1&offset=1", headers=bearer(tokens["admin"])
    )
    assert [e["detail"]["status"] for e in paged.json()["items"]] == [401]


def test_audit_log_has_no_write_routes(client, tokens):
    for method in ("post", "put", "patch", "delete"):
        response = client.request(method, "/api/v1/audit", headers=bearer(tokens["admin"]))
        assert response.status_code == 405
