"""The home dashboard's figures on the sample program, each checked against the program data or
the stored findings read independently here."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.drafts import DraftKind, Provenance
from pilot.domain.findings import FindingState
from pilot.pipeline import review
from pilot.pipeline.anomalies import anomalies, scan_program, set_finding_state
from pilot.pipeline.context import fixed_clock
from pilot.pipeline.dashboard import program_dashboard
from pilot.pipeline.programs import import_program_file
from pilot.pipeline.status import create_status_draft
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.store.drafts import add_draft

P = SAMPLE_PROGRAM_ID
DATA = parse_program_yaml(sample_program_path().read_bytes())


@pytest.fixture
def pilot(pilot_ctx: Any) -> Any:
    ctx = dataclasses.replace(pilot_ctx, actor="pm", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    for days in (14, 7, 0):
        scan_program(ctx, P, now=SAMPLE_NOW - timedelta(days=days))
    return ctx


def test_colour_counts_and_decisions_due(pilot: Any) -> None:
    board = program_dashboard(pilot, P)
    assert board.as_of == date(2026, 11, 20) and board.colour.value == "red"
    assert ("milestone.overdue", ("milestone:M-08",)) in {
        (f.rule_id, f.subjects) for f in board.colour_findings
    }
    stored = anomalies(pilot, P)
    assert board.open_findings == {
        s: sum(f.finding.severity.value == s for f in stored) for s in ("error", "warning", "info")
    }
    assert board.unreviewed == len(stored)
    until = board.as_of + timedelta(days=7)
    expected = sorted(
        (d.needed_by, d.id)
        for d in DATA.decisions
        if d.status.value == "pending" and d.needed_by and d.needed_by <= until
    )
    assert [(d.needed_by, d.ref.partition(":")[2]) for d in board.decisions_due] == expected
    assert [d.ref for d in board.decisions_due if d.overdue] == ["decision:DEC-09", "decision:DEC-08"]


def test_what_changed_in_the_week(pilot: Any) -> None:
    target = next(f for f in anomalies(pilot, P) if f.finding.rule_id == "raid.aged")
    set_finding_state(pilot, P, target.id, FindingState.RESOLVED, reason="owner posted an update")
    with pilot.db.transaction() as session:
        draft_id = add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            findings=[],
            now=SAMPLE_NOW,
            payload={
                "task": "Share the runbook",
                "owner_id": "dana.whitfield",
                "owner_resolution": "resolved",
            },
            provenance=Provenance(engine="offline"),
        ).id
    review.approve(pilot, P, draft_id)
    create_status_draft(pilot, P, "exec")
    board = program_dashboard(pilot, P)
    week = board.week
    assert week.since == date(2026, 11, 13)
    start = SAMPLE_NOW - timedelta(days=7)
    stored = anomalies(pilot, P, include_inactive=True)
    assert {f.id for f in week.opened} == {f.id for f in stored if f.active and f.first_seen_at > start}
    assert [f.id for f in week.resolved] == [target.id]
    changes = sorted(
        (c.changed_on, r.id)
        for r in [*DATA.milestones, *DATA.dependencies]
        for c in r.forecast_history
        if date(2026, 11, 13) < c.changed_on <= date(2026, 11, 20)
    )
    assert sorted((r.changed_on, r.ref.partition(":")[2]) for r in week.reforecasts) == changes
    m12 = next(r for r in week.reforecasts if r.ref == "milestone:M-12")
    assert (m12.before, m12.after) == (date(2027, 1, 27), date(2027, 2, 3))
    assert [a.ref for a in week.approved] == [f"action:A-{draft_id.replace('-', '')[:10]}"]
    assert board.drafts_waiting == {"status_update": 1} and [a for _, a in board.status_pending] == ["exec"]
