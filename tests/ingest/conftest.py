"""A pilot with the sample program (on SQLite, and on PostgreSQL when one is configured), and
indexes: a recording fake, and the real hybrid index over in-memory vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilot.index.hybrid import DocumentIndex
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, sample_program_path
from pilot.settings import Settings
from tests.index.fakes import MemoryVectors

from .fakes import FakeIndex, hashing_embedder


@pytest.fixture
def pilot(database_url: str, tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


@pytest.fixture
def fake_index(pilot: Pilot) -> FakeIndex:
    return FakeIndex(pilot.db)


@pytest.fixture
def real_index(pilot: Pilot) -> DocumentIndex:
    return DocumentIndex(pilot.db, MemoryVectors(), hashing_embedder)
