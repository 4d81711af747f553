"""The offline extraction engine: no LLM, same `ExtractionOutput` as the LLM chain.

Two signals, both deterministic:
1. Cue phrases on cleaned speaker turns ("I'll ... by Friday", "let's go with", "blocked on") with
   the due phrase found by `rules.dates`. A commitment with a due date, an explicit decision or an
   explicit risk is always kept.
2. A nearest-exemplar scorer over the local MiniLM embeddings: each sentence, phrased as minutes,
   is scored by its mean cosine to the 3 closest sentences of an exemplar bank per type (annotators'
   action/decision/problem sentences of the AMI *train* split, shipped as `offline_model.npz`,
   built by `python -m pilot.evals.train_offline`). The best few per type fill the meeting's budget.
Without an embedder (or model file) the engine runs on cues alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from pilot.chains.embedding import Embedder, Vectors
from pilot.chains.engine import ChainRun, ExtractionContext, Progress
from pilot.chains.offline_text import (
    clean_spoken,
    minutes_parts,
    minutes_style,
    problem_style,
    split_sentences,
)
from pilot.chains.schema import (
    ActionCandidate,
    DecisionCandidate,
    ExtractionOutput,
    QuestionCandidate,
    RaidCandidate,
)
from pilot.domain.documents import Turn
from pilot.rules.dates import find_due_phrase

MODEL_PATH = Path(__file__).with_name("offline_model.npz")
KINDS = ("actions", "decisions", "problems")
Kind = Literal["actions", "decisions", "problems"]

# Cues that make a sentence a candidate of a kind (weak) and cues that make it certain (strong).
CUES: dict[str, re.Pattern[str]] = {
    "actions": re.compile(
        r"\b(?:i'll|i will|i'm going to|you'll|you will|can you|could you|will you|next meeting|action|"
        r"homework|send|e-?mail|prepare|look into|find out|work on|follow up|take care of)\b",
        re.I,
    ),
    "decisions": re.compile(
        r"\b(?:decided|decide|agreed|agree|let's go with|go for|go with|we'll use|we will use|we'll have|"
        r"settled?|final|definitely|we're going with|choose|chose|stick with|so we'll)\b",
        re.I,
    ),
    "problems": re.compile(
        r"\b(?:problem|issue|risk|concern|worr\w*|expensive|costs?|budget|difficult|hard|can't|cannot|too|"
        r"not sure|don't know|whether|might not|unless|trouble|limit\w*|price|blocked|slip|delay\w*)\b",
        re.I,
    ),
}
_COMMITMENT = re.compile(
    r"^(?:i'll|i will|i'm going to|i am going to|i can take|let me)\b|\b(?:can|could|will) you\b|^action(?: item)?:",
    re.I,
)
_STRONG_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? (?:decided|agreed)|let's go with|so we'll use|we're going with|decision:|"
    r"(?:it's|that's) (?:decided|agreed)|we'll go with)\b",
    re.I,
)
_STRONG_RAID = re.compile(
    r"\b(?:the (?:big |main )?risk is|blocked on|blocked by|might slip|at risk|is slipping)\b", re.I
)
_RISK_WORDS = re.compile(r"\b(?:might|may|could|risk|concern\w*|worr\w*|if)\b", re.I)
_DEPENDENCY_WORDS = re.compile(r"\b(?:waiting (?:on|for)|depends? on|dependency|dependent on)\b", re.I)
_ISSUE_WORDS = re.compile(r"\b(?:blocked|broken|failing|problem|is slipping)\b", re.I)


@dataclass(frozen=True)
class OfflineParams:
    """Selection settings, tuned on the AMI train split by `pilot.evals.train_offline`."""

    budgets: dict[str, int] = field(default_factory=lambda: {"actions": 3, "decisions": 5, "problems": 5})
    cue_weight: dict[str, float] = field(
        default_factory=lambda: {"actions": 0.02, "decisions": 0.1, "problems": 0.1}
    )
    length_weight: float = 0.05
    neighbours: int = 3
    diversity: float = 0.75  # a sentence closer than this to one already chosen is a repeat
    min_words: int = 4


@dataclass
class OfflineModel:
    exemplars: dict[str, Vectors]
    params: OfflineParams

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> OfflineModel | None:
        if not path.is_file():
            return None
        with np.load(path) as data:
            exemplars = {kind: np.asarray(data[kind], dtype=np.float32) for kind in KINDS if kind in data}
            raw = json.loads(str(data["params"])) if "params" in data else {}
        return cls(exemplars=exemplars, params=OfflineParams(**raw))

    def save(self, path: Path) -> None:
        params = {
            "budgets": self.params.budgets,
            "cue_weight": self.params.cue_weight,
            "length_weight": self.params.length_weight,
            "neighbours": self.params.neighbours,
            "diversity": self.params.diversity,
            "min_words": self.params.min_words,
        }
        arrays = {kind: vectors.astype(np.float16) for kind, vectors in self.exemplars.items()}
        np.savez_compressed(path, params=np.array(json.dumps(params)), **arrays)  # type: ignore[arg-type]


@dataclass
class SentenceRow:
    turn_index: int
    speaker: str | None
    addressed: str | None
    sentence: str  # cleaned, as said
    phrased: dict[str, str]  # minutes-style text per kind


def _addressed(
    text: str, speaker: str | None, previous: str | None, participants: Sequence[str]
) -> str | None:
    """Who "you" is: a participant named in the turn (not the speaker), else the previous speaker."""
    lowered = text.lower()
    named = [
        name
        for name in participants
        if name != speaker
        and (
            re.search(rf"\b{re.escape(name.lower())}\b", lowered)
            or (len(name.split()) > 1 and re.search(rf"\b{re.escape(name.split()[0])}\b", text))
        )
    ]
    if len(named) == 1:
        return named[0]
    return previous


def sentence_rows(
    turns: Sequence[Turn], *, participants: Sequence[str] = (), min_words: int = 4
) -> list[SentenceRow]:
    speakers = list(dict.fromkeys([t.speaker for t in turns if t.speaker] + list(participants)))
    rows: list[SentenceRow] = []
    previous: str | None = None
    for turn in turns:
        cleaned = clean_spoken(turn.text)
        if not cleaned:
            continue
        addressed = _addressed(cleaned, turn.speaker, previous, speakers)
        for sentence in split_sentences(cleaned, min_words=min_words):
            phrased_action = minutes_style(sentence, turn.speaker, addressed)
            rows.append(
                SentenceRow(
                    turn_index=turn.index,
                    speaker=turn.speaker,
                    addressed=addressed,
                    sentence=sentence,
                    phrased={
                        "actions": phrased_action,
                        "decisions": phrased_action,
                        "problems": problem_style(sentence, turn.speaker),
                    },
                )
            )
        if turn.speaker and turn.speaker != previous:
            previous = turn.speaker
    return rows


class OfflineExtractor:
    """`Extractor` without an LLM. `embedder=None` and no model file: cue phrases only."""

    engine: Literal["offline"] = "offline"
    model_name: str | None = None
    prompt = None

    def __init__(self, *, embedder: Embedder | None = None, model: OfflineModel | None = None) -> None:
        self._embedder = embedder
        self._model = model
        self.params = model.params if model else OfflineParams()
        self.model_name = "offline-minilm-exemplars" if (embedder and model) else "offline-cues"

    @classmethod
    def default(cls) -> OfflineExtractor:
        from pilot.chains.embedding import MiniLMEmbedder

        model = OfflineModel.load()
        return cls(embedder=MiniLMEmbedder() if model else None, model=model)

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: Progress | None = None
    ) -> ChainRun:
        """The whole transcript at once: the engine is cheap and its budgets are per meeting."""
        output = self.extract_turns(turns, participants=context.participants)
        if progress:
            progress(1, 1)
        return ChainRun(engine="offline", model=self.model_name, output=output, chunks=1)

    def extract_turns(self, turns: Sequence[Turn], *, participants: Sequence[str] = ()) -> ExtractionOutput:
        rows = sentence_rows(turns, participants=participants, min_words=self.params.min_words)
        if not rows:
            return ExtractionOutput.empty()
        chosen = self._choose(rows)
        return ExtractionOutput(
            action_items=[_action(rows[i]) for i in chosen["actions"]],
            decisions=[_decision(rows[i]) for i in chosen["decisions"]],
            raid=[_raid(rows[i]) for i in chosen["problems"] if not rows[i].sentence.endswith("?")],
            open_questions=[_question(rows[i]) for i in chosen["problems"] if rows[i].sentence.endswith("?")],
        )

    def _choose(self, rows: Sequence[SentenceRow]) -> dict[str, list[int]]:
        if self._embedder is None or self._model is None:
            return {kind: select_rows(kind, rows, None, None, self.params) for kind in KINDS}
        # Actions and decisions share their phrasing: embed each distinct text once.
        texts = sorted({row.phrased[kind] for row in rows for kind in KINDS})
        position = {text: i for i, text in enumerate(texts)}
        all_vectors = self._embedder(texts)
        chosen: dict[str, list[int]] = {}
        for kind in KINDS:
            vectors = all_vectors[[position[row.phrased[kind]] for row in rows]]
            bank = self._model.exemplars.get(kind)
            nearest = nearest_exemplars(vectors, bank, self.params.neighbours) if bank is not None else None
            chosen[kind] = select_rows(kind, rows, vectors, nearest, self.params)
        return chosen


def nearest_exemplars(vectors: Vectors, bank: Vectors, neighbours: int) -> np.ndarray:
    """Mean cosine of each row to its `neighbours` closest exemplars."""
    k = max(1, min(neighbours, len(bank)))
    return np.asarray(np.sort(vectors @ bank.T, axis=1)[:, -k:].mean(axis=1), dtype=np.float32)


def is_strong(kind: str, row: SentenceRow) -> bool:
    """A sentence that is certainly of its kind: a dated commitment, an explicit decision or risk."""
    if kind == "actions":
        return bool(_COMMITMENT.search(row.sentence)) and find_due_phrase(row.sentence) is not None
    if kind == "decisions":
        return bool(_STRONG_DECISION.search(row.sentence))
    return bool(_STRONG_RAID.search(row.sentence))


def select_rows(
    kind: str,
    rows: Sequence[SentenceRow],
    vectors: Vectors | None,
    nearest: np.ndarray | None,
    params: OfflineParams,
) -> list[int]:
    """Strong hits always, then the best-scored sentences up to the kind's budget, skipping repeats."""
    texts = [row.phrased[kind] for row in rows]
    strong = [i for i, row in enumerate(rows) if is_strong(kind, row)]
    if nearest is not None:
        cue = np.array([1.0 if CUES[kind].search(row.sentence) else 0.0 for row in rows])
        length = np.array([min(len(row.sentence.split()), 40) / 40 for row in rows])
        score = nearest + params.cue_weight[kind] * cue + params.length_weight * length
    else:
        # Cues only: weak cues are too noisy without the scorer; keep the strong hits alone.
        score = np.full(len(rows), -1.0)
    chosen: list[int] = []
    for index in strong:  # always kept, in order of appearance
        if not _repeats(index, chosen, vectors, texts, params.diversity):
            chosen.append(index)
    budget = max(params.budgets[kind], len(chosen))
    for index in np.argsort(-score, kind="stable"):
        if len(chosen) >= budget or score[index] < 0:
            break
        if int(index) in chosen or _repeats(int(index), chosen, vectors, texts, params.diversity):
            continue
        chosen.append(int(index))
    return sorted(chosen)


def _repeats(
    index: int, chosen: Sequence[int], vectors: Vectors | None, texts: Sequence[str], limit: float
) -> bool:
    if vectors is not None:
        return any(float(vectors[index] @ vectors[j]) > limit for j in chosen)
    return any(texts[index] == texts[j] for j in chosen)


_OWNER_WORD = {"speaker": "I", "addressed": "you", "group": "we"}


def _action(row: SentenceRow) -> ActionCandidate:
    _, subject, predicate = minutes_parts(row.sentence, row.speaker, row.addressed)
    return ActionCandidate(
        task=predicate.rstrip(".") if subject else row.phrased["actions"],
        owner=_OWNER_WORD[subject] if subject else None,
        due=find_due_phrase(row.sentence),
        evidence_quote=row.sentence,
        turn_index=row.turn_index,
    )


def _decision(row: SentenceRow) -> DecisionCandidate:
    return DecisionCandidate(
        what=row.phrased["decisions"],
        decided_by=None,
        rationale=None,
        evidence_quote=row.sentence,
        turn_index=row.turn_index,
    )


def _raid(row: SentenceRow) -> RaidCandidate:
    text = row.phrased["problems"]
    kind: Literal["risk", "assumption", "issue", "dependency"] = "issue"
    if _DEPENDENCY_WORDS.search(row.sentence):
        kind = "dependency"
    elif _ISSUE_WORDS.search(row.sentence):
        kind = "issue"
    elif _RISK_WORDS.search(row.sentence):
        kind = "risk"
    words = text.rstrip(".").split()
    title = " ".join(words[:10]) + ("..." if len(words) > 10 else "")
    return RaidCandidate(
        kind=kind,
        title=title,
        description=text,
        owner=None,
        probability=None,
        impact=None,
        evidence_quote=row.sentence,
        turn_index=row.turn_index,
    )


def _question(row: SentenceRow) -> QuestionCandidate:
    return QuestionCandidate(
        question=row.phrased["problems"],
        raised_by=row.speaker,
        evidence_quote=row.sentence,
        turn_index=row.turn_index,
    )
