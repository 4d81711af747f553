"""The record page's data: fields with links, forecast history, linked records, documents that
mention the record, and a clear 404 for a record the program does not have."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot, open_pilot
from pilot.pipeline.programs import import_program_bytes
from pilot.pipeline.records import program_as_of, record_page
from pilot.settings import Settings
from tests.ask.harbor_program import HARBOR


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    ctx = open_pilot(Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    import_program_bytes(ctx, HARBOR.encode(), source="harbor.yaml")
    yield ctx
    ctx.close()


def test_a_milestone_page_has_its_forecast_history_and_linked_records(pilot: Pilot) -> None:
    page = record_page(pilot, "harbor", "milestone", "HM-2")
    assert page.as_of.isoformat() == "2027-03-10" and page.title == "Nightly batch cut over to Spark"
    assert page.state == "at risk, slipped: forecast 2027-03-19 after target 2027-03-05"
    assert [what for _, what in page.history] == [
        "re-forecast to 2027-03-12",
        "re-forecast to 2027-03-19 (Spark shuffle tuning)",
    ]
    assert {v.ref for v in page.linked} == {"dependency:HD-2", "raid:HR-1", "raid:HI-1"}
    owner = next(f for f in page.fields if f.name == "owner")
    assert (owner.value, owner.ref) == ("Orla Byrne", "person:orla.byrne")


def test_an_overdue_decision_says_so_and_people_have_pages(pilot: Pilot) -> None:
    page = record_page(pilot, "harbor", "decision", "HDEC-2")
    assert page.state == "pending, overdue: needed by 2027-03-05 passed"
    assert record_page(pilot, "harbor", "person", "orla.byrne").title == "Orla Byrne"
    assert program_as_of(pilot, "harbor").date().isoformat() == "2027-03-10"


def test_unknown_records_and_types_are_not_found(pilot: Pilot) -> None:
    for record_type, record_id in (("decision", "HDEC-99"), ("spaceship", "X-1")):
        with pytest.raises(PilotError) as caught:
            record_page(pilot, "harbor", record_type, record_id)
        assert caught.value.code == ErrorCode.NOT_FOUND
