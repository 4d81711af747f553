"""An app on a fresh SQLite database with two programs, a draft, a finding and a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.domain.drafts import ActionItemDraft, DraftKind, OwnerResolution, Provenance
from pilot.domain.findings import Finding, Severity
from pilot.pipeline.access import issue_token
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_bytes
from pilot.settings import Settings
from pilot.store.drafts import add_draft
from pilot.store.findings import reconcile
from pilot.store.jobs import create_job
from tests.store.program_factory import SMALL_PROGRAM

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
PROGRAM = "checkout-v2"
OTHER = "other-program"


@dataclass
class World:
    client: TestClient
    pilot: Pilot
    tokens: dict[str, str] = field(default_factory=dict)
    draft_ids: dict[str, str] = field(default_factory=dict)
    finding_ids: dict[str, int] = field(default_factory=dict)
    job_ids: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}

    def new_draft(self, program_id: str = PROGRAM, *, findings: list[Finding] | None = None) -> str:
        payload = ActionItemDraft(
            task="Write the rollback runbook",
            owner_text="Ana",
            owner_id="ana",
            owner_resolution=OwnerResolution.RESOLVED,
        ).model_dump(mode="json")
        with self.pilot.db.transaction() as s:
            row = add_draft(
                s,
                program_id=program_id,
                kind=DraftKind.ACTION_ITEM,
                payload=payload,
                findings=findings or [],
                provenance=Provenance(engine="offline"),
                now=NOW,
            )
            return row.id


def build_world(tmp_path: Path) -> World:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'api.db'}")
    pilot = open_pilot(settings, actor="setup", clock=fixed_clock(NOW))
    import_program_bytes(pilot, SMALL_PROGRAM.encode(), source="small.yaml")
    import_program_bytes(
        pilot, SMALL_PROGRAM.replace("id: checkout-v2", f"id: {OTHER}").encode(), source="o.yaml"
    )
    world = World(client=TestClient(create_app(context=pilot)), pilot=pilot)
    for role in Role:
        world.tokens[role.value] = issue_token(
            pilot, user_id=f"{role.value}-user", role=role, program_id=PROGRAM
        )
    world.tokens["outsider"] = issue_token(pilot, user_id="outsider", role=Role.ADMIN, program_id=OTHER)
    for program_id in (PROGRAM, OTHER):
        world.draft_ids[program_id] = world.new_draft(program_id)
        finding = Finding(
            rule_id="program.aged_risk", severity=Severity.WARNING, message="aged", subjects=("raid:R1",)
        )
        with pilot.db.transaction() as s:
            reconcile(s, program_id, [finding], NOW)
            from pilot.store.findings import list_findings

            world.finding_ids[program_id] = list_findings(s, program_id)[0].id
            # A failed extraction job (its document is gone), so retry is allowed and fails again.
            job = create_job(
                s, kind="extract", program_id=program_id, params={"document_id": 999999}, now=NOW
            )
            job.status = "failed"
            world.job_ids[program_id] = job.id
    return world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build_world(tmp_path)
    with w.client:
        yield w
    w.pilot.close()
