"""Serving stored bytes as a download that a browser never renders inline nor re-sniffs."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response


def attachment(data: bytes, filename: str, media_type: str, sha256: str) -> Response:
    """``data`` as an attachment named ``filename``, typed ``media_type``, ETag ``sha256``.

    ``X-Content-Type-Options: nosniff`` stops a browser from guessing another type, and the
    sandbox CSP keeps anything opened from the response from running script.
    """
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "ETag": f'"{sha256}"',
        },
    )
