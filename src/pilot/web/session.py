"""Web sessions: the API token in an HttpOnly, SameSite=Strict cookie, and a CSRF token derived
from it that every form posts back (a page of another site can neither read nor forge it)."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from pilot.api.deps import SESSION_COOKIE, get_pilot
from pilot.domain.auth import Principal
from pilot.store.auth import authenticate


def csrf_token(session_token: str) -> str:
    return hashlib.sha256(f"pilot-csrf:{session_token}".encode()).hexdigest()[:32]


def current_principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    pilot = get_pilot(request)
    with pilot.db.transaction() as session:
        return authenticate(session, token, pilot.now())


def csrf_ok(request: Request, submitted: str | None) -> bool:
    token = request.cookies.get(SESSION_COOKIE)
    return bool(token and submitted and hmac.compare_digest(csrf_token(token), submitted))
