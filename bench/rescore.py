"""Benchmark batch re-scoring end to end: evaluations per second, and the ratio to a raw insert.

For each backend (a SQLite file, and a fresh PostgreSQL database when one is reachable) and
each scale — 32 provinces x 10 years, and 3,330 synthetic units x 10 years (the city scale) —
the stored submissions are re-scored under a second rubric version by the real batch runner
(``app.batches.runner.run_batch``: read the submissions, score each year's cohort in one
vectorised call, write the staged run with every unit's full result JSON, commit per year).

Beside it, in the same run and on the same database, the same evaluation rows are written
with one plain DBAPI ``executemany`` per year: the yardstick for "write". The figure the
benchmark is judged by is ``end-to-end / raw insert`` (1.0 would mean reading and scoring
cost nothing next to writing the results).

    .venv/bin/python bench/rescore.py            # both backends, both scales
    .venv/bin/python bench/rescore.py --backend sqlite --units 3330   # one case

Each case also prints the process's peak resident set size (``ru_maxrss``), so run one case
per process to read the peak of that case alone.
    IPEVAL_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/postgres  (the default)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.batches import runner
from app.batches import service as batches_service
from app.core import migrate
from app.core.database import make_engine, unit_of_work
from app.core.model_types import utcnow
from app.core.settings import Settings
from app.evaluations import store
from app.evaluations.models import CohortRun, Evaluation
from app.rubrics import service as rubrics_service
from app.submissions.models import Submission

YEARS = tuple(range(2015, 2025))
SCALES = (32, 3330)
N_INPUTS = 12
TYPES = ("leading", "supporting", "characteristic")
PG_ADMIN = os.environ.get(
    "IPEVAL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# the columns the batch writes, less the encoding version (the yardstick predates it)
EVAL_COLUMNS = tuple(c for c in store.COLUMNS if c != "result_encoding")


def rubric_toml(version: int) -> str:
    """12 inputs; three types of 3 pillars x 4 goalpost indicators; weights differ by version."""
    parts = [
        f'id = "bench-rescore"\nversion = {version}\nname_zh = "基准"\nname_en = "Benchmark"',
        'type_order = ["leading", "supporting", "characteristic"]',
    ]
    for k in range(N_INPUTS):
        parts.append(
            f'[[inputs]]\ncode = "in_{k:02d}"\nname_zh = "x"\nname_en = "x"\nunit = "score"\n'
            'definition_zh = "x"\ndefinition_en = "x"\nsource = "synthetic"'
        )
    fallbacks = ('["supporting", "characteristic"]', '["characteristic"]', "[]")
    for t, (name, pass_score) in enumerate(zip(TYPES, (70, 60, 50), strict=True)):
        parts.append(
            f'[types.{name}]\nname_zh = "{name}"\nname_en = "{name}"\npass_score = {pass_score}'
            f"\nreclassify_to = {fallbacks[t]}"
        )
        for p in range(3):
            inds = ", ".join(
                f'{{ code = "{name}_i{k:02d}", name_zh = "x", name_en = "x", '
                f'field = "in_{k:02d}", weight = {1 + (k + t + version) % 3}, normalise = '
                '{ method = "goalposts", lower = 0, upper = 100 } }'
                for k in range(p * 4, p * 4 + 4)
            )
            parts.append(
                f'[[types.{name}.pillars]]\ncode = "{name}_p{p}"\nname_zh = "p"\nname_en = "p"\n'
                f"weight = {1 + (p + t) % 3}\nindicators = [{inds}]"
            )
    return "\n".join(parts) + "\n"


def submissions(units: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    now = utcnow()
    rows = []
    for year in YEARS:
        values = rng.uniform(0, 100, (units, N_INPUTS)).round(2)
        for i in range(units):
            code = f"u{i:05d}"
            rec = {
                "unit_id": code,
                "unit_type": TYPES[i % 3],
                "unit_stage": "pilot",
                "is_municipality": False,
                **{f"in_{k:02d}": float(values[i, k]) for k in range(N_INPUTS)},
            }
            rows.append(
                {
                    "province_code": code,
                    "year": year,
                    "version_no": 1,
                    "sha256": uuid.uuid4().hex + uuid.uuid4().hex,
                    "filename": "",
                    "size_bytes": 0,
                    "rubric_id": "bench-rescore",
                    "rubric_version": 1,
                    "rubric_sha256": "0" * 64,
                    "template_version": "",
                    "is_current": True,
                    "uploaded_at": now,
                    "content": b"",
                    "report": {},
                    "values": {"record": rec},
                }
            )
    return rows


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[Engine | None]:
    """A new migrated database (None when PostgreSQL is not reachable); dropped afterwards."""
    name = f"ipeval_bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        engine = make_engine(Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / name}.db"))
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: report and skip the backend
        print(f"postgresql: skipped ({type(exc).__name__}: {exc})".splitlines()[0])
        admin.dispose()
        yield None
        return
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(Settings(data_dir=tmp, database_url=url))
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def end_to_end(engine: Engine) -> tuple[float, int]:
    """Seconds for a whole batch (claim, every year read+scored+written, finish)."""
    with unit_of_work(engine) as session:
        batch = batches_service.create(
            session, rubric="bench-rescore@2", years=list(YEARS), dry_run=True
        )
    assert batch.id is not None
    start = time.perf_counter()
    done = runner.run_batch(engine, batch.id)
    seconds = time.perf_counter() - start
    if done.status != "succeeded":
        raise RuntimeError(f"batch failed: {done.error}")
    return seconds, batch.id


def raw_insert(engine: Engine, batch_id: int) -> tuple[float, int]:
    """Seconds to write the batch's evaluation rows again with a plain executemany per year."""
    with engine.connect() as conn:
        runs = conn.execute(select(CohortRun).where(col(CohortRun.batch_id) == batch_id)).all()
        per_year: dict[int, list[tuple[Any, ...]]] = {}
        for run in runs:
            found = conn.execute(
                select(*[getattr(Evaluation, c) for c in EVAL_COLUMNS]).where(
                    col(Evaluation.run_id) == run.id
                )
            ).all()
            per_year[run.year] = [tuple(r) for r in found]
    with unit_of_work(engine) as session:  # a run of their own to hang the copies on
        copies = {
            year: CohortRun(
                year=year,
                rubric_id="bench-rescore",
                rubric_version=2,
                rubric_sha256="0" * 64,
                input_sha256="0" * 64,
                status="discarded",
            )
            for year in per_year
        }
        session.add_all(copies.values())
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = (
        f"INSERT INTO evaluations ({', '.join(EVAL_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(EVAL_COLUMNS))})"
    )
    count = 0
    start = time.perf_counter()
    for year, rows in per_year.items():
        # the JSON text is part of the write being measured, as it is for the batch
        params = [(copies[year].id, *r[1:-1], json.dumps(r[-1], ensure_ascii=False)) for r in rows]
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.executemany(sql, params)
            cursor.close()
        count += len(params)
    return time.perf_counter() - start, count


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--units", type=int, action="append")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    scales = args.units or list(SCALES)
    print(f"batch re-score, {len(YEARS)} years each; evaluations per second (higher is better)")
    header = (
        f"{'backend':<11}{'units':>7}{'evals':>8}{'end-to-end s':>14}{'e2e ev/s':>10}"
        f"{'raw insert s':>14}{'insert ev/s':>12}{'e2e/insert':>12}{'peak MiB':>10}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for units in scales:
                with database(backend, Path(tmp)) as engine:
                    if engine is None:
                        break
                    with unit_of_work(engine) as session:
                        for v in (1, 2):
                            rubrics_service.publish(session, rubric_toml(v))
                        session.execute(insert(Submission), submissions(units))
                    seconds, batch_id = end_to_end(engine)
                    peak = peak_rss_mib()  # before the raw-insert yardstick reloads the rows
                    insert_seconds, count = raw_insert(engine, batch_id)
                    evals = units * len(YEARS)
                    assert count == evals, (count, evals)
                    e2e_rate, insert_rate = evals / seconds, evals / insert_seconds
                    print(
                        f"{backend:<11}{units:>7}{evals:>8}{seconds:>14.2f}{e2e_rate:>10.0f}"
                        f"{insert_seconds:>14.2f}{insert_rate:>12.0f}"
                        f"{e2e_rate / insert_rate:>12.3f}{peak:>10.0f}"
                    )


if __name__ == "__main__":
    main()
