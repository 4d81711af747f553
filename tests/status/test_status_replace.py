"""Drafting a status update again for an audience replaces that audience's pending draft (kept,
as superseded, and audited) instead of stacking another; approved updates stay. Decisions needed
by a date before the as-of date are asks marked overdue."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from pilot.chains.status import decision_asks, offline_status, to_html, to_slack
from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.status import DecisionFact
from pilot.pipeline import review
from pilot.pipeline.context import fixed_clock
from pilot.pipeline.programs import import_program_file
from pilot.pipeline.status import create_status_draft
from pilot.rules.factsheet import build_fact_sheet
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.store.audit import list_events

P = SAMPLE_PROGRAM_ID


@pytest.fixture
def pilot(pilot_ctx: Any) -> Any:
    ctx = dataclasses.replace(pilot_ctx, actor="pm", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    return ctx


def statuses(pilot: Any) -> dict[str, list[str]]:
    drafts = review.list_drafts(pilot, P, status=None, kind=DraftKind.STATUS_UPDATE)
    out: dict[str, list[str]] = {}
    for d in drafts:
        out.setdefault(d.status.value, []).append(d.id)
    return out


def test_a_second_run_replaces_the_pending_draft_for_the_same_audience(pilot: Any) -> None:
    first = create_status_draft(pilot, P, "exec")
    assert first.replaced == []
    second = create_status_draft(pilot, P, "exec")
    assert second.replaced == [first.draft.id]
    assert statuses(pilot) == {"pending": [second.draft.id], "superseded": [first.draft.id]}
    old = review.get_draft(pilot, P, first.draft.id)
    assert old.payload["body"] == first.status.body  # kept, readable, out of the queue
    with pilot.db.transaction() as session:
        events = [e for e in list_events(session, program_id=P) if e.action == "draft.supersede"]
    assert len(events) == 1 and events[0].subject == f"draft:{first.draft.id}" and events[0].actor == "pm"
    assert events[0].after == {"status": "superseded", "replaced_by": second.draft.id}
    with pytest.raises(PilotError) as raised:
        review.approve(pilot, P, first.draft.id)
    assert raised.value.code == ErrorCode.CONFLICT


def test_other_audiences_and_approved_updates_stay(pilot: Any) -> None:
    approved = create_status_draft(pilot, P, "exec", now=SAMPLE_NOW - timedelta(days=7))
    review.approve(pilot, P, approved.draft.id)
    engineering = create_status_draft(pilot, P, "engineering")
    exec_now = create_status_draft(pilot, P, "exec")
    assert exec_now.replaced == [] and engineering.replaced == []
    found = statuses(pilot)
    assert found["approved"] == [approved.draft.id]
    assert sorted(found["pending"]) == sorted([engineering.draft.id, exec_now.draft.id])
    assert "superseded" not in found


def test_an_edited_pending_draft_is_replaced_but_its_text_is_kept(pilot: Any) -> None:
    first = create_status_draft(pilot, P, "product")
    review.edit(pilot, P, first.draft.id, {**first.draft.payload, "body": "My own words.\n"})
    second = create_status_draft(pilot, P, "product")
    assert second.replaced == [first.draft.id]
    old = review.get_draft(pilot, P, first.draft.id)
    assert old.status == DraftStatus.SUPERSEDED and old.payload["body"] == "My own words.\n"
    with pilot.db.transaction() as session:
        event = next(e for e in list_events(session, program_id=P) if e.action == "draft.supersede")
    assert event.before is not None and event.before["edits"] == 1


def test_decisions_needed_by_a_past_date_are_marked_overdue(pilot: Any) -> None:
    from pilot.connectors.program_file import parse_program_yaml

    sheet = build_fact_sheet(parse_program_yaml(sample_program_path().read_bytes()), SAMPLE_NOW)
    draft = offline_status(sheet, "exec")
    lines = {a.decision_id: a for a in draft.asks}
    assert sheet.as_of.isoformat() == "2026-11-20"
    assert "needed by 2026-11-18 (**overdue**)" in draft.body  # DEC-09
    assert "needed by 2026-11-19 (**overdue**)" in draft.body  # DEC-08
    assert "needed by 2026-11-24 (**overdue**)" not in draft.body and "2026-11-24" in draft.body
    assert [a.decision_id for a in draft.asks[:2]] == ["DEC-09", "DEC-08"]  # overdue first
    assert set(lines) == {"DEC-07", "DEC-08", "DEC-09", "DEC-10"}
    assert "<strong>overdue</strong>" in to_html(draft) and "*overdue*" in to_slack(draft)


def test_an_overdue_decision_is_an_ask_before_its_latency_threshold(pilot: Any) -> None:
    from pilot.connectors.program_file import parse_program_yaml

    sheet = build_fact_sheet(parse_program_yaml(sample_program_path().read_bytes()), SAMPLE_NOW)
    fresh = DecisionFact(
        id="DEC-99",
        question="Pick a vendor?",
        options=["A", "B"],
        recommendation=None,
        decider="Robert Hayes",
        needed_by=sheet.as_of - timedelta(days=1),
        cost_of_delay=None,
        waited_business_days=1,
        past_threshold=False,
    )
    later = fresh.model_copy(update={"id": "DEC-98", "needed_by": sheet.as_of + timedelta(days=3)})
    sheet = sheet.model_copy(update={"pending_decisions": [*sheet.pending_decisions, fresh, later]})
    asked = [a.decision_id for a in decision_asks(sheet)]
    assert "DEC-99" in asked and "DEC-98" not in asked
