"""Run a format reader in a child process with memory and time limits.

Some readers abort the whole interpreter on crafted input (a Rust panic, a C-level
allocation failure) and any reader can be driven into huge allocations; the serving
process must survive both. The child gets the bytes on stdin, an address-space limit
(RLIMIT_AS), a CPU-time limit and a wall-clock timeout, and answers one JSON document.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from app.intake.cells import RawWorkbook
from app.intake.limits import IntakeLimits
from app.intake.problems import IntakeRefused, problem
from app.intake.sniff import FileKind

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# -I: ignore PYTHON* variables and the user site; the project root is put on sys.path
# explicitly so the child imports exactly this code.
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from app.intake.worker import child_main; child_main(sys.argv[2])"
)


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setsid()  # its own process group, so a timeout kills everything it started


def run_child(op: str, payload: bytes, limits: IntakeLimits) -> bytes:
    """Run ``child_main(op)`` on ``payload`` under the limits; its stdout, or a refusal.

    Raises
    ------
    IntakeRefused
        reader.timeout, reader.memory or reader.crashed.
    """
    cpu = max(1, int(limits.reader_timeout_seconds))
    process = subprocess.Popen(
        [sys.executable, "-I", "-c", _BOOT, _PROJECT_ROOT, op],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: _limit(limits.reader_memory_bytes, cpu),
        env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
    )
    try:
        out, err = process.communicate(payload, timeout=limits.reader_timeout_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise IntakeRefused(
            problem("reader.timeout", seconds=limits.reader_timeout_seconds)
        ) from None
    if process.returncode == 0 and out:
        return out
    if process.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise IntakeRefused(problem("reader.timeout", seconds=limits.reader_timeout_seconds))
    message = err.decode("utf-8", "replace")
    if "MemoryError" in message or "memory allocation" in message:
        raise IntakeRefused(problem("reader.memory"))
    tail = (message.strip().splitlines() or [""])[-1]
    raise IntakeRefused(
        problem("reader.crashed", detail=f"exit {process.returncode}: {tail[:200]}")
    )


def read_isolated(kind: FileKind, data: bytes, limits: IntakeLimits) -> RawWorkbook:
    """Parse ``data`` as ``kind`` in a limited child process.

    Raises
    ------
    IntakeRefused
        reader.timeout, reader.memory, reader.crashed, file.corrupt, file.encrypted or
        xml.doctype, each with its bilingual message.
    """
    answer = json.loads(run_child(str(kind), data, limits))
    if "refusal" in answer:
        code = answer["refusal"]
        details = {"detail": answer["detail"]} if code in ("file.corrupt",) else {}
        if code == "xml.doctype":
            details = {"entry": answer["detail"][:100]}
        raise IntakeRefused(problem(code, **details))
    return RawWorkbook.from_json(answer["workbook"])
