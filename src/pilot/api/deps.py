"""Dependencies every route states in its signature: who is calling, and their access to a program.

Access is checked before any data is read. A caller with no role on a program gets 404 for it,
exactly as if it did not exist, so program names and contents never leak across programs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pilot.domain.auth import Principal, Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.store.auth import authenticate

SESSION_COOKIE = "pilot_session"

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer plt_...`")


def get_pilot(request: Request) -> Pilot:
    pilot: Pilot = request.app.state.pilot
    return pilot


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials is not None else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise PilotError(ErrorCode.UNAUTHENTICATED, "an API token is required (Authorization: Bearer ...)")
    pilot = get_pilot(request)
    with pilot.db.transaction() as session:
        principal = authenticate(session, token, pilot.now())
    if principal is None:
        raise PilotError(ErrorCode.UNAUTHENTICATED, "the token is unknown, revoked or expired")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def acting_pilot(request: Request, principal: PrincipalDep) -> Pilot:
    """The app's Pilot with the caller as the actor recorded in the audit log."""
    return dataclasses.replace(get_pilot(request), actor=principal.actor)


PilotDep = Annotated[Pilot, Depends(acting_pilot)]


@dataclass(frozen=True)
class ProgramScope:
    program_id: str
    principal: Principal
    role: Role


def check_access(principal: Principal, program_id: str, needed: Role) -> ProgramScope:
    role = principal.role_on(program_id)
    if role is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")
    if not role.allows(needed):
        raise PilotError(
            ErrorCode.FORBIDDEN, f"this needs the {needed.value} role on {program_id!r}; you are {role.value}"
        )
    return ProgramScope(program_id=program_id, principal=principal, role=role)


def _requires(needed: Role) -> object:
    def dependency(program_id: str, principal: PrincipalDep) -> ProgramScope:
        return check_access(principal, program_id, needed)

    return Depends(dependency)


CanView = Annotated[ProgramScope, _requires(Role.VIEWER)]
CanEdit = Annotated[ProgramScope, _requires(Role.EDITOR)]
CanApprove = Annotated[ProgramScope, _requires(Role.APPROVER)]
CanAdmin = Annotated[ProgramScope, _requires(Role.ADMIN)]


# A numeric row id in a path: bounded to what the databases store (SQLite INTEGER is 64-bit).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
