"""Artifact drafts from program data: sheet (rules) -> text (templates) -> grounding checks ->
review queue; exports as Markdown and HTML.

A new draft of the same artifact (same kind and release) replaces the one still pending: the
older one is rejected with the reason "replaced by a newer draft", which the audit log keeps.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ValidationError

from pilot.chains.artifacts import render_artifact, to_html, to_markdown
from pilot.domain.artifacts import ArtifactDraft, ArtifactKind
from pilot.domain.drafts import Draft, DraftContext, DraftKind, DraftStatus, Provenance
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.review.drafts import reject_draft, stored_payload, valid_payloads
from pilot.rules.artifacts import build_artifact_sheet
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.store.drafts import add_draft, get_draft_row, list_draft_rows, to_draft
from pilot.store.programs import load_program

ARTIFACT_FORMATS = ("md", "html")


class ArtifactResult(BaseModel):
    draft: Draft
    artifact: ArtifactDraft
    replaced: list[str] = []


def create_artifact_draft(
    pilot: Pilot,
    program_id: str,
    kind: ArtifactKind,
    *,
    release: str | None = None,
    now: datetime | None = None,
) -> ArtifactResult:
    now = now or pilot.now()
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
    artifact = render_artifact(build_artifact_sheet(data, now, kind, release=release))
    findings = run_checks(
        DraftKind.ARTIFACT,
        artifact,
        ProgramIndex.build(data),
        DraftContext(timezone=data.program.timezone),
        now,
    )
    provenance = Provenance(engine="offline", prompt_name=f"templates/artifacts/{kind}")
    with pilot.db.transaction() as session:
        replaced = []
        for row in list_draft_rows(session, program_id, status=DraftStatus.PENDING, kind=DraftKind.ARTIFACT):
            try:
                old = ArtifactDraft.model_validate(row.payload)
            except ValidationError:  # an invalid stored draft replaces nothing
                continue
            if old.kind == kind and _release(old) == _release(artifact):
                reject_draft(
                    session,
                    program_id=program_id,
                    draft_id=row.id,
                    actor=pilot.actor,
                    reason="replaced by a newer draft",
                    now=pilot.now(),
                )
                replaced.append(row.id)
        row = add_draft(
            session,
            program_id=program_id,
            kind=DraftKind.ARTIFACT,
            payload=artifact.model_dump(mode="json"),
            findings=findings,
            provenance=provenance,
            now=pilot.now(),
        )
        return ArtifactResult(draft=to_draft(row), artifact=artifact, replaced=replaced)


def _release(artifact: ArtifactDraft) -> str | None:
    return artifact.sheet.release.id if artifact.sheet.release else None


def get_artifact(pilot: Pilot, program_id: str, draft_id: str) -> tuple[Draft, ArtifactDraft]:
    with pilot.db.reading() as session:
        draft = to_draft(get_draft_row(session, program_id, draft_id))
    if draft.kind != DraftKind.ARTIFACT:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"draft {draft_id} is a {draft.kind.value}, not an artifact"
        )
    return draft, stored_payload(draft, ArtifactDraft)


def list_artifacts(pilot: Pilot, program_id: str) -> list[tuple[Draft, ArtifactDraft]]:
    with pilot.db.reading() as session:
        load_program(session, program_id)
        rows = list_draft_rows(session, program_id, status=None, kind=DraftKind.ARTIFACT)
        drafts = [to_draft(r) for r in rows]
    pairs = valid_payloads(drafts, ArtifactDraft)
    return sorted(pairs, key=lambda pair: pair[0].created_at, reverse=True)


def artifact_html(artifact: ArtifactDraft) -> str:
    return to_html(artifact)


def export_artifact(pilot: Pilot, program_id: str, draft_id: str, fmt: str) -> str:
    if fmt not in ARTIFACT_FORMATS:
        raise PilotError(ErrorCode.INVALID_INPUT, f"format {fmt!r}: use one of {', '.join(ARTIFACT_FORMATS)}")
    _, artifact = get_artifact(pilot, program_id, draft_id)
    return to_markdown(artifact) if fmt == "md" else to_html(artifact)
