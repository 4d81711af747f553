"""Draft an exec update: fact sheet -> prose (LLM or templates) -> grounding checks -> review queue.

"What changed since the last update" compares with the fact sheet of the last approved status
draft of the same program. The draft is approved like any other; with error findings it needs
an override reason, which the audit log keeps.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from pilot.chains.status import llm_status, offline_status, to_html, to_markdown, to_slack
from pilot.domain.drafts import Draft, DraftContext, DraftKind, DraftStatus, Provenance
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.status import Audience, FactSheet, StatusDraft
from pilot.pipeline.context import Pilot
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.rules.factsheet import build_fact_sheet
from pilot.store.drafts import add_draft, get_draft_row, list_draft_rows, to_draft
from pilot.store.programs import load_program

FORMATS = ("md", "html", "slack")


class StatusResult(BaseModel):
    draft: Draft
    status: StatusDraft


def last_approved_sheet(pilot: Pilot, program_id: str) -> FactSheet | None:
    with pilot.db.transaction() as session:
        rows = list_draft_rows(session, program_id, status=DraftStatus.APPROVED, kind=DraftKind.STATUS_UPDATE)
    if not rows:
        return None
    latest = max(rows, key=lambda r: r.decided_at or r.created_at)
    return StatusDraft.model_validate(latest.payload).fact_sheet


def create_status_draft(
    pilot: Pilot,
    program_id: str,
    audience: Audience,
    *,
    now: datetime | None = None,
    use_llm: bool | None = None,
) -> StatusResult:
    now = now or pilot.now()
    with pilot.db.transaction() as session:
        data = load_program(session, program_id)
    sheet = build_fact_sheet(data, now, last=last_approved_sheet(pilot, program_id))
    llm_wanted = pilot.settings.llm_configured if use_llm is None else use_llm
    if llm_wanted:
        from pilot.chains.llm_openai import build_llm

        status = llm_status(sheet, audience, build_llm(pilot.settings))
        provenance = Provenance(engine="llm", model=pilot.settings.llm_model, prompt_name="status")
    else:
        status = offline_status(sheet, audience)
        provenance = Provenance(engine="offline", prompt_name=f"templates/status/{audience}")
    payload = status.model_dump(mode="json")
    findings = run_checks(
        DraftKind.STATUS_UPDATE,
        status,
        ProgramIndex.build(data),
        DraftContext(timezone=data.program.timezone),
        now,
    )
    with pilot.db.transaction() as session:
        row = add_draft(session, program_id=program_id, kind=DraftKind.STATUS_UPDATE, payload=payload,
                        findings=findings, provenance=provenance, now=pilot.now())  # fmt: skip
        return StatusResult(draft=to_draft(row), status=status)


def export_status(pilot: Pilot, program_id: str, draft_id: str, fmt: str) -> str:
    if fmt not in FORMATS:
        raise PilotError(ErrorCode.INVALID_INPUT, f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    with pilot.db.transaction() as session:
        draft = to_draft(get_draft_row(session, program_id, draft_id))
    if draft.kind != DraftKind.STATUS_UPDATE:
        raise PilotError(ErrorCode.INVALID_INPUT, "only status updates are exported")
    status = StatusDraft.model_validate(draft.payload)
    return {"md": to_markdown, "html": to_html, "slack": to_slack}[fmt](status)
