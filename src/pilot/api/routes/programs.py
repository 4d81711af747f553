"""Programs: list, read, import and export program files; who am I; verify the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from pilot.api.deps import CanAdmin, CanView, PilotDep, PrincipalDep
from pilot.domain.audit import ChainReport
from pilot.domain.auth import Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData, ProgramInfo, SaveSummary
from pilot.pipeline.audit import verify_audit
from pilot.pipeline.programs import (
    MAX_PROGRAM_FILE_BYTES,
    export_program,
    get_program,
    parse_program,
    programs,
    save_program_data,
)

router = APIRouter(tags=["programs"])

MAX_UPLOAD_BYTES = MAX_PROGRAM_FILE_BYTES


class Me(BaseModel):
    user_id: str
    name: str
    grants: dict[str, str]


@router.get("/me", tags=["auth"])
def me_route(principal: PrincipalDep) -> Me:
    return Me(
        user_id=principal.user_id,
        name=principal.name,
        grants={k: v.value for k, v in principal.grants.items()},
    )


@router.get("/programs")
def list_programs_route(principal: PrincipalDep, pilot: PilotDep) -> list[ProgramInfo]:
    return [p for p in programs(pilot) if principal.role_on(p.id) is not None]


@router.get("/programs/{program_id}")
def get_program_route(program_id: str, _scope: CanView, pilot: PilotDep) -> ProgramData:
    return get_program(pilot, program_id)


@router.post(
    "/programs/import",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_program_route(
    request: Request, principal: PrincipalDep, pilot: PilotDep, prune: bool = False
) -> SaveSummary:
    """Import a program file sent as the request body (YAML); needs admin on that program.

    All-or-nothing; a bad file answers 422 listing every problem with its path and line.
    """
    # Who may import anything at all is known before a byte is parsed: a caller who is admin
    # nowhere is refused here; the program's own id is checked once the file is read.
    if not any(role.allows(Role.ADMIN) for role in principal.grants.values()):
        raise PilotError(ErrorCode.FORBIDDEN, "importing a program file needs the admin role")
    raw = await read_body_limited(request, MAX_UPLOAD_BYTES, what="program file")
    # Parsing and saving are CPU and database work: in a worker thread, never on the event loop.
    data = await run_in_threadpool(parse_program, raw, source="request body")
    role = principal.role_on(data.program.id)
    if role is None or not role.allows(Role.ADMIN):
        raise PilotError(ErrorCode.FORBIDDEN, f"importing {data.program.id!r} needs the admin role on it")
    return await run_in_threadpool(save_program_data, pilot, data, source="request body", prune=prune)


async def read_body_limited(request: Request, limit: int, *, what: str) -> bytes:
    """The request body, refused (422) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{what} over the {limit} byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PilotError(ErrorCode.INVALID_INPUT, f"{what} over the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/programs/{program_id}/export", response_class=PlainTextResponse)
def export_program_route(program_id: str, _scope: CanView, pilot: PilotDep) -> PlainTextResponse:
    return PlainTextResponse(export_program(pilot, program_id), media_type="application/yaml")


@router.get("/programs/{program_id}/audit/verify", tags=["audit"])
def verify_audit_route(_scope: CanAdmin, pilot: PilotDep) -> ChainReport:
    """Verify the whole hash chain (it spans every program: one chain, one order)."""
    return verify_audit(pilot)
