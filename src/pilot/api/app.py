"""App factory: `create_app()` builds the FastAPI app; `pilot serve` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

import pilot
from pilot.api.csrf import require_same_origin_and_token
from pilot.api.errors import install_error_handlers
from pilot.api.routes import (
    anomalies,
    artifacts,
    ask,
    delivery,
    documents,
    extract,
    owe,
    plan,
    programs,
    review,
    status,
    tokens,
    writeback,
)
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Clock, Pilot, open_pilot
from pilot.pipeline.heap import startup_heap_frozen
from pilot.pipeline.ingest import schedule_pending_indexing
from pilot.pipeline.jobs import open_runner
from pilot.pipeline.programs import MAX_PROGRAM_FILE_BYTES
from pilot.settings import Settings
from pilot.web import anomaly_pages, artifact_pages, home_pages, owe_pages, record_pages, status_pages
from pilot.web import pages as web_pages
from pilot.web import plan as web_plan
from pilot.web.api_docs import register_docs


def request_limits(settings: Settings) -> dict[str, Any]:
    """The documented size limits, applied where requests are parsed: a pasted transcript (a form
    field) may be as large as an uploaded one, `PILOT_MAX_TRANSCRIPT_BYTES`; a whole request may
    carry that or a program file (64 MB), plus room for the form's other fields."""
    transcript = settings.max_transcript_bytes
    return {
        "form_limits": {"max_part_size": transcript + 4096, "max_fields": 100, "max_files": 10},
        "max_body_size": max(transcript, MAX_PROGRAM_FILE_BYTES) + 1024 * 1024,
    }


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, context: Pilot | None = None
) -> FastAPI:
    """Build the app. The database opens at start-up, not at import, and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = context is None
        app.state.pilot = context or open_pilot(settings, actor="api", clock=clock)
        # The local queue recovers interrupted jobs as it starts; documents stored but never indexed
        # (a crash between the two) get an index job: nothing is indexed inside a request.
        app.state.runner = open_runner(app.state.pilot)
        schedule_pending_indexing(app.state.pilot, app.state.runner)
        try:
            with startup_heap_frozen():
                yield
        finally:
            # SIGTERM: running jobs get a few seconds, then go back to the queue; queued ones wait.
            app.state.runner.shutdown(grace_s=5.0)
            if owned:
                app.state.pilot.close()

    limits = request_limits((context.settings if context is not None else None) or settings or Settings())
    app = FastAPI(
        **limits,
        title="pilot",
        version=pilot.__version__,
        description="Program intelligence for engineering program managers: anomalies and KPIs, "
        "transcript extraction, status drafts, questions with citations, and a review queue.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets by register_docs (no CDN)
        redoc_url=None,
        # Every change sent with the session cookie comes from this site and carries its token.
        dependencies=[Depends(require_same_origin_and_token)],
    )
    register_docs(app)

    install_error_handlers(app, as_page=_csrf_error_page)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": pilot.__version__}

    app.include_router(programs.router)
    app.include_router(anomalies.router)
    app.include_router(review.router)
    app.include_router(extract.router)
    app.include_router(documents.router)
    app.include_router(writeback.router)
    app.include_router(status.router)
    app.include_router(ask.router)
    app.include_router(owe.router)
    app.include_router(plan.router)
    app.include_router(delivery.router)
    app.include_router(artifacts.router)
    app.include_router(tokens.router)
    app.include_router(home_pages.router)
    app.include_router(web_pages.router)
    app.include_router(owe_pages.router)
    app.include_router(artifact_pages.router)
    app.include_router(web_plan.router)
    app.include_router(record_pages.router)
    app.include_router(status_pages.router)
    app.include_router(anomaly_pages.router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(web_pages.__file__).parent / "static")), name="static"
    )
    return app


def _csrf_error_page(request: Request, exc: PilotError) -> Response | None:
    """A refused cross-site form is shown to the browser as a page; everything else answers JSON."""
    if exc.code == ErrorCode.CSRF and "text/html" in request.headers.get("accept", ""):
        return web_pages.render(request, "error.html", status_code=exc.code.http_status, error=exc)
    return None
