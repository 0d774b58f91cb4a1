"""Readers forked by the helper process: the same answers and the same isolation.

The server's helper is a fresh interpreter; a test that patches a reader starts a helper
forked from the test process after patching (``start(fork=True)``), which keeps the patch.
The memory-limit and kill -9 tests run in both set-ups, in test_intake_hostile and
test_intake_isolation.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.intake import IntakeLimits, check_workbook, isolate, worker

from .hostile_builders import ods_laughs
from .intake_builders import RUBRICS, guangdong_filled, template
from .test_intake_isolation import _state


@pytest.fixture()
def helper() -> Iterator[isolate.zygote.Zygote]:
    """Start the helper (in the test, after any patching) with ``helper.start()``."""
    yield isolate.ZYGOTE
    isolate.ZYGOTE.stop()


def _children_of(pid: int) -> dict[int, str]:
    """The live children of ``pid``, with their names."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found[int(entry.name)] = name
    return found


def _readers_of(helper: int) -> dict[int, str]:
    """The helper's children but its spare (a reader forked ahead, waiting for its job)."""
    return {pid: name for pid, name in _children_of(helper).items() if name != "ipeval-spare"}


def _spares_of(helper: int) -> list[int]:
    return [pid for pid, name in _children_of(helper).items() if name == "ipeval-spare"]


def _no_readers_left(helper: int | None) -> bool:
    """True once the helper has no live child but its spare (a reader exits just after
    answering)."""
    assert helper is not None
    deadline = time.monotonic() + 3
    while _readers_of(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _readers_of(helper) == {}


def _one_spare(helper: int | None) -> int:
    """The helper's one spare, once it is there (it is forked just after each hand-over)."""
    assert helper is not None
    deadline = time.monotonic() + 3
    while len(_spares_of(helper)) != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    spares = _spares_of(helper)
    assert len(spares) == 1, _children_of(helper)
    return spares[0]


def test_each_read_takes_the_waiting_spare_and_a_new_one_is_forked(helper) -> None:
    # The helper keeps one reader forked ahead and warmed up. A read is handed to it (it
    # serves that one read, then exits), and the next spare is forked at once: a spare is
    # never used twice, so no read runs where another submitter's workbook was.
    helper.start()
    first = _one_spare(helper.pid)
    assert check_workbook(guangdong_filled(), rubric_root=RUBRICS).status == "valid"
    second = _one_spare(helper.pid)
    assert second != first
    assert _no_readers_left(helper.pid)
    assert _state(first) in (None, "Z")  # the first spare read once and is gone


def test_a_spare_that_died_is_replaced_and_the_read_still_served(helper) -> None:
    helper.start()
    spare = _one_spare(helper.pid)
    os.kill(spare, signal.SIGKILL)
    deadline = time.monotonic() + 3
    while _state(spare) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.02)
    # the dead spare cannot take the read: the helper forks a reader for it, as it did
    # before spares, and forks a new spare
    assert check_workbook(guangdong_filled(), rubric_root=RUBRICS).status == "valid"
    assert helper.running
    assert _one_spare(helper.pid) != spare


def test_reports_are_the_same_as_from_a_reader_forked_here(helper) -> None:
    files = [guangdong_filled(), guangdong_filled(gdp_100m_yuan="=1/0"), ods_laughs("utf-8")]
    direct = [check_workbook(f, rubric_root=RUBRICS) for f in files]
    helper.start()
    assert helper.running
    via_helper = [check_workbook(f, rubric_root=RUBRICS) for f in files]
    assert [r.codes() for r in via_helper] == [r.codes() for r in direct]
    assert via_helper[0].submission == direct[0].submission
    assert helper.running and helper.pid is not None
    assert _no_readers_left(helper.pid)  # every reader exited and was reaped


def test_a_helper_not_waited_for_is_waited_for_by_the_first_read(helper) -> None:
    """The server starts its helper without waiting (``wait=False``): start returns before
    the helper is ready, and the first read waits for it, then is forked by it."""
    started = time.monotonic()
    helper.start(wait=False)
    assert time.monotonic() - started < 0.1  # the helper's own start takes some 0.3 s
    assert helper.running and helper.pid is not None
    report = check_workbook(guangdong_filled(), rubric_root=RUBRICS)
    assert report.status == "valid"
    assert helper.running  # it came up and served the read: not given up
    assert _no_readers_left(helper.pid)


def test_a_helper_that_never_comes_up_leaves_reads_to_the_server(helper, monkeypatch) -> None:
    """A helper that dies while starting is given up at the first read, which is then
    forked by the server as before."""
    monkeypatch.setattr(
        isolate.zygote, "_SPAWN", "import sys; sys.exit(3)"
    )  # dies before it is ready
    helper.start(wait=False)
    report = check_workbook(guangdong_filled(), rubric_root=RUBRICS)
    assert report.status == "valid"
    assert not helper.running


def test_a_reader_that_aborts_is_contained(helper, monkeypatch) -> None:
    monkeypatch.setattr(worker, "run_op", lambda op, data: os.abort())
    helper.start(fork=True)
    report = check_workbook(template(), rubric_root=RUBRICS)
    assert report.codes() == ["reader.crashed"]
    assert helper.running  # the helper outlives its reader


def test_a_reader_that_hangs_is_killed_at_the_time_limit(helper, monkeypatch) -> None:
    monkeypatch.setattr(worker, "run_op", lambda op, data: time.sleep(60))
    helper.start(fork=True)
    started = time.monotonic()
    report = check_workbook(
        template(), rubric_root=RUBRICS, limits=IntakeLimits(reader_timeout_seconds=1)
    )
    assert report.codes() == ["reader.timeout"]
    assert time.monotonic() - started < 3
    assert helper.running  # the reader was the helper's, and the helper carries on
    assert _no_readers_left(helper.pid)


def test_a_reader_past_its_cpu_limit_is_a_timeout(helper, monkeypatch) -> None:
    def spin(op: str, data: bytes) -> bytes:
        while True:
            pass

    monkeypatch.setattr(worker, "run_op", spin)
    helper.start(fork=True)
    # CPU limit: 1 s (the wall-clock limit rounded up); the wall clock allows 5 s.
    limits = IntakeLimits(reader_timeout_seconds=0.5)
    report = check_workbook(template(), rubric_root=RUBRICS, limits=limits)
    assert report.codes() == ["reader.timeout"]
    assert helper.running


def test_concurrent_checks_through_the_helper_all_succeed(helper) -> None:
    helper.start()
    data = guangdong_filled()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: check_workbook(data, rubric_root=RUBRICS).status, range(16))
        )
    assert statuses == ["valid"] * 16
    assert helper.running


def test_the_helper_is_small_and_dies_with_the_server(tmp_path: Path) -> None:
    script = (
        "import sys, time; from pathlib import Path; from app.intake import isolate\n"
        "isolate.ZYGOTE.start()\n"
        "Path(sys.argv[1]).write_text(str(isolate.ZYGOTE.pid))\n"
        "time.sleep(60)\n"
    )
    pid_file = tmp_path / "helper.pid"
    server = subprocess.Popen([sys.executable, "-c", script, str(pid_file)])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert server.poll() is None and time.monotonic() < deadline, "no helper started"
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        status = Path(f"/proc/{pid}/status").read_text()
        resident_mb = int(status.split("VmRSS:")[1].split()[0]) / 1024
        assert resident_mb < 120  # the readers only: no web framework, no database driver
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 3
        while _state(pid) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(pid) in (None, "Z"), "the helper outlived the server"
    finally:
        if server.poll() is None:
            server.kill()


def test_a_dead_helper_is_replaced_by_forking_here(helper) -> None:
    helper.start()
    assert helper.pid is not None
    os.kill(helper.pid, signal.SIGKILL)
    os.waitpid(helper.pid, 0)
    assert check_workbook(guangdong_filled(), rubric_root=RUBRICS).status == "valid"
    assert not helper.running  # given up: readers are forked from this process now


def test_a_helper_stuck_from_its_fork_is_given_up(helper, monkeypatch) -> None:
    # A helper forked while another thread held a lock never forks: after a second without
    # a reader's pid it is stopped, and the reader is forked here, within the limit.
    def ready_then_stuck(control, parent) -> None:
        control.send(b"ready")
        time.sleep(60)

    monkeypatch.setattr(isolate.zygote, "_serve", ready_then_stuck)
    helper.start(fork=True)
    started = time.monotonic()
    assert check_workbook(guangdong_filled(), rubric_root=RUBRICS).status == "valid"
    assert time.monotonic() - started < isolate.zygote.STARTED_WITHIN_SECONDS + 3
    assert not helper.running
