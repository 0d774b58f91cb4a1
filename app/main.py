"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from app import __version__
from app.audit.routes import router as audit_router
from app.auth.deps import install_denial_audit
from app.auth.gate import BodyGate
from app.auth.routes import router as auth_router
from app.batches.routes import router as batches_router
from app.core.database import make_engine
from app.core.docs import install_docs
from app.core.errors import UnexpectedErrors, install_problem_handlers
from app.core.headers import SecurityHeaders, install_cors
from app.core.metrics import install_metrics
from app.core.observability import RequestContext
from app.core.settings import Settings, get_settings
from app.deps import RequestDatabase
from app.evaluations.routes import router as evaluations_router
from app.evidence.routes import router as evidence_router
from app.health.routes import router as health_router
from app.intake import isolate
from app.notices.routes import router as notices_router
from app.openapi import install_openapi
from app.panels.routes import router as panels_router
from app.programme.routes import router as programme_router
from app.reports.routes import router as reports_router
from app.reviews.routes import router as reviews_router
from app.rubrics.routes import router as rubrics_router
from app.submissions.routes import router as submissions_router
from app.submissions.upload import FRAMING_BYTES
from app.web.mount import mount as mount_web

API_PREFIX = "/api/v1"

DESCRIPTION = """
Evaluation engine for China's IP-strong-province pilot programme (知识产权强省建设试点).

Provincial IP offices upload their annual workbook; the engine validates and scores it
against a versioned rubric and proposes a decision; national evaluators review and confirm
or override it. Errors are `application/problem+json` (RFC 9457) with a stable `code` and
Chinese and English text (`detail_zh`, `detail_en`).
"""


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(health_router)
    router.include_router(auth_router)
    router.include_router(audit_router)
    router.include_router(submissions_router)
    # reviews first: GET /evaluations/{id}/reviews must win over /evaluations/{year}/{province}
    router.include_router(reviews_router)
    # before evaluations: /evaluations/{year}.xlsx must not reach /evaluations/{evaluation_id}
    router.include_router(reports_router)
    router.include_router(evaluations_router)
    router.include_router(rubrics_router)
    router.include_router(batches_router)
    router.include_router(panels_router)
    router.include_router(evidence_router)
    router.include_router(notices_router)
    router.include_router(programme_router)
    return router


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application; tests pass their own settings and engine."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Started now, from the thread that serves until shutdown (the helper dies with it):
        # workbook readers are forked from the helper, whatever the server grows to.
        starts_zygote = not isolate.ZYGOTE.running
        if starts_zygote:
            # not waited for: the first read waits for what is left of its 0.3 s start
            isolate.ZYGOTE.start(wait=False)
        # Everything built so far (modules, routes, models) lives as long as the server: out
        # of the collector's sight, a full collection walks only what requests made since.
        # Walking it all took up to 250 ms mid-request under load, the detail's p99 at 64
        # connections 268-310 ms against 118-122 ms frozen (bench/api.py's set-up). No collection
        # first: in a process holding much (a test run starting many apps) it costs seconds.
        gc.freeze()
        yield
        gc.unfreeze()
        if starts_zygote:
            isolate.ZYGOTE.stop()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="ipeval",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.database = RequestDatabase(engine, settings.db_pool_size, settings.db_threads)
    install_problem_handlers(app)
    install_denial_audit(app)
    install_docs(app)
    install_openapi(app)
    install_metrics(app)
    app.include_router(api_router())
    mount_web(app)
    install_body_gate(app, settings)
    install_cors(app, settings.cors_origins)
    # inside the two below: a bug's 500 gets the security headers and the request id
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(SecurityHeaders)  # every response, refusals and errors included
    # outermost: every response, refusals included, carries the request id
    app.add_middleware(RequestContext)
    return app


def install_body_gate(app: FastAPI, settings: Settings) -> None:
    """Body limits and authentication before any API request body is read (413 / 401 / 429).

    The workbook and evidence uploads stream their bodies under their own cap
    (``max_upload_bytes``); a rubric (TOML text or one file) may be as large; every other
    body is JSON, limited to ``max_json_body_bytes``.
    """
    body_limits: dict[str, int | None] = {
        f"{API_PREFIX}/submissions": None,
        f"{API_PREFIX}/submissions/[^/]+/evidence": None,
        f"{API_PREFIX}/rubrics": settings.max_upload_bytes + FRAMING_BYTES,
    }
    app.add_middleware(BodyGate, settings=settings, prefix=API_PREFIX, limits=body_limits)
