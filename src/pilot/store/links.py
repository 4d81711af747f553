"""Links from program records to what write-back created for them (a Jira issue, a GitHub issue,
a Slack post): the stored link is what makes a second push a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.store.tables import ExternalLinkRow


def find_link(session: Session, program_id: str, record_ref: str, target: str) -> ExternalLinkRow | None:
    return session.execute(
        select(ExternalLinkRow).where(
            ExternalLinkRow.program_id == program_id,
            ExternalLinkRow.record_ref == record_ref,
            ExternalLinkRow.target == target,
        )
    ).scalar_one_or_none()


def add_link(
    session: Session,
    program_id: str,
    record_ref: str,
    target: str,
    external_id: str,
    url: str | None,
    now: datetime,
) -> ExternalLinkRow:
    row = ExternalLinkRow(
        program_id=program_id,
        record_ref=record_ref,
        target=target,
        external_id=external_id,
        url=url,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def linked_refs(session: Session, program_id: str, target: str) -> set[str]:
    rows = session.execute(
        select(ExternalLinkRow.record_ref).where(
            ExternalLinkRow.program_id == program_id, ExternalLinkRow.target == target
        )
    )
    return {r for (r,) in rows}
