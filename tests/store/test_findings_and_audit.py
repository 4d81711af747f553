"""Finding persistence across scans, review state changes, and the hash-chained audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding, FindingState, Severity
from pilot.pipeline.programs import import_program_bytes
from pilot.review.anomalies import change_state
from pilot.store.audit import append_event, verify_chain
from pilot.store.findings import list_findings, reconcile
from tests.store.program_factory import SMALL_PROGRAM

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def aged(days_threshold: int = 30, opened: str = "2026-09-10") -> Finding:
    return Finding(
        rule_id="program.aged_risk",
        severity=Severity.WARNING,
        message="R1 has had no progress for over 30 days",
        subjects=("raid:R1",),
        values={"threshold_days": days_threshold, "last_progress": opened},
    )


@pytest.fixture
def loaded(pilot_ctx: Any) -> Any:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    return pilot_ctx


def _scan(ctx: Any, findings: list[Finding], now: datetime) -> Any:
    with ctx.db.transaction() as s:
        summary = reconcile(s, "checkout-v2", findings, now)
        return summary, list_findings(s, "checkout-v2", include_inactive=True)


def _resolve(ctx: Any, finding_id: int, now: datetime) -> None:
    with ctx.db.transaction() as s:
        change_state(
            s,
            program_id="checkout-v2",
            finding_id=finding_id,
            new_state=FindingState.RESOLVED,
            actor="ana",
            reason="mitigation agreed",
            now=now,
        )


def test_new_then_seen_again(loaded: Any) -> None:
    summary, stored = _scan(loaded, [aged()], T0)
    assert summary.new == 1 and stored[0].state == FindingState.OPEN
    summary, stored = _scan(loaded, [aged()], T0 + timedelta(days=1))
    assert (summary.new, summary.seen_again) == (0, 1)
    assert stored[0].first_seen_at == T0 and stored[0].last_seen_at == T0 + timedelta(days=1)


def test_resolved_stays_resolved_until_facts_change(loaded: Any) -> None:
    _, stored = _scan(loaded, [aged()], T0)
    _resolve(loaded, stored[0].id, T0)
    summary, stored = _scan(loaded, [aged()], T0 + timedelta(days=1))
    assert stored[0].state == FindingState.RESOLVED and summary.reopened == 0
    summary, stored = _scan(loaded, [aged(opened="2026-10-01")], T0 + timedelta(days=2))
    assert stored[0].state == FindingState.OPEN and summary.reopened == 1
    assert stored[0].state_reason == "reopened: facts changed"


def test_cleared_findings_become_inactive(loaded: Any) -> None:
    _scan(loaded, [aged()], T0)
    summary, stored = _scan(loaded, [], T0 + timedelta(days=1))
    assert summary.cleared == 1 and not stored[0].active
    with loaded.db.transaction() as s:
        assert list_findings(s, "checkout-v2") == []


def test_snooze_reopens_when_it_ends(loaded: Any) -> None:
    _, stored = _scan(loaded, [aged()], T0)
    with loaded.db.transaction() as s:
        change_state(
            s,
            program_id="checkout-v2",
            finding_id=stored[0].id,
            new_state=FindingState.SNOOZED,
            actor="ana",
            reason="after the offsite",
            now=T0,
            snoozed_until=T0 + timedelta(days=3),
        )
    _, stored = _scan(loaded, [aged()], T0 + timedelta(days=2))
    assert stored[0].state == FindingState.SNOOZED
    _, stored = _scan(loaded, [aged()], T0 + timedelta(days=3))
    assert stored[0].state == FindingState.OPEN


@pytest.mark.parametrize(
    ("state", "reason", "until", "message"),
    [
        (FindingState.RESOLVED, "  ", None, "reason is required"),
        (FindingState.SNOOZED, "later", None, "needs an 'until'"),
        (FindingState.SNOOZED, "later", T0 - timedelta(hours=1), "needs an 'until'"),
        (FindingState.ACKNOWLEDGED, "seen", T0 + timedelta(days=1), "only applies to snooze"),
        (FindingState.OPEN, "again", None, "reopened by pilot"),
    ],
)
def test_state_change_validation(
    loaded: Any, state: FindingState, reason: str, until: datetime | None, message: str
) -> None:
    _, stored = _scan(loaded, [aged()], T0)
    with pytest.raises(PilotError) as info, loaded.db.transaction() as s:
        change_state(
            s,
            program_id="checkout-v2",
            finding_id=stored[0].id,
            new_state=state,
            actor="ana",
            reason=reason,
            now=T0,
            snoozed_until=until,
        )
    assert info.value.code == ErrorCode.INVALID_INPUT and message in info.value.message


def test_finding_of_another_program_is_not_found(loaded: Any) -> None:
    _, stored = _scan(loaded, [aged()], T0)
    with pytest.raises(PilotError) as info, loaded.db.transaction() as s:
        change_state(
            s,
            program_id="other-program",
            finding_id=stored[0].id,
            new_state=FindingState.RESOLVED,
            actor="x",
            reason="r",
            now=T0,
        )
    assert info.value.code == ErrorCode.NOT_FOUND


def test_state_changes_are_audited_and_chain_verifies(loaded: Any) -> None:
    _, stored = _scan(loaded, [aged()], T0)
    _resolve(loaded, stored[0].id, T0)
    with loaded.db.transaction() as s:
        report = verify_chain(s)
        assert report.ok and report.events == 2  # the import and the resolution
        row = s.execute(text("SELECT actor, action, subject FROM audit_events ORDER BY id DESC")).first()
        assert tuple(row) == ("ana", "finding.resolved", f"finding:{stored[0].id}")


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_events SET actor = 'mallory' WHERE id = {target}",
        "UPDATE audit_events SET after = NULL WHERE id = {target}",
        "DELETE FROM audit_events WHERE id = {target}",
    ],
)
def test_tampering_with_one_row_is_detected_and_named(pilot_ctx: Any, tamper: str) -> None:
    with pilot_ctx.db.transaction() as s:
        ids = [append_event(s, actor="ana", action="x.test", after={"n": i}, at=T0).id for i in range(5)]
    target = ids[2]
    with pilot_ctx.db.transaction() as s:
        s.execute(text(tamper.format(target=target)))
    with pilot_ctx.db.transaction() as s:
        report = verify_chain(s)
    assert not report.ok
    expected = ids[3] if tamper.startswith("DELETE") else target
    assert report.first_bad_id == expected
