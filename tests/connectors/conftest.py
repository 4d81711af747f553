"""Provider payloads from the bundled sample (real API shapes), a fake index, and a pilot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, incidents_dir, sample_program_path, tickets_dir
from pilot.settings import Settings
from tests.ingest.fakes import FakeIndex


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture
def jira_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    return load(tickets_dir(), "jira_search_page1.json"), load(tickets_dir(), "jira_search_page2.json")


@pytest.fixture
def github_issues() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = load(tickets_dir(), "github_issues.json")
    return data


@pytest.fixture
def pagerduty_incidents() -> dict[str, Any]:
    data: dict[str, Any] = load(incidents_dir(), "pagerduty_incidents.json")
    return data


@pytest.fixture
def fake_index(pilot: Pilot) -> FakeIndex:
    return FakeIndex(pilot.db)


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'x.db'}")
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()
