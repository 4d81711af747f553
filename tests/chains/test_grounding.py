"""Owner resolution (table), evidence location and the grounded drafts of a whole extraction."""

from __future__ import annotations

from datetime import date

import pytest

from pilot.chains.extraction import LLMExtractor
from pilot.chains.fakes import FakeStructuredLLM
from pilot.domain.documents import Turn
from pilot.domain.drafts import DraftKind, OwnerResolution
from pilot.domain.findings import Finding, Severity
from pilot.pipeline.extract_grounding import (
    ProgramPeople,
    addressed_in_turn,
    extract,
    locate_evidence,
    resolve_owner,
)

from .conftest import action, extraction_json, make_program, meeting_document

R, A, U, M = (
    OwnerResolution.RESOLVED,
    OwnerResolution.AMBIGUOUS,
    OwnerResolution.UNKNOWN,
    OwnerResolution.MISSING,
)
PEOPLE = ProgramPeople(make_program().people)

OWNER_CASES = [
    # (owner as said, speaker, addressed, answered by, resolution, owner id, candidates)
    ("I", "Omar Farouk", None, None, R, "omar.farouk", []),
    ("me", "Dana Whitfield", None, None, R, "dana.whitfield", []),
    ("myself", "Priya Raman", None, None, R, "priya.raman", []),
    ("I", "Thomas Becker", None, None, R, "tom.becker", []),
    ("I", "Tom", None, None, R, "tom.becker", []),  # speaker label is an alias
    ("I", "Alex Rivera", None, None, R, "alex.rivera", []),  # display name is an alias
    ("I", "Alex", None, None, A, None, ["alex.kim", "alex.rivera"]),  # speaker label alone is ambiguous
    ("I", "Visitor From Finance", None, None, U, None, []),  # speaker not in the directory
    ("I", None, None, None, U, None, []),  # no speaker at all
    ("you", "Dana Whitfield", "Omar Farouk", None, R, "omar.farouk", []),
    ("you", "Dana Whitfield", "Alex", None, A, None, ["alex.kim", "alex.rivera"]),
    ("you", "Dana Whitfield", "Alex", "Alex Rivera", R, "alex.rivera", []),  # who answers resolves it
    ("you", "Dana Whitfield", "Alex", "Priya Raman", A, None, ["alex.kim", "alex.rivera"]),
    ("you", "Dana Whitfield", None, None, U, None, []),
    ("Omar", "Dana Whitfield", None, None, R, "omar.farouk", []),  # first name
    ("omar farouk", "Dana Whitfield", None, None, R, "omar.farouk", []),  # case
    ("Bob", "Dana Whitfield", None, None, R, "robert.hayes", []),  # nickname alias
    ("Robert Hayes", None, None, None, R, "robert.hayes", []),
    ("robert.hayes", None, None, None, R, "robert.hayes", []),  # the id
    ("dana@example.com", None, None, None, R, "dana.whitfield", []),  # e-mail
    ("tbecker", None, None, None, R, "tom.becker", []),  # e-mail local part
    ("@Priya", None, None, None, R, "priya.raman", []),  # chat mention
    ("Alex", "Dana Whitfield", None, None, A, None, ["alex.kim", "alex.rivera"]),
    ("Alex Kim", "Dana Whitfield", None, None, R, "alex.kim", []),
    ("Alexandra Rivera", None, None, None, R, "alex.rivera", []),
    ("Sam", "Dana Whitfield", None, None, U, None, []),  # unknown name
    ("the vendor", "Dana Whitfield", None, None, U, None, []),
    ("we", "Dana Whitfield", None, None, U, None, []),  # a group is not an owner
    ("the team", "Dana Whitfield", None, None, U, None, []),
    (None, "Dana Whitfield", None, None, M, None, []),
    ("", "Dana Whitfield", None, None, M, None, []),
]


@pytest.mark.parametrize(
    ("said", "speaker", "addressed", "answered", "resolution", "owner_id", "candidates"), OWNER_CASES
)
def test_resolve_owner(
    said: str | None,
    speaker: str | None,
    addressed: str | None,
    answered: str | None,
    resolution: OwnerResolution,
    owner_id: str | None,
    candidates: list[str],
) -> None:
    outcome = resolve_owner(said, speaker=speaker, addressed=addressed, lookup=PEOPLE, answered_by=answered)
    assert (outcome.resolution, outcome.owner_id, outcome.candidates) == (resolution, owner_id, candidates)


def _turns(*rows: tuple[str | None, str]) -> list[Turn]:
    return [Turn(index=i, speaker=s, text=t) for i, (s, t) in enumerate(rows)]


@pytest.mark.parametrize(
    ("rows", "position", "expected"),
    [
        (
            (("Omar Farouk", "Runbook is close."), ("Dana Whitfield", "Can you finish it by Friday?")),
            1,
            "Omar Farouk",
        ),
        ((("Omar Farouk", "Hi."), ("Dana Whitfield", "Priya, can you take the parity report?")), 1, "priya"),
        ((("Dana Whitfield", "One thing."), ("Dana Whitfield", "And can you send it?")), 1, None),
        ((("Priya Raman", "Hi."), ("Dana Whitfield", "Omar Farouk, can you do it?")), 1, "omar farouk"),
    ],
)
def test_addressed_in_turn(rows: tuple[tuple[str, str], ...], position: int, expected: str | None) -> None:
    assert addressed_in_turn(_turns(*rows), position, PEOPLE) == expected


def test_evidence_is_found_fuzzily_with_turn_speaker_and_time() -> None:
    turns = [
        Turn(index=1, speaker="Dana Whitfield", text="Okay, let's start.", start=0.0),
        Turn(
            index=2,
            speaker="Omar Farouk",
            text="Um, I'll have the, the rollback runbook done by Friday.",
            start=12.5,
        ),
    ]
    evidence = locate_evidence("I'll have the rollback runbook done by Friday", turns, hint=1)
    assert evidence.verified and evidence.turn_index == 2
    assert evidence.speaker == "Omar Farouk" and evidence.timestamp == 12.5


def test_invented_evidence_is_not_verified() -> None:
    turns = [Turn(index=1, speaker="Dana", text="Okay, let's start.")]
    evidence = locate_evidence("We will close every risk today", turns, hint=1)
    assert not evidence.verified and evidence.turn_index == 1


def test_extract_grounds_owners_dates_milestones_and_runs_checks(program) -> None:  # type: ignore[no-untyped-def]
    answer = extraction_json(
        action_items=[
            action(
                "finish the rollback runbook",
                "I",
                "by Friday",
                "I'll have the rollback runbook done by Friday",
                2,
            ),
            action(
                "send the app store plan",
                "you",
                "by tomorrow",
                "Alex, can you send me the app store submission plan",
                3,
            ),
            action(
                "fix the truncation",
                "I",
                "before the code freeze",
                "I'll fix the soft descriptor truncation",
                7,
            ),
            action("book the game day", "Sam", None, "book the game day", None),
        ]
    )
    seen: list[tuple[DraftKind, str]] = []

    def checker(kind, payload, program_data, context):  # type: ignore[no-untyped-def]
        seen.append((kind, str(context.meeting_date)))
        if getattr(payload, "owner_resolution", None) == OwnerResolution.UNKNOWN:
            return [Finding(rule_id="draft.owner_unknown", severity=Severity.ERROR, message="owner unknown")]
        return []

    result = extract(
        meeting_document(),
        engine=LLMExtractor(llm=FakeStructuredLLM().enqueue(answer)),
        program=program,
        checker=checker,
    )
    omar, alex, jordan, sam = (d.payload for d in result.of_kind(DraftKind.ACTION_ITEM))
    assert (omar.owner_id, omar.due) == ("omar.farouk", date(2026, 11, 20))
    assert (alex.owner_id, alex.due) == ("alex.rivera", date(2026, 11, 17))  # answered by Alex Rivera
    assert (jordan.owner_id, jordan.due, jordan.milestone) == ("jordan.ellis", date(2026, 11, 30), "M-10")
    assert sam.owner_resolution == OwnerResolution.UNKNOWN and sam.evidence.verified is False
    assert [f.rule_id for f in result.of_kind(DraftKind.ACTION_ITEM)[3].findings] == ["draft.owner_unknown"]
    assert seen and all(day == "2026-11-16" for _, day in seen)
    assert result.provenance.engine == "llm" and result.provenance.prompt_version == "1.0.0"
    assert result.timezone == "America/Los_Angeles"
    assert result.usage.calls == 1
