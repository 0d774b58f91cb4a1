"""What runs inside the isolated child: read a workbook, or build an annotated copy.

Kept free of pydantic, scoring and the rest of the package so the child starts fast; the
package ``__init__`` is lazy for the same reason.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from app.intake.cells import RawWorkbook


def _read(kind: str, data: bytes) -> RawWorkbook:
    if kind == "xlsx":
        from app.intake.readers import read_xlsx

        return read_xlsx(data)
    if kind == "xls":
        from app.intake.readers import read_xls

        return read_xls(data)
    if kind == "ods":
        from app.intake.readers_ods import read_ods

        return read_ods(data)
    raise ValueError(f"no reader for {kind}")


def _classify(exc: BaseException) -> dict[str, Any]:
    text = f"{type(exc).__name__}: {exc}"[:300]
    lowered = text.lower()
    if isinstance(exc, MemoryError):
        return {"refusal": "reader.memory", "detail": text}
    if "encrypt" in lowered or "password" in lowered:
        return {"refusal": "file.encrypted", "detail": text}
    if any(w in lowered for w in ("dtd", "entit", "forbidden")):
        return {"refusal": "xml.doctype", "detail": text}
    return {"refusal": "file.corrupt", "detail": text}


def child_main(op: str) -> None:
    """Entry point inside the child: input on stdin, the answer on stdout.

    ``op`` is a file kind (read it, answer one JSON document) or ``annotate`` (stdin holds
    an 8-byte length, the report JSON and the file; answer the annotated .xlsx bytes).
    """
    data = sys.stdin.buffer.read()
    if op == "annotate":
        from app.intake.annotate_child import annotate_in_child

        size = int.from_bytes(data[:8], "big")
        sys.stdout.buffer.write(annotate_in_child(data[8 + size :], json.loads(data[8 : 8 + size])))
        sys.stdout.flush()
        return
    try:
        answer: dict[str, Any] = {"workbook": _read(op, data).to_json()}
    except BaseException as exc:  # the child's whole job is to turn any failure into data
        answer = _classify(exc)
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()
