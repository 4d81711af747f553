"""Ask: intents parsed deterministically, structured answers from program data, open questions
from retrieval with checked citations (offline and through the LLM), never across programs; and
the QA eval's scoring rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import PilotError
from pilot.domain.program import ProgramData
from pilot.evals.qa import covered, parse_elitr, tokens
from pilot.index import open_index
from pilot.pipeline.ask import ask
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_bytes, import_program_file
from pilot.rules.intents import parse_intent, question_type
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from tests.chains.conftest import BASE_URL, completion
from tests.index.test_index import hashing_embedder
from tests.store.program_factory import SMALL_PROGRAM

P = SAMPLE_PROGRAM_ID


@pytest.mark.parametrize(
    ("question", "kinds", "states", "person", "older"),
    [
        ("Which risks does Nora own?", ["risk"], [], "Nora", None),
        ("Show open risks owned by Nora Fischer", ["risk"], ["open"], "Nora Fischer", None),
        ("Which milestones are late?", ["milestone"], ["late"], None, None),
        ("What decisions are pending?", ["decision"], ["open"], None, None),
        ("Which dependencies are at risk?", ["dependency"], ["at_risk"], None, None),
        ("List overdue action items for Omar", ["action"], ["overdue"], "Omar", None),
        ("Which issues are open more than 30 days?", ["issue"], ["open"], None, 30),
    ],
)
def test_intents(
    question: str, kinds: list[str], states: list[str], person: str | None, older: int | None
) -> None:
    from pilot.rules.intent_vocabulary import Vocabulary

    data = import_sample_data()
    intent = parse_intent(question, Vocabulary.of(data))
    assert intent.about_records
    assert (intent.kinds, intent.states, intent.person, intent.older_than_days) == (
        kinds,
        states,
        person,
        older,
    )


def import_sample_data() -> ProgramData:
    from pilot.connectors.program_file import parse_program_yaml

    return parse_program_yaml(sample_program_path().read_bytes())


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who will send the corpus?", "who"),
        ("When is the deadline?", "when"),
        ("How many subsets are there?", "howmany"),
        ("What was decided?", "what"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert question_type(question) == kind


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    ctx = open_pilot(
        Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'a.db'}"),
        actor="viewer",
        clock=fixed_clock(SAMPLE_NOW),
    )
    import_program_file(ctx, sample_program_path())
    import_program_bytes(ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    index = open_index(ctx.settings, ctx.db, embedder=hashing_embedder)
    turns = [Turn(index=0, speaker="Lucas", text="The PCI segmentation is blocked on the change advisory board."),
             Turn(index=1, speaker="Dana", text="Then the compensating control decision has to come first.")]  # fmt: skip
    index.add_document(Document(program_id=P, source="file", external_id="risk-review", kind=DocumentKind.TRANSCRIPT,
                                title="Risk review", text="x", turns=turns))  # fmt: skip
    index.add_document(Document(program_id="checkout-v2", source="file", external_id="secret", kind=DocumentKind.NOTES,
                                title="Other program", text="x",
                                turns=[Turn(index=0, text="PCI segmentation secret of another program")]))  # fmt: skip
    yield ctx
    ctx.close()


def test_structured_answers_come_from_program_data(pilot: Pilot) -> None:
    nora = ask(pilot, P, "Which open risks does Nora own?")
    assert nora.kind == "structured" and [r.record_ref for r in nora.rows] == ["raid:R-001"]
    assert nora.as_of is not None and nora.as_of.isoformat() == "2026-11-20" and nora.sources == ["records"]
    late = ask(pilot, P, "Which milestones are late?")
    assert {"milestone:M-08", "milestone:M-11"} <= {r.record_ref for r in late.rows}
    overdue = ask(pilot, P, "Which action items are overdue?")
    assert overdue.rows and all("due 2026-11-1" in r.text or "due 2026-10" in r.text for r in overdue.rows)
    decisions = ask(pilot, P, "Which decisions are overdue?")
    assert [r.record_ref for r in decisions.rows] == ["decision:DEC-08", "decision:DEC-09"]
    assert decisions.text.startswith("As of 2026-11-20, 2 decisions are overdue: DEC-08 (")


def test_open_questions_cite_only_this_programs_documents(pilot: Pilot) -> None:
    answer = ask(pilot, P, "What did Lucas say about the PCI segmentation?", use_llm=False)
    assert answer.kind == "retrieval" and answer.citations and answer.sources == ["documents"]
    assert all(c.document_key == "file:risk-review" and c.verified for c in answer.citations)
    assert "another program" not in json.dumps(answer.model_dump(mode="json"))
    with pytest.raises(PilotError):
        ask(pilot, P, "   ")


@pytest.mark.respx(base_url=BASE_URL)
def test_llm_answer_keeps_verified_citations_and_drops_invented_ones(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    pilot.settings = Settings(
        data_dir=pilot.settings.data_dir,
        database_url=pilot.settings.database_url,
        llm_base_url=BASE_URL,
        llm_api_key="sk-test",
        llm_max_retries=0,
    )
    body = {
        "answer": "The change advisory board.",
        "citations": [
            {"passage": 1, "quote": "The PCI segmentation is blocked on the change advisory board."},
            {"passage": 1, "quote": "Security signed off everything yesterday."},
            {"passage": 9, "quote": "anything"},
        ],
    }
    open_question = {"about_records": False}
    route = respx_mock.post("/chat/completions").mock(
        side_effect=[
            httpx.Response(200, json=completion(json.dumps(open_question))),
            httpx.Response(200, json=completion(json.dumps(body))),
        ]
    )
    answer = ask(pilot, P, "What did Lucas say about the PCI segmentation?")
    assert answer.engine == "llm" and len(answer.citations) == 1 and answer.citations[0].verified
    assert {f.rule_id for f in answer.findings} == {
        "answer.quote_not_in_source",
        "answer.citation_not_retrieved",
    }
    sent = json.loads(route.calls[1].request.content)["messages"][1]["content"]
    assert '<passage number="1"' in sent and "another program" not in sent


def test_qa_scoring_rule() -> None:
    assert tokens("[PERSON6] and (PERSON10) will send it tomorrow.") == [
        "person6",
        "person10",
        "send",
        "tomorrow",
    ]
    assert covered("[PERSON6] will download the corpus", ["PERSON6: I will download the corpus tonight"])
    assert not covered("[PERSON6] will download the corpus", ["PERSON7: I will download the corpus tonight"])
    assert covered("the corpus", ["corpus " + "filler " * 600])
    assert not covered("the corpus", ["filler " * 600 + "corpus"])
    turns = parse_elitr("(PERSON1) Hello there.\nsecond line\n(PERSON2) Hi.")
    assert [(t.speaker, t.text) for t in turns] == [
        ("PERSON1", "Hello there. second line"),
        ("PERSON2", "Hi."),
    ]


def test_qa_eval_asks_through_the_pipeline_on_any_data_dir_with_the_layout(tmp_path: Path) -> None:
    import zipfile

    from pilot.evals.qa import run_qa_eval

    folder = tmp_path / "elitr-bench"
    folder.mkdir()
    qa = {
        "split": "test2",
        "meetings": [
            {
                "id": "meeting_en_test2_001",
                "questions": [
                    {
                        "id": "1",
                        "question-type": "who",
                        "answer-position": "B",
                        "question": "Who will prepare the corpus?",
                        "groundtruth-answer": "[PERSON2]",
                    },
                    {
                        "id": "2",
                        "question-type": "when",
                        "answer-position": "M",
                        "question": "When is the deadline?",
                        "groundtruth-answer": "Next Friday",
                    },
                ],
            }
        ],
    }
    transcript = "(PERSON1) Who prepares the corpus?\n(PERSON2) I will prepare the corpus.\n(PERSON1) The deadline is next Friday.\n"
    with zipfile.ZipFile(folder / "elitr-test2.zip", "w") as z:
        z.writestr("data/elitr-bench-qa_test2.json", json.dumps(qa))
        z.writestr("ELITR-English-test2/meeting_en_test2_001/transcript_MAN_annot01.txt", transcript)
    settings = Settings(data_dir=tmp_path / "unused")
    report = run_qa_eval(tmp_path, "test2", embedder=hashing_embedder, settings=settings)
    assert (
        report["path"] == "pipeline.ask.ask"
        and report["questions"] == 2
        and report["recipe"]["questions"] == 2
    )
    assert report["top_hit"] == 1.0 and report["by_type"] == {"when": 1.0, "who": 1.0}
    assert not (tmp_path / "unused").exists()  # a temporary data directory, not the user's


@pytest.mark.respx(base_url=BASE_URL)
def test_llm_reads_a_loosely_worded_structured_question(pilot: Pilot, respx_mock: respx.MockRouter) -> None:
    pilot.settings = Settings(
        data_dir=pilot.settings.data_dir,
        database_url=pilot.settings.database_url,
        llm_base_url=BASE_URL,
        llm_api_key="sk-test",
        llm_max_retries=0,
    )
    intent = {"kinds": ["risk"], "person": "Nora", "states": ["open"]}
    respx_mock.post("/chat/completions").mock(
        return_value=httpx.Response(200, json=completion(json.dumps(intent)))
    )
    question = "What is Nora on the hook for, risk-wise?"
    answer = ask(pilot, P, question)
    assert answer.kind == "structured" and [r.record_ref for r in answer.rows] == ["raid:R-001"]


def test_the_five_everyday_questions_of_the_sample(pilot: Pilot) -> None:
    """The questions a new user asked of the sample: each answered from the records, filtered."""
    next_one = ask(pilot, P, "What is at risk for the next milestone?", use_llm=False)
    assert [r.record_ref for r in next_one.rows] == ["milestone:M-10", "raid:R-004"]
    pci = ask(pilot, P, "Who owns the PCI risk?", use_llm=False)
    assert [r.record_ref for r in pci.rows] == ["raid:R-009"] and "William O'Brien owns R-009" in pci.text
    cutover = ask(pilot, P, "What did we decide about the cutover date?", use_llm=False)
    assert cutover.rows == [] and "no decision about cutover date has been made" in cutover.text
    assert "Still open on this topic: DEC-07" in cutover.text
    ledger = ask(pilot, P, "What's blocking payments-ledger?", use_llm=False)
    assert ledger.kind == "structured" and "blocking M-08" in ledger.text
    assert {r.record_ref for r in ledger.rows} == {
        "dependency:DEP-10",
        "raid:R-001",
        "raid:I-001",
        "raid:I-011",
    }
