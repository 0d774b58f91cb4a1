"""Benchmark the HTTP API under load with ``wrk``: req/s, p50/p99 and errors per endpoint.

For each backend (a SQLite file, then a fresh PostgreSQL database when one is reachable) a
database is migrated and loaded with the demo cohort of one year through the real upload
path, then ``ipeval serve`` is started as a user would start it (one worker; then two when
``ipeval serve --workers`` exists) and driven by ``wrk`` at 1, 16 and 64 connections:

- ``floor``: ``GET /api/v1/health/live`` — no database, no auth: what the framework and the
  server can do on this machine at all, measured in the same run as the others;
- ``list``: ``GET /api/v1/evaluations?year=2020`` (32 rows) with an evaluator token;
- ``detail``: ``GET /api/v1/evaluations/{id}`` (one full breakdown);
- ``stable``: ``GET /api/v1/evaluations/{year}/{province}`` when the route exists;
- ``upload``: ``POST /api/v1/submissions?dry_run=true`` of one filled workbook (checked in
  the isolated reader, nothing stored).

An error is any non-2xx/3xx answer or socket error (wrk's timeout is set to 30 s, so a
stalled request counts). The figure each endpoint is judged by is its req/s beside the
floor's, with p99 and errors. Run:

    .venv/bin/python bench/api.py [--seconds 5] [--connections 1,16,64] [--backends ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.core import migrate  # noqa: E402
from app.core.database import make_engine, unit_of_work  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.demo import service as demo_service  # noqa: E402
from app.evaluations import service as evaluations_service  # noqa: E402
from app.evaluations.models import Evaluation  # noqa: E402

YEAR = 2020
PROVINCE = "440000"  # Guangdong
PG_ADMIN = os.environ.get(
    "IPEVAL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-" + "x" * 40
IPEVAL = str(Path(sys.executable).with_name("ipeval"))


@dataclass
class Target:
    """A database ready to serve: its URL, tokens and the ids the requests use."""

    backend: str
    url: str
    evaluator: str
    province: str
    evaluation_id: int
    workbook: Path


@dataclass
class Figure:
    scenario: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(backend: str, tmp: Path, *, years: Sequence[int] = (YEAR,)) -> Iterator[Target | None]:
    """A migrated database holding the demo cohort of ``years``; None without PostgreSQL."""
    name = f"ipeval_bench_{uuid.uuid4().hex[:10]}"
    admin = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / name}.db"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            print(f"postgresql: skipped ({type(exc).__name__})")
            admin.dispose()
            yield None
            return
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    settings = Settings(data_dir=tmp, database_url=url, secret_key=SECRET)  # type: ignore[arg-type]
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        # one upload at a time: the forked reader must not inherit a lock another thread holds
        demo_service.load(engine, settings, years=years, workers=1)
        with unit_of_work(engine) as session:
            _, evaluator = auth_service.create_token(session, settings, role="evaluator")
            _, province = auth_service.create_token(
                session, settings, role="province", province_code=PROVINCE
            )
            run = evaluations_service.current_run(session, years[-1])
            assert run is not None
            evaluation_id = session.exec(  # type: ignore[call-overload]
                select(Evaluation.id).where(
                    Evaluation.province_code == PROVINCE, Evaluation.run_id == run.id
                )
            ).scalar_one()
        book = next(
            b
            for b in demo_service.workbooks(settings, years=(years[-1],))
            if b.province_code == PROVINCE
        )
        workbook = tmp / f"{name}.xlsx"
        workbook.write_bytes(book.data)
        engine.dispose()
        yield Target(backend, url, evaluator, province, int(evaluation_id), workbook)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def serve_supports_workers() -> bool:
    out = subprocess.run([IPEVAL, "serve", "--help"], capture_output=True, text=True, check=False)
    return "--workers" in out.stdout


@contextlib.contextmanager
def server(
    target: Target, tmp: Path, *, workers: int = 1, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """``ipeval serve`` on a free port against ``target`` (``env`` added to its
    environment); yields the base URL."""
    port = _free_port()
    environ = {
        **os.environ,
        **(env or {}),
        "IPEVAL_DATABASE_URL": target.url,
        "IPEVAL_SECRET_KEY": SECRET,
        "IPEVAL_DATA_DIR": str(tmp),
        "IPEVAL_LOG_LEVEL": "warning",
    }
    command = [IPEVAL, "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(command, env=environ, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start (exit {proc.poll()})")
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


_UPLOAD_LUA = """
local f = assert(io.open("{path}", "rb"))
local data = f:read("*a")
f:close()
local boundary = "ipevalbenchboundary"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\\r\\n"
  .. 'Content-Disposition: form-data; name="file"; filename="w.xlsx"\\r\\n'
  .. "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\\r\\n\\r\\n"
  .. data .. "\\r\\n--" .. boundary .. "--\\r\\n"
"""


def _ms(text_: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text_)
    if match is None:  # wrk prints e.g. "-nanus" when no request finished
        return float("nan")
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match[2]]


def parse_wrk(output: str) -> tuple[float, float, float, int, int]:
    """(req/s, p50 ms, p99 ms, requests, errors) from ``wrk --latency`` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M)[1])  # type: ignore[index]
    requests = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx[1])
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return rps, p50, p99, requests, errors


def run_wrk(
    url: str, *, connections: int, seconds: float, token: str | None, lua: Path | None = None
) -> tuple[float, float, float, int, int]:
    threads = max(1, min(2, connections))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "--latency",
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if lua is not None:
        command += ["-s", str(lua)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    if "requests in" not in out.stdout:
        raise RuntimeError(out.stdout + out.stderr)
    return parse_wrk(out.stdout)


def has_route(base: str, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as answer:
            return path in answer.read().decode()
    except OSError:
        return False


Scenario = tuple[str, str | None, Path | None]  # url, token, lua script


def scenarios(
    base: str, target: Target, tmp: Path
) -> dict[str, tuple[str, str | None, Path | None]]:
    """name -> (url, token, lua script)."""
    api = f"{base}/api/v1"
    lua = tmp / "upload.lua"
    lua.write_text(_UPLOAD_LUA.replace("{path}", str(target.workbook)), encoding="utf-8")
    out: dict[str, Scenario] = {
        "floor": (f"{api}/health/live", None, None),
        "list": (f"{api}/evaluations?year={YEAR}", target.evaluator, None),
        "detail": (f"{api}/evaluations/{target.evaluation_id}", target.evaluator, None),
    }
    if has_route(base, "/api/v1/evaluations/{year}/{province}"):
        out["stable"] = (f"{api}/evaluations/{YEAR}/{PROVINCE}", target.evaluator, None)
    out["upload"] = (f"{api}/submissions?dry_run=true", target.province, lua)
    return out


def measure(
    base: str,
    target: Target,
    tmp: Path,
    *,
    connections: Sequence[int],
    seconds: float,
    only: Sequence[str] | None = None,
) -> list[Figure]:
    figures = []
    for name, (url, token, lua) in scenarios(base, target, tmp).items():
        if only and name not in only:
            continue
        for c in connections:
            rps, p50, p99, n, errors = run_wrk(
                url, connections=c, seconds=seconds, token=token, lua=lua
            )
            figures.append(Figure(name, c, rps, p50, p99, n, errors))
    return figures


def print_figures(label: str, figures: Sequence[Figure]) -> None:
    floor = {f.connections: f.requests_per_s for f in figures if f.scenario == "floor"}
    print(f"\n{label}")
    print(
        f"{'endpoint':<8}{'conns':>6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}"
        f"{'requests':>10}{'errors':>8}{'/ floor':>9}"
    )
    for f in figures:
        ratio = f.requests_per_s / floor[f.connections] if floor.get(f.connections) else 0.0
        print(
            f"{f.scenario:<8}{f.connections:>6}{f.requests_per_s:>10.1f}{f.p50_ms:>10.1f}"
            f"{f.p99_ms:>10.1f}{f.requests:>10}{f.errors:>8}{ratio:>9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--only", default="", help="comma-separated scenarios")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    connections = [int(c) for c in args.connections.split(",")]
    only = [s for s in args.only.split(",") if s]
    worker_counts = [1, 2] if serve_supports_workers() else [1]
    print(f"API benchmark — wrk, {args.seconds:.0f} s per cell, 2 wrk threads, timeout 30 s")
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        for backend in args.backends.split(","):
            with database(backend, tmp) as target:
                if target is None:
                    continue
                for workers in worker_counts:
                    with server(target, tmp, workers=workers) as base:
                        figures = measure(
                            base, target, tmp, connections=connections,
                            seconds=args.seconds, only=only,
                        )  # fmt: skip
                    print_figures(f"{backend}, {workers} worker(s)", figures)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak RSS of the largest child process (server or wrk): {peak:.0f} MB")


if __name__ == "__main__":
    main()
