"""App factory: `create_app()` builds the FastAPI app; `pilot serve` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

import pilot
from pilot.api.routes import anomalies, ask, documents, extract, programs, review, status, writeback
from pilot.domain.errors import PilotError
from pilot.pipeline.context import Clock, Pilot, open_pilot
from pilot.pipeline.jobs import JobRunner
from pilot.settings import Settings
from pilot.web import pages as web_pages


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, context: Pilot | None = None
) -> FastAPI:
    """Build the app. The database opens at start-up, not at import, and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = context is None
        app.state.pilot = context or open_pilot(settings, actor="api", clock=clock)
        app.state.runner = JobRunner(app.state.pilot, workers=2)
        try:
            yield
        finally:
            app.state.runner.shutdown()
            if owned:
                app.state.pilot.close()

    app = FastAPI(
        title="pilot",
        version=pilot.__version__,
        description="Program intelligence for engineering program managers: anomalies and KPIs, "
        "transcript extraction, status drafts, questions with citations, and a review queue.",
        lifespan=lifespan,
    )

    @app.exception_handler(PilotError)
    async def pilot_error_handler(_request: Request, exc: PilotError) -> JSONResponse:
        return JSONResponse(status_code=exc.code.http_status, content={"error": exc.to_dict()})

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
    app.include_router(web_pages.router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(web_pages.__file__).parent / "static")), name="static"
    )
    return app
