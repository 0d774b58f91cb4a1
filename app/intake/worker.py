"""What runs inside the isolated child: read a workbook, or build an annotated copy.

Kept free of pydantic, scoring and the rest of the package so the child starts fast; the
package ``__init__`` is lazy for the same reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import gc
import json
import os
import resource
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from app.intake.cells import RawWorkbook


def _read(kind: str, data: bytes) -> RawWorkbook:
    if kind == "xlsx":
        from app.intake.readers_xlsx import read_xlsx

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


def run_op(op: str, data: bytes) -> bytes:
    """``op`` is a file kind (read it; answer one JSON document) or ``annotate`` (``data``
    holds an 8-byte length, the report JSON and the file; answer the annotated .xlsx)."""
    if op == "annotate":
        from app.intake.annotate_child import annotate_in_child

        size = int.from_bytes(data[:8], "big")
        return annotate_in_child(data[8 + size :], json.loads(data[8 : 8 + size]))
    try:
        answer: dict[str, Any] = {"workbook": _read(op, data).to_json()}
    except BaseException as exc:  # the child's whole job is to turn any failure into data
        answer = _classify(exc)
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def _mapped_bytes() -> int:
    """The address space this process already maps (VmSize), 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PR_SET_NAME = 15


def _load_libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


# Loaded here, in the parent, at import: a forked child must not dlopen, since another
# thread of the parent may have held the loader's lock at the moment of the fork.
_LIBC = _load_libc()


def die_with_parent(parent_pid: int) -> None:
    """Be killed when the parent dies, even by SIGKILL; exit now if it already has.

    Linux delivers SIGKILL on the forking thread's exit (``PR_SET_PDEATHSIG``); that thread
    waits for this child, so it cannot end first. Elsewhere a watchdog thread polls for the
    parent instead.
    """
    try:
        armed = _LIBC is not None and _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except AttributeError:
        armed = False
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died between fork and prctl
        os._exit(1)


def set_name(name: bytes) -> None:
    """Name this process as ``ps`` and ``/proc/<pid>/comm`` show it (Linux; else nothing)."""
    with contextlib.suppress(AttributeError):
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0)


def warm_up(data: bytes) -> None:
    """Read ``data`` as an .xlsx and encode the answer, as a read does, then drop both.

    A reader forked ahead of its job does this first: the pages a read writes to (the
    objects it touches, the parser's buffers) are then its own before the job arrives,
    instead of being copied from the helper one fault at a time during the read."""
    json.dumps({"workbook": _read("xlsx", data).to_json()}, ensure_ascii=False)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    os._exit(1)


def forked_entry(
    conn: Connection,
    op: str,
    data: bytes,
    memory_bytes: int,
    cpu_seconds: int,
    parent_pid: int | None = None,
    tag: bytes = b"",
) -> None:
    """Entry point of the forked child: limit itself, do ``op``, send the answer (after
    ``tag``, which tells it from other frames on a shared socket), exit."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    faulthandler.disable()  # a reader crash is reported by the parent, not dumped here
    # Everything inherited from the parent goes to the permanent generation, so the child's
    # collections never walk (and copy-on-write) the parent's objects: 2-3x faster reads.
    gc.freeze()
    budget = _mapped_bytes() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    status = 1
    try:
        conn.send_bytes(tag + run_op(op, data))
        status = 0
    except MemoryError:
        refusal = json.dumps({"refusal": "reader.memory", "detail": "MemoryError"}).encode()
        conn.send_bytes(tag + refusal)
        status = 0
    finally:
        conn.close()
        # Leave now: the inherited interpreter state would otherwise run the parent's exit
        # hooks here (atexit, joining a ThreadPoolExecutor's threads that do not exist in
        # this process), which hangs or fails the child after it has answered.
        os._exit(status)
