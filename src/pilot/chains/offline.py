"""The offline extraction engine: no LLM, same `ExtractionOutput` as the LLM chain.

Two signals, both deterministic:
1. Cue phrases on cleaned speaker turns ("I'll ... by Friday", "let's go with", "blocked on") with
   the due phrase found by `text.dates`. A commitment with a due date, an explicit decision or an
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from pilot.chains.embedding import Embedder, Vectors
from pilot.chains.engine import ChainRun, ExtractionContext, Progress
from pilot.chains.offline_select import (
    _COMMITMENT as _COMMITMENT_START,
)
from pilot.chains.offline_select import (
    _OFFER,
    Reply,
    combined_confidence,
    content_words,
    exemplar_closeness,
    find_reply,
    is_question,
    is_request,
    rule_confidence,
)
from pilot.chains.offline_text import (
    clean_spoken,
    imperative_task,
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
from pilot.text.dates import find_due_phrase

MODEL_PATH = Path(__file__).with_name("offline_model.npz")
KINDS = ("actions", "decisions", "problems")
Kind = Literal["actions", "decisions", "problems"]

_RISK_WORDS = re.compile(r"\b(?:might|may|could|risk|concern\w*|worr\w*|if)\b", re.I)
_DEPENDENCY_WORDS = re.compile(r"\b(?:waiting (?:on|for)|depends? on|dependency|dependent on)\b", re.I)
_ISSUE_WORDS = re.compile(r"\b(?:blocked|broken|failing|problem|is slipping)\b", re.I)


@dataclass(frozen=True)
class OfflineParams:
    """Selection settings, tuned on the AMI train split by `pilot.evals.train_offline`."""

    budgets: dict[str, int] = field(default_factory=lambda: {"actions": 3, "decisions": 5, "problems": 5})
    cue_weight: dict[str, float] = field(  # kept for model files written before confidences
        default_factory=lambda: {"actions": 0.02, "decisions": 0.1, "problems": 0.1}
    )
    # A draft needs at least this confidence; one at `sure` or above is kept over the budget.
    min_confidence: dict[str, float] = field(
        default_factory=lambda: {"actions": 0.45, "decisions": 0.45, "problems": 0.45}
    )
    sure: float = 0.85
    exemplar_weight: float = (
        0.8  # how far the exemplar closeness moves the rule confidence (tuned on AMI val)
    )
    length_weight: float = 0.05
    neighbours: int = 3
    diversity: float = 0.75  # a sentence closer than this to one already chosen is a repeat
    min_words: int = 3


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
            "min_confidence": self.params.min_confidence,
            "sure": self.params.sure,
            "exemplar_weight": self.params.exemplar_weight,
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
    reply: Reply | None = None  # for a request: the answer of the person asked
    reply_due: str | None = None  # a due date given in that answer
    reply_speaker: str | None = None  # the speaker label of the person asked


def _addressed(
    text: str,
    speaker: str | None,
    previous: str | None,
    participants: Sequence[str],
    meeting_speakers: Sequence[str] = (),
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
    # A speaker of this meeting named in the turn is who is asked ("Alex" when the program has two
    # Alexes but one of them speaks here); else "Samir" and "Samir Patel" are one person.
    present = [n for n in named if n in meeting_speakers]
    if len(present) == 1:
        return present[0]
    distinct = [n for n in named if not any(o != n and o.lower().startswith(n.lower() + " ") for o in named)]
    if len(distinct) == 1:
        return distinct[0]
    return previous


# Turns read between progress reports: a report is also where a job that lost its lease stops (a
# shutting-down worker hands it back), so a 200k-turn paste must report while it is read.
REPORT_EVERY_TURNS = 2_000
EMBED_SLICE = 4_096  # distinct texts embedded between progress reports


def sentence_rows(
    turns: Sequence[Turn],
    *,
    participants: Sequence[str] = (),
    min_words: int = 4,
    on_turns_read: Callable[[int], None] | None = None,
) -> list[SentenceRow]:
    speakers = list(dict.fromkeys([t.speaker for t in turns if t.speaker] + list(participants)))
    total = len(turns)

    def read(position: int, first_pass: bool) -> None:  # two passes over the turns, half each
        if on_turns_read is not None and position and position % REPORT_EVERY_TURNS == 0:
            on_turns_read(position // 2 if first_pass else (total + position) // 2)

    said: list[tuple[int, str | None, str]] = []
    for position, turn in enumerate(turns):
        read(position, True)
        said.append((turn.index, turn.speaker, clean_spoken(turn.text)))
    labels = sorted({t.speaker for t in turns if t.speaker})
    rows: list[SentenceRow] = []
    previous: str | None = None
    for position, turn in enumerate(turns):
        read(position, False)
        cleaned = said[position][2]
        if not cleaned:
            continue
        addressed = _addressed(cleaned, turn.speaker, previous, speakers, labels)
        for sentence in split_sentences(cleaned, min_words=min_words):
            phrased_action = minutes_style(sentence, turn.speaker, addressed)
            answerer = _answerer(addressed, speakers) if is_request(sentence) else None
            reply = find_reply(said, position, answerer) if answerer else None
            rows.append(
                SentenceRow(
                    turn_index=turn.index,
                    speaker=turn.speaker,
                    addressed=addressed,
                    sentence=sentence,
                    phrased={
                        "actions": phrased_action,
                        "decisions": phrased_action,
                        "problems": problem_style(sentence, turn.speaker, addressed),
                    },
                    reply=reply,
                    reply_due=find_due_phrase(reply.text) if reply and reply.accepted else None,
                    reply_speaker=answerer,
                )
            )
        if turn.speaker and turn.speaker != previous:
            previous = turn.speaker
    return rows


def _answerer(addressed: str | None, speakers: Sequence[str]) -> str | None:
    """The speaker label of the person asked ("Samir" when the program calls him "Samir Patel")."""
    if addressed is None or addressed in speakers:
        return addressed
    first = addressed.split()[0].lower()
    return next((s for s in speakers if s.lower() == first or s.lower().startswith(first + " ")), addressed)


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
    def default(cls, embedder: Embedder | None = None) -> OfflineExtractor:
        """With the trained model file, the exemplar engine on `embedder`; else cue phrases only."""
        model = OfflineModel.load()
        return cls(embedder=embedder if model else None, model=model)

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: Progress | None = None
    ) -> ChainRun:
        """The whole transcript at once (its budgets are per meeting); progress counts turns read."""
        output, confidence = self.extract_turns(turns, participants=context.participants, progress=progress)
        return ChainRun(
            engine="offline", model=self.model_name, output=output, chunks=1, confidence=confidence
        )

    def extract_turns(
        self, turns: Sequence[Turn], *, participants: Sequence[str] = (), progress: Progress | None = None
    ) -> tuple[ExtractionOutput, dict[str, list[float]]]:
        total = len(turns)

        def read(done: int) -> None:  # reading and splitting is the first half of the work
            if progress:
                progress(done // 2, total)

        rows = sentence_rows(
            turns, participants=participants, min_words=self.params.min_words, on_turns_read=read
        )
        read(total)
        if not rows:
            if progress:
                progress(total, total)
            return ExtractionOutput.empty(), {}

        def embedded(fraction: float) -> None:  # embedding the rows is most of the second half
            if progress:
                progress(total // 2 + int(fraction * (total - total // 2) * 0.9), total)

        chosen = self._choose(rows, embedded)
        if progress:
            progress(len(turns), len(turns))
        actions = drop_offers(rows, merge_requests(rows, chosen["actions"]))
        decisions = merge_decisions(rows, chosen["decisions"])
        problems = chosen["problems"]
        questions = [(i, c) for i, c in problems if is_question(rows[i].sentence)]
        raid = [(i, c) for i, c in problems if not is_question(rows[i].sentence)]
        output = ExtractionOutput(
            action_items=[_action(rows[i]) for i, _ in actions],
            decisions=[_decision(rows[i]) for i, _ in decisions],
            raid=[_raid(rows[i]) for i, _ in raid],
            open_questions=[_question(rows[i]) for i, _ in questions],
        )
        confidence = {
            "action_items": [c for _, c in actions],
            "decisions": [c for _, c in decisions],
            "raid": [c for _, c in raid],
            "open_questions": [c for _, c in questions],
        }
        return output, confidence

    def _choose(
        self, rows: Sequence[SentenceRow], embedded: Callable[[float], None]
    ) -> dict[str, list[tuple[int, float]]]:
        if self._embedder is None or self._model is None:
            plain = {kind: row_confidences(kind, rows, None, self.params) for kind in KINDS}
            return assign_and_select(rows, plain, dict.fromkeys(KINDS), self.params)
        # Actions and decisions share their phrasing: embed each distinct text once.
        texts = sorted({row.phrased[kind] for row in rows for kind in KINDS})
        position = {text: i for i, text in enumerate(texts)}
        parts = []
        for start in range(0, len(texts), EMBED_SLICE):
            parts.append(self._embedder(texts[start : start + EMBED_SLICE]))
            embedded(min(1.0, (start + EMBED_SLICE) / len(texts)))
        all_vectors = np.concatenate(parts)
        scores: dict[str, np.ndarray] = {}
        vectors_of: dict[str, Vectors | None] = {}
        for kind in KINDS:
            vectors = all_vectors[[position[row.phrased[kind]] for row in rows]]
            bank = self._model.exemplars.get(kind)
            nearest = nearest_exemplars(vectors, bank, self.params.neighbours) if bank is not None else None
            scores[kind] = row_confidences(kind, rows, nearest, self.params)
            vectors_of[kind] = vectors
        return assign_and_select(rows, scores, vectors_of, self.params)


def nearest_exemplars(vectors: Vectors, bank: Vectors, neighbours: int) -> np.ndarray:
    """Mean cosine of each row to its `neighbours` closest exemplars."""
    k = max(1, min(neighbours, len(bank)))
    return np.asarray(np.sort(vectors @ bank.T, axis=1)[:, -k:].mean(axis=1), dtype=np.float32)


def row_confidences(
    kind: str, rows: Sequence[SentenceRow], nearest: np.ndarray | None, params: OfflineParams
) -> np.ndarray:
    """Each row's confidence as a draft of `kind`: its form's, moved towards its exemplar closeness."""
    out = np.zeros(len(rows), dtype=np.float32)
    for i, row in enumerate(rows):
        rule = rule_confidence(kind, row.sentence, row.reply)
        closeness = exemplar_closeness(float(nearest[i])) if nearest is not None else None
        # A sure form (a dated commitment, an explicit decision or risk) is not made less sure by
        # reading unlike the exemplars; anything else is moved towards its closeness.
        combined = combined_confidence(rule, closeness, params.exemplar_weight)
        out[i] = max(combined, rule) if rule >= params.sure else min(combined, params.sure - 0.01)
    return out


def assign_and_select(
    rows: Sequence[SentenceRow],
    scores: dict[str, np.ndarray],
    vectors: dict[str, Vectors | None],
    params: OfflineParams,
) -> dict[str, list[tuple[int, float]]]:
    """Each row goes to the kind it is surest of; per kind the surest rows above the floor, up to
    the budget (sure ones always), skipping repeats. Returns (row, confidence) in row order."""
    stacked = np.stack([scores[kind] for kind in KINDS])
    best = stacked.argmax(axis=0)
    chosen: dict[str, list[tuple[int, float]]] = {}
    for k, kind in enumerate(KINDS):
        score = np.where(best == k, scores[kind], 0.0)
        chosen[kind] = select_rows(kind, rows, vectors[kind], score, params)
    return chosen


def select_rows(
    kind: str,
    rows: Sequence[SentenceRow],
    vectors: Vectors | None,
    score: np.ndarray,
    params: OfflineParams,
) -> list[tuple[int, float]]:
    """Rows at or above the kind's floor, surest first, up to the budget (rows at `sure` always)."""
    texts = [row.phrased[kind] for row in rows]
    floor = params.min_confidence[kind]
    chosen: list[int] = []
    for index in (int(i) for i in np.argsort(-score, kind="stable")):
        value = float(score[index])
        if value < floor or (len(chosen) >= params.budgets[kind] and value < params.sure):
            break
        others = [j for j in chosen if kind != "actions" or _same_person(rows[index], rows[j])]
        if _repeats(index, others, vectors, texts, params.diversity):
            continue
        chosen.append(index)
    return [(i, round(float(score[i]), 3)) for i in sorted(chosen)]


def _same_person(a: SentenceRow, b: SentenceRow) -> bool:
    """Two action rows speak for the same person (a restatement), not two people's tasks."""
    return (a.speaker, a.reply_speaker) == (b.speaker, b.reply_speaker)


def drop_offers(rows: Sequence[SentenceRow], actions: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """ "I can run it on the 24th. I'll book it today": the offer is part of the commitment after it."""
    committed = {
        (rows[i].turn_index, rows[i].speaker) for i, _ in actions if _COMMITMENT_START.match(rows[i].sentence)
    }
    return [
        (i, c)
        for i, c in actions
        if not (_OFFER.match(rows[i].sentence) and (rows[i].turn_index, rows[i].speaker) in committed)
    ]


def _repeats(
    index: int, chosen: Sequence[int], vectors: Vectors | None, texts: Sequence[str], limit: float
) -> bool:
    if vectors is not None:
        return any(float(vectors[index] @ vectors[j]) > limit for j in chosen)
    return any(texts[index] == texts[j] for j in chosen)


def merge_requests(rows: Sequence[SentenceRow], actions: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """A request and the addressee's own commitment in their reply are one action. The one that
    says more is kept (the addressee's words win a tie) with the surer confidence; a due date said
    only in the other is carried over."""
    by_turn: dict[int, list[int]] = {}
    for position, (i, _) in enumerate(actions):
        by_turn.setdefault(rows[i].turn_index, []).append(position)
    dropped: set[int] = set()
    kept = list(actions)
    for position, (i, confidence) in enumerate(actions):
        row = rows[i]
        if row.reply is None or row.reply.turn_index is None:
            continue
        for other_position in by_turn.get(row.reply.turn_index, []):
            j, other_confidence = actions[other_position]
            other = rows[j]
            if other.speaker != row.reply_speaker or not _COMMITMENT_START.match(other.sentence):
                continue
            sure = max(confidence, other_confidence)
            if len(content_words(other.sentence)) >= len(content_words(row.sentence)):
                dropped.add(position)
                kept[other_position] = (j, sure)
                other.reply_due = other.reply_due or find_due_phrase(row.sentence)
            else:
                dropped.add(other_position)
                kept[position] = (i, sure)
                row.reply_due = find_due_phrase(other.sentence) or row.reply_due
            break
    return [a for p, a in enumerate(kept) if p not in dropped]


def merge_decisions(
    rows: Sequence[SentenceRow], decisions: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """A decision confirmed a few turns later ("So that's decided: ...", "Agreed, then. ...") is one
    decision: the surer statement is kept (the earlier one on a tie)."""
    kept: list[tuple[int, float]] = []
    for i, confidence in decisions:
        words = set(content_words(rows[i].sentence))
        same = next(
            (
                n
                for n, (j, _) in enumerate(kept)
                if 0 <= rows[i].turn_index - rows[j].turn_index <= 3
                and len(words & set(content_words(rows[j].sentence))) >= 2
            ),
            None,
        )
        if same is None:
            kept.append((i, confidence))
        elif confidence > kept[same][1]:
            kept[same] = (i, confidence)
    return sorted(kept)


_OWNER_WORD = {"speaker": "I", "addressed": "you", "group": "we"}


def _action(row: SentenceRow) -> ActionCandidate:
    _, subject, predicate = minutes_parts(row.sentence, row.speaker, row.addressed)
    due = find_due_phrase(row.sentence) or row.reply_due
    return ActionCandidate(
        task=imperative_task(predicate if subject else row.phrased["actions"], due),
        owner=_OWNER_WORD[subject] if subject else None,
        due=due,
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


# The spoken lead-in names the RAID type, which the entry already carries: "The risk is the
# retention on ledger.postings.v1 ..." is titled "The retention on ledger.postings.v1 ...".
_RAID_LEAD_IN = re.compile(
    r"^(?:(?:and|but|so|well|okay|also),?\s+)?(?:the|my|our|one|another)\s+(?:big\s+|main\s+|real\s+|other\s+)?"
    r"(?:risk|concern|worry|problem|issue|blocker|dependency)\s+(?:here\s+)?(?:is|was)\s+(?:that\s+)?",
    re.I,
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
    words = _RAID_LEAD_IN.sub("", text).rstrip(".").split() or text.rstrip(".").split()
    title = " ".join(words[:10]) + ("..." if len(words) > 10 else "")
    title = title[:1].upper() + title[1:]
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
