"""Bulk approval approves exactly the drafts it is given: an empty selection (a filtered view that
shows nothing) approves nothing, never the whole queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilot.domain.drafts import DraftKind, DraftStatus, Provenance
from pilot.pipeline import review
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from pilot.store.drafts import add_draft

P = SAMPLE_PROGRAM_ID


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'b.db'}")
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


def _draft(pilot: Pilot, task: str) -> str:
    with pilot.db.transaction() as session:
        row = add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            payload={"task": task, "owner_id": "dana.whitfield", "owner_resolution": "resolved", "due": None},
            findings=[],
            provenance=Provenance(engine="offline"),
            now=SAMPLE_NOW,
        )
        return str(row.id)


def test_an_empty_selection_approves_nothing_and_a_selection_only_itself(pilot: Pilot) -> None:
    first, second = _draft(pilot, "Send the runbook"), _draft(pilot, "Book the game day")
    assert review.bulk_approve(pilot, P, []).approved == []
    assert {d.id for d in review.list_drafts(pilot, P)} >= {first, second}
    assert review.bulk_approve(pilot, P, [second]).approved == [second]
    assert review.get_draft(pilot, P, first).status == DraftStatus.PENDING
    assert review.bulk_approve(pilot, P).approved == [first]  # no selection: the whole queue
