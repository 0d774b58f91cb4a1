"""The request database: at most ``slots`` requests inside it, their units of work on at most
``threads`` threads, and a slot held by a waiting request holds no thread."""

from __future__ import annotations

import threading
import time

import anyio
from sqlalchemy import create_engine

from app.deps import RequestDatabase


class _Probe(RequestDatabase):
    """Units of work that only count how many run at once (no database)."""

    def __init__(self, slots: int, threads: int | None) -> None:
        super().__init__(create_engine("sqlite://"), slots, threads)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def work(self, seconds: float) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(seconds)
        with self.lock:
            self.running -= 1


def _in_thread(main) -> object:
    """``anyio.run(main)`` on a thread of its own (another test's event loop may be running
    on this one)."""
    out: list[object] = []
    worker = threading.Thread(target=lambda: out.append(anyio.run(main)))
    worker.start()
    worker.join(30)
    assert out, "the event loop did not finish"
    return out[0]


def _run_many(db: _Probe, count: int) -> None:
    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            for _ in range(count):
                tasks.start_soon(_unit, db)

    _in_thread(main)


async def _unit(db: _Probe) -> None:
    # run() calls fn(session, ...); the probe ignores the session it is given
    await db.run(lambda _session: db.work(0.05))


def test_units_of_work_run_on_at_most_threads_threads() -> None:
    # 8 units, 4 slots, 1 thread: never two at once; 2 threads: two at once, never three
    for threads, most in ((1, 1), (2, 2)):
        db = _Probe(slots=4, threads=threads)
        _run_many(db, 8)
        assert db.most == most, (threads, db.most)


def test_threads_default_to_slots_and_never_exceed_them() -> None:
    assert _Probe(slots=3, threads=None).threads == 3
    assert _Probe(slots=3, threads=8).threads == 3
    db = _Probe(slots=3, threads=None)
    _run_many(db, 6)
    assert db.most == 3


def test_a_slot_held_by_a_waiting_request_holds_no_thread() -> None:
    # One thread, two slots. A request takes a slot and then waits (for its client, say);
    # another request's unit of work still runs on the one thread meanwhile.
    db = _Probe(slots=2, threads=1)

    async def main() -> bool:
        released = anyio.Event()
        done = anyio.Event()

        async def waiting() -> None:
            async with db.slot():
                await released.wait()

        async def reading() -> None:
            await db.run(lambda _session: db.work(0.01))
            done.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(waiting)
            await anyio.sleep(0.01)
            tasks.start_soon(reading)
            with anyio.move_on_after(5):
                await done.wait()
            finished = done.is_set()
            released.set()
        return finished

    assert _in_thread(main) is True
