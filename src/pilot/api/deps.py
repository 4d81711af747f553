"""Dependencies every route states in its signature: who is calling, and their access to a program.

Access is checked before any data is read. A caller with no role on a program gets 404 for it,
exactly as if it did not exist, so program names and contents never leak across programs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from pilot.api.csrf import SESSION_COOKIE as SESSION_COOKIE
from pilot.domain.auth import Principal, Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job
from pilot.pipeline.access import authenticate_token
from pilot.pipeline.context import Pilot
from pilot.pipeline.jobs import JobRunner, outcome_or_raise

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
    principal = authenticate_token(pilot, token)
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


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


RunnerDep = Annotated[JobRunner, Depends(get_runner)]

# How long a request waits for a short job (scan, approvals, push, notify) before answering 202.
WaitParam = Annotated[
    float | None,
    Query(
        ge=0, le=60, description="Seconds to wait for the job's outcome before answering 202 with the job."
    ),
]

M = TypeVar("M", bound=BaseModel)


def job_answer(runner: JobRunner, job: Job, wait: float | None, model: type[M]) -> M | JSONResponse:
    """The job's result when it ends within `wait` seconds (its error raised as the API error it
    is); otherwise 202 with the job to poll at `GET /programs/{id}/jobs/{job_id}`."""
    limit = runner.pilot.settings.job_wait_s if wait is None else wait
    done = runner.wait(job.id, timeout=limit)
    result = outcome_or_raise(done)
    if result is None:
        return JSONResponse(status_code=202, content=done.model_dump(mode="json"))
    return model.model_validate(result)
