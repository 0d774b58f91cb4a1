"""The batch pages: a re-score's diff for evaluators, and the promote button for admins."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.core.database import unit_of_work
from app.main import create_app
from tests.batches.test_batch_rescore import prepare
from tests.web.conftest import csrf_of, sign_in


@pytest.fixture
def batch_site(fresh_engine):
    engine, settings = fresh_engine
    prepare(engine)  # a tiny rubric v1 (current) and v2, five units scored for 2020
    tokens = {}
    with unit_of_work(engine) as s:
        for role in ("admin", "evaluator"):
            _, tokens[role] = auth_service.create_token(s, settings, role=role)
    client = TestClient(
        create_app(settings, engine), raise_server_exceptions=False, follow_redirects=False
    )
    started = client.post(
        "/api/v1/batches",
        json={"rubric": "tiny-province@2", "years": [2020]},
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    )
    assert started.status_code == 202, started.text
    return client, tokens, started.json()["id"]


def test_evaluator_reads_the_diff_without_a_promote_button(batch_site):
    client, tokens, batch_id = batch_site
    sign_in(client, tokens["evaluator"])
    listing = client.get("/web/batches")
    assert listing.status_code == 200 and f"/web/batches/{batch_id}" in listing.text
    page = client.get(f"/web/batches/{batch_id}")
    assert page.status_code == 200
    assert "pass→reclassify" in page.text  # the transition the tiny v2 rubric causes
    assert "/promote" not in page.text
    refused = client.post(f"/web/batches/{batch_id}/promote", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 403


def test_admin_promotes_with_the_form_and_only_with_its_csrf_token(batch_site):
    client, tokens, batch_id = batch_site
    sign_in(client, tokens["admin"])
    page = client.get(f"/web/batches/{batch_id}")
    assert f"/web/batches/{batch_id}/promote" in page.text and "data-confirm" in page.text
    assert client.post(f"/web/batches/{batch_id}/promote", data={}).status_code == 403
    done = client.post(f"/web/batches/{batch_id}/promote", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303
    after = client.get(f"/web/batches/{batch_id}")
    assert "promoted" in after.text and f"/web/batches/{batch_id}/promote" not in after.text


def test_the_page_shows_what_promoting_changes_before_the_button(batch_site):
    client, tokens, batch_id = batch_site
    sign_in(client, tokens["admin"])
    page = client.get(f"/web/batches/{batch_id}").text
    effect = page[
        page.index("What promoting changes") : page.index(
            "</table>", page.index("What promoting changes")
        )
    ]
    # 2020 was pinned to v1 by its first scoring; promoting assigns v2
    assert "<td>2020</td>" in effect
    assert "tiny-province@1" in effect and "first_scoring" in effect
    assert "<strong>tiny-province@2</strong>" in effect
    # the form comes after the table it describes
    assert page.index("What promoting changes") < page.index(f"/web/batches/{batch_id}/promote")
    done = client.post(f"/web/batches/{batch_id}/promote", data={"csrf": csrf_of(page)})
    assert done.status_code == 303
    after = client.get(f"/web/batches/{batch_id}").text
    assert "nothing staged to promote" in after
    assert "Promoted at 20" in after and "Cannot promote" not in after  # done, not refused
    assert "2020: tiny-province@1 → tiny-province@2" in after  # what promoting assigned
