"""The extraction job end to end: stored transcript, background job, drafts in the review queue,
failures recorded with the transcript kept, retry, and no program data written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pilot.chains.extraction import LLMExtractor
from pilot.chains.fakes import FakeStructuredLLM
from pilot.chains.llm import TransientLLMError
from pilot.chains.offline import OfflineExtractor
from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import JobStatus
from pilot.pipeline import extract as extraction
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.jobs import JobRunner
from pilot.pipeline.programs import export_program, import_program_file
from pilot.pipeline.review import list_drafts
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from pilot.store.tables import DocumentRow

MEETING = """\
Priya Raman: Okay, wave one. Marcus, where are we on the reconciliation backfill?
Marcus Oyelaran: I'll finish the partial-capture refund backfill by Friday.
Priya Raman: Good. We agreed to keep the go/no-go on December 1st.
Marcus Oyelaran: The risk is that the settlement file format from the acquirer changes again.
"""


def lines_parser(data: bytes, filename: str, program_id: str, meeting_date: date | None) -> Document:
    """A stand-in for the transcript connector: "Name: text" lines."""
    text = data.decode("utf-8")
    if not text.strip():
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: empty transcript")
    turns = []
    for index, line in enumerate(line for line in text.splitlines() if line.strip()):
        speaker, _, said = line.partition(": ")
        turns.append(Turn(index=index, speaker=speaker, text=said))
    return Document(program_id=program_id, source="upload", external_id=filename, kind=DocumentKind.TRANSCRIPT,
                    title=filename, text=text, meeting_date=meeting_date, turns=turns)  # fmt: skip


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'x.db'}")
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    extraction.use_engine(None)
    ctx.close()


def offline_cues(_settings: Settings) -> OfflineExtractor:
    return OfflineExtractor()  # cue phrases only: fast and deterministic


def submit(pilot: Pilot, text: str = MEETING) -> extraction.ExtractionSubmission:
    runner = JobRunner(pilot, inline=True)
    return extraction.submit_extraction(
        pilot, runner, SAMPLE_PROGRAM_ID, text.encode(), "sync.txt", meeting_date=date(2026, 11, 16),
        parser=lines_parser,
    )  # fmt: skip


def test_drafts_land_in_the_queue_with_findings_and_program_data_is_untouched(pilot: Pilot) -> None:
    extraction.use_engine(offline_cues)
    before = export_program(pilot, SAMPLE_PROGRAM_ID)
    submission = submit(pilot)
    job = submission.job
    assert job.status == JobStatus.SUCCEEDED, job.error
    drafts = list_drafts(pilot, SAMPLE_PROGRAM_ID, job_id=job.id)
    assert drafts and job.result and job.result["drafts"] == len(drafts)
    kinds = {d.kind for d in drafts}
    assert DraftKind.ACTION_ITEM in kinds
    action = next(d for d in drafts if d.kind == DraftKind.ACTION_ITEM)
    assert action.payload["owner_id"] == "marcus.oyelaran"
    assert action.payload["due"] == "2026-11-20"  # "by Friday" said on Monday the 16th
    assert action.provenance.engine == "offline"
    assert all(d.status == DraftStatus.PENDING for d in drafts)
    assert export_program(pilot, SAMPLE_PROGRAM_ID) == before  # only approval writes program data


def test_an_llm_that_keeps_failing_is_a_failed_job_the_transcript_is_kept_and_retry_works(
    pilot: Pilot,
) -> None:
    llm = FakeStructuredLLM().enqueue(*[TransientLLMError("rate_limited", "429 Too Many Requests")] * 4)
    extraction.use_engine(lambda _s: LLMExtractor(llm=llm))
    submission = submit(pilot)
    assert submission.job.status == JobStatus.FAILED
    assert submission.job.error and submission.job.error["code"] == "upstream_rate_limited"
    with pilot.db.transaction() as session:
        stored = session.get(DocumentRow, submission.document.document_id)
        assert stored is not None and stored.text == MEETING
    assert list_drafts(pilot, SAMPLE_PROGRAM_ID, job_id=submission.job.id) == []

    extraction.use_engine(offline_cues)  # the service is back
    retried = JobRunner(pilot, inline=True).retry(submission.job.id, SAMPLE_PROGRAM_ID)
    assert retried.status == JobStatus.SUCCEEDED and retried.attempts == 2
    assert list_drafts(pilot, SAMPLE_PROGRAM_ID, job_id=submission.job.id)


def test_an_empty_transcript_is_a_clear_error_and_nothing_is_stored(pilot: Pilot) -> None:
    with pytest.raises(PilotError) as raised:
        submit(pilot, "   \n")
    assert raised.value.code == ErrorCode.INVALID_INPUT
    with pilot.db.transaction() as session:
        assert session.query(DocumentRow).count() == 0


def test_unknown_program_is_not_found_before_parsing(pilot: Pilot) -> None:
    with pytest.raises(PilotError) as raised:
        extraction.store_transcript(pilot, "nope", MEETING.encode(), "x.txt", parser=lines_parser)
    assert raised.value.code == ErrorCode.NOT_FOUND


def test_a_job_interrupted_after_its_drafts_were_written_does_not_write_them_again(pilot: Pilot) -> None:
    """kill -9 between the drafts' commit and the job's outcome: the rerun finds the drafts it wrote
    (same ids) instead of adding a second set."""
    from pilot.store.jobs import HOST, wall_clock
    from pilot.store.tables import JobRow

    extraction.use_engine(offline_cues)
    first = submit(pilot).job
    drafts = list_drafts(pilot, SAMPLE_PROGRAM_ID, job_id=first.id)
    assert first.status == JobStatus.SUCCEEDED and drafts
    with pilot.db.transaction() as session:  # as the crash left it
        row = session.get(JobRow, first.id)
        assert row is not None
        row.status, row.result, row.worker = "running", None, f"{HOST}:999999999:gone"
        row.heartbeat_at = wall_clock()
    again = JobRunner(pilot, inline=True).retry(first.id, SAMPLE_PROGRAM_ID)
    assert again.status == JobStatus.SUCCEEDED and again.attempts == 2
    after = list_drafts(pilot, SAMPLE_PROGRAM_ID, status=None, job_id=first.id)
    assert sorted(d.id for d in after) == sorted(d.id for d in drafts)
    assert again.result is not None and sorted(again.result["draft_ids"]) == sorted(d.id for d in drafts)
