"""Browser fixtures: a live uvicorn on a free loopback port, and Debian's headless Chromium.

Registered for the whole suite in ``tests/conftest.py`` (``pytest_plugins``), so any test can
ask for them::

    def test_page(live_server, page, settings, engine):
        server = live_server(create_app(settings, engine))
        page.goto(server.url + "/docs")
        assert page.offsite_requests() == []

``live_server(asgi_app)`` starts uvicorn in a thread and returns a :class:`LiveServer`; every
server is stopped when the test ends. ``browser`` is one Chromium per session, driven by
Playwright from PyPI and pointed at the system browser (never ``playwright install``).
``page`` is a fresh browser context per test that records every request it makes
(``page.requests``), answers ``page.offsite_requests()`` (requests to any host but the live
servers), and saves a full-page screenshot to ``tests/artifacts/<test name>.png`` at the end.
Without ``/usr/bin/chromium`` the browser tests skip, except in CI (``CI=true``) where they
fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.needs import missing

CHROMIUM = os.environ.get("IPEVAL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL (``http://127.0.0.1:PORT``), host and port."""

    url: str
    host: str
    port: int


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class _Uvicorn(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread may not install them
        pass


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``live_server(asgi_app, **uvicorn_config)`` serves it on a free loopback port."""
    running: list[tuple[_Uvicorn, threading.Thread]] = []

    def start(app: Any, **config: Any) -> LiveServer:
        host = "127.0.0.1"
        port = free_port(host)
        server = _Uvicorn(uvicorn.Config(app, host=host, port=port, log_level="warning", **config))
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {host}:{port}")
            time.sleep(0.02)
        running.append((server, thread))
        return LiveServer(url=f"http://{host}:{port}", host=host, port=port)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright (one per test session)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        missing(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class RecordingPage:
    """A Playwright page that records every request it makes; other attributes pass through."""

    def __init__(self, page: Any) -> None:
        self._page = page
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)

    def offsite_requests(self, *allowed: str) -> list[str]:
        """Requests to any host other than the loopback servers (and ``allowed`` hosts)."""
        local = {"127.0.0.1", "localhost", *allowed}
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob", "about")
            and urlsplit(url).hostname not in local
        ]


def artifact_path(request: pytest.FixtureRequest, suffix: str = ".png") -> Path:
    """Where a test's artifact goes: ``tests/artifacts/<module>__<test>[params]<suffix>``."""
    name = f"{Path(request.node.path).stem}__{request.node.name}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^\w.\-\[\]]+", "_", name) + suffix)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[RecordingPage]:
    """A fresh context and page (1280x900); a full-page screenshot is saved at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    recording = RecordingPage(context.new_page())
    try:
        yield recording
    finally:
        try:
            recording.screenshot(path=str(artifact_path(request)), full_page=True)
        finally:
            context.close()
