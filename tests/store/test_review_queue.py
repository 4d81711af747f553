"""Approving, rejecting and editing drafts: only approval writes program data, and exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from pilot.domain.drafts import (
    ActionItemDraft,
    DecisionDraft,
    DraftKind,
    DraftStatus,
    Evidence,
    OwnerResolution,
    Provenance,
    QuestionDraft,
    RaidDraft,
)
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding, Severity
from pilot.domain.program import RaidKind
from pilot.pipeline.programs import get_program, import_program_bytes
from pilot.review.drafts import approve_draft, reject_draft
from pilot.store.audit import verify_chain
from pilot.store.drafts import add_draft, get_draft_row
from pilot.store.tables import ActionItemRow, AuditEventRow
from tests.store.program_factory import SMALL_PROGRAM

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
P = "checkout-v2"


@pytest.fixture
def loaded(pilot_ctx: Any) -> Any:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    return pilot_ctx


def _draft(ctx: Any, kind: DraftKind, payload: Any, findings: list[Finding] | None = None) -> str:
    with ctx.db.transaction() as s:
        return add_draft(
            s,
            program_id=P,
            kind=kind,
            payload=payload.model_dump(mode="json"),
            findings=findings or [],
            provenance=Provenance(engine="offline", source_document_ids=["doc:7"]),
            now=NOW,
        ).id


def _approve(ctx: Any, draft_id: str, override: str | None = None) -> Any:
    with ctx.db.transaction() as s:
        return approve_draft(
            s, program_id=P, draft_id=draft_id, actor="ben", now=NOW, override_reason=override
        )


ACTION = ActionItemDraft(
    task="Write the rollback runbook",
    owner_text="Annie",
    owner_id="ana",
    owner_resolution=OwnerResolution.RESOLVED,
    due_text="by Friday",
    due=datetime(2026, 11, 27).date(),
    milestone="M1",
    evidence=Evidence(quote="I'll write the rollback runbook by Friday", turn_index=12, verified=True),
)


@pytest.mark.parametrize(
    ("kind", "payload", "collection", "check"),
    [
        (
            DraftKind.ACTION_ITEM,
            ACTION,
            "action_items",
            lambda r: r.owner == "ana" and r.source_span == "turn 12",
        ),
        (
            DraftKind.RAID,
            RaidDraft(
                kind=RaidKind.RISK, title="Card vault migration may slip", owner_id="ben", mitigation="Add QA"
            ),
            "raid",
            lambda r: r.kind == RaidKind.RISK and r.owner_assigned_at is not None,
        ),
        (
            DraftKind.DECISION,
            DecisionDraft(what="Go with dual-write", decided_by_id="ben", rationale="Safer rollback"),
            "decisions",
            lambda r: r.status == "decided" and r.decider == "ben",
        ),
        (
            DraftKind.QUESTION,
            # marked by a reviewer as a decision to be made (as drafted, a question records nothing)
            QuestionDraft(question="Do we freeze Black Friday changes?", pending_decision=True),
            "decisions",
            lambda r: r.status == "pending",
        ),
    ],
)
def test_approval_creates_a_linked_record(
    loaded: Any, kind: DraftKind, payload: Any, collection: str, check: Any
) -> None:
    before = len(getattr(get_program(loaded, P), collection))
    draft = _approve(loaded, _draft(loaded, kind, payload))
    assert draft.status == DraftStatus.APPROVED
    records = getattr(get_program(loaded, P), collection)
    assert len(records) == before + 1
    with loaded.db.transaction() as s:
        row = get_draft_row(s, P, draft.id)
        assert row.record_ref is not None and row.record_ref.endswith(records[-1].id)
    assert check(records[-1])


def test_reject_writes_no_record(loaded: Any) -> None:
    draft_id = _draft(loaded, DraftKind.ACTION_ITEM, ACTION)
    with loaded.db.transaction() as s:
        draft = reject_draft(
            s, program_id=P, draft_id=draft_id, actor="ben", reason="duplicate of A1", now=NOW
        )
    assert draft.status == DraftStatus.REJECTED
    assert len(get_program(loaded, P).action_items) == 1
    with pytest.raises(PilotError) as info:
        _approve(loaded, draft_id)
    assert info.value.code == ErrorCode.CONFLICT


def test_error_findings_need_an_override_reason_which_is_recorded(loaded: Any) -> None:
    finding = Finding(rule_id="draft.owner_unknown", severity=Severity.ERROR, message="owner 'Zed' unknown")
    draft_id = _draft(loaded, DraftKind.ACTION_ITEM, ACTION, [finding])
    with pytest.raises(PilotError) as info:
        _approve(loaded, draft_id)
    assert info.value.code == ErrorCode.CONFLICT and "override" in info.value.message
    assert len(get_program(loaded, P).action_items) == 1
    _approve(loaded, draft_id, override="Zed joined this week; directory update pending")
    with loaded.db.transaction() as s:
        event = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc())).first()
        assert event is not None and event.after is not None
        assert event.after["override_reason"] == "Zed joined this week; directory update pending"


def test_warnings_do_not_block(loaded: Any) -> None:
    warning = Finding(rule_id="draft.duplicate", severity=Severity.WARNING, message="looks like A1")
    assert (
        _approve(loaded, _draft(loaded, DraftKind.ACTION_ITEM, ACTION, [warning])).status
        == DraftStatus.APPROVED
    )


def test_two_approvers_at_once_yield_one_record_and_one_event(loaded: Any) -> None:
    draft_id = _draft(loaded, DraftKind.ACTION_ITEM, ACTION)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approver(name: str) -> None:
        barrier.wait()
        try:
            with loaded.db.transaction() as s:
                approve_draft(s, program_id=P, draft_id=draft_id, actor=name, now=NOW)
            outcomes.append("approved")
        except PilotError as exc:
            outcomes.append(exc.code.value)

    threads = [threading.Thread(target=approver, args=(n,)) for n in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["approved", "conflict"]
    with loaded.db.transaction() as s:
        assert (
            s.scalar(select(func.count()).select_from(ActionItemRow).where(ActionItemRow.program_id == P))
            == 2
        )
        approvals = s.scalar(
            select(func.count()).select_from(AuditEventRow).where(AuditEventRow.action == "draft.approve")
        )
        assert approvals == 1
        assert verify_chain(s).ok
