"""Load: 64 connections at once against a real `ipeval serve`, driven by wrk: no errors.

Not a timing test (the machine is shared); what must hold is that every request is answered
with a 2xx — none stalls past wrk's 30 s timeout, none fails for want of a database
connection — on list, detail and upload at once. Uses bench/api.py's harness.
"""

from __future__ import annotations

import re
import shutil
import socket
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import api as bench_api

from tests.needs import missing


@pytest.fixture(scope="module")
def served(db_backend, tmp_path_factory) -> Iterator[tuple[bench_api.Target, Path]]:
    """A database of the demo's 2020 cohort, shared by this module's servers."""
    tmp = tmp_path_factory.mktemp("load")
    with bench_api.database(db_backend, tmp) as target:
        if target is None:
            missing("PostgreSQL is not reachable")
        yield target, tmp


def test_64_connections_get_no_errors(served):
    if shutil.which("wrk") is None:
        missing("wrk is not installed (apt-get install wrk)")
    target, tmp = served
    with bench_api.server(target, tmp) as base:
        # warm up (the pool's first connections), then 64 connections at once
        bench_api.measure(base, target, tmp, connections=[4], seconds=1, only=["detail"])
        figures = bench_api.measure(
            base, target, tmp, connections=[64], seconds=3, only=["list", "detail"]
        )
        # a check takes a reader slot for ~0.1 s, so uploads get longer to show progress
        figures += bench_api.measure(
            base, target, tmp, connections=[64], seconds=4, only=["upload"]
        )
    assert {f.scenario for f in figures} == {"list", "detail", "upload"}
    for figure in figures:
        assert figure.requests > 0, figure
        assert figure.errors == 0, figure


def _get(url: str, token: str) -> int:
    ask = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(ask, timeout=10) as answer:
        return int(answer.status)


def _stalled_upload(
    base: str, path: str, headers: str, workbook: Path, reads: list[str], token: str, **fields: str
) -> bytes:
    """POST ``workbook`` (and form ``fields``) to ``path`` over a raw socket: headers and half
    the body, then each of ``reads`` must be answered 200, then the rest; the raw answer."""
    boundary = "ipevalstalled"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    body = (
        (
            f"{parts}--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="w.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + workbook.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    where = urlsplit(base)
    with socket.create_connection((where.hostname, where.port), timeout=30) as stalled:
        stalled.sendall(head + body[: len(body) // 2])
        for read in reads:
            assert _get(base + read, token) == 200, read
        # the stalled upload then finishes, and is checked as any other
        stalled.sendall(body[len(body) // 2 :])
        answer = b""
        while chunk := stalled.recv(65536):
            answer += chunk
    return answer


def test_an_upload_still_arriving_holds_no_database_slot(served):
    # One database slot. A province sends an upload's headers and half its body, then
    # stalls (a slow line, or a hostile client). Reads must still be answered: the body is
    # received, and the workbook checked, before the upload takes a slot. (Received inside
    # the slot, the stalled upload held the only one, and each read below timed out.)
    target, tmp = served
    with bench_api.server(target, tmp, env={"IPEVAL_DB_POOL_SIZE": "1"}) as base:
        answer = _stalled_upload(
            base,
            "/api/v1/submissions?dry_run=true",
            f"Authorization: Bearer {target.province}\r\n",
            target.workbook,
            [
                "/api/v1/evaluations?year=2020",
                f"/api/v1/evaluations/{target.evaluation_id}",
                "/api/v1/evaluations/2020/440000",
            ],
            target.evaluator,
        )
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"province_code":"440000"' in answer


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]*)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_a_web_upload_still_arriving_holds_no_database_slot(served):
    # The same stalled upload through the province's home page (session cookie and CSRF
    # token), which once received its form inside the page's session: reads still answered.
    target, tmp = served
    with bench_api.server(target, tmp, env={"IPEVAL_DB_POOL_SIZE": "1"}) as base:
        with httpx.Client(base_url=base, timeout=10) as browser:
            login = {"token": target.province, "next": "/web/"}
            login["csrf"] = _csrf(browser.get("/web/login").text)
            assert browser.post("/web/login", data=login).status_code == 303
            csrf = _csrf(browser.get("/web/home").text)
            cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        answer = _stalled_upload(
            base,
            "/web/home/upload",
            f"Cookie: {cookie}\r\n",
            target.workbook,
            ["/api/v1/evaluations?year=2020", "/api/v1/evaluations/2020/440000"],
            target.evaluator,
            csrf=csrf,
        )
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert b"Stored as version" in answer  # the home page with the stored result
