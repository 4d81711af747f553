"""Users, per-program grants and API tokens (stored hashed; the clear token is shown once)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.domain.auth import ALL_PROGRAMS, Principal, Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.store.tables import ApiTokenRow, GrantRow, UserRow

TOKEN_PREFIX = "plt_"


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


def revoke_token(session: Session, token: str, now: datetime) -> None:
    row = session.execute(
        select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def authenticate(session: Session, token: str, now: datetime) -> Principal | None:
    """The principal a token stands for, or None when it is unknown, revoked, expired or disabled."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.execute(
        select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = session.get(UserRow, row.user_id)
    if user is None or user.disabled:
        return None
    row.last_used_at = now
    grants = {
        g.program_id: Role(g.role)
        for g in session.execute(select(GrantRow).where(GrantRow.user_id == user.id)).scalars()
    }
    return Principal(user_id=user.id, name=user.name, grants=grants)


def create_user_with_token(
    session: Session,
    user_id: str,
    *,
    name: str,
    role: Role,
    program_id: str = ALL_PROGRAMS,
    now: datetime,
    token_name: str = "default",
) -> str:
    ensure_user(session, user_id, name=name, now=now)
    grant(session, user_id, program_id, role)
    return create_token(session, user_id, name=token_name, now=now)
