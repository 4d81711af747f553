"""Draft checks against program data: owners, dates, milestones, references, RAID, duplicates, evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pilot.domain.drafts import DraftContext, DraftKind, Evidence
from pilot.domain.findings import Severity
from pilot.rules.checks import DRAFT_CHECKS, ProgramIndex, run_checks
from pilot.rules.people import PeopleDirectory

from .builders import at, milestone, program

NOW = at("2026-11-20 17:00")
DATA = program(
    milestones=[
        milestone("M-01", date(2026, 12, 1), forecast_date=date(2026, 12, 8)),
        milestone("M-02", date(2027, 1, 15)),
    ],
    raid=[
        {
            "id": "R-001",
            "kind": "R",
            "title": "Vendor SDK certification slips past wave one",
            "owner": "ana",
            "opened_at": at("2026-10-01 09:00"),
        },  # fmt: skip
    ],
    action_items=[
        {
            "id": "AI-01",
            "task": "Book the Visa certification slot for the processor endpoints",
            "owner": "bob",
            "created_at": at("2026-11-01 09:00"),
        },  # fmt: skip
    ],
    decisions=[
        {
            "id": "DEC-01",
            "question": "Hold wave one or move it a week?",
            "requested_at": at("2026-11-02 09:00"),
        }
    ],
)
INDEX = ProgramIndex.build(DATA)
MEETING = DraftContext(meeting_date=date(2026, 11, 16), timezone="America/Los_Angeles")


def check(kind: DraftKind, payload: dict[str, Any], context: DraftContext = MEETING) -> dict[str, Severity]:
    return {f.rule_id: f.severity for f in run_checks(kind, payload, INDEX, context, NOW)}


def action(**fields: Any) -> dict[str, Any]:
    return {"task": "Draft the rollback runbook", "owner_id": "ana", "owner_resolution": "resolved", **fields}


@pytest.mark.parametrize(
    ("said", "resolution", "person", "candidates"),
    [
        ("Ana Lima", "resolved", "ana", ("ana",)),
        ("annie", "resolved", "ana", ("ana",)),
        ("Bob", "resolved", "bob", ("bob",)),
        ("rhayes@example.com", "resolved", "bob", ("bob",)),
        ("rhayes", "resolved", "bob", ("bob",)),
        ("Dr. Hayes", "unknown", None, ()),  # surnames alone are not keys
        ("@ana", "resolved", "ana", ("ana",)),
        ("Alex", "ambiguous", None, ("alex.k", "alex.r")),
        ("Sasha", "resolved", "alex.r", ("alex.r",)),
        ("Alexandra Rivera", "resolved", "alex.r", ("alex.r",)),
        ("Alexandra", "resolved", "alex.r", ("alex.r",)),
        ("Zed", "unknown", None, ()),
        ("", "missing", None, ()),
        (None, "missing", None, ()),
    ],
)
def test_people_directory_resolution(
    said: str | None, resolution: str, person: str | None, candidates: tuple[str, ...]
) -> None:
    match = PeopleDirectory(DATA.people).resolve(said)
    assert (match.resolution.value, match.person_id, match.candidates) == (resolution, person, candidates)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (action(), {}),
        (
            action(
                owner_id=None,
                owner_text="Alex",
                owner_resolution="ambiguous",
                owner_candidates=["alex.k", "alex.r"],
            ),
            {"draft.owner_ambiguous": Severity.ERROR},
        ),  # fmt: skip
        (
            action(owner_id=None, owner_text="Zed", owner_resolution="unknown"),
            {"draft.owner_unknown": Severity.WARNING},
        ),
        (action(owner_id=None, owner_resolution="missing"), {"draft.owner_missing": Severity.WARNING}),
        (action(owner_id="ghost"), {"draft.owner_not_in_program": Severity.ERROR}),
        (action(due="2026-11-13"), {"draft.due_before_meeting": Severity.ERROR}),
        (action(due="2026-11-16"), {}),  # due the day of the meeting is fine
        (action(due="2026-12-09", milestone="M-01"), {"draft.due_after_milestone": Severity.WARNING}),
        (action(due="2026-12-08", milestone="M-01"), {}),  # the forecast, not the target, is the limit
        (action(milestone="M-99"), {"draft.unknown_milestone": Severity.ERROR}),
        (action(task="Unblock M-07 before the freeze"), {"draft.unknown_reference": Severity.WARNING}),
        (action(task="Unblock M-02 and DEC-01"), {}),
        (
            action(task="Book Visa certification slot for processor endpoints"),
            {"draft.duplicate": Severity.WARNING},
        ),
    ],
)
def test_action_item_checks(payload: dict[str, Any], expected: dict[str, Severity]) -> None:
    assert check(DraftKind.ACTION_ITEM, payload) == expected


def test_due_check_needs_a_meeting_date() -> None:
    assert check(DraftKind.ACTION_ITEM, action(due="2026-01-01"), DraftContext()) == {}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "kind": "R",
                "title": "HSM firmware",
                "owner_id": "bob",
                "owner_resolution": "resolved",
                "mitigation": "Pin firmware",
            },
            {},
        ),  # fmt: skip
        (
            {"kind": "R", "title": "HSM firmware", "owner_id": "bob", "owner_resolution": "resolved"},
            {"draft.raid_no_mitigation": Severity.WARNING},
        ),  # fmt: skip
        ({"kind": "A", "title": "Traffic stays flat"}, {"draft.raid_no_owner": Severity.WARNING}),
        (
            {
                "kind": "R",
                "title": "Vendor SDK certification slips",
                "owner_id": "ana",
                "owner_resolution": "resolved",
                "mitigation": "Escalate",
            },
            {"draft.duplicate": Severity.WARNING},
        ),  # fmt: skip
        (
            {
                "kind": "I",
                "title": "Vendor SDK certification slips",
                "owner_id": "ana",
                "owner_resolution": "resolved",
                "mitigation": "Escalate",
            },
            {},
        ),  # an issue does not duplicate a risk  # fmt: skip
    ],
)
def test_raid_checks(payload: dict[str, Any], expected: dict[str, Severity]) -> None:
    assert check(DraftKind.RAID, payload) == expected


def test_decision_that_answers_a_pending_question_is_news_and_unknown_decider_is_flagged() -> None:
    found = check(
        DraftKind.DECISION, {"what": "Hold wave one, do not move it a week", "decided_by_id": "ana"}
    )
    assert found == {"draft.resolves_pending_decision": Severity.INFO}
    assert check(DraftKind.DECISION, {"what": "Use vendor B", "decided_by_text": "Zed"}) == {
        "draft.unknown_person": Severity.WARNING
    }


SOURCE = "Ana: I'll draft the rollback runbook by Friday.\nBob: Thanks, and I will book the slot."


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("I'll draft the rollback runbook by Friday", {}),
        ("i'll DRAFT the rollback run-book by friday", {}),  # case, punctuation
        ("I will draft the rollback runbook by Friday", {}),  # a small paraphrase within tolerance
        ("I'll delete the production database tonight", {"draft.evidence_not_in_source": Severity.ERROR}),
        ("", {"draft.evidence_missing": Severity.WARNING}),
    ],
)
def test_evidence_quote_must_be_in_the_source(quote: str, expected: dict[str, Severity]) -> None:
    context = MEETING.model_copy(update={"source_text": SOURCE})
    evidence = Evidence(quote=quote).model_dump() if quote else None
    assert check(DraftKind.ACTION_ITEM, action(evidence=evidence), context) == expected


def test_a_payload_of_the_wrong_shape_is_an_error_finding_not_a_crash() -> None:
    assert check(DraftKind.ACTION_ITEM, {"task": "", "surprise": 1}) == {"draft.invalid": Severity.ERROR}


def test_registry_lists_every_check_with_its_kinds() -> None:
    assert {"draft.owner", "draft.due", "draft.milestone", "draft.references", "draft.raid_complete",
            "draft.duplicate", "draft.evidence", "draft.decider"} <= set(DRAFT_CHECKS)  # fmt: skip
    assert all(c.kinds and c.description for c in DRAFT_CHECKS.values())
