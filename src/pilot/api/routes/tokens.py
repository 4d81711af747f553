"""API tokens over HTTP: list, create (with an expiry) and revoke. Everyone lists and revokes their
own; admins manage those of users within the programs they administer (`pilot.pipeline.access`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import PilotDep, PrincipalDep, RowId
from pilot.clock import system_clock as wall_clock
from pilot.domain.auth import ALL_PROGRAMS, Role, TokenInfo
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.access import IssuedToken, issue, list_tokens, revoke

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
    role: Role
    program: str = Field(default=ALL_PROGRAMS, min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200, description="The user's display name (new users).")
    token_name: str = Field(default="default", min_length=1, max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="Lifetime; none: no expiry.")
    expires_at: datetime | None = Field(
        default=None, description="Instead of expires_in_days (with an offset)."
    )


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


@router.get("/tokens")
def list_tokens_route(
    principal: PrincipalDep,
    pilot: PilotDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    all: Annotated[bool, Query(description="Also revoked and expired tokens.")] = False,  # noqa: A002
) -> list[TokenInfo]:
    """Tokens you may manage (never their values): yours, and, as an admin, those of users within
    the programs you administer."""
    return list_tokens(pilot, user_id=user, include_inactive=all, by=principal)


@router.post("/tokens", status_code=201)
def create_token_route(body: TokenRequest, principal: PrincipalDep, pilot: PilotDep) -> IssuedToken:
    """A new token for a user with a role on a program (needs the admin role there). The token is
    in this answer only; pilot keeps its hash."""
    if body.expires_in_days is not None and body.expires_at is not None:
        raise PilotError(ErrorCode.INVALID_INPUT, "give expires_in_days or expires_at, not both")
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise PilotError(ErrorCode.INVALID_INPUT, "expires_at needs a UTC offset")
    expires = body.expires_at
    if body.expires_in_days is not None:
        expires = wall_clock() + timedelta(days=body.expires_in_days)
    return issue(
        pilot,
        user_id=body.user,
        role=body.role,
        program_id=body.program,
        name=body.name,
        token_name=body.token_name,
        expires_at=expires,
        by=principal,
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token_route(
    token_id: RowId, principal: PrincipalDep, pilot: PilotDep, body: RevokeRequest | None = None
) -> TokenInfo:
    """Revoke a token: every request with it answers 401 from now on. Revoking twice is a no-op."""
    return revoke(pilot, token_id, by=principal, reason=body.reason if body else None)
