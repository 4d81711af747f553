"""Programs: list, read, import and export program files; who am I; verify the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from pilot.api.deps import CanAdmin, CanView, PilotDep, PrincipalDep
from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.auth import Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData, ProgramInfo
from pilot.pipeline.programs import export_program, get_program, programs, save_program_data
from pilot.store.audit import ChainReport, verify_chain
from pilot.store.programs import SaveSummary

router = APIRouter(tags=["programs"])

MAX_UPLOAD_BYTES = 64 * 1024 * 1024


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
    raw = await request.body()
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PilotError(ErrorCode.INVALID_INPUT, f"program file over {MAX_UPLOAD_BYTES} bytes")
    data = parse_program_yaml(raw, source="request body")
    role = principal.role_on(data.program.id)
    if role is None or not role.allows(Role.ADMIN):
        raise PilotError(ErrorCode.FORBIDDEN, f"importing {data.program.id!r} needs the admin role on it")
    return save_program_data(pilot, data, source="request body", prune=prune)


@router.get("/programs/{program_id}/export", response_class=PlainTextResponse)
def export_program_route(program_id: str, _scope: CanView, pilot: PilotDep) -> PlainTextResponse:
    return PlainTextResponse(export_program(pilot, program_id), media_type="application/yaml")


@router.get("/programs/{program_id}/audit/verify", tags=["audit"])
def verify_audit_route(_scope: CanAdmin, pilot: PilotDep) -> ChainReport:
    """Verify the whole hash chain (it spans every program: one chain, one order)."""
    with pilot.db.transaction() as session:
        return verify_chain(session)
