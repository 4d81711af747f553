"""Cross-site request forgery: what a request carrying the web session cookie must also carry.

A browser attaches the session cookie to any request to this host, whoever's page sent it, and
SameSite=Strict does not tell ports or sibling subdomains apart (a page on :9000 is "same-site" to
pilot on :8000). So every state-changing request (any method but GET, HEAD, OPTIONS) that is
authenticated by the cookie must

1. come from this origin: `Sec-Fetch-Site` (when the browser sends it) is `same-origin` (or `none`,
   a user's own navigation), and `Origin` (when sent) is this site's scheme, host and port, or
   one of `PILOT_TRUSTED_ORIGINS`;
2. carry the CSRF token derived from the session: header `X-CSRF-Token` (htmx sends it from the
   `hx-headers` on every page's body; scripts may too), or the form field `csrf` (every form).

Failing either is 403 with code `csrf`. Requests with `Authorization: Bearer` are not checked: a
page of another site cannot make a browser send one. `/login` has no session yet, so only its
origin is checked.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request

from pilot.domain.errors import ErrorCode, PilotError

SESSION_COOKIE = "pilot_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
NO_SESSION_YET = frozenset({"/login"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def csrf_token(session_token: str) -> str:
    """The token a session's pages post back: derived from the session, unknown to other sites."""
    return hashlib.sha256(f"pilot-csrf:{session_token}".encode()).hexdigest()[:32]


def token_matches(session_token: str | None, submitted: str | None) -> bool:
    return bool(session_token and submitted and hmac.compare_digest(csrf_token(session_token), submitted))


def _netloc(host: str, port: int | None) -> tuple[str, int | None]:
    return host.lower().rstrip("."), port


def _origin_of(value: str) -> tuple[str, tuple[str, int | None]] | None:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return scheme, _netloc(parts.hostname, port if port is not None else _DEFAULT_PORTS.get(scheme))


def _own_origin(request: Request) -> tuple[str, int | None] | None:
    host = request.headers.get("host")
    if not host:
        return None
    own = _origin_of(f"{request.url.scheme}://{host}")
    return own[1] if own else None


def _same_origin(request: Request, origin: str, trusted: list[str]) -> bool:
    theirs = _origin_of(origin)
    if theirs is None:
        return False  # "null" (a sandboxed frame, a data: URL, a redirect) or garbage
    if any(_origin_of(t) == theirs for t in trusted):
        return True
    own = _own_origin(request)
    if own is None:
        return False
    (their_host, their_port), (own_host, own_port) = theirs[1], own
    if their_host != own_host:
        return False
    # Behind a TLS-terminating proxy the request says http while the browser says https: a Host
    # without a port then matches either default port; any explicit port must be the same.
    explicit = ":" in (request.headers.get("host") or "").rsplit("]", 1)[-1]
    return their_port == own_port or (not explicit and their_port in (80, 443))


def cross_site_reason(request: Request, trusted: list[str]) -> str | None:
    """Why this request did not come from a page of this site, or None when it did (or a
    non-browser client sent neither header: then the token alone decides)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in ("same-origin", "none"):
        return f"the request came from another site (Sec-Fetch-Site: {site})"
    origin = request.headers.get("origin")
    if origin is not None and not _same_origin(request, origin, trusted):
        return f"the request came from another origin ({origin[:100]}), not this site"
    return None


def _bearer(request: Request) -> bool:
    scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and bool(credentials.strip())


async def require_same_origin_and_token(request: Request) -> None:
    """App-wide dependency: refuse a forged cookie-authenticated state change (see the module)."""
    if request.method.upper() in SAFE_METHODS or _bearer(request):
        return
    pilot = getattr(request.app.state, "pilot", None)
    trusted = pilot.settings.trusted_origin_list() if pilot is not None else []
    reason = cross_site_reason(request, trusted)
    if reason is not None:
        raise _refused(f"{reason}: refused; reload pilot's page and try again", "cross_origin")
    session = request.cookies.get(SESSION_COOKIE)
    if session is None or request.url.path in NO_SESSION_YET:
        return  # no cookie: nothing to forge with (the route itself asks for a token)
    submitted = request.headers.get(CSRF_HEADER)
    content_type = (request.headers.get("content-type") or "").lower()
    if submitted is None and content_type.startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)  # parsed once: the route reuses it
        submitted = value if isinstance(value, str) else None
    if submitted is None:
        raise _refused(
            f"a request authenticated by the session cookie needs the {CSRF_HEADER} header or a "
            f"'{CSRF_FIELD}' form field; API clients send Authorization: Bearer instead",
            "missing_token",
        )
    if not token_matches(session, submitted):
        raise _refused("the CSRF token does not match this session; reload the page", "bad_token")


def _refused(message: str, reason: str) -> PilotError:
    return PilotError(ErrorCode.CSRF, message, details={"reason": reason})
