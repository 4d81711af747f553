"""Questions a program manager asks of the bundled sample program, in wordings written for these
tests (none is a benchmark's). Each expected set was worked out by hand from the sample's YAML and
the definitions in `rules.intent_query`, as of the sample's date 2026-11-20; the answer goes
through `pipeline.ask.ask`, the function `pilot ask` and the ask page call."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from pilot.pipeline.ask import ask
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, sample_program_path
from pilot.sample import SAMPLE_PROGRAM_ID as P
from pilot.settings import Settings

DUE_BEFORE_M10 = {
    *(f"action:AI-{n:02d}" for n in (6, 7, 8, 11, 13, 15)),
    "decision:DEC-07",
    "decision:DEC-10",
    *(f"dependency:DEP-{n}" for n in (12, 13, 14, 15)),
}
EVERYTHING_LATE = {
    "action:AI-02",
    "action:AI-04",
    "action:AI-09",
    "action:AI-10",
    "decision:DEC-08",
    "decision:DEC-09",
    "milestone:M-08",
    "dependency:DEP-10",
    "dependency:DEP-11",
    "corrective:CA-04",
    "corrective:CA-06",
}

CASES: list[tuple[str, set[str] | int]] = [
    # ownership, by first name, nickname, full name
    ("Who's carrying the HSM firmware risk?", {"raid:R-003"}),
    ("What does Kate still owe?", {"raid:I-006", "corrective:CA-06"}),
    ("Which of Omar's action items are still open?", {"action:AI-06"}),
    ("What risks has Hannah got open?", {"raid:R-003"}),
    ("Which decisions is Robert on the hook for?", {"decision:DEC-07", "decision:DEC-08"}),
    ("Which open readiness items sit with Omar Farouk?", {"readiness:RD-01", "readiness:RD-02"}),
    ("Who is the decider on the PCI compensating control decision?", {"decision:DEC-09"}),
    ("Who owns the HSM tokenization API?", {"dependency:DEP-03"}),  # no record kind said
    # states
    ("Which decisions have blown through their needed-by date?", {"decision:DEC-08", "decision:DEC-09"}),
    ("List the deliverables that are blocked", {"dependency:DEP-11", "dependency:DEP-15"}),
    (
        "Which milestones are forecast later than their target?",
        {f"milestone:M-{n:02d}" for n in (8, 9, 11, 12, 13)},
    ),
    (
        "Which risks have been open for more than two months?",
        {f"raid:R-{n:03d}" for n in (1, 2, 3, 4, 5, 9, 10, 12)},
    ),
    ("Which action items are past due?", {"action:AI-02", "action:AI-04", "action:AI-09", "action:AI-10"}),
    ("Which deliverables didn't arrive on time?", {"dependency:DEP-10", "dependency:DEP-11"}),
    ("Show me everything overdue", EVERYTHING_LATE),
    (
        "Which postmortem follow-ups are still open?",
        {"corrective:CA-04", "corrective:CA-06", "corrective:CA-07"},
    ),
    # windows
    (
        "What action items fall due in the coming week?",
        {f"action:AI-{n:02d}" for n in (6, 7, 11, 13, 15)},
    ),
    ("Which decisions are due in the next 10 days?", {"decision:DEC-07", "decision:DEC-10"}),
    ("What was added to the RAID register in the past 7 days?", {"raid:I-010", "raid:D-004"}),
    (
        "Which milestones got pushed out in the last 10 days?",
        {f"milestone:M-{n:02d}" for n in (8, 9, 11, 12, 13)},
    ),
    ("What's due before M-10?", DUE_BEFORE_M10),
    # graph
    ("What stands between us and M-10?", {"raid:R-004"}),
    (
        "What threatens cutover wave 1?",
        {
            *(f"dependency:DEP-{n}" for n in (11, 13, 15, 16)),
            *(f"raid:R-{n:03d}" for n in (2, 6, 9, 11, 13)),
        },
    ),
    ("What does the Platform Infrastructure team still owe us?", {"dependency:DEP-11", "dependency:DEP-15"}),
    ("Which dependencies is Ledger still delivering?", {"dependency:DEP-10", "dependency:DEP-17"}),
    # topics
    ("What did we settle on for the ledger database?", {"decision:DEC-01"}),
    ("What did we agree on the canary population?", {"decision:DEC-04"}),
    ("Is the monolith read-only decision still open?", {"decision:DEC-11"}),
    ("Any news on the Kafka capacity risk?", {"raid:R-010"}),
    ("Are there any issues about reconciliation alerts?", {"raid:I-011"}),
    ("What's the status of the multi-region failover dependency?", {"dependency:DEP-11"}),
    # counts
    ("How many open issues do we have?", 9),
    ("How many decisions are still undecided?", 5),
    ("How many open action items does Nora have?", 1),
    ("How many critical milestones are still open?", 5),
    # true answers that are empty: "none", never the unfiltered list
    ("What is holding up M-07?", set()),
    ("Does Dana have any overdue actions?", set()),
    ("Any open sev 1 incidents?", set()),
    ("What did we decide about Apple Pay?", set()),
    ("Where did we land on card data retention?", set()),
    ("Which deliverables from Mobile are late?", set()),
]


@pytest.fixture(scope="module")
def sample_pilot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pilot]:
    root = tmp_path_factory.mktemp("sample")
    settings = Settings(data_dir=root / "d", database_url=f"sqlite:///{root / 'a.db'}")
    ctx = open_pilot(settings, actor="viewer", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


@pytest.mark.parametrize(("question", "expected"), CASES)
def test_sample_paraphrases(sample_pilot: Pilot, question: str, expected: set[str] | int) -> None:
    answer = ask(sample_pilot, P, question, use_llm=False)
    refs = [row.record_ref for row in answer.rows]
    assert len(refs) == len(set(refs)), refs  # no record twice
    assert answer.text.startswith("As of 2026-11-20"), answer.text
    if isinstance(expected, int):
        assert answer.intent.get("count"), answer.intent
        assert len(refs) == expected and re.search(rf"\b{expected}\b", answer.text), (refs, answer.text)
        return
    assert set(refs) == expected, (answer.intent, answer.text)
    assert ("none" in answer.text.split(":")[0]) == (not expected), answer.text


def test_there_are_thirty_paraphrases_or_more() -> None:
    assert len(CASES) >= 30 and len({q for q, _ in CASES}) == len(CASES)
