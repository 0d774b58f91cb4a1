"""The isolated reader: slots shared fairly between submitters, time capped, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.intake import IntakeLimits, check_workbook, isolate
from app.intake.isolate import ReaderSlots

from .intake_builders import RUBRICS, template

# The request timeout a reverse proxy usually gives (nginx proxy_read_timeout: 60 s).
REQUEST_TIMEOUT = 60.0


def test_slots_decision_table() -> None:
    slots = ReaderSlots(total=3, per_owner=2)
    # (owner, expected) in order; a slot taken stays taken
    steps = [("44", True), ("44", True), ("44", False), ("32", True), ("11", False), (None, False)]
    assert [slots.acquire(owner, timeout=0.01) for owner, _ in steps] == [e for _, e in steps]
    slots.release("44")  # 44 holds 1, 32 holds 1: one slot free, for anyone
    assert slots.acquire("11", timeout=0) is True
    assert slots.acquire("44", timeout=0) is False  # the total is full again
    # the default share leaves at least one slot to everyone else
    assert ReaderSlots(total=2).per_owner == 1 and ReaderSlots(total=1).per_owner == 1


def test_one_province_cannot_hold_every_reader_slot() -> None:
    # One province has as many readers running as it may hold: its next check queues, then is
    # refused as busy, while another province's check runs at once.
    held = 0
    while isolate.SLOTS.acquire("440000", timeout=0):
        held += 1
    try:
        quick = IntakeLimits(reader_queue_seconds=0.05)
        mine = check_workbook(template(), rubric_root=RUBRICS, limits=quick, owner="440000")
        theirs = check_workbook(template(), rubric_root=RUBRICS, limits=quick, owner="320000")
    finally:
        for _ in range(held):
            isolate.SLOTS.release("440000")
    assert held == isolate.SLOTS.per_owner < isolate.SLOTS.total or isolate.SLOTS.total == 1
    assert mine.codes() == ["reader.busy"]
    assert theirs.status == "invalid"  # read (an empty template), not refused


def test_reader_time_per_upload_is_well_below_the_request_timeout() -> None:
    limits = IntakeLimits()
    # an upload runs two children at most (the read, the annotated copy), each may queue
    worst = 2 * (limits.reader_timeout_seconds + limits.reader_queue_seconds)
    assert worst <= REQUEST_TIMEOUT * 5 / 6, worst


def _state(pid: int) -> str | None:
    """The process state letter (R, S, Z...), None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("forked_by", ["this process", "the helper"])
def test_reader_dies_with_its_parent_on_kill_9(tmp_path: Path, forked_by: str) -> None:
    # The server killed with kill -9 leaves no reader behind, nor (in the server's set-up)
    # the helper that forked it.
    pids = tmp_path / "pids"
    workbook = tmp_path / "t.xlsx"
    workbook.write_bytes(template())
    script = textwrap.dedent(
        """
        import os, sys, time
        from pathlib import Path
        from app.intake import IntakeLimits, check_workbook, isolate, worker

        def hang(op, data):
            Path(sys.argv[1]).write_text(f"{os.getppid()} {os.getpid()}")
            time.sleep(60)

        worker.run_op = hang
        if sys.argv[4] == "the helper":
            isolate.ZYGOTE.start(fork=True)  # forked after the patch, so the reader hangs
        check_workbook(Path(sys.argv[2]).read_bytes(), rubric_root=Path(sys.argv[3]),
                       limits=IntakeLimits(reader_timeout_seconds=60))
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(pids), str(workbook), str(RUBRICS), forked_by]
    )
    parent = reader = 0
    try:
        deadline = time.monotonic() + 30
        while not pids.exists() or not pids.read_text():
            assert server.poll() is None and time.monotonic() < deadline, "no reader started"
            time.sleep(0.05)
        parent, reader = map(int, pids.read_text().split())
        assert (parent == server.pid) == (forked_by == "this process")
        assert _state(parent) not in (None, "Z") and _state(reader) not in (None, "Z")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 3
        while {_state(parent), _state(reader)} - {None, "Z"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(parent) in (None, "Z"), "the helper outlived the server"
        assert _state(reader) in (None, "Z"), "the reader outlived its parent"
    finally:
        if server.poll() is None:
            server.kill()
        for pid in (parent, reader):
            if pid and pid != server.pid and _state(pid) not in (None, "Z"):
                os.kill(pid, signal.SIGKILL)


def _stuck_first(marker: Path, real):
    """A child entry that blocks without using CPU the first time, as a child stuck on a
    lock inherited from the fork does, and reads normally after."""

    def entry(*args):
        if not marker.exists():
            marker.write_text("stuck once")
            time.sleep(60)
        real(*args)

    return entry


def test_a_child_stuck_from_its_fork_is_forked_once_more(tmp_path, monkeypatch) -> None:
    from app.intake import worker
    from app.intake.sniff import FileKind

    monkeypatch.setattr(worker, "forked_entry", _stuck_first(tmp_path / "m", worker.forked_entry))
    limits = IntakeLimits(reader_timeout_seconds=5)
    started = time.monotonic()
    book = isolate.read_isolated(FileKind.XLSX, template(), limits)
    elapsed = time.monotonic() - started
    assert (tmp_path / "m").exists()  # the first child did block
    assert book.sheets  # the second one read the file
    # about STUCK_AFTER_SECONDS for the stuck child, then an ordinary read
    assert isolate.STUCK_AFTER_SECONDS <= elapsed < limits.reader_timeout_seconds


def test_a_child_that_stays_stuck_times_out_within_one_limit(monkeypatch) -> None:
    from app.intake import worker
    from app.intake.problems import IntakeRefused
    from app.intake.sniff import FileKind

    monkeypatch.setattr(worker, "forked_entry", lambda *args: time.sleep(60))
    limits = IntakeLimits(reader_timeout_seconds=3)
    started = time.monotonic()
    with pytest.raises(IntakeRefused) as refused:
        isolate.read_isolated(FileKind.XLSX, template(), limits)
    elapsed = time.monotonic() - started
    assert refused.value.problem.code == "reader.timeout"
    # the retry spends what the first try left of the limit, never a second limit
    assert elapsed < limits.reader_timeout_seconds + 1.5
