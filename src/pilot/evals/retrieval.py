"""Retrieval quality on QMSum: for each specific query, index that meeting's transcript with
pilot's chunking and retrieval, and check whether the top results cover the gold evidence.

hit@200w / hit@1000w: results concatenated in rank order and cut at 200 (1,000) words cover a
turn inside a gold `relevant_text_span`; a chunk cut by the budget covers only the turns its kept
words belong to. MRR: 1 / rank of the first result whose turns meet a gold span. The baseline
recipe (1,000-character chunks with 200 overlap, MiniLM vectors, similarity search) is scored on
the same queries with the same rule, its chunks mapped to the turns their characters span.
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.index.embedding import Embedder
from pilot.index.hybrid import DocumentIndex, Hit
from pilot.index.memory_store import MemoryVectors

BUDGETS = (200, 1000)


@dataclass(frozen=True)
class Query:
    meeting_id: str
    text: str
    spans: tuple[tuple[int, int], ...]


@dataclass
class Meeting:
    meeting_id: str
    turns: list[Turn]
    queries: list[Query]


def load_split(data_dir: Path, split: str) -> list[Meeting]:
    folder = data_dir / "qmsum" / "data" / "ALL" / split
    if not folder.is_dir():
        from pilot.domain.errors import ErrorCode, PilotError

        raise PilotError(ErrorCode.INVALID_INPUT, f"{folder}: no QMSum split {split!r} here")
    meetings = []
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        turns = [Turn(index=i, speaker=str(t.get("speaker") or "") or None, text=str(t.get("content") or ""))
                 for i, t in enumerate(raw["meeting_transcripts"])]  # fmt: skip
        queries = [
            Query(
                path.stem, q["query"], tuple((int(a), int(b)) for a, b in q.get("relevant_text_span") or [])
            )
            for q in raw.get("specific_query_list", [])
            if q.get("relevant_text_span")
        ]
        meetings.append(Meeting(path.stem, turns, queries))
    return meetings


def covered_turns(ranked: Sequence[tuple[str, list[tuple[int, int]]]], budget: int) -> set[int]:
    """Turns covered by results cut at `budget` words. Each result is its text and, per turn it
    holds, (turn index, words of that turn in the result) in reading order."""
    left = budget
    covered: set[int] = set()
    for _text, parts in ranked:
        for turn_index, words in parts:
            if left <= 0:
                return covered
            covered.add(turn_index)
            left -= words
    return covered


def _in_spans(turns: set[int] | Sequence[int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= t <= b for t in turns for a, b in spans)


def _hit_parts(hit: Hit) -> list[tuple[int, int]]:
    first, last = int(hit.metadata.get("turn_first", 0)), int(hit.metadata.get("turn_last", 0))
    parts: list[tuple[int, int]] = []
    lines = hit.text.split("\n")
    # Chunk lines are "Speaker: text" per turn (a long turn may be split across chunks).
    for offset, line in enumerate(lines):
        index = min(first + offset, last)
        parts.append((index, len(line.split())))
    return parts


def score_queries(results: list[tuple[Query, list[list[tuple[int, int]]]]]) -> dict[str, float]:
    totals = {f"hit@{b}w": 0.0 for b in BUDGETS}
    reciprocal = 0.0
    for query, ranked_parts in results:
        for budget in BUDGETS:
            covered = covered_turns([("", parts) for parts in ranked_parts], budget)
            totals[f"hit@{budget}w"] += _in_spans(covered, query.spans)
        for rank, parts in enumerate(ranked_parts, start=1):
            if _in_spans([t for t, _ in parts], query.spans):
                reciprocal += 1 / rank
                break
    n = max(1, len(results))
    report = {key: round(value / n, 4) for key, value in totals.items()}
    report["mrr"] = round(reciprocal / n, 4)
    report["queries"] = float(len(results))
    return report


def pilot_rankings(
    meetings: Sequence[Meeting], embedder: Embedder, retriever: str, depth: int
) -> list[tuple[Query, list[list[tuple[int, int]]]]]:
    results = []
    for meeting in meetings:
        index = DocumentIndex(MemoryVectors(), embedder, retriever=retriever)
        doc = Document(program_id=meeting.meeting_id, source="qmsum", external_id=meeting.meeting_id,
                       kind=DocumentKind.TRANSCRIPT, title=meeting.meeting_id,
                       text="\n".join(t.text for t in meeting.turns), turns=meeting.turns)  # fmt: skip
        index.add_document(doc)
        for query in meeting.queries:
            hits = index.search(meeting.meeting_id, query.text, k=depth)
            results.append((query, [_hit_parts(h) for h in hits]))
    return results


def recipe_rankings(
    meetings: Sequence[Meeting], embedder: Embedder, depth: int
) -> list[tuple[Query, list[list[tuple[int, int]]]]]:
    """The plain recipe: the transcript as one text, 1,000-character chunks with 200 overlap, cosine top-k."""
    import numpy as np

    results = []
    for meeting in meetings:
        text, starts = "", []
        for turn in meeting.turns:
            starts.append(len(text))
            text += f"{turn.speaker}: {turn.text}\n" if turn.speaker else f"{turn.text}\n"
        spans = [(start, min(start + 1000, len(text))) for start in range(0, max(1, len(text) - 200), 800)]
        chunks = [text[a:b] for a, b in spans]
        vectors = embedder(chunks)
        for query in meeting.queries:
            scores = vectors @ embedder([query.text])[0]
            order = np.argsort(-scores, kind="stable")[:depth]
            results.append((query, [_char_parts(text, starts, *spans[i]) for i in order]))
    return results


def _char_parts(text: str, starts: list[int], a: int, b: int) -> list[tuple[int, int]]:
    """The turns a character range [a, b) of the joined transcript covers, with their words in it."""
    first = max(0, bisect.bisect_right(starts, a) - 1)
    last = max(0, bisect.bisect_right(starts, b - 1) - 1)
    out = []
    for t in range(first, last + 1):
        lo, hi = max(a, starts[t]), min(b, starts[t + 1] if t + 1 < len(starts) else len(text))
        out.append((t, len(text[lo:hi].split())))
    return out


def run_retrieval_eval(
    data_dir: Path, split: str, *, retriever: str = "default", baseline: bool = True,
    embedder: Embedder | None = None, progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    meetings = load_split(data_dir, split)
    if embedder is None:
        from pilot.index.embedding import embedder_for
        from pilot.settings import get_settings

        embedder = embedder_for(get_settings())
    started = time.perf_counter()
    report: dict[str, Any] = {"suite": "retrieval", "split": split, "meetings": len(meetings),
                              "queries": sum(len(m.queries) for m in meetings), "retriever": retriever}  # fmt: skip
    if progress:
        progress(f"pilot ({retriever})")
    report["pilot"] = score_queries(pilot_rankings(meetings, embedder, retriever, depth=30))
    report["pilot"]["seconds"] = round(time.perf_counter() - started, 1)
    if baseline:
        if progress:
            progress("vector-only")
        report["vector_only"] = score_queries(pilot_rankings(meetings, embedder, "vector-only", depth=30))
        if progress:
            progress("plain recipe")
        report["recipe"] = score_queries(recipe_rankings(meetings, embedder, depth=30))
    report["goal"] = {"hit@200w": 0.68, "hit@1000w": 0.93}
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
