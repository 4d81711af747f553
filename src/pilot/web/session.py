"""Web sessions: the API token in an HttpOnly, SameSite=Strict cookie, and a CSRF token derived
from it that every form posts back (a page of another site can neither read nor forge it)."""

from __future__ import annotations

from fastapi import Request

from pilot.api.csrf import csrf_token as csrf_token
from pilot.api.deps import SESSION_COOKIE, get_pilot
from pilot.domain.auth import Principal
from pilot.pipeline.access import authenticate_token


def current_principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    pilot = get_pilot(request)
    return authenticate_token(pilot, token)
