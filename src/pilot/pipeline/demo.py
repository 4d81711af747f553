"""The demo job: the bundled sample program loaded, its delivery answers (GitHub, Jira changelog)
read, its meeting notes, tickets and incidents ingested and searchable, one meeting's drafts
waiting in the review queue, all of it scanned, and an admin token to log in with: what a new
user first sees of pilot."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from pilot.pipeline.access import issue_demo_token
from pilot.pipeline.anomalies import ScanReport, scan_program
from pilot.pipeline.context import Pilot
from pilot.pipeline.delivery import import_delivery
from pilot.pipeline.programs import get_program, import_program_file
from pilot.sample import (
    SAMPLE_NOW,
    delivery_dir,
    incidents_dir,
    sample_program_path,
    tickets_dir,
    transcripts_dir,
)

DEMO_MEETING = "2026-11-16-cutover-sync.vtt"
# The moment the demo runs at: the sample program is written against it.
DEMO_NOW = SAMPLE_NOW

__all__ = ["DEMO_NOW", "DemoResult", "run_demo", "sample_program_path", "tickets_dir", "transcripts_dir"]


class DemoResult(BaseModel):
    program_id: str
    program_name: str
    record_counts: dict[str, int]
    scan: ScanReport
    documents_indexed: int = 0
    drafts_waiting: int = 0
    admin_token: str | None = None
    admin_token_expires_at: datetime | None = None  # a week; the previous demo token is revoked


def run_demo(pilot: Pilot, *, ingest: bool = True) -> DemoResult:
    summary = import_program_file(pilot, sample_program_path())
    data = get_program(pilot, summary.program_id)
    counts = {
        name: len(getattr(data, name))
        for name in ("teams", "people", "milestones", "dependencies", "raid", "decisions", "action_items")
    }
    import_delivery(pilot, data.program.id, [delivery_dir()])
    indexed = waiting = 0
    if ingest:
        indexed, waiting = _ingest_and_extract(pilot, data.program.id)
    # Scanned last: meeting effectiveness sees the ingested meetings, delivery forecasts the tickets.
    report = scan_program(pilot, summary.program_id)
    result = DemoResult(
        program_id=data.program.id,
        program_name=data.program.name,
        record_counts=counts,
        scan=report,
        documents_indexed=indexed,
        drafts_waiting=waiting,
    )
    issued = issue_demo_token(pilot, data.program.id)
    result.admin_token, result.admin_token_expires_at = issued.token, issued.info.expires_at
    return result


def _ingest_and_extract(pilot: Pilot, program_id: str) -> tuple[int, int]:
    from pilot.index import open_index
    from pilot.pipeline.extract import submit_extraction
    from pilot.pipeline.ingest import ingest_paths
    from pilot.pipeline.jobs import JobRunner
    from pilot.pipeline.review import list_drafts

    index = open_index(pilot.settings, pilot.db)
    report = ingest_paths(pilot, program_id, [transcripts_dir(), tickets_dir(), incidents_dir()], index=index)
    if not list_drafts(pilot, program_id):
        meeting = transcripts_dir() / DEMO_MEETING
        submit_extraction(
            pilot, JobRunner(pilot, inline=True), program_id, meeting.read_bytes(), meeting.name
        )
    return report.created + report.updated + report.unchanged, len(list_drafts(pilot, program_id))
