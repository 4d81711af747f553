"""How errors become HTTP answers, for the API and the pages alike.

- `PilotError` -> its code's status; a 5xx one is logged with its cause (the traceback), so a
  storage failure is in the server log, not only in the access line.
- Bad input that escaped validation as `ValueError`, `OverflowError`, `RecursionError` or a text
  encoding error (an impossible date, a huge number, a deeply nested document, a lone surrogate)
  -> 422 with what was wrong, never a 500. It is logged as a warning with its traceback: the
  boundary that let it through should have said so itself.
- Request validation errors are answered even when the offending input cannot be encoded as
  UTF-8 (a lone surrogate `"\\ud800"` in a JSON body).
- Anything else -> 500 `internal`, logged with its traceback.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilot.domain.errors import ErrorCode, PilotError

log = logging.getLogger("pilot.api")

INPUT_ERRORS: tuple[type[Exception], ...] = (ValueError, OverflowError, RecursionError)

# A JSON body larger than this is refused before it is parsed (uploads are multipart, not JSON).
MAX_JSON_BODY_BYTES = 16 * 1024 * 1024


def input_error(exc: BaseException) -> PilotError:
    """The 4xx PilotError for bad input that surfaced as a Python error."""
    if isinstance(exc, UnicodeError):
        message = "the text is not valid Unicode (an unpaired surrogate such as \\ud800 or a bad byte)"
    elif isinstance(exc, RecursionError):
        message = "the input is nested too deeply"
    elif isinstance(exc, OverflowError):
        message = f"a number or date in the input is out of range ({exc})"
    else:
        message = f"invalid input: {exc}"
    return PilotError(ErrorCode.INVALID_INPUT, message[:500])


def _where(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def log_server_error(request: Request, exc: BaseException, status: int) -> None:
    log.error("%s answered %d: %s", _where(request), status, exc, exc_info=exc)


def _safe(value: Any) -> Any:
    """`value` with every string encodable as UTF-8 (lone surrogates escaped)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_safe(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    return value


ErrorPage = Callable[[Request, PilotError], Response | None]


def pilot_error_response(request: Request, exc: PilotError) -> JSONResponse:
    """A PilotError as its JSON answer; a 5xx is logged with its cause first."""
    status = exc.code.http_status
    if status >= 500:
        log_server_error(request, exc.__cause__ or exc, status)
    return JSONResponse(status_code=status, content=_safe({"error": exc.to_dict()}))


def install_error_handlers(app: FastAPI, *, as_page: ErrorPage | None = None) -> None:
    """`as_page` answers an error as an HTML page when it returns one (a browser's refused form)."""

    @app.exception_handler(PilotError)
    async def pilot_error_handler(request: Request, exc: PilotError) -> Response:
        page = as_page(request, exc) if as_page is not None else None
        return page if page is not None else pilot_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=_safe(jsonable_encoder({"detail": exc.errors()})))

    async def input_error_handler(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s: bad input reached the code as %s", _where(request), type(exc).__name__, exc_info=exc)
        return pilot_error_response(request, input_error(exc))

    for kind in INPUT_ERRORS:
        app.add_exception_handler(kind, input_error_handler)

    @app.exception_handler(Exception)
    async def internal_handler(request: Request, exc: Exception) -> JSONResponse:
        log_server_error(request, exc, 500)
        error = PilotError(ErrorCode.INTERNAL, "internal error (logged on the server)")
        return JSONResponse(status_code=500, content={"error": error.to_dict()})

    app.add_middleware(JsonTextGuard)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class JsonTextGuard:
    """Refuse (422) a JSON body whose strings are not valid Unicode: JSON may spell a lone
    surrogate (`"\\ud800"`), which no database, log or answer can encode. Other bodies pass
    through untouched; JSON ones are small and read once, then handed on as they came."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BODY_BYTES:
                await _refuse(send, scope, f"a JSON body is limited to {MAX_JSON_BODY_BYTES} bytes", 413)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _SURROGATE_ESCAPE.search(body) and _lone_surrogate_in(body):
            await _refuse(send, scope, input_error(UnicodeError()).message, 422)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


def _lone_surrogate_in(body: bytes) -> bool:
    try:
        return _has_lone_surrogate(json.loads(body))
    except (ValueError, RecursionError):
        return False  # not JSON at all: the route's own validation says so


async def _refuse(send: Send, scope: Scope, message: str, status: int) -> None:
    error = PilotError(ErrorCode.INVALID_INPUT, message)
    response = JSONResponse(status_code=status, content={"error": error.to_dict()})
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
