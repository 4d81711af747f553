"""The question grammar on a program of its own (tests/ask/harbor_program.py), in wordings written
for these tests: each row is a question and the records a program manager expects, worked out by
hand from the definitions in `rules.intent_query` as of 2027-03-10."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from pilot.domain.program import ProgramData
from pilot.rules.intent_query import run_query
from pilot.rules.intent_text import lead_sentence
from pilot.rules.intent_vocabulary import Vocabulary
from pilot.rules.intents import parse_intent
from tests.ask.harbor_program import HARBOR

DATA = ProgramData.model_validate(yaml.safe_load(HARBOR))
VOCAB = Vocabulary.of(DATA)
TODAY = date(2027, 3, 10)

CASES: list[tuple[str, set[str] | int]] = [
    # ownership: by full name, first name, alias, handle, e-mail; "who owns" a topic
    ("Who is the owner of the GDPR erasure risk?", {"raid:HR-2"}),
    ("Who's responsible for the egress cost risk?", {"raid:HR-3"}),
    (
        "Everything Orla Byrne has open",
        {"milestone:HM-2", "raid:HR-1", "raid:HI-1", "action:HA-1", "corrective:HCA-1"},
    ),
    ("What is Gus responsible for right now?", {"dependency:HD-3", "decision:HDEC-4"}),
    ("Show me @cobi's open action items", {"action:HA-4"}),
    ("Which tasks does mei.tan@harbor.example have?", set()),
    ("Which risks does Christopher Berg own?", {"raid:HR-2"}),
    # state words per record type
    ("Which decisions have missed their deadline?", {"decision:HDEC-2"}),
    ("List the milestones that are behind schedule", {"milestone:HM-2"}),
    ("Is anything past due?", {"dependency:HD-2", "decision:HDEC-2", "action:HA-1", "corrective:HCA-1"}),
    ("Which deliverables are stuck?", {"dependency:HD-2"}),
    ("What decisions are still outstanding?", {"decision:HDEC-2", "decision:HDEC-3", "decision:HDEC-4"}),
    ("Which milestones are marked at risk?", {"milestone:HM-2"}),
    ("Which open risks have had no progress for 10 days?", {"raid:HR-2"}),
    ("Which issues are unresolved?", {"raid:HI-1"}),
    ("What remains on the go/no-go checklist for HM-3?", {"readiness:HRD-1"}),
    ("Which deliverables are overdue?", {"dependency:HD-2"}),
    # windows
    (
        "What's coming due over the next 10 days?",
        {"dependency:HD-3", "decision:HDEC-3", "action:HA-2", "milestone:HM-2"},
    ),
    ("Which action items fall due this week?", {"action:HA-2"}),
    ("Dependencies due within a month?", {"dependency:HD-3", "dependency:HD-4"}),
    ("Which dependencies are due ahead of HM-3?", {"dependency:HD-3", "dependency:HD-4"}),
    ("Which decisions need to be taken in the coming 14 days?", {"decision:HDEC-3"}),
    ("Which milestones were pushed out in the past two weeks?", {"milestone:HM-2"}),
    ("What new risks or issues were raised in the last 10 days?", {"raid:HI-1"}),
    # graph
    ("What stands in the way of HM-2?", {"dependency:HD-2", "raid:HR-1", "raid:HI-1"}),
    ("What threatens our upcoming milestone?", {"milestone:HM-2", "dependency:HD-2", "raid:HR-1"}),
    ("What could derail HM-3?", {"dependency:HD-3", "raid:HR-2"}),
    ("What do we still need from Northwind?", {"dependency:HD-2"}),
    ("What pending decisions are gating HM-4?", {"decision:HDEC-2"}),
    # topics
    ("Which table format did we settle on?", {"decision:HDEC-1"}),
    ("Have we decided the snapshot retention yet?", {"decision:HDEC-4"}),
    ("How is the autoscaling dependency going?", {"dependency:HD-2"}),
    ("Are there open issues about the 6am deadline?", {"raid:HI-1"}),
    ("Tell me about the Iceberg decisions", {"decision:HDEC-1", "decision:HDEC-4"}),
    # counts
    ("How many risks are open?", 2),
    ("Count the pending decisions", 3),
    ("How many critical-path milestones remain?", 2),
    ("How many open action items has Orla got?", 1),
    # true answers that are empty
    ("Which Sev 1 incidents happened?", set()),
    ("What is blocking HM-1?", set()),
    ("Is Mei late on any decisions?", set()),
    ("What does FinOps owe us that is overdue?", set()),
    ("What did we decide about the BI tool?", set()),
    ("What did we decide about Kubernetes?", set()),
    # a topic word the program never uses is what the question is about: no record holds it
    ("Is there an open decision on snapshot encryption?", set()),
    # timeliness said as a phrase, not a topic ("time") nor a decision ("landed on")
    ("Which deliverables weren't delivered on time?", {"dependency:HD-2"}),
    ("What dependencies haven't landed on schedule?", {"dependency:HD-2"}),
]


@pytest.mark.parametrize(("question", "expected"), CASES)
def test_paraphrases_on_another_program(question: str, expected: set[str] | int) -> None:
    intent = parse_intent(question, VOCAB)
    assert intent.about_records, intent
    result = run_query(DATA, intent, TODAY)
    refs = {v.ref for v in result.views}
    text = lead_sentence(intent, result, DATA)
    if isinstance(expected, int):
        assert intent.count and len(refs) == expected and f" {expected} " in text, (intent, refs, text)
    else:
        assert refs == expected, (intent, text)
        assert text.startswith("As of 2027-03-10")
        assert ("none" in text) == (not expected), text


def test_a_first_name_two_people_share_gives_both_readings() -> None:
    intent = parse_intent("What does Chris owe?", VOCAB)
    result = run_query(DATA, intent, TODAY)
    assert [r.person.id for r in result.readings if r.person] == ["chris.obi", "chris.berg"]
    assert {v.ref for v in result.views} == {
        "milestone:HM-4",
        "decision:HDEC-2",
        "action:HA-4",
        "raid:HR-2",
        "action:HA-2",
    }
    text = lead_sentence(intent, result, DATA)
    assert "could mean Christine Obi or Christopher Berg" in text


def test_an_unknown_name_is_said_not_answered_with_everything() -> None:
    result = run_query(
        DATA, parse_intent("What risks does Zed own?", VOCAB).model_copy(update={"person": "Zed"}), TODAY
    )
    assert result.views == [] and "nothing called 'Zed'" in lead_sentence(parse_intent("x"), result, DATA)


def test_open_questions_are_not_read_as_record_queries() -> None:
    for question in (
        "Why did the nightly batch overrun?",
        "What did Ravi say about the network link?",
        "Summarise the last steering meeting",
    ):
        assert not parse_intent(question, VOCAB).about_records, question


def test_a_quoted_name_picks_the_milestone_it_names_exactly() -> None:
    from pilot.rules.intent_vocabulary import find_mentions

    vocab = Vocabulary(
        milestones={
            "rehearsal for the billing launch": "B-1",
            "billing launch all regions": "B-2",
            "billing launch": "B-2",  # the short name, as Vocabulary.of adds it
        }
    )
    for question, expected in (
        ('What is open for the "Billing launch" milestone?', "B-2"),
        ('What is open for the "rehearsal for the billing launch" milestone?', "B-1"),
        ('What is open for the "launch (all regions)" milestone?', "B-2"),
    ):
        _, mentions = find_mentions(question, vocab)
        assert [m.ids for m in mentions if m.kind == "milestone"] == [(expected,)], question
