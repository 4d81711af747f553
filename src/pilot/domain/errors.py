"""One error type for all of pilot, with codes that say who must act.

Business code raises `PilotError(ErrorCode.X, "message", details=...)`; only the API layer turns
it into an HTTP answer and only the CLI turns it into an exit code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Actor(StrEnum):
    """Who has to do something about an error."""

    USER = "user"  # the person calling pilot sent something wrong
    OPERATOR = "operator"  # configuration, credentials, infrastructure
    UPSTREAM = "upstream"  # an external service (LLM, Jira, ...) misbehaved
    PILOT = "pilot"  # a bug in pilot itself


class ErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"
    INVALID_PROGRAM_FILE = "invalid_program_file"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    CSRF = "csrf"  # a cookie-authenticated change from another origin or without the session's token
    CONFIGURATION = "configuration"
    NOT_CONFIGURED = "not_configured"  # an optional integration (Jira, GitHub, Slack, ...) is not set up
    CREDENTIALS = "credentials"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_RATE_LIMITED = "upstream_rate_limited"
    UPSTREAM_INVALID_OUTPUT = "upstream_invalid_output"
    STORAGE = "storage"
    INTERRUPTED = "interrupted"  # a job whose worker stopped mid-way (crash, kill); retryable
    INTERNAL = "internal"

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self]

    @property
    def actor(self) -> Actor:
        return _ACTOR[self]


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.INVALID_PROGRAM_FILE: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.CSRF: 403,
    ErrorCode.CONFIGURATION: 500,
    ErrorCode.NOT_CONFIGURED: 409,
    ErrorCode.CREDENTIALS: 502,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503,
    ErrorCode.UPSTREAM_RATE_LIMITED: 503,
    ErrorCode.UPSTREAM_INVALID_OUTPUT: 502,
    ErrorCode.STORAGE: 500,
    ErrorCode.INTERRUPTED: 503,
    ErrorCode.INTERNAL: 500,
}

_ACTOR: dict[ErrorCode, Actor] = {
    ErrorCode.INVALID_INPUT: Actor.USER,
    ErrorCode.INVALID_PROGRAM_FILE: Actor.USER,
    ErrorCode.NOT_FOUND: Actor.USER,
    ErrorCode.CONFLICT: Actor.USER,
    ErrorCode.FORBIDDEN: Actor.USER,
    ErrorCode.UNAUTHENTICATED: Actor.USER,
    ErrorCode.CSRF: Actor.USER,
    ErrorCode.CONFIGURATION: Actor.OPERATOR,
    ErrorCode.NOT_CONFIGURED: Actor.OPERATOR,
    ErrorCode.CREDENTIALS: Actor.OPERATOR,
    ErrorCode.UPSTREAM_UNAVAILABLE: Actor.UPSTREAM,
    ErrorCode.UPSTREAM_RATE_LIMITED: Actor.UPSTREAM,
    ErrorCode.UPSTREAM_INVALID_OUTPUT: Actor.UPSTREAM,
    ErrorCode.STORAGE: Actor.OPERATOR,
    ErrorCode.INTERRUPTED: Actor.OPERATOR,
    ErrorCode.INTERNAL: Actor.PILOT,
}


class PilotError(Exception):
    """The only exception pilot raises on purpose.

    `details` is JSON-serialisable data for the caller, e.g. a list of every problem found in a
    program file with its YAML path and line.
    """

    def __init__(self, code: ErrorCode, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code.value,
            "message": self.message,
            "actor": self.code.actor.value,
        }
        if self.details is not None:
            out["details"] = self.details
        return out

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"
