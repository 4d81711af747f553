"""A question is never a decision: a "decision" drafted from a question becomes an open question,
approving it as drafted records no decision, and only an explicit edit makes it one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Literal

import pytest

from pilot.chains.engine import ChainRun, ExtractionContext, Progress
from pilot.chains.schema import DecisionCandidate, ExtractionOutput
from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.drafts import DraftKind
from pilot.domain.errors import PilotError
from pilot.pipeline import extract as extraction
from pilot.pipeline import review
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.jobs import JobRunner
from pilot.pipeline.programs import export_program, import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings

MEETING = [
    (
        "Marcus Oyelaran",
        "The question is still whether we checkpoint or split the batch. Wei, you looked at it?",
    ),
    ("Wei Zhang", "I did. Checkpointing is less code."),
]


class DecidesEverything:
    """An engine that drafts the question as a decision (what a careless model does)."""

    @property
    def engine(self) -> Literal["offline", "llm"]:
        return "llm"

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: Progress | None = None
    ) -> ChainRun:
        decision = DecisionCandidate(
            what="Wei, you looked at it?", decided_by="Marcus", rationale=None,
            evidence_quote="Wei, you looked at it?", turn_index=0,
        )  # fmt: skip
        output = ExtractionOutput(action_items=[], decisions=[decision], raid=[], open_questions=[])
        return ChainRun(engine="llm", model="fake", output=output, chunks=1)


def parser(data: bytes, filename: str, program_id: str, meeting_date: date | None) -> Document:
    turns = [Turn(index=i, speaker=s, text=t) for i, (s, t) in enumerate(MEETING)]
    return Document(program_id=program_id, source="upload", external_id=filename, kind=DocumentKind.TRANSCRIPT,
                    title="Ledger standup", text="\n".join(f"{s}: {t}" for s, t in MEETING),
                    meeting_date=meeting_date, turns=turns)  # fmt: skip


@pytest.fixture
def pilot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'x.db'}")
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    extraction.use_engine(lambda _s: DecidesEverything())
    monkeypatch.setattr(extraction, "_index_factory", lambda _p: _NoIndex())  # no search index here
    yield ctx
    extraction.use_engine(None)
    ctx.close()


class _NoIndex:
    def __getattr__(self, name: str) -> object:
        raise AttributeError(name)


def _question_draft(pilot: Pilot) -> str:
    runner = JobRunner(pilot, inline=True)
    extraction.submit_extraction(pilot, runner, SAMPLE_PROGRAM_ID, b"x", "standup.txt",
                                 meeting_date=date(2026, 11, 19), parser=parser)  # fmt: skip
    drafts = review.list_drafts(pilot, SAMPLE_PROGRAM_ID)
    assert [d.kind for d in drafts] == [DraftKind.QUESTION]  # never a decision
    assert drafts[0].payload["confidence"] <= 0.6
    assert "draft.open_question" in [f.rule_id for f in drafts[0].findings]
    return drafts[0].id


def _decisions(pilot: Pilot) -> list[str]:
    return [line for line in export_program(pilot, SAMPLE_PROGRAM_ID).splitlines() if "DEC-" in line]


def test_approving_a_question_as_drafted_creates_no_decision_record(pilot: Pilot) -> None:
    draft_id = _question_draft(pilot)
    before = _decisions(pilot)
    done = review.approve(pilot, SAMPLE_PROGRAM_ID, draft_id)
    assert done.record_ref == f"question:{draft_id}"
    assert _decisions(pilot) == before
    assert review.record_description(done).startswith("no record")


def test_only_an_explicit_edit_makes_a_question_a_decision(pilot: Pilot) -> None:
    draft_id = _question_draft(pilot)
    before = _decisions(pilot)
    current = review.get_draft(pilot, SAMPLE_PROGRAM_ID, draft_id)
    edited = review.edit(
        pilot, SAMPLE_PROGRAM_ID, draft_id, {**current.payload, "outcome": "Checkpoint the batch close."}
    )
    assert "draft.open_question" not in [f.rule_id for f in edited.findings]
    done = review.approve(pilot, SAMPLE_PROGRAM_ID, draft_id)
    assert done.record_ref is not None and done.record_ref.startswith("decision:DEC-")
    added = [line for line in _decisions(pilot) if line not in before]
    assert any(done.record_ref.split(":", 1)[1] in line for line in added)


def test_bulk_approval_skips_open_questions(pilot: Pilot) -> None:
    draft_id = _question_draft(pilot)
    result = review.bulk_approve(pilot, SAMPLE_PROGRAM_ID)
    assert draft_id in result.skipped and not result.approved
    with pytest.raises(PilotError):
        review.reject(pilot, SAMPLE_PROGRAM_ID, draft_id, reason=" ")


@pytest.mark.parametrize(
    ("kind", "words"),
    [("R", "a risk"), ("A", "an assumption"), ("I", "an issue"), ("D", "a dependency"), ("?", "an entry")],
)
def test_the_queue_names_the_raid_entry_an_approval_creates(kind: str, words: str) -> None:
    from datetime import UTC, datetime

    from pilot.domain.drafts import Draft, Provenance

    draft = Draft(
        id="d1",
        program_id=SAMPLE_PROGRAM_ID,
        kind=DraftKind.RAID,
        payload={"kind": kind, "title": "Retention on the ledger topic"},
        provenance=Provenance(engine="offline"),
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    assert review.record_description(draft) == f"{words} in the RAID log"
