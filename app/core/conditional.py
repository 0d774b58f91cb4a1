"""Conditional GET (RFC 9110 §13.1.2): an ETag over the body, 304 for a matching
``If-None-Match``.

The tag is the sha256 of the exact body, so it changes whenever anything in the answer does
(a review, a successor, robustness), and a client that has the answer revalidates it for the
price of the reads that decide it, without the body. ``Cache-Control: private, no-cache``
lets only the client's own cache keep it, and only with revalidation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from fastapi import Request, Response

CACHE_CONTROL = "private, no-cache"


def entity_tag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag``: weak comparison (``W/`` ignored), ``*``
    matches anything."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def json_response(request: Request, body: bytes, headers: Mapping[str, str] = {}) -> Response:
    """``body`` (JSON) with its ETag; 304 and no body when the request already has it."""
    tag = entity_tag(body)
    out = {**headers, "ETag": tag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=out)
    return Response(body, media_type="application/json", headers=out)
