"""Draft an exec update: fact sheet -> prose (LLM or templates) -> grounding checks -> review queue.

"What changed since the last update" compares with the fact sheet of the last approved status
draft of the same program. The draft is approved like any other; with error findings it needs
an override reason, which the audit log keeps. Drafting again for an audience replaces that
audience's pending draft (kept as superseded, audited) instead of stacking a second one.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from pilot.chains.status import (
    llm_status_run,
    offline_status,
    offline_template_hash,
    to_html,
    to_markdown,
    to_slack,
)
from pilot.domain.drafts import Draft, DraftContext, DraftKind, DraftStatus, Provenance
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding
from pilot.domain.status import Audience, FactSheet, StatusDraft
from pilot.pipeline.context import Pilot
from pilot.pipeline.schedule import forecast_seed, stored_work_items
from pilot.review.drafts import stored_payload, valid_payloads
from pilot.review.supersede import supersede_pending_status
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.rules.factsheet import build_fact_sheet
from pilot.rules.grounding import check_status_draft
from pilot.store.audit import find_events
from pilot.store.drafts import add_draft, get_draft_row, list_draft_rows, to_draft
from pilot.store.programs import load_program

FORMATS = ("md", "html", "slack")


class StatusResult(BaseModel):
    draft: Draft
    status: StatusDraft
    replaced: list[str] = []  # ids of the pending drafts for the same audience this one replaced


def last_approved_sheet(pilot: Pilot, program_id: str) -> FactSheet | None:
    with pilot.db.reading() as session:
        rows = list_draft_rows(session, program_id, status=DraftStatus.APPROVED, kind=DraftKind.STATUS_UPDATE)
    rows = sorted(rows, key=lambda r: r.decided_at or r.created_at, reverse=True)
    # An approved draft whose stored payload is invalid (stored before edits were validated)
    # is passed over: the previous good one is the baseline.
    valid = valid_payloads([to_draft(r) for r in rows], StatusDraft)
    return valid[0][1].fact_sheet if valid else None


def create_status_draft(
    pilot: Pilot,
    program_id: str,
    audience: Audience,
    *,
    now: datetime | None = None,
    use_llm: bool | None = None,
) -> StatusResult:
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
        work = stored_work_items(session, program_id, data.program.timezone)
    now = now or pilot.as_of(data.program)
    sheet = build_fact_sheet(
        data, now, last=last_approved_sheet(pilot, program_id), work=work, seed=forecast_seed(program_id)
    )
    llm_wanted = pilot.settings.llm_configured if use_llm is None else use_llm
    if llm_wanted:
        from pilot.chains.llm_openai import build_llm

        llm = build_llm(pilot.settings)
        run = llm_status_run(sheet, audience, llm)
        status = run.draft
        provenance = Provenance(
            engine="llm",
            model=llm.model_name,
            prompt_name=run.prompt.name,
            prompt_version=run.prompt.version,
            prompt_hash=run.prompt.sha256,
            usage=run.usage,
        )
    else:
        status = offline_status(sheet, audience)
        provenance = Provenance(
            engine="offline",
            prompt_name=f"templates/status/{audience}",
            prompt_hash=offline_template_hash(audience),
        )
    payload = status.model_dump(mode="json")
    findings = run_checks(
        DraftKind.STATUS_UPDATE,
        status,
        ProgramIndex.build(data),
        DraftContext(timezone=data.program.timezone),
        now,
    )
    with pilot.db.transaction() as session:
        row = add_draft(
            session,
            program_id=program_id,
            kind=DraftKind.STATUS_UPDATE,
            payload=payload,
            findings=findings,
            provenance=provenance,
            now=pilot.now(),
        )
        replaced = supersede_pending_status(
            session,
            program_id=program_id,
            audience=audience,
            replacement_id=row.id,
            actor=pilot.actor,
            now=pilot.now(),
        )
        return StatusResult(draft=to_draft(row), status=status, replaced=replaced)


def export_status(pilot: Pilot, program_id: str, draft_id: str, fmt: str) -> str:
    if fmt not in FORMATS:
        raise PilotError(ErrorCode.INVALID_INPUT, f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    with pilot.db.reading() as session:
        draft = to_draft(get_draft_row(session, program_id, draft_id))
    if draft.kind != DraftKind.STATUS_UPDATE:
        raise PilotError(ErrorCode.INVALID_INPUT, "only status updates are exported")
    return render_status(status_of(draft), fmt)


def status_of(draft: Draft) -> StatusDraft:
    """A stored status draft's payload; an invalid one (stored before edits were validated) is a
    409 naming the draft, never a crash of whatever reads it."""
    return stored_payload(draft, StatusDraft)


def render_status(status: StatusDraft, fmt: str) -> str:
    """A status draft as Markdown, HTML or Slack mrkdwn."""
    if fmt not in FORMATS:
        raise PilotError(ErrorCode.INVALID_INPUT, f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    return {"md": to_markdown, "html": to_html, "slack": to_slack}[fmt](status)


def check_status_text(pilot: Pilot, program_id: str, status: StatusDraft) -> list[Finding]:
    """The grounding checks on a status draft's (edited) text, against the program's people."""
    with pilot.db.reading() as session:
        directory = [p.name for p in load_program(session, program_id).people]
    return check_status_draft(status, directory)


def replaced_by(pilot: Pilot, program_id: str, draft_id: str) -> str | None:
    """The draft that superseded this one, from the audit event that recorded the replacement."""
    with pilot.db.reading() as session:
        events = find_events(
            session, program_id=program_id, actions=["draft.supersede"], subject=f"draft:{draft_id}", limit=1
        )
    after = events[0].after if events else None
    return str(after["replaced_by"]) if after and after.get("replaced_by") else None
