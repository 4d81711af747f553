"""Schemathesis against the OpenAPI schema: generated requests to every operation, as an admin of
the sample program, must never get a 5xx. Run with `make fuzz` (CI runs it after `make test`)."""

from __future__ import annotations

import atexit
import json
from pathlib import Path
from tempfile import mkdtemp

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.pipeline import extract as extraction
from pilot.pipeline.access import issue_token
from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import fixed_clock, open_pilot
from pilot.pipeline.jobs import JobRunner
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings

pytestmark = pytest.mark.fuzz
EXAMPLES_PER_OPERATION = 60

_folder = Path(mkdtemp(prefix="pilot-fuzz-"))
_pilot = open_pilot(Settings(data_dir=_folder / "data", database_url=f"sqlite:///{_folder / 'f.db'}"),
                    actor="fuzz", clock=fixed_clock(SAMPLE_NOW))  # fmt: skip
import_program_file(_pilot, sample_program_path())
scan_program(_pilot, SAMPLE_PROGRAM_ID)
TOKEN = issue_token(_pilot, user_id="fuzz-admin", role=Role.ADMIN, program_id="*")
APP = create_app(context=_pilot)
# Schemathesis calls the ASGI app without running its lifespan; give it what start-up would.
APP.state.pilot = _pilot
APP.state.runner = JobRunner(_pilot, inline=True)
atexit.register(_pilot.close)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CALLS: list[int] = []


@pytest.fixture(autouse=True, scope="module")
def offline_cues():  # type: ignore[no-untyped-def]
    from pilot.chains.offline import OfflineExtractor

    extraction.use_engine(lambda _s: OfflineExtractor())
    yield
    extraction.use_engine(None)


@schema.parametrize()
# derandomize: CI replays the same requests every run; run with --hypothesis-seed locally to explore.
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])  # fmt: skip
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    CALLS.append(response.status_code)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )


def test_enough_requests_were_generated() -> None:
    """Runs after the fuzz test in this module: the run is only meaningful if it was large."""
    from collections import Counter

    report = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps({"requests": len(CALLS), "by_status": dict(Counter(CALLS))}, indent=2))
    assert len(CALLS) >= 1000, len(CALLS)
    assert all(status < 500 for status in CALLS)
