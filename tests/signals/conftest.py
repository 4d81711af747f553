"""A pilot with the sample program on each database backend, and signal builders for rule tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pilot.domain.program import ProgramInfo
from pilot.domain.signals import MeetingOutcome
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, sample_program_path
from pilot.settings import Settings

NOW = SAMPLE_NOW  # Friday 2026-11-20 17:00 America/Los_Angeles


def info(tier: int = 1, **thresholds: float) -> ProgramInfo:
    return ProgramInfo(
        id="p1", name="Test program", tier=tier, timezone="America/Los_Angeles", thresholds=thresholds
    )


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def meeting(
    series: str, days_ago: int, *, outcome: bool = True, pending: int = 0, doc: int = 0
) -> MeetingOutcome:
    held = NOW.date() - timedelta(days=days_ago)
    return MeetingOutcome(
        document_id=doc or 1000 + days_ago,
        title=f"{series} {held}",
        series=series,
        held_on=held,
        approved_actions=1 if outcome else 0,
        pending_drafts=pending,
    )


def day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def pilot(database_url: str, tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


def rule_ids(findings: list[Any]) -> list[str]:
    return [f.rule_id for f in findings]
