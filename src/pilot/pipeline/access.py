"""Users, grants and tokens as use cases: `pilot token create|list|revoke`, the token API, the
demo's admin token. Every change is audited (never the token, only its id and first characters).

Who may manage whose tokens (through the API; the CLI is the operator's and may do anything):
everyone lists and revokes their own; an admin on every program (`*`) manages all; an admin of
some programs manages the tokens of users whose every grant is on programs they administer, and
grants roles on those programs only. So a program admin can never mint a token for a user who
holds more than they do."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select

from pilot.domain.auth import ALL_PROGRAMS, Principal, Role, TokenInfo
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.store.audit import append_event
from pilot.store.auth import (
    create_user_with_token,
    hash_token,
    revoke_token_id,
    token_info,
    token_rows,
    user_grants,
    wall_clock,
)
from pilot.store.tables import ApiTokenRow, UserRow

DEMO_USER = "demo-admin"
DEMO_TOKEN_NAME = "demo"
DEMO_TOKEN_LIFETIME = timedelta(days=7)
MAX_TOKEN_LIFETIME = timedelta(days=3650)


class IssuedToken(BaseModel):
    token: str  # shown once: only its hash is stored
    info: TokenInfo


def issue_token(
    pilot: Pilot,
    *,
    user_id: str,
    name: str | None = None,
    role: Role,
    program_id: str = ALL_PROGRAMS,
    token_name: str = "default",
    expires_at: datetime | None = None,
) -> str:
    """Create (or reuse) a user, grant the role on the program and return a new token in clear."""
    return issue(
        pilot,
        user_id=user_id,
        name=name,
        role=role,
        program_id=program_id,
        token_name=token_name,
        expires_at=expires_at,
    ).token


def issue(
    pilot: Pilot,
    *,
    user_id: str,
    role: Role,
    program_id: str = ALL_PROGRAMS,
    name: str | None = None,
    token_name: str = "default",
    expires_at: datetime | None = None,
    by: Principal | None = None,
) -> IssuedToken:
    """A new token for the user, with the role granted on the program; `by` (an API caller) must
    be allowed to (see the module); None is the operator at the command line."""
    now = wall_clock()
    if expires_at is not None and not now < expires_at <= now + MAX_TOKEN_LIFETIME:
        raise PilotError(ErrorCode.INVALID_INPUT, "the expiry must be in the future and within 10 years")
    with pilot.db.transaction() as session:
        if by is not None:
            _check_may_grant(by, program_id, role)
            if session.get(UserRow, user_id) is not None:
                _check_may_manage(by, user_id, user_grants(session, user_id))
        token = create_user_with_token(
            session,
            user_id,
            name=name or user_id,
            role=role,
            program_id=program_id,
            now=now,
            token_name=token_name,
            expires_at=expires_at,
        )
        row = session.execute(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token))
        ).scalar_one()
        info = token_info(row, user_grants(session, user_id), now)
        append_event(
            session,
            actor=by.actor if by else pilot.actor,
            action="token.create",
            program_id=None if program_id == ALL_PROGRAMS else program_id,
            subject=f"user:{user_id}",
            after={
                "role": role.value,
                "program": program_id,
                "token_name": token_name,
                "token_id": info.id,
                "prefix": info.prefix,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            at=pilot.now(),
        )
    return IssuedToken(token=token, info=info)


def list_tokens(
    pilot: Pilot, *, user_id: str | None = None, include_inactive: bool = False, by: Principal | None = None
) -> list[TokenInfo]:
    """Tokens (never their values), oldest first: active ones, or all with `include_inactive`."""
    now = wall_clock()
    with pilot.db.transaction() as session:
        grants: dict[str, dict[str, Role]] = {}
        found = []
        for row in token_rows(session, user_id=user_id):
            if row.user_id not in grants:
                grants[row.user_id] = user_grants(session, row.user_id)
            if by is not None and not _may_manage(by, row.user_id, grants[row.user_id]):
                continue
            info = token_info(row, grants[row.user_id], now)
            if include_inactive or info.state == "active":
                found.append(info)
    return found


def revoke(
    pilot: Pilot, token_id: int, *, by: Principal | None = None, reason: str | None = None
) -> TokenInfo:
    """Revoke a token by id: every request with it is refused (401) from now on."""
    now = wall_clock()
    with pilot.db.transaction() as session:
        row = session.get(ApiTokenRow, token_id)
        if row is None or (
            by is not None and not _may_manage(by, row.user_id, user_grants(session, row.user_id))
        ):
            raise PilotError(ErrorCode.NOT_FOUND, f"token {token_id} not found")
        was_active = row.revoked_at is None
        revoke_token_id(session, token_id, now)
        if was_active:
            append_event(
                session,
                actor=by.actor if by else pilot.actor,
                action="token.revoke",
                program_id=None,
                subject=f"user:{row.user_id}",
                after={"token_id": row.id, "prefix": row.prefix, "token_name": row.name, "reason": reason},
                at=pilot.now(),
            )
        return token_info(row, user_grants(session, row.user_id), now)


def issue_demo_token(pilot: Pilot, program_id: str) -> IssuedToken:
    """The demo's admin token: earlier demo tokens are revoked and this one expires in a week, so
    running the demo again never leaves a pile of admin tokens that live forever."""
    for old in list_tokens(pilot, user_id=DEMO_USER):
        if old.name == DEMO_TOKEN_NAME:
            revoke(pilot, old.id, reason="replaced by a new demo run")
    return issue(
        pilot,
        user_id=DEMO_USER,
        name="Demo admin",
        role=Role.ADMIN,
        program_id=program_id,
        token_name=DEMO_TOKEN_NAME,
        expires_at=wall_clock() + DEMO_TOKEN_LIFETIME,
    )


def _may_manage(by: Principal, user_id: str, grants: dict[str, Role]) -> bool:
    if by.user_id == user_id or by.role_on(ALL_PROGRAMS) == Role.ADMIN:
        return True
    if not grants or ALL_PROGRAMS in grants:
        return False
    return all(by.role_on(program) == Role.ADMIN for program in grants)


def _check_may_manage(by: Principal, user_id: str, grants: dict[str, Role]) -> None:
    if not _may_manage(by, user_id, grants):
        raise PilotError(
            ErrorCode.FORBIDDEN,
            f"user {user_id!r} has roles on programs you do not administer; ask an admin of all programs",
        )


def _check_may_grant(by: Principal, program_id: str, role: Role) -> None:
    held = by.grants.get(ALL_PROGRAMS) if program_id == ALL_PROGRAMS else by.role_on(program_id)
    if held != Role.ADMIN:
        where = "every program" if program_id == ALL_PROGRAMS else repr(program_id)
        raise PilotError(ErrorCode.FORBIDDEN, f"granting {role.value} on {where} needs the admin role there")


def authenticate_token(pilot: Pilot, token: str) -> Principal | None:
    """Who a token (API bearer or web session) stands for; None when unknown, revoked or expired
    (on the machine's clock)."""
    from pilot.store.auth import authenticate_request

    # A read on almost every request: the token's last use is written at most every few minutes.
    return authenticate_request(pilot.db, token, wall_clock())
