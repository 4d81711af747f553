"""`pilot demo`: the sample loaded and scanned, its material searchable, drafts waiting for review,
and an admin token that works and expires; running it again changes nothing but the token (the
previous one is revoked: no pile of admin tokens that never expire)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pilot.domain.auth import Role
from pilot.pipeline.context import fixed_clock, open_pilot
from pilot.pipeline.demo import run_demo
from pilot.pipeline.search import search_program
from pilot.sample import SAMPLE_NOW
from pilot.settings import Settings
from pilot.store.auth import authenticate, wall_clock


def test_demo_end_to_end_and_idempotent(tmp_path: Path) -> None:
    pilot = open_pilot(Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'demo.db'}"),
                       clock=fixed_clock(SAMPLE_NOW))  # fmt: skip
    first = run_demo(pilot)
    assert first.record_counts["people"] >= 20 and len(first.scan.findings) > 30 and first.scan.kpis
    assert first.documents_indexed >= 20 and first.drafts_waiting > 5
    with pilot.db.transaction() as session:
        principal = authenticate(session, first.admin_token or "", SAMPLE_NOW)
    assert principal is not None and principal.role_on(first.program_id) == Role.ADMIN
    hits = search_program(pilot, first.program_id, "duplicate captures on the employee canary")
    assert hits and any(h.metadata["source"] in ("pagerduty", "file") for h in hits)

    again = run_demo(pilot)
    assert again.drafts_waiting == first.drafts_waiting and again.scan.summary.new == 0
    assert again.admin_token != first.admin_token
    with pilot.db.transaction() as session:
        assert authenticate(session, first.admin_token or "", wall_clock()) is None
        assert authenticate(session, again.admin_token or "", wall_clock()) is not None
    assert again.admin_token_expires_at is not None
    assert again.admin_token_expires_at - wall_clock() <= timedelta(days=7)
    pilot.close()
