"""A review decision follows the records it is about when the rule that fires about them changes
within its family (a dependency "at risk" that is now "overdue" stays acknowledged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pilot.domain.findings import Finding, FindingState, Severity
from pilot.pipeline.programs import import_program_bytes
from pilot.review.anomalies import change_state
from pilot.store.findings import list_findings, reconcile
from pilot.store.tables import FindingRow
from tests.store.program_factory import SMALL_PROGRAM

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PROGRAM = "checkout-v2"


def at_risk(subject: str = "dependency:D1") -> Finding:
    return Finding(
        rule_id="dependency.at_risk",
        severity=Severity.WARNING,
        message="D1 is at risk",
        subjects=(subject,),
        values={"due": "2026-11-25", "status": "at_risk"},
    )


def overdue(subject: str = "dependency:D1") -> Finding:
    return Finding(
        rule_id="dependency.overdue",
        severity=Severity.ERROR,
        message="D1 is overdue",
        subjects=(subject,),
        values={"due": "2026-11-18", "status": "in_progress"},
    )


def milestone_slipped() -> Finding:
    return Finding(
        rule_id="milestone.slipped",
        severity=Severity.ERROR,
        message="M1 slipped",
        subjects=("dependency:D1",),
        values={"slip_days": 3},
    )


@pytest.fixture
def loaded(pilot_ctx: Any) -> Any:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    return pilot_ctx


def scan(ctx: Any, findings: list[Finding], now: datetime) -> Any:
    with ctx.db.transaction() as s:
        summary = reconcile(s, PROGRAM, findings, now)
        return summary, list_findings(s, PROGRAM, include_inactive=True)


def decide(ctx: Any, finding_id: int, state: FindingState, now: datetime, **kwargs: Any) -> None:
    with ctx.db.transaction() as s:
        change_state(
            s,
            program_id=PROGRAM,
            finding_id=finding_id,
            new_state=state,
            actor="ana",
            reason="provider committed a date",
            now=now,
            **kwargs,
        )


def test_acknowledgement_follows_the_dependency_when_at_risk_becomes_overdue(loaded: Any) -> None:
    _, stored = scan(loaded, [at_risk()], T0)
    decide(loaded, stored[0].id, FindingState.ACKNOWLEDGED, T0)
    summary, stored = scan(loaded, [overdue()], T0 + timedelta(days=6))
    active = [f for f in stored if f.active]
    assert len(active) == 1 and active[0].finding.rule_id == "dependency.overdue"
    assert active[0].state == FindingState.ACKNOWLEDGED
    assert active[0].state_reason == "provider committed a date" and active[0].state_by == "ana"
    assert active[0].finding.severity == Severity.ERROR  # the new rule's severity and message
    assert (summary.new, summary.carried, summary.cleared) == (0, 1, 0)
    assert len(stored) == 1 and active[0].first_seen_at == T0  # one finding, its history kept


def test_a_snooze_follows_too_and_still_ends(loaded: Any) -> None:
    _, stored = scan(loaded, [at_risk()], T0)
    decide(loaded, stored[0].id, FindingState.SNOOZED, T0, snoozed_until=T0 + timedelta(days=3))
    _, stored = scan(loaded, [overdue()], T0 + timedelta(days=1))
    assert stored[0].state == FindingState.SNOOZED
    _, stored = scan(loaded, [overdue()], T0 + timedelta(days=3))
    assert stored[0].state == FindingState.OPEN and stored[0].state_reason == "reopened: snooze ended"


def test_a_resolution_reopens_when_the_rule_changes(loaded: Any) -> None:
    """Resolving "at risk" said nothing about "overdue": the facts changed, so it reopens."""
    _, stored = scan(loaded, [at_risk()], T0)
    decide(loaded, stored[0].id, FindingState.RESOLVED, T0)
    summary, stored = scan(loaded, [overdue()], T0 + timedelta(days=2))
    assert stored[0].state == FindingState.OPEN and summary.reopened == 1


def test_other_families_and_other_records_do_not_inherit(loaded: Any) -> None:
    _, stored = scan(loaded, [at_risk()], T0)
    decide(loaded, stored[0].id, FindingState.ACKNOWLEDGED, T0)
    summary, stored = scan(loaded, [milestone_slipped(), overdue("dependency:D2")], T0 + timedelta(days=1))
    active = {f.finding.rule_id: f for f in stored if f.active}
    assert active["milestone.slipped"].state == FindingState.OPEN
    assert active["dependency.overdue"].state == FindingState.OPEN
    assert (summary.new, summary.cleared) == (2, 1)


def test_both_rules_firing_keep_their_own_findings(loaded: Any) -> None:
    _, stored = scan(loaded, [at_risk()], T0)
    decide(loaded, stored[0].id, FindingState.ACKNOWLEDGED, T0)
    summary, stored = scan(loaded, [at_risk(), overdue()], T0 + timedelta(days=1))
    states = {f.finding.rule_id: f.state for f in stored}
    assert states == {
        "dependency.at_risk": FindingState.ACKNOWLEDGED,
        "dependency.overdue": FindingState.OPEN,
    }
    assert summary.new == 1


def test_a_finding_stored_under_both_rules_takes_the_later_acknowledgement(loaded: Any) -> None:
    """Rows written before acknowledgements followed the family: the open "overdue" row takes the
    acknowledgement its "at risk" sibling was given after it."""
    with loaded.db.transaction() as s:
        reconcile(s, PROGRAM, [at_risk(), overdue()], T0)
    _, stored = scan(loaded, [at_risk()], T0 + timedelta(hours=1))
    first = next(f for f in stored if f.finding.rule_id == "dependency.at_risk")
    decide(loaded, first.id, FindingState.ACKNOWLEDGED, T0 + timedelta(hours=2))
    _, stored = scan(loaded, [overdue()], T0 + timedelta(days=1))
    again = next(f for f in stored if f.finding.rule_id == "dependency.overdue")
    assert again.active and again.state == FindingState.ACKNOWLEDGED and again.state_by == "ana"


def test_each_stored_row_continues_one_finding(loaded: Any) -> None:
    _, stored = scan(loaded, [at_risk()], T0)
    decide(loaded, stored[0].id, FindingState.ACKNOWLEDGED, T0)
    other = Finding(
        rule_id="dependency.blocked_long",
        severity=Severity.ERROR,
        message="D1 blocked",
        subjects=("dependency:D1",),
        values={},
    )
    _, stored = scan(loaded, [overdue(), other], T0 + timedelta(days=1))
    with loaded.db.transaction() as s:
        assert s.query(FindingRow).count() == 2
    assert sorted(f.state.value for f in stored) == ["acknowledged", "open"]
