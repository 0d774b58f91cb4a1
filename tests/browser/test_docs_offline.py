"""/docs and /redoc in real headless Chromium: they render, and nothing leaves the server."""

import httpx
import pytest

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def docs_server(live_server, tmp_path):
    # The documentation needs no database: a settings object pointing at an empty directory.
    settings = Settings(env="test", secret_key=TEST_SECRET, data_dir=tmp_path)  # type: ignore[arg-type]
    return live_server(create_app(settings))


def test_swagger_ui_renders_every_operation_offline(docs_server, page):
    spec = httpx.get(docs_server.url + "/openapi.json").json()
    # Swagger UI shows an operation once under each of its tags
    operations = sum(
        len(op.get("tags") or ["default"])
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in METHODS
    )
    page.goto(docs_server.url + "/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == operations  # every operation, not a blank page
    assert page.locator(".opblock-summary-path", has_text="/api/v1/evaluations").count() >= 1
    assert page.locator("button.authorize").count() == 1
    assert page.offsite_requests() == []
    assert any(u.endswith("/docs-static/swagger-ui-bundle.js") for u in page.requests)


def test_redoc_renders_offline(docs_server, page):
    page.goto(docs_server.url + "/redoc", wait_until="networkidle")
    page.wait_for_selector("[data-section-id]", timeout=20_000)
    assert page.locator("h1", has_text="ipeval").count() == 1
    assert page.offsite_requests() == []


def test_docs_pages_forbid_other_origins(docs_server):
    for path in ("/docs", "/redoc"):
        response = httpx.get(docs_server.url + path)
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    # Swagger UI would send the spec to validator.swagger.io from any non-loopback host
    assert '"validatorUrl": null' in httpx.get(docs_server.url + "/docs").text
    bundle = httpx.get(docs_server.url + "/docs-static/redoc.standalone.js")
    assert bundle.status_code == 200 and b"cdn.redoc.ly" not in bundle.content
