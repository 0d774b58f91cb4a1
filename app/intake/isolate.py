"""Run a format reader in a child process with memory and time limits.

Some readers abort the whole interpreter on crafted input (a Rust panic, a C-level
allocation failure) and any reader can be driven into huge allocations; the serving
process must survive both. Each file is handled by a fresh child *forked* from the caller:
the readers are already imported, so a child costs milliseconds, and it ends with
``os._exit`` without running the parent's exit handlers or touching its connections. A
spawned interpreter would cost 0.3-1 s per upload, and multiprocessing's forkserver re-runs
the caller's ``__main__`` (the CLI, the web server) in every child. A fork costs more the
more the forking process maps, so the server starts a helper at start-up (``zygote``,
``ZYGOTE.start()`` in the app's lifespan) and its readers are forked from that, with the
same limits; without the helper (the CLI, or a helper gone or stuck) they are forked here.

The child limits its own address space (RLIMIT_AS, as a budget on top of what it already
maps, since a forked server may already map more than the budget) and CPU time before
touching the bytes; the parent adds a wall-clock timeout and kills it when that passes.
The child also dies with its parent (``PR_SET_PDEATHSIG``, see ``worker``): a server killed
with ``kill -9`` leaves no reader behind.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.process import BaseProcess

# The readers' libraries are imported here, in the parent, so that forked children find
# them loaded instead of importing them for every file.
import defusedxml.ElementTree  # noqa: F401
import openpyxl  # noqa: F401
import python_calamine  # noqa: F401
import xlrd  # noqa: F401

from app.core.metrics import INTAKE_ACTIVE, INTAKE_QUEUE, INTAKE_READS
from app.intake import annotate_child, readers, readers_ods, readers_xlsx, worker, zygote  # noqa: F401
from app.intake.cells import RawWorkbook
from app.intake.limits import IntakeLimits
from app.intake.problems import IntakeRefused, problem
from app.intake.sniff import FileKind

_CONTEXT = multiprocessing.get_context("fork")


class ReaderSlots:
    """At most ``total`` readers at once in this process, and at most ``per_owner`` of them
    for one owner (a province, or one token), so one submitter's uploads cannot hold every
    slot while another's check waits.

    Without a bound, 32 simultaneous uploads fork 32 parsers on a 2-core machine and each
    one's wall-clock limit runs out while it waits for a core; with it, extra checks queue
    (up to ``reader_queue_seconds``) and each child's time limit counts only its own run.
    """

    def __init__(self, total: int, per_owner: int | None = None) -> None:
        self.total = max(1, total)
        self.per_owner = max(1, per_owner if per_owner is not None else self.total - 1)
        self._used = 0
        self._by_owner: dict[str, int] = {}
        self._changed = threading.Condition()

    def _full(self, owner: str | None) -> bool:
        mine = self._by_owner.get(owner, 0) if owner is not None else 0
        return self._used >= self.total or mine >= self.per_owner

    def acquire(self, owner: str | None, timeout: float) -> bool:
        """Take a slot for ``owner`` (None: counted in the total only) within ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._full(owner):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            self._used += 1
            if owner is not None:
                self._by_owner[owner] = self._by_owner.get(owner, 0) + 1
        return True

    def release(self, owner: str | None) -> None:
        with self._changed:
            self._used -= 1
            if owner is not None:
                left = self._by_owner.pop(owner, 1) - 1
                if left:
                    self._by_owner[owner] = left
            self._changed.notify_all()


# ``ipeval serve --workers N`` sets IPEVAL_INTAKE_READERS to the cores divided among the
# workers, so that the machine-wide bound stays the core count.
def _reader_slots() -> int:
    configured = os.environ.get("IPEVAL_INTAKE_READERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, os.cpu_count() or 1)


SLOTS = ReaderSlots(_reader_slots())


def run_child(op: str, payload: bytes, limits: IntakeLimits, owner: str | None = None) -> bytes:
    """Run ``worker.run_op(op, payload)`` in a limited child; its answer, or a refusal.

    ``owner`` (a province code, or a token) bounds how many readers one submitter holds.

    Raises
    ------
    IntakeRefused
        reader.busy, reader.timeout, reader.memory or reader.crashed.
    """
    INTAKE_QUEUE.inc()
    try:
        acquired = SLOTS.acquire(owner, limits.reader_queue_seconds)
    finally:
        INTAKE_QUEUE.dec()
    if not acquired:
        INTAKE_READS.labels("busy").inc()
        raise IntakeRefused(problem("reader.busy"))
    INTAKE_ACTIVE.inc()
    try:
        answer = _run_child(op, payload, limits)
    except IntakeRefused as refused:
        INTAKE_READS.labels(refused.problem.code.removeprefix("reader.")).inc()
        raise
    finally:
        INTAKE_ACTIVE.dec()
        SLOTS.release(owner)
    INTAKE_READS.labels("ok").inc()
    return answer


#: A child that has used almost no CPU (``STUCK_CPU_SECONDS``) this long after its fork
#: never started reading: it is stuck on a lock another thread of this process held at the
#: moment of the fork. It is killed and forked once more, within the same time limit; a
#: child that is reading uses CPU from its first millisecond, and is never retried.
STUCK_AFTER_SECONDS = 1.0
STUCK_CPU_SECONDS = 0.1


class _Stuck(Exception):
    """The child made no progress since its fork."""


#: The fork helper (``zygote``): started by the server at start-up, so that readers are
#: forked from a process that does not grow with the server. Until it runs (the CLI, most
#: tests), or if it fails, readers are forked from this process.
ZYGOTE = zygote.Zygote()


def _run_child(op: str, payload: bytes, limits: IntakeLimits) -> bytes:
    if ZYGOTE.running:
        try:
            return _run_in_zygote(op, payload, limits)
        except zygote.Unavailable:
            pass
    started = time.monotonic()
    try:
        return _run_child_once(op, payload, limits, limits.reader_timeout_seconds, watch=True)
    except _Stuck:
        left = limits.reader_timeout_seconds - (time.monotonic() - started)
        return _run_child_once(op, payload, limits, left, watch=False)


def _cpu_limit(limits: IntakeLimits) -> int:
    return max(1, int(limits.reader_timeout_seconds + 0.999))


def _run_in_zygote(op: str, payload: bytes, limits: IntakeLimits) -> bytes:
    seconds = limits.reader_timeout_seconds
    try:
        return ZYGOTE.run(op, payload, limits.reader_memory_bytes, _cpu_limit(limits), seconds)
    except zygote.ReaderLate:
        raise IntakeRefused(problem("reader.timeout", seconds=seconds)) from None
    except zygote.ReaderEnded as ended:
        raise _ended(ended.code, limits) from None


def _ended(exitcode: int | None, limits: IntakeLimits) -> IntakeRefused:
    """The refusal for a reader that exited with ``exitcode`` without answering."""
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return IntakeRefused(problem("reader.timeout", seconds=limits.reader_timeout_seconds))
    return IntakeRefused(problem("reader.crashed", detail=f"exit {exitcode}"))


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a live child, from /proc; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _run_child_once(
    op: str, payload: bytes, limits: IntakeLimits, seconds: float, *, watch: bool
) -> bytes:
    context = _CONTEXT
    receiver, sender = context.Pipe(duplex=False)
    cpu = _cpu_limit(limits)
    child = context.Process(
        target=worker.forked_entry,
        args=(sender, op, payload, limits.reader_memory_bytes, cpu, os.getpid()),
        daemon=True,
    )
    child.start()
    sender.close()
    deadline = time.monotonic() + seconds
    answer: bytes | None = None
    try:
        first = min(STUCK_AFTER_SECONDS, seconds) if watch else seconds
        ready = receiver.poll(first)
        if not ready and watch and child.is_alive():
            used = _cpu_seconds(child.pid)
            if used is not None and used < STUCK_CPU_SECONDS:
                _reap(child, grace=0.0)
                raise _Stuck
            ready = receiver.poll(max(0.0, deadline - time.monotonic()))
        if ready:
            answer = receiver.recv_bytes()
    except (EOFError, OSError):
        answer = None  # the child died before answering
    finally:
        receiver.close()
    if answer is not None:
        # The answer is complete: the child has nothing left to do but exit.
        _reap(child, grace=1.0)
        return answer
    # No answer: the child died, or is still working past the deadline. Poll its state
    # rather than trust one wait, which concurrent forks can end early.
    while child.is_alive() and time.monotonic() < deadline:
        child.join(min(0.1, max(0.0, deadline - time.monotonic())))
    if child.is_alive():
        _reap(child, grace=0.0)
        raise IntakeRefused(problem("reader.timeout", seconds=limits.reader_timeout_seconds))
    raise _ended(child.exitcode, limits)


def _reap(child: BaseProcess, *, grace: float) -> None:
    """Wait up to ``grace`` seconds for ``child`` to exit, then kill it; never leave a zombie."""
    child.join(grace)
    if child.is_alive():
        child.kill()
        child.join()


def read_isolated(
    kind: FileKind, data: bytes, limits: IntakeLimits, owner: str | None = None
) -> RawWorkbook:
    """Parse ``data`` as ``kind`` in a limited child process.

    Raises
    ------
    IntakeRefused
        reader.timeout, reader.memory, reader.crashed, file.corrupt, file.encrypted or
        xml.doctype, each with its bilingual message.
    """
    answer = json.loads(run_child(str(kind), data, limits, owner))
    if "refusal" in answer:
        code = answer["refusal"]
        details = {"detail": answer["detail"]} if code in ("file.corrupt",) else {}
        if code == "xml.doctype":
            details = {"entry": answer["detail"][:100]}
        raise IntakeRefused(problem(code, **details))
    return RawWorkbook.from_json(answer["workbook"])
