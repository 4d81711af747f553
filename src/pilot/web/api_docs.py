"""API documentation pages served from vendored assets: Swagger UI at /docs and ReDoc at /redoc.

FastAPI's defaults load both from a CDN (and ReDoc's fonts from Google), so offline they render
blank. The assets are vendored under ``static/vendor/`` with their licences (Swagger UI 5.35.0
from npm ``swagger-ui-dist``, ReDoc 2.5.4 from npm ``redoc``); the pages reference nothing else.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

SWAGGER = "/static/vendor/swagger-ui-5.35.0"
REDOC = "/static/vendor/redoc-2.5.4"
FAVICON = f"{SWAGGER}/favicon-32x32.png"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def register_docs(app: FastAPI) -> None:
    """Add /docs, its OAuth2 redirect and /redoc to an app built with docs_url=redoc_url=None."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            oauth2_redirect_url=OAUTH2_REDIRECT,
            # No online validator badge: it would call validator.swagger.io with the schema.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API reference",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )
