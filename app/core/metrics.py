"""Prometheus metrics (prometheus-client) and their ``/metrics`` exposition.

Under ``ipeval serve --workers N`` each worker is its own process: ``serve`` then points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start, every worker
writes its samples there, and ``/metrics`` (answered by whichever worker) adds them up with
``MultiProcessCollector``. Gauges use ``livesum``: the sum over the live workers.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_SECONDS = Histogram(
    "ipeval_http_request_duration_seconds",
    "HTTP request latency by route template, method and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
INTAKE_QUEUE = Gauge(
    "ipeval_intake_reader_queue_depth",
    "Workbook checks waiting for a free isolated reader",
    multiprocess_mode="livesum",
)
INTAKE_ACTIVE = Gauge(
    "ipeval_intake_readers_active",
    "Isolated workbook readers running now",
    multiprocess_mode="livesum",
)
INTAKE_READS = Counter(
    "ipeval_intake_reads_total",
    "Isolated reader runs by outcome (ok, busy, timeout, crashed, refused)",
    ["outcome"],
)
BATCH_SECONDS = Histogram(
    "ipeval_batch_duration_seconds",
    "Wall-clock duration of batch re-scoring runs by final status",
    ["status"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type (all workers' samples in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def install_metrics(app: FastAPI) -> None:
    """Serve ``GET /metrics`` in the Prometheus text format (left out of the OpenAPI)."""

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)
