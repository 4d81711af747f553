"""Extractive retrieval answers, pure: overlapping chunks never cite a turn twice, the answer type
re-ranks candidates, and the answer sentence is the one that answers."""

from __future__ import annotations

from pilot.rules.passages import Candidate, answer_type_bonus, best_sentences, rank_passages


def test_overlapping_chunks_cite_each_turn_once() -> None:
    first = Candidate(key="c1", document="doc", text="Ana: The vendor ships the HSM on Friday.\nBen: Then we rack it.",
                      score=0.03, turn_first=4, turn_last=5)  # fmt: skip
    second = Candidate(key="c2", document="doc", text="Ben: Then we rack it.\nAna: And cut over on the 9th.",
                       score=0.02, turn_first=5, turn_last=6)  # fmt: skip
    packed = rank_passages("When does the HSM ship?", [first, second], budget_words=500)
    lines = [line for _, text in packed for line in text.split("\n")]
    assert lines.count("Ben: Then we rack it.") == 1 and len(lines) == 3


def test_the_kind_of_answer_asked_for_reranks() -> None:
    vague = Candidate(
        key="a", document="d", text="We talked about the HSM for a long while, it is heavy.", score=0.031
    )
    dated = Candidate(
        key="b", document="d", text="The HSM arrives on Monday 14 December at 10:00.", score=0.030
    )
    assert answer_type_bonus("when", dated.text) > answer_type_bonus("when", vague.text)
    assert rank_passages("When does the HSM arrive?", [vague, dated], budget_words=5)[0][0].key == "b"


def test_the_answer_sentence_shares_most_with_the_question() -> None:
    passages = ["Ana: Morning all. The rollback trigger is a 0.5% decline spike for ten minutes. Ben: Fine."]
    assert best_sentences("What is the rollback trigger?", passages) == [
        "Ana: The rollback trigger is a 0.5% decline spike for ten minutes."
    ]
