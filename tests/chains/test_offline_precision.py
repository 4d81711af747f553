"""Precision first in the offline engine: what is never a draft, who a request is for, requests
answered over several turns, the deadline among several dates, and a confidence on every draft."""

from __future__ import annotations

from datetime import date

from pilot.chains.offline import OfflineExtractor
from pilot.chains.offline_select import rule_confidence
from pilot.chains.offline_text import imperative_task, problem_style
from pilot.domain.drafts import DraftKind
from pilot.domain.program import ProgramData
from pilot.pipeline.extract_grounding import extract
from pilot.text.dates import find_due_phrase

from .conftest import meeting_document


def _drafts(program: ProgramData, turns: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    return extract(meeting_document(turns), engine=OfflineExtractor(), program=program)


def test_small_talk_fragments_and_questions_are_not_drafts(program: ProgramData) -> None:
    result = _drafts(
        program,
        [
            ("Omar Farouk", "Who ate the last of the cookies?"),
            ("Dana Whitfield", "Guilty. I'll buy some tomorrow, honestly."),
            ("Omar Farouk", "Yeah, I can see."),
            ("Priya Raman", "This is the dashboard I was showing last week."),
            ("Jordan Ellis", "Did the load test finish before the freeze?"),
        ],
    )
    assert result.drafts == []


def test_a_question_is_never_a_decision() -> None:
    for question in (
        "Should we go with the web fallback?",
        "Jordan, you agreed to ship it?",
        "We decided that?",
    ):
        assert rule_confidence("decisions", question) == 0.0
    assert rule_confidence("decisions", "So we decided to ship with the web fallback.") >= 0.85


def test_an_agreement_that_does_not_say_what_was_agreed_is_not_a_decision() -> None:
    for empty in (
        "The group agreed before.",
        "It's basically what we agreed upon.",
        "Okay, that's decided then.",
    ):
        assert rule_confidence("decisions", empty) == 0.0, empty
    assert rule_confidence("decisions", "We agreed on yellow.") >= 0.85  # short, but it says what
    assert rule_confidence("decisions", "So we decided to keep the kinetic battery.") >= 0.85


def test_a_request_answered_yes_is_one_action_for_the_person_asked(program: ProgramData) -> None:
    result = _drafts(
        program,
        [
            ("Dana Whitfield", "Thanks. Jordan, can you move the descriptor fix into staging by Thursday?"),
            ("Jordan Ellis", "Sure, will do."),
            ("Dana Whitfield", "Omar, could you rewrite the failover checklist by Friday?"),
            ("Omar Farouk", "No, sorry, I'm out all week."),
        ],
    )
    actions = result.of_kind(DraftKind.ACTION_ITEM)
    assert [(a.payload.owner_id, a.payload.due) for a in actions] == [("jordan.ellis", date(2026, 11, 19))]
    assert actions[0].payload.task == "Move the descriptor fix into staging"
    assert actions[0].payload.confidence is not None and actions[0].payload.confidence >= 0.85


def test_the_addressee_restating_a_request_merges_into_one_action(program: ProgramData) -> None:
    result = _drafts(
        program,
        [
            ("Dana Whitfield", "Priya, can you send the rollback timings to the bank?"),
            ("Priya Raman", "Yes, I'll send the rollback timings to the bank by Wednesday."),
        ],
    )
    actions = result.of_kind(DraftKind.ACTION_ITEM)
    assert len(actions) == 1
    assert actions[0].payload.owner_id == "priya.raman" and actions[0].payload.due == date(2026, 11, 18)


def test_the_deadline_is_not_the_date_of_the_thing() -> None:
    assert find_due_phrase("I'll reserve the lab for the 30th today and tell the vendors") == "today"
    assert find_due_phrase("I'll get it onto Monday's agenda by end of day") == "by end of day"
    assert find_due_phrase("Can you prepare the notes for Friday?") == "Friday"  # the only date: the deadline


def test_titles_are_short_tasks_and_questions_name_the_person_asked() -> None:
    # the due phrase stays when it is all the task names: "Take Friday the 27th", not "Take"
    assert imperative_task("take Friday the 27th?", "Friday the 27th") == "Take Friday the 27th"
    assert imperative_task("cover Thursday.", "Thursday") == "Cover Thursday"
    assert imperative_task(
        "have the cutover rota out by end of next week, promise.", "by end of next week"
    ) == ("Have the cutover rota out")
    assert problem_style("Omar, you checked the logs?", "Dana Whitfield", "Omar Farouk") == (
        "Omar Farouk checked the logs?"
    )


def test_every_draft_has_a_confidence_and_dated_commitments_are_surest(program: ProgramData) -> None:
    result = _drafts(
        program,
        [
            ("Omar Farouk", "I'll finish the rollback runbook by Friday."),
            ("Priya Raman", "We should probably look at the dashboards at some point."),
            ("Jordan Ellis", "The risk is the acquirer changes the file format again."),
        ],
    )
    confidences = {d.text: d.payload.confidence for d in result.drafts}
    assert all(c is not None for c in confidences.values())
    runbook = next(c for t, c in confidences.items() if "runbook" in t)
    assert runbook is not None and runbook >= 0.85


def test_a_raid_title_drops_the_spoken_lead_in_that_names_its_type(program: ProgramData) -> None:
    result = _drafts(
        program,
        [
            (
                "Priya Raman",
                "The main risk is that the vendor certificate renewal lands after the cutover window.",
            )
        ],
    )
    (risk,) = result.of_kind(DraftKind.RAID)
    assert risk.payload.title.startswith("The vendor certificate renewal lands after")
    assert "main risk" in risk.payload.evidence.quote  # the evidence keeps the words as said
