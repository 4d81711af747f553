"""Programs: list, read, import and export program files; verify the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from pilot.api.deps import PilotDep
from pilot.domain.program import ProgramData, ProgramInfo
from pilot.pipeline.programs import export_program, get_program, import_program_bytes, programs
from pilot.store.audit import ChainReport, verify_chain
from pilot.store.programs import SaveSummary

router = APIRouter(tags=["programs"])

MAX_UPLOAD_BYTES = 64 * 1024 * 1024


@router.get("/programs")
def list_programs_route(pilot: PilotDep) -> list[ProgramInfo]:
    return programs(pilot)


@router.get("/programs/{program_id}")
def get_program_route(program_id: str, pilot: PilotDep) -> ProgramData:
    return get_program(pilot, program_id)


@router.post(
    "/programs/import",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_program_route(request: Request, pilot: PilotDep, prune: bool = False) -> SaveSummary:
    """Import a program file sent as the request body (YAML). All-or-nothing; errors list every problem."""
    raw = await request.body()
    return import_program_bytes(pilot, raw[: MAX_UPLOAD_BYTES + 1], source="request body", prune=prune)


@router.get("/programs/{program_id}/export", response_class=PlainTextResponse)
def export_program_route(program_id: str, pilot: PilotDep) -> PlainTextResponse:
    return PlainTextResponse(export_program(pilot, program_id), media_type="application/yaml")


@router.get("/audit/verify", tags=["audit"])
def verify_audit_route(pilot: PilotDep) -> ChainReport:
    with pilot.db.transaction() as session:
        return verify_chain(session)
