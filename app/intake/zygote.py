"""A small process, started once with the server, that forks the isolated readers.

Forking copies the forking process's page tables, so a reader forked from the server costs
more as the server grows (3.7 ms at 51 MB of RSS, 33 ms at 910 MB, measured for issue 15).
Forked from this helper instead, whose memory is small and stays so, a reader costs the
same however large the server is or grows.

The helper (the "zygote") is single-threaded: it waits on a control socket, and for each
read receives one end of a fresh socket pair (``SCM_RIGHTS``) and hands it to a reader.
The reader sends its pid first (so the server can kill it at the time limit), receives the
payload, then runs ``worker.forked_entry`` with the same limits as a reader forked from the
server; when it exits, the helper reaps it and sends its exit code on the same socket.
Frames are tagged: ``P`` pid, ``A`` answer, ``S`` exit status.

The reader is forked ahead of its read: the helper keeps one *spare*, which has read a small
built-in workbook (``worker.warm_up``) and waits for its job, so the fork and the pages a
read writes to (copied from the helper a fault at a time) are paid between uploads rather
than during one (a check 0.1 s after the last: 23 -> 16 ms, ``bench/intake.py``). A spare
serves one read, then exits, as any reader; the next spare is forked as the job is handed
over. A spare shows as ``ipeval-spare`` in ``ps``, then ``ipeval-reader``. If the spare is
gone, the helper forks the reader at once, as before.

The helper is a fresh interpreter holding just the readers (see ``Zygote.start``). Both
die with their parent (``PR_SET_PDEATHSIG``): a server killed with ``kill -9`` takes
the helper with it, and the helper its readers. If the helper is gone or unresponsive, the
server forks the reader itself, as before (``isolate``).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from app.intake import worker

#: how long the helper may take to answer with a reader's pid before it counts as stuck
#: (it was forked with a lock held by another thread of the server): it is then replaced.
STARTED_WITHIN_SECONDS = 1.0
#: how long a new helper may take to import the readers and say it is ready
READY_WITHIN_SECONDS = 30.0
# The spawned helper's program: its arguments are the control socket's fd and the server's pid.
_SPAWN = "import sys; from app.intake.zygote import main; main(int(sys.argv[1]), int(sys.argv[2]))"


class Unavailable(Exception):
    """The helper cannot take this read; fork from the server instead."""


class ReaderEnded(Exception):
    """The reader exited without answering; ``code`` as ``Process.exitcode`` gives it."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class ReaderLate(Exception):
    """The reader did not answer in time; it has been killed."""


class Zygote:
    """The server's handle on one helper process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._control: socket.socket | None = None
        self._spawned: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self._ready = False

    def start(self, *, fork: bool = False, wait: bool = True) -> None:
        """Start the helper, from the thread that lives longest (it dies with that thread).

        By default a fresh interpreter that imports the readers only (about 50 MB, where the
        server maps 200 MB or more at start-up: a reader forked from it costs some 4 ms, not
        30). ``fork=True`` forks this process instead, keeping its state as it is now (the
        tests use it to reach readers they have patched). Waits until the helper is ready;
        with ``wait=False`` it returns at once and the first read waits for what is left of
        the helper's start (the server starts answering without the 0.3 s it takes). If the
        helper does not come up, readers are forked from this process.
        """
        with self._lock:
            if self._control is not None:
                return
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            parent = os.getpid()
            if fork:
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the helper's own loop
                    ours.close()
                    try:
                        _serve(theirs, parent)
                    finally:
                        os._exit(0)
            else:
                command = [sys.executable, "-c", _SPAWN, str(theirs.fileno()), str(parent)]
                self._spawned = subprocess.Popen(command, pass_fds=[theirs.fileno()])
                pid = self._spawned.pid
            theirs.close()
            self._control, self.pid, self._ready = ours, pid, False
        if wait and not self._wait_ready():
            self.stop()

    def _wait_ready(self) -> bool:
        """Whether the helper has said it is ready (waiting for it, the first time)."""
        with self._lock:
            control = self._control
            if control is None or self._ready:
                return self._ready and control is not None
            control.settimeout(READY_WITHIN_SECONDS)
            try:
                self._ready = control.recv(16) == b"ready"
            except OSError:
                self._ready = False
            control.settimeout(None)
            return self._ready

    def stop(self) -> None:
        """Close the control socket (the helper exits on it) and reap the helper."""
        with self._lock:
            control, pid, spawned = self._control, self.pid, self._spawned
            self._control = self.pid = self._spawned = None
        if control is not None:
            control.close()
        if spawned is not None:
            spawned.kill()
            spawned.wait()
        elif pid is not None:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)

    @property
    def running(self) -> bool:
        return self._control is not None

    def run(
        self, op: str, payload: bytes, memory_bytes: int, cpu_seconds: int, seconds: float
    ) -> bytes:
        """The reader's answer to ``op`` on ``payload``.

        Raises
        ------
        Unavailable
            The helper is gone or stuck (it is stopped; the caller forks the reader itself).
        ReaderEnded
            The reader exited without answering.
        ReaderLate
            No answer within ``seconds``; the reader was killed.
        """
        if not self._wait_ready():
            self.stop()
            raise Unavailable
        ours, theirs = socket.socketpair()
        header = json.dumps({"op": op, "memory": memory_bytes, "cpu": cpu_seconds}).encode()
        try:
            with self._lock:
                sent = self._control is not None
                if self._control is not None:
                    socket.send_fds(self._control, [header], [theirs.fileno()])
        except OSError:
            sent = False
        finally:
            theirs.close()
        with ours:
            if not sent:
                self.stop()
                raise Unavailable
            return self._exchange(ours, payload, seconds)

    def _exchange(self, sock: socket.socket, payload: bytes, seconds: float) -> bytes:
        # Every step has a timeout: a reader that dies before reading its payload leaves
        # the helper's end open, and an unbounded send would wait for ever.
        deadline = time.monotonic() + seconds
        try:
            sock.settimeout(min(STARTED_WITHIN_SECONDS, seconds))
            pid = int(_recv_frame(sock)[1:])
        except (OSError, EOFError, ValueError):  # TimeoutError is an OSError
            self.stop()
            raise Unavailable from None
        try:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            _send_frame(sock, payload)
            while True:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                frame = _recv_frame(sock)
                if frame[:1] == b"A":
                    return frame[1:]
                if frame[:1] == b"S":
                    raise ReaderEnded(int(frame[1:]))
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # the helper reaps it
            raise ReaderLate from None
        except (OSError, EOFError):
            self.stop()  # the helper died, and its reader with it
            raise ReaderEnded(1) from None


# Frames as multiprocessing.connection.Connection writes them (the reader and the helper
# use one): a signed 4-byte big-endian length, or -1 and an 8-byte length.
def _send_frame(sock: socket.socket, data: bytes) -> None:
    if len(data) > 0x7FFFFFFF:
        sock.sendall(struct.pack("!iQ", -1, len(data)))
    else:
        sock.sendall(struct.pack("!i", len(data)))
    sock.sendall(data)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = sock.recv_into(view[got:])
        if count == 0:
            raise EOFError
        got += count
    return bytes(buffer)


def _recv_frame(sock: socket.socket) -> bytes:
    (size,) = struct.unpack("!i", _recv_exactly(sock, 4))
    if size == -1:
        (size,) = struct.unpack("!Q", _recv_exactly(sock, 8))
    return _recv_exactly(sock, size)


def main(control_fd: int, parent: int) -> None:
    """The spawned helper: load what the readers use, then serve (never returns)."""
    import defusedxml.ElementTree  # noqa: F401
    import openpyxl  # noqa: F401
    import xlrd  # noqa: F401

    from app.intake import annotate_child, readers, readers_ods, readers_xlsx  # noqa: F401

    try:
        _serve(socket.socket(fileno=control_fd), parent)
    finally:
        os._exit(0)


def _serve(control: socket.socket, parent: int) -> None:
    """The helper's loop: hand each socket received to the spare reader (forking one when
    there is none), fork the next spare; report each reader's exit."""
    worker.die_with_parent(parent)
    sample = _warm_up_sample()
    control.send(b"ready")
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    readers: dict[int, Connection] = {}
    # what a forked child must close: the helper's own ends, and every other read's
    own = [wake_r, wake_w, control.fileno()]
    spare = _fork_spare(sample, own, readers)
    while True:
        for key, _ in selector.select():
            if key.fileobj is control:
                message, fds, _, _ = socket.recv_fds(control, 4096, 1)
                if not message:
                    return  # the server closed the control socket, or is gone
                conn = Connection(fds[0])
                pid = _hand_over(spare, message, fds[0])
                if pid is None:  # no spare (or it died): fork the reader now, as before
                    pid = os.fork()
                    if pid == 0:
                        _close_inherited(own, readers)
                        _reader(conn, json.loads(message), os.getppid())
                readers[pid] = conn
                spare = _fork_spare(sample, own, readers)
            else:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                _reap(readers)


def _warm_up_sample() -> bytes:
    """A small .xlsx that takes the reader down its usual paths (shared strings, numbers,
    a date, a formula, defined names), for each spare to read before its job."""
    import datetime
    import io

    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet"
    values: list[object] = ["文本 text", 12.5, 3, datetime.date(2020, 12, 31), "=B1*2", None]
    for row, value in enumerate(values, start=1):
        sheet.cell(row=row, column=2, value=value)
        book.defined_names[f"cell_{row}"] = DefinedName(f"cell_{row}", attr_text=f"Sheet!$B${row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Spare:
    """A reader forked ahead of its job, waiting on ``sock`` for it."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock


def _fork_spare(sample: bytes, own: list[int], readers: dict[int, Connection]) -> _Spare:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the spare (the reader tests cover its job)
        ours.close()
        _close_inherited(own, readers)
        _spare(theirs, sample, os.getppid())
    theirs.close()
    return _Spare(pid, ours)


def _spare(sock: socket.socket, sample: bytes, zygote: int) -> None:
    """In the spare: warm up, wait for a job, then be its reader (never returns)."""
    worker.die_with_parent(zygote)
    worker.set_name(b"ipeval-spare")
    with contextlib.suppress(Exception):
        worker.warm_up(sample)
    try:
        message, fds, _, _ = socket.recv_fds(sock, 4096, 1)
    except OSError:
        os._exit(1)
    if not message or not fds:
        os._exit(0)  # the helper is closing
    sock.close()
    worker.set_name(b"ipeval-reader")
    _reader(Connection(fds[0]), json.loads(message), zygote)


def _hand_over(spare: _Spare | None, message: bytes, fd: int) -> int | None:
    """Give the job to ``spare``; its pid, or None when there is no spare able to take it."""
    if spare is None:
        return None
    try:
        socket.send_fds(spare.sock, [message], [fd])
    except OSError:  # it died (its end is closed): the helper reaps it like any child
        return None
    finally:
        spare.sock.close()
    return spare.pid


def _close_inherited(own: list[int], readers: dict[int, Connection]) -> None:
    """In a forked child: close the helper's ends, and every other read's (which would
    hide that read's EOF)."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in own:
        os.close(fd)
    for other in readers.values():
        other.close()


def _reap(readers: dict[int, Connection]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = readers.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):  # the server may have its answer and be gone
                conn.send_bytes(b"S%d" % os.waitstatus_to_exitcode(status))
            conn.close()


def _reader(conn: Connection, header: dict[str, object], zygote: int) -> None:
    """In the forked reader: pid, payload, then the limited read (never returns)."""
    try:
        conn.send_bytes(b"P%d" % os.getpid())
        payload = conn.recv_bytes()
    except (EOFError, OSError):
        os._exit(1)
    worker.forked_entry(
        conn,
        str(header["op"]),
        payload,
        int(header["memory"]),  # type: ignore[call-overload]
        int(header["cpu"]),  # type: ignore[call-overload]
        parent_pid=zygote,
        tag=b"A",
    )
