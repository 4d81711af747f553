"""Delivery signals in: pull GitHub Actions runs, pull requests and the Jira changelog
incrementally (cursors in the sync state, saved as pulls progress), or read saved answers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from pilot.connectors.delivery_batch import DeliveryBatch
from pilot.connectors.delivery_files import read_delivery_files
from pilot.connectors.github_delivery import GitHubDelivery, github_delivery_from_settings
from pilot.connectors.jira_changelog import JiraChangelog, jira_changelog_from_settings
from pilot.domain.documents import ConnectorFailure
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.pipeline.jobs import Progress, register_job
from pilot.store.delivery import save_ci_runs, save_pull_requests, save_ticket_changes, save_tickets
from pilot.store.documents import get_sync_state, save_sync_state
from pilot.store.tables import ProgramRow

DeliverySource = Literal["github", "jira"]
SYNC_NAMES: dict[str, str] = {"github": GitHubDelivery.source, "jira": JiraChangelog.source}
DELIVERY_JOB = "delivery_sync"


class DeliveryReport(BaseModel):
    program_id: str
    source: str
    runs: int = 0
    pulls: int = 0
    tickets: int = 0
    changes: int = 0
    changed: int = 0  # rows inserted or updated
    cursor: dict[str, str] = Field(default_factory=dict)
    failures: list[ConnectorFailure] = Field(default_factory=list)


def _check_program(pilot: Pilot, program_id: str) -> None:
    with pilot.db.transaction() as session:
        if session.get(ProgramRow, program_id) is None:
            raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")


def _store(pilot: Pilot, report: DeliveryReport, batch: DeliveryBatch) -> None:
    with pilot.db.transaction() as session:
        report.changed += save_ci_runs(session, report.program_id, batch.runs)
        report.changed += save_pull_requests(session, report.program_id, batch.pulls)
        report.changed += save_tickets(session, report.program_id, batch.tickets)
        report.changed += save_ticket_changes(session, report.program_id, batch.changes)
    report.runs += len(batch.runs)
    report.pulls += len(batch.pulls)
    report.tickets += len(batch.tickets)
    report.changes += len(batch.changes)
    report.failures.extend(batch.failures)


def _checkpoint(pilot: Pilot, report: DeliveryReport, error: str | None = None) -> None:
    with pilot.db.transaction() as session:
        save_sync_state(
            session,
            report.program_id,
            SYNC_NAMES[report.source],
            cursor=dict(report.cursor) or None,
            now=pilot.now(),
            error=error,
            failures=[f.model_dump(mode="json") for f in report.failures[-100:]],
        )


def _streams(
    client: GitHubDelivery | JiraChangelog, cursor: dict[str, Any]
) -> Iterator[tuple[str, Iterator[DeliveryBatch]]]:
    if isinstance(client, GitHubDelivery):
        yield "runs", client.runs(cursor.get("runs"))
        yield "pulls", client.pulls(cursor.get("pulls"))
    else:
        yield "tickets", client.pull(cursor.get("tickets"))


def sync_delivery(
    pilot: Pilot,
    program_id: str,
    source: DeliverySource,
    *,
    client: GitHubDelivery | JiraChangelog | None = None,
    progress: Progress | None = None,
) -> DeliveryReport:
    """Pull what changed since the last sync. Each page is stored as it arrives and the cursor
    saved after it; a failure keeps what was stored and the last cursor, and the next run resumes."""
    _check_program(pilot, program_id)
    if source not in SYNC_NAMES:
        raise PilotError(ErrorCode.INVALID_INPUT, f"unknown delivery source {source!r}: github or jira")
    client = client or (
        github_delivery_from_settings(pilot.settings)
        if source == "github"
        else jira_changelog_from_settings(pilot.settings)
    )
    with pilot.db.transaction() as session:
        state = get_sync_state(session, program_id, SYNC_NAMES[source])
        cursor = {k: str(v) for k, v in ((state.cursor or {}) if state is not None else {}).items()}
    report = DeliveryReport(program_id=program_id, source=source, cursor=cursor)
    pages = 0
    try:
        for name, stream in _streams(client, cursor):
            for batch in stream:
                _store(pilot, report, batch)
                if batch.cursor:
                    report.cursor[name] = batch.cursor
                _checkpoint(pilot, report)
                pages += 1
                if progress:
                    progress(pages, 0)
    except PilotError as exc:
        _checkpoint(pilot, report, error=exc.message)
        raise
    return report


def import_delivery(pilot: Pilot, program_id: str, paths: Sequence[Path]) -> DeliveryReport:
    """Saved GitHub and Jira answers (the bundled sample has a folder of them)."""
    _check_program(pilot, program_id)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise PilotError(ErrorCode.INVALID_INPUT, f"no such file or folder: {', '.join(missing)}")
    report = DeliveryReport(program_id=program_id, source="files")
    _store(pilot, report, read_delivery_files(paths))
    return report


@register_job(DELIVERY_JOB)
def _delivery_job(pilot: Pilot, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    source: DeliverySource = "github" if params["source"] == "github" else "jira"
    return sync_delivery(pilot, params["program_id"], source, progress=progress).model_dump(mode="json")


def check_delivery_source(pilot: Pilot, program_id: str, source: DeliverySource) -> None:
    """Fail fast (unknown program, source not configured) before a job is queued."""
    _check_program(pilot, program_id)
    (github_delivery_from_settings if source == "github" else jira_changelog_from_settings)(pilot.settings)
