"""Users, per-program grants and API tokens (stored hashed; the clear token is shown once).

Token times (created, expires, last used, revoked) are on the machine's clock, never on a program
clock: the demo and tests fix the program clock, and a fixed clock must not keep an expired token
alive. `last_used_at` is written at most once per `LAST_USED_EVERY`, so authenticating is a read
on almost every request (no write lock taken per request)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.clock import system_clock
from pilot.domain.auth import ALL_PROGRAMS, Principal, Role, TokenInfo
from pilot.domain.errors import ErrorCode, PilotError
from pilot.store.db import Database
from pilot.store.tables import ApiTokenRow, GrantRow, UserRow

TOKEN_PREFIX = "plt_"
LAST_USED_EVERY = timedelta(minutes=5)


def wall_clock() -> datetime:
    """Token lifetimes run on the machine's clock, never on a program clock (which may be fixed)."""
    return system_clock()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_user(
    session: Session, user_id: str, *, name: str, now: datetime, email: str | None = None
) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None:
        row = UserRow(id=user_id, name=name, email=email, created_at=now, disabled=False)
        session.add(row)
        session.flush()
    return row


def grant(session: Session, user_id: str, program_id: str, role: Role) -> None:
    if session.get(UserRow, user_id) is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"user {user_id!r} not found")
    row = session.get(GrantRow, (user_id, program_id))
    if row is None:
        session.add(GrantRow(user_id=user_id, program_id=program_id, role=role.value))
    else:
        row.role = role.value
    session.flush()


def create_token(
    session: Session,
    user_id: str,
    *,
    name: str,
    now: datetime,
    kind: str = "api",
    expires_at: datetime | None = None,
) -> str:
    """Create a token and return it in clear; only its hash is stored."""
    if session.get(UserRow, user_id) is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"user {user_id!r} not found")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiTokenRow(
            user_id=user_id,
            name=name,
            prefix=token[:10],
            token_hash=hash_token(token),
            kind=kind,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token


def revoke_token_id(session: Session, token_id: int, now: datetime) -> ApiTokenRow:
    """Revoke a token by its id (as `pilot token list` shows it); revoking twice changes nothing."""
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"token {token_id} not found")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def token_rows(session: Session, *, user_id: str | None = None) -> list[ApiTokenRow]:
    query = select(ApiTokenRow).order_by(ApiTokenRow.id)
    if user_id is not None:
        query = query.where(ApiTokenRow.user_id == user_id)
    return list(session.execute(query).scalars())


def user_grants(session: Session, user_id: str) -> dict[str, Role]:
    rows = session.execute(select(GrantRow).where(GrantRow.user_id == user_id)).scalars()
    return {g.program_id: Role(g.role) for g in rows}


def token_info(row: ApiTokenRow, grants: dict[str, Role], now: datetime) -> TokenInfo:
    if row.revoked_at is not None:
        state = "revoked"
    elif row.expires_at is not None and row.expires_at <= now:
        state = "expired"
    else:
        state = "active"
    return TokenInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        kind=row.kind,
        grants=grants,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        state=state,
    )


# A token's last use is recorded at most this often: authenticating a request reads, and a busy
# client does not turn every request into a write (on SQLite, one writer at a time).
TOKEN_TOUCH_INTERVAL = LAST_USED_EVERY


def _valid_token_row(session: Session, token: str, now: datetime) -> ApiTokenRow | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.execute(
        select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= TOKEN_TOUCH_INTERVAL or last_used_at > now


def touch_token(session: Session, token: str, now: datetime) -> None:
    """Record the token's use (a write): only when the last record is older than the interval."""
    row = _valid_token_row(session, token, now)
    if row is not None and needs_touch(row.last_used_at, now):
        row.last_used_at = now
        session.flush()


def authenticate(session: Session, token: str, now: datetime) -> Principal | None:
    """The principal a token stands for, or None when it is unknown, revoked, expired or disabled.
    It only reads (see `authenticate_request` for recording the token's use)."""
    row = _valid_token_row(session, token, now)
    if row is None:
        return None
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled:
        return None
    return Principal(user_id=user.id, name=user.name, grants=user_grants(session, user.id))


def authenticate_request(db: Database, token: str, now: datetime) -> Principal | None:
    """Authenticate a request in a read-only unit of work; the token's `last_used_at` is written in
    a short transaction of its own, at most once per `TOKEN_TOUCH_INTERVAL`."""
    with db.reading() as session:
        principal = authenticate(session, token, now)
        row = _valid_token_row(session, token, now) if principal is not None else None
        stale = row is not None and needs_touch(row.last_used_at, now)
    if stale:
        with db.transaction() as session:
            touch_token(session, token, now)
    return principal


def create_user_with_token(
    session: Session,
    user_id: str,
    *,
    name: str,
    role: Role,
    program_id: str = ALL_PROGRAMS,
    now: datetime,
    token_name: str = "default",
    expires_at: datetime | None = None,
) -> str:
    ensure_user(session, user_id, name=name, now=now)
    grant(session, user_id, program_id, role)
    return create_token(session, user_id, name=token_name, now=now, expires_at=expires_at)
