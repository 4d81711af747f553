"""The sample program exercises every meeting and delivery signal end to end: its meetings
ingested, its saved GitHub and Jira answers imported, one draft approved, and a scan; the new
tables match their migration; the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pilot.api.app import create_app
from pilot.cli.main import build_app
from pilot.domain.auth import Role
from pilot.domain.drafts import ActionItemDraft, DraftKind, Provenance
from pilot.pipeline.access import issue_token
from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import Pilot
from pilot.pipeline.delivery import import_delivery
from pilot.pipeline.ingest import ingest_paths
from pilot.pipeline.review import approve
from pilot.pipeline.signals import list_meetings
from pilot.rules.signals import SIGNAL_DETECTORS
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, delivery_dir, sample_program_path, transcripts_dir
from pilot.store import delivery as delivery_tables
from pilot.store.drafts import add_draft
from pilot.store.tables import Base
from tests.ingest.fakes import FakeIndex

P = SAMPLE_PROGRAM_ID


def load_sample(pilot: Pilot) -> None:
    ingest_paths(pilot, P, [transcripts_dir()], index=FakeIndex(pilot.db))
    import_delivery(pilot, P, [delivery_dir()])


def test_the_sample_fires_every_signal_rule(pilot: Pilot) -> None:
    load_sample(pilot)
    report = scan_program(pilot, P)
    fired = {f.finding.rule_id for f in report.findings}
    declared = {rule for spec in SIGNAL_DETECTORS.values() for rule in spec.rule_ids}
    assert declared <= fired, declared - fired
    kpis = {k.kpi_id: k for k in report.kpis}
    assert kpis["meeting_outcome_rate"].numerator == 5 and kpis["meeting_outcome_rate"].denominator == 10
    assert kpis["meeting_outcome_rate:cutover-sync"].value == 1.0
    assert kpis["meeting_outcome_rate:ledger-standup"].value == 0.0
    assert kpis["ci_pass_rate"].value == 0.625 and kpis["review_turnaround_hours"].value == 29.5
    assert kpis["tickets_reopened"].value == 3
    blocked = sorted(
        f.finding.subjects[0] for f in report.findings if f.finding.rule_id == "delivery.ticket_blocked"
    )
    assert blocked == ["ticket:PAY-1420", "ticket:PAY-1429", "ticket:PAY-1437"]


def test_an_approved_draft_gives_its_meeting_an_outcome(pilot: Pilot) -> None:
    load_sample(pilot)
    standup = next(
        m for m in list_meetings(pilot, P) if m.series == "ledger standup" and str(m.held_on) == "2026-11-12"
    )
    assert not standup.has_outcome
    draft = ActionItemDraft(task="Compare the fee columns with the bank", owner_id="samir.patel")
    with pilot.db.transaction() as session:
        row = add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            payload=draft.model_dump(mode="json"),
            findings=[],
            provenance=Provenance(engine="offline"),
            now=SAMPLE_NOW,
            source_document_id=standup.document_id,
        )
        draft_id = row.id
    in_review = next(m for m in list_meetings(pilot, P) if m.document_id == standup.document_id)
    assert in_review.in_review and not in_review.has_outcome
    approve(pilot, P, draft_id, override_reason="checked")
    done = next(m for m in list_meetings(pilot, P) if m.document_id == standup.document_id)
    assert done.has_outcome and done.approved_actions == 1
    kpis = {k.kpi_id: k for k in scan_program(pilot, P).kpis}
    assert kpis["meeting_outcome_rate:ledger-standup"].numerator == 1


def test_the_delivery_tables_match_migration_0009(pilot: Pilot) -> None:
    assert delivery_tables.CiRunRow.__tablename__ in Base.metadata.tables
    with pilot.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "delivery_" in repr(d)] == []


def test_cli_delivery_import_and_meetings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path / "cli"))
    runner = CliRunner()
    app = build_app()
    assert runner.invoke(app, ["program", "import", str(sample_program_path())]).exit_code == 0
    first = runner.invoke(app, ["delivery", "import", str(delivery_dir()), "-p", P, "--json"])
    assert first.exit_code == 0, first.output
    body = json.loads(first.stdout)
    assert (body["runs"], body["pulls"], body["tickets"], body["changes"]) == (19, 8, 8, 22)
    again = json.loads(
        runner.invoke(app, ["delivery", "import", str(delivery_dir()), "-p", P, "--json"]).stdout
    )
    assert again["changed"] == 0
    missing = runner.invoke(app, ["delivery", "import", str(tmp_path / "nope"), "-p", P])
    assert missing.exit_code == 2 and "no such file" in missing.output
    unconfigured = runner.invoke(app, ["delivery", "sync", "--source", "jira", "-p", P])
    assert unconfigured.exit_code == 3 and "PILOT_JIRA_URL" in unconfigured.output
    meetings = runner.invoke(app, ["meetings", "-p", P, "--json"])
    assert meetings.exit_code == 0 and json.loads(meetings.stdout) == []  # nothing ingested here


def test_api_meetings_and_delivery_sync(pilot: Pilot) -> None:
    load_sample(pilot)
    viewer = issue_token(pilot, user_id="v", role=Role.VIEWER, program_id=P)
    editor = issue_token(pilot, user_id="e", role=Role.EDITOR, program_id=P)
    with TestClient(create_app(context=pilot)) as client:
        meetings = client.get(f"/programs/{P}/meetings", headers={"Authorization": f"Bearer {viewer}"}).json()
        assert len(meetings) == 10 and {m["series"] for m in meetings} == {
            "cutover sync",
            "ledger standup",
            "risk review",
        }
        forbidden = client.post(
            f"/programs/{P}/delivery/sync/github", headers={"Authorization": f"Bearer {viewer}"}
        )
        assert forbidden.status_code == 403
        unconfigured = client.post(
            f"/programs/{P}/delivery/sync/jira", headers={"Authorization": f"Bearer {editor}"}
        )
        assert unconfigured.status_code == 409 and "PILOT_JIRA" in unconfigured.json()["error"]["message"]
